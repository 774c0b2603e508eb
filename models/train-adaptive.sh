#!/usr/bin/env bash
# Trains the speaker-adaptive model (not bundled: it needs several clips of a speaker at once, so
# the web app cannot serve it) into target/adaptive/run, and measures it:
#   models/train-adaptive.sh            (EMOVOX_DATASETS defaults to ../shared/datasets)
# The recipe bundled until 2026-12-04 (logistic regression, C = 0.001, classes balanced, on the
# `utterance-whisper` pipeline; the four corpora, seed4 classes, without the seed protocol's
# held-out speakers) with --speaker-norm: every speaker's vectors are standardised over that
# speaker's own clips, in training and at prediction (`emovox predict --adapt`); no labels of new
# speakers are used. Deterministic (the solver is exact); about 5 minutes on 2 cores, most of it
# the features. Measured 2026-12-04: seed protocol 0.858 accuracy / 0.862 UAR; leave one corpus
# out with each held-out speaker normalised over their clips, mean UAR 0.553, every corpus
# >= 0.42 (target/adaptive/loco). Then, e.g.:
#   target/release/emovox predict --model target/adaptive/run --adapt SPEAKER_DIR/
set -euo pipefail
cd "$(dirname "$0")/.."
D=${EMOVOX_DATASETS:-../shared/datasets}
W=${EMOVOX_WORK:-target/adaptive}
mkdir -p "$W"
# EMOVOX_BIN: an emovox binary to use instead of building target/release/emovox.
if [ -z "${EMOVOX_BIN:-}" ]; then cargo build --release --locked --bin emovox; fi
E=${EMOVOX_BIN:-target/release/emovox}
scripts/fetch-whisper
MODEL=logistic:c=0.001
$E index "$D/ravdess" "$D/tess" "$D/emovo" "$D/turev" --scheme seed4 \
    --split speaker:Actor_21+Actor_22+Actor_23+Actor_24+YAF --out "$W/seed4.csv"
# Clips in which the VAD finds no speech are listed and left out, not fatal.
$E features --manifest "$W/seed4.csv" --pipeline utterance-whisper --out "$W/features.parquet" \
    --no-progress 2>"$W/features.log" || true
rm -rf "$W/run" "$W/loco"
$E train --features "$W/features.parquet" --model $MODEL --class-weights --speaker-norm \
    --val-fraction 0 --out "$W/run"
$E evaluate "$W/run" --features "$W/features.parquet"
$E evaluate --loco --features "$W/features.parquet" --model $MODEL --class-weights \
    --speaker-norm --val-fraction 0 --out "$W/loco"
