"""Shared helpers for the Encore benchmarks (listen_eval.py, listen_speed.py).

Standard library only.  faster-whisper is imported lazily by the callers.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
import wave
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
VENV_PYTHON = BENCH_DIR / ".venv" / "bin" / "python"
DEFAULT_FW_MODEL_DIR = BENCH_DIR / ".cache" / "whisper-tiny.en-ct2"


# --------------------------------------------------------------------------- paths


def default_corpus() -> Path:
    shared = REPO_ROOT.parent / "shared" / "corpus"
    if (shared / "manifest.tsv").exists():
        return shared
    return REPO_ROOT / "tests" / "corpus"


def encore_bin() -> Path:
    """ENCORE_BIN, default target/release/encore relative to the repository root."""
    raw = os.environ.get("ENCORE_BIN")
    if not raw:
        return REPO_ROOT / "target" / "release" / "encore"
    p = Path(raw)
    if p.is_absolute() or p.exists():
        return p.resolve()
    return REPO_ROOT / p


def fw_model_dir() -> Path:
    """ENCORE_FW_MODEL (a CTranslate2 Whisper directory), default bench/.cache/whisper-tiny.en-ct2."""
    raw = os.environ.get("ENCORE_FW_MODEL")
    return Path(raw) if raw else DEFAULT_FW_MODEL_DIR


def faster_whisper_python() -> str | None:
    """An interpreter that can import faster_whisper: this one, else bench/.venv's; None if neither."""
    try:
        import faster_whisper  # noqa: F401

        return sys.executable
    except ImportError:
        pass
    if VENV_PYTHON.exists():
        r = subprocess.run([str(VENV_PYTHON), "-c", "import faster_whisper"], capture_output=True)
        if r.returncode == 0:
            return str(VENV_PYTHON)
    return None


def reexec_with_faster_whisper() -> None:
    """If faster_whisper is not importable here but bench/.venv has it, re-run this script there."""
    try:
        import faster_whisper  # noqa: F401

        return
    except ImportError:
        pass
    # The venv's python is often a link to this very interpreter: tell them apart by sys.prefix.
    in_venv = Path(sys.prefix).resolve() == VENV_PYTHON.parent.parent.resolve()
    if VENV_PYTHON.exists() and not in_venv and not os.environ.get("ENCORE_BENCH_REEXEC"):
        os.environ["ENCORE_BENCH_REEXEC"] = "1"
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), *sys.argv])


def check_fw_model(model_dir: Path) -> str | None:
    if not (model_dir / "model.bin").exists():
        return f"no CTranslate2 model at {model_dir} (run: bash bench/setup.sh, or set ENCORE_FW_MODEL)"
    return None


# --------------------------------------------------------------------------- corpus


def read_manifest(corpus: Path) -> list[dict]:
    rows = []
    with open(corpus / "manifest.tsv", encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            if not line.strip():
                continue
            cells = line.rstrip("\n").split("\t")
            cells += [""] * (len(header) - len(cells))
            row = dict(zip(header, cells))
            row["stem"] = row["file"].rsplit(".", 1)[0]
            row["path"] = corpus / "audio" / row["file"]
            try:
                row["seconds"] = float(row.get("seconds") or 0.0)
            except ValueError:
                row["seconds"] = 0.0
            rows.append(row)
    return rows


def read_words_tsv(path: Path) -> list[tuple[float, float, str]]:
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            cells = line.rstrip("\n").split("\t")
            if len(cells) < 3:
                continue
            try:
                start, end = float(cells[0]), float(cells[1])
            except ValueError:
                continue  # header
            out.append((start, end, cells[2]))
    return out


def wav_duration(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / float(w.getframerate())


def trim_wav(src: Path, seconds: float, dest: Path) -> float:
    with wave.open(str(src), "rb") as r:
        params = r.getparams()
        n = min(r.getnframes(), int(round(seconds * r.getframerate())))
        frames = r.readframes(n)
    with wave.open(str(dest), "wb") as w:
        w.setparams(params)
        w.writeframes(frames)
    return n / float(params.framerate)


# --------------------------------------------------------------------------- numbers

_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen " \
        "seventeen eighteen nineteen".split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = [(10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand")]
_ORDINAL_IRREGULAR = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
                      "nine": "ninth", "twelve": "twelfth"}


def _under_100(n: int) -> list[str]:
    if n < 20:
        return [_ONES[n]]
    t, o = divmod(n, 10)
    return [_TENS[t]] + ([_ONES[o]] if o else [])


