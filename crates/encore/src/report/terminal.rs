//! The take report in a terminal: the script line by line with every verdict on it, then the
//! numbers, the voice and the findings. Every mark is readable without colour (`[-whom-]` skipped,
//! `{in->and}` misread, `+um+` an extra word, `(again: ask not)`, `~mon~` a false start, `⏸2.1s`
//! a hesitation), and colour, when the caller allows it, only repeats what the mark says.

use std::fmt::Write;

use encore_script::Script;
use encore_take::{Delivery, TakeReport, TakeWord, Verdict};

use super::{LINE_FLAGS, Line, Mark, count, lines, percent, shown};

const RESET: &str = "\x1b[0m";
const DIM: &str = "\x1b[2m";
const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const BLUE: &str = "\x1b[34m";
const MAGENTA: &str = "\x1b[35m";
const CYAN: &str = "\x1b[36m";
const BOLD: &str = "\x1b[1m";

/// Whether the view printed on standard output should be coloured: it is a terminal and
/// `NO_COLOR` is unset or empty.
pub fn colour_on_stdout() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// The whole view, ending with a newline. `colour` adds ANSI colours; the caller decides (a
/// terminal, and `NO_COLOR` unset).
pub fn render(report: &TakeReport, script: &Script, colour: bool) -> String {
    let paint = Paint { on: colour };
    let mut out = String::new();
    let mut previous: Option<usize> = None;
    for line in lines(report) {
        // A blank line in the script stays blank here, so the view keeps the script's shape.
        if previous.is_some_and(|p| line.number > p + 1) {
            out.push('\n');
        }
        previous = Some(line.number);
        out.push_str(&render_line(&line, &paint));
        out.push('\n');
    }
    out.push('\n');
    summary(report, script, &paint, &mut out);
    out
}

fn render_line(line: &Line, paint: &Paint) -> String {
    let parts: Vec<String> = line.marks.iter().map(|mark| render_mark(mark, paint)).collect();
    parts.join(" ")
}

fn render_mark(mark: &Mark, paint: &Paint) -> String {
    match mark {
        Mark::Word(word) => render_word(word, paint),
        Mark::Again(words) => {
            let heard: Vec<&str> = words.iter().map(|w| w.heard.as_deref().unwrap_or("")).collect();
            paint.wrap(BLUE, &format!("(again: {})", heard.join(" ")))
        }
        Mark::Pause(seconds) => paint.wrap(DIM, &format!("⏸{seconds:.1}s")),
        Mark::Unclear => paint.wrap(DIM, "(?)"),
    }
}

fn render_word(word: &TakeWord, paint: &Paint) -> String {
    let doubt = if word.uncertain && word.verdict != Verdict::Correct { "?" } else { "" };
    let heard = word.heard.as_deref().unwrap_or("");
    match word.verdict {
        Verdict::Correct => shown(word).to_string(),
        Verdict::Misread => paint.wrap(YELLOW, &format!("{{{}->{heard}}}{doubt}", shown(word))),
        Verdict::Skipped => paint.wrap(RED, &format!("[-{}-]{doubt}", shown(word))),
        Verdict::Inserted => paint.wrap(GREEN, &format!("+{heard}+{doubt}")),
        Verdict::Filler => paint.wrap(CYAN, &format!("+{heard}+")),
        Verdict::Repeated => paint.wrap(BLUE, &format!("(again: {heard})")),
        Verdict::FalseStart => paint.wrap(MAGENTA, &format!("~{heard}~")),
    }
}

fn summary(report: &TakeReport, script: &Script, paint: &Paint, out: &mut String) {
    let s = &report.summary;
    let _ = writeln!(
        out,
        "{}   completeness {}   {:.0} wpm   {:.0} words correct per minute",
        paint.wrap(BOLD, &format!("accuracy {}", percent(s.accuracy))),
        percent(s.completeness),
        s.wpm,
        s.wcpm,
    );
    let mut counts = super::counts(s, script.len());
    if s.stumbles > 0 {
        counts.push(count(s.stumbles, "unclear stretch", "unclear stretches"));
    }
    if s.rescored > 0 {
        counts.push(format!("{} confirmed on a second listen", s.rescored));
    }
    let _ = writeln!(out, "{}", counts.join(" · "));
    if let Some(delivery) = &report.delivery {
        let _ = writeln!(out, "{}", delivery_line(delivery));
    }
    out.push('\n');
    if report.findings.is_empty() {
        let _ = writeln!(out, "Nothing stood out: a clean take.");
    } else {
        let _ = writeln!(out, "{}", paint.wrap(BOLD, "What mattered most:"));
        for finding in &report.findings {
            let _ = writeln!(out, "  - {}", finding.message);
        }
    }
    out.push('\n');
    let _ = writeln!(
        out,
        "{}",
        paint.wrap(
            DIM,
            "key: {script->heard} misread · [-word-] skipped · +word+ added or filler · (again: …) repeated · ~word~ false start · ⏸ pause · (?) unclear speech · ? unsure",
        )
    );
}

