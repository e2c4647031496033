//! The command line: arguments, and one module per command (or family of commands). Each
//! command parses what it needs, calls the rehearsal layer (`encore-rehearsal`) and prints the
//! answer; none of them keeps, judges or looks back on takes itself.

mod analyze;
mod args;
mod club;
mod drills;
mod export;
mod format;
mod looking_back;
mod model;
mod pieces;
mod progress;
mod queue;
mod takes;
mod transcribe;

pub use args::Args;
use args::Command;
use encore_rehearsal::{Settings, SpeechModel};

/// A take's report on stdout: as JSON, or as the script with every verdict marked, followed by
/// `after` (a line on how the take stands) when there is one.
fn print_report(
    report: &encore_take::TakeReport,
    script: &encore_script::Script,
    json: bool,
    after: Option<&str>,
) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer(&mut out, report)?;
        writeln!(out)?;
    } else {
        let colour = crate::report::terminal::colour_on_stdout();
        out.write_all(crate::report::terminal::render(report, script, colour).as_bytes())?;
        if let Some(after) = after {
            writeln!(out)?;
            writeln!(out, "{after}")?;
        }
    }
    out.flush()?;
    Ok(())
}

/// `--profile`: the seconds each of `stages` took, with loading the model, decoding the audio
/// and the whole command since `started`, as one `profile: {json}` line on stderr.
fn print_profile(
    stages: &impl serde::Serialize,
    load_model: f64,
    decode_audio: f64,
    started: std::time::Instant,
) -> anyhow::Result<()> {
    let mut profile = serde_json::to_value(stages)?;
    profile["load_model"] = load_model.into();
    profile["decode_audio"] = decode_audio.into();
    profile["total"] = started.elapsed().as_secs_f64().into();
    eprintln!("profile: {profile}");
    Ok(())
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let settings = Settings {
        data: args.data,
        database: args.database,
        model: SpeechModel::new(args.model.as_deref(), args.threads)
            .with_second_listener(args.second_listener.as_deref()),
    };
    match args.command {
        Command::Piece(command) => pieces::run(&command, &settings),
        Command::Take(command) => takes::run_take(&command, &settings),
        Command::History { piece, json } => looking_back::run_history(&piece, json, &settings),
        Command::Compare { before, after } => looking_back::run_compare(before, after, &settings),
        Command::Trouble { piece } => looking_back::run_trouble(&piece, &settings),
        Command::Drill(command) => drills::run(&command, &settings),
        Command::Export(command) => export::run(&command, &settings),
        Command::Reanalyze(command) => takes::run_reanalyze(&command, &settings),
        Command::Worker(command) => queue::run_worker(&command, &settings),
        Command::Queue(command) => queue::run_queue(&command, &settings),
        Command::User(command) => club::run_user(&command, &settings),
        Command::Group(command) => club::run_group(&command, &settings),
        Command::Assign { piece, group, due } => club::run_assign(&piece, &group, due.as_deref(), &settings),
        Command::Analyze(command) => analyze::run(&command, &settings.model),
        Command::Transcribe(command) => transcribe::run(&command, &settings.model),
        Command::Model(command) => model::run(&command, &settings.model),
        Command::Stage(command) => crate::stage::run(&command, &settings),
    }
}

/// The answer to `--video`: the pose model runs in the stage's page (a browser's WebAssembly
/// reads the frames), so a filmed take's movement is read there; nothing is done here, so
/// nothing is half done.
pub(crate) fn refuse_video(video: Option<&std::path::Path>, piece: Option<&str>) -> anyhow::Result<()> {
    let Some(video) = video else { return Ok(()) };
    let room = piece.map_or("a piece's rehearsal room".to_string(), |piece| format!("the rehearsal room of '{piece}'"));
    anyhow::bail!(
        "how a take looked is read in the stage's page, where the pose model runs, not from the command line: \
         run `encore stage`, open {room} and upload {} there (the report then says how you moved); \
         or give the video as the recording, without --video, to hear its words alone",
        video.display()
    )
}
