#!/usr/bin/env python3
"""How many clips of a new speaker does a speaker-normalised model need?

A model trained with `--speaker-norm` standardises a speaker's clips together, so at prediction
time it needs several clips of the speaker (`emovox predict --same-speaker`). This script takes
each held-out speaker of a manifest's test split, draws N of their labelled clips at random
(several draws per N), predicts each draw with `emovox predict --same-speaker` as a user would,
and prints the accuracy and UAR over all draws for each N. "all" uses every test clip of the
speaker (what `emovox evaluate` does).

The draws come from the speaker's labelled clips of the scheme, so each draw mixes emotions as the
test split does; a real speaker's clips that were nearly all one emotion would normalise worse.

Usage:
    cargo build --release
    python3 bench/speaker_enrollment.py --model runs/svm_sn --manifest seed.csv \
        [--sizes 5,10,20,50,all] [--draws 5] [--seed 1]
"""
import argparse
import csv
import os
import random
import subprocess
import sys
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
EMOVOX = os.path.join(HERE, "..", "target", "release", "emovox")


def uar(pairs):
    by = defaultdict(lambda: [0, 0])
    for t, p in pairs:
        by[t][0] += t == p
        by[t][1] += 1
    return sum(c / n for c, n in by.values()) / len(by)


def predict(model, files):
    out = subprocess.run(
        [EMOVOX, "predict", "--model", model, "--same-speaker", "--csv", "--no-progress", *files],
        capture_output=True, text=True, check=True,
    ).stdout
    rows = list(csv.DictReader(out.splitlines()))
    return {r["file"]: r["label"] for r in rows}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--split", default="test")
    ap.add_argument("--sizes", default="5,10,20,50,all")
    ap.add_argument("--draws", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if not os.path.exists(EMOVOX):
        sys.exit(f"{EMOVOX} not found: cargo build --release first")
    speakers = defaultdict(list)
    with open(a.manifest, newline="") as f:
        for r in csv.DictReader(f):
            if r["split"] == a.split and r["label"]:
                speakers[(r["corpus"], r["speaker"])].append((r["path"], r["label"]))
    rng = random.Random(a.seed)
    print(f"model {a.model}; {len(speakers)} test speakers: "
          + ", ".join(f"{s} ({len(c)} clips)" for (_, s), c in sorted(speakers.items())))
    print(f"{'clips per speaker':>18} {'draws':>6} {'predictions':>12} {'accuracy':>9} {'UAR':>7}")
    for size in a.sizes.split(","):
        pairs, draws = [], 0
        for key, clips in sorted(speakers.items()):
            if size == "all":
                samples = [clips]
            else:
                n = int(size)
                if n > len(clips):
                    continue
                samples = [rng.sample(clips, n) for _ in range(a.draws)]
            for s in samples:
                got = predict(a.model, [p for p, _ in s])
                pairs += [(label, got.get(p, "")) for p, label in s]
                draws += 1
        acc = sum(t == p for t, p in pairs) / len(pairs)
        print(f"{size:>18} {draws:>6} {len(pairs):>12} {acc:>9.4f} {uar(pairs):>7.4f}", flush=True)


if __name__ == "__main__":
    main()
