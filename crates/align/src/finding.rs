//! The few reasons that matter most. A take can have dozens of small slips; a coach names the two
//! or three that cost the most, in plain words and placed on the script. Each candidate finding
//! gets a cost (a skipped word costs more than a filler, a long pause more than a short one) and
//! the costliest are kept.

use encore_script::Script;
use encore_take::{Finding, FindingKind, TakeReport, TakeWord, Verdict, costliest, round};

/// The two or three findings that cost the most, costliest first.
pub fn findings(report: &TakeReport, script: &Script) -> Vec<Finding> {
    let word = |index: usize| -> String { script.words().get(index).map(|w| w.bare().to_string()).unwrap_or_default() };
    let mut found: Vec<Finding> = Vec::new();
    let mut push = |kind, script_index: Option<usize>, cost: f64, message: String| {
        let line = script_index.and_then(|index| script.words().get(index)).map(|w| w.line);
        let message = match line {
            Some(line) => format!("{message} in line {line}"),
            None => message,
        };
        found.push(Finding { kind, script_index, line, cost: round(cost, 2), message });
    };

    let entries = &report.words;
    let mut at = 0;
    while at < entries.len() {
        let entry = &entries[at];
        let run_end = run(entries, at, entry.verdict);
        match entry.verdict {
            Verdict::Skipped => {
                let words: Vec<String> = entries[at..run_end].iter().filter_map(|e| e.script_index).map(word).collect();
                let count = words.len() as f64;
                push(
                    FindingKind::Skipped,
                    entry.script_index,
                    count.min(5.0),
                    format!("you skipped '{}'", words.join(" ")),
                );
            }
            Verdict::Misread => {
                for e in &entries[at..run_end] {
                    let heard = e.heard.clone().unwrap_or_default();
                    let said = e.script_index.map(word).unwrap_or_default();
                    let cost = if e.uncertain { 0.4 } else { 0.8 };
                    push(FindingKind::Misread, e.script_index, cost, format!("you said '{heard}' for '{said}'"));
                }
            }
            Verdict::Inserted => {
                let words: Vec<String> =
                    entries[at..run_end].iter().filter(|e| !e.rescored).filter_map(|e| e.heard.clone()).collect();
                if !words.is_empty() {
                    let next = next_script_index(entries, run_end);
                    let place = next.map(|i| format!(" before '{}'", word(i))).unwrap_or_default();
                    push(
                        FindingKind::Inserted,
                        next,
                        0.6 * (words.len() as f64).min(3.0),
                        format!("you added '{}'{place}", words.join(" ")),
                    );
                }
            }
            Verdict::Repeated => {
                let words: Vec<String> = entries[at..run_end].iter().filter_map(|e| e.heard.clone()).collect();
                push(
                    FindingKind::Repeated,
                    entry.relates_to,
                    0.5,
                    format!("you went back and repeated '{}'", words.join(" ")),
                );
            }
            _ => {}
        }
        at = run_end;
    }

    // False starts count per word attempted, wherever they fell: "3 false starts on 'montreal'".
    let mut attempts: Vec<(usize, usize)> = Vec::new();
    for target in entries.iter().filter(|e| e.verdict == Verdict::FalseStart).filter_map(|e| e.relates_to) {
        match attempts.iter_mut().find(|(t, _)| *t == target) {
            Some((_, count)) => *count += 1,
            None => attempts.push((target, 1)),
        }
    }
    for (target, count) in attempts {
        let said = word(target);
        let message =
            if count == 1 { format!("a false start on '{said}'") } else { format!("{count} false starts on '{said}'") };
        push(FindingKind::FalseStart, Some(target), 0.4 * (count as f64).min(4.0), message);
    }

    let fillers: Vec<&TakeWord> = entries.iter().filter(|e| e.verdict == Verdict::Filler).collect();
    if !fillers.is_empty() {
        let mut kinds: Vec<String> =
            fillers.iter().filter_map(|e| e.heard.as_deref()).map(|h| h.to_lowercase()).collect();
        kinds.sort();
        kinds.dedup();
        let message = if fillers.len() == 1 {
            format!("a filler ('{}')", kinds.join("', '"))
        } else {
            format!("{} fillers ('{}')", fillers.len(), kinds.join("', '"))
        };
        push(FindingKind::Fillers, None, 0.3 * fillers.len() as f64, message);
    }

    for hesitation in &report.hesitations {
        let place = hesitation.before_script_index.map(|i| format!(" before '{}'", word(i))).unwrap_or_default();
        push(
            FindingKind::Hesitation,
            hesitation.before_script_index,
            0.5 * hesitation.duration,
            format!("a {:.1} s pause{place}", hesitation.duration),
        );
    }

    for stumble in &report.stumbles {
        let place = stumble.before_script_index.map(|i| format!(" before '{}'", word(i))).unwrap_or_default();
        push(FindingKind::Stumble, stumble.before_script_index, 0.5, format!("unclear speech{place}"));
    }

    costliest(found)
}

/// The end of the run of entries with the same verdict starting at `at`; a repeated phrase or a
/// string of skipped words is one finding.
fn run(entries: &[TakeWord], at: usize, verdict: Verdict) -> usize {
    let mut end = at + 1;
    let groups = matches!(verdict, Verdict::Skipped | Verdict::Inserted | Verdict::Repeated);
    while groups && end < entries.len() && entries[end].verdict == verdict {
        end += 1;
    }
    end
}

fn next_script_index(entries: &[TakeWord], from: usize) -> Option<usize> {
    entries[from..].iter().find_map(|e| e.script_index)
}
