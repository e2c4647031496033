//! What a performer learns across takes. One take report says what happened once; a coach looks
//! at several: whether this take beat the last one and the best one ([`standing`]), which words
//! got fixed or went wrong between two takes ([`compare`]), which stretches of the script keep
//! going wrong ([`trouble`]); and which stretches to drill ([`drill_stretches`]), how an attempt
//! at one went ([`rate_attempt`]) and when it is due again ([`review`]); and how well each word is
//! known by heart ([`mastery`]). The takes may have been read against different versions of the
//! script: words are matched between versions by their spoken form.
//!
//! Invariants: like the alignment core, the crate does no I/O and cannot fail; the same takes
//! always give the same answer.

mod comparison;
mod delivery_compared;
mod drill;
mod mastery;
mod schedule;
mod script_map;
mod sparkline;
mod standing;
mod take_score;
mod trouble_spot;
mod word_outcome;

pub use comparison::{Change, ComparedWord, Comparison, compare};
pub use delivery_compared::{LineDeliveryCompared, compare_delivery};
pub use drill::{Stretch, drill_stretches, moved_stretch, rate_attempt, rate_stretch};
pub use mastery::mastery;
pub use schedule::review;
pub use sparkline::sparkline;
pub use standing::{Standing, standing};
pub use take_score::TakeScore;
pub use trouble_spot::{TroubleSpot, trouble};
pub use word_outcome::WordOutcome;
