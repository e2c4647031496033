#!/usr/bin/env python3
"""Makes the spliced evaluation set: real read speech of many voices with one disfluency
spliced into each take, labelled with what was done and where.

The designed disfluency recordings of the corpus are one voice and a few dozen events: too few
to steer by. This program takes every exact-read recording (the speaker read its `.txt`),
finds each script word's time with a peer that is not Encore (faster-whisper's word
timestamps, same tiny.en weights), and makes up to four takes of it, each with one event:

  repetition   a word or a two-to-three-word phrase said twice ("the cat the cat sat")
  false start  the first 30-50 % of a word, a short break, then the whole word
  filler       a real "uh" or "um", cut from the corpus's spontaneous recordings (their
               `.words.tsv` forced alignments), between two words
  skip         a word or a two-to-three-word phrase cut out

Cuts are moved to the quietest 10 ms near the peer's word edge and joined with 5 ms fades, so
that a splice does not click or clip a word. Only words whose heard form equals the script's
are used as anchors, and every event is seeded: the same seed gives the same set.

Output (default `bench/.cache/spliced`): one WAV per take, `<stem>.<kind>.wav`, and
`spliced.tsv` with, per take: file, source recording, speaker, kind, the first and last script
word affected (0-based, counting the words of the source's `.txt` that hold a letter or digit,
which is how Encore's script counts them), the script index before which extra words stand,
the words affected, a detail (fragment length, filler source, pause), and where the event is
in the take, in seconds: the first saying's start and end and the second's start (repetition,
false start), the filler's start and end, or the point a skip was cut at. `align-eval
--spliced DIR` scores the take reports against it. THE SET IS SPLICED: its figures say so.

Usage: python3 bench/splice.py [--corpus DIR] [--out DIR] [--seed N] [--limit N]
Run `bash bench/setup.sh` first (faster-whisper and the CTranslate2 tiny.en model).
"""

from __future__ import annotations

import argparse
import array
import json
import math
import random
import sys
import wave
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib as bl  # noqa: E402

RATE = 16_000
KINDS = ("repetition", "false_start", "filler", "skip")
# Sources of real fillers: spontaneous monologues with forced-aligned words.
FILLER_SOURCES = ("mfa_acoustic_corpus", "mfa_cold_corpus", "mfa_cold_corpus3")
FADE = int(0.005 * RATE)


def read_wav(path: Path) -> list[float]:
    with wave.open(str(path), "rb") as w:
        assert w.getframerate() == RATE and w.getnchannels() == 1 and w.getsampwidth() == 2, path
        data = array.array("h", w.readframes(w.getnframes()))
    return [s / 32768.0 for s in data]


def write_wav(path: Path, samples: list[float]) -> None:
    data = array.array("h", (max(-32768, min(32767, int(round(s * 32768.0)))) for s in samples))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(data.tobytes())


def rms(samples: list[float]) -> float:
    return math.sqrt(sum(s * s for s in samples) / len(samples)) if samples else 0.0


