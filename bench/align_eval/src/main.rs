//! `align-eval`: how well the take report finds what really happened, measured on real speech
//! with the real recogniser.
//!
//! 1. The designed disfluency recordings (a verbatim transcript and the intended script):
//!    precision and recall of fillers, repetitions, false starts and insertions.
//! 2. Read speech against its script edited at random (one word removed, added or replaced):
//!    recall of each injected miscue and the false alarms on the untouched words, and the false
//!    alarms with the true scripts.
//! 3. The targets: recall of injected miscues ≥ 0.9, false alarms ≤ 3%, filler F1 ≥ 0.8.
//! 4. The spliced takes of `bench/splice.py` (when made): real read speech of many voices with a
//!    repetition, a false start, a filler or a skip spliced in; the same figures as 1, the
//!    recall of the skips, and the false alarms away from the event.
//!
//! Every figure is given without and with the rescorer (the model asked again about each
//! disagreement). Usage: `align-eval [--corpus DIR] [--limit N] [--seed N] [--no-rescorer]
//! [--bias-to-script] [--verbose] [--model DIR]`. With `--bias-to-script` the recogniser is
//! prompted with the script of each take (the edited script for an edited one), which helps it
//! hear the script's words and may hide real miscues: the figures say which weighs more.

mod corpus;
mod disfluency;
mod edits;
mod listener;
mod spliced;
mod tally;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use encore_align::{AlignOptions, Rescorer};
use encore_script::Script;

use crate::edits::{EDITS, Outcome};
use crate::listener::{Listener, ModelRescorer};
use crate::tally::{Tally, ratio, show, show_percent};

/// The two ways of aligning: as found, and with the rescorer.
const CONFIGS: [&str; 2] = ["without rescorer", "with rescorer"];

struct Options {
    corpus: PathBuf,
    limit: Option<usize>,
    seed: u64,
    rescore: bool,
    /// How sure the model must be that the script was said before a disagreement is withdrawn.
    rescore_threshold: f32,
    verbose: bool,
    model: Option<PathBuf>,
    /// Listen with the script as the decoder's prompt (the edited script for an edited take).
    bias: bool,
    /// The spliced set (`bench/splice.py`), if made.
    spliced: Option<PathBuf>,
    /// A second listener's model directory, asked as the pipeline asks it.
    second: Option<PathBuf>,
}

/// The aligner's options for one configuration: the second one asks the model again.
fn align_options<'a>(options: &Options, rescorer: Option<&'a ModelRescorer<'a>>, config: usize) -> AlignOptions<'a> {
    AlignOptions {
        rescorer: if config == 1 { rescorer.map(|r| r as &dyn Rescorer) } else { None },
        rescore_threshold: options.rescore_threshold,
        ..AlignOptions::default()
    }
}

/// Totals for one configuration.
#[derive(Default)]
struct Totals {
    designed: [Tally; 4],
    designed_any: Tally,
    found: [usize; 3],
    tried: [usize; 3],
    edited_false_alarms: usize,
    edited_untouched: usize,
    true_false_alarms: usize,
    true_untouched: usize,
    asked: usize,
    answered: usize,
    rescored: usize,
    spliced: spliced::Totals,
}

