#!/usr/bin/env python3
"""Benchmark (not a test): seed-pipeline features for the 4240 RAVDESS + TESS clips through Spark
local[2], with emovox (emovox.spark.extract: mapInArrow, the Rust core once per Arrow batch) vs
the same job with a librosa Python UDF, the original project's approach fixed to decode properly
(librosa.load, offset 0.4 s, duration 1.5 s, 16 kHz, 13 MFCC, 100 frames).

    python3 bench/spark_features.py [--datasets ../shared/datasets] [--master local[2]] [--runs 3]

Every job is run in both read modes, like for like:

* bytes: Spark's binaryFile reader reads each file into the JVM and hands its bytes to Python
  (emovox `read="bytes"`; the librosa UDF over `content`, as the original did);
* paths: binaryFile only lists the files (`path` alone is selected, so Spark never opens them) and
  the Python side opens each file itself (emovox `read="paths"`, its default for local files; the
  librosa UDF calls librosa.load(path)).

Plus the Spark floor of each mode: the same listing, read and mapInArrow hand-off, returning empty
features. Each timing starts before the DataFrame is created, so it includes Spark's file listing,
and ends with one action (row, error and value counts; nothing is written). Jobs are interleaved
run by run (so load that comes and goes hits all of them); the medians are compared.

Needs pyspark, pyarrow, librosa and the emovox wheel (scripts/setup-python). A warm-up pass reads
every file (page cache warm, JVM started) and starts the Python workers of both jobs.
"""

