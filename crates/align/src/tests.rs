//! The alignment table: hand-made hearings (a fake recogniser) against scripts, each case through
//! one `check` helper that renders the verdicts compactly; snapshots of whole reports; the long
//! script; and the report against its JSON Schema.

use encore_script::Script;

use encore_take::{HeardWord, Hearing, TakeReport, Unrecognised, Verdict};

use crate::{AlignOptions, Rescorer, analyze};

/// Builds a hearing from text: each word lasts 0.3 s with 0.1 s between words; a token "|2.5"
/// adds 2.5 s of silence before the next word; "word@0.4" gives the word confidence 0.4.
pub(crate) fn hearing(text: &str) -> Hearing {
    let mut words = Vec::new();
    let mut time = 0.5;
    for token in text.split_whitespace() {
        if let Some(pause) = token.strip_prefix('|') {
            time += pause.parse::<f64>().unwrap();
            continue;
        }
        let (word, confidence) = match token.split_once('@') {
            Some((word, confidence)) => (word, confidence.parse().unwrap()),
            None => (token, 0.9),
        };
        let start = (time * 1000.0_f64).round() / 1000.0;
        words.push(HeardWord { text: word.to_string(), start, end: start + 0.3, confidence });
        time += 0.4;
    }
    Hearing { duration: time + 0.5, speech: words.len() as f64 * 0.3, words, ..Hearing::default() }
}

/// Renders a report compactly: `word` correct, `word=heard` correct but said differently,
/// `word~heard` misread, `-word` skipped, `+heard:kind` an extra word, `!` self-corrected,
/// `*` rescored, `?` uncertain.
fn render(report: &TakeReport) -> String {
    let mut out = Vec::new();
    for word in &report.words {
        let heard = word.heard.clone().unwrap_or_default();
        let text = word.text.clone().unwrap_or_default();
        let mut item = match word.verdict {
            Verdict::Correct if bare(&heard) == bare(&text) || heard.is_empty() => text,
            Verdict::Correct => format!("{text}={heard}"),
            Verdict::Misread => format!("{text}~{heard}"),
            Verdict::Skipped => format!("-{text}"),
            Verdict::Inserted => format!("+{heard}:ins"),
            Verdict::Filler => format!("+{heard}:filler"),
            Verdict::Repeated => format!("+{heard}:rep"),
            Verdict::FalseStart => format!("+{heard}:fs"),
        };
        if word.self_corrected {
            item.push('!');
        }
        if word.rescored {
            item.push('*');
        }
        out.push(item);
    }
    out.join(" ")
}

fn bare(text: &str) -> String {
    text.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase()
}

fn check(script: &str, heard: &str, expected: &str) {
    let script = Script::parse(script).unwrap();
    let report = analyze(&script, &hearing(heard), &AlignOptions::default());
    assert_invariants(&report, &script);
    assert_eq!(render(&report), expected, "heard {heard:?}");
}

/// What every report must satisfy, whatever was heard.
fn assert_invariants(report: &TakeReport, script: &Script) {
    let indexes: Vec<usize> = report.words.iter().filter_map(|w| w.script_index).collect();
    assert_eq!(indexes, (0..script.len()).collect::<Vec<_>>(), "every script word once, in order");
    for word in &report.words {
        assert_eq!(word.script_index.is_some(), word.verdict.is_script_word());
        assert!((0.0..=1.0).contains(&word.confidence), "confidence {}", word.confidence);
    }
}

