#!/usr/bin/env bash
# Trains the multi-corpus utterance model into models/utterance/ (model.json + model.bpk):
#   models/train-utterance.sh            (EMOVOX_DATASETS defaults to ../shared/datasets)
# An RBF SVM (C = 1) on the `utterance` pipeline (prosody and voice-quality functionals over the
# speech the VAD finds, without level-dependent columns), trained on RAVDESS, TESS, EMOVO and
# TurEV-DB in seed4 classes, without the seed protocol's held-out speakers (RAVDESS actors 21-24,
# TESS YAF), which it is then scored on. It reads one clip at a time (no speaker normalisation),
# so the web app and the live mode can serve it. Its leave-one-corpus-out figures come from
# bench/loco.sh (the same pipeline and model, one corpus held out at a time). Deterministic (SMO
# is exact); about a minute on 2 cores. Then:
#   target/release/emovox predict --model models/utterance FILES_OR_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
D=${EMOVOX_DATASETS:-../shared/datasets}
W=${EMOVOX_WORK:-target/utterance}
mkdir -p "$W"
# EMOVOX_BIN: an emovox binary to use instead of building target/release/emovox.
if [ -z "${EMOVOX_BIN:-}" ]; then cargo build --release --locked --bin emovox; fi
E=${EMOVOX_BIN:-target/release/emovox}
$E index "$D/ravdess" "$D/tess" "$D/emovo" "$D/turev" --scheme seed4 \
    --split speaker:Actor_21+Actor_22+Actor_23+Actor_24+YAF --out "$W/seed4.csv"
$E features --manifest "$W/seed4.csv" --pipeline utterance --out "$W/features.parquet" \
    --no-progress || true  # clips without speech are listed, not fatal
rm -rf "$W/run"
$E train --features "$W/features.parquet" --model svm:c=1 --val-fraction 0 --out "$W/run"
$E evaluate "$W/run" --features "$W/features.parquet"
mkdir -p models/utterance
cp "$W/run/model.json" "$W/run/model.bpk" models/utterance/
cp "$W/run/report.json" models/utterance/report.json 2>/dev/null || true
echo "models/utterance/ written"
