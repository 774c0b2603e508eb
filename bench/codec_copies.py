#!/usr/bin/env python3
"""Codec copies of a manifest's clips, for bench/codec_loco.sh.

emovox's own augmentations (`emovox features --augment`) simulate channels; codecs need real
encoders, so this script runs ffmpeg (Debian's, with libopus, libgsm and LAME) and merges the
copies' features into the table of the originals, where `emovox evaluate --train-augmented` and
`--score-augmented` find them by name.

  codec_copies.py transcode MANIFEST OUTDIR CODEC   -> OUTDIR/CODEC/manifest.csv (+ the .wav files)
  codec_copies.py merge BASE.parquet OUT.parquet CODEC=TABLE.parquet:MANIFEST.csv ...

Each copy is encoded and decoded back to 16-bit WAV (at the codec's rate; emovox resamples), so
emovox's decoders read it whatever the codec's container. The codecs:

  opus=12k   Opus 12 kbit/s, VoIP mode, 16 kHz (a video call on a poor link)
  gsm        GSM 06.10 full rate, 13 kbit/s, 8 kHz (a mobile phone call)
  mp3=32k    MP3 32 kbit/s, 16 kHz (a heavily compressed voice message or podcast)
"""
import csv
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

CODECS = {
    "opus=12k": (["-ar", "16000", "-c:a", "libopus", "-b:a", "12k", "-application", "voip",
                  "-f", "ogg"], ["-f", "ogg"]),
    "gsm": (["-ar", "8000", "-c:a", "libgsm", "-f", "gsm"], ["-f", "gsm", "-ar", "8000"]),
    "mp3=32k": (["-ar", "16000", "-c:a", "libmp3lame", "-b:a", "32k", "-f", "mp3"],
                ["-f", "mp3"]),
}


def transcode_one(src, dst, codec):
    enc, dec = CODECS[codec]
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    if os.path.exists(dst):
        return None
    q = ["-hide_banner", "-loglevel", "error", "-nostdin"]
    e = subprocess.run(["ffmpeg", *q, "-i", src, "-ac", "1", *enc, "-"],
                       capture_output=True)
    if e.returncode != 0:
        return f"{src}: encode failed: {e.stderr.decode(errors='replace').strip()}"
    d = subprocess.run(["ffmpeg", *q, *dec, "-i", "-", "-c:a", "pcm_s16le", dst + ".tmp.wav"],
                       input=e.stdout, capture_output=True)
    if d.returncode != 0:
        return f"{src}: decode failed: {d.stderr.decode(errors='replace').strip()}"
    os.replace(dst + ".tmp.wav", dst)
    return None


def transcode(manifest, outdir, codec):
    if codec not in CODECS:
        sys.exit(f"unknown codec {codec!r}; expected one of {sorted(CODECS)}")
    with open(manifest, newline="") as f:
        # Clips the scheme leaves out (no label) are not trained on or scored: no copies.
        rows = [r for r in csv.DictReader(f) if r.get("label", "x") != ""]
    fields = list(rows[0].keys())
    root = os.path.commonpath([os.path.realpath(r["path"]) for r in rows])
    # Absolute paths: emovox reads a manifest's relative paths from the manifest's folder.
    out = os.path.abspath(os.path.join(outdir, codec))
    jobs = []
    for r in rows:
        rel = os.path.relpath(os.path.realpath(r["path"]), root)
        dst = os.path.join(out, "audio", os.path.splitext(rel)[0] + ".wav")
        jobs.append((r["path"], dst))
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
        errors = [e for e in ex.map(lambda j: transcode_one(*j, codec), jobs) if e]
    for e in errors:
        print(e, file=sys.stderr)
    # The copies' manifest: the same rows, the copy's path, and the original's path beside it.
    with open(os.path.join(out, "manifest.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for r, (_, dst) in zip(rows, jobs):
            if os.path.exists(dst):
                w.writerow({**r, "path": dst})
    with open(os.path.join(out, "originals.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["copy", "original"])
        for src, dst in jobs:
            w.writerow([dst, src])
    print(f"{codec}: {len(jobs) - len(errors)} of {len(jobs)} clips transcoded into {out}")


def merge(base, out, specs):
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    tables = [pq.read_table(base)]
    for codec, rest in specs:
        table_path, originals = rest.rsplit(":", 1)
        with open(originals, newline="") as f:
            back = {r["copy"]: r["original"] for r in csv.DictReader(f)}
        t = pq.read_table(table_path)
        paths = [back[p] for p in t.column("path").to_pylist()]
        t = t.set_column(t.schema.get_field_index("path"), t.schema.field("path"),
                         pa.array(paths, pa.string()))
        aug = pa.array([codec] * t.num_rows, pa.string())
        t = t.set_column(t.schema.get_field_index("augment"), t.schema.field("augment"), aug)
        tables.append(t.cast(tables[0].schema))
    merged = pa.concat_tables(tables)
    counts = pc.value_counts(merged.column("augment")).to_pylist()
    pq.write_table(merged, out)
    print(f"{out}: {merged.num_rows} rows; " +
          ", ".join(f"{c['values'] or 'original'} {c['counts']}" for c in counts))


def split_spec(spec):
    """`opus=12k=T.parquet:M.csv` -> ("opus=12k", "T.parquet:M.csv"): the codec name may hold '='."""
    for name in CODECS:
        if spec.startswith(name + "="):
            return name, spec[len(name) + 1:]
    sys.exit(f"bad spec {spec!r}: expected CODEC=TABLE.parquet:ORIGINALS.csv, CODEC one of "
             f"{sorted(CODECS)}")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "transcode":
        transcode(*sys.argv[2:])
    elif len(sys.argv) >= 4 and sys.argv[1] == "merge":
        merge(sys.argv[2], sys.argv[3], [split_spec(s) for s in sys.argv[4:]])
    else:
        sys.exit(__doc__)
