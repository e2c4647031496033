//! From what was heard to the take report: align, label every entry, ask the rescorer about
//! disagreements, then measure hesitations, stumbles and pace, and pick the findings. Pure and
//! infallible: odd input (words out of order, NaN times, an empty hearing) gives a report, never
//! an error.

use encore_script::Script;
use encore_take::{
    AudioSummary, HeardWord, Hearing, Hesitation, LinePace, ScriptSummary, Stumble, Summary, TakeReport, TakeWord,
    Unrecognised, Verdict, repetitions, round, said_on_line,
};

use crate::hesitation::{Allowance, Place};
use crate::miscue::{classify, following};
use crate::path::{StepKind, align};
use crate::pronunciation::similarity;
use crate::token::Token;
use crate::unwritten::find_unwritten_stumbles;
use crate::{AlignOptions, findings};

/// How fast confidence grows with the alignment margin: a margin of this many cost units gives
/// about 63% of full confidence.
const MARGIN_SCALE: f32 = 0.3;

/// The share of the rescorer's bar taken off for a misread whose heard word sounds exactly like
/// the script word (proportionally less down to half-alike, where the bar is the usual one). A
/// share rather than an amount, so that the bar never reaches 0: a word that sounds nearly like
/// the script's ("light" for "lights") is still asked about, not excused unheard.
const SOUND_ALIKE_RELIEF: f32 = 0.6;

/// Compares what was heard with the script and reports every verdict, hesitation and the pace.
pub fn analyze(script: &Script, hearing: &Hearing, options: &AlignOptions) -> TakeReport {
    let heard = tidy(&hearing.words);
    let line_of = |k: Option<usize>| k.and_then(|k| script.words().get(k)).map(|w| w.line);
    let script_tokens: Vec<Token> = script
        .words()
        .iter()
        .enumerate()
        .map(|(k, w)| {
            let alone = line_of(k.checked_sub(1)) != Some(w.line) && line_of(Some(k + 1)) != Some(w.line);
            Token::script_word(&w.text, &w.reading, alone)
        })
        .collect();
    let heard_tokens: Vec<Token> = heard.iter().map(|w| Token::heard(&w.text)).collect();
    let path = align(&script_tokens, &heard_tokens, &options.costs);

    let mut words = Vec::with_capacity(script.len() + heard.len());
    for step in &path.steps {
        match step.kind {
            StepKind::Correct | StepKind::Misread => {
                let said = &heard[step.heard.clone()];
                let text = said.iter().map(|w| clean(&w.text)).collect::<Vec<_>>().join(" ");
                let heard_confidence = mean_confidence(said);
                let verdict = if step.kind == StepKind::Correct { Verdict::Correct } else { Verdict::Misread };
                for index in step.script.clone() {
                    let confidence = heard_confidence * margin_confidence(path.margins[index]);
                    words.push(script_entry(script, index, verdict, Some(text.clone()), said, confidence));
                }
            }
            StepKind::Skipped => {
                for index in step.script.clone() {
                    let confidence = margin_confidence(path.margins[index]);
                    words.push(script_entry(script, index, Verdict::Skipped, None, &[], confidence));
                }
            }
            StepKind::Extra => {
                for index in step.heard.clone() {
                    let word = &heard[index];
                    let (miscue, _, relates_to) = classify(
                        &heard_tokens[index],
                        following(&heard_tokens, index),
                        &script_tokens,
                        step.script.start,
                        &options.costs,
                        None,
                    );
                    let near = relates_to.unwrap_or(step.script.start.min(script.len().saturating_sub(1)));
                    let mut entry = extra_entry(
                        clean(&word.text),
                        miscue.into(),
                        (word.start, word.end),
                        round(word.confidence as f64, 3) as f32,
                        script.words().get(near).map(|w| w.line),
                    );
                    entry.relates_to = relates_to;
                    words.push(entry);
                }
            }
        }
    }

    if let Some(rescorer) = options.rescorer {
        rescore(&mut words, script, hearing.duration, rescorer, options.rescore_threshold);
        find_unwritten_stumbles(&mut words, &script_tokens, rescorer);
    }
    mark_self_corrections(&mut words);
    for word in &mut words {
        word.uncertain = word.confidence < options.uncertain_below;
    }
    let stumbles = place_stumbles(&mut words, &hearing.unrecognised);
    let hesitations = find_hesitations(&words, script, options.min_hesitation);
    let lines = line_paces(&words, script, &hesitations);
    let summary = summarize(&words, script, &hesitations, &stumbles);
    let mut report = TakeReport {
        format: TakeReport::FORMAT.to_string(),
        audio: AudioSummary { duration: finite(hearing.duration), speech: finite(hearing.speech) },
        script: ScriptSummary { words: script.len(), lines: script.line_count() },
        words,
        hesitations,
        stumbles,
        lines,
        summary,
        findings: Vec::new(),
        delivery: None,
        movement: None,
        prompter: None,
        changes: Vec::new(),
    };
    report.findings = findings(&report, script);
    report
}

