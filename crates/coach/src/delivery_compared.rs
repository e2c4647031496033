//! How each line sounded in two takes: flatter or livelier, faster or slower, quieter or louder,
//! fewer pauses where the script has them, and the two pitch shapes side by side. Against the
//! performer's own best take this is what no other coach says: "line 3 was flatter and faster
//! than in your best take". Takes are compared line by line over the later take's script; a line
//! is matched to the earlier script's line that holds most of its words.

use encore_script::Script;
use encore_take::{Contour, Delivery, LineDelivery, TakeReport};
use serde::Serialize;

use crate::script_map;

/// The change of a line passed without the script's pauses more often than before.
const FEWER_PAUSES: &str = "fewer pauses";
/// Points in a line's pitch shape.
const SHAPE_POINTS: usize = 40;
/// A line this many semitones narrower than before (and under three quarters of its range) is
/// flatter; as much wider, livelier.
const RANGE_CHANGE_ST: f32 = 2.0;
/// A line this much faster than before is faster; as much slower, slower.
const PACE_CHANGE: f64 = 1.2;
/// A line this many decibels quieter than before, beyond the change of the take's lines in
/// general, is quieter.
const LOUDNESS_CHANGE_DB: f32 = 4.0;

/// One line in two takes.
#[derive(Debug, Clone, Serialize)]
pub struct LineDeliveryCompared {
    /// The line in the later take's script.
    pub line: usize,
    /// The matching line in the earlier take's script.
    pub line_before: usize,
    pub before: LineDelivery,
    pub after: LineDelivery,
    /// Each take's pitch over the line's time, in semitones from the take's own median pitch, at
    /// [`SHAPE_POINTS`] even steps from the line's first word to its last; `None` where unvoiced.
    pub shape_before: Vec<Option<f32>>,
    pub shape_after: Vec<Option<f32>>,
    /// What changed, in plain words: "flatter", "livelier", "faster", "slower", "quieter",
    /// "louder", "fewer pauses" (where the script has them).
    pub changes: Vec<String>,
}

/// The lines whose delivery both takes measured, in the later script's order. Takes made before
/// Encore measured delivery give none.
pub fn compare_delivery(before: (&TakeReport, &Script), after: (&TakeReport, &Script)) -> Vec<LineDeliveryCompared> {
    let (Some(delivery_before), Some(delivery_after)) = (&before.0.delivery, &after.0.delivery) else {
        return Vec::new();
    };
    let mapped = script_map::map(before.1, after.1);
    let mut compared = Vec::new();
    for line_after in &delivery_after.lines {
        let Some(line_before) = matching_line(line_after.line, before.1, after.1, &mapped) else { continue };
        let Some(then) = delivery_before.lines.iter().find(|l| l.line == line_before) else { continue };
        let (Some(span_before), Some(span_after)) =
            (line_span(before.0, line_before), line_span(after.0, line_after.line))
        else {
            continue;
        };
        compared.push(LineDeliveryCompared {
            line: line_after.line,
            line_before,
            shape_before: shape(delivery_before, span_before),
            shape_after: shape(delivery_after, span_after),
            before: then.clone(),
            after: line_after.clone(),
            changes: Vec::new(),
        });
    }
    // A line is louder or quieter against how the take as a whole moved (the median line's
    // change), so that a microphone moved closer is no change, nor are the other lines when one
    // of them dropped.
    let moved: Vec<f32> = compared.iter().filter_map(|c| Some(c.after.loudness_db? - c.before.loudness_db?)).collect();
    let whole_take_moved = median(&moved).unwrap_or(0.0);
    for line in &mut compared {
        line.changes = changes(&line.before, &line.after, whole_take_moved);
    }
    compared
}

impl LineDeliveryCompared {
    /// "line 3 was flatter and faster than in your best take", or `None` when nothing changed.
    pub fn describe(&self, reference: &str) -> Option<String> {
        let (fewer_pauses, adjectives): (Vec<&String>, Vec<&String>) =
            self.changes.iter().partition(|c| c.as_str() == FEWER_PAUSES);
        let line = self.line;
        let said = match adjectives.as_slice() {
            [] if fewer_pauses.is_empty() => return None,
            [] => return Some(format!("line {line} had fewer pauses than in {reference}")),
            [one] => one.to_string(),
            [rest @ .., last] => {
                format!("{} and {last}", rest.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", "))
            }
        };
        let pauses = if fewer_pauses.is_empty() { "" } else { ", with fewer pauses" };
        Some(format!("line {line} was {said} than in {reference}{pauses}"))
    }
}

