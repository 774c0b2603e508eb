//! The deployed int8 model (`models/tiny`): budgets, emovox-tiny on the host, the firmware
//! under QEMU agreeing with the host on real clips, and the exported `model.tflite` in the real
//! LiteRT interpreter (`scripts/check_tflite.py`) giving emovox-tiny's int8 logits on every
//! held-out clip.

mod common;
use common::{require, Need};

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn emt() -> Vec<u8> {
    std::fs::read(root().join("models/tiny/int8/model.emt"))
        .expect("models/tiny/int8/model.emt is shipped")
}

#[test]
fn shipped_int8_model_fits_the_microcontroller_budgets() {
    let bytes = emt();
    let m = emovox_tiny::Model::parse(&bytes).unwrap();
    assert!(m.net.weights() <= 64 * 1024, "{} weights", m.net.weights());
    assert!(
        m.arena_bytes() <= 32 * 1024,
        "{} arena bytes",
        m.arena_bytes()
    );
    assert_eq!((m.classes, m.net.frames, m.net.features), (4, 100, 64));
    // A tone runs end to end, deterministically, and a small arena is refused.
    let tone: Vec<i16> = (0..m.front.n_samples)
        .map(|i| ((i as f32 * 0.05).sin() * 8000.0) as i16)
        .collect();
    let mut arena = vec![0u8; m.arena_bytes()];
    let a = m.run(&tone[..], &mut arena).unwrap();
    assert_eq!(m.run(&tone[..], &mut arena).unwrap(), a);
    assert_eq!(
        m.run(&tone[..], &mut arena[..100]),
        Err(emovox_tiny::Error::ArenaTooSmall)
    );
}

#[test]
fn device_front_end_matches_emovox_features() {
    // The device front end (radix-2 FFT, libm) against emovox-features (realfft, librosa's
    // definitions) on the same samples: the int8 inputs may differ by one step where a value
    // sits on a rounding boundary, and rarely.
    let bytes = emt();
    let m = emovox_tiny::Model::parse(&bytes).unwrap();
    let (saved, _) = emovox::model::SavedModel::load(&root().join("models/tiny")).unwrap();
    let mut ex = emovox::features::Extractor::new(saved.pipeline.clone()).unwrap();
    let y: Vec<f32> = (0..m.front.n_samples)
        .map(|i| {
            let t = i as f32 / 16000.0;
            0.3 * (2.0 * std::f32::consts::PI * 220.0 * t).sin() * (1.0 + (7.0 * t).sin())
                + 0.01 * ((i * 7919 % 1000) as f32 / 500.0 - 1.0)
        })
        .collect();
    let mut f = emovox::features::Features::default();
    ex.process_prepared(&y, &mut f).unwrap();
    let mut arena = vec![0u8; m.arena_bytes()];
    m.front_end(&y[..], &mut arena).unwrap();
    let device = m.input_mut(&mut arena).unwrap().to_vec();
    let host: Vec<i8> = f
        .values
        .iter()
        .enumerate()
        .map(|(i, &v)| m.front.quantize(v, i % 64))
        .collect();
    let off = device.iter().zip(&host).filter(|(a, b)| a != b).count();
    let worst = device
        .iter()
        .zip(&host)
        .map(|(&a, &b)| (a as i32 - b as i32).abs())
        .max()
        .unwrap();
    assert!(
        worst <= 1 && off * 100 <= host.len(),
        "{off} of {} differ, by up to {worst}",
        host.len()
    );
}

