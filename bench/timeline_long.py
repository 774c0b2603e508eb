#!/usr/bin/env python3
"""Hours of audio through `emovox timeline`: peak memory and speed, one run after another.

    python3 bench/timeline_long.py [--emovox PATH] [--datasets DIR] [--out DIR] [--hours H]
                                   [--runs N]

Defaults: `target/release/emovox`, `$EMOVOX_DATASETS` or `../shared/datasets`, `target/long`,
10 hours, 3 runs of each file (medians reported).

What it builds
--------------
* `long.wav`: a speech archive of `--hours` hours, 16 kHz 16-bit mono. A base recording of
  about 14 minutes holds every seed4-class clip of RAVDESS actors 21-24 (held out of the
  bundled model's training; neutral, calm, happy, sad, angry, surprised) in a seeded random
  order, 1-2.5 s of near-silence (a -70 dBFS noise floor) between them, at their recorded
  levels. It is repeated to the length, written block by block (the file is 1.15 GB for 10 h).
  About 60 % of it is speech.
* `bomb.flac`: 3 hours of digital silence at 8 kHz with a 2 ms click every minute (FLAC,
  about 1 MB: what issue 18 reported at 3.4 GB of memory).

What it measures
----------------
Each file goes through `emovox timeline FILE --format csv --no-progress` under GNU time
(`/usr/bin/time -v`, or the child's rusage when that is missing): wall time, x real time
(audio seconds / wall seconds), and peak resident memory (max RSS). `emovox predict` on the
bomb: the exit status, its message, and its peak memory (it must refuse, not decode 3 hours).
The machine's cores are all available to `emovox`; nothing else should run meanwhile.
"""

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
RATE = 16000
# seed4 emotions of RAVDESS (fearful and disgust left out, as the original did).
EMOTIONS = ["01", "02", "03", "04", "05", "08"]


def base_recording(datasets: Path, rng: np.random.Generator) -> np.ndarray:
    import librosa

    clips = []
    for actor in range(21, 25):
        for f in sorted((datasets / "ravdess" / f"Actor_{actor}").glob("*.flac")):
            if f.name.split("-")[2] in EMOTIONS:
                clips.append(f)
    rng.shuffle(clips)
    parts = []
    for f in clips:
        y, sr = sf.read(f, dtype="float32", always_2d=True)
        y = librosa.resample(y.mean(axis=1), orig_sr=sr, target_sr=RATE)
        gap = int(rng.uniform(1.0, 2.5) * RATE)
        parts += [y, np.zeros(gap, np.float32)]
    y = np.concatenate(parts)
    return y + rng.normal(0, 10 ** (-70 / 20), y.size).astype(np.float32)


def build(out: Path, datasets: Path, hours: float) -> tuple:
    rng = np.random.default_rng(18)
    long = out / "long.wav"
    total = int(hours * 3600 * RATE)
    if not long.exists() or sf.info(long).frames != total:
        base = base_recording(datasets, rng)
        with sf.SoundFile(long, "w", RATE, 1, "PCM_16") as w:
            left = total
            while left > 0:
                n = min(left, base.size)
                w.write(base[:n])
                left -= n
    bomb = out / "bomb.flac"
    if not bomb.exists():
        rate, secs = 8000, 3 * 3600
        with sf.SoundFile(bomb, "w", rate, 1, "PCM_16", format="FLAC") as w:
            minute = np.zeros(60 * rate, np.float32)
            minute[: rate // 500] = 0.6
            for _ in range(secs // 60):
                w.write(minute)
    return long, bomb


def measured(cmd: list) -> dict:
    """Runs `cmd`: wall seconds, peak RSS in MB, exit status, stderr."""
    gnu = Path("/usr/bin/time")
    start = time.perf_counter()
    if gnu.exists():
        p = subprocess.run([str(gnu), "-v", *cmd], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - start
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
        rss = int(m.group(1)) / 1024 if m else float("nan")
    else:
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - start
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"wall": wall, "rss": rss, "status": p.returncode, "stderr": p.stderr}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--emovox", default=str(REPO / "target" / "release" / "emovox"))
    ap.add_argument("--datasets", default=os.environ.get("EMOVOX_DATASETS",
                                                         str(REPO / ".." / "shared" / "datasets")))
    ap.add_argument("--out", default=str(REPO / "target" / "long"))
    ap.add_argument("--hours", type=float, default=10.0)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    long, bomb = build(out, Path(a.datasets), a.hours)
    print(f"built {long} ({long.stat().st_size / 1e6:.0f} MB) and {bomb} "
          f"({bomb.stat().st_size / 1e6:.2f} MB) in {time.time() - t0:.0f} s", file=sys.stderr)
    print(f"cores: {os.cpu_count()}; emovox: {a.emovox}\n")
    print("| file | audio | runs | wall (median) | x real time | peak RSS (max) |")
    print("|---|---|---|---|---|---|")
    for f, secs in [(long, a.hours * 3600), (bomb, 3 * 3600)]:
        rs = [measured([a.emovox, "timeline", str(f), "--format", "csv", "--no-progress"])
              for _ in range(a.runs)]
        bad = [r for r in rs if r["status"] != 0]
        if bad:
            print(bad[0]["stderr"][-2000:], file=sys.stderr)
            return 1
        wall = statistics.median(r["wall"] for r in rs)
        print(f"| `emovox timeline` {f.name} | {secs / 3600:.1f} h | {a.runs} | {wall:.1f} s | "
              f"{secs / wall:.0f}x | {max(r['rss'] for r in rs):.0f} MB |")
    r = measured([a.emovox, "predict", str(bomb)])
    # The command's own message: GNU time's report follows it, indented by tabs.
    said = [ln for ln in r["stderr"].splitlines() if ln.strip() and not ln.startswith("\t")]
    why = " ".join(s.strip() for s in said if "Command exited" not in s)
    print(f"\n`emovox predict {bomb.name}`: exit {r['status']} in {r['wall']:.2f} s, "
          f"peak RSS {r['rss']:.0f} MB: {why}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
