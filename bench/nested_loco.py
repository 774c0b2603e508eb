#!/usr/bin/env python3
"""Nested leave-one-corpus-out: choose among candidate configurations without looking at the
held-out corpus.

For each corpus C of the tables, every candidate (a feature table and a model spec) is scored by
a leave-one-corpus-out over the *other* corpora only (`emovox evaluate --loco` on the table
without C); the best candidate by that inner mean UAR is the one used for C, and C's score is
that candidate's fold C of the full leave-one-corpus-out (trained on every corpus but C, as the
inner choice was). The mean over corpora is an estimate in which the choice never saw the corpus
it is scored on. Everything runs through the `emovox` binary.

Usage:
    python3 bench/nested_loco.py --work /tmp/nl \\
        --candidate target/loco/utterance.parquet:svm:c=1 \\
        --candidate target/loco/other.parquet:svm:c=1 -- --class-weights

A candidate is TABLE:MODEL (the model spec may contain colons); arguments after `--` go to every
`emovox evaluate --loco` (training flags such as --class-weights, or --adapt).
"""
import argparse
import json
import os
import subprocess
import sys

import pyarrow.compute as pc
import pyarrow.parquet as pq

HERE = os.path.dirname(os.path.abspath(__file__))
EMOVOX = os.environ.get("EMOVOX_BIN", os.path.join(HERE, "..", "target", "release", "emovox"))


def loco(table, model, extra, out):
    r = subprocess.run([EMOVOX, "evaluate", "--loco", "--features", table, "--model", model,
                        "--val-fraction", "0", *extra, "--out", out], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"emovox evaluate --loco on {table} failed:\n{r.stderr}")
    rep = json.load(open(os.path.join(out, "cv_report.json")))
    return rep["uar"][0], {f["fold"]: f["metrics"]["uar"] for f in rep["folds"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--work", required=True)
    ap.add_argument("--candidate", action="append", required=True, help="TABLE:MODEL")
    ap.add_argument("extra", nargs="*", help="flags for every evaluate --loco (after --)")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    cands = [c.split(":", 1) for c in a.candidate]
    full = []
    for i, (table, model) in enumerate(cands):
        mean, folds = loco(table, model, a.extra, os.path.join(a.work, f"full{i}"))
        full.append(folds)
        print(f"candidate {i}: {table} {model}: LOCO mean UAR {mean:.4f} "
              + " ".join(f"{k} {v:.3f}" for k, v in sorted(folds.items())), flush=True)
    corpora = sorted(full[0])
    outer = {}
    for c in corpora:
        inner = []
        for i, (table, model) in enumerate(cands):
            t = pq.read_table(table)
            sub = os.path.join(a.work, f"without-{c}-{i}.parquet")
            pq.write_table(t.filter(pc.not_equal(t["corpus"], c)), sub)
            mean, _ = loco(sub, model, a.extra, os.path.join(a.work, f"inner-{c}-{i}"))
            inner.append(mean)
        best = max(range(len(cands)), key=lambda i: inner[i])
        outer[c] = full[best][c]
        print(f"held out {c}: inner means " + " ".join(f"{m:.4f}" for m in inner)
              + f" -> candidate {best}, scores {outer[c]:.4f}", flush=True)
    m = sum(outer.values()) / len(outer)
    print(f"nested LOCO mean UAR {m:.4f}, worst {min(outer.values()):.4f} "
          + " ".join(f"{k} {v:.3f}" for k, v in sorted(outer.items())))


if __name__ == "__main__":
    main()