fn main() -> anyhow::Result<()> {
    let options = options()?;
    let started = Instant::now();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut recordings = corpus::load(&options.corpus)?;
    if let Some(limit) = options.limit {
        recordings.truncate(limit);
    }
    let designed: Vec<&corpus::Recording> =
        recordings.iter().filter(|r| r.script.is_some() && r.kind == "verbatim-disfluent").collect();
    let read: Vec<&corpus::Recording> = recordings
        .iter()
        .filter(|r| r.kind == "exact-read")
        .filter(|r| Script::parse(&r.said).is_ok_and(|s| s.len() >= 8))
        .collect();
    // Words of every read transcript, to add or substitute in another recording's script.
    let foreign: Vec<(String, String)> = read
        .iter()
        .flat_map(|r| {
            r.said
                .split_whitespace()
                .map(|w| w.trim_matches(|c: char| !c.is_alphabetic()).to_lowercase())
                .filter(|w| w.chars().count() >= 3 && w.chars().all(char::is_alphabetic))
                .map(|w| (r.stem.clone(), w))
                .collect::<Vec<_>>()
        })
        .collect();

    let mut listener =
        Listener::new(root.join("target/align-eval-cache"), options.model.clone(), options.second.clone());
    let mut totals: [Totals; 2] = Default::default();
    let configs = if options.rescore { 2 } else { 1 };

    for recording in &designed {
        let prompt = recording.script.as_deref().filter(|_| options.bias);
        let heard = listener.hear(&recording.audio, &recording.stem, prompt)?;
        let script = Script::parse(recording.script.as_deref().unwrap_or_default())
            .with_context(|| format!("the script of {}", recording.stem))?;
        let reference = disfluency::reference(&script, &recording.said);
        for (config, totals) in totals.iter_mut().enumerate().take(configs) {
            let rescorer = rescorer(&listener, &heard, options.rescore_threshold);
            let align = align_options(&options, rescorer.as_ref(), config);
            let report = encore_align::analyze(&script, &heard.hearing, &align);
            totals.rescored += report.summary.rescored;
            let predicted = disfluency::predicted(&report);
            let (per_kind, any) = disfluency::score(&reference, &predicted);
            for (total, tally) in totals.designed.iter_mut().zip(per_kind) {
                total.add(tally);
            }
            totals.designed_any.add(any);
            tally_questions(totals, rescorer.as_ref(), config);
            if options.verbose {
                let heard_text: Vec<&str> = heard.hearing.words.iter().map(|w| w.text.as_str()).collect();
                eprintln!("{} [{}] heard: {}", recording.stem, CONFIGS[config], heard_text.join(" "));
                eprintln!("  reference: {reference:?}\n  predicted: {predicted:?}");
            }
        }
        listener.save_answers(&heard)?;
    }

    for recording in &read {
        let others: Vec<String> =
            foreign.iter().filter(|(stem, _)| *stem != recording.stem).map(|(_, w)| w.clone()).collect();
        let mut edited: Vec<edits::Edited> = Vec::new();
        for (salt, edit) in EDITS.iter().enumerate() {
            let mut random = edits::Random::new(options.seed, &recording.stem, salt as u64);
            edited.extend(edits::edit(&Script::parse(&recording.said)?, *edit, &mut random, &others));
        }
        // The true script first, then each edited one. Unbiased, the recording is heard once for
        // all of them; biased, it is heard once per script, prompted with that script.
        let takes: Vec<(Option<&edits::Edited>, &str)> = std::iter::once((None, recording.said.as_str()))
            .chain(edited.iter().map(|e| (Some(e), e.text.as_str())))
            .collect();
        let shared = if options.bias { None } else { Some(listener.hear(&recording.audio, &recording.stem, None)?) };
        for (change, text) in takes {
            let own;
            let heard = match &shared {
                Some(heard) => heard,
                None => {
                    own = listener.hear(&recording.audio, &recording.stem, Some(text))?;
                    &own
                }
            };
            for (config, totals) in totals.iter_mut().enumerate().take(configs) {
                let rescorer = rescorer(&listener, heard, options.rescore_threshold);
                let align = align_options(&options, rescorer.as_ref(), config);
                let Some((_, report)) = edits::analyze(text, &heard.hearing, &align) else { continue };
                totals.rescored += report.summary.rescored;
                let outcome = edits::judge(&report, change);
                tally_questions(totals, rescorer.as_ref(), config);
                let Some(change) = change else {
                    totals.true_false_alarms += outcome.false_alarms;
                    totals.true_untouched += outcome.untouched;
                    if options.verbose && outcome.false_alarms > 0 {
                        eprintln!(
                            "{} [{}] true script: {} false alarms: {}",
                            recording.stem,
                            CONFIGS[config],
                            outcome.false_alarms,
                            flagged(&report)
                        );
                    }
                    continue;
                };
                let Outcome { found, false_alarms, untouched } = outcome;
                let slot = EDITS.iter().position(|e| *e == change.edit).unwrap_or(0);
                totals.tried[slot] += 1;
                totals.found[slot] += usize::from(found);
                totals.edited_false_alarms += false_alarms;
                totals.edited_untouched += untouched;
                if options.verbose && (!found || false_alarms > 0) {
                    eprintln!(
                        "{} [{}] {:?} '{}' at {}: found {found}, {false_alarms} false alarms: {}",
                        recording.stem,
                        CONFIGS[config],
                        change.edit,
                        change.word,
                        change.at,
                        flagged(&report)
                    );
                }
            }
            listener.save_answers(heard)?;
        }
    }

    let spliced_takes = match &options.spliced {
        Some(dir) => spliced::load(dir)?,
        None => Vec::new(),
    };
    let mut scored = 0;
    for take in &spliced_takes {
        let Some(source) = recordings.iter().find(|r| r.stem == take.source) else { continue };
        let Ok(script) = Script::parse(&source.said) else { continue };
        if !spliced::placed_in(take, &script) {
            eprintln!("align-eval: {} does not match its script's words; make the set again", take.name);
            continue;
        }
        let prompt = options.bias.then_some(source.said.as_str());
        let heard = listener.hear(&take.audio, &format!("spliced.{}", take.name), prompt)?;
        for (config, totals) in totals.iter_mut().enumerate().take(configs) {
            let rescorer = rescorer(&listener, &heard, options.rescore_threshold);
            let align = align_options(&options, rescorer.as_ref(), config);
            let report = encore_align::analyze(&script, &heard.hearing, &align);
            let judged = spliced::judge(take, &report);
            totals.spliced.add(judged);
            if options.verbose && (judged.false_alarms > 0 || judged.extras.iter().any(|t| t.misses > 0)) {
                eprintln!(
                    "{} [{}] {:?} at {}: {}",
                    take.name,
                    CONFIGS[config],
                    take.splice,
                    take.position,
                    flagged(&report)
                );
            }
        }
        listener.save_answers(&heard)?;
        scored += 1;
    }

    print_results(&options, &totals[..configs], designed.len(), read.len(), &listener, started.elapsed().as_secs_f64());
    if !spliced_takes.is_empty() {
        let header: String = (0..configs).map(|i| format!(" | {:<22}", CONFIGS[i])).collect();
        let spliced: Vec<spliced::Totals> = totals[..configs].iter().map(|t| t.spliced).collect();
        spliced::print(&spliced, &header, &spliced_takes, scored);
    }
    Ok(())
}

