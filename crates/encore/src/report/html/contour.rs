//! How the take sounded, drawn for the HTML report: the voice's pitch and loudness under the
//! words, on one time line, with the lines a coach would point at tinted and named ("rushing",
//! "trailing off"). A performer reads the script above for what was said; this shows how it was
//! said, word by word, which the numbers alone cannot.
//!
//! The drawing is plain SVG written here, so that the page stays one file that loads nothing. Time
//! runs left to right at a fixed scale rather than fitted to the page, so that a rushed line looks
//! crowded and a dragging one spread out; a long take scrolls sideways. The stage draws the same
//! figure in the browser (`assets/stage/chart.js`) and follows this layout.

use std::fmt::Write;

use encore_take::{Contour, Delivery, LineDelivery, TakeReport, TakeWord, Verdict};

use super::escape;
use crate::report::{LINE_FLAGS, shown};

/// Pixels per second of the take: wide enough for a word's label at a brisk pace.
pub(super) const PIXELS_PER_SECOND: f64 = 60.0;
/// Room left of the take's first second, so that a word said at once is not cut off.
const ORIGIN: f64 = 8.0;
/// Where each band of the figure lies, top to bottom, in pixels.
const FLAG_BASELINE: f64 = 13.0;
const WORD_BASELINES: [f64; 3] = [31.0, 45.0, 59.0];
const PITCH_TOP: f64 = 68.0;
const PITCH_BOTTOM: f64 = 168.0;
const LOUDNESS_TOP: f64 = 172.0;
const LOUDNESS_BOTTOM: f64 = 212.0;
const HEIGHT: f64 = 230.0;
/// A word's label is about this wide per letter (11 px sans-serif), with a little room after it.
const LETTER_WIDTH: f64 = 6.2;
const LABEL_ROOM: f64 = 6.0;
/// Loudness shown below the take's loudest speech: 45 dB holds a whisper under a full voice.
const LOUDNESS_SPAN: f32 = 45.0;

/// The delivery section of the page: the take's numbers in one line, then the figure. `None`
/// for a report without `delivery` (made before Encore measured it, or with no speech), which
/// then renders as it always did.
pub fn section(report: &TakeReport) -> Option<String> {
    let delivery = report.delivery.as_ref()?;
    Some(format!(
        "<section class=\"delivery\" aria-label=\"How it sounded\">\n<h2>How it sounded</h2>\n\
         <p class=\"delivery-numbers\">{numbers}</p>\n\
         <div class=\"contour\" data-contour>{figure}</div>\n\
         <p class=\"hint\">Pitch (the line) and loudness (the shading) under the words; tinted lines are the ones to work on. Click to hear the take from there.</p>\n\
         </section>\n",
        numbers = numbers(delivery),
        figure = figure(report, delivery),
    ))
}

/// The take's pitch and loudness in one line of words.
fn numbers(delivery: &Delivery) -> String {
    let mut parts = Vec::new();
    if let Some(hz) = delivery.f0_median_hz {
        parts.push(format!("pitch around {hz:.0} Hz"));
    }
    if let Some(range) = delivery.pitch_range_st {
        parts.push(format!("a range of {range:.1} semitones"));
    }
    if let Some(db) = delivery.loudness_db {
        parts.push(format!("loudness {} dB", signed(db)));
    }
    if delivery.flat {
        parts.push("said on a narrow range of pitch: flat".to_string());
    }
    if parts.is_empty() {
        return "No voiced speech to measure.".to_string();
    }
    let mut line = parts.join(" · ");
    line[..1].make_ascii_uppercase();
    line
}

/// A number with a true minus sign, as it is printed.
fn signed(value: f32) -> String {
    format!("{value:.1}").replace('-', "\u{2212}")
}

