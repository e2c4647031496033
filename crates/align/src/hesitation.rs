//! Silences that break the flow. A pause is only a hesitation when it is longer than this
//! performer's own pauses at such a place: the typical gap between words inside a phrase is
//! estimated from the take itself (median plus three scaled median absolute deviations, never
//! below a floor), and clause ends, sentence ends, line ends and the pauses marked with `/` get a
//! much longer allowance.

/// Where a gap between two words falls in the script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    Phrase,
    Clause,
    Sentence,
}

/// The longest silence that is still a normal pause at each kind of place.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Allowance {
    pub phrase: f64,
    pub clause: f64,
    pub sentence: f64,
}

impl Allowance {
    /// Estimates the performer's pauses from the gaps inside phrases in this take.
    pub(crate) fn estimate(phrase_gaps: &[f64], floor: f64) -> Allowance {
        let phrase = if phrase_gaps.len() >= 5 {
            let median = median(phrase_gaps);
            let deviations: Vec<f64> = phrase_gaps.iter().map(|gap| (gap - median).abs()).collect();
            (median + 3.0 * 1.4826 * self::median(&deviations)).max(floor)
        } else {
            floor
        };
        Allowance { phrase, clause: (2.0 * phrase).max(1.0), sentence: (3.0 * phrase).max(2.0) }
    }

    pub(crate) fn at(&self, place: Place) -> f64 {
        match place {
            Place::Phrase => self.phrase,
            Place::Clause => self.clause,
            Place::Sentence => self.sentence,
        }
    }
}

pub(crate) fn median(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    if sorted.len() % 2 == 1 { sorted[middle] } else { (sorted[middle - 1] + sorted[middle]) / 2.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowance_follows_the_performer() {
        let quick = Allowance::estimate(&[0.05, 0.1, 0.08, 0.12, 0.06, 0.1], 0.4);
        assert_eq!(quick.phrase, 0.4, "the floor holds for a quick reader");
        let slow = Allowance::estimate(&[0.5, 0.6, 0.55, 0.7, 0.5, 0.65, 0.6], 0.4);
        assert!(slow.phrase > 0.7 && slow.phrase < 1.2, "{}", slow.phrase);
        assert!(slow.sentence >= 2.0 && slow.clause >= 1.0);
        assert_eq!(median(&[3.0, 1.0, 2.0, 4.0]), 2.5);
    }
}
