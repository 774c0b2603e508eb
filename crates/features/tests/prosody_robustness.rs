//! The `prosody` pipeline gives a finite vector of the right length for any finite clip: random
//! lengths (down to a single sample), levels from digital silence to clipping, stretches of
//! zeros and of constant values, at 16 kHz and through the resampler.

use emovox_features::{Extractor, PROSODY_NAMES};
use proptest::prelude::*;

fn clip() -> impl Strategy<Value = Vec<f32>> {
    (
        proptest::collection::vec(-1.0f32..1.0, 1..6000),
        prop_oneof![Just(0.0f32), Just(1e-6), Just(0.01), Just(1.0), Just(30.0)],
        0usize..3,
    )
        .prop_map(|(mut y, gain, shape)| {
            for (i, v) in y.iter_mut().enumerate() {
                *v *= gain;
                match shape {
                    // A stretch of zeros in the middle.
                    1 if (i / 500) % 3 == 1 => *v = 0.0,
                    // A stretch held at one value (DC), like a clipped plateau.
                    2 if (i / 700) % 2 == 1 => *v = gain.min(1.0),
                    _ => {}
                }
            }
            y
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn prosody_is_finite_for_any_finite_clip(y in clip(), rate in prop_oneof![Just(16_000u32), Just(48_000u32)]) {
        let mut ex = Extractor::new("prosody".parse().unwrap()).unwrap();
        let f = ex.process(&y, rate).unwrap();
        prop_assert_eq!(f.shape(), [1, PROSODY_NAMES.len()]);
        prop_assert!(f.values.iter().all(|v| v.is_finite()), "{:?}", f.values);
    }
}
