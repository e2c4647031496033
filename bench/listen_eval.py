#!/usr/bin/env python3
"""Accuracy evaluation of Encore's speech recognition against the real-speech corpus,
side by side with faster-whisper running the same Whisper tiny.en weights.

For each engine it reports:
  * word error rate (WER) over the exact-read recordings, and separately over the
    `normalized` ones (LibriSpeech/LJSpeech style), with the 5 worst files;
  * word timing error against the .words.tsv forced alignments (median and 90th
    percentile of |start error| and |end error|, in ms, over matched words);
  * disfluencies heard over the verbatim-disfluent recordings: fillers, repetitions
    and cut-off false starts, heard/total;
  * total processing time.

Encore is run as a process per file (`$ENCORE_BIN transcribe AUDIO --json --threads N`),
so its time includes loading the model every time.  faster-whisper runs in this process
with the model loaded once (its load time is shown separately).

Run `bash bench/setup.sh` first (faster-whisper + the CTranslate2 tiny.en model).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib as bl  # noqa: E402

FILLERS = {"uh", "um", "hm", "er", "erm", "ah", "mm"}
_FILLER_RE = re.compile(r"^(u+h+|u+m+|u+h+m+|h+m+|m+h+m+|m+|e+r+m*|e+h+|a+h+|h+u+h+)$")


def is_filler(tok: str) -> bool:
    return bool(_FILLER_RE.match(tok))


# --------------------------------------------------------------------------- engines


class EncoreEngine:
    name = "encore"

    def __init__(self, threads: int):
        self.threads = threads
        self.binary = bl.encore_bin()
        self.load_s = None
        self.contract_notes: list[str] = []
        self.settings = f"{self.binary} transcribe AUDIO --json --threads {threads} (one process per file)"

    def prepare(self) -> str | None:
        why = bl.encore_available(self.binary)
        if why:
            return why
        inst = bl.encore_model_install(self.binary)
        if inst["rc"] != 0:
            self.contract_notes.append(
                f"`encore model install` exited {inst['rc']}: {' | '.join(inst['stderr_tail'])}")
        return None

    def transcribe(self, path: Path) -> dict:
        r = bl.encore_transcribe(self.binary, path, self.threads)
        if r["error"]:
            return {"words": [], "error": r["error"], "proc_s": r["wall_s"], "maxrss_kib": r["maxrss_kib"]}
        doc = r["json"]
        if not self.contract_notes or len(self.contract_notes) < 5:
            for n in bl.encore_contract_notes(doc):
                if n not in self.contract_notes:
                    self.contract_notes.append(n)
        words = [{"text": str(w.get("text", "")), "start": float(w.get("start", 0.0)),
                  "end": float(w.get("end", 0.0)), "confidence": w.get("confidence")} for w in doc["words"]]
        return {"words": words, "error": None, "proc_s": r["wall_s"], "maxrss_kib": r["maxrss_kib"],
                "unrecognised": doc.get("unrecognised")}


class FasterWhisperEngine:
    name = "faster-whisper"

    def __init__(self, threads: int, compute_type: str, no_fallback: bool):
        self.threads = threads
        self.compute_type = compute_type
        self.extra = {"temperature": 0.0} if no_fallback else {}
        self.model = None
        self.load_s = None
        self.contract_notes: list[str] = []
        self.model_dir = bl.fw_model_dir()
        self.settings = f"{self.model_dir}: " + bl.fw_describe(compute_type, threads, self.extra)

    def prepare(self) -> str | None:
        why = bl.check_fw_model(self.model_dir)
        if why:
            return why
        try:
            from faster_whisper import WhisperModel
        except ImportError:
            return "faster_whisper is not importable (run: bash bench/setup.sh)"
        t0 = time.perf_counter()
        self.model = WhisperModel(str(self.model_dir), device="cpu", compute_type=self.compute_type,
                                  cpu_threads=self.threads)
        self.load_s = time.perf_counter() - t0
        return None

    def transcribe(self, path: Path) -> dict:
        t0 = time.perf_counter()
        segments, _info = self.model.transcribe(str(path), **bl.FW_TRANSCRIBE_SETTINGS, **self.extra)
        segments = list(segments)
        proc = time.perf_counter() - t0
        words = []
        for seg in segments:
            for w in seg.words or []:
                words.append({"text": w.word, "start": float(w.start), "end": float(w.end),
                              "confidence": float(w.probability)})
        return {"words": words, "error": None, "proc_s": proc}


# --------------------------------------------------------------------------- hypothesis tokens


def hyp_tokens(words: list[dict]) -> list[dict]:
    """Normalised hypothesis tokens with times; a word that normalises to several tokens
    ("1961" -> nineteen sixty one) shares its span evenly among them."""
    out = []
    for w in words:
        toks = bl.normalize_tokens(w["text"], join_letters=False)
        if not toks:
            continue
        span = (w["end"] - w["start"]) / len(toks)
        for k, t in enumerate(toks):
            out.append({"tok": t, "start": w["start"] + k * span, "end": w["start"] + (k + 1) * span})
    # Join spelled letters across word boundaries ("M" "F" "A" -> mfa) as on the reference side.
    return [{"tok": "".join(t["tok"] for t in out[i:j]), "start": out[i]["start"], "end": out[j - 1]["end"]}
            for i, j in bl.letter_runs([t["tok"] for t in out])]


# --------------------------------------------------------------------------- verbatim references


def parse_verbatim(text: str) -> list[dict]:
    """Reference tokens of a verbatim-disfluent transcript: kind word | filler | cutoff.
    [laughter], <unk>, <VOCNOISE> and other bracketed noises are dropped; <hes-X> becomes X;
    <cutoff-X> is a cutoff aimed at X; AMI's [adif] (a cut-off word) is a cutoff with no known target."""
    out = []
    for raw in text.split():
        low = raw.lower()
        m = re.fullmatch(r"<cutoff-([^>]*)>", low)
        if m:
            out.append({"kind": "cutoff", "tok": f"<cutoff-{m.group(1)}>", "target": m.group(1)})
            continue
        if low == "[adif]":
            out.append({"kind": "cutoff", "tok": "<cutoff>", "target": None})
            continue
        m = re.fullmatch(r"<hes-([^>]*)>", low)
        if m:
            low = m.group(1)
        elif re.fullmatch(r"\[[^\]]*\]|<[^>]*>", low):
            continue
        for t in bl.normalize_tokens(low, join_letters=False):
            out.append({"kind": "filler" if t in FILLERS else "word", "tok": t, "target": None})
    return out


