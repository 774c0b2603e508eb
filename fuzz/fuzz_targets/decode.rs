//! The decoder alone, at the speed a parser fuzzer needs: raw bytes with no hint and under each
//! container's extension, and `emovox_audio::hostile::file` (valid headers of every container
//! the decoder accepts, with extreme payloads). Never a panic; every decoded sample is finite
//! and the rate is positive. `decode_and_features` runs the same files on through every
//! pipeline, at a fraction of the executions per second.
#![no_main]

use emovox_audio::{decode_bytes, hostile, DecodeOptions};
use libfuzzer_sys::fuzz_target;

/// Frames of generated payload at most: a few decoder packets, so a run takes well under a
/// millisecond (`decode_and_features` takes seconds of audio).
const MAX_FRAMES: usize = 4096;

const HINTS: [Option<&str>; 8] = [
    None,
    Some("wav"),
    Some("flac"),
    Some("ogg"),
    Some("mp3"),
    Some("m4a"),
    Some("aiff"),
    Some("opus"),
];

fn run(bytes: &[u8], ext: Option<&str>) {
    let opts = DecodeOptions::new().max_seconds(Some(3.0));
    if let Ok(clip) = decode_bytes(bytes, ext, &opts) {
        assert!(clip.sample_rate > 0);
        assert!(clip.samples.iter().all(|v| v.is_finite()));
    }
}

fuzz_target!(|data: &[u8]| {
    // The first byte picks the hint, so each run costs one raw decode, not eight.
    let hint = HINTS[data.first().copied().unwrap_or(0) as usize % HINTS.len()];
    run(data, hint);
    let f = hostile::file_with_max_frames(data, MAX_FRAMES);
    run(&f.bytes, f.ext);
});