fn finite(value: f64) -> f64 {
    if value.is_finite() { value } else { 0.0 }
}

/// Heard words in time order, with times and confidences made sane.
fn tidy(words: &[HeardWord]) -> Vec<HeardWord> {
    let mut tidy: Vec<HeardWord> = words
        .iter()
        .filter(|w| !w.text.trim().is_empty())
        .map(|w| {
            let start = finite(w.start).max(0.0);
            let end = finite(w.end).max(start);
            let confidence = if w.confidence.is_finite() { w.confidence.clamp(0.0, 1.0) } else { 0.5 };
            HeardWord { text: w.text.clone(), start, end, confidence }
        })
        .collect();
    tidy.sort_by(|a, b| a.start.total_cmp(&b.start));
    tidy
}

/// The heard text without the punctuation the recogniser put around it.
fn clean(text: &str) -> String {
    text.trim().trim_matches(|c: char| ".,!?;:\"“”«»".contains(c)).to_string()
}

fn mean_confidence(words: &[HeardWord]) -> f32 {
    if words.is_empty() {
        return 1.0;
    }
    words.iter().map(|w| w.confidence).sum::<f32>() / words.len() as f32
}

fn margin_confidence(margin: f32) -> f32 {
    1.0 - (-margin / MARGIN_SCALE).exp()
}

fn script_entry(
    script: &Script,
    index: usize,
    verdict: Verdict,
    heard: Option<String>,
    said: &[HeardWord],
    confidence: f32,
) -> TakeWord {
    let word = &script.words()[index];
    TakeWord {
        script_index: Some(index),
        text: Some(word.text.clone()),
        heard,
        verdict,
        start: said.first().map(|w| w.start),
        end: said.last().map(|w| w.end),
        confidence: round(confidence as f64, 3) as f32,
        self_corrected: false,
        line: Some(word.line),
        uncertain: false,
        rescored: false,
        possible_stumble: false,
        relates_to: None,
        f0_hz: None,
        loudness_db: None,
    }
}

/// An extra word (one no script word stands for) heard between `times`.
pub(crate) fn extra_entry(
    heard: String,
    verdict: Verdict,
    times: (f64, f64),
    confidence: f32,
    line: Option<usize>,
) -> TakeWord {
    TakeWord {
        script_index: None,
        text: None,
        heard: Some(heard),
        verdict,
        start: Some(times.0),
        end: Some(times.1),
        confidence,
        self_corrected: false,
        line,
        uncertain: false,
        rescored: false,
        possible_stumble: false,
        relates_to: None,
        f0_hz: None,
        loudness_db: None,
    }
}

/// When the last entry before `at` that was heard ended, if any did.
pub(crate) fn heard_end_before(words: &[TakeWord], at: usize) -> Option<f64> {
    words[..at].iter().rev().find_map(|w| w.end)
}

/// A script word said right after a false start aimed at it was self-corrected.
fn mark_self_corrections(words: &mut [TakeWord]) {
    for at in 0..words.len() {
        if words[at].verdict != Verdict::FalseStart {
            continue;
        }
        let Some(target) = words[at].relates_to else {
            continue;
        };
        if let Some(later) = words[at + 1..].iter_mut().find(|w| w.script_index == Some(target))
            && later.verdict == Verdict::Correct
        {
            later.self_corrected = true;
        }
    }
}