import argparse
import io
import os
import statistics
import sys
import time


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", default=os.environ.get("EMOVOX_DATASETS", "../shared/datasets"))
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--runs", type=int, default=1, help="runs of each job (medians compared)")
    ap.add_argument("--skip-librosa", action="store_true")
    ap.add_argument("--sample", type=int, default=600,
                    help="clips for the no-Spark per-file comparison at the end (0: skip)")
    ap.add_argument("--default-partitions", action="store_true",
                    help="keep Spark's file packing (4 MB open cost: ~30 clips per task)")
    args = ap.parse_args()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    # One BLAS/OpenMP thread in this process too, as Spark gives its Python workers
    # (OMP_NUM_THREADS = spark.task.cpus): librosa's no-Spark timing below is otherwise 3-7x
    # slower on a busy 2-core machine, from oversubscribed threads.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")

    import numpy as np
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F
    from pyspark.sql.types import ArrayType, FloatType

    from emovox.spark import extract, read_audio, tune_for_small_files

    ds = os.path.abspath(args.datasets)
    spark = (SparkSession.builder.master(args.master).appName("emovox spark bench")
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    if not args.default_partitions:
        tune_for_small_files(spark)  # as `python -m emovox.spark` does; applies to every job
    pattern = f"{ds}/{{ravdess,tess}}/**"
    print(f"Spark {spark.version}, {args.master}, "
          + ", ".join(f"{k.split('.')[-1]}={spark.conf.get(k)}" for k in (
              "spark.sql.files.openCostInBytes", "spark.sql.files.maxPartitionBytes",
              "spark.sql.execution.arrow.maxRecordsPerBatch")), flush=True)

    def timed(name, make_df):
        t = time.perf_counter()
        df = make_df()  # lists the files
        # Summing the features' sizes makes Spark compute them (a count alone could prune them).
        row = df.agg(F.count("*").alias("n"), F.count("error").alias("failed"),
                     F.sum(F.size("values")).alias("values")).collect()[0]
        secs = time.perf_counter() - t
        load = os.getloadavg()[0]
        print(f"{name:<24} {row['n']} files in {secs:6.2f} s = {row['n'] / secs:7.1f} files/s; "
              f"{row['failed']} failed; {df.rdd.getNumPartitions()} tasks; load {load:.2f}",
              flush=True)
        return row["n"] / secs

    # The floor: the same read and mapInArrow hand-off with no audio work (empty features).
    def nothing(batches):
        import pyarrow as pa

        for b in batches:
            n = b.num_rows
            yield pa.RecordBatch.from_arrays(
                [b.column(0), pa.array([[]] * n, pa.list_(pa.float32())),
                 pa.nulls(n, pa.string())], names=["path", "values", "error"])

    def floor(read):
        return read_audio(spark, pattern, content=read == "bytes").mapInArrow(
            nothing, "path string, values array<float>, error string")

    def librosa_seed(src):
        import librosa

        y, sr = librosa.load(src, sr=16000, offset=0.4, duration=1.5)
        m = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=13).T
        out = np.zeros((100, 13), np.float32)
        out[: min(100, len(m))] = m[:100]
        return out.reshape(-1).tolist()

    @F.udf(ArrayType(FloatType()))
    def librosa_bytes(content):
        return librosa_seed(io.BytesIO(content))

    @F.udf(ArrayType(FloatType()))
    def librosa_path(path):
        return librosa_seed(path[len("file:"):] if path.startswith("file:") else path)

    def librosa_job(p, read):
        df = read_audio(spark, p, content=read == "bytes")
        udf = librosa_bytes("content") if read == "bytes" else librosa_path("path")
        return df.select("path", udf.alias("values"), F.lit(None).cast("string").alias("error"))

    jobs = {
        "Spark floor, bytes": lambda: floor("bytes"),
        "Spark floor, paths": lambda: floor("paths"),
        "emovox, bytes": lambda: extract(spark, pattern, pipeline="seed", read="bytes"),
        "emovox, paths": lambda: extract(spark, pattern, pipeline="seed", read="paths"),
    }
    if not args.skip_librosa:
        jobs["librosa UDF, bytes"] = lambda: librosa_job(pattern, "bytes")
        jobs["librosa UDF, paths"] = lambda: librosa_job(pattern, "paths")

    # Warm-up: read every file once (page cache, JVM), and start the Python workers.
    t = time.perf_counter()
    n = read_audio(spark, pattern).select(F.sum(F.length("content"))).collect()[0][0]
    print(f"warm-up: {n / 1e6:.0f} MB read in {time.perf_counter() - t:.1f} s", flush=True)
    timed("warm-up emovox", lambda: extract(spark, f"{ds}/ravdess/Actor_01/**"))
    if not args.skip_librosa:
        timed("warm-up librosa", lambda: librosa_job(f"{ds}/ravdess/Actor_0[12]/**", "bytes"))

    rates = {name: [] for name in jobs}
    for r in range(args.runs):
        print(f"-- run {r + 1} of {args.runs}", flush=True)
        for name, make in jobs.items():
            rates[name].append(timed(name, make))
    files = sorted(r["path"] for r in read_audio(spark, pattern, content=False).collect())
    spark.stop()

    if args.sample and not args.skip_librosa:
        # Without Spark, one process, one thread: what each costs per file (the most the ratio
        # inside Spark can approach, as Spark's own cost per file adds to both).
        import emovox

        local = [f[len("file:"):] if f.startswith("file:") else f for f in files]
        step = max(1, len(local) // args.sample)
        sample = local[::step][: args.sample]
        librosa_seed(sample[0])
        emovox.features(sample[0])
        t = time.perf_counter()
        for f in sample:
            librosa_seed(f)
        lib = len(sample) / (time.perf_counter() - t)
        t = time.perf_counter()
        for f in sample:
            emovox.features(f)
        emo = len(sample) / (time.perf_counter() - t)
        print(f"\nno Spark, 1 thread, {len(sample)} clips (every {step}th): librosa {lib:.1f} files/s, "
              f"emovox {emo:.1f} files/s = {emo / lib:.1f}x; load {os.getloadavg()[0]:.2f}")
        raw = [p.encode() for p in local]
        data = np.frombuffer(b"".join(raw), dtype=np.uint8)
        offsets = np.cumsum([0] + [len(r) for r in raw]).astype(np.int64)
        t = time.perf_counter()
        errors = emovox.features_batch(data, offsets, "seed", 2, paths=True)[4]
        secs = time.perf_counter() - t
        print(f"no Spark, emovox features_batch of all {len(local)} paths on 2 threads: {secs:.2f} s = "
              f"{len(local) / secs:.1f} files/s ({sum(e is not None for e in errors)} failed)")

    med = {name: statistics.median(v) for name, v in rates.items()}
    print(f"\nmedians of {args.runs} run(s), files/s:")
    for name, v in med.items():
        print(f"  {name:<24} {v:8.1f}   (runs: {', '.join(f'{x:.1f}' for x in rates[name])})")
    if not args.skip_librosa:
        for mode in ("bytes", "paths"):
            print(f"emovox / librosa, both {mode}: {med[f'emovox, {mode}'] / med[f'librosa UDF, {mode}']:.1f}x")
        best_e, best_l = max(med[f"emovox, {m}"] for m in ("bytes", "paths")), max(
            med[f"librosa UDF, {m}"] for m in ("bytes", "paths"))
        print(f"best emovox / best librosa: {best_e / best_l:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
