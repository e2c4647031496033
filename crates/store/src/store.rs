//! The store as the rest of Encore sees it: one trait for every backend. The rehearsal layer
//! holds a `Box<dyn Store>` and never names a backend, so that a second one (PostgreSQL, for a
//! club) can sit beside SQLite without touching it; the interface tests (`tests.rs`) run against
//! every backend.
//!
//! Every backend keeps the two invariants of the crate: a take's audio is complete before any row
//! refers to it, and a row never points at nothing.

use crate::{Drill, NewDrill, NewTake, Take};
use crate::{Piece, PieceSummary, ScriptVersion, StoreError, StoredAudio};
use encore_take::{Rating, Schedule, TakeReport};

/// Pieces, their script versions, and takes with their audio and reports. Each call is one
/// transaction. A store can move between threads but is not shared: open another for another
/// thread.
pub trait Store: Send {
    /// Adds a piece with the first version of its script. Titles are unique, ignoring case.
    fn add_piece(&self, title: &str, script_text: &str) -> Result<Piece, StoreError>;
    /// Every piece with a summary of its takes, by title.
    fn pieces(&self) -> Result<Vec<PieceSummary>, StoreError>;
    fn piece(&self, id: i64) -> Result<Piece, StoreError>;
    /// A piece by what the user typed: its number, its title, or the start of one title.
    fn find_piece(&self, name: &str) -> Result<Piece, StoreError>;
    fn rename_piece(&self, id: i64, title: &str) -> Result<Piece, StoreError>;
    /// Adds a version of the piece's script; the takes keep the version they were read from.
    fn edit_script(&self, piece_id: i64, text: &str) -> Result<ScriptVersion, StoreError>;
    fn script_version(&self, id: i64) -> Result<ScriptVersion, StoreError>;
    /// Removes a piece with its script versions, its takes and the audio no other take uses.
    fn remove_piece(&self, id: i64) -> Result<(), StoreError>;

    /// Keeps audio (complete when this returns) for a take to refer to. The same bytes saved
    /// twice are kept once.
    fn save_audio(&self, bytes: &[u8], extension: &str) -> Result<StoredAudio, StoreError>;
    /// The bytes of audio kept by [`Store::save_audio`].
    fn read_audio(&self, audio: &StoredAudio) -> Result<Vec<u8>, StoreError>;
    /// Adds a take, recorded now, whose audio is already kept.
    fn add_take(&self, take: &NewTake) -> Result<Take, StoreError>;
    /// Keeps the report of a take, replacing any earlier one.
    fn save_report(&self, take_id: i64, report: &TakeReport, analyzer: &str) -> Result<(), StoreError>;
    /// Keeps the pose over a take as the camera saw it (`encore_take::PoseTrack::to_bytes`),
    /// replacing any earlier one.
    fn save_pose_track(&self, take_id: i64, poses: &[u8]) -> Result<(), StoreError>;
    /// The pose over a take, when the camera was on.
    fn pose_track(&self, take_id: i64) -> Result<Option<Vec<u8>>, StoreError>;
    /// The takes of a piece, oldest first.
    fn takes(&self, piece_id: i64) -> Result<Vec<Take>, StoreError>;
    fn take(&self, id: i64) -> Result<Take, StoreError>;
    /// Every take of every piece, oldest first.
    fn all_takes(&self) -> Result<Vec<Take>, StoreError>;
    /// Removes a take, and its audio if no other take uses it.
    fn remove_take(&self, id: i64) -> Result<(), StoreError>;

    /// Adds a drill of a stretch of one script version, never practised and due now.
    fn add_drill(&self, drill: &NewDrill) -> Result<Drill, StoreError>;
    /// The drills being practised (not retired), of one piece or of all, the soonest due first.
    fn drills(&self, piece_id: Option<i64>) -> Result<Vec<Drill>, StoreError>;
    fn drill(&self, id: i64) -> Result<Drill, StoreError>;
    /// Keeps a review of a drill and the schedule it leads to; `take_id` is the take of the
    /// whole piece it was part of, `None` for an attempt at the drill alone.
    fn review_drill(
        &self,
        id: i64,
        rating: Rating,
        schedule: &Schedule,
        take_id: Option<i64>,
    ) -> Result<Drill, StoreError>;
    /// Moves a drill onto another version of its piece's script, where its words now are.
    fn move_drill(
        &self,
        id: i64,
        script_version_id: i64,
        first_word: usize,
        last_word: usize,
    ) -> Result<Drill, StoreError>;
    /// Retires a drill whose words left the script; it keeps its reviews.
    fn retire_drill(&self, id: i64) -> Result<(), StoreError>;

    /// Looks for damage; one sentence per problem, none when the store is healthy.
    fn check(&self) -> Result<Vec<String>, StoreError>;
    /// The schema version of the data, after opening always the latest this build knows.
    fn schema_version(&self) -> u32;

    /// The analysis queue, where the store has one (a club's database does; a performer's own
    /// store hears each take as it is kept).
    fn queue(&self) -> Option<&dyn crate::Queue> {
        None
    }

    /// The club's members, groups and sessions, where the store has them (a club's database).
    fn club(&self) -> Option<&dyn crate::Club> {
        None
    }
}

/// Now, in unix seconds: every backend keeps times so.
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |since| since.as_secs() as i64)
}
