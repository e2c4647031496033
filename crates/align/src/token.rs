//! A word prepared for alignment: its fair-matching keys, how it sounds, and whether it is a
//! filled pause. Script words and heard words are prepared the same way, once, so that the
//! alignment only compares ready-made values.

use encore_script::{Reading, is_filler};

use crate::pronunciation::{in_dictionary, phones_of};

#[derive(Debug, Clone)]
pub(crate) struct Token {
    /// Every spoken form, run together (see `encore_script::Reading`).
    pub keys: Vec<String>,
    /// The likeliest form's phones.
    pub phones: Vec<u8>,
    /// A filled pause ("um"), a non-speech mark ("[laughter]") or nothing sayable.
    pub filler: bool,
    /// The phones come from the dictionary, not from a guess at the spelling.
    pub pronounced: bool,
}

impl Token {
    pub(crate) fn from_reading(reading: &Reading) -> Token {
        Token {
            keys: reading.keys().to_vec(),
            phones: phones_of(reading.preferred()),
            pronounced: in_dictionary(reading.preferred()),
            filler: reading.is_empty() || reading.keys().iter().any(|key| is_filler(key)),
        }
    }

    /// A script word, read the ways a reader may say it: as `from_reading`; a Roman numeral
    /// ("II", "XIV"; "I" only alone on its line, where it heads a numbered section) also as its
    /// number ("two"), the way sonnet and chapter numbers are read aloud; and an archaic verb
    /// form also as the modern one the recogniser writes for it (see [`modern_forms`]).
    pub(crate) fn script_word(written: &str, reading: &Reading, alone_on_line: bool) -> Token {
        let mut token = Token::from_reading(reading);
        let bare = written.trim_matches(|c: char| !c.is_alphanumeric());
        for form in modern_forms(bare) {
            for key in Reading::of(&form).keys() {
                if !token.keys.contains(key) {
                    token.keys.push(key.clone());
                }
            }
        }
        if let Some(value) = roman_value(bare).filter(|_| bare.len() >= 2 || alone_on_line) {
            let number = Token::from_reading(&Reading::of(&value.to_string()));
            for key in number.keys {
                if !token.keys.contains(&key) {
                    token.keys.push(key);
                }
            }
            token.phones = number.phones;
            token.pronounced = number.pronounced;
        }
        token
    }

    /// A word as the recogniser wrote it. Bracketed marks ("[laughter]", "(coughs)", "<unk>") are
    /// sounds, not words, and count as fillers.
    pub(crate) fn heard(text: &str) -> Token {
        let trimmed = text.trim();
        let bracketed = (trimmed.starts_with('[') && trimmed.ends_with(']'))
            || (trimmed.starts_with('(') && trimmed.ends_with(')'))
            || (trimmed.starts_with('<') && trimmed.ends_with('>'));
        let mut token = Token::from_reading(&Reading::of(trimmed));
        if bracketed {
            token.filler = true;
            token.keys.clear();
        }
        token
    }

    /// Some spoken form of both is the same, or both sound exactly alike ("heir" and "air",
    /// "sum" and "some"): a listener cannot tell homophones apart, so neither can a fair
    /// judge, and the recogniser's choice of spelling is not the performer's mistake.
    pub(crate) fn matches(&self, other: &Token) -> bool {
        self.keys.iter().any(|key| other.keys.contains(key))
            || (self.pronounced && other.pronounced && !self.phones.is_empty() && self.phones == other.phones)
    }

    /// Some spoken form of `self` is a shorter beginning of one of `word` ("mon" of "montreal").
    pub(crate) fn is_prefix_of(&self, word: &Token) -> bool {
        self.keys.iter().any(|fragment| {
            fragment.len() >= 2
                && word.keys.iter().any(|key| key.len() > fragment.len() && key.starts_with(fragment.as_str()))
        })
    }
}

/// The modern forms of an archaic verb form, as a recogniser trained on today's text writes
/// it: "mak'st" as "makes", "feel'st" as "feels", "tatter'd" as "tattered", "thinkest" and
/// "thinketh" as "thinks". Whisper writes the modern word for the old one (the sounds differ by
/// a consonant it does not hear), so a verse reading was told it misread every one; a listener
/// would count the old form said. Words in the dictionary ("honest", "forest") are left alone.
fn modern_forms(bare: &str) -> Vec<String> {
    let word = bare.to_lowercase().replace('’', "'");
    let with = |stem: &str, endings: &[&str]| endings.iter().map(|e| format!("{stem}{e}")).collect::<Vec<_>>();
    if let Some(stem) = word.strip_suffix("'st").filter(|s| s.len() >= 2) {
        with(stem, &["s", "es", "est"])
    } else if let Some(stem) = word.strip_suffix("'d").filter(|s| s.len() >= 2) {
        with(stem, &["ed", "d"])
    } else if let Some(stem) = word.strip_suffix("est").or_else(|| word.strip_suffix("eth")).filter(|s| s.len() >= 3)
        && !in_dictionary(std::slice::from_ref(&word))
    {
        with(stem, &["s", "es"])
    } else {
        Vec::new()
    }
}

/// The value of an upper-case Roman numeral from 1 to 399 written the usual way ("IV", "XIV"),
/// or `None`.
fn roman_value(text: &str) -> Option<u32> {
    if text.is_empty() || text.len() > 9 || !text.chars().all(|c| matches!(c, 'I' | 'V' | 'X' | 'L' | 'C')) {
        return None;
    }
    let digit = |c: char| match c {
        'I' => 1,
        'V' => 5,
        'X' => 10,
        'L' => 50,
        _ => 100,
    };
    let values: Vec<u32> = text.chars().map(digit).collect();
    let mut total: i64 = 0;
    for (k, &v) in values.iter().enumerate() {
        if values.get(k + 1).is_some_and(|&next| next > v) { total -= v as i64 } else { total += v as i64 }
    }
    let value = u32::try_from(total).ok().filter(|v| (1..400).contains(v))?;
    // Only the usual spelling: writing the value back must give the same text.
    (roman(value) == text).then_some(value)
}

fn roman(mut value: u32) -> String {
    const PARTS: [(u32, &str); 9] =
        [(100, "C"), (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")];
    let mut text = String::new();
    for (size, letters) in PARTS {
        while value >= size {
            text.push_str(letters);
            value -= size;
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archaic_verb_forms_are_read_as_the_modern_ones() {
        let word = |written: &str| Token::script_word(written, &Reading::of(written), false);
        assert!(word("mak’st").matches(&Token::heard("makes")));
        assert!(word("feel'st").matches(&Token::heard("feels,")));
        assert!(word("tatter’d").matches(&Token::heard("tattered")));
        assert!(word("thinkest").matches(&Token::heard("thinks")));
        assert!(!word("mak’st").matches(&Token::heard("made")));
        assert!(!word("honest").matches(&Token::heard("hons")), "a dictionary word is not an archaic form");
    }

    #[test]
    fn roman_numerals_are_read_as_numbers() {
        assert_eq!(roman_value("III"), Some(3));
        assert_eq!(roman_value("XIV"), Some(14));
        assert_eq!(roman_value("IIII"), None);
        assert_eq!(roman_value("MIX"), None);
        let three = Token::script_word("III", &Reading::of("III"), false);
        assert!(three.matches(&Token::heard("Three.")));
        let pronoun = Token::script_word("I", &Reading::of("I"), false);
        assert!(!pronoun.matches(&Token::heard("one")));
        let heading = Token::script_word("I", &Reading::of("I"), true);
        assert!(heading.matches(&Token::heard("One")) && heading.matches(&Token::heard("I")));
    }
}
