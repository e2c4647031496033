//! Pieces and their scripts. A script is never edited in place: an edit adds a version, because
//! a take's report only makes sense against the words that were on the page when it was
//! performed, and old takes keep pointing at their version.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::error::Context;
use crate::store::now;
use crate::{SqliteStore, StoreError};

/// A piece the performer rehearses, with its current script.
#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    pub id: i64,
    pub title: String,
    /// The latest version of the script.
    pub script: ScriptVersion,
    pub created_at: i64,
}

/// One version of a piece's script, as it was when saved.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptVersion {
    pub id: i64,
    pub piece_id: i64,
    /// 1 for the script the piece was added with, then 2, 3, … for each edit.
    pub version: u32,
    pub text: String,
    pub created_at: i64,
}

/// A piece with what a list of pieces shows about its takes.
#[derive(Debug, Clone, PartialEq)]
pub struct PieceSummary {
    pub piece: Piece,
    pub takes: usize,
    pub last_take_at: Option<i64>,
    /// The highest accuracy among the piece's analysed takes.
    pub best_accuracy: Option<f64>,
}

/// The columns `piece_from_row` reads, and the join that finds each piece's latest script; the
/// same SQL in both backends, which read the columns in this order.
pub(crate) const PIECE_SELECT: &str = "
    SELECT piece.id, piece.title, piece.created_at,
           script_version.id, script_version.version, script_version.text, script_version.created_at";
pub(crate) const PIECE_FROM: &str = "
    FROM piece JOIN script_version ON script_version.piece_id = piece.id
     AND script_version.version = (SELECT max(version) FROM script_version AS latest WHERE latest.piece_id = piece.id)";
/// The summary of a piece's takes, after `PIECE_SELECT`'s columns: how many, the latest, the best
/// accuracy (`PieceSummary`).
pub(crate) const TAKES_SUMMARY: &str = "
    (SELECT count(*) FROM take WHERE take.piece_id = piece.id),
    (SELECT max(recorded_at) FROM take WHERE take.piece_id = piece.id),
    (SELECT max(accuracy) FROM take WHERE take.piece_id = piece.id)";
pub(crate) const SCRIPT_VERSION_SELECT: &str = "SELECT id, piece_id, version, text, created_at FROM script_version";

impl SqliteStore {
    /// Adds a piece with the first version of its script. The title is trimmed, and must differ
    /// from every other title ignoring case.
    pub fn add_piece(&self, title: &str, script_text: &str) -> Result<Piece, StoreError> {
        let title = clean_title(title)?;
        self.write("adding a piece", |transaction| {
            refuse_taken_title(transaction, title, None)?;
            let created_at = now();
            transaction
                .execute(
                    "INSERT INTO piece (title, title_key, created_at) VALUES (?1, ?2, ?3)",
                    params![title, title_key(title), created_at],
                )
                .context("adding a piece")?;
            let piece_id = transaction.last_insert_rowid();
            let script = insert_script_version(transaction, piece_id, 1, script_text, created_at)?;
            Ok(Piece { id: piece_id, title: title.to_owned(), script, created_at })
        })
    }

    /// Every piece, by title, with a summary of its takes.
    pub fn pieces(&self) -> Result<Vec<PieceSummary>, StoreError> {
        const ACTION: &str = "listing the pieces";
        let sql = format!("{PIECE_SELECT}, {TAKES_SUMMARY} {PIECE_FROM} ORDER BY piece.title_key, piece.id");
        let mut statement = self.connection.prepare(&sql).context(ACTION)?;
        let summaries = statement
            .query_map([], |row| {
                Ok(PieceSummary {
                    piece: piece_from_row(row)?,
                    takes: row.get::<_, i64>(7)? as usize,
                    last_take_at: row.get(8)?,
                    best_accuracy: row.get(9)?,
                })
            })
            .context(ACTION)?;
        summaries.collect::<Result<_, _>>().context(ACTION)
    }

    /// The piece with this id.
    pub fn piece(&self, id: i64) -> Result<Piece, StoreError> {
        piece_by_id(&self.connection, id)
    }

