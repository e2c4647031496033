//! The take as subtitles: what the performer said, on screen when they said it, for watching a
//! filmed rehearsal back or for checking the recogniser by ear. Cues follow the script's lines and
//! stay short enough to read; a skipped word was not said, so it is in no cue. SubRip (`.srt`)
//! and WebVTT (`.vtt`) differ only in the header, the time format and escaping.

use std::fmt::Write;

use encore_script::Script;
use encore_take::{TakeReport, TakeWord, Verdict};

use super::csv::entry_lines;

/// The most words in one cue.
const MAX_WORDS: usize = 7;
/// The longest a cue may last, seconds.
const MAX_SECONDS: f64 = 3.5;
/// A silence longer than this between two words starts a new cue, seconds.
const MAX_PAUSE: f64 = 0.7;

/// One subtitle: the words said from `start` to `end`.
#[derive(Debug, Clone, PartialEq)]
struct Cue {
    start: f64,
    end: f64,
    text: String,
}

/// The take as SubRip subtitles: numbered cues, times as `00:00:01,234`.
pub fn srt(report: &TakeReport, script: &Script) -> String {
    let mut out = String::new();
    for (number, cue) in cues(report, script).iter().enumerate() {
        let _ = write!(out, "{}\n{} --> {}\n{}\n\n", number + 1, time(cue.start, ','), time(cue.end, ','), cue.text);
    }
    out
}

/// The take as WebVTT subtitles: the `WEBVTT` header, then cues with times as `00:00:01.234`.
pub fn vtt(report: &TakeReport, script: &Script) -> String {
    let mut out = String::from("WEBVTT\n\n");
    for cue in cues(report, script) {
        let _ = write!(out, "{} --> {}\n{}\n\n", time(cue.start, '.'), time(cue.end, '.'), escape(&cue.text));
    }
    out
}

/// A word the performer was heard to say, with its times, as both subtitles and the TextGrid show
/// it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Spoken<'a> {
    pub word: &'a TakeWord,
    /// Its position in the report's `words`.
    pub at: usize,
    pub text: &'a str,
    pub start: f64,
    pub end: f64,
}

/// The entries that were heard, in the order things happened: every entry with a time, except
/// skipped words and the insertions the rescorer judged never said. When one heard word stands
/// for several script words ("don't" for "do not"), it is kept once.
pub(super) fn spoken(report: &TakeReport) -> Vec<Spoken<'_>> {
    let mut heard: Vec<Spoken> = Vec::new();
    for (at, word) in report.words.iter().enumerate() {
        let (Some(start), Some(end)) = (word.start, word.end) else { continue };
        if word.verdict == Verdict::Skipped || (word.verdict == Verdict::Inserted && word.rescored) {
            continue;
        }
        let Some(text) = word.heard.as_deref().or(word.text.as_deref()) else { continue };
        if heard.last().is_some_and(|last| last.text == text && last.start == start && last.end == end) {
            continue;
        }
        heard.push(Spoken { word, at, text, start, end });
    }
    heard
}

/// The heard words grouped into cues: a new cue at each new script line (lines only move
/// forward, so a word said again from the line before stays in its cue), after a pause longer
/// than 0.7 s, and before a cue would pass seven words or 3.5 s. Cues never overlap or go back in
/// time.
fn cues(report: &TakeReport, script: &Script) -> Vec<Cue> {
    let lines = entry_lines(report, script);
    let mut cues: Vec<Cue> = Vec::new();
    let mut words_in_cue = 0;
    let mut cue_line: Option<usize> = None;
    let mut last_end = f64::NEG_INFINITY;
    for spoken in spoken(report) {
        let line = match (lines[spoken.at], cue_line) {
            (Some(line), Some(current)) if spoken.word.script_index.is_none() => Some(line.max(current)),
            (line, current) => line.or(current),
        };
        let words = spoken.text.split_whitespace().count().max(1);
        let new_cue = match cues.last() {
            None => true,
            Some(cue) => {
                line != cue_line
                    || spoken.start - last_end > MAX_PAUSE
                    || words_in_cue + words > MAX_WORDS
                    || spoken.end - cue.start > MAX_SECONDS
            }
        };
        if new_cue {
            let start = spoken.start.max(cues.last().map_or(0.0, |cue| cue.end));
            cues.push(Cue { start, end: spoken.end.max(start), text: spoken.text.to_string() });
            words_in_cue = words;
        } else if let Some(cue) = cues.last_mut() {
            cue.end = cue.end.max(spoken.end);
            cue.text.push(' ');
            cue.text.push_str(spoken.text);
            words_in_cue += words;
        }
        cue_line = line;
        last_end = last_end.max(spoken.end);
    }
    cues
}

/// `hh:mm:ss` and milliseconds after `separator`; a negative time is 0.
fn time(seconds: f64, separator: char) -> String {
    let millis = (seconds.max(0.0) * 1000.0).round() as u64;
    let (hours, rest) = (millis / 3_600_000, millis % 3_600_000);
    let (minutes, rest) = (rest / 60_000, rest % 60_000);
    format!("{hours:02}:{minutes:02}:{:02}{separator}{:03}", rest / 1000, rest % 1000)
}

/// WebVTT cue text may not hold `<` or `&` unescaped (the recogniser writes marks like `<unk>`).
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::super::csv::sample;
    use super::*;

    #[test]
    fn srt_of_a_take() {
        insta::assert_snapshot!(srt(&sample::report(), &sample::script()));
    }

    #[test]
    fn vtt_of_a_take() {
        insta::assert_snapshot!(vtt(&sample::report(), &sample::script()));
    }

    #[test]
    fn times_in_both_formats() {
        assert_eq!(time(1.2344, ','), "00:00:01,234");
        assert_eq!(time(3725.5, '.'), "01:02:05.500");
        assert_eq!(time(-0.1, '.'), "00:00:00.000");
        assert_eq!(escape("<unk> & co"), "&lt;unk&gt; &amp; co");
    }

    #[test]
    fn a_long_pause_or_a_long_stretch_starts_a_new_cue() {
        let mut report = sample::report();
        // "and" now comes 1 s after "um": a new cue.
        report.words[3].start = Some(2.5);
        report.words[3].end = Some(2.6);
        report.words[4].start = Some(2.65);
        report.words[4].end = Some(2.9);
        report.words[5].start = Some(2.95);
        report.words[5].end = Some(3.3);
        let texts: Vec<String> = cues(&report, &sample::script()).into_iter().map(|cue| cue.text).collect();
        assert_eq!(texts[..2], ["Four score um", "and eleven years"]);
        // One word of a line stretched over 4 s: its own cue.
        let mut report = sample::report();
        report.words[1].end = Some(4.6);
        let cues = cues(&report, &sample::script());
        assert_eq!(cues[0].text, "Four");
        assert_eq!(cues[1].text, "score um and eleven years");
        assert_eq!((cues[1].start, cues[1].end), (0.85, 4.6));
    }

    #[test]
    fn cues_never_overlap() {
        let mut report = sample::report();
        // "Our" said (by the recogniser's times) before the end of the previous line.
        report.words[7].start = Some(2.0);
        let cues = cues(&report, &sample::script());
        for pair in cues.windows(2) {
            assert!(pair[1].start >= pair[0].end && pair[1].end >= pair[1].start, "{pair:?}");
        }
    }
}