/// The SVG: flagged lines as tinted bands, the words at the times they were said, the pitch as a
/// line (broken where the voice was not voiced), the loudness as shading, and the seconds.
fn figure(report: &TakeReport, delivery: &Delivery) -> String {
    let contour = &delivery.contour;
    let seconds = report.audio.duration.max(contour.f0_hz.len() as f64 * contour.hop);
    let width = (ORIGIN * 2.0 + seconds * PIXELS_PER_SECOND).ceil();
    let pitch = PitchScale::of(delivery);
    let flagged: Vec<(&LineDelivery, Vec<(&str, &str)>)> =
        delivery.lines.iter().map(|line| (line, flags(line))).filter(|(_, flags)| !flags.is_empty()).collect();
    let said =
        |flags: &[(&str, &str)], between| flags.iter().map(|(_, words)| *words).collect::<Vec<_>>().join(between);

    let mut description = String::from("Pitch and loudness under the words");
    if !flagged.is_empty() {
        let lines: Vec<String> =
            flagged.iter().map(|(line, flags)| format!("line {} {}", line.line, said(flags, ", "))).collect();
        let _ = write!(description, "; {}", lines.join("; "));
    }
    let mut svg = format!(
        "<svg width=\"{width}\" height=\"{HEIGHT}\" viewBox=\"0 0 {width} {HEIGHT}\" role=\"img\" aria-label=\"{}\" data-origin=\"{ORIGIN}\" data-pixels-per-second=\"{PIXELS_PER_SECOND}\">",
        escape(&description)
    );
    svg.push('\n');

    for (line, flags) in &flagged {
        let Some((start, end)) = line_time(report, line.line) else { continue };
        let label = said(flags, " · ");
        let names: Vec<&str> = flags.iter().map(|(name, _)| *name).collect();
        let _ = writeln!(
            svg,
            "<g class=\"flagged\" data-flagged-line=\"{}\" data-flags=\"{}\"><title>Line {}: {}</title><rect x=\"{:.1}\" y=\"0\" width=\"{:.1}\" height=\"{LOUDNESS_BOTTOM}\"/><text x=\"{:.1}\" y=\"{FLAG_BASELINE}\">{}</text></g>",
            line.line,
            names.join(" "),
            line.line,
            escape(&label),
            x(start),
            (end - start) * PIXELS_PER_SECOND,
            x(start) + 2.0,
            escape(&label),
        );
        for (index, what) in line
            .no_pause_after
            .iter()
            .map(|i| (i, "no pause after"))
            .chain(line.no_rise_at.iter().map(|i| (i, "no rise at")))
        {
            let Some(word) = report.words.iter().find(|w| w.script_index == Some(*index)) else { continue };
            let Some(at) = word.end else { continue };
            let _ = writeln!(
                svg,
                "<line class=\"missed\" x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{PITCH_TOP}\" y2=\"{LOUDNESS_BOTTOM}\"><title>{what} “{1}”</title></line>",
                x(at),
                escape(shown(word)),
            );
        }
    }

    let _ = writeln!(
        svg,
        "<line class=\"reference\" x1=\"0\" x2=\"{width}\" y1=\"{0:.1}\" y2=\"{0:.1}\"/><text class=\"axis\" x=\"2\" y=\"{1:.1}\">{2:.0} Hz</text>",
        pitch.y(pitch.reference_hz).unwrap_or(PITCH_BOTTOM),
        pitch.y(pitch.reference_hz).unwrap_or(PITCH_BOTTOM) - 3.0,
        pitch.reference_hz,
    );
    let _ = writeln!(svg, "<path class=\"loudness\" data-loudness d=\"{}\"/>", loudness_path(contour));
    let _ = writeln!(svg, "<path class=\"pitch\" data-pitch d=\"{}\"/>", pitch_path(contour, &pitch));
    svg.push_str(&word_labels(&report.words));
    svg.push_str(&seconds_axis(seconds));
    let _ = writeln!(
        svg,
        "<line class=\"cursor\" data-cursor x1=\"{ORIGIN}\" x2=\"{ORIGIN}\" y1=\"0\" y2=\"{LOUDNESS_BOTTOM}\"/>"
    );
    svg.push_str("</svg>");
    svg
}

/// Where a second of the take is drawn.
pub(super) fn x(seconds: f64) -> f64 {
    ORIGIN + seconds * PIXELS_PER_SECOND
}

/// The flags of a line: as the report names them, and in a word or two for the performer.
fn flags(line: &LineDelivery) -> Vec<(&'static str, &'static str)> {
    LINE_FLAGS.iter().filter(|(_, _, has)| has(line)).map(|&(name, words, _)| (name, words)).collect()
}