fn tool(name: &str, args: &[&str]) -> bool {
    Command::new(name)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn firmware_under_qemu_agrees_with_the_host_on_real_clips() {
    let Some(ds) = common::datasets("firmware_under_qemu_agrees_with_the_host_on_real_clips")
    else {
        return;
    };
    let have_target = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("thumbv7em-none-eabihf"));
    if !require(
        Need::Tools,
        "firmware_under_qemu_agrees_with_the_host_on_real_clips",
        tool("qemu-system-arm", &["--version"]) && have_target,
        "no qemu-system-arm or thumbv7em-none-eabihf target (scripts/setup-system installs them)",
    ) {
        return;
    }
    let clips: Vec<PathBuf> = [
        "ravdess/Actor_21/03-01-03-02-01-01-21.flac",
        "ravdess/Actor_22/03-01-01-01-02-02-22.flac",
        "ravdess/Actor_23/03-01-08-02-01-01-23.flac",
        "tess/YAF_angry/YAF_back_angry.flac",
        "tess/YAF_happy/YAF_bath_happy.flac",
        "tess/YAF_pleasant_surprise/YAF_bar_ps.flac",
    ]
    .iter()
    .map(|p| ds.join(p))
    .collect();
    let data = tempfile::tempdir().unwrap();
    let run = root().join("models/tiny");
    let expected = emovox::tinyml::export(&run, &run.join("int8"), data.path(), &clips)
        .unwrap()
        .clips;
    let out = Command::new(root().join("scripts/firmware"))
        .arg(data.path())
        .output()
        .expect("scripts/firmware runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("clip ")).collect();
    assert_eq!(lines.len(), expected.len(), "{text}");
    for (line, e) in lines.iter().zip(&expected) {
        let want = format!("class {} {} logits {:?} ", e.class, e.label, e.logits);
        assert!(
            line.contains(&want),
            "device: {line}\nhost: {want} ({})",
            e.file
        );
    }
    let _ = Path::new("");
}

#[test]
fn export_writes_model_tflite_and_its_c_array_compiles() {
    let dir = tempfile::tempdir().unwrap();
    let run = root().join("models/tiny");
    let r = emovox::tinyml::export(&run, &run.join("int8"), dir.path(), &[]).unwrap();
    let bytes = std::fs::read(dir.path().join("model.tflite")).unwrap();
    assert_eq!((bytes.len(), &bytes[4..8]), (r.tflite_bytes, &b"TFL3"[..]));
    let s = emovox_export::inspect(&bytes).unwrap();
    assert!(s.builtins_only, "{:?}", s.operators);
    assert!(s.operators.iter().all(|o| o != "SUM" && o != "MUL"));
    // The weights are model.emt's: every int8 weight and int32 bias is a constant.
    let emt = emt();
    let m = emovox_tiny::Model::parse(&emt).unwrap();
    assert!(s.constant_bytes >= m.net.weights(), "{s:?}");
    assert!(bytes.len() <= 64 * 1024, "{} bytes", bytes.len());
    let info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("model_info.json")).unwrap())
            .unwrap();
    assert_eq!(info["classes"].as_array().unwrap().len(), 4);
    assert_eq!(info["input"]["shape"], serde_json::json!([1, 100, 64]));
    // model_data.cc is model.tflite as a C array, and compiles.
    let cc = std::fs::read_to_string(dir.path().join("model_data.cc")).unwrap();
    assert!(cc.contains(&format!("emovox_model_len = {};", bytes.len())));
    let h = std::fs::read_to_string(dir.path().join("model_data.h")).unwrap();
    assert!(
        h.contains("classes in order: happy, neutral, surprise, unpleasant"),
        "{h}"
    );
    if !require(
        Need::Tools,
        "export_writes_model_tflite_and_its_c_array_compiles (g++ -c)",
        tool("g++", &["--version"]),
        "no g++ (scripts/setup-system installs it)",
    ) {
        return;
    }
    let out = Command::new("g++")
        .args([
            "-std=c++11",
            "-Wall",
            "-Werror",
            "-c",
            "model_data.cc",
            "-o",
        ])
        .arg(dir.path().join("model_data.o"))
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "g++ -c model_data.cc: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn tflite_in_litert_equals_emovox_tiny_on_the_held_out_clips() {
    let test = "tflite_in_litert_equals_emovox_tiny_on_the_held_out_clips";
    let Some(ds) = common::datasets(test) else {
        return;
    };
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    if !require(
        Need::Python,
        test,
        tool(&python, &["-c", "import numpy, ai_edge_litert.interpreter"]),
        "python3 cannot import numpy and ai_edge_litert (scripts/setup-python installs them)",
    ) {
        return;
    }
    // The held-out speakers of models/tiny (models/train-tiny.sh), labelled as it was trained.
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("seed4.csv");
    let o = common::emovox(&[
        "index",
        ds.join("ravdess").to_str().unwrap(),
        ds.join("tess").to_str().unwrap(),
        "--scheme",
        "seed4",
        "--split",
        "speaker:Actor_21+Actor_22+Actor_23+Actor_24+YAF",
        "--out",
        manifest.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let clips: Vec<PathBuf> = emovox::corpora::Manifest::load(&manifest)
        .unwrap()
        .entries
        .into_iter()
        .filter(|e| e.label.is_some() && e.split.as_deref() == Some("test"))
        .map(|e| e.clip.path)
        .collect();
    assert_eq!(clips.len(), 981);
    let dist = dir.path().join("dist");
    let run = root().join("models/tiny");
    emovox::tinyml::export(&run, &run.join("int8"), &dist, &clips).unwrap();
    let report = dir.path().join("check.json");
    let out = Command::new(&python)
        .arg(root().join("scripts/check_tflite.py"))
        .arg(&dist)
        .arg("--manifest")
        .arg(&manifest)
        .arg("--json")
        .arg(&report)
        .output()
        .expect("python3 runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{text}");
    assert!(
        out.status.success(),
        "scripts/check_tflite.py failed:\n{text}"
    );
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(r["builtins_only"], true);
    assert_eq!(r["clips"], 981);
    // TFLite's reference kernels (TFLite Micro's arithmetic): emovox-tiny's logits, bit for bit.
    let reference = &r["reference_kernels"];
    assert_eq!(reference["max_abs_diff_steps"], 0, "{r}");
    assert_eq!(reference["accuracy"], r["emovox_tiny_accuracy"]);
    // The accuracy stays within a point of the float model's 0.629 on these clips.
    assert!(r["emovox_tiny_accuracy"].as_f64().unwrap() >= 0.619, "{r}");
}
