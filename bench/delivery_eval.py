#!/usr/bin/env python3
"""The delivery bench: Encore's pitch tracker against Praat, and its delivery findings on real
voices whose answers are known.

Four parts, each a table (markdown on stdout):
  1. pitch against Praat over the corpus: of the frames both call voiced, the share within 50
     cents of Praat (target >= 95%); voicing agreement over all compared frames (target >= 92%);
     gross errors (> 20% off) by file, worst first; per transcript kind too;
  2. controlled truth: real recordings pitch-shifted by sox (+-200, +-400 cents); the shift our
     contour measures, against the one applied (within +-25 cents), Praat measured the same way;
  3. delivery findings through `encore analyze --json`: multi-line takes made of one speaker's
     exact-read recordings (and the three LibriVox sonnets), flattened, trailing off at the end of
     one line (its last second 12 dB quieter) or rushing one line (sox tempo 1.4); right / total,
     and the flags raised on untouched lines;
  4. speed: the contour's real-time factor against Praat's to_pitch on the same files, one core.

Encore's contour comes from `target/release/examples/contour` (one JSON line per file with the
seconds it took); Praat from praat-parselmouth, `Sound(path).to_pitch(time_step=0.01)` (the
autocorrelation method, floor 75 Hz, ceiling 600 Hz). Run `bash bench/setup.sh` first (the venv
with parselmouth, and sox).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib as bl  # noqa: E402

SHIFTS = (-400, -200, 200, 400)
SHIFT_TOLERANCE = 25.0  # cents
WITHIN_CENTS = 50.0
GROSS_RATIO = 0.20
TARGET_WITHIN = 0.95
TARGET_VOICING = 0.92
TARGET_RTF = 500.0
TRAIL_DB = 12.0
TRAIL_SECONDS = 1.0
RUSH_TEMPO = 1.4
GAP_SECONDS = 0.6
LEAD_SECONDS = 0.5
FLAGS = ("flat", "trailing_off", "rushing", "dragging", "no_pause_after", "no_rise_at")


# --------------------------------------------------------------------------- environment


def reexec_with_parselmouth() -> None:
    """If parselmouth or numpy is not importable here but bench/.venv has them, re-run there."""
    try:
        import numpy  # noqa: F401
        import parselmouth  # noqa: F401

        return
    except ImportError:
        pass
    in_venv = Path(sys.prefix).resolve() == bl.VENV_PYTHON.parent.parent.resolve()
    if bl.VENV_PYTHON.exists() and not in_venv and not os.environ.get("ENCORE_BENCH_REEXEC"):
        os.environ["ENCORE_BENCH_REEXEC"] = "1"
        os.execv(str(bl.VENV_PYTHON), [str(bl.VENV_PYTHON), *sys.argv])
    sys.exit("delivery_eval: numpy and parselmouth are not importable (run: bash bench/setup.sh)")


def contour_bin() -> Path:
    """ENCORE_CONTOUR, default target/release/examples/contour in the repository."""
    raw = os.environ.get("ENCORE_CONTOUR")
    return Path(raw).resolve() if raw else bl.REPO_ROOT / "target" / "release" / "examples" / "contour"


# --------------------------------------------------------------------------- audio


def read_wav(path: Path):
    import numpy as np

    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise ValueError(f"{path}: expected 16-bit mono")
        rate = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64) / 32768.0
    return x, rate


def write_wav(path: Path, x, rate: int) -> None:
    import numpy as np

    peak = float(np.max(np.abs(x))) if len(x) else 0.0
    if peak > 0.999:
        x = x * (0.999 / peak)
    pcm = np.round(x * 32767.0).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def speech_bounds(x, rate: int) -> tuple[int, int]:
    """First and last sample of the speech: 10 ms frames whose level is over both the recording's
    noise floor (its 10th-percentile frame) + 12 dB and its loudest frame - 40 dB."""
    import numpy as np

    n = int(rate * 0.01)
    frames = len(x) // n
    if frames == 0:
        return 0, len(x)
    rms = np.sqrt(np.mean(x[: frames * n].reshape(frames, n) ** 2, axis=1) + 1e-12)
    db = 20 * np.log10(rms)
    threshold = max(float(np.percentile(db, 10)) + 12.0, float(db.max()) - 40.0)
    loud = np.nonzero(db > threshold)[0]
    if len(loud) == 0:
        return 0, len(x)
    return int(loud[0] * n), int(min(len(x), (loud[-1] + 1) * n))


def sox(args: list[str]) -> None:
    r = subprocess.run(["sox", *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"sox {' '.join(args)}: {r.stderr.strip()[:300]}")


# --------------------------------------------------------------------------- trackers


def run_contour(paths: list[Path], chunk: int = 40) -> dict[str, dict]:
    """Encore's contour of each file: {path: {"duration","seconds","hop","f0"}}; f0 with NaN unvoiced."""
    import numpy as np

    binary = contour_bin()
    out: dict[str, dict] = {}
    for i in range(0, len(paths), chunk):
        part = [str(p) for p in paths[i:i + chunk]]
        r = subprocess.run([str(binary), *part], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"{binary} failed ({r.returncode}): {r.stderr.strip()[-400:]}")
        for line in r.stdout.splitlines():
            d = json.loads(line)
            f0 = np.array([np.nan if v is None else float(v) for v in d["f0_hz"]])
            out[d["file"]] = {"duration": d["duration"], "seconds": d["seconds"], "hop": d["hop"], "f0": f0,
                              "loudness": np.array(d["loudness_db"], dtype=float)}
    return out


def run_praat(path: Path) -> dict:
    """Praat's pitch of one file: frame times, f0 with NaN unvoiced, and the seconds to_pitch took."""
    import numpy as np
    import parselmouth

    sound = parselmouth.Sound(str(path))
    t0 = time.perf_counter()
    c0 = time.process_time()
    pitch = sound.to_pitch(time_step=0.01)
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0
    f0 = pitch.selected_array["frequency"].astype(float)
    f0[f0 <= 0] = np.nan
    return {"times": np.asarray(pitch.xs(), dtype=float), "f0": f0, "seconds": seconds, "cpu": cpu,
            "duration": sound.duration}


def on_our_grid(praat: dict, ours: dict):
    """Praat's frames paired with ours: for each Praat frame time t, our frame round(t / hop)."""
    import numpy as np

    idx = np.round(praat["times"] / ours["hop"]).astype(int)
    keep = (idx >= 0) & (idx < len(ours["f0"]))
    return praat["f0"][keep], ours["f0"][idx[keep]], praat["times"][keep]


# --------------------------------------------------------------------------- 1. pitch against Praat