/// When a line was said: its pace's span, or else the span of its timed words.
fn line_time(report: &TakeReport, number: usize) -> Option<(f64, f64)> {
    if let Some(pace) = report.lines.iter().find(|l| l.line == number)
        && let (Some(start), Some(end)) = (pace.start, pace.end)
    {
        return Some((start, end));
    }
    let words = report.words.iter().filter(|w| w.line == Some(number) && w.verdict.is_said());
    let start = words.clone().filter_map(|w| w.start).reduce(f64::min)?;
    let end = words.filter_map(|w| w.end).reduce(f64::max)?;
    Some((start, end))
}

/// Pitch drawn in semitones around the take's median, so that a rise of a fourth looks the same
/// high or low in the voice. The span covers nearly all voiced frames and at least eight
/// semitones; the few beyond it (mostly the tracker's octave slips) are left out rather than
/// drawn as spikes.
struct PitchScale {
    reference_hz: f32,
    low: f32,
    high: f32,
}

impl PitchScale {
    fn of(delivery: &Delivery) -> PitchScale {
        let mut voiced: Vec<f32> = delivery.contour.f0_hz.iter().flatten().copied().filter(|hz| *hz > 0.0).collect();
        voiced.sort_by(f32::total_cmp);
        let reference_hz = delivery.f0_median_hz.or_else(|| percentile(&voiced, 0.5)).unwrap_or(150.0);
        let semitones = |hz: f32| 12.0 * (hz / reference_hz).log2();
        let low = percentile(&voiced, 0.02).map_or(-4.0, |hz| (semitones(hz) - 1.0).min(-4.0));
        let high = percentile(&voiced, 0.98).map_or(4.0, |hz| (semitones(hz) + 1.0).max(4.0));
        PitchScale { reference_hz, low, high }
    }

    /// The height of a pitch, or `None` beyond the span.
    fn y(&self, hz: f32) -> Option<f64> {
        let semitones = 12.0 * (hz / self.reference_hz).log2();
        if !(self.low..=self.high).contains(&semitones) {
            return None;
        }
        let share = f64::from((semitones - self.low) / (self.high - self.low));
        Some(PITCH_BOTTOM - share * (PITCH_BOTTOM - PITCH_TOP))
    }
}

/// The value below which `share` of the sorted values lie.
fn percentile(sorted: &[f32], share: f64) -> Option<f32> {
    let last = sorted.len().checked_sub(1)?;
    Some(sorted[((last as f64) * share).round() as usize])
}

/// The pitch as one path of runs: a run for each stretch of voiced frames.
fn pitch_path(contour: &Contour, scale: &PitchScale) -> String {
    let mut path = String::new();
    let mut drawing = false;
    for (i, hz) in contour.f0_hz.iter().enumerate() {
        match hz.and_then(|hz| scale.y(hz)) {
            Some(y) => {
                let _ = write!(path, "{}{:.1},{y:.1}", if drawing { "L" } else { "M" }, x(i as f64 * contour.hop));
                drawing = true;
            }
            None => drawing = false,
        }
    }
    path
}

/// The loudness as shading down from its level to the floor of the band, over the whole take.
fn loudness_path(contour: &Contour) -> String {
    let mut heard: Vec<f32> = contour.loudness_db.iter().copied().filter(|db| *db > Contour::FLOOR_DB).collect();
    heard.sort_by(f32::total_cmp);
    let Some(loudest) = percentile(&heard, 0.98) else { return String::new() };
    let top = loudest + 3.0;
    let bottom = top - LOUDNESS_SPAN;
    let y = |db: f32| {
        let share = f64::from(((db - bottom) / LOUDNESS_SPAN).clamp(0.0, 1.0));
        LOUDNESS_BOTTOM - share * (LOUDNESS_BOTTOM - LOUDNESS_TOP)
    };
    let mut path = format!("M{:.1},{LOUDNESS_BOTTOM}", x(0.0));
    for (i, db) in contour.loudness_db.iter().enumerate() {
        let _ = write!(path, "L{:.1},{:.1}", x(i as f64 * contour.hop), y(*db));
    }
    let end = x(contour.loudness_db.len().saturating_sub(1) as f64 * contour.hop);
    let _ = write!(path, "L{end:.1},{LOUDNESS_BOTTOM}Z");
    path
}

