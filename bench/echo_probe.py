#!/usr/bin/env python3
"""How alike, as sound, the two sayings of a repetition or a false start are: the spliced set's
against real speech. It answers whether matching a take's audio against itself could find the
stumbles that tiny.en leaves unwritten, and whether the spliced set can measure that.

A saying said again ends at a pause and is heard again after it. At every pause of a take
(frames 30 dB under its loud speech, 30 ms or more) the stretch before the pause is compared
with the stretch after it at every lag up to 1.5 s: frames are 20 cepstral coefficients of
Whisper's 80-band log-mel spectrum (normalised over the take's speech), compared by cosine, a
lag's neighbours allowed; the score is the best mean over 60 ms or more of loud frames.

Printed: the score at the true pause of each spliced repetition and false start (their times
are in `spliced.tsv`), at every other pause of the spliced takes (nothing is said twice there),
and the best score in each designed recording, whose cut-offs and repetitions were performed.

Usage: python3 bench/echo_probe.py [--spliced DIR] [--corpus DIR]
Needs numpy (in bench/.venv, made by `bash bench/setup.sh`) and the set made by splice.py.
"""

from __future__ import annotations

import argparse
import csv
import sys
import wave
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib as bl  # noqa: E402

RATE = 16_000
HOP = 160
LONGEST = 150  # frames compared before a pause, and the longest lag beyond it
DESIGNED = ("mfa_cutoff", "mfa_cutoffprogressive", "mfa_registershift", "mfa_words", "mfa_crossword")


def features(np, samples):
    """Per 10 ms frame: unit-length cepstra, and each frame's loudest band (log10)."""
    frames = 1 + (len(samples) - 400) // HOP
    index = np.arange(400)[None, :] + HOP * np.arange(frames)[:, None]
    power = np.abs(np.fft.rfft(samples[index] * np.hanning(400)[None, :], axis=1)) ** 2
    mel = np.log10(np.maximum(power @ mel_filters(np).T, 1e-10))
    mel = np.maximum(mel, mel.max() - 8)
    loudest = mel.max(axis=1)
    speech = loudest > np.percentile(loudest, 90) - 3.0
    bands = np.arange(80)
    dct = np.array([np.cos(np.pi * c * (2 * bands + 1) / 160) for c in range(1, 21)])
    cepstra = mel @ dct.T
    cepstra = (cepstra - cepstra[speech].mean(axis=0)) / np.maximum(cepstra[speech].std(axis=0), 1e-6)
    return cepstra / np.maximum(np.linalg.norm(cepstra, axis=1, keepdims=True), 1e-6), loudest


def mel_filters(np):
    """Whisper's 80 triangular mel bands over a 400-point FFT at 16 kHz."""
    def to_mel(hz):
        return 2595 * np.log10(1 + hz / 700)

    edges = 700 * (10 ** (np.linspace(to_mel(0), to_mel(8000), 82) / 2595) - 1)
    bins = np.fft.rfftfreq(400, 1 / RATE)
    return np.array([
        np.maximum(0, np.minimum((bins - lo) / (mid - lo), (hi - bins) / (hi - mid)))
        for lo, mid, hi in zip(edges, edges[1:], edges[2:])
    ])


def pauses(np, loudest):
    """The quiet runs of 30 ms or more inside the take, as (first frame, frame after)."""
    quiet = loudest < np.percentile(loudest, 90) - 3.0
    found, t = [], 0
    while t < len(quiet):
        if quiet[t]:
            u = t
            while u < len(quiet) and quiet[u]:
                u += 1
            if u - t >= 3 and t > 0 and u < len(quiet):
                found.append((t, u))
            t = u
        else:
            t += 1
    return found


