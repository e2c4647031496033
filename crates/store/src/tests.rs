//! The store's interface, tested once and run against every backend (`on_every_backend`): what
//! any store must do, whatever keeps the data. What only one backend does (SQLite's files and
//! its crash safety) is tested beside that backend's code.

use crate::test_support::on_every_backend;
use crate::{NewTake, Piece, Store, StoreError, Take};

fn titles(store: &dyn Store) -> Vec<String> {
    store.pieces().unwrap().into_iter().map(|summary| summary.piece.title).collect()
}

pub(crate) fn add_take(store: &dyn Store, piece: &Piece, bytes: &[u8]) -> Take {
    let audio = store.save_audio(bytes, "wav").unwrap();
    let take = NewTake {
        piece_id: piece.id,
        script_version_id: piece.script.id,
        audio: &audio,
        source_name: "take.wav".into(),
        duration: Some(3.5),
        performer_id: None,
    };
    store.add_take(&take).unwrap()
}

#[test]
fn audio_reads_back_as_saved() {
    on_every_backend(|store| {
        let audio = store.save_audio(b"RIFF and the rest", "WAV").unwrap();
        assert_eq!(audio.extension, "wav");
        assert_eq!(store.read_audio(&audio).unwrap(), b"RIFF and the rest");
        // The same bytes are kept once.
        assert_eq!(store.save_audio(b"RIFF and the rest", "wav").unwrap(), audio);
    });
}

#[test]
fn a_new_piece_has_version_one_of_its_script() {
    on_every_backend(|store| {
        let piece = store.add_piece("  Hamlet  ", "To be, or not to be").unwrap();
        assert_eq!(piece.title, "Hamlet");
        assert_eq!(piece.script.version, 1);
        assert_eq!(piece.script.piece_id, piece.id);
        assert_eq!(piece.script.text, "To be, or not to be");
        assert_eq!(store.piece(piece.id).unwrap(), piece);
        assert_eq!(store.script_version(piece.script.id).unwrap(), piece.script);
    });
}

#[test]
fn pieces_are_listed_by_title_ignoring_case() {
    on_every_backend(|store| {
        store.add_piece("macbeth", "x").unwrap();
        store.add_piece("Hamlet", "x").unwrap();
        store.add_piece("Ödipus", "x").unwrap();
        store.add_piece("Othello", "x").unwrap();
        assert_eq!(titles(store), ["Hamlet", "macbeth", "Othello", "Ödipus"]);
        let summary = &store.pieces().unwrap()[0];
        assert_eq!((summary.takes, summary.last_take_at, summary.best_accuracy), (0, None, None));
    });
}

#[test]
fn titles_are_unique_ignoring_case() {
    on_every_backend(|store| {
        store.add_piece("Hamlet", "x").unwrap();
        let error = store.add_piece(" HAMLET ", "y").unwrap_err();
        assert!(matches!(&error, StoreError::TitleTaken { title } if title == "Hamlet"), "{error:?}");
        // Beyond ASCII too, which SQLite's NOCASE would miss.
        store.add_piece("Ödipus", "x").unwrap();
        assert!(matches!(store.add_piece("ödipus", "x"), Err(StoreError::TitleTaken { .. })));
        assert!(matches!(store.add_piece("   ", "x"), Err(StoreError::EmptyTitle)));
        assert_eq!(titles(store), ["Hamlet", "Ödipus"]);
    });
}

#[test]
fn find_piece_by_id_title_and_prefix() {
    on_every_backend(|store| {
        let hamlet = store.add_piece("Hamlet", "x").unwrap();
        let hamilton = store.add_piece("Hamilton", "x").unwrap();
        let macbeth = store.add_piece("Macbeth", "x").unwrap();
        let year = store.add_piece("1984", "x").unwrap();
        let check = |name: &str, expected: &Piece| assert_eq!(&store.find_piece(name).unwrap(), expected, "{name}");
        check(&hamlet.id.to_string(), &hamlet);
        check("hamlet", &hamlet);
        check(" HAMILTON ", &hamilton);
        check("mac", &macbeth);
        check("hamle", &hamlet);
        // Digits that are no piece's id are a title.
        check("1984", &year);
        check("19", &year);
    });
}

#[test]
fn find_piece_explains_what_it_could_not_find() {
    on_every_backend(|store| {
        let error = store.find_piece("hamlet").unwrap_err();
        assert!(matches!(&error, StoreError::NoSuchPiece { known, .. } if known.is_empty()), "{error:?}");
        store.add_piece("Hamlet", "x").unwrap();
        store.add_piece("Hamilton", "x").unwrap();
        let error = store.find_piece("ham").unwrap_err();
        assert!(
            matches!(&error, StoreError::AmbiguousPiece { name, matches } if name == "ham" && matches == &["Hamilton", "Hamlet"]),
            "{error:?}"
        );
        let error = store.find_piece("lear").unwrap_err();
        assert_eq!(
            error.to_string(),
            "there is no piece called \"lear\"; your pieces are: Hamilton, Hamlet (see `encore piece list`)"
        );
        assert!(matches!(store.find_piece(""), Err(StoreError::NoSuchPiece { .. })));
        assert!(matches!(store.find_piece("99"), Err(StoreError::NoSuchPiece { .. })));
        let error = store.piece(99).unwrap_err();
        assert!(
            matches!(&error, StoreError::NoSuchPiece { name, known } if name == "99" && known.len() == 2),
            "{error:?}"
        );
    });
}

