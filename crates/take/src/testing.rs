//! Take reports built by hand for the tests (the `testing` feature), from a script and a line of
//! marks, so that each test says exactly what happened in the take.

use encore_script::Script;

use crate::{AudioSummary, Hesitation, LinePace, ScriptSummary, Stumble, Summary, TakeReport, TakeWord, Verdict};

/// A take of `script` as `marks` describe it, one mark per whitespace-separated token, in the
/// order things happened. Marks that stand for the next script word: `.` said right, `x` skipped,
/// `m:heard` misread as "heard". Marks for what came before it: `f:um` a filler, `i:word` an
/// insertion, `r:word` a repetition of an earlier script word, `s:frag` a false start at the next
/// word, `h` a hesitation, `?` unclear speech. Script words left without a mark are said right.
/// Each heard word lasts 0.3 s with 0.1 s between words; a hesitation is 1.5 s.
pub fn take(script: &str, marks: &str) -> (TakeReport, Script) {
    let script = Script::parse(script).expect("a test script");
    let words = script.words();
    let mut entries: Vec<TakeWord> = Vec::new();
    let mut hesitations = Vec::new();
    let mut stumbles = Vec::new();
    let mut clock = 0.5;
    let mut last_end: Option<f64> = None;
    let mut next = 0usize;
    let mut pending_hesitation = false;
    let mut pending_stumble = false;
    let tokens: Vec<&str> = marks.split_whitespace().collect();
    let mut tokens = tokens.into_iter().peekable();
    while next < words.len() || tokens.peek().is_some() {
        let mark = tokens.next().unwrap_or(".");
        let line_here = words.get(next).or(words.last()).map(|w| w.line);
        let extra = |verdict, heard: &str, start, end, relates_to| TakeWord {
            script_index: None,
            text: None,
            heard: Some(heard.to_string()),
            verdict,
            start,
            end,
            confidence: 0.9,
            self_corrected: false,
            line: line_here,
            uncertain: false,
            rescored: false,
            possible_stumble: false,
            relates_to,
            f0_hz: None,
            loudness_db: None,
        };
        let (verdict, heard) = match mark.split_once(':') {
            Some((kind, heard)) => (kind, Some(heard)),
            None => (mark, None),
        };
        match (verdict, heard) {
            ("h", None) => {
                pending_hesitation = true;
                clock += 1.5;
            }
            ("?", None) => {
                stumbles.push(Stumble { start: clock, end: clock + 0.3, before_script_index: None });
                clock += 0.4;
                pending_stumble = true;
            }
            ("f" | "i" | "r" | "s", Some(heard)) => {
                let (start, end) = heard_at(&mut clock, &mut last_end);
                let (verdict, relates_to) = match verdict {
                    "f" => (Verdict::Filler, None),
                    "i" => (Verdict::Inserted, None),
                    "r" => {
                        let earlier = words[..next].iter().rposition(|w| w.text.eq_ignore_ascii_case(heard));
                        (Verdict::Repeated, earlier)
                    }
                    _ => (Verdict::FalseStart, Some(next)),
                };
                entries.push(extra(verdict, heard, start, end, relates_to));
            }
            ("." | "x" | "m", _) => {
                let word = words.get(next).expect("more marks than script words");
                let (verdict, heard) = match (verdict, heard) {
                    (".", _) => (Verdict::Correct, Some(word.text.to_lowercase())),
                    ("x", _) => (Verdict::Skipped, None),
                    (_, heard) => (Verdict::Misread, heard.map(str::to_string)),
                };
                let before_end = last_end;
                let (start, end) =
                    if verdict == Verdict::Skipped { (None, None) } else { heard_at(&mut clock, &mut last_end) };
                if pending_hesitation {
                    let from = before_end.unwrap_or(0.0);
                    let to = start.unwrap_or(clock);
                    hesitations.push(Hesitation {
                        start: from,
                        end: to,
                        duration: to - from,
                        before_script_index: Some(next),
                    });
                    pending_hesitation = false;
                }
                if pending_stumble {
                    for stumble in stumbles.iter_mut().filter(|s| s.before_script_index.is_none()) {
                        stumble.before_script_index = Some(next);
                    }
                }
                entries.push(TakeWord {
                    script_index: Some(next),
                    text: Some(word.text.clone()),
                    heard,
                    verdict,
                    start,
                    end,
                    confidence: 0.9,
                    self_corrected: false,
                    line: Some(word.line),
                    uncertain: false,
                    rescored: false,
                    possible_stumble: std::mem::take(&mut pending_stumble),
                    relates_to: None,
                    f0_hz: None,
                    loudness_db: None,
                });
                next += 1;
            }
            _ => panic!("unknown mark {mark:?}"),
        }
    }
    let report = assemble(&script, entries, hesitations, stumbles, clock + 1.0);
    (report, script)
}

