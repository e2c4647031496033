//! What a speaking coach would say about how the take sounded, each finding placed on the
//! script: a flat voice (for speech, and for this performer), trailing off at the end of a
//! phrase, a rushed or dragging line, no pause where the script has one, and a yes-or-no
//! question said without a rise. The thresholds are measured on the corpus (`bench/README.md`);
//! each errs towards saying nothing.

use encore_script::{Script, ScriptWord};
use encore_take::{Finding, FindingKind, LineDelivery, LinePace, TakeReport, TakeWord};

use crate::frames::{Frames, Span, median, range_st, semitones};

/// A take whose pitch range is under this many semitones is flat for anyone's speech.
const FLAT_TAKE_ST: f32 = 3.0;
/// A line under this range is flat whatever the performer's own range.
const FLAT_LINE_ST: f32 = 2.0;
/// A line under this range is flat when it is also narrow for the performer:
const NARROW_LINE_ST: f32 = 3.5;
/// ... and under this share of the take's range.
const NARROW_SHARE: f32 = 0.45;
/// Voiced frames needed before a range is judged: a second for the take, 0.6 s for a line.
const TAKE_VOICED: usize = 100;
const LINE_VOICED: usize = 60;
/// The end of a phrase this much quieter than its body, beyond the performer's usual drop, is
/// trailing off.
const TRAILING_DB: f32 = 8.0;
/// A phrase's end is this much quieter than its body when a take has too few phrases to say
/// what is usual for the performer (the median over the corpus's clean readings).
const USUAL_DROP_DB: f32 = 4.0;
const USUAL_FROM_PHRASES: usize = 4;
/// The end of a phrase: its last second.
const TAIL_SECONDS: f64 = 1.0;
/// Frames this far under the take's speech level are silence, not a quiet voice.
const SILENCE_BELOW_DB: f32 = 35.0;
/// Phrases shorter than this are not judged for trailing off: there is no body to compare with.
const PHRASE_SECONDS: f64 = 2.2;
/// A pause is this long a stretch at least this far under the take's speech level, or a gap
/// this long between the word times.
const PAUSE_SECONDS: f64 = 0.12;
const PAUSE_DROP_DB: f32 = 15.0;
const PAUSE_GAP_SECONDS: f64 = 0.3;
/// A question rises when its end is this far above the sentence's median pitch.
const RISE_ST: f32 = 1.0;
/// Questions that open with these words fall in English, so no rise is expected of them.
const QUESTION_WORDS: [&str; 9] = ["what", "where", "when", "who", "whom", "whose", "why", "which", "how"];

/// A line this much faster than the performer's usual line is rushed.
const RUSHING: f64 = 1.25;
/// A line this much slower than the performer's usual line drags.
const DRAGGING: f64 = 0.75;
/// Lines with fewer said words are not judged for pace: a word more or less is too much of them.
const PACED_WORDS: usize = 4;

/// The delivery's judgement: the take's range, whether it was flat, each line, and findings.
pub(crate) struct Judged {
    pub take_range: Option<f32>,
    pub take_flat: bool,
    pub lines: Vec<LineDelivery>,
    pub findings: Vec<Finding>,
}

