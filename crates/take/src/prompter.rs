//! How the prompter was used while a take was recorded. A take said from memory is judged like
//! any other, but it means something else: words said right with the text hidden were recalled,
//! not read. The report keeps the mode, how much of the script it hid, and every place the
//! hidden words had to be shown again, so that the take's page can say so and the places where
//! memory failed can be practised. A take without it was read with the full text in view (or
//! recorded elsewhere), as every take was before.

use serde::{Deserialize, Serialize};

/// How the prompter showed the script during the take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrompterUsed {
    pub mode: PrompterMode,
    /// Script words not shown in full when the take began (only a first letter, or nothing).
    pub hidden_words: usize,
    /// Script indices where the performer stalled and hidden words had to be shown again, in
    /// the order it happened; each is the first word shown.
    #[serde(default)]
    pub prompts: Vec<usize>,
}

impl PrompterUsed {
    /// The same, kept to a script of `words` words: what a page reports is taken only as far as
    /// it can be true, no more words hidden than there are and no prompt past the end.
    pub fn within(mut self, words: usize) -> PrompterUsed {
        self.hidden_words = self.hidden_words.min(words);
        self.prompts.retain(|&index| index < words);
        self
    }
}

/// What the prompter showed of the script.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrompterMode {
    /// Every word, as when reading.
    Full,
    /// Words fade as they are learnt: dimmed, then only their first letter, then nothing.
    Fading,
    /// Only the first letter of every word.
    FirstLetters,
    /// Only the first word of each line.
    Cue,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TakeReport;
    use crate::testing::{schema_problems, take};

    #[test]
    fn a_report_keeps_how_the_prompter_was_used() {
        let (mut report, _) = take("ask not what your country can do for you", ". . . h .");
        report.prompter = Some(PrompterUsed { mode: PrompterMode::FirstLetters, hidden_words: 9, prompts: vec![3, 7] });
        assert_eq!(schema_problems(&report), Vec::<String>::new());
        let value = serde_json::to_value(&report).unwrap();
        assert_eq!(
            value["prompter"],
            serde_json::json!({"mode": "first_letters", "hidden_words": 9, "prompts": [3, 7]})
        );
        let back: TakeReport = serde_json::from_value(value).unwrap();
        assert_eq!(back, report);
    }

    #[test]
    fn a_take_without_it_was_read_in_full_text_as_before() {
        let (report, _) = take("ask not what your country", "");
        let value = serde_json::to_value(&report).unwrap();
        assert!(value.get("prompter").is_none(), "nothing is written for a take read in full");
        let back: TakeReport = serde_json::from_value(value).unwrap();
        assert_eq!(back.prompter, None);
        let fading: PrompterUsed = serde_json::from_str(r#"{"mode": "fading", "hidden_words": 4}"#).unwrap();
        assert_eq!((fading.mode, fading.prompts.len()), (PrompterMode::Fading, 0));
    }

    #[test]
    fn what_a_page_reports_is_kept_to_the_script() {
        let said = PrompterUsed { mode: PrompterMode::Cue, hidden_words: 40, prompts: vec![3, 12, 11, 3] };
        assert_eq!(
            said.within(12),
            PrompterUsed { mode: PrompterMode::Cue, hidden_words: 12, prompts: vec![3, 11, 3] }
        );
    }
}
