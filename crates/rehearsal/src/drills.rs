//! Drills as the performer meets them: made from the trouble in each take, reviewed by every take
//! of the whole piece that covers them, practised one at a time from a short recording, and kept
//! on the right words when the script is edited. The command line and the stage both come here.
//!
//! A drill's rating is heard, never asked: an attempt said clean is Good (Easy at the usual
//! pace), one stumble Hard, more or a wrong word Again ([`encore_coach::rate_attempt`]), and FSRS
//! turns the rating into the next due date ([`encore_coach::review`]).

use encore_audio::Audio;
use encore_coach::Stretch;
use encore_listen::Recogniser;
use encore_script::Script;
use encore_store::{Drill, NewDrill, Piece, ScriptVersion, Store, StoreError, Take};
use encore_take::{Rating, TakeReport};

use crate::{RehearsalError, judge};

/// What a take of the whole piece did to its drills.
#[derive(Debug, Clone, Default)]
pub struct DrillsAfterTake {
    /// Drills the take covered, with how their stretch went.
    pub reviewed: Vec<(Drill, Rating)>,
    /// Drills made from new trouble in the take.
    pub added: Vec<Drill>,
}

/// One attempt at a drill, judged and scheduled.
#[derive(Debug, Clone)]
pub struct DrillAttempt {
    /// The drill with its new schedule.
    pub drill: Drill,
    pub rating: Rating,
    /// Every word said right, with no stumble.
    pub clean: bool,
    /// The attempt judged against the drill's words alone.
    pub report: TakeReport,
}

/// A drill due within this many seconds is due now: FSRS brings a drill that just went wrong
/// back a minute later, and the performer should not have to wait for that minute.
pub const DUE_SOON: i64 = 60;

/// The drills of a piece (or of every piece) being practised, the soonest due first; with
/// `due_only`, those due at `now` (seconds since 1970) or within [`DUE_SOON`].
pub fn drills(store: &dyn Store, piece: Option<&Piece>, due_only: bool, now: i64) -> Result<Vec<Drill>, StoreError> {
    let mut drills = store.drills(piece.map(|piece| piece.id))?;
    if due_only {
        drills.retain(|drill| is_due(drill, now));
    }
    Ok(drills)
}

/// Whether a drill is due at `now` (seconds since 1970) or within [`DUE_SOON`].
pub fn is_due(drill: &Drill, now: i64) -> bool {
    drill.schedule.is_due(now + DUE_SOON)
}

/// Reviews the drills a kept take of the whole piece covers and makes drills of its new trouble.
/// Only a take of the piece's current script touches drills: they live on the current words.
pub fn drills_after_take(
    store: &dyn Store,
    take: &Take,
    report: &TakeReport,
) -> Result<DrillsAfterTake, RehearsalError> {
    let piece = store.piece(take.piece_id)?;
    if take.script_version_id != piece.script.id {
        return Ok(DrillsAfterTake::default());
    }
    let script = parse(&piece.script.text, take.id)?;
    let usual = usual_pace(store, piece.id)?;
    let mut after = DrillsAfterTake::default();

    let existing = store.drills(Some(piece.id))?;
    for drill in &existing {
        let Some(rating) = encore_coach::rate_stretch(report, &script, stretch_of(drill), usual) else { continue };
        let schedule = encore_coach::review(&drill.schedule, rating, take.recorded_at);
        after.reviewed.push((store.review_drill(drill.id, rating, &schedule, Some(take.id))?, rating));
    }

    let prompted = report.prompter.as_ref().map(|prompter| prompter.prompts.as_slice()).unwrap_or_default();
    for stretch in encore_coach::drill_stretches(report, &script, prompted) {
        // Trouble where a drill already is was that drill's review.
        if existing.iter().any(|drill| stretch_of(drill).overlaps(&stretch)) {
            continue;
        }
        let text = stretch.text(&script);
        after.added.push(store.add_drill(&NewDrill {
            piece_id: piece.id,
            script_version_id: piece.script.id,
            first_word: stretch.first_word,
            last_word: stretch.last_word,
            text: &text,
        })?);
    }
    Ok(after)
}

