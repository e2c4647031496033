//! Why a script cannot be performed. Each message says what went wrong and what to do next,
//! because it is shown to the performer as it is.

/// A script that Encore cannot follow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScriptError {
    /// The text holds nothing that can be said aloud.
    #[error("the script has no words to read; paste or type the text you will perform")]
    Empty,
    /// The text is longer than one take can sensibly be followed.
    #[error(
        "the script has {words} words, more than the {max} Encore can follow in one take; split it into parts of at most {max} words"
    )]
    TooLong { words: usize, max: usize },
    /// The bytes are not UTF-8 text.
    #[error(
        "the script is not plain text (it stops being UTF-8 at byte {valid_up_to}); save it as plain text in UTF-8 and try again"
    )]
    NotText { valid_up_to: usize },
}