#[test]
fn alignment_table() {
    // Exact read, case and punctuation aside.
    check("Four score, and seven years ago.", "four score and seven years ago", "Four score, and seven years ago.");
    // A skipped word stands where it would have been said.
    check("four score and seven years ago", "four score seven years ago", "four score -and seven years ago");
    check("four score and seven years ago", "four score and seven years", "four score and seven years -ago");
    // An inserted word.
    check("montreal forced aligner", "montreal forced very aligner", "montreal forced +very:ins aligner");
    // Homophones are the same word to a listener: the recogniser's spelling is no misread.
    check(
        "his tender heir might bear his memory",
        "his tender air might bare his memory",
        "his tender heir=air might bear=bare his memory",
    );
    // A misread that sounds alike.
    check("m f a is like puddy", "m f a is like putty", "m f a is like puddy~putty");
    check("the quick brown fox", "the quick green fox", "the quick brown~green fox");
    // Fillers.
    check("montreal forced aligner", "um montreal uh forced aligner", "+um:filler montreal +uh:filler forced aligner");
    check("montreal forced aligner", "montreal forced <unk> aligner", "montreal forced +<unk>:filler aligner");
    // Repetitions: one word, and a whole phrase.
    check("the cat sat", "the the cat sat", "the +the:rep cat sat");
    check("montreal forced aligner", "montreal forced forced aligner", "montreal forced +forced:rep aligner");
    check(
        "ask not what your country can do for you",
        "ask not ask not what your country can do for you",
        "ask not +ask:rep +not:rep what your country can do for you",
    );
    // False starts: a fragment, and a wrong word immediately corrected.
    check("montreal forced aligner", "mon montreal forced aligner", "+mon:fs montreal! forced aligner");
    check("montreal forced aligner", "montreal forest forced aligner", "montreal +forest:fs forced! aligner");
    // A word that sounds nearly like the script word, followed by another word, is the script
    // word misheard and that word said: no start taken again (sonnet 1 with "His" left out of
    // its script, heard as Whisper heard it).
    check(
        "the riper should by time decease tender heir",
        "the riper should by time deceased his tender heir",
        "the riper should by time decease~deceased +his:ins tender heir",
    );
    // A dictionary word is a piece of a word said just before only if it spells its start:
    // "that" after "thoughts" is a word said, not "thoughts" begun again.
    check(
        "i have a thousand thoughts about thing",
        "i have a thousand thoughts about that thing",
        "i have a thousand thoughts about +that:ins thing",
    );
    check(
        "montreal forced aligner",
        "mon mon uh mon montreal for forced ali ali hm ali aligner aligner",
        "+mon:fs +mon:fs +uh:filler +mon:fs montreal! +for:fs forced! +ali:fs +ali:fs +hm:filler +ali:fs aligner! +aligner:rep",
    );
    // Numbers and contractions said either way.
    check("in 1961 we began", "in nineteen sixty one we began", "in 1961=nineteen sixty one we began");
    check("in nineteen sixty-one we began", "in 1961 we began", "in nineteen=1961 sixty-one=1961 we began");
    check("it cost $5", "it cost five dollars", "it cost $5=five dollars");
    check("we do not know", "we don't know", "we do=don't not=don't know");
    check("we don't know", "we do not know", "we don't=do not know");
    check("a well-known fact", "a well known fact", "a well-known=well known fact");
    // A whole stretch missed, and nothing heard at all.
    check("one two three four five six", "one five six", "one -two -three -four five six");
    check("one two", "", "-one -two");
}

#[test]
fn crossword_and_surround_keep_every_word() {
    let script = Script::parse("montreal forced aligner").unwrap();
    for heard in [
        "but um montreal but um but montreal forced aligner",
        "this one montreal is going to be forced very bad aligner but what are you gonna do",
        "you know montreal forced aligner",
        "montreal forced aligner word another word here's some more word word word word word",
    ] {
        let report = analyze(&script, &hearing(heard), &AlignOptions::default());
        assert_invariants(&report, &script);
        assert_eq!(report.summary.correct, 3, "{heard}: {}", render(&report));
        assert_eq!(report.words.len(), 3 + heard.split_whitespace().count() - 3, "{heard}");
    }
}

#[test]
fn hesitations_follow_the_performer_and_the_script() {
    let script = Script::parse("we shall fight on the beaches. / we shall fight on the landing grounds").unwrap();
    let heard = "we shall fight |1.2 on the beaches |1.5 we shall fight on the landing |0.2 grounds";
    let report = analyze(&script, &hearing(heard), &AlignOptions::default());
    // 1.3 s inside a phrase is a hesitation; 1.6 s after a sentence end and a marked pause is not;
    // 0.4 s is within the floor.
    assert_eq!(report.hesitations.len(), 1, "{:?}", report.hesitations);
    let hesitation = report.hesitations[0];
    assert_eq!(hesitation.before_script_index, Some(3));
    assert!((hesitation.duration - 1.3).abs() < 1e-6);
    assert_eq!(report.summary.hesitations, 1);
}

#[test]
fn unrecognised_speech_marks_a_possible_stumble() {
    let script = Script::parse("montreal forced aligner").unwrap();
    let mut heard = hearing("montreal |1.0 forced aligner");
    heard.unrecognised.push(Unrecognised { start: 1.0, end: 1.6 });
    let report = analyze(&script, &heard, &AlignOptions::default());
    assert_eq!(report.stumbles.len(), 1);
    assert_eq!(report.stumbles[0].before_script_index, Some(1));
    assert!(report.words[1].possible_stumble && !report.words[0].possible_stumble);
}

/// A rescorer that believes the script wherever the given words are involved.
struct Believer(&'static [&'static str]);

