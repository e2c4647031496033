//! The audio of takes, kept as files named by the SHA-256 of their content. Naming by content
//! makes saving idempotent (the same recording saved twice is one file) and lets a file be
//! written completely before any row can refer to it: it is written to a temporary file in the
//! same folder, fsynced, renamed into place and the folder fsynced, so a crash leaves either no
//! file or the whole file, never a short one under the final name.

use std::io::Write;
use std::path::{Path, PathBuf};

use rusqlite::{Transaction, TransactionBehavior, params};
use sha2::{Digest, Sha256};

use crate::error::{Context, io_error};
use crate::{SqliteStore, StoreError};

/// Extensions longer than this are not audio extensions.
const MAX_EXTENSION: usize = 16;

/// An audio file in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAudio {
    /// SHA-256 of the content, 64 lowercase hex digits.
    pub hash: String,
    /// The original file's extension, lowercase, without the dot (`wav`); may be empty.
    pub extension: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Where the file is, for a store that keeps audio as files on this machine (SQLite's
    /// `DIR/audio/HASH.EXTENSION`); `None` where the audio is kept in a database, read only
    /// through [`Store::read_audio`](crate::Store::read_audio).
    pub path: Option<PathBuf>,
}

impl StoredAudio {
    /// The audio's name in the store, `HASH.EXTENSION`, for messages and for the decoder, which
    /// guesses the format from the extension.
    pub fn name(&self) -> String {
        if self.extension.is_empty() { self.hash.clone() } else { format!("{}.{}", self.hash, self.extension) }
    }
}

impl SqliteStore {
    /// Copies audio into the store and returns where it is. Saving bytes the store already
    /// holds (under the same extension) reuses the file. The file is complete on disk when this
    /// returns, so a take may then refer to it.
    pub fn save_audio(&self, bytes: &[u8], extension: &str) -> Result<StoredAudio, StoreError> {
        let extension = normalise_extension(extension)?;
        let hash = sha256_hex(bytes);
        let path = audio_path(&self.audio_dir, &hash, &extension);
        // The name is the hash, so a file of the right size under it is these bytes (or a
        // collision of SHA-256). A file of the wrong size was damaged by hand: replace it.
        if !file_has_size(&path, bytes.len() as u64) {
            write_atomically(&self.audio_dir, &path, bytes)?;
        }
        Ok(StoredAudio { hash, extension, bytes: bytes.len() as u64, path: Some(path) })
    }

    /// The bytes of audio kept by `save_audio`.
    pub fn read_audio(&self, audio: &StoredAudio) -> Result<Vec<u8>, StoreError> {
        // The path is made here from the name, not taken from the caller's value.
        if !is_valid_name(&audio.hash, &audio.extension) {
            return Err(StoreError::AudioNotInStore { name: audio.name() });
        }
        let path = audio_path(&self.audio_dir, &audio.hash, &audio.extension);
        std::fs::read(&path).map_err(io_error(&path))
    }

    /// Deletes those of `candidates` (hash, extension) that no take refers to any more. Call it
    /// only after the transaction that removed the rows has committed: a file left behind is
    /// harmless, a file deleted under a row is not.
    pub(crate) fn delete_unreferenced_audio(&self, candidates: &[(String, String)]) -> Result<(), StoreError> {
        const ACTION: &str = "deleting audio no take uses";
        if candidates.is_empty() {
            return Ok(());
        }
        // The write lock is held while looking and deleting, so another process cannot add a
        // take for one of these files in between: `add_take` checks the file under the same
        // lock, and so either sees it gone and refuses, or commits before the look here.
        let transaction =
            Transaction::new_unchecked(&self.connection, TransactionBehavior::Immediate).context(ACTION)?;
        let mut statement = transaction
            .prepare("SELECT EXISTS (SELECT 1 FROM take WHERE audio_hash = ?1 AND audio_extension = ?2)")
            .context(ACTION)?;
        for (hash, extension) in candidates {
            let used: bool = statement.query_row(params![hash, extension], |row| row.get(0)).context(ACTION)?;
            if used {
                continue;
            }
            let path = audio_path(&self.audio_dir, hash, extension);
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => return Err(io_error(&path)(error)),
            }
        }
        drop(statement);
        transaction.commit().context(ACTION)
    }
}

/// The path of the audio file with this hash and extension.
pub(crate) fn audio_path(audio_dir: &Path, hash: &str, extension: &str) -> PathBuf {
    if extension.is_empty() { audio_dir.join(hash) } else { audio_dir.join(format!("{hash}.{extension}")) }
}

/// Whether `hash` and `extension` could have been made by `save_audio`. Anything else might
/// name a path outside `audio/`.
pub(crate) fn is_valid_name(hash: &str, extension: &str) -> bool {
    hash.len() == 64
        && hash.bytes().all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
        && normalise_extension(extension).is_ok_and(|normal| normal == extension)
}

