//! The script read ahead, as guesses for greedy decoding.
//!
//! Where a take follows its script, the tokens greedy decoding writes next are mostly the
//! script's next ones. Decoding feeds several such guesses to the decoder in one pass, which
//! reads the weights once for all of them, and keeps each guess only where it is the token
//! decoding picks from the numbers that pass gives, which are those of a step of its own (see
//! [`crate::cpu::step::Steps::feed`]). What is heard is therefore the same as without the
//! script, to the token: a misread word is written as said, and only the guesses after it
//! are wasted. The script saves the steps of the words read as written.

use crate::tokenizer::Tokenizer;

/// The longest run of text tokens looked for in the script to find where decoding is.
const LONGEST_MATCH: usize = 6;

/// A script's tokens, as Whisper writes them: each word after a space, punctuation kept.
#[derive(Debug)]
pub struct ScriptAhead {
    tokens: Vec<u32>,
    /// Each token in small letters, where the vocabulary has it so: decoding is found in the
    /// script whatever the case it writes.
    folded: Vec<u32>,
}

impl ScriptAhead {
    /// From the script's text, its lines as written.
    pub fn new(tokenizer: &Tokenizer, script: &str) -> ScriptAhead {
        let text = as_whisper_writes(script);
        let tokens = if text.is_empty() { Vec::new() } else { tokenizer.encode(&format!(" {text}")) };
        let folded = tokens.iter().map(|&token| fold(tokenizer, token)).collect();
        ScriptAhead { tokens, folded }
    }

    /// Where decoding stands in the script, to be told what it has written.
    pub fn reading<'a>(&'a self, tokenizer: &'a Tokenizer) -> Guessing<'a> {
        Guessing { script: self, tokenizer, at: 0 }
    }
}

/// The script's words on one line, as Whisper would write them heard: straight quotes for
/// curly ones, and a verse line that goes on a sentence begun above in small letters (the
/// capital is the line's, not the word's).
fn as_whisper_writes(script: &str) -> String {
    let script = script.replace(['\u{2018}', '\u{2019}'], "'").replace(['\u{201c}', '\u{201d}'], "\"");
    let mut words: Vec<String> = Vec::new();
    for line in script.lines() {
        for (index, word) in line.split_whitespace().enumerate() {
            let goes_on = words.last().is_some_and(|last| !last.ends_with(['.', '!', '?', ':']));
            let mut letters = word.chars();
            let capitalised = letters.next().is_some_and(char::is_uppercase) && letters.all(char::is_lowercase);
            if index == 0 && goes_on && capitalised && word != "I" {
                words.push(word.to_lowercase());
            } else {
                words.push(word.to_string());
            }
        }
    }
    words.join(" ")
}

/// `token` in small letters, where the vocabulary has it so; else itself.
fn fold(tokenizer: &Tokenizer, token: u32) -> u32 {
    let bytes = tokenizer.bytes(token);
    if !bytes.iter().any(u8::is_ascii_uppercase) {
        return token;
    }
    tokenizer.token_of(&bytes.to_ascii_lowercase()).unwrap_or(token)
}

/// Where one decoding stands in the script.
pub struct Guessing<'a> {
    script: &'a ScriptAhead,
    tokenizer: &'a Tokenizer,
    /// Where the last guesses were read from: the next are looked for from here on first.
    at: usize,
}

impl Guessing<'_> {
    /// At most `most` tokens likely to follow `text`, the text tokens written so far (the
    /// prompt's and the window's): those after the longest run of them that ends `text` and
    /// is found in the script, whatever its case, the first found from where the last guesses
    /// came, else the last before. Where nothing is found, the script from there.
    pub fn next(&mut self, text: &[u32], most: usize) -> &[u32] {
        let longest = LONGEST_MATCH.min(text.len());
        let run: Vec<u32> = text[text.len() - longest..].iter().map(|&t| fold(self.tokenizer, t)).collect();
        let found = (1..=longest).rev().find_map(|length| {
            let run = &run[longest - length..];
            let ends =
                self.script.folded.windows(length).enumerate().filter(|(_, w)| *w == run).map(|(s, _)| s + length);
            let (mut after, mut before) = (None, None);
            for end in ends {
                if end >= self.at {
                    after = Some(end);
                    break;
                }
                before = Some(end);
            }
            after.or(before)
        });
        if let Some(end) = found {
            self.at = end;
        }
        let script = &self.script.tokens;
        let from = self.at.min(script.len());
        &script[from..(from + most).min(script.len())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokenizer() -> Tokenizer {
        let dir = crate::default_model_dir();
        if !crate::is_model_dir(&dir) {
            crate::install(&dir, crate::DEFAULT_MODEL, &[], &mut |message| eprintln!("{message}")).unwrap();
        }
        Tokenizer::from_json(&std::fs::read_to_string(dir.join("tokenizer.json")).unwrap()).unwrap()
    }

    #[test]
    fn the_script_goes_on_from_the_words_just_written_whatever_their_case() {
        let tokenizer = tokenizer();
        let script = ScriptAhead::new(
            &tokenizer,
            "From fairest creatures we desire increase,\nThat thereby beauty\u{2019}s rose",
        );
        let mut reading = script.reading(&tokenizer);
        let written = tokenizer.encode(" from fairest creatures");
        assert_eq!(reading.next(&written, 3), tokenizer.encode(" we desire increase"));
        let written = tokenizer.encode(" we desire increase, that");
        assert_eq!(reading.next(&written, 4), tokenizer.encode(" thereby beauty's rose"));
    }

    #[test]
    fn text_the_script_lacks_is_guessed_on_from_the_last_place() {
        let tokenizer = tokenizer();
        let script = ScriptAhead::new(&tokenizer, "one two three four five");
        let mut reading = script.reading(&tokenizer);
        assert_eq!(reading.next(&tokenizer.encode(" one two"), 1), tokenizer.encode(" three"));
        assert_eq!(reading.next(&tokenizer.encode(" zebra"), 2), tokenizer.encode(" three four"));
    }
}
