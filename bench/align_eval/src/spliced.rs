//! The spliced takes made by `bench/splice.py`: real read speech of many voices, each take with
//! one event spliced in (a word or phrase said twice, a false start, a real filler, a skipped
//! phrase) and labelled with where. The events were made, not performed: the figures say so.
//!
//! A take's script is its source recording's text. Its extra words are compared with the
//! report's as for the designed recordings (by kind and by place, give or take one word); a
//! skipped phrase is found when its words are marked skipped; and every other verdict away from
//! the event is a false alarm on an untouched word.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use encore_script::Script;
use encore_take::{TakeReport, Verdict};

use crate::disfluency::{self, Event, Kind};
use crate::tally::{Tally, ratio, show, show_percent};

/// What was spliced into a take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Splice {
    Repetition,
    FalseStart,
    Filler,
    Skip,
}

impl Splice {
    fn parse(name: &str) -> Option<Splice> {
        Some(match name {
            "repetition" => Splice::Repetition,
            "false_start" => Splice::FalseStart,
            "filler" => Splice::Filler,
            "skip" => Splice::Skip,
            _ => return None,
        })
    }
}

/// One take of the spliced set.
#[derive(Debug, Clone)]
pub struct SplicedTake {
    pub audio: PathBuf,
    /// The file name without `.wav`, which names its cached hearing.
    pub name: String,
    /// The corpus recording it was made from.
    pub source: String,
    pub speaker: String,
    pub splice: Splice,
    /// The script words the event is about (a repeated phrase, the word started, the word
    /// after a filler, the skipped phrase), first and last.
    pub first: usize,
    pub last: usize,
    /// The script word the extra words stand before.
    pub position: usize,
    /// The script words from `first` to `last`, as written.
    pub words: String,
}

/// The takes listed in `dir/spliced.tsv`.
pub fn load(dir: &Path) -> anyhow::Result<Vec<SplicedTake>> {
    let manifest = dir.join("spliced.tsv");
    let text = std::fs::read_to_string(&manifest)
        .with_context(|| format!("cannot read {}; make the set with: python3 bench/splice.py", manifest.display()))?;
    let mut takes = Vec::new();
    for row in text.lines().skip(1).filter(|row| !row.trim().is_empty()) {
        let fields: Vec<&str> = row.split('\t').collect();
        let [file, source, speaker, kind, first, last, position, words, ..] = fields[..] else {
            bail!("{}: a row with too few columns: {row}", manifest.display());
        };
        let splice = Splice::parse(kind).with_context(|| format!("{}: unknown kind {kind}", manifest.display()))?;
        let number = |field: &str| field.parse::<usize>().with_context(|| format!("{}: {row}", manifest.display()));
        takes.push(SplicedTake {
            audio: dir.join(file),
            name: file.strip_suffix(".wav").unwrap_or(file).to_string(),
            source: source.to_string(),
            speaker: speaker.to_string(),
            splice,
            first: number(first)?,
            last: number(last)?,
            position: number(position)?,
            words: words.to_string(),
        });
    }
    Ok(takes)
}

/// Whether the script counts its words as the splicer did: the event's words are where the
/// set says they are.
pub fn placed_in(take: &SplicedTake, script: &Script) -> bool {
    let words = script.words();
    take.last < words.len()
        && take.position <= words.len()
        && words[take.first..=take.last].iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" ") == take.words
}

/// The extra words the splice put into the take: one per word said again, one false start,
/// one filler; none for a skip.
pub fn reference(take: &SplicedTake) -> Vec<Event> {
    let event = |kind| Event { kind, position: take.position };
    match take.splice {
        Splice::Repetition => (take.first..=take.last).map(|_| event(Kind::Repetition)).collect(),
        Splice::FalseStart => vec![event(Kind::FalseStart)],
        Splice::Filler => vec![event(Kind::Filler)],
        Splice::Skip => Vec::new(),
    }
}

/// What one report says about one spliced take.
#[derive(Debug, Clone, Copy, Default)]
pub struct Judged {
    /// Extra words by kind, in `disfluency::KINDS` order.
    pub extras: [Tally; 4],
    /// Skipped words marked skipped, and skipped words.
    pub skipped_found: usize,
    pub skipped: usize,
    /// Non-correct verdicts on script words away from the event, and extra words away from it.
    pub false_alarms: usize,
    /// Script words away from the event.
    pub untouched: usize,
}

