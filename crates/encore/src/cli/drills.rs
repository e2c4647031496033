//! `encore drill`: the stretches of a piece that went wrong, practised one recording at a time.
//! `list` shows the drills and when each is due; `attempt` judges one recording of one drill and
//! moves its schedule on; `encore drill PIECE` goes through the due drills of a piece, asking
//! for a recording of each. Everything is done by the rehearsal layer, as in the stage.

use std::io::{BufRead, Write};
use std::path::Path;

use anyhow::Context;
use encore_listen::Recogniser;
use encore_rehearsal::{DrillAttempt, DrillsAfterTake, Settings};
use encore_store::{Drill, Store};
use encore_take::Rating;

use super::args::{DrillArgs, DrillCommand};
use super::progress;
use crate::report::drills::{self as drill_json, due_in};

pub fn run(args: &DrillArgs, settings: &Settings) -> anyhow::Result<()> {
    match (&args.command, &args.piece) {
        (Some(DrillCommand::List { piece, due, json }), _) => list(piece.as_deref(), *due, *json, settings),
        (Some(DrillCommand::Attempt { drill, audio, json }), _) => attempt(*drill, audio, *json, settings),
        (None, Some(piece)) => practise(piece, settings),
        (None, None) => list(None, true, false, settings),
    }
}

/// What a take of the whole piece did to its drills, in a sentence; `None` when nothing.
pub fn after_take(after: &DrillsAfterTake) -> Option<String> {
    let mut said = Vec::new();
    if !after.added.is_empty() {
        said.push(count(after.added.len(), "new drill", "new drills") + " from this take's trouble");
    }
    if !after.reviewed.is_empty() {
        let clean = after.reviewed.iter().filter(|(_, rating)| matches!(rating, Rating::Good | Rating::Easy)).count();
        said.push(format!("{} reviewed, {clean} clean", count(after.reviewed.len(), "drill", "drills")));
    }
    (!said.is_empty()).then(|| said.join("; "))
}

fn list(piece: Option<&str>, due_only: bool, json: bool, settings: &Settings) -> anyhow::Result<()> {
    let store = settings.open_store()?;
    let piece = piece.map(|name| store.find_piece(name)).transpose()?;
    let now = now();
    let drills = encore_rehearsal::drills(store.as_ref(), piece.as_ref(), due_only, now)?;
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer(&mut out, &drill_json::document(&drills))?;
        writeln!(out)?;
        return Ok(());
    }
    if drills.is_empty() {
        let whose = piece.map_or_else(String::new, |piece| format!(" of \"{}\"", piece.title));
        let which = if due_only { "due" } else { "yet" };
        writeln!(out, "No drills{whose} {which}: a take with trouble in it makes them (encore take PIECE AUDIO).")?;
        return Ok(());
    }
    writeln!(out, "{:>5}  {:<14} {:>4} {:>6}  words", "drill", "due", "reps", "lapses")?;
    for drill in &drills {
        let words = drill.text.replace('\n', " / ");
        let due = due_in(drill.schedule.due, now);
        writeln!(out, "{:>5}  {due:<14} {:>4} {:>6}  {words}", drill.id, drill.schedule.reps, drill.schedule.lapses)?;
    }
    writeln!(out, "\nPractise one with: encore drill attempt DRILL RECORDING")?;
    Ok(())
}

fn attempt(drill_id: i64, audio: &Path, json: bool, settings: &Settings) -> anyhow::Result<()> {
    let store = settings.open_store()?;
    let drill = store.drill(drill_id)?;
    let recogniser = settings.model.load(&mut |message| progress::say(message))?;
    let attempt = judge_attempt(store.as_ref(), &recogniser, &drill, audio)?;
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer(&mut out, &drill_json::attempt(&attempt))?;
        writeln!(out)?;
    } else {
        write!(out, "{}", verdict(&attempt, now()))?;
    }
    Ok(())
}

/// The due drills of a piece one after another: each is shown, a recording of it is asked for
/// (a path on a line; an empty line skips it, `q` stops), judged, and rescheduled.
fn practise(piece: &str, settings: &Settings) -> anyhow::Result<()> {
    let store = settings.open_store()?;
    let piece = store.find_piece(piece)?;
    let due = encore_rehearsal::drills(store.as_ref(), Some(&piece), true, now())?;
    if due.is_empty() {
        let all = encore_rehearsal::drills(store.as_ref(), Some(&piece), false, now())?;
        match all.first() {
            Some(next) => println!(
                "No drills of \"{}\" are due; the next is drill {}, {}.",
                piece.title,
                next.id,
                due_in(next.schedule.due, now())
            ),
            None => println!("\"{}\" has no drills yet: a take with trouble in it makes them.", piece.title),
        }
        return Ok(());
    }
    let recogniser = settings.model.load(&mut |message| progress::say(message))?;
    let mut lines = std::io::stdin().lock().lines();
    let mut done = 0;
    for (number, drill) in due.iter().enumerate() {
        println!(
            "\nDrill {} ({} of {}):\n\n    {}\n",
            drill.id,
            number + 1,
            due.len(),
            drill.text.replace('\n', "\n    ")
        );
        print!("Recording of it (a file; Enter to skip, q to stop): ");
        std::io::stdout().flush()?;
        let Some(line) = lines.next().transpose()? else { break };
        let answer = line.trim();
        match answer {
            "q" | "quit" => break,
            "" => continue,
            path => match judge_attempt(store.as_ref(), &recogniser, drill, Path::new(path)) {
                Ok(attempt) => {
                    print!("{}", verdict(&attempt, now()));
                    done += 1;
                }
                Err(error) => println!("{error:#}"),
            },
        }
    }
    println!("\n{} practised.", count(done, "drill", "drills"));
    Ok(())
}

fn judge_attempt(
    store: &dyn Store,
    recogniser: &Recogniser,
    drill: &Drill,
    audio: &Path,
) -> anyhow::Result<DrillAttempt> {
    let recording = encore_audio::decode_file(audio, &mut |_| {})?;
    let bar = progress::seconds_bar("listening", recording.duration());
    let attempt = encore_rehearsal::attempt_drill(store, recogniser, drill.id, &recording, now(), &mut |done| {
        bar.set_position((done * recording.duration() * 10.0) as u64)
    })
    .with_context(|| format!("cannot judge {} as an attempt at drill {}", audio.display(), drill.id))?;
    bar.finish_and_clear();
    Ok(attempt)
}

/// What happened in an attempt, word by word, and when the drill is due again.
fn verdict(attempt: &DrillAttempt, now: i64) -> String {
    let script = encore_rehearsal::drill_script(&attempt.drill).ok();
    let words = script.map_or_else(String::new, |script| {
        crate::report::terminal::render(&attempt.report, &script, crate::report::terminal::colour_on_stdout())
    });
    let how = match attempt.rating {
        Rating::Easy => "clean, at your usual pace: easy",
        Rating::Good => "clean: good",
        Rating::Hard => "one stumble: hard",
        Rating::Again => "more than one stumble, or a word wrong or missing: again",
    };
    format!("{words}\nDrill {}: {how}. Due again {}.\n", attempt.drill.id, due_in(attempt.drill.schedule.due, now))
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}
