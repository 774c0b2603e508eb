# Sourced by the leave-one-corpus-out bench scripts (channel_loco.sh, codec_loco.sh,
# bundled_robustness.sh, crop_draws.sh), from the repository's root.

# loco_index WORKDIR: sets D (the datasets), W (WORKDIR, or EMOVOX_WORK) and E (the emovox
# binary, built unless EMOVOX_BIN names one), and makes W/seed4.csv (the four corpora, seed4, no
# split).
loco_index() {
  D=${EMOVOX_DATASETS:-../shared/datasets}
  W=${EMOVOX_WORK:-$1}
  mkdir -p "$W"
  if [ -z "${EMOVOX_BIN:-}" ]; then cargo build --release --locked --bin emovox; fi
  E=${EMOVOX_BIN:-target/release/emovox}
  [ -f "$W/seed4.csv" ] || $E index "$D/ravdess" "$D/tess" "$D/emovo" "$D/turev" --scheme seed4 \
    --split none --out "$W/seed4.csv"
}

# loco_setup WORKDIR: loco_index, and sets PIPELINE and MODEL (the recipe measured:
# $EMOVOX_LOCO_PIPELINE and $EMOVOX_LOCO_MODEL, default the model bundled before 2026-12-04,
# `utterance` and svm:c=1; the bundled one is utterance-whisper and logistic:c=0.001) and makes
# W/base.parquet (the PIPELINE features of W/seed4.csv; clips without speech are listed and left
# out).
loco_setup() {
  PIPELINE=${EMOVOX_LOCO_PIPELINE:-utterance}
  MODEL=${EMOVOX_LOCO_MODEL:-svm:c=1}
  loco_index "$1"
  [ -f "$W/base.parquet" ] || $E features --manifest "$W/seed4.csv" --pipeline "$PIPELINE" \
    --out "$W/base.parquet" --no-progress 2>"$W/base.features.log" || true
}

# codec_table TABLE OUT CODEC...: W/OUT, the rows of W/TABLE (features of W/seed4.csv and their
# copies) and of every clip heard through each CODEC (`opus=12k`, `gsm`, `mp3=32k`: encoded and
# decoded by ffmpeg through bench/codec_copies.py, then PIPELINE's features), named by codec.
codec_table() {
  local table=$1 out=$2
  shift 2
  local specs=() c n
  for c in "$@"; do
    n=$(echo "$c" | tr '=' '_')
    [ -f "$W/$c/manifest.csv" ] || python3 bench/codec_copies.py transcode "$W/seed4.csv" "$W" "$c"
    # Clips in which the VAD finds no speech are listed and left out, not fatal.
    [ -f "$W/$n.parquet" ] || $E features --manifest "$W/$c/manifest.csv" --pipeline "$PIPELINE" \
      --out "$W/$n.parquet" --no-progress 2>"$W/$n.features.log" || true
    specs+=("$c=$W/$n.parquet:$W/$c/originals.csv")
  done
  [ -f "$W/$out" ] || python3 bench/codec_copies.py merge "$W/$table" "$W/$out" "${specs[@]}"
}

# loco_scores LOG: "MEAN WORST  corpus UAR  corpus UAR ..." from an `emovox evaluate --loco` log.
loco_scores() {
  local mean worst folds
  mean=$(grep -o 'UAR [0-9.]* +- [0-9.]*' "$1" | head -1 | awk '{print $2}')
  worst=$(grep -o 'worst fold: [a-z]* (UAR [0-9.]*' "$1" | awk '{print $5}')
  folds=$(awk '/^fold /{f=1;next} f && NF>4 {printf "%s %s  ", $1, $4} /^$/{if(f)exit}' "$1")
  printf '%6s %6s  %s' "$mean" "$worst" "$folds"
}