/// Judges the report of a spliced take.
pub fn judge(take: &SplicedTake, report: &TakeReport) -> Judged {
    let (extras, _) = disfluency::score(&reference(take), &disfluency::predicted(report));
    let mut judged = Judged { extras, ..Judged::default() };
    let near = |index: usize| index + 1 >= take.first && index <= take.last.max(take.position) + 1;
    for (at, word) in report.words.iter().enumerate() {
        match word.script_index {
            Some(index) if take.splice == Splice::Skip && (take.first..=take.last).contains(&index) => {
                judged.skipped += 1;
                judged.skipped_found += usize::from(word.verdict == Verdict::Skipped);
            }
            Some(index) if !near(index) => {
                judged.untouched += 1;
                judged.false_alarms += usize::from(word.verdict != Verdict::Correct);
            }
            Some(_) => {}
            None => {
                if word.verdict == Verdict::Inserted && word.rescored {
                    continue;
                }
                let position = report.words[at..].iter().find_map(|w| w.script_index).unwrap_or(report.script.words);
                judged.false_alarms += usize::from(!near(position));
            }
        }
    }
    judged
}

/// A configuration's figures over the spliced set.
#[derive(Debug, Clone, Copy, Default)]
pub struct Totals {
    pub extras: [Tally; 4],
    pub skipped_found: usize,
    pub skipped: usize,
    pub false_alarms: usize,
    pub untouched: usize,
}

impl Totals {
    pub fn add(&mut self, judged: Judged) {
        for (total, tally) in self.extras.iter_mut().zip(judged.extras) {
            total.add(tally);
        }
        self.skipped_found += judged.skipped_found;
        self.skipped += judged.skipped;
        self.false_alarms += judged.false_alarms;
        self.untouched += judged.untouched;
    }
}

/// Prints section 4: per kind precision, recall and F1, the skips found, and the false alarms
/// on untouched words, for each configuration (`header` names them).
pub fn print(totals: &[Totals], header: &str, takes: &[SplicedTake], scored: usize) {
    let mut voices: Vec<&str> = takes.iter().map(|t| t.speaker.as_str()).collect();
    voices.sort_unstable();
    voices.dedup();
    println!(
        "\n4. Spliced takes (bench/splice.py; events spliced into read speech, not performed): {scored} of {} takes scored, {} voices",
        takes.len(),
        voices.len()
    );
    let extras: Vec<[Tally; 4]> = totals.iter().map(|t| t.extras).collect();
    disfluency::print_by_kind(&extras, header);
    let recall =
        |t: &Totals| format!("recall {} ({}/{})", show(ratio(t.skipped_found, t.skipped)), t.skipped_found, t.skipped);
    let cells: String = totals.iter().map(|t| format!(" | {:<22}", recall(t))).collect();
    println!("{:<22}{cells}", "skipped words");
    let rate = |t: &Totals| {
        format!("{} ({}/{})", show_percent(ratio(t.false_alarms, t.untouched)), t.false_alarms, t.untouched)
    };
    let cells: String = totals.iter().map(|t| format!(" | {:<22}", rate(t))).collect();
    println!("{:<22}{cells}", "false alarms");
}

#[cfg(test)]
mod tests {
    use encore_take::testing;

    use super::*;

    fn take(splice: Splice, first: usize, last: usize, position: usize) -> SplicedTake {
        SplicedTake {
            audio: PathBuf::new(),
            name: String::new(),
            source: String::new(),
            speaker: String::new(),
            splice,
            first,
            last,
            position,
            words: String::new(),
        }
    }

    const SCRIPT: &str = "ask not what your country can do for you";

    #[test]
    fn a_repetition_found_where_it_was_spliced() {
        let (report, _) = testing::take(SCRIPT, ". . . . . r:your r:country");
        let judged = judge(&take(Splice::Repetition, 3, 4, 5), &report);
        let repetitions = judged.extras[1];
        assert_eq!((repetitions.hits, repetitions.misses, repetitions.false_alarms), (2, 0, 0));
        assert_eq!((judged.false_alarms, judged.untouched), (0, 4));
    }

    #[test]
    fn a_skip_found_and_a_false_alarm_elsewhere() {
        let (report, _) = testing::take(SCRIPT, ". m:knot . x x");
        let judged = judge(&take(Splice::Skip, 3, 4, 3), &report);
        assert_eq!((judged.skipped_found, judged.skipped), (2, 2));
        assert_eq!((judged.false_alarms, judged.untouched), (1, 5), "'not' misread, far from the skip");
    }

    #[test]
    fn a_missed_filler_is_a_miss() {
        let (report, _) = testing::take(SCRIPT, "");
        let judged = judge(&take(Splice::Filler, 5, 5, 5), &report);
        assert_eq!((judged.extras[0].hits, judged.extras[0].misses), (0, 1));
        assert_eq!(judged.false_alarms, 0);
    }
}
