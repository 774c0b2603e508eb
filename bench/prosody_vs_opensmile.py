#!/usr/bin/env python3
"""Compare emovox's `prosody` pipeline with openSMILE eGeMAPSv02 on real clips.

Two steps:

    pip install opensmile soundfile numpy scipy
    # 1. pick clips, write them as 16 kHz WAV, run openSMILE (functionals and LLDs)
    python3 bench/prosody_vs_opensmile.py prepare --work /tmp/prosody_val --per-corpus 20,15,15
    # 2. run our extractor on the same WAVs, then correlate per functional across clips
    cargo run --release -p emovox-features --example dump_features -- \\
        --pipeline prosody /tmp/prosody_val/clips/*.wav > /tmp/prosody_val/ours.csv
    python3 bench/prosody_vs_opensmile.py compare --work /tmp/prosody_val

`--per-corpus 60,45,45` gives the 150 clips behind the table in the `prosody` module docs.

Clips: RAVDESS Actor_01 (48 kHz, resampled here with scipy's polyphase `resample_poly`, 1:3),
TESS and EMOVO (16 kHz already), picked evenly from the sorted file lists, so both extractors read
the very same 16 kHz samples. The table printed by `compare` is the Pearson correlation across
clips between each of our columns and its openSMILE counterpart.
"""
import argparse
import csv
import glob
import math
import os
import sys

DATA = os.environ.get("EMOVOX_DATASETS", "/work/shared/datasets")

# (ours, openSMILE eGeMAPSv02 functional)
PAIRS = [
    ("f0_mean", "F0semitoneFrom27.5Hz_sma3nz_amean"),
    ("f0_cv", "F0semitoneFrom27.5Hz_sma3nz_stddevNorm"),
    ("f0_p20", "F0semitoneFrom27.5Hz_sma3nz_percentile20.0"),
    ("f0_p50", "F0semitoneFrom27.5Hz_sma3nz_percentile50.0"),
    ("f0_p80", "F0semitoneFrom27.5Hz_sma3nz_percentile80.0"),
    ("f0_range_p20_p80", "F0semitoneFrom27.5Hz_sma3nz_pctlrange0-2"),
    ("f0_rise_slope_mean", "F0semitoneFrom27.5Hz_sma3nz_meanRisingSlope"),
    ("f0_fall_slope_mean", "F0semitoneFrom27.5Hz_sma3nz_meanFallingSlope"),
    ("loudness_mean", "loudness_sma3_amean"),
    ("loudness_cv", "loudness_sma3_stddevNorm"),
    ("loudness_p20", "loudness_sma3_percentile20.0"),
    ("loudness_p50", "loudness_sma3_percentile50.0"),
    ("loudness_p80", "loudness_sma3_percentile80.0"),
    ("loudness_range_p20_p80", "loudness_sma3_pctlrange0-2"),
    ("loudness_rise_slope_mean", "loudness_sma3_meanRisingSlope"),
    ("loudness_fall_slope_mean", "loudness_sma3_meanFallingSlope"),
    ("flux_mean", "spectralFlux_sma3_amean"),
    ("mfcc1_mean", "mfcc1_sma3_amean"),
    ("mfcc2_mean", "mfcc2_sma3_amean"),
    ("mfcc3_mean", "mfcc3_sma3_amean"),
    ("mfcc4_mean", "mfcc4_sma3_amean"),
    ("jitter_mean", "jitterLocal_sma3nz_amean"),
    ("shimmer_db_mean", "shimmerLocaldB_sma3nz_amean"),
    ("hnr_db_mean", "HNRdBACF_sma3nz_amean"),
    ("h1_h2_db_mean", "logRelF0-H1-H2_sma3nz_amean"),
    ("h1_a3_db_mean", "logRelF0-H1-A3_sma3nz_amean"),
    ("f1_freq_mean", "F1frequency_sma3nz_amean"),
    ("f1_bw_mean", "F1bandwidth_sma3nz_amean"),
    ("f1_amp_rel_db_mean", "F1amplitudeLogRelF0_sma3nz_amean"),
    ("f2_freq_mean", "F2frequency_sma3nz_amean"),
    ("f2_bw_mean", "F2bandwidth_sma3nz_amean"),
    ("f2_amp_rel_db_mean", "F2amplitudeLogRelF0_sma3nz_amean"),
    ("f3_freq_mean", "F3frequency_sma3nz_amean"),
    ("f3_bw_mean", "F3bandwidth_sma3nz_amean"),
    ("f3_amp_rel_db_mean", "F3amplitudeLogRelF0_sma3nz_amean"),
    ("alpha_ratio_v_mean", "alphaRatioV_sma3nz_amean"),
    ("hammarberg_v_mean", "hammarbergIndexV_sma3nz_amean"),
    ("slope_v_0_500_mean", "slopeV0-500_sma3nz_amean"),
    ("slope_v_500_1500_mean", "slopeV500-1500_sma3nz_amean"),
    ("flux_v_mean", "spectralFluxV_sma3nz_amean"),
    ("mfcc1_v_mean", "mfcc1V_sma3nz_amean"),
    ("mfcc2_v_mean", "mfcc2V_sma3nz_amean"),
    ("alpha_ratio_uv_mean", "alphaRatioUV_sma3nz_amean"),
    ("hammarberg_uv_mean", "hammarbergIndexUV_sma3nz_amean"),
    ("slope_uv_0_500_mean", "slopeUV0-500_sma3nz_amean"),
    ("slope_uv_500_1500_mean", "slopeUV500-1500_sma3nz_amean"),
    ("flux_uv_mean", "spectralFluxUV_sma3nz_amean"),
    ("loudness_peaks_per_s", "loudnessPeaksPerSec"),
    ("voiced_segments_per_s", "VoicedSegmentsPerSec"),
    ("voiced_segment_mean_s", "MeanVoicedSegmentLengthSec"),
    ("voiced_segment_std_s", "StddevVoicedSegmentLengthSec"),
    ("unvoiced_segment_mean_s", "MeanUnvoicedSegmentLength"),
    ("unvoiced_segment_std_s", "StddevUnvoicedSegmentLength"),
    ("equivalent_sound_level_db", "equivalentSoundLevel_dBp"),
]


