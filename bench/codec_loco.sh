#!/usr/bin/env bash
# Codecs measured by leave one corpus out (bench/MODEL_EXPERIMENTS.md, "Codecs"): the bundled
# recipe (`utterance`, svm:c=1, class weights) scored on the held-out corpora heard through a codec
# (Opus 12 kbit/s VoIP, GSM full rate, MP3 32 kbit/s), one clip at a time and adapted (--adapt), and
# trained with codec copies.
#   bench/codec_loco.sh          (EMOVOX_DATASETS defaults to ../shared/datasets)
# Needs ffmpeg (Debian's: `apt-get install ffmpeg`), Python 3 with pyarrow. The copies are made by
# bench/codec_copies.py (ffmpeg encodes and decodes each clip) and merged into one feature table
# with the originals, named by codec. Results in target/codec-loco/ and a summary at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/loco_common.sh
. bench/loco_common.sh
command -v ffmpeg >/dev/null || { echo "ffmpeg not found: apt-get install ffmpeg" >&2; exit 1; }
loco_setup target/codec-loco
CODECS="opus=12k gsm mp3=32k"
# shellcheck disable=SC2086 # one argument per codec
codec_table base.parquet codecs.parquet $CODECS
summary="$W/summary.txt"
[ -f "$summary" ] || printf '%-24s %-12s %-8s %6s %6s  %s\n' train-copies scored scoring \
  mean worst 'UAR per held-out corpus' > "$summary"
# run TRAIN_COPIES SCORED (original or a codec) [--adapt]
run() {
  local train=$1 scored=$2 adapt=${3:-}
  local name
  name="$(echo "$train-$scored${adapt}" | tr ':=,+ ' '_____')"
  local dir="$W/runs/$name"
  [ -f "$dir.log" ] && grep -q 'worst fold' "$dir.log" && return 0
  rm -rf "$dir"
  local args=(evaluate --loco --features "$W/codecs.parquet" --model "$MODEL" --class-weights
    --val-fraction 0 --train-augmented "$train" --out "$dir")
  [ "$scored" = original ] || args+=(--score-augmented "$scored")
  [ -n "$adapt" ] && args+=(--adapt)
  mkdir -p "$W/runs"
  if ! $E "${args[@]}" >"$dir.log" 2>&1; then
    printf '%-24s %-12s %-8s failed: %s\n' "$train" "$scored" "${adapt:-one}" \
      "$(tail -1 "$dir.log")" >> "$summary"
    return 0
  fi
  printf '%-24s %-12s %-8s %s\n' "$train" "$scored" "${adapt:-one}" \
    "$(loco_scores "$dir.log")" >> "$summary"
}
for a in "" --adapt; do
  # The bundled recipe (no copies), on the originals and through each codec.
  run none original $a
  for c in $CODECS; do run none "$c" $a; done
  # Trained with one codec's copies: on the originals and through that codec.
  for c in $CODECS; do
    run "$c" original $a
    run "$c" "$c" $a
  done
done
cat "$summary"
