//! The takes of a piece looked at together: how a take stands against the ones before it, each
//! take's score and personal bests over time, the trouble spots that keep going wrong, and two
//! takes compared word by word. The judging is `encore-coach`'s; this module finds the takes
//! and their scripts in the store.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use encore_coach::{Comparison, Standing, TakeScore, TroubleSpot};
use encore_script::Script;
use encore_store::{Piece, ScriptVersion, Store, StoreError, Take};
use encore_take::TakeReport;

use crate::{RehearsalError, script_of};

/// The scripts of a piece's versions, each read from the store and parsed once.
#[derive(Debug, Default)]
pub struct ScriptVersions {
    parsed: HashMap<i64, Option<(ScriptVersion, Script)>>,
}

impl ScriptVersions {
    /// The version and its parsed script; `None` when its text no longer parses (it was
    /// accepted when stored, by an Encore that read scripts differently).
    pub fn get(&mut self, store: &dyn Store, id: i64) -> Result<Option<&(ScriptVersion, Script)>, StoreError> {
        if let Entry::Vacant(entry) = self.parsed.entry(id) {
            let version = store.script_version(id)?;
            let script = Script::parse(&version.text).ok();
            entry.insert(script.map(|script| (version, script)));
        }
        Ok(self.parsed[&id].as_ref())
    }
}

/// The reports of the takes recorded before `take_id`, oldest first, from a piece's takes as
/// the store lists them: the one meaning of "earlier takes".
pub fn earlier_reports(takes: &[Take], take_id: i64) -> Vec<&TakeReport> {
    takes.iter().take_while(|take| take.id != take_id).filter_map(|take| take.report.as_ref()).collect()
}

/// How an analysed take stands against the earlier takes of its piece.
#[derive(Debug, Clone)]
pub struct TakeStanding {
    pub score: TakeScore,
    pub standing: Standing,
    /// The standing in plain words: "2 fewer stumbles than last time, new personal best".
    pub text: String,
}

/// The standing of `take`; `None` until it is analysed.
pub fn standing_of(store: &dyn Store, take: &Take) -> Result<Option<TakeStanding>, StoreError> {
    let Some(report) = &take.report else { return Ok(None) };
    let takes = store.takes(take.piece_id)?;
    let standing = encore_coach::standing(report, &earlier_reports(&takes, take.id));
    let score = TakeScore::of(report);
    let text = standing.describe(&score);
    Ok(Some(TakeStanding { score, standing, text }))
}

/// Each take with its score, if analysed, and whether it beat every take before it.
pub fn scored_history(takes: &[Take]) -> Vec<(Option<TakeScore>, bool)> {
    takes
        .iter()
        .map(|take| {
            let score = take.report.as_ref().map(TakeScore::of);
            let personal_best = take
                .report
                .as_ref()
                .is_some_and(|report| encore_coach::standing(report, &earlier_reports(takes, take.id)).personal_best);
            (score, personal_best)
        })
        .collect()
}

/// A piece's trouble spots and how many analysed takes they come from.
#[derive(Debug, Clone)]
pub struct Trouble {
    /// Analysed takes whose script could be read.
    pub analyzed: usize,
    /// Worst first.
    pub spots: Vec<TroubleSpot>,
}

/// The stretches of the piece's current script that went wrong in several of `takes`.
pub fn trouble(
    store: &dyn Store,
    piece: &Piece,
    takes: &[Take],
    scripts: &mut ScriptVersions,
) -> Result<Trouble, StoreError> {
    for take in takes.iter().filter(|take| take.report.is_some()) {
        scripts.get(store, take.script_version_id)?;
    }
    let analyzed: Vec<(&TakeReport, &Script)> = takes
        .iter()
        .filter_map(|take| {
            let (_, script) = scripts.parsed.get(&take.script_version_id)?.as_ref()?;
            Some((take.report.as_ref()?, script))
        })
        .collect();
    let spots = match Script::parse(&piece.script.text) {
        Ok(current) => encore_coach::trouble(&analyzed, &current),
        Err(_) => Vec::new(),
    };
    Ok(Trouble { analyzed: analyzed.len(), spots })
}

/// Two analysed takes of one piece, and what changed between them.
#[derive(Debug, Clone)]
pub struct TakesCompared {
    pub before: Take,
    pub after: Take,
    pub comparison: Comparison,
}

/// Compares take `before` with take `after`, word by word.
pub fn compare(store: &dyn Store, before: i64, after: i64) -> Result<TakesCompared, RehearsalError> {
    let (before_take, after_take) = (store.take(before)?, store.take(after)?);
    if before_take.piece_id != after_take.piece_id {
        return Err(RehearsalError::DifferentPieces { before, after });
    }
    let analyzed = |take: &Take| take.report.clone().ok_or(RehearsalError::NotAnalyzed { id: take.id });
    let (before_report, after_report) = (analyzed(&before_take)?, analyzed(&after_take)?);
    let (before_script, after_script) = (script_of(store, &before_take)?, script_of(store, &after_take)?);
    let comparison = encore_coach::compare((&before_report, &before_script), (&after_report, &after_script));
    Ok(TakesCompared { before: before_take, after: after_take, comparison })
}
