//! Decoding real files: every supported format gives the same speech, at the right length,
//! and every kind of bad input gives the right error with the file named in it.

mod common;

use std::fs;

use common::*;
use encore_audio::{Audio, AudioError, SAMPLE_RATE, decode_bytes, decode_file};

/// The first 3 s of the reference recording, which every format fixture was made from.
fn reference() -> Audio {
    let full = decode_file(&fixture("jfk_ref_16k_mono.wav"), &mut no_progress()).unwrap();
    Audio { samples: full.samples[..3 * SAMPLE_RATE as usize].to_vec() }
}

fn check_format(file: &str, max_lag: f64) {
    let audio = decode_file(&fixture(file), &mut no_progress()).unwrap_or_else(|e| panic!("{file}: {e}"));
    let reference = reference();
    assert!((audio.duration() - 3.0).abs() <= 0.05, "{file}: duration {} s instead of 3 s", audio.duration());
    assert!(audio.samples.iter().all(|s| (-1.0..=1.0).contains(s)), "{file}: out of range");
    let (corr, lag) = envelope_match(&audio, &reference);
    eprintln!("{file}: {:.4} s, envelope correlation {corr:.4} at lag {lag} s", audio.duration());
    assert!(corr > 0.95, "{file}: envelope correlation {corr:.3} at lag {lag} s");
    assert!(lag.abs() <= max_lag, "{file}: shifted by {lag} s");
    // Mixing the identical channels of a stereo file must not change the level.
    let rms = |a: &Audio| (a.samples.iter().map(|s| s * s).sum::<f32>() / a.samples.len() as f32).sqrt();
    let ratio = rms(&audio) / rms(&reference);
    assert!((0.85..1.15).contains(&ratio), "{file}: level ratio {ratio}");
}

#[test]
fn wav_16_bit_stereo_44k() {
    check_format("jfk_44k_stereo_s16.wav", 0.002);
}

#[test]
fn wav_24_bit_22k() {
    check_format("jfk_22k_mono_s24.wav", 0.002);
}

#[test]
fn wav_float_11k() {
    check_format("jfk_11k_mono_f32.wav", 0.002);
}

#[test]
fn wav_8_bit_8k() {
    check_format("jfk_8k_mono_u8.wav", 0.002);
}

#[test]
fn wav_32_bit_8k() {
    check_format("jfk_8k_mono_s32.wav", 0.002);
}

#[test]
fn flac() {
    check_format("jfk_44k_stereo.flac", 0.002);
}

#[test]
fn mp3() {
    check_format("jfk_44k_stereo.mp3", 0.002);
}

#[test]
fn ogg_vorbis() {
    check_format("jfk_44k_stereo.ogg", 0.002);
}

#[test]
fn m4a_aac() {
    // The encoder's 1024 priming samples (23 ms) are dropped as the edit list says, so the
    // speech is where it was in the source, not 23 ms late.
    check_format("jfk_44k_stereo.m4a", 0.002);
}

#[test]
fn sixteen_khz_mono_is_passed_through_exactly() {
    let audio = decode_file(&fixture("jfk_ref_16k_mono.wav"), &mut no_progress()).unwrap();
    assert_eq!(audio.samples.len(), 72_000);
    let bytes = fs::read(fixture("jfk_ref_16k_mono.wav")).unwrap();
    let first = i16::from_le_bytes([bytes[44 + 2000], bytes[45 + 2000]]);
    assert_eq!(audio.samples[1000], f32::from(first) / 32_768.0);
}

#[test]
fn bytes_decode_like_files_and_progress_is_reported() {
    let path = fixture("jfk_44k_stereo.flac");
    let mut seen = Vec::new();
    let from_file = decode_file(&path, &mut |f| seen.push(f)).unwrap();
    assert!(seen.len() >= 3, "progress: {seen:?}");
    assert_eq!(seen.last(), Some(&1.0));
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "progress not monotonic: {seen:?}");
    assert!(seen.iter().all(|f| (0.0..=1.0).contains(f)));

    let mut seen = Vec::new();
    let from_bytes = decode_bytes(fs::read(&path).unwrap(), "upload.flac", &mut |f| seen.push(f)).unwrap();
    assert_eq!(from_file.samples, from_bytes.samples);
    assert_eq!(seen.last(), Some(&1.0));
    // The extension is only a hint: a misnamed upload still decodes.
    let misnamed = decode_bytes(fs::read(&path).unwrap(), "take.mp3", &mut no_progress()).unwrap();
    assert_eq!(misnamed.samples.len(), from_file.samples.len());
}

