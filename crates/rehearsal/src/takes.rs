//! A take kept and judged: its audio checked and kept, its row added, then heard against its
//! script and the report saved; and a kept take judged again.

use encore_audio::{Audio, AudioError, SAMPLE_RATE};
use encore_listen::Recogniser;
use encore_pipeline::AnalysisTimes;
use encore_script::Script;
use encore_store::{Job, NewTake, Piece, Store, StoreError, Take};
use encore_take::{PoseTrack, TakeReport};

use crate::RehearsalError;
use crate::drills::{DrillsAfterTake, drills_after_take};

/// Files that may hold pictures as well as sound: only their sound is kept.
const FILMED: [&str; 3] = ["mp4", "m4v", "mov"];

/// Shorter than this is no take (a file cut short, a button pressed twice): nothing is kept.
pub const SHORTEST_TAKE: f64 = 1.0;

/// A take's audio, checked and ready to keep: the file as it came, or the samples recorded in
/// the stage as a WAV file, with the audio as the recogniser hears it.
#[derive(Debug)]
pub struct TakeAudio {
    pub audio: Audio,
    /// The bytes the store keeps.
    bytes: Vec<u8>,
    extension: String,
    /// Where it came from, for the performer's eyes.
    source_name: String,
}

impl TakeAudio {
    /// An audio file, refused (with nothing kept) when it cannot be heard: not audio, shorter
    /// than [`SHORTEST_TAKE`], damaged or silent. `name` is the file's name: its extension is a hint to the
    /// decoder and the name is in every message. A video (MP4, M4V, MOV) is kept by its sound
    /// alone, as the WAV the recogniser hears: a take keeps no pictures.
    pub fn from_file(bytes: Vec<u8>, name: &str) -> Result<TakeAudio, AudioError> {
        let audio = encore_audio::decode_bytes(bytes.clone(), name, &mut |_| {})?;
        if audio.duration() < SHORTEST_TAKE {
            return Err(AudioError::TooShort { name: name.to_string(), seconds: audio.duration() });
        }
        let extension = extension(name);
        if FILMED.contains(&extension.as_str()) {
            let bytes = audio.to_wav();
            return Ok(TakeAudio { audio, bytes, extension: "wav".to_string(), source_name: name.to_string() });
        }
        Ok(TakeAudio { audio, bytes, extension, source_name: name.to_string() })
    }

    /// Samples recorded in the stage: 16-bit, mono, 16 kHz, as the page sends them. A muted or
    /// unplugged microphone is refused.
    pub fn recorded(samples: &[i16], source_name: &str) -> Result<TakeAudio, AudioError> {
        let audio = Audio::from_pcm16(samples, SAMPLE_RATE);
        encore_audio::check_not_silent(&audio, "your take")?;
        let bytes = encore_audio::pcm16_wav(samples);
        Ok(TakeAudio { audio, bytes, extension: "wav".to_string(), source_name: source_name.to_string() })
    }

    /// Seconds of audio.
    pub fn duration(&self) -> f64 {
        self.audio.duration()
    }
}

/// Keeps a take of the piece's current script: its audio first, then its row. `performer` is
/// the club member who performed it (`None` in a performer's own store).
pub fn keep_take(
    store: &dyn Store,
    piece: &Piece,
    take: &TakeAudio,
    performer: Option<i64>,
) -> Result<Take, StoreError> {
    keep_take_of_version(store, piece.id, piece.script.id, take, performer)
}

/// Keeps a take in a club's store and queues its analysis for the workers (`encore worker`).
/// Refused before anything is kept when the store has no queue: the take would wait for a worker
/// that never comes.
pub fn keep_and_queue(
    store: &dyn Store,
    piece: &Piece,
    take: &TakeAudio,
    performer: Option<i64>,
) -> Result<(Take, Job), RehearsalError> {
    let queue = store.queue().ok_or(RehearsalError::NoQueue)?;
    let kept = keep_take(store, piece, take, performer)?;
    let job = queue.queue_take(kept.id).map_err(|source| RehearsalError::KeptNotQueued { take_id: kept.id, source })?;
    Ok((kept, job))
}

/// Keeps a take read from one version of a piece's script: its audio first, then its row.
pub(crate) fn keep_take_of_version(
    store: &dyn Store,
    piece_id: i64,
    script_version_id: i64,
    take: &TakeAudio,
    performer_id: Option<i64>,
) -> Result<Take, StoreError> {
    let stored = store.save_audio(&take.bytes, &take.extension)?;
    store.add_take(&NewTake {
        piece_id,
        script_version_id,
        audio: &stored,
        source_name: take.source_name.clone(),
        duration: Some(take.duration()),
        performer_id,
    })
}

