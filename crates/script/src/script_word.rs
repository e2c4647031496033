//! One word of a script as the performer sees it, with what the aligner needs to judge it:
//! where it sits (line), how it may be said (its reading), and whether a pause is expected after it.

use crate::Reading;

/// A word of the script, in the order it is meant to be said.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptWord {
    /// Position in the script, from 0.
    pub index: usize,
    /// The word as written, punctuation kept ("nation,").
    pub text: String,
    /// The line of the script text it is on, from 1.
    pub line: usize,
    /// The script marks an intended pause after this word with `/`.
    pub pause_after: bool,
    /// A sentence ends with this word (".", "!" or "?", or the end of the script).
    pub ends_sentence: bool,
    /// A clause ends with this word ("," ";" ":" or a dash), a place where a short pause is natural.
    pub ends_clause: bool,
    /// The last word of its line.
    pub ends_line: bool,
    /// The last word before a blank line: a paragraph or a verse ends with it.
    pub ends_paragraph: bool,
    /// How the word may be said aloud.
    pub reading: Reading,
}

impl ScriptWord {
    /// The word as written without the punctuation around it ("nation," is "nation"), as a
    /// coach quotes it.
    pub fn bare(&self) -> &str {
        self.text.trim_matches(|c: char| !c.is_alphanumeric())
    }
}