/// The earlier script's line holding most of the words of `line` of the later script.
fn matching_line(line: usize, before: &Script, after: &Script, mapped: &[Option<usize>]) -> Option<usize> {
    let mut counts: Vec<(usize, usize)> = Vec::new();
    for word in after.words().iter().filter(|w| w.line == line) {
        let Some(Some(index)) = mapped.get(word.index) else { continue };
        let then = before.words()[*index].line;
        match counts.iter_mut().find(|(l, _)| *l == then) {
            Some((_, n)) => *n += 1,
            None => counts.push((then, 1)),
        }
    }
    counts.into_iter().max_by_key(|&(l, n)| (n, std::cmp::Reverse(l))).map(|(l, _)| l)
}

/// When the line's said words began and ended in the take.
fn line_span(report: &TakeReport, line: usize) -> Option<(f64, f64)> {
    let pace = report.lines.iter().find(|l| l.line == line)?;
    Some((pace.start?, pace.end?)).filter(|(start, end)| end > start)
}

/// The line's pitch, in semitones from the take's median, at even steps over its time.
fn shape(delivery: &Delivery, (start, end): (f64, f64)) -> Vec<Option<f32>> {
    let Some(median) = delivery.f0_median_hz else { return vec![None; SHAPE_POINTS] };
    let contour: &Contour = &delivery.contour;
    let step = (end - start) / SHAPE_POINTS as f64;
    (0..SHAPE_POINTS)
        .map(|k| {
            let from = ((start + k as f64 * step) / contour.hop).round() as usize;
            let to = (((start + (k + 1) as f64 * step) / contour.hop).round() as usize).max(from + 1);
            let mut voiced: Vec<f32> =
                contour.f0_hz.get(from..to.min(contour.f0_hz.len()))?.iter().flatten().copied().collect();
            if voiced.is_empty() {
                return None;
            }
            voiced.sort_by(f32::total_cmp);
            let hz = voiced[voiced.len() / 2];
            Some((12.0 * (hz / median).log2() * 10.0).round() / 10.0)
        })
        .collect()
}

fn median(values: &[f32]) -> Option<f32> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f32::total_cmp);
    let middle = sorted.len() / 2;
    match sorted.len() {
        0 => None,
        n if n % 2 == 0 => Some((sorted[middle - 1] + sorted[middle]) / 2.0),
        _ => Some(sorted[middle]),
    }
}

