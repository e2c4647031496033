//! The SQLite backend, the store of one performer's machine: one data directory, opened
//! (created, configured and migrated), the write transaction every change goes through, the
//! health check, and the [`Store`] interface over the queries in `pieces.rs`, `takes.rs` and
//! `audio_files.rs`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::audio_files::audio_path;
use crate::error::{Context, io_error};
use crate::schema;
use crate::{Drill, NewDrill, NewTake, Piece, PieceSummary, ScriptVersion, Store, StoreError, StoredAudio, Take};
use encore_take::{Rating, Schedule, TakeReport};

/// The database file inside the data directory.
const DATABASE: &str = "encore.db";
/// The folder of audio files inside the data directory.
const AUDIO: &str = "audio";
/// How long a write waits for another process's write to finish before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// How often an open that met another opener's lock is tried again.
const OPEN_TRIES: u32 = 20;

/// Sets `path`'s permissions to `mode` (Unix; elsewhere the user's folders are already theirs).
pub(crate) fn owner_only(path: &Path, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(error.sqlite_error_code(), Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked))
}

/// A data directory of pieces and takes. One `SqliteStore` is one database connection: it can
/// move between threads but not be shared; open another for another thread or process.
#[derive(Debug)]
pub struct SqliteStore {
    pub(crate) connection: Connection,
    dir: PathBuf,
    pub(crate) audio_dir: PathBuf,
    schema_version: u32,
}

