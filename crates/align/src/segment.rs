//! Cutting a long take into pieces that can be aligned one by one. A full alignment of a
//! 20,000-word script against 20,000 heard words would need 400 million cells; instead, runs of
//! three words that occur exactly once in the script and once in the take are taken as anchors,
//! the longest chain of anchors in order on both sides is kept, and the path is made to pass
//! through anchors spaced at least `MIN_SPACING` script words apart. Short takes are aligned whole.

use std::collections::HashMap;
use std::ops::Range;

use crate::token::Token;

/// The most cells aligned in one piece (about 20 bytes each).
pub(crate) const MAX_CELLS: usize = 2_000_000;
const MIN_SPACING: usize = 100;

pub(crate) fn segments(script: &[Token], heard: &[Token]) -> Vec<(Range<usize>, Range<usize>)> {
    let (n, m) = (script.len(), heard.len());
    if (n + 1) * (m + 1) <= MAX_CELLS {
        return vec![(0..n, 0..m)];
    }
    let script_grams = trigrams(script);
    let heard_grams = trigrams(heard);
    let mut candidates: Vec<(usize, usize)> = Vec::new();
    for (position, gram) in trigram_keys(script).into_iter().enumerate() {
        if let Some(gram) = gram
            && let (Some(&(1, _)), Some(&(1, h))) = (script_grams.get(&gram), heard_grams.get(&gram))
        {
            candidates.push((position, h));
        }
    }
    let chain = longest_increasing(&candidates);
    let mut cuts = vec![(0usize, 0usize)];
    for (s, h) in chain {
        let &(last_s, last_h) = cuts.last().unwrap_or(&(0, 0));
        if s >= last_s + MIN_SPACING && h > last_h {
            cuts.push((s, h));
        }
    }
    cuts.push((n, m));
    cuts.windows(2).map(|pair| (pair[0].0..pair[1].0, pair[0].1..pair[1].1)).collect()
}

/// The first key of three words in a row, for each starting position (None across a filler).
fn trigram_keys(tokens: &[Token]) -> Vec<Option<String>> {
    (0..tokens.len())
        .map(|at| {
            let words = tokens.get(at..at + 3)?;
            if words.iter().any(|t| t.filler || t.keys.is_empty()) {
                return None;
            }
            Some(words.iter().map(|t| t.keys[0].as_str()).collect::<Vec<_>>().join(" "))
        })
        .collect()
}

/// How often each trigram occurs, and where it first does.
fn trigrams(tokens: &[Token]) -> HashMap<String, (usize, usize)> {
    let mut counts: HashMap<String, (usize, usize)> = HashMap::new();
    for (position, gram) in trigram_keys(tokens).into_iter().enumerate() {
        if let Some(gram) = gram {
            counts.entry(gram).and_modify(|(count, _)| *count += 1).or_insert((1, position));
        }
    }
    counts
}

/// The longest chain of pairs increasing in both positions (pairs come sorted by the first).
fn longest_increasing(pairs: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let mut tails: Vec<usize> = Vec::new(); // index into pairs of the chain end for each length
    let mut previous: Vec<Option<usize>> = vec![None; pairs.len()];
    for (index, &(_, h)) in pairs.iter().enumerate() {
        let length = tails.partition_point(|&t| pairs[t].1 < h);
        previous[index] = if length > 0 { Some(tails[length - 1]) } else { None };
        if length == tails.len() {
            tails.push(index);
        } else {
            tails[length] = index;
        }
    }
    let mut chain = Vec::new();
    let mut at = tails.last().copied();
    while let Some(index) = at {
        chain.push(pairs[index]);
        at = previous[index];
    }
    chain.reverse();
    chain
}