/// Asks the rescorer about each misread, each run of skipped words and each inserted word; where
/// the audio clearly supports the script, the disagreement is withdrawn with lowered confidence.
fn rescore(words: &mut [TakeWord], script: &Script, duration: f64, rescorer: &dyn crate::Rescorer, threshold: f32) {
    let bare = |index: Option<usize>| -> String {
        index.and_then(|i| script.words().get(i)).map(|w| w.bare().to_string()).unwrap_or_default()
    };
    rescore_tangles(words, script, duration, rescorer, threshold);
    let mut at = 0;
    while at < words.len() {
        match words[at].verdict {
            Verdict::Misread => {
                let entry = &words[at];
                let heard = entry.heard.clone().unwrap_or_default();
                let said = bare(entry.script_index);
                let answer = rescorer.prefer_script(
                    entry.start.unwrap_or(0.0),
                    entry.end.unwrap_or(0.0),
                    &[heard.as_str()],
                    &[said.as_str()],
                );
                // The tiny model often writes a word that sounds almost like the one said
                // ("light" for "lights", "within" for "with"): the more alike they sound, the less
                // the audio must favour the script for the misread to be withdrawn.
                let alike = entry
                    .script_index
                    .and_then(|i| script.words().get(i))
                    .map_or(0.0, |w| similarity(&Token::from_reading(&w.reading).phones, &Token::heard(&heard).phones));
                let bar = threshold * (1.0 - SOUND_ALIKE_RELIEF * ((alike - 0.5) / 0.5).clamp(0.0, 1.0));
                if let Some(p) = answer.filter(|&p| p >= bar) {
                    let entry = &mut words[at];
                    entry.verdict = Verdict::Correct;
                    entry.rescored = true;
                    entry.confidence = round((entry.confidence.min(p) * 0.75) as f64, 3) as f32;
                }
                at += 1;
            }
            Verdict::Skipped => {
                let mut end_run = at;
                while end_run < words.len() && words[end_run].verdict == Verdict::Skipped {
                    end_run += 1;
                }
                let from = heard_end_before(words, at).unwrap_or(0.0);
                let to = words[end_run..].iter().find_map(|w| w.start).unwrap_or(duration.max(from));
                let said: Vec<String> = words[at..end_run].iter().map(|w| bare(w.script_index)).collect();
                let said: Vec<&str> = said.iter().map(String::as_str).collect();
                if let Some(p) = rescorer.prefer_script(from, to, &[], &said).filter(|&p| p >= threshold) {
                    said_after_all(&mut words[at..end_run], from, to, p);
                }
                at = end_run;
            }
            Verdict::Inserted => {
                let entry = &words[at];
                let heard = entry.heard.clone().unwrap_or_default();
                let answer = rescorer.prefer_script(
                    entry.start.unwrap_or(0.0),
                    entry.end.unwrap_or(0.0),
                    &[heard.as_str()],
                    &[],
                );
                if let Some(p) = answer.filter(|&p| p >= threshold) {
                    said_after_all(&mut words[at..=at], 0.0, 0.0, p);
                }
                at += 1;
            }
            _ => at += 1,
        }
    }
}