/// The take's voice in one line: pitch, range and loudness, then the lines flagged.
fn delivery_line(delivery: &Delivery) -> String {
    let mut parts = Vec::new();
    match (delivery.f0_median_hz, delivery.pitch_range_st) {
        (Some(f0), Some(range)) => parts.push(format!("voice {f0:.0} Hz over {range:.1} semitones")),
        (Some(f0), None) => parts.push(format!("voice {f0:.0} Hz")),
        _ => parts.push("no voiced speech".to_string()),
    }
    if let Some(loudness) = delivery.loudness_db {
        parts.push(format!("loudness {loudness:.0} dB"));
    }
    if delivery.flat {
        parts.push("flat".to_string());
    }
    for (_, words, has) in LINE_FLAGS {
        let lines: Vec<String> = delivery.lines.iter().filter(|l| has(l)).map(|l| l.line.to_string()).collect();
        if !lines.is_empty() {
            parts.push(format!("{words} {}", lines.join(", ")));
        }
    }
    parts.join(" · ")
}

/// Colour, or none.
struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on { format!("{code}{text}{RESET}") } else { text.to_string() }
    }
}

#[cfg(test)]
mod tests {
    use encore_align::{AlignOptions, analyze};
    use encore_take::{HeardWord, Hearing};

    use super::*;

    /// A hearing from "word@start" pairs, each word lasting 0.3 s.
    fn hearing(heard: &str) -> Hearing {
        let words = heard
            .split_whitespace()
            .map(|token| {
                let (text, start) = token.split_once('@').expect("word@start");
                let start: f64 = start.parse().expect("a time");
                HeardWord { text: text.to_string(), start, end: start + 0.3, confidence: 0.95 }
            })
            .collect();
        Hearing { duration: 20.0, speech: 10.0, words, ..Hearing::default() }
    }

    fn check(script: &str, heard: &str, expected_lines: &str) {
        let script = Script::parse(script).unwrap();
        let report = analyze(&script, &hearing(heard), &AlignOptions::default());
        let view = render(&report, &script, false);
        let shown = view.split("\n\naccuracy").next().unwrap();
        assert_eq!(shown, expected_lines, "\n{view}");
    }

    #[test]
    fn every_verdict_reads_without_colour() {
        check("montreal forced aligner", "montreal@0.5 forced@0.9 aligner@1.3", "montreal forced aligner");
        check(
            "four score and seven years ago",
            "four@0.5 score@0.9 um@1.3 and@1.7 eleven@2.1 years@2.5",
            "four score +um+ and {seven->eleven} years [-ago-]",
        );
        check(
            "ask not what your country can do",
            "ask@0.5 not@0.9 what@1.3 ask@1.7 not@2.1 what@2.5 your@2.9 country@3.3 can@3.7 do@4.1",
            "ask not what (again: ask not what) your country can do",
        );
        check(
            "the quick brown fox\n\njumps over the dog",
            "the@0.5 quick@0.9 brown@1.3 fox@1.7 jumps@2.5 over@2.9 the@3.3 lazy@3.7 dog@5.5",
            "the quick brown fox\n\njumps over the +lazy+ ⏸1.5s dog",
        );
    }

    #[test]
    fn colour_only_when_asked() {
        let script = Script::parse("one two three").unwrap();
        let report = analyze(&script, &hearing("one@0.5 three@0.9"), &AlignOptions::default());
        assert!(!render(&report, &script, false).contains('\x1b'));
        assert!(render(&report, &script, true).contains("\x1b[31m[-two-]\x1b[0m"));
    }
}
