#!/usr/bin/env python3
"""The probes behind `--split-class unpleasant` (bench/MODEL_EXPERIMENTS.md, "Unpleasant learnt as
anger and sadness"): a scikit-learn replica of `emovox evaluate --loco` with the bundled recipe
(logistic regression C = 0.001, speaker- and class-balanced weights, trained on the clips and their
`crop` copies, scored on the held-out corpus's clips), which reproduces emovox's figures to the
third decimal, and the variants tried on it.

    python3 bench/unpleasant_probe.py TABLE.parquet

TABLE: `emovox features --manifest SEED4.csv --pipeline utterance-whisper --augment crop` over
the four corpora indexed with `--split none` (bench/crop_draws.sh makes them). Needs numpy,
pyarrow and scikit-learn; about 5 minutes on 2 cores. Prints mean UAR, per held-out corpus, and
the lowest class recall of each variant, one clip at a time and adapted (each held-out speaker's
clips moved to the training mean and spread, shrunk by (n - 1) / (n + 1), as `--adapt`)."""
import sys
import warnings

import numpy as np
import pyarrow.parquet as pq
from sklearn.linear_model import LogisticRegression

warnings.filterwarnings("ignore")
CORPORA = ["emovo", "ravdess", "tess", "turev"]
SEED4 = ["happy", "neutral", "surprise", "unpleasant"]
CANON = {"anger": "angry", "sadness": "sad", "joy": "happy", "pleasant_surprise": "surprised",
         "surprise": "surprised"}

t = pq.read_table(sys.argv[1])
X = np.stack(t["values"].to_numpy(zero_copy_only=False)).astype(np.float64)
corpus = np.array(t["corpus"].to_pylist())
speaker = np.array([c + "/" + s for c, s in zip(corpus, t["speaker"].to_pylist())])
label = np.array(t["label"].to_pylist())
augment = np.array(t["augment"].to_pylist())
emotion = np.array([CANON.get(e, e) for e in t["emotion"].to_pylist()])


def balanced(y, speakers):
    """emovox's speaker-balanced weights: speakers equal within a class, classes equal."""
    w = np.zeros(len(y))
    for s in np.unique(speakers):
        for c in np.unique(y[speakers == s]):
            i = (speakers == s) & (y == c)
            w[i] = 1 / i.sum()
    for c in np.unique(y):
        w[y == c] /= w[y == c].sum()
    return w * len(w) / w.sum()


def adapt(Z, speakers):
    """`--adapt` (standardize) over each speaker's clips, in standardised units."""
    Z = Z.copy()
    for s in np.unique(speakers):
        i = speakers == s
        n = i.sum()
        k = (n - 1) / (n + 1)
        Z[i] = (Z[i] - k * Z[i].mean(0)) / np.sqrt(np.maximum(k * Z[i].var(0) + 1 - k, 1e-6))
    return Z


def recalls(logp, y):
    pred = np.array(SEED4)[logp.argmax(1)]
    return {c: float(np.mean(pred[y == c] == c)) for c in sorted(set(y))}


def fit(tr, features, split=(), share=0.5):
    """A model on rows `tr` whose classes in `split` are learnt as their emotions, each
    weighing `share` of a class; returns log P(seed4 class) for standardised rows."""
    y = np.array([f"{l}/{e}" if l in split else l for l, e in zip(label[tr], emotion[tr])])
    w = balanced(y, speaker[tr])
    for c in np.unique(y):
        if "/" in c:
            w[y == c] *= share
    m, s = features[tr].mean(0), features[tr].std(0)
    s[s < 1e-9] = 1
    clf = LogisticRegression(C=0.001, max_iter=3000).fit((features[tr] - m) / s, y,
                                                       sample_weight=w * len(w) / w.sum())
    def logp(Z):
        P = clf.predict_proba(Z)
        Q = np.zeros((len(P), 4))
        for j, c in enumerate(clf.classes_):
            Q[:, SEED4.index(c.split("/")[0])] += P[:, j]
        return np.log(Q + 1e-12)
    return logp, m, s


def report(name, per):
    mean = np.mean([np.mean(list(per[h].values())) for h in CORPORA])
    low = min((r, c, h) for h in CORPORA for c, r in per[h].items())
    print(f"{name:64s} {mean:.3f} | " + " ".join(
        f"{np.mean(list(per[h].values())):.3f}" for h in CORPORA) +
        f" | lowest {low[1]}@{low[2]} {low[0]:.2f}", flush=True)


def loco(name, features=X, split=(), share=0.5, bias=None):
    one, adapted = {}, {}
    for h in CORPORA:
        te = (corpus == h) & (augment == "")
        tr = (corpus != h) & np.isin(augment, ["", "crop"])
        logp, m, s = fit(tr, features, split, share)
        Z = (features[te] - m) / s
        b = 0 if bias is None else bias
        one[h] = recalls(logp(Z) + b, label[te])
        adapted[h] = recalls(logp(adapt(Z, speaker[te])) + b, label[te])
    report(name + ", one clip", one)
    report(name + ", adapted", adapted)


print(f"{'variant':64s} mean | " + " ".join(c[:6] for c in CORPORA) + " | lowest class recall")
loco("not split (the recipe bundled before)")
loco("unpleasant split, emotions share the class", split=("unpleasant",))
loco("unpleasant split, each emotion a whole class", split=("unpleasant",), share=1.0)
loco("unpleasant and neutral split", split=("unpleasant", "neutral"))
wb = X[:, -512:]
ln = np.hstack([X[:, :-512], (wb - wb.mean(1, keepdims=True)) / wb.std(1, keepdims=True)])
loco("split, Whisper vector layer-normed", features=ln, split=("unpleasant",))
# A constant on the other classes' log-odds, read off the test folds: a diagnosis (unpleasant
# is over-predicted everywhere), not a result.
for a in (0.3, 0.5):
    loco(f"not split, +{a} on the other classes (test-fold pick)", bias=np.array([a, a, a, 0]))
