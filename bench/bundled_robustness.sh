#!/usr/bin/env bash
# The bundled recipe (models/train.sh: `utterance-whisper`, logistic C = 0.001, speakers and
# classes balanced, `unpleasant` learnt as angry and sad, trained with `crop` copies) measured by leave one corpus out on the held-out
# corpora as recorded and heard through recording channels and codecs, one clip at a time and
# adapted (--adapt). Trained on clean clips and their crops only; the channel and codec copies of
# the held-out corpus are scored (--score-augmented), never trained on.
#   bench/bundled_robustness.sh          (EMOVOX_DATASETS defaults to ../shared/datasets)
# Channels are emovox's own augmentations (telephone band, a 0.6 s room, a duller and quieter
# microphone, -20 dB); codecs need ffmpeg (Debian's: `apt-get install ffmpeg`; without it they are
# skipped, said so) and bench/codec_copies.py. About 25 minutes on 2 cores, most of it the
# Whisper features of every copy. Results in target/bundled-robustness/ and a summary at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/loco_common.sh
. bench/loco_common.sh
# The clips and their copies are one table (copies.parquet); no table of the clips alone.
loco_index target/bundled-robustness
PIPELINE=utterance-whisper
MODEL=logistic:c=0.001
CHANNELS="telephone,reverb=0.6,tilt=-3+gain=-10,gain=-20"
[ -f "$W/copies.parquet" ] || $E features --manifest "$W/seed4.csv" --pipeline "$PIPELINE" \
  --augment "crop,$CHANNELS" --out "$W/copies.parquet" --no-progress \
  2>"$W/copies.features.log" || true
TABLE="$W/copies.parquet"
SCORED="original ${CHANNELS//,/ }"
if command -v ffmpeg >/dev/null; then
  CODECS="opus=12k gsm mp3=32k"
  # shellcheck disable=SC2086 # one argument per codec
  codec_table copies.parquet all.parquet $CODECS
  TABLE="$W/all.parquet"
  SCORED="$SCORED $CODECS"
else
  echo "SKIPPED codecs: ffmpeg not found (apt-get install ffmpeg)" >&2
fi
summary="$W/summary.txt"
[ -f "$summary" ] || printf '%-20s %-8s %6s %6s  %s\n' scored scoring mean worst \
  'UAR per held-out corpus' > "$summary"
for a in "" --adapt; do
  for scored in $SCORED; do
    name="$(echo "$scored${a}" | tr ':=,+ ' '_____')"
    dir="$W/runs/$name"
    [ -f "$dir.log" ] && grep -q 'worst fold' "$dir.log" && continue
    rm -rf "$dir"
    args=(evaluate --loco --features "$TABLE" --model "$MODEL" --class-weights --balance-speakers
      --split-class unpleasant --val-fraction 0 --train-augmented crop --out "$dir")
    [ "$scored" = original ] || args+=(--score-augmented "$scored")
    [ -n "$a" ] && args+=(--adapt)
    mkdir -p "$W/runs"
    if ! $E "${args[@]}" >"$dir.log" 2>&1; then
      printf '%-20s %-8s failed: %s\n' "$scored" "${a:-one}" "$(tail -1 "$dir.log")" >> "$summary"
      continue
    fi
    printf '%-20s %-8s %s\n' "$scored" "${a:-one}" "$(loco_scores "$dir.log")" >> "$summary"
  done
done
cat "$summary"
