//! Prints the pitch and loudness contour of each audio file given, one JSON object per line,
//! with the seconds the contour took on one core: what `bench/delivery_eval.py` measures
//! against Praat.

use std::time::Instant;

fn main() -> anyhow::Result<()> {
    for path in std::env::args().skip(1) {
        let audio = encore_audio::decode_file(std::path::Path::new(&path), &mut |_| {})?;
        let started = Instant::now();
        let contour = encore_delivery::contour(&audio);
        let seconds = started.elapsed().as_secs_f64();
        let line = serde_json::json!({
            "file": path,
            "duration": audio.duration(),
            "seconds": seconds,
            "hop": contour.hop,
            "f0_hz": contour.f0_hz,
            "loudness_db": contour.loudness_db,
        });
        println!("{line}");
    }
    Ok(())
}
