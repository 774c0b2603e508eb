#!/usr/bin/env python3
"""Emotion-timeline quality: speech detection and EDER of `emovox timeline` on long recordings.

    python3 bench/timeline_eder.py [--emovox PATH] [--datasets DIR] [--out DIR]
                                   [--clips N] [--seed S] [--grid SECONDS]

Defaults: `target/release/emovox`, `$EMOVOX_DATASETS` or `../shared/datasets` (both relative
to the repository root), `target/eder`; 30 clips per recording, seed 18, 10 ms grid.

What it builds
--------------
Four long recordings, one per *held-out speaker* of the bundled model (RAVDESS Actor_21..24:
`models/train.sh` trains with `--split speaker:Actor_21+Actor_22+Actor_23+Actor_24+YAF`, so the
model never heard them). Each recording is `--clips` clips of that actor drawn at random (seeded)
from the seed4 emotions: 01 neutral and 02 calm -> neutral, 03 happy, 08 surprised -> surprise,
04 sad and 05 angry -> unpleasant (06 fearful and 07 disgust are left out). The clips are
decoded, averaged to mono, resampled to 16 kHz (librosa/soxr) and kept at their recorded
levels relative to each other (one speaker, one microphone: soft sad clips sit some 25 dB below
shouted angry ones); the whole recording is then scaled so its speech is at -30 dBFS RMS (loud
clips peak near -4 dBFS). Before the first clip, between clips and after the last: 1-3 s
(uniform) of near-silence; a continuous white-noise floor at -70 dBFS runs under the whole
recording, so nothing is digital silence.
Each recording is written as a 16 kHz 16-bit WAV.

Reference segmentation: for each clip, `librosa.effects.trim(y, top_db=30, frame_length=400,
hop_length=160)` on the 16 kHz clip (first to last 25 ms frame within 30 dB of the clip's
loudest frame); that span is the clip's speech, labelled with the clip's emotion. Pauses inside
a clip count as speech; everything else (the clip's own lead-in and tail, and the gaps) is
non-speech.

Conditions: clean, and noise added at 20, 10 and 5 dB SNR of three kinds: white, pink (1/f,
by spectral shaping of white noise) and babble (6 talkers: for each, RAVDESS clips of actors
1-20, all emotions, trimmed at top_db=30 and concatenated end to end, each talker's stream at
the same RMS, summed). SNR is speech power over the reference speech samples of the clean
recording divided by the noise's mean power over the whole recording. Noise is seeded per
recording and kind. Babble is speech, so the detector is *expected* to call some of it speech:
the reference does not count babble as speech (we want the target speaker's emotions).

What it measures
----------------
Each WAV goes through `emovox timeline FILE --format json` (default options: the bundled model,
3 s windows every 1 s over the speech the VAD finds). Its `speech` regions are the detected
speech; its `segments` with a non-null `label` are the hypothesis emotions (a segment with
`label: null` is silence). All scores are computed on a grid of `--grid` seconds (10 ms; a grid
point takes the label of whatever covers its centre), summed over the four recordings:

* speech found: share of reference speech time inside detected speech regions;
* silence called speech: share of reference non-speech time inside detected speech regions;
* boundary error: mean over every reference speech onset and offset (two per clip) of the
  absolute distance, ms, to the nearest detected boundary (any region start or end);
* EDER = (missed emotion + false alarm + confusion) / total reference emotion duration, where
  missed = reference has an emotion and the hypothesis none, false alarm = the hypothesis has
  an emotion where the reference has none, confusion = both have one and they differ. This is
  the diarization-error-rate form of the Emotion Diarization Error Rate of the ZED benchmark
  (Wang, Ravanelli & Yacoubi 2023, "Speech Emotion Diarization: Which Emotion Appears When?",
  arXiv 2306.12991). Its reference implementation (`speechbrain.utils.EDER.EDER`, by the first
  author) computes 1 - (time where the predicted label equals the reference label) / utterance
  duration, on ZED utterances that are one continuous turn with every instant labelled
  (neutral around the emotional event), so silence never enters it; the paper's formula also
  lists an overlap term for simultaneously predicted emotions, which is 0 here (one label at a
  time). With silence in the recording, missed and false alarm are measured against "no
  emotion" exactly as DER measures them against "no speaker"; no collar, no class mapping.
  EDER can exceed 1 (false alarm is unbounded).
* emotion accuracy on speech: among grid points where the reference has an emotion *and* the
  hypothesis has one (voiced in both), the share where they agree (the classifier alone,
  detection aside; = 1 - confusion / that time);
* per class: the share of each reference class's time given that emotion, and given none;
* clip accuracy: for each reference clip, the hypothesis emotion covering most of its
  reference speech (none if the hypothesis gives it none) against the clip's emotion;
* baseline EDER: the same detection and hypothesis support, but every hypothesis emotion
  replaced by the most frequent reference class (by time, over all four recordings): what the
  detector alone earns with a constant label;
* wall time of the `emovox timeline` runs (one at a time) and x real time (audio s / wall s).

Outputs in `--out`: the WAVs, `reference_*.json`, the timeline JSON of each run, `results.json`
and `results.md` (the tables printed at the end).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import librosa
import soundfile as sf

SR = 16000
SEED4 = {
    "01": "neutral",
    "02": "neutral",
    "03": "happy",
    "04": "unpleasant",
    "05": "unpleasant",
    "08": "surprise",
}
HELD_OUT = [21, 22, 23, 24]
SPEECH_DBFS = -30.0
FLOOR_DBFS = -70.0
SNRS = [20, 10, 5]
KINDS = ["white", "pink", "babble"]
BABBLE_TALKERS = 6
TRIM = dict(top_db=30, frame_length=400, hop_length=160)


def load16k(path: Path) -> np.ndarray:
    y, sr = sf.read(str(path), dtype="float32", always_2d=True)
    y = y.mean(axis=1)
    if sr != SR:
        y = librosa.resample(y, orig_sr=sr, target_sr=SR)
    return y.astype(np.float64)


def db_to_amp(db: float) -> float:
    return 10.0 ** (db / 20.0)


def build_recording(datasets: Path, actor: int, n_clips: int, rng: np.random.Generator):
    """Clean recording of `n_clips` clips of one actor and its reference segments."""
    folder = datasets / "ravdess" / f"Actor_{actor:02d}"
    files = sorted(p for p in folder.glob("*.flac") if p.name.split("-")[2] in SEED4)
    pick = rng.choice(len(files), size=min(n_clips, len(files)), replace=False)
    parts, ref, pos = [], [], 0
    for k, i in enumerate(pick):
        path = files[i]
        y = load16k(path)
        if k > 0:
            gap = int(rng.uniform(1.0, 3.0) * SR)
            parts.append(np.zeros(gap))
            pos += gap
        _, (a, b) = librosa.effects.trim(y, **TRIM)
        ref.append(
            {
                "start": (pos + a) / SR,
                "end": (pos + b) / SR,
                "emotion": SEED4[path.name.split("-")[2]],
                "file": path.name,
            }
        )
        parts.append(y)
        pos += len(y)
    # Leading and trailing near-silence too, so the first onset and last offset are real edges.
    lead = np.zeros(int(rng.uniform(1.0, 3.0) * SR))
    tail = np.zeros(int(rng.uniform(1.0, 3.0) * SR))
    shift = len(lead) / SR
    for r in ref:
        r["start"] += shift
        r["end"] += shift
    y = np.concatenate([lead, *parts, tail])
    mask = speech_mask(ref, len(y))
    rms = np.sqrt(np.mean(y[mask] ** 2))
    y *= db_to_amp(SPEECH_DBFS) / rms
    floor = rng.standard_normal(len(y)) * db_to_amp(FLOOR_DBFS)
    return y + floor, ref


def speech_mask(ref, n: int) -> np.ndarray:
    m = np.zeros(n, dtype=bool)
    for r in ref:
        m[int(round(r["start"] * SR)) : int(round(r["end"] * SR))] = True
    return m


def pink(n: int, rng: np.random.Generator) -> np.ndarray:
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1.0 / SR)
    f[0] = f[1]
    y = np.fft.irfft(spec / np.sqrt(f), n)
    return y / np.std(y)


def babble_pool(datasets: Path, rng: np.random.Generator, seconds: float):
    """BABBLE_TALKERS continuous speech streams (trimmed clips end to end) of actors 1-20."""
    actors = rng.choice(np.arange(1, 21), size=BABBLE_TALKERS, replace=False)
    streams = []
    for a in actors:
        files = sorted((datasets / "ravdess" / f"Actor_{a:02d}").glob("*.flac"))
        order = rng.permutation(len(files))
        chunks, total = [], 0
        for i in order:
            y, _ = librosa.effects.trim(load16k(files[i]), **TRIM)
            chunks.append(y)
            total += len(y)
            if total >= seconds * SR:
                break
        s = np.concatenate(chunks)
        streams.append(s / np.sqrt(np.mean(s**2)))
    return streams


def babble(n: int, streams, rng: np.random.Generator) -> np.ndarray:
    out = np.zeros(n)
    for s in streams:
        reps = int(np.ceil((n + len(s)) / len(s)))
        t = np.tile(s, reps)
        off = int(rng.integers(0, len(s)))
        out += t[off : off + n]
    return out / np.std(out)


def add_noise(y, ref, kind, snr, streams, seed):
    rng = np.random.default_rng(seed)
    n = len(y)
    if kind == "white":
        noise = rng.standard_normal(n)
    elif kind == "pink":
        noise = pink(n, rng)
    else:
        noise = babble(n, streams, rng)
    p_speech = np.mean(y[speech_mask(ref, n)] ** 2)
    g = np.sqrt(p_speech / 10.0 ** (snr / 10.0) / np.mean(noise**2))
    return y + g * noise


def write_wav(path: Path, y: np.ndarray):
    peak = np.max(np.abs(y))
    if peak >= 1.0:
        print(f"warning: {path.name} clips (peak {peak:.2f}); scaled down", file=sys.stderr)
        y = y * (0.99 / peak)
    sf.write(str(path), y.astype(np.float32), SR, subtype="PCM_16")


# ---------------------------------------------------------------- scoring on a time grid


def grid_labels(intervals, n: int, step: float, classes: dict) -> np.ndarray:
    """Grid of label indices (-1 = none): point k (centre (k + 0.5) * step) takes the label of
    the interval covering it."""
    out = np.full(n, -1, dtype=np.int16)
    for start, end, label in intervals:
        a = int(np.ceil(start / step - 0.5))
        b = int(np.ceil(end / step - 0.5))
        out[max(a, 0) : min(b, n)] = classes[label]
    return out


def score(ref, hyp, duration: float, step: float, classes: dict, fixed: int | None):
    n = int(round(duration / step))
    r = grid_labels([(x["start"], x["end"], x["emotion"]) for x in ref], n, step, classes)
    h = grid_labels(
        [(s["start"], s["end"], s["label"]) for s in hyp["segments"] if s["label"] is not None],
        n, step, classes,
    )
    det = grid_labels([(a, b, "speech") for a, b in hyp["speech"]], n, step, {"speech": 0}) >= 0
    if fixed is not None:
        h = np.where(h >= 0, fixed, -1)
    rs, hs = r >= 0, h >= 0
    # Boundaries: every reference onset and offset to the nearest detected one.
    bounds = np.array([t for a, b in hyp["speech"] for t in (a, b)])
    dists = []
    for x in ref:
        for t in (x["start"], x["end"]):
            dists.append(np.min(np.abs(bounds - t)) if len(bounds) else np.nan)
    clips_ok = 0
    for x in ref:
        a = int(np.ceil(x["start"] / step - 0.5))
        b = int(np.ceil(x["end"] / step - 0.5))
        seg = h[a:b]
        seg = seg[seg >= 0]
        if len(seg) and np.bincount(seg).argmax() == classes[x["emotion"]]:
            clips_ok += 1
    return {
        "ref": float(rs.sum() * step),
        "nonref": float((~rs).sum() * step),
        "found": float((rs & det).sum() * step),
        "fa_speech": float((~rs & det).sum() * step),
        "missed": float((rs & ~hs).sum() * step),
        "false_alarm": float((~rs & hs).sum() * step),
        "confusion": float((rs & hs & (r != h)).sum() * step),
        "both": float((rs & hs).sum() * step),
        "dists": dists,
        "clips": len(ref),
        "clips_ok": clips_ok,
        # Per reference class: its time, the part labelled with it, the part with no emotion.
        "per_class": np.array(
            [[np.sum(r == c) * step, np.sum((r == c) & (h == c)) * step,
              np.sum((r == c) & ~hs) * step] for c in range(len(classes))]
        ),
    }


def total(scores):
    t = {k: sum(s[k] for s in scores) for k in scores[0] if k != "dists"}
    t["dists"] = [d for s in scores for d in s["dists"]]
    return t


def summarise(t):
    ref = t["ref"]
    d = np.array(t["dists"], dtype=float)
    return {
        "speech_found": t["found"] / ref,
        "silence_called_speech": t["fa_speech"] / t["nonref"],
        "boundary_ms_mean": float(np.nanmean(d) * 1000),
        "boundary_ms_median": float(np.nanmedian(d) * 1000),
        "eder": (t["missed"] + t["false_alarm"] + t["confusion"]) / ref,
        "missed": t["missed"] / ref,
        "false_alarm": t["false_alarm"] / ref,
        "confusion": t["confusion"] / ref,
        "accuracy_on_speech": 1 - t["confusion"] / t["both"] if t["both"] else float("nan"),
        "clip_accuracy": t["clips_ok"] / t["clips"],
        "class_correct": (t["per_class"][:, 1] / t["per_class"][:, 0]).tolist(),
        "class_missed": (t["per_class"][:, 2] / t["per_class"][:, 0]).tolist(),
    }


def main():
    root = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--emovox", default=str(root / "target/release/emovox"))
    ap.add_argument(
        "--datasets",
        default=os.environ.get("EMOVOX_DATASETS", str(root.parent / "shared/datasets")),
    )
    ap.add_argument("--out", default=str(root / "target/eder"))
    ap.add_argument("--clips", type=int, default=30, help="clips per recording")
    ap.add_argument("--seed", type=int, default=18)
    ap.add_argument("--grid", type=float, default=0.01, help="scoring grid, seconds")
    args = ap.parse_args()
    datasets, out = Path(args.datasets), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t_start = time.time()

    rng = np.random.default_rng(args.seed)
    recs = []
    for actor in HELD_OUT:
        y, ref = build_recording(datasets, actor, args.clips, rng)
        recs.append((f"actor{actor}", y, ref))
        (out / f"reference_actor{actor}.json").write_text(json.dumps(ref, indent=1))
    audio_s = sum(len(y) for _, y, _ in recs) / SR
    streams = babble_pool(datasets, rng, 60.0)

    conditions = [("clean", None, None)] + [
        (f"{k} {s} dB", k, s) for k in KINDS for s in SNRS
    ]
    classes_json = None
    runs = {}
    for cname, kind, snr in conditions:
        tag = cname.replace(" ", "")
        hyps, wall = [], 0.0
        for ri, (name, y, ref) in enumerate(recs):
            yy = y if kind is None else add_noise(y, ref, kind, snr, streams, 1000 * ri + KINDS.index(kind) * 100 + snr)
            wav = out / f"{name}_{tag}.wav"
            write_wav(wav, yy)
            t0 = time.perf_counter()
            p = subprocess.run(
                [args.emovox, "timeline", str(wav), "--format", "json"],
                capture_output=True, text=True,
            )
            wall += time.perf_counter() - t0
            if p.returncode != 0:
                sys.exit(f"emovox timeline {wav} failed:\n{p.stderr}")
            hyp = json.loads(p.stdout)
            hyp.pop("windows", None)
            (out / f"{name}_{tag}.timeline.json").write_text(json.dumps(hyp))
            classes_json = classes_json or hyp["classes"]
            hyps.append((hyp, ref, len(yy) / SR))
        runs[cname] = (hyps, wall)
        print(f"{cname}: {wall:.1f} s wall for {audio_s:.0f} s of audio", file=sys.stderr, flush=True)

    classes = {c: i for i, c in enumerate(classes_json)}
    # Most frequent reference class by time, over all recordings.
    ref_time = np.zeros(len(classes))
    for _, _, ref in recs:
        for r in ref:
            ref_time[classes[r["emotion"]]] += r["end"] - r["start"]
    majority = int(ref_time.argmax())

    results = {}
    for cname, (hyps, wall) in runs.items():
        sc = total([score(ref, h, d, args.grid, classes, None) for h, ref, d in hyps])
        base = total([score(ref, h, d, args.grid, classes, majority) for h, ref, d in hyps])
        s = summarise(sc)
        s["baseline_eder"] = summarise(base)["eder"]
        s["wall_s"] = wall
        s["x_real_time"] = audio_s / wall
        results[cname] = s

    n_clips = sum(len(r) for _, _, r in recs)
    ref_total = ref_time.sum()
    lines = [
        f"{len(recs)} recordings (RAVDESS actors {', '.join(map(str, HELD_OUT))}, held out), "
        f"{n_clips} clips, {audio_s:.1f} s of audio per condition ({audio_s / 60:.1f} min), "
        f"{ref_total:.1f} s of reference speech ({100 * ref_total / audio_s:.1f} %); reference "
        "emotion time: "
        + ", ".join(f"{c} {100 * ref_time[i] / ref_total:.1f} %" for c, i in classes.items())
        + f"; baseline = every detected emotion replaced by `{classes_json[majority]}`.",
        "",
        "| condition | speech found | silence called speech | boundary error ms (mean / median) "
        "| EDER | missed | false alarm | confusion | baseline EDER | emotion acc. on speech "
        "| clip acc. | timeline wall s | x real time |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    pc = lambda v: f"{100 * v:.1f} %"
    for cname, s in results.items():
        lines.append(
            f"| {cname} | {pc(s['speech_found'])} | {pc(s['silence_called_speech'])} "
            f"| {s['boundary_ms_mean']:.0f} / {s['boundary_ms_median']:.0f} "
            f"| **{pc(s['eder'])}** | {pc(s['missed'])} | {pc(s['false_alarm'])} "
            f"| {pc(s['confusion'])} | {pc(s['baseline_eder'])} | {pc(s['accuracy_on_speech'])} "
            f"| {pc(s['clip_accuracy'])} | {s['wall_s']:.1f} | {s['x_real_time']:.0f}x |"
        )
    lines += [
        "",
        "Per reference class: share of its time given that emotion / given no emotion (missed).",
        "",
        "| condition | " + " | ".join(classes_json) + " |",
        "|---|" + "---|" * len(classes_json),
    ]
    for cname, s in results.items():
        lines.append(
            f"| {cname} | "
            + " | ".join(
                f"{100 * a:.0f} / {100 * m:.0f} %"
                for a, m in zip(s["class_correct"], s["class_missed"])
            )
            + " |"
        )
    total_s = time.time() - t_start
    lines += ["", f"Total run time of this script: {total_s:.0f} s."]
    text = "\n".join(lines)
    (out / "results.md").write_text(text + "\n")
    (out / "results.json").write_text(
        json.dumps(
            {"audio_seconds": audio_s, "clips": n_clips, "classes": classes_json,
             "reference_seconds": dict(zip(classes_json, ref_time.tolist())),
             "run_seconds": total_s, "conditions": results},
            indent=1,
        )
    )
    print(text)


if __name__ == "__main__":
    main()
