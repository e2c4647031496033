//! Hearing each recording once. Transcripts are cached in `target/align-eval-cache/<stem>.json`
//! (`<stem>.bias-<hash>.json` when heard with a script as prompt, `<stem>.model-<hash>` with
//! another model than the default), keyed by the audio file's size
//! and modification time, so that a rerun does not touch the model. The rescorer's answers are
//! cached with the transcript they were asked about; the encoded audio it needs is not cached,
//! so a recording is listened to again only when the aligner asks a question not answered before.

use std::cell::{Cell, OnceCell, RefCell};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use anyhow::Context;
use encore_align::Rescorer;
use encore_audio::Audio;
use encore_listen::{ListenOptions, Listening, Recogniser};
use encore_take::Hearing;
use serde::{Deserialize, Serialize};

/// What listening to one recording gave.
pub struct HeardRecording {
    pub hearing: Hearing,
    audio: PathBuf,
    prompt: Option<String>,
    cache_file: PathBuf,
    size: u64,
    modified: u128,
    /// The encoded audio, once the model has listened in this run (needed to rescore).
    listening: RefCell<Option<Listening>>,
    /// The decoded audio, kept with the encoded audio (the second listener encodes it again).
    audio_samples: RefCell<Option<Audio>>,
    /// The rescorer's answers about this transcript, by question.
    answers: RefCell<BTreeMap<String, Option<f32>>>,
    /// New answers since the transcript was read or written.
    new_answers: Cell<usize>,
}

#[derive(Serialize, Deserialize)]
struct Cached {
    size: u64,
    modified: u128,
    /// Named `transcript` in the cache files written before `Hearing` was one type.
    transcript: Hearing,
    #[serde(default)]
    answers: BTreeMap<String, Option<f32>>,
}

pub struct Listener {
    recogniser: OnceCell<Recogniser>,
    model: Option<PathBuf>,
    /// The second listener's model (`--second-listener`).
    second: Option<PathBuf>,
    cache: PathBuf,
    pub listened: Cell<usize>,
    pub cached: usize,
}

impl Listener {
    pub fn new(cache: PathBuf, model: Option<PathBuf>, second: Option<PathBuf>) -> Listener {
        Listener { recogniser: OnceCell::new(), model, second, cache, listened: Cell::new(0), cached: 0 }
    }

    fn recogniser(&self) -> anyhow::Result<&Recogniser> {
        if let Some(recogniser) = self.recogniser.get() {
            return Ok(recogniser);
        }
        let dir = self.model.clone().unwrap_or_else(encore_listen::default_model_dir);
        let mut recogniser = Recogniser::load(&dir).with_context(|| {
            format!("cannot load the speech model from {}; run `encore model install`", dir.display())
        })?;
        if let Some(second) = &self.second {
            let second = Recogniser::load(second).with_context(|| {
                format!(
                    "cannot load the second listener from {}; run `encore --model base model install`",
                    second.display()
                )
            })?;
            recogniser = recogniser.with_second_listener(second);
        }
        Ok(self.recogniser.get_or_init(|| recogniser))
    }