/// A take's report and what made it.
#[derive(Debug, Clone)]
pub struct Judgement {
    pub report: TakeReport,
    /// The Encore and the model that judged, kept with the report so that reports an upgrade
    /// made stale can be told apart.
    pub analyzer: String,
    /// Where the time went (`encore analyze --profile`).
    pub times: AnalysisTimes,
}

/// Hears `audio` and judges it against `script`. `progress` gets the fraction heard, 0 to 1.
pub fn judge(
    recogniser: &Recogniser,
    script: &Script,
    audio: &Audio,
    progress: &mut dyn FnMut(f64),
) -> Result<Judgement, RehearsalError> {
    let (report, times) = encore_pipeline::analyze_timed(recogniser, script, audio, progress)?;
    Ok(Judgement { report, analyzer: encore_pipeline::analyzer(recogniser), times })
}

/// Saves a take's report, replacing any earlier one. A take's first report also reviews the
/// drills it covers and makes drills of its new trouble; judging it again does not, or one
/// performance would count twice.
pub fn save_judgement(
    store: &dyn Store,
    take_id: i64,
    judgement: &Judgement,
) -> Result<DrillsAfterTake, RehearsalError> {
    let take = store.take(take_id)?;
    let first = take.analyzed_at.is_none();
    let mut report = judgement.report.clone();
    carry_over(store, &take, &mut report)?;
    store.save_report(take_id, &report, &judgement.analyzer)?;
    if !first {
        return Ok(DrillsAfterTake::default());
    }
    drills_after_take(store, &take, &judgement.report)
}

/// The script a take was performed against.
pub fn script_of(store: &dyn Store, take: &Take) -> Result<Script, RehearsalError> {
    let version = store.script_version(take.script_version_id)?;
    Script::parse(&version.text).map_err(|source| RehearsalError::StoredScript { take_id: take.id, source })
}

/// A kept take's audio, decoded.
pub fn stored_audio(store: &dyn Store, take: &Take) -> Result<Audio, RehearsalError> {
    let bytes = store.read_audio(&take.audio)?;
    Ok(decode_stored(take, bytes)?)
}

/// Decodes a kept take's audio from the bytes the store gave back: for a caller that must not
/// hold the store while a long take decodes.
pub fn decode_stored(take: &Take, bytes: Vec<u8>) -> Result<Audio, AudioError> {
    encore_audio::decode_bytes(bytes, &take.audio.name(), &mut |_| {})
}

/// Judges a kept take again (one whose judging was interrupted or failed, or one judged by an
/// older Encore) and saves its report.
pub fn reanalyze(
    store: &dyn Store,
    take: &Take,
    recogniser: &Recogniser,
    progress: &mut dyn FnMut(f64),
) -> Result<TakeReport, RehearsalError> {
    let script = script_of(store, take)?;
    let audio = stored_audio(store, take)?;
    let judgement = judge(recogniser, &script, &audio, progress)?;
    save_judgement(store, take.id, &judgement)?;
    Ok(judgement.report)
}

/// Keeps the pose over a take: recorded with the camera on, or read from a filmed take's video.
/// A report saved after it says how the take looked; a report already there is measured again
/// now (its words stay as they were heard). The track is kept apart from the report so that
/// judging the take again (a new model, a coach's ear) measures it again on the new word times.
pub fn keep_pose_track(store: &dyn Store, take_id: i64, track: &PoseTrack) -> Result<Option<TakeReport>, StoreError> {
    store.save_pose_track(take_id, &track.to_bytes())?;
    let take = store.take(take_id)?;
    let (Some(mut report), Some(analyzer)) = (take.report, take.analyzer) else { return Ok(None) };
    encore_movement::measure(track, &mut report);
    store.save_report(take_id, &report, &analyzer)?;
    Ok(Some(report))
}

