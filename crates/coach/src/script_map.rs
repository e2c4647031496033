//! Script words matched between two versions of a script. A performer edits the script between
//! takes (a word changed, a line added); the words both versions share should still be compared.
//! They are matched by a longest common subsequence over each word's spoken form (lower case,
//! punctuation stripped, so "nation," in one version is "Nation" in the other), computed in linear
//! memory (Hirschberg), after the common start and end are set aside: an edit usually touches a
//! few words of a long script.

use std::collections::HashMap;

use encore_script::Script;

/// For each word of `to`, the index of the same word in `from`, or `None` when `to` added it.
pub(crate) fn map(from: &Script, to: &Script) -> Vec<Option<usize>> {
    let mut ids: HashMap<String, u32> = HashMap::new();
    let mut id_of = |script: &Script| -> Vec<u32> {
        script
            .words()
            .iter()
            .map(|word| {
                let next = ids.len() as u32;
                *ids.entry(key(&word.text, word.reading.keys())).or_insert(next)
            })
            .collect()
    };
    let a = id_of(from);
    let b = id_of(to);
    let mut mapped = vec![None; b.len()];
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..].iter().rev().zip(b[prefix..].iter().rev()).take_while(|(x, y)| x == y).count();
    for (i, slot) in mapped.iter_mut().enumerate().take(prefix) {
        *slot = Some(i);
    }
    for k in 1..=suffix {
        mapped[b.len() - k] = Some(a.len() - k);
    }
    let mut pairs = Vec::new();
    common(&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix], prefix, prefix, &mut pairs);
    for (i, j) in pairs {
        mapped[j] = Some(i);
    }
    mapped
}

/// The word as matched between versions: its first spoken form run together, or failing that its
/// letters and digits in lower case.
fn key(text: &str, keys: &[String]) -> String {
    match keys.first() {
        Some(key) => key.clone(),
        None => text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect(),
    }
}

/// Appends the pairs `(offset_a + i, offset_b + j)` of a longest common subsequence of `a` and `b`.
fn common(a: &[u32], b: &[u32], offset_a: usize, offset_b: usize, pairs: &mut Vec<(usize, usize)>) {
    if a.is_empty() || b.is_empty() {
        return;
    }
    if a.len() == 1 {
        if let Some(j) = b.iter().position(|&x| x == a[0]) {
            pairs.push((offset_a, offset_b + j));
        }
        return;
    }
    let middle = a.len() / 2;
    let forward = lengths(a[..middle].iter(), b.iter(), b.len());
    let backward = lengths(a[middle..].iter().rev(), b.iter().rev(), b.len());
    // Split b where the two halves together keep the most in common; the first such place, so
    // that ties resolve the same way every time.
    let split = (0..=b.len()).max_by_key(|&j| (forward[j] + backward[b.len() - j], std::cmp::Reverse(j))).unwrap_or(0);
    common(&a[..middle], &b[..split], offset_a, offset_b, pairs);
    common(&a[middle..], &b[split..], offset_a + middle, offset_b + split, pairs);
}

/// The last row of the LCS length table: entry `j` is the length of the longest common
/// subsequence of all of `a` and the first `j` of `b`.
fn lengths<'a>(a: impl Iterator<Item = &'a u32>, b: impl Iterator<Item = &'a u32> + Clone, b_len: usize) -> Vec<u32> {
    let mut row = vec![0u32; b_len + 1];
    for x in a {
        let mut diagonal = 0;
        for (j, y) in b.clone().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if x == y { diagonal + 1 } else { above.max(row[j]) };
            diagonal = above;
        }
    }
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(from: &str, to: &str, expected: &[Option<usize>]) {
        let mapped = map(&Script::parse(from).unwrap(), &Script::parse(to).unwrap());
        assert_eq!(mapped, expected, "{from:?} -> {to:?}");
    }

    #[test]
    fn shared_words_are_matched_across_versions() {
        check("one two three", "one two three", &[Some(0), Some(1), Some(2)]);
        check("one two three", "One, two and three.", &[Some(0), Some(1), None, Some(2)]);
        check("a b c d e f", "a x c d y f", &[Some(0), None, Some(2), Some(3), None, Some(5)]);
        check("a b c d", "d c b a", &[Some(3), None, None, None]);
        check("the cat sat on the mat", "on the mat the cat sat", &[Some(3), Some(4), Some(5), None, None, None]);
        check("one two", "three four", &[None, None]);
        check("colour", "color", &[Some(0)]);
    }

    #[test]
    fn a_long_edit_in_the_middle_is_matched_in_full() {
        let from: Vec<String> = (0..300).map(|i| format!("w{i}")).collect();
        let mut to = from.clone();
        to.remove(120);
        to.insert(200, "new".to_string());
        to.swap(10, 290);
        let mapped = map(&Script::parse(&from.join(" ")).unwrap(), &Script::parse(&to.join(" ")).unwrap());
        assert_eq!(mapped.iter().filter(|m| m.is_none()).count(), 3, "the new word and the two swapped ones");
        for (j, i) in mapped.iter().enumerate() {
            if let Some(i) = i {
                assert_eq!(from[*i], to[j]);
            }
        }
    }
}
