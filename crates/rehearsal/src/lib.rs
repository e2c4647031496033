//! Rehearsal: the use cases that the command line and the stage share, written once. A
//! performer keeps a take of a piece, Encore judges it, and the takes are looked back on
//! together: how this take stands against the earlier ones, where the piece keeps going wrong,
//! what changed between two takes.
//!
//! Everything here is synchronous and takes the store as `&dyn Store` and the model as a
//! loaded [`Recogniser`](encore_listen::Recogniser): the command line calls it directly, the
//! stage from its blocking threads, each adding only its own way of talking (arguments and
//! text, or HTTP and JSON). It is a crate, not a module of the binary, so that the binary's two
//! faces cannot drift into two copies of the same path, and so that a second store backend or
//! an analysis worker uses it as it is.
//!
//! The order of keeping a take is what makes it safe to kill at any moment: the audio is
//! checked, then kept in the store, then the take's row is added, and only then is it judged
//! and the report saved. A take interrupted after its row exists has no report, and
//! [`reanalyze`] finishes it. A take still being recorded is on disk from its first second
//! ([`RecordingJournal`]), and [`recover_interrupted`] keeps it if the stage died.

mod club;
mod coaching;
mod drills;
mod error;
mod looking_back;
mod memory;
mod model;
mod recording;
mod store;
mod takes;
mod worker;

pub use club::{
    FAILED_LOGIN_WINDOW, Login, MOST_FAILED_LOGINS, SESSION_SECONDS, SHORTEST_PASSWORD, Viewer, add_member, club_of,
    log_in, log_out, member_of_session,
};
pub use coaching::{AssignedPiece, GroupView, PerformerTakes, change_verdict, group_view};
pub use drills::{
    DUE_SOON, DrillAttempt, DrillsAfterTake, attempt_drill, drill_script, drills, drills_after_take, edit_script,
    is_due, keep_attempt, usual_pace,
};
pub use error::RehearsalError;
pub use looking_back::{
    ScriptVersions, TakeStanding, TakesCompared, Trouble, compare, earlier_reports, scored_history, standing_of,
    trouble,
};
pub use memory::mastery_of;
pub use model::SpeechModel;
pub use recording::{INTERRUPTED, RecordingJournal, recordings_dir, recover_interrupted};
pub use store::{Settings, data_dir, open_store};
pub use takes::{
    Judgement, SHORTEST_TAKE, TakeAudio, decode_stored, judge, keep_and_queue, keep_pose_track, keep_take, reanalyze,
    save_judgement, script_of, stored_audio,
};
pub use worker::{WorkDone, WorkerEvent, WorkerOptions, work};
