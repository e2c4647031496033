#!/usr/bin/env python3
"""Speed and memory of Encore's speech recognition against faster-whisper, on one ~1-minute
recording, with the same Whisper tiny.en weights and the same number of threads.

Encore:          the whole `$ENCORE_BIN transcribe AUDIO --json --threads N` process (model load,
                 audio decode, mel, encoder, decoder, word timing), median of --runs after one
                 warm-up run; its real-time factor (RTF = processing time / audio duration); max RSS
                 of the process; where the time goes, from --profile (given on the timed runs).
faster-whisper:  one child process per compute type (int8, float32): the model is loaded once,
                 one warm-up transcription, then --runs timed transcriptions, each timed from the
                 transcribe() call until list(segments) is fully consumed (this includes audio
                 decoding and the mel spectrogram, as Encore's does); beam_size=1, word_timestamps=True.
                 Max RSS of that child process.

With --analyze, the whole `encore analyze AUDIO --script SCRIPT --json --threads N --profile`
process (listening, judging against the script, delivery) is compared instead with faster-whisper
int8's warm transcription with word timestamps, the two alternated run by run (one encore run, then
one faster-whisper run, --runs times after one warm-up each) so that both meet the same machine;
medians, spreads and the ratio, and where Encore's time went.

Run `bash bench/setup.sh` first (faster-whisper + the CTranslate2 tiny.en model).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib as bl  # noqa: E402

DEFAULT_AUDIO = "librivox_shakespeare_sonnet_001.wav"


# --------------------------------------------------------------------------- faster-whisper worker (child)


def fw_worker(args) -> int:
    from faster_whisper import WhisperModel

    extra = {"temperature": 0.0} if args.fw_no_fallback else {}
    t0 = time.perf_counter()
    model = WhisperModel(args.model_dir, device="cpu", compute_type=args.compute_type, cpu_threads=args.threads)
    load_s = time.perf_counter() - t0

    def cpu():
        ru = resource.getrusage(resource.RUSAGE_SELF)  # all threads of this process
        return ru.ru_utime + ru.ru_stime

    def once():
        c, t = cpu(), time.perf_counter()
        segments, _ = model.transcribe(args.audio, **bl.FW_TRANSCRIBE_SETTINGS, **extra)
        segments = list(segments)
        dt, dc = time.perf_counter() - t, cpu() - c
        words = [w for s in segments for w in (s.words or [])]
        return dt, dc, words

    warm_s, _, _ = once()
    times, cpus, words = [], [], []
    for _ in range(args.runs):
        dt, dc, words = once()
        times.append(dt)
        cpus.append(dc)
    text = "".join(w.word for w in words).strip()
    print(json.dumps({"load_s": load_s, "warmup_s": warm_s, "times_s": times, "cpu_s": cpus,
                      "cpu_s_median": bl.median(cpus), "words": len(words), "text": text}))
    return 0


def fw_server(args) -> int:
    """faster-whisper kept loaded: one timed transcription per line read on stdin, its figures
    written as one JSON line, so that the parent can alternate it with Encore's runs."""
    from faster_whisper import WhisperModel

    t0 = time.perf_counter()
    model = WhisperModel(args.model_dir, device="cpu", compute_type=args.compute_type, cpu_threads=args.threads)
    print(json.dumps({"load_s": time.perf_counter() - t0}), flush=True)
    for _ in sys.stdin:
        ru = resource.getrusage(resource.RUSAGE_SELF)
        c, t = ru.ru_utime + ru.ru_stime, time.perf_counter()
        segments, _ = model.transcribe(args.audio, **bl.FW_TRANSCRIBE_SETTINGS)
        words = [w for s in segments for w in (s.words or [])]
        ru = resource.getrusage(resource.RUSAGE_SELF)
        print(json.dumps({"wall_s": time.perf_counter() - t, "cpu_s": ru.ru_utime + ru.ru_stime - c,
                          "words": len(words)}), flush=True)
    return 0


# --------------------------------------------------------------------------- parent


