#!/usr/bin/env bash
# Rebuilds `models/tiny/` (the microcontroller model, issue 8) exactly like models/train.sh's
# protocol, with the 36k-parameter cnn-attn sibling, then quantises it to int8 (model.emt):
#   models/train-tiny.sh       (EMOVOX_DATASETS defaults to ../shared/datasets)
set -euo pipefail
cd "$(dirname "$0")/.."
D=${EMOVOX_DATASETS:-../shared/datasets}
W=${EMOVOX_WORK:-target/tiny-model}
mkdir -p "$W"
cargo build --release --locked
E=target/release/emovox
$E index "$D/ravdess" "$D/tess" --scheme seed4 \
    --split speaker:Actor_21+Actor_22+Actor_23+Actor_24+YAF --out "$W/seed4.csv"
$E features --manifest "$W/seed4.csv" \
    --augment noise,noise+stretch+pitch,pitch=2,pitch=4,pitch=-2 \
    --pipeline logmel:n_mels=64,frames=100,crop=0.4+1.5 --out "$W/features.parquet"
rm -rf "$W/run"
$E train --features "$W/features.parquet" --model 'cnn-attn:channels=32+48+64,dropout=0.5' \
    --epochs 12 --patience 6 --schedule cosine --seed 7 --out "$W/run"
$E evaluate "$W/run" --features "$W/features.parquet" > "$W/run/report.txt"
$E quantize "$W/run" --calibrate "$W/features.parquet"
mkdir -p models/tiny/int8
cp "$W/run/model.json" "$W/run/model.bpk" "$W/run/history.csv" "$W/run/report.txt" models/tiny/
cp "$W/run/int8/model.emt" "$W/run/int8/calibration.json" "$W/run/int8/report.json" models/tiny/int8/
