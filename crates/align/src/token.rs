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
