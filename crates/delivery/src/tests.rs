//! Whole takes measured: a script said (by the test report builder) over a synthetic voice whose
//! pitch and loudness each test sets, word by word, so that each finding is checked against a
//! take made to have it or not.

use encore_audio::{Audio, SAMPLE_RATE};
use encore_take::testing::{schema_problems, take};
use encore_take::{Contour, FindingKind, TakeReport};

use crate::measure;

/// A voice over the report's words: word `k` (in the order said) has the pitch `pitch(k, x)` and
/// the gain `gain(k, x)`, `x` running from 0 to 1 across the word; silence between words.
fn voice(report: &TakeReport, pitch: impl Fn(usize, f64) -> f64, gain: impl Fn(usize, f64) -> f32) -> Audio {
    let duration = report.words.iter().filter_map(|w| w.end).fold(0.0, f64::max) + 0.5;
    let mut samples = vec![0.0f32; (duration * SAMPLE_RATE as f64) as usize];
    let said = report.words.iter().filter_map(|w| Some((w.start?, w.end?)));
    for (k, (start, end)) in said.enumerate() {
        let mut phase = 0.0f64;
        let (first, last) = ((start * SAMPLE_RATE as f64) as usize, (end * SAMPLE_RATE as f64) as usize);
        for (i, sample) in samples[first..last].iter_mut().enumerate() {
            let x = i as f64 / (last - first) as f64;
            phase += 2.0 * std::f64::consts::PI * pitch(k, x) / SAMPLE_RATE as f64;
            let wave: f64 = (1..=6).map(|h| (phase * h as f64).sin() / h as f64).sum();
            *sample = 0.3 * gain(k, x) * wave as f32;
        }
    }
    Audio { samples }
}

fn steady(_: usize, _: f64) -> f32 {
    1.0
}

/// A pitch that moves over an octave from word to word, as lively speech does.
fn lively(k: usize, _: f64) -> f64 {
    120.0 * 2f64.powf((k % 5) as f64 / 4.0)
}

fn measured(
    script: &str,
    marks: &str,
    pitch: impl Fn(usize, f64) -> f64,
    gain: impl Fn(usize, f64) -> f32,
) -> TakeReport {
    let (mut report, script) = take(script, marks);
    let audio = voice(&report, pitch, gain);
    measure(&audio, &script, &mut report);
    report
}

const THREE_LINES: &str = "one two three four five six seven eight\n\
                           nine ten eleven twelve thirteen fourteen fifteen sixteen\n\
                           seventeen eighteen nineteen twenty twentyone twentytwo twentythree twentyfour";

#[test]
fn a_voice_on_one_note_is_flat_and_a_lively_one_is_not() {
    let flat = measured(THREE_LINES, "", |_, _| 150.0, steady);
    let delivery = flat.delivery.clone().expect("a take with speech has a delivery");
    assert!(delivery.flat, "{delivery:?}");
    assert_eq!(delivery.pitch_range_st, Some(0.0));
    assert!(flat.findings.iter().any(|f| f.kind == FindingKind::Flat && f.line.is_none()), "{:?}", flat.findings);

    assert_eq!(schema_problems(&flat), Vec::<String>::new());

    let lively = measured(THREE_LINES, "", lively, steady);
    let delivery = lively.delivery.expect("a delivery");
    assert!(!delivery.flat && delivery.lines.iter().all(|l| !l.flat), "{delivery:?}");
    assert!(delivery.pitch_range_st.is_some_and(|r| r > 8.0), "{delivery:?}");
    let f0 = delivery.f0_median_hz.expect("voiced");
    assert!((100.0..250.0).contains(&f0), "{f0}");
}

#[test]
fn one_line_on_one_note_among_lively_ones_is_flat() {
    let report = measured(THREE_LINES, "", |k, x| if (8..16).contains(&k) { 160.0 } else { lively(k, x) }, steady);
    let delivery = report.delivery.expect("a delivery");
    let flat: Vec<usize> = delivery.lines.iter().filter(|l| l.flat).map(|l| l.line).collect();
    assert_eq!(flat, [2]);
    assert!(!delivery.flat);
}