impl SqliteStore {
    /// Opens the store in `dir`, creating the directory, its `audio/` folder and the database as
    /// needed, and bringing the schema up to date.
    pub fn open(dir: &Path) -> Result<SqliteStore, StoreError> {
        // Two processes opening a fresh store together can meet each other's lock where SQLite
        // answers "busy" at once instead of waiting (switching a new file to WAL): try again.
        let mut tries = 0;
        loop {
            match SqliteStore::open_once(dir) {
                Err(StoreError::Sqlite { error, .. }) if is_busy(&error) && tries < OPEN_TRIES => {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(50));
                }
                result => return result,
            }
        }
    }

    fn open_once(dir: &Path) -> Result<SqliteStore, StoreError> {
        const ACTION: &str = "opening the store";
        let audio_dir = dir.join(AUDIO);
        let database = dir.join(DATABASE);
        // A performer's voice is theirs: what the store creates is for their user alone. A folder
        // the user chose that was already there keeps the permissions they gave it.
        let created: Vec<PathBuf> = [dir, audio_dir.as_path(), database.as_path()]
            .into_iter()
            .filter(|p| !p.exists())
            .map(Path::to_path_buf)
            .collect();
        std::fs::create_dir_all(&audio_dir).map_err(io_error(&audio_dir))?;
        for folder in created.iter().filter(|p| p.as_path() != database) {
            owner_only(folder, 0o700).map_err(io_error(folder))?;
        }
        // SQLite says only "unable to open database file" of a folder it cannot write to: find
        // out first, and say which folder and why.
        tempfile::tempfile_in(dir).map_err(io_error(dir))?;
        let connection = Connection::open_with_flags(
            dir.join(DATABASE),
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .context(ACTION)?;
        // The timeout comes first: even switching to WAL can meet another process's lock.
        connection.busy_timeout(BUSY_TIMEOUT).context(ACTION)?;
        // WAL lets readers carry on while another process writes.
        let mode: String =
            connection.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0)).map_err(|error| {
                match error.sqlite_error_code() {
                    Some(rusqlite::ErrorCode::NotADatabase) => StoreError::NotADatabase { path: database.clone() },
                    _ => StoreError::Sqlite { action: ACTION, error },
                }
            })?;
        debug_assert!(mode.eq_ignore_ascii_case("wal"), "journal mode {mode}");
        // FULL, not WAL's usual NORMAL: audio files are deleted right after a commit, and a
        // commit lost to a power cut would otherwise leave rows pointing at deleted audio.
        connection.pragma_update(None, "synchronous", "FULL").context(ACTION)?;
        connection.pragma_update(None, "foreign_keys", true).context(ACTION)?;
        // SQLite gives its -wal and -shm files the database's own permissions.
        if created.contains(&database) {
            owner_only(&database, 0o600).map_err(io_error(&database))?;
        }
        let schema_version = schema::migrate(&connection)?;
        Ok(SqliteStore { connection, dir: dir.to_path_buf(), audio_dir, schema_version })
    }

    /// The user's data directory for Encore (for example `~/.local/share/encore` on Linux), or
    /// `None` where the platform has no home directory.
    pub fn default_dir() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "encore").map(|dirs| dirs.data_dir().to_path_buf())
    }

    /// The data directory this store lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The schema version of the database, which after `open` is always the latest this build
    /// knows.
    pub fn schema_version(&self) -> u32 {
        self.schema_version
    }

    /// Looks for damage: a database that fails SQLite's integrity or foreign key checks, and
    /// takes whose audio file is missing or has the wrong size. Returns one sentence per
    /// problem; an empty list means the store is healthy. Audio files no take refers to are
    /// not problems: they are what an interrupted removal leaves, and harmless.
    pub fn check(&self) -> Result<Vec<String>, StoreError> {
        const ACTION: &str = "checking the store";
        let mut problems = Vec::new();
        let mut statement = self.connection.prepare("PRAGMA integrity_check").context(ACTION)?;
        for line in statement.query_map([], |row| row.get::<_, String>(0)).context(ACTION)? {
            let line = line.context(ACTION)?;
            if line != "ok" {
                problems.push(format!("the database is damaged: {line}"));
            }
        }
        let mut statement = self.connection.prepare("PRAGMA foreign_key_check").context(ACTION)?;
        let broken = statement
            .query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, Option<i64>>(1)?, row.get::<_, String>(2)?))
            })
            .context(ACTION)?;
        for row in broken {
            let (table, row_id, parent) = row.context(ACTION)?;
            let row_id = row_id.map_or_else(|| "?".to_owned(), |id| id.to_string());
            problems.push(format!("{table} {row_id} refers to a missing {parent}"));
        }
        let mut statement = self
            .connection
            .prepare(
                "SELECT take.id, piece.title, audio_hash, audio_extension, audio_bytes
                 FROM take JOIN piece ON piece.id = take.piece_id ORDER BY take.id",
            )
            .context(ACTION)?;
        let takes = statement
            .query_map([], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, i64>(4)?,
                ))
            })
            .context(ACTION)?;
        for take in takes {
            let (id, title, hash, extension, bytes) = take.context(ACTION)?;
            let path = audio_path(&self.audio_dir, &hash, &extension);
            match std::fs::metadata(&path) {
                Ok(metadata) if metadata.len() == bytes as u64 => {}
                Ok(metadata) => problems.push(format!(
                    "take {id} of \"{title}\": its audio {} is {} bytes, not {bytes}",
                    path.display(),
                    metadata.len()
                )),
                Err(error) => problems
                    .push(format!("take {id} of \"{title}\": its audio {} is missing ({error})", path.display())),
            }
        }
        Ok(problems)
    }

    /// Runs `change` in an immediate transaction and commits it. Immediate, because a deferred
    /// transaction that reads and then writes fails at once with "database is locked" when
    /// another process wrote in between; an immediate one takes the write lock up front and so
    /// waits its turn under the busy timeout.
    pub(crate) fn write<T>(
        &self,
        action: &'static str,
        change: impl FnOnce(&Transaction) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let transaction =
            Transaction::new_unchecked(&self.connection, TransactionBehavior::Immediate).context(action)?;
        let value = change(&transaction)?;
        transaction.commit().context(action)?;
        Ok(value)
    }
}