    /// The piece the performer means by `name` (see [`choose_piece`]).
    pub fn find_piece(&self, name: &str) -> Result<Piece, StoreError> {
        const ACTION: &str = "looking for a piece";
        let mut statement =
            self.connection.prepare("SELECT id, title, title_key FROM piece ORDER BY title_key, id").context(ACTION)?;
        let pieces: Vec<(i64, String, String)> = statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .context(ACTION)?
            .collect::<Result<_, _>>()
            .context(ACTION)?;
        self.piece(choose_piece(name, &pieces)?)
    }

    /// Gives a piece a new title (trimmed, and unique ignoring case).
    pub fn rename_piece(&self, id: i64, title: &str) -> Result<Piece, StoreError> {
        let title = clean_title(title)?;
        self.write("renaming a piece", |transaction| {
            refuse_taken_title(transaction, title, Some(id))?;
            let changed = transaction
                .execute(
                    "UPDATE piece SET title = ?1, title_key = ?2 WHERE id = ?3",
                    params![title, title_key(title), id],
                )
                .context("renaming a piece")?;
            if changed == 0 {
                return Err(no_such_piece_id(transaction, id));
            }
            piece_by_id(transaction, id)
        })
    }

    /// Saves a new version of a piece's script and returns it. Text identical to the current
    /// version saves nothing and returns the current version.
    pub fn edit_script(&self, piece_id: i64, text: &str) -> Result<ScriptVersion, StoreError> {
        self.write("editing a script", |transaction| {
            let current = piece_by_id(transaction, piece_id)?.script;
            if current.text == text {
                return Ok(current);
            }
            insert_script_version(transaction, piece_id, current.version + 1, text, now())
        })
    }

    /// The script version with this id, current or not.
    pub fn script_version(&self, id: i64) -> Result<ScriptVersion, StoreError> {
        const ACTION: &str = "reading a script version";
        self.connection
            .query_row(&format!("{SCRIPT_VERSION_SELECT} WHERE id = ?1"), [id], script_version_from_row)
            .optional()
            .context(ACTION)?
            .ok_or(StoreError::NoSuchScriptVersion { id })
    }

    /// Removes a piece with all its script versions and takes, then deletes the audio that no
    /// other take uses.
    pub fn remove_piece(&self, id: i64) -> Result<(), StoreError> {
        const ACTION: &str = "removing a piece";
        let audio = self.write(ACTION, |transaction| {
            let exists: bool = transaction
                .query_row("SELECT EXISTS (SELECT 1 FROM piece WHERE id = ?1)", [id], |row| row.get(0))
                .context(ACTION)?;
            if !exists {
                return Err(no_such_piece_id(transaction, id));
            }
            let mut statement = transaction
                .prepare("SELECT DISTINCT audio_hash, audio_extension FROM take WHERE piece_id = ?1")
                .context(ACTION)?;
            let audio: Vec<(String, String)> = statement
                .query_map([id], |row| Ok((row.get(0)?, row.get(1)?)))
                .context(ACTION)?
                .collect::<Result<_, _>>()
                .context(ACTION)?;
            // Children first: the foreign keys have no cascades and refuse any other order.
            crate::drills::delete_drills_of_piece(transaction, id)?;
            transaction.execute("DELETE FROM take WHERE piece_id = ?1", [id]).context(ACTION)?;
            transaction.execute("DELETE FROM script_version WHERE piece_id = ?1", [id]).context(ACTION)?;
            transaction.execute("DELETE FROM piece WHERE id = ?1", [id]).context(ACTION)?;
            Ok(audio)
        })?;
        self.delete_unreferenced_audio(&audio)
    }
}

