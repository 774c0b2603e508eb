//! End-to-end: the `emovox` binary run as a user would, on real audio from `../shared/datasets`.

mod common;

use common::{datasets, emovox, stderr, stdout, temp_dir};

const GOOD_FORMATS: [&str; 11] = [
    "happy.aiff",
    "happy.flac",
    "happy.m4a",
    "happy.mp3",
    "happy.ogg",
    "happy.opus",
    "happy.wav",
    "happy_f32.wav",
    "happy_s24.wav",
    "happy_stereo_44100.wav",
    "happy_u8_22050.wav",
];
const BAD: [&str; 3] = ["empty.wav", "random_bytes.wav", "not_audio.m4a"];

#[test]
fn every_subcommand_has_help() {
    for sub in [
        &["--help"][..],
        &["info", "--help"],
        &["features", "--help"],
        &["pipelines", "--help"],
        &["index", "--help"],
        &["analyze", "--help"],
        &["plot", "--help"],
    ] {
        let o = emovox(sub);
        assert!(o.status.success(), "{sub:?}: {}", stderr(&o));
        assert!(stdout(&o).contains("Usage"), "{sub:?}");
    }
}

#[test]
fn pipelines_lists_presets() {
    let o = emovox(&["pipelines"]);
    assert!(o.status.success());
    for p in ["seed", "mfcc", "mfcc-deltas", "logmel", "handcrafted"] {
        assert!(stdout(&o).contains(p), "{p} missing");
    }
}

#[test]
fn info_reads_every_format_and_quirk() {
    let Some(d) = datasets("info_reads_every_format_and_quirk") else {
        return;
    };
    let mut args: Vec<String> = vec!["info".into(), "--json".into()];
    args.extend(
        GOOD_FORMATS
            .iter()
            .map(|f| d.join("formats").join(f).display().to_string()),
    );
    args.push(d.join("formats/truncated.wav").display().to_string());
    for q in walk(&d.join("quirks")) {
        args.push(q);
    }
    let o = emovox(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), args.len() - 2);
    let by_name = |n: &str| {
        lines
            .iter()
            .find(|v| v["path"].as_str().unwrap().ends_with(n))
            .unwrap()
            .clone()
    };
    for f in GOOD_FORMATS {
        let v = by_name(f);
        let dur = v["duration_s"].as_f64().unwrap();
        assert!((dur - 4.304).abs() < 0.01, "{f}: {dur} s");
        assert!(v["peak"].as_f64().unwrap() > 0.2, "{f}");
    }
    assert_eq!(by_name("happy.opus")["format"], "ogg/opus");
    assert_eq!(by_name("happy.m4a")["format"], "isomp4/aac");
    assert_eq!(by_name("happy_stereo_44100.wav")["channels"], 2);
    assert_eq!(by_name("happy_stereo_44100.wav")["sample_rate"], 44100);
    // AIFF data behind a .wav name: the content decides.
    assert!(by_name("YAF_germ_angry.wav")["format"]
        .as_str()
        .unwrap()
        .starts_with("aiff/"));
    assert_eq!(by_name("OAF_food_fear.wav")["sample_rate"], 96000);
    assert!(by_name("OAF_back_angry.wav")["format"]
        .as_str()
        .unwrap()
        .contains("f32"));
    assert_eq!(by_name("truncated.wav")["truncated"], true);
}

