//! Whisper's byte-level BPE vocabulary: text to tokens and back.
//!
//! Written here instead of pulling in a general tokenizer library: Whisper needs only one
//! scheme (GPT-2 byte-level BPE), the decoder needs the raw bytes of each token to split words,
//! and the prompt we encode is short. The vocabulary and merges come from the model's
//! `tokenizer.json`.

use std::collections::HashMap;

use serde::Deserialize;

/// The control tokens of a Whisper vocabulary, found by name so that English-only and
/// multilingual vocabularies (whose ids differ by one) both work.
#[derive(Debug, Clone)]
pub struct SpecialTokens {
    pub end_of_text: u32,
    pub start_of_transcript: u32,
    pub start_of_previous: u32,
    pub no_timestamps: u32,
    /// `<|nospeech|>` or, in older vocabularies, `<|nocaptions|>`.
    pub no_speech: Option<u32>,
    pub transcribe: Option<u32>,
    pub english: Option<u32>,
    /// The first timestamp token, `<|0.00|>`; each next one is 20 ms later.
    pub timestamp_begin: u32,
    /// True for a multilingual model, whose windows open with a language and a task. An
    /// English-only vocabulary lists the language tokens too, so the caller decides this from
    /// the model's size (see [`Tokenizer::for_multilingual`]).
    pub multilingual: bool,
}

#[derive(Debug)]
pub struct Tokenizer {
    pieces: Vec<Vec<u8>>,
    ids: HashMap<String, u32>,
    merge_ranks: HashMap<(String, String), usize>,
    pub special: SpecialTokens,
}

#[derive(Deserialize)]
struct TokenizerFile {
    model: BpeModel,
    added_tokens: Vec<AddedToken>,
}

#[derive(Deserialize)]
struct BpeModel {
    vocab: HashMap<String, u32>,
    merges: Vec<Merge>,
}

/// Merges are written either as "a b" or, in newer files, as ["a", "b"].
#[derive(Deserialize)]
#[serde(untagged)]
enum Merge {
    Joined(String),
    Pair(String, String),
}

#[derive(Deserialize)]
struct AddedToken {
    id: u32,
    content: String,
}

impl Tokenizer {
    /// Reads a Hugging Face `tokenizer.json`.
    pub fn from_json(text: &str) -> Result<Tokenizer, String> {
        let file: TokenizerFile = serde_json::from_str(text).map_err(|error| error.to_string())?;
        let byte_of = unicode_to_byte();
        let size = file.model.vocab.values().chain(file.added_tokens.iter().map(|t| &t.id)).max().map_or(0, |m| m + 1);
        let mut pieces = vec![Vec::new(); size as usize];
        for (piece, &id) in &file.model.vocab {
            pieces[id as usize] = piece.chars().filter_map(|c| byte_of.get(&c).copied()).collect();
        }
        let mut specials = HashMap::new();
        for token in &file.added_tokens {
            pieces[token.id as usize] = token.content.as_bytes().to_vec();
            specials.insert(token.content.clone(), token.id);
        }
        let merge_ranks = file
            .model
            .merges
            .into_iter()
            .filter_map(|merge| match merge {
                Merge::Pair(a, b) => Some((a, b)),
                Merge::Joined(text) => text.split_once(' ').map(|(a, b)| (a.to_string(), b.to_string())),
            })
            .enumerate()
            .map(|(rank, pair)| (pair, rank))
            .collect();
        let find = |name: &str| specials.get(name).copied();
        let need = |name: &str| find(name).ok_or_else(|| format!("the vocabulary has no {name} token"));
        let no_timestamps = need("<|notimestamps|>")?;
        let special = SpecialTokens {
            end_of_text: need("<|endoftext|>")?,
            start_of_transcript: need("<|startoftranscript|>")?,
            start_of_previous: need("<|startofprev|>")?,
            no_timestamps,
            no_speech: find("<|nospeech|>").or_else(|| find("<|nocaptions|>")),
            transcribe: find("<|transcribe|>"),
            english: find("<|en|>"),
            timestamp_begin: no_timestamps + 1,
            multilingual: false,
        };
        Ok(Tokenizer { pieces, ids: file.model.vocab, merge_ranks, special })
    }

    /// Marks the tokenizer as belonging to a multilingual model.
    pub fn for_multilingual(mut self, multilingual: bool) -> Tokenizer {
        self.special.multilingual = multilingual;
        self
    }

    /// The tokens that open a window: start of transcript, and for a multilingual model the
    /// language and the task.
    pub fn start_sequence(&self) -> Vec<u32> {
        let mut sequence = vec![self.special.start_of_transcript];
        if self.special.multilingual {
            sequence.extend(self.special.english);
            sequence.extend(self.special.transcribe);
        }
        sequence
    }

