//! The take as a Praat TextGrid, for people who study speech: the heard words on one tier and
//! their verdicts on another, both lined up with the audio, so that the take can be opened beside
//! its recording in Praat and every verdict checked against the waveform. Written in Praat's long
//! text format; the intervals of a tier must cover the whole take without gaps or overlaps, so
//! silences get empty intervals and times that overlap are clamped.

use std::fmt::Write;

use encore_script::Script;
use encore_take::{TakeReport, TakeWord, Verdict};

use super::csv::verdict;
use super::subtitles::spoken;

/// One interval, in milliseconds, with its text on each tier.
#[derive(Debug, Clone, PartialEq)]
struct Interval {
    start: u64,
    end: u64,
    word: String,
    verdict: String,
}

/// The whole TextGrid: from 0 to the length of the audio, an interval tier "words" with what was
/// heard and an interval tier "verdicts" with the verdict of each heard word ("correct",
/// "misread: with→within", "filler"). Times are rounded to milliseconds. A word that starts
/// before the one before it has ended starts when that one ends; a word left with no time at all
/// joins the interval before it.
pub fn render(report: &TakeReport, script: &Script) -> String {
    let intervals = intervals(report, script);
    let end = intervals.last().map_or(0, |interval| interval.end);
    let mut out = String::new();
    out.push_str("File type = \"ooTextFile\"\nObject class = \"TextGrid\"\n\n");
    let _ = write!(out, "xmin = 0 \nxmax = {} \ntiers? <exists> \nsize = 2 \nitem []: \n", seconds(end));
    tier(&mut out, 1, "words", end, &intervals, |interval| &interval.word);
    tier(&mut out, 2, "verdicts", end, &intervals, |interval| &interval.verdict);
    out
}

/// The intervals of both tiers: the heard words and the silences between them, contiguous from 0
/// to the end of the audio (or of the last word, should it end later).
fn intervals(report: &TakeReport, script: &Script) -> Vec<Interval> {
    let heard = spoken(report);
    let last_word = heard.iter().map(|spoken| millis(spoken.end)).max().unwrap_or(0);
    // Praat needs a grid that lasts some time, even for a take with nothing in it.
    let end = millis(report.audio.duration).max(last_word).max(1);
    let mut intervals: Vec<Interval> = Vec::new();
    let mut cursor = 0;
    for spoken in heard {
        let start = millis(spoken.start).clamp(cursor, end);
        let stop = millis(spoken.end).clamp(start, end);
        let label = label(spoken.word, script);
        if stop == start {
            // No time left for it: it shares the interval before, so that nothing heard is lost.
            match intervals.last_mut().filter(|last| !last.word.is_empty()) {
                Some(last) => {
                    last.word = format!("{} {}", last.word, spoken.text);
                    last.verdict = format!("{}, {label}", last.verdict);
                }
                // Nothing before it to share: it is shown as it was, if only for a millisecond.
                None if start < end => {
                    intervals.extend(gap(cursor, start));
                    intervals.push(Interval { start, end: start + 1, word: spoken.text.to_string(), verdict: label });
                    cursor = start + 1;
                }
                None => {}
            }
            continue;
        }
        intervals.extend(gap(cursor, start));
        intervals.push(Interval { start, end: stop, word: spoken.text.to_string(), verdict: label });
        cursor = stop;
    }
    intervals.extend(gap(cursor, end));
    intervals
}

/// An empty interval from `start` to `end`, if there is time between them.
fn gap(start: u64, end: u64) -> Option<Interval> {
    (end > start).then(|| Interval { start, end, word: String::new(), verdict: String::new() })
}

/// The verdict of a heard word as the "verdicts" tier shows it.
fn label(word: &TakeWord, script: &Script) -> String {
    let name = match word.verdict {
        Verdict::Misread => {
            let written = word
                .text
                .as_deref()
                .or_else(|| word.script_index.and_then(|i| script.words().get(i)).map(|w| w.text.as_str()))
                .unwrap_or("");
            let heard = word.heard.as_deref().unwrap_or("");
            format!("misread: {}→{heard}", bare(written))
        }
        other => verdict(other).to_string(),
    };
    if word.uncertain && word.verdict != Verdict::Correct { format!("{name} (uncertain)") } else { name }
}