/// Hears one recorded attempt at a drill, judged against the drill's words alone; rates it,
/// moves its schedule on from `now`, and keeps the review.
pub fn attempt_drill(
    store: &dyn Store,
    recogniser: &Recogniser,
    drill_id: i64,
    audio: &Audio,
    now: i64,
    progress: &mut dyn FnMut(f64),
) -> Result<DrillAttempt, RehearsalError> {
    let drill = store.drill(drill_id)?;
    let script = drill_script(&drill)?;
    let report = judge(recogniser, &script, audio, progress)?.report;
    rate_and_keep(store, &drill, &script, report, now)
}

/// Rates an attempt already judged against [`drill_script`] and keeps the review: for the
/// stage, which hears the attempt while it is recorded.
pub fn keep_attempt(
    store: &dyn Store,
    drill_id: i64,
    report: TakeReport,
    now: i64,
) -> Result<DrillAttempt, RehearsalError> {
    let drill = store.drill(drill_id)?;
    let script = drill_script(&drill)?;
    rate_and_keep(store, &drill, &script, report, now)
}

/// A drill's words as the script an attempt is judged against.
pub fn drill_script(drill: &Drill) -> Result<Script, RehearsalError> {
    Script::parse(&drill.text).map_err(|source| RehearsalError::DrillScript { drill_id: drill.id, source })
}

fn rate_and_keep(
    store: &dyn Store,
    drill: &Drill,
    script: &Script,
    report: TakeReport,
    now: i64,
) -> Result<DrillAttempt, RehearsalError> {
    let usual = usual_pace(store, drill.piece_id)?;
    let rating = encore_coach::rate_attempt(&report, script, usual);
    let schedule = encore_coach::review(&drill.schedule, rating, now);
    let drill = store.review_drill(drill.id, rating, &schedule, None)?;
    let clean = matches!(rating, Rating::Good | Rating::Easy);
    Ok(DrillAttempt { drill, rating, clean, report })
}

/// Edits a piece's script and keeps its drills on their words: a drill whose words are all still
/// there, together, moves to the new version; any other is retired (the next take that trips
/// there makes it again).
pub fn edit_script(store: &dyn Store, piece: &Piece, text: &str) -> Result<ScriptVersion, RehearsalError> {
    let version = store.edit_script(piece.id, text)?;
    if version.id == piece.script.id {
        return Ok(version);
    }
    let (Ok(before), Ok(after)) = (Script::parse(&piece.script.text), Script::parse(&version.text)) else {
        // A script that cannot be read has no words to drill.
        for drill in store.drills(Some(piece.id))? {
            store.retire_drill(drill.id)?;
        }
        return Ok(version);
    };
    for drill in store.drills(Some(piece.id))? {
        let old = store.script_version(drill.script_version_id)?;
        let moved = if old.id == piece.script.id {
            encore_coach::moved_stretch(stretch_of(&drill), &before, &after)
        } else {
            Script::parse(&old.text).ok().and_then(|old| encore_coach::moved_stretch(stretch_of(&drill), &old, &after))
        };
        match moved {
            Some(stretch) => {
                store.move_drill(drill.id, version.id, stretch.first_word, stretch.last_word)?;
            }
            None => store.retire_drill(drill.id)?,
        }
    }
    Ok(version)
}

/// The performer's usual pace on a piece: the median words per minute of its analysed takes.
pub fn usual_pace(store: &dyn Store, piece_id: i64) -> Result<Option<f64>, StoreError> {
    let mut paces: Vec<f64> = store
        .takes(piece_id)?
        .iter()
        .filter_map(|take| take.report.as_ref())
        .map(|report| report.summary.wpm)
        .filter(|wpm| *wpm > 0.0)
        .collect();
    if paces.is_empty() {
        return Ok(None);
    }
    paces.sort_by(f64::total_cmp);
    Ok(Some(paces[paces.len() / 2]))
}

fn stretch_of(drill: &Drill) -> Stretch {
    Stretch { first_word: drill.first_word, last_word: drill.last_word }
}

fn parse(text: &str, take_id: i64) -> Result<Script, RehearsalError> {
    Script::parse(text).map_err(|source| RehearsalError::StoredScript { take_id, source })
}
