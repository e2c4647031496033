//! Word times from the decoder's cross-attention.
//!
//! Some attention heads of Whisper's decoder look at the stretch of audio that the token being
//! written comes from (the model's `alignment_heads`). Reading those heads over the decoded
//! text, and finding the monotonic path through them by dynamic time warping, gives each token
//! the audio frame where it starts. Voice activity then moves any word edge that landed in
//! silence onto the speech next to it.

use candle_core::{D, Tensor};
use encore_audio::SpeechSpan;

const MEDIAN_FILTER_WIDTH: usize = 7;

/// Compare-and-swaps that sort seven numbers: a sorting network of 16 comparators (it sorts
/// all 128 inputs of zeros and ones, and so every input; a test holds it).
#[rustfmt::skip]
const SORTING_SEVEN: [(usize, usize); 16] = [
    (0, 6), (2, 3), (4, 5),
    (0, 2), (1, 4), (3, 6),
    (0, 1), (2, 5), (3, 4),
    (1, 2), (4, 6),
    (2, 3), (4, 5),
    (1, 2), (3, 4), (5, 6),
];
/// The decoder attends to a sound a little after it begins: on the corpus's forced-aligned
/// words (9 recordings, 258 words) the warped times were late by a median 0.10 s at both
/// start and end, so they are moved that much earlier.
pub const ATTENTION_LAG: f64 = 0.10;

/// Turns the alignment heads' attention `[heads, tokens, positions]` into, for each row, a
/// normalised score of how strongly that token looks at each audio position.
/// `positions` is how many encoder positions hold real audio in this window.
pub fn attention_matrix(alignment: &Tensor, positions: usize) -> candle_core::Result<Vec<Vec<f32>>> {
    let weights = alignment.narrow(D::Minus1, 0, positions)?;
    // Renormalise over the audio that exists: the same as a softmax restricted to it.
    let weights = weights.broadcast_div(&weights.sum_keepdim(D::Minus1)?)?;
    // Standardise each position's column over the tokens, as the reference does, so that
    // positions every token attends to (silence, the window start) stop dominating.
    let mean = weights.mean_keepdim(1)?;
    let centred = weights.broadcast_sub(&mean)?;
    let deviation = (centred.sqr()?.mean_keepdim(1)? + 1e-10)?.sqrt()?;
    let standard = centred.broadcast_div(&deviation)?;
    let heads: Vec<Vec<Vec<f32>>> = standard.to_vec3()?;
    let tokens = heads.first().map_or(0, Vec::len);
    let mut matrix = vec![vec![0.0f32; positions]; tokens];
    for head in &heads {
        for (row, filtered) in head.iter().map(|row| median_filter(row)).enumerate() {
            for (sum, value) in matrix[row].iter_mut().zip(filtered) {
                *sum += value / heads.len() as f32;
            }
        }
    }
    Ok(matrix)
}

/// A running median of [`MEDIAN_FILTER_WIDTH`] with reflected edges; it removes single-frame
/// spikes of attention.
///
/// Every number of every alignment head's row is the median of its neighbourhood: nearly a
/// million medians a window. Sorting each neighbourhood took 0.02 s a window; here the row is
/// laid out seven times, each copy shifted by one, and a sorting network of compare-and-swaps
/// runs down the copies side by side, in vector instructions. The numbers are compared as
/// `f32::total_cmp` orders them (through integer keys in that order), so the median is the
/// number the sort picked.
fn median_filter(row: &[f32]) -> Vec<f32> {
    const WIDTH: usize = MEDIAN_FILTER_WIDTH;
    let half = WIDTH / 2;
    let n = row.len() as isize;
    if row.len() <= half {
        return row.to_vec();
    }
    // An integer in `f32::total_cmp`'s order; the same operation turns it back.
    let key = |bits: i32| bits ^ (((bits >> 31) as u32) >> 1) as i32;
    let reflect = |i: isize| -> f32 {
        let j = if i < 0 {
            -i
        } else if i >= n {
            2 * (n - 1) - i
        } else {
            i
        };
        row[j.clamp(0, n - 1) as usize]
    };
    let mut shifted: [Vec<i32>; WIDTH] = std::array::from_fn(|k| {
        (0..n).map(|i| key(reflect(i + k as isize - half as isize).to_bits() as i32)).collect()
    });
    for (a, b) in SORTING_SEVEN {
        let (low, high) = shifted.split_at_mut(b);
        for (x, y) in low[a].iter_mut().zip(high[0].iter_mut()) {
            (*x, *y) = ((*x).min(*y), (*x).max(*y));
        }
    }
    shifted[half].iter().map(|&k| f32::from_bits(key(k) as u32)).collect()
}