def compare_file(praat: dict, ours: dict) -> dict:
    import numpy as np

    p, o, t = on_our_grid(praat, ours)
    pv, ov = ~np.isnan(p), ~np.isnan(o)
    both = pv & ov
    cents = 1200 * np.log2(o[both] / p[both])
    ratio = o[both] / p[both]
    gross = np.abs(ratio - 1) > GROSS_RATIO
    gt = t[both][gross]
    return {
        "frames": int(len(p)), "agree": int(np.sum(pv == ov)), "both": int(both.sum()),
        "ours_only": int(np.sum(ov & ~pv)), "praat_only": int(np.sum(pv & ~ov)),
        "within": int(np.sum(np.abs(cents) <= WITHIN_CENTS)), "gross": int(gross.sum()),
        "gross_high": int(np.sum(ratio[gross] > 1)), "abs_cents": [float(c) for c in np.abs(cents)],
        "gross_examples": [(round(float(a), 2), round(float(b), 1), round(float(c), 1))
                           for a, b, c in zip(gt[:5], o[both][gross][:5], p[both][gross][:5])],
    }


def summarise_pitch(files: list[dict]) -> dict:
    s = {k: sum(f["cmp"][k] for f in files) for k in ("frames", "agree", "both", "ours_only", "praat_only",
                                                       "within", "gross")}
    s["files"] = len(files)
    s["within_share"] = s["within"] / s["both"] if s["both"] else None
    s["voicing_agreement"] = s["agree"] / s["frames"] if s["frames"] else None
    s["gross_share"] = s["gross"] / s["both"] if s["both"] else None
    s["median_abs_cents"] = bl.median([c for f in files for c in f["cmp"]["abs_cents"]])
    return s


def pitch_part(rows: list[dict], ours: dict, praat: dict) -> dict:
    files = []
    for row in rows:
        key = str(row["path"])
        files.append({"file": row["file"], "kind": row["transcript_kind"], "seconds": row["seconds"],
                      "cmp": compare_file(praat[key], ours[key])})
    out = {"all": summarise_pitch(files), "by_kind": {}}
    for kind in dict.fromkeys(f["kind"] for f in files):
        out["by_kind"][kind] = summarise_pitch([f for f in files if f["kind"] == kind])
    worst = [f for f in files if f["cmp"]["gross"]]
    worst.sort(key=lambda f: (f["cmp"]["gross"] / f["cmp"]["both"], f["cmp"]["gross"]), reverse=True)
    out["worst"] = [{"file": f["file"], "kind": f["kind"], "both_voiced": f["cmp"]["both"],
                     "gross": f["cmp"]["gross"], "gross_share": f["cmp"]["gross"] / f["cmp"]["both"],
                     "ours_higher": f["cmp"]["gross_high"], "examples": f["cmp"]["gross_examples"]}
                    for f in worst[:10]]
    out["files_with_gross"] = len(worst)
    out["files"] = [{"file": f["file"], "kind": f["kind"],
                     **{k: v for k, v in f["cmp"].items() if k != "abs_cents"}} for f in files]
    return out


# --------------------------------------------------------------------------- 2. controlled truth


def measured_shift(orig, shifted, max_lag: int = 5) -> float | None:
    """The shift from `orig` to `shifted` in cents: the median over the frames voiced in both of
    their ratio, at the frame lag (|lag| <= 5, sox's pitch effect delays a little) whose ratios
    spread least (median absolute deviation) - chosen without knowing the true shift."""
    import numpy as np

    best = None
    n = min(len(orig), len(shifted))
    for lag in range(-max_lag, max_lag + 1):
        a = orig[max(0, -lag):n - max(0, lag)]
        b = shifted[max(0, lag):n - max(0, -lag)]
        m = ~np.isnan(a) & ~np.isnan(b)
        if m.sum() < 20:
            continue
        r = 1200 * np.log2(b[m] / a[m])
        med = float(np.median(r))
        mad = float(np.median(np.abs(r - med)))
        if best is None or mad < best[0]:
            best = (mad, med)
    return None if best is None else best[1]


def pick_shift_files(rows: list[dict], n: int, seed: int) -> list[dict]:
    """n exact-read recordings of at least 2 s (no whispers), one per voice first, seeded."""
    rng = random.Random(seed)
    usable = [r for r in rows if r["transcript_kind"] == "exact-read" and r["seconds"] >= 2.0
              and "whisper" not in r["stem"]]
    by_voice: dict[str, list[dict]] = {}
    for r in usable:
        by_voice.setdefault(r["speaker_or_source"], []).append(r)
    voices = sorted(by_voice)
    rng.shuffle(voices)
    for v in voices:
        rng.shuffle(by_voice[v])
    picked: list[dict] = []
    rnd = 0
    while len(picked) < n and any(len(by_voice[v]) > rnd for v in voices):
        for v in voices:
            if len(picked) < n and len(by_voice[v]) > rnd:
                picked.append(by_voice[v][rnd])
        rnd += 1
    return picked


def shift_part(files: list[dict], work: Path, progress: bool) -> dict:
    originals = [f["path"] for f in files]
    shifted = {}
    for f in files:
        for c in SHIFTS:
            dest = work / f"{f['stem']}.pitch{c:+d}.wav"
            sox(["-G", str(f["path"]), str(dest), "pitch", str(c)])
            shifted[(f["file"], c)] = dest
    if progress:
        print(f"  [shift] {len(shifted)} shifted recordings made with sox", file=sys.stderr, flush=True)
    ours = run_contour(originals + list(shifted.values()))
    praat = {str(p): run_praat(p) for p in originals + list(shifted.values())}

    def praat_grid(path):
        import numpy as np

        pr = praat[str(path)]
        out = np.full(int(round(pr["times"][-1] / 0.01)) + 1 if len(pr["times"]) else 0, np.nan)
        out[np.round(pr["times"] / 0.01).astype(int)] = pr["f0"]
        return out

    results = []
    for f in files:
        for c in SHIFTS:
            s = shifted[(f["file"], c)]
            mo = measured_shift(ours[str(f["path"])]["f0"], ours[str(s)]["f0"])
            mp = measured_shift(praat_grid(f["path"]), praat_grid(s))
            results.append({"file": f["file"], "voice": f["speaker_or_source"], "shift": c,
                            "ours_cents": mo, "ours_error": None if mo is None else mo - c,
                            "praat_cents": mp, "praat_error": None if mp is None else mp - c})
    summary = {}
    for c in (*SHIFTS, "all"):
        rs = [r for r in results if c == "all" or r["shift"] == c]
        entry = {"cases": len(rs)}
        for who in ("ours", "praat"):
            errs = [r[f"{who}_error"] for r in rs if r[f"{who}_error"] is not None]
            entry[who] = {
                "measured": len(errs),
                "mean_error": sum(errs) / len(errs) if errs else None,
                "mean_abs_error": sum(abs(e) for e in errs) / len(errs) if errs else None,
                "worst_error": max(errs, key=abs) if errs else None,
                "within": sum(1 for e in errs if abs(e) <= SHIFT_TOLERANCE),
            }
        summary[str(c)] = entry
    return {"files": [f["file"] for f in files], "voices": len({f["speaker_or_source"] for f in files}),
            "summary": summary, "cases": results}


