//! A verdict changed by a person: a coach who heard the take and knows better than the
//! recogniser ("she did say 'ten'"). The report keeps every change with who made it and when,
//! and its numbers are counted again, so that the performer sees the change and its effect.

use serde::{Deserialize, Serialize};

use crate::{FindingKind, TakeReport, Verdict, round};

/// One script word's verdict, changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerdictChange {
    pub script_index: usize,
    /// The verdict before the change (the recogniser's, or an earlier change's).
    pub from: Verdict,
    pub to: Verdict,
    /// Who changed it: a coach's name.
    pub by: String,
    /// When, in unix seconds.
    pub at: i64,
}

/// Why a verdict cannot be changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerdictChangeError {
    NoSuchWord { script_index: usize },
    NotAScriptVerdict,
}

impl std::fmt::Display for VerdictChangeError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VerdictChangeError::NoSuchWord { script_index } => {
                write!(formatter, "the script has no word {script_index}")
            }
            VerdictChangeError::NotAScriptVerdict => {
                formatter.write_str("a script word can only be said right (correct), misread or skipped")
            }
        }
    }
}

impl std::error::Error for VerdictChangeError {}

impl TakeReport {
    /// Changes the verdict of script word `script_index` to `to` (correct, misread or skipped),
    /// keeps the change, and counts the take's numbers again. Changing a verdict to what it is
    /// changes nothing.
    pub fn change_verdict(
        &mut self,
        script_index: usize,
        to: Verdict,
        by: &str,
        at: i64,
    ) -> Result<(), VerdictChangeError> {
        if !to.is_script_word() {
            return Err(VerdictChangeError::NotAScriptVerdict);
        }
        let word = self
            .words
            .iter_mut()
            .find(|word| word.script_index == Some(script_index) && word.verdict.is_script_word())
            .ok_or(VerdictChangeError::NoSuchWord { script_index })?;
        if word.verdict == to {
            return Ok(());
        }
        let from = word.verdict;
        word.verdict = to;
        word.uncertain = false;
        self.changes.push(VerdictChange { script_index, from, to, by: by.to_owned(), at });
        // A finding about the word's old verdict no longer holds.
        self.findings.retain(|finding| {
            finding.script_index != Some(script_index)
                || !matches!(finding.kind, FindingKind::Skipped | FindingKind::Misread)
        });
        self.count_script_words();
        Ok(())
    }

    /// The numbers that follow from the script words' verdicts, counted again.
    fn count_script_words(&mut self) {
        let count = |verdict: Verdict| self.words.iter().filter(|word| word.verdict == verdict).count();
        let (correct, misread, skipped) = (count(Verdict::Correct), count(Verdict::Misread), count(Verdict::Skipped));
        let total = self.script.words.max(1) as f64;
        let summary = &mut self.summary;
        summary.correct = correct;
        summary.misread = misread;
        summary.skipped = skipped;
        summary.accuracy = round(correct as f64 / total, 4);
        summary.completeness = round((correct + misread) as f64 / total, 4);
        let minutes = summary.speaking_time / 60.0;
        summary.wcpm = if minutes > 0.0 { round(correct as f64 / minutes, 1) } else { 0.0 };
        summary.uncertain = self.words.iter().filter(|word| word.uncertain).count();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::take;

    #[test]
    fn a_coach_marks_a_skipped_word_said_and_the_numbers_follow() {
        let (mut report, _) = take("go forward ten meters", ". . x .");
        let skipped = report.words.iter().find(|w| w.verdict == Verdict::Skipped).unwrap().script_index.unwrap();
        let before = report.summary;
        report.change_verdict(skipped, Verdict::Correct, "Ms Reyes", 1_800_000_000).unwrap();
        assert_eq!((report.summary.correct, report.summary.skipped), (before.correct + 1, before.skipped - 1));
        assert!(report.summary.accuracy > before.accuracy);
        assert_eq!(report.summary.accuracy, 1.0);
        assert!(report.summary.wcpm > before.wcpm);
        assert_eq!(
            report.changes,
            [VerdictChange {
                script_index: skipped,
                from: Verdict::Skipped,
                to: Verdict::Correct,
                by: "Ms Reyes".into(),
                at: 1_800_000_000
            }]
        );
        assert!(report.findings.iter().all(|f| f.script_index != Some(skipped)));
        // The same verdict again changes nothing.
        report.change_verdict(skipped, Verdict::Correct, "Ms Reyes", 1_800_000_001).unwrap();
        assert_eq!(report.changes.len(), 1);
        // It survives the round trip as JSON.
        let again: TakeReport = serde_json::from_str(&serde_json::to_string(&report).unwrap()).unwrap();
        assert_eq!(again, report);
    }

    #[test]
    fn only_script_words_and_their_verdicts_can_be_changed() {
        let (mut report, _) = take("go forward", ". .");
        assert_eq!(
            report.change_verdict(7, Verdict::Correct, "x", 0),
            Err(VerdictChangeError::NoSuchWord { script_index: 7 })
        );
        assert_eq!(report.change_verdict(0, Verdict::Filler, "x", 0), Err(VerdictChangeError::NotAScriptVerdict));
        report.change_verdict(0, Verdict::Misread, "x", 0).unwrap();
        assert_eq!((report.summary.correct, report.summary.misread, report.summary.accuracy), (1, 1, 0.5));
    }
}
