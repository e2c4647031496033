//! Takes: one performance of one script version, its audio, and (once analysed) its report.
//! The report is kept as JSON text in the format `encore.take/1`, with its accuracy and words
//! correct per minute copied into columns so that lists need not parse every report.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::audio_files::{audio_path, file_has_size, is_valid_name};
use crate::error::Context;
use crate::pieces::no_such_piece_id;
use crate::store::now;
use crate::{SqliteStore, StoreError, StoredAudio};

/// What `add_take` needs: the audio must already be in the store (`SqliteStore::save_audio`).
#[derive(Debug, Clone)]
pub struct NewTake<'a> {
    pub piece_id: i64,
    /// The version of the script that was performed, which must be one of the piece's.
    pub script_version_id: i64,
    pub audio: &'a StoredAudio,
    /// The name of the file or device the audio came from, for the performer's eyes.
    pub source_name: String,
    /// Seconds of audio, if known.
    pub duration: Option<f64>,
    /// The club member who performed it; `None` in a performer's own store.
    pub performer_id: Option<i64>,
}

impl NewTake<'_> {
    /// The take as a backend added it: with its id, when, and where its audio file is (if it
    /// is a file), not analysed yet.
    pub(crate) fn added(&self, id: i64, recorded_at: i64, path: Option<std::path::PathBuf>) -> Take {
        Take {
            id,
            piece_id: self.piece_id,
            script_version_id: self.script_version_id,
            audio: StoredAudio { path, ..self.audio.clone() },
            source_name: self.source_name.clone(),
            recorded_at,
            duration: self.duration,
            report: None,
            analyzed_at: None,
            analyzer: None,
            performer_id: self.performer_id,
        }
    }
}

/// A take in the store.
#[derive(Debug, Clone, PartialEq)]
pub struct Take {
    pub id: i64,
    pub piece_id: i64,
    pub script_version_id: i64,
    pub audio: StoredAudio,
    pub source_name: String,
    pub recorded_at: i64,
    pub duration: Option<f64>,
    /// `None` until the take is analysed. Also `None`, with `analyzed_at` set, when the stored
    /// report cannot be read (a newer Encore wrote it): analysing again replaces it.
    pub report: Option<encore_take::TakeReport>,
    pub analyzed_at: Option<i64>,
    /// What made the report, for example the recogniser and model.
    pub analyzer: Option<String>,
    /// The club member who performed it; `None` in a performer's own store.
    pub performer_id: Option<i64>,
}

/// The columns every backend reads a take from, in this order.
pub(crate) const TAKE_SELECT: &str = "
    SELECT id, piece_id, script_version_id, audio_hash, audio_extension, audio_bytes,
           source_name, recorded_at, duration, report, analysed_at, analyser, performer_id
    FROM take";

