//! The takes of a piece looked at together: how a take stands against the ones before it, each
//! take's score and personal bests over time, the trouble spots that keep going wrong, and two
//! takes compared word by word. The judging is `encore-coach`'s; this module finds the takes
//! and their scripts in the store.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use encore_coach::{Comparison, LineDeliveryCompared, Standing, TakeScore, TroubleSpot};
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
    /// The standing in plain words: "2 fewer stumbles than last time, new personal best; line 3
    /// was flatter and faster than in take 4, your best".
    pub text: String,
    /// The best earlier take, whose delivery this take's is compared with.
    pub best_take_id: Option<i64>,
    /// Each line's delivery against the best earlier take.
    pub against_best: Vec<LineDeliveryCompared>,
}

/// Lines whose delivery changed from the best take that the standing names.
const AGAINST_BEST_NAMED: usize = 2;

/// The standing of `take`; `None` until it is analysed.
pub fn standing_of(store: &dyn Store, take: &Take) -> Result<Option<TakeStanding>, StoreError> {
    let Some(report) = &take.report else { return Ok(None) };
    // In a club, a take stands against the same performer's earlier takes only.
    let takes: Vec<Take> =
        store.takes(take.piece_id)?.into_iter().filter(|earlier| earlier.performer_id == take.performer_id).collect();
    let standing = encore_coach::standing(report, &earlier_reports(&takes, take.id));
    let score = TakeScore::of(report);
    let mut text = standing.describe(&score);
    let best = best_before(&takes, take.id);
    let against_best = match best {
        // A script that no longer parses leaves the words' standing, without the delivery's.
        Some(best) => match (script_of(store, best), script_of(store, take)) {
            (Ok(best_script), Ok(script)) => {
                let best_report = best.report.as_ref().expect("only analysed takes are ranked");
                encore_coach::compare_delivery((best_report, &best_script), (report, &script))
            }
            _ => Vec::new(),
        },
        None => Vec::new(),
    };
    if let Some(best) = best {
        let reference = format!("take {}, your best", best.id);
        for said in against_best.iter().filter_map(|line| line.describe(&reference)).take(AGAINST_BEST_NAMED) {
            text.push_str("; ");
            text.push_str(&said);
        }
    }
    Ok(Some(TakeStanding { score, standing, text, best_take_id: best.map(|t| t.id), against_best }))
}

/// The best analysed take recorded before `take_id`; of equally good takes, the first (as
/// [`encore_coach::standing`] ranks them).
fn best_before(takes: &[Take], take_id: i64) -> Option<&Take> {
    takes
        .iter()
        .take_while(|take| take.id != take_id)
        .filter_map(|take| Some((take, TakeScore::of(take.report.as_ref()?))))
        .reduce(|best, next| if next.1.beats(&best.1) { next } else { best })
        .map(|(take, _)| take)
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
