//! How the take looked, drawn for the HTML report: how much the body moved, as bars on the same
//! time line as the contour above it, tinted where a moment was found (frozen, swaying,
//! fidgeting, hands hidden, eyes down or away) and ticked for each gesture. The stage draws the
//! same band in the browser (`movementBand` in `assets/stage/chart.js`) and follows this layout.

use std::fmt::Write;

use encore_take::{Movement, MovementKind, TakeReport};

use super::contour::{PIXELS_PER_SECOND, x};
use super::escape;

const BAND_HEIGHT: f64 = 34.0;

/// The movement section: the take's figures in one line, then the band. `None` for a take
/// recorded without the camera.
pub fn section(report: &TakeReport) -> Option<String> {
    let movement = report.movement.as_ref()?;
    Some(format!(
        "<section class=\"movement\" aria-label=\"How it looked\">\n<h2>How it looked</h2>\n\
         <p class=\"movement-numbers\">{numbers}</p>\n\
         <div class=\"contour\">{band}</div>\n\
         <p class=\"hint\">How much you moved (the bars) under the words; tinted where you froze, swayed, fidgeted or looked away, a tick for each gesture. Only the body's points were kept, never pictures.</p>\n\
         </section>\n",
        numbers = numbers(movement),
        band = band(report, movement),
    ))
}

/// The take's movement in one line of words.
fn numbers(movement: &Movement) -> String {
    let share = |value: f64| format!("{:.0}%", value * 100.0);
    let figures = &movement.take;
    let mut parts = vec![
        format!("still {}", share(figures.still)),
        format!("swaying {}", share(figures.sway)),
        format!("eyes away {}", share(figures.eyes_away)),
    ];
    match (figures.gestures_per_minute, figures.fidgeting, figures.hands_hidden) {
        (Some(gestures), Some(fidgeting), Some(hidden)) => {
            let open = figures.open_gestures.map(|open| format!(", {} open", share(open))).unwrap_or_default();
            parts.push(format!("{gestures:.0} gestures a minute{open}"));
            parts.push(format!("fidgeting {}", share(fidgeting)));
            parts.push(format!("hands hidden {}", share(hidden)));
        }
        _ => parts.push("hands not in the picture".to_string()),
    }
    parts.join(" · ")
}

fn band(report: &TakeReport, movement: &Movement) -> String {
    let activity = &movement.activity;
    let seconds = report.audio.duration.max(activity.values.len() as f64 * activity.hop);
    let width = (x(0.0) * 2.0 + seconds * PIXELS_PER_SECOND).ceil();
    let bottom = BAND_HEIGHT - 2.0;
    let mut svg = format!(
        "<svg width=\"{width}\" height=\"{BAND_HEIGHT}\" viewBox=\"0 0 {width} {BAND_HEIGHT}\" role=\"img\" \
         aria-label=\"How you moved under the words\" data-movement-band>"
    );
    for moment in &movement.moments {
        let word = report.words.iter().find(|w| w.script_index.is_some() && w.script_index == moment.script_index);
        let at = word.and_then(|w| w.text.as_deref()).map(|text| format!(" at “{}”", escape(text))).unwrap_or_default();
        let open = if moment.open { " (open)" } else { "" };
        let title = format!("{}{open}{at}, {:.1}–{:.1} s", what(moment.kind), moment.start, moment.end);
        let kind =
            serde_json::to_value(moment.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        if moment.kind == MovementKind::Gesture {
            let height = if moment.open { BAND_HEIGHT - 4.0 } else { BAND_HEIGHT / 2.0 };
            let _ = write!(
                svg,
                "<line class=\"moment {kind}\" data-moment=\"{kind}\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{bottom}\" y2=\"{top:.1}\"><title>{title}</title></line>",
                x = x(moment.start),
                top = bottom - height,
            );
        } else {
            let _ = write!(
                svg,
                "<rect class=\"moment {kind}\" data-moment=\"{kind}\" x=\"{:.1}\" y=\"0\" width=\"{:.1}\" height=\"{BAND_HEIGHT}\"><title>{title}</title></rect>",
                x(moment.start),
                ((moment.end - moment.start) * PIXELS_PER_SECOND).max(2.0),
            );
        }
    }
    let mut bars = String::new();
    for (i, value) in activity.values.iter().enumerate() {
        let Some(value) = value else { continue };
        let height = (*value as f64 * (BAND_HEIGHT - 8.0)).max(1.0);
        let step = activity.hop * PIXELS_PER_SECOND;
        let _ = write!(
            bars,
            "M{:.1},{bottom}h{:.1}v{:.1}h{:.1}z",
            x(i as f64 * activity.hop),
            step - 1.0,
            -height,
            1.0 - step
        );
    }
    let _ = write!(svg, "<path class=\"activity\" d=\"{bars}\"/></svg>");
    svg
}

/// A moment as the performer reads it.
fn what(kind: MovementKind) -> &'static str {
    match kind {
        MovementKind::Still => "frozen",
        MovementKind::Sway => "swaying",
        MovementKind::Fidget => "fidgeting",
        MovementKind::Gesture => "a gesture",
        MovementKind::HandsHidden => "hands hidden or gripped",
        MovementKind::EyesDown => "looking down",
        MovementKind::EyesAway => "looking away",
    }
}

