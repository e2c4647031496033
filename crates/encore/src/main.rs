//! The `encore` command: parse the arguments, run the command, turn errors into messages and
//! exit codes. The commands are in `cli/`, the web stage in `stage/`, the renderings of a take
//! in `report/` (all in the library, `lib.rs`); what they do for a performer is in
//! `encore-rehearsal`.

use std::process::ExitCode;

use clap::Parser;
use encore::cli;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // A closed pipe (`encore transcribe x | head`) is not a failure.
            if error.chain().any(|cause| {
                cause.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {error}");
            for cause in error.chain().skip(1) {
                eprintln!("  because: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}
