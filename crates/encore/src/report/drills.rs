//! Drills as JSON, `encore.drills/1`: one shape for `encore drill list --json`, `encore drill
//! attempt --json` and the stage's API, documented in docs/drills.md.

use encore_rehearsal::DrillAttempt;
use encore_store::Drill;
use serde_json::{Value, json};

/// The value of `format`.
pub const FORMAT: &str = "encore.drills/1";

/// A list of drills: `{"format": "encore.drills/1", "drills": [...]}`.
pub fn document(drills: &[Drill]) -> Value {
    json!({"format": FORMAT, "drills": drills.iter().map(drill).collect::<Vec<_>>()})
}

/// One drill: its words, where they are in the script, and its schedule.
pub fn drill(drill: &Drill) -> Value {
    let schedule = &drill.schedule;
    json!({
        "id": drill.id,
        "piece_id": drill.piece_id,
        "script_version_id": drill.script_version_id,
        "text": drill.text,
        "first_word": drill.first_word,
        "last_word": drill.last_word,
        "due": moment(schedule.due),
        "reps": schedule.reps,
        "lapses": schedule.lapses,
        "state": schedule.state,
        "stability": schedule.stability,
        "difficulty": schedule.difficulty,
        "last_review": schedule.last_review.map(moment),
    })
}

/// An attempt at a drill: the drill after it, the rating, and the attempt's report.
pub fn attempt(attempt: &DrillAttempt) -> Value {
    json!({
        "drill": drill(&attempt.drill),
        "rating": attempt.rating,
        "clean": attempt.clean,
        "report": attempt.report,
    })
}

/// A moment as RFC 3339 in UTC: "2026-12-07T09:00:00Z".
pub fn moment(unix_seconds: i64) -> String {
    jiff::Timestamp::from_second(unix_seconds).map(|moment| moment.to_string()).unwrap_or_default()
}

/// When a drill is due, from `now`, as a performer reads it: "now", "in 10 minutes", "in 3 days".
pub fn due_in(due: i64, now: i64) -> String {
    let seconds = due - now;
    if seconds <= encore_rehearsal::DUE_SOON {
        return "now".to_string();
    }
    let (amount, unit) = match seconds {
        ..3_600 => (seconds / 60, "minute"),
        3_600..86_400 => (seconds / 3_600, "hour"),
        _ => ((seconds + 43_200) / 86_400, "day"),
    };
    format!("in {amount} {unit}{}", if amount == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_times_read_as_a_performer_says_them() {
        let now = 1_796_000_000;
        let cases = [(now - 5, "now"), (now + 60, "now"), (now + 600, "in 10 minutes"), (now + 3_600, "in 1 hour")];
        for (due, said) in cases {
            assert_eq!(due_in(due, now), said);
        }
        assert_eq!(due_in(now + 3 * 86_400 + 60, now), "in 3 days");
        assert_eq!(moment(1_796_634_000), "2026-12-07T09:00:00Z");
    }
}