pub const STYLE: &str = r#"
.movement-numbers{font:.9rem/1.5 system-ui,sans-serif}
.contour .activity{fill:var(--quiet);fill-opacity:.55}
.contour .moment{fill-opacity:.22}
.contour .moment.still{fill:#5b8def}.contour .moment.sway{fill:#e39b3b}.contour .moment.fidget{fill:#b26ad8}
.contour .moment.hands_hidden{fill:#888}.contour .moment.eyes_down,.contour .moment.eyes_away{fill:var(--miss)}
.contour .moment.gesture{stroke:#4fa36b;stroke-width:2}
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use encore_take::{Activity, BodyFigures, MovementMoment};

    #[test]
    fn the_band_marks_each_moment_on_the_take_s_time_line() {
        let mut report = crate::report::csv::sample::report();
        report.movement = Some(Movement {
            poses_per_second: 10.0,
            seen: 1.0,
            take: BodyFigures { still: 0.4, eyes_away: 0.1, ..BodyFigures::default() },
            lines: Vec::new(),
            moments: vec![
                MovementMoment {
                    kind: MovementKind::Still,
                    start: 1.0,
                    end: 4.5,
                    script_index: Some(2),
                    line: Some(1),
                    open: false,
                },
                MovementMoment {
                    kind: MovementKind::Gesture,
                    start: 5.0,
                    end: 5.6,
                    script_index: Some(8),
                    line: Some(2),
                    open: true,
                },
            ],
            activity: Activity { hop: 0.5, values: vec![Some(0.4), None, Some(0.0), Some(1.0)] },
        });
        let section = section(&report).expect("a take with movement has the section");
        assert!(section.contains("still 40% · swaying 0% · eyes away 10% · hands not in the picture"), "{section}");
        assert!(
            section.contains("<rect class=\"moment still\" data-moment=\"still\" x=\"68.0\" y=\"0\" width=\"210.0\""),
            "{section}"
        );
        assert!(section.contains("<line class=\"moment gesture\" data-moment=\"gesture\" x1=\"308.0\""), "{section}");
        // Three bars: the step without a body seen is left empty.
        let bars = section.split("class=\"activity\" d=\"").nth(1).and_then(|rest| rest.split('"').next()).unwrap();
        assert_eq!(bars.matches('z').count(), 3, "{bars}");
    }

    #[test]
    fn a_take_without_the_camera_has_no_section() {
        assert_eq!(section(&crate::report::csv::sample::report()), None);
    }
}