#[test]
fn stereo_channels_are_averaged() {
    // Left: a 300 Hz tone; right: a 500 Hz tone at another level, both in bursts so that the
    // take is not rejected as having no voice. At 16 kHz nothing is resampled, so the mono
    // samples must be exactly the average.
    let n = 32_000;
    let burst = |i: usize| {
        if (i / 4_000) & 1 == 0 { 1.0 } else { 0.0 }
    };
    let tone = |i: usize, f: f32, a: f32| burst(i) * a * (i as f32 * f * std::f32::consts::TAU / 16_000.0).sin();
    let left: Vec<f32> = (0..n).map(|i| tone(i, 300.0, 0.5)).collect();
    let right: Vec<f32> = (0..n).map(|i| tone(i, 500.0, 0.2)).collect();
    let interleaved: Vec<f32> = left.iter().zip(&right).flat_map(|(l, r)| [*l, *r]).collect();
    let audio = decode_bytes(wav_bytes(2, 16_000, &interleaved), "stereo.wav", &mut no_progress()).unwrap();
    assert_eq!(audio.samples.len(), n);
    for i in (0..n).step_by(97) {
        let want = (left[i] + right[i]) / 2.0;
        assert!((audio.samples[i] - want).abs() < 1e-4, "sample {i}: {} vs {want}", audio.samples[i]);
    }
}

fn message_of(result: Result<Audio, AudioError>) -> (AudioError, String) {
    let e = result.expect_err("expected an error");
    let msg = e.to_string();
    (e, msg)
}

#[test]
fn missing_file() {
    let (e, msg) = message_of(decode_file("/no/such/dir/take.wav".as_ref(), &mut no_progress()));
    assert!(matches!(e, AudioError::NotFound { .. }), "{e:?}");
    assert!(msg.contains("/no/such/dir/take.wav"), "{msg}");
}

#[test]
fn a_folder_is_not_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let (e, msg) = message_of(decode_file(dir.path(), &mut no_progress()));
    assert!(matches!(e, AudioError::Io { .. }), "{e:?}");
    assert!(msg.contains(&dir.path().display().to_string()), "{msg}");
}

#[test]
fn empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty take.wav");
    fs::write(&path, b"").unwrap();
    let (e, msg) = message_of(decode_file(&path, &mut no_progress()));
    assert!(matches!(e, AudioError::Empty { .. }), "{e:?}");
    assert!(msg.contains("empty take.wav") && msg.contains("empty"), "{msg}");
    let (e, msg) = message_of(decode_bytes(Vec::new(), "upload.webm", &mut no_progress()));
    assert!(matches!(e, AudioError::Empty { .. }), "{e:?}");
    assert!(msg.contains("upload.webm"), "{msg}");
}

#[test]
fn random_bytes_are_not_audio() {
    for name in ["noise.bin", "noise.wav", "noise.mp3", "noise"] {
        let (e, msg) = message_of(decode_bytes(random_bytes(20_000, 7), name, &mut no_progress()));
        assert!(matches!(e, AudioError::NotAudio { .. }), "{name}: {e:?}");
        assert!(msg.contains(name), "{msg}");
    }
}

#[test]
fn text_is_not_audio() {
    let text = "INT. KITCHEN - NIGHT\n\nHAMLET: To be, or not to be, that is the question.\n".repeat(20);
    for name in ["script.txt", "take.wav"] {
        let (e, msg) = message_of(decode_bytes(text.clone().into_bytes(), name, &mut no_progress()));
        assert!(matches!(e, AudioError::NotAudio { .. }), "{name}: {e:?}");
        assert!(msg.contains(name) && msg.contains("WAV"), "{msg}");
    }
}

