#!/usr/bin/env bash
# Trains the speaker-adaptive model (the best measured on held-out speakers; not bundled: it needs
# several clips of a speaker at once, so the web app cannot serve it) into target/adaptive/run:
#   models/train-adaptive.sh            (EMOVOX_DATASETS defaults to ../shared/datasets)
# An RBF SVM on `logmel-stats` (per-band statistics of the log-mel spectrogram), with
# --speaker-norm: every speaker's vectors are standardised over that speaker's own clips, in
# training and at prediction (`emovox predict --adapt`); no labels of new speakers are used.
# Protocol: seed4 classes, RAVDESS actors 21-24 and TESS speaker YAF held out. Deterministic
# (no seed: SMO is exact); fitting takes about a second. Then, e.g.:
#   target/release/emovox predict --model target/adaptive/run --adapt SPEAKER_DIR/
set -euo pipefail
cd "$(dirname "$0")/.."
D=${EMOVOX_DATASETS:-../shared/datasets}
W=${EMOVOX_WORK:-target/adaptive}
mkdir -p "$W"
cargo build --release --locked
E=target/release/emovox
$E index "$D/ravdess" "$D/tess" --scheme seed4 \
    --split speaker:Actor_21+Actor_22+Actor_23+Actor_24+YAF --out "$W/seed4.csv"
$E features --manifest "$W/seed4.csv" --pipeline logmel-stats --out "$W/features.parquet"
rm -rf "$W/run"
$E train --features "$W/features.parquet" --model svm --speaker-norm --val-fraction 0 \
    --out "$W/run"
$E evaluate "$W/run" --features "$W/features.parquet"
