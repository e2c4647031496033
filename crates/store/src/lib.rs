//! Where a performer's work lives between runs: pieces, every version of their scripts, and
//! every take with its audio and report, and the drills cut from them with their schedules. A rehearsal history is only worth keeping if it can be
//! trusted, so the store is built around two invariants that hold even if the process is killed
//! at any moment or two processes use the same data directory at once:
//!
//! - Audio is written first: a take's audio file is complete, fsynced and renamed into
//!   `audio/` before any row refers to it, and deleted only after no row refers to it.
//! - Rows never point at nothing: a take is either absent, or present with its audio and its
//!   script version; its report may be missing, which means "not analysed yet".
//!
//! The rest of Encore sees one interface, [`Store`], with one backend today, [`SqliteStore`]:
//! everything sits in one directory chosen by the caller: `encore.db` (SQLite in WAL mode, with
//! migrations that are only ever added) and `audio/`, named by content hash.

mod audio_files;
mod club;
mod drills;
mod error;
mod pieces;
mod postgres;
mod queue;
mod schema;
mod sqlite;
mod store;
mod takes;

pub use audio_files::StoredAudio;
pub use club::{Assignment, Club, Group, Member, Role};
pub use drills::{Drill, NewDrill};
pub use error::StoreError;
pub use pieces::{Piece, PieceSummary, ScriptVersion};
pub use postgres::PostgresStore;
pub use queue::{Job, JobState, MOST_CLAIMS, Queue};
pub use sqlite::SqliteStore;
pub use store::Store;
pub use takes::{NewTake, Take};

#[cfg(test)]
mod test_support;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
#[cfg(test)]
mod tests;
