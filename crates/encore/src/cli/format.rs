//! The store as the commands use it: opened from `--data` (or the default place), with pieces
//! and takes looked up by what the user typed, and errors that say what to do.

use std::path::Path;

use anyhow::Context;
use encore_script::Script;
use encore_store::{Piece, Store, Take};

/// Opens (creating if needed) the store in `data`, or in the user's data directory.
pub fn open(data: Option<&Path>) -> anyhow::Result<Store> {
    let dir = match data {
        Some(dir) => dir.to_path_buf(),
        None => Store::default_dir()
            .context("cannot tell where your data directory is; choose one with --data DIR or ENCORE_DATA")?,
    };
    Store::open(&dir).with_context(|| format!("cannot open Encore's store in {}", dir.display()))
}

pub fn piece(store: &Store, name: &str) -> anyhow::Result<Piece> {
    Ok(store.find_piece(name)?)
}

pub fn take(store: &Store, id: i64) -> anyhow::Result<Take> {
    Ok(store.take(id)?)
}

/// The script a take was performed against.
pub fn script_of(store: &Store, take: &Take) -> anyhow::Result<Script> {
    let version = store.script_version(take.script_version_id)?;
    Script::parse(&version.text).with_context(|| format!("the stored script of take {} cannot be read", take.id))
}

/// A moment as the user reads it: local date and time, to the minute.
pub fn when(unix_seconds: i64) -> String {
    jiff::Timestamp::from_second(unix_seconds)
        .map(|moment| moment.to_zoned(jiff::tz::TimeZone::system()).strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| unix_seconds.to_string())
}

/// A length of audio as "1:05".
pub fn minutes(seconds: f64) -> String {
    let whole = seconds.round() as u64;
    format!("{}:{:02}", whole / 60, whole % 60)
}