pub(crate) fn file_has_size(path: &Path, bytes: u64) -> bool {
    std::fs::metadata(path).is_ok_and(|metadata| metadata.is_file() && metadata.len() == bytes)
}

/// Lowercases and drops a leading dot. An extension that is not a short run of ASCII letters
/// and digits is refused: it becomes part of a file name in the store.
pub(crate) fn normalise_extension(extension: &str) -> Result<String, StoreError> {
    let normal = extension.strip_prefix('.').unwrap_or(extension).to_ascii_lowercase();
    if normal.len() > MAX_EXTENSION || !normal.bytes().all(|byte| byte.is_ascii_alphanumeric()) {
        return Err(StoreError::BadExtension { extension: extension.to_owned() });
    }
    Ok(normal)
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Writes `bytes` to `path` so that `path` never exists with less than all of them, even after
/// a crash or a power cut.
fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    // The temporary file is in the same folder, so the rename cannot cross file systems. Its
    // name starts with a dot and never looks like a hash, so a leftover one is never taken for
    // audio.
    let mut file = tempfile::Builder::new().prefix(".partial-").tempfile_in(dir).map_err(io_error(dir))?;
    file.write_all(bytes).map_err(io_error(file.path()))?;
    file.as_file().sync_all().map_err(io_error(file.path()))?;
    file.persist(path).map_err(|error| io_error(path)(error.error))?;
    sync_dir(dir)
}

/// Makes a rename in `dir` durable. Only Unix can open a directory to fsync it.
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    std::fs::File::open(dir).and_then(|folder| folder.sync_all()).map_err(io_error(dir))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::temp_store;

    fn audio_files(store: &SqliteStore) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&store.audio_dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn audio_is_named_by_its_hash_and_lowercase_extension() {
        let (dir, store) = temp_store();
        let audio = store.save_audio(b"abc", ".WAV").unwrap();
        // SHA-256 of "abc", from FIPS 180-2.
        assert_eq!(audio.hash, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(audio.extension, "wav");
        assert_eq!(audio.bytes, 3);
        let path = dir.path().join("audio").join(format!("{}.wav", audio.hash));
        assert_eq!(audio.path.as_ref(), Some(&path));
        assert_eq!(audio.name(), format!("{}.wav", audio.hash));
        assert_eq!(std::fs::read(&path).unwrap(), b"abc");
        // Nothing but the audio is left in the folder: the temporary file was renamed.
        assert_eq!(audio_files(&store), vec![format!("{}.wav", audio.hash)]);
    }

    #[test]
    fn the_same_bytes_are_stored_once() {
        let (_dir, store) = temp_store();
        let first = store.save_audio(b"take one", "flac").unwrap();
        let path = first.path.clone().unwrap();
        let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
        let second = store.save_audio(b"take one", "FLAC").unwrap();
        assert_eq!(first, second);
        assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), modified);
        assert_eq!(audio_files(&store).len(), 1);
        // Other bytes, or another extension, are another file.
        store.save_audio(b"take two", "flac").unwrap();
        store.save_audio(b"take one", "wav").unwrap();
        assert_eq!(audio_files(&store).len(), 3);
    }

    #[test]
    fn a_damaged_file_is_replaced() {
        let (_dir, store) = temp_store();
        let audio = store.save_audio(b"the whole take", "wav").unwrap();
        let path = audio.path.clone().unwrap();
        std::fs::write(&path, b"the wh").unwrap();
        assert_eq!(store.save_audio(b"the whole take", "wav").unwrap(), audio);
        assert_eq!(std::fs::read(&path).unwrap(), b"the whole take");
    }

    #[test]
    fn extensions_that_are_not_plain_names_are_refused() {
        let (_dir, store) = temp_store();
        for extension in ["../wav", "w/v", "m4a.", "wav ", "wäv", "averyveryverylongextension"] {
            let error = store.save_audio(b"x", extension).unwrap_err();
            assert!(matches!(error, StoreError::BadExtension { .. }), "{extension}: {error:?}");
        }
        let audio = store.save_audio(b"x", "").unwrap();
        assert_eq!(audio.path.unwrap().file_name().unwrap().to_str().unwrap(), audio.hash);
    }

    #[test]
    fn only_names_made_by_save_audio_are_valid() {
        let hash = sha256_hex(b"x");
        assert!(is_valid_name(&hash, "wav"));
        assert!(is_valid_name(&hash, ""));
        assert!(!is_valid_name(&hash, "WAV"));
        assert!(!is_valid_name(&hash, "../x"));
        assert!(!is_valid_name(&hash.to_uppercase(), "wav"));
        assert!(!is_valid_name("../../etc/passwd", "wav"));
    }
}
