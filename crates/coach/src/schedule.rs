//! When to practise a drill again: FSRS, the scheduler Anki uses, through the `rs-fsrs` crate
//! (the scheduler alone, where the `fsrs` crate also brings a training stack Encore does not
//! need). Its default parameters are fitted on millions of reviews; a drill is a card.

use chrono::{DateTime, Utc};
use encore_take::{DrillState, Rating, Schedule};
use rs_fsrs::{Card, FSRS, Parameters};

/// The schedule after a review rated `rating` at `now` (seconds since 1970). Intervals grow
/// after clean attempts and shrink after a lapse. No fuzz: the same reviews give the same dates.
pub fn review(schedule: &Schedule, rating: Rating, now: i64) -> Schedule {
    let now = moment(now);
    let card = Card {
        due: moment(schedule.due),
        stability: schedule.stability,
        difficulty: schedule.difficulty,
        elapsed_days: schedule.elapsed_days,
        scheduled_days: schedule.scheduled_days,
        reps: schedule.reps as i32,
        lapses: schedule.lapses as i32,
        state: match schedule.state {
            DrillState::New => rs_fsrs::State::New,
            DrillState::Learning => rs_fsrs::State::Learning,
            DrillState::Review => rs_fsrs::State::Review,
            DrillState::Relearning => rs_fsrs::State::Relearning,
        },
        last_review: schedule.last_review.map(moment).unwrap_or(now),
    };
    let rating = match rating {
        Rating::Again => rs_fsrs::Rating::Again,
        Rating::Hard => rs_fsrs::Rating::Hard,
        Rating::Good => rs_fsrs::Rating::Good,
        Rating::Easy => rs_fsrs::Rating::Easy,
    };
    let next = FSRS::new(Parameters { enable_fuzz: false, ..Parameters::default() }).next(card, now, rating).card;
    Schedule {
        due: next.due.timestamp(),
        stability: next.stability,
        difficulty: next.difficulty,
        elapsed_days: next.elapsed_days,
        scheduled_days: next.scheduled_days,
        reps: next.reps.max(0) as u32,
        lapses: next.lapses.max(0) as u32,
        state: match next.state {
            rs_fsrs::State::New => DrillState::New,
            rs_fsrs::State::Learning => DrillState::Learning,
            rs_fsrs::State::Review => DrillState::Review,
            rs_fsrs::State::Relearning => DrillState::Relearning,
        },
        last_review: Some(next.last_review.timestamp()),
    }
}

fn moment(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;
    const START: i64 = 1_796_000_000;

    /// Reviews the schedule on its due date with each rating in turn; the intervals, in seconds.
    fn intervals(ratings: &[Rating]) -> (Schedule, Vec<i64>) {
        let mut schedule = Schedule::new(START);
        let mut gaps = Vec::new();
        for &rating in ratings {
            let now = schedule.due;
            schedule = review(&schedule, rating, now);
            gaps.push(schedule.due - now);
        }
        (schedule, gaps)
    }

    #[test]
    fn intervals_grow_after_clean_attempts() {
        let (schedule, gaps) = intervals(&[Rating::Good; 6]);
        assert!(gaps[0] < DAY, "a new drill comes back the same day: {gaps:?}");
        assert!(gaps.windows(2).all(|pair| pair[1] > pair[0]), "{gaps:?}");
        assert!(gaps[5] > 7 * DAY, "{gaps:?}");
        assert_eq!((schedule.reps, schedule.lapses, schedule.state), (6, 0, DrillState::Review));
    }

    #[test]
    fn a_lapse_shrinks_the_interval_and_is_counted() {
        let (learnt, gaps) = intervals(&[Rating::Good; 5]);
        let forgotten = review(&learnt, Rating::Again, learnt.due);
        assert!(forgotten.due - learnt.due < gaps[4] / 4, "{gaps:?} then {}", forgotten.due - learnt.due);
        assert!(forgotten.stability < learnt.stability);
        assert_eq!((forgotten.lapses, forgotten.state), (1, DrillState::Relearning));
    }

    #[test]
    fn easy_waits_longer_than_good_and_hard_less() {
        let first = |rating| review(&Schedule::new(START), rating, START).due - START;
        assert!(first(Rating::Again) < first(Rating::Hard));
        assert!(first(Rating::Hard) < first(Rating::Good));
        assert!(first(Rating::Good) < first(Rating::Easy));
    }
}