# --------------------------------------------------------------------------- 3. delivery findings


def build_takes(rows: list[dict], corpus: Path, seed: int) -> list[dict]:
    """Multi-line takes: each voice with four or more exact-read recordings of at least 2.5 s
    (the designed mfa_* ones and the long LibriVox readings left out) in seeded groups of five
    (four to six), one recording a line; and the three LibriVox sonnets as they are."""
    rng = random.Random(seed)
    by_voice: dict[str, list[dict]] = {}
    for r in rows:
        if (r["transcript_kind"] == "exact-read" and r["seconds"] >= 2.5 and not r["stem"].startswith("mfa_")
                and r["seconds"] < 30):
            by_voice.setdefault(r["speaker_or_source"], []).append(r)
    takes = []
    for voice in sorted(by_voice):
        rs = sorted(by_voice[voice], key=lambda r: r["file"])
        if len(rs) < 4:
            continue
        rng.shuffle(rs)
        groups = [rs[i:i + 5] for i in range(0, len(rs), 5)]
        if len(groups) > 1 and len(groups[-1]) < 4:
            tail = groups.pop()
            if len(groups[-1]) + len(tail) <= 6:
                groups[-1] += tail
        for k, g in enumerate(groups):
            if len(g) >= 4:
                takes.append({"name": f"{g[0]['stem'].rsplit('_', 1)[0]}_take{k + 1}", "voice": voice,
                              "sources": g, "kind": "concatenated"})
    for r in rows:
        if r["stem"].startswith("librivox_shakespeare_sonnet_"):
            takes.append({"name": r["stem"], "voice": r["speaker_or_source"], "sources": [r], "kind": "sonnet"})
    return takes


def concatenate(take: dict, corpus: Path, work: Path) -> None:
    """Writes the take's WAV and script; take['segments'] = [(start, end)] of each line's speech."""
    import numpy as np

    rate = 16000
    parts = [np.zeros(int(LEAD_SECONDS * rate))]
    segments, texts = [], []
    pos = len(parts[0])
    for k, r in enumerate(take["sources"]):
        x, rate = read_wav(r["path"])
        a, b = speech_bounds(x, rate)
        margin = int(0.05 * rate)
        lo, hi = max(0, a - margin), min(len(x), b + margin)
        seg = x[lo:hi]
        segments.append(((pos + a - lo) / rate, (pos + b - lo) / rate))
        parts.append(seg)
        pos += len(seg)
        gap = np.zeros(int((GAP_SECONDS if k + 1 < len(take["sources"]) else LEAD_SECONDS) * rate))
        parts.append(gap)
        pos += len(gap)
        texts.append(" ".join((corpus / "audio" / f"{r['stem']}.txt").read_text(encoding="utf-8").split()))
    take["audio"] = work / f"{take['name']}.wav"
    take["script"] = work / f"{take['name']}.txt"
    write_wav(take["audio"], np.concatenate(parts), rate)
    take["script"].write_text("\n".join(texts) + "\n", encoding="utf-8")
    take["segments"] = segments
    take["texts"] = texts


def sonnet_segments(take: dict, report: dict) -> None:
    """A sonnet's line times: the original take's report lines, each refined to the speech inside
    it (the energy threshold of speech_bounds over the line +-0.15 s)."""
    x, rate = read_wav(take["audio"])
    segs = {}
    for line in report.get("lines", []):
        if line.get("start") is None or line.get("end") is None:
            continue
        lo = max(0, int((line["start"] - 0.15) * rate))
        hi = min(len(x), int((line["end"] + 0.15) * rate))
        a, b = speech_bounds(x[lo:hi], rate)
        segs[line["line"]] = ((lo + a) / rate, (lo + b) / rate)
    n = len(take["texts"])
    take["segments"] = [segs.get(i + 1) for i in range(n)]


def analyze(audio: Path, script: Path, threads: int) -> dict:
    cmd = [str(bl.encore_bin()), "analyze", "--json", "--threads", str(threads), "--script", str(script), str(audio)]
    r = bl.run_measured(cmd, timeout=600)
    if r["rc"] != 0:
        return {"error": f"exit status {r['rc']}: {' | '.join(r['stderr'].strip().splitlines()[-3:])}",
                "wall_s": r["wall_s"]}
    try:
        doc = json.loads(r["stdout"])
    except json.JSONDecodeError as e:
        return {"error": f"not JSON ({e})", "wall_s": r["wall_s"]}
    doc["wall_s"] = r["wall_s"]
    if not isinstance(doc.get("delivery"), dict):
        doc["error"] = "the report has no delivery object"
    return doc


_SENTENCE_INSIDE = re.compile(r"[.!?][\"'’”)\]]*\s+\S")


def trailing_candidates(take: dict) -> list[int]:
    """Lines (from 1) whose speech lasts 2.6 s or more and that hold one phrase to their end (no
    sentence end inside), so that their last second is the end of a phrase with a body before it.
    (The caller leaves out lines the original take already has trailing off, as for rushing.)"""
    out = []
    for i, (seg, text) in enumerate(zip(take["segments"], take["texts"])):
        if seg and seg[1] - seg[0] >= 2.6 and not _SENTENCE_INSIDE.search(text.strip()):
            out.append(i + 1)
    return out


def rushing_candidates(take: dict) -> list[int]:
    """Lines of five words or more with 1.5 s of speech or more (a line needs four said words to be paced)."""
    return [i + 1 for i, (seg, text) in enumerate(zip(take["segments"], take["texts"]))
            if seg and seg[1] - seg[0] >= 1.5 and len(text.split()) >= 5]


def make_flat(take: dict, dest: Path) -> float:
    """The take resynthesised by Praat with its pitch a constant at its median (overlap-add)."""
    import parselmouth
    from parselmouth.praat import call

    sound = parselmouth.Sound(str(take["audio"]))
    median = call(sound.to_pitch(time_step=0.01), "Get quantile", 0, 0, 0.5, "Hertz")
    manip = call(sound, "To Manipulation", 0.01, 75, 600)
    tier = call(manip, "Extract pitch tier")
    call(tier, "Formula", f"{median}")
    call([tier, manip], "Replace pitch tier")
    out = call(manip, "Get resynthesis (overlap-add)")
    write_wav(dest, out.values[0], int(out.sampling_frequency))
    return median


