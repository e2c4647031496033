//! How well a piece is known by heart, word by word, for the prompter that fades: the judging is
//! `encore-coach`'s ([`encore_coach::mastery`]); this finds the piece's analysed takes and the
//! script each was read against in the store.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use encore_script::Script;
use encore_store::{Piece, Store};
use encore_take::TakeReport;

use crate::RehearsalError;

/// For each word of the piece's current script, how well it is known by heart, 0 to 1, from its
/// analysed takes. Takes whose script no longer parses are left out (as for trouble spots); a
/// current script that no longer parses has no words, so nothing to know.
pub fn mastery_of(store: &dyn Store, piece: &Piece) -> Result<Vec<f64>, RehearsalError> {
    let Ok(current) = Script::parse(&piece.script.text) else { return Ok(Vec::new()) };
    let takes = store.takes(piece.id)?;
    let mut scripts: HashMap<i64, Option<Script>> = HashMap::new();
    for take in takes.iter().filter(|take| take.report.is_some()) {
        if let Entry::Vacant(entry) = scripts.entry(take.script_version_id) {
            let version = store.script_version(take.script_version_id)?;
            entry.insert(Script::parse(&version.text).ok());
        }
    }
    let analysed: Vec<(&TakeReport, &Script)> = takes
        .iter()
        .filter_map(|take| Some((take.report.as_ref()?, scripts.get(&take.script_version_id)?.as_ref()?)))
        .collect();
    Ok(encore_coach::mastery(&analysed, &current))
}

#[cfg(test)]
mod tests {
    use encore_store::{NewTake, SqliteStore};
    use encore_take::testing::take;

    use super::*;

    #[test]
    fn mastery_comes_from_the_analysed_takes_of_every_script_version() {
        let data = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(data.path()).unwrap();
        let piece = store.add_piece("Ask not", "ask not what your country can do for you").unwrap();
        let audio = store.save_audio(b"not heard in this test", "wav").unwrap();
        let keep = |script_version_id: i64, marks: Option<&str>| {
            let new = NewTake {
                piece_id: piece.id,
                script_version_id,
                audio: &audio,
                source_name: "take.wav".to_string(),
                duration: Some(4.0),
                performer_id: None,
            };
            let kept = store.add_take(&new).unwrap();
            if let Some(marks) = marks {
                let version = store.script_version(script_version_id).unwrap();
                store.save_report(kept.id, &take(&version.text, marks).0, "test").unwrap();
            }
        };
        // Two clean takes of the first version, one with a hesitation before "country", and
        // one not analysed yet; then "can" becomes "could".
        keep(piece.script.id, Some(""));
        keep(piece.script.id, Some(". . . . h"));
        keep(piece.script.id, None);
        let edited = store.edit_script(piece.id, "ask not what your country could do for you").unwrap();
        keep(edited.id, Some(""));

        let known = mastery_of(&store, &store.piece(piece.id).unwrap()).unwrap();
        assert_eq!(known.len(), 9);
        let all = 1.0 + 0.6 + 0.36 + 0.216 + 0.1296;
        let near = |value: f64, expected: f64| (value - expected).abs() < 1e-9;
        assert!(near(known[0], (1.0 + 0.6 + 0.36) / all), "{known:?}");
        assert!(near(known[4], (1.0 + 0.36) / all), "the hesitation weighs 0.6: {known:?}");
        assert!(near(known[5], 1.0 / all), "\"could\" was said in one take: {known:?}");
    }
}
