//! Voice activity on real speech: phrases in an old, noisy broadcast recording, and the exact
//! onset of synthetic speech after silence.

mod common;

use common::*;
use encore_audio::{Audio, decode_file, voice_activity};

#[test]
fn finds_the_phrases_of_jfk() {
    // "And so, my fellow Americans, | ask | not ..." with pauses of 0.3 to 1.2 s between.
    let audio = decode_file(&fixture("jfk_ref_16k_mono.wav"), &mut no_progress()).unwrap();
    let spans = voice_activity(&audio);
    assert!(spans.len() >= 3, "{spans:?}");
    // The phrase starts at about 0.3 s and ends at about 2.0 s; the long pause after it is
    // not speech.
    assert!((spans[0].start - 0.3).abs() < 0.1, "{spans:?}");
    assert!(spans[0].end > 1.9 && spans[0].end < 2.3, "{spans:?}");
    assert!(spans.iter().all(|s| s.end <= 2.4 || s.start >= 3.0), "{spans:?}");
    assert!(spans.iter().any(|s| s.start > 3.0 && s.start < 3.4), "{spans:?}");
}

#[test]
fn spans_survive_format_conversion() {
    let reference = voice_activity(&decode_file(&fixture("jfk_ref_16k_mono.wav"), &mut no_progress()).unwrap());
    let mp3 = voice_activity(&decode_file(&fixture("jfk_44k_stereo.mp3"), &mut no_progress()).unwrap());
    // The MP3 holds the first 3 s only.
    assert!(!mp3.is_empty());
    assert!((mp3[0].start - reference[0].start).abs() < 0.05, "{mp3:?} vs {reference:?}");
    assert!((mp3[0].end - reference[0].end).abs() < 0.05, "{mp3:?} vs {reference:?}");
}

#[test]
fn finds_the_onset_of_speech_after_silence() {
    // 1 s of silence, espeak-ng speech from 1.013 s to 3.76 s, then silence.
    let audio = decode_file(&fixture("silence_espeak_silence.wav"), &mut no_progress()).unwrap();
    let spans = voice_activity(&audio);
    assert!(!spans.is_empty());
    assert!((spans[0].start - 1.013).abs() < 0.1, "{spans:?}");
    let last = spans.last().unwrap();
    assert!((last.end - 3.76).abs() < 0.15, "{spans:?}");
}

#[test]
fn the_same_speech_under_noise() {
    let clean = decode_file(&fixture("jfk_ref_16k_mono.wav"), &mut no_progress()).unwrap();
    let hiss = noise(clean.samples.len(), 0.02, 11);
    let noisy = Audio { samples: clean.samples.iter().zip(&hiss).map(|(s, n)| s + n).collect() };
    let a = voice_activity(&clean);
    let b = voice_activity(&noisy);
    assert!(!b.is_empty());
    assert!((a[0].start - b[0].start).abs() < 0.1, "{a:?} vs {b:?}");
}

#[test]
fn nothing_in_silence_or_noise() {
    assert!(voice_activity(&Audio { samples: vec![0.0; 80_000] }).is_empty());
    assert!(voice_activity(&Audio { samples: noise(80_000, 0.1, 5) }).is_empty());
}