/// The times of the next heard word, moving the clock on.
fn heard_at(clock: &mut f64, last_end: &mut Option<f64>) -> (Option<f64>, Option<f64>) {
    let (start, end) = (*clock, *clock + 0.3);
    *clock += 0.4;
    *last_end = Some(end);
    (Some(start), Some(end))
}

/// The report around its entries, with the summary and line paces counted from them.
fn assemble(
    script: &Script,
    words: Vec<TakeWord>,
    hesitations: Vec<Hesitation>,
    stumbles: Vec<Stumble>,
    duration: f64,
) -> TakeReport {
    let count = |verdict| words.iter().filter(|w| w.verdict == verdict).count();
    let first = words.iter().filter_map(|w| w.start).next();
    let last = words.iter().filter_map(|w| w.end).next_back();
    let speaking_time = match (first, last) {
        (Some(first), Some(last)) => last - first,
        _ => 0.0,
    };
    let per_minute = |n: usize| if speaking_time > 0.0 { n as f64 / speaking_time * 60.0 } else { 0.0 };
    let correct = count(Verdict::Correct);
    let misread = count(Verdict::Misread);
    let spoken = words.iter().filter(|w| w.heard.is_some() && w.verdict != Verdict::Filler).count();
    let summary = Summary {
        accuracy: correct as f64 / script.len() as f64,
        completeness: (correct + misread) as f64 / script.len() as f64,
        wcpm: per_minute(correct),
        wpm: per_minute(spoken),
        fillers: count(Verdict::Filler),
        repetitions: crate::repetitions(&words),
        hesitations: hesitations.len(),
        misread,
        skipped: count(Verdict::Skipped),
        inserted: count(Verdict::Inserted),
        correct,
        false_starts: count(Verdict::FalseStart),
        self_corrections: 0,
        stumbles: stumbles.len(),
        rescored: 0,
        uncertain: 0,
        speaking_time,
    };
    let lines = script
        .line_numbers()
        .into_iter()
        .map(|line| {
            let said = crate::said_on_line(&words, line);
            LinePace {
                line,
                start: said.first().and_then(|w| w.start),
                end: said.last().and_then(|w| w.end),
                words: said.len(),
                wpm: None,
            }
        })
        .collect();
    TakeReport {
        format: TakeReport::FORMAT.to_string(),
        audio: AudioSummary { duration, speech: speaking_time },
        script: ScriptSummary { words: script.len(), lines: script.line_count() },
        words,
        hesitations,
        stumbles,
        lines,
        summary,
        findings: Vec::new(),
        delivery: None,
        movement: None,
        prompter: None,
        changes: Vec::new(),
    }
}

/// A take of a four-word script said right, with the summary's accuracy and words correct per
/// minute set as given: for tests that only compare takes by their numbers.
pub fn scored(accuracy: f64, wcpm: f64) -> TakeReport {
    let (mut report, _) = take("one two three four", "");
    report.summary.accuracy = accuracy;
    report.summary.wcpm = wcpm;
    report
}

/// What in `report`, serialized, disagrees with `docs/take-report.schema.json`; empty when it
/// conforms. So that the schema and the report cannot drift apart unnoticed.
pub fn schema_problems(report: &TakeReport) -> Vec<String> {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../../docs/take-report.schema.json")).expect("the schema is JSON");
    let value = serde_json::to_value(report).expect("a report serializes");
    conforms(&value, &schema, &schema, "report")
}

/// Checks a JSON value against the parts of JSON Schema that docs/take-report.schema.json uses:
/// `type`, `required`, `properties`, `items`, `enum` and local `$ref`s. A light check, so that the
/// schema and the serialized report cannot drift apart unnoticed.
fn conforms(value: &serde_json::Value, schema: &serde_json::Value, root: &serde_json::Value, at: &str) -> Vec<String> {
    use serde_json::Value;
    let mut problems = Vec::new();
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.trim_start_matches("#/$defs/");
        return conforms(value, &root["$defs"][name], root, at);
    }
    if let Some(types) = schema.get("type") {
        let types: Vec<&str> = match types {
            Value::String(one) => vec![one.as_str()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let fits = types.iter().any(|t| match *t {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_u64() || value.is_i64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            _ => false,
        });
        if !fits {
            problems.push(format!("{at}: {value} is not {types:?}"));
            return problems;
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        problems.push(format!("{at}: {value} not in {allowed:?}"));
    }
    if let Some(object) = value.as_object() {
        for name in schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
            if !object.contains_key(name) {
                problems.push(format!("{at}: missing required field {name}"));
            }
        }
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            for (name, field) in object {
                match properties.get(name) {
                    Some(property) => problems.extend(conforms(field, property, root, &format!("{at}.{name}"))),
                    None => problems.push(format!("{at}: field {name} is not in the schema")),
                }
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (k, item) in array.iter().enumerate() {
            problems.extend(conforms(item, items, root, &format!("{at}[{k}]")));
        }
    }
    problems
}