def find_repetitions(ref: list[dict]) -> list[tuple[int, int, int]]:
    """(first_copy_start, second_copy_start, n) for each word or 2-3-word phrase immediately
    repeated.  Only ordinary words count (repeated fillers are fillers; repeated cut-offs are
    cut-offs).  'w w w' gives two repetitions."""
    reps = []
    i = 0
    while i < len(ref):
        found = False
        for n in (1, 2, 3):
            a, b = ref[i:i + n], ref[i + n:i + 2 * n]
            if len(b) < n:
                break
            if all(t["kind"] == "word" for t in a + b) and [t["tok"] for t in a] == [t["tok"] for t in b]:
                reps.append((i, i + n, n))
                i += n
                found = True
                break
        if not found:
            i += 1
    return reps


def disfluency_sub_cost(r: dict, h: str) -> float:
    if r["kind"] == "filler":
        return 0.0 if is_filler(h) else 1.0
    if r["kind"] == "cutoff":
        x = r["target"]
        if x and h != x and x.startswith(h):
            return 0.0  # "mon" for <cutoff-montreal>
        if x and h == x:
            return 0.5  # recogniser wrote the whole word for the false start
        return 1.0
    return 0.0 if r["tok"] == h else 1.0


def score_disfluencies(ref_text: str, hyp: list[str]) -> dict:
    ref = parse_verbatim(ref_text)
    _, pairs = bl.align(ref, hyp, disfluency_sub_cost)
    ref_to_hyp = {r: h for r, h in pairs if r is not None}
    res = {"fillers": [0, 0], "repetitions": [0, 0], "cutoffs": [0, 0]}
    for i, t in enumerate(ref):
        h = ref_to_hyp.get(i)
        if t["kind"] == "filler":
            res["fillers"][1] += 1
            res["fillers"][0] += int(h is not None and is_filler(hyp[h]))
        elif t["kind"] == "cutoff":
            res["cutoffs"][1] += 1
            res["cutoffs"][0] += int(h is not None)
    for a, b, n in find_repetitions(ref):
        res["repetitions"][1] += 1
        ok = all(ref_to_hyp.get(k) is not None and hyp[ref_to_hyp[k]] == ref[k]["tok"] for k in range(a, b + n))
        res["repetitions"][0] += int(ok)
    return res


