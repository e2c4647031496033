//! A script as a list of words. Parsing keeps what matters for judging a take: line numbers,
//! sentence and clause ends, and the pauses the performer marked with `/`.

use crate::{Reading, ScriptError, ScriptWord};

/// The text a performer means to say, split into words.
#[derive(Debug, Clone, PartialEq)]
pub struct Script {
    words: Vec<ScriptWord>,
    lines: usize,
}

/// Abbreviations whose full stop does not end a sentence.
const TITLES: &[&str] = &[
    "mr", "mrs", "ms", "dr", "st", "prof", "sr", "jr", "vs", "mt", "e.g", "i.e", "etc", "fig", "gen", "gov", "sen",
    "rep", "rev", "capt", "col", "lt", "sgt", "ave", "approx", "dept", "inc",
];

impl Script {
    /// The most words a script may have: alignment time and memory grow with it, and a longer text
    /// is better rehearsed in parts.
    pub const MAX_WORDS: usize = 20_000;

    /// Reads a script from raw bytes, which must be UTF-8 text.
    pub fn from_bytes(bytes: &[u8]) -> Result<Script, ScriptError> {
        match std::str::from_utf8(bytes) {
            Ok(text) => Script::parse(text),
            Err(error) => Err(ScriptError::NotText { valid_up_to: error.valid_up_to() }),
        }
    }

    /// Splits script text into words. A `/` standing alone or at either end of a word marks an
    /// intended pause; tokens with nothing to say (a dash, an ellipsis) only add their punctuation
    /// to the word before.
    pub fn parse(text: &str) -> Result<Script, ScriptError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut words: Vec<ScriptWord> = Vec::new();
        let mut count = 0usize;
        let mut lines = 0usize;
        for (line_index, line) in text.lines().enumerate() {
            if line.trim().is_empty()
                && let Some(last) = words.last_mut()
            {
                last.ends_paragraph = true;
            }
            let first_on_line = words.len();
            for token in line.split_whitespace() {
                let (pause_before, core, pause_after) = split_pause_marks(token);
                if pause_before {
                    mark_pause(&mut words);
                }
                if !core.is_empty() {
                    let reading = Reading::of(core);
                    if reading.is_empty() {
                        mark_punctuation(&mut words, core);
                    } else {
                        count += 1;
                        // Past the limit only counting goes on, so that the message can say how long
                        // the script is without keeping all of it.
                        if count <= Self::MAX_WORDS {
                            let (ends_sentence, ends_clause) = punctuation_ends(core);
                            words.push(ScriptWord {
                                index: words.len(),
                                text: core.to_string(),
                                line: line_index + 1,
                                pause_after: false,
                                ends_sentence,
                                ends_clause,
                                ends_line: false,
                                ends_paragraph: false,
                                reading,
                            });
                        }
                    }
                }
                if pause_after {
                    mark_pause(&mut words);
                }
            }
            if words.len() > first_on_line {
                lines += 1;
                if let Some(last) = words.last_mut() {
                    last.ends_line = true;
                }
            }
        }
        if count == 0 {
            return Err(ScriptError::Empty);
        }
        if count > Self::MAX_WORDS {
            return Err(ScriptError::TooLong { words: count, max: Self::MAX_WORDS });
        }
        if let Some(last) = words.last_mut() {
            last.ends_sentence = true;
        }
        Ok(Script { words, lines })
    }

    /// The words, in the order they are meant to be said.
    pub fn words(&self) -> &[ScriptWord] {
        &self.words
    }

    /// How many words the script has (never 0).
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Always false: a parsed script has at least one word.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// How many lines hold at least one word.
    pub fn line_count(&self) -> usize {
        self.lines
    }

    /// The line numbers that hold words, in order.
    pub fn line_numbers(&self) -> Vec<usize> {
        let mut numbers: Vec<usize> = self.words.iter().map(|word| word.line).collect();
        numbers.dedup();
        numbers
    }
}

/// Separates leading and trailing pause marks from a token: "/nation," gives (true, "nation,", false).
/// A slash inside a word ("and/or", "24/7") is part of the word.
fn split_pause_marks(token: &str) -> (bool, &str, bool) {
    let core = token.trim_start_matches('/');
    let before = core.len() != token.len();
    let trimmed = core.trim_end_matches('/');
    let after = trimmed.len() != core.len();
    (before, trimmed, after)
}