pub(crate) fn judge(frames: &Frames, speech: &[Span], script: &Script, report: &TakeReport) -> Judged {
    let level = frames.median_loudness(speech).unwrap_or(encore_take::Contour::FLOOR_DB);
    let take_range = frames.range_st(speech, TAKE_VOICED);
    let take_flat = take_range.is_some_and(|range| range < FLAT_TAKE_ST);
    let mut findings = Vec::new();
    if let (true, Some(range)) = (take_flat, take_range) {
        findings.push(Finding {
            kind: FindingKind::Flat,
            script_index: None,
            line: None,
            cost: 0.8,
            message: format!("your voice kept to {range:.1} semitones of pitch: let it rise and fall with the sense"),
        });
    }
    let said = said_words(report);
    // Without a voice there is nothing to judge a pause, a rise or a fall by.
    let voiced = frames.inside(speech).into_iter().filter(|&i| frames.voiced(i)).count() >= TAKE_VOICED;
    let tempi = line_tempi(&report.lines);
    let mut lines = Vec::new();
    for pace in &report.lines {
        let spans: Vec<Span> =
            said.iter().filter(|(w, _)| script_word(script, w).line == pace.line).map(|&(_, s)| s).collect();
        let range = frames.range_st(&spans, LINE_VOICED);
        let flat = !take_flat
            && range.is_some_and(|r| {
                r < FLAT_LINE_ST || (r < NARROW_LINE_ST && take_range.is_some_and(|t| r < NARROW_SHARE * t))
            });
        if let (true, Some(r)) = (flat, range) {
            let usual = take_range.map(|t| format!(", against {t:.1} over the take")).unwrap_or_default();
            findings.push(Finding {
                kind: FindingKind::Flat,
                script_index: None,
                line: Some(pace.line),
                cost: 0.5,
                message: format!("line {} was flat: {r:.1} semitones of pitch{usual}", pace.line),
            });
        }
        let tempo = tempi.iter().find(|&&(line, _)| line == pace.line).map(|&(_, ratio)| ratio);
        if let Some(ratio) = tempo.filter(|&r| r >= RUSHING || r <= DRAGGING) {
            let how = if ratio > 1.0 { "faster" } else { "slower" };
            let percent = ((ratio - 1.0).abs() * 100.0).round();
            findings.push(Finding {
                kind: FindingKind::Pace,
                script_index: None,
                line: Some(pace.line),
                cost: (200.0 * (ratio - 1.0).abs()).round() / 100.0,
                message: format!("line {} was {percent}% {how} than your usual pace", pace.line),
            });
        }
        lines.push(LineDelivery {
            line: pace.line,
            f0_median_hz: frames.median_f0(&spans).map(crate::tenths),
            pitch_range_st: range.map(crate::tenths),
            loudness_db: frames.median_loudness(&spans).map(crate::tenths),
            wpm: pace.wpm,
            flat,
            trailing_off: false,
            rushing: tempo.is_some_and(|r| r >= RUSHING),
            dragging: tempo.is_some_and(|r| r <= DRAGGING),
            no_pause_after: Vec::new(),
            no_rise_at: Vec::new(),
        });
    }
    if !voiced {
        return Judged { take_range, take_flat, lines, findings };
    }
    for trailing in trailing_off(frames, &said, script, level) {
        if let Some(line) = line_of(&mut lines, script, trailing.last) {
            line.trailing_off = true;
        }
        findings.push(placed(
            script,
            FindingKind::TrailingOff,
            trailing.last,
            0.4,
            format!(
                "you trailed off: the end of the phrase fell {:.0} dB more than your phrases usually do",
                trailing.drop
            ),
        ));
    }
    for index in pauses_missed(frames, &said, script, level) {
        if let Some(line) = line_of(&mut lines, script, index) {
            line.no_pause_after.push(index);
        }
        let word = script.words()[index].bare();
        findings.push(placed(script, FindingKind::NoPause, index, 0.3, format!("no pause after '{word}'")));
    }
    for index in questions_without_rise(frames, &said, script) {
        if let Some(line) = line_of(&mut lines, script, index) {
            line.no_rise_at.push(index);
        }
        let word = script.words()[index].bare();
        findings.push(placed(
            script,
            FindingKind::NoRise,
            index,
            0.3,
            format!("the question ending '{word}' did not rise"),
        ));
    }
    Judged { take_range, take_flat, lines, findings }
}

