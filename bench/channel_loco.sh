#!/usr/bin/env bash
# Channel augmentation measured by leave one corpus out (bench/MODEL_EXPERIMENTS.md, "Channel
# augmentation"): the bundled recipe (`utterance`, svm:c=1, class weights) trained with augmented
# copies through a telephone band, reverberation, spectral tilt and gain, scored one clip at a
# time and adapted (--adapt), on the held-out corpora's original clips and, for robustness,
# through a channel (their augmented copies: --score-augmented).
#   bench/channel_loco.sh          (EMOVOX_DATASETS defaults to ../shared/datasets)
# EMOVOX_LOCO_PIPELINE / EMOVOX_LOCO_MODEL pick another recipe (bench/loco_common.sh), e.g. the
# bundled model's: utterance-whisper and logistic:c=0.001 (with EMOVOX_WORK set apart).
# One feature table holds every copy; each run picks the copies it trains on
# (--train-augmented). Results in target/channel-loco/ and a summary table at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/loco_common.sh
. bench/loco_common.sh
loco_setup target/channel-loco
CHAINS="telephone,reverb,reverb=0.6,tilt=-3+gain=-10"
# Two copies per clip at most: the SVM takes 12000 training rows, and three copies of the three
# largest corpora are 15737.
MIX="telephone,reverb=0.6"
[ -f "$W/copies.parquet" ] || $E features --manifest "$W/seed4.csv" --pipeline "$PIPELINE" \
  --augment "$CHAINS" --out "$W/copies.parquet" --no-progress 2>"$W/copies.features.log" || true
summary="$W/summary.txt"
[ -f "$summary" ] || printf '%-10s %-40s %-20s %-8s %6s %6s  %s\n' table train-copies scored scoring \
  mean worst 'UAR per held-out corpus' > "$summary"
# run TABLE TRAIN_COPIES SCORED (original or a chain) [--adapt]
run() {
  local table=$1 train=$2 scored=$3 adapt=${4:-}
  local name
  name="$table-$(echo "$train-$scored${adapt}" | tr ':=,+ ' '_____')"
  local dir="$W/runs/$name"
  [ -f "$dir.log" ] && grep -q 'worst fold' "$dir.log" && return 0
  rm -rf "$dir"
  local args=(evaluate --loco --features "$W/$table.parquet" --model "$MODEL" --class-weights
    --val-fraction 0 --out "$dir")
  [ "$table" = base ] || args+=(--train-augmented "$train")
  [ "$scored" = original ] || args+=(--score-augmented "$scored")
  [ -n "$adapt" ] && args+=(--adapt)
  mkdir -p "$W/runs"
  if ! $E "${args[@]}" >"$dir.log" 2>&1; then
    printf '%-10s %-40s %-20s %-8s failed: %s\n' "$table" "$train" "$scored" "${adapt:-one}" \
      "$(tail -1 "$dir.log")" >> "$summary"
    return 0
  fi
  printf '%-10s %-40s %-20s %-8s %s\n' "$table" "$train" "$scored" "${adapt:-one}" \
    "$(loco_scores "$dir.log")" >> "$summary"
}
for a in "" --adapt; do
  run base none original $a                      # a. the bundled recipe, no copies
  run copies none original $a                    # the same through the copies table
  run copies telephone original $a               # b.
  run copies reverb original $a                  # c.
  run copies "$MIX" original $a                  # d.
  run copies tilt=-3+gain=-10 original $a        # e.
done
# Robustness: the held-out corpus through a channel, trained with and without copies of it.
for a in "" --adapt; do
  for scored in telephone reverb=0.6 tilt=-3+gain=-10; do
    for train in none telephone reverb "$MIX" tilt=-3+gain=-10; do
      run copies "$train" "$scored" $a
    done
  done
done
# Which part of tilt+gain costs: tilt and level apart (the speech detector reads the level).
[ -f "$W/levels.parquet" ] || $E features --manifest "$W/seed4.csv" --pipeline "$PIPELINE" \
  --augment tilt=-3,gain=-10,gain=-20,gain=-30 --out "$W/levels.parquet" --no-progress \
  2>"$W/levels.features.log" || true
for scored in tilt=-3 gain=-10 gain=-20 gain=-30; do
  run levels none "$scored"
done
cat "$summary"
