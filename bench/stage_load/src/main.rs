//! `stage-load`: the stage under load, measured on this machine over loopback, against the real
//! binary and model. Four parts, each bounded in count and time:
//!
//! - `uploads`: ten uploads of the JFK recording at once; the analyses queue (one heard at a
//!   time, `--max-waiting` waiting) and the rest are told to come back (503);
//! - `sockets`: twenty takes recorded at once over the WebSocket, each streamed in real time;
//!   the prompter may slow, but every take must be kept and reported;
//! - `soak`: takes recorded one after another for `--soak-minutes`; the stage's resident
//!   memory is sampled after each and must stay flat;
//! - `bodies`: an upload whose body stops coming, and one that announces more than the limit:
//!   both refused without reading them whole.
//!
//! Prints each part's figures as a Markdown table (bench/README.md keeps today's).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};
use tungstenite::Message;

const SCRIPT: &str =
    "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country.";

fn main() -> anyhow::Result<()> {
    let options = Options::parse()?;
    let audio = encore_audio::decode_file(&options.recording, &mut |_| {})?;
    let pcm: Vec<i16> = audio.samples.iter().map(|&s| (s * 32_767.0).round() as i16).collect();
    let wav = std::fs::read(&options.recording)?;
    for part in &options.parts {
        let data = tempfile::tempdir()?;
        let stage = Stage::start(&options.encore, data.path())?;
        let piece = stage.piece()?;
        match part.as_str() {
            "uploads" => uploads(&stage, piece, &wav)?,
            "sockets" => sockets(&stage, piece, &pcm)?,
            "soak" => soak(&stage, piece, &pcm, options.soak_minutes)?,
            "bodies" => bodies(&stage, piece)?,
            other => bail!("no part called {other}: choose from uploads, sockets, soak, bodies"),
        }
    }
    Ok(())
}

struct Options {
    encore: PathBuf,
    recording: PathBuf,
    soak_minutes: f64,
    parts: Vec<String>,
}

impl Options {
    fn parse() -> anyhow::Result<Options> {
        let mut options = Options {
            encore: PathBuf::from("target/release/encore"),
            recording: PathBuf::from("tests/corpus/audio/jfk_inaugural_1961.wav"),
            soak_minutes: 30.0,
            parts: ["uploads", "sockets", "soak", "bodies"].map(String::from).to_vec(),
        };
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            let value = args.next().with_context(|| format!("{flag} needs a value"))?;
            match flag.as_str() {
                "--encore" => options.encore = value.into(),
                "--recording" => options.recording = value.into(),
                "--soak-minutes" => options.soak_minutes = value.parse()?,
                "--parts" => options.parts = value.split(',').map(String::from).collect(),
                _ => bail!("unknown option {flag}; options: --encore, --recording, --soak-minutes, --parts"),
            }
        }
        Ok(options)
    }
}

/// `encore stage` on a fresh data directory.
struct Stage {
    child: Child,
    base: String,
}