/// Asks about each tangle as a whole: a run of two or more disagreements of more than one kind
/// (misread, skipped, inserted) between words heard right. The recogniser may write a short
/// phrase for a longer one ("to be what old" for "to be new made when thou art old"); asked one
/// by one, each skipped word is tried with the wrong word still beside it, and none is likely.
/// Where the script's reading of the whole stretch is the likelier, every word of it was said.
fn rescore_tangles(
    words: &mut [TakeWord],
    script: &Script,
    duration: f64,
    rescorer: &dyn crate::Rescorer,
    threshold: f32,
) {
    let disputed = |w: &TakeWord| matches!(w.verdict, Verdict::Misread | Verdict::Skipped | Verdict::Inserted);
    let mut at = 0;
    while at < words.len() {
        if !disputed(&words[at]) {
            at += 1;
            continue;
        }
        let mut end_run = at;
        while end_run < words.len() && disputed(&words[end_run]) {
            end_run += 1;
        }
        let run = &words[at..end_run];
        let kinds = [Verdict::Misread, Verdict::Skipped, Verdict::Inserted]
            .iter()
            .filter(|kind| run.iter().any(|w| w.verdict == **kind))
            .count();
        let said: Vec<String> = run
            .iter()
            .filter_map(|w| w.script_index.and_then(|i| script.words().get(i)).map(|w| w.bare().to_string()))
            .collect();
        let heard: Vec<String> = run.iter().filter(|w| w.start.is_some()).filter_map(|w| w.heard.clone()).collect();
        if kinds >= 2 && !said.is_empty() && !heard.is_empty() {
            let from = heard_end_before(words, at).unwrap_or(0.0);
            let to = words[end_run..].iter().find_map(|w| w.start).unwrap_or(duration.max(from));
            let said: Vec<&str> = said.iter().map(String::as_str).collect();
            let heard: Vec<&str> = heard.iter().map(String::as_str).collect();
            if let Some(p) = rescorer.prefer_script(from, to, &heard, &said).filter(|&p| p >= threshold) {
                said_after_all(&mut words[at..end_run], from, to, p);
            }
        }
        at = end_run;
    }
}

/// The audio supported the script's reading of `entries` with probability `p`: each script
/// word among them was said (its time a share of `from`..`to`, its confidence lowered), and each
/// extra word is withdrawn (kept, but not counted).
fn said_after_all(entries: &mut [TakeWord], from: f64, to: f64, p: f32) {
    let count = entries.iter().filter(|w| w.script_index.is_some()).count().max(1) as f64;
    let step = (to - from).max(0.0) / count;
    let mut k = 0.0;
    for entry in entries {
        entry.rescored = true;
        if entry.script_index.is_some() {
            entry.verdict = Verdict::Correct;
            entry.start = Some(from + step * k);
            entry.end = Some(from + step * (k + 1.0));
            entry.confidence = round((p * 0.6) as f64, 3) as f32;
            k += 1.0;
        } else {
            entry.confidence = round(((1.0 - p) * entry.confidence) as f64, 3) as f32;
        }
    }
}

/// Places each stretch of unrecognised speech before the next script word and marks that word.
fn place_stumbles(words: &mut [TakeWord], unrecognised: &[Unrecognised]) -> Vec<Stumble> {
    let mut spans: Vec<Unrecognised> = unrecognised
        .iter()
        .filter(|u| u.start.is_finite() && u.end.is_finite())
        .map(|u| Unrecognised { start: u.start, end: u.end.max(u.start) })
        .collect();
    spans.sort_by(|a, b| a.start.total_cmp(&b.start));
    let mut stumbles = Vec::new();
    for span in spans {
        // After the last entry that ended before the stretch began: a skipped word there is the
        // likeliest thing the performer was trying to say.
        let after =
            words.iter().rposition(|w| w.end.is_some_and(|end| end <= span.start + 0.05)).map(|p| p + 1).unwrap_or(0);
        let target = words[after..].iter_mut().find(|w| w.script_index.is_some());
        let before_script_index = match target {
            Some(word) => {
                word.possible_stumble = true;
                word.script_index
            }
            None => None,
        };
        stumbles.push(Stumble { start: span.start, end: span.end, before_script_index });
    }
    stumbles
}

