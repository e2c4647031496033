//! The script's words as decoding expects to hear them next.
//!
//! A performer mostly says what the script says, so the script is a good guess at the tokens
//! greedy decoding is about to write. The guess is only a draft: the decoder feeds the drafted
//! tokens together ([`crate::cpu::step::Steps::feed`], about the cost of one step) and keeps
//! them only as far as they are what it would have written one at a time, so what is heard is
//! the same with a script or without one, only found sooner.

/// Tokens drafted at a time: a feed of nine rows costs about three steps, and a draft that
/// runs past a departure from the script costs only the rows after it.
pub const DRAFT_TOKENS: usize = 8;

/// A suffix of what was heard is looked for in the script this many tokens either side of
/// where the last one was found: a performer's slips move a few words, not pages.
const NEAR: usize = 64;

/// The longest suffix of what was heard looked for in the script.
const LONGEST_SUFFIX: usize = 4;

/// Where decoding is in the script: the script's text tokens, and the index of the one
/// expected next.
#[derive(Debug, Clone)]
pub struct Expected<'a> {
    script: &'a [u32],
    /// Text tokens written so far, the prompt's first.
    heard: Vec<u32>,
    /// The index in `script` of the token expected next, if what was heard last is in it.
    next: Option<usize>,
    /// Where in the script decoding was last placed: words heard are looked for near it first.
    near: usize,
}

impl<'a> Expected<'a> {
    /// Expecting `script` (text tokens) after `prompt` (text tokens heard before). The
    /// prompt's end is looked for in the script; if it is not there, the script's start is
    /// expected.
    pub fn new(script: &'a [u32], prompt: &[u32]) -> Expected<'a> {
        let mut expected = Expected { script, heard: prompt.to_vec(), next: None, near: 0 };
        expected.next = expected.find().or(Some(0));
        expected.near = expected.next.unwrap_or(0);
        expected
    }

    /// Notes a text token written; timestamps are not for this.
    pub fn heard(&mut self, token: u32) {
        self.heard.push(token);
        self.next = match self.next {
            Some(next) if self.script.get(next) == Some(&token) => Some(next + 1),
            _ => self.find(),
        };
        if let Some(next) = self.next {
            self.near = next;
        }
    }

    /// The tokens expected next, at most `count`.
    pub fn draft(&self, count: usize) -> &'a [u32] {
        match self.next {
            Some(next) if next < self.script.len() => &self.script[next..(next + count).min(self.script.len())],
            _ => &[],
        }
    }

    /// Where the script goes on after the longest stretch (up to [`LONGEST_SUFFIX`] tokens)
    /// that ends what was heard; of equal stretches, the one nearest where decoding was. A
    /// single token is looked for only near there: alone, a common word is everywhere.
    fn find(&self) -> Option<usize> {
        let longest = LONGEST_SUFFIX.min(self.heard.len());
        for length in (1..=longest).rev() {
            let suffix = &self.heard[self.heard.len() - length..];
            let (from, to) = match length {
                1 => (self.near.saturating_sub(NEAR), (self.near + NEAR).min(self.script.len())),
                _ => (0, self.script.len()),
            };
            let found = (from..to.saturating_sub(length - 1))
                .filter(|&start| self.script[start..start + length] == *suffix)
                .map(|start| start + length)
                .min_by_key(|&end| end.abs_diff(self.near));
            if found.is_some() {
                return found;
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCRIPT: [u32; 10] = [10, 11, 12, 13, 14, 15, 10, 11, 16, 17];

    #[test]
    fn with_nothing_heard_the_script_s_start_is_expected() {
        let expected = Expected::new(&SCRIPT, &[]);
        assert_eq!(expected.draft(3), &[10, 11, 12]);
    }

    #[test]
    fn the_prompt_places_decoding_in_the_script() {
        assert_eq!(Expected::new(&SCRIPT, &[99, 13, 14]).draft(2), &[15, 10]);
    }

    #[test]
    fn reading_on_follows_the_script() {
        let mut expected = Expected::new(&SCRIPT, &[]);
        for token in [10, 11, 12] {
            expected.heard(token);
        }
        assert_eq!(expected.draft(20), &SCRIPT[3..]);
    }

    #[test]
    fn a_skip_is_found_again_from_the_words_after_it() {
        let mut expected = Expected::new(&SCRIPT, &[]);
        expected.heard(10);
        // 11 to 13 were skipped.
        expected.heard(14);
        assert_eq!(expected.draft(2), &[15, 10]);
    }

    #[test]
    fn a_repeated_phrase_is_placed_by_what_came_before_it() {
        let mut expected = Expected::new(&SCRIPT, &[13, 14, 15]);
        expected.heard(10);
        expected.heard(11);
        assert_eq!(expected.draft(2), &[16, 17]);
    }

    #[test]
    fn a_word_not_in_the_script_drafts_nothing_until_the_script_is_found_again() {
        let mut expected = Expected::new(&SCRIPT, &[]);
        expected.heard(10);
        expected.heard(99);
        assert_eq!(expected.draft(4), &[] as &[u32]);
        expected.heard(12);
        assert_eq!(expected.draft(1), &[13]);
    }
}
