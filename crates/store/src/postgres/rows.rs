//! The SQL the PostgreSQL store's calls share, and its rows read back as the crate's types.

use encore_take::{DrillState, Schedule, TakeReport};
use postgres::{Row, Transaction};

use crate::drills::DRILL_SELECT;
use crate::error::Context;
use crate::pieces::{PIECE_FROM, PIECE_SELECT, title_key};
use crate::store::now;
use crate::takes::TAKE_SELECT;
use crate::{Drill, Piece, ScriptVersion, StoreError, StoredAudio, Take};

/// Titles sort by their key's characters, as SQLite sorts them, whatever the server's locale.
pub(super) const BY_TITLE: &str = "ORDER BY piece.title_key COLLATE \"C\", piece.id";

/// `TitleTaken` where another piece took the title between the check and the write.
pub(super) fn title_taken_or(error: postgres::Error, title: &str, action: &'static str) -> StoreError {
    if error.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION) {
        StoreError::TitleTaken { title: title.to_owned() }
    } else {
        StoreError::Postgres { action, error }
    }
}

pub(super) fn refuse_taken_title(db: &mut Transaction, title: &str, except: Option<i64>) -> Result<(), StoreError> {
    let taken = db
        .query_opt(
            "SELECT title FROM piece WHERE title_key = $1 AND id IS DISTINCT FROM $2",
            &[&title_key(title), &except],
        )
        .context("checking the title")?;
    match taken {
        Some(row) => Err(StoreError::TitleTaken { title: row.get(0) }),
        None => Ok(()),
    }
}

pub(super) fn insert_script_version(
    db: &mut Transaction,
    piece_id: i64,
    version: u32,
    text: &str,
    created_at: i64,
) -> Result<ScriptVersion, StoreError> {
    let id: i64 = db
        .query_one(
            "INSERT INTO script_version (piece_id, version, text, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            &[&piece_id, &(version as i32), &text, &created_at],
        )
        .context("saving a script")?
        .get(0);
    Ok(ScriptVersion { id, piece_id, version, text: text.to_owned(), created_at })
}

pub(super) fn piece_by_id(db: &mut Transaction, id: i64) -> Result<Piece, StoreError> {
    let row =
        db.query_opt(&format!("{PIECE_SELECT} {PIECE_FROM} WHERE piece.id = $1"), &[&id]).context("reading a piece")?;
    match row {
        Some(row) => Ok(piece_from_row(&row)),
        None => Err(no_such_piece_id(db, id)),
    }
}

/// `NoSuchPiece` for an id, with the titles the performer could have meant.
pub(super) fn no_such_piece_id(db: &mut Transaction, id: i64) -> StoreError {
    match db.query(&format!("SELECT title FROM piece {BY_TITLE}"), &[]) {
        Ok(rows) => {
            StoreError::NoSuchPiece { name: id.to_string(), known: rows.iter().map(|row| row.get(0)).collect() }
        }
        Err(error) => StoreError::Postgres { action: "listing the pieces", error },
    }
}

/// Refuses a script version that is not one of the piece's, or a piece that is not there.
pub(super) fn check_script_version(
    db: &mut Transaction,
    piece_id: i64,
    script_version_id: i64,
) -> Result<(), StoreError> {
    const ACTION: &str = "checking the script version";
    let version_piece: Option<i64> = db
        .query_opt("SELECT piece_id FROM script_version WHERE id = $1", &[&script_version_id])
        .context(ACTION)?
        .map(|row| row.get(0));
    let piece_exists = db.query_opt("SELECT 1 FROM piece WHERE id = $1", &[&piece_id]).context(ACTION)?.is_some();
    if !piece_exists {
        return Err(no_such_piece_id(db, piece_id));
    }
    match version_piece {
        None => Err(StoreError::NoSuchScriptVersion { id: script_version_id }),
        Some(owner) if owner != piece_id => {
            Err(StoreError::ScriptVersionOfAnotherPiece { script_version_id, piece_id })
        }
        Some(_) => Ok(()),
    }
}

