#!/usr/bin/env python3
"""End-to-end prediction: the original notebook's predict path against `emovox predict`.

    pip install 'tensorflow-cpu>=2.18' librosa numpy
    cargo build --release --example predict_latency
    python3 bench/predict.py [--runs 200] [--folder-files 1440]

1. Latency of one 3.5 s RAVDESS clip after the model is loaded, on one core:
   * original: librosa.load(offset=0.4, duration=1.5, sr=16000) -> 13 MFCCs -> Keras seed LSTM
     (TensorFlow CPU), called as the notebook did (`model.predict`) and, as the best case for
     TensorFlow, through a compiled `tf.function` (the ratio is quoted against the best case);
   * emovox: `Recognizer::predict_file` with the bundled model (examples/predict_latency.rs,
     RAYON_NUM_THREADS=1).
2. A folder: all 1440 RAVDESS files, wall time:
   * original: the same loop (best-case tf.function call) over the files in one process, as the
     notebook ran it (TensorFlow keeps the one thread set for part 1: it cannot be changed once
     initialised; the loop is sequential Python anyway);
   * emovox: `emovox predict ravdess/ --csv` on every core, process start to exit (model load
     included).
Prints medians and the ratios. Weights do not matter for speed: the Keras model is untrained.
"""
import argparse
import os
import pathlib
import statistics
import subprocess
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATASETS = pathlib.Path(os.environ.get("EMOVOX_DATASETS", ROOT.parent / "shared" / "datasets"))
EMOVOX = ROOT / "target" / "release" / "emovox"
LATENCY = ROOT / "target" / "release" / "examples" / "predict_latency"
CLIP = DATASETS / "ravdess" / "Actor_01" / "03-01-01-01-01-01-01.flac"


def keras_model():
    import tensorflow as tf
    m = tf.keras.Sequential([
        tf.keras.Input((100, 13)),
        tf.keras.layers.LSTM(128, return_sequences=True),
        tf.keras.layers.LSTM(64),
        tf.keras.layers.Dense(64, activation="relu"),
        tf.keras.layers.Dropout(0.3),
        tf.keras.layers.Dense(4, activation="softmax"),
    ])
    return m


def original_predict(model, path, call=None):
    import librosa
    import numpy as np
    y, sr = librosa.load(path, sr=16000, offset=0.4, duration=1.5)
    mfcc = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=13, n_fft=2048, hop_length=512).T
    x = np.zeros((100, 13), dtype=np.float32)
    x[: min(100, len(mfcc))] = mfcc[:100]
    if call is None:  # what the notebook did
        return model.predict(x[None], verbose=0)[0]
    return call(x[None]).numpy()[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--folder-files", type=int, default=1440)
    args = ap.parse_args()

    # 1. One clip, one core.
    out = subprocess.run([str(LATENCY), str(CLIP), str(args.runs)], env={**os.environ, "RAYON_NUM_THREADS": "1"},
                         check=True, capture_output=True, text=True).stdout
    print(out.strip())
    ev_ms = float(out.split("median ")[1].split(" ms")[0])

    os.environ["TF_NUM_INTRAOP_THREADS"] = "1"
    os.environ["TF_NUM_INTEROP_THREADS"] = "1"
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    model = keras_model()
    fast = tf.function(lambda x: model(x, training=False), reduce_retracing=True)

    def median_ms(call, n):
        for _ in range(3):
            original_predict(model, str(CLIP), call)
        times = []
        for _ in range(n):
            t = time.perf_counter()
            original_predict(model, str(CLIP), call)
            times.append((time.perf_counter() - t) * 1e3)
        return statistics.median(times)

    notebook_ms = median_ms(None, min(args.runs, 50))
    py_ms = median_ms(fast, min(args.runs, 100))
    print(f"original, model.predict as the notebook (1 thread): median {notebook_ms:.2f} ms per clip")
    print(f"original, tf.function best case (1 thread): median {py_ms:.2f} ms per clip")
    print(f"ONE CLIP: emovox {ev_ms:.3f} ms vs original {py_ms:.2f} ms (best case) -> {py_ms / ev_ms:.0f}x faster; "
          f"vs the notebook's call {notebook_ms / ev_ms:.0f}x")

    # 2. The RAVDESS folder, all cores.
    files = sorted((DATASETS / "ravdess").rglob("*.flac"))[: args.folder_files]
    t = time.perf_counter()
    r = subprocess.run([str(EMOVOX), "predict", "--csv", "--no-progress", str(DATASETS / "ravdess")],
                       check=True, capture_output=True, text=True)
    ev_s = time.perf_counter() - t
    n_ev = len(r.stdout.splitlines()) - 1
    t = time.perf_counter()
    for f in files:
        original_predict(model, str(f), fast)
    py_s = time.perf_counter() - t
    print(f"FOLDER: emovox {n_ev} files in {ev_s:.2f} s ({n_ev / ev_s:.0f} files/s); "
          f"original {len(files)} files in {py_s:.1f} s ({len(files) / py_s:.0f} files/s) -> {py_s / ev_s:.0f}x")


if __name__ == "__main__":
    main()