/// Dynamic time warping over `-matrix`: the monotonic path from the first token at the first
/// position to the last token at the last position that follows the strongest attention.
/// Returns, for each row, the first position the path gives it.
pub fn row_starts(matrix: &[Vec<f32>]) -> Vec<usize> {
    let rows = matrix.len();
    let columns = matrix.first().map_or(0, Vec::len);
    if rows == 0 || columns == 0 {
        return vec![0; rows];
    }
    let mut cost = vec![f32::INFINITY; (rows + 1) * (columns + 1)];
    let mut step = vec![0u8; (rows + 1) * (columns + 1)];
    let at = |i: usize, j: usize| i * (columns + 1) + j;
    cost[0] = 0.0;
    for i in 1..=rows {
        for j in 1..=columns {
            let diagonal = cost[at(i - 1, j - 1)];
            let up = cost[at(i - 1, j)];
            let left = cost[at(i, j - 1)];
            let (best, direction) = if diagonal <= up && diagonal <= left {
                (diagonal, 0)
            } else if up <= left {
                (up, 1)
            } else {
                (left, 2)
            };
            cost[at(i, j)] = best - matrix[i - 1][j - 1];
            step[at(i, j)] = direction;
        }
    }
    let mut starts = vec![0usize; rows];
    let (mut i, mut j) = (rows, columns);
    while i > 0 && j > 0 {
        starts[i - 1] = j - 1;
        match step[at(i, j)] {
            0 => {
                i -= 1;
                j -= 1;
            }
            1 => i -= 1,
            _ => j -= 1,
        }
    }
    starts
}

/// A word edge in silence is moved onto the nearest speech inside the word; speech is what
/// the performer can be judged on, and a start placed in a pause would hide a hesitation.
pub fn snap_to_speech(start: f64, end: f64, speech: &[SpeechSpan]) -> (f64, f64) {
    if speech.is_empty() {
        return (start, end);
    }
    let inside = |t: f64| speech.iter().any(|s| s.start <= t && t <= s.end);
    let mut new_start = start;
    let mut new_end = end;
    if !inside(start)
        && let Some(next) = speech.iter().find(|s| s.start > start && s.start < end)
    {
        new_start = next.start;
    }
    if !inside(end)
        && let Some(previous) = speech.iter().rev().find(|s| s.end < end && s.end > new_start)
    {
        new_end = previous.end;
    }
    (new_start, new_end)
}

/// A word never spans a pause: the decoder gives a word everything up to the next word's
/// start, so a word before a pause swallows the pause. Where a word holds a silence between
/// two speech spans, it keeps the side with more speech, and the next word starts where the
/// speech after the pause starts.
pub fn split_at_pauses(words: &mut [(f64, f64)], speech: &[SpeechSpan]) {
    const SHORTEST_PAUSE: f64 = 0.1;
    let pauses: Vec<(f64, f64)> = speech
        .windows(2)
        .map(|pair| (pair[0].end, pair[1].start))
        .filter(|(from, to)| to - from >= SHORTEST_PAUSE)
        .collect();
    for i in 0..words.len() {
        let (start, end) = words[i];
        let inside: Vec<&(f64, f64)> = pauses.iter().filter(|(from, to)| *from > start && *to < end).collect();
        let (Some(first), Some(last)) = (inside.first(), inside.last()) else { continue };
        if first.0 - start >= end - last.1 {
            words[i].1 = first.0;
            if let Some(next) = words.get_mut(i + 1)
                && next.0 > first.1
                && next.0 - first.1 < 1.0
            {
                next.0 = first.1;
            }
        } else {
            words[i].0 = last.1;
        }
    }
}

/// Speech that voice activity found but that no word covers: possibly a filler, a false start
/// or a mumble that the recogniser tidied away.
pub fn uncovered_speech(speech: &[SpeechSpan], words: &[(f64, f64)], shortest: f64) -> Vec<SpeechSpan> {
    const SLACK: f64 = 0.1;
    let mut gaps = Vec::new();
    for span in speech {
        let mut cursor = span.start;
        for &(start, end) in words.iter().filter(|(s, e)| *e + SLACK > span.start && *s - SLACK < span.end) {
            if start - SLACK - cursor >= shortest {
                gaps.push(SpeechSpan { start: cursor, end: start - SLACK });
            }
            cursor = cursor.max(end + SLACK);
        }
        if span.end - cursor >= shortest {
            gaps.push(SpeechSpan { start: cursor, end: span.end });
        }
    }
    gaps
}