/// Every word heard, written where it began. Labels that would run into the one before drop to
/// the next row, so that a rushed line stays readable.
fn word_labels(words: &[TakeWord]) -> String {
    let mut labels = String::new();
    let mut row_ends = [f64::NEG_INFINITY; WORD_BASELINES.len()];
    for word in words {
        if word.verdict == Verdict::Skipped || (word.verdict == Verdict::Inserted && word.rescored) {
            continue;
        }
        let Some(start) = word.start else { continue };
        let text = shown(word);
        let left = x(start);
        let row = row_ends
            .iter()
            .position(|end| *end <= left)
            .unwrap_or_else(|| (0..row_ends.len()).min_by(|a, b| row_ends[*a].total_cmp(&row_ends[*b])).unwrap_or(0));
        row_ends[row] = left + text.chars().count() as f64 * LETTER_WIDTH + LABEL_ROOM;
        let class = match word.verdict {
            Verdict::Correct => "said",
            Verdict::Misread => "said misread",
            _ => "extra",
        };
        let mut title = escape(text);
        if word.verdict == Verdict::Misread {
            let _ = write!(title, " (heard “{}”)", escape(word.heard.as_deref().unwrap_or("")));
        }
        if let Some(hz) = word.f0_hz {
            let _ = write!(title, ": {hz:.0} Hz");
        }
        if let Some(db) = word.loudness_db {
            let _ = write!(title, "{} {} dB", if word.f0_hz.is_some() { "," } else { ":" }, signed(db));
        }
        let _ = writeln!(
            labels,
            "<text class=\"{class}\" x=\"{left:.1}\" y=\"{}\" data-t=\"{start:.2}\"><title>{title}</title>{}</text>",
            WORD_BASELINES[row],
            escape(text),
        );
    }
    labels
}

/// A tick every second and the time every five.
fn seconds_axis(seconds: f64) -> String {
    let mut axis = String::from("<path class=\"ticks\" d=\"");
    let whole = seconds.floor() as usize;
    for second in 0..=whole {
        let tall = if second % 5 == 0 { 6.0 } else { 3.0 };
        let _ = write!(axis, "M{:.1},{LOUDNESS_BOTTOM}v{tall}", x(second as f64));
    }
    axis.push_str("\"/>\n");
    for second in (5..=whole).step_by(5) {
        let _ = writeln!(
            axis,
            "<text class=\"axis\" x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}:{:02}</text>",
            x(second as f64),
            HEIGHT - 2.0,
            second / 60,
            second % 60
        );
    }
    axis
}

/// The figure's look, added to the page's style; the colours are the page's.
pub const STYLE: &str = r#"
.delivery-numbers{font:.9rem/1.5 system-ui,sans-serif}
.contour{overflow-x:auto;border:1px solid var(--line);border-radius:.3rem;margin:.5rem 0}
.contour svg{display:block;cursor:pointer;font:11px system-ui,sans-serif}
.contour .flagged rect{fill:var(--miss);fill-opacity:.12}
.contour .flagged text{fill:var(--miss);font-weight:600}
.contour .missed{stroke:var(--miss);stroke-dasharray:3 3}
.contour .reference{stroke:var(--line);stroke-dasharray:2 4}
.contour .axis{fill:var(--quiet);font-size:10px}
.contour .ticks{stroke:var(--quiet)}
.contour .loudness{fill:var(--fill);fill-opacity:.3}
.contour .pitch{fill:none;stroke:var(--again);stroke-width:1.6;stroke-linejoin:round;stroke-linecap:round}
.contour .said{fill:var(--ink)}.contour .misread{fill:var(--miss);text-decoration:none}
.contour .extra{fill:var(--quiet);font-style:italic;font-size:11px;vertical-align:baseline}
.contour .cursor{stroke:var(--skip);stroke-width:1.5}
"#;

/// Clicking the figure plays the take from there; while it plays, a cursor follows, and the
/// figure scrolls to keep it in sight.
pub const SCRIPT: &str = r#"
const contour=document.querySelector("[data-contour]");
if(contour){
  const figure=contour.querySelector("svg"),cursor=figure.querySelector("[data-cursor]");
  const origin=parseFloat(figure.dataset.origin),scale=parseFloat(figure.dataset.pixelsPerSecond);
  figure.addEventListener("click",e=>{
    const box=figure.getBoundingClientRect();
    audio.currentTime=Math.max(0,(e.clientX-box.left-origin)/scale);audio.play();
  });
  audio.addEventListener("timeupdate",()=>{
    const x=origin+audio.currentTime*scale;
    cursor.setAttribute("x1",x);cursor.setAttribute("x2",x);
    if(!audio.paused&&(x<contour.scrollLeft||x>contour.scrollLeft+contour.clientWidth-40))contour.scrollLeft=x-contour.clientWidth/3;
  });
}
"#;

