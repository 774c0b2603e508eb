//! End-to-end: `emovox analyze` and `emovox plot` run as a user would, on the real corpora in
//! `../shared/datasets` and on small SAVEE-named recordings the tests write.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{datasets, emovox, read_csv, stderr, temp_dir, write_tone_wav};

/// Width and height from a PNG's IHDR, after checking its signature.
fn png_size(path: &Path) -> (u32, u32) {
    let b = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(b.len() > 2000, "{}: only {} bytes", path.display(), b.len());
    assert_eq!(&b[..8], b"\x89PNG\r\n\x1a\n", "{}", path.display());
    assert_eq!(&b[12..16], b"IHDR", "{}", path.display());
    let be = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    (be(16), be(20))
}

/// Width and height attributes of an SVG's root element, after checking it is a whole document.
fn svg_size(path: &Path) -> (u32, u32) {
    let s = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(s.starts_with("<svg"), "{}", path.display());
    assert!(
        s.trim_end().ends_with("</svg>"),
        "{}: not closed",
        path.display()
    );
    assert!(s.contains("<text"), "{}: no text drawn", path.display());
    let attr = |name: &str| -> u32 {
        let head = &s[..s.find('>').unwrap()];
        let at = head.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        head[at..].split('"').next().unwrap().parse().unwrap()
    };
    (attr("width"), attr("height"))
}

/// Every chart stem in `dir` (files with both an .svg and a .png), checked to be valid images of
/// the same, expected size.
fn check_charts(dir: &Path) -> Vec<String> {
    let mut stems = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().and_then(|e| e.to_str()) == Some("png") {
            let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
            let size = png_size(&p);
            assert_eq!(svg_size(&p.with_extension("svg")), size, "{stem}");
            let expected = if stem.starts_with("emotions_pie") {
                (820, 500)
            } else {
                (900, 500)
            };
            assert_eq!(size, expected, "{stem}");
            stems.push(stem);
        }
    }
    stems.sort();
    stems
}

