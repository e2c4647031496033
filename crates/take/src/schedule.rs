//! When a drill is next due and how well it is known, as data: what the store keeps for each
//! drill and what `encore.drills/1` shows. The scheduler that moves it on (FSRS) is the coach's;
//! keeping the numbers here lets the store hold them without knowing how they are computed.

use serde::{Deserialize, Serialize};

/// A drill's place in its schedule: the state of an FSRS card.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    /// When the drill is next due, in seconds since 1970 (UTC).
    pub due: i64,
    /// Days until the chance of recalling it falls to 90 %.
    pub stability: f64,
    /// How hard it is, 1 to 10.
    pub difficulty: f64,
    /// Days between the last two reviews.
    pub elapsed_days: i64,
    /// Days from the last review to the due date.
    pub scheduled_days: i64,
    /// Reviews so far.
    pub reps: u32,
    /// Times it was forgotten after it had been learnt.
    pub lapses: u32,
    pub state: DrillState,
    /// The last review, in seconds since 1970; `None` before the first.
    pub last_review: Option<i64>,
}

impl Schedule {
    /// A drill never practised, due at once.
    pub fn new(now: i64) -> Schedule {
        Schedule {
            due: now,
            stability: 0.0,
            difficulty: 0.0,
            elapsed_days: 0,
            scheduled_days: 0,
            reps: 0,
            lapses: 0,
            state: DrillState::New,
            last_review: None,
        }
    }

    /// True when the drill should be practised at `now`.
    pub fn is_due(&self, now: i64) -> bool {
        self.due <= now
    }
}

/// Where a drill is in learning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DrillState {
    /// Never practised.
    New,
    /// Practised, not yet known.
    Learning,
    /// Known, reviewed at growing intervals.
    Review,
    /// Known once, then forgotten.
    Relearning,
}

impl DrillState {
    /// The name used in JSON and in the store.
    pub fn name(self) -> &'static str {
        match self {
            DrillState::New => "new",
            DrillState::Learning => "learning",
            DrillState::Review => "review",
            DrillState::Relearning => "relearning",
        }
    }

    /// The state of a name from [`DrillState::name`].
    pub fn from_name(name: &str) -> Option<DrillState> {
        [DrillState::New, DrillState::Learning, DrillState::Review, DrillState::Relearning]
            .into_iter()
            .find(|state| state.name() == name)
    }
}

/// How an attempt at a drill went, as heard: FSRS's four grades.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    /// More than one stumble, or a wrong or missing word.
    Again,
    /// One stumble.
    Hard,
    /// Clean, without a hesitation.
    Good,
    /// Clean, and at the performer's usual pace.
    Easy,
}

impl Rating {
    /// The name used in JSON and in the store.
    pub fn name(self) -> &'static str {
        match self {
            Rating::Again => "again",
            Rating::Hard => "hard",
            Rating::Good => "good",
            Rating::Easy => "easy",
        }
    }

    /// The rating of a name from [`Rating::name`].
    pub fn from_name(name: &str) -> Option<Rating> {
        [Rating::Again, Rating::Hard, Rating::Good, Rating::Easy].into_iter().find(|rating| rating.name() == name)
    }
}
