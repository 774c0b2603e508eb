#!/usr/bin/env bash
# Rebuilds the bundled model `models/default/` and its card (models/README.md) from the corpora,
# reproducibly (the logistic regression's solver is exact; about 12 minutes on 2 cores):
#   models/train.sh            (EMOVOX_DATASETS defaults to ../shared/datasets)
# The model: multinomial logistic regression (C = 0.001, speakers and classes balanced, the class
# `unpleasant` learnt as its two emotions, angry and sad, each half of its weight) on the
# `utterance-whisper` pipeline (prosody and voice-quality functionals over the speech the VAD
# finds, without level-dependent columns, and Whisper base's encoder layer 3 averaged over the
# same speech; the weights come from scripts/fetch-whisper), trained on
# RAVDESS, TESS, EMOVO and TurEV-DB in seed4 classes, each training clip also as one random
# window of 0.3-0.8 s of its speech (`--augment crop`: words where the corpora hold sentences),
# without the seed protocol's held-out speakers (RAVDESS actors 21-24, TESS YAF), which it is then
# scored on (report.json). It adapts to clips given together by moving their mean and spread to
# the training set's (`"adapt": "standardize"`). Its
# leave-one-corpus-out figures, one clip at a time and adapted per speaker (all of a speaker's
# clips, and groups of 2-20) and self-trained, are measured with the same pipeline and model (loco*.json); the
# choice of recipe is in bench/MODEL_EXPERIMENTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
D=${EMOVOX_DATASETS:-../shared/datasets}
W=${EMOVOX_WORK:-target/bundled-model}
mkdir -p "$W"
# EMOVOX_BIN: an emovox binary to use instead of building target/release/emovox.
if [ -z "${EMOVOX_BIN:-}" ]; then cargo build --release --locked --bin emovox; fi
E=${EMOVOX_BIN:-target/release/emovox}
scripts/fetch-whisper
PIPELINE=utterance-whisper
MODEL=logistic:c=0.001
# Copies of the training clips (the test split's are never augmented), trained on and never
# scored. Leave one corpus out reads a second table without the seed split (loco.parquet), so
# that every clip of the training corpora has its copy there too.
AUGMENT=crop
OPTS=(--class-weights --balance-speakers --split-class unpleasant --val-fraction 0)
LOCO=(--loco --features "$W/loco.parquet" --model $MODEL "${OPTS[@]}" --train-augmented $AUGMENT)
$E index "$D/ravdess" "$D/tess" "$D/emovo" "$D/turev" --scheme seed4 \
    --split speaker:Actor_21+Actor_22+Actor_23+Actor_24+YAF --out "$W/seed4.csv"
# Clips in which the VAD finds no speech are listed and left out, not fatal.
$E features --manifest "$W/seed4.csv" --pipeline $PIPELINE --augment $AUGMENT \
    --out "$W/features.parquet" --no-progress 2>"$W/features.log" || true
$E index "$D/ravdess" "$D/tess" "$D/emovo" "$D/turev" --scheme seed4 --split none \
    --out "$W/seed4-loco.csv"
$E features --manifest "$W/seed4-loco.csv" --pipeline $PIPELINE --augment $AUGMENT \
    --out "$W/loco.parquet" --no-progress 2>"$W/loco-features.log" || true
rm -rf "$W/run" "$W/loco" "$W/loco-adapted"
$E train --features "$W/features.parquet" --model $MODEL "${OPTS[@]}" --out "$W/run"
$E evaluate "$W/run" --features "$W/features.parquet"
# The seed protocol adapted to each held-out speaker (all of their held-out clips together,
# `predict --adapt`), and self-trained on them too (`--adapt --self-train`).
rm -rf "$W/seed-adapted" "$W/seed-self-trained"
$E evaluate "$W/run" --features "$W/features.parquet" --adapt --out "$W/seed-adapted"
$E evaluate "$W/run" --features "$W/features.parquet" --adapt --self-train --out "$W/seed-self-trained"
$E evaluate "${LOCO[@]}" --out "$W/loco"
# Adapted: each held-out speaker's clips together (`predict --adapt`), all of them, then in
# random groups of 2, 5, 10 and 20 (accuracy against the number of clips seen).
$E evaluate "${LOCO[@]}" --adapt --out "$W/loco-adapted"
for k in 2 5 10 20; do
  rm -rf "$W/loco-adapted-$k"
  $E evaluate "${LOCO[@]}" --adapt --adapt-clips $k --out "$W/loco-adapted-$k"
done
# Self-trained (`predict --adapt --self-train`): each speaker's clips adapted, then read by the
# model refitted on its surest answers for them; all of a speaker's clips, and groups of 20.
# And a whole held-out corpus adapted as one group (one recording set-up: `--adapt-by corpus`).
rm -rf "$W/loco-adapted-corpus"
$E evaluate "${LOCO[@]}" --adapt --adapt-by corpus --out "$W/loco-adapted-corpus"
rm -rf "$W/loco-self-trained" "$W/loco-self-trained-20"
$E evaluate "${LOCO[@]}" --adapt --self-train --out "$W/loco-self-trained"
$E evaluate "${LOCO[@]}" --adapt --adapt-clips 20 --self-train --out "$W/loco-self-trained-20"
rm -rf models/default
mkdir -p models/default
cp "$W/run/model.json" "$W/run/model.bpk" "$W/run/report.json" "$W/run/report.txt" models/default/
cp "$W/loco/cv_report.json" models/default/loco.json
cp "$W/loco-adapted/cv_report.json" models/default/loco-adapted.json
for k in 2 5 10 20; do
  cp "$W/loco-adapted-$k/cv_report.json" "models/default/loco-adapted-$k.json"
done
cp "$W/loco-self-trained/cv_report.json" models/default/loco-self-trained.json
cp "$W/loco-adapted-corpus/cv_report.json" models/default/loco-adapted-corpus.json
cp "$W/seed-adapted/report.json" models/default/seed-adapted.json
cp "$W/seed-self-trained/report.json" models/default/seed-self-trained.json
cp "$W/loco-self-trained-20/cv_report.json" models/default/loco-self-trained-20.json
python3 models/card.py
