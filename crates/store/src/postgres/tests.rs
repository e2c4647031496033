//! What only the PostgreSQL store does: its migrations, its audio in the database, its errors.
//! What every store does is tested once for both backends, in `crate::tests`.

use super::*;
use crate::testing::ThrowawayDatabase;

fn open(database: &ThrowawayDatabase) -> PostgresStore {
    PostgresStore::open(&database.url).unwrap()
}

#[test]
fn opening_applies_the_migrations_once_and_reopening_keeps_the_data() {
    let database = ThrowawayDatabase::new();
    let store = open(&database);
    assert_eq!(store.schema_version(), schema::known_version());
    let piece = store.add_piece("Hamlet", "To be, or not to be").unwrap();
    drop(store);
    let store = open(&database);
    assert_eq!(store.piece(piece.id).unwrap(), piece);
    let rows: i64 = store.client.borrow_mut().query_one("SELECT count(*) FROM encore_schema", &[]).unwrap().get(0);
    assert_eq!(rows, 1);
    assert!(store.place().ends_with(&database.url.rsplit('/').next().unwrap().to_owned()), "{}", store.place());
}

#[test]
fn stores_opened_at_once_on_a_fresh_database_migrate_it_once() {
    let database = ThrowawayDatabase::new();
    let opened: Vec<u32> = std::thread::scope(|scope| {
        let openers: Vec<_> = (0..4).map(|_| scope.spawn(|| open(&database).schema_version())).collect();
        openers.into_iter().map(|opener| opener.join().unwrap()).collect()
    });
    assert_eq!(opened, vec![schema::known_version(); 4]);
}

#[test]
fn a_newer_schema_is_refused() {
    let database = ThrowawayDatabase::new();
    let store = open(&database);
    let newer = schema::known_version() + 1;
    store.client.borrow_mut().execute("UPDATE encore_schema SET version = $1", &[&(newer as i32)]).unwrap();
    drop(store);
    let error = PostgresStore::open(&database.url).unwrap_err();
    assert!(matches!(error, StoreError::NewerSchema { found, .. } if found == newer), "{error:?}");
}

#[test]
fn the_same_recording_is_kept_once_in_the_database() {
    let database = ThrowawayDatabase::new();
    let store = open(&database);
    let piece = store.add_piece("Hamlet", "To be").unwrap();
    let first = crate::tests::add_take(&store, &piece, b"one voice");
    let second = crate::tests::add_take(&store, &piece, b"one voice");
    assert_eq!(first.audio, second.audio);
    assert_eq!(first.audio.path, None);
    let kept: i64 = store.client.borrow_mut().query_one("SELECT count(*) FROM audio", &[]).unwrap().get(0);
    assert_eq!(kept, 1);
    store.remove_take(first.id).unwrap();
    assert_eq!(store.read_audio(&second.audio).unwrap(), b"one voice");
    store.remove_take(second.id).unwrap();
    let kept: i64 = store.client.borrow_mut().query_one("SELECT count(*) FROM audio", &[]).unwrap().get(0);
    assert_eq!(kept, 0, "audio no take uses is taken off the shelf");
}

#[test]
fn a_take_whose_audio_is_not_kept_is_refused_and_check_finds_lost_audio() {
    let database = ThrowawayDatabase::new();
    let store = open(&database);
    let piece = store.add_piece("Hamlet", "To be").unwrap();
    let kept = crate::tests::add_take(&store, &piece, b"kept");
    let never_saved = StoredAudio { hash: sha256_hex(b"never saved"), extension: "wav".into(), bytes: 11, path: None };
    let take = NewTake {
        piece_id: piece.id,
        script_version_id: piece.script.id,
        audio: &never_saved,
        source_name: "take.wav".into(),
        duration: None,
        performer_id: None,
    };
    assert!(matches!(store.add_take(&take), Err(StoreError::AudioNotInStore { .. })));
    assert_eq!(store.check().unwrap(), Vec::<String>::new());
    store.client.borrow_mut().execute("DELETE FROM audio", &[]).unwrap();
    let problems = store.check().unwrap();
    assert_eq!(problems, [format!("take {} of \"Hamlet\": its audio {} is missing", kept.id, kept.audio.name())]);
}

#[test]
fn an_unreachable_or_misspelt_database_says_what_to_do() {
    let error = PostgresStore::open("postgres://nobody@127.0.0.1:1/nothing").unwrap_err();
    let message = error.to_string();
    assert!(message.starts_with("cannot reach the database nobody@127.0.0.1:1/nothing"), "{message}");
    assert!(message.contains("check that PostgreSQL is running"), "{message}");
    let error = PostgresStore::open("postgres://a@b:notaport/c").unwrap_err();
    assert!(matches!(error, StoreError::BadDatabaseUrl { .. }), "{error:?}");
    assert!(error.to_string().contains("postgres://USER:PASSWORD@HOST:PORT/NAME"), "{error}");
}

#[test]
fn the_servers_own_words_are_in_the_message() {
    let database = ThrowawayDatabase::new();
    let store = open(&database);
    let error = store.client.borrow_mut().execute("SELECT * FROM no_such_table", &[]).context("looking").unwrap_err();
    assert!(error.to_string().contains("relation \"no_such_table\" does not exist"), "{error}");
}