impl Rescorer for Believer {
    fn prefer_script(&self, _start: f64, _end: f64, heard: &[&str], script: &[&str]) -> Option<f32> {
        let involved = heard.iter().chain(script).any(|w| self.0.contains(w));
        involved.then_some(0.9)
    }
}

#[test]
fn the_rescorer_withdraws_recognition_slips() {
    let script = Script::parse("m f a is like puddy and nothing else").unwrap();
    let heard = hearing("m f a is like putty and uh extra nothing");
    let plain = analyze(&script, &heard, &AlignOptions::default());
    assert_eq!(render(&plain), "m f a is like puddy~putty and +uh:filler +extra:ins nothing -else");
    let believer = Believer(&["puddy", "else", "extra"]);
    let options = AlignOptions { rescorer: Some(&believer), ..AlignOptions::default() };
    let report = analyze(&script, &heard, &options);
    assert_eq!(render(&report), "m f a is like puddy=putty* and +uh:filler +extra:ins* nothing else*");
    assert_eq!((report.summary.misread, report.summary.skipped, report.summary.inserted), (0, 0, 0));
    assert_eq!(report.summary.rescored, 3);
    let puddy = &report.words[5];
    assert!(puddy.confidence < plain.words[5].confidence.max(0.7));
    let nobody = crate::NoRescorer;
    let options = AlignOptions { rescorer: Some(&nobody), ..AlignOptions::default() };
    assert_eq!(analyze(&script, &heard, &options), plain);
}

/// A rescorer that gives the script's reading the same probability wherever it is asked.
struct Odds(f32);

impl Rescorer for Odds {
    fn prefer_script(&self, _start: f64, _end: f64, _heard: &[&str], _script: &[&str]) -> Option<f32> {
        Some(self.0)
    }
}

#[test]
fn a_misread_is_told_only_where_the_model_hears_it_clearly() {
    let script = Script::parse("the lights went out").unwrap();
    let heard = hearing("the light went out");
    let told = |odds: f32| {
        render(&analyze(&script, &heard, &AlignOptions { rescorer: Some(&Odds(odds)), ..AlignOptions::default() }))
    };
    // The script's reading a quarter as likely as the heard one: the benefit of the doubt, shown with doubt.
    assert_eq!(told(0.2), "the lights=light* went out");
    let excused = analyze(&script, &heard, &AlignOptions { rescorer: Some(&Odds(0.2)), ..AlignOptions::default() });
    assert!(excused.words[1].uncertain, "excused, not sure");
    // A word that sounds nearly like the script's is still told when the model is sure of it.
    assert_eq!(told(0.001), "the lights~light went out");
}

/// A rescorer that believes the script only when asked about the whole of the given stretch.
struct WholeStretch(&'static [&'static str], &'static [&'static str]);

impl Rescorer for WholeStretch {
    fn prefer_script(&self, _start: f64, _end: f64, heard: &[&str], script: &[&str]) -> Option<f32> {
        Some(if heard == self.0 && script == self.1 { 0.9 } else { 0.01 })
    }
}

#[test]
fn a_short_phrase_written_for_a_longer_one_is_asked_about_whole() {
    let script = Script::parse("this were to be new made when thou art old").unwrap();
    let heard = hearing("this were to be what old");
    let plain = analyze(&script, &heard, &AlignOptions::default());
    assert_eq!(render(&plain), "this were to be -new -made when~what -thou -art old");
    let rescorer = WholeStretch(&["what"], &["new", "made", "when", "thou", "art"]);
    let options = AlignOptions { rescorer: Some(&rescorer), ..AlignOptions::default() };
    let report = analyze(&script, &heard, &options);
    assert_eq!(render(&report), "this were to be new* made* when=what* thou* art* old");
    assert_invariants(&report, &script);
}

/// A rescorer that hears the given extra words right before the heard word starting at the
/// given time, and nothing else.
struct HearsBefore(f64, &'static [&'static str]);

impl Rescorer for HearsBefore {
    fn prefer_script(&self, _start: f64, _end: f64, _heard: &[&str], _script: &[&str]) -> Option<f32> {
        None
    }

    fn prefer_extra(&self, before: f64, extra: &[&str]) -> Option<f32> {
        Some(if (before - self.0).abs() < 1e-9 && extra == self.1 { 0.2 } else { 1e-6 })
    }
}

