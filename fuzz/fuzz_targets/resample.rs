//! The resampler at several rate pairs and ratios, on hostile sample buffers
//! (`emovox_audio::hostile::samples`: huge, tiny, denormal, NaN, constant, clipped...): never a
//! panic; finite output for accepted input, of the promised length.
#![no_main]

use emovox_audio::{hostile, Resampler};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (y, rate) = hostile::samples(data);
    let mut out = Vec::new();
    for to in [16_000u32, 8_000, 22_050, 44_100] {
        if let Ok(mut r) = Resampler::new(rate, to) {
            if r.process(&y, &mut out).is_ok() {
                assert_eq!(out.len(), r.output_len(y.len()));
                assert!(out.iter().all(|v| v.is_finite()), "{rate} -> {to}");
            }
        }
    }
    let ratio = 0.5 + data.first().copied().unwrap_or(0) as f64 / 128.0;
    if let Ok(mut r) = Resampler::with_ratio(ratio) {
        if r.process(&y, &mut out).is_ok() {
            assert!(out.iter().all(|v| v.is_finite()), "ratio {ratio}");
        }
    }
});
