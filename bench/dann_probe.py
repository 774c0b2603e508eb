#!/usr/bin/env python3
"""Leave-one-corpus-out probe of a corpus-adversarial network on emovox's per-clip features
(bench/MODEL_EXPERIMENTS.md, "Adaptation beyond re-centring ... fifth session"): a small
network (features-64-4, ReLU, dropout 0.3, class-weighted cross-entropy, Adam, 60 epochs) with a
second head that tells the training corpora apart, its gradient reversed into the hidden layer
(Ganin & Lempitsky 2015), weight WEIGHT (0 = a plain network). Scores are the mean logits of 3
seeds; each held-out corpus is scored one clip at a time and re-centred per speaker (as
`emovox predict --adapt` does), UAR over the classes it has. numpy only, no deep-learning
framework: a probe, not a model emovox ships.

Usage (the table from `emovox features --manifest seed4.csv --pipeline utterance`, e.g. the one
bench/channel_loco.sh makes as target/channel-loco/base.parquet):
    python3 bench/dann_probe.py TABLE.parquet [WEIGHT ...]      (default weights: 0 1 2)
    python3 bench/dann_probe.py TABLE.parquet --nested WEIGHT...
With --nested, each held-out corpus's weight is chosen among WEIGHTs by LOCO over the other
corpora only (the held-out corpus never takes part in the choice): the honest figure.
"""
import sys

import numpy as np
import pyarrow.parquet as pq

CLASSES = ["neutral", "happy", "surprise", "unpleasant"]


def softmax(z):
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def train_and_score(x, y, domain, x_test, weight, seed, epochs=60, hidden=64, lr=1e-3,
                    batch=64, decay=1e-4, drop=0.3):
    """Logits of `x_test` from a network trained on (`x`, `y`) with a reversed-gradient head
    on `domain` weighted by `weight` (ramped up over training as in the paper)."""
    rng = np.random.default_rng(seed)
    n, f = x.shape
    nd = domain.max() + 1
    p = {"W1": rng.normal(0, np.sqrt(2 / f), (f, hidden)), "b1": np.zeros(hidden),
         "W2": rng.normal(0, np.sqrt(1 / hidden), (hidden, 4)), "b2": np.zeros(4),
         "Wd": rng.normal(0, np.sqrt(1 / hidden), (hidden, nd)), "bd": np.zeros(nd)}
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(v) for k, v in p.items()}
    step = 0
    class_weight = len(y) / (4 * np.bincount(y, minlength=4) + 1e-9)
    for epoch in range(epochs):
        order = rng.permutation(n)
        lam = weight * (2 / (1 + np.exp(-10 * epoch / epochs)) - 1)
        for b in range(0, n, batch):
            i = order[b:b + batch]
            a = x[i] @ p["W1"] + p["b1"]
            h = np.maximum(a, 0)
            mask = (rng.random(h.shape) > drop) / (1 - drop)
            hd = h * mask
            gy = softmax(hd @ p["W2"] + p["b2"])
            gy[np.arange(len(i)), y[i]] -= 1
            w = class_weight[y[i]]
            gy *= w[:, None] / w.sum()
            gd = softmax(hd @ p["Wd"] + p["bd"])
            gd[np.arange(len(i)), domain[i]] -= 1
            gd /= len(i)
            g = {"W2": hd.T @ gy, "b2": gy.sum(0), "Wd": hd.T @ gd, "bd": gd.sum(0)}
            gh = (gy @ p["W2"].T - lam * (gd @ p["Wd"].T)) * mask * (a > 0)
            g["W1"], g["b1"] = x[i].T @ gh, gh.sum(0)
            step += 1
            for k in p:
                gk = g[k] + decay * p[k]
                m[k] = 0.9 * m[k] + 0.1 * gk
                v[k] = 0.999 * v[k] + 0.001 * gk * gk
                p[k] -= lr * (m[k] / (1 - 0.9 ** step)) / (np.sqrt(v[k] / (1 - 0.999 ** step)) + 1e-8)
    return np.maximum(x_test @ p["W1"] + p["b1"], 0) @ p["W2"] + p["b2"]


def recentre(z, groups):
    """Each group's mean moved (n - 1) / (n + 1) of the way to 0 (the training mean)."""
    out = z.copy()
    for g in np.unique(groups):
        i = groups == g
        n = i.sum()
        out[i] -= (n - 1) / (n + 1) * out[i].mean(0)
    return out


def uar(y, pred):
    return np.mean([np.mean(pred[y == c] == c) for c in np.unique(y)])


def loco(x, y, corpus, speaker, weight, corpora):
    """UAR per held-out corpus in `corpora` (trained on the other rows given), one clip at a
    time and re-centred per speaker."""
    one, adapted = [], []
    for held in corpora:
        tr, te = corpus != held, corpus == held
        mu, sd = x[tr].mean(0), x[tr].std(0)
        sd[sd < 1e-9] = 1
        z = (x - mu) / sd
        names = sorted(set(corpus[tr]))
        dom = np.array([names.index(c) for c in corpus[tr]])
        both = np.vstack([z[te], recentre(z[te], speaker[te])])
        logits = sum(train_and_score(z[tr], y[tr], dom, both, weight, s) for s in range(3))
        k = te.sum()
        one.append(uar(y[te], logits[:k].argmax(1)))
        adapted.append(uar(y[te], logits[k:].argmax(1)))
    return one, adapted


def main():
    t = pq.read_table(sys.argv[1]).to_pandas()
    t = t[t["augment"].fillna("") == ""]
    nested = "--nested" in sys.argv[2:]
    weights = [float(a) for a in sys.argv[2:] if a != "--nested"] or [0.0, 1.0, 2.0]
    x = np.stack([np.asarray(v, dtype=np.float64) for v in t["values"]])
    y = t["label"].map({c: i for i, c in enumerate(CLASSES)}).to_numpy()
    corpus = t["corpus"].to_numpy()
    speaker = (t["corpus"] + "/" + t["speaker"]).to_numpy()
    corpora = sorted(set(corpus))
    if nested:
        one, adapted = [], []
        for held in corpora:
            rest = corpus != held
            inner = [c for c in corpora if c != held]
            score = {w: np.mean(loco(x[rest], y[rest], corpus[rest], speaker[rest], w, inner)[0])
                     for w in weights}
            best = max(weights, key=lambda w: score[w])
            o, a = loco(x, y, corpus, speaker, best, [held])
            one += o
            adapted += a
            print(f"{held}: weight {best:g} (inner LOCO {score[best]:.3f}); one clip {o[0]:.3f}, "
                  f"adapted {a[0]:.3f}", flush=True)
        print(f"nested: one clip {np.mean(one):.3f} (worst {min(one):.3f}); "
              f"adapted {np.mean(adapted):.3f}")
        return
    for weight in weights:
        one, adapted = loco(x, y, corpus, speaker, weight, corpora)
        print(f"weight {weight:g}: one clip {np.mean(one):.3f} "
              f"({' '.join(f'{c} {u:.3f}' for c, u in zip(corpora, one))}); "
              f"adapted {np.mean(adapted):.3f}", flush=True)


if __name__ == "__main__":
    main()