impl Store for SqliteStore {
    fn add_piece(&self, title: &str, script_text: &str) -> Result<Piece, StoreError> {
        SqliteStore::add_piece(self, title, script_text)
    }
    fn pieces(&self) -> Result<Vec<PieceSummary>, StoreError> {
        SqliteStore::pieces(self)
    }
    fn piece(&self, id: i64) -> Result<Piece, StoreError> {
        SqliteStore::piece(self, id)
    }
    fn find_piece(&self, name: &str) -> Result<Piece, StoreError> {
        SqliteStore::find_piece(self, name)
    }
    fn rename_piece(&self, id: i64, title: &str) -> Result<Piece, StoreError> {
        SqliteStore::rename_piece(self, id, title)
    }
    fn edit_script(&self, piece_id: i64, text: &str) -> Result<ScriptVersion, StoreError> {
        SqliteStore::edit_script(self, piece_id, text)
    }
    fn script_version(&self, id: i64) -> Result<ScriptVersion, StoreError> {
        SqliteStore::script_version(self, id)
    }
    fn remove_piece(&self, id: i64) -> Result<(), StoreError> {
        SqliteStore::remove_piece(self, id)
    }
    fn save_audio(&self, bytes: &[u8], extension: &str) -> Result<StoredAudio, StoreError> {
        SqliteStore::save_audio(self, bytes, extension)
    }
    fn read_audio(&self, audio: &StoredAudio) -> Result<Vec<u8>, StoreError> {
        SqliteStore::read_audio(self, audio)
    }
    fn add_take(&self, take: &NewTake) -> Result<Take, StoreError> {
        SqliteStore::add_take(self, take)
    }
    fn save_report(&self, take_id: i64, report: &TakeReport, analyzer: &str) -> Result<(), StoreError> {
        SqliteStore::save_report(self, take_id, report, analyzer)
    }
    fn save_pose_track(&self, take_id: i64, poses: &[u8]) -> Result<(), StoreError> {
        SqliteStore::save_pose_track(self, take_id, poses)
    }
    fn pose_track(&self, take_id: i64) -> Result<Option<Vec<u8>>, StoreError> {
        SqliteStore::pose_track(self, take_id)
    }
    fn takes(&self, piece_id: i64) -> Result<Vec<Take>, StoreError> {
        SqliteStore::takes(self, piece_id)
    }
    fn take(&self, id: i64) -> Result<Take, StoreError> {
        SqliteStore::take(self, id)
    }
    fn all_takes(&self) -> Result<Vec<Take>, StoreError> {
        SqliteStore::all_takes(self)
    }
    fn remove_take(&self, id: i64) -> Result<(), StoreError> {
        SqliteStore::remove_take(self, id)
    }
    fn add_drill(&self, drill: &NewDrill) -> Result<Drill, StoreError> {
        SqliteStore::add_drill(self, drill)
    }
    fn drills(&self, piece_id: Option<i64>) -> Result<Vec<Drill>, StoreError> {
        SqliteStore::drills(self, piece_id)
    }
    fn drill(&self, id: i64) -> Result<Drill, StoreError> {
        SqliteStore::drill(self, id)
    }
    fn review_drill(
        &self,
        id: i64,
        rating: Rating,
        schedule: &Schedule,
        take_id: Option<i64>,
    ) -> Result<Drill, StoreError> {
        SqliteStore::review_drill(self, id, rating, schedule, take_id)
    }
    fn move_drill(
        &self,
        id: i64,
        script_version_id: i64,
        first_word: usize,
        last_word: usize,
    ) -> Result<Drill, StoreError> {
        SqliteStore::move_drill(self, id, script_version_id, first_word, last_word)
    }
    fn retire_drill(&self, id: i64) -> Result<(), StoreError> {
        SqliteStore::retire_drill(self, id)
    }
    fn check(&self) -> Result<Vec<String>, StoreError> {
        SqliteStore::check(self)
    }
    fn schema_version(&self) -> u32 {
        SqliteStore::schema_version(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::temp_store;

    #[test]
    fn open_applies_the_migrations_and_records_the_version() {
        let (dir, store) = temp_store();
        assert_eq!(store.schema_version(), schema::MIGRATIONS.len() as u32);
        assert_eq!(schema::user_version(&store.connection).unwrap(), store.schema_version());
        assert!(dir.path().join("audio").is_dir());
        assert!(dir.path().join(DATABASE).is_file());
        let mode: String = store.connection.pragma_query_value(None, "journal_mode", |row| row.get(0)).unwrap();
        assert_eq!(mode, "wal");
        let foreign_keys: bool = store.connection.pragma_query_value(None, "foreign_keys", |row| row.get(0)).unwrap();
        assert!(foreign_keys);
        assert_eq!(store.dir(), dir.path());
    }

    #[test]
    fn a_store_from_before_drills_gains_them_and_loses_nothing() {
        let dir = tempfile::tempdir().unwrap();
        {
            let old = Connection::open(dir.path().join(DATABASE)).unwrap();
            old.execute_batch(schema::MIGRATIONS[0]).unwrap();
            old.execute_batch(
                "PRAGMA user_version = 1;
                 INSERT INTO piece (id, title, title_key, created_at) VALUES (1, 'Ozymandias', 'ozymandias', 0);
                 INSERT INTO script_version (id, piece_id, version, text, created_at)
                     VALUES (1, 1, 1, 'I met a traveller', 0);",
            )
            .unwrap();
        }
        let store = SqliteStore::open(dir.path()).unwrap();
        assert_eq!(store.schema_version(), schema::known_version());
        assert_eq!(store.find_piece("ozy").unwrap().script.text, "I met a traveller");
        assert!(store.drills(None).unwrap().is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn what_the_store_creates_is_readable_by_its_user_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("encore");
        let store = SqliteStore::open(&data).unwrap();
        let piece = store.add_piece("Hamlet", "To be").unwrap();
        let take = crate::tests::add_take(&store, &piece, b"a voice");
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&data.join(AUDIO)), 0o700);
        assert_eq!(mode(&data.join(DATABASE)), 0o600);
        let audio = std::fs::read_dir(data.join(AUDIO)).unwrap().next().unwrap().unwrap().path();
        assert_eq!(mode(&audio), 0o600, "take {}'s audio", take.id);
    }

    #[test]
    fn open_creates_missing_directories() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b/encore");
        let store = SqliteStore::open(&nested).unwrap();
        assert!(nested.join("audio").is_dir());
        assert_eq!(store.dir(), nested);
    }

