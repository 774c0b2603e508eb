//! `DecodeOptions::start_seconds` gives exactly the samples a decode from the start gives,
//! sliced at `int(offset * sr)`: on real RAVDESS and TESS FLACs, on 16-bit WAV copies of them,
//! and on every good file of `formats/` and `quirks/` (seeking codecs and decode-and-drop ones).
//! And the streamed decode (`decode_file_chunks`) gives exactly the whole decode's samples, in
//! pieces, for every file and option set, and the same error for every bad file.

use std::path::{Path, PathBuf};

use emovox_audio::{decode_bytes, decode_file, decode_file_chunks, DecodeOptions, Decoded};

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

/// Files with extension `ext` under `dir`, sorted.
fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x.eq_ignore_ascii_case(ext)) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A 16-bit PCM WAV of `channels` interleaved channels (the corpora are 16-bit, so a WAV copy
/// holds the same samples).
fn wav16(frames: &[Vec<i16>], rate: u32) -> Vec<u8> {
    let ch = frames.len() as u16;
    let n = frames.first().map_or(0, |f| f.len());
    let data = n * ch as usize * 2;
    let mut b = Vec::with_capacity(44 + data);
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data as u32).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&ch.to_le_bytes());
    b.extend_from_slice(&rate.to_le_bytes());
    b.extend_from_slice(&(rate * ch as u32 * 2).to_le_bytes());
    b.extend_from_slice(&(ch * 2).to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&(data as u32).to_le_bytes());
    for i in 0..n {
        for f in frames {
            b.extend_from_slice(&f[i].to_le_bytes());
        }
    }
    b
}

/// Checks a decode from `start` against the full decode, sliced as librosa.load slices.
fn assert_exact(full: &Decoded, part: &Decoded, start: f64, max: Option<f64>, what: &str) {
    let rate = full.sample_rate;
    let a = ((start * rate as f64) as usize).min(full.samples.len());
    let end = max.map_or(full.samples.len(), |m| {
        ((m * rate as f64).ceil() as usize).min(full.samples.len())
    });
    assert_eq!(part.sample_rate, rate, "{what}");
    assert_eq!(part.start_frame, a, "{what} start {start}");
    assert_eq!(
        part.samples.len(),
        end.saturating_sub(a),
        "{what} start {start}"
    );
    // Bit-identical, not merely close.
    let same = part
        .samples
        .iter()
        .zip(&full.samples[a..])
        .all(|(x, y)| x.to_bits() == y.to_bits());
    assert!(
        same,
        "{what}: samples differ from the full decode (start {start})"
    );
}

const STARTS: [(f64, Option<f64>); 6] = [
    (0.4, Some(1.9)),
    (0.4, None),
    (0.013, Some(0.5)),
    (1.0, Some(2.7)),
    (0.0, Some(1.9)),
    (99.0, None),
];

fn check_file(path: &Path) {
    let full = decode_file(path, &DecodeOptions::new()).unwrap();
    for (start, max) in STARTS {
        let opts = DecodeOptions::new()
            .start_seconds(Some(start))
            .max_seconds(max);
        let part = decode_file(path, &opts).unwrap();
        assert_exact(&full, &part, start, max, &path.display().to_string());
    }
}

fn check_wav_copy(path: &Path) {
    let flac = decode_file(path, &DecodeOptions::new()).unwrap();
    let ints: Vec<i16> = flac
        .samples
        .iter()
        .map(|&v| (v * 32768.0).round() as i16)
        .collect();
    // Stereo FLACs are mixed to mono by the decoder; their WAV copies here are mono too.
    let bytes = wav16(&[ints], flac.sample_rate);
    let full = decode_bytes(&bytes, Some("wav"), &DecodeOptions::new()).unwrap();
    assert_eq!(full.format, "wave/pcm_s16le");
    for (start, max) in STARTS {
        let opts = DecodeOptions::new()
            .start_seconds(Some(start))
            .max_seconds(max);
        let part = decode_bytes(&bytes, Some("wav"), &opts).unwrap();
        assert_exact(
            &full,
            &part,
            start,
            max,
            &format!("WAV copy of {}", path.display()),
        );
    }
}

/// Every `step`-th RAVDESS and TESS FLAC, and its WAV copy.
fn corpora(step: usize, test: &str) {
    let Some(d) = datasets(test) else { return };
    let mut all = files(&d.join("ravdess"), "flac");
    all.extend(files(&d.join("tess"), "flac"));
    assert!(all.len() >= 4000, "{} files", all.len());
    for path in all.iter().step_by(step) {
        check_file(path);
        check_wav_copy(path);
    }
}

#[test]
fn seeking_is_exact_on_real_flac_and_wav() {
    corpora(37, "seeking_is_exact_on_real_flac_and_wav");
}

/// All 4240 clips: `cargo test --release -p emovox-audio --test seek -- --ignored`.
#[test]
#[ignore = "slow: every corpus file"]
fn seeking_is_exact_on_every_corpus_file() {
    corpora(1, "seeking_is_exact_on_every_corpus_file");
}