#[test]
fn an_end_much_quieter_than_the_rest_trails_off() {
    let script = "one two three four five six seven eight\n\
                  nine ten eleven twelve thirteen fourteen fifteen sixteen\n\
                  seventeen eighteen nineteen twenty twentyone twentytwo twentythree twentyfour\n\
                  a b c d e f g h";
    // Every line ends a little quieter, as speech does; line 3's last words fall 14 dB more.
    let report = measured(script, "", lively, |k, _| match k % 8 {
        6 | 7 if (16..24).contains(&k) => 0.2 * 0.5,
        6 | 7 => 0.5,
        _ => 1.0,
    });
    let delivery = report.delivery.expect("a delivery");
    let trailing: Vec<usize> = delivery.lines.iter().filter(|l| l.trailing_off).map(|l| l.line).collect();
    assert_eq!(trailing, [3]);
    let finding = report.findings.iter().find(|f| f.kind == FindingKind::TrailingOff).expect("a finding");
    assert_eq!((finding.script_index, finding.line), (Some(23), Some(3)));
    assert!(finding.message.contains("in line 3"), "{}", finding.message);
}

#[test]
fn a_full_stop_wants_a_pause_and_a_hesitation_gives_one() {
    let script = "the night was long and the road was dark. we walked on and did not speak of it";
    // The builder leaves 0.1 s between words: no pause at the full stop.
    let rushed = measured(script, "", lively, steady);
    let line = &rushed.delivery.expect("a delivery").lines[0];
    assert_eq!(line.no_pause_after, [8]);
    assert!(rushed.findings.iter().any(|f| f.kind == FindingKind::NoPause && f.script_index == Some(8)));

    let paused = measured(script, ". . . . . . . . . h", lively, steady);
    assert!(paused.delivery.expect("a delivery").lines[0].no_pause_after.is_empty());
}

#[test]
fn a_yes_or_no_question_should_rise_and_a_question_word_lets_it_fall() {
    let script = "is the long road over the hill done at last?";
    let last = 9;
    let falling =
        measured(script, "", |k, x| if k == last { 150.0 - 40.0 * x } else { 140.0 + 10.0 * (k % 3) as f64 }, steady);
    assert_eq!(falling.delivery.expect("a delivery").lines[0].no_rise_at, [last]);
    assert!(falling.findings.iter().any(|f| f.kind == FindingKind::NoRise));

    let rising =
        measured(script, "", |k, x| if k == last { 150.0 + 100.0 * x } else { 140.0 + 10.0 * (k % 3) as f64 }, steady);
    assert!(rising.delivery.expect("a delivery").lines[0].no_rise_at.is_empty());

    let asking = "and where is the long road over the hill now?";
    let wh =
        measured(asking, "", |k, x| if k == last { 150.0 - 40.0 * x } else { 140.0 + 10.0 * (k % 3) as f64 }, steady);
    assert!(wh.delivery.expect("a delivery").lines[0].no_rise_at.is_empty());
}

#[test]
fn each_said_word_carries_its_pitch_and_loudness_and_a_skipped_one_none() {
    let report = measured("one two three four", ". x . .", |_, _| 200.0, steady);
    let word = &report.words[0];
    assert!(word.f0_hz.is_some_and(|f| (f - 200.0).abs() < 3.0), "{word:?}");
    assert!(word.loudness_db.is_some_and(|l| l > -30.0 && l < 0.0), "{word:?}");
    let skipped = report.words.iter().find(|w| w.script_index == Some(1)).expect("the skipped word");
    assert_eq!((skipped.f0_hz, skipped.loudness_db), (None, None));
}

#[test]
fn silence_says_what_it_can_and_judges_nothing() {
    let (mut report, script) = take("the night was long. we walked on. did it end?", "");
    let before = report.findings.clone();
    let silence = Audio { samples: vec![0.0; 16_000 * 8] };
    measure(&silence, &script, &mut report);
    let delivery = report.delivery.expect("words were reported, so there is a delivery");
    assert_eq!((delivery.f0_median_hz, delivery.pitch_range_st, delivery.flat), (None, None, false));
    assert!(delivery.contour.loudness_db.iter().all(|&l| l == Contour::FLOOR_DB));
    assert_eq!(report.findings, before, "no finding from silence");
}

