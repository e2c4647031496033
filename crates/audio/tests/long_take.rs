//! A two-hour take must decode in bounded memory (only the 16 kHz mono result is held whole).
//! The input is synthesised into a temporary folder rather than committed: 1.3 GB of WAV.
//!
//! Run with `cargo test -p encore-audio --release --test long_take -- --ignored --nocapture`.

mod common;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::time::Instant;

use common::wav_header;
use encore_audio::{SAMPLE_RATE, decode_file, voice_activity};

const SECONDS: u32 = 2 * 3600;
const RATE: u32 = 44_100;

#[test]
#[ignore = "writes a 1.3 GB file and takes a while; run explicitly"]
fn two_hour_stereo_44k_take() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two hours.wav");
    let started = Instant::now();
    {
        let mut w = BufWriter::with_capacity(1 << 20, File::create(&path).unwrap());
        w.write_all(&wav_header(2, RATE, SECONDS * RATE * 4)).unwrap();
        // One second at a time: a 220 Hz tone (with a harmonic) during even seconds, near
        // silence during odd ones, so voice activity has 3600 bursts to find.
        let mut second = Vec::with_capacity(RATE as usize * 4);
        for s in 0..SECONDS {
            second.clear();
            for i in 0..RATE {
                let t = f64::from(i) / f64::from(RATE);
                let v = if s % 2 == 0 {
                    0.3 * (2.0 * std::f64::consts::PI * 220.0 * t).sin()
                        + 0.1 * (2.0 * std::f64::consts::PI * 660.0 * t).sin()
                } else {
                    0.0005 * (2.0 * std::f64::consts::PI * 1000.0 * t).sin()
                };
                let left = (v * 32_767.0) as i16;
                let right = (v * 0.5 * 32_767.0) as i16;
                second.extend_from_slice(&left.to_le_bytes());
                second.extend_from_slice(&right.to_le_bytes());
            }
            w.write_all(&second).unwrap();
        }
        w.flush().unwrap();
    }
    eprintln!("wrote {:.2} GB in {:.1?}", std::fs::metadata(&path).unwrap().len() as f64 / 1e9, started.elapsed());

    let started = Instant::now();
    let mut reports = Vec::new();
    let audio = decode_file(&path, &mut |f| reports.push(f)).unwrap();
    let decode_time = started.elapsed();
    eprintln!(
        "decoded {:.1} s of audio in {decode_time:.1?} with {} progress reports",
        audio.duration(),
        reports.len()
    );
    assert_eq!(audio.samples.len(), (SECONDS * SAMPLE_RATE) as usize);
    assert!(reports.len() > 50, "{} progress reports", reports.len());
    assert!(reports.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(reports.last(), Some(&1.0));

    let started = Instant::now();
    let spans = voice_activity(&audio);
    eprintln!("voice activity: {} spans in {:.1?}", spans.len(), started.elapsed());
    assert_eq!(spans.len(), (SECONDS / 2) as usize);
    for (k, span) in spans.iter().enumerate().step_by(97) {
        let start = 2.0 * k as f64;
        assert!((span.start - start).abs() < 0.06 && (span.end - start - 1.0).abs() < 0.06, "{span:?}");
    }
}
