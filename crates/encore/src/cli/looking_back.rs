//! `encore history`, `encore compare` and `encore trouble`: what the takes of a piece say
//! together. The rehearsal layer finds and judges them; this module lays them out for a
//! terminal.

use std::fmt::Write as _;
use std::io::Write;

use encore_coach::{Change, ComparedWord, LineDeliveryCompared, WordOutcome, sparkline};
use encore_rehearsal::{ScriptVersions, Settings};
use encore_store::{Store, Take};
use encore_take::{BodyFigures, Movement, Verdict};
use serde::Serialize;

use super::format::{minutes, when};

pub fn run_history(piece: &str, json: bool, settings: &Settings) -> anyhow::Result<()> {
    let store = settings.open_store()?;
    let piece = store.find_piece(piece)?;
    let takes = store.takes(piece.id)?;
    let rows = history_rows(store.as_ref(), &takes)?;
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &rows)?;
        writeln!(out)?;
        return Ok(());
    }
    out.write_all(render_history(&piece.title, &rows).as_bytes())?;
    Ok(())
}

/// One take in `encore history --json` (documented in docs/store.md).
#[derive(Debug, Serialize)]
struct HistoryRow {
    id: i64,
    recorded_at: i64,
    /// The script version the take was read from.
    script_version: u32,
    duration: Option<f64>,
    /// `false` until the take has a report (then the numbers below are `null`).
    analysed: bool,
    accuracy: Option<f64>,
    wcpm: Option<f64>,
    fillers: Option<usize>,
    hesitations: Option<usize>,
    stumbles: Option<usize>,
    /// Better than every earlier take (see `encore-coach`).
    personal_best: bool,
}

fn history_rows(store: &dyn Store, takes: &[Take]) -> anyhow::Result<Vec<HistoryRow>> {
    let mut versions = ScriptVersions::default();
    let mut rows = Vec::with_capacity(takes.len());
    for (take, (score, personal_best)) in takes.iter().zip(encore_rehearsal::scored_history(takes)) {
        let script_version = versions.get(store, take.script_version_id)?.map_or(0, |(version, _)| version.version);
        rows.push(HistoryRow {
            id: take.id,
            recorded_at: take.recorded_at,
            script_version,
            duration: take.duration,
            analysed: score.is_some(),
            accuracy: score.map(|s| s.accuracy),
            wcpm: score.map(|s| s.wcpm),
            fillers: score.map(|s| s.fillers),
            hesitations: score.map(|s| s.hesitations),
            stumbles: score.map(|s| s.stumbles),
            personal_best,
        });
    }
    Ok(rows)
}

fn render_history(title: &str, rows: &[HistoryRow]) -> String {
    let mut text = String::new();
    if rows.is_empty() {
        let _ = writeln!(text, "No takes of \"{title}\" yet: encore take \"{title}\" RECORDING");
        return text;
    }
    let _ = writeln!(text, "{} {} of \"{title}\"", rows.len(), if rows.len() == 1 { "take" } else { "takes" });
    let _ = writeln!(text);
    let _ = writeln!(
        text,
        "{:>5}  {:<16}  {:>5}  {:>8}  {:>5}  {:>8}  {:>7}  {:>11}",
        "take", "recorded", "time", "accuracy", "wcpm", "stumbles", "fillers", "hesitations"
    );
    for row in rows {
        let number = |value: Option<usize>| value.map_or("-".to_string(), |v| v.to_string());
        let _ = writeln!(
            text,
            "{:>5}  {:<16}  {:>5}  {:>8}  {:>5}  {:>8}  {:>7}  {:>11}{}",
            row.id,
            when(row.recorded_at),
            row.duration.map(minutes).unwrap_or_default(),
            row.accuracy.map_or("not yet".to_string(), |a| format!("{:.1}%", a * 100.0)),
            row.wcpm.map_or("-".to_string(), |w| format!("{w:.0}")),
            number(row.stumbles),
            number(row.fillers),
            number(row.hesitations),
            if row.personal_best { "  personal best" } else { "" },
        );
    }
    let analyzed: Vec<&HistoryRow> = rows.iter().filter(|r| r.analysed).collect();
    if analyzed.len() >= 2 {
        let series =
            |f: fn(&HistoryRow) -> f64| encore_coach::sparkline(&analyzed.iter().map(|r| f(r)).collect::<Vec<_>>());
        let _ = writeln!(text);
        let _ = writeln!(text, "accuracy  {}", series(|r| r.accuracy.unwrap_or(0.0)));
        let _ = writeln!(text, "wcpm      {}", series(|r| r.wcpm.unwrap_or(0.0)));
        let _ = writeln!(text, "stumbles  {}  (lower is better)", series(|r| r.stumbles.unwrap_or(0) as f64));
    }
    if rows.iter().any(|r| !r.analysed) {
        let _ = writeln!(text);
        let _ = writeln!(text, "Takes marked \"not yet\" have no report: encore reanalyze");
    }
    text
}

