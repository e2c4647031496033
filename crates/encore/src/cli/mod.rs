//! The command line: arguments, and one module per command.

mod analyze;
mod args;
mod model;
mod progress;
mod transcribe;

pub use args::Args;
use args::Command;

pub fn run(args: Args) -> anyhow::Result<()> {
    if let Some(threads) = args.threads {
        model::use_threads(threads);
    }
    match args.command {
        Command::Analyze(command) => analyze::run(&command, args.model.as_deref()),
        Command::Transcribe(command) => transcribe::run(&command, args.model.as_deref()),
        Command::Model(command) => model::run(&command, args.model.as_deref()),
    }
}
