//! The take report as one HTML page that needs nothing else: the script with every verdict
//! styled, hesitations as gaps, the numbers and the findings, and the take's audio embedded, so
//! that clicking (or pressing Enter on) a word plays the take from that word. The page can be
//! mailed to a teacher or opened on a phone; it loads nothing from anywhere. How the take sounded
//! (pitch and loudness under the words) is drawn by [`contour`].

mod contour;
mod movement;

use std::fmt::Write;

use encore_audio::Audio;
use encore_script::Script;
use encore_take::{TakeReport, TakeWord, Verdict};

use super::{Mark, count, lines, percent, shown};

/// The whole page. `title` names the take (usually the audio file's name).
pub fn render(report: &TakeReport, script: &Script, audio: &Audio, title: &str) -> String {
    let mut body = String::new();
    let mut previous: Option<usize> = None;
    // Where playback starts for a word with no time of its own (a skipped word): where the
    // performer was when it should have come.
    let mut last_time = 0.0f64;
    for line in lines(report) {
        let blank = if previous.is_some_and(|p| line.number > p + 1) { " gap" } else { "" };
        previous = Some(line.number);
        let _ = write!(body, "<p class=\"line{blank}\">");
        for mark in &line.marks {
            match mark {
                Mark::Word(word) => {
                    body.push_str(&word_button(word, last_time));
                    last_time = word.end.unwrap_or(last_time);
                }
                Mark::Again(words) => {
                    let heard: Vec<&str> = words.iter().map(|w| w.heard.as_deref().unwrap_or("")).collect();
                    let heard = escape(&heard.join(" "));
                    let start = words.first().and_then(|w| w.start).unwrap_or(last_time);
                    last_time = words.last().and_then(|w| w.end).unwrap_or(last_time);
                    let _ = write!(
                        body,
                        "<button class=\"w extra again\" data-t=\"{start:.2}\" aria-label=\"said again: {heard}\" title=\"said again\">{heard}</button>"
                    );
                }
                Mark::Pause(seconds) => {
                    // The gap grows with the pause, within reason.
                    let width = (seconds * 1.2).clamp(1.5, 6.0);
                    let _ = write!(
                        body,
                        "<span class=\"pause\" style=\"width:{width:.1}em\" role=\"img\" aria-label=\"a {seconds:.1} second pause\" title=\"{seconds:.1} s pause\">{seconds:.1}s</span>"
                    );
                }
                Mark::Unclear => body.push_str(
                    "<span class=\"unclear\" role=\"img\" aria-label=\"unclear speech\" title=\"speech with no word heard: a possible stumble\">?</span>",
                ),
            }
            body.push(' ');
        }
        body.push_str("</p>\n");
    }

    let s = &report.summary;
    let numbers = [
        (percent(s.accuracy), "accuracy"),
        (percent(s.completeness), "completeness"),
        (format!("{:.0}", s.wcpm), "words correct per minute"),
        (format!("{:.0}", s.wpm), "words per minute"),
    ];
    let mut summary = String::new();
    for (value, label) in numbers {
        let _ = write!(summary, "<div><dt>{label}</dt><dd>{value}</dd></div>");
    }
    let mut counts = super::counts(s, script.len());
    counts.push(count(s.stumbles, "unclear stretch", "unclear stretches"));
    let counts = counts.iter().map(|c| escape(c)).collect::<Vec<_>>().join(" · ");

    let mut findings = String::new();
    if report.findings.is_empty() {
        findings.push_str("<p>Nothing stood out: a clean take.</p>");
    } else {
        findings.push_str("<ol>");
        for finding in &report.findings {
            let _ = write!(findings, "<li>{}</li>", escape(&finding.message));
        }
        findings.push_str("</ol>");
    }

    // A report made before Encore measured delivery has no figure, and its page is as it was.
    let delivery = contour::section(report);
    let (delivery_style, delivery_script) =
        if delivery.is_some() { (contour::STYLE, contour::SCRIPT) } else { ("", "") };
    let delivery = delivery.unwrap_or_default();
    // How it looked, for a take recorded with the camera on.
    let looked = movement::section(report);
    let looked_style = if looked.is_some() { movement::STYLE } else { "" };
    let looked = looked.unwrap_or_default();

    let title = escape(title);
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="encore {version}">
<title>{title} · Encore</title>
<style>{STYLE}{delivery_style}{looked_style}</style>
</head>
<body>
<main>
<header><h1>{title}</h1><p class="hint">Click or tab to a word to hear the take from there.</p></header>
<audio controls preload="auto" src="{audio}"></audio>
<section class="script" aria-label="The script as performed">
{body}</section>
{delivery}{looked}<section aria-label="Summary"><dl class="numbers">{summary}</dl><p class="counts">{counts}</p></section>
<section><h2>What mattered most</h2>{findings}</section>
<footer class="key" aria-label="Key">
<span class="w misread">misread<small>heard</small></span>
<span class="w skipped"><s>skipped</s></span>
<span class="w extra inserted">added</span>
<span class="w extra filler">filler</span>
<span class="w extra again">said again</span>
<span class="w extra false_start">false start</span>
<span class="pause" style="width:2em">pause</span>
<span class="unclear">?</span> unclear speech
</footer>
</main>
<script>{SCRIPT}{delivery_script}</script>
</body>
</html>
"#,
        version = env!("CARGO_PKG_VERSION"),
        audio = audio.to_wav_data_uri(),
    )
}