/// What a take keeps, whoever judges it (the stage, `encore reanalyze`, a club's worker): the
/// verdicts its coach changed, applied to the new report with their coach and time where the
/// new verdict differs; how its prompter was used, which only the page that recorded it knew;
/// and how it looked, measured on the new report's words from the pose track kept with it. A
/// track that cannot be read costs the report its movement, never the report.
pub(crate) fn carry_over(store: &dyn Store, take: &Take, report: &mut TakeReport) -> Result<(), StoreError> {
    if let Some(earlier) = &take.report {
        for change in &earlier.changes {
            // A word the new report lacks (a script edited since) has nothing to change.
            let _ = report.change_verdict(change.script_index, change.to, &change.by, change.at);
        }
        if report.prompter.is_none() {
            report.prompter = earlier.prompter.clone();
        }
    }
    if let Some(track) = store.pose_track(take.id)?.and_then(|bytes| PoseTrack::from_bytes(&bytes).ok()) {
        encore_movement::measure(&track, report);
    }
    Ok(())
}

/// The extension the store keeps a file under: the file's own, if it is a plain one.
fn extension(name: &str) -> String {
    name.rsplit_once('.')
        .map(|(_, extension)| extension.to_ascii_lowercase())
        .filter(|extension| (1..=5).contains(&extension.len()) && extension.chars().all(|c| c.is_ascii_alphanumeric()))
        .unwrap_or_else(|| "audio".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_extension_is_kept_and_anything_else_is_audio() {
        for (name, kept_as) in
            [("my take.WAV", "wav"), ("noextension", "audio"), ("take.tar.gz", "gz"), ("take.a b", "audio")]
        {
            assert_eq!(extension(name), kept_as, "{name}");
        }
    }

    #[test]
    fn a_silent_recording_is_refused_and_a_spoken_one_kept_as_wav() {
        let silence = vec![0i16; 3 * SAMPLE_RATE as usize];
        assert!(matches!(TakeAudio::recorded(&silence, "recorded"), Err(AudioError::Silent { .. })));
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/corpus/audio/jfk_inaugural_1961.wav");
        let spoken = encore_audio::decode_file(std::path::Path::new(path), &mut |_| {}).unwrap();
        let samples: Vec<i16> = spoken.samples.iter().map(|&s| (s * 32_768.0).round() as i16).collect();
        let take = TakeAudio::recorded(&samples, "recorded on the stage").unwrap();
        assert_eq!(take.audio.samples, spoken.samples);
        let kept = encore_audio::decode_bytes(take.bytes.clone(), "take.wav", &mut |_| {}).unwrap();
        assert_eq!(kept.samples, take.audio.samples);
    }

    /// Judged again (a new model, `encore reanalyze`, a club's worker), a take keeps how its
    /// prompter was used and how it looked, which only the page that recorded it knew.
    #[test]
    fn a_take_judged_again_keeps_its_prompter_and_its_movement() {
        use encore_store::SqliteStore;
        use encore_take::testing::take;
        use encore_take::{PrompterMode, PrompterUsed};

        let data = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(data.path()).unwrap();
        let script = "Shall I compare thee to a summer's day?";
        let piece = store.add_piece("Sonnet 18", script).unwrap();
        let audio = TakeAudio {
            audio: Audio { samples: vec![0.0; 16_000] },
            bytes: b"RIFF".to_vec(),
            extension: "wav".into(),
            source_name: "take".into(),
        };
        let kept = keep_take(&store, &piece, &audio, None).unwrap();
        let held = concat!(env!("CARGO_MANIFEST_DIR"), "/../movement/tests/data/held.poses");
        let track = PoseTrack::from_bytes(&std::fs::read(held).unwrap()).unwrap();
        assert_eq!(keep_pose_track(&store, kept.id, &track).unwrap(), None, "no report yet to measure");

        let (mut first, _) = take(script, ". . . h");
        first.prompter = Some(PrompterUsed { mode: PrompterMode::Fading, hidden_words: 5, prompts: vec![3] });
        let judged = |report| Judgement { report, analyzer: "test".into(), times: Default::default() };
        save_judgement(&store, kept.id, &judged(first)).unwrap();
        let saved = store.take(kept.id).unwrap().report.unwrap();
        assert!(saved.movement.as_ref().unwrap().take.still > 0.5, "the held frame is a freeze");

        // Heard again: the new report knows nothing of the page.
        let (again, _) = take(script, "");
        save_judgement(&store, kept.id, &judged(again)).unwrap();
        let saved = store.take(kept.id).unwrap().report.unwrap();
        assert_eq!(saved.prompter.as_ref().map(|p| (p.hidden_words, p.prompts.clone())), Some((5, vec![3])));
        assert!(saved.movement.is_some(), "measured again from the kept track");
    }
}
