//! Where a performer's pieces and takes are kept: a club's PostgreSQL database when one is
//! named with `--database` (or `ENCORE_DATABASE`); else the directory chosen with `--data` (or
//! `ENCORE_DATA`), else the user's data directory, opened as the embedded SQLite store.

use std::path::{Path, PathBuf};

use encore_store::{PostgresStore, SqliteStore, Store};

use crate::RehearsalError;

/// The data directory: `data` if given, else the user's.
pub fn data_dir(data: Option<&Path>) -> Result<PathBuf, RehearsalError> {
    match data {
        Some(dir) => Ok(dir.to_path_buf()),
        None => SqliteStore::default_dir().ok_or(RehearsalError::NoDataDirectory),
    }
}

/// Opens (creating if needed) the store in `data`, or in the user's data directory.
pub fn open_store(data: Option<&Path>) -> Result<Box<dyn Store>, RehearsalError> {
    let dir = data_dir(data)?;
    let store = SqliteStore::open(&dir).map_err(|source| RehearsalError::OpeningStore { dir, source })?;
    Ok(Box::new(store))
}

/// What every command and the stage are started with: where the performer's work is kept and
/// which speech model hears it. Made once from the command line, then asked for the store and
/// the model where a step needs them.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The data directory the user chose; `None` for their data directory. In club mode it
    /// still holds what is kept on this machine alone: takes while they are recorded.
    pub data: Option<PathBuf>,
    /// The club's database (`postgres://…`), which then keeps everything instead of `data`.
    pub database: Option<String>,
    pub model: crate::SpeechModel,
}

impl Settings {
    /// The data directory these settings name.
    pub fn data_dir(&self) -> Result<PathBuf, RehearsalError> {
        data_dir(self.data.as_deref())
    }

    /// Opens the store: the club's database if one is named, else the data directory's
    /// (creating it if needed).
    pub fn open_store(&self) -> Result<Box<dyn Store>, RehearsalError> {
        match &self.database {
            Some(url) => Ok(Box::new(PostgresStore::open(url).map_err(RehearsalError::OpeningDatabase)?)),
            None => open_store(self.data.as_deref()),
        }
    }

    /// Whether a club's database keeps the work (club mode), not this machine's own store.
    pub fn is_club(&self) -> bool {
        self.database.is_some()
    }

    /// Where the stage writes takes as they are recorded.
    pub fn recordings_dir(&self) -> Result<PathBuf, RehearsalError> {
        Ok(crate::recordings_dir(&self.data_dir()?))
    }
}