/// Adds up what the rescorer was asked and answered.
fn tally_questions(totals: &mut Totals, rescorer: Option<&ModelRescorer>, config: usize) {
    if let (1, Some(rescorer)) = (config, rescorer) {
        totals.asked += rescorer.asked.get();
        totals.answered += rescorer.answered.get();
    }
}

/// The model's rescorer for a recording.
fn rescorer<'a>(listener: &'a Listener, heard: &'a listener::HeardRecording, bar: f32) -> Option<ModelRescorer<'a>> {
    Some(ModelRescorer { listener, heard, bar, asked: Default::default(), answered: Default::default() })
}

/// The entries of a report that are not plain correct words, for the verbose log.
fn flagged(report: &encore_take::TakeReport) -> String {
    report
        .words
        .iter()
        .filter(|w| w.verdict != encore_take::Verdict::Correct)
        .map(|w| format!("{:?}({}|{})", w.verdict, w.text.as_deref().unwrap_or("-"), w.heard.as_deref().unwrap_or("-")))
        .collect::<Vec<_>>()
        .join(" ")
}

fn print_results(
    options: &Options,
    totals: &[Totals],
    designed: usize,
    read: usize,
    listener: &Listener,
    seconds: f64,
) {
    println!(
        "align-eval: {} ({designed} designed disfluency recordings, {read} read recordings with ≥ 8 words){}; listened {}, from cache {}; {seconds:.0} s",
        options.corpus.display(),
        if options.bias { ", heard with the script as prompt" } else { "" },
        listener.listened.get(),
        listener.cached
    );
    let header: String = totals.iter().enumerate().map(|(i, _)| format!(" | {:<22}", CONFIGS[i])).collect();
    println!("\n1. Designed disfluencies: extra words by kind and place (±1 script word)");
    let designed: Vec<[Tally; 4]> = totals.iter().map(|t| t.designed).collect();
    disfluency::print_by_kind(&designed, &header);
    let truth = totals[0].designed_any.hits + totals[0].designed_any.misses;
    let cells: String = totals
        .iter()
        .map(|t| {
            format!(
                " | {:<6} {:<6} {:<8}",
                show(t.designed_any.precision()),
                show(t.designed_any.recall()),
                show(t.designed_any.f1())
            )
        })
        .collect();
    println!("{:<16} {truth:>5}{cells}", "any extra word");

    println!("\n2. Read speech, scripts edited at random (seed {})", options.seed);
    println!("{:<34}{header}", "");
    for (slot, edit) in EDITS.iter().enumerate() {
        let cells: String = totals
            .iter()
            .map(|t| {
                format!(
                    " | {:<22}",
                    format!(
                        "recall {} ({}/{})",
                        show(ratio(t.found[slot], t.tried[slot])),
                        t.found[slot],
                        t.tried[slot]
                    )
                )
            })
            .collect();
        println!("{:<34}{cells}", edit.name());
    }
    let rate = |alarms: usize, words: usize| format!("{} ({alarms}/{words})", show_percent(ratio(alarms, words)));
    let cells: String =
        totals.iter().map(|t| format!(" | {:<22}", rate(t.edited_false_alarms, t.edited_untouched))).collect();
    println!("{:<34}{cells}", "false alarms, edited scripts");
    let cells: String =
        totals.iter().map(|t| format!(" | {:<22}", rate(t.true_false_alarms, t.true_untouched))).collect();
    println!("{:<34}{cells}", "false alarms, true scripts");

    println!("\n3. Targets");
    println!("{:<34}{header}", "");
    let verdict = |value: Option<f64>, ok: bool| format!("{} {}", show(value), if ok { "met" } else { "NOT met" });
    let cells: String = totals
        .iter()
        .map(|t| {
            let recall = ratio(t.found.iter().sum(), t.tried.iter().sum());
            format!(" | {:<22}", verdict(recall, recall.is_some_and(|r| r >= 0.9)))
        })
        .collect();
    println!("{:<34}{cells}", "recall of injected miscues ≥ 0.90");
    let cells: String = totals
        .iter()
        .map(|t| {
            let rate = ratio(t.edited_false_alarms + t.true_false_alarms, t.edited_untouched + t.true_untouched);
            format!(
                " | {:<22}",
                format!("{} {}", show_percent(rate), if rate.is_some_and(|r| r <= 0.03) { "met" } else { "NOT met" })
            )
        })
        .collect();
    println!("{:<34}{cells}", "false alarms ≤ 3%");
    let cells: String = totals
        .iter()
        .map(|t| {
            let f1 = t.designed[0].f1();
            format!(" | {:<22}", verdict(f1, f1.is_some_and(|f| f >= 0.8)))
        })
        .collect();
    println!("{:<34}{cells}", "filler F1 ≥ 0.80");
    if let [without, with] = totals {
        println!(
            "\nrescorer: asked {} times, an opinion {} times; verdicts changed: {} (without: {})",
            with.asked, with.answered, with.rescored, without.rescored
        );
    }
}