#[test]
fn a_filler_the_recogniser_left_unwritten_is_heard() {
    let script = Script::parse("so my fellow americans ask not").unwrap();
    // "fellow" takes 0.7 s more than its sounds need: something was said there.
    let heard = hearing("so my |0.7 fellow americans ask not");
    let fellow = heard.words[2].start;
    let options = AlignOptions { rescorer: Some(&HearsBefore(fellow, &["uh,"])), ..AlignOptions::default() };
    let report = analyze(&script, &heard, &options);
    assert_eq!(render(&report), "so my +uh:filler fellow americans ask not");
    assert_eq!(report.summary.fillers, 1);
    let filler = &report.words[2];
    assert_eq!((filler.start, filler.end), (heard.words[1].end.into(), fellow.into()), "in the silence before");
    assert_invariants(&report, &script);

    // Where no word lasts longer than its sounds, nothing is asked.
    let even = hearing("so my fellow americans ask not");
    let options =
        AlignOptions { rescorer: Some(&HearsBefore(even.words[2].start, &["uh,"])), ..AlignOptions::default() };
    assert_eq!(render(&analyze(&script, &even, &options)), "so my fellow americans ask not");
    // And a reading the model finds far less likely than the words as heard is no filler.
    let options = AlignOptions { rescorer: Some(&HearsBefore(-1.0, &["uh,"])), ..AlignOptions::default() };
    assert_eq!(render(&analyze(&script, &heard, &options)), "so my fellow americans ask not");
}

#[test]
fn words_said_twice_that_the_recogniser_wrote_once_are_heard() {
    let script = Script::parse("so my fellow americans ask not").unwrap();
    let heard = hearing("so my |0.7 fellow americans ask not");
    let fellow = heard.words[2].start;
    let rescorer = HearsBefore(fellow, &["my"]);
    let report = analyze(&script, &heard, &AlignOptions { rescorer: Some(&rescorer), ..AlignOptions::default() });
    assert_eq!(render(&report), "so my +my:rep fellow americans ask not");
    assert_eq!(report.words[2].relates_to, Some(1));
    let (first, again) = (&report.words[1], &report.words[2]);
    assert!(first.end <= again.start && again.end <= report.words[3].start, "the first saying, then the second");
    assert_invariants(&report, &script);

    // A phrase said twice.
    let rescorer = HearsBefore(fellow, &["so", "my"]);
    let report = analyze(&script, &heard, &AlignOptions { rescorer: Some(&rescorer), ..AlignOptions::default() });
    assert_eq!(render(&report), "so my +so:rep +my:rep fellow americans ask not");
    assert_invariants(&report, &script);

    // A line of its own, such as a poem's number read slowly before a pause, is not asked about
    // however likely the model finds it said twice.
    let script = Script::parse("Two\nwhen forty winters").unwrap();
    let heard = hearing("two |0.4 when forty winters");
    let rescorer = HearsBefore(heard.words[1].start, &["two"]);
    let report = analyze(&script, &heard, &AlignOptions { rescorer: Some(&rescorer), ..AlignOptions::default() });
    assert_eq!(render(&report), "Two when forty winters");
}

#[test]
fn confidence_and_uncertainty() {
    let script = Script::parse("the cat sat on the mat").unwrap();
    let report = analyze(&script, &hearing("the cat@0.3 sat on the mat"), &AlignOptions::default());
    assert!(report.words[1].uncertain, "a word heard with little confidence is uncertain");
    assert!(!report.words[0].uncertain && report.words[0].confidence > 0.75, "{}", report.words[0].confidence);
    assert_eq!(report.summary.uncertain, 1);
}

#[test]
fn odd_hearings_give_a_report() {
    let script = Script::parse("one two three").unwrap();
    let mut heard = hearing("three two one");
    heard.words[0].start = f64::NAN;
    heard.words[1].confidence = f32::NAN;
    heard.words.push(HeardWord { text: "  ".into(), start: 9.0, end: 8.0, confidence: 2.0 });
    let report = analyze(&script, &heard, &AlignOptions::default());
    assert_invariants(&report, &script);
    let empty = analyze(&script, &Hearing::default(), &AlignOptions::default());
    assert_eq!(empty.summary.skipped, 3);
    assert_eq!(empty.summary.wcpm, 0.0);
    assert_eq!(analyze(&script, &heard, &AlignOptions::default()), report, "same input, same report");
}

#[test]
fn summary_and_findings() {
    let script = Script::parse(
        "Four score and seven years ago our fathers brought forth\non this continent a new nation conceived in liberty\nand dedicated to the proposition that all men are created equal",
    )
    .unwrap();
    let heard = "four score and seven years ago our fathers brought forth on this continent a new nation |2.1 conceived in liberty and dedicated to the um proposition that all men are equal";
    let report = analyze(&script, &hearing(heard), &AlignOptions::default());
    let summary = report.summary;
    assert_eq!((summary.correct, summary.skipped, summary.fillers, summary.hesitations), (29, 1, 1, 1));
    assert!((summary.accuracy - 29.0 / 30.0).abs() < 1e-3);
    assert!(summary.wcpm > 100.0 && summary.wpm >= summary.wcpm);
    let messages: Vec<&str> = report.findings.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(
        messages,
        ["a 2.2 s pause before 'conceived' in line 2", "you skipped 'created' in line 3", "a filler ('um')"]
    );
    assert_eq!(report.lines.len(), 3);
    assert!(report.lines.iter().all(|l| l.wpm.is_some()));
}

