//! A take recorded in the stage, kept on disk as it arrives, so that the stage dying mid-take (a
//! crash, a flat battery, `kill -9`) loses at most the last second of the performance.
//!
//! Each recording is one file in the data directory's `recordings/` folder, named by the piece
//! and script version it was read from, when it began and (in a club) who performs it, holding the raw samples (16-bit
//! little-endian, mono, 16 kHz) and nothing else: any prefix of it is the take up to that moment,
//! so whatever byte a crash stops at, what is there can be kept. Samples are written to the file
//! as they come (the operating system has them even if the process dies) and made durable
//! at least once a second (for a power cut). The file is locked while it is being recorded, so
//! that recovery never takes a recording still under way for an interrupted one.
//!
//! When the take is kept in the store, the file goes. A file left behind is an interrupted take:
//! [`recover_interrupted`] keeps it as a take (with everything received), when the stage starts
//! again or `encore reanalyze` runs, and it is then analysed like any take without a report.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use encore_store::{Piece, Store, StoreError, Take};

use crate::takes::keep_take_of_version;
use crate::{RehearsalError, TakeAudio};

/// How often what was written is made durable.
const DURABLE_EVERY: Duration = Duration::from_secs(1);
/// Where an interrupted take says it came from.
pub const INTERRUPTED: &str = "recorded on the stage, interrupted";

/// The folder of recordings under way (or interrupted) in a data directory.
pub fn recordings_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("recordings")
}

/// A take being recorded, written to disk as it comes.
#[derive(Debug)]
pub struct RecordingJournal {
    file: File,
    path: PathBuf,
    made_durable: Instant,
}

impl RecordingJournal {
    /// Starts the file of a recording of `piece` in `dir`, by the club member `performer`.
    pub fn start(dir: &Path, piece: &Piece, performer: Option<i64>) -> std::io::Result<RecordingJournal> {
        // A voice being recorded is for the performer's user alone, like the store's.
        if !dir.exists() {
            std::fs::create_dir_all(dir)?;
            #[cfg(unix)]
            std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
        }
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_nanos());
        let by = performer.map(|id| format!("-m{id}")).unwrap_or_default();
        let path = dir.join(format!("{}-{}-{nanos}{by}.pcm", piece.id, piece.script.id));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&path)?;
        file.lock()?;
        #[cfg(unix)]
        File::open(dir)?.sync_all()?;
        Ok(RecordingJournal { file, path, made_durable: Instant::now() })
    }

    /// Appends samples; at least once a second, makes what was written durable.
    pub fn append(&mut self, samples: &[i16]) -> std::io::Result<()> {
        let bytes: Vec<u8> = samples.iter().flat_map(|sample| sample.to_le_bytes()).collect();
        self.file.write_all(&bytes)?;
        if self.made_durable.elapsed() >= DURABLE_EVERY {
            self.file.sync_data()?;
            self.made_durable = Instant::now();
        }
        Ok(())
    }

    /// The recording is over and dealt with (kept in the store, or refused): its file goes.
    pub fn discard(self) -> std::io::Result<()> {
        drop(self.file);
        std::fs::remove_file(&self.path)
    }
}

/// Keeps every interrupted recording in `dir` as a take of its piece (with the script version it
/// was read from), then removes its file. A recording of under a second, a silent one, or one
/// whose piece was removed is only removed. Recordings still under way are left alone. Returns
/// the takes kept, which have no report yet.
pub fn recover_interrupted(store: &dyn Store, dir: &Path) -> Result<Vec<Take>, RehearsalError> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(Vec::new()) };
    let mut kept = Vec::new();
    let mut paths: Vec<PathBuf> = entries.flatten().map(|entry| entry.path()).collect();
    paths.sort();
    for path in paths {
        let Some((piece_id, script_version_id, performer)) = journal_name(&path) else { continue };
        let Ok(file) = File::open(&path) else { continue };
        if file.try_lock().is_err() {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(|source| RehearsalError::Recording { path: path.clone(), source })?;
        let samples: Vec<i16> = bytes.chunks_exact(2).map(|pair| i16::from_le_bytes([pair[0], pair[1]])).collect();
        let name = format!("{INTERRUPTED} at {}", clock(encore_audio::seconds(samples.len())));
        let audio = (samples.len() >= encore_audio::samples_in(1.0))
            .then(|| TakeAudio::recorded(&samples, &name).ok())
            .flatten();
        if let Some(audio) = audio {
            // A piece removed since leaves nothing to keep the take in (and no audio is saved).
            let kept_in_piece = store
                .piece(piece_id)
                .and_then(|_| keep_take_of_version(store, piece_id, script_version_id, &audio, performer));
            match kept_in_piece {
                Ok(take) => kept.push(take),
                Err(StoreError::NoSuchPiece { .. } | StoreError::NoSuchScriptVersion { .. }) => {}
                Err(error) => return Err(error.into()),
            }
        }
        drop(file);
        std::fs::remove_file(&path).map_err(|source| RehearsalError::Recording { path: path.clone(), source })?;
    }
    Ok(kept)
}

