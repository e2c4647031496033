//! The second-chance loop from the command line, as a new user would go through it: add a
//! piece, keep two takes (the script edited in between), then history, compare, trouble, every
//! export and reanalyze, all in a real store on disk with the real model.

use serde_json::Value;

use crate::{corpus, describe, run_in, run_raw_in};

const SCRIPT_V1: &str = "And so my fellow Americans,\nask not what your country can truly do for you,\nask what you can do for your country.\n";
const SCRIPT_V2: &str = "And so my fellow Americans,\nask not what your country can truly do for you,\nask what you can do for your great country.\n";

/// Dates change from run to run; the snapshots hold everything else.
fn snapshot(name: &str, text: &str) {
    insta::with_settings!({ filters => vec![(r"\d{4}-\d\d-\d\d \d\d:\d\d", "[date]")] }, {
        insta::assert_snapshot!(name, text);
    });
}

/// A home for a test: where its store goes, and the first version of the script, written out.
fn a_store_and_a_script() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("store");
    let script = home.path().join("script.txt");
    std::fs::write(&script, SCRIPT_V1).unwrap();
    (home, data, script)
}

#[test]
fn a_piece_two_takes_and_everything_they_tell() {
    let (home, data, script) = a_store_and_a_script();
    let jfk = corpus("jfk_inaugural_1961.wav");
    let jfk = jfk.to_str().unwrap();

    let added = run_in(&data, &["piece", "add", "Inaugural", "--script", script.to_str().unwrap()]);
    assert!(added.contains("Added \"Inaugural\" (piece 1, 23 words)"), "{added}");
    snapshot("piece_list_one", &run_in(&data, &["piece", "list"]));

    let first = run_in(&data, &["take", "inaug", jfk]);
    assert!(first.contains("skipped") && first.contains("truly"), "{first}");
    assert!(first.contains("Take 1: your first take of this piece."), "{first}");

    std::fs::write(&script, SCRIPT_V2).unwrap();
    let edited = run_in(&data, &["piece", "edit", "Inaugural", "--script", script.to_str().unwrap()]);
    assert!(edited.contains("script version 2"), "{edited}");
    let second = run_in(&data, &["take", "1", jfk, "--json"]);
    let report: Value = serde_json::from_str(&second).unwrap();
    assert_eq!(report["format"], "encore.take/1");
    assert_eq!(report["script"]["words"], 24, "the second take is read against the edited script");

    let shown = run_in(&data, &["piece", "show", "Inaugural"]);
    assert!(shown.contains("script version 2") && shown.contains("great country"), "{shown}");
    snapshot("history", &run_in(&data, &["history", "Inaugural"]));
    let history: Value = serde_json::from_str(&run_in(&data, &["history", "Inaugural", "--json"])).unwrap();
    let takes = history.as_array().unwrap();
    assert_eq!(takes.len(), 2);
    assert_eq!((takes[0]["id"].as_i64(), takes[0]["script_version"].as_i64()), (Some(1), Some(1)));
    assert_eq!((takes[1]["id"].as_i64(), takes[1]["script_version"].as_i64()), (Some(2), Some(2)));
    assert!(takes.iter().all(|t| t["analysed"] == true && t["accuracy"].as_f64().unwrap() > 0.85));

    let compared = run_in(&data, &["compare", "1", "2"]);
    snapshot("compare", &compared);
    assert!(compared.contains("\"truly\": skipped → skipped"), "{compared}");
    assert!(compared.contains("1 words are new"), "{compared}");
    let trouble = run_in(&data, &["trouble", "Inaugural"]);
    snapshot("trouble", &trouble);
    assert!(trouble.contains("\"truly\", in 2 of 2 takes"), "{trouble}");

    let exported = |format: &str| run_in(&data, &["export", "2", "--format", format]);
    let json: Value = serde_json::from_str(&exported("json")).unwrap();
    assert_eq!(json, report, "the stored report is the one printed");
    let csv = exported("csv");
    assert!(csv.starts_with("index,script_index,line,text,heard,verdict,start,end"), "{csv}");
    assert_eq!(csv.lines().count(), 1 + json["words"].as_array().unwrap().len());
    assert!(exported("srt").starts_with("1\n00:00:0"));
    assert!(exported("vtt").starts_with("WEBVTT"));
    let grid = exported("textgrid");
    assert!(grid.contains("ooTextFile") && grid.contains("\"verdicts\""), "{grid}");
    let page = home.path().join("take2.html");
    run_in(&data, &["export", "2", "--format", "html", "--output", page.to_str().unwrap()]);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("data:audio/wav;base64,") && html.contains("truly"));

    let nothing = run_raw_in(&data, &["reanalyze"]);
    assert!(String::from_utf8_lossy(&nothing.stderr).contains("every take has its report"));
    let again = run_in(&data, &["reanalyze", "--take", "1"]);
    assert!(again.contains("Analysed 1 takes."), "{again}");

    let refused = run_raw_in(&data, &["piece", "remove", "Inaugural"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("add --yes"), "{}", describe(&refused));
    let removed = run_in(&data, &["piece", "remove", "Inaugural", "--yes"]);
    assert!(removed.contains("Removed \"Inaugural\" and its 2 takes."), "{removed}");
    assert_eq!(std::fs::read_dir(data.join("audio")).unwrap().count(), 0, "its audio went with it");
}