/// Keeps a take's report with its accuracy and words correct per minute.
pub(crate) fn save_report(
    db: &mut Transaction,
    take_id: i64,
    json: &str,
    report: &TakeReport,
    analyzer: &str,
) -> Result<(), StoreError> {
    let changed = db
        .execute(
            "UPDATE take SET report = $1, analysed_at = $2, analyser = $3, accuracy = $4, wcpm = $5 WHERE id = $6",
            &[&json, &now(), &analyzer, &report.summary.accuracy, &report.summary.wcpm, &take_id],
        )
        .context("saving a report")?;
    if changed == 0 {
        return Err(StoreError::NoSuchTake { id: take_id });
    }
    Ok(())
}

pub(super) fn query_takes(
    db: &mut Transaction,
    filter: &str,
    parameters: &[&(dyn postgres::types::ToSql + Sync)],
) -> Result<Vec<Take>, StoreError> {
    let rows =
        db.query(&format!("{TAKE_SELECT} {filter} ORDER BY recorded_at, id"), parameters).context("reading takes")?;
    Ok(rows.iter().map(take_from_row).collect())
}

fn take_from_row(row: &Row) -> Take {
    let report: Option<String> = row.get(9);
    Take {
        id: row.get(0),
        piece_id: row.get(1),
        script_version_id: row.get(2),
        audio: audio_from_columns(row, 3),
        source_name: row.get(6),
        recorded_at: row.get(7),
        duration: row.get(8),
        // A report this build cannot read must not hide the take, or the rest of the list.
        report: report.and_then(|json| serde_json::from_str(&json).ok()),
        analyzed_at: row.get(10),
        analyzer: row.get(11),
        performer_id: row.get(12),
    }
}

/// The audio named by the hash, extension and size in columns `first..first + 3`.
pub(super) fn audio_from_columns(row: &Row, first: usize) -> StoredAudio {
    StoredAudio {
        hash: row.get(first),
        extension: row.get(first + 1),
        bytes: row.get::<_, i64>(first + 2) as u64,
        path: None,
    }
}

pub(super) fn piece_from_row(row: &Row) -> Piece {
    let id = row.get(0);
    Piece {
        id,
        title: row.get(1),
        created_at: row.get(2),
        script: ScriptVersion {
            id: row.get(3),
            piece_id: id,
            version: row.get::<_, i32>(4) as u32,
            text: row.get(5),
            created_at: row.get(6),
        },
    }
}

pub(super) fn script_version_from_row(row: &Row) -> ScriptVersion {
    ScriptVersion {
        id: row.get(0),
        piece_id: row.get(1),
        version: row.get::<_, i32>(2) as u32,
        text: row.get(3),
        created_at: row.get(4),
    }
}

pub(super) fn read_drill(db: &mut Transaction, id: i64) -> Result<Drill, StoreError> {
    db.query_opt(&format!("{DRILL_SELECT} WHERE id = $1"), &[&id])
        .context("reading a drill")?
        .map(|row| drill_from_row(&row))
        .ok_or(StoreError::NoSuchDrill { id })
}

pub(super) fn drill_from_row(row: &Row) -> Drill {
    let state: String = row.get(14);
    Drill {
        id: row.get(0),
        piece_id: row.get(1),
        script_version_id: row.get(2),
        first_word: row.get::<_, i64>(3) as usize,
        last_word: row.get::<_, i64>(4) as usize,
        text: row.get(5),
        created_at: row.get(6),
        schedule: Schedule {
            due: row.get(7),
            stability: row.get(8),
            difficulty: row.get(9),
            elapsed_days: row.get(10),
            scheduled_days: row.get(11),
            reps: row.get::<_, i64>(12) as u32,
            lapses: row.get::<_, i64>(13) as u32,
            // The column's CHECK admits the four names only.
            state: DrillState::from_name(&state).unwrap_or(DrillState::New),
            last_review: row.get(15),
        },
        retired_at: row.get(16),
    }
}