# --------------------------------------------------------------------------- evaluation


def timing_errors(ref_words: list[tuple[float, float, str]], hyp: list[dict]) -> dict:
    ref = []
    for s, e, w in ref_words:
        if re.fullmatch(r"\[[^\]]*\]|<[^>]*>", w.strip().lower()):
            continue
        toks = bl.normalize_tokens(w, join_letters=False)
        span = (e - s) / max(1, len(toks))
        for k, t in enumerate(toks):
            ref.append((s + k * span, s + (k + 1) * span, t))
    _, pairs = bl.align([r[2] for r in ref], [h["tok"] for h in hyp])
    ds, de = [], []
    for r, h in pairs:
        if r is not None and h is not None and ref[r][2] == hyp[h]["tok"]:
            ds.append(hyp[h]["start"] - ref[r][0])
            de.append(hyp[h]["end"] - ref[r][1])
    return {"ref_words": len(ref), "matched": len(ds), "start_err": ds, "end_err": de}


def evaluate(engine, rows: list[dict], corpus: Path, progress: bool) -> dict:
    files = []
    total_proc = 0.0
    for k, row in enumerate(rows, 1):
        path = row["path"]
        t = engine.transcribe(path)
        total_proc += t["proc_s"]
        hyp = hyp_tokens(t["words"])
        htoks = [h["tok"] for h in hyp]
        ref_text = (corpus / "audio" / f"{row['stem']}.txt").read_text(encoding="utf-8").strip()
        rec = {"file": row["file"], "kind": row["transcript_kind"], "seconds": row["seconds"],
               "proc_s": t["proc_s"], "error": t["error"], "words": len(t["words"]),
               "unrecognised": t.get("unrecognised"),
               "hypothesis": "".join(w["text"] if w["text"][:1].isspace() else " " + w["text"]
                                     for w in t["words"]).strip(),
               "reference": ref_text}
        if row["transcript_kind"] in ("exact-read", "normalized"):
            rec["wer"] = bl.word_edits(bl.reference_tokens(ref_text), htoks)
        elif row["transcript_kind"] == "verbatim-disfluent":
            rec["disfluency"] = score_disfluencies(ref_text, htoks)
            ref_plain = [t["tok"] for t in parse_verbatim(ref_text) if t["kind"] != "cutoff"]
            rec["wer"] = bl.word_edits(bl._join_spelled_letters(ref_plain), htoks)
        wt = corpus / "audio" / f"{row['stem']}.words.tsv"
        if wt.exists():
            rec["timing"] = timing_errors(bl.read_words_tsv(wt), hyp)
        files.append(rec)
        if k == min(3, len(rows)) and all(f["error"] for f in files):
            break  # the engine cannot transcribe at all: do not run every file
        if progress:
            msg = f"  [{engine.name}] {k}/{len(rows)} {row['file']} {t['proc_s']:.2f}s"
            if "wer" in rec and rec["wer"]["ref_words"]:
                msg += f" wer={rec['wer']['edits'] / rec['wer']['ref_words']:.2f}"
            if t["error"]:
                msg += f" ERROR {t['error'][:120]}"
            print(msg, file=sys.stderr, flush=True)
    return summarise(engine, files, total_proc)


