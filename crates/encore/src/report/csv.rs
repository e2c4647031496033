//! The take as a table, one row per entry of the report, for a spreadsheet or a script of one's
//! own: what was written, what was heard, the verdict and the times. Fields are quoted as RFC 4180
//! says (a field with a comma, a quote or a line break is put in quotes, quotes doubled) and rows
//! end with CRLF.

use std::fmt::Write;

use encore_script::Script;
use encore_take::{TakeReport, Verdict};

/// The columns, in order.
pub const HEADER: &str = "index,script_index,line,text,heard,verdict,start,end,confidence,uncertain,self_corrected";

/// The whole table: the header, then one row per entry of `words` in the report, in the order
/// things happened. Times are seconds with three decimals; a missing value is an empty field. A
/// report without line numbers (written before they were added) gets them from the script.
pub fn render(report: &TakeReport, script: &Script) -> String {
    let mut out = String::new();
    out.push_str(HEADER);
    out.push_str("\r\n");
    let lines = entry_lines(report, script);
    for (index, (word, line)) in report.words.iter().zip(lines).enumerate() {
        let fields = [
            index.to_string(),
            optional(word.script_index),
            optional(line),
            word.text.as_deref().unwrap_or("").to_string(),
            word.heard.as_deref().unwrap_or("").to_string(),
            verdict(word.verdict).to_string(),
            seconds(word.start),
            seconds(word.end),
            format!("{:.3}", word.confidence),
            word.uncertain.to_string(),
            word.self_corrected.to_string(),
        ];
        let row: Vec<String> = fields.iter().map(|field| quote(field)).collect();
        let _ = write!(out, "{}\r\n", row.join(","));
    }
    out
}

/// The verdict as the report writes it.
pub fn verdict(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Correct => "correct",
        Verdict::Misread => "misread",
        Verdict::Skipped => "skipped",
        Verdict::Inserted => "inserted",
        Verdict::Filler => "filler",
        Verdict::Repeated => "repeated",
        Verdict::FalseStart => "false_start",
    }
}

/// The line of each entry: the report's, or for a report written before entries had lines, the
/// line of the script word it is or relates to, or else of the script word it comes before.
pub(super) fn entry_lines(report: &TakeReport, script: &Script) -> Vec<Option<usize>> {
    let line_of = |index: Option<usize>| index.and_then(|i| script.words().get(i)).map(|w| w.line);
    let mut lines = vec![None; report.words.len()];
    let mut next = None;
    for (at, word) in report.words.iter().enumerate().rev() {
        let own = line_of(word.script_index);
        lines[at] = word.line.or(own).or(line_of(word.relates_to)).or(next);
        if own.is_some() {
            next = own;
        }
    }
    lines
}

