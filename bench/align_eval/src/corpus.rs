//! The speech corpus as the evaluation sees it: one entry per recording of `manifest.tsv`, with
//! what was said (`.txt`) and, for the designed disfluency recordings, the intended script
//! (`.script.txt`).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// One recording of the corpus.
#[derive(Debug, Clone)]
pub struct Recording {
    /// The file name without `.wav`.
    pub stem: String,
    pub audio: PathBuf,
    /// What was said: the exact text for read speech, the verbatim text with markers for the
    /// designed disfluencies.
    pub said: String,
    /// The intended script of a designed disfluency recording.
    pub script: Option<String>,
    /// `exact-read`, `verbatim-disfluent` or `normalized`.
    pub kind: String,
}

/// The recordings listed in `dir/manifest.tsv`, in its order.
pub fn load(dir: &Path) -> anyhow::Result<Vec<Recording>> {
    let manifest = dir.join("manifest.tsv");
    let text = std::fs::read_to_string(&manifest).with_context(|| format!("cannot read {}", manifest.display()))?;
    let mut rows = text.lines();
    let header: Vec<&str> = rows.next().unwrap_or_default().split('\t').collect();
    let column = |name: &str| header.iter().position(|h| *h == name);
    let (Some(file), Some(kind)) = (column("file"), column("transcript_kind")) else {
        bail!("{} has no `file` and `transcript_kind` columns", manifest.display());
    };
    let mut recordings = Vec::new();
    for row in rows.filter(|r| !r.trim().is_empty()) {
        let fields: Vec<&str> = row.split('\t').collect();
        let name = fields.get(file).copied().unwrap_or_default();
        let stem = name.strip_suffix(".wav").unwrap_or(name).to_string();
        let audio = dir.join("audio").join(name);
        let text = |suffix: &str| std::fs::read_to_string(dir.join("audio").join(format!("{stem}{suffix}"))).ok();
        let Some(said) = text(".txt") else { continue };
        recordings.push(Recording {
            script: text(".script.txt"),
            said,
            audio,
            kind: fields.get(kind).copied().unwrap_or_default().to_string(),
            stem,
        });
    }
    Ok(recordings)
}
