//! Hostile input never panics: arbitrary bytes, and real files cut short or corrupted, through
//! the decoder and the STFT. (A cargo-fuzz target doing the same lives in `fuzz/`.)

use std::path::{Path, PathBuf};

use emovox_audio::{decode_bytes, DecodeOptions, Error};
use proptest::prelude::*;

/// A minimal valid 16-bit mono WAV of `n` samples.
fn wav(n: usize) -> Vec<u8> {
    let data = n * 2;
    let mut b = Vec::new();
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data as u32).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes()); // PCM
    b.extend_from_slice(&1u16.to_le_bytes()); // mono
    b.extend_from_slice(&16000u32.to_le_bytes());
    b.extend_from_slice(&32000u32.to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&(data as u32).to_le_bytes());
    for i in 0..n {
        b.extend_from_slice(&(((i * 37) % 2000) as i16 - 1000).to_le_bytes());
    }
    b
}

/// Decoding must end in Ok or Err, never a panic; an Ok result holds finite samples. Tried
/// from the start and from a start offset (the seeking path).
fn check(bytes: &[u8], hint: Option<&str>) {
    let from_start = DecodeOptions::new().max_seconds(Some(1.9));
    for opts in [from_start, from_start.start_seconds(Some(0.05))] {
        match decode_bytes(bytes, hint, &opts) {
            Ok(d) => {
                assert!(d.sample_rate > 0);
                assert!(d.samples.iter().all(|v| v.is_finite()));
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
}

#[test]
fn the_minimal_wav_decodes() {
    let d = decode_bytes(&wav(1600), Some("wav"), &DecodeOptions::new()).unwrap();
    assert_eq!(
        (d.sample_rate, d.samples.len(), d.channels),
        (16000, 1600, 1)
    );
    assert!((d.samples[0] - (-1000.0 / 32768.0)).abs() < 1e-7);
}

#[test]
fn empty_input_is_an_error() {
    assert!(matches!(
        decode_bytes(&[], None, &DecodeOptions::new()),
        Err(Error::Empty)
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        check(&bytes, Some("wav"));
        check(&bytes, None);
    }

    #[test]
    fn corrupted_wavs_never_panic(cut in 0usize..3300, flips in proptest::collection::vec((0usize..3300, any::<u8>()), 0..8)) {
        let mut b = wav(1600);
        for (i, v) in flips {
            if i < b.len() { b[i] = v; }
        }
        b.truncate(cut.max(1));
        check(&b, Some("wav"));
    }
}

fn datasets() -> Option<PathBuf> {
    let dir = std::env::var_os("EMOVOX_DATASETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets"));
    if dir.join("formats").is_dir() {
        return Some(dir);
    }
    if std::env::var("EMOVOX_REQUIRE_DATASETS").as_deref() == Ok("1") {
        panic!(
            "datasets not found at {} and EMOVOX_REQUIRE_DATASETS=1",
            dir.display()
        );
    }
    eprintln!(
        "SKIPPED corrupted_real_files_never_panic: datasets not found at {}",
        dir.display()
    );
    None
}

#[test]
fn corrupted_real_files_never_panic() {
    let Some(d) = datasets() else { return };
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for entry in std::fs::read_dir(d.join("formats")).unwrap() {
        let path = entry.unwrap().path();
        let orig = std::fs::read(&path).unwrap();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_string);
        for round in 0..40 {
            let mut b = orig.clone();
            if b.is_empty() {
                break;
            }
            // Truncate at a random point, or corrupt a few bytes of the first 8 KiB.
            if round % 2 == 0 {
                b.truncate((next() as usize) % b.len());
            } else {
                for _ in 0..1 + next() % 8 {
                    let i = (next() as usize) % b.len().min(8192);
                    b[i] = next() as u8;
                }
            }
            check(&b, ext.as_deref());
        }
    }
}
