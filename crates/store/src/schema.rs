//! The database schema as a list of migrations. Stores outlive the program that made them, so a
//! migration, once released, is never edited or removed: a change of schema is a new entry at
//! the end. The number of migrations applied is kept in `PRAGMA user_version`.

use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::StoreError;
use crate::error::Context;

/// Applied in order; `MIGRATIONS[i]` brings the schema from version `i` to `i + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: pieces, their script versions, and takes.
    //
    // `title_key` is the title lowercased in Rust, because SQLite's NOCASE folds ASCII only and
    // titles need not be English. A take names its piece and script version together, so that
    // the database itself refuses a take against another piece's script. No foreign key
    // cascades: removing a piece deletes its rows explicitly, in order, and a stray delete of a
    // piece that still has takes fails instead of silently taking them with it.
    "
    CREATE TABLE piece (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        title_key TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL
    );

    CREATE TABLE script_version (
        id INTEGER PRIMARY KEY,
        piece_id INTEGER NOT NULL REFERENCES piece (id),
        version INTEGER NOT NULL CHECK (version >= 1),
        text TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        UNIQUE (piece_id, version),
        UNIQUE (id, piece_id)
    );

    CREATE TABLE take (
        id INTEGER PRIMARY KEY,
        piece_id INTEGER NOT NULL REFERENCES piece (id),
        script_version_id INTEGER NOT NULL,
        audio_hash TEXT NOT NULL CHECK (length(audio_hash) = 64),
        audio_extension TEXT NOT NULL,
        audio_bytes INTEGER NOT NULL,
        source_name TEXT NOT NULL,
        recorded_at INTEGER NOT NULL,
        duration REAL,
        report TEXT,
        analysed_at INTEGER,
        analyser TEXT,
        accuracy REAL,
        wcpm REAL,
        FOREIGN KEY (script_version_id, piece_id) REFERENCES script_version (id, piece_id)
    );

    CREATE INDEX take_by_piece ON take (piece_id, recorded_at);
    CREATE INDEX take_by_audio ON take (audio_hash, audio_extension);
    ",
    // 2: drills, each with its FSRS schedule, and every review of one.
    //
    // A new drill's schedule is the defaults with `due` set: never practised, due now.
    //
    // A review names the take of the whole piece it was part of, without a foreign key: removing
    // a take keeps the drill's history.
    "
    CREATE TABLE drill (
        id INTEGER PRIMARY KEY,
        piece_id INTEGER NOT NULL REFERENCES piece (id),
        script_version_id INTEGER NOT NULL,
        first_word INTEGER NOT NULL CHECK (first_word >= 0),
        last_word INTEGER NOT NULL CHECK (last_word >= first_word),
        text TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        due INTEGER NOT NULL,
        stability REAL NOT NULL DEFAULT 0,
        difficulty REAL NOT NULL DEFAULT 0,
        elapsed_days INTEGER NOT NULL DEFAULT 0,
        scheduled_days INTEGER NOT NULL DEFAULT 0,
        reps INTEGER NOT NULL DEFAULT 0 CHECK (reps >= 0),
        lapses INTEGER NOT NULL DEFAULT 0 CHECK (lapses >= 0),
        state TEXT NOT NULL DEFAULT 'new' CHECK (state IN ('new', 'learning', 'review', 'relearning')),
        last_review INTEGER,
        retired_at INTEGER,
        FOREIGN KEY (script_version_id, piece_id) REFERENCES script_version (id, piece_id)
    );

    CREATE INDEX drill_by_piece ON drill (piece_id, due);

    CREATE TABLE drill_review (
        id INTEGER PRIMARY KEY,
        drill_id INTEGER NOT NULL REFERENCES drill (id),
        reviewed_at INTEGER NOT NULL,
        rating TEXT NOT NULL CHECK (rating IN ('again', 'hard', 'good', 'easy')),
        take_id INTEGER
    );

    CREATE INDEX drill_review_by_drill ON drill_review (drill_id, reviewed_at);
    ",
    // 3: who performed a take. Always empty here (one performer's own store); the column is
    // there so that both backends read takes alike.
    "
    ALTER TABLE take ADD COLUMN performer_id INTEGER;
    ",
    // 4: the pose over a take, when the camera was on (`encore_take::PoseTrack`, its compact
    // form): the body's points, never pictures.
    "
    ALTER TABLE take ADD COLUMN poses BLOB;
    ",
];

/// The schema version this build of Encore writes.
pub(crate) fn known_version() -> u32 {
    MIGRATIONS.len() as u32
}

/// Brings the database up to the latest schema and returns its version. The check and the
/// migrations run in one immediate transaction, so two processes opening a fresh store at once
/// cannot both migrate it.
pub(crate) fn migrate(connection: &Connection) -> Result<u32, StoreError> {
    const ACTION: &str = "updating the schema";
    let known = known_version();
    // Most opens find the schema current: read it without taking the write lock.
    if user_version(connection).context(ACTION)? == known {
        return Ok(known);
    }
    let transaction = Transaction::new_unchecked(connection, TransactionBehavior::Immediate).context(ACTION)?;
    let found = user_version(&transaction).context(ACTION)?;
    if found > known {
        return Err(StoreError::NewerSchema { found, known });
    }
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        transaction.execute_batch(migration).context(ACTION)?;
        // PRAGMA takes no bound parameters; the value is our own integer.
        transaction.execute_batch(&format!("PRAGMA user_version = {}", index + 1)).context(ACTION)?;
    }
    transaction.commit().context(ACTION)?;
    Ok(known)
}

pub(crate) fn user_version(connection: &Connection) -> rusqlite::Result<u32> {
    connection.pragma_query_value(None, "user_version", |row| row.get(0))
}
