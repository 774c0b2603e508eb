#!/usr/bin/env python3
"""Nested speaker-grouped cross-validation: choose a configuration without looking at the test fold.

For each outer fold of a `kfold-speaker:K` table, every candidate configuration (a feature table
and a model spec) is scored by an inner cross-validation over the *other* folds only (train on
all inner folds but one, score that one, average); the best candidate by inner UAR is then
trained on all inner folds and scored once on the outer fold. The mean +- std of those outer
scores is an estimate in which the choice among the candidates never saw the fold it is scored
on. Everything runs through the `emovox` binary (`train --train-splits`, `evaluate --split`).

Usage:
    cargo build --release
    emovox index ravdess --scheme full --split kfold-speaker:6 --out rav8.csv
    emovox features --manifest rav8.csv --pipeline logmel-stats --out lm.parquet
    emovox features --manifest rav8.csv --pipeline speech-stats --out sp.parquet
    python3 bench/nested_cv.py --work /tmp/nested \\
        --candidate lm.parquet:svm:c=3 --candidate lm.parquet:svm \\
        --candidate sp.parquet:svm:c=3 --candidate sp.parquet:svm \\
        -- --speaker-norm --val-fraction 0

A candidate is TABLE:MODEL (the model spec may contain colons); arguments after `--` go to every
`emovox train`.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

import pyarrow.parquet as pq

HERE = os.path.dirname(os.path.abspath(__file__))
EMOVOX = os.path.join(HERE, "..", "target", "release", "emovox")


def run(*args):
    r = subprocess.run([EMOVOX, *args], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"emovox {' '.join(args)} failed:\n{r.stderr}")


def fit_and_score(table, model, train_splits, test_split, out, extra):
    run("train", "--features", table, "--model", model, "--train-splits", ",".join(train_splits),
        "--out", out, "--no-progress", *extra)
    run("evaluate", out, "--features", table, "--split", test_split)
    with open(os.path.join(out, "report.json")) as f:
        return json.load(f)["overall"]["uar"]


def main():
    argv = sys.argv[1:]
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--candidate", action="append", required=True, help="TABLE:MODEL")
    ap.add_argument("--work", required=True)
    a = ap.parse_args(argv)
    cands = [tuple(c.split(":", 1)) for c in a.candidate]
    folds = sorted({s for s in pq.read_table(cands[0][0], columns=["split"]).column("split").to_pylist()
                    if s.startswith("fold")}, key=lambda s: int(s[4:]))
    outer_scores = []
    for f in folds:
        inner = [g for g in folds if g != f]
        best, best_score = None, -1.0
        for ci, (table, model) in enumerate(cands):
            scores = [fit_and_score(table, model, [h for h in inner if h != g], g,
                                    os.path.join(a.work, f, f"c{ci}", g), extra) for g in inner]
            m = statistics.mean(scores)
            print(f"{f}: candidate {os.path.basename(table)} {model}: inner UAR {m:.4f}", flush=True)
            if m > best_score:
                best, best_score = (table, model), m
        u = fit_and_score(best[0], best[1], inner, f, os.path.join(a.work, f, "chosen"), extra)
        print(f"{f}: chose {os.path.basename(best[0])} {best[1]} (inner {best_score:.4f}) -> outer UAR {u:.4f}",
              flush=True)
        outer_scores.append(u)
    print(f"nested CV: UAR {statistics.mean(outer_scores):.4f} +- {statistics.stdev(outer_scores):.4f} "
          f"over {len(folds)} outer folds: " + " ".join(f"{u:.3f}" for u in outer_scores))


if __name__ == "__main__":
    main()