def summarise(engine, files: list[dict], total_proc: float) -> dict:
    out = {"engine": engine.name, "settings": engine.settings, "model_load_s": engine.load_s,
           "files": files, "failures": sum(1 for f in files if f["error"]),
           "empty": sum(1 for f in files if not f["error"] and not f["hypothesis"]),
           "audio_s": sum(f["seconds"] for f in files), "processing_s": total_proc,
           "contract_notes": engine.contract_notes}
    out["rtf"] = total_proc / out["audio_s"] if out["audio_s"] else None
    for kind in ("exact-read", "normalized", "verbatim-disfluent"):
        fs = [f for f in files if f["kind"] == kind and "wer" in f]
        edits = sum(f["wer"]["edits"] for f in fs)
        words = sum(f["wer"]["ref_words"] for f in fs)
        out[f"wer[{kind}]"] = {
            "files": len(fs), "ref_words": words, "edits": edits,
            "sub": sum(f["wer"]["sub"] for f in fs), "del": sum(f["wer"]["del"] for f in fs),
            "ins": sum(f["wer"]["ins"] for f in fs), "wer": edits / words if words else None}
    er = [f for f in files if f["kind"] == "exact-read" and f.get("wer", {}).get("ref_words")]
    er.sort(key=lambda f: (f["wer"]["edits"] / f["wer"]["ref_words"], f["wer"]["edits"]), reverse=True)
    out["worst_exact_read"] = [{"file": f["file"], "wer": f["wer"]["edits"] / f["wer"]["ref_words"],
                                "edits": f["wer"]["edits"], "ref_words": f["wer"]["ref_words"],
                                "hypothesis": f["hypothesis"], "reference": f["reference"]} for f in er[:5]]
    ds = [x for f in files if "timing" in f for x in f["timing"]["start_err"]]
    de = [x for f in files if "timing" in f for x in f["timing"]["end_err"]]
    tf = [f for f in files if "timing" in f]
    out["timing"] = {
        "files": len(tf), "ref_words": sum(f["timing"]["ref_words"] for f in tf), "matched": len(ds),
        "start_abs_ms_median": _ms(bl.median([abs(x) for x in ds])),
        "start_abs_ms_p90": _ms(bl.percentile([abs(x) for x in ds], 90)),
        "end_abs_ms_median": _ms(bl.median([abs(x) for x in de])),
        "end_abs_ms_p90": _ms(bl.percentile([abs(x) for x in de], 90)),
        "start_signed_ms_median": _ms(bl.median(ds)), "end_signed_ms_median": _ms(bl.median(de)),
    }
    dis = {"fillers": [0, 0], "repetitions": [0, 0], "cutoffs": [0, 0]}
    for f in files:
        for k, (h, n) in f.get("disfluency", {}).items():
            dis[k][0] += h
            dis[k][1] += n
    out["disfluencies"] = {k: {"heard": h, "total": n} for k, (h, n) in dis.items()}
    out["disfluency_files"] = sum(1 for f in files if "disfluency" in f)
    return out


def _ms(x):
    return None if x is None else round(1000 * x, 1)


# --------------------------------------------------------------------------- report


