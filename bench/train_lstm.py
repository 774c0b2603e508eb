#!/usr/bin/env python3
"""The original Keras LSTM against `emovox train --model lstm-seed`, same data, one run.

    pip install 'tensorflow-cpu>=2.18' pyarrow numpy
    cargo build --release
    python3 bench/train_lstm.py [--epochs 20] [--table seed.parquet] [--jobs N]

Builds (unless --table is given) the seed protocol's table: RAVDESS + TESS, seed4 classes,
speakers Actor_21..24 and YAF held out, the original's two augmented copies of every training
clip (`emovox index` + `emovox features --manifest --augment seed`). Then trains
  * Keras: LSTM(128, seq) -> LSTM(64) -> Dense(64, relu) -> Dropout(0.3) -> Dense(4, softmax),
    Adam 1e-3, sparse categorical cross-entropy, batch 32 (TensorFlow CPU, all cores, or N
    intra-op and inter-op threads with --jobs N);
  * emovox: the same network, optimiser, batch and the same training rows (all cores, or
    `-j N` with --jobs N);
on the training split with 10 % of the clips held out for validation in both, and reports the
median seconds per epoch and the accuracy/UAR on the held-out speakers' original clips.
"""
import argparse
import os
import pathlib
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import pyarrow.parquet as pq

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATASETS = pathlib.Path(os.environ.get("EMOVOX_DATASETS", ROOT.parent / "shared" / "datasets"))
EMOVOX = ROOT / "target" / "release" / "emovox"
HELD_OUT = "speaker:Actor_21+Actor_22+Actor_23+Actor_24+YAF"


def make_table(tmp):
    manifest, table = os.path.join(tmp, "seed.csv"), os.path.join(tmp, "seed.parquet")
    subprocess.run([str(EMOVOX), "index", str(DATASETS / "ravdess"), str(DATASETS / "tess"), "--scheme", "seed4",
                    "--split", HELD_OUT, "--out", manifest], check=True, stderr=subprocess.DEVNULL)
    subprocess.run([str(EMOVOX), "features", "--manifest", manifest, "--augment", "seed", "--out", table,
                    "--no-progress"], check=True, stderr=subprocess.DEVNULL)
    return table


def load(table):
    t = pq.read_table(table).to_pandas()
    x = np.stack([np.asarray(v, dtype=np.float32).reshape(s) for v, s in zip(t["values"], t["shape"])])
    classes = sorted(t.loc[t["label"] != "", "label"].unique())
    y = t["label"].map({c: i for i, c in enumerate(classes)}).to_numpy()
    return t, x, y, classes


def uar(y, p, k):
    return float(np.mean([np.mean(p[y == c] == c) for c in range(k) if np.any(y == c)]))


def keras_run(t, x, y, classes, epochs, seed, jobs):
    import tensorflow as tf

    if jobs:
        tf.config.threading.set_intra_op_parallelism_threads(jobs)
        tf.config.threading.set_inter_op_parallelism_threads(jobs)
    tf.keras.utils.set_random_seed(seed)
    train = (t["split"] == "train").to_numpy()
    test = ((t["split"] == "test") & (t["augment"] == "")).to_numpy()
    # Validation: 10 % of the training clips with their augmented copies (as emovox does).
    paths = np.array(sorted(t.loc[train, "path"].unique()))
    rng = np.random.default_rng(seed)
    val_paths = set(rng.choice(paths, size=round(0.1 * len(paths)), replace=False))
    val = train & t["path"].isin(val_paths).to_numpy()
    fit = train & ~val
    model = tf.keras.Sequential([
        tf.keras.layers.Input((x.shape[1], x.shape[2])),
        tf.keras.layers.LSTM(128, return_sequences=True),
        tf.keras.layers.LSTM(64),
        tf.keras.layers.Dense(64, activation="relu"),
        tf.keras.layers.Dropout(0.3),
        tf.keras.layers.Dense(len(classes), activation="softmax"),
    ])
    model.compile(optimizer=tf.keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    assert model.count_params() == 126532, model.count_params()
    times = []

    class Timer(tf.keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.t)

    model.fit(x[fit], y[fit], batch_size=32, epochs=epochs, validation_data=(x[val], y[val]), callbacks=[Timer()],
              verbose=0, shuffle=True)
    p = model.predict(x[test], verbose=0).argmax(1)
    return times, float(np.mean(p == y[test])), uar(y[test], p, len(classes)), int(fit.sum())


def emovox_run(table, epochs, seed, tmp, jobs):
    out = os.path.join(tmp, "run")
    j = ["-j", str(jobs)] if jobs else []
    r = subprocess.run([str(EMOVOX), "train", "--features", table, "--model", "lstm-seed", "--epochs", str(epochs),
                        "--seed", str(seed), "--out", out, "--no-progress"] + j, check=True, capture_output=True, text=True)
    times = [float(m) for m in re.findall(r"val_acc \S+\s+lr \S+\s+([0-9.]+) s", r.stderr)]
    e = subprocess.run([str(EMOVOX), "evaluate", out, "--features", table] + j, check=True, capture_output=True, text=True)
    acc = float(re.search(r"accuracy ([0-9.]+)", e.stdout).group(1))
    u = float(re.search(r"UAR\) ([0-9.]+)", e.stdout).group(1))
    return times, acc, u


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--table", help="an existing seed-protocol table (skips building it)")
    ap.add_argument("--jobs", type=int, default=0, help="threads for both (default: all cores)")
    a = ap.parse_args()
    if not EMOVOX.exists():
        sys.exit(f"build first: cargo build --release ({EMOVOX} missing)")
    with tempfile.TemporaryDirectory() as tmp:
        table = a.table or make_table(tmp)
        t, x, y, classes = load(table)
        kt, kacc, kuar, n_fit = keras_run(t, x, y, classes, a.epochs, a.seed, a.jobs)
        et, eacc, euar = emovox_run(table, a.epochs, a.seed, tmp, a.jobs)
    k_med, e_med = statistics.median(kt), statistics.median(et)
    steps = -(-n_fit // 32)
    print(f"seed protocol: {n_fit} training rows ({steps} steps of 32), {a.epochs} epochs, {a.jobs or os.cpu_count()} thread(s); "
          f"test = held-out speakers {HELD_OUT[8:]}, original clips")
    print(f"{'':10}{'s/epoch':>9}{'ms/step':>9}{'test acc':>10}{'test UAR':>10}")
    print(f"{'Keras':10}{k_med:9.2f}{1000 * k_med / steps:9.1f}{kacc:10.3f}{kuar:10.3f}")
    print(f"{'emovox':10}{e_med:9.2f}{1000 * e_med / steps:9.1f}{eacc:10.3f}{euar:10.3f}")
    print(f"emovox epoch = {e_med / k_med:.2f} x Keras's ({k_med / e_med:.1f}x faster)")
    print("per-epoch seconds, Keras:", " ".join(f"{v:.2f}" for v in kt))
    print("per-epoch seconds, emovox:", " ".join(f"{v:.2f}" for v in et))


if __name__ == "__main__":
    main()