/// A deterministic stream of words from a small vocabulary, so that runs of three words are mostly
/// unique but single words repeat, as in real text.
fn long_text(count: usize) -> Vec<String> {
    // Every 97th entry of the embedded pronouncing dictionary: about 1,300 distinct words.
    let vocabulary: Vec<String> = crate::pronunciation::dictionary_words().step_by(97).map(str::to_string).collect();
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    (0..count)
        .map(|_| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            vocabulary[(state >> 33) as usize % vocabulary.len()].clone()
        })
        .collect()
}

#[test]
fn a_huge_script_aligns_in_reasonable_time() {
    let words = long_text(Script::MAX_WORDS);
    let text: String = words.chunks(12).map(|line| line.join(" ")).collect::<Vec<_>>().join("\n");
    let script = Script::parse(&text).unwrap();
    // Drop every 37th word and a block of 40 words in the middle.
    let kept: Vec<&String> = words
        .iter()
        .enumerate()
        .filter(|&(k, _)| k % 37 != 36 && !(10_000..10_040).contains(&k))
        .map(|(_, w)| w)
        .collect();
    let dropped = words.len() - kept.len();
    let heard = Hearing {
        duration: kept.len() as f64 * 0.4 + 1.0,
        speech: kept.len() as f64 * 0.3,
        words: kept
            .iter()
            .enumerate()
            .map(|(k, w)| HeardWord {
                text: (*w).clone(),
                start: k as f64 * 0.4,
                end: k as f64 * 0.4 + 0.3,
                confidence: 0.9,
            })
            .collect(),
        ..Hearing::default()
    };
    let started = std::time::Instant::now();
    let report = analyze(&script, &heard, &AlignOptions::default());
    let elapsed = started.elapsed();
    eprintln!("20,000 words aligned in {elapsed:?}");
    assert_invariants(&report, &script);
    assert_eq!(report.summary.skipped, dropped);
    assert_eq!(report.summary.correct, words.len() - dropped);
    assert_eq!(report.summary.inserted + report.summary.misread, 0);
}

#[test]
fn snapshot_jfk() {
    let script = Script::parse(
        "And so, my fellow Americans, /\nask not what your country can do for you, /\nask what you can do for your country.",
    )
    .unwrap();
    let heard = hearing(
        "and so my fellow americans |1.2 ask not ask not what your country can |1.4 do for you |0.8 ask what uh you can do for your country",
    );
    insta::assert_json_snapshot!("jfk", analyze(&script, &heard, &AlignOptions::default()));
}

#[test]
fn snapshot_cutoff_progressive() {
    let script = Script::parse("montreal forced aligner").unwrap();
    let mut heard = hearing("mon mon uh mon montreal for forced ali hm ali aligner");
    heard.unrecognised.push(Unrecognised { start: 0.05, end: 0.4 });
    insta::assert_json_snapshot!("cutoff_progressive", analyze(&script, &heard, &AlignOptions::default()));
}

#[test]
fn snapshot_numbers_and_slips() {
    let script =
        Script::parse("In 1961 the Dr. said: don't skip the 3rd line.\nM F A is like puddy / and nothing else.")
            .unwrap();
    let heard =
        hearing("in nineteen sixty one the doctor said do not the third line |2.5 m f a is like putty@0.6 and nothing");
    insta::assert_json_snapshot!("numbers_and_slips", analyze(&script, &heard, &AlignOptions::default()));
}

#[test]
fn reports_match_the_documented_schema() {
    let script = Script::parse("montreal forced aligner\nis like puddy").unwrap();
    let mut heard = hearing("mon montreal um forced forced |2.0 extra aligner is like putty");
    heard.unrecognised.push(Unrecognised { start: 0.1, end: 0.3 });
    let report = analyze(&script, &heard, &AlignOptions::default());
    let problems = encore_take::testing::schema_problems(&report);
    assert!(problems.is_empty(), "{problems:#?}");
    let value = serde_json::to_value(&report).unwrap();
    // Every verdict and finding kind appears at least once across the cases above; here, that the
    // report reads back unchanged.
    let back: TakeReport = serde_json::from_value(value).unwrap();
    assert_eq!(back, report);
}
