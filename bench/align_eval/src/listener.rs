//! Hearing each recording once. Transcripts are cached in `target/align-eval-cache/<stem>.json`,
//! keyed by the audio file's size and modification time, so that a rerun without the rescorer
//! does not touch the model. The rescorer needs the encoded audio, which is not cached: with it,
//! each recording is listened to again.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use anyhow::Context;
use encore_align::{Hearing, Rescorer};
use encore_listen::{ListenOptions, Listening, Recogniser, Transcript};
use serde::{Deserialize, Serialize};

/// What listening to one recording gave.
pub struct Heard {
    pub hearing: Hearing,
    pub transcript: Transcript,
    /// The encoded audio, when the model listened in this run (needed to rescore).
    pub listening: Option<Listening>,
}

#[derive(Serialize, Deserialize)]
struct Cached {
    size: u64,
    modified: u128,
    transcript: Transcript,
}

pub struct Listener {
    recogniser: Option<Recogniser>,
    model: Option<PathBuf>,
    cache: PathBuf,
    /// Listen again even on a cache hit, to keep the encoded audio for rescoring.
    pub keep_listening: bool,
    pub listened: usize,
    pub cached: usize,
}

impl Listener {
    pub fn new(cache: PathBuf, model: Option<PathBuf>, keep_listening: bool) -> Listener {
        Listener { recogniser: None, model, cache, keep_listening, listened: 0, cached: 0 }
    }

    pub fn recogniser(&self) -> Option<&Recogniser> {
        self.recogniser.as_ref()
    }

    pub fn hear(&mut self, audio_path: &Path, stem: &str) -> anyhow::Result<Heard> {
        let metadata =
            std::fs::metadata(audio_path).with_context(|| format!("cannot read {}", audio_path.display()))?;
        let size = metadata.len();
        let modified =
            metadata.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos());
        let cache_file = self.cache.join(format!("{stem}.json"));
        if !self.keep_listening
            && let Some(cached) =
                std::fs::read(&cache_file).ok().and_then(|b| serde_json::from_slice::<Cached>(&b).ok())
            && cached.size == size
            && cached.modified == modified
        {
            self.cached += 1;
            return Ok(Heard {
                hearing: Hearing::from(&cached.transcript),
                transcript: cached.transcript,
                listening: None,
            });
        }
        if self.recogniser.is_none() {
            let dir = self.model.clone().unwrap_or_else(encore_listen::default_model_dir);
            let recogniser = Recogniser::load(&dir).with_context(|| {
                format!("cannot load the speech model from {}; run `encore model install`", dir.display())
            })?;
            self.recogniser = Some(recogniser);
        }
        let recogniser = self.recogniser.as_ref().expect("loaded above");
        let audio = encore_audio::decode_file(audio_path, &mut |_| {})?;
        let (transcript, _, listening) = recogniser.listen(&audio, &ListenOptions::default(), &mut |_| {})?;
        self.listened += 1;
        std::fs::create_dir_all(&self.cache)?;
        let cached = Cached { size, modified, transcript };
        std::fs::write(&cache_file, serde_json::to_vec(&cached)?)?;
        Ok(Heard {
            hearing: Hearing::from(&cached.transcript),
            transcript: cached.transcript,
            listening: Some(listening),
        })
    }
}

/// The model's second opinion, as `encore analyze` asks it; a failure is no opinion.
pub struct ModelRescorer<'a> {
    pub recogniser: &'a Recogniser,
    pub listening: &'a Listening,
    pub transcript: &'a Transcript,
    /// Questions asked, and those the model had an opinion on.
    pub asked: Cell<usize>,
    pub answered: Cell<usize>,
}

impl Rescorer for ModelRescorer<'_> {
    fn prefer_script(&self, start: f64, end: f64, _heard: &[&str], script: &[&str]) -> Option<f32> {
        self.asked.set(self.asked.get() + 1);
        let answer = self.recogniser.prefer_script(self.listening, self.transcript, start, end, script).ok().flatten();
        self.answered.set(self.answered.get() + usize::from(answer.is_some()));
        answer
    }
}