/// A word as a button that plays the take from it.
fn word_button(word: &TakeWord, fallback_start: f64) -> String {
    let start = word.start.unwrap_or(fallback_start);
    let end = word.end.map(|e| format!(" data-e=\"{e:.2}\"")).unwrap_or_default();
    let text = escape(shown(word));
    let heard = escape(word.heard.as_deref().unwrap_or(""));
    let doubt = if word.uncertain { " uncertain" } else { "" };
    let (class, label, inner) = match word.verdict {
        Verdict::Correct => ("ok", String::new(), text.clone()),
        Verdict::Misread => ("misread", format!("{text}, misread as {heard}"), format!("{text}<small>{heard}</small>")),
        Verdict::Skipped => ("skipped", format!("{text}, skipped"), format!("<s>{text}</s>")),
        Verdict::Inserted => ("extra inserted", format!("added: {heard}"), heard.clone()),
        Verdict::Filler => ("extra filler", format!("filler: {heard}"), heard.clone()),
        Verdict::Repeated => ("extra again", format!("said again: {heard}"), heard.clone()),
        Verdict::FalseStart => ("extra false_start", format!("false start: {heard}"), heard.clone()),
    };
    let label = if label.is_empty() { String::new() } else { format!(" aria-label=\"{label}\" title=\"{label}\"") };
    format!("<button class=\"w {class}{doubt}\" data-t=\"{start:.2}\"{end}{label}>{inner}</button>")
}