/// The piece the performer means by `name`, among `pieces` (id, title, title key) in title
/// order: its id if `name` is all digits and such a piece exists, else the piece with exactly
/// that title ignoring case, else the one piece whose title starts with `name`. Every backend
/// chooses the same way.
pub(crate) fn choose_piece(name: &str, pieces: &[(i64, String, String)]) -> Result<i64, StoreError> {
    let name = name.trim();
    let no_such_piece = || StoreError::NoSuchPiece {
        name: name.to_owned(),
        known: pieces.iter().map(|(_, title, _)| title.clone()).collect(),
    };
    if name.is_empty() {
        return Err(no_such_piece());
    }
    let id = name.bytes().all(|byte| byte.is_ascii_digit()).then(|| name.parse::<i64>().ok()).flatten();
    if let Some(id) = id.filter(|id| pieces.iter().any(|(piece_id, _, _)| piece_id == id)) {
        return Ok(id);
    }
    let key = title_key(name);
    if let Some((id, _, _)) = pieces.iter().find(|(_, _, piece_key)| *piece_key == key) {
        return Ok(*id);
    }
    let matches: Vec<&(i64, String, String)> =
        pieces.iter().filter(|(_, _, piece_key)| piece_key.starts_with(&key)).collect();
    match matches.as_slice() {
        [] => Err(no_such_piece()),
        [(id, _, _)] => Ok(*id),
        several => Err(StoreError::AmbiguousPiece {
            name: name.to_owned(),
            matches: several.iter().map(|(_, title, _)| title.clone()).collect(),
        }),
    }
}

/// The key titles are compared by: Unicode lowercase, which SQLite's NOCASE is not (nor is a
/// PostgreSQL collation the same on every server).
pub(crate) fn title_key(title: &str) -> String {
    title.to_lowercase()
}

pub(crate) fn clean_title(title: &str) -> Result<&str, StoreError> {
    let title = title.trim();
    if title.is_empty() { Err(StoreError::EmptyTitle) } else { Ok(title) }
}

/// Fails with `TitleTaken` if a piece other than `except` has this title, ignoring case.
fn refuse_taken_title(connection: &Connection, title: &str, except: Option<i64>) -> Result<(), StoreError> {
    let taken: Option<String> = connection
        .query_row(
            "SELECT title FROM piece WHERE title_key = ?1 AND id IS NOT ?2",
            params![title_key(title), except],
            |row| row.get(0),
        )
        .optional()
        .context("checking the title")?;
    match taken {
        Some(title) => Err(StoreError::TitleTaken { title }),
        None => Ok(()),
    }
}

fn insert_script_version(
    connection: &Connection,
    piece_id: i64,
    version: u32,
    text: &str,
    created_at: i64,
) -> Result<ScriptVersion, StoreError> {
    connection
        .execute(
            "INSERT INTO script_version (piece_id, version, text, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![piece_id, version, text, created_at],
        )
        .context("saving a script")?;
    Ok(ScriptVersion { id: connection.last_insert_rowid(), piece_id, version, text: text.to_owned(), created_at })
}

pub(crate) fn piece_by_id(connection: &Connection, id: i64) -> Result<Piece, StoreError> {
    connection
        .query_row(&format!("{PIECE_SELECT} {PIECE_FROM} WHERE piece.id = ?1"), [id], piece_from_row)
        .optional()
        .context("reading a piece")?
        .ok_or_else(|| no_such_piece_id(connection, id))
}

/// `NoSuchPiece` for an id, with the titles the performer could have meant.
pub(crate) fn no_such_piece_id(connection: &Connection, id: i64) -> StoreError {
    match titles(connection) {
        Ok(known) => StoreError::NoSuchPiece { name: id.to_string(), known },
        Err(error) => error,
    }
}

fn titles(connection: &Connection) -> Result<Vec<String>, StoreError> {
    const ACTION: &str = "listing the pieces";
    let mut statement = connection.prepare("SELECT title FROM piece ORDER BY title_key, id").context(ACTION)?;
    let titles = statement.query_map([], |row| row.get(0)).context(ACTION)?;
    titles.collect::<Result<_, _>>().context(ACTION)
}

fn piece_from_row(row: &Row) -> rusqlite::Result<Piece> {
    let id = row.get(0)?;
    Ok(Piece {
        id,
        title: row.get(1)?,
        created_at: row.get(2)?,
        script: ScriptVersion {
            id: row.get(3)?,
            piece_id: id,
            version: row.get(4)?,
            text: row.get(5)?,
            created_at: row.get(6)?,
        },
    })
}

fn script_version_from_row(row: &Row) -> rusqlite::Result<ScriptVersion> {
    Ok(ScriptVersion {
        id: row.get(0)?,
        piece_id: row.get(1)?,
        version: row.get(2)?,
        text: row.get(3)?,
        created_at: row.get(4)?,
    })
}
