# Sourced by bench/channel_loco.sh and bench/codec_loco.sh, from the repository's root.

# loco_setup WORKDIR: sets D (the datasets), W (WORKDIR, or EMOVOX_WORK), E (the emovox binary,
# built unless EMOVOX_BIN names one), PIPELINE and MODEL (the recipe measured: $EMOVOX_LOCO_PIPELINE
# and $EMOVOX_LOCO_MODEL, default the model bundled before 2026-12-04, `utterance` and svm:c=1;
# the bundled one is utterance-whisper and logistic:c=0.001), and makes W/seed4.csv (the four
# corpora, seed4, no split) and W/base.parquet (their PIPELINE features; clips without speech are
# listed and left out).
loco_setup() {
  PIPELINE=${EMOVOX_LOCO_PIPELINE:-utterance}
  MODEL=${EMOVOX_LOCO_MODEL:-svm:c=1}
  D=${EMOVOX_DATASETS:-../shared/datasets}
  W=${EMOVOX_WORK:-$1}
  mkdir -p "$W"
  if [ -z "${EMOVOX_BIN:-}" ]; then cargo build --release --locked --bin emovox; fi
  E=${EMOVOX_BIN:-target/release/emovox}
  [ -f "$W/seed4.csv" ] || $E index "$D/ravdess" "$D/tess" "$D/emovo" "$D/turev" --scheme seed4 \
    --split none --out "$W/seed4.csv"
  [ -f "$W/base.parquet" ] || $E features --manifest "$W/seed4.csv" --pipeline "$PIPELINE" \
    --out "$W/base.parquet" --no-progress 2>"$W/base.features.log" || true
}

# loco_scores LOG: "MEAN WORST  corpus UAR  corpus UAR ..." from an `emovox evaluate --loco` log.
loco_scores() {
  local mean worst folds
  mean=$(grep -o 'UAR [0-9.]* +- [0-9.]*' "$1" | head -1 | awk '{print $2}')
  worst=$(grep -o 'worst fold: [a-z]* (UAR [0-9.]*' "$1" | awk '{print $5}')
  folds=$(awk '/^fold /{f=1;next} f && NF>4 {printf "%s %s  ", $1, $4} /^$/{if(f)exit}' "$1")
  printf '%6s %6s  %s' "$mean" "$worst" "$folds"
}