#[test]
fn midi_is_not_audio() {
    // A MIDI file holds notes, not sound.
    let mut midi = b"MThd\0\0\0\x06\0\x01\0\x01\x01\xe0MTrk\0\0\0\x0b".to_vec();
    midi.extend_from_slice(b"\x00\x90\x3c\x40\x60\x80\x3c\x40\x00\xff\x2f\x00");
    let (e, msg) = message_of(decode_bytes(midi, "song.mid", &mut no_progress()));
    assert!(matches!(e, AudioError::NotAudio { .. }), "{e:?}");
    assert!(msg.contains("song.mid"), "{msg}");
}

#[test]
fn a_header_claiming_one_hertz_is_refused_without_filling_memory() {
    // Ten seconds of samples that, at the 1 Hz the header claims, would be 44 hours of audio:
    // resampled to 16 kHz that is 10 GB.
    let samples: Vec<f32> = (0..160_000).map(|i| (i as f32 / 5.0).sin() * 0.25).collect();
    let (e, msg) = message_of(decode_bytes(common::wav_bytes(1, 1, &samples), "slow.wav", &mut no_progress()));
    assert!(matches!(e, AudioError::ImplausibleRate { rate: 1, .. }), "{e:?}");
    assert!(msg.contains("slow.wav") && msg.contains("1 Hz"), "{msg}");
}