fn options() -> anyhow::Result<Options> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let shared = root.join("../shared/corpus");
    let mut options = Options {
        corpus: if shared.join("manifest.tsv").is_file() { shared } else { root.join("tests/corpus") },
        limit: None,
        seed: 7,
        rescore: true,
        rescore_threshold: AlignOptions::default().rescore_threshold,
        verbose: false,
        model: None,
        bias: false,
        spliced: Some(root.join("bench/.cache/spliced")).filter(|dir| dir.join("spliced.tsv").is_file()),
        second: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().with_context(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--corpus" => options.corpus = PathBuf::from(value("--corpus")?),
            "--limit" => options.limit = Some(value("--limit")?.parse().context("--limit takes a number")?),
            "--seed" => options.seed = value("--seed")?.parse().context("--seed takes a number")?,
            "--model" => options.model = Some(PathBuf::from(value("--model")?)),
            "--no-rescorer" => options.rescore = false,
            "--rescore-threshold" => {
                options.rescore_threshold =
                    value("--rescore-threshold")?.parse().context("--rescore-threshold takes a number")?
            }
            "--verbose" => options.verbose = true,
            "--bias-to-script" => options.bias = true,
            "--spliced" => options.spliced = Some(PathBuf::from(value("--spliced")?)),
            "--no-spliced" => options.spliced = None,
            "--second-listener" => options.second = Some(PathBuf::from(value("--second-listener")?)),
            "--help" | "-h" => {
                println!(
                    "align-eval [--corpus DIR] [--limit N] [--seed N] [--no-rescorer] [--rescore-threshold P] [--bias-to-script] [--verbose] [--model DIR] [--second-listener DIR] [--spliced DIR | --no-spliced]\n\
                     Evaluates the take report on the speech corpus (default ../shared/corpus, else tests/corpus)\n\
                     and on the spliced set of bench/splice.py (default bench/.cache/spliced, when made)."
                );
                std::process::exit(0);
            }
            other => bail!("unknown argument {other}; see --help"),
        }
    }
    Ok(options)
}