/// The first word of a window that comes after `least` seconds or more of speech no word
/// before it covers, counting from `from` (the window's start); never the first word, so that
/// the words before it are something to go on from. Whisper sometimes writes a passage it
/// knows out of order, the later lines first: their words are then timed onto the later audio,
/// and the lines between are skipped, still spoken.
pub fn first_word_after_skipped_speech(
    words: &[(f64, f64)],
    speech: &[SpeechSpan],
    from: f64,
    least: f64,
) -> Option<usize> {
    let speech_between =
        |start: f64, end: f64| -> f64 { speech.iter().map(|s| (s.end.min(end) - s.start.max(start)).max(0.0)).sum() };
    let mut covered_until = from;
    for (index, &(start, end)) in words.iter().enumerate() {
        if index > 0 && speech_between(covered_until, start) >= least {
            return Some(index);
        }
        covered_until = covered_until.max(end);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_that_leap_over_speech_are_found() {
        let speech = [SpeechSpan { start: 0.3, end: 12.0 }];
        // "One." read at the start, then the next words timed ten seconds on.
        let leaping = [(0.3, 0.8), (11.0, 11.4), (11.4, 12.0)];
        assert_eq!(first_word_after_skipped_speech(&leaping, &speech, 0.0, 4.0), Some(1));
        // Words across the same speech, with a pause of silence between them.
        let speech = [SpeechSpan { start: 0.3, end: 2.0 }, SpeechSpan { start: 9.0, end: 12.0 }];
        assert_eq!(first_word_after_skipped_speech(&leaping, &speech, 0.0, 4.0), None);
        // The first word heard late is left alone: there would be nothing to go on from.
        let speech = [SpeechSpan { start: 0.0, end: 12.0 }];
        assert_eq!(first_word_after_skipped_speech(&[(9.0, 9.5), (9.5, 10.0)], &speech, 0.0, 4.0), None);
    }

    #[test]
    fn warping_follows_the_diagonal() {
        // Three tokens over six positions, each token attending to its own pair of positions.
        let matrix: Vec<Vec<f32>> =
            (0..3).map(|r| (0..6).map(|c| if c / 2 == r { 1.0 } else { 0.0 }).collect()).collect();
        assert_eq!(row_starts(&matrix), vec![0, 2, 4]);
    }

    #[test]
    fn median_filter_removes_a_spike() {
        let row = [0.0, 0.0, 0.0, 9.0, 0.0, 0.0, 0.0, 0.0];
        assert!(median_filter(&row).iter().all(|&v| v == 0.0));
    }

    #[test]
    fn the_network_sorts_seven_numbers() {
        for input in 0..1u32 << 7 {
            let mut bits: Vec<u32> = (0..7).map(|k| input >> k & 1).collect();
            for (a, b) in SORTING_SEVEN {
                (bits[a], bits[b]) = (bits[a].min(bits[b]), bits[a].max(bits[b]));
            }
            assert!(bits.is_sorted(), "{input:07b}");
        }
    }

    /// The network picks what sorting each neighbourhood picks, to the bit: signed zeros,
    /// ties and the reflected edges included.
    #[test]
    fn the_median_is_the_sorted_neighbourhood_s_middle() {
        let mut row: Vec<f32> = (0..300).map(|i| ((i * 37 % 101) as f32 - 50.0) * 0.125).collect();
        row.extend([0.0, -0.0, 0.0, -0.0, -0.0, 1.5, 1.5, -1e-30, 1e30, -0.0]);
        for length in [4, 5, 9, row.len()] {
            let row = &row[..length];
            let n = length as isize;
            let expected: Vec<u32> = (0..n)
                .map(|i| {
                    let mut window: Vec<f32> = (i - 3..=i + 3)
                        .map(|j| {
                            row[(if j < 0 {
                                -j
                            } else if j >= n {
                                2 * (n - 1) - j
                            } else {
                                j
                            }) as usize]
                        })
                        .collect();
                    window.sort_by(f32::total_cmp);
                    window[3].to_bits()
                })
                .collect();
            let got: Vec<u32> = median_filter(row).iter().map(|v| v.to_bits()).collect();
            assert_eq!(got, expected, "a row of {length}");
        }
    }

    #[test]
    fn word_edges_in_silence_move_onto_speech() {
        let speech = [SpeechSpan { start: 1.0, end: 2.0 }, SpeechSpan { start: 3.0, end: 4.0 }];
        assert_eq!(snap_to_speech(0.5, 1.5, &speech), (1.0, 1.5));
        assert_eq!(snap_to_speech(3.5, 4.6, &speech), (3.5, 4.0));
        assert_eq!(snap_to_speech(1.2, 1.8, &speech), (1.2, 1.8));
    }

    #[test]
    fn a_word_before_a_pause_does_not_swallow_it() {
        let speech = [SpeechSpan { start: 5.4, end: 7.6 }, SpeechSpan { start: 8.2, end: 10.3 }];
        let mut words = vec![(7.3, 8.3), (8.3, 8.7)];
        split_at_pauses(&mut words, &speech);
        assert_eq!(words, vec![(7.3, 7.6), (8.2, 8.7)]);
    }

    #[test]
    fn speech_without_words_is_reported() {
        let speech = [SpeechSpan { start: 0.0, end: 3.0 }];
        let gaps = uncovered_speech(&speech, &[(0.0, 1.0), (2.5, 3.0)], 0.3);
        assert_eq!(gaps.len(), 1);
        assert!((gaps[0].start - 1.1).abs() < 1e-9 && (gaps[0].end - 2.4).abs() < 1e-9);
    }
}
