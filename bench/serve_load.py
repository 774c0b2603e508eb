#!/usr/bin/env python3
"""Load benchmark of `emovox serve` (not a test): N concurrent clients post 3 s clips to
/api/predict over loopback; reports predictions/s, latency percentiles and the server's RSS over
the run. Needs numpy and soundfile (to cut real RAVDESS clips to 3 s WAVs).

    cargo build --release --locked
    python3 bench/serve_load.py                    # 16 clients, 10,000 requests
    python3 bench/serve_load.py --clients 32 --requests 20000 --exe target/release/emovox

Results: bench/RESULTS.md.
"""
import argparse
import glob
import http.client
import io
import os
import socket
import subprocess
import sys
import threading
import time
import wave

import numpy as np
import soundfile as sf


def clips(datasets, n, secs):
    """The first `secs` seconds of `n` RAVDESS clips, as 16-bit mono WAV bytes."""
    files = sorted(glob.glob(os.path.join(datasets, "ravdess", "Actor_*", "*.flac")))[::37][:n]
    if not files:
        sys.exit(f"no RAVDESS clips under {datasets}")
    out = []
    for f in files:
        y, sr = sf.read(f, dtype="float32", always_2d=True)
        y = y.mean(axis=1)[: int(secs * sr)]
        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(sr)
            w.writeframes((np.clip(y, -1, 1) * 32767).astype("<i2").tobytes())
        out.append(buf.getvalue())
    return out


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--exe", default="target/release/emovox")
    ap.add_argument("--datasets", default=os.environ.get("EMOVOX_DATASETS", "../shared/datasets"))
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--requests", type=int, default=10_000)
    ap.add_argument("--seconds", type=float, default=3.0, help="length of each clip")
    ap.add_argument("--workers", type=int, default=None, help="emovox serve --workers")
    args = ap.parse_args()

    bodies = clips(args.datasets, 16, args.seconds)
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    cmd = [args.exe, "serve", "--addr", f"127.0.0.1:{port}", "--max-concurrency", "256"]
    if args.workers:
        cmd += ["--workers", str(args.workers)]
    env = dict(os.environ, EMOVOX_LOG="warn")
    server = subprocess.Popen(cmd, env=env, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            sys.exit("the server did not start")

        lock = threading.Lock()
        next_i = [0]
        lat = []
        errors = []
        rss = [(0, rss_kib(server.pid))]

        def client(limit):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            while True:
                with lock:
                    i = next_i[0]
                    if i >= limit:
                        return
                    next_i[0] += 1
                    if i % 1000 == 0 and i:
                        rss.append((i, rss_kib(server.pid)))
                body = bodies[i % len(bodies)]
                t = time.perf_counter()
                conn.request("POST", "/api/predict", body, {"Content-Type": "audio/wav"})
                r = conn.getresponse()
                r.read()
                dt = time.perf_counter() - t
                with lock:
                    lat.append(dt)
                    if r.status != 200:
                        errors.append(r.status)

        def run(n):
            next_i[0] = 0
            lat.clear()
            threads = [threading.Thread(target=client, args=(n,)) for _ in range(args.clients)]
            t0 = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            return time.perf_counter() - t0

        run(300)  # warm-up: extractor pool, allocator
        rss = [(0, rss_kib(server.pid))]
        errors.clear()
        wall = run(args.requests)
        rss.append((args.requests, rss_kib(server.pid)))
        lat.sort()
        pct = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000
        print(f"{args.requests} requests, {args.clients} clients, {args.seconds:g} s clips "
              f"({len(bodies[0]) // 1024} KiB WAV each), {os.cpu_count()} cores")
        print(f"throughput: {args.requests / wall:.0f} predictions/s ({wall:.1f} s)")
        print(f"latency ms: p50 {pct(0.5):.1f}  p90 {pct(0.9):.1f}  p99 {pct(0.99):.1f}  max {lat[-1] * 1000:.1f}")
        print(f"errors: {len(errors)} {sorted(set(errors))}")
        print("server RSS MiB by request: " + ", ".join(f"{i}: {k / 1024:.1f}" for i, k in rss))
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