def encore_analyze(binary: Path, audio: Path, script: Path, threads: int, profile: bool = True) -> dict:
    cmd = [str(binary), "analyze", str(audio), "--script", str(script), "--json", "--threads", str(threads)]
    if profile:
        cmd.append("--profile")
    r = bl.run_measured(cmd, timeout=900)
    r["error"] = None
    if r["rc"] != 0:
        r["error"] = f"exit status {r['rc']}: {' | '.join(r['stderr'].strip().splitlines()[-3:])}"
    r["profile"] = bl.parse_profile(r["stderr"])
    return r


def run_analyze_alternated(audio: Path, script: Path, threads: int, runs: int) -> dict:
    """`encore analyze` and faster-whisper int8, one run of each in turn."""
    import subprocess

    binary = bl.encore_bin()
    why = bl.encore_available(binary)
    if why:
        return {"skipped": why}
    py, model_dir, why = fw_peer()
    if why:
        return {"skipped": why}
    bl.encore_model_install(binary)
    cmd = [py, str(Path(__file__).resolve()), "--_fw-server", "--audio", str(audio), "--threads", str(threads),
           "--compute-type", "int8", "--model-dir", str(model_dir)]
    server = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              env=dict(os.environ, OMP_NUM_THREADS=str(threads)))
    fw_load = json.loads(server.stdout.readline())["load_s"]

    def fw_once() -> dict:
        server.stdin.write("run\n")
        server.stdin.flush()
        return json.loads(server.stdout.readline())

    encore, fw = [], []
    try:
        print("  warm-up: encore analyze, faster-whisper", file=sys.stderr, flush=True)
        warm = encore_analyze(binary, audio, script, threads)
        # An Encore from before `analyze --profile` is timed without it.
        profile = not (warm["rc"] == 2 and "--profile" in warm["stderr"])
        if not profile:
            warm = encore_analyze(binary, audio, script, threads, profile=False)
        if warm["error"]:
            return {"skipped": f"`encore analyze` failed: {warm['error']}"}
        fw_once()
        for k in range(runs):
            r = encore_analyze(binary, audio, script, threads, profile)
            if r["error"]:
                return {"skipped": f"`encore analyze` failed on run {k + 1}: {r['error']}"}
            encore.append(r)
            fw.append(fw_once())
            print(f"  run {k + 1}/{runs}: encore analyze {r['wall_s']:.2f} s, faster-whisper {fw[-1]['wall_s']:.2f} s",
                  file=sys.stderr, flush=True)
    finally:
        server.stdin.close()
        server.wait(timeout=60)
    walls = [r["wall_s"] for r in encore]
    median_run = sorted(range(runs), key=lambda i: walls[i])[(runs - 1) // 2]
    return {
        "encore_times_s": walls, "encore_median_s": bl.median(walls),
        "encore_cpu_s_median": bl.median([r["user_s"] + r["sys_s"] for r in encore]),
        "encore_maxrss_kib": max(r["maxrss_kib"] for r in encore),
        "profile": encore[median_run]["profile"],
        "fw_times_s": [f["wall_s"] for f in fw], "fw_median_s": bl.median([f["wall_s"] for f in fw]),
        "fw_cpu_s_median": bl.median([f["cpu_s"] for f in fw]), "fw_load_s": fw_load,
        "fw_settings": bl.fw_describe("int8", threads, None),
    }


def render_analyze(res: dict) -> str:
    r = res["analyze"]
    if "skipped" in r:
        return f"\nSKIPPED - {r['skipped']}"
    spread = lambda xs: f"{min(xs):.2f}-{max(xs):.2f} s"  # noqa: E731
    rows = [["encore analyze (whole process)", f"{r['encore_median_s']:.2f} s", spread(r["encore_times_s"]),
             f"{r['encore_cpu_s_median']:.2f} s", f"{r['encore_maxrss_kib'] / 1024:.0f} MiB"],
            ["faster-whisper int8, word timestamps (warm)", f"{r['fw_median_s']:.2f} s", spread(r["fw_times_s"]),
             f"{r['fw_cpu_s_median']:.2f} s", ""]]
    lines = ["", bl.table(rows, ["", "median", "spread", "CPU", "max RSS"]), "",
             f"ratio encore analyze / faster-whisper int8: {r['encore_median_s'] / r['fw_median_s']:.2f}x "
             f"(CPU time {r['encore_cpu_s_median'] / r['fw_cpu_s_median']:.2f}x); "
             f"faster-whisper's model load {r['fw_load_s']:.2f} s is excluded, Encore's included"]
    p = r.get("profile")
    if p:
        parts = [f"{k} {v}" if isinstance(v, int) else f"{k} {v:.3f} s" for k, v in p.items()]
        lines += ["", "encore analyze --profile of the median run:", "  " + " | ".join(parts)]
    lines.append(f"faster-whisper settings: {r['fw_settings']}")
    return "\n".join(lines)


def run_encore(audio: Path, threads: int, runs: int) -> dict:
    binary = bl.encore_bin()
    why = bl.encore_available(binary)
    if why:
        return {"skipped": why}
    res = {"binary": str(binary), "notes": []}
    inst = bl.encore_model_install(binary)
    if inst["rc"] != 0:
        res["notes"].append(f"`encore model install` exited {inst['rc']}: {' | '.join(inst['stderr_tail'])}")
    print("  encore: warm-up run", file=sys.stderr, flush=True)
    warm = bl.encore_transcribe(binary, audio, threads)
    if warm["error"]:
        return {"skipped": f"`encore transcribe` failed: {warm['error']}", **res}
    res["notes"] += bl.encore_contract_notes(warm["json"])
    walls, rss, cpu, profiles = [], [], [], []
    words = warm["json"]["words"]
    for k in range(runs):
        r = bl.encore_transcribe(binary, audio, threads, profile=True)
        if r["error"]:
            return {"skipped": f"`encore transcribe` failed on run {k + 1}: {r['error']}", **res}
        walls.append(r["wall_s"])
        rss.append(r["maxrss_kib"])
        cpu.append(r["user_s"] + r["sys_s"])
        profiles.append(r["profile"])
        words = r["json"]["words"]
        print(f"  encore: run {k + 1}/{runs} {r['wall_s']:.2f} s, max RSS {r['maxrss_kib'] / 1024:.0f} MiB",
              file=sys.stderr, flush=True)
    if any(p is None for p in profiles):
        res["notes"].append("--profile printed no `profile: {json}` line on stderr")
    # The profile of the run whose wall time is the median one.
    median_run = sorted(range(runs), key=lambda i: walls[i])[(runs - 1) // 2]
    minus_load = [p["total"] - p["load_model"] for p in profiles
                  if p and isinstance(p.get("total"), float) and isinstance(p.get("load_model"), float)]
    res.update({
        "warmup_s": warm["wall_s"], "times_s": walls, "median_s": bl.median(walls),
        "maxrss_kib": max(rss), "cpu_s_median": bl.median(cpu), "profile": profiles[median_run],
        "profiles": profiles, "minus_load_median_s": bl.median(minus_load) if minus_load else None,
        "words": len(words),
        "text": "".join(str(w.get("text", "")) if str(w.get("text", ""))[:1].isspace()
                        else " " + str(w.get("text", "")) for w in words).strip(),
    })
    return res


def fw_peer() -> tuple[str | None, Path, str | None]:
    """The Python that has faster-whisper, the peer's model directory, and why they cannot run."""
    py = bl.faster_whisper_python()
    model_dir = bl.fw_model_dir()
    if not py:
        return py, model_dir, "faster_whisper is not importable (run: bash bench/setup.sh)"
    return py, model_dir, bl.check_fw_model(model_dir)


def run_fw(audio: Path, threads: int, runs: int, compute_type: str, no_fallback: bool) -> dict:
    py, model_dir, why = fw_peer()
    if why:
        return {"skipped": why}
    cmd = [py, str(Path(__file__).resolve()), "--_fw-worker", "--audio", str(audio), "--threads", str(threads),
           "--runs", str(runs), "--compute-type", compute_type, "--model-dir", str(model_dir)]
    if no_fallback:
        cmd.append("--fw-no-fallback")
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    print(f"  faster-whisper {compute_type}: load, warm-up, {runs} runs", file=sys.stderr, flush=True)
    r = bl.run_measured(cmd, env=env, timeout=1800)
    if r["rc"] != 0:
        return {"skipped": f"worker exited {r['rc']}: {r['stderr'].strip()[-400:]}"}
    doc = json.loads(r["stdout"].strip().splitlines()[-1])
    doc.update({"median_s": bl.median(doc["times_s"]), "maxrss_kib": r["maxrss_kib"], "process_wall_s": r["wall_s"],
                "settings": bl.fw_describe(compute_type, threads, {"temperature": 0.0} if no_fallback else None)})
    return doc


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog=__doc__.split("\n\n", 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--audio", type=Path, default=None,
                    help=f"16 kHz mono WAV to transcribe (default: {DEFAULT_AUDIO} from the corpus, about 53 s)")
    ap.add_argument("--trim", type=float, default=None, metavar="SECONDS",
                    help="use only the first SECONDS of the audio (written to a temporary WAV), "
                         "e.g. --audio .../librivox_udhr_preamble_en.wav --trim 60")
    ap.add_argument("--corpus", type=Path, default=None, help="corpus directory for the default audio")
    ap.add_argument("--threads", type=int, default=2, help="threads for every engine (default 2)")
    ap.add_argument("--runs", type=int, default=3, help="timed runs per engine after one warm-up (default 3)")
    ap.add_argument("--engines", default="encore,faster-whisper", help="comma-separated: encore, faster-whisper")
    ap.add_argument("--compute-types", default="int8,float32",
                    help="faster-whisper compute types to measure (default int8,float32)")
    ap.add_argument("--fw-no-fallback", action="store_true",
                    help="faster-whisper: temperature=0 only (default keeps its temperature fallback)")
    ap.add_argument("--json-out", type=Path, default=None, help="also write the figures here as JSON")
    ap.add_argument("--analyze", action="store_true",
                    help="compare the whole `encore analyze` with faster-whisper int8, alternated run by run")
    ap.add_argument("--script", type=Path, default=None,
                    help="the script for --analyze (default: the audio's .txt beside it)")
    # internal: the faster-whisper child process
    ap.add_argument("--_fw-worker", dest="fw_worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--_fw-server", dest="fw_server", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--compute-type", default="int8", help=argparse.SUPPRESS)
    ap.add_argument("--model-dir", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.fw_worker:
        return fw_worker(args)
    if args.fw_server:
        return fw_server(args)

    corpus = args.corpus or bl.default_corpus()
    src = args.audio or (corpus / "audio" / DEFAULT_AUDIO)
    if not src.exists():
        ap.error(f"audio file {src} not found")
    tmpdir = None
    audio = src
    if args.trim:
        tmpdir = tempfile.TemporaryDirectory(prefix="encore-speed-")
        audio = Path(tmpdir.name) / f"{src.stem}.first{args.trim:g}s.wav"
        bl.trim_wav(src, args.trim, audio)
    duration = bl.wav_duration(audio)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    print(f"audio: {src}{f' (first {args.trim:g} s)' if args.trim else ''}, {duration:.2f} s; "
          f"threads {args.threads}; median of {args.runs} runs after 1 warm-up", flush=True)

    results: dict = {"audio": str(src), "trim_s": args.trim, "duration_s": duration, "threads": args.threads,
                     "runs": args.runs, "cpu_count": os.cpu_count()}
    load_before = os.getloadavg()
    results["loadavg_before"] = load_before
    if args.analyze:
        script = args.script or src.with_suffix(".txt")
        if not script.exists():
            ap.error(f"script {script} not found (give --script)")
        results["script"] = str(script)
        results["analyze"] = run_analyze_alternated(audio, script, args.threads, args.runs)
        results["loadavg_after"] = os.getloadavg()
        results["busy_warning"] = bl.busy_warning(load_before, results["loadavg_after"], args.threads)
        print(render_analyze(results))
        if results["busy_warning"]:
            print(results["busy_warning"])
        if args.json_out:
            args.json_out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
        if tmpdir:
            tmpdir.cleanup()
        return 2 if "skipped" in results["analyze"] else 0
    if "encore" in engines:
        results["encore"] = run_encore(audio, args.threads, args.runs)
    if "faster-whisper" in engines or "fw" in engines:
        for ct in [c.strip() for c in args.compute_types.split(",") if c.strip()]:
            results[f"faster-whisper {ct}"] = run_fw(audio, args.threads, args.runs, ct, args.fw_no_fallback)

    results["loadavg_after"] = os.getloadavg()
    results["busy_warning"] = bl.busy_warning(load_before, results["loadavg_after"], args.threads)
    print(render(results, duration))
    if results["busy_warning"] and not all("skipped" in results[k] for k in results if isinstance(results[k], dict)):
        print(results["busy_warning"])
    if args.json_out:
        args.json_out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
        print(f"\nJSON written to {args.json_out}")
    if tmpdir:
        tmpdir.cleanup()
    return 2 if any("skipped" in v for v in results.values() if isinstance(v, dict)) else 0


def render(res: dict, duration: float) -> str:
    lines = [""]
    rows = []
    for name, r in res.items():
        if not isinstance(r, dict):
            continue
        if "skipped" in r:
            rows.append([name, "skipped", "", "", "", "", "", "", ""])
            continue
        med = r["median_s"]
        runs = " ".join(f"{t:.2f}" for t in r["times_s"])
        load = (f"{r['load_s']:.2f} s (excluded)" if "load_s" in r else "included")
        rows.append([name, f"{med:.2f} s", f"{min(r['times_s']):.2f} s", f"{r['cpu_s_median']:.2f} s",
                     f"{med / duration:.3f}",
                     f"{r['maxrss_kib'] / 1024:.0f} MiB", load, str(r["words"]), runs])
        if name == "encore" and r.get("minus_load_median_s") is not None:
            rest = r["minus_load_median_s"]
            rows.append(["encore minus model load", f"{rest:.2f} s", "", "", f"{rest / duration:.3f}", "",
                         "from --profile", "", ""])
    lines.append(bl.table(rows, ["engine", "median", "best", "CPU", "RTF", "max RSS", "model load", "words", "runs (s)"]))

    enc = res.get("encore")
    lines.append("")
    summary = []
    if enc and "skipped" not in enc:
        summary.append(f"encore {enc['median_s']:.2f} s (RTF {enc['median_s'] / duration:.3f})")
    for ct in ("int8", "float32"):
        fw = res.get(f"faster-whisper {ct}")
        if fw and "skipped" not in fw:
            s = f"faster-whisper {ct} {fw['median_s']:.2f} s (RTF {fw['median_s'] / duration:.3f})"
            if enc and "skipped" not in enc:
                s += f"  ratio {enc['median_s'] / fw['median_s']:.2f}x"
                if enc.get("minus_load_median_s") is not None:
                    s += f" ({enc['minus_load_median_s'] / fw['median_s']:.2f}x without Encore's model load)"
            summary.append(s)
    lines.append("  ".join(summary[:1]) + ("\n" + "\n".join(summary[1:]) if summary[1:] else ""))
    fw8 = res.get("faster-whisper int8")
    if enc and "skipped" not in enc and fw8 and "skipped" not in fw8:
        lines.append(f"CPU-time ratio encore / faster-whisper int8: {enc['cpu_s_median'] / fw8['cpu_s_median']:.2f}x "
                     "(user+sys seconds; less sensitive to other load than wall time)")
    if enc and "skipped" not in enc:
        lines.append("(ratio = encore whole process / faster-whisper transcription with the model already loaded)")

    if enc and "skipped" not in enc:
        p = enc.get("profile")
        if p:
            total = p.get("total")
            parts = []
            for k, v in p.items():
                if isinstance(v, int) and not isinstance(v, bool):
                    parts.append(f"{k} {v}")  # a count (e.g. windows), not seconds
                elif isinstance(v, float):
                    share = f" ({100 * v / total:.0f}%)" if total and k != "total" else ""
                    parts.append(f"{k} {v:.3f} s{share}")
                else:
                    parts.append(f"{k} {v}")
            lines.append("")
            lines.append("encore --profile of the median run (seconds, share of total):")
            lines.append("  " + " | ".join(parts))
    for name, r in res.items():
        if isinstance(r, dict) and "skipped" in r:
            lines.append(f"{name}: SKIPPED - {r['skipped']}")
        if isinstance(r, dict):
            for n in r.get("notes", []):
                lines.append(f"contract note ({name}): {n}")
    fw = res.get("faster-whisper int8")
    if fw and "skipped" not in fw:
        lines.append(f"faster-whisper settings: {fw['settings']}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
