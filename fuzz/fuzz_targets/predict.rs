//! The whole predict path with the bundled model: hostile files (`predict_bytes`) and hostile
//! sample buffers (`predict_samples`, as from Python or the live WebSocket). Never a panic
//! (the recognizer's firewall would turn one into `Error::Panicked`, which is a failure here
//! too); every prediction's probabilities are finite and sum to 1.
#![no_main]

use std::sync::OnceLock;

use emovox::{Error, Prediction, Recognizer};
use emovox_audio::hostile;
use libfuzzer_sys::fuzz_target;

fn recognizer() -> &'static Recognizer {
    static REC: OnceLock<Recognizer> = OnceLock::new();
    REC.get_or_init(|| Recognizer::from_default().expect("the bundled model loads"))
}

fn check(r: emovox::Result<Prediction>) {
    match r {
        Ok(p) => {
            let sum: f32 = p.scores.iter().map(|s| s.probability).sum();
            assert!(p.scores.iter().all(|s| s.probability.is_finite()));
            assert!((sum - 1.0).abs() < 1e-3, "probabilities sum to {sum}");
        }
        Err(e) => assert!(
            !matches!(e.kind(), Error::Panicked(_)),
            "a dependency panicked: {e}"
        ),
    }
}

fuzz_target!(|data: &[u8]| {
    let rec = recognizer();
    let f = hostile::file(data);
    check(rec.predict_bytes(&f.bytes, f.ext));
    let (y, rate) = hostile::samples(data);
    check(rec.predict_samples(&y, rate));
});