#[cfg(test)]
mod tests {
    use encore_take::{Contour, Delivery, LineDelivery};

    use super::*;
    use crate::report::csv::sample;

    /// The sample take with a delivery: a coarse contour (a frame every quarter second, so that the
    /// snapshot can be read), the second line rushed and said without the pause after "forth".
    fn with_delivery() -> TakeReport {
        let mut report = sample::report();
        let frames = 30;
        let f0_hz = (0..frames)
            .map(|i| {
                let t = i as f64 * 0.25;
                let speaking = (0.5..2.6).contains(&t) || (3.8..6.3).contains(&t);
                speaking.then(|| 180.0 + 20.0 * (t as f32).sin())
            })
            .collect();
        let loudness_db =
            (0..frames).map(|i| if (2..26).contains(&i) { -24.0 - (i % 4) as f32 } else { -80.0 }).collect();
        let line = |line, rushing, no_pause_after| LineDelivery {
            line,
            f0_median_hz: Some(180.0),
            pitch_range_st: Some(5.0),
            loudness_db: Some(-25.0),
            wpm: Some(150.0),
            flat: false,
            trailing_off: false,
            rushing,
            dragging: false,
            no_pause_after,
            no_rise_at: Vec::new(),
        };
        report.delivery = Some(Delivery {
            f0_median_hz: Some(182.0),
            pitch_range_st: Some(7.5),
            loudness_db: Some(-23.1),
            flat: false,
            lines: vec![line(1, false, Vec::new()), line(2, true, vec![9])],
            contour: Contour { hop: 0.25, f0_hz, loudness_db },
        });
        report
    }

    #[test]
    fn the_figure_of_a_take() {
        insta::assert_snapshot!(section(&with_delivery()).unwrap());
    }

    #[test]
    fn a_flagged_line_is_tinted_over_its_time_and_named() {
        let page = section(&with_delivery()).unwrap();
        // Line 2 runs from 3.8 s to 6.3 s: 8 + 3.8 × 60 = 236.
        assert!(page.contains("data-flagged-line=\"2\" data-flags=\"rushing no_pause_after\""), "{page}");
        assert!(page.contains("<rect x=\"236.0\" y=\"0\" width=\"150.0\""), "{page}");
        assert!(page.contains(">rushing · no pause</text>"));
        assert!(page.contains("<title>no pause after “forth,”</title>"));
        assert!(!page.contains("data-flagged-line=\"1\""));
    }

    #[test]
    fn the_take_in_one_line() {
        let delivery = with_delivery().delivery.unwrap();
        assert_eq!(numbers(&delivery), "Pitch around 182 Hz · a range of 7.5 semitones · loudness −23.1 dB");
        let flat = Delivery { flat: true, f0_median_hz: None, pitch_range_st: None, ..delivery };
        assert_eq!(numbers(&flat), "Loudness −23.1 dB · said on a narrow range of pitch: flat");
    }

    #[test]
    fn pitch_breaks_where_the_voice_is_not_voiced_and_beyond_its_span() {
        let mut report = with_delivery();
        let delivery = report.delivery.as_mut().unwrap();
        // A hundred voiced frames but one unvoiced (at 40) and one octave slip (at 70).
        let f0_hz = (0..100)
            .map(|i| match i {
                40 => None,
                70 => Some(720.0),
                _ => Some(170.0 + (i % 20) as f32),
            })
            .collect();
        delivery.contour = Contour { hop: 0.1, f0_hz, loudness_db: vec![-30.0; 100] };
        let path = pitch_path(&delivery.contour, &PitchScale::of(delivery));
        assert_eq!(path.matches('M').count(), 3, "{path}");
        assert_eq!(path.matches('L').count(), 95, "{path}");
    }

    #[test]
    fn a_report_without_delivery_has_no_figure() {
        assert_eq!(section(&sample::report()), None);
    }
}
