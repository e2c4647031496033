//! What the unit tests share: a store in a fresh temporary directory, and a small report.

use tempfile::TempDir;

use crate::SqliteStore;

pub(crate) fn temp_store() -> (TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = SqliteStore::open(dir.path()).expect("a new store opens");
    (dir, store)
}

/// A report with the given accuracy and words correct per minute.
pub(crate) fn report(accuracy: f64, wcpm: f64) -> encore_take::TakeReport {
    encore_take::testing::scored(accuracy, wcpm)
}

/// Runs `test` against a fresh, empty store of every backend: SQLite in a temporary directory,
/// PostgreSQL in a throwaway database.
pub(crate) fn on_every_backend(test: impl Fn(&dyn crate::Store)) {
    let (_dir, sqlite) = temp_store();
    test(&sqlite);
    let database = crate::testing::ThrowawayDatabase::new();
    let postgres = crate::PostgresStore::open(&database.url).expect("a new PostgreSQL store opens");
    test(&postgres);
}