impl Stage {
    fn start(encore: &Path, data: &Path) -> anyhow::Result<Stage> {
        let mut child = Command::new(encore)
            .args(["stage", "--port", "0", "--data"])
            .arg(data)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {}", encore.display()))?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().context("the stage's stdout")?).read_line(&mut line)?;
        let base = line.trim().strip_prefix("Encore stage: ").context("the stage's first line")?.trim_end_matches('/');
        let stage = Stage { base: base.to_string(), child };
        // The model loads on first use: load it now, so that no part pays for it.
        agent().post(&stage.url("/api/model")).send_empty()?;
        Ok(stage)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn piece(&self) -> anyhow::Result<i64> {
        let body = json!({"title": "Ask not", "script": SCRIPT}).to_string();
        let mut response =
            agent().post(&self.url("/api/pieces")).header("Content-Type", "application/json").send(body)?;
        let piece: Value = serde_json::from_str(&response.body_mut().read_to_string()?)?;
        piece["id"].as_i64().context("the new piece's id")
    }

    fn takes(&self, piece: i64) -> anyhow::Result<usize> {
        let mut response = agent().get(&self.url(&format!("/api/pieces/{piece}"))).call()?;
        let piece: Value = serde_json::from_str(&response.body_mut().read_to_string()?)?;
        Ok(piece["takes"].as_array().map_or(0, Vec::len))
    }

    /// The stage's resident memory and its peak, in MB, from /proc.
    fn memory(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next()?.parse::<f64>().ok())
                .map_or(f64::NAN, |kb| kb / 1024.0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }
}

impl Drop for Stage {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

/// Ten uploads at once: how many were heard, how many told to come back, and how long each took.
fn uploads(stage: &Stage, piece: i64, wav: &[u8]) -> anyhow::Result<()> {
    const AT_ONCE: usize = 10;
    let url = stage.url(&format!("/api/pieces/{piece}/takes"));
    let started = Instant::now();
    let answers: Vec<(u16, f64)> = std::thread::scope(|scope| {
        let sent: Vec<_> = (0..AT_ONCE)
            .map(|n| {
                let url = url.clone();
                scope.spawn(move || {
                    let begun = Instant::now();
                    let status = agent()
                        .post(&url)
                        .header("X-Filename", format!("upload {n}.wav"))
                        .send(wav)
                        .map_or(0, |response| response.status().as_u16());
                    (status, begun.elapsed().as_secs_f64())
                })
            })
            .collect();
        sent.into_iter().map(|upload| upload.join().unwrap_or((0, f64::NAN))).collect()
    });
    let wall = started.elapsed().as_secs_f64();
    let heard: Vec<f64> = answers.iter().filter(|(status, _)| *status == 200).map(|(_, s)| *s).collect();
    let busy = answers.iter().filter(|(status, _)| *status == 503).count();
    let other = answers.len() - heard.len() - busy;
    let (_, peak) = stage.memory();
    println!("\n### uploads: {AT_ONCE} at once\n");
    println!("| heard (200) | busy (503) | other | kept | latency median | latency max | wall | stage peak RSS |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    println!(
        "| {} | {busy} | {other} | {} | {:.1} s | {:.1} s | {wall:.1} s | {peak:.0} MB |",
        heard.len(),
        stage.takes(piece)?,
        quantile(&heard, 0.5),
        quantile(&heard, 1.0)
    );
    Ok(())
}

/// One take streamed in real time over the WebSocket: seconds from the stop to the report (or
/// `None` when an error came), and how many times the prompter moved.
fn record(stage: &Stage, piece: i64, pcm: &[i16]) -> anyhow::Result<(Option<f64>, usize)> {
    let url = stage.url(&format!("/api/pieces/{piece}/record")).replacen("http://", "ws://", 1);
    let (mut socket, _) = tungstenite::connect(url.as_str())?;
    if let tungstenite::stream::MaybeTlsStream::Plain(stream) = socket.get_mut() {
        stream.set_read_timeout(Some(Duration::from_millis(5)))?;
    }
    let mut moves = 0;
    let mut read = |socket: &mut tungstenite::WebSocket<_>| -> anyhow::Result<Option<Value>> {
        loop {
            match socket.read() {
                Ok(Message::Text(text)) => {
                    let message: Value = serde_json::from_str(text.as_str())?;
                    if message["type"] == "follow" && message["moved"] == true {
                        moves += 1;
                    }
                    if message["type"] == "report" || message["type"] == "error" {
                        return Ok(Some(message));
                    }
                }
                Ok(_) => {}
                Err(tungstenite::Error::Io(error))
                    if matches!(error.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) =>
                {
                    return Ok(None);
                }
                Err(error) => return Err(error.into()),
            }
        }
    };
    // 100 ms at a time, as a microphone sends it, then a second of quiet.
    let quiet = vec![0i16; 16_000];
    for chunk in pcm.chunks(1_600).chain(quiet.chunks(1_600)) {
        let bytes: Vec<u8> = chunk.iter().flat_map(|s| s.to_le_bytes()).collect();
        socket.send(Message::Binary(bytes.into()))?;
        std::thread::sleep(Duration::from_millis(100));
        read(&mut socket)?;
    }
    socket.send(Message::Text(json!({"type": "stop"}).to_string().into()))?;
    let stopped = Instant::now();
    let deadline = stopped + Duration::from_secs(600);
    while Instant::now() < deadline {
        if let Some(end) = read(&mut socket)? {
            let took = stopped.elapsed().as_secs_f64();
            return Ok(((end["type"] == "report").then_some(took), moves));
        }
    }
    Ok((None, moves))
}

/// Twenty takes recorded at once: every one must be kept and reported.
fn sockets(stage: &Stage, piece: i64, pcm: &[i16]) -> anyhow::Result<()> {
    const AT_ONCE: usize = 20;
    let started = Instant::now();
    let results: Vec<anyhow::Result<(Option<f64>, usize)>> = std::thread::scope(|scope| {
        let takes: Vec<_> = (0..AT_ONCE).map(|_| scope.spawn(|| record(stage, piece, pcm))).collect();
        takes.into_iter().map(|take| take.join().unwrap_or_else(|_| Err(anyhow::anyhow!("panicked")))).collect()
    });
    let wall = started.elapsed().as_secs_f64();
    let reported: Vec<f64> = results.iter().filter_map(|r| r.as_ref().ok().and_then(|(took, _)| *took)).collect();
    let failed = results.iter().filter(|r| r.is_err()).count();
    let followed = results.iter().filter(|r| r.as_ref().is_ok_and(|(_, moves)| *moves > 0)).count();
    let (_, peak) = stage.memory();
    println!("\n### sockets: {AT_ONCE} takes recorded at once, each 11 s in real time\n");
    println!(
        "| reported | failed | kept | followed live | stop to report median | p90 | max | wall | stage peak RSS |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    println!(
        "| {} | {failed} | {} | {followed} | {:.1} s | {:.1} s | {:.1} s | {wall:.0} s | {peak:.0} MB |",
        reported.len(),
        stage.takes(piece)?,
        quantile(&reported, 0.5),
        quantile(&reported, 0.9),
        quantile(&reported, 1.0)
    );
    Ok(())
}

/// Takes one after another for `minutes`: resident memory after each.
fn soak(stage: &Stage, piece: i64, pcm: &[i16], minutes: f64) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut samples: Vec<(f64, f64)> = Vec::new();
    let mut latencies = Vec::new();
    while started.elapsed().as_secs_f64() < minutes * 60.0 {
        if let (Some(took), _) = record(stage, piece, pcm)? {
            latencies.push(took);
        }
        samples.push((started.elapsed().as_secs_f64(), stage.memory().0));
        // Each take's memory on stderr, for a growth's shape (steps, a slope, a plateau).
        let (at, rss) = samples[samples.len() - 1];
        eprintln!("soak: take {} at {at:.0} s: RSS {rss:.1} MB", samples.len());
    }
    let takes = samples.len();
    // From the end of the first minute (the model and the caches are in by then) to the end.
    let settled = samples.iter().find(|(at, _)| *at >= 60.0).or(samples.first()).map_or(f64::NAN, |s| s.1);
    let last = samples.last().map_or(f64::NAN, |s| s.1);
    let most = samples.iter().map(|s| s.1).fold(f64::NAN, f64::max);
    // One sample swings with where the take's analysis left the heap (±8 % seen): the trend is
    // read from medians over three minutes, after the first and at the end.
    let window = |from: f64, to: f64| {
        let in_window: Vec<f64> = samples.iter().filter(|(at, _)| *at >= from && *at < to).map(|s| s.1).collect();
        quantile(&in_window, 0.5)
    };
    let end = samples.last().map_or(0.0, |s| s.0);
    let (early, late) = (window(60.0, 240.0), window(end - 180.0, end + 1.0));
    println!("\n### soak: takes one after another for {minutes} min\n");
    println!(
        "| takes | reported | RSS after 1 min | RSS at the end | change | median, minutes 1-4 | median, last 3 min | change | highest | stop to report median |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    println!(
        "| {takes} | {} | {settled:.0} MB | {last:.0} MB | {:+.1} % | {early:.0} MB | {late:.0} MB | {:+.1} % | {most:.0} MB | {:.1} s |",
        latencies.len(),
        (last / settled - 1.0) * 100.0,
        (late / early - 1.0) * 100.0,
        quantile(&latencies, 0.5)
    );
    Ok(())
}

/// An upload whose body stops coming, and one announcing more than the limit: how the stage
/// answers each, and how fast.
fn bodies(stage: &Stage, piece: i64) -> anyhow::Result<()> {
    let address = stage.base.trim_start_matches("http://").to_string();
    let path = format!("/api/pieces/{piece}/takes");
    let ask = |length: u64, body: &[u8]| -> anyhow::Result<(String, f64)> {
        let mut stream = TcpStream::connect(&address)?;
        stream.set_read_timeout(Some(Duration::from_secs(120)))?;
        let begun = Instant::now();
        write!(
            stream,
            "POST {path} HTTP/1.1\r\nHost: {address}\r\nX-Filename: take.wav\r\nContent-Length: {length}\r\n\r\n"
        )?;
        stream.write_all(body)?;
        let mut answer = [0u8; 64];
        let read = stream.read(&mut answer)?;
        let status = String::from_utf8_lossy(&answer[..read]).lines().next().unwrap_or("").to_string();
        Ok((status, begun.elapsed().as_secs_f64()))
    };
    let (slow, slow_took) = ask(1_000_000, &[0u8; 1_000])?;
    let (huge, huge_took) = ask(300_000_000, b"")?;
    let (_, peak) = stage.memory();
    println!("\n### bodies: uploads refused without reading them whole\n");
    println!("| upload | answer | after | stage peak RSS |");
    println!("| --- | --- | --- | --- |");
    println!("| 1 MB announced, 1 kB sent, then nothing | {slow} | {slow_took:.1} s | {peak:.0} MB |");
    println!("| 300 MB announced (limit 200 MB), nothing sent | {huge} | {huge_took:.2} s | {peak:.0} MB |");
    Ok(())
}

fn quantile(values: &[f64], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}
