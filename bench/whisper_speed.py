#!/usr/bin/env python3
"""Speed of emovox's `utterance-whisper` pipeline (the bundled model's features) against the same
encoder in Python: librosa (load at 16 kHz, trim) and Whisper base's encoder in numpy
(bench/whisper_probe.py's, which matches ctranslate2's `encode`), one thread each, in one run.

    pip install numpy librosa
    scripts/fetch-whisper && cargo build --release --bin emovox
    python3 bench/whisper_speed.py [--clips 120] [--repeats 3]

Clips: the first files (sorted) of RAVDESS (48 kHz FLAC), TESS, EMOVO and TurEV-DB, in equal
shares, from $EMOVOX_DATASETS (default ../shared/datasets). Python: each file loaded, trimmed and
encoded to the layer-3 mean in this process (weights loaded before timing); emovox: `emovox
features FILES --pipeline utterance-whisper --jobs 1` (process start-up and weight loading
included, which favours Python; emovox also computes the 90 `utterance` functionals). BLAS runs
on one thread (set before numpy loads). Prints the median wall time of `--repeats` runs, clips/s
and the ratio.
"""
import argparse
import glob
import os
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from whisper_probe import Encoder  # noqa: E402

DATA = os.environ.get("EMOVOX_DATASETS", os.path.join(ROOT, "..", "shared", "datasets"))
EMOVOX = os.environ.get("EMOVOX_BIN", os.path.join(ROOT, "target", "release", "emovox"))
WEIGHTS = os.environ.get("EMOVOX_WHISPER") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
    "emovox/whisper-base/model.bin")


def clips(n):
    per = n // 4
    out = []
    for corpus in ("ravdess", "tess", "emovo", "turev"):
        files = sorted(
            f
            for ext in ("flac", "wav", "opus")
            for f in glob.glob(os.path.join(DATA, corpus, "**", f"*.{ext}"), recursive=True)
        )
        if not files:
            sys.exit(f"no {corpus} clips under {DATA}")
        out += files[:per]
    return out


def time_python(enc, files):
    import librosa

    start = time.perf_counter()
    for f in files:
        y, _ = librosa.load(f, sr=16000)
        y, _ = librosa.effects.trim(y, top_db=40)
        y = np.pad(y, (0, max(0, 1600 - len(y))))
        enc.layer_means(enc.logmel(y))
    return time.perf_counter() - start


def time_emovox(files):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "x.parquet")
        cmd = [EMOVOX, "features", *files, "--pipeline", "utterance-whisper", "--jobs", "1",
               "--no-progress", "--out", out]
        env = dict(os.environ, EMOVOX_WHISPER=WEIGHTS)
        start = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, text=True, env=env)
        took = time.perf_counter() - start
        if r.returncode not in (0, 1):  # 1: some clips without speech, listed
            sys.exit(f"emovox failed: {r.stderr}")
        return took


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", type=int, default=120)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    for p, what in ((EMOVOX, "cargo build --release --bin emovox (or set EMOVOX_BIN)"),
                    (WEIGHTS, "scripts/fetch-whisper (or set EMOVOX_WHISPER)")):
        if not os.path.exists(p):
            sys.exit(f"{p} not found: {what}")
    files = clips(a.clips)
    enc = Encoder(WEIGHTS)
    time_python(enc, files[:2])  # warm-up (librosa's first load, numpy's allocations)
    runs = {"librosa + numpy encoder": [], "emovox utterance-whisper": []}
    for _ in range(a.repeats):  # interleaved, so drifts in machine load hit both
        runs["librosa + numpy encoder"].append(time_python(enc, files))
        runs["emovox utterance-whisper"].append(time_emovox(files))
    base = statistics.median(runs["librosa + numpy encoder"])
    print(f"{len(files)} clips, one thread, median of {a.repeats} runs")
    print(f"{'':26} {'seconds':>8} {'clips/s':>8} {'vs Python':>10}")
    for name, t in runs.items():
        m = statistics.median(t)
        print(f"{name:26} {m:8.2f} {len(files) / m:8.1f} {base / m:9.2f}x")


if __name__ == "__main__":
    main()
