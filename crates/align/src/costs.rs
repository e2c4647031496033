//! What each kind of event costs on the alignment path. The path with the lowest total is taken
//! as what happened, so the costs encode which explanation a coach would believe first: a filler
//! is nearly free, going back to repeat a word is cheap, a cut-off attempt right before the word is
//! cheap, a word said instead of another costs less the more alike they sound, and skipping or
//! adding a word costs the most.

/// The costs of the alignment path. `Default` gives the tuned values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Costs {
    /// A misread costs `misread_base + misread_span * (1 - similarity)`, between 0.6 and 1.4 by
    /// default: always less than a skip plus an insertion (2.0), so a word said in place of another
    /// is a misread, and more so the more alike they sound.
    pub misread_base: f32,
    pub misread_span: f32,
    /// A script word not said.
    pub skip: f32,
    /// A spoken word that is no script word and nothing else explains.
    pub insert: f32,
    /// A filled pause or a non-speech sound.
    pub filler: f32,
    /// A spoken word equal to one of the last few script words: the performer went back.
    pub repeat: f32,
    /// A fragment or sound-alike of the next script word (or a fragment of a recent one): a false
    /// start. With the correct word after it, it costs less than a misread plus a repetition.
    pub false_start: f32,
    /// Each extra word in a fair match of several words ("1995" = "nineteen ninety five"), so that
    /// word-for-word matches win ties.
    pub group_word: f32,
    /// A whole word counts as a false start of the next script word when it sounds at least this
    /// alike ("forest" before "forced").
    pub false_start_similarity: f32,
    /// A whole heard word that sounds at least this much like the next script word is that word
    /// misheard rather than a start at it, unless the word itself (or another start at it)
    /// follows ("deceased his" for "decease").
    pub misheard_similarity: f32,
    /// How many script words back a spoken word may repeat.
    pub repeat_reach: usize,
    /// Several script words heard as differently cut words that sound nearly the same ("a sign"
    /// as "assigned") are correct when they sound at least this alike; such a group costs
    /// `sound_group + misread_span * (1 - similarity)`, less than a misread plus a skip.
    pub sound_group_similarity: f32,
    pub sound_group: f32,
}

impl Default for Costs {
    fn default() -> Self {
        Costs {
            misread_base: 0.6,
            misread_span: 0.8,
            skip: 1.0,
            insert: 1.0,
            filler: 0.1,
            repeat: 0.3,
            false_start: 0.4,
            group_word: 0.02,
            false_start_similarity: 0.55,
            misheard_similarity: 0.8,
            repeat_reach: 4,
            sound_group_similarity: 0.75,
            sound_group: 0.3,
        }
    }
}