fn optional(value: Option<usize>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

fn seconds(time: Option<f64>) -> String {
    time.map(|t| format!("{t:.3}")).unwrap_or_default()
}

/// A field as RFC 4180 writes it: in quotes, with quotes doubled, when it holds a comma, a quote
/// or a line break.
fn quote(field: &str) -> String {
    if field.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

/// A small take built by hand for the export tests: every verdict, a hesitation, a skipped word,
/// a self-correction, a word whose time overlaps the one before, and an insertion the rescorer
/// withdrew.
#[cfg(test)]
pub(super) mod sample {
    use encore_script::Script;
    use encore_take::{AudioSummary, Hesitation, LinePace, ScriptSummary, Summary, TakeReport, TakeWord, Verdict};

    pub const SCRIPT: &str = "Four score and seven years ago.\nOur fathers brought forth, on this \"continent\"";

    pub fn script() -> Script {
        Script::parse(SCRIPT).unwrap()
    }

    /// An entry: script index (or none), heard, verdict, start and end.
    fn entry(
        script: &Script,
        index: Option<usize>,
        heard: Option<&str>,
        verdict: Verdict,
        times: Option<(f64, f64)>,
        line: usize,
    ) -> TakeWord {
        TakeWord {
            script_index: index,
            text: index.map(|i| script.words()[i].text.clone()),
            heard: heard.map(str::to_string),
            verdict,
            start: times.map(|t| t.0),
            end: times.map(|t| t.1),
            confidence: 0.9,
            self_corrected: false,
            line: Some(line),
            uncertain: false,
            rescored: false,
            possible_stumble: false,
            relates_to: None,
            f0_hz: None,
            loudness_db: None,
        }
    }

    pub fn report() -> TakeReport {
        let s = script();
        let s = &s;
        use Verdict::*;
        let mut words = vec![
            entry(s, Some(0), Some("Four"), Correct, Some((0.5, 0.8)), 1),
            entry(s, Some(1), Some("score"), Correct, Some((0.85, 1.2)), 1),
            entry(s, None, Some("um"), Filler, Some((1.3, 1.5)), 1),
            entry(s, Some(2), Some("and"), Correct, Some((1.6, 1.75)), 1),
            entry(s, Some(3), Some("eleven"), Misread, Some((1.8, 2.2)), 1),
            entry(s, Some(4), Some("years"), Correct, Some((2.25, 2.6)), 1),
            entry(s, Some(5), None, Skipped, None, 1),
            entry(s, Some(6), Some("Our"), Correct, Some((3.8, 4.0)), 2),
            entry(s, None, Some("fa"), FalseStart, Some((4.05, 4.15)), 2),
            entry(s, Some(7), Some("fathers"), Correct, Some((4.2, 4.6)), 2),
            entry(s, Some(8), Some("brought"), Correct, Some((4.6, 4.9)), 2),
            entry(s, None, Some("brought"), Repeated, Some((4.95, 5.2)), 2),
            entry(s, Some(9), Some("forth"), Correct, Some((5.25, 5.5)), 2),
            entry(s, Some(10), Some("on"), Correct, Some((5.45, 5.6)), 2),
            entry(s, Some(11), Some("this"), Correct, Some((5.6, 5.8)), 2),
            entry(s, Some(12), Some("content"), Misread, Some((5.85, 6.3)), 2),
            entry(s, None, Some("yes"), Inserted, Some((6.35, 6.5)), 2),
        ];
        words[4].confidence = 0.4;
        words[4].uncertain = true;
        words[8].relates_to = Some(7);
        words[9].self_corrected = true;
        words[11].relates_to = Some(8);
        words[16].rescored = true;
        TakeReport {
            format: TakeReport::FORMAT.to_string(),
            audio: AudioSummary { duration: 7.25, speech: 5.5 },
            script: ScriptSummary { words: s.len(), lines: s.line_count() },
            words,
            hesitations: vec![Hesitation { start: 2.6, end: 3.8, duration: 1.2, before_script_index: Some(6) }],
            stumbles: Vec::new(),
            lines: vec![
                LinePace { line: 1, start: Some(0.5), end: Some(2.6), words: 5, wpm: Some(142.9) },
                LinePace { line: 2, start: Some(3.8), end: Some(6.3), words: 7, wpm: Some(168.0) },
            ],
            summary: Summary { accuracy: 10.0 / 13.0, correct: 10, misread: 2, skipped: 1, ..Summary::default() },
            findings: Vec::new(),
            delivery: None,
            movement: None,
            prompter: None,
            changes: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_row_per_entry() {
        let table = render(&sample::report(), &sample::script());
        assert!(table.ends_with("\r\n") && !table.replace("\r\n", "").contains('\n'), "rows end with CRLF");
        assert_eq!(table.lines().count(), 1 + sample::report().words.len());
        insta::assert_snapshot!(table.replace("\r\n", "\n"));
    }

    #[test]
    fn fields_are_quoted_as_rfc_4180_says() {
        for (field, quoted) in [
            ("plain", "plain"),
            ("forth,", "\"forth,\""),
            ("\"continent\"", "\"\"\"continent\"\"\""),
            ("two\nlines", "\"two\nlines\""),
        ] {
            assert_eq!(quote(field), quoted);
        }
    }

    #[test]
    fn lines_come_from_the_script_when_the_report_lacks_them() {
        let mut report = sample::report();
        for word in &mut report.words {
            word.line = None;
        }
        let table = render(&report, &sample::script());
        let rows: Vec<&str> = table.lines().collect();
        assert!(rows[10].starts_with("9,7,2,fathers,"), "{}", rows[10]);
        assert!(rows[9].starts_with("8,,2,,fa,false_start,"), "a false start takes the line of the word attempted");
        assert!(rows[3].starts_with("2,,1,,um,filler,"), "a filler takes the line of the word after it");
    }
}
