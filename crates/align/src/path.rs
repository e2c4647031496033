//! The alignment itself: the cheapest path through script words and heard words, edit-distance
//! style, where each step is a correct word (a fair match, possibly several words against
//! several), a misread, a skip or an extra spoken word priced by what it most likely was (see
//! `miscue`). Forward costs find the path; backward costs give, for each script word, how much
//! worse the best path with a different verdict would be: that margin feeds the confidence.
//!
//! Time and memory grow with (script words × heard words) inside one segment; long takes are cut
//! into segments at sure anchors first (see `segment`), and a segment that is still too large is
//! searched only in a band around its diagonal.

use std::collections::HashMap;
use std::ops::Range;

use crate::Costs;
use crate::miscue::{classify, following};
use crate::pronunciation::{same_onset, similarity};
use crate::segment::{MAX_CELLS, segments};
use crate::token::Token;

/// The most script words and heard words one fair match may join ("one thousand nine hundred and
/// ninety five" is seven heard words for one script word).
const MAX_GROUP_SCRIPT: usize = 4;
const MAX_GROUP_HEARD: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StepKind {
    Correct,
    Misread,
    Skipped,
    /// A heard word that stands for no script word; `script.start` is the next script word.
    Extra,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Step {
    pub kind: StepKind,
    pub script: Range<usize>,
    pub heard: Range<usize>,
}

/// The path and, per script word, the margin of its verdict over the best other verdict.
#[derive(Debug, Clone)]
pub(crate) struct Path {
    pub steps: Vec<Step>,
    pub margins: Vec<f32>,
}

/// Aligns all heard words against all script words.
pub(crate) fn align(script: &[Token], heard: &[Token], costs: &Costs) -> Path {
    let mut path = Path { steps: Vec::new(), margins: vec![0.0; script.len()] };
    for (script_range, heard_range) in segments(script, heard) {
        align_segment(script, heard, script_range, heard_range, costs, &mut path);
    }
    path
}

const NONE: u8 = 0;
const DIAGONAL: u8 = 1;
const SKIP: u8 = 2;
const INSERT: u8 = 3;
const GROUP: u8 = 4;

/// The cells searched: for each row (script position) a range of columns (heard positions).
struct Band {
    low: Vec<usize>,
    high: Vec<usize>,
    offset: Vec<usize>,
    cells: usize,
}

impl Band {
    fn new(rows: usize, columns: usize) -> Band {
        let full = (rows + 1) * (columns + 1) <= MAX_CELLS || rows == 0;
        let width = (MAX_CELLS / (rows + 1) / 2).max(64);
        let centre = |row: usize| (row.min(rows) * columns).checked_div(rows).unwrap_or(0);
        let mut low = Vec::with_capacity(rows + 1);
        let mut high = Vec::with_capacity(rows + 1);
        let mut offset = Vec::with_capacity(rows + 1);
        let mut cells = 0;
        for row in 0..=rows {
            let (l, h) = if full {
                (0, columns)
            } else if row == rows {
                (centre(row).saturating_sub(width), columns)
            } else {
                // Reaching to the next row's centre keeps consecutive rows connected.
                (centre(row).saturating_sub(width), (centre(row + 1) + width).min(columns))
            };
            low.push(l);
            high.push(h);
            offset.push(cells);
            cells += h - l + 1;
        }
        Band { low, high, offset, cells }
    }

    fn index(&self, row: usize, column: usize) -> Option<usize> {
        if row < self.low.len() && column >= self.low[row] && column <= self.high[row] {
            Some(self.offset[row] + column - self.low[row])
        } else {
            None
        }
    }
}

fn align_segment(
    script: &[Token],
    heard: &[Token],
    script_range: Range<usize>,
    heard_range: Range<usize>,
    costs: &Costs,
    path: &mut Path,
) {
    let (s0, h0) = (script_range.start, heard_range.start);
    let rows = script_range.len();
    let columns = heard_range.len();
    let band = Band::new(rows, columns);
    let mut forward = vec![f32::INFINITY; band.cells];
    let mut back = vec![NONE; band.cells];
    let mut back_group: HashMap<usize, (u8, u8)> = HashMap::new();
    // Costs of the moves out of each cell, kept for the backward pass.
    let mut diagonal = vec![f32::INFINITY; band.cells];
    let mut fair = vec![false; band.cells];
    let mut insert = vec![f32::INFINITY; band.cells];
    let mut groups: HashMap<usize, Vec<(u8, u8, f32)>> = HashMap::new();

    forward[0] = 0.0;
    for row in 0..=rows {
        for column in band.low[row]..=band.high[row] {
            let Some(cell) = band.index(row, column) else {
                continue;
            };
            let here = forward[cell];
            let mut alike = None;
            if row < rows && column < columns {
                let (s, h) = (&script[s0 + row], &heard[h0 + column]);
                let matched = s.matches(h) && !s.keys.is_empty();
                fair[cell] = matched;
                diagonal[cell] = if matched {
                    0.0
                } else {
                    let sound = similarity(&s.phones, &h.phones);
                    alike = Some(sound);
                    costs.misread_base + costs.misread_span * (1.0 - sound)
                };
                let mut found: Vec<(u8, u8, f32)> =
                    fair_groups(&script[s0 + row..script_range.end], &heard[h0 + column..heard_range.end])
                        .into_iter()
                        .map(|(a, b)| (a, b, costs.group_word * (a as f32 + b as f32 - 2.0)))
                        .collect();
                for (a, b, cost) in
                    sound_groups(&script[s0 + row..script_range.end], &heard[h0 + column..heard_range.end], costs)
                {
                    if !found.iter().any(|&(x, y, _)| (x, y) == (a, b)) {
                        found.push((a, b, cost));
                    }
                }
                if !found.is_empty() {
                    groups.insert(cell, found);
                }
            }
            if column < columns {
                insert[cell] =
                    classify(&heard[h0 + column], following(heard, h0 + column), script, s0 + row, costs, alike).1;
            }
            if !here.is_finite() {
                continue;
            }
            let mut relax = |target: Option<usize>, cost: f32, kind: u8, group: (u8, u8)| {
                if let Some(target) = target
                    && here + cost < forward[target] - 1e-6
                {
                    forward[target] = here + cost;
                    back[target] = kind;
                    if kind == GROUP {
                        back_group.insert(target, group);
                    }
                }
            };
            if row < rows && column < columns {
                relax(band.index(row + 1, column + 1), diagonal[cell], DIAGONAL, (1, 1));
                if let Some(found) = groups.get(&cell) {
                    for &(a, b, cost) in found {
                        relax(band.index(row + a as usize, column + b as usize), cost, GROUP, (a, b));
                    }
                }
            }
            if row < rows {
                relax(band.index(row + 1, column), costs.skip, SKIP, (1, 0));
            }
            if column < columns {
                relax(band.index(row, column + 1), insert[cell], INSERT, (0, 1));
            }
        }
    }

    // Backward pass: the cheapest way from each cell to the end of the segment.
    let mut backward = vec![f32::INFINITY; band.cells];
    if let Some(end) = band.index(rows, columns) {
        backward[end] = 0.0;
    }
    for row in (0..=rows).rev() {
        for column in (band.low[row]..=band.high[row]).rev() {
            let Some(cell) = band.index(row, column) else {
                continue;
            };
            let mut best = backward[cell];
            let mut consider = |target: Option<usize>, cost: f32| {
                if let Some(target) = target {
                    best = best.min(cost + backward[target]);
                }
            };
            if row < rows && column < columns {
                consider(band.index(row + 1, column + 1), diagonal[cell]);
                if let Some(found) = groups.get(&cell) {
                    for &(a, b, cost) in found {
                        consider(band.index(row + a as usize, column + b as usize), cost);
                    }
                }
            }
            if row < rows {
                consider(band.index(row + 1, column), costs.skip);
            }
            if column < columns {
                consider(band.index(row, column + 1), insert[cell]);
            }
            backward[cell] = best;
        }
    }

    // Backtrack.
    let mut steps = Vec::new();
    let (mut row, mut column) = (rows, columns);
    while row > 0 || column > 0 {
        let Some(cell) = band.index(row, column) else {
            break;
        };
        match back[cell] {
            DIAGONAL => {
                let from = band.index(row - 1, column - 1).unwrap_or(0);
                let kind = if fair[from] { StepKind::Correct } else { StepKind::Misread };
                steps.push(Step { kind, script: s0 + row - 1..s0 + row, heard: h0 + column - 1..h0 + column });
                row -= 1;
                column -= 1;
            }
            GROUP => {
                let (a, b) = back_group.get(&cell).copied().unwrap_or((1, 1));
                let (a, b) = (a as usize, b as usize);
                steps.push(Step {
                    kind: StepKind::Correct,
                    script: s0 + row - a..s0 + row,
                    heard: h0 + column - b..h0 + column,
                });
                row -= a;
                column -= b;
            }
            SKIP => {
                steps.push(Step {
                    kind: StepKind::Skipped,
                    script: s0 + row - 1..s0 + row,
                    heard: h0 + column..h0 + column,
                });
                row -= 1;
            }
            INSERT => {
                steps.push(Step {
                    kind: StepKind::Extra,
                    script: s0 + row..s0 + row,
                    heard: h0 + column - 1..h0 + column,
                });
                column -= 1;
            }
            _ => {
                // Unreachable for a connected band; fall back on skipping and inserting the rest so
                // that every word is still accounted for.
                if column > 0 {
                    steps.push(Step {
                        kind: StepKind::Extra,
                        script: s0 + row..s0 + row,
                        heard: h0 + column - 1..h0 + column,
                    });
                    column -= 1;
                } else {
                    steps.push(Step { kind: StepKind::Skipped, script: s0 + row - 1..s0 + row, heard: h0..h0 });
                    row -= 1;
                }
            }
        }
    }
    steps.reverse();

    // Margins: for each script word, the best total with each verdict it could have had.
    let total = band.index(rows, columns).map(|end| forward[end]).unwrap_or(0.0);
    let mut chosen = vec![StepKind::Skipped; rows];
    for step in &steps {
        for index in step.script.clone() {
            if step.kind != StepKind::Extra {
                chosen[index - s0] = step.kind;
            }
        }
    }
    for (row, chosen) in chosen.iter().enumerate() {
        let mut best = [f32::INFINITY; 3]; // correct, misread, skipped
        for column in band.low[row]..=band.high[row] {
            let Some(cell) = band.index(row, column) else {
                continue;
            };
            let here = forward[cell];
            if !here.is_finite() {
                continue;
            }
            if column < columns
                && let Some(target) = band.index(row + 1, column + 1)
            {
                let slot = if fair[cell] { 0 } else { 1 };
                best[slot] = best[slot].min(here + diagonal[cell] + backward[target]);
            }
            if let Some(found) = groups.get(&cell) {
                for &(a, b, cost) in found {
                    if let Some(target) = band.index(row + a as usize, column + b as usize) {
                        best[0] = best[0].min(here + cost + backward[target]);
                    }
                }
            }
            if let Some(target) = band.index(row + 1, column) {
                best[2] = best[2].min(here + costs.skip + backward[target]);
            }
        }
        let slot = match chosen {
            StepKind::Correct => 0,
            StepKind::Misread => 1,
            _ => 2,
        };
        let other = (0..3).filter(|&s| s != slot).map(|s| best[s]).fold(f32::INFINITY, f32::min);
        let margin = if other.is_finite() { (other - total).max(0.0) } else { 10.0 };
        path.margins[s0 + row] = margin;
    }
    path.steps.extend(steps);
}

/// The most words on either side of a sound-alike group.
const MAX_SOUND_GROUP: usize = 3;

/// Script words and heard words, several on at least one side, that sound nearly the same run
/// together although they are cut differently: the recogniser joined or split words ("a sign"
/// heard as "assigned", "thereunder" as "they're under", "self too" as "self-tune"). Such a group is
/// a correct reading, priced by how alike it sounds, so that one misjoined word does not become a
/// misread and a skip. Not when some word of one side fairly matches a word of the other: then the
/// group is that match plus an extra or a skipped word, which the other steps explain.
/// `script` and `heard` start at the cell's words and end where the segment does.
fn sound_groups(script: &[Token], heard: &[Token], costs: &Costs) -> Vec<(u8, u8, f32)> {
    let usable = |t: &Token| !t.filler && !t.phones.is_empty();
    // Words cut differently still start alike; this cheap test rules out most cells.
    if !same_onset(&script[0].phones, &heard[0].phones) {
        return Vec::new();
    }
    let mut found = Vec::new();
    let mut script_phones: Vec<u8> = Vec::new();
    let mut heard_phones: Vec<u8> = Vec::new();
    for a in 1..=MAX_SOUND_GROUP.min(script.len()) {
        let said = &script[..a];
        if !usable(&said[a - 1]) {
            break;
        }
        script_phones.extend_from_slice(&said[a - 1].phones);
        heard_phones.clear();
        for b in 1..=MAX_SOUND_GROUP.min(heard.len()) {
            let written = &heard[..b];
            if !usable(&written[b - 1]) {
                break;
            }
            heard_phones.extend_from_slice(&written[b - 1].phones);
            if a == 1 && b == 1 {
                continue;
            }
            // The distance is at least the difference in length: most pairs stop here, cheaply.
            let (m, n) = (script_phones.len(), heard_phones.len());
            if m.min(n) < 4 || (m.min(n) as f32) < costs.sound_group_similarity * m.max(n) as f32 {
                continue;
            }
            let alike = similarity(&script_phones, &heard_phones);
            if alike >= costs.sound_group_similarity && !said.iter().any(|s| written.iter().any(|h| s.matches(h))) {
                found.push((a as u8, b as u8, costs.sound_group + costs.misread_span * (1.0 - alike)));
            }
        }
    }
    found
}

/// The fair matches of several words starting at the first word of each side (not one
/// against one, which the diagonal step covers): run-together spoken forms are extended on
/// whichever side is behind until both sides are equal ("nineteen"+"ninety"+"five" against
/// "1995"), or stop as soon as neither is a prefix of the other. `script` and `heard` start at
/// the cell's words and end where the segment does.
fn fair_groups(script: &[Token], heard: &[Token]) -> Vec<(u8, u8)> {
    let mut found = Vec::new();
    let mut stack: Vec<(String, String, usize, usize)> = Vec::new();
    for s in &script[0].keys {
        for h in &heard[0].keys {
            if s != h && (s.starts_with(h.as_str()) || h.starts_with(s.as_str())) {
                stack.push((s.clone(), h.clone(), 1, 1));
            }
        }
    }
    let mut budget = 256;
    while let Some((s, h, a, b)) = stack.pop() {
        budget -= 1;
        if budget == 0 {
            break;
        }
        if s == h {
            let group = (a as u8, b as u8);
            if !found.contains(&group) {
                found.push(group);
            }
            continue;
        }
        if h.len() < s.len() {
            if b < MAX_GROUP_HEARD && b < heard.len() {
                for key in &heard[b].keys {
                    let longer = format!("{h}{key}");
                    if s.starts_with(longer.as_str()) || longer.starts_with(s.as_str()) {
                        stack.push((s.clone(), longer, a, b + 1));
                    }
                }
            }
        } else if a < MAX_GROUP_SCRIPT && a < script.len() {
            for key in &script[a].keys {
                let longer = format!("{s}{key}");
                if h.starts_with(longer.as_str()) || longer.starts_with(h.as_str()) {
                    stack.push((longer, h.clone(), a + 1, b));
                }
            }
        }
    }
    found.sort_unstable();
    found
}
