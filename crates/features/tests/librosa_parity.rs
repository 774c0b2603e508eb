//! Parity with librosa 0.11 on real RAVDESS and TESS clips.
//!
//! Golden arrays come from `fixtures/make_golden.py` (committed; CI does not need Python). Two
//! levels are tested:
//!
//! * **Feature math on the same 16 kHz input** (`NAME.y16k.npy`, librosa's own resampled crop):
//!   MFCC within 1e-4 x the clip's MFCC range, mel power within 1e-4 relative on bins above
//!   -60 dB (re the clip's peak bin), deltas within 1e-4 x their range, ZCR exact to one crossing,
//!   RMS/centroid/roll-off within 1e-4 relative (roll-off: one bin), YIN f0 within 0.5 % on
//!   95 % of frames. Needs no corpus.
//! * **The whole seed pipeline from the original file** (decode, crop, resample to 16 kHz,
//!   MFCC, 100 frames): within 5e-3 x the clip's MFCC range. Needs `../shared/datasets` (or
//!   `EMOVOX_DATASETS`); without it the test says it was skipped, and fails if
//!   `EMOVOX_REQUIRE_DATASETS=1` (as in CI).

use std::path::{Path, PathBuf};

use emovox_audio::stft::Stft;
use emovox_audio::{decode_file, DecodeOptions, Resampler};
use emovox_features::mel::MelFilterbank;
use emovox_features::pitch::Yin;
use emovox_features::{spectral, Extractor, PipelineConfig};

mod common;
use common::{golden_dir, npy};

/// The datasets folder, or `None` (with a visible SKIPPED note) when it is absent.
fn datasets(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("EMOVOX_DATASETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets"));
    if dir.join("ravdess").is_dir() {
        return Some(dir);
    }
    if std::env::var("EMOVOX_REQUIRE_DATASETS").as_deref() == Ok("1") {
        panic!(
            "{test}: datasets not found at {} and EMOVOX_REQUIRE_DATASETS=1",
            dir.display()
        );
    }
    eprintln!(
        "SKIPPED {test}: datasets not found at {} (set EMOVOX_DATASETS)",
        dir.display()
    );
    None
}

fn clips() -> Vec<(String, String)> {
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(golden_dir().join("manifest.json")).unwrap())
            .unwrap();
    let mut v: Vec<(String, String)> = m["clips"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, c)| (k.clone(), c["path"].as_str().unwrap().to_string()))
        .collect();
    v.sort();
    v
}

fn range(v: &[f32]) -> f32 {
    let (lo, hi) = v
        .iter()
        .fold((f32::MAX, f32::MIN), |(a, b), &x| (a.min(x), b.max(x)));
    hi - lo
}