def report(results: list[dict], skipped: dict) -> str:
    lines = []
    lines.append("Engines and settings:")
    for r in results:
        lines.append(f"  {r['engine']}: {r['settings']}")
    for name, why in skipped.items():
        lines.append(f"  {name}: SKIPPED - {why}")
    if not results:
        return "\n".join(lines)

    lines.append("")
    lines.append("Word error rate (lower case, punctuation removed, hyphens split, digits as words; "
                 "edits / reference words)")
    rows = []
    for r in results:
        for kind in ("exact-read", "normalized", "verbatim-disfluent"):
            w = r[f"wer[{kind}]"]
            if not w["files"]:
                continue
            label = kind if kind != "verbatim-disfluent" else "verbatim-disfluent*"
            rows.append([r["engine"], label, str(w["files"]), str(w["ref_words"]),
                         f"{w['sub']}/{w['del']}/{w['ins']}", fmt_wer(w["wer"])])
    lines.append(bl.table(rows, ["engine", "transcript kind", "files", "ref words", "sub/del/ins", "WER"]))
    lines.append("  * verbatim-disfluent: reference with cut-offs and noise markers removed, fillers kept "
                 "(informative only)")

    for r in results:
        lines.append("")
        lines.append(f"5 worst exact-read files - {r['engine']}:")
        for w in r["worst_exact_read"]:
            lines.append(f"  {fmt_wer(w['wer']):>7}  {w['edits']:>3}/{w['ref_words']:<3} {w['file']}")
            lines.append(f"           ref: {_clip(w['reference'])}")
            lines.append(f"           hyp: {_clip(w['hypothesis'])}")

    lines.append("")
    t0 = results[0]["timing"]
    lines.append(f"Word timing error vs .words.tsv forced alignments ({t0['files']} files; "
                 "only words matched equal after edit-distance alignment)")
    rows = []
    for r in results:
        t = r["timing"]
        rows.append([r["engine"], f"{t['matched']}/{t['ref_words']}",
                     fmt_ms(t["start_abs_ms_median"]), fmt_ms(t["start_abs_ms_p90"]),
                     fmt_ms(t["end_abs_ms_median"]), fmt_ms(t["end_abs_ms_p90"]),
                     fmt_ms(t["start_signed_ms_median"], signed=True), fmt_ms(t["end_signed_ms_median"], signed=True)])
    lines.append(bl.table(rows, ["engine", "matched", "|start| med", "|start| p90", "|end| med", "|end| p90",
                                 "start bias", "end bias"]))
    lines.append("  (ms; bias = median of hypothesis minus reference, negative = early)")

    lines.append("")
    lines.append(f"Disfluencies heard over the verbatim-disfluent recordings "
                 f"({results[0]['disfluency_files']} files; heard/total)")
    rows = []
    for r in results:
        d = r["disfluencies"]
        rows.append([r["engine"]] + [f"{d[k]['heard']}/{d[k]['total']}" for k in ("fillers", "repetitions", "cutoffs")])
    lines.append(bl.table(rows, ["engine", "fillers", "repetitions", "cut-offs"]))

    lines.append("")
    lines.append("Processing time")
    rows = []
    for r in results:
        rows.append([r["engine"], str(len(r["files"])), f"{r['audio_s']:.1f} s", f"{r['processing_s']:.1f} s",
                     fmt_s3(r["rtf"]), "-" if r["model_load_s"] is None else f"{r['model_load_s']:.2f} s (once)",
                     str(r["failures"]), str(r["empty"])])
    lines.append(bl.table(rows, ["engine", "files", "audio", "processing", "RTF", "model load", "failures",
                                 "no words"]))
    lines.append("  encore: whole process per file, model load included; faster-whisper: in-process, "
                 "model loaded once (not included)")
    for r in results:
        for n in r["contract_notes"]:
            lines.append(f"  contract note ({r['engine']}): {n}")
    return "\n".join(lines)


def fmt_wer(x):
    return bl.fmt_pct(x)


def fmt_ms(x, signed=False):
    if x is None:
        return "-"
    return f"{x:+.0f}" if signed else f"{x:.0f}"


def fmt_s3(x):
    return "-" if x is None else f"{x:.3f}"


def _clip(s: str, n: int = 110) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[: n - 3] + "..."


