#!/usr/bin/env bash
# The bundled recipe (models/train.sh) on several random draws of its crop windows, with and
# without `--split-class unpleasant`: leave one corpus out over RAVDESS, TESS, EMOVO and TurEV-DB,
# one clip at a time and adapted, the mean UAR, worst fold and lowest class recall of each.
#   bench/crop_draws.sh          (EMOVOX_DATASETS defaults to ../shared/datasets)
# EMOVOX_DRAW_SEEDS: the `features --seed` of each draw (default "42 1 2 3"; 42, the default
# seed, is models/train.sh's own draw when the datasets are named by the same path). About 4
# minutes per draw on 2 cores, most of it the Whisper features of the clips and their copies.
# Results in target/crop-draws/ and a summary at the end (bench/MODEL_EXPERIMENTS.md, "Unpleasant
# learnt as anger and sadness").
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/loco_common.sh
. bench/loco_common.sh
loco_index target/crop-draws
mkdir -p "$W/runs"
summary="$W/summary.txt"
printf '%-6s %-6s %-8s %6s %6s  %-40s %s\n' seed split scoring mean worst \
  'UAR per held-out corpus' 'lowest class recall' > "$summary"
for s in ${EMOVOX_DRAW_SEEDS:-42 1 2 3}; do
  # Clips in which the VAD finds no speech are listed and left out, not fatal.
  [ -f "$W/draw$s.parquet" ] || $E features --manifest "$W/seed4.csv" --pipeline utterance-whisper \
    --augment crop --seed "$s" --out "$W/draw$s.parquet" --no-progress \
    2>"$W/draw$s.features.log" || true
  for split in no yes; do
    for a in "" --adapt; do
      name="draw$s-split-$split$a"
      args=(evaluate --loco --features "$W/draw$s.parquet" --model logistic:c=0.001
        --class-weights --balance-speakers --val-fraction 0 --train-augmented crop
        --out "$W/runs/$name")
      [ "$split" = yes ] && args+=(--split-class unpleasant)
      [ -n "$a" ] && args+=(--adapt)
      rm -rf "$W/runs/$name"
      $E "${args[@]}" >"$W/runs/$name.log" 2>&1
      low=$(grep -o 'lowest class recall: .*' "$W/runs/$name.log" | cut -d: -f2-)
      printf '%-6s %-6s %-8s %s %s\n' "$s" "$split" "${a:-one}" \
        "$(loco_scores "$W/runs/$name.log")" "$low" >> "$summary"
    done
  done
done
cat "$summary"