#[test]
fn rename_keeps_titles_unique() {
    on_every_backend(|store| {
        let hamlet = store.add_piece("Hamlet", "x").unwrap();
        store.add_piece("Macbeth", "x").unwrap();
        let renamed = store.rename_piece(hamlet.id, " The Tragedy of Hamlet ").unwrap();
        assert_eq!(renamed.title, "The Tragedy of Hamlet");
        assert_eq!(renamed.script, hamlet.script);
        assert!(matches!(store.rename_piece(hamlet.id, "MACBETH"), Err(StoreError::TitleTaken { .. })));
        assert!(matches!(store.rename_piece(hamlet.id, ""), Err(StoreError::EmptyTitle)));
        // A piece may change the case of its own title.
        assert_eq!(store.rename_piece(hamlet.id, "THE TRAGEDY OF HAMLET").unwrap().title, "THE TRAGEDY OF HAMLET");
        assert!(matches!(store.rename_piece(99, "Lear"), Err(StoreError::NoSuchPiece { .. })));
    });
}

#[test]
fn an_edit_adds_a_version_and_no_edit_adds_none() {
    on_every_backend(|store| {
        let piece = store.add_piece("Hamlet", "To be").unwrap();
        let second = store.edit_script(piece.id, "To be, or not to be").unwrap();
        assert_eq!(second.version, 2);
        assert_ne!(second.id, piece.script.id);
        assert_eq!(store.edit_script(piece.id, "To be, or not to be").unwrap(), second);
        assert_eq!(store.piece(piece.id).unwrap().script, second);
        // The first version is still there.
        assert_eq!(store.script_version(piece.script.id).unwrap(), piece.script);
        assert!(matches!(store.edit_script(99, "x"), Err(StoreError::NoSuchPiece { .. })));
        assert!(matches!(store.script_version(99), Err(StoreError::NoSuchScriptVersion { id: 99 })));
    });
}

#[test]
fn a_take_is_stored_and_listed() {
    on_every_backend(|store| {
        let piece = store.add_piece("Hamlet", "To be").unwrap();
        let first = add_take(store, &piece, b"one");
        let second = add_take(store, &piece, b"two");
        assert_eq!(first.report, None);
        assert_eq!(first.audio, store.save_audio(b"one", "wav").unwrap());
        assert_eq!(store.take(first.id).unwrap(), first);
        assert_eq!(store.takes(piece.id).unwrap(), [first.clone(), second.clone()]);
        assert_eq!(store.all_takes().unwrap(), [first, second.clone()]);
        let summary = &store.pieces().unwrap()[0];
        assert_eq!((summary.takes, summary.last_take_at), (2, Some(second.recorded_at)));
        assert!(matches!(store.take(99), Err(StoreError::NoSuchTake { id: 99 })));
        assert!(matches!(store.takes(99), Err(StoreError::NoSuchPiece { .. })));
    });
}

#[test]
fn a_takes_pose_track_is_kept_and_replaced() {
    on_every_backend(|store| {
        let piece = store.add_piece("Hamlet", "To be, or not to be").unwrap();
        let take = add_take(store, &piece, b"RIFF one");
        assert_eq!(store.pose_track(take.id).unwrap(), None, "no camera, no track");
        store.save_pose_track(take.id, b"EPT1 first").unwrap();
        store.save_pose_track(take.id, b"EPT1 second").unwrap();
        assert_eq!(store.pose_track(take.id).unwrap().as_deref(), Some(b"EPT1 second".as_slice()));
        assert!(matches!(store.save_pose_track(99, b"EPT1"), Err(StoreError::NoSuchTake { id: 99 })));
        assert!(matches!(store.pose_track(99), Err(StoreError::NoSuchTake { id: 99 })));
        store.remove_take(take.id).unwrap();
        assert!(matches!(store.pose_track(take.id), Err(StoreError::NoSuchTake { .. })));
    });
}

#[test]
fn old_takes_stay_on_the_script_they_were_performed_against() {
    on_every_backend(|store| {
        let piece = store.add_piece("Hamlet", "To be").unwrap();
        let old = add_take(store, &piece, b"one");
        let edited = store.edit_script(piece.id, "To be, or not to be").unwrap();
        let piece = store.piece(piece.id).unwrap();
        let new = add_take(store, &piece, b"two");
        assert_eq!(store.take(old.id).unwrap().script_version_id, old.script_version_id);
        assert_eq!(store.script_version(old.script_version_id).unwrap().text, "To be");
        assert_eq!(new.script_version_id, edited.id);
    });
}

