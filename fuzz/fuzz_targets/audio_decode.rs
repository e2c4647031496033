//! Any bytes under any name a performer's file might have: the decoder gives audio or an
//! `AudioError` naming the file, never a panic, a hang or unbounded memory (`bench/fuzz` runs
//! it with `-rss_limit_mb=2048 -timeout=20`). The first byte picks the claimed extension, a
//! hint the probe follows, so every format is tried under every other's name.

#![no_main]

use libfuzzer_sys::fuzz_target;

/// The names an upload or a command line may give: each known extension, an unknown one, none.
const NAMES: [&str; 8] =
    ["take.wav", "take.flac", "take.mp3", "take.ogg", "take.m4a", "take.aac", "take.audio", "take"];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else { return };
    let name = NAMES[usize::from(pick) % NAMES.len()];
    let mut progress = |done: f64| assert!((0.0..=1.0).contains(&done), "progress {done} is not a fraction");
    match encore_audio::decode_bytes(bytes.to_vec(), name, &mut progress) {
        Ok(audio) => {
            assert!(audio.duration() >= 0.1, "audio of {} s is too short to have been accepted", audio.duration());
            assert!(audio.samples.iter().all(|s| (-1.0..=1.0).contains(s)), "samples out of [-1, 1]");
        }
        Err(error) => {
            let message = error.to_string();
            assert!(message.contains(name), "the message does not name the file: {message}");
        }
    }
});