#[test]
fn bad_files_are_refused_by_name_and_reason() {
    let Some(d) = datasets("bad_files_are_refused_by_name_and_reason") else {
        return;
    };
    let mut args = vec![
        "info".to_string(),
        d.join("formats/happy.wav").display().to_string(),
    ];
    args.extend(
        BAD.iter()
            .map(|f| d.join("formats").join(f).display().to_string()),
    );
    let o = emovox(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("happy.wav"),
        "the good file is still reported"
    );
    let err = stderr(&o);
    assert!(err.contains("3 file(s) failed"), "{err}");
    assert!(err.contains("empty.wav: file is empty"), "{err}");
    assert!(
        err.contains("random_bytes.wav: not a recognised audio format"),
        "{err}"
    );
    assert!(
        err.contains("not_audio.m4a: not a recognised audio format"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn features_batch_goes_past_bad_files() {
    let Some(d) = datasets("features_batch_goes_past_bad_files") else {
        return;
    };
    let out = temp_dir("batch").join("f.parquet");
    let o = emovox(&[
        "features",
        d.join("formats").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-progress",
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "a failed file makes the exit code non-zero"
    );
    let err = stderr(&o);
    for b in BAD {
        assert!(err.contains(b), "{b} not reported: {err}");
    }
    // 0.27 s of audio: shorter than the seed pipeline's 0.4 s offset.
    assert!(err.contains("truncated.wav: clip too short"), "{err}");
    let f = std::fs::File::open(&out).expect("the good files were written");
    let reader = parquet::file::reader::SerializedFileReader::new(f).unwrap();
    use parquet::file::reader::FileReader;
    assert_eq!(
        reader.metadata().file_metadata().num_rows(),
        GOOD_FORMATS.len() as i64
    );
}

/// Issue 15: the huge-float WAV beside 60 good clips made `emovox features` exit 101 without
/// writing anything.
#[test]
fn r15_huge_float_wav_does_not_stop_features_writing_the_good_rows() {
    let Some(d) = datasets("r15_huge_float_wav_does_not_stop_features_writing_the_good_rows")
    else {
        return;
    };
    let dir = common::hostile_folder(&d, "r15-features");
    let out = dir.join("x.parquet");
    let o = emovox(&[
        "features",
        dir.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-progress",
    ]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "one failed file: exit 1\n{err}");
    assert!(
        err.contains("hostile.wav") && err.contains("beyond any audio scale"),
        "{err}"
    );
    let f = std::fs::File::open(&out).expect("the good files were written");
    let reader = parquet::file::reader::SerializedFileReader::new(f).unwrap();
    use parquet::file::reader::FileReader;
    assert_eq!(reader.metadata().file_metadata().num_rows(), 60);
}

/// Parses `emovox features --format csv --out -` into (path, values).
fn csv_rows(text: &str) -> Vec<(String, Vec<f32>)> {
    text.lines()
        .skip(1)
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (
                cells[0].to_string(),
                cells[4..].iter().map(|c| c.parse().unwrap()).collect(),
            )
        })
        .collect()
}

#[test]
fn every_container_gives_the_same_seed_features() {
    let Some(d) = datasets("every_container_gives_the_same_seed_features") else {
        return;
    };
    let files: Vec<String> = GOOD_FORMATS
        .iter()
        .map(|f| d.join("formats").join(f).display().to_string())
        .collect();
    let mut args = vec!["features", "--format", "csv", "--out", "-", "--no-progress"];
    args.extend(files.iter().map(String::as_str));
    let o = emovox(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = csv_rows(&stdout(&o));
    assert_eq!(rows.len(), GOOD_FORMATS.len());
    let get = |n: &str| &rows.iter().find(|(p, _)| p.ends_with(n)).unwrap().1;
    let wav = get("/happy.wav");
    assert_eq!(wav.len(), 1300);
    let range =
        wav.iter().cloned().fold(f32::MIN, f32::max) - wav.iter().cloned().fold(f32::MAX, f32::min);
    for f in GOOD_FORMATS {
        let diff = get(f)
            .iter()
            .zip(wav)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max)
            / range;
        // Lossless containers are bit-identical; lossy codecs and other rates stay close.
        let tol = match f {
            "happy.aiff" | "happy.flac" | "happy_f32.wav" | "happy_s24.wav" => 1e-6,
            // 8-bit PCM: quantisation noise fills the silences, whose MFCCs then differ.
            "happy_u8_22050.wav" => 0.6,
            // A different mix (stereo average) at another rate.
            "happy_stereo_44100.wav" => 0.1,
            // MP3, Vorbis, Opus, AAC: lossy, measured 1-2e-2.
            _ => 0.05,
        };
        println!("{f}: {diff:.2e}");
        assert!(
            diff <= tol,
            "{f}: seed features differ from the WAV's by {diff:.2e} of range"
        );
    }
}

#[test]
fn npy_and_csv_outputs_have_the_right_shape() {
    let Some(d) = datasets("npy_and_csv_outputs_have_the_right_shape") else {
        return;
    };
    let dir = temp_dir("npy");
    let npy = dir.join("x.npy");
    let clip = d.join("formats/happy.flac");
    let o = emovox(&[
        "features",
        clip.to_str().unwrap(),
        clip.to_str().unwrap(),
        "-p",
        "mfcc-deltas:frames=50",
        "-o",
        npy.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let bytes = std::fs::read(&npy).unwrap();
    let header = String::from_utf8_lossy(&bytes[10..128]);
    // The same file twice is one clip.
    assert!(header.contains("'shape': (1, 50, 39)"), "{header}");
    assert!(std::fs::read_to_string(dir.join("x.npy.paths.txt"))
        .unwrap()
        .contains("happy.flac"));

    let o = emovox(&[
        "features",
        clip.to_str().unwrap(),
        "-p",
        "handcrafted",
        "-f",
        "csv",
        "-o",
        "-",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.lines().next().unwrap().contains("f0_mean"),
        "named columns"
    );
    assert_eq!(text.lines().count(), 2);
}

#[test]
fn bad_pipeline_is_a_clear_error() {
    let o = emovox(&["features", "nowhere.wav", "-p", "mfcc:n_fft=banana"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("bad value for `n_fft`: `banana`"),
        "{}",
        stderr(&o)
    );
    let o = emovox(&["features", "nowhere.wav", "-o", "-", "-f", "parquet"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("only CSV"), "{}", stderr(&o));
}

#[test]
fn missing_input_is_reported_and_the_rest_is_written() {
    let Some(d) = datasets("missing_input_is_reported_and_the_rest_is_written") else {
        return;
    };
    let out = temp_dir("missing").join("f.csv");
    let wav = d.join("formats/happy.wav");
    let o = emovox(&[
        "features",
        "no/such/file.wav",
        wav.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no/such/file.wav"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 2);
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            v.extend(walk(&p));
        } else {
            v.push(p.display().to_string());
        }
    }
    v.sort();
    v
}
