#!/usr/bin/env bash
# Leave-one-corpus-out (LOCO) measurements of emovox's models: RAVDESS, TESS, EMOVO and TurEV-DB
# (seed4 classes); for each pipeline and model, one model per held-out corpus trained on the
# other three, scored on the held-out corpus (UAR over the classes it has), mean and worst fold.
#   bench/loco.sh [PIPELINE...]        (default: the pipelines of bench/MODEL_EXPERIMENTS.md)
# EMOVOX_DATASETS defaults to ../shared/datasets; results go to target/loco/ (report.txt per run)
# and a summary table is printed at the end. About 5 minutes on 2 cores.
# EMOVOX_LOCO_MODELS: the models to train (default "svm svm:c=1"); EMOVOX_LOCO_FLAGS: more
# training flags for every run (e.g. --class-weights), named in the summary.
set -euo pipefail
cd "$(dirname "$0")/.."
D=${EMOVOX_DATASETS:-../shared/datasets}
W=${EMOVOX_WORK:-target/loco}
mkdir -p "$W"
# EMOVOX_BIN: an emovox binary to use instead of building target/release/emovox.
if [ -z "${EMOVOX_BIN:-}" ]; then cargo build --release --locked --bin emovox; fi
E=${EMOVOX_BIN:-target/release/emovox}
if [ $# -gt 0 ]; then pipelines=("$@"); else pipelines=(
  speech-stats
  prosody
  prosody:trim=vad
  prosody:groups=f0+voice+formants,trim=vad
  utterance
); fi
$E index "$D/ravdess" "$D/tess" "$D/emovo" "$D/turev" --scheme seed4 --split none \
  --out "$W/seed4.csv"
summary="$W/summary.txt"
printf '%-48s %-16s %6s %6s  %s\n' pipeline model mean worst 'UAR per held-out corpus' > "$summary"
for p in "${pipelines[@]}"; do
  name=$(echo "$p" | tr ':=,+' '____')
  $E features --manifest "$W/seed4.csv" --pipeline "$p" --out "$W/$name.parquet" --no-progress \
    2>"$W/$name.features.log" || true  # clips without speech are reported, not fatal
  # "": one clip at a time; --speaker-norm: trained and scored on per-speaker standardised
  # features; --adapt: trained one clip at a time, each held-out speaker re-centred at test time
  # (the bundled model's `predict --adapt`).
  extra=${EMOVOX_LOCO_FLAGS:-}
  # --adapt --self-train: then refitted on its surest answers for each held-out speaker.
  for m in ${EMOVOX_LOCO_MODELS:-svm svm:c=1}; do
   for sn in "" "--speaker-norm" "--adapt" "--adapt --self-train"; do
    [ "$sn" = "--adapt --self-train" ] && [ "${m%%:*}" != svm ] && continue
    run="$W/$name-$m${extra:+$(echo "$extra" | tr -d ' ')}${sn:+-$(echo "${sn#--}" | tr -d ' ')}"
    rm -rf "$run"
    # shellcheck disable=SC2086 # $extra and $sn are lists of flags
    $E evaluate --loco --features "$W/$name.parquet" --model "$m" --val-fraction 0 $sn $extra \
      --out "$run" >"$run.log" 2>&1
    mean=$(grep -o 'UAR [0-9.]* +- [0-9.]*' "$run.log" | head -1 | awk '{print $2}')
    worst=$(grep -o 'worst fold: [a-z]* (UAR [0-9.]*' "$run.log" | awk '{print $5}')
    folds=$(awk '/^fold /{f=1;next} f && NF>4 {printf "%s %s  ", $1, $4} /^$/{if(f)exit}' "$run.log")
    printf '%-48s %-16s %6s %6s  %s\n' "$p" "$m${extra:+ $extra}${sn:+ $sn}" "$mean" "$worst" "$folds" >> "$summary"
   done
  done
done
cat "$summary"
