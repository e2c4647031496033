//! Everything that can go wrong with the store, each with what the user can do about it.

use std::path::PathBuf;

/// A failure of the store. Messages are written for the performer: they say what went wrong and
/// what to do next.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("there is no piece called \"{name}\"; {}", known_pieces(known))]
    NoSuchPiece { name: String, known: Vec<String> },

    #[error("\"{name}\" could be any of: {}; type more of the title", matches.join(", "))]
    AmbiguousPiece { name: String, matches: Vec<String> },

    #[error("there is no take {id}; `encore history PIECE` lists the takes of a piece with their numbers")]
    NoSuchTake { id: i64 },

    #[error("there is no drill {id}; `encore drill list` lists the drills with their numbers")]
    NoSuchDrill { id: i64 },

    #[error(
        "the analysis of take {take_id} was taken over by another worker after this one's lease ran \
         out, or the take was removed; this worker's report is not kept"
    )]
    LeaseLost { take_id: i64 },

    #[error("there is no member called \"{name}\"; add them with `encore user add {name} --role performer|coach`")]
    NoSuchMember { name: String },

    #[error("there is no group called \"{name}\"; add it with `encore group add {name}`")]
    NoSuchGroup { name: String },

    #[error("there is already a {what} called \"{name}\"; choose another name")]
    NameTaken { what: &'static str, name: String },

    #[error("a {what} needs a name")]
    EmptyName { what: &'static str },

    #[error("there is no script version {id}")]
    NoSuchScriptVersion { id: i64 },

    #[error("script version {script_version_id} does not belong to piece {piece_id}")]
    ScriptVersionOfAnotherPiece { script_version_id: i64, piece_id: i64 },

    #[error("there is already a piece called \"{title}\"; choose another title")]
    TitleTaken { title: String },

    #[error("a piece needs a title")]
    EmptyTitle,

    #[error(
        "cannot keep audio with the extension \"{extension}\": use the file's own extension, \
         such as wav, flac or m4a"
    )]
    BadExtension { extension: String },

    #[error("the audio {name} is not in the store; save the audio before adding the take")]
    AudioNotInStore { name: String },

    #[error(
        "{} is not a database Encore can read (it is damaged, or another program wrote it): move \
         it aside and Encore starts an empty store there, or choose another directory with --data",
        path.display()
    )]
    NotADatabase { path: PathBuf },

    #[error(
        "this store was made by a newer Encore (schema version {found}; this Encore knows up to \
         {known}): update Encore, or choose another store with --data or --database"
    )]
    NewerSchema { found: u32, known: u32 },

    #[error("cannot store the report of take {take_id}: {source}")]
    ReportEncoding {
        take_id: i64,
        #[source]
        source: serde_json::Error,
    },

    // The underlying error's text is part of the message, so it is deliberately not a
    // `source()`: reporters that print the whole chain would otherwise say it two or three times.
    #[error("the store's database failed while {action}: {error}")]
    Sqlite { action: &'static str, error: rusqlite::Error },

    #[error("the club's database failed while {action}: {}", describe(error))]
    Postgres { action: &'static str, error: postgres::Error },

    #[error(
        "cannot reach the database {place}: {}; check that PostgreSQL is running there and that \
         --database (or ENCORE_DATABASE) names it, as postgres://USER:PASSWORD@HOST:PORT/NAME",
        describe(error)
    )]
    DatabaseUnreachable { place: String, error: postgres::Error },

    #[error(
        "the database address is not one PostgreSQL understands ({reason}); write it as \
         postgres://USER:PASSWORD@HOST:PORT/NAME"
    )]
    BadDatabaseUrl { reason: String },

    #[error(
        "cannot use {}: {error}; check that the data directory is writable and the disk has \
         room, or choose another with --data",
        path.display()
    )]
    Io { path: PathBuf, error: std::io::Error },
}

fn known_pieces(known: &[String]) -> String {
    if known.is_empty() {
        "you have no pieces yet (add one with `encore piece add`)".to_owned()
    } else {
        format!("your pieces are: {} (see `encore piece list`)", known.join(", "))
    }
}

/// What PostgreSQL said: the server's own message where it sent one (the client's display of
/// it is only "db error"), else the client's, with its cause.
pub(crate) fn describe(error: &postgres::Error) -> String {
    if let Some(db) = error.as_db_error() {
        return match db.detail() {
            Some(detail) => format!("{} ({detail})", db.message()),
            None => db.message().to_owned(),
        };
    }
    match std::error::Error::source(error) {
        Some(cause) => format!("{error}: {cause}"),
        None => error.to_string(),
    }
}

/// Names the operation a database error interrupted, since rusqlite's own message ("database is
/// locked", "disk I/O error") does not say what the store was doing.
pub(crate) trait Context<T> {
    fn context(self, action: &'static str) -> Result<T, StoreError>;
}

impl<T> Context<T> for Result<T, rusqlite::Error> {
    fn context(self, action: &'static str) -> Result<T, StoreError> {
        self.map_err(|error| StoreError::Sqlite { action, error })
    }
}

impl<T> Context<T> for Result<T, postgres::Error> {
    fn context(self, action: &'static str) -> Result<T, StoreError> {
        self.map_err(|error| StoreError::Postgres { action, error })
    }
}

/// Builds the closure that turns an I/O error on `path` into a `StoreError`.
pub(crate) fn io_error(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |error| StoreError::Io { path: path.to_path_buf(), error }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_such_piece_lists_the_known_pieces() {
        let error = StoreError::NoSuchPiece { name: "x".into(), known: vec!["a".into(), "b".into()] };
        assert_eq!(
            error.to_string(),
            "there is no piece called \"x\"; your pieces are: a, b (see `encore piece list`)"
        );
        let error = StoreError::NoSuchPiece { name: "x".into(), known: vec![] };
        assert_eq!(
            error.to_string(),
            "there is no piece called \"x\"; you have no pieces yet (add one with `encore piece add`)"
        );
    }
}
