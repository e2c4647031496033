//! The take's formats, as data: what the recogniser heard ([`Hearing`], `encore.transcript/1`)
//! and what the aligner made of it ([`TakeReport`], `encore.take/1`).
//!
//! They are the contract between the stages: `listen` writes a `Hearing`, `align` reads it and
//! writes a `TakeReport`, and `coach`, `store` and the binary read reports. Keeping the types
//! here, with nothing but `serde` beneath them, lets each of those crates name them without
//! compiling the recogniser or the aligner. Fields may be added; none may change meaning (see
//! `docs/take-report.md` and `docs/transcript.md`).

mod delivery;
mod finite;
mod hearing;
mod movement;
mod prompter;
mod schedule;
mod take_report;
mod take_word;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod verdict_change;

pub use delivery::{Contour, Delivery, LineDelivery};
pub use hearing::{HeardWord, Hearing, Unrecognised};
pub use movement::{
    Activity, BODY_POINTS, BodyFigures, BodyPoint, LineMovement, Movement, MovementKind, MovementMoment, Pose,
    PoseTrack, PoseTrackError,
};
pub use prompter::{PrompterMode, PrompterUsed};
pub use schedule::{DrillState, Rating, Schedule};
pub use take_report::{
    AudioSummary, Finding, FindingKind, Hesitation, LinePace, ScriptSummary, Stumble, Summary, TakeReport, costliest,
    round,
};
pub use take_word::{TakeWord, Verdict, repetitions, said_on_line};
pub use verdict_change::{VerdictChange, VerdictChangeError};