#[test]
fn a_take_with_no_speech_has_no_delivery() {
    let (mut report, script) = take("one two three", "x x x");
    measure(&Audio { samples: vec![0.0; 16_000] }, &script, &mut report);
    assert_eq!(report.delivery, None);
}

#[test]
fn a_clipped_voice_still_has_its_pitch() {
    let (mut report, script) = take(THREE_LINES, "");
    let mut audio = voice(&report, |_, _| 180.0, |_, _| 8.0);
    for s in &mut audio.samples {
        *s = s.clamp(-1.0, 1.0);
    }
    measure(&audio, &script, &mut report);
    let f0 = report.delivery.expect("a delivery").f0_median_hz.expect("voiced");
    assert!((f0 - 180.0).abs() < 3.0, "{f0}");
}

#[test]
fn a_long_take_keeps_its_contour_within_bounds() {
    // Sixteen minutes of silence: past 15 minutes the hop doubles.
    let audio = Audio { samples: vec![0.0; 16_000 * 60 * 16] };
    let contour = crate::contour(&audio);
    assert_eq!(contour.hop, 0.02);
    assert!(contour.f0_hz.len() <= Contour::MAX_FRAMES && contour.f0_hz.len() == contour.loudness_db.len());
}

#[test]
fn a_line_said_twice_as_fast_as_the_others_is_rushed() {
    let script = format!("{THREE_LINES}\na b c d e f g h");
    let (mut report, script) = take(&script, "");
    // Line 2 at twice the pace.
    let line_two: Vec<usize> = (0..report.words.len()).filter(|&i| report.words[i].line == Some(2)).collect();
    let start = report.words[line_two[0]].start.unwrap();
    for (k, &i) in line_two.iter().enumerate() {
        report.words[i].start = Some(start + 0.2 * k as f64);
        report.words[i].end = Some(start + 0.2 * k as f64 + 0.15);
    }
    report.lines[1].end = report.words[*line_two.last().unwrap()].end;
    report.lines[1].wpm = Some(8.0 / (report.lines[1].end.unwrap() - start) * 60.0);
    for line in [0, 2, 3] {
        let pace = &mut report.lines[line];
        pace.wpm = Some(8.0 / (pace.end.unwrap() - pace.start.unwrap()) * 60.0);
    }
    let audio = voice(&report, lively, steady);
    measure(&audio, &script, &mut report);
    let delivery = report.delivery.expect("a delivery");
    let rushed: Vec<usize> = delivery.lines.iter().filter(|l| l.rushing).map(|l| l.line).collect();
    assert_eq!(rushed, [2]);
    assert!(delivery.lines.iter().all(|l| !l.dragging), "{:?}", delivery.lines);
    let pace = report.findings.iter().find(|f| f.kind == FindingKind::Pace).expect("a pace finding");
    assert_eq!(pace.line, Some(2));
    assert!(
        pace.message.starts_with("line 2 was ") && pace.message.ends_with("% faster than your usual pace"),
        "{}",
        pace.message
    );
}

#[test]
fn a_whisper_has_loudness_but_no_pitch_and_no_finding_from_pitch() {
    let (mut report, script) = take("is the night long? we walked on and did not speak of it.", "");
    // Breath noise at the words' times, no voice.
    let mut audio = voice(&report, |_, _| 150.0, |_, _| 0.0);
    let mut seed = 7u32;
    for word in report.words.iter() {
        let (start, end) = (word.start.unwrap(), word.end.unwrap());
        for s in &mut audio.samples[(start * 16_000.0) as usize..(end * 16_000.0) as usize] {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            *s = 0.1 * ((seed >> 8) as f32 / (1 << 24) as f32 - 0.5);
        }
    }
    measure(&audio, &script, &mut report);
    let delivery = report.delivery.expect("a delivery");
    assert_eq!((delivery.f0_median_hz, delivery.flat), (None, false));
    assert!(delivery.loudness_db.is_some_and(|db| db > -50.0), "{delivery:?}");
    assert!(report.findings.iter().all(|f| f.kind == FindingKind::Pace), "{:?}", report.findings);
}
