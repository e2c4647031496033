//! Any bytes as a script: `Script::from_bytes` gives a script or a `ScriptError`, and every word
//! of a script has what the aligner and the prompter rely on: a reading with spoken forms,
//! which matches the word itself, and which matches its likeliest form said aloud.

#![no_main]

use encore_script::{Reading, Script, fair_match, is_filler};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(script) = Script::from_bytes(data) else { return };
    assert!(!script.is_empty() && script.len() <= Script::MAX_WORDS);
    let mut line = 0;
    for (index, word) in script.words().iter().enumerate() {
        assert_eq!(word.index, index);
        assert!(word.line >= line, "words go back a line");
        line = word.line;
        let reading = &word.reading;
        assert!(!reading.is_empty(), "{:?} has nothing to say but is a word", word.text);
        assert_eq!(&Reading::of(&word.text), reading, "{:?} reads differently twice", word.text);
        assert!(reading.keys().iter().all(|key| !key.is_empty()));
        assert!(reading.matches(reading));
        assert!(fair_match(&[&word.text], &[&word.text]), "{:?} does not match itself", word.text);
        // Said as its likeliest form and written down so (a recogniser writes "rd" as it
        // pleases, "road" perhaps: only tokens that read as themselves are asked of).
        let said: Vec<&str> = reading.preferred().iter().map(String::as_str).collect();
        if said.iter().all(|token| Reading::of(token).keys().iter().any(|key| key == token)) {
            assert!(fair_match(&[&word.text], &said), "{:?} said as {said:?} is not accepted", word.text);
        }
        let _fillers = reading.keys().iter().filter(|key| is_filler(key)).count();
        let _quoted = word.bare();
    }
    assert_eq!(script.line_numbers().len(), script.line_count());
});
