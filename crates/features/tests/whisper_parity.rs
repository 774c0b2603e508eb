//! The Whisper encoder against its numpy reference (`bench/whisper_probe.py`, which matches
//! ctranslate2's own `encode`), on the committed 16 kHz input of the librosa-parity tests.
//!
//! Golden arrays: `fixtures/make_whisper_golden.py` (committed). Needs the weights
//! (`scripts/fetch-whisper`, or `EMOVOX_WHISPER`); without them the test says it was skipped,
//! and fails if `EMOVOX_REQUIRE_TOOLS=1` (as in CI, where scripts/test fetches them).
//! Tolerances: the log-mel within 1e-4 (it is in units of 40 dB after `(x + 4) / 4`; measured
//! 6e-6); the layer-3 mean within 1e-4 of its range per value (measured 7e-7 of 2), correlation
//! above 0.9999 (float32 summed in another order through three transformer layers).
#![cfg(feature = "whisper")]

use emovox_features::whisper::{weights_path, WhisperEncoder};

mod common;
use common::npy;

fn encoder(test: &str) -> Option<std::sync::Arc<WhisperEncoder>> {
    let path = weights_path();
    if path.is_file() {
        return Some(WhisperEncoder::shared(&path, 3).unwrap());
    }
    if std::env::var("EMOVOX_REQUIRE_TOOLS").as_deref() == Ok("1") {
        panic!(
            "{test}: Whisper weights not found at {} and EMOVOX_REQUIRE_TOOLS=1 (run scripts/fetch-whisper)",
            path.display()
        );
    }
    eprintln!(
        "SKIPPED {test}: Whisper weights not found at {} (scripts/fetch-whisper, or set EMOVOX_WHISPER)",
        path.display()
    );
    None
}

#[test]
fn log_mel_and_layer_three_match_the_numpy_encoder() {
    let Some(enc) = encoder("log_mel_and_layer_three_match_the_numpy_encoder") else {
        return;
    };
    for name in ["ravdess_a01_neutral_48k", "tess_yaf_happy_16k"] {
        let (_, y) = npy(&format!("{name}.y16k.npy"));
        let (shape, mel_ref) = npy(&format!("{name}.whisper_mel.npy"));
        let (mel, frames) = enc.log_mel(&y);
        assert_eq!([80, frames], [shape[0], shape[1]], "{name}");
        let worst = mel
            .iter()
            .zip(&mel_ref)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-4, "{name}: log-mel differs by {worst}");
        eprintln!("{name}: log-mel within {worst:.2e}");

        let (_, want) = npy(&format!("{name}.whisper3.npy"));
        let got = enc.layer_mean(&y).unwrap();
        assert_eq!(got.len(), want.len());
        let range = want.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let worst = got
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(
            worst < 1e-4 * range,
            "{name}: layer 3 differs by {worst} (range {range})"
        );
        let mean = |v: &[f32]| v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64;
        let (ma, mb) = (mean(&got), mean(&want));
        let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
        for (a, b) in got.iter().zip(&want) {
            let (a, b) = (*a as f64 - ma, *b as f64 - mb);
            sab += a * b;
            saa += a * a;
            sbb += b * b;
        }
        let r = sab / (saa * sbb).sqrt();
        assert!(r > 0.9999, "{name}: correlation {r}");
        eprintln!("{name}: layer 3 within {worst:.2e} (range {range:.2}), r = {r:.7}");
    }
}

#[test]
fn silence_and_tiny_clips_are_encoded_not_refused() {
    let Some(enc) = encoder("silence_and_tiny_clips_are_encoded_not_refused") else {
        return;
    };
    for n in [0, 1, 100, 1600, 16_000] {
        let v = enc.layer_mean(&vec![0.0; n]).unwrap();
        assert_eq!(v.len(), 512);
        assert!(v.iter().all(|x| x.is_finite()), "{n} samples");
    }
    let loud: Vec<f32> = (0..8000)
        .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
        .collect();
    assert!(enc.layer_mean(&loud).unwrap().iter().all(|x| x.is_finite()));
    assert!(enc.layer_mean(&[f32::NAN; 10]).is_err());
}
