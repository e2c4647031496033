//! The words as decoded, tidied before anyone reads them.
//!
//! The verbatim prompt makes the decoder write fillers, and it writes them in many spellings
//! and sometimes in loops. Later stages (the aligner, the prompter) should need to know one
//! spelling of each filler and see each filler said once.

use encore_script::is_filler;
use encore_take::HeardWord;

/// The verbatim prompt can make the decoder loop on a filler ("uh, uh, uh, ..."): the copies
/// it writes beyond what was said get no audio of their own, so the warping gives them no
/// time. A filler shorter than anyone can say one, right after the same filler, is merged into
/// it.
pub(super) fn merge_looped_fillers(words: Vec<HeardWord>) -> Vec<HeardWord> {
    const SHORTEST_FILLER: f64 = 0.06;
    let bare = |w: &HeardWord| w.text.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
    let mut kept: Vec<HeardWord> = Vec::with_capacity(words.len());
    for word in words {
        if let Some(previous) = kept.last_mut()
            && word.end - word.start < SHORTEST_FILLER
            && is_filler(&bare(&word))
            && bare(previous) == bare(&word)
        {
            previous.end = previous.end.max(word.end);
            continue;
        }
        kept.push(word);
    }
    kept
}

/// Writes fillers one way ("Umm," → "um,") so that later stages need not know every spelling.
pub(super) fn normalise_filler(word: &str) -> String {
    let core = word.trim_matches(|c: char| !c.is_alphanumeric());
    let lower = core.to_lowercase();
    let canonical = match lower.as_str() {
        "um" | "umm" | "ummm" | "uhm" | "uhmm" => "um",
        "uh" | "uhh" | "uhhh" | "ah" | "ahh" => "uh",
        "hmm" | "hmmm" | "hm" | "mmm" => "hmm",
        "er" | "err" | "erm" => &lower,
        _ => return word.to_string(),
    };
    word.replacen(core, canonical, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_looped_filler_without_time_of_its_own_is_merged() {
        let word = |text: &str, start: f64, end: f64| HeardWord { text: text.into(), start, end, confidence: 0.9 };
        let heard = vec![
            word("uh,", 4.3, 4.5),
            word("uh,", 4.5, 4.7),
            word("uh,", 4.7, 4.7),
            word("uh,", 4.7, 4.72),
            word("the", 4.8, 4.8),
            word("the", 4.8, 5.0),
        ];
        let texts: Vec<(String, f64)> = merge_looped_fillers(heard).into_iter().map(|w| (w.text, w.end)).collect();
        assert_eq!(texts, vec![("uh,".into(), 4.5), ("uh,".into(), 4.72), ("the".into(), 4.8), ("the".into(), 5.0)]);
    }

    #[test]
    fn fillers_get_one_spelling() {
        for (heard, spelled) in [("Umm,", "um,"), ("Uhh...", "uh..."), ("Hmm.", "hmm."), ("Ahead", "Ahead")] {
            assert_eq!(normalise_filler(heard), spelled);
        }
    }
}
