//! A live take on a real recording with the real model: the prompter follows the reading
//! forward and the report at the end is the take's.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use encore_listen::{Recogniser, default_model_installed};
use encore_pipeline::{Follow, LiveTake};

fn recogniser() -> Recogniser {
    let dir = default_model_installed(&mut |message| eprintln!("{message}")).expect("the model installs");
    Recogniser::load(&dir).expect("the model loads")
}

#[test]
fn the_prompter_follows_a_reading_and_the_report_comes_at_stop() {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/audio");
    let audio = encore_audio::decode_file(&corpus.join("jfk_inaugural_1961.wav"), &mut |_| {}).unwrap();
    let text = std::fs::read_to_string(corpus.join("jfk_inaugural_1961.txt")).unwrap();
    let script = encore_script::Script::parse(&text).unwrap();
    let words = script.len();

    let follows: Arc<Mutex<Vec<Follow>>> = Arc::default();
    let sink = follows.clone();
    let recogniser = Arc::new(recogniser());
    let live = LiveTake::start(recogniser.clone(), script.clone(), Box::new(move |f| sink.lock().unwrap().push(f)));
    let pcm: Vec<i16> = audio.samples.iter().map(|&s| (s * 32767.0) as i16).collect();
    // A tenth of a second at a time, at twice real time.
    for chunk in pcm.chunks(1600) {
        live.push(chunk);
        std::thread::sleep(Duration::from_millis(50));
    }
    // The performer pauses before pressing stop; the microphone goes on sending (silence), and
    // the take is heard to its end in the pause.
    for _ in 0..30 {
        live.push(&[0; 1600]);
        std::thread::sleep(Duration::from_millis(100));
    }
    let finished = live.finish().unwrap();
    let report = &finished.report;

    assert_eq!(finished.audio.samples.len(), pcm.len() + 30 * 1600);
    assert!(finished.heard_before_stop, "the pause before the stop was used to hear the take");
    assert_eq!(report.summary.correct, words, "{:?}", report.summary);
    // Heard to its end in the pause, the take reads as it does heard at once.
    let at_once = encore_pipeline::analyze(&recogniser, &script, &finished.audio, &mut |_| {}).unwrap();
    let verdicts = |r: &encore_take::TakeReport| r.words.iter().map(|w| format!("{:?}", w.verdict)).collect::<Vec<_>>();
    assert_eq!(verdicts(report), verdicts(&at_once));
    assert_eq!(report.summary.correct, at_once.summary.correct);
    let follows = follows.lock().unwrap();
    let moves: Vec<usize> = follows.iter().filter(|f| f.moved).map(|f| f.index).collect();
    assert!(moves.len() >= 3, "the highlight moved several times: {follows:?}");
    assert!(moves.windows(2).all(|pair| pair[0] < pair[1]), "forward only: {moves:?}");
    // How close to the end it gets in time depends on the machine's speed, which the
    // benchmark (examples/live_follow) measures; here it must follow well into the passage.
    assert!(*moves.last().unwrap() >= words / 2, "it followed the reading: {moves:?}");
    assert!(follows.iter().all(|f| (0.0..=1.0).contains(&f.flow)));
}

#[test]
fn a_take_of_several_windows_stopped_at_once_reads_as_heard_at_once() {
    // Six recordings one after another (about 45 s, two windows), the first with a word the
    // script has otherwise: the keeper puts that disagreement to the model while the take goes
    // on, and the report at stop must be the one heard at once.
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/audio");
    let stems = [
        "jfk_inaugural_1961",
        "librivox_sense_sensibility_0870",
        "vctk_p226_003",
        "librivox_sense_sensibility_0890",
        "vctk_p225_003",
        "cmu_goforward",
    ];
    let mut pcm: Vec<i16> = Vec::new();
    let mut passages = Vec::new();
    for stem in stems {
        let audio = encore_audio::decode_file(&corpus.join(format!("{stem}.wav")), &mut |_| {}).unwrap();
        pcm.extend(audio.samples.iter().map(|&s| (s * 32767.0) as i16));
        pcm.extend(std::iter::repeat_n(0, 12_800));
        passages.push(std::fs::read_to_string(corpus.join(format!("{stem}.txt"))).unwrap().trim().to_string());
    }
    assert!(passages[0].contains("fellow"));
    passages[0] = passages[0].replacen("fellow", "loyal", 1);
    let script = encore_script::Script::parse(&passages.join("\n")).unwrap();

    let recogniser = Arc::new(recogniser());
    let live = LiveTake::start(recogniser.clone(), script.clone(), Box::new(|_| {}));
    // A tenth of a second at a time, at four times real time, and stopped as soon as sent.
    for chunk in pcm.chunks(1600) {
        live.push(chunk);
        std::thread::sleep(Duration::from_millis(25));
    }
    let finished = live.finish().unwrap();
    assert!(finished.audio.duration() > 35.0);
    let at_once = encore_pipeline::analyze(&recogniser, &script, &finished.audio, &mut |_| {}).unwrap();
    let verdicts = |r: &encore_take::TakeReport| r.words.iter().map(|w| format!("{:?}", w.verdict)).collect::<Vec<_>>();
    assert_eq!(verdicts(&finished.report), verdicts(&at_once));
    let loyal = finished.report.words.iter().find(|w| w.text.as_deref() == Some("loyal")).expect("in the report");
    assert_eq!(loyal.verdict, encore_take::Verdict::Misread, "{loyal:?}");
}