/// What changed from `before` to `after`, worth a performer's attention.
/// What changed from `before` to `after`, worth a performer's attention; `whole_take_moved` is
/// how many decibels louder the take's lines were in general.
fn changes(before: &LineDelivery, after: &LineDelivery, whole_take_moved: f32) -> Vec<String> {
    let mut changes = Vec::new();
    if let (Some(then), Some(now)) = (before.pitch_range_st, after.pitch_range_st) {
        if now <= then - RANGE_CHANGE_ST && now < 0.75 * then {
            changes.push("flatter".to_string());
        } else if now >= then + RANGE_CHANGE_ST && then < 0.75 * now {
            changes.push("livelier".to_string());
        }
    }
    if let (Some(then), Some(now)) = (before.wpm, after.wpm) {
        if now >= then * PACE_CHANGE {
            changes.push("faster".to_string());
        } else if now <= then / PACE_CHANGE {
            changes.push("slower".to_string());
        }
    }
    if let (Some(then), Some(now)) = (before.loudness_db, after.loudness_db) {
        let moved = now - then - whole_take_moved;
        if moved <= -LOUDNESS_CHANGE_DB {
            changes.push("quieter".to_string());
        } else if moved >= LOUDNESS_CHANGE_DB {
            changes.push("louder".to_string());
        }
    }
    if after.no_pause_after.len() > before.no_pause_after.len() {
        changes.push(FEWER_PAUSES.to_string());
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use encore_take::testing::take;

    /// A take of `script` said right, with one line's delivery set by hand and a steady voice at
    /// `hz` under all of it.
    fn sounded(script: &str, line: usize, range: f32, wpm: f64, loudness: f32, hz: f32) -> (TakeReport, Script) {
        let (mut report, script) = take(script, "");
        let frames = (report.audio.duration / 0.01) as usize + 100;
        let lines = report
            .lines
            .iter()
            .map(|pace| LineDelivery {
                line: pace.line,
                f0_median_hz: Some(hz),
                pitch_range_st: Some(if pace.line == line { range } else { 6.0 }),
                loudness_db: Some(if pace.line == line { loudness } else { -20.0 }),
                wpm: Some(if pace.line == line { wpm } else { 150.0 }),
                flat: false,
                trailing_off: false,
                rushing: false,
                dragging: false,
                no_pause_after: Vec::new(),
                no_rise_at: Vec::new(),
            })
            .collect();
        report.delivery = Some(Delivery {
            f0_median_hz: Some(hz),
            pitch_range_st: Some(6.0),
            loudness_db: Some(-20.0),
            flat: false,
            lines,
            contour: Contour { hop: 0.01, f0_hz: vec![Some(hz); frames], loudness_db: vec![-20.0; frames] },
        });
        (report, script)
    }

    const POEM: &str = "shall I compare thee to a summer's day\nthou art more lovely and more temperate\nrough winds do shake the darling buds of may";

    #[test]
    fn a_line_said_flatter_faster_and_quieter_than_in_the_best_take_is_named_so() {
        let best = sounded(POEM, 2, 8.0, 150.0, -20.0, 180.0);
        let this = sounded(POEM, 2, 3.0, 190.0, -26.0, 180.0);
        let compared = compare_delivery((&best.0, &best.1), (&this.0, &this.1));
        assert_eq!(compared.len(), 3);
        assert_eq!(compared[0].describe("your best take"), None, "line 1 sounded the same");
        assert_eq!(compared[2].describe("your best take"), None, "and so did line 3");
        assert_eq!(compared[1].changes, ["flatter", "faster", "quieter"]);
        assert_eq!(
            compared[1].describe("your best take").as_deref(),
            Some("line 2 was flatter, faster and quieter than in your best take")
        );
        // A steady voice at the take's median is 0 semitones all along, in both shapes.
        assert_eq!(compared[1].shape_before.len(), SHAPE_POINTS);
        assert!(compared[1].shape_after.iter().all(|p| *p == Some(0.0)), "{:?}", compared[1].shape_after);
    }

    #[test]
    fn a_louder_microphone_is_no_change_and_a_livelier_slower_line_is() {
        let before = sounded(POEM, 1, 3.0, 180.0, -20.0, 180.0);
        let mut after = sounded(POEM, 1, 7.0, 140.0, -20.0, 180.0);
        // Everything 10 dB louder: the line stands where it stood against the take's other lines.
        let delivery = after.0.delivery.as_mut().unwrap();
        delivery.loudness_db = Some(-10.0);
        delivery.lines.iter_mut().for_each(|l| l.loudness_db = l.loudness_db.map(|db| db + 10.0));
        let compared = compare_delivery((&before.0, &before.1), (&after.0, &after.1));
        assert_eq!(compared[0].changes, ["livelier", "slower"]);
    }

    #[test]
    fn lines_are_matched_across_an_edited_script() {
        let before = sounded(POEM, 2, 8.0, 150.0, -20.0, 180.0);
        let edited = format!("sonnet eighteen\n{POEM}");
        let after = sounded(&edited, 3, 3.0, 150.0, -20.0, 180.0);
        let compared = compare_delivery((&before.0, &before.1), (&after.0, &after.1));
        let lines: Vec<(usize, usize)> = compared.iter().map(|c| (c.line, c.line_before)).collect();
        assert_eq!(lines, [(2, 1), (3, 2), (4, 3)], "the new first line has nothing to compare with");
        assert_eq!(compared[1].changes, ["flatter"]);
    }

    #[test]
    fn takes_without_delivery_compare_no_lines() {
        let (old, script) = take(POEM, "");
        let new = sounded(POEM, 1, 3.0, 150.0, -20.0, 180.0);
        assert!(compare_delivery((&old, &script), (&new.0, &new.1)).is_empty());
    }
}
