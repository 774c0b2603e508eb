#!/usr/bin/env python3
"""Speed of emovox's `prosody` and `utterance` pipelines against openSMILE eGeMAPSv02 (the
Python tool the field uses for the same functionals), one thread each, in one run.

    pip install opensmile
    cargo build --release --bin emovox
    python3 bench/prosody_speed.py [--clips 200] [--repeats 3]

Clips: the first files (sorted) of RAVDESS (48 kHz FLAC), TESS, EMOVO (16 kHz FLAC/WAV), in
equal shares, read from $EMOVOX_DATASETS (default ../shared/datasets). Both sides read every file
from disk and write one feature vector per clip: openSMILE through `Smile.process_file` in this
process (its start-up excluded), emovox as `emovox features FILES --jobs 1` (process start-up
included, which favours openSMILE). Prints the median wall time of `--repeats` runs, clips/s and
the ratio.
"""
import argparse
import glob
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DATA = os.environ.get("EMOVOX_DATASETS", os.path.join(ROOT, "..", "shared", "datasets"))
EMOVOX = os.environ.get("EMOVOX_BIN", os.path.join(ROOT, "target", "release", "emovox"))


def clips(n):
    per = n // 3
    out = []
    for corpus in ("ravdess", "tess", "emovo"):
        files = sorted(
            f
            for ext in ("flac", "wav")
            for f in glob.glob(os.path.join(DATA, corpus, "**", f"*.{ext}"), recursive=True)
        )
        if not files:
            sys.exit(f"no {corpus} clips under {DATA}")
        out += files[:per]
    return out


def time_opensmile(files):
    import opensmile

    smile = opensmile.Smile(
        feature_set=opensmile.FeatureSet.eGeMAPSv02,
        feature_level=opensmile.FeatureLevel.Functionals,
        num_workers=1,
    )
    smile.process_file(files[0])  # warm-up (loads the config)
    start = time.perf_counter()
    for f in files:
        smile.process_file(f)
    return time.perf_counter() - start


def time_emovox(files, pipeline):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "x.parquet")
        cmd = [EMOVOX, "features", *files, "--pipeline", pipeline, "--jobs", "1",
               "--no-progress", "--out", out]
        start = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, text=True)
        took = time.perf_counter() - start
        if r.returncode not in (0, 1):  # 1: some clips without speech (utterance), listed
            sys.exit(f"emovox failed: {r.stderr}")
        return took


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    if not os.path.exists(EMOVOX):
        sys.exit(f"{EMOVOX} not found: cargo build --release --bin emovox (or set EMOVOX_BIN)")
    files = clips(a.clips)
    runs = {"openSMILE eGeMAPSv02": [], "emovox prosody": [], "emovox utterance": []}
    for _ in range(a.repeats):  # interleaved, so drifts in machine load hit all three
        runs["openSMILE eGeMAPSv02"].append(time_opensmile(files))
        runs["emovox prosody"].append(time_emovox(files, "prosody"))
        runs["emovox utterance"].append(time_emovox(files, "utterance"))
    base = statistics.median(runs["openSMILE eGeMAPSv02"])
    print(f"{len(files)} clips, one thread, median of {a.repeats} runs")
    print(f"{'':24} {'seconds':>8} {'clips/s':>8} {'vs openSMILE':>13}")
    for name, t in runs.items():
        m = statistics.median(t)
        print(f"{name:24} {m:8.2f} {len(files) / m:8.1f} {base / m:12.2f}x")


if __name__ == "__main__":
    main()
