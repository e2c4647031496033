//! What a coach sees of a group and may change: the pieces assigned to it, each with the
//! stretches the whole group keeps stumbling on (worst first, over every performer's takes);
//! each performer's takes with their accuracy and words correct per minute, oldest first; and a
//! word's verdict changed where the coach heard better than the recogniser, the take's numbers
//! counted again and the change kept with the coach's name.

use encore_coach::TroubleSpot;
use encore_store::{Group, Member, Piece, Store, StoreError, Take};
use encore_take::Verdict;

use crate::{RehearsalError, ScriptVersions, Viewer, club_of};

/// A group as its coach sees it.
#[derive(Debug, Clone)]
pub struct GroupView {
    pub group: Group,
    pub pieces: Vec<AssignedPiece>,
    /// The group's performers, by name, each with their takes of its pieces.
    pub performers: Vec<PerformerTakes>,
}

/// A piece assigned to the group, with where the group stumbles in it.
#[derive(Debug, Clone)]
pub struct AssignedPiece {
    pub piece: Piece,
    pub due: Option<i64>,
    /// The stretches that went wrong in at least two of the group's takes, worst first.
    pub trouble: Vec<TroubleSpot>,
}

/// One performer's takes of the group's pieces, oldest first.
#[derive(Debug, Clone)]
pub struct PerformerTakes {
    pub member: Member,
    pub takes: Vec<Take>,
}

/// The group `group_id` as `viewer`, one of its coaches, sees it; a group they do not coach is
/// [`RehearsalError::NoSuchGroup`], as if it did not exist.
pub fn group_view(store: &dyn Store, viewer: &Viewer, group_id: i64) -> Result<GroupView, RehearsalError> {
    let club = club_of(store)?;
    if !viewer.is_coach() {
        return Err(RehearsalError::CoachesOnly);
    }
    let group = club
        .groups_of(viewer.member.id)?
        .into_iter()
        .find(|group| group.id == group_id)
        .ok_or(RehearsalError::NoSuchGroup { id: group_id })?;
    let performers: Vec<Member> =
        club.members_of(group.id)?.into_iter().filter(|member| member.role == encore_store::Role::Performer).collect();
    let mut scripts = ScriptVersions::default();
    let mut pieces = Vec::new();
    let mut takes_of: Vec<Vec<Take>> = vec![Vec::new(); performers.len()];
    for assignment in club.assignments_to(group.id)? {
        let piece = store.piece(assignment.piece_id)?;
        let takes: Vec<Take> = store
            .takes(piece.id)?
            .into_iter()
            .filter(|take| performers.iter().any(|performer| take.performer_id == Some(performer.id)))
            .collect();
        let trouble = crate::trouble(store, &piece, &takes, &mut scripts)?.spots;
        for take in takes {
            if let Some(at) = performers.iter().position(|performer| take.performer_id == Some(performer.id)) {
                takes_of[at].push(take);
            }
        }
        pieces.push(AssignedPiece { piece, due: assignment.due, trouble });
    }
    let performers = performers
        .into_iter()
        .zip(takes_of)
        .map(|(member, mut takes)| {
            takes.sort_by_key(|take| (take.recorded_at, take.id));
            PerformerTakes { member, takes }
        })
        .collect();
    Ok(GroupView { group, pieces, performers })
}

/// Changes the verdict of script word `script_index` of take `take_id`, as `viewer`, a coach of
/// its performer: the report keeps the change with the coach's name, its numbers are counted
/// again, and it is saved. Returns the take as it now is.
pub fn change_verdict(
    store: &dyn Store,
    viewer: &Viewer,
    take_id: i64,
    script_index: usize,
    verdict: Verdict,
) -> Result<Take, RehearsalError> {
    if !viewer.is_coach() {
        return Err(RehearsalError::CoachesOnly);
    }
    let take = store.take(take_id)?;
    if !viewer.sees_take(&take) {
        return Err(StoreError::NoSuchTake { id: take_id }.into());
    }
    let mut report = take.report.clone().ok_or(RehearsalError::NotAnalyzed { id: take_id })?;
    report
        .change_verdict(script_index, verdict, &viewer.member.name, crate::club::now())
        .map_err(RehearsalError::Verdict)?;
    store.save_report(take_id, &report, take.analyzer.as_deref().unwrap_or("encore"))?;
    Ok(store.take(take_id)?)
}