/// Each line's pace (said words per minute, as the report's `lines`) over the performer's usual
/// pace, the median of the other lines; empty when fewer than two lines can be compared. The line
/// itself is left out of its usual, so that one rushed line among few does not pull the usual to
/// itself. (Words per minute of sound, and syllables per second of sound, were measured too: no
/// fewer false flags on clean readings, `docs/decisions.md`.)
fn line_tempi(lines: &[LinePace]) -> Vec<(usize, f64)> {
    let paced: Vec<(usize, f64)> =
        lines.iter().filter(|l| l.words >= PACED_WORDS).filter_map(|l| Some((l.line, l.wpm?))).collect();
    if paced.len() < 2 {
        return Vec::new();
    }
    paced
        .iter()
        .filter_map(|&(line, wpm)| {
            let others: Vec<f32> = paced.iter().filter(|&&(l, _)| l != line).map(|&(_, w)| w as f32).collect();
            let usual = f64::from(median(&others)?);
            (usual > 0.0).then_some((line, wpm / usual))
        })
        .collect()
}

/// The line that script word `index` is on.
fn line_of<'l>(lines: &'l mut [LineDelivery], script: &Script, index: usize) -> Option<&'l mut LineDelivery> {
    let line = script.words()[index].line;
    lines.iter_mut().find(|l| l.line == line)
}

/// The said script words, in script order, with their times.
fn said_words(report: &TakeReport) -> Vec<(&TakeWord, Span)> {
    let mut said: Vec<(&TakeWord, Span)> = report
        .words
        .iter()
        .filter(|w| w.script_index.is_some() && w.verdict.is_said())
        .filter_map(|w| Some((w, Span { start: w.start?, end: w.end? })))
        .collect();
    said.sort_by_key(|(w, _)| w.script_index);
    said
}

fn script_word<'s>(script: &'s Script, word: &TakeWord) -> &'s ScriptWord {
    &script.words()[word.script_index.expect("said words are script words")]
}

/// A finding on one script word, its line named in the message.
fn placed(script: &Script, kind: FindingKind, index: usize, cost: f64, message: String) -> Finding {
    let line = script.words()[index].line;
    Finding { kind, script_index: Some(index), line: Some(line), cost, message: format!("{message} in line {line}") }
}

struct Trailing {
    /// The phrase's last script word.
    last: usize,
    /// How much quieter its end was than its body, beyond the performer's usual.
    drop: f32,
}

/// Phrases (runs of said words up to a sentence or line end) whose last second is markedly
/// quieter than the rest: beyond how much quieter this performer usually ends a phrase, since
/// every reader lets some ends fall. The phrase is read from the audio between its first word's
/// start and the moment it falls silent after its last word (a faint end can fool the word
/// times), on the voiced frames, the vowels, so that the gaps between words do not count.
fn trailing_off(frames: &Frames, said: &[(&TakeWord, Span)], script: &Script, level: f32) -> Vec<Trailing> {
    let silent = level - SILENCE_BELOW_DB;
    let mut drops: Vec<(usize, f32)> = Vec::new();
    let mut start: Option<f64> = None;
    let least = (0.1 / frames.hop()).ceil() as usize;
    for (at, &(word, span)) in said.iter().enumerate() {
        let first = *start.get_or_insert(span.start);
        let written = script_word(script, word);
        if !(written.ends_sentence || written.ends_line) {
            continue;
        }
        start = None;
        let next_start = said.get(at + 1).map_or(f64::INFINITY, |&(_, next)| next.start);
        let end = sounding_until(frames, span.end, next_start.min(span.end + TAIL_SECONDS), silent);
        if end - first < PHRASE_SECONDS {
            continue;
        }
        let sounding: Vec<usize> =
            frames.inside(&[Span { start: first, end }]).into_iter().filter(|&i| frames.voiced(i)).collect();
        let tail_from = end - TAIL_SECONDS;
        let (body, tail): (Vec<usize>, Vec<usize>) =
            sounding.iter().partition(|&&i| (i as f64) * frames.hop() < tail_from);
        if body.len() < least || tail.len() < least {
            continue;
        }
        if let (Some(body), Some(tail)) = (median(&frames.loudness_at(&body)), median(&frames.loudness_at(&tail))) {
            drops.push((written.index, body - tail));
        }
    }
    let usual = if drops.len() >= USUAL_FROM_PHRASES {
        median(&drops.iter().map(|&(_, drop)| drop).collect::<Vec<_>>()).unwrap_or(USUAL_DROP_DB).max(0.0)
    } else {
        USUAL_DROP_DB
    };
    drops
        .into_iter()
        .filter(|&(_, drop)| drop - usual >= TRAILING_DB)
        .map(|(last, drop)| Trailing { last, drop: drop - usual })
        .collect()
}