    /// Hears a recording; with `prompt` (the script, for `--bias-to-script`), the recogniser is
    /// prompted with it and the transcript is cached under the prompt's hash as well.
    pub fn hear(&mut self, audio_path: &Path, stem: &str, prompt: Option<&str>) -> anyhow::Result<HeardRecording> {
        let metadata =
            std::fs::metadata(audio_path).with_context(|| format!("cannot read {}", audio_path.display()))?;
        let size = metadata.len();
        let modified =
            metadata.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos());
        // Another model's hearing is cached apart, under the model's hash.
        let stem = match &self.model {
            Some(model) => format!("{stem}.model-{:016x}", fnv1a(&model.display().to_string())),
            None => stem.to_string(),
        };
        let cache_file = match prompt {
            Some(prompt) => self.cache.join(format!("{stem}.bias-{:016x}.json", fnv1a(prompt))),
            None => self.cache.join(format!("{stem}.json")),
        };
        let mut heard = HeardRecording {
            hearing: Hearing::default(),
            audio: audio_path.to_path_buf(),
            prompt: prompt.map(str::to_string),
            cache_file,
            size,
            modified,
            listening: RefCell::new(None),
            audio_samples: RefCell::new(None),
            answers: RefCell::new(BTreeMap::new()),
            new_answers: Cell::new(0),
        };
        if let Some(cached) =
            std::fs::read(&heard.cache_file).ok().and_then(|b| serde_json::from_slice::<Cached>(&b).ok())
            && cached.size == size
            && cached.modified == modified
        {
            self.cached += 1;
            heard.hearing = cached.transcript;
            heard.answers = RefCell::new(cached.answers);
            return Ok(heard);
        }
        let (hearing, listening) = self.listen(&heard)?;
        heard.hearing = hearing;
        heard.listening = RefCell::new(Some(listening));
        self.save(&heard)?;
        Ok(heard)
    }

    fn listen(&self, heard: &HeardRecording) -> anyhow::Result<(Hearing, Listening)> {
        let recogniser = self.recogniser()?;
        let audio = encore_audio::decode_file(&heard.audio, &mut |_| {})?;
        let options = ListenOptions { script_prompt: heard.prompt.clone(), ..ListenOptions::default() };
        let (hearing, _, listening) = recogniser.listen(&audio, &options, &mut |_| {})?;
        *heard.audio_samples.borrow_mut() = Some(audio);
        self.listened.set(self.listened.get() + 1);
        Ok((hearing, listening))
    }

    /// Writes the transcript and the answers about it to the cache.
    pub fn save(&self, heard: &HeardRecording) -> anyhow::Result<()> {
        std::fs::create_dir_all(&self.cache)?;
        let cached = Cached {
            size: heard.size,
            modified: heard.modified,
            transcript: heard.hearing.clone(),
            answers: heard.answers.borrow().clone(),
        };
        std::fs::write(&heard.cache_file, serde_json::to_vec(&cached)?)?;
        heard.new_answers.set(0);
        Ok(())
    }

    /// Saves the answers given since the last save, if any.
    pub fn save_answers(&self, heard: &HeardRecording) -> anyhow::Result<()> {
        if heard.new_answers.get() > 0 { self.save(heard) } else { Ok(()) }
    }

    /// The model's answer to one question about a heard recording: from the cache, or from the
    /// model, listening to the recording again when its encoded audio is not at hand (the
    /// transcript is deterministic, so it is the one cached). A failure is no opinion.
    fn answer(
        &self,
        heard: &HeardRecording,
        question: String,
        ask: impl FnOnce(&Recogniser, &Listening, &Audio) -> Option<f32>,
    ) -> Option<f32> {
        if let Some(answer) = heard.answers.borrow().get(&question) {
            return *answer;
        }
        if heard.listening.borrow().is_none() {
            let (_, listening) = self.listen(heard).ok()?;
            *heard.listening.borrow_mut() = Some(listening);
        }
        let recogniser = self.recogniser().ok()?;
        let listening = heard.listening.borrow();
        let audio = heard.audio_samples.borrow();
        let answer = ask(recogniser, listening.as_ref()?, audio.as_ref()?);
        heard.answers.borrow_mut().insert(question, answer);
        heard.new_answers.set(heard.new_answers.get() + 1);
        answer
    }
}

/// Which rescorer the cached answers came from: part of every question, so that answers from an
/// earlier way of asking are asked again rather than reused.
const RESCORER: &str = "r4";

/// FNV-1a, to name a prompted transcript's cache file.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}

/// The model's second opinion, as `encore analyze` asks it; a failure is no opinion.
pub struct ModelRescorer<'a> {
    pub listener: &'a Listener,
    pub heard: &'a HeardRecording,
    /// The aligner's bar, under which the second listener is asked too.
    pub bar: f32,
    /// Questions asked, and those the model had an opinion on.
    pub asked: Cell<usize>,
    pub answered: Cell<usize>,
}

impl Rescorer for ModelRescorer<'_> {
    fn prefer_script(&self, start: f64, end: f64, heard: &[&str], script: &[&str]) -> Option<f32> {
        self.asked.set(self.asked.get() + 1);
        let question = format!("{RESCORER} {start:.4} {end:.4} {} | {}", heard.join(" "), script.join(" "));
        let mut answer = self.listener.answer(self.heard, question.clone(), |recogniser, listening, _| {
            recogniser.prefer_script(listening, &self.heard.hearing, start, end, script).ok().flatten()
        });
        // As the pipeline asks it: the likelier answer of the two listeners.
        if self.listener.second.is_some()
            && self.listener.recogniser().is_ok_and(|r| r.asks_second_listener(answer, self.bar, heard))
        {
            let second = self.listener.answer(
                self.heard,
                format!("second-listener {question}"),
                |recogniser, listening, audio| {
                    recogniser.second_opinion(listening, &self.heard.hearing, audio, start, end, script).ok().flatten()
                },
            );
            answer = [answer, second].into_iter().flatten().reduce(f32::max);
        }
        self.answered.set(self.answered.get() + usize::from(answer.is_some()));
        answer
    }

    fn prefer_extra(&self, before: f64, extra: &[&str]) -> Option<f32> {
        self.asked.set(self.asked.get() + 1);
        let question = format!("{RESCORER} extra {before:.4} {}", extra.join(" "));
        let answer = self.listener.answer(self.heard, question, |recogniser, listening, _| {
            recogniser.prefer_extra(listening, &self.heard.hearing, before, extra).ok().flatten()
        });
        self.answered.set(self.answered.get() + usize::from(answer.is_some()));
        answer
    }
}
