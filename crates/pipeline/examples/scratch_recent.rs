use std::time::Instant;
fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let audio = encore_audio::decode_file(args[0].as_ref(), &mut |_| {})?;
    let r = encore_listen::Recogniser::load(&encore_listen::default_model_dir())?;
    for secs in [2.0f64, 4.0, 6.0, 10.0] {
        let a = encore_audio::Audio::from_samples(audio.samples[..(14.0*16000.0) as usize].to_vec(), 16000);
        for _ in 0..2 {
            let c = Instant::now();
            let w = r.hear_recent(&a, a.duration() - secs, "")?;
            let t: Vec<_> = w.iter().map(|w| format!("{}@{:.2}", w.text, w.end)).collect();
            println!("{secs} s: {:.3} s  {}", c.elapsed().as_secs_f64(), t.join(" "));
        }
    }
    Ok(())
}
