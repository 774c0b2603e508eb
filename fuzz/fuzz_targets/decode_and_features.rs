//! Arbitrary bytes through the decoder and the seed pipeline: must never panic.
//! Run: `cargo install cargo-fuzz && cd fuzz && cargo fuzz run decode_and_features`
//! (the property tests in crates/audio/tests/robustness.rs run a bounded version in CI).
#![no_main]

use emovox_audio::{decode_bytes, DecodeOptions};
use emovox_features::{Extractor, PipelineConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = DecodeOptions::new().max_seconds(Some(1.9));
    if let Ok(clip) = decode_bytes(data, None, &opts) {
        if let Ok(mut ex) = Extractor::new(PipelineConfig::seed()) {
            let _ = ex.process(&clip.samples, clip.sample_rate);
        }
    }
});