fn mark_pause(words: &mut [ScriptWord]) {
    if let Some(last) = words.last_mut() {
        last.pause_after = true;
    }
}

/// A token with nothing to say still ends a sentence or clause for the word before it.
fn mark_punctuation(words: &mut [ScriptWord], token: &str) {
    if let Some(last) = words.last_mut() {
        let (sentence, clause) = punctuation_ends(token);
        let dash = token.chars().all(|c| matches!(c, '-' | '–' | '—'));
        last.ends_sentence |= sentence;
        last.ends_clause |= clause || dash;
    }
}

/// Whether a written word ends a sentence or a clause, from its trailing punctuation.
fn punctuation_ends(text: &str) -> (bool, bool) {
    let trimmed = text.trim_end_matches(['"', '\'', '’', '”', ')', ']', '»', '*', '_']);
    let Some(last) = trimmed.chars().last() else {
        return (false, false);
    };
    match last {
        '!' | '?' | '…' => (true, false),
        '.' => {
            let stem = trimmed.trim_end_matches('.').to_lowercase();
            let ellipsis = trimmed.ends_with("..");
            // A title such as "Mr." or a lone initial ("J.") does not end the sentence.
            let initial = stem.chars().count() == 1 && stem.chars().all(char::is_alphabetic);
            if !ellipsis && (TITLES.contains(&stem.as_str()) || initial) { (false, false) } else { (true, false) }
        }
        ',' | ';' | ':' | '—' | '–' => (false, true),
        _ => (false, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_keep_lines_pauses_and_sentence_ends() {
        let script = Script::parse("Four score, / and seven\n\nyears ago.  Mr. Smith —\nsaid/ no/").unwrap();
        let words = script.words();
        let texts: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["Four", "score,", "and", "seven", "years", "ago.", "Mr.", "Smith", "said", "no"]);
        assert_eq!(words.iter().map(|w| w.line).collect::<Vec<_>>(), [1, 1, 1, 1, 3, 3, 3, 3, 4, 4]);
        assert!(words[1].pause_after && words[1].ends_clause && !words[1].ends_sentence);
        assert!(words[5].ends_sentence);
        assert!(!words[6].ends_sentence, "a title does not end a sentence");
        assert!(words[7].ends_clause, "a dash after a word ends a clause");
        assert!(words[8].pause_after && words[9].pause_after);
        assert!(words[3].ends_line && words[7].ends_line && words[9].ends_sentence);
        assert!(words[3].ends_paragraph, "a blank line follows 'seven'");
        assert!(!words[7].ends_paragraph && !words[9].ends_paragraph);
        assert_eq!(script.line_count(), 3);
        assert_eq!(script.line_numbers(), [1, 3, 4]);
        assert_eq!(words[4].index, 4);
    }

    #[test]
    fn a_slash_inside_a_word_is_not_a_pause() {
        let script = Script::parse("rock and/or roll 24/7").unwrap();
        assert_eq!(script.len(), 4);
        assert!(!script.words()[1].pause_after);
    }

    #[test]
    fn errors_say_what_to_do() {
        assert_eq!(Script::parse("  / — \n ...").unwrap_err(), ScriptError::Empty);
        assert!(Script::parse("").unwrap_err().to_string().contains("paste or type"));
        let long = "word ".repeat(Script::MAX_WORDS + 5);
        let error = Script::parse(&long).unwrap_err();
        assert_eq!(error, ScriptError::TooLong { words: Script::MAX_WORDS + 5, max: Script::MAX_WORDS });
        assert!(error.to_string().contains("split it"));
        assert_eq!(Script::parse(&"word ".repeat(Script::MAX_WORDS)).unwrap().len(), Script::MAX_WORDS);
        let error = Script::from_bytes(b"caf\xe9 au lait").unwrap_err();
        assert_eq!(error, ScriptError::NotText { valid_up_to: 3 });
        assert!(error.to_string().contains("UTF-8"));
        assert_eq!(Script::from_bytes("\u{feff}hello".as_bytes()).unwrap().words()[0].text, "hello");
    }
}