def make_trailing(take: dict, line: int, dest: Path) -> tuple[float, float]:
    """The last second of the line's speech 12 dB quieter (20 ms ramps)."""
    import numpy as np

    x, rate = read_wav(take["audio"])
    _, end = take["segments"][line - 1]
    a, b = int((end - TRAIL_SECONDS) * rate), int(end * rate)
    ramp = int(0.02 * rate)
    g = np.ones(len(x))
    low = 10 ** (-TRAIL_DB / 20)
    g[a:b] = low
    g[a - ramp:a] = np.linspace(1, low, ramp)
    g[b:b + ramp] = np.linspace(low, 1, len(g[b:b + ramp]))
    write_wav(dest, x * g, rate)
    return end - TRAIL_SECONDS, end


def make_rushing(take: dict, line: int, dest: Path, work: Path) -> tuple[float, float]:
    """The line's speech played 1.4 times faster (sox tempo -s), spliced back in its place."""
    import numpy as np

    x, rate = read_wav(take["audio"])
    start, end = take["segments"][line - 1]
    a, b = int(start * rate), int(end * rate)
    seg_in, seg_out = work / "rush_in.wav", work / "rush_out.wav"
    write_wav(seg_in, x[a:b], rate)
    sox([str(seg_in), str(seg_out), "tempo", "-s", str(RUSH_TEMPO)])
    fast, _ = read_wav(seg_out)
    write_wav(dest, np.concatenate([x[:a], fast, x[b:]]), rate)
    return start, end


def line_flags(line: dict) -> dict:
    return {"flat": bool(line.get("flat")), "trailing_off": bool(line.get("trailing_off")),
            "rushing": bool(line.get("rushing")), "dragging": bool(line.get("dragging")),
            "no_pause_after": bool(line.get("no_pause_after")), "no_rise_at": bool(line.get("no_rise_at"))}


def tempo_ratios(report: dict) -> dict[int, float]:
    """Each line's wpm over the median line's (the rule behind rushing and dragging: lines with 4+ said words)."""
    paced = [(ln["line"], ln["wpm"]) for ln in report.get("lines", []) if ln.get("words", 0) >= 4 and ln.get("wpm")]
    if len(paced) < 2:
        return {}
    usual = bl.median([w for _, w in paced])
    return {ln: w / usual for ln, w in paced} if usual else {}


_CLOSERS = "\"'\u2019\u201d)]\u00bb*_"


def _ends_sentence(text: str) -> bool:
    t = text.rstrip(_CLOSERS)
    return bool(t) and t[-1] in ".!?\u2026"


def phrase_drops(report: dict, texts: list[str]) -> tuple[dict[int, dict], float | None]:
    """Diagnostics for trailing off, from the report's own contour and word times: per line, its
    last phrase (said words up to a sentence or line end) with its median loudness over the voiced
    frames before its last second minus over those in it, and how many voiced frames the last
    second has; and the take's usual drop (the median over phrases of 2.2 s or more). This mirrors
    what the rule reads (bench/README.md); sentence ends are read from the punctuation here."""
    import math

    import numpy as np

    words = [(li + 1, t, k == len(line.split()) - 1) for li, line in enumerate(texts)
             for k, t in enumerate(line.split())]
    c = report["delivery"]["contour"]
    hop, loud, f0 = c["hop"], c["loudness_db"], c["f0_hz"]
    said = sorted((w for w in report["words"] if w.get("script_index") is not None
                   and w.get("verdict") in ("correct", "misread") and w.get("start") is not None
                   and w.get("end") is not None and w["script_index"] < len(words)),
                  key=lambda w: w["script_index"])
    out: dict[int, dict] = {}
    drops = []
    phrase: list[tuple[float, float]] = []
    for w in said:
        phrase.append((w["start"], w["end"]))
        line, text, ends_line = words[w["script_index"]]
        if not (ends_line or _ends_sentence(text) or w["script_index"] == len(words) - 1):
            continue
        spans, phrase = phrase, []
        end = w["end"]
        if end - spans[0][0] < 2.2:
            out[line] = {"drop": None, "tail_voiced": None, "why": "phrase under 2.2 s"}
            continue
        idx = sorted({i for a, b in spans for i in range(max(0, math.ceil(a / hop)), min(len(loud), math.floor(b / hop) + 1))
                      if f0[i] is not None})
        body = [loud[i] for i in idx if i * hop < end - 1.0]
        tail = [loud[i] for i in idx if i * hop >= end - 1.0]
        if len(body) < 20 or len(tail) < 20:
            out[line] = {"drop": None, "tail_voiced": len(tail), "why": f"{len(tail)} voiced frames in the last second"}
            continue
        drop = float(np.median(body) - np.median(tail))
        drops.append(drop)
        out[line] = {"drop": drop, "tail_voiced": len(tail), "why": None}
    usual = max(0.0, float(np.median(drops))) if len(drops) >= 4 else None
    return out, usual


def _syllables(word: str) -> int:
    """A naive count (groups of vowels, a final silent e dropped): for comparison only."""
    w = re.sub(r"[^a-z]", "", word.lower())
    if not w:
        return 0
    n = len(re.findall(r"[aeiouy]+", w))
    if w.endswith("e") and not w.endswith(("le", "ee")) and n > 1:
        n -= 1
    return max(1, n)


def syllable_tempo_ratios(report: dict) -> dict[int, float]:
    """As tempo_ratios, with syllables per second over the line's word span instead of words per
    minute (naive syllable count of the said words): for comparison with the rule's measure."""
    rates = []
    for ln in report.get("lines", []):
        if ln.get("words", 0) < 4 or ln.get("start") is None or ln.get("end") is None or ln["end"] <= ln["start"]:
            continue
        syl = sum(_syllables(w["text"]) for w in report["words"] if w.get("line") == ln["line"]
                  and w.get("script_index") is not None and w.get("verdict") in ("correct", "misread"))
        rates.append((ln["line"], syl / (ln["end"] - ln["start"])))
    if len(rates) < 2:
        return {}
    usual = bl.median([r for _, r in rates])
    return {ln: r / usual for ln, r in rates} if usual else {}


def line_values(report: dict, line: int, texts: list[str]) -> dict:
    ln = next((x for x in report["delivery"]["lines"] if x["line"] == line), {})
    ratio = tempo_ratios(report).get(line)
    syl = syllable_tempo_ratios(report).get(line)
    drops, usual = phrase_drops(report, texts)
    drop = drops.get(line, {"drop": None, "tail_voiced": None, "why": "no phrase ends on the line"})
    pace = next((x for x in report.get("lines", []) if x["line"] == line), {})
    ends = [w["end"] for w in report["words"] if w.get("line") == line and w.get("script_index") is not None
            and w.get("end") is not None]
    return {"pitch_range_st": ln.get("pitch_range_st"), "f0_median_hz": ln.get("f0_median_hz"),
            "words_start": _r(pace.get("start"), 2), "words_end": _r(max(ends), 2) if ends else None,
            "loudness_db": ln.get("loudness_db"), "wpm": ln.get("wpm"), "said_words": pace.get("words"),
            "tempo_ratio": None if ratio is None else round(ratio, 2),
            "syllable_tempo_ratio": None if syl is None else round(syl, 2),
            "tail_drop_db": _r(drop["drop"]), "tail_voiced_frames": drop["tail_voiced"], "tail_not_judged": drop["why"],
            "usual_drop_db": _r(usual),
            "no_pause_after": [_word_note(report, i) for i in ln.get("no_pause_after", [])],
            "no_rise_at": [_word_note(report, i) for i in ln.get("no_rise_at", [])]}