#[test]
fn wav_cut_after_the_header_is_truncated() {
    let full = fs::read(fixture("jfk_44k_stereo_s16.wav")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for keep in [44, 44 + 6, 44 + 2000] {
        let path = dir.path().join("cut.wav");
        fs::write(&path, &full[..keep]).unwrap();
        let (e, msg) = message_of(decode_file(&path, &mut no_progress()));
        assert!(matches!(e, AudioError::Truncated { .. }), "{keep} bytes: {e:?}");
        assert!(msg.contains("cut.wav") && msg.contains("ends after"), "{msg}");
    }
    // Cut inside the header itself.
    let (e, msg) = message_of(decode_bytes(full[..30].to_vec(), "stub.wav", &mut no_progress()));
    assert!(matches!(e, AudioError::Truncated { .. } | AudioError::Corrupt { .. }), "{e:?}");
    assert!(msg.contains("stub.wav"), "{msg}");
}

#[test]
fn wav_with_a_corrupt_tail_keeps_the_good_part() {
    let full = fs::read(fixture("jfk_44k_stereo_s16.wav")).unwrap();
    let half = 44 + 44_100 * 4 * 3 / 2; // 1.5 s of 3
    let audio = decode_bytes(full[..half].to_vec(), "half.wav", &mut no_progress()).unwrap();
    assert!((audio.duration() - 1.5).abs() < 0.05, "{}", audio.duration());
}

#[test]
fn compressed_files_cut_short() {
    for (file, keep) in [
        ("jfk_44k_stereo.m4a", 0.5),
        ("jfk_44k_stereo.flac", 0.5),
        ("jfk_44k_stereo.mp3", 0.5),
        ("jfk_44k_stereo.ogg", 0.5),
        ("jfk_44k_stereo.m4a", 0.02),
        ("jfk_44k_stereo.flac", 0.02),
    ] {
        let bytes = fs::read(fixture(file)).unwrap();
        let cut = bytes[..(bytes.len() as f64 * keep) as usize].to_vec();
        let result = decode_bytes(cut, file, &mut no_progress());
        eprintln!("{file} cut to {keep}: {:?}", result.as_ref().map(|a| a.duration()));
        match result {
            // Keeping what decoded before the cut is fine...
            Ok(audio) => assert!(audio.duration() > 0.5 && audio.duration() < 3.0, "{file}: {}", audio.duration()),
            // ...and so is saying the file is cut, as long as it is the right kind of error.
            Err(e) => {
                assert!(
                    matches!(e, AudioError::Truncated { .. } | AudioError::Corrupt { .. }),
                    "{file} at {keep}: {e:?}"
                );
                assert!(e.to_string().contains(file), "{e}");
            }
        }
    }
}

#[test]
fn digital_silence_is_silent() {
    let (e, msg) = message_of(decode_bytes(wav_bytes(1, 44_100, &vec![0.0; 88_200]), "quiet.wav", &mut no_progress()));
    assert!(matches!(e, AudioError::Silent { .. }), "{e:?}");
    assert!(msg.contains("quiet.wav") && msg.contains("silent") && msg.contains("microphone"), "{msg}");
}

#[test]
fn near_silence_and_steady_hiss_are_silent() {
    for (amp, name) in [(0.0005, "hiss-70dB.wav"), (0.02, "hiss-34dB.wav")] {
        let (e, _) = message_of(decode_bytes(wav_bytes(1, 16_000, &noise(48_000, amp, 3)), name, &mut no_progress()));
        assert!(matches!(e, AudioError::Silent { .. }), "{name}: {e:?}");
    }
}

#[test]
fn a_blip_is_too_short() {
    let blip: Vec<f32> = (0..400).map(|i| 0.5 * (i as f32 * 0.2).sin()).collect(); // 25 ms
    let (e, msg) = message_of(decode_bytes(wav_bytes(1, 16_000, &blip), "blip.wav", &mut no_progress()));
    assert!(matches!(e, AudioError::TooShort { .. }), "{e:?}");
    assert!(msg.contains("blip.wav"), "{msg}");
}

#[test]
fn opus_is_an_unsupported_codec() {
    let (e, msg) = message_of(decode_file(&fixture("jfk_opus.ogg"), &mut no_progress()));
    assert!(matches!(e, AudioError::UnsupportedCodec { .. }), "{e:?}");
    assert!(msg.contains("jfk_opus.ogg") && msg.contains("Opus"), "{msg}");
}

#[test]
fn wav_with_an_exotic_format_tag_is_an_unsupported_codec() {
    let mut bytes = fs::read(fixture("jfk_44k_stereo_s16.wav")).unwrap();
    bytes[20..22].copy_from_slice(&0x0055u16.to_le_bytes()); // MP3 inside WAV
    let (e, msg) = message_of(decode_bytes(bytes.clone(), "mp3.wav", &mut no_progress()));
    assert!(matches!(e, AudioError::UnsupportedCodec { .. }), "{e:?}");
    assert!(msg.contains("mp3.wav") && msg.contains("MP3 inside WAV"), "{msg}");
    bytes[20..22].copy_from_slice(&0x7777u16.to_le_bytes());
    let (e, msg) = message_of(decode_bytes(bytes, "odd.wav", &mut no_progress()));
    assert!(matches!(e, AudioError::UnsupportedCodec { .. }), "{e:?}");
    assert!(msg.contains("odd.wav") && msg.contains("0x7777"), "{msg}");
}

/// Found by the fuzz target `audio_decode`: a float WAV holding NaN, infinite or absurdly loud
/// samples (damage, not sound) made the resampler panic. NaN is read as silence, the rest as
/// full scale, and the take decodes.
#[test]
fn a_float_wav_with_nan_and_infinite_samples_decodes() {
    let rate = 11_025u32;
    // A tone in bursts, so that there is a voice to find.
    let burst = |i: usize| if (i / 2_756).is_multiple_of(2) { 0.5 } else { 0.0 };
    let mut samples: Vec<f32> = (0..rate as usize).map(|i| burst(i) * (i as f32 / 7.0).sin()).collect();
    for (at, damage) in [(100, f32::NAN), (2_000, f32::INFINITY), (4_000, f32::NEG_INFINITY), (6_000, 3e38)] {
        samples[at..at + 50].fill(damage);
    }
    let data = (samples.len() * 4) as u32;
    let mut wav = Vec::new();
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&3u16.to_le_bytes()); // IEEE float
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&rate.to_le_bytes());
    wav.extend_from_slice(&(rate * 4).to_le_bytes());
    wav.extend_from_slice(&4u16.to_le_bytes());
    wav.extend_from_slice(&32u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data.to_le_bytes());
    wav.extend(samples.iter().flat_map(|s| s.to_le_bytes()));
    let audio = decode_bytes(wav, "damaged.wav", &mut no_progress()).unwrap();
    assert!((audio.duration() - 1.0).abs() < 0.01, "{}", audio.duration());
    assert!(audio.samples.iter().all(|s| (-1.0..=1.0).contains(s)));
}