/// Text safe inside HTML elements and attribute values.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root{--ink:#222;--paper:#fdfcf9;--quiet:#777;--line:#e6e2da;--miss:#b4541a;--skip:#b02a37;--add:#2f7d4f;--fill:#3a7ca5;--again:#5a5fb0;--false:#8a4f9e;--now:#fff2b3}
@media (prefers-color-scheme:dark){:root{--ink:#e8e6e1;--paper:#1b1b1d;--quiet:#9a968f;--line:#333;--miss:#e59a5c;--skip:#ef7b86;--add:#7cc79a;--fill:#7db8dc;--again:#a3a7ea;--false:#c99be0;--now:#5a4a12}}
*{box-sizing:border-box}
body{margin:0;background:var(--paper);color:var(--ink);font:1.05rem/1.6 Georgia,"Iowan Old Style",serif}
main{max-width:42rem;margin:0 auto;padding:1.5rem 1rem 3rem}
h1{font-size:1.3rem;margin:0}h2{font-size:1.05rem;margin:2rem 0 .5rem}
.hint,.counts,footer{color:var(--quiet);font:.85rem/1.5 system-ui,sans-serif}
audio{width:100%;margin:1rem 0}
.script{font-size:1.2rem;line-height:2.3}
.line{margin:0 0 .4rem}.line.gap{margin-top:1.4rem}
.w{font:inherit;color:inherit;background:none;border:0;border-radius:.25rem;padding:0 .1rem;margin:0;cursor:pointer;position:relative}
.w:hover{background:var(--line)}.w:focus-visible{outline:2px solid var(--fill);outline-offset:1px}
.w.now{background:var(--now)}
.misread{color:var(--miss);text-decoration:underline wavy;text-underline-offset:.3em}
.misread small{position:absolute;left:0;top:-1.35em;font:.7rem system-ui,sans-serif;white-space:nowrap;color:var(--miss)}
.skipped{color:var(--skip)}.skipped s{text-decoration-thickness:1px}
.extra{font-size:.8em;font-style:italic;vertical-align:.15em}
.inserted{color:var(--add)}.inserted::before,.inserted::after{content:"+"}
.filler{color:var(--fill)}
.again{color:var(--again)}.again::before{content:"↺ "}
.false_start{color:var(--false)}.false_start::after{content:"–"}
.uncertain{opacity:.7}
.pause{display:inline-block;vertical-align:middle;border-bottom:1px dotted var(--quiet);color:var(--quiet);font:.65rem system-ui,sans-serif;text-align:center;line-height:1}
.unclear{color:var(--quiet);font:.8rem system-ui,sans-serif;border:1px dashed var(--quiet);border-radius:50%;padding:0 .3em}
.numbers{display:grid;grid-template-columns:repeat(auto-fit,minmax(8rem,1fr));gap:.5rem;margin:2rem 0 .5rem}
.numbers div{border-top:1px solid var(--line);padding-top:.4rem}
.numbers dt{font:.8rem system-ui,sans-serif;color:var(--quiet)}.numbers dd{margin:0;font-size:1.5rem}
ol{padding-left:1.3rem}
footer{margin-top:2.5rem;border-top:1px solid var(--line);padding-top:.8rem}
footer .w{cursor:default;margin-right:.6rem}
"#;

const SCRIPT: &str = r#"
const audio=document.querySelector("audio");
const words=[...document.querySelectorAll(".script .w[data-e]")];
document.querySelector(".script").addEventListener("click",e=>{
  const b=e.target.closest("button[data-t]");if(!b)return;
  audio.currentTime=parseFloat(b.dataset.t);audio.play();
});
let shown=null;
audio.addEventListener("timeupdate",()=>{
  const t=audio.currentTime;
  const w=words.find(w=>t>=parseFloat(w.dataset.t)&&t<parseFloat(w.dataset.e));
  if(w!==shown){if(shown)shown.classList.remove("now");if(w)w.classList.add("now");shown=w;}
});
"#;

#[cfg(test)]
mod tests {
    use encore_align::{AlignOptions, analyze};
    use encore_take::{HeardWord, Hearing};

    use super::*;

    #[test]
    fn the_page_stands_alone() {
        let script = Script::parse("ask not <what> your country").unwrap();
        let words = ["ask", "not", "your", "nation"]
            .iter()
            .enumerate()
            .map(|(i, w)| HeardWord {
                text: w.to_string(),
                start: 0.5 + i as f64 * 0.4,
                end: 0.8 + i as f64 * 0.4,
                confidence: 0.9,
            })
            .collect();
        let hearing = Hearing { duration: 3.0, speech: 2.0, words, ..Hearing::default() };
        let report = analyze(&script, &hearing, &AlignOptions::default());
        let page = render(&report, &script, &Audio { samples: vec![0.0; 48_000] }, "take <1>.wav");
        assert!(page.contains("data:audio/wav;base64,UklGR"));
        assert!(page.contains("take &lt;1&gt;.wav"));
        assert!(page.contains("<s>&lt;what&gt;</s>"), "a skipped word, escaped");
        assert!(page.contains("country<small>nation</small>"));
        assert!(page.contains("data-t=\"0.50\""));
        for external in ["http://", "https://", "<link", "src=\"/", "@import"] {
            assert!(!page.contains(external), "{external}");
        }
        assert!(report.delivery.is_none() && !page.contains("data-contour"), "no delivery, no figure");
    }

    #[test]
    fn the_delivery_is_drawn_under_the_script() {
        let (script, mut report) = (crate::report::csv::sample::script(), crate::report::csv::sample::report());
        report.delivery = Some(encore_take::Delivery {
            f0_median_hz: Some(150.0),
            pitch_range_st: Some(4.0),
            loudness_db: Some(-20.0),
            flat: false,
            lines: Vec::new(),
            contour: encore_take::Contour { hop: 0.01, f0_hz: vec![Some(150.0); 100], loudness_db: vec![-20.0; 100] },
        });
        let page = render(&report, &script, &Audio { samples: vec![0.0; 16_000] }, "take");
        let (script_at, figure_at) = (page.find("class=\"script\"").unwrap(), page.find("data-contour").unwrap());
        assert!(script_at < figure_at && figure_at < page.find("aria-label=\"Summary\"").unwrap());
        assert!(page.contains("Pitch around 150 Hz"));
        for external in ["http://", "https://", "<link", "@import"] {
            assert!(!page.contains(external), "{external}");
        }
    }
}
