//! What the unit tests share: a store in a fresh temporary directory, and a small report.

use tempfile::TempDir;

use crate::Store;

pub(crate) fn temp_store() -> (TempDir, Store) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = Store::open(dir.path()).expect("a new store opens");
    (dir, store)
}

/// A report of an empty take, with the given accuracy and words correct per minute.
pub(crate) fn report(accuracy: f64, wcpm: f64) -> encore_align::TakeReport {
    serde_json::from_value(serde_json::json!({
        "format": "encore.take/1",
        "audio": { "duration": 3.5, "speech": 2.0 },
        "script": { "words": 4, "lines": 1 },
        "words": [],
        "hesitations": [],
        "lines": [],
        "summary": {
            "accuracy": accuracy, "completeness": 1.0, "wcpm": wcpm, "wpm": wcpm,
            "fillers": 0, "repetitions": 0, "hesitations": 0, "misread": 0, "skipped": 0, "inserted": 0
        }
    }))
    .expect("a valid encore.take/1 report")
}
