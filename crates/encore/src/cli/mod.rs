//! The command line: arguments, and one module per command.

mod analyze;
mod args;
mod export;
mod looking_back;
pub mod model;
mod pieces;
mod progress;
mod store;
mod takes;
mod transcribe;

pub use args::Args;
use args::Command;

pub fn run(args: Args) -> anyhow::Result<()> {
    if let Some(threads) = args.threads {
        model::use_threads(threads);
    }
    let data = args.data.as_deref();
    let model = args.model.as_deref();
    match args.command {
        Command::Piece(command) => pieces::run(&command, data),
        Command::Take(command) => takes::run_take(&command, data, model),
        Command::History { piece, json } => looking_back::run_history(&piece, json, data),
        Command::Compare { before, after } => looking_back::run_compare(before, after, data),
        Command::Trouble { piece } => looking_back::run_trouble(&piece, data),
        Command::Export(command) => export::run(&command, data),
        Command::Reanalyze(command) => takes::run_reanalyze(&command, data, model),
        Command::Analyze(command) => analyze::run(&command, model),
        Command::Transcribe(command) => transcribe::run(&command, model),
        Command::Model(command) => model::run(&command, model),
        Command::Stage(command) => crate::stage::run(&command, data, model),
    }
}
