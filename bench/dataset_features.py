#!/usr/bin/env python3
"""Training-set construction: the original's librosa code vs `emovox index` + `emovox features
--manifest --augment seed`, in one run.

    pip install 'librosa==0.11.*' soxr soundfile
    cargo build --release
    python3 bench/dataset_features.py [--librosa-n N] [--repeat R]

For every RAVDESS + TESS clip (4240), the original builds three feature rows: the clip, a noised
copy, and a noised + stretched (rate 0.8) + pitch-shifted (0.7 semitones) copy cut to 24000
samples, each through the seed pipeline (crop 0.4 s + 1.5 s, 16 kHz, 13 MFCC, 100 frames).
  * librosa: that code, single process, timed on an even sample of --librosa-n clips;
  * emovox: `emovox index --split none` (so every clip is augmented, as the original did),
    then `emovox features --manifest --augment seed` over all 4240 clips, -j1 and all cores.
Prints clips/s, the ratios, and the wall time of the whole set. Medians of --repeat runs.
"""
import argparse
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATASETS = pathlib.Path(os.environ.get("EMOVOX_DATASETS", ROOT.parent / "shared" / "datasets"))
EMOVOX = ROOT / "target" / "release" / "emovox"


def original_rows(path, rng):
    import librosa

    def mfcc(y):
        m = librosa.feature.mfcc(y=y, sr=16000, n_mfcc=13, n_fft=2048, hop_length=512).T[:100]
        return np.pad(m, ((0, 100 - m.shape[0]), (0, 0)))

    def noise(y):
        amp = 0.5 * rng.uniform() * np.amax(y)
        return (y + amp * rng.normal(size=y.shape[0])).astype(np.float32)

    y, sr = librosa.load(path, sr=None, offset=0.4, duration=1.5)
    y = librosa.resample(y, orig_sr=sr, target_sr=16000)
    a = librosa.effects.time_stretch(noise(y), rate=0.8)
    a = librosa.effects.pitch_shift(a, sr=16000, n_steps=0.7)[:24000]
    return [mfcc(y), mfcc(noise(y)), mfcc(a)]


def run_librosa(files):
    rng = np.random.default_rng(0)
    t = time.perf_counter()
    for f in files:
        original_rows(f, rng)
    return time.perf_counter() - t


def run_emovox(manifest, jobs):
    out = tempfile.mktemp(suffix=".parquet")
    cmd = [str(EMOVOX), "features", "--manifest", manifest, "--augment", "seed", "--out", out, "--no-progress"]
    if jobs:
        cmd += ["-j", str(jobs)]
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL)
    dt = time.perf_counter() - t
    os.unlink(out)
    return dt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--librosa-n", type=int, default=200, help="clips librosa runs on (rate is per clip)")
    a = ap.parse_args()
    if not EMOVOX.exists():
        sys.exit(f"build first: cargo build --release ({EMOVOX} missing)")
    tmp = tempfile.TemporaryDirectory()
    manifest = os.path.join(tmp.name, "m.csv")
    t = time.perf_counter()
    subprocess.run([str(EMOVOX), "index", str(DATASETS / "ravdess"), str(DATASETS / "tess"), "--split", "none",
                    "--out", manifest], check=True, stderr=subprocess.DEVNULL)
    index_s = time.perf_counter() - t
    files = [line.split(",", 1)[0] for line in pathlib.Path(manifest).read_text().splitlines()[1:]]
    n = len(files)
    for f in files:  # warm the page cache
        pathlib.Path(f).read_bytes()
    lib_files = files[:: max(1, n // a.librosa_n)][: a.librosa_n]
    cores = os.cpu_count() or 1
    print(f"{n} clips x 3 rows (clip, noise, noise+stretch+pitch), {cores} cores; librosa timed on "
          f"{len(lib_files)} of them; medians of {a.repeat} runs; emovox index took {index_s:.2f} s")
    lib = len(lib_files) / statistics.median(run_librosa(lib_files) for _ in range(a.repeat))
    e1_t = statistics.median(run_emovox(manifest, 1) for _ in range(a.repeat))
    en_t = statistics.median(run_emovox(manifest, None) for _ in range(a.repeat))
    print(f"{'':24}{'clips/s':>10}")
    print(f"{'librosa, 1 process':24}{lib:10.1f}   (whole set: {n / lib:.0f} s)")
    print(f"{'emovox, -j1':24}{n / e1_t:10.1f}   {n / e1_t / lib:6.1f}x librosa; whole set {e1_t:.2f} s")
    print(f"{'emovox, all cores':24}{n / en_t:10.1f}   {n / en_t / lib:6.1f}x librosa; whole set {en_t:.2f} s wall")


if __name__ == "__main__":
    main()