def _under_1000(n: int) -> list[str]:
    h, rest = divmod(n, 100)
    out = [_ONES[h], "hundred"] if h else []
    if rest or not out:
        out += _under_100(rest)
    return out


def cardinal_words(n: int) -> list[str]:
    """123 -> one hundred twenty three (no 'and'; callers normalise both sides the same way)."""
    if n < 1000:
        return _under_1000(n)
    out: list[str] = []
    for value, name in _SCALES:
        if n >= value:
            q, n = divmod(n, value)
            out += cardinal_words(q) + [name]
    if n:
        out += _under_1000(n)
    return out


def year_words(n: int) -> list[str]:
    """1961 -> nineteen sixty one; 1900 -> nineteen hundred; 1905 -> nineteen oh five; 2005 -> two thousand five."""
    if 2000 <= n <= 2009:
        return cardinal_words(n)
    hi, lo = divmod(n, 100)
    if lo == 0:
        return _under_100(hi) + ["hundred"]
    if lo < 10:
        return _under_100(hi) + ["oh", _ONES[lo]]
    return _under_100(hi) + _under_100(lo)


def number_words(digits: str) -> list[str]:
    n = int(digits)
    if len(digits) == 4 and (1100 <= n <= 1999 or 2000 <= n <= 2099):
        return year_words(n)
    if len(digits) > 1 and digits.startswith("0"):
        return [_ONES[int(d)] for d in digits]  # "007" -> zero zero seven
    return cardinal_words(n)