def pick(files, n):
    files = sorted(files)
    if n >= len(files):
        return files
    step = len(files) / n
    return [files[int(i * step)] for i in range(n)]


def prepare(args):
    import numpy as np
    import opensmile
    import soundfile as sf
    from scipy.signal import resample_poly

    n_rav, n_tess, n_emovo = (int(x) for x in args.per_corpus.split(","))
    clips = []
    clips += [("ravdess", f) for f in pick(glob.glob(f"{DATA}/ravdess/Actor_01/*.flac"), n_rav)]
    clips += [("tess", f) for f in pick(glob.glob(f"{DATA}/tess/*/*.flac"), n_tess)]
    clips += [("emovo", f) for f in pick(glob.glob(f"{DATA}/emovo/*/*.flac"), n_emovo)]
    out_dir = os.path.join(args.work, "clips")
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for corpus, f in clips:
        y, sr = sf.read(f, dtype="float64", always_2d=True)
        y = y.mean(axis=1)
        if sr == 48000:
            y = resample_poly(y, 1, 3)
        elif sr != 16000:
            sys.exit(f"{f}: unexpected rate {sr}")
        name = f"{corpus}__{os.path.splitext(os.path.basename(f))[0]}.wav"
        p = os.path.join(out_dir, name)
        sf.write(p, y.astype(np.float32), 16000, subtype="FLOAT")
        paths.append(p)
    func = opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02,
                           feature_level=opensmile.FeatureLevel.Functionals)
    lld = opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02,
                          feature_level=opensmile.FeatureLevel.LowLevelDescriptors)
    rows, lld_dir = [], os.path.join(args.work, "lld")
    os.makedirs(lld_dir, exist_ok=True)
    for p in paths:
        df = func.process_file(p)
        rows.append([p] + [float(v) for v in df.iloc[0].values])
        lld.process_file(p).reset_index(drop=True).to_csv(
            os.path.join(lld_dir, os.path.basename(p) + ".csv"), index=False)
    with open(os.path.join(args.work, "opensmile.csv"), "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["path"] + list(func.feature_names))
        w.writerows(rows)
    print(f"{len(paths)} clips in {out_dir}; openSMILE functionals in {args.work}/opensmile.csv")


def read_table(path):
    with open(path) as fh:
        r = csv.reader(fh)
        header = next(r)
        return {os.path.basename(row[0]): dict(zip(header[1:], map(float, row[1:]))) for row in r}


def pearson(a, b):
    n = len(a)
    ma, mb = sum(a) / n, sum(b) / n
    va = sum((x - ma) ** 2 for x in a)
    vb = sum((y - mb) ** 2 for y in b)
    if va == 0 or vb == 0:
        return float("nan")
    return sum((x - ma) * (y - mb) for x, y in zip(a, b)) / math.sqrt(va * vb)


def compare(args):
    ours = read_table(os.path.join(args.work, args.ours))
    ref = read_table(os.path.join(args.work, "opensmile.csv"))
    keys = sorted(set(ours) & set(ref))
    print(f"{len(keys)} clips\n")
    print("| ours | openSMILE eGeMAPSv02 | r | ours mean | openSMILE mean |")
    print("|---|---|---|---|---|")
    for o, s in PAIRS:
        if o not in ours[keys[0]]:
            continue
        a = [ours[k][o] for k in keys]
        b = [ref[k][s] for k in keys]
        print(f"| {o} | {s} | {pearson(a, b):.2f} | {sum(a) / len(a):.4g} | {sum(b) / len(b):.4g} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--work", required=True)
    p.add_argument("--per-corpus", default="20,15,15", help="clips from RAVDESS Actor_01, TESS, EMOVO")
    c = sub.add_parser("compare")
    c.add_argument("--work", required=True)
    c.add_argument("--ours", default="ours.csv")
    args = ap.parse_args()
    {"prepare": prepare, "compare": compare}[args.cmd](args)


if __name__ == "__main__":
    main()