fn col(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

fn counts(rows: &[Vec<String>], i: usize) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for r in rows {
        *m.entry(r[i].clone()).or_insert(0) += 1;
    }
    m
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn analyze_ravdess_and_tess_writes_every_table_chart_and_the_page() {
    let Some(d) = datasets("analyze_ravdess_and_tess_writes_every_table_chart_and_the_page") else {
        return;
    };
    let out = temp_dir("analyze-full");
    let (rav, tess) = (d.join("ravdess"), d.join("tess"));
    let o = emovox(&[
        "analyze",
        rav.to_str().unwrap(),
        tess.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-progress",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("4240 clip(s) analysed"),
        "{}",
        stderr(&o)
    );

    // The CSVs against the indexer: same clips, same emotions, same intensities.
    let indexed = emovox::corpora::Indexer::new().index(&[rav.clone(), tess.clone()]);
    assert!(indexed.failures.is_empty());
    let mut all_paths = Vec::new();
    for (file, corpus, n) in [
        (
            "RAVDESS_analysis.csv",
            emovox::corpora::Corpus::Ravdess,
            1440,
        ),
        ("TESS_analysis.csv", emovox::corpora::Corpus::Tess, 2800),
    ] {
        let (h, rows) = read_csv(&out.join(file));
        assert_eq!(h[0], "path");
        assert_eq!(rows.len(), n, "{file}");
        let clips: Vec<_> = indexed
            .clips
            .iter()
            .filter(|c| c.corpus == corpus)
            .collect();
        let mut want: BTreeMap<String, usize> = BTreeMap::new();
        for c in &clips {
            *want.entry(c.canonical_emotion()).or_insert(0) += 1;
        }
        assert_eq!(counts(&rows, col(&h, "emotion")), want, "{file}");
        let by_path: BTreeMap<PathBuf, &emovox::corpora::Clip> =
            clips.iter().map(|c| (c.path.clone(), *c)).collect();
        for r in &rows {
            let clip = by_path[&PathBuf::from(&r[0])];
            assert_eq!(r[col(&h, "corpus_emotion")], clip.emotion);
            assert_eq!(
                r[col(&h, "speaker")],
                clip.speaker.clone().unwrap_or_default()
            );
            assert_eq!(
                r[col(&h, "intensity")],
                clip.extra.get("intensity").cloned().unwrap_or_default()
            );
            let dur: f64 = r[col(&h, "duration_s")].parse().unwrap();
            assert!(dur > 1.0 && dur < 6.0, "{}: {dur}", r[0]);
            all_paths.push(r[0].clone());
        }
        if corpus == emovox::corpora::Corpus::Ravdess {
            let int = counts(&rows, col(&h, "intensity"));
            assert_eq!(int["normal"], 768);
            assert_eq!(int["strong"], 672);
            assert_eq!(counts(&rows, col(&h, "sex"))["female"], 720);
        }
        // A few clips' amplitudes recomputed from their own decode.
        for r in rows.iter().step_by(n / 4) {
            let dec = emovox::audio::decode_file(Path::new(&r[0]), &Default::default()).unwrap();
            let y = &dec.samples;
            let max = y.iter().fold(f32::MIN, |m, &v| m.max(v)) as f64;
            let min = y.iter().fold(f32::MAX, |m, &v| m.min(v)) as f64;
            let rms = (y.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / y.len() as f64).sqrt();
            let get = |name: &str| r[col(&h, name)].parse::<f64>().unwrap();
            assert!(close(get("max_amplitude"), max, 1e-7), "{}", r[0]);
            assert!(close(get("min_amplitude"), min, 1e-7), "{}", r[0]);
            assert!(close(get("rms"), rms, 1e-6), "{}", r[0]);
            assert!(close(
                get("duration_s"),
                y.len() as f64 / dec.sample_rate as f64,
                1e-9
            ));
            assert_eq!(get("sample_rate") as u32, dec.sample_rate);
            let (lo, hi) = (get("mel_db_min"), get("mel_db_max"));
            assert!(lo <= get("mel_db_mean") && get("mel_db_mean") <= hi);
            assert!(hi - lo <= 80.0 + 1e-3, "top_db 80");
        }
    }
    let mut indexed_paths: Vec<String> = indexed
        .clips
        .iter()
        .map(|c| c.path.display().to_string())
        .collect();
    all_paths.sort();
    indexed_paths.sort();
    assert_eq!(all_paths, indexed_paths);

    // The Parquet table: every clip, the same columns.
    {
        use parquet::file::reader::{FileReader, SerializedFileReader};
        let f = std::fs::File::open(out.join("analysis.parquet")).unwrap();
        let r = SerializedFileReader::new(f).unwrap();
        let meta = r.metadata().file_metadata();
        assert_eq!(meta.num_rows(), 4240);
        let names: Vec<String> = meta
            .schema_descr()
            .columns()
            .iter()
            .map(|c| c.name().to_string())
            .collect();
        let (h, _) = read_csv(&out.join("TESS_analysis.csv"));
        assert_eq!(names, h);
    }

    // Every chart, valid and of its size; the expected set for two corpora.
    let stems = check_charts(&out);
    let mut want: Vec<String> = vec![
        "intensity_ravdess".into(),
        "mel_histogram".into(),
        "scheme_seed4".into(),
    ];
    for c in ["ravdess", "tess"] {
        for k in [
            "emotions_pie",
            "emotions_bar",
            "amplitude",
            "duration",
            "rms",
            "mel_mean",
            "mel_std",
            "mel_min",
            "mel_max",
        ] {
            want.push(format!("{k}_{c}"));
        }
    }
    want.sort();
    assert_eq!(stems, want);

    // The page: every chart inline, no network, findings from the data.
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert_eq!(html.matches("<svg").count(), stems.len());
    for stem in &stems {
        assert!(html.contains(&format!("id=\"{stem}\"")), "{stem}");
    }
    for bad in ["src=\"http", "href=\"http", "<script", "@import", "url("] {
        assert!(
            !html.contains(bad),
            "the page must not fetch anything: {bad}"
        );
    }
    assert!(
        html.contains("RAVDESS: the loudest emotion is angry"),
        "findings"
    );
    assert!(html.contains("strong-intensity clips are"), "findings");
    assert!(html.contains("<td>1440</td>") && html.contains("<td>2800</td>"));
}

/// SAVEE-named recordings (SAVEE itself is not on this machine): tones of known amplitude, one
/// broken file, read from the folder and from a manifest.
#[test]
fn analyze_generated_savee_reports_known_amplitudes_and_the_bad_file() {
    let dir = temp_dir("analyze-savee");
    let corpus = dir.join("savee");
    let files = [
        ("DC_a01.wav", 220.0, 1.0),
        ("DC_a02.wav", 330.0, 1.5),
        ("JE_sa01.wav", 180.0, 2.0),
        ("JK_n01.wav", 250.0, 1.25),
        ("KL_h01.wav", 300.0, 1.0),
    ];
    for (name, hz, secs) in files {
        write_tone_wav(&corpus.join(name), hz, secs, 16_000);
    }
    std::fs::write(corpus.join("KL_su01.wav"), b"RIFF\x10\0\0\0WAVEjunk").unwrap();
    let out = dir.join("report");
    let o = emovox(&[
        "analyze",
        corpus.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-progress",
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "a bad file fails the run: {}",
        stderr(&o)
    );
    let err = stderr(&o);
    assert!(
        err.contains("1 file(s) failed") && err.contains("KL_su01.wav"),
        "{err}"
    );
    let (h, rows) = read_csv(&out.join("SAVEE_analysis.csv"));
    assert_eq!(rows.len(), 5);
    for (r, (name, hz, secs)) in rows.iter().zip(files) {
        assert!(r[0].ends_with(name), "{} vs {name}", r[0]);
        // The same samples the WAV writer wrote, as a decoder reads 16-bit PCM (x / 32768).
        let n = (secs * 16_000.0) as usize;
        let y: Vec<f64> = (0..n)
            .map(|i| {
                let t = i as f32 / 16_000.0;
                let v = 0.3 * (std::f32::consts::TAU * hz * t).sin()
                    + 0.1 * (std::f32::consts::TAU * 3.0 * hz * t).sin();
                ((v * 32767.0) as i16) as f64 / 32768.0
            })
            .collect();
        let get = |c: &str| r[col(&h, c)].parse::<f64>().unwrap();
        let max = y.iter().copied().fold(f64::MIN, f64::max);
        let min = y.iter().copied().fold(f64::MAX, f64::min);
        let mean = y.iter().sum::<f64>() / n as f64;
        let rms = (y.iter().map(|v| v * v).sum::<f64>() / n as f64).sqrt();
        assert!(close(get("max_amplitude"), max, 1e-6), "{name}");
        assert!(close(get("min_amplitude"), min, 1e-6), "{name}");
        assert!(close(get("mean_amplitude"), mean, 1e-6), "{name}");
        assert!(close(get("rms"), rms, 1e-6), "{name}");
        assert!(close(get("duration_s"), secs as f64, 1e-9), "{name}");
        assert_eq!(r[col(&h, "channels")], "1");
    }
    let emotions: Vec<&str> = rows
        .iter()
        .map(|r| r[col(&h, "emotion")].as_str())
        .collect();
    assert_eq!(emotions, ["angry", "angry", "sad", "neutral", "happy"]);
    let labels: Vec<&str> = rows.iter().map(|r| r[col(&h, "label")].as_str()).collect();
    assert_eq!(labels[3], "neutral", "seed4 keeps neutral");
    let stems = check_charts(&out);
    assert!(
        stems.contains(&"emotions_pie_savee".to_string()),
        "{stems:?}"
    );
    assert!(!stems.iter().any(|s| s.contains("ravdess")), "{stems:?}");
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("KL_su01.wav"), "the page lists the bad file");

    // The same clips from a manifest.
    let manifest = dir.join("manifest.csv");
    let o = emovox(&[
        "index",
        corpus.to_str().unwrap(),
        "--out",
        manifest.to_str().unwrap(),
        "--split",
        "none",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out2 = dir.join("report2");
    let o = emovox(&[
        "analyze",
        manifest.to_str().unwrap(),
        "--out",
        out2.to_str().unwrap(),
        "--scheme",
        "full",
        "--no-progress",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let (_, rows2) = read_csv(&out2.join("SAVEE_analysis.csv"));
    assert_eq!(rows2.len(), 5);
    assert!(out2.join("scheme_full.png").is_file());

    // Nothing to analyse is an error, not an empty report.
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let o = emovox(&[
        "analyze",
        empty.to_str().unwrap(),
        "--out",
        dir.join("r3").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("no clip could be analysed"),
        "{}",
        stderr(&o)
    );
}

fn check_plot(kind: &str, input: &Path, out_dir: &Path) {
    for ext in ["png", "svg"] {
        let out = out_dir.join(format!("{kind}.{ext}"));
        let o = emovox(&[
            "plot",
            kind,
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{kind}: {}", stderr(&o));
        let size = if ext == "png" {
            png_size(&out)
        } else {
            svg_size(&out)
        };
        assert_eq!(size, (1000, 460), "{kind}.{ext}");
    }
    let svg = std::fs::read_to_string(out_dir.join(format!("{kind}.svg"))).unwrap();
    assert!(svg.contains("time (s)"), "{kind}: time axis");
    if kind != "waveform" {
        assert!(
            svg.contains("data:image/png;base64,"),
            "{kind}: the image is embedded"
        );
    }
    if kind == "spectrogram" || kind == "mel" {
        assert!(
            svg.contains("frequency (Hz)") && svg.contains("\ndB\n"),
            "{kind}: axes"
        );
    }
}

#[test]
fn plot_waveform() {
    let dir = temp_dir("plot-waveform");
    write_tone_wav(&dir.join("tone.wav"), 440.0, 1.0, 16_000);
    check_plot("waveform", &dir.join("tone.wav"), &dir);
}

#[test]
fn plot_spectrogram() {
    let dir = temp_dir("plot-spectrogram");
    write_tone_wav(&dir.join("tone.wav"), 440.0, 1.0, 22_050);
    check_plot("spectrogram", &dir.join("tone.wav"), &dir);
}

#[test]
fn plot_mel() {
    let dir = temp_dir("plot-mel");
    write_tone_wav(&dir.join("tone.wav"), 440.0, 1.0, 44_100);
    check_plot("mel", &dir.join("tone.wav"), &dir);
}

#[test]
fn plot_mfcc() {
    let dir = temp_dir("plot-mfcc");
    write_tone_wav(&dir.join("tone.wav"), 440.0, 1.0, 16_000);
    check_plot("mfcc", &dir.join("tone.wav"), &dir);
}

#[test]
fn plot_every_kind_of_a_real_ravdess_clip() {
    let Some(d) = datasets("plot_every_kind_of_a_real_ravdess_clip") else {
        return;
    };
    let dir = temp_dir("plot-real");
    let clip = d.join("ravdess/Actor_01/03-01-05-02-01-01-01.flac");
    for kind in ["waveform", "spectrogram", "mel", "mfcc"] {
        check_plot(kind, &clip, &dir);
    }
}

#[test]
fn plot_refuses_bad_input_with_the_reason() {
    let dir = temp_dir("plot-bad");
    let bad = dir.join("bad.wav");
    std::fs::write(&bad, b"not audio at all").unwrap();
    let o = emovox(&[
        "plot",
        "mel",
        bad.to_str().unwrap(),
        "--out",
        dir.join("x.png").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("bad.wav"), "{}", stderr(&o));
    write_tone_wav(&dir.join("tone.wav"), 440.0, 0.5, 16_000);
    let tone = dir.join("tone.wav");
    let o = emovox(&[
        "plot",
        "mel",
        tone.to_str().unwrap(),
        "--out",
        dir.join("x.jpg").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains(".png or .svg"), "{}", stderr(&o));
    let o = emovox(&[
        "plot",
        "pie",
        tone.to_str().unwrap(),
        "--out",
        dir.join("x.png").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "usage error");
}