def ordinal_words(n: int) -> list[str]:
    words = cardinal_words(n)
    last = words[-1]
    if last in _ORDINAL_IRREGULAR:
        words[-1] = _ORDINAL_IRREGULAR[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return words


# --------------------------------------------------------------------------- text normalisation

# Small, symmetric spelling map applied to reference and hypothesis alike.
_SPELLING = {
    "mr": ["mister"], "mrs": ["missus"], "dr": ["doctor"], "ok": ["okay"],
    "yknow": ["you", "know"], "y'know": ["you", "know"], "ya'know": ["you", "know"],
}

_APOSTROPHES = {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"}


def _numbers_to_words(s: str) -> str:
    s = re.sub(r"(?<=\d),(?=\d{3}\b)", "", s)  # 1,000 -> 1000
    s = re.sub(r"\$(\d+(?:\.\d+)?)", r"\1 dollars", s)
    s = s.replace("%", " percent ")
    s = re.sub(r"\b(\d+)(st|nd|rd|th)\b", lambda m: " ".join(ordinal_words(int(m.group(1)))), s)
    s = re.sub(r"(\d+)\.(\d+)", lambda m: " ".join(number_words(m.group(1)) + ["point"]
                                                   + [_ONES[int(d)] for d in m.group(2)]), s)
    s = re.sub(r"\d+", lambda m: " " + " ".join(number_words(m.group(0))) + " ", s)
    return s


def letter_runs(tokens: list[str]) -> list[tuple[int, int]]:
    """Groups [i, j) of tokens to be joined: runs of two or more single letters, at least one of
    which is not the word 'a' or 'i' ('m f a' -> 'mfa', to meet Whisper's 'MFA'); every other
    token is a group of its own."""
    groups = []
    i = 0
    while i < len(tokens):
        j = i
        while j < len(tokens) and len(tokens[j]) == 1 and tokens[j].isalpha():
            j += 1
        if j - i >= 2 and any(t not in ("a", "i") for t in tokens[i:j]):
            groups.append((i, j))
            i = j
        else:
            groups.append((i, i + 1))
            i += 1
    return groups


def _join_spelled_letters(tokens: list[str]) -> list[str]:
    return ["".join(tokens[i:j]) for i, j in letter_runs(tokens)]


def normalize_tokens(text: str, join_letters: bool = True) -> list[str]:
    """Lower case, punctuation removed, hyphens to spaces, digits to words, contractions kept."""
    s = unicodedata.normalize("NFKC", text)
    for a, b in _APOSTROPHES.items():
        s = s.replace(a, b)
    s = s.lower()
    s = _numbers_to_words(s)
    s = re.sub(r"[-\u2010-\u2015/]", " ", s)
    s = re.sub(r"[^\w' ]+", " ", s)
    s = s.replace("_", " ")
    out: list[str] = []
    for tok in s.split():
        tok = tok.strip("'")
        if not tok:
            continue
        out.extend(_SPELLING.get(tok, [tok]))
    return _join_spelled_letters(out) if join_letters else out


_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def roman_value(s: str) -> int | None:
    if not s or any(c not in _ROMAN for c in s):
        return None
    total = 0
    for a, b in zip(s, s[1:] + " "):
        v = _ROMAN[a]
        total += -v if b != " " and _ROMAN[b] > v else v
    return total


def reference_tokens(text: str) -> list[str]:
    """normalize_tokens() for a reference transcript, where a line holding nothing but an
    upper-case Roman numeral (the sonnet headings 'I', 'II', 'III') counts as that number in words."""
    lines = []
    for line in text.splitlines():
        v = roman_value(line.strip().rstrip("."))
        lines.append(" ".join(cardinal_words(v)) if v else line)
    return normalize_tokens("\n".join(lines))


def normalize_text(text: str) -> str:
    return " ".join(normalize_tokens(text))


# --------------------------------------------------------------------------- alignment


def align(ref: list, hyp: list, sub_cost=None):
    """Weighted edit-distance alignment.  sub_cost(r, h) -> cost of pairing r with h (0 == equal).
    Insertions and deletions cost 1.  Returns (cost, pairs) where pairs is a list of
    (ref_index | None, hyp_index | None) in order."""
    if sub_cost is None:
        sub_cost = lambda r, h: 0.0 if r == h else 1.0  # noqa: E731
    n, m = len(ref), len(hyp)
    inf = math.inf
    d = [[inf] * (m + 1) for _ in range(n + 1)]
    bt = [[0] * (m + 1) for _ in range(n + 1)]  # 0 diag, 1 up (deletion), 2 left (insertion)
    for i in range(n + 1):
        d[i][0] = float(i)
        bt[i][0] = 1
    for j in range(m + 1):
        d[0][j] = float(j)
        bt[0][j] = 2
    for i in range(1, n + 1):
        ri = ref[i - 1]
        row, prev = d[i], d[i - 1]
        brow = bt[i]
        for j in range(1, m + 1):
            best = prev[j - 1] + sub_cost(ri, hyp[j - 1])
            b = 0
            c = prev[j] + 1.0
            if c < best:
                best, b = c, 1
            c = row[j - 1] + 1.0
            if c < best:
                best, b = c, 2
            row[j] = best
            brow[j] = b
    pairs = []
    i, j = n, m
    while i > 0 or j > 0:
        b = bt[i][j] if i > 0 and j > 0 else (1 if i > 0 else 2)
        if b == 0:
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif b == 1:
            pairs.append((i - 1, None))
            i -= 1
        else:
            pairs.append((None, j - 1))
            j -= 1
    pairs.reverse()
    return d[n][m], pairs


def word_edits(ref: list[str], hyp: list[str]) -> dict:
    """Unit-cost edit counts: substitutions, deletions, insertions."""
    _, pairs = align(ref, hyp)
    s = dl = ins = 0
    for r, h in pairs:
        if r is None:
            ins += 1
        elif h is None:
            dl += 1
        elif ref[r] != hyp[h]:
            s += 1
    return {"sub": s, "del": dl, "ins": ins, "edits": s + dl + ins, "ref_words": len(ref)}


# --------------------------------------------------------------------------- statistics


def percentile(values: list[float], q: float) -> float | None:
    """Linear-interpolation percentile (q in 0..100), like numpy's default."""
    if not values:
        return None
    v = sorted(values)
    if len(v) == 1:
        return v[0]
    pos = (len(v) - 1) * q / 100.0
    lo = int(math.floor(pos))
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def median(values: list[float]) -> float | None:
    return percentile(values, 50.0)


# --------------------------------------------------------------------------- encore


def run_measured(cmd: list[str], env: dict | None = None, timeout: float | None = None) -> dict:
    """Run cmd, capturing stdout/stderr to temp files; wall time and the child's own max RSS (via os.wait4)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
        timer = threading.Timer(timeout, p.kill) if timeout else None
        if timer:
            timer.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        finally:
            if timer:
                timer.cancel()
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {
            "rc": p.returncode,
            "wall_s": wall,
            "maxrss_kib": ru.ru_maxrss,  # Linux reports KiB
            "user_s": ru.ru_utime,
            "sys_s": ru.ru_stime,
            "stdout": out.read().decode("utf-8", "replace"),
            "stderr": err.read().decode("utf-8", "replace"),
        }


def parse_profile(stderr: str) -> dict | None:
    for line in stderr.splitlines():
        if line.startswith("profile: "):
            try:
                return json.loads(line[len("profile: "):])
            except json.JSONDecodeError:
                return None
    return None


def encore_transcribe(binary: Path, audio: Path, threads: int, profile: bool = False,
                      timeout: float | None = 900) -> dict:
    cmd = [str(binary), "transcribe", str(audio), "--json", "--threads", str(threads)]
    if profile:
        cmd.append("--profile")
    r = run_measured(cmd, timeout=timeout)
    r["cmd"] = cmd
    r["json"] = None
    r["error"] = None
    if r["rc"] != 0:
        tail = r["stderr"].strip().splitlines()[-3:]
        r["error"] = f"exit status {r['rc']}: {' | '.join(tail)}"
    else:
        try:
            doc = json.loads(r["stdout"])
            if not isinstance(doc, dict) or not isinstance(doc.get("words"), list):
                raise ValueError("no 'words' list")
            r["json"] = doc
        except (ValueError, json.JSONDecodeError) as e:
            r["error"] = f"stdout is not an encore.transcript JSON document ({e}): {r['stdout'][:200]!r}"
    r["profile"] = parse_profile(r["stderr"]) if profile else None
    return r


def encore_contract_notes(doc: dict) -> list[str]:
    """Deviations of a transcript document from the agreed contract."""
    notes = []
    if doc.get("format") != "encore.transcript/1":
        notes.append(f"format is {doc.get('format')!r}, expected 'encore.transcript/1'")
    if not isinstance(doc.get("duration"), (int, float)):
        notes.append("no numeric 'duration'")
    if not isinstance(doc.get("unrecognised"), list):
        notes.append("no 'unrecognised' list")
    for w in doc.get("words", [])[:50]:
        missing = [k for k in ("text", "start", "end", "confidence") if k not in w]
        if missing:
            notes.append(f"word without {missing}: {w}")
            break
    return notes


def encore_model_install(binary: Path) -> dict:
    """`encore model install` (idempotent) so that first-use installation does not land in a timing."""
    r = run_measured([str(binary), "model", "install"], timeout=1800)
    return {"rc": r["rc"], "wall_s": r["wall_s"], "stderr_tail": r["stderr"].strip().splitlines()[-2:]}


def encore_available(binary: Path) -> str | None:
    if not binary.exists():
        return f"{binary} does not exist (build it with cargo build --release, or set ENCORE_BIN)"
    if not os.access(binary, os.X_OK):
        return f"{binary} is not executable"
    return None


# --------------------------------------------------------------------------- faster-whisper


FW_TRANSCRIBE_SETTINGS = {
    "language": "en",
    "beam_size": 1,
    "word_timestamps": True,
    "without_timestamps": False,
    "vad_filter": False,
}


def fw_describe(compute_type: str, threads: int, extra: dict | None = None) -> str:
    s = dict(FW_TRANSCRIBE_SETTINGS)
    if extra:
        s.update(extra)
    parts = [f"compute_type={compute_type}", f"cpu_threads={threads}"] + [f"{k}={v}" for k, v in s.items()]
    parts.append("condition_on_previous_text=True(default)")
    if "temperature" not in s:
        parts.append("temperature=fallback 0.0..1.0(default)")
    return ", ".join(parts)


def busy_warning(load_before: tuple, load_after: tuple, threads: int) -> str | None:
    """A warning when other work shared the CPUs during a timed section (1-minute load average)."""
    cpus = os.cpu_count() or 1
    # Our own work accounts for about `threads` runnable tasks.
    worst = max(load_before[0], load_after[0])
    if worst > threads + 0.75 or (cpus <= threads and worst > cpus + 0.75):
        return (f"WARNING: the machine was busy (1-min load average {load_before[0]:.1f} before, "
                f"{load_after[0]:.1f} after, {cpus} CPUs): other processes competed for the CPUs, "
                f"so the times are unreliable; rerun on an idle machine")
    return None


def fmt_s(x: float | None, digits: int = 2) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def fmt_pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [len(h) for h in header]
    for r in rows:
        for i, c in enumerate(r):
            widths[i] = max(widths[i], len(str(c)))
    def line(cells):
        return "  ".join(str(c).ljust(widths[i]) if i == 0 else str(c).rjust(widths[i]) for i, c in enumerate(cells))
    out = [line(header), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in rows]
    return "\n".join(out)
