#!/usr/bin/env python3
"""Benchmark (not a test): seed-pipeline features for the 4240 RAVDESS + TESS clips through Spark
local[2], with emovox (emovox.spark.extract: mapInArrow, the Rust core once per Arrow batch) vs
the same job with a librosa Python UDF, the original project's approach fixed to decode properly
(librosa.load of the file's bytes, offset 0.4 s, duration 1.5 s, 16 kHz, 13 MFCC, 100 frames).

    python3 bench/spark_features.py [--datasets ../shared/datasets] [--master local[2]]

Needs pyspark, pyarrow, librosa and the emovox wheel (scripts/setup-python). One run of each job
after a warm-up pass that reads every file (page cache warm, JVM and Python workers started);
both jobs end in the same action (row, error and value counts), so neither writes output.
"""

import argparse
import io
import os
import sys
import time


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", default=os.environ.get("EMOVOX_DATASETS", "../shared/datasets"))
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--skip-librosa", action="store_true")
    ap.add_argument("--default-partitions", action="store_true",
                    help="keep Spark's file packing (4 MB open cost: ~30 clips per task)")
    args = ap.parse_args()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

    import numpy as np
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F
    from pyspark.sql.types import ArrayType, FloatType

    import emovox
    from emovox.spark import extract, read_audio, tune_for_small_files

    ds = os.path.abspath(args.datasets)
    spark = (SparkSession.builder.master(args.master).appName("emovox spark bench")
             .config("spark.ui.enabled", "false").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    if not args.default_partitions:
        tune_for_small_files(spark)  # as `python -m emovox.spark` does; applies to both jobs
    pattern = f"{ds}/{{ravdess,tess}}/**"

    def timed(name, df):
        t = time.perf_counter()
        # Summing the features' sizes makes Spark compute them (a count alone could prune them).
        row = df.agg(F.count("*").alias("n"), F.count("error").alias("failed"),
                     F.sum(F.size("values")).alias("values")).collect()[0]
        secs = time.perf_counter() - t
        print(f"{name:<22} {row['n']} files in {secs:6.2f} s = {row['n'] / secs:7.1f} files/s; "
              f"{row['failed']} failed", flush=True)
        return row["n"], secs

    # Warm-up: read every file once (page cache, JVM), and start the Python workers.
    t = time.perf_counter()
    n = read_audio(spark, pattern).select(F.sum(F.length("content"))).collect()[0][0]
    print(f"warm-up: {n / 1e6:.0f} MB read in {time.perf_counter() - t:.1f} s", flush=True)
    timed("warm-up emovox", extract(spark, f"{ds}/ravdess/Actor_01/**"))

    n1, s1 = timed("emovox (mapInArrow)", extract(spark, pattern, pipeline="seed"))

    # The floor: the same read and mapInArrow hand-off with no audio work (empty features).
    def nothing(batches):
        import pyarrow as pa

        for b in batches:
            n = b.num_rows
            yield pa.RecordBatch.from_arrays(
                [b.column(0), pa.array([[]] * n, pa.list_(pa.float32())),
                 pa.nulls(n, pa.string())], names=["path", "values", "error"])

    timed("Spark floor (no work)", read_audio(spark, pattern).mapInArrow(
        nothing, "path string, values array<float>, error string"))

    if args.skip_librosa:
        spark.stop()
        return 0

    @F.udf(ArrayType(FloatType()))
    def librosa_seed(content):
        import librosa

        y, sr = librosa.load(io.BytesIO(content), sr=16000, offset=0.4, duration=1.5)
        m = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=13).T
        out = np.zeros((100, 13), np.float32)
        out[: min(100, len(m))] = m[:100]
        return out.reshape(-1).tolist()

    def librosa_job(p):
        return read_audio(spark, p).select(
            "path", librosa_seed("content").alias("values"), F.lit(None).cast("string").alias("error"))

    timed("warm-up librosa", librosa_job(f"{ds}/ravdess/Actor_01/**"))
    lib = librosa_job(pattern)
    n2, s2 = timed("librosa UDF", lib)
    print(f"ratio (emovox / librosa files/s): {(n1 / s1) / (n2 / s2):.1f}x")
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
