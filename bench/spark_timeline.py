#!/usr/bin/env python3
"""Benchmark (not a test): emotion timelines of long recordings on Spark local[2], against bare
`emovox timeline` on the same two cores and against the same job written as a librosa UDF.

    python3 bench/spark_timeline.py [--long target/long/long.wav] [--files 36] [--minutes 10]
                                    [--emovox target/release/emovox] [--runs 3] [--librosa-runs 1]

The recordings: `--files` WAVs of `--minutes` minutes each (16 kHz, 16-bit), cut one after
another from the speech archive `bench/timeline_long.py` builds (RAVDESS actors 21-24, about
60 % speech), written to `target/long/archive/` once.

The jobs, interleaved run by run after a warm-up of the emovox ones (medians compared; the slow
librosa job runs `--librosa-runs` times; x real time = audio seconds / wall seconds):

* bare: `emovox timeline FILE --format csv --no-progress` for every file, two at a time
  (`xargs -P 2`: the same two cores Spark gets). Wall time of the whole batch.
* Spark: `emovox.spark.timeline(spark, dir, read="paths")` in a running local[2] session, ended
  by one action (row and error counts; nothing written). The session start (JVM, ~5-10 s) is
  left out: it is paid once per session, not per archive; the Python workers' start is in.
* librosa UDF: the same shape of job in Python, as a `mapInPandas` over the paths: librosa.load
  at 16 kHz, `librosa.effects.split(top_db=30)` for speech, 3 s windows every 1 s over each
  region, 13 MFCC per window (n_fft 2048, hop 512) and their means and standard deviations
  through a fixed linear layer and a softmax (a stand-in for a model: the cost is in the audio
  work), one row per window. It is cheaper per second than emovox's job (no neural VAD, no pitch
  or voice-quality features), so the ratio flatters librosa.

Needs pyspark, pyarrow, librosa, soundfile and the emovox wheel (scripts/setup-python).
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def cut_archive(long: Path, out: Path, files: int, minutes: float) -> list:
    import soundfile as sf

    out.mkdir(parents=True, exist_ok=True)
    info = sf.info(long)
    n = int(minutes * 60 * info.samplerate)
    if files * n > info.frames:
        sys.exit(f"{long} holds {info.frames / info.samplerate / 60:.0f} min; need {files * minutes:.0f}")
    paths = []
    with sf.SoundFile(long) as r:
        for i in range(files):
            p = out / f"rec-{i:03d}.wav"
            block = r.read(n, dtype="int16")
            if not p.exists() or sf.info(p).frames != n:
                sf.write(p, block, info.samplerate, subtype="PCM_16")
            paths.append(p)
    return paths


def librosa_timeline(pdfs):
    """The mapInPandas function of the librosa job."""
    import librosa
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    w_lin = rng.normal(size=(26, 4)).astype(np.float32)
    for pdf in pdfs:
        rows = []
        for path in pdf["path"]:
            local = path[len("file:"):] if path.startswith("file:") else path
            y, sr = librosa.load(local, sr=16000)
            win, hop = 3 * sr, sr
            for a, b in librosa.effects.split(y, top_db=30):
                s = max(0, a - sr // 2)
                while True:
                    seg = y[s:s + win]
                    m = librosa.feature.mfcc(y=seg, sr=sr, n_mfcc=13, n_fft=2048, hop_length=512)
                    x = np.concatenate([m.mean(axis=1), m.std(axis=1)])
                    z = x @ w_lin
                    p = np.exp(z - z.max())
                    p /= p.sum()
                    rows.append((path, s / sr, min(s + win, len(y)) / sr, int(p.argmax()),
                                 float(p.max())))
                    if s + win >= b:
                        break
                    s = min(s + hop, b - win)
        yield pd.DataFrame(rows, columns=["path", "start", "end", "label", "confidence"])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--long", default=str(REPO / "target" / "long" / "long.wav"))
    ap.add_argument("--archive", default=str(REPO / "target" / "long" / "archive"))
    ap.add_argument("--files", type=int, default=36)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--emovox", default=str(REPO / "target" / "release" / "emovox"))
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--skip-librosa", action="store_true")
    ap.add_argument("--librosa-runs", type=int, default=1)
    a = ap.parse_args()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    paths = cut_archive(Path(a.long), Path(a.archive), a.files, a.minutes)
    audio = a.files * a.minutes * 60

    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    from emovox.spark import read_audio, timeline, tune_for_small_files

    spark = (SparkSession.builder.master(a.master).appName("emovox timeline bench")
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    tune_for_small_files(spark)
    archive = str(Path(a.archive).resolve())
    print(f"Spark {spark.version}, {a.master}; {a.files} recordings of {a.minutes:g} min "
          f"({audio / 3600:.2f} h of audio); cores: {os.cpu_count()}", flush=True)

    def bare():
        t = time.perf_counter()
        p = subprocess.run(
            ["xargs", "-0", "-P", "2", "-I", "{}", a.emovox, "timeline", "{}", "--format", "csv",
             "--no-progress"],
            input="\0".join(str(p) for p in paths), text=True, stdout=subprocess.DEVNULL)
        assert p.returncode == 0
        return time.perf_counter() - t, None

    def spark_job():
        t = time.perf_counter()
        df = timeline(spark, archive, read="paths")
        r = df.agg(F.count("*").alias("rows"), F.count("error").alias("failed")).collect()[0]
        assert r["failed"] == 0
        return time.perf_counter() - t, r["rows"]

    def librosa_job():
        t = time.perf_counter()
        df = read_audio(spark, archive, content=False).repartitionByRange(a.files, "path")
        df = df.mapInPandas(librosa_timeline,
                            "path string, start double, end double, label int, confidence float")
        r = df.agg(F.count("*").alias("rows")).collect()[0]
        return time.perf_counter() - t, r["rows"]

    jobs = [("bare emovox timeline, 2 at a time", bare), ("Spark emovox.spark.timeline", spark_job)]
    if not a.skip_librosa:
        jobs.append(("Spark librosa UDF", librosa_job))
    # Warm-up of the emovox jobs: page cache, Python workers. The librosa job (slow) runs
    # `--librosa-runs` times, after the others, warm.
    for name, job in jobs[:2]:
        job()
    times = {name: [] for name, _ in jobs}
    for run in range(a.runs):
        for name, job in jobs:
            if name == "Spark librosa UDF" and run >= a.librosa_runs:
                continue
            secs, rows = job()
            times[name].append(secs)
            print(f"run {run + 1}: {name:<36} {secs:6.1f} s = {audio / secs:5.0f}x real time"
                  + (f" ({rows} rows)" if rows is not None else "")
                  + f"; load {os.getloadavg()[0]:.1f}", flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    print("\n| job | median wall | x real time | vs bare emovox |")
    print("|---|---|---|---|")
    for name, _ in jobs:
        print(f"| {name} | {med[name]:.1f} s | {audio / med[name]:.0f}x | "
              f"{med[jobs[0][0]] / med[name]:.2f} |")
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
