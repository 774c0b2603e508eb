//! The resampler at several rate pairs and ratios, on hostile sample buffers
//! (`emovox_audio::hostile::samples`: huge, tiny, denormal, NaN, constant, clipped...): never a
//! panic; finite output for accepted input, of the promised length.
//!
//! Resamplers are planned once per rate pair and reused, as the extractors do (building a sinc
//! table costs more than resampling a short clip, and would hold the fuzzer to ~20 runs/s).
#![no_main]

use std::cell::RefCell;
use std::collections::HashMap;

use emovox_audio::{hostile, Resampler};
use libfuzzer_sys::fuzz_target;

/// Plans kept at most; arbitrary rates (a `u32` read from the input) would otherwise grow it.
const MAX_PLANS: usize = 256;

thread_local! {
    static PLANS: RefCell<HashMap<(u32, u32), Option<Resampler>>> = RefCell::new(HashMap::new());
}

fn with_plan(from: u32, to: u32, f: impl FnOnce(&mut Resampler)) {
    PLANS.with(|cell| {
        let mut plans = cell.borrow_mut();
        if plans.len() >= MAX_PLANS && !plans.contains_key(&(from, to)) {
            plans.clear();
        }
        let plan = plans
            .entry((from, to))
            .or_insert_with(|| Resampler::new(from, to).ok());
        if let Some(r) = plan.as_mut() {
            f(r);
        }
    });
}

fuzz_target!(|data: &[u8]| {
    let (y, rate) = hostile::samples(data);
    let mut out = Vec::new();
    for to in [16_000u32, 8_000, 22_050, 44_100] {
        with_plan(rate, to, |r| {
            if r.process(&y, &mut out).is_ok() {
                assert_eq!(out.len(), r.output_len(y.len()));
                assert!(out.iter().all(|v| v.is_finite()), "{rate} -> {to}");
            }
        });
    }
    let ratio = 0.5 + data.first().copied().unwrap_or(0) as f64 / 128.0;
    if let Ok(mut r) = Resampler::with_ratio(ratio) {
        if r.process(&y, &mut out).is_ok() {
            assert!(out.iter().all(|v| v.is_finite()), "ratio {ratio}");
        }
    }
});