/// A written word without the punctuation around it: "nation," is "nation".
fn bare(text: &str) -> &str {
    let trimmed = text.trim_matches(|c: char| !c.is_alphanumeric());
    if trimmed.is_empty() { text } else { trimmed }
}

fn tier(out: &mut String, number: usize, name: &str, end: u64, intervals: &[Interval], text: fn(&Interval) -> &str) {
    let _ = write!(
        out,
        "    item [{number}]:\n        class = \"IntervalTier\" \n        name = \"{name}\" \n        xmin = 0 \n        xmax = {} \n        intervals: size = {} \n",
        seconds(end),
        intervals.len()
    );
    for (index, interval) in intervals.iter().enumerate() {
        let _ = write!(
            out,
            "        intervals [{}]:\n            xmin = {} \n            xmax = {} \n            text = \"{}\" \n",
            index + 1,
            seconds(interval.start),
            seconds(interval.end),
            text(interval).replace('"', "\"\"")
        );
    }
}

/// Seconds, rounded to milliseconds; a negative or missing time is 0.
fn millis(seconds: f64) -> u64 {
    if seconds.is_finite() && seconds > 0.0 { (seconds * 1000.0).round() as u64 } else { 0 }
}

/// Milliseconds as Praat writes seconds: as short as the number allows ("1.25", "3").
fn seconds(millis: u64) -> String {
    (millis as f64 / 1000.0).to_string()
}

#[cfg(test)]
mod tests {
    use super::super::csv::sample;
    use super::*;

    /// Checks what Praat checks when it reads a grid: each tier's intervals are as many as it says,
    /// and run from 0 to the end without gaps, overlaps or empty intervals.
    fn check_valid(grid: &str) {
        let total: f64 = grid.lines().nth(4).unwrap().trim_start_matches("xmax = ").trim().parse().unwrap();
        let tiers: Vec<&str> = grid.split("    item [").skip(1).collect();
        assert_eq!(tiers.len(), 2);
        for tier in tiers {
            let size: usize =
                tier.split("intervals: size = ").nth(1).unwrap().split_whitespace().next().unwrap().parse().unwrap();
            let bounds: Vec<(f64, f64)> = tier
                .split("intervals [")
                .skip(1)
                .map(|interval| {
                    let value = |key: &str| -> f64 {
                        interval.split(key).nth(1).unwrap().split_whitespace().next().unwrap().parse().unwrap()
                    };
                    (value("xmin = "), value("xmax = "))
                })
                .collect();
            assert_eq!(bounds.len(), size);
            assert_eq!(bounds.first().unwrap().0, 0.0);
            assert_eq!(bounds.last().unwrap().1, total);
            for (at, &(start, end)) in bounds.iter().enumerate() {
                assert!(end > start, "interval {} is empty: {start}..{end}", at + 1);
                if at > 0 {
                    assert_eq!(start, bounds[at - 1].1, "interval {} does not follow on", at + 1);
                }
            }
        }
    }

    #[test]
    fn a_take_as_a_textgrid() {
        let grid = render(&sample::report(), &sample::script());
        check_valid(&grid);
        insta::assert_snapshot!(grid);
    }

    #[test]
    fn overlapping_and_unordered_times_are_clamped() {
        let mut report = sample::report();
        report.words[3].start = Some(0.9); // "and" starts inside "score"
        report.words[5].start = Some(1.0); // "years" starts before "eleven" ended
        report.words[5].end = Some(1.1); // and ends before it: no time left, it joins "eleven"
        report.words[15].end = Some(9.0); // "content" runs past the end of the audio
        let grid = render(&report, &sample::script());
        check_valid(&grid);
        assert!(grid.contains("text = \"eleven years\""), "{grid}");
        assert!(grid.contains("text = \"misread: seven→eleven (uncertain), correct\""));
        assert!(grid.contains("xmax = 9 \n"));
    }

    #[test]
    fn quotes_are_doubled_and_an_empty_take_is_still_a_grid() {
        let mut report = sample::report();
        report.words[0].heard = Some("\"Four\"".to_string());
        assert!(render(&report, &sample::script()).contains("text = \"\"\"Four\"\"\" \n"));
        report.words.clear();
        let grid = render(&report, &sample::script());
        check_valid(&grid);
        assert_eq!(grid.matches("intervals: size = 1 ").count(), 2);
    }
}
