//! The PostgreSQL backend, the store of a club or a school: many performers, a stage and
//! analysis workers on several machines sharing one database, with the takes' audio in it too
//! (behind the audio shelf, `audio.rs`) so that any machine can read any take. It keeps the
//! crate's two invariants the same way as SQLite: audio is on the shelf before a row refers
//! to it, and a row never points at nothing (foreign keys, and audio taken off the shelf only
//! by the transaction that finds no row using it).
//!
//! One `PostgresStore` is one connection, like one `SqliteStore`: every call is one
//! transaction on it, and another thread or process opens its own.

mod audio;
mod queue;
mod schema;

use std::cell::RefCell;

use encore_take::{DrillState, Rating, Schedule, TakeReport};
use postgres::{Client, NoTls, Row, Transaction};

use self::audio::{AudioShelf, InDatabase};
use crate::audio_files::{is_valid_name, normalise_extension, sha256_hex};
use crate::error::Context;
use crate::pieces::{choose_piece, clean_title, title_key};
use crate::store::now;
use crate::{Drill, NewDrill, NewTake, Piece, PieceSummary, ScriptVersion, Store, StoreError, StoredAudio, Take};

/// A connection to a club's Encore database.
pub struct PostgresStore {
    client: RefCell<Client>,
    shelf: Box<dyn AudioShelf>,
    /// The database as the user may see it: `user@host:port/name`, never the password.
    place: String,
    schema_version: u32,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("PostgresStore").field("place", &self.place).finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/name`), creating
    /// Encore's tables in it if it has none and bringing them up to date.
    pub fn open(url: &str) -> Result<PostgresStore, StoreError> {
        let config: postgres::Config =
            url.parse().map_err(|error: postgres::Error| StoreError::BadDatabaseUrl { reason: error.to_string() })?;
        let place = place_of(&config);
        let mut client =
            config.connect(NoTls).map_err(|error| StoreError::DatabaseUnreachable { place: place.clone(), error })?;
        let schema_version = schema::migrate(&mut client)?;
        Ok(PostgresStore { client: RefCell::new(client), shelf: Box::new(InDatabase), place, schema_version })
    }

    /// Where this store is, without the password: `user@host:port/name`.
    pub fn place(&self) -> &str {
        &self.place
    }

    /// Runs `work` in one transaction and commits it.
    pub(crate) fn transaction<T>(
        &self,
        action: &'static str,
        work: impl FnOnce(&mut Transaction, &dyn AudioShelf) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut client = self.client.borrow_mut();
        let mut transaction = client.transaction().context(action)?;
        let value = work(&mut transaction, self.shelf.as_ref())?;
        transaction.commit().context(action)?;
        Ok(value)
    }
}

/// `user@host:port/name` of a connection's settings.
fn place_of(config: &postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(name)) => name.clone(),
        #[cfg(unix)]
        Some(postgres::config::Host::Unix(path)) => path.display().to_string(),
        None => "localhost".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or("");
    let name = config.get_dbname().unwrap_or(user);
    format!("{user}@{host}:{port}/{name}")
}

const PIECE_SELECT: &str = "
    SELECT piece.id, piece.title, piece.created_at,
           script_version.id, script_version.version, script_version.text, script_version.created_at";
const PIECE_FROM: &str = "
    FROM piece JOIN script_version ON script_version.piece_id = piece.id
     AND script_version.version = (SELECT max(version) FROM script_version AS latest WHERE latest.piece_id = piece.id)";
/// Titles sort by their key's characters, as SQLite sorts them, whatever the server's locale.
const BY_TITLE: &str = "ORDER BY piece.title_key COLLATE \"C\", piece.id";
const SCRIPT_VERSION_SELECT: &str = "SELECT id, piece_id, version, text, created_at FROM script_version";
const TAKE_SELECT: &str = "
    SELECT id, piece_id, script_version_id, audio_hash, audio_extension, audio_bytes,
           source_name, recorded_at, duration, report, analysed_at, analyser
    FROM take";
const DRILL_SELECT: &str = "
    SELECT id, piece_id, script_version_id, first_word, last_word, text, created_at, due, stability,
           difficulty, elapsed_days, scheduled_days, reps, lapses, state, last_review, retired_at
    FROM drill";

impl Store for PostgresStore {
    fn add_piece(&self, title: &str, script_text: &str) -> Result<Piece, StoreError> {
        const ACTION: &str = "adding a piece";
        let title = clean_title(title)?;
        self.transaction(ACTION, |db, _| {
            refuse_taken_title(db, title, None)?;
            let created_at = now();
            let id: i64 = db
                .query_one(
                    "INSERT INTO piece (title, title_key, created_at) VALUES ($1, $2, $3) RETURNING id",
                    &[&title, &title_key(title), &created_at],
                )
                .map_err(|error| title_taken_or(error, title, ACTION))?
                .get(0);
            let script = insert_script_version(db, id, 1, script_text, created_at)?;
            Ok(Piece { id, title: title.to_owned(), script, created_at })
        })
    }

    fn pieces(&self) -> Result<Vec<PieceSummary>, StoreError> {
        const ACTION: &str = "listing the pieces";
        let sql = format!(
            "{PIECE_SELECT},
                (SELECT count(*) FROM take WHERE take.piece_id = piece.id),
                (SELECT max(recorded_at) FROM take WHERE take.piece_id = piece.id),
                (SELECT max(accuracy) FROM take WHERE take.piece_id = piece.id)
             {PIECE_FROM} {BY_TITLE}"
        );
        let rows = self.client.borrow_mut().query(&sql, &[]).context(ACTION)?;
        Ok(rows
            .iter()
            .map(|row| PieceSummary {
                piece: piece_from_row(row),
                takes: row.get::<_, i64>(7) as usize,
                last_take_at: row.get(8),
                best_accuracy: row.get(9),
            })
            .collect())
    }

    fn piece(&self, id: i64) -> Result<Piece, StoreError> {
        self.transaction("reading a piece", |db, _| piece_by_id(db, id))
    }

    fn find_piece(&self, name: &str) -> Result<Piece, StoreError> {
        self.transaction("looking for a piece", |db, _| {
            let rows = db
                .query(&format!("SELECT id, title, title_key FROM piece {BY_TITLE}"), &[])
                .context("looking for a piece")?;
            let pieces: Vec<(i64, String, String)> =
                rows.iter().map(|row| (row.get(0), row.get(1), row.get(2))).collect();
            piece_by_id(db, choose_piece(name, &pieces)?)
        })
    }

    fn rename_piece(&self, id: i64, title: &str) -> Result<Piece, StoreError> {
        const ACTION: &str = "renaming a piece";
        let title = clean_title(title)?;
        self.transaction(ACTION, |db, _| {
            refuse_taken_title(db, title, Some(id))?;
            let changed = db
                .execute("UPDATE piece SET title = $1, title_key = $2 WHERE id = $3", &[&title, &title_key(title), &id])
                .map_err(|error| title_taken_or(error, title, ACTION))?;
            if changed == 0 {
                return Err(no_such_piece_id(db, id));
            }
            piece_by_id(db, id)
        })
    }

    fn edit_script(&self, piece_id: i64, text: &str) -> Result<ScriptVersion, StoreError> {
        self.transaction("editing a script", |db, _| {
            // Locks the piece, so that two edits at once number their versions one after the other.
            db.execute("SELECT 1 FROM piece WHERE id = $1 FOR UPDATE", &[&piece_id]).context("editing a script")?;
            let current = piece_by_id(db, piece_id)?.script;
            if current.text == text {
                return Ok(current);
            }
            insert_script_version(db, piece_id, current.version + 1, text, now())
        })
    }

    fn script_version(&self, id: i64) -> Result<ScriptVersion, StoreError> {
        let row = self
            .client
            .borrow_mut()
            .query_opt(&format!("{SCRIPT_VERSION_SELECT} WHERE id = $1"), &[&id])
            .context("reading a script version")?;
        row.map(|row| script_version_from_row(&row)).ok_or(StoreError::NoSuchScriptVersion { id })
    }

    fn remove_piece(&self, id: i64) -> Result<(), StoreError> {
        const ACTION: &str = "removing a piece";
        self.transaction(ACTION, |db, shelf| {
            let exists = db.query_opt("SELECT 1 FROM piece WHERE id = $1 FOR UPDATE", &[&id]).context(ACTION)?;
            if exists.is_none() {
                return Err(no_such_piece_id(db, id));
            }
            let audio = db
                .query("SELECT DISTINCT audio_hash, audio_extension, audio_bytes FROM take WHERE piece_id = $1", &[&id])
                .context(ACTION)?
                .iter()
                .map(|row| audio_from_columns(row, 0))
                .collect::<Vec<_>>();
            // Children first: the foreign keys have no cascades and refuse any other order.
            for statement in [
                "DELETE FROM drill_review WHERE drill_id IN (SELECT id FROM drill WHERE piece_id = $1)",
                "DELETE FROM drill WHERE piece_id = $1",
                "DELETE FROM analysis_job WHERE take_id IN (SELECT id FROM take WHERE piece_id = $1)",
                "DELETE FROM take WHERE piece_id = $1",
                "DELETE FROM script_version WHERE piece_id = $1",
                "DELETE FROM piece WHERE id = $1",
            ] {
                db.execute(statement, &[&id]).context(ACTION)?;
            }
            audio::remove_unused(shelf, db, &audio)
        })
    }

    fn save_audio(&self, bytes: &[u8], extension: &str) -> Result<StoredAudio, StoreError> {
        let audio = StoredAudio {
            hash: sha256_hex(bytes),
            extension: normalise_extension(extension)?,
            bytes: bytes.len() as u64,
            path: None,
        };
        self.transaction("keeping audio", |db, shelf| shelf.put(db, &audio, bytes))?;
        Ok(audio)
    }

    fn read_audio(&self, audio: &StoredAudio) -> Result<Vec<u8>, StoreError> {
        self.transaction("reading audio", |db, shelf| shelf.get(db, audio))?
            .ok_or_else(|| StoreError::AudioNotInStore { name: audio.name() })
    }

    fn add_take(&self, take: &NewTake) -> Result<Take, StoreError> {
        const ACTION: &str = "adding a take";
        self.transaction(ACTION, |db, shelf| {
            check_script_version(db, take.piece_id, take.script_version_id)?;
            let audio = take.audio;
            audio::lock(db, audio)?;
            if !is_valid_name(&audio.hash, &audio.extension) || shelf.size(db, audio)? != Some(audio.bytes) {
                return Err(StoreError::AudioNotInStore { name: audio.name() });
            }
            let recorded_at = now();
            let id: i64 = db
                .query_one(
                    "INSERT INTO take (piece_id, script_version_id, audio_hash, audio_extension, audio_bytes,
                                       source_name, recorded_at, duration)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                    &[
                        &take.piece_id,
                        &take.script_version_id,
                        &audio.hash,
                        &audio.extension,
                        &(audio.bytes as i64),
                        &take.source_name,
                        &recorded_at,
                        &take.duration,
                    ],
                )
                .context(ACTION)?
                .get(0);
            Ok(Take {
                id,
                piece_id: take.piece_id,
                script_version_id: take.script_version_id,
                audio: StoredAudio { path: None, ..audio.clone() },
                source_name: take.source_name.clone(),
                recorded_at,
                duration: take.duration,
                report: None,
                analyzed_at: None,
                analyzer: None,
            })
        })
    }

    fn save_report(&self, take_id: i64, report: &TakeReport, analyzer: &str) -> Result<(), StoreError> {
        let json = serde_json::to_string(report).map_err(|source| StoreError::ReportEncoding { take_id, source })?;
        self.transaction("saving a report", |db, _| save_report(db, take_id, &json, report, analyzer))
    }

    fn takes(&self, piece_id: i64) -> Result<Vec<Take>, StoreError> {
        self.transaction("reading takes", |db, _| {
            let takes = query_takes(db, "WHERE piece_id = $1", &[&piece_id])?;
            if takes.is_empty() {
                // Tell "no takes yet" from "no such piece".
                piece_by_id(db, piece_id)?;
            }
            Ok(takes)
        })
    }

    fn take(&self, id: i64) -> Result<Take, StoreError> {
        self.transaction("reading takes", |db, _| query_takes(db, "WHERE id = $1", &[&id]))?
            .pop()
            .ok_or(StoreError::NoSuchTake { id })
    }

    fn all_takes(&self) -> Result<Vec<Take>, StoreError> {
        self.transaction("reading takes", |db, _| query_takes(db, "", &[]))
    }

    fn remove_take(&self, id: i64) -> Result<(), StoreError> {
        const ACTION: &str = "removing a take";
        self.transaction(ACTION, |db, shelf| {
            // A worker still hearing it finds its job gone and keeps nothing.
            db.execute("DELETE FROM analysis_job WHERE take_id = $1", &[&id]).context(ACTION)?;
            let row = db
                .query_opt("DELETE FROM take WHERE id = $1 RETURNING audio_hash, audio_extension, audio_bytes", &[&id])
                .context(ACTION)?
                .ok_or(StoreError::NoSuchTake { id })?;
            audio::remove_unused(shelf, db, &[audio_from_columns(&row, 0)])
        })
    }

    fn add_drill(&self, drill: &NewDrill) -> Result<Drill, StoreError> {
        const ACTION: &str = "adding a drill";
        self.transaction(ACTION, |db, _| {
            check_script_version(db, drill.piece_id, drill.script_version_id)?;
            // The schedule's other columns default to a drill never practised (Schedule::new).
            let created = now();
            let id: i64 = db
                .query_one(
                    "INSERT INTO drill (piece_id, script_version_id, first_word, last_word, text, created_at, due)
                     VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
                    &[
                        &drill.piece_id,
                        &drill.script_version_id,
                        &(drill.first_word as i64),
                        &(drill.last_word as i64),
                        &drill.text,
                        &created,
                    ],
                )
                .context(ACTION)?
                .get(0);
            read_drill(db, id)
        })
    }

    fn drills(&self, piece_id: Option<i64>) -> Result<Vec<Drill>, StoreError> {
        let rows = self
            .client
            .borrow_mut()
            .query(
                &format!(
                    "{DRILL_SELECT} WHERE retired_at IS NULL AND ($1::BIGINT IS NULL OR piece_id = $1) ORDER BY due, id"
                ),
                &[&piece_id],
            )
            .context("reading drills")?;
        Ok(rows.iter().map(drill_from_row).collect())
    }

    fn drill(&self, id: i64) -> Result<Drill, StoreError> {
        self.transaction("reading a drill", |db, _| read_drill(db, id))
    }

    fn review_drill(
        &self,
        id: i64,
        rating: Rating,
        schedule: &Schedule,
        take_id: Option<i64>,
    ) -> Result<Drill, StoreError> {
        const ACTION: &str = "keeping a drill's review";
        self.transaction(ACTION, |db, _| {
            read_drill(db, id)?;
            db.execute(
                "INSERT INTO drill_review (drill_id, reviewed_at, rating, take_id) VALUES ($1, $2, $3, $4)",
                &[&id, &schedule.last_review.unwrap_or_else(now), &rating.name(), &take_id],
            )
            .context(ACTION)?;
            db.execute(
                "UPDATE drill SET due = $2, stability = $3, difficulty = $4, elapsed_days = $5,
                                  scheduled_days = $6, reps = $7, lapses = $8, state = $9, last_review = $10
                 WHERE id = $1",
                &[
                    &id,
                    &schedule.due,
                    &schedule.stability,
                    &schedule.difficulty,
                    &schedule.elapsed_days,
                    &schedule.scheduled_days,
                    &i64::from(schedule.reps),
                    &i64::from(schedule.lapses),
                    &schedule.state.name(),
                    &schedule.last_review,
                ],
            )
            .context(ACTION)?;
            read_drill(db, id)
        })
    }

    fn move_drill(
        &self,
        id: i64,
        script_version_id: i64,
        first_word: usize,
        last_word: usize,
    ) -> Result<Drill, StoreError> {
        const ACTION: &str = "moving a drill to the edited script";
        self.transaction(ACTION, |db, _| {
            let drill = read_drill(db, id)?;
            let version_piece: Option<i64> = db
                .query_opt("SELECT piece_id FROM script_version WHERE id = $1", &[&script_version_id])
                .context(ACTION)?
                .map(|row| row.get(0));
            if version_piece != Some(drill.piece_id) {
                return Err(StoreError::ScriptVersionOfAnotherPiece { script_version_id, piece_id: drill.piece_id });
            }
            db.execute(
                "UPDATE drill SET script_version_id = $2, first_word = $3, last_word = $4 WHERE id = $1",
                &[&id, &script_version_id, &(first_word as i64), &(last_word as i64)],
            )
            .context(ACTION)?;
            read_drill(db, id)
        })
    }

    fn retire_drill(&self, id: i64) -> Result<(), StoreError> {
        const ACTION: &str = "retiring a drill";
        self.transaction(ACTION, |db, _| {
            read_drill(db, id)?;
            db.execute("UPDATE drill SET retired_at = $2 WHERE id = $1 AND retired_at IS NULL", &[&id, &now()])
                .context(ACTION)?;
            Ok(())
        })
    }

    /// Looks for takes whose audio is missing from the shelf or of the wrong size; the
    /// database's own constraints keep the rows whole.
    fn check(&self) -> Result<Vec<String>, StoreError> {
        const ACTION: &str = "checking the store";
        self.transaction(ACTION, |db, shelf| {
            let rows = db
                .query(
                    "SELECT take.id, piece.title, audio_hash, audio_extension, audio_bytes
                     FROM take JOIN piece ON piece.id = take.piece_id ORDER BY take.id",
                    &[],
                )
                .context(ACTION)?;
            let mut problems = Vec::new();
            for row in rows {
                let (id, title): (i64, String) = (row.get(0), row.get(1));
                let audio = audio_from_columns(&row, 2);
                match shelf.size(db, &audio)? {
                    Some(bytes) if bytes == audio.bytes => {}
                    Some(bytes) => problems.push(format!(
                        "take {id} of \"{title}\": its audio {} is {bytes} bytes, not {}",
                        audio.name(),
                        audio.bytes
                    )),
                    None => problems.push(format!("take {id} of \"{title}\": its audio {} is missing", audio.name())),
                }
            }
            Ok(problems)
        })
    }

    fn schema_version(&self) -> u32 {
        self.schema_version
    }

    fn queue(&self) -> Option<&dyn crate::Queue> {
        Some(self)
    }
}

/// `TitleTaken` where another piece took the title between the check and the write.
fn title_taken_or(error: postgres::Error, title: &str, action: &'static str) -> StoreError {
    if error.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION) {
        StoreError::TitleTaken { title: title.to_owned() }
    } else {
        StoreError::Postgres { action, error }
    }
}

fn refuse_taken_title(db: &mut Transaction, title: &str, except: Option<i64>) -> Result<(), StoreError> {
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

fn insert_script_version(
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

fn piece_by_id(db: &mut Transaction, id: i64) -> Result<Piece, StoreError> {
    let row =
        db.query_opt(&format!("{PIECE_SELECT} {PIECE_FROM} WHERE piece.id = $1"), &[&id]).context("reading a piece")?;
    match row {
        Some(row) => Ok(piece_from_row(&row)),
        None => Err(no_such_piece_id(db, id)),
    }
}

/// `NoSuchPiece` for an id, with the titles the performer could have meant.
fn no_such_piece_id(db: &mut Transaction, id: i64) -> StoreError {
    match db.query(&format!("SELECT title FROM piece {BY_TITLE}"), &[]) {
        Ok(rows) => {
            StoreError::NoSuchPiece { name: id.to_string(), known: rows.iter().map(|row| row.get(0)).collect() }
        }
        Err(error) => StoreError::Postgres { action: "listing the pieces", error },
    }
}

/// Refuses a script version that is not one of the piece's, or a piece that is not there.
fn check_script_version(db: &mut Transaction, piece_id: i64, script_version_id: i64) -> Result<(), StoreError> {
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

fn query_takes(
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
    }
}

/// The audio named by the hash, extension and size in columns `first..first + 3`.
fn audio_from_columns(row: &Row, first: usize) -> StoredAudio {
    StoredAudio {
        hash: row.get(first),
        extension: row.get(first + 1),
        bytes: row.get::<_, i64>(first + 2) as u64,
        path: None,
    }
}

fn piece_from_row(row: &Row) -> Piece {
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

fn script_version_from_row(row: &Row) -> ScriptVersion {
    ScriptVersion {
        id: row.get(0),
        piece_id: row.get(1),
        version: row.get::<_, i32>(2) as u32,
        text: row.get(3),
        created_at: row.get(4),
    }
}

fn read_drill(db: &mut Transaction, id: i64) -> Result<Drill, StoreError> {
    db.query_opt(&format!("{DRILL_SELECT} WHERE id = $1"), &[&id])
        .context("reading a drill")?
        .map(|row| drill_from_row(&row))
        .ok_or(StoreError::NoSuchDrill { id })
}

fn drill_from_row(row: &Row) -> Drill {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::ThrowawayDatabase;

    fn open(database: &ThrowawayDatabase) -> PostgresStore {
        PostgresStore::open(&database.url).unwrap()
    }

    #[test]
    fn opening_applies_the_migrations_once_and_reopening_keeps_the_data() {
        let database = ThrowawayDatabase::new();
        let store = open(&database);
        assert_eq!(store.schema_version(), schema::known_version());
        let piece = store.add_piece("Hamlet", "To be, or not to be").unwrap();
        drop(store);
        let store = open(&database);
        assert_eq!(store.piece(piece.id).unwrap(), piece);
        let rows: i64 = store.client.borrow_mut().query_one("SELECT count(*) FROM encore_schema", &[]).unwrap().get(0);
        assert_eq!(rows, 1);
        assert!(store.place().ends_with(&database.url.rsplit('/').next().unwrap().to_owned()), "{}", store.place());
    }

    #[test]
    fn stores_opened_at_once_on_a_fresh_database_migrate_it_once() {
        let database = ThrowawayDatabase::new();
        let opened: Vec<u32> = std::thread::scope(|scope| {
            let openers: Vec<_> = (0..4).map(|_| scope.spawn(|| open(&database).schema_version())).collect();
            openers.into_iter().map(|opener| opener.join().unwrap()).collect()
        });
        assert_eq!(opened, vec![schema::known_version(); 4]);
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let database = ThrowawayDatabase::new();
        let store = open(&database);
        let newer = schema::known_version() + 1;
        store.client.borrow_mut().execute("UPDATE encore_schema SET version = $1", &[&(newer as i32)]).unwrap();
        drop(store);
        let error = PostgresStore::open(&database.url).unwrap_err();
        assert!(matches!(error, StoreError::NewerSchema { found, .. } if found == newer), "{error:?}");
    }

    #[test]
    fn the_same_recording_is_kept_once_in_the_database() {
        let database = ThrowawayDatabase::new();
        let store = open(&database);
        let piece = store.add_piece("Hamlet", "To be").unwrap();
        let first = crate::tests::add_take(&store, &piece, b"one voice");
        let second = crate::tests::add_take(&store, &piece, b"one voice");
        assert_eq!(first.audio, second.audio);
        assert_eq!(first.audio.path, None);
        let kept: i64 = store.client.borrow_mut().query_one("SELECT count(*) FROM audio", &[]).unwrap().get(0);
        assert_eq!(kept, 1);
        store.remove_take(first.id).unwrap();
        assert_eq!(store.read_audio(&second.audio).unwrap(), b"one voice");
        store.remove_take(second.id).unwrap();
        let kept: i64 = store.client.borrow_mut().query_one("SELECT count(*) FROM audio", &[]).unwrap().get(0);
        assert_eq!(kept, 0, "audio no take uses is taken off the shelf");
    }

    #[test]
    fn a_take_whose_audio_is_not_kept_is_refused_and_check_finds_lost_audio() {
        let database = ThrowawayDatabase::new();
        let store = open(&database);
        let piece = store.add_piece("Hamlet", "To be").unwrap();
        let kept = crate::tests::add_take(&store, &piece, b"kept");
        let never_saved =
            StoredAudio { hash: sha256_hex(b"never saved"), extension: "wav".into(), bytes: 11, path: None };
        let take = NewTake {
            piece_id: piece.id,
            script_version_id: piece.script.id,
            audio: &never_saved,
            source_name: "take.wav".into(),
            duration: None,
        };
        assert!(matches!(store.add_take(&take), Err(StoreError::AudioNotInStore { .. })));
        assert_eq!(store.check().unwrap(), Vec::<String>::new());
        store.client.borrow_mut().execute("DELETE FROM audio", &[]).unwrap();
        let problems = store.check().unwrap();
        assert_eq!(problems, [format!("take {} of \"Hamlet\": its audio {} is missing", kept.id, kept.audio.name())]);
    }

    #[test]
    fn an_unreachable_or_misspelt_database_says_what_to_do() {
        let error = PostgresStore::open("postgres://nobody@127.0.0.1:1/nothing").unwrap_err();
        let message = error.to_string();
        assert!(message.starts_with("cannot reach the database nobody@127.0.0.1:1/nothing"), "{message}");
        assert!(message.contains("check that PostgreSQL is running"), "{message}");
        let error = PostgresStore::open("postgres://a@b:notaport/c").unwrap_err();
        assert!(matches!(error, StoreError::BadDatabaseUrl { .. }), "{error:?}");
        assert!(error.to_string().contains("postgres://USER:PASSWORD@HOST:PORT/NAME"), "{error}");
    }

    #[test]
    fn the_servers_own_words_are_in_the_message() {
        let database = ThrowawayDatabase::new();
        let store = open(&database);
        let error =
            store.client.borrow_mut().execute("SELECT * FROM no_such_table", &[]).context("looking").unwrap_err();
        assert!(error.to_string().contains("relation \"no_such_table\" does not exist"), "{error}");
    }
}
