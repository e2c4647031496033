//! Read speech against scripts edited at random. Each exact-read recording is a take whose true
//! script is known; changing that script by one word makes a take with one known miscue:
//! a word removed from the script was said but is not in it (an insertion), a word added was not
//! said (skipped), a word replaced was said differently (misread). The report must find the
//! miscue at its place and flag nothing else.

use encore_align::AlignOptions;
use encore_script::{Script, fair_match};
use encore_take::{TakeReport, Verdict};

/// The three edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    Removed,
    Added,
    Replaced,
}

pub const EDITS: [Edit; 3] = [Edit::Removed, Edit::Added, Edit::Replaced];

impl Edit {
    pub fn name(self) -> &'static str {
        match self {
            Edit::Removed => "word removed → inserted",
            Edit::Added => "word added → skipped",
            Edit::Replaced => "word replaced → misread",
        }
    }
}

/// One edited script: its text and the script index of the edit (for a removal, the index of
/// the word that now follows the gap).
#[derive(Debug, Clone)]
pub struct Edited {
    pub edit: Edit,
    pub text: String,
    pub at: usize,
    pub word: String,
}

/// Small, seeded and reproducible: SplitMix64.
pub struct Random(u64);

impl Random {
    pub fn new(seed: u64, stem: &str, salt: u64) -> Random {
        // FNV-1a of the stem, so that a recording gets the same edit whatever else is evaluated.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in stem.bytes() {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        Random(seed ^ hash ^ salt.wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Makes one edit of the script. `foreign` are words of other transcripts to add or substitute.
pub fn edit(script: &Script, edit: Edit, random: &mut Random, foreign: &[String]) -> Option<Edited> {
    let words: Vec<&str> = script.words().iter().map(|w| w.text.as_str()).collect();
    let n = words.len();
    let same = |a: &str, b: &str| fair_match(&[a], &[b]) || fair_match(&[b], &[a]);
    for _ in 0..50 {
        let (text, at, word) = match edit {
            Edit::Removed => {
                let at = random.below(n);
                // Removing one of two equal neighbours would make a repetition, not an insertion.
                let neighbour = |j: Option<usize>| j.and_then(|j| words.get(j)).is_some_and(|w| same(w, words[at]));
                if neighbour(at.checked_sub(1)) || neighbour(Some(at + 1)) {
                    continue;
                }
                let mut edited = words.clone();
                let removed = edited.remove(at);
                (edited.join(" "), at, removed.to_string())
            }
            Edit::Added => {
                let at = random.below(n + 1);
                let word = &foreign[random.below(foreign.len())];
                let near = [at.checked_sub(1), Some(at)];
                if near.iter().flatten().filter_map(|&j| words.get(j)).any(|w| same(w, word)) {
                    continue;
                }
                let mut edited = words.clone();
                edited.insert(at, word);
                (edited.join(" "), at, word.clone())
            }
            Edit::Replaced => {
                let at = random.below(n);
                let word = &foreign[random.below(foreign.len())];
                if same(words[at], word) {
                    continue;
                }
                let mut edited = words.clone();
                edited[at] = word;
                (edited.join(" "), at, word.clone())
            }
        };
        return Some(Edited { edit, text, at, word });
    }
    None
}

/// What one report says about one edit.
#[derive(Debug, Clone, Copy, Default)]
pub struct Outcome {
    /// The edit was found as the miscue it is.
    pub found: bool,
    /// Verdicts other than the edit: non-correct untouched script words and extra words away
    /// from the edit.
    pub false_alarms: usize,
    /// Untouched script words.
    pub untouched: usize,
}

/// Judges a report on an edited script (`None`: the true script, where every flag is false).
pub fn judge(report: &TakeReport, edited: Option<&Edited>) -> Outcome {
    let near = |position: usize| edited.is_some_and(|e| e.at.abs_diff(position) <= 1);
    let mut outcome = Outcome::default();
    for (at, word) in report.words.iter().enumerate() {
        match word.script_index {
            Some(index) => {
                let is_edit = edited.is_some_and(|e| e.edit != Edit::Removed && e.at == index);
                if is_edit {
                    let wanted =
                        if edited.is_some_and(|e| e.edit == Edit::Added) { Verdict::Skipped } else { Verdict::Misread };
                    outcome.found |= word.verdict == wanted;
                } else {
                    outcome.untouched += 1;
                    if word.verdict != Verdict::Correct {
                        outcome.false_alarms += 1;
                    }
                }
            }
            None => {
                if word.verdict == Verdict::Inserted && word.rescored {
                    continue;
                }
                let position = report.words[at..].iter().find_map(|w| w.script_index).unwrap_or(report.script.words);
                let expected = edited.is_some_and(|e| e.edit == Edit::Removed)
                    && word.verdict == Verdict::Inserted
                    && near(position);
                // A replaced word heard as skipped-plus-inserted is a miss, not also a false alarm.
                let excused = edited.is_some_and(|e| e.edit == Edit::Replaced) && near(position);
                if expected {
                    outcome.found = true;
                } else if !excused {
                    outcome.false_alarms += 1;
                }
            }
        }
    }
    outcome
}

/// Aligns a script (given as text) with a hearing.
pub fn analyze(text: &str, hearing: &encore_take::Hearing, options: &AlignOptions) -> Option<(Script, TakeReport)> {
    let script = Script::parse(text).ok()?;
    let report = encore_align::analyze(&script, hearing, options);
    Some((script, report))
}
