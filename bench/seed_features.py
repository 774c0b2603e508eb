#!/usr/bin/env python3
"""Seed-pipeline throughput: the original's librosa preprocessing vs `emovox features`, one run.

    pip install 'librosa==0.11.*' soxr soundfile
    cargo build --release
    python3 bench/seed_features.py [--n N] [--wav]

Runs the same N files (default: all RAVDESS + TESS, 4240 clips) through
  * librosa: load(offset=0.4, duration=1.5) -> resample to 16 kHz (soxr_hq) -> mfcc(13,
    n_fft 2048, hop 512) -> transpose, pad to 100 frames: single process, and a 2-process pool;
  * emovox: `emovox features --pipeline seed` with -j1 and with all cores;
and prints files/s for each and the ratios. Every timing is the median of --repeat runs (page cache
warm: one untimed warm-up read first). --wav converts the files to 16-bit WAV copies in a temp
folder first (users' RAVDESS is WAV) and benchmarks those instead of the FLACs.
"""
import argparse
import multiprocessing as mp
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


def seed_librosa(path):
    import librosa

    y, sr = librosa.load(path, sr=None, offset=0.4, duration=1.5)
    y = librosa.resample(y, orig_sr=sr, target_sr=16000)
    m = librosa.feature.mfcc(y=y, sr=16000, n_mfcc=13, n_fft=2048, hop_length=512).T[:100]
    return np.pad(m, ((0, 100 - m.shape[0]), (0, 0)))


def run_librosa(files, procs):
    t = time.perf_counter()
    if procs == 1:
        for f in files:
            seed_librosa(f)
    else:
        with mp.Pool(procs) as pool:
            pool.map(seed_librosa, files, chunksize=16)
    return time.perf_counter() - t


def run_emovox(listing, jobs):
    out = tempfile.mktemp(suffix=".parquet")
    cmd = [str(EMOVOX), "features", *listing, "--pipeline", "seed", "--out", out, "--no-progress"]
    if jobs:
        cmd += ["-j", str(jobs)]
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL)
    dt = time.perf_counter() - t
    os.unlink(out)
    return dt


def median_time(fn, repeat):
    return statistics.median(fn() for _ in range(repeat))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=0, help="files (0 = all RAVDESS + TESS)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--wav", action="store_true", help="benchmark 16-bit WAV copies of the files")
    ap.add_argument("--librosa-n", type=int, default=600,
                    help="librosa runs on this many of the files (it takes ~1 min per 4000); its rate is per file")
    a = ap.parse_args()
    if not EMOVOX.exists():
        sys.exit(f"build first: cargo build --release ({EMOVOX} missing)")
    files = sorted(str(p) for p in (DATASETS / "ravdess").rglob("*.flac")) + sorted(
        str(p) for p in (DATASETS / "tess").rglob("*.flac"))
    if a.n:
        step = max(1, len(files) // a.n)
        files = files[::step][: a.n]
    tmp = None
    if a.wav:
        import soundfile as sf

        tmp = tempfile.TemporaryDirectory()
        out = []
        for i, f in enumerate(files):
            y, sr = sf.read(f, dtype="int16")
            p = os.path.join(tmp.name, f"{i:05d}_{pathlib.Path(f).stem}.wav")
            sf.write(p, y, sr, subtype="PCM_16")
            out.append(p)
        files = out
    for f in files:  # warm the page cache
        pathlib.Path(f).read_bytes()
    # emovox walks folders; pass the files' folders when benchmarking whole corpora, else files.
    listing = files
    n = len(files)
    lib_files = files[:: max(1, n // a.librosa_n)][: a.librosa_n]
    cores = os.cpu_count() or 1
    print(f"{n} files ({'WAV copies' if a.wav else 'FLAC as shipped'}), {cores} cores; "
          f"librosa timed on {len(lib_files)} of them; medians of {a.repeat} runs")
    lib1 = len(lib_files) / median_time(lambda: run_librosa(lib_files, 1), a.repeat)
    libn = len(lib_files) / median_time(lambda: run_librosa(lib_files, cores), a.repeat)
    emo1_t = median_time(lambda: run_emovox(listing, 1), a.repeat)
    emon_t = median_time(lambda: run_emovox(listing, None), a.repeat)
    emo1, emon = n / emo1_t, n / emon_t
    print(f"{'':24}{'files/s':>10}")
    print(f"{'librosa, 1 process':24}{lib1:10.1f}")
    print(f"{'librosa, ' + str(cores) + ' processes':24}{libn:10.1f}")
    print(f"{'emovox, -j1':24}{emo1:10.1f}   {emo1 / lib1:6.1f}x librosa 1-process")
    print(f"{'emovox, all cores':24}{emon:10.1f}   {emon / libn:6.1f}x librosa {cores}-process; "
          f"{n} files in {emon_t:.2f} s wall")


if __name__ == "__main__":
    main()
