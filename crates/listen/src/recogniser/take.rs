//! A whole take heard at once, after recording: `encore transcribe`, `analyze` and the
//! report of a take that was not heard while it was recorded.

use encore_audio::Audio;
use encore_take::Hearing;

use super::{ListenOptions, Listening, Recogniser};
use crate::ListenError;
use crate::stage_times::{ListeningProgress, StageTimes};

impl Recogniser {
    /// Hears a whole take. `progress` is told after each window.
    pub fn transcribe(
        &self,
        audio: &Audio,
        options: &ListenOptions,
        progress: &mut dyn FnMut(ListeningProgress),
    ) -> Result<(Hearing, StageTimes), ListenError> {
        let (transcript, times, _) = self.hear(audio, options, progress, false)?;
        Ok((transcript, times))
    }

    /// Hears a whole take, and keeps the encoded audio so that disagreements with the script
    /// can be put to the model afterwards ([`Recogniser::prefer_script`]).
    pub fn listen(
        &self,
        audio: &Audio,
        options: &ListenOptions,
        progress: &mut dyn FnMut(ListeningProgress),
    ) -> Result<(Hearing, StageTimes, Listening), ListenError> {
        self.hear(audio, options, progress, true)
    }

    /// A whole take is a live one whose audio is all there: one path, so the two agree.
    fn hear(
        &self,
        audio: &Audio,
        options: &ListenOptions,
        progress: &mut dyn FnMut(ListeningProgress),
        keep_windows: bool,
    ) -> Result<(Hearing, StageTimes, Listening), ListenError> {
        let mut heard = self.start_hearing(options, keep_windows);
        self.hear_more(&mut heard, audio, true, progress)?;
        Ok(self.finish_hearing(heard, audio))
    }
}
