//! Issue 15's fuzzing, bounded for CI: the structure-aware hostile inputs of the cargo-fuzz
//! targets (`fuzz/fuzz_targets/`, `emovox_audio::hostile`: valid WAV/AIFF headers with huge,
//! tiny, denormal, NaN, constant and clipped payloads, odd rates and channel counts) through
//! every stage a user reaches: decode and every named pipeline, resampling, the predict path
//! (files and samples) and the timeline. Never a panic, never a non-finite output.
//!
//! `EMOVOX_FUZZ_CASES` sets the cases per property (default 256); `scripts/fuzz` runs the
//! coverage-guided versions for as long as asked.

use std::cell::RefCell;
use std::sync::OnceLock;

use emovox::audio::{decode_bytes, hostile, DecodeOptions, Resampler};
use emovox::features::{Extractor, PipelineConfig};
use emovox::timeline::{Timeline, TimelineOptions};
use emovox::{Error, Recognizer};
use proptest::prelude::*;

fn recognizer() -> &'static Recognizer {
    static REC: OnceLock<Recognizer> = OnceLock::new();
    REC.get_or_init(|| Recognizer::from_default().expect("the bundled model loads"))
}

thread_local! {
    /// Every named pipeline, planned once (as the fuzz target does).
    static EXTRACTORS: RefCell<Vec<(&'static str, Extractor)>> = RefCell::new(
        PipelineConfig::PRESETS
            .iter()
            .map(|&p| (p, Extractor::new(PipelineConfig::preset(p).unwrap()).unwrap()))
            .collect(),
    );
}

fn cases() -> u32 {
    std::env::var("EMOVOX_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

/// Inputs shaped like a fuzzer's: the first bytes are the choices, the rest sample material.
fn input() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..600)
}

fn not_a_panic(e: &Error) {
    assert!(
        !matches!(e.kind(), Error::Panicked(_)),
        "caught a panic: {e}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn hostile_files_through_decode_and_every_pipeline(data in input()) {
        let f = hostile::file(&data);
        if let Ok(clip) = decode_bytes(&f.bytes, f.ext, &DecodeOptions::new().max_seconds(Some(3.0))) {
            prop_assert!(clip.samples.iter().all(|v| v.is_finite()));
            EXTRACTORS.with(|cell| -> Result<(), TestCaseError> {
                for (p, ex) in cell.borrow_mut().iter_mut() {
                    if let Ok(feat) = ex.process(&clip.samples, clip.sample_rate) {
                        prop_assert!(feat.values.iter().all(|v| v.is_finite()), "{p}");
                    }
                }
                Ok(())
            })?;
        }
    }

    #[test]
    fn hostile_samples_through_the_resampler(data in input()) {
        let (y, rate) = hostile::samples(&data);
        let mut out = Vec::new();
        for to in [16_000u32, 8_000, 44_100] {
            if let Ok(mut r) = Resampler::new(rate, to) {
                if r.process(&y, &mut out).is_ok() {
                    prop_assert_eq!(out.len(), r.output_len(y.len()));
                    prop_assert!(out.iter().all(|v| v.is_finite()));
                }
            }
        }
    }

    #[test]
    fn hostile_files_and_samples_through_predict(data in input()) {
        let rec = recognizer();
        let f = hostile::file(&data);
        let (y, rate) = hostile::samples(&data);
        for r in [rec.predict_bytes(&f.bytes, f.ext), rec.predict_samples(&y, rate)] {
            match r {
                Ok(p) => {
                    let sum: f32 = p.scores.iter().map(|s| s.probability).sum();
                    prop_assert!((sum - 1.0).abs() < 1e-3, "{sum}");
                }
                Err(e) => not_a_panic(&e),
            }
        }
    }

    #[test]
    fn hostile_samples_through_the_timeline(data in input()) {
        let (y, rate) = hostile::samples(&data);
        match Timeline::of_samples(recognizer(), &y, rate, &TimelineOptions::default()) {
            Ok(t) => {
                for w in t.segments.windows(2) {
                    prop_assert!(w[0].end <= w[1].start + 1e-9);
                }
            }
            Err(e) => not_a_panic(&e),
        }
    }
}
