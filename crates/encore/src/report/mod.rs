//! Views of a take report for people: the script with every verdict on it, for the terminal
//! and as an HTML page. Both views are laid out from the same [`Line`]s, so that what a word is
//! marked as, where a pause shows and which words group together is decided once, here; the
//! views only choose how a mark looks. The JSON view is the report itself (`encore.take/1`).

pub mod csv;
pub mod drills;
pub mod html;
pub mod subtitles;
pub mod terminal;
pub mod textgrid;

use encore_take::{LineDelivery, TakeReport, TakeWord, Verdict};

/// One script line as it was performed.
#[derive(Debug)]
pub struct Line<'a> {
    /// The line number in the script text, from 1.
    pub number: usize,
    pub marks: Vec<Mark<'a>>,
}

/// One thing to show in a line, in the order it happened.
#[derive(Debug)]
pub enum Mark<'a> {
    /// A script word (correct, misread or skipped), or a single extra word (inserted, filler,
    /// false start).
    Word(&'a TakeWord),
    /// Script words said again: a run of `repeated` entries, shown as one mark.
    Again(Vec<&'a TakeWord>),
    /// A hesitation before the next mark, seconds.
    Pause(f64),
    /// Speech that no heard word accounts for came here.
    Unclear,
}

/// Lays the report out line by line. Extra words go on the line of the script word they come
/// before; a hesitation stands before the first word that started after the silence; an insertion
/// that the rescorer judged never said is left out, as it is left out of the counts.
pub fn lines(report: &TakeReport) -> Vec<Line<'_>> {
    let mut lines: Vec<Line> = Vec::new();
    let mut pauses: Vec<(f64, f64)> = report.hesitations.iter().map(|h| (h.end, h.duration)).collect();
    pauses.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut next_pause = 0;
    let mut current = report.words.iter().find_map(|w| w.line).unwrap_or(1);

    let mut at = 0;
    while at < report.words.len() {
        let word = &report.words[at];
        // Lines only move forward: a word said again from the line before stays where it was
        // said.
        current = match (word.script_index, word.line) {
            (Some(_), Some(line)) => line,
            (None, Some(line)) => line.max(current),
            (_, None) => current,
        };
        let mut before: Vec<Mark> = Vec::new();
        if let Some(start) = word.start {
            while next_pause < pauses.len() && pauses[next_pause].0 <= start + 1e-6 {
                before.push(Mark::Pause(pauses[next_pause].1));
                next_pause += 1;
            }
        }
        if word.possible_stumble {
            before.push(Mark::Unclear);
        }
        let (mark, next) = if word.verdict == Verdict::Repeated {
            let mut end = at + 1;
            while end < report.words.len()
                && report.words[end].verdict == Verdict::Repeated
                && !report.words[end].possible_stumble
            {
                end += 1;
            }
            (Some(Mark::Again(report.words[at..end].iter().collect())), end)
        } else if word.verdict == Verdict::Inserted && word.rescored {
            (None, at + 1)
        } else {
            (Some(Mark::Word(word)), at + 1)
        };
        if lines.last().is_none_or(|line| line.number != current) {
            lines.push(Line { number: current, marks: Vec::new() });
        }
        let line = lines.last_mut().expect("a line was just pushed");
        line.marks.extend(before);
        line.marks.extend(mark);
        at = next;
    }
    // Pauses and unclear speech after the last word stay on the last line.
    if let Some(line) = lines.last_mut() {
        line.marks.extend(pauses[next_pause..].iter().map(|&(_, duration)| Mark::Pause(duration)));
        let placed = report.words.iter().filter(|w| w.possible_stumble).count();
        let trailing = report.stumbles.iter().filter(|s| s.before_script_index.is_none()).count();
        line.marks.extend((0..trailing.min(report.stumbles.len().saturating_sub(placed))).map(|_| Mark::Unclear));
    }
    lines
}

/// The text to show for a word: the script's spelling for a script word, what was heard for an
/// extra one.
pub fn shown(word: &TakeWord) -> &str {
    word.text.as_deref().or(word.heard.as_deref()).unwrap_or("")
}

/// A fraction as a whole percentage.
pub fn percent(fraction: f64) -> String {
    format!("{:.0}%", fraction * 100.0)
}

/// "1 filler", "2 fillers".
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The counts both views print after the scores, in this order; each view adds its own extras.
pub fn counts(summary: &encore_take::Summary, script_words: usize) -> Vec<String> {
    let s = summary;
    vec![
        format!("{} of {} words correct", s.correct, script_words),
        count(s.misread, "misread", "misread"),
        count(s.skipped, "skipped", "skipped"),
        count(s.inserted, "added", "added"),
        count(s.fillers, "filler", "fillers"),
        count(s.repetitions, "repetition", "repetitions"),
        count(s.false_starts, "false start", "false starts"),
        count(s.hesitations, "hesitation", "hesitations"),
    ]
}

/// A flag's name in the report, its words for the performer, and whether a line has it.
pub(crate) type LineFlag = (&'static str, &'static str, fn(&LineDelivery) -> bool);

/// What a coach would say of a line's delivery: each flag as the report names it (for the
/// pages' hooks), in a word or two for the performer, and whether a line has it. The terminal
/// and the HTML report name the same flags the same way.
pub(crate) const LINE_FLAGS: [LineFlag; 6] = [
    ("flat", "flat", |line| line.flat),
    ("trailing_off", "trailing off", |line| line.trailing_off),
    ("rushing", "rushing", |line| line.rushing),
    ("dragging", "dragging", |line| line.dragging),
    ("no_pause_after", "no pause", |line| !line.no_pause_after.is_empty()),
    ("no_rise_at", "no rise", |line| !line.no_rise_at.is_empty()),
];