def score_at(np, z, loud, p0, p1, least=6):
    """The best mean likeness of the loud frames before the pause [p0, p1) to those at a lag."""
    n = len(z)
    a0, a1 = max(0, p0 - LONGEST), min(n, p0 + 3)
    low, high = max(3, p1 - p0 - 12), p1 - p0 + LONGEST
    if a1 + low > n:
        return None
    after = z[a0 + low:min(n, a1 + high)]
    grid = z[a0:a1] @ after.T
    lags = np.arange(low, high + 1)
    rows = np.arange(a1 - a0)[None, :]
    cols = rows + (lags[:, None] - low)
    inside = cols < grid.shape[1]
    diag = np.where(inside, grid[np.broadcast_to(rows, cols.shape), np.minimum(cols, grid.shape[1] - 1)], -1)
    near = diag.copy()
    near[1:] = np.maximum(near[1:], diag[:-1])
    near[:-1] = np.maximum(near[:-1], diag[1:])
    t = np.arange(a0, a1)
    weight = (loud[t][None, :] & loud[np.minimum(t[None, :] + lags[:, None], n - 1)] & inside).astype(float)
    sums = np.cumsum((near * weight)[:, ::-1], axis=1)
    counts = np.cumsum(weight[:, ::-1], axis=1)
    span = np.arange(1, a1 - a0 + 1)[None, :]
    mean = np.where((counts >= least) & (span <= lags[:, None]), sums / np.maximum(counts, 1), -2)
    return float(mean.max())


def take_scores(np, path):
    """Each pause of the recording at `path` (16 kHz mono WAV) and the likeness across it."""
    with wave.open(str(path), "rb") as w:
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float32) / 32768
    z, loudest = features(np, samples)
    loud = loudest > np.percentile(loudest, 90) - 2.5
    return [(p0, p1, score_at(np, z, loud, p0, p1)) for p0, p1 in pauses(np, loudest)]


def percentiles(np, values):
    if not values:
        return "-"
    cells = " ".join(f"{np.percentile(values, q):.2f}" for q in (10, 25, 50, 75, 90, 99))
    return f"{cells}   (n={len(values)})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--spliced", type=Path, default=bl.BENCH_DIR / ".cache" / "spliced")
    ap.add_argument("--corpus", type=Path, default=bl.default_corpus())
    args = ap.parse_args()
    bl.reexec_with_faster_whisper()
    import numpy as np

    manifest = args.spliced / "spliced.tsv"
    if not manifest.exists():
        sys.exit(f"echo_probe: {manifest} is missing; make the set with: python3 bench/splice.py")
    rows = list(csv.DictReader(manifest.open(encoding="utf-8"), delimiter="\t"))
    if rows and "times" not in rows[0]:
        sys.exit("echo_probe: spliced.tsv has no times column; make the set again with: python3 bench/splice.py")
    true = {"repetition": [], "false_start": []}
    elsewhere = []
    for row in rows:
        times = [float(t) for t in row["times"].split()]
        for p0, p1, score in take_scores(np, args.spliced / row["file"]):
            if score is None:
                continue
            if row["kind"] in true:
                first, said_again = int(times[0] * 100), int(times[2] * 100)
                pause = int(times[1] * 100)
                if p0 - 4 <= pause <= p1 + 4:
                    true[row["kind"]].append(score)
                    continue
                if first - 4 <= p0 <= said_again + 4:
                    continue  # inside the event: its copies are seen from here too
            elsewhere.append(score)
    print("likeness of the stretch before a pause to the stretch after it (percentiles 10 25 50 75 90 99)")
    for kind, scores in true.items():
        print(f"  spliced {kind:<12} at its pause   {percentiles(np, scores)}")
    print(f"  spliced takes, every other pause  {percentiles(np, elsewhere)}")
    print("best pause of each designed recording (performed cut-offs and repetitions):")
    for stem in DESIGNED:
        path = args.corpus / "audio" / f"{stem}.wav"
        if path.exists():
            scores = [s for _, _, s in take_scores(np, path) if s is not None]
            print(f"  {stem:<24} {max(scores):.2f}" if scores else f"  {stem:<24} -")
    return 0


if __name__ == "__main__":
    sys.exit(main())