def quietest(samples: list[float], around: float, before: float, after: float) -> tuple[int, float]:
    """The sample index of the quietest 10 ms frame centred within [around-before, around+after],
    and that frame's RMS."""
    frame = RATE // 100
    lo = max(0, int((around - before) * RATE) - frame // 2)
    hi = min(len(samples) - frame, int((around + after) * RATE) - frame // 2)
    if hi <= lo:
        return max(0, min(len(samples), int(around * RATE))), math.inf
    best, best_at = math.inf, lo
    for at in range(lo, hi + 1, RATE // 1000):
        energy = sum(s * s for s in samples[at:at + frame])
        if energy < best:
            best, best_at = energy, at
    return best_at + frame // 2, math.sqrt(best / frame)


def join(pieces: list[list[float]]) -> list[float]:
    """The pieces one after another, each faded in and out over 5 ms so that no joint clicks."""
    out: list[float] = []
    for piece in pieces:
        piece = list(piece)
        n = min(FADE, len(piece) // 2)
        for i in range(n):
            piece[i] *= i / n
            piece[-1 - i] *= i / n
        out.extend(piece)
    return out


def silence(seconds: float) -> list[float]:
    return [0.0] * int(seconds * RATE)


def script_tokens(text: str) -> list[str]:
    """The words of a script as Encore counts them: whitespace tokens holding a letter or digit."""
    return [t for t in text.split() if any(c.isalnum() for c in t) and t != "/"]


def word_times(model, audio: Path, cache: Path) -> list[tuple[float, float, str]]:
    """faster-whisper's words with their times, cached by the audio's size."""
    key = cache / f"{audio.stem}.json"
    size = audio.stat().st_size
    if key.exists():
        cached = json.loads(key.read_text())
        if cached.get("size") == size:
            return [tuple(w) for w in cached["words"]]
    segments, _ = model.transcribe(str(audio), **bl.FW_TRANSCRIBE_SETTINGS)
    words = [(w.start, w.end, w.word.strip()) for s in segments for w in (s.words or [])]
    key.write_text(json.dumps({"size": size, "words": words}))
    return words


def anchors(tokens: list[str], heard: list[tuple[float, float, str]]) -> list[tuple[float, float] | None]:
    """Each script token's (start, end), where every normalised part of it was heard as such."""
    ref, owner = [], []
    for k, token in enumerate(tokens):
        for part in bl.normalize_tokens(token, join_letters=False):
            ref.append(part)
            owner.append(k)
    hyp, times = [], []
    for start, end, word in heard:
        for part in bl.normalize_tokens(word, join_letters=False):
            hyp.append(part)
            times.append((start, end))
    _, pairs = bl.align(ref, hyp)
    spans: list[list] = [[None, None, True] for _ in tokens]
    seen = [0] * len(tokens)
    for r, h in pairs:
        if r is None:
            continue
        k = owner[r]
        seen[k] += 1
        if h is None or ref[r] != hyp[h]:
            spans[k][2] = False
            continue
        start, end = times[h]
        spans[k][0] = start if spans[k][0] is None else spans[k][0]
        spans[k][1] = end
    out = []
    for k, (start, end, equal) in enumerate(spans):
        parts = len([o for o in owner if o == k])
        ok = equal and parts > 0 and seen[k] == parts and start is not None and end > start
        out.append((start, end) if ok else None)
    return out


def filler_clips(corpus: Path) -> list[tuple[str, list[float]]]:
    """Real "uh"s and "um"s of at least 0.2 s, with 30 ms either side."""
    clips = []
    for stem in FILLER_SOURCES:
        tsv = corpus / "audio" / f"{stem}.words.tsv"
        wav = corpus / "audio" / f"{stem}.wav"
        if not (tsv.exists() and wav.exists()):
            continue
        samples = read_wav(wav)
        for start, end, word in bl.read_words_tsv(tsv):
            if word.lower() in ("uh", "um") and end - start >= 0.2:
                a, b = int((start - 0.03) * RATE), int((end + 0.03) * RATE)
                clips.append((f"{stem}@{start:.2f}", samples[max(0, a):b]))
    return clips


def needed_cuts(kind: str, a: int, b: int, start_cut: dict, end_cut: dict) -> list[tuple[int, dict]]:
    """The cut points an event on words a..b splices at."""
    return {
        "repetition": [(b, end_cut), (a, start_cut)],
        "false_start": [(a, start_cut), (a, end_cut)],
        "filler": [(a, start_cut)],
        "skip": [(a, start_cut), (b + 1, start_cut)],
    }[kind]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=bl.default_corpus())
    ap.add_argument("--out", type=Path, default=bl.BENCH_DIR / ".cache" / "spliced")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--limit", type=int, default=None, help="only the first N read recordings")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    bl.reexec_with_faster_whisper()
    from faster_whisper import WhisperModel  # noqa: E402

    model_dir = bl.fw_model_dir()
    problem = bl.check_fw_model(model_dir)
    if problem:
        sys.exit(f"splice: {problem}; run `bash bench/setup.sh`")
    model = WhisperModel(str(model_dir), device="cpu", compute_type="int8", cpu_threads=args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    cache = args.out / ".peer-words"
    cache.mkdir(exist_ok=True)

    clips = filler_clips(args.corpus)
    if not clips:
        sys.exit(f"splice: no real fillers found in {args.corpus} (needs {', '.join(FILLER_SOURCES)})")
    rows = [r for r in bl.read_manifest(args.corpus) if r["transcript_kind"] == "exact-read"]
    if args.limit:
        rows = rows[: args.limit]

    lines = ["file\tsource\tspeaker\tkind\tfirst\tlast\tposition\twords\tdetail\ttimes"]
    voices: set[str] = set()
    counts = {kind: 0 for kind in KINDS}
    events = 0
    for row in rows:
        text = (args.corpus / "audio" / f"{row['stem']}.txt").read_text(encoding="utf-8")
        tokens = script_tokens(text)
        if len(tokens) < 6:
            continue
        samples = read_wav(row["path"])
        spans = anchors(tokens, word_times(model, row["path"], cache))
        speech = rms([s for span in spans if span for s in samples[int(span[0] * RATE):int(span[1] * RATE)]])
        rng = random.Random(f"{args.seed}:{row['stem']}")
        # Cut points before a word (at its start) and after it (at its end): the quietest 10 ms
        # near the peer's edge, and only where that is a real dip between words (12 dB under
        # the speech), so that a peer's edge a little off does not cut into a word.
        start_cut, end_cut = {}, {}
        for k, span in enumerate(spans):
            if span:
                for cuts, edge in ((start_cut, span[0]), (end_cut, span[1])):
                    at, level = quietest(samples, edge, 0.1, 0.1)
                    if level < speech / 4:
                        cuts[k] = at
        made = 0
        for kind in KINDS:
            n = rng.choice((1, 1, 2, 3)) if kind in ("repetition", "skip") else 1
            # First words of the event whose words, and the ones either side, are anchored.
            eligible = [
                a for a in range(1, len(tokens) - n)
                if all(spans[k] for k in range(a - 1, a + n + 1))
                and (kind != "false_start" or spans[a][1] - spans[a][0] >= 0.25)
                and all(cut in cuts for cut, cuts in needed_cuts(kind, a, a + n - 1, start_cut, end_cut))
            ]
            if not eligible:
                continue
            a = rng.choice(eligible)
            b = a + n - 1
            if kind == "repetition":
                pause = rng.uniform(0.05, 0.25)
                take = join([samples[: end_cut[b]], silence(pause), samples[start_cut[a]:]])
                position, detail = b + 1, f"pause {pause:.2f} s"
                times = [start_cut[a], end_cut[b], end_cut[b] + len(silence(pause))]
            elif kind == "false_start":
                start, end = start_cut[a], end_cut[a]
                fraction = rng.uniform(0.3, 0.5)
                fragment = samples[start:start + int((end - start) * fraction)]
                pause = rng.uniform(0.1, 0.3)
                take = join([samples[:start], fragment, silence(pause), samples[start:]])
                position, detail = a, f"fragment {len(fragment) / RATE:.2f} s, pause {pause:.2f} s"
                times = [start, start + len(fragment), start + len(fragment) + len(silence(pause))]
            elif kind == "filler":
                source, clip = rng.choice(clips)
                gain = speech / max(rms(clip), 1e-6)
                clip = [max(-1.0, min(1.0, s * gain)) for s in clip]
                cut = start_cut[a]
                gap = rng.uniform(0.05, 0.15)
                take = join([samples[:cut], silence(gap), clip, silence(gap), samples[cut:]])
                position, detail = a, f"{source}"
                times = [cut + len(silence(gap)), cut + len(silence(gap)) + len(clip)]
            else:
                take = join([samples[: start_cut[a]], samples[start_cut[b + 1]:]])
                position, detail = a, "cut"
                times = [start_cut[a]]
            name = f"{row['stem']}.{kind}.wav"
            write_wav(args.out / name, take)
            words = " ".join(tokens[a:b + 1])
            lines.append(
                f"{name}\t{row['stem']}\t{row['speaker_or_source']}\t{kind}\t{a}\t{b}\t{position}\t{words}\t{detail}\t"
                + " ".join(f"{t / RATE:.3f}" for t in times)
            )
            counts[kind] += 1
            events += n if kind in ("repetition", "skip") else 1
            made += 1
        if made:
            voices.add(row["speaker_or_source"])
        print(f"  {row['stem']}: {made} takes", file=sys.stderr)

    (args.out / "spliced.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(
        f"spliced set (seed {args.seed}): {len(lines) - 1} takes, {events} events "
        f"({', '.join(f'{k} {v}' for k, v in counts.items())} takes) over {len(voices)} voices -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