/// Where the sound that runs on from `end` falls silent, no later than `limit`.
fn sounding_until(frames: &Frames, end: f64, limit: f64, silent: f32) -> f64 {
    let first = (end / frames.hop()).ceil().max(0.0) as usize;
    let last = ((limit / frames.hop()).floor().max(0.0) as usize).min(frames.len().saturating_sub(1));
    let mut until = end;
    for i in first..=last {
        if frames.loudness(i) < silent {
            break;
        }
        until = i as f64 * frames.hop();
    }
    until
}

/// Script words after which the script pauses (a sentence end, a `/`, a paragraph end) that the
/// performer went on from without one.
fn pauses_missed(frames: &Frames, said: &[(&TakeWord, Span)], script: &Script, level: f32) -> Vec<usize> {
    let quiet = level - PAUSE_DROP_DB;
    let run_needed = (PAUSE_SECONDS / frames.hop()).ceil() as usize;
    said.windows(2)
        .filter_map(|pair| {
            let ((word, before), (next, after)) = (pair[0], pair[1]);
            let written = script_word(script, word);
            let pause_expected = written.ends_sentence || written.pause_after || written.ends_paragraph;
            if !pause_expected || next.script_index != Some(written.index + 1) {
                return None;
            }
            if after.start - before.end >= PAUSE_GAP_SECONDS {
                return None;
            }
            // A pause can hide inside either word's times, stretched over it by the recogniser:
            // look from the middle of the word before to the middle of the word after.
            let around = Span {
                start: (before.end - 0.1).min((before.start + before.end) / 2.0),
                end: (after.start + 0.1).max((after.start + after.end) / 2.0),
            };
            let mut run = 0;
            for i in frames.inside(&[around]) {
                run = if frames.loudness(i) < quiet { run + 1 } else { 0 };
                if run >= run_needed {
                    return None;
                }
            }
            Some(written.index)
        })
        .collect()
}

/// The last words of yes-or-no questions whose end did not rise above the question's pitch.
fn questions_without_rise(frames: &Frames, said: &[(&TakeWord, Span)], script: &Script) -> Vec<usize> {
    let words = script.words();
    let mut found = Vec::new();
    for (at, &(word, span)) in said.iter().enumerate() {
        let written = script_word(script, word);
        if !written.text.trim_end_matches(['"', '\'', ')', '’', '”']).ends_with('?') {
            continue;
        }
        let opening = words[..written.index].iter().rposition(|w| w.ends_sentence).map_or(0, |i| i + 1);
        // "For where is she…", "And how…": a question word among the first three opens it.
        let opens_with_question_word = words[opening..=written.index]
            .iter()
            .take(3)
            .any(|w| QUESTION_WORDS.contains(&w.bare().to_lowercase().as_str()));
        if opens_with_question_word {
            continue;
        }
        let sentence: Vec<Span> =
            said[..=at].iter().filter(|(w, _)| w.script_index.is_some_and(|i| i >= opening)).map(|&(_, s)| s).collect();
        let end: Vec<f32> = frames.f0_at(&frames.inside(&[span]));
        let least = (0.06 / frames.hop()).ceil() as usize;
        if end.len() < least {
            continue;
        }
        let last = &end[end.len().saturating_sub((0.08 / frames.hop()).ceil() as usize)..];
        let (Some(end), Some(middle)) = (median(last), frames.median_f0(&sentence)) else {
            continue;
        };
        if range_st(&frames.f0_at(&frames.inside(&sentence)), least).is_some() && semitones(end, middle) < RISE_ST {
            found.push(written.index);
        }
    }
    found
}
