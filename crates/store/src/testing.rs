//! For tests of Encore's club mode, here and in the crates above: a database of its own on a
//! real PostgreSQL server, made fresh and dropped afterwards, so that tests never share data
//! and never touch a database a person uses.
//!
//! The server is `ENCORE_TEST_POSTGRES` (a URL of any database on it, for a user who may
//! create databases), else the machine's own on 127.0.0.1:5432. `scripts/test` starts one
//! where none answers.

use std::sync::atomic::{AtomicU32, Ordering};

/// The server tests use when `ENCORE_TEST_POSTGRES` names none.
const DEFAULT_SERVER: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database made for one test, dropped (with whatever is connected to it) when this is.
#[derive(Debug)]
pub struct ThrowawayDatabase {
    /// The URL to open it with.
    pub url: String,
    name: String,
    server: String,
}

impl ThrowawayDatabase {
    /// Makes a new, empty database on the test server. Panics, saying how to get a server,
    /// when none answers.
    pub fn new() -> ThrowawayDatabase {
        static MADE: AtomicU32 = AtomicU32::new(0);
        let server = std::env::var("ENCORE_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_SERVER.to_owned());
        let name = format!(
            "encore_test_{}_{}_{}",
            std::process::id(),
            MADE.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |t| t.subsec_nanos())
        );
        let mut admin = connect(&server);
        admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("the test server creates a database");
        let mut config: postgres::Config = server.parse().expect("ENCORE_TEST_POSTGRES is a postgres:// URL");
        config.dbname(&name);
        let url = url_of(&config);
        ThrowawayDatabase { url, name, server }
    }
}

impl Default for ThrowawayDatabase {
    fn default() -> Self {
        ThrowawayDatabase::new()
    }
}

impl Drop for ThrowawayDatabase {
    fn drop(&mut self) {
        // A test that failed may still hold connections: FORCE ends them.
        if let Ok(mut admin) = postgres::Client::connect(&self.server, postgres::NoTls) {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

fn connect(server: &str) -> postgres::Client {
    postgres::Client::connect(server, postgres::NoTls).unwrap_or_else(|error| {
        let error = crate::error::describe(&error);
        panic!(
            "the club-mode tests need PostgreSQL, and none answers at {server} ({error}); \
             `scripts/test` starts one, or set ENCORE_TEST_POSTGRES to a server's URL"
        )
    })
}

/// A URL that opens the database `config` names.
fn url_of(config: &postgres::Config) -> String {
    let (host, port) = crate::postgres::host_and_port(config);
    let user = config.get_user().unwrap_or("postgres");
    let password = config.get_password().map(|p| format!(":{}", String::from_utf8_lossy(p))).unwrap_or_default();
    let name = config.get_dbname().unwrap_or("postgres");
    if host.starts_with('/') {
        format!("postgres://{user}{password}@/{name}?host={host}&port={port}")
    } else {
        format!("postgres://{user}{password}@{host}:{port}/{name}")
    }
}