pub fn run_compare(before: i64, after: i64, settings: &Settings) -> anyhow::Result<()> {
    let store = settings.open_store()?;
    let compared = encore_rehearsal::compare(store.as_ref(), before, after)?;
    let (take_a, take_b, comparison) = (compared.before, compared.after, compared.comparison);
    let mut text = String::new();
    let _ = writeln!(
        text,
        "Take {before} ({}) against take {after} ({})",
        when(take_a.recorded_at),
        when(take_b.recorded_at)
    );
    let _ = writeln!(text);
    let _ = writeln!(text, "{:<12} {:>9} {:>9}", "", format!("take {before}"), format!("take {after}"));
    let (a, b) = (comparison.before, comparison.after);
    let _ = writeln!(text, "{:<12} {:>9} {:>9}", "accuracy", percent(a.accuracy), percent(b.accuracy));
    let _ = writeln!(text, "{:<12} {:>9.0} {:>9.0}", "wcpm", a.wcpm, b.wcpm);
    let _ = writeln!(text, "{:<12} {:>9} {:>9}", "stumbles", a.stumbles, b.stumbles);
    let _ = writeln!(text, "{:<12} {:>9} {:>9}", "fillers", a.fillers, b.fillers);
    let _ = writeln!(text, "{:<12} {:>9} {:>9}", "hesitations", a.hesitations, b.hesitations);
    for (change, heading) in
        [(Change::Fixed, "Fixed"), (Change::Worse, "Worse"), (Change::StillTrips, "Still trips you")]
    {
        let words: Vec<&ComparedWord> = comparison.words.iter().filter(|w| w.change == change).collect();
        let _ = writeln!(text);
        let _ = writeln!(text, "{heading} ({}):", words.len());
        if words.is_empty() {
            let _ = writeln!(text, "  nothing");
        }
        for word in words {
            let was = word.before.as_ref().map_or("-".to_string(), describe);
            let _ = writeln!(text, "  line {:>3}  \"{}\": {} → {}", word.line, word.text, was, describe(&word.after));
        }
    }
    let new = comparison.words.iter().filter(|w| w.change == Change::New).count();
    if new > 0 {
        let _ = writeln!(text);
        let _ = writeln!(text, "{new} words are new in the later script and have nothing to compare with.");
    }
    sounded(&mut text, &comparison.delivery, before, after);
    looked(
        &mut text,
        take_a.report.as_ref().and_then(|r| r.movement.as_ref()),
        take_b.report.as_ref().and_then(|r| r.movement.as_ref()),
    );
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(())
}

/// How each line sounded in the two takes: the lines that changed, their numbers, and both
/// pitch shapes on one scale, so that the eye sees a line flatten.
/// One figure of how a take looked, where it was measured.
type Figure = fn(&BodyFigures) -> Option<f64>;

/// How each take looked, side by side, when the camera was on for either (the stage's comparison
/// draws both bands).
fn looked(text: &mut String, before: Option<&Movement>, after: Option<&Movement>) {
    if before.is_none() && after.is_none() {
        return;
    }
    let _ = writeln!(text);
    let _ = writeln!(text, "How it looked:");
    let share = |movement: Option<&Movement>, figure: Figure| {
        movement.and_then(|m| figure(&m.take)).map_or("-".to_string(), |value| format!("{:.0}%", value * 100.0))
    };
    let rows: [(&str, Figure); 6] = [
        ("still", |f| Some(f.still)),
        ("swaying", |f| Some(f.sway)),
        ("eyes away", |f| Some(f.eyes_away)),
        ("fidgeting", |f| f.fidgeting),
        ("hands hidden", |f| f.hands_hidden),
        ("open gestures", |f| f.open_gestures),
    ];
    for (name, figure) in rows {
        let _ = writeln!(text, "  {:<14} {:>7} {:>7}", name, share(before, figure), share(after, figure));
    }
    let gestures = |movement: Option<&Movement>| {
        movement.and_then(|m| m.take.gestures_per_minute).map_or("-".to_string(), |g| format!("{g:.0}"))
    };
    let _ = writeln!(text, "  {:<14} {:>7} {:>7}", "gestures/min", gestures(before), gestures(after));
    if before.is_none() || after.is_none() {
        let _ = writeln!(text, "  (the camera was off for one of the takes)");
    }
}