#[test]
fn wrong_names_and_bad_files_get_clear_errors_and_keep_nothing() {
    let (home, data, script) = a_store_and_a_script();
    run_in(&data, &["piece", "add", "Hamlet", "--script", script.to_str().unwrap()]);
    run_in(&data, &["piece", "add", "Hamilton", "--script", script.to_str().unwrap()]);

    let error = |args: &[&str]| {
        let output = run_raw_in(&data, args);
        assert!(!output.status.success(), "{}", describe(&output));
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    assert!(error(&["history", "Macbeth"]).contains("there is no piece called \"Macbeth\""));
    assert!(error(&["history", "Ham"]).contains("could be any of"));
    assert!(error(&["piece", "add", "hamlet", "--script", script.to_str().unwrap()]).contains("already a piece"));
    let empty = home.path().join("empty.txt");
    std::fs::write(&empty, "  \n").unwrap();
    assert!(error(&["piece", "add", "Empty", "--script", empty.to_str().unwrap()]).contains("empty"));
    assert!(error(&["compare", "1", "2"]).contains("there is no take 1"));

    let not_audio = home.path().join("notes.wav");
    std::fs::write(&not_audio, "this is not a recording").unwrap();
    let message = error(&["take", "Hamlet", not_audio.to_str().unwrap()]);
    assert!(message.contains("not an audio file Encore can open"), "{message}");
    assert!(error(&["take", "Hamlet", "missing.wav"]).contains("no such file"));
    let history: Value = serde_json::from_str(&run_in(&data, &["history", "Hamlet", "--json"])).unwrap();
    assert_eq!(history, Value::Array(vec![]), "a refused file leaves no take");
    assert_eq!(std::fs::read_dir(data.join("audio")).unwrap().count(), 0, "nor any audio");
}

#[test]
fn reanalyze_keeps_a_take_the_stage_was_recording_when_it_died() {
    let (_home, data, script) = a_store_and_a_script();
    run_in(&data, &["piece", "add", "Inaugural", "--script", script.to_str().unwrap()]);
    // What a stage killed mid-take leaves: the raw samples received, in recordings/, named by
    // the piece (1), its script version (1) and when the take began.
    let jfk = encore_audio::decode_file(&corpus("jfk_inaugural_1961.wav"), &mut |_| {}).unwrap();
    let bytes: Vec<u8> = jfk.samples.iter().flat_map(|&s| ((s * 32_768.0).round() as i16).to_le_bytes()).collect();
    std::fs::create_dir_all(data.join("recordings")).unwrap();
    std::fs::write(data.join("recordings/1-1-1796550000000000000.pcm"), bytes).unwrap();

    let output = run_raw_in(&data, &["reanalyze"]);
    assert!(output.status.success(), "{}", describe(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("recorded when the stage stopped"),
        "{}",
        describe(&output)
    );
    let history: Value = serde_json::from_str(&run_in(&data, &["history", "Inaugural", "--json"])).unwrap();
    let takes = history.as_array().unwrap();
    assert_eq!(takes.len(), 1, "{history:#}");
    assert_eq!(takes[0]["analysed"], true);
    assert!((takes[0]["duration"].as_f64().unwrap() - 11.0).abs() < 0.01, "{history:#}");
    assert_eq!(std::fs::read_dir(data.join("recordings")).unwrap().count(), 0);
}

#[test]
fn a_line_said_quieter_than_in_the_best_take_is_named_with_both_shapes() {
    let (home, data, script) = a_store_and_a_script();
    let jfk = corpus("jfk_inaugural_1961.wav");
    run_in(&data, &["piece", "add", "Inaugural", "--script", script.to_str().unwrap()]);
    let first: Value = serde_json::from_str(&run_in(&data, &["take", "1", jfk.to_str().unwrap(), "--json"])).unwrap();
    let delivery = &first["delivery"];
    assert!(delivery["f0_median_hz"].as_f64().is_some_and(|hz| (80.0..300.0).contains(&hz)), "{delivery}");
    assert_eq!(delivery["lines"].as_array().unwrap().len(), 3);
    assert!(first["words"][0]["loudness_db"].is_number(), "each said word has its loudness");

    // The same take again with line 2 fourteen decibels down: the performer let it drop.
    let line = &first["lines"][1];
    let (start, end) = (line["start"].as_f64().unwrap(), line["end"].as_f64().unwrap());
    let audio = encore_audio::decode_file(&jfk, &mut |_| {}).unwrap();
    let quieter: Vec<i16> = audio
        .samples
        .iter()
        .enumerate()
        .map(|(i, &s)| {
            let t = i as f64 / 16_000.0;
            let gain = if (start..end).contains(&t) { 0.2 } else { 1.0 };
            (s * gain * 32_767.0) as i16
        })
        .collect();
    let second = home.path().join("quieter.wav");
    std::fs::write(&second, encore_audio::pcm16_wav(&quieter)).unwrap();
    let said = run_in(&data, &["take", "1", second.to_str().unwrap()]);
    assert!(said.contains("line 2 was quieter than in take 1, your best"), "{said}");

    let compared = run_in(&data, &["compare", "1", "2"]);
    let sounded = compared.split("How it sounded:").nth(1).expect("a section on delivery");
    assert!(sounded.contains("line   2: quieter"), "{compared}");
    let others = sounded.lines().filter(|l| l.contains("line   1:") || l.contains("line   3:"));
    assert!(others.into_iter().all(|l| !l.contains("louder") && !l.contains("quieter")), "{compared}");
    let shapes: Vec<&str> = sounded.lines().filter(|l| l.trim_start().starts_with("take ")).collect();
    assert_eq!(shapes.len(), 2, "both takes' pitch over the line: {compared}");
    assert!(shapes.iter().all(|s| s.chars().filter(|c| ('▁'..='█').contains(c)).count() > 10), "{compared}");
}

/// A take with how it looked (its pose track kept, as the stage keeps it) compared with one
/// without: judged again, the first has its movement, and `compare` sets the two side by side.
#[test]
fn compare_says_how_each_take_looked() {
    let (_home, data, script) = a_store_and_a_script();
    let jfk = corpus("jfk_inaugural_1961.wav");
    run_in(&data, &["piece", "add", "Inaugural", "--script", script.to_str().unwrap()]);
    run_in(&data, &["take", "1", jfk.to_str().unwrap()]);
    run_in(&data, &["take", "1", jfk.to_str().unwrap()]);
    // MoveNet's reading of one frame held (crates/movement/tests/data): a performer frozen.
    let held = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../movement/tests/data/held.poses")).unwrap();
    encore_store::SqliteStore::open(&data).unwrap().save_pose_track(1, &held).unwrap();
    let again = run_in(&data, &["reanalyze", "--take", "1"]);
    assert!(again.contains("Analysed 1 takes"), "{again}");

    let compared = run_in(&data, &["compare", "1", "2"]);
    let looked = compared.split("How it looked:").nth(1).unwrap_or_else(|| panic!("{compared}"));
    let still: Vec<&str> =
        looked.lines().find(|l| l.trim_start().starts_with("still")).unwrap().split_whitespace().collect();
    assert!(still[1].trim_end_matches('%').parse::<u32>().unwrap() > 60 && still[2] == "-", "{looked}");
    assert!(looked.contains("the camera was off for one of the takes"), "{looked}");
}