impl SqliteStore {
    /// Adds a take, recorded now. Refused if its audio file is not in the store, or its script
    /// version is not one of the piece's.
    pub fn add_take(&self, take: &NewTake) -> Result<Take, StoreError> {
        const ACTION: &str = "adding a take";
        self.write(ACTION, |transaction| {
            let script_piece: Option<i64> = transaction
                .query_row("SELECT piece_id FROM script_version WHERE id = ?1", [take.script_version_id], |row| {
                    row.get(0)
                })
                .optional()
                .context(ACTION)?;
            let piece_exists: bool = transaction
                .query_row("SELECT EXISTS (SELECT 1 FROM piece WHERE id = ?1)", [take.piece_id], |row| row.get(0))
                .context(ACTION)?;
            if !piece_exists {
                return Err(no_such_piece_id(transaction, take.piece_id));
            }
            match script_piece {
                None => return Err(StoreError::NoSuchScriptVersion { id: take.script_version_id }),
                Some(piece_id) if piece_id != take.piece_id => {
                    return Err(StoreError::ScriptVersionOfAnotherPiece {
                        script_version_id: take.script_version_id,
                        piece_id: take.piece_id,
                    });
                }
                Some(_) => {}
            }
            // The file is checked under the write lock, which `delete_unreferenced_audio` also
            // holds while it deletes: a file seen here stays until this row is committed.
            let audio = take.audio;
            let path = audio_path(&self.audio_dir, &audio.hash, &audio.extension);
            if !is_valid_name(&audio.hash, &audio.extension) || !file_has_size(&path, audio.bytes) {
                return Err(StoreError::AudioNotInStore { name: audio.name() });
            }
            let recorded_at = now();
            transaction
                .execute(
                    "INSERT INTO take (piece_id, script_version_id, audio_hash, audio_extension, audio_bytes,
                                       source_name, recorded_at, duration, performer_id)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    params![
                        take.piece_id,
                        take.script_version_id,
                        audio.hash,
                        audio.extension,
                        audio.bytes as i64,
                        take.source_name,
                        recorded_at,
                        take.duration,
                        take.performer_id
                    ],
                )
                .context(ACTION)?;
            Ok(take.added(transaction.last_insert_rowid(), recorded_at, Some(path)))
        })
    }

    /// Stores the report of a take, replacing any earlier one.
    pub fn save_report(
        &self,
        take_id: i64,
        report: &encore_take::TakeReport,
        analyzer: &str,
    ) -> Result<(), StoreError> {
        const ACTION: &str = "saving a report";
        let json = serde_json::to_string(report).map_err(|source| StoreError::ReportEncoding { take_id, source })?;
        self.write(ACTION, |transaction| {
            let changed = transaction
                .execute(
                    "UPDATE take SET report = ?1, analysed_at = ?2, analyser = ?3, accuracy = ?4, wcpm = ?5
                     WHERE id = ?6",
                    params![json, now(), analyzer, report.summary.accuracy, report.summary.wcpm, take_id],
                )
                .context(ACTION)?;
            if changed == 0 {
                return Err(StoreError::NoSuchTake { id: take_id });
            }
            Ok(())
        })
    }

    /// Keeps the pose over a take, replacing any earlier one.
    pub fn save_pose_track(&self, take_id: i64, poses: &[u8]) -> Result<(), StoreError> {
        const ACTION: &str = "saving a take's pose track";
        self.write(ACTION, |transaction| {
            let changed = transaction
                .execute("UPDATE take SET poses = ?1 WHERE id = ?2", params![poses, take_id])
                .context(ACTION)?;
            if changed == 0 {
                return Err(StoreError::NoSuchTake { id: take_id });
            }
            Ok(())
        })
    }

    /// The pose over a take, when the camera was on.
    pub fn pose_track(&self, take_id: i64) -> Result<Option<Vec<u8>>, StoreError> {
        const ACTION: &str = "reading a take's pose track";
        self.connection
            .query_row("SELECT poses FROM take WHERE id = ?1", [take_id], |row| row.get(0))
            .optional()
            .context(ACTION)?
            .ok_or(StoreError::NoSuchTake { id: take_id })
    }

    /// The takes of a piece, oldest first.
    pub fn takes(&self, piece_id: i64) -> Result<Vec<Take>, StoreError> {
        let takes = self.query_takes("WHERE piece_id = ?1", [piece_id])?;
        if takes.is_empty() {
            // Tell "no takes yet" from "no such piece".
            crate::pieces::piece_by_id(&self.connection, piece_id)?;
        }
        Ok(takes)
    }

    /// The take with this id.
    pub fn take(&self, id: i64) -> Result<Take, StoreError> {
        self.query_takes("WHERE id = ?1", [id])?.pop().ok_or(StoreError::NoSuchTake { id })
    }

    /// Every take of every piece, oldest first.
    pub fn all_takes(&self) -> Result<Vec<Take>, StoreError> {
        self.query_takes("", [])
    }

    /// Removes a take, then deletes its audio if no other take uses it.
    pub fn remove_take(&self, id: i64) -> Result<(), StoreError> {
        const ACTION: &str = "removing a take";
        let audio = self.write(ACTION, |transaction| {
            let audio: (String, String) = transaction
                .query_row("SELECT audio_hash, audio_extension FROM take WHERE id = ?1", [id], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })
                .optional()
                .context(ACTION)?
                .ok_or(StoreError::NoSuchTake { id })?;
            transaction.execute("DELETE FROM take WHERE id = ?1", [id]).context(ACTION)?;
            Ok(audio)
        })?;
        self.delete_unreferenced_audio(&[audio])
    }

    fn query_takes(&self, filter: &str, parameters: impl rusqlite::Params) -> Result<Vec<Take>, StoreError> {
        query_takes(&self.connection, &self.audio_dir, filter, parameters)
    }
}

fn query_takes(
    connection: &Connection,
    audio_dir: &std::path::Path,
    filter: &str,
    parameters: impl rusqlite::Params,
) -> Result<Vec<Take>, StoreError> {
    const ACTION: &str = "reading takes";
    let mut statement =
        connection.prepare_cached(&format!("{TAKE_SELECT} {filter} ORDER BY recorded_at, id")).context(ACTION)?;
    let takes = statement.query_map(parameters, |row| take_from_row(row, audio_dir)).context(ACTION)?;
    takes.collect::<Result<_, _>>().context(ACTION)
}

