//! Progress on stderr: a bar on a terminal, nothing when stderr is a file or a pipe, so that
//! logs and JSON output stay clean.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

pub fn on_terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// A bar counting seconds of audio; hidden when stderr is not a terminal.
pub fn seconds_bar(message: &str, total_seconds: f64) -> ProgressBar {
    if !on_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new((total_seconds * 10.0).round() as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {percent}% ({eta} left)")
            .expect("the template is valid")
            .progress_chars("=> "),
    );
    bar.set_message(message.to_string());
    bar
}

/// A message for the user about long work (the model install); always shown, on stderr.
pub fn say(message: &str) {
    eprintln!("encore: {message}");
}