/// Silences between heard words longer than the performer's usual pause at that place.
fn find_hesitations(words: &[TakeWord], script: &Script, floor: f64) -> Vec<Hesitation> {
    // Timed entries, once per heard stretch (several script words may share one heard word).
    let mut timed: Vec<(usize, f64, f64)> = Vec::new();
    for (at, word) in words.iter().enumerate() {
        if let (Some(start), Some(end)) = (word.start, word.end)
            && !timed.last().is_some_and(|&(_, s, e)| s == start && e == end)
        {
            timed.push((at, start, end));
        }
    }
    let mut gaps: Vec<(f64, f64, Place, Option<usize>)> = Vec::new();
    for pair in timed.windows(2) {
        let ((at, _, end), (_, start, _)) = (pair[0], pair[1]);
        if start <= end {
            continue;
        }
        let next = words[at + 1..]
            .iter()
            .find(|w| w.verdict.is_said() && w.start.is_some_and(|s| s >= start))
            .and_then(|w| w.script_index);
        let place = match next {
            Some(0) => Place::Phrase,
            Some(index) => {
                let before = &script.words()[index - 1];
                if before.pause_after || before.ends_sentence || before.ends_line {
                    Place::Sentence
                } else if before.ends_clause {
                    Place::Clause
                } else {
                    Place::Phrase
                }
            }
            None => Place::Sentence,
        };
        gaps.push((end, start, place, next));
    }
    let phrase_gaps: Vec<f64> =
        gaps.iter().filter(|g| g.2 == Place::Phrase).map(|&(end, start, _, _)| start - end).collect();
    let allowance = Allowance::estimate(&phrase_gaps, floor);
    gaps.into_iter()
        .filter(|&(end, start, place, _)| start - end > allowance.at(place))
        .map(|(end, start, _, next)| Hesitation {
            start: end,
            end: start,
            duration: round(start - end, 3),
            before_script_index: next,
        })
        .collect()
}

/// Pace per script line, from the said words of each line. Hesitations inside the line are left
/// out of its time: they are reported on their own, and a line is not "slow" because of one pause.
fn line_paces(words: &[TakeWord], script: &Script, hesitations: &[Hesitation]) -> Vec<LinePace> {
    script
        .line_numbers()
        .into_iter()
        .map(|line| {
            let said = said_on_line(words, line);
            let start = said.iter().filter_map(|w| w.start).min_by(f64::total_cmp);
            let end = said.iter().filter_map(|w| w.end).max_by(f64::total_cmp);
            let wpm = match (start, end) {
                (Some(start), Some(end)) => {
                    let paused: f64 =
                        hesitations.iter().filter(|h| h.start >= start && h.end <= end).map(|h| h.end - h.start).sum();
                    let time = end - start - paused;
                    (time >= 0.5).then(|| round(said.len() as f64 / time * 60.0, 1))
                }
                _ => None,
            };
            LinePace { line, start, end, words: said.len(), wpm }
        })
        .collect()
}

fn summarize(words: &[TakeWord], script: &Script, hesitations: &[Hesitation], stumbles: &[Stumble]) -> Summary {
    let count = |verdict: Verdict| words.iter().filter(|w| w.verdict == verdict).count();
    let correct = count(Verdict::Correct);
    let misread = count(Verdict::Misread);
    let total = script.len().max(1) as f64;
    let first = words.iter().filter_map(|w| w.start).min_by(f64::total_cmp);
    let last = words.iter().filter_map(|w| w.end).max_by(f64::total_cmp);
    let speaking_time = match (first, last) {
        (Some(first), Some(last)) => (last - first).max(0.0),
        _ => 0.0,
    };
    let minutes = speaking_time / 60.0;
    let spoken = words
        .iter()
        .filter(|w| {
            w.heard.is_some() && w.verdict != Verdict::Filler && !(w.verdict == Verdict::Inserted && w.rescored)
        })
        .map(|w| (w.start.map(f64::to_bits), w.end.map(f64::to_bits), w.heard.as_deref()))
        .collect::<Vec<_>>();
    let mut distinct = spoken.clone();
    distinct.dedup();
    let per_minute = |n: usize| {
        if minutes > 0.0 { round(n as f64 / minutes, 1) } else { 0.0 }
    };
    Summary {
        accuracy: round(correct as f64 / total, 4),
        completeness: round((correct + misread) as f64 / total, 4),
        wcpm: per_minute(correct),
        wpm: per_minute(distinct.len()),
        fillers: count(Verdict::Filler),
        repetitions: repetitions(words),
        hesitations: hesitations.len(),
        misread,
        skipped: count(Verdict::Skipped),
        inserted: words.iter().filter(|w| w.verdict == Verdict::Inserted && !w.rescored).count(),
        correct,
        false_starts: count(Verdict::FalseStart),
        self_corrections: words.iter().filter(|w| w.self_corrected).count(),
        stumbles: stumbles.len(),
        rescored: words.iter().filter(|w| w.rescored).count(),
        uncertain: words.iter().filter(|w| w.uncertain).count(),
        speaking_time: round(speaking_time, 3),
    }
}
