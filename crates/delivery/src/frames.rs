//! The contour read over stretches of time: the medians and ranges that words, lines and the
//! take are described by.

use encore_take::Contour;

/// A stretch of the take, seconds from the start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Span {
    pub start: f64,
    pub end: f64,
}

/// A contour with the questions asked of it.
pub(crate) struct Frames<'a> {
    contour: &'a Contour,
}

impl<'a> Frames<'a> {
    pub fn new(contour: &'a Contour) -> Frames<'a> {
        Frames { contour }
    }

    pub fn hop(&self) -> f64 {
        self.contour.hop
    }

    /// The indices of the frames centred inside any of `spans`, in order, each once.
    pub fn inside(&self, spans: &[Span]) -> Vec<usize> {
        let count = self.contour.loudness_db.len();
        let mut indices: Vec<usize> = spans
            .iter()
            .flat_map(|span| {
                let first = (span.start / self.contour.hop).ceil().max(0.0) as usize;
                let last = ((span.end / self.contour.hop).floor().max(-1.0) as isize + 1).max(0) as usize;
                first..last.min(count)
            })
            .collect();
        indices.sort_unstable();
        indices.dedup();
        indices
    }

    /// The pitch of the voiced frames among `indices`.
    pub fn f0_at(&self, indices: &[usize]) -> Vec<f32> {
        indices.iter().filter_map(|&i| self.contour.f0_hz[i]).collect()
    }

    pub fn loudness_at(&self, indices: &[usize]) -> Vec<f32> {
        indices.iter().map(|&i| self.contour.loudness_db[i]).collect()
    }

    pub fn len(&self) -> usize {
        self.contour.loudness_db.len()
    }

    pub fn voiced(&self, index: usize) -> bool {
        self.contour.f0_hz[index].is_some()
    }

    pub fn loudness(&self, index: usize) -> f32 {
        self.contour.loudness_db[index]
    }

    pub fn median_f0(&self, spans: &[Span]) -> Option<f32> {
        median(&self.f0_at(&self.inside(spans)))
    }

    pub fn median_loudness(&self, spans: &[Span]) -> Option<f32> {
        median(&self.loudness_at(&self.inside(spans)))
    }

    /// The pitch range in semitones, 10th to 90th percentile, over at least `least` voiced frames.
    pub fn range_st(&self, spans: &[Span], least: usize) -> Option<f32> {
        range_st(&self.f0_at(&self.inside(spans)), least)
    }
}

pub(crate) fn median(values: &[f32]) -> Option<f32> {
    percentile(values, 0.5)
}

/// The value `share` of the way up `values`, interpolated; `None` when empty.
pub(crate) fn percentile(values: &[f32], share: f64) -> Option<f32> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f32::total_cmp);
    let position = share * (sorted.len() - 1) as f64;
    let below = position.floor() as usize;
    let above = position.ceil() as usize;
    let fraction = (position - below as f64) as f32;
    Some(sorted[below] + fraction * (sorted[above] - sorted[below]))
}

/// The 10th-to-90th percentile range of `f0` in semitones, if it has at least `least` frames.
pub(crate) fn range_st(f0: &[f32], least: usize) -> Option<f32> {
    if f0.len() < least.max(2) {
        return None;
    }
    let (low, high) = (percentile(f0, 0.1)?, percentile(f0, 0.9)?);
    Some(semitones(high, low))
}

/// How many semitones `high` is above `low`.
pub(crate) fn semitones(high: f32, low: f32) -> f32 {
    12.0 * (high / low).log2()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_inside_a_span_are_those_centred_in_it() {
        let contour = Contour { hop: 0.01, f0_hz: vec![Some(100.0); 10], loudness_db: vec![-20.0; 10] };
        let frames = Frames::new(&contour);
        assert_eq!(frames.inside(&[Span { start: 0.015, end: 0.04 }]), [2, 3, 4]);
        assert_eq!(frames.inside(&[Span { start: 0.0, end: 0.02 }, Span { start: 0.01, end: 0.03 }]), [0, 1, 2, 3]);
        assert_eq!(frames.inside(&[Span { start: 0.5, end: 0.9 }]), Vec::<usize>::new());
    }

    #[test]
    fn an_octave_is_twelve_semitones_and_the_range_ignores_the_extremes() {
        assert!((semitones(220.0, 110.0) - 12.0).abs() < 1e-4);
        let mut f0 = vec![150.0f32; 80];
        f0.extend([75.0, 600.0]);
        assert_eq!(range_st(&f0, 20), Some(0.0));
        assert_eq!(range_st(&f0[..10], 20), None);
    }
}
