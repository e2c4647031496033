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
mod club;
mod queue;
mod rows;
mod schema;

use std::cell::RefCell;

use encore_take::{Rating, Schedule, TakeReport};
use postgres::{Client, NoTls, Transaction};

use self::audio::{AudioShelf, InDatabase};
use self::rows::{
    BY_TITLE, audio_from_columns, check_script_version, drill_from_row, insert_script_version, no_such_piece_id,
    piece_by_id, piece_from_row, query_takes, read_drill, refuse_taken_title, save_report, script_version_from_row,
    title_taken_or,
};
use crate::audio_files::{is_valid_name, normalise_extension, sha256_hex};
use crate::drills::DRILL_SELECT;
use crate::error::Context;
use crate::pieces::{
    PIECE_FROM, PIECE_SELECT, SCRIPT_VERSION_SELECT, TAKES_SUMMARY, choose_piece, clean_title, title_key,
};
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

    /// The rows of one query, run on its own.
    pub(crate) fn rows(
        &self,
        action: &'static str,
        sql: &str,
        parameters: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<postgres::Row>, StoreError> {
        self.client.borrow_mut().query(sql, parameters).context(action)
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

/// The first host (a name, or a socket's folder) and port of a connection's settings.
pub(crate) fn host_and_port(config: &postgres::Config) -> (String, u16) {
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(name)) => name.clone(),
        #[cfg(unix)]
        Some(postgres::config::Host::Unix(path)) => path.display().to_string(),
        None => "localhost".to_owned(),
    };
    (host, config.get_ports().first().copied().unwrap_or(5432))
}

/// `user@host:port/name` of a connection's settings.
fn place_of(config: &postgres::Config) -> String {
    let (host, port) = host_and_port(config);
    let user = config.get_user().unwrap_or("");
    let name = config.get_dbname().unwrap_or(user);
    format!("{user}@{host}:{port}/{name}")
}

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
        let sql = format!("{PIECE_SELECT}, {TAKES_SUMMARY} {PIECE_FROM} {BY_TITLE}");
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
                "DELETE FROM assignment WHERE piece_id = $1",
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
                                       source_name, recorded_at, duration, performer_id)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                    &[
                        &take.piece_id,
                        &take.script_version_id,
                        &audio.hash,
                        &audio.extension,
                        &(audio.bytes as i64),
                        &take.source_name,
                        &recorded_at,
                        &take.duration,
                        &take.performer_id,
                    ],
                )
                .context(ACTION)?
                .get(0);
            Ok(take.added(id, recorded_at, None))
        })
    }

    fn save_report(&self, take_id: i64, report: &TakeReport, analyzer: &str) -> Result<(), StoreError> {
        let json = serde_json::to_string(report).map_err(|source| StoreError::ReportEncoding { take_id, source })?;
        self.transaction("saving a report", |db, _| save_report(db, take_id, &json, report, analyzer))
    }

    fn save_pose_track(&self, take_id: i64, poses: &[u8]) -> Result<(), StoreError> {
        const ACTION: &str = "saving a take's pose track";
        self.transaction(ACTION, |db, _| {
            let changed =
                db.execute("UPDATE take SET poses = $1 WHERE id = $2", &[&poses, &take_id]).context(ACTION)?;
            if changed == 0 {
                return Err(StoreError::NoSuchTake { id: take_id });
            }
            Ok(())
        })
    }

    fn pose_track(&self, take_id: i64) -> Result<Option<Vec<u8>>, StoreError> {
        const ACTION: &str = "reading a take's pose track";
        self.transaction(ACTION, |db, _| {
            let row = db.query_opt("SELECT poses FROM take WHERE id = $1", &[&take_id]).context(ACTION)?;
            row.map(|row| row.get::<_, Option<Vec<u8>>>(0)).ok_or(StoreError::NoSuchTake { id: take_id })
        })
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

    fn club(&self) -> Option<&dyn crate::Club> {
        Some(self)
    }
}

#[cfg(test)]
mod tests;