fn sounded(text: &mut String, lines: &[LineDeliveryCompared], before: i64, after: i64) {
    let _ = writeln!(text);
    let _ = writeln!(text, "How it sounded:");
    if lines.is_empty() {
        let _ = writeln!(text, "  not measured in one of the takes; measure it with: encore reanalyze --take {before}");
        return;
    }
    let changed: Vec<&LineDeliveryCompared> = lines.iter().filter(|l| !l.changes.is_empty()).collect();
    if changed.is_empty() {
        let _ = writeln!(text, "  every line sounded much as before");
    }
    let number = |value: Option<f64>, unit: &str| value.map_or("-".to_string(), |v| format!("{v:.0}{unit}"));
    let range = |value: Option<f32>| value.map_or("-".to_string(), |v| format!("{v:.1}"));
    for line in changed {
        let _ = writeln!(
            text,
            "  line {:>3}: {}   range {} → {} semitones · {} → {} wpm",
            line.line,
            line.changes.join(", "),
            range(line.before.pitch_range_st),
            range(line.after.pitch_range_st),
            number(line.before.wpm, ""),
            number(line.after.wpm, ""),
        );
        // One sparkline over both shapes, so that they share a scale; split where they meet.
        let points: Vec<f64> = line
            .shape_before
            .iter()
            .chain([&None])
            .chain(&line.shape_after)
            .map(|p| p.map_or(f64::NAN, f64::from))
            .collect();
        let bars: Vec<char> = sparkline(&points).chars().collect();
        let (then, now) = bars.split_at(line.shape_before.len());
        let _ = writeln!(text, "    {:<9} {}", format!("take {before}"), then.iter().collect::<String>());
        let _ = writeln!(text, "    {:<9} {}", format!("take {after}"), now[1..].iter().collect::<String>());
    }
}

/// What happened to a word, in a few words.
fn describe(outcome: &WordOutcome) -> String {
    let mut parts = Vec::new();
    match outcome.verdict {
        Verdict::Skipped => parts.push("skipped".to_string()),
        Verdict::Misread => parts.push(format!("read as \"{}\"", outcome.heard.as_deref().unwrap_or("?"))),
        _ => {}
    }
    if outcome.hesitation_before {
        parts.push("hesitation before".into());
    }
    if outcome.stumble_before {
        parts.push("unclear speech before".into());
    }
    if !outcome.extras_before.is_empty() {
        parts.push(format!("\"{}\" before", outcome.extras_before.join(" ")));
    }
    if parts.is_empty() { "fine".into() } else { parts.join(", ") }
}

pub fn run_trouble(piece: &str, settings: &Settings) -> anyhow::Result<()> {
    let store = settings.open_store()?;
    let piece = store.find_piece(piece)?;
    let takes = store.takes(piece.id)?;
    let trouble = encore_rehearsal::trouble(store.as_ref(), &piece, &takes, &mut ScriptVersions::default())?;
    let (analyzed, spots) = (trouble.analyzed, trouble.spots);
    let mut text = String::new();
    if analyzed < 2 {
        let _ = writeln!(
            text,
            "Trouble spots need at least two analysed takes of \"{}\"; there are {}.",
            piece.title, analyzed
        );
    } else if spots.is_empty() {
        let _ =
            writeln!(text, "No trouble spots in \"{}\": nothing went wrong twice in {} takes.", piece.title, analyzed);
    } else {
        let _ = writeln!(text, "Trouble spots in \"{}\" ({} takes), worst first:", piece.title, analyzed);
        for (rank, spot) in spots.iter().enumerate() {
            let _ = writeln!(text);
            let _ = writeln!(
                text,
                "{:>2}. line {}: \"{}\", in {} of {} takes",
                rank + 1,
                spot.line,
                spot.text,
                spot.takes,
                spot.of_takes
            );
            let how: Vec<String> = spot.how.iter().map(|(kind, count)| format!("{kind} ×{count}")).collect();
            let _ = writeln!(text, "    {}", how.join(", "));
        }
    }
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(())
}

fn percent(fraction: f64) -> String {
    format!("{:.1}%", fraction * 100.0)
}