# --------------------------------------------------------------------------- main


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1] + "\n"
               "Encore binary: $ENCORE_BIN (default target/release/encore in the repository). "
               "faster-whisper model: $ENCORE_FW_MODEL (default bench/.cache/whisper-tiny.en-ct2, made by "
               "bench/setup.sh). If faster_whisper is not importable here the script re-runs itself with "
               "bench/.venv/bin/python.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=None,
                    help="corpus directory with manifest.tsv and audio/ (default: ../shared/corpus relative "
                         "to the repository root if present, else tests/corpus)")
    ap.add_argument("--limit", type=int, default=None,
                    help="use at most N recordings of each transcript kind (manifest order; recordings with "
                         ".words.tsv come first) - for quick runs")
    ap.add_argument("--files", default=None, help="only recordings whose file name matches this glob, e.g. 'mfa_*'")
    ap.add_argument("--engines", default="encore,faster-whisper",
                    help="comma-separated: encore, faster-whisper (default: both)")
    ap.add_argument("--threads", type=int, default=2, help="threads for each engine (default 2)")
    ap.add_argument("--fw-compute-type", default="int8", help="faster-whisper compute_type (default int8)")
    ap.add_argument("--fw-no-fallback", action="store_true",
                    help="faster-whisper: temperature=0 only (no temperature fallback); default keeps "
                         "faster-whisper's default fallback schedule")
    ap.add_argument("--json-out", type=Path, default=None, help="also write all figures and per-file results here")
    ap.add_argument("--quiet", action="store_true", help="no per-file progress on stderr")
    args = ap.parse_args()

    engines_wanted = [e.strip() for e in args.engines.split(",") if e.strip()]
    if "faster-whisper" in engines_wanted:
        bl.reexec_with_faster_whisper()
    corpus = args.corpus or bl.default_corpus()
    rows = [r for r in bl.read_manifest(corpus) if r["path"].exists()]
    if args.files:
        rows = [r for r in rows if fnmatch.fnmatch(r["file"], args.files)]
    if args.limit is not None:
        picked = []
        for kind in dict.fromkeys(r["transcript_kind"] for r in rows):
            ks = [r for r in rows if r["transcript_kind"] == kind]
            ks.sort(key=lambda r: not (corpus / "audio" / f"{r['stem']}.words.tsv").exists())
            picked += ks[: args.limit]
        rows = [r for r in rows if r in picked]
    print(f"corpus: {corpus} ({len(rows)} recordings, {sum(r['seconds'] for r in rows):.0f} s)", file=sys.stderr)

    results, skipped = [], {}
    load_before = os.getloadavg()
    for name in engines_wanted:
        if name == "encore":
            eng = EncoreEngine(args.threads)
        elif name in ("faster-whisper", "fw"):
            eng = FasterWhisperEngine(args.threads, args.fw_compute_type, args.fw_no_fallback)
        else:
            ap.error(f"unknown engine {name!r}")
        why = eng.prepare()
        if why:
            skipped[eng.name] = why
            print(f"{eng.name}: SKIPPED - {why}", file=sys.stderr)
            continue
        # A binary that cannot transcribe at all should not be run 147 times.
        res = evaluate(eng, rows, corpus, not args.quiet)
        if rows and res["failures"] == len(res["files"]):
            skipped[eng.name] = f"every file failed, e.g. {res['files'][0]['error']}"
            continue
        results.append(res)

    busy = bl.busy_warning(load_before, os.getloadavg(), args.threads)
    text = report(results, skipped)
    print(text)
    if busy and results:
        print("  " + busy.replace("the times", "the processing times"))
    if args.json_out:
        doc = {"corpus": str(corpus), "recordings": len(rows), "threads": args.threads,
               "skipped": skipped, "busy_warning": busy, "engines": results}
        args.json_out.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        print(f"\nJSON written to {args.json_out}")
    return 2 if skipped else 0


if __name__ == "__main__":
    sys.exit(main())
