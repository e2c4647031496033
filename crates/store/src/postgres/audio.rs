//! The audio shelf: where a database backend keeps the bytes of takes. Audio is named by its
//! content (SHA-256 and extension), so the same recording kept twice is kept once, and the
//! rows refer to it by name only. That keeps the shelf behind these four calls: today the
//! bytes are in the club's database, where every worker can read them; an object store can
//! take their place without the rows noticing.
//!
//! A take's audio is put on the shelf before its row is added, and taken off only by the
//! transaction that finds no row using it. Both sides hold the audio's advisory lock
//! (`lock`) while they look, so a take added at the same moment as the last one using its
//! audio is removed either sees the audio gone and is refused, or keeps it.

use postgres::Transaction;

use crate::error::Context;
use crate::{StoreError, StoredAudio};

/// Where audio is kept, each call inside the caller's transaction (a shelf outside the
/// database may ignore it).
pub(crate) trait AudioShelf: Send + std::fmt::Debug {
    /// Keeps `bytes` as `audio`; keeping what is already there changes nothing.
    fn put(&self, db: &mut Transaction, audio: &StoredAudio, bytes: &[u8]) -> Result<(), StoreError>;
    /// The bytes kept as `audio`, `None` if there are none.
    fn get(&self, db: &mut Transaction, audio: &StoredAudio) -> Result<Option<Vec<u8>>, StoreError>;
    /// How many bytes are kept as `audio`, `None` if there are none.
    fn size(&self, db: &mut Transaction, audio: &StoredAudio) -> Result<Option<u64>, StoreError>;
    /// Forgets `audio`.
    fn remove(&self, db: &mut Transaction, audio: &StoredAudio) -> Result<(), StoreError>;
}

/// Audio in the database's own `audio` table.
#[derive(Debug, Default)]
pub(crate) struct InDatabase;

impl AudioShelf for InDatabase {
    fn put(&self, db: &mut Transaction, audio: &StoredAudio, bytes: &[u8]) -> Result<(), StoreError> {
        // A row of the wrong size was damaged by hand: the name is the hash, so replace it.
        db.execute(
            "INSERT INTO audio (hash, extension, bytes, content) VALUES ($1, $2, $3, $4)
             ON CONFLICT (hash, extension) DO UPDATE SET bytes = excluded.bytes, content = excluded.content
             WHERE audio.bytes <> excluded.bytes OR octet_length(audio.content) <> excluded.bytes",
            &[&audio.hash, &audio.extension, &(bytes.len() as i64), &bytes],
        )
        .context("keeping audio")?;
        Ok(())
    }

    fn get(&self, db: &mut Transaction, audio: &StoredAudio) -> Result<Option<Vec<u8>>, StoreError> {
        let row = db
            .query_opt("SELECT content FROM audio WHERE hash = $1 AND extension = $2", &[&audio.hash, &audio.extension])
            .context("reading audio")?;
        Ok(row.map(|row| row.get(0)))
    }

    fn size(&self, db: &mut Transaction, audio: &StoredAudio) -> Result<Option<u64>, StoreError> {
        let row = db
            .query_opt(
                "SELECT octet_length(content) FROM audio WHERE hash = $1 AND extension = $2",
                &[&audio.hash, &audio.extension],
            )
            .context("looking for audio")?;
        Ok(row.map(|row| row.get::<_, i32>(0) as u64))
    }

    fn remove(&self, db: &mut Transaction, audio: &StoredAudio) -> Result<(), StoreError> {
        db.execute("DELETE FROM audio WHERE hash = $1 AND extension = $2", &[&audio.hash, &audio.extension])
            .context("deleting audio no take uses")?;
        Ok(())
    }
}

/// Holds `audio`'s lock until the transaction ends: taken by whoever adds a row using it and by
/// whoever looks for rows still using it before taking it off the shelf.
pub(crate) fn lock(db: &mut Transaction, audio: &StoredAudio) -> Result<(), StoreError> {
    db.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", &[&audio.name()]).context("locking audio")?;
    Ok(())
}

/// Takes off the shelf those of `candidates` that no take uses any more, inside the
/// transaction that removed the rows: the removal and the forgetting commit together.
pub(crate) fn remove_unused(
    shelf: &dyn AudioShelf,
    db: &mut Transaction,
    candidates: &[StoredAudio],
) -> Result<(), StoreError> {
    for audio in candidates {
        lock(db, audio)?;
        let used: bool = db
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM take WHERE audio_hash = $1 AND audio_extension = $2)",
                &[&audio.hash, &audio.extension],
            )
            .context("deleting audio no take uses")?
            .get(0);
        if !used {
            shelf.remove(db, audio)?;
        }
    }
    Ok(())
}