    pub fn is_timestamp(&self, token: u32) -> bool {
        token >= self.special.timestamp_begin
    }

    /// Plain text tokens (no control or timestamp tokens).
    pub fn is_text(&self, token: u32) -> bool {
        token < self.special.end_of_text
    }

    /// The raw bytes a text token stands for.
    pub fn bytes(&self, token: u32) -> &[u8] {
        self.pieces.get(token as usize).map_or(&[], Vec::as_slice)
    }

    /// The text of `tokens`: decoding itself never needs it (words are built from the bytes
    /// of each token), so it is there only for the examples (`internals`).
    #[cfg(feature = "internals")]
    pub fn decode(&self, tokens: &[u32]) -> String {
        let bytes: Vec<u8> =
            tokens.iter().filter(|&&t| self.is_text(t)).flat_map(|&t| self.bytes(t).to_vec()).collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    pub fn encode(&self, text: &str) -> Vec<u32> {
        let char_of = byte_to_unicode();
        let mut tokens = Vec::new();
        for chunk in pre_tokenize(text) {
            let symbols: Vec<String> = chunk.bytes().map(|b| char_of[b as usize].to_string()).collect();
            for symbol in self.merge(symbols) {
                if let Some(&id) = self.ids.get(&symbol) {
                    tokens.push(id);
                }
            }
        }
        tokens
    }

    /// Applies the merges in rank order until none applies, as byte-level BPE defines.
    fn merge(&self, mut symbols: Vec<String>) -> Vec<String> {
        loop {
            let best = symbols
                .windows(2)
                .enumerate()
                .filter_map(|(i, pair)| {
                    self.merge_ranks.get(&(pair[0].clone(), pair[1].clone())).map(|&rank| (rank, i))
                })
                .min();
            let Some((_, at)) = best else { return symbols };
            let right = symbols.remove(at + 1);
            symbols[at].push_str(&right);
        }
    }
}

/// Splits text as GPT-2's pre-tokenizer does: contractions, then runs of letters, digits or
/// other symbols, each with at most one leading space, then whitespace.
fn pre_tokenize(text: &str) -> Vec<&str> {
    #[derive(PartialEq, Clone, Copy)]
    enum Class {
        Letter,
        Number,
        Other,
        Space,
    }
    let class = |c: char| {
        if c.is_alphabetic() {
            Class::Letter
        } else if c.is_numeric() {
            Class::Number
        } else if c.is_whitespace() {
            Class::Space
        } else {
            Class::Other
        }
    };
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let offset = |i: usize| chars.get(i).map_or(text.len(), |&(at, _)| at);
    let mut chunks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let rest = &text[offset(i)..];
        if let Some(contraction) = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"].iter().find(|c| rest.starts_with(**c))
        {
            let end = i + contraction.chars().count();
            chunks.push(&text[offset(i)..offset(end)]);
            i = end;
            continue;
        }
        let c = chars[i].1;
        let mut start_class = class(c);
        let mut end = i + 1;
        if c == ' ' && i + 1 < chars.len() && class(chars[i + 1].1) != Class::Space {
            start_class = class(chars[i + 1].1);
            end = i + 2;
        }
        if start_class == Class::Space {
            while end < chars.len() && class(chars[end].1) == Class::Space {
                end += 1;
            }
            // Leave the last space to lead the next word, as `\s+(?!\S)` does.
            if end < chars.len() && end - i > 1 {
                end -= 1;
            }
        } else {
            while end < chars.len() && class(chars[end].1) == start_class {
                end += 1;
            }
        }
        chunks.push(&text[offset(i)..offset(end)]);
        i = end;
    }
    chunks
}

/// GPT-2 shows every byte as a printable character so that BPE can work on strings.
fn byte_to_unicode() -> Vec<char> {
    let printable = |b: u32| (33..=126).contains(&b) || (161..=172).contains(&b) || (174..=255).contains(&b);
    let mut next = 256;
    (0u32..256)
        .map(|b| {
            if printable(b) {
                char::from_u32(b).unwrap()
            } else {
                next += 1;
                char::from_u32(next - 1).unwrap()
            }
        })
        .collect()
}

fn unicode_to_byte() -> HashMap<char, u8> {
    byte_to_unicode().into_iter().enumerate().map(|(b, c)| (c, b as u8)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pre_tokenizes_like_gpt2() {
        assert_eq!(pre_tokenize("Hello world's  end 1961!"), vec!["Hello", " world", "'s", " ", " end", " 1961", "!"]);
    }

    #[test]
    fn byte_map_is_a_bijection() {
        let map = byte_to_unicode();
        let mut unique = map.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 256);
        assert_eq!(map[b' ' as usize], 'Ġ');
    }
}