def _word_note(report: dict, index: int) -> str:
    words = [w for w in report["words"] if w.get("script_index") is not None]
    here = next((w for w in words if w["script_index"] == index), None)
    nxt = next((w for w in words if w["script_index"] == index + 1), None)
    if here is None:
        return f"#{index}"
    gap = ""
    if nxt is not None and here.get("end") is not None and nxt.get("start") is not None:
        gap = f", gap {nxt['start'] - here['end']:.2f} s to '{nxt['text']}'"
    return f"#{index} '{here['text']}'{gap}"


def _drop(v: dict) -> str:
    if v["tail_drop_db"] is None:
        return f"drop not judged ({v['tail_not_judged']})"
    return f"drop {v['tail_drop_db']} dB, usual {_na(v['usual_drop_db'])} dB"


def _na(x):
    return "n/a" if x is None else x


def _r(x, digits=1):
    return None if x is None else round(x, digits)


def findings_part(takes: list[dict], corpus: Path, work: Path, threads: int, per_take: int, seed: int,
                  progress: bool) -> dict:
    cases: list[dict] = []
    untouched: list[dict] = []  # {take, variant, line, flags, values}
    originals: list[dict] = []
    errors: list[str] = []
    analyses = 0
    t_start = time.perf_counter()

    def say(msg):
        if progress:
            print(f"  [findings {time.perf_counter() - t_start:5.0f}s] {msg}", file=sys.stderr, flush=True)

    for take in takes:
        if take["kind"] == "concatenated":
            concatenate(take, corpus, work)
        else:
            src = take["sources"][0]
            take["audio"] = src["path"]
            take["script"] = corpus / "audio" / f"{src['stem']}.txt"
            take["texts"] = [" ".join(t.split()) for t in take["script"].read_text(encoding="utf-8").splitlines()]
        orig = analyze(take["audio"], take["script"], threads)
        analyses += 1
        if orig.get("error"):
            errors.append(f"{take['name']} (original): {orig['error']}")
            say(f"{take['name']}: original failed: {orig['error']}")
            continue
        if take["kind"] == "sonnet":
            sonnet_segments(take, orig)
        n_lines = len(take["texts"])
        d = orig["delivery"]
        originals.append({"take": take["name"], "lines": n_lines, "flat": bool(d["flat"]),
                          "pitch_range_st": d.get("pitch_range_st"), "seconds": orig["audio"].get("duration")
                          if isinstance(orig.get("audio"), dict) else None})
        for ln in d["lines"]:
            untouched.append({"take": take["name"], "variant": "original", "line": ln["line"],
                              "flags": line_flags(ln), "report": orig, "texts": take["texts"]})
        say(f"{take['name']}: {n_lines} lines, original analysed in {orig['wall_s']:.1f}s "
            f"(take flat={d['flat']}, range {d.get('pitch_range_st')} st)")

        # flat
        dest = work / f"{take['name']}.flat.wav"
        median = make_flat(take, dest)
        rep = analyze(dest, take["script"], threads)
        analyses += 1
        if rep.get("error"):
            errors.append(f"{take['name']} (flat): {rep['error']}")
        else:
            rd = rep["delivery"]
            judged = [ln for ln in rd["lines"] if ln.get("pitch_range_st") is not None]
            every = bool(judged) and all(ln["flat"] for ln in judged)
            cases.append({"case": "flat", "take": take["name"], "line": None,
                          "right": bool(rd["flat"]) or every, "strict": bool(rd["flat"]) or every,
                          "take_flat": bool(rd["flat"]), "every_line_flat": every, "median_hz": round(median, 1),
                          "take_range_st": rd.get("pitch_range_st"),
                          "line_ranges_st": [ln.get("pitch_range_st") for ln in rd["lines"]],
                          "original_range_st": d.get("pitch_range_st"), "original_flat": bool(d["flat"])})
            say(f"{take['name']}: flat -> take flat={rd['flat']}, range {rd.get('pitch_range_st')} st")

        rng = random.Random(f"{seed}:{take['name']}")  # the same lines whichever takes are run
        already = {case: {ln["line"] for ln in d["lines"] if ln.get(case)} for case in ("trailing_off", "rushing")}
        for case, candidates in (("trailing_off", trailing_candidates(take)), ("rushing", rushing_candidates(take))):
            # A line the original already has the flag on says nothing about the modification.
            candidates = [c for c in candidates if c not in already[case]]
            chosen = sorted(rng.sample(candidates, min(per_take, len(candidates))))
            for line in chosen:
                dest = work / f"{take['name']}.{case}{line}.wav"
                if case == "trailing_off":
                    span = make_trailing(take, line, dest)
                else:
                    span = make_rushing(take, line, dest, work)
                rep = analyze(dest, take["script"], threads)
                analyses += 1
                if rep.get("error"):
                    errors.append(f"{take['name']} ({case} line {line}): {rep['error']}")
                    continue
                lines = {ln["line"]: ln for ln in rep["delivery"]["lines"]}
                hit = bool(lines.get(line, {}).get(case))
                others = [ln for ln in rep["delivery"]["lines"] if ln["line"] != line]
                strict = hit and not any(ln.get(case) for ln in others)
                cases.append({"case": case, "take": take["name"], "line": line, "right": hit, "strict": strict,
                              "span": [round(span[0], 2), round(span[1], 2)],
                              "other_lines_flagged": [ln["line"] for ln in others if ln.get(case)],
                              "values": line_values(rep, line, take["texts"]),
                              "original_values": line_values(orig, line, take["texts"])})
                for ln in others:
                    untouched.append({"take": take["name"], "variant": f"{case}{line}", "line": ln["line"],
                                      "flags": line_flags(ln), "report": rep, "texts": take["texts"]})
                v = line_values(rep, line, take["texts"])
                say(f"{take['name']}: {case} line {line} -> {'HIT' if hit else 'miss'} "
                    + (f"tempo ratio {v['tempo_ratio']}" if case == "rushing" else _drop(v)))

    # tallies
    by_case = {}
    for case in ("flat", "trailing_off", "rushing"):
        cs = [c for c in cases if c["case"] == case]
        by_case[case] = {"total": len(cs), "right": sum(c["right"] for c in cs),
                         "strict": sum(c["strict"] for c in cs)}
    by_case["flat"]["originals_not_flat"] = sum(1 for o in originals if not o["flat"])
    by_case["flat"]["originals"] = len(originals)
    false_flags = {}
    for group, sel in (("originals", lambda u: u["variant"] == "original"),
                       ("untouched lines of modified takes", lambda u: u["variant"] != "original"),
                       ("all untouched", lambda u: True)):
        us = [u for u in untouched if sel(u)]
        false_flags[group] = {"lines": len(us), **{f: sum(u["flags"][f] for u in us) for f in FLAGS}}
    # Every untouched line with its flags and the values the rules read, for tuning thresholds.
    per_line = [{"take": u["take"], "variant": u["variant"], "line": u["line"], "flags": u["flags"],
                 "values": line_values(u["report"], u["line"], u["texts"])} for u in untouched]
    examples = {f: [u for u in per_line if u["flags"][f]] for f in FLAGS}
    return {"takes": [{"name": t["name"], "voice": t["voice"], "kind": t["kind"],
                       "sources": [r["file"] for r in t["sources"]], "lines": len(t.get("texts", []))}
                      for t in takes],
            "originals": originals, "by_case": by_case, "cases": cases, "false_flags": false_flags,
            "false_flag_examples": examples, "untouched_lines": per_line, "errors": errors, "analyses": analyses,
            "seconds": time.perf_counter() - t_start}