#[test]
fn seeking_is_exact_on_every_format_and_quirk() {
    let Some(d) = datasets("seeking_is_exact_on_every_format_and_quirk") else {
        return;
    };
    // truncated.wav stays: its header promises more data than the file holds, so a seek
    // past its end must still report the stream's real length.
    let bad = ["random_bytes.wav", "empty.wav", "not_audio.m4a"];
    let mut n = 0;
    for dir in ["formats", "quirks"] {
        for ext in ["wav", "aiff", "aif", "flac", "mp3", "ogg", "opus", "m4a"] {
            // Opus needs the `opus` feature (on in the workspace build, off in this crate's).
            if ext == "opus" && !cfg!(feature = "opus") {
                continue;
            }
            for path in files(&d.join(dir), ext) {
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if bad.contains(&name) {
                    continue;
                }
                check_file(&path);
                n += 1;
            }
        }
    }
    assert!(n >= 15, "{n} files");
}

#[test]
fn stereo_wav_seeks_exactly() {
    let rate = 16_000;
    let l: Vec<i16> = (0..40_000)
        .map(|i| ((i * 37) % 3000) as i16 - 1500)
        .collect();
    let r: Vec<i16> = (0..40_000)
        .map(|i| ((i * 11) % 2000) as i16 - 900)
        .collect();
    let bytes = wav16(&[l, r], rate);
    let full = decode_bytes(&bytes, Some("wav"), &DecodeOptions::new()).unwrap();
    assert_eq!(full.channels, 2);
    for (start, max) in STARTS {
        let opts = DecodeOptions::new()
            .start_seconds(Some(start))
            .max_seconds(max);
        let part = decode_bytes(&bytes, Some("wav"), &opts).unwrap();
        assert_exact(&full, &part, start, max, "stereo wav");
    }
}

#[test]
fn bad_start_and_end_are_refused() {
    let bytes = wav16(&[vec![0; 1600]], 16_000);
    for opts in [
        DecodeOptions::new().start_seconds(Some(-1.0)),
        DecodeOptions::new().start_seconds(Some(f64::NAN)),
        DecodeOptions::new().start_seconds(Some(f64::INFINITY)),
        DecodeOptions::new()
            .start_seconds(Some(1.0))
            .max_seconds(Some(0.5)),
    ] {
        let e = decode_bytes(&bytes, Some("wav"), &opts).unwrap_err();
        assert!(e.to_string().contains("start_seconds"), "{e}");
    }
}

/// `decode_file_chunks` on `path` with `opts`: the pieces joined, their count, and the result.
fn streamed(path: &Path, opts: &DecodeOptions) -> (Vec<f32>, usize, emovox_audio::Result<Decoded>) {
    let (mut all, mut pieces) = (Vec::new(), 0);
    let r = decode_file_chunks(path, opts, &mut |y, _| {
        all.extend_from_slice(y);
        pieces += 1;
        Ok(())
    });
    (all, pieces, r)
}

#[test]
fn streamed_decoding_equals_whole_decoding_on_every_format_and_quirk() {
    let Some(d) = datasets("streamed_decoding_equals_whole_decoding_on_every_format_and_quirk")
    else {
        return;
    };
    let (mut n, mut several) = (0, 0);
    for dir in ["formats", "quirks"] {
        for ext in ["wav", "aiff", "aif", "flac", "mp3", "ogg", "opus", "m4a"] {
            if ext == "opus" && !cfg!(feature = "opus") {
                continue;
            }
            for path in files(&d.join(dir), ext) {
                let what = path.display().to_string();
                let whole = decode_file(&path, &DecodeOptions::new());
                let (got, pieces, r) = streamed(&path, &DecodeOptions::new());
                match (whole, r) {
                    (Ok(w), Ok(s)) => {
                        assert_eq!(got.len(), w.samples.len(), "{what}");
                        assert!(got == w.samples, "{what}: samples differ");
                        assert!(s.samples.is_empty(), "{what}");
                        assert_eq!(
                            (s.sample_rate, s.channels, &s.format, s.truncated),
                            (w.sample_rate, w.channels, &w.format, w.truncated),
                            "{what}"
                        );
                        several += usize::from(pieces > 1);
                        for (start, max) in STARTS {
                            let opts = DecodeOptions::new()
                                .start_seconds(Some(start))
                                .max_seconds(max);
                            let w = decode_file(&path, &opts).unwrap();
                            let (got, _, s) = streamed(&path, &opts);
                            let s = s.unwrap();
                            assert!(got == w.samples, "{what} {start} {max:?}");
                            assert_eq!(s.start_frame, w.start_frame, "{what} {start} {max:?}");
                        }
                    }
                    (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
                    (a, b) => panic!("{what}: whole {a:?}, streamed {b:?}"),
                }
                n += 1;
            }
        }
    }
    assert!(n >= 18, "{n} files");
    assert!(
        several >= 5,
        "only {several} files came in more than one piece"
    );
}

#[test]
fn a_streamed_decode_stops_at_the_first_error_of_its_consumer() {
    let Some(d) = datasets("a_streamed_decode_stops_at_the_first_error_of_its_consumer") else {
        return;
    };
    let path = d.join("formats/happy.wav");
    let mut calls = 0;
    let r = decode_file_chunks(&path, &DecodeOptions::new(), &mut |_, _| {
        calls += 1;
        Err(emovox_audio::Error::InvalidParameter("enough".into()))
    });
    assert_eq!(calls, 1);
    let e = r.unwrap_err().to_string();
    assert!(e.contains("happy.wav") && e.contains("enough"), "{e}");
}
