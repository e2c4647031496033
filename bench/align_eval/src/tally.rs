//! Counting hits, false alarms and misses, and the rates made from them.

/// Counts for one kind of event.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tally {
    pub hits: usize,
    pub false_alarms: usize,
    pub misses: usize,
}

impl Tally {
    pub fn precision(&self) -> Option<f64> {
        ratio(self.hits, self.hits + self.false_alarms)
    }

    pub fn recall(&self) -> Option<f64> {
        ratio(self.hits, self.hits + self.misses)
    }

    pub fn f1(&self) -> Option<f64> {
        ratio(2 * self.hits, 2 * self.hits + self.false_alarms + self.misses)
    }

    pub fn add(&mut self, other: Tally) {
        self.hits += other.hits;
        self.false_alarms += other.false_alarms;
        self.misses += other.misses;
    }
}

pub fn ratio(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// A rate with two decimals, or a dash when there is nothing to divide.
pub fn show(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_string(), |v| format!("{v:.2}"))
}

/// A rate as a percentage with one decimal.
pub fn show_percent(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_string(), |v| format!("{:.1}%", v * 100.0))
}