# --------------------------------------------------------------------------- 4. speed


def speed_part(rows: list[dict], runs: int, progress: bool) -> tuple[dict, dict, dict]:
    """Both trackers over the same files, `runs` rounds alternated, pinned to one CPU; per file the
    fastest round. Returns (summary, our contours of round 1, Praat's of round 1)."""
    paths = [r["path"] for r in rows]
    cpu = None
    old = None
    if hasattr(os, "sched_setaffinity"):
        old = os.sched_getaffinity(0)
        cpu = max(old)
        os.sched_setaffinity(0, {cpu})
    try:
        best_ours: dict[str, float] = {}
        best_praat: dict[str, float] = {}
        praat_cpu: dict[str, float] = {}
        first_ours = first_praat = None
        for k in range(runs):
            ours = run_contour(paths)
            praat = {str(p): run_praat(p) for p in paths}
            if k == 0:
                first_ours, first_praat = ours, praat
            for p in paths:
                key = str(p)
                best_ours[key] = min(best_ours.get(key, float("inf")), ours[key]["seconds"])
                if praat[key]["seconds"] < best_praat.get(key, float("inf")):
                    best_praat[key] = praat[key]["seconds"]
                    praat_cpu[key] = praat[key]["cpu"]
            if progress:
                print(f"  [speed] round {k + 1}/{runs}: contour {sum(o['seconds'] for o in ours.values()):.2f}s, "
                      f"praat {sum(p['seconds'] for p in praat.values()):.2f}s", file=sys.stderr, flush=True)
    finally:
        if old is not None:
            os.sched_setaffinity(0, old)
    audio = sum(first_ours[str(p)]["duration"] for p in paths)
    ours_s = sum(best_ours.values())
    praat_s = sum(best_praat.values())
    per_file_ours = [first_ours[str(p)]["duration"] / best_ours[str(p)] for p in paths if best_ours[str(p)] > 0]
    per_file_praat = [first_ours[str(p)]["duration"] / best_praat[str(p)] for p in paths if best_praat[str(p)] > 0]
    summary = {"files": len(paths), "audio_s": audio, "runs": runs, "pinned_cpu": cpu,
               "ours": {"compute_s": ours_s, "rtf": audio / ours_s if ours_s else None,
                        "median_file_rtf": bl.median(per_file_ours)},
               "praat": {"compute_s": praat_s, "rtf": audio / praat_s if praat_s else None,
                         "median_file_rtf": bl.median(per_file_praat),
                         "cpu_over_wall": sum(praat_cpu.values()) / praat_s if praat_s else None}}
    return summary, first_ours, first_praat


# --------------------------------------------------------------------------- report


