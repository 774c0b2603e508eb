//! The decoder and every named feature pipeline: must never panic, and what they return is
//! finite. The input is used twice: as raw bytes, and through `emovox_audio::hostile::file`
//! (valid WAV/AIFF headers with extreme payloads), so the sample path is reached every time.
//!
//! Run: `scripts/fuzz decode_and_features 60` (cargo-fuzz on nightly; seeds from the shared
//! `formats/` and `quirks/` files). `crates/audio/tests/robustness.rs` and `tests/hostile.rs`
//! run the same inputs as bounded property tests in CI.
#![no_main]

use std::cell::RefCell;

use emovox_audio::{decode_bytes, hostile, DecodeOptions};
use emovox_features::{Extractor, PipelineConfig};
use libfuzzer_sys::fuzz_target;

thread_local! {
    /// Every named pipeline, planned once.
    static EXTRACTORS: RefCell<Vec<Extractor>> = RefCell::new(
        PipelineConfig::PRESETS
            .iter()
            .filter_map(|p| PipelineConfig::preset(p))
            .filter_map(|c| Extractor::new(c).ok())
            .collect(),
    );
}

fn run(bytes: &[u8], ext: Option<&str>) {
    let opts = DecodeOptions::new().max_seconds(Some(3.0));
    let Ok(clip) = decode_bytes(bytes, ext, &opts) else {
        return;
    };
    assert!(clip.samples.iter().all(|v| v.is_finite()));
    EXTRACTORS.with(|cell| {
        for ex in cell.borrow_mut().iter_mut() {
            if let Ok(f) = ex.process(&clip.samples, clip.sample_rate) {
                assert!(
                    f.values.iter().all(|v| v.is_finite()),
                    "{}: non-finite features",
                    ex.config()
                );
            }
        }
    });
}

fuzz_target!(|data: &[u8]| {
    run(data, None);
    let f = hostile::file(data);
    run(&f.bytes, f.ext);
});