/// The piece and script version in a recording's file name, `PIECE-VERSION-NANOS.pcm`.
/// The piece, script version and performer (if any) a recording's file is named by.
fn journal_name(path: &Path) -> Option<(i64, i64, Option<i64>)> {
    let stem = path.file_name()?.to_str()?.strip_suffix(".pcm")?;
    let mut parts = stem.split('-');
    let piece = parts.next()?.parse().ok()?;
    let version = parts.next()?.parse().ok()?;
    parts.next()?.parse::<u128>().ok()?;
    let performer = match parts.next() {
        None => None,
        Some(by) => Some(by.strip_prefix('m')?.parse().ok()?),
    };
    Some((piece, version, performer))
}

/// "0:19".
fn clock(seconds: f64) -> String {
    let whole = seconds.round() as u64;
    format!("{}:{:02}", whole / 60, whole % 60)
}

#[cfg(test)]
mod tests {
    use encore_store::SqliteStore;

    use super::*;

    fn spoken_samples() -> Vec<i16> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/corpus/audio/jfk_inaugural_1961.wav");
        let audio = encore_audio::decode_file(Path::new(path), &mut |_| {}).unwrap();
        audio.samples.iter().map(|&s| (s * 32_768.0).round() as i16).collect()
    }

    /// A store in a temporary directory, a piece in it, and its recordings' folder.
    fn a_store_with_a_piece() -> (tempfile::TempDir, SqliteStore, Piece, PathBuf) {
        let data = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(data.path()).unwrap();
        let piece = store.add_piece("Ask not", "And so my fellow Americans").unwrap();
        let dir = recordings_dir(data.path());
        (data, store, piece, dir)
    }

    #[test]
    fn an_interrupted_recording_is_kept_up_to_the_last_byte_written() {
        let (_data, store, piece, dir) = a_store_with_a_piece();
        let samples = spoken_samples();
        let mut journal = RecordingJournal::start(&dir, &piece, None).unwrap();
        journal.append(&samples[..80_000]).unwrap();
        // The stage dies here: the file is left as it is, with half a sample at its end.
        drop(journal);
        let path = std::fs::read_dir(&dir).unwrap().next().unwrap().unwrap().path();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
            assert_eq!((mode(&dir), mode(&path)), (0o700, 0o600), "a voice being recorded is the user's alone");
        }
        OpenOptions::new().append(true).open(&path).unwrap().write_all(&[7]).unwrap();

        // A recording under way is not taken for an interrupted one.
        let mut other = RecordingJournal::start(&dir, &piece, None).unwrap();
        other.append(&samples[..16_000]).unwrap();
        let kept = recover_interrupted(&store, &dir).unwrap();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].duration, Some(5.0));
        assert_eq!(kept[0].script_version_id, piece.script.id);
        assert!(kept[0].source_name.starts_with(INTERRUPTED), "{}", kept[0].source_name);
        assert!(kept[0].report.is_none());
        assert!(!path.exists());
        other.discard().unwrap();
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    }

    #[test]
    fn a_silent_or_short_recording_leaves_nothing() {
        let (_data, store, piece, dir) = a_store_with_a_piece();
        for samples in [vec![0i16; 48_000], spoken_samples()[..8_000].to_vec()] {
            let mut journal = RecordingJournal::start(&dir, &piece, None).unwrap();
            journal.append(&samples).unwrap();
            drop(journal);
        }
        assert!(recover_interrupted(&store, &dir).unwrap().is_empty());
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        assert!(store.all_takes().unwrap().is_empty());
    }
}