def md_table(rows: list[list], header: list[str]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def pct(x):
    return bl.fmt_pct(x)


def frac(a, b):
    return f"{a}/{b}" + (f" ({100 * a / b:.1f}%)" if b else "")


def mark(x, target):
    return "-" if x is None else ("meets" if x >= target else "MISSES")


def report(doc: dict) -> str:
    L = []
    if "pitch" in doc:
        p = doc["pitch"]
        L.append("## 1. Pitch against Praat (to_pitch, time_step 0.01, floor 75, ceiling 600)")
        L.append("")
        rows = []
        for name, s in [("all", p["all"])] + list(p["by_kind"].items()):
            rows.append([name, s["files"], s["frames"], pct(s["voicing_agreement"]), pct(s["ours_only"] / s["frames"])
                         if s["frames"] else "-", pct(s["praat_only"] / s["frames"]) if s["frames"] else "-",
                         s["both"], pct(s["within_share"]), bl.fmt_s(s["median_abs_cents"], 1),
                         f"{s['gross']} ({pct(s['gross_share'])})"])
        L.append(md_table(rows, ["subset", "files", "frames compared", "voicing agreement", "voiced by us only",
                                 "voiced by Praat only", "both voiced", "within 50 cents", "median abs cents",
                                 "gross errors (>20%)"]))
        a = p["all"]
        L.append("")
        L.append(f"Targets: within 50 cents >= 95%: {mark(a['within_share'], TARGET_WITHIN)} "
                 f"({pct(a['within_share'])}); voicing agreement >= 92%: "
                 f"{mark(a['voicing_agreement'], TARGET_VOICING)} ({pct(a['voicing_agreement'])}).")
        L.append("")
        L.append(f"Gross errors by file, worst first ({p['files_with_gross']} files have any; top 10; "
                 "examples are time s, ours Hz, Praat Hz):")
        L.append("")
        rows = [[w["file"], w["kind"], w["both_voiced"], w["gross"], pct(w["gross_share"]),
                 f"{w['ours_higher']} / {w['gross'] - w['ours_higher']}",
                 "; ".join(f"{t} {o}/{q}" for t, o, q in w["examples"][:3])] for w in p["worst"]]
        L.append(md_table(rows, ["file", "kind", "both voiced", "gross", "share", "ours higher / lower",
                                 "examples"]))
        L.append("")
    if "shift" in doc:
        s = doc["shift"]
        L.append(f"## 2. Controlled truth: sox pitch shifts ({len(s['files'])} exact-read recordings, "
                 f"{s['voices']} voices)")
        L.append("")
        L.append("Measured shift = median over frames voiced in both of the ratio, at the frame lag "
                 "(|lag| <= 5) whose ratios spread least; error = measured - applied, cents.")
        L.append("")
        rows = []
        for c, e in s["summary"].items():
            o, q = e["ours"], e["praat"]
            rows.append([c if c == "all" else f"{int(c):+d}", e["cases"], bl.fmt_s(o["mean_error"], 1),
                         bl.fmt_s(o["mean_abs_error"], 1), bl.fmt_s(o["worst_error"], 1),
                         f"{o['within']}/{e['cases']}", bl.fmt_s(q["mean_error"], 1), bl.fmt_s(q["worst_error"], 1),
                         f"{q['within']}/{e['cases']}"])
        L.append(md_table(rows, ["shift (cents)", "cases", "ours mean error", "ours mean abs error",
                                 "ours worst", "ours within +-25", "Praat mean error", "Praat worst",
                                 "Praat within +-25"]))
        bad = [c for c in s["cases"] if c["ours_error"] is None or abs(c["ours_error"]) > SHIFT_TOLERANCE]
        if bad:
            L.append("")
            L.append("Outside +-25 cents (ours): " + "; ".join(
                f"{c['file']} {c['shift']:+d} -> {bl.fmt_s(c['ours_cents'], 0)} (Praat {bl.fmt_s(c['praat_cents'], 0)})"
                for c in bad))
        L.append("")
    if "findings" in doc:
        f = doc["findings"]
        L.append(f"## 3. Delivery findings with known answers ({len(f['takes'])} takes, {f['analyses']} analyses, "
                 f"{f['seconds']:.0f} s)")
        L.append("")
        bc = f["by_case"]
        rows = [
            ["flat (pitch resynthesised at its median)", frac(bc["flat"]["right"], bc["flat"]["total"]),
             "take flat, or every line with pitch flat",
             f"originals not flat: {frac(bc['flat']['originals_not_flat'], bc['flat']['originals'])}"],
            [f"trailing off (last {TRAIL_SECONDS:.0f} s of a line -{TRAIL_DB:.0f} dB)",
             frac(bc["trailing_off"]["right"], bc["trailing_off"]["total"]), "that line trailing_off",
             f"and no other line: {bc['trailing_off']['strict']}/{bc['trailing_off']['total']}"],
            [f"rushing (a line at tempo {RUSH_TEMPO})", frac(bc["rushing"]["right"], bc["rushing"]["total"]),
             "that line rushing", f"and no other line: {bc['rushing']['strict']}/{bc['rushing']['total']}"],
        ]
        L.append(md_table(rows, ["case", "right / total", "right means", "also"]))
        L.append("")
        L.append("False flags on untouched recordings (lines flagged / lines judged):")
        L.append("")
        rows = []
        for group, ff in f["false_flags"].items():
            rows.append([group, ff["lines"]] + [frac(ff[k], ff["lines"]) for k in FLAGS])
        L.append(md_table(rows, ["lines", "judged", *FLAGS]))
        flat_orig = [o for o in f["originals"] if o["flat"]]
        L.append("")
        L.append(f"Originals whose take was judged flat: {len(flat_orig)}/{len(f['originals'])}"
                 + (" (" + ", ".join(f"{o['take']} {o['pitch_range_st']} st" for o in flat_orig) + ")"
                    if flat_orig else ""))
        misses = [c for c in f["cases"] if not c["right"]]
        if misses:
            L.append("")
            L.append("Missed cases:")
            L.append("")
            rows = []
            for c in misses:
                if c["case"] == "flat":
                    v = (f"take range {c['take_range_st']} st (original {c['original_range_st']}), "
                         f"line ranges {c['line_ranges_st']}")
                elif c["case"] == "trailing_off":
                    v, o = c["values"], c["original_values"]
                    v = (f"quieter {c['span'][0]}-{c['span'][1]} s; words {v['words_start']}-{v['words_end']} s "
                         f"(original {o['words_start']}-{o['words_end']}); {_drop(v)} (original {_drop(o)})")
                else:
                    v, o = c["values"], c["original_values"]
                    v = (f"tempo ratio {_na(v['tempo_ratio'])} (original {_na(o['tempo_ratio'])}), wpm {v['wpm']} "
                         f"(original {o['wpm']}), said words {v['said_words']}, by syllables "
                         f"{_na(v['syllable_tempo_ratio'])} (original {_na(o['syllable_tempo_ratio'])})")
                rows.append([c["case"], c["take"], c["line"] or "-", v])
            L.append(md_table(rows, ["case", "take", "line", "values"]))
            L.append("")
            L.append("drop: the line's last phrase, median loudness over its voiced frames before its last second "
                     "minus over those in it (needs 20 voiced frames in each part), and the take's usual drop (median "
                     "over its phrases); trailing off wants drop - usual >= 8 dB. tempo ratio: the line's wpm over "
                     "the median line's (rushing at >= 1.25, dragging at <= 0.75); by syllables: the same with "
                     "syllables per second (naive count), for comparison.")
        for flag, ex in f["false_flag_examples"].items():
            if not ex:
                continue
            groups: dict = {}
            for e in ex:
                groups.setdefault((e["take"], e["line"]), []).append(e)
            L.append("")
            L.append(f"False `{flag}` on untouched lines ({len(ex)} flags on {len(groups)} distinct lines; "
                     "up to 10 lines shown, values from the first take listed):")
            L.append("")
            rows = []
            for (take, line), es in list(groups.items())[:10]:
                e = es[0]
                v = e["values"]
                if flag in ("no_pause_after", "no_rise_at"):
                    detail = "; ".join(v[flag])
                elif flag == "flat":
                    detail = f"range {v['pitch_range_st']} st, f0 {v['f0_median_hz']} Hz"
                elif flag == "trailing_off":
                    detail = f"{_drop(v)}, loudness {v['loudness_db']} dB, words {v['words_start']}-{v['words_end']} s"
                else:
                    detail = (f"tempo ratio {_na(v['tempo_ratio'])} (by syllables {_na(v['syllable_tempo_ratio'])}), "
                              f"wpm {v['wpm']}, said words {v['said_words']}, words {v['words_start']}-{v['words_end']} s")
                rows.append([take, line, ", ".join(x["variant"] for x in es), detail])
            L.append(md_table(rows, ["take", "line", "flagged in", "values"]))
        if f["errors"]:
            L.append("")
            L.append("Errors: " + "; ".join(f["errors"]))
        L.append("")
    if "speed" in doc:
        s = doc["speed"]
        L.append(f"## 4. Speed ({s['files']} files, {s['audio_s']:.0f} s of audio, one core"
                 f"{'' if s['pinned_cpu'] is None else ' (CPU ' + str(s['pinned_cpu']) + ')'}, fastest of "
                 f"{s['runs']} rounds per file)")
        L.append("")
        rows = [["Encore contour (pitch + loudness)", f"{s['ours']['compute_s']:.2f} s",
                 f"{s['ours']['rtf']:.0f}x", f"{s['ours']['median_file_rtf']:.0f}x",
                 mark(s["ours"]["rtf"], TARGET_RTF) + " (target >= 500x)"],
                ["Praat to_pitch (parselmouth)", f"{s['praat']['compute_s']:.2f} s", f"{s['praat']['rtf']:.0f}x",
                 f"{s['praat']['median_file_rtf']:.0f}x",
                 f"CPU time / wall {s['praat']['cpu_over_wall']:.2f}"]]
        L.append(md_table(rows, ["tracker", "compute", "real-time factor (audio / compute)", "median per file",
                                 "note"]))
        L.append("")
        L.append("Compute excludes reading the file (the contour's own 'seconds'; the time of "
                 "Sound.to_pitch alone).")
        L.append("")
    return "\n".join(L)


# --------------------------------------------------------------------------- main


def _stamp(path: Path) -> str | None:
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(path.stat().st_mtime)) + " UTC"
    except OSError:
        return None