    #[test]
    fn reopening_keeps_the_data() {
        let (dir, store) = temp_store();
        let piece = store.add_piece("Hamlet", "To be, or not to be").unwrap();
        drop(store);
        let store = SqliteStore::open(dir.path()).unwrap();
        assert_eq!(store.schema_version(), schema::known_version());
        assert_eq!(store.piece(piece.id).unwrap(), piece);
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let (dir, store) = temp_store();
        let newer = schema::known_version() + 1;
        store.connection.pragma_update(None, "user_version", newer).unwrap();
        drop(store);
        let error = SqliteStore::open(dir.path()).unwrap_err();
        assert!(
            matches!(error, StoreError::NewerSchema { found, known } if found == newer && known == schema::known_version()),
            "{error:?}"
        );
        assert!(error.to_string().contains("made by a newer Encore"), "{error}");
    }

    #[test]
    fn a_file_that_is_no_database_is_named_and_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(DATABASE), "garbage garbage").unwrap();
        let error = SqliteStore::open(dir.path()).unwrap_err();
        assert!(matches!(&error, StoreError::NotADatabase { path } if path.ends_with(DATABASE)), "{error:?}");
        assert!(error.to_string().contains("move it aside"), "{error}");
        assert_eq!(std::fs::read_to_string(dir.path().join(DATABASE)).unwrap(), "garbage garbage");
    }

    #[test]
    fn a_healthy_store_passes_the_check() {
        let (_dir, store) = temp_store();
        assert_eq!(store.check().unwrap(), Vec::<String>::new());
    }

    #[test]
    fn store_is_send() {
        fn assert_send<T: Send>() {}
        assert_send::<SqliteStore>();
    }

    #[test]
    fn default_dir_ends_in_encore() {
        // Where there is no home directory (some CI sandboxes) there is nothing to check.
        if let Some(dir) = SqliteStore::default_dir() {
            assert!(dir.to_string_lossy().to_lowercase().contains("encore"), "{}", dir.display());
        }
    }
}