fn take_from_row(row: &Row, audio_dir: &std::path::Path) -> rusqlite::Result<Take> {
    let hash: String = row.get(3)?;
    let extension: String = row.get(4)?;
    let report: Option<String> = row.get(9)?;
    Ok(Take {
        id: row.get(0)?,
        piece_id: row.get(1)?,
        script_version_id: row.get(2)?,
        audio: StoredAudio {
            path: Some(audio_path(audio_dir, &hash, &extension)),
            hash,
            extension,
            bytes: row.get::<_, i64>(5)? as u64,
        },
        source_name: row.get(6)?,
        recorded_at: row.get(7)?,
        duration: row.get(8)?,
        // A report this build cannot read must not hide the take, or the rest of the list.
        report: report.and_then(|json| serde_json::from_str(&json).ok()),
        analyzed_at: row.get(10)?,
        analyzer: row.get(11)?,
        performer_id: row.get(12)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{report, temp_store};
    use crate::tests::add_take;

    #[test]
    fn a_take_without_its_audio_is_refused() {
        let (_dir, store) = temp_store();
        let piece = store.add_piece("Hamlet", "To be").unwrap();
        let audio = store.save_audio(b"one", "wav").unwrap();
        std::fs::remove_file(audio.path.as_ref().unwrap()).unwrap();
        let take = NewTake {
            piece_id: piece.id,
            script_version_id: piece.script.id,
            audio: &audio,
            source_name: "take.wav".into(),
            duration: None,
            performer_id: None,
        };
        let error = store.add_take(&take).unwrap_err();
        assert!(matches!(&error, StoreError::AudioNotInStore { name } if *name == audio.name()), "{error:?}");
        // Nor may a take name a file outside the store.
        let outside = StoredAudio { hash: "../../x".into(), ..audio.clone() };
        assert!(matches!(
            store.add_take(&NewTake { audio: &outside, ..take }),
            Err(StoreError::AudioNotInStore { .. })
        ));
        assert_eq!(store.all_takes().unwrap(), []);
    }

    #[test]
    fn a_report_round_trips() {
        let (_dir, store) = temp_store();
        let piece = store.add_piece("Hamlet", "To be").unwrap();
        let take = add_take(&store, &piece, b"one");
        add_take(&store, &piece, b"two");
        let first = report(0.75, 120.0);
        store.save_report(take.id, &first, "whisper-base.en").unwrap();
        let stored = store.take(take.id).unwrap();
        assert_eq!(stored.report.as_ref(), Some(&first));
        assert_eq!(stored.analyzer.as_deref(), Some("whisper-base.en"));
        assert!(stored.analyzed_at.is_some());
        assert_eq!(store.pieces().unwrap()[0].best_accuracy, Some(0.75));
        // Analysing again replaces the report.
        let second = report(0.5, 90.0);
        store.save_report(take.id, &second, "whisper-small.en").unwrap();
        assert_eq!(store.take(take.id).unwrap().report, Some(second));
        assert_eq!(store.pieces().unwrap()[0].best_accuracy, Some(0.5));
        let wcpm: f64 =
            store.connection.query_row("SELECT wcpm FROM take WHERE id = ?1", [take.id], |row| row.get(0)).unwrap();
        assert_eq!(wcpm, 90.0);
        assert!(matches!(store.save_report(99, &first, "x"), Err(StoreError::NoSuchTake { id: 99 })));
    }

    #[test]
    fn a_report_that_cannot_be_read_loads_as_none() {
        let (_dir, store) = temp_store();
        let piece = store.add_piece("Hamlet", "To be").unwrap();
        let take = add_take(&store, &piece, b"one");
        store.save_report(take.id, &report(0.75, 120.0), "whisper").unwrap();
        store
            .connection
            .execute("UPDATE take SET report = '{\"format\": \"encore.take/9\"}' WHERE id = ?1", [take.id])
            .unwrap();
        let stored = store.take(take.id).unwrap();
        assert_eq!(stored.report, None);
        assert!(stored.analyzed_at.is_some());
        assert_eq!(store.takes(piece.id).unwrap().len(), 1);
    }

    #[test]
    fn removing_a_take_deletes_its_audio_unless_shared() {
        let (_dir, store) = temp_store();
        let piece = store.add_piece("Hamlet", "To be").unwrap();
        let first = add_take(&store, &piece, b"same");
        let second = add_take(&store, &piece, b"same");
        store.remove_take(first.id).unwrap();
        let path = second.audio.path.clone().unwrap();
        assert!(path.is_file());
        store.remove_take(second.id).unwrap();
        assert!(!path.exists());
        assert!(matches!(store.remove_take(second.id), Err(StoreError::NoSuchTake { .. })));
        assert_eq!(store.check().unwrap(), Vec::<String>::new());
    }

    #[test]
    fn check_finds_a_take_whose_audio_was_deleted() {
        let (_dir, store) = temp_store();
        let piece = store.add_piece("Hamlet", "To be").unwrap();
        let take = add_take(&store, &piece, b"one");
        std::fs::remove_file(take.audio.path.as_ref().unwrap()).unwrap();
        let problems = store.check().unwrap();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with(&format!("take {} of \"Hamlet\": its audio", take.id)), "{problems:?}");
        assert!(problems[0].contains("is missing"), "{problems:?}");
    }

    #[test]
    fn check_finds_a_truncated_audio_file() {
        let (_dir, store) = temp_store();
        let piece = store.add_piece("Hamlet", "To be").unwrap();
        let take = add_take(&store, &piece, b"one");
        std::fs::write(take.audio.path.as_ref().unwrap(), b"o").unwrap();
        let problems = store.check().unwrap();
        assert!(problems.len() == 1 && problems[0].contains("is 1 bytes, not 3"), "{problems:?}");
    }
}