/// Transposes a (rows, cols) row-major array.
fn transpose(v: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut t = vec![0.0; v.len()];
    for r in 0..rows {
        for c in 0..cols {
            t[c * rows + r] = v[r * cols + c];
        }
    }
    t
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn mfcc_matches_librosa_on_same_input() {
    let mut ex = Extractor::new("mfcc".parse().unwrap()).unwrap();
    for (name, _) in clips() {
        let (_, y) = npy(&format!("{name}.y16k.npy"));
        let (shape, want) = npy(&format!("{name}.mfcc.npy"));
        let got = ex.process(&y, 16000).unwrap();
        assert_eq!(got.shape(), [shape[1], shape[0]], "{name}");
        let got_t = transpose(&got.values, got.frames, got.columns);
        let err = max_abs_diff(&got_t, &want) / range(&want);
        println!("{name}: MFCC max |diff| / range = {err:.2e}");
        assert!(err <= 1e-4, "{name}: MFCC max |diff| / range = {err:.2e}");
    }
}

#[test]
fn mel_power_matches_librosa_on_same_input() {
    let stft = Stft::new(2048, 512).unwrap();
    let fb = MelFilterbank::new(16000.0, 2048, 128, 0.0, 8000.0);
    let mut sc = stft.scratch();
    let (mut power, mut mel) = (Vec::new(), Vec::new());
    for (name, _) in clips() {
        let (_, y) = npy(&format!("{name}.y16k.npy"));
        let (shape, want) = npy(&format!("{name}.mel.npy"));
        stft.power(&y, &mut sc, &mut power);
        fb.apply(&power, &mut mel);
        let got = transpose(&mel, mel.len() / 128, 128);
        assert_eq!(got.len(), shape[0] * shape[1]);
        let peak = want.iter().cloned().fold(0.0, f32::max);
        let floor = peak * 1e-6; // -60 dB
        let mut worst = 0.0f32;
        for (g, w) in got.iter().zip(&want) {
            if *w > floor {
                worst = worst.max((g - w).abs() / w);
            }
        }
        println!("{name}: mel max relative diff above -60 dB = {worst:.2e}");
        assert!(worst <= 1e-4, "{name}: mel relative diff {worst:.2e}");
    }
}

#[test]
fn deltas_and_frame_features_match_librosa() {
    let stft = Stft::new(2048, 512).unwrap();
    let mut sc = stft.scratch();
    let mut ex = Extractor::new("mfcc".parse().unwrap()).unwrap();
    for (name, _) in clips() {
        let (_, y) = npy(&format!("{name}.y16k.npy"));
        // Deltas of librosa's own MFCC, so only the delta math is compared.
        let (shape, mfcc) = npy(&format!("{name}.mfcc.npy"));
        let (_, want) = npy(&format!("{name}.delta.npy"));
        let mut d = Vec::new();
        spectral::delta(&transpose(&mfcc, shape[0], shape[1]), shape[0], 9, &mut d);
        let err = max_abs_diff(&transpose(&d, shape[1], shape[0]), &want) / range(&want);
        assert!(err <= 1e-4, "{name}: delta err {err:.2e}");
        let _ = ex.process(&y, 16000).unwrap();

        let mut v = Vec::new();
        spectral::zero_crossing_rate(&y, 2048, 512, &mut v);
        let (_, want) = npy(&format!("{name}.zcr.npy"));
        assert!(
            max_abs_diff(&v, &want) <= 1.0 / 2048.0 + 1e-7,
            "{name}: zcr"
        );

        spectral::rms(&y, 2048, 512, &mut v);
        let (_, want) = npy(&format!("{name}.rms.npy"));
        let peak = want.iter().cloned().fold(0.0, f32::max);
        assert!(max_abs_diff(&v, &want) <= 1e-4 * peak, "{name}: rms");

        let (mut cen, mut rol) = (Vec::new(), Vec::new());
        stft.for_each_frame(&y, &mut sc, |_, spec| {
            let mag: Vec<f32> = spec.iter().map(|c| c.norm()).collect();
            cen.push(spectral::spectral_centroid(&mag, 16000.0 / 2048.0));
            rol.push(spectral::spectral_rolloff(&mag, 16000.0 / 2048.0, 0.85));
        });
        let (_, want) = npy(&format!("{name}.centroid.npy"));
        for (g, w) in cen.iter().zip(&want) {
            assert!(
                (g - w).abs() <= 1e-4 * w.max(1.0),
                "{name}: centroid {g} vs {w}"
            );
        }
        let (_, want) = npy(&format!("{name}.rolloff.npy"));
        let off = rol
            .iter()
            .zip(&want)
            .filter(|(g, w)| (*g - *w).abs() > 16000.0 / 2048.0 + 1e-3)
            .count();
        assert_eq!(off, 0, "{name}: roll-off frames off by more than one bin");
    }
}

#[test]
fn yin_matches_librosa() {
    let yin = Yin::new(16000.0, 2048, 512, 65.0, 500.0).unwrap();
    let mut out = Vec::new();
    for (name, _) in clips() {
        let (_, y) = npy(&format!("{name}.y16k.npy"));
        let (_, want) = npy(&format!("{name}.yin.npy"));
        yin.process(&y, &mut out);
        assert_eq!(out.len(), want.len());
        let close = out
            .iter()
            .zip(&want)
            .filter(|(g, w)| (g.f0 - **w).abs() <= 5e-3 * **w)
            .count();
        let frac = close as f32 / want.len() as f32;
        println!(
            "{name}: YIN f0 within 0.5 % on {:.0} % of frames",
            frac * 100.0
        );
        assert!(
            frac >= 0.95,
            "{name}: YIN agrees on only {:.0} % of frames",
            frac * 100.0
        );
    }
}

#[test]
fn seed_pipeline_from_original_files_matches_librosa() {
    let Some(root) = datasets("seed_pipeline_from_original_files_matches_librosa") else {
        return;
    };
    let mut ex = Extractor::new(PipelineConfig::seed()).unwrap();
    for (name, rel) in clips() {
        let path = root.join(&rel);
        let clip = decode_file(&path, &DecodeOptions::new().max_seconds(Some(1.9))).unwrap();
        let got = ex.process(&clip.samples, clip.sample_rate).unwrap();
        let (shape, want) = npy(&format!("{name}.seed.npy"));
        assert_eq!(got.shape(), [shape[0], shape[1]]);
        let err = max_abs_diff(&got.values, &want) / range(&want);
        println!(
            "{name} ({} Hz): seed pipeline max |diff| / range = {err:.2e}",
            clip.sample_rate
        );
        assert!(
            err <= 5e-3,
            "{name}: seed pipeline max |diff| / range = {err:.2e}"
        );
    }
}

#[test]
fn resampler_tracks_soxr_hq() {
    let Some(root) = datasets("resampler_tracks_soxr_hq") else {
        return;
    };
    for (name, rel) in clips() {
        let clip = decode_file(&root.join(&rel), &DecodeOptions::new()).unwrap();
        let (a, b) = emovox_features::Crop {
            offset: 0.4,
            duration: 1.5,
        }
        .range(clip.sample_rate, clip.samples.len());
        let mut r = Resampler::new(clip.sample_rate, 16000).unwrap();
        let mut y = Vec::new();
        r.process(&clip.samples[a..b], &mut y).unwrap();
        let (_, want) = npy(&format!("{name}.y16k.npy"));
        assert_eq!(y.len(), want.len(), "{name}");
        let peak = want.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let err = max_abs_diff(&y, &want) / peak;
        println!(
            "{name} ({} Hz): resampled max |diff| / peak = {err:.2e}",
            clip.sample_rate
        );
        assert!(
            err <= 2e-2,
            "{name}: resampled signal differs from soxr_hq by {err:.2e} of peak"
        );
    }
}