#[test]
fn a_take_must_use_one_of_its_pieces_scripts() {
    on_every_backend(|store| {
        let hamlet = store.add_piece("Hamlet", "To be").unwrap();
        let macbeth = store.add_piece("Macbeth", "Tomorrow").unwrap();
        let audio = store.save_audio(b"one", "wav").unwrap();
        let take = NewTake {
            piece_id: hamlet.id,
            script_version_id: macbeth.script.id,
            audio: &audio,
            source_name: "take.wav".into(),
            duration: None,
            performer_id: None,
        };
        assert!(matches!(store.add_take(&take), Err(StoreError::ScriptVersionOfAnotherPiece { .. })));
        let take = NewTake { script_version_id: 99, ..take };
        assert!(matches!(store.add_take(&take), Err(StoreError::NoSuchScriptVersion { id: 99 })));
        let take = NewTake { piece_id: 99, ..take };
        assert!(matches!(store.add_take(&take), Err(StoreError::NoSuchPiece { .. })));
    });
}

#[test]
fn removing_a_piece_removes_its_takes_scripts_and_unshared_audio() {
    on_every_backend(|store| {
        let hamlet = store.add_piece("Hamlet", "To be").unwrap();
        let macbeth = store.add_piece("Macbeth", "Tomorrow").unwrap();
        let own = add_take(store, &hamlet, b"hamlet only");
        let shared = add_take(store, &hamlet, b"both");
        let other = add_take(store, &macbeth, b"both");
        store.edit_script(hamlet.id, "To be, or not").unwrap();
        store.remove_piece(hamlet.id).unwrap();
        assert!(store.read_audio(&own.audio).is_err(), "audio no take uses is gone");
        assert_eq!(store.read_audio(&shared.audio).unwrap(), b"both");
        assert_eq!(store.all_takes().unwrap(), [other]);
        assert!(matches!(store.script_version(hamlet.script.id), Err(StoreError::NoSuchScriptVersion { .. })));
        assert!(matches!(store.piece(hamlet.id), Err(StoreError::NoSuchPiece { .. })));
        assert!(matches!(store.remove_piece(hamlet.id), Err(StoreError::NoSuchPiece { .. })));
        assert_eq!(store.pieces().unwrap().len(), 1);
        assert_eq!(store.check().unwrap(), Vec::<String>::new());
    });
}

#[test]
fn a_drill_is_added_due_now_reviewed_moved_and_retired() {
    use crate::NewDrill;
    use encore_take::{DrillState, Rating, Schedule};
    on_every_backend(|store| {
        let piece = store.add_piece("Sonnet", "Shall I compare thee to a summer's day?").unwrap();
        let drill = store
            .add_drill(&NewDrill {
                piece_id: piece.id,
                script_version_id: piece.script.id,
                first_word: 2,
                last_word: 5,
                text: "compare thee to a",
            })
            .unwrap();
        assert_eq!((drill.first_word, drill.last_word, drill.text.as_str()), (2, 5, "compare thee to a"));
        assert_eq!((drill.schedule.reps, drill.schedule.state, drill.retired_at), (0, DrillState::New, None));
        assert!(drill.schedule.due <= drill.created_at + 1);
        assert_eq!(store.drills(Some(piece.id)).unwrap(), std::slice::from_ref(&drill));
        assert_eq!(store.drills(None).unwrap().len(), 1);

        let later = Schedule { due: drill.created_at + 600, reps: 1, state: DrillState::Learning, ..drill.schedule };
        let reviewed = store.review_drill(drill.id, Rating::Good, &later, None).unwrap();
        assert_eq!(reviewed.schedule, later);

        let edited = store.edit_script(piece.id, "Oh, shall I compare thee to a summer's day?").unwrap();
        let moved = store.move_drill(drill.id, edited.id, 3, 6).unwrap();
        assert_eq!((moved.script_version_id, moved.first_word, moved.last_word), (edited.id, 3, 6));

        store.retire_drill(drill.id).unwrap();
        assert!(store.drills(Some(piece.id)).unwrap().is_empty());
        assert!(store.drill(drill.id).unwrap().retired_at.is_some(), "a retired drill keeps its history");
        assert!(matches!(store.drill(drill.id + 100), Err(StoreError::NoSuchDrill { .. })));
    });
}

#[test]
fn a_drill_of_another_pieces_script_is_refused_and_goes_with_its_piece() {
    use crate::NewDrill;
    on_every_backend(|store| {
        let one = store.add_piece("One", "one two three").unwrap();
        let two = store.add_piece("Two", "four five six").unwrap();
        let foreign = NewDrill {
            piece_id: one.id,
            script_version_id: two.script.id,
            first_word: 0,
            last_word: 1,
            text: "four five",
        };
        assert!(matches!(store.add_drill(&foreign), Err(StoreError::ScriptVersionOfAnotherPiece { .. })));
        let drill =
            store.add_drill(&NewDrill { script_version_id: one.script.id, text: "one two", ..foreign }).unwrap();
        store.review_drill(drill.id, encore_take::Rating::Again, &drill.schedule, None).unwrap();
        store.remove_piece(one.id).unwrap();
        assert!(store.drills(None).unwrap().is_empty());
        assert!(store.check().unwrap().is_empty());
    });
}
