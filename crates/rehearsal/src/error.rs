//! What can stop a rehearsal step, each failure saying what to do next.

use std::path::PathBuf;

use encore_audio::AudioError;
use encore_listen::ListenError;
use encore_script::ScriptError;
use encore_store::StoreError;

/// A failure of a rehearsal step.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RehearsalError {
    #[error(transparent)]
    Store(#[from] StoreError),

    #[error(transparent)]
    Audio(#[from] AudioError),

    #[error(transparent)]
    Listen(#[from] ListenError),

    #[error("cannot tell where your data directory is; choose one with --data DIR or ENCORE_DATA")]
    NoDataDirectory,

    #[error("cannot open Encore's store in {}", dir.display())]
    OpeningStore {
        dir: PathBuf,
        #[source]
        source: StoreError,
    },

    #[error("cannot open the club's database")]
    OpeningDatabase(#[source] StoreError),

    #[error(
        "only a club's database has an analysis queue: name one with --database \
         postgres://USER:PASSWORD@HOST:PORT/NAME (or ENCORE_DATABASE)"
    )]
    NoQueue,

    #[error(
        "members, groups and logins belong to a club's database: name one with --database \
         postgres://USER:PASSWORD@HOST:PORT/NAME (or ENCORE_DATABASE)"
    )]
    NotAClub,

    #[error("take {take_id} is kept but not queued; analyse it with: encore reanalyze --take {take_id}")]
    KeptNotQueued {
        take_id: i64,
        #[source]
        source: StoreError,
    },

    #[error("only a coach may do that")]
    CoachesOnly,

    #[error("there is no group {id} among yours")]
    NoSuchGroup { id: i64 },

    #[error("cannot change that verdict: {0}")]
    Verdict(encore_take::VerdictChangeError),

    #[error("a password needs at least {shortest} characters")]
    ShortPassword { shortest: usize },

    #[error("that name and password do not match a member")]
    WrongLogin,

    #[error("too many failed logins under this name; try again in {minutes} minutes")]
    TooManyLogins { minutes: i64 },

    #[error("cannot hash or check a password: {0}")]
    Password(String),

    #[error("cannot load the speech model from {}", dir.display())]
    LoadingModel {
        dir: PathBuf,
        #[source]
        source: ListenError,
    },

    #[error("cannot load the second listener from {}; correct --second-listener / ENCORE_SECOND_LISTENER (a directory, or a model's name: base)", dir.display())]
    LoadingSecondListener {
        dir: PathBuf,
        #[source]
        source: ListenError,
    },

    #[error("the stored script of take {take_id} cannot be read")]
    StoredScript {
        take_id: i64,
        #[source]
        source: ScriptError,
    },

    #[error("the words of drill {drill_id} cannot be read as a script")]
    DrillScript {
        drill_id: i64,
        #[source]
        source: ScriptError,
    },

    #[error("cannot read or remove the interrupted recording {}", path.display())]
    Recording {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("takes {before} and {after} are of different pieces; compare two takes of the same piece")]
    DifferentPieces { before: i64, after: i64 },

    #[error("take {id} has no report yet; analyse it with: encore reanalyze --take {id}")]
    NotAnalyzed { id: i64 },
}