def _git_head() -> str | None:
    r = subprocess.run(["git", "-C", str(bl.REPO_ROOT), "log", "-1", "--format=%h %s"], capture_output=True, text=True)
    return r.stdout.strip()[:90] if r.returncode == 0 else None


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1] + "\n"
               "Binaries: $ENCORE_BIN (default target/release/encore) and $ENCORE_CONTOUR (default "
               "target/release/examples/contour). If parselmouth is not importable here the script re-runs "
               "itself with bench/.venv/bin/python.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=None,
                    help="corpus directory with manifest.tsv and audio/ (default: ../shared/corpus relative to "
                         "the repository root if present, else tests/corpus)")
    ap.add_argument("--limit", type=int, default=None,
                    help="quick runs: part 1 and 4 use at most N recordings of each transcript kind, part 2 N "
                         "recordings, part 3 N takes")
    ap.add_argument("--files", default=None, help="parts 1 and 4: only recordings whose file name matches this glob")
    ap.add_argument("--parts", default="pitch,shift,findings,speed",
                    help="comma-separated parts to run: pitch, shift, findings, speed (default: all)")
    ap.add_argument("--shift-files", type=int, default=20, help="part 2: recordings to pitch-shift (default 20)")
    ap.add_argument("--takes", default=None,
                    help="part 3: only takes whose name matches this glob, e.g. 'librivox_shakespeare*' or 'vctk_p225*'")
    ap.add_argument("--cases-per-take", type=int, default=3,
                    help="part 3: lines modified per take for trailing off and for rushing, each (default 3)")
    ap.add_argument("--speed-runs", type=int, default=3, help="part 4: rounds over the files (default 3)")
    ap.add_argument("--threads", type=int, default=2, help="threads for `encore analyze` (default 2)")
    ap.add_argument("--seed", type=int, default=7, help="seed for the choices of recordings and lines (default 7)")
    ap.add_argument("--keep", type=Path, default=None, help="part 2 and 3: keep the made audio in this directory")
    ap.add_argument("--json-out", type=Path, default=None, help="also write all figures and per-case results here")
    ap.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = ap.parse_args()
    reexec_with_parselmouth()

    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    for p in parts:
        if p not in ("pitch", "shift", "findings", "speed"):
            ap.error(f"unknown part {p!r}")
    corpus = args.corpus or bl.default_corpus()
    all_rows = [r for r in bl.read_manifest(corpus) if r["path"].exists()]
    rows = all_rows
    if args.files:
        rows = [r for r in rows if fnmatch.fnmatch(r["file"], args.files)]
    if args.limit is not None:
        picked = []
        for kind in dict.fromkeys(r["transcript_kind"] for r in rows):
            picked += [r for r in rows if r["transcript_kind"] == kind][: args.limit]
        rows = [r for r in rows if r in picked]
    progress = not args.quiet
    if not contour_bin().exists() and ({"pitch", "speed", "shift"} & set(parts)):
        sys.exit(f"{contour_bin()} does not exist (cargo build --release -p encore-delivery --example contour, "
                 "or set ENCORE_CONTOUR)")
    if ({"shift", "findings"} & set(parts)) and not shutil.which("sox"):
        sys.exit("sox is not installed (run: bash bench/setup.sh)")
    if "findings" in parts:
        why = bl.encore_available(bl.encore_bin())
        if why:
            sys.exit(why)
        bl.encore_model_install(bl.encore_bin())

    import parselmouth

    binaries = {str(b): _stamp(b) for b in (bl.encore_bin(), contour_bin())}
    started = time.perf_counter()
    load_before = os.getloadavg()
    doc: dict = {"corpus": str(corpus), "seed": args.seed, "parselmouth": parselmouth.__version__,
                 "praat": parselmouth.PRAAT_VERSION, "git_head": _git_head(), "binaries": binaries}
    print(f"corpus: {corpus} ({len(rows)} recordings, {sum(r['seconds'] for r in rows):.0f} s)", file=sys.stderr)
    work_ctx = tempfile.TemporaryDirectory(prefix="delivery_eval.")
    work = Path(work_ctx.name)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        work = args.keep
    try:
        if "pitch" in parts or "speed" in parts:
            runs = args.speed_runs if "speed" in parts else 1
            speed, ours, praat = speed_part(rows, runs, progress)
            if "speed" in parts:
                doc["speed"] = speed
            if "pitch" in parts:
                doc["pitch"] = pitch_part(rows, ours, praat)
        if "shift" in parts:
            files = pick_shift_files(all_rows, args.limit or args.shift_files, args.seed)
            doc["shift"] = shift_part(files, work, progress)
        if "findings" in parts:
            takes = build_takes(all_rows, corpus, args.seed)
            if args.takes:
                takes = [t for t in takes if fnmatch.fnmatch(t["name"], args.takes)]
            if args.limit is not None:
                takes = takes[: args.limit]
            doc["findings"] = findings_part(takes, corpus, work, args.threads, args.cases_per_take, args.seed,
                                            progress)
    finally:
        work_ctx.cleanup()
    doc["wall_s"] = time.perf_counter() - started
    busy = bl.busy_warning(load_before, os.getloadavg(), args.threads)
    doc["busy_warning"] = busy
    changed = [b for b, stamp in binaries.items() if _stamp(Path(b)) != stamp]
    doc["binaries_changed"] = changed
    print("# Delivery bench")
    print()
    print(report(doc))
    print(f"Whole run: {doc['wall_s']:.0f} s; repository at {doc['git_head']}; binaries "
          + ", ".join(f"{Path(b).name} built {st}" for b, st in binaries.items())
          + f"; parselmouth {doc['parselmouth']}, Praat {doc['praat']}.")
    if changed:
        print(f"WARNING: {', '.join(changed)} changed during the run (rebuilt?): the figures mix two builds; rerun")
    if busy:
        print(busy)
    if args.json_out:
        args.json_out.write_text(json.dumps(doc, indent=1, default=str) + "\n", encoding="utf-8")
        print(f"\nJSON written to {args.json_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
