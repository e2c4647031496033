//! A row of bars that shows how a number went over the takes, small enough for a terminal line or
//! a list item: "▂▃▅▄▇█".

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// One bar per value, scaled from the lowest value (`▁`) to the highest (`█`). Nothing for no
/// values; the middle bar (`▄`) for every value when they are all equal; a space for a value that
/// is no number.
pub fn sparkline(values: &[f64]) -> String {
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let low = finite.clone().fold(f64::INFINITY, f64::min);
    let high = finite.fold(f64::NEG_INFINITY, f64::max);
    values
        .iter()
        .map(|&value| {
            if !value.is_finite() {
                ' '
            } else if high <= low {
                BARS[3]
            } else {
                let step = ((value - low) / (high - low) * (BARS.len() - 1) as f64).round() as usize;
                BARS[step.min(BARS.len() - 1)]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_span_lowest_to_highest() {
        assert_eq!(sparkline(&[]), "");
        assert_eq!(sparkline(&[3.0, 3.0, 3.0]), "▄▄▄");
        assert_eq!(sparkline(&[5.0]), "▄");
        assert_eq!(sparkline(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]), "▁▂▃▄▅▆▇█");
        assert_eq!(sparkline(&[10.0, 20.0, 15.0]), "▁█▅");
        assert_eq!(sparkline(&[1.0, f64::NAN, 2.0]), "▁ █");
    }
}
