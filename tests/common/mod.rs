//! Shared helpers for the end-to-end tests: find the corpora, run the `emovox` binary.
// Each test crate uses a different subset of these helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// What a test may need from the machine, each with the switch that makes its absence a
/// failure instead of a skip (`.ci/run` sets them all).
#[derive(Debug, Clone, Copy)]
pub enum Need {
    /// The corpora (`EMOVOX_REQUIRE_DATASETS`).
    Datasets,
    /// Python packages and the emovox wheel (`EMOVOX_REQUIRE_PYTHON`).
    Python,
    /// chromium and chromedriver (`EMOVOX_REQUIRE_BROWSER`).
    Browser,
    /// Other tools: qemu-system-arm, the Cortex-M target (`EMOVOX_REQUIRE_TOOLS`).
    Tools,
}

impl Need {
    fn switch(self) -> &'static str {
        match self {
            Need::Datasets => "EMOVOX_REQUIRE_DATASETS",
            Need::Python => "EMOVOX_REQUIRE_PYTHON",
            Need::Browser => "EMOVOX_REQUIRE_BROWSER",
            Need::Tools => "EMOVOX_REQUIRE_TOOLS",
        }
    }
}

/// The one rule for every optional part of the suite: returns `ok`; when it is false, prints a
/// visible `SKIPPED <test>: <what>` line, or panics when the need's `EMOVOX_REQUIRE_*` switch
/// is `1`.
pub fn require(need: Need, test: &str, ok: bool, what: &str) -> bool {
    if ok {
        return true;
    }
    let switch = need.switch();
    if std::env::var(switch).as_deref() == Ok("1") {
        panic!("{test}: {what}, and {switch}=1 requires it");
    }
    eprintln!("SKIPPED {test}: {what}");
    false
}

/// The datasets folder, or `None` (printing a visible SKIPPED line) when it is absent.
/// With `EMOVOX_REQUIRE_DATASETS=1` (as `.ci/run` sets) absence fails the test instead.
pub fn datasets(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("EMOVOX_DATASETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets"));
    let ok = dir.join("formats").is_dir() && dir.join("ravdess").is_dir();
    let what = format!(
        "datasets not found at {} (set EMOVOX_DATASETS)",
        dir.display()
    );
    require(Need::Datasets, test, ok, &what).then_some(dir)
}

/// Runs the `emovox` binary built for this test run.
pub fn emovox<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_emovox"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the emovox binary runs")
}

#[allow(dead_code)]
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh temporary folder for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("emovox-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// Writes a 16-bit PCM mono WAV: `secs` seconds of a tone at `hz` (plus a little harmonic so
/// the features are not degenerate).
#[allow(dead_code)]
pub fn write_tone_wav(path: &Path, hz: f32, secs: f32, rate: u32) {
    let n = (secs * rate as f32) as usize;
    let samples: Vec<f32> = (0..n)
        .map(|i| {
            let t = i as f32 / rate as f32;
            0.3 * (2.0 * std::f32::consts::PI * hz * t).sin()
                + 0.1 * (2.0 * std::f32::consts::PI * 3.0 * hz * t).sin()
        })
        .collect();
    write_wav(path, &samples, rate);
}

/// Writes `secs` seconds of the tone of [`write_tone_wav`] with silence before and after it (a
/// quarter of `secs` each side, at most 0.5 s): a sound the voice-activity detector takes for
/// speech. A tone from the first sample to the last is steady noise to it, and the bundled
/// model, which reads the speech the detector finds, answers "no speech".
pub fn write_voiced_wav(path: &Path, hz: f32, secs: f32, rate: u32) {
    let n = (secs * rate as f32) as usize;
    let pad = ((secs / 4.0).min(0.5) * rate as f32) as usize;
    let samples: Vec<f32> = (0..n)
        .map(|i| {
            if i < pad || i + pad >= n {
                return 0.0;
            }
            let t = i as f32 / rate as f32;
            0.3 * (2.0 * std::f32::consts::PI * hz * t).sin()
                + 0.1 * (2.0 * std::f32::consts::PI * 3.0 * hz * t).sin()
        })
        .collect();
    write_wav(path, &samples, rate);
}

/// Writes mono `samples` (in [-1, 1]) as a 16-bit PCM WAV.
#[allow(dead_code)]
pub fn write_wav(path: &Path, samples: &[f32], rate: u32) {
    let mut data = Vec::with_capacity(samples.len() * 2);
    for &v in samples {
        data.extend_from_slice(&((v.clamp(-1.0, 1.0) * 32767.0) as i16).to_le_bytes());
    }
    let mut b = Vec::with_capacity(44 + data.len());
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes()); // PCM
    b.extend_from_slice(&1u16.to_le_bytes()); // mono
    b.extend_from_slice(&rate.to_le_bytes());
    b.extend_from_slice(&(rate * 2).to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&(data.len() as u32).to_le_bytes());
    b.extend_from_slice(&data);
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).expect("create folder");
    }
    std::fs::write(path, b).expect("write wav");
}

/// Reads a CSV file into header names and rows of cells (no quoting beyond what the manifest
/// writer produces: plain cells, or quoted cells without embedded newlines).
#[allow(dead_code)]
pub fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).expect("read csv");
    let mut lines = text.lines().map(split_csv_line);
    let header = lines.next().unwrap_or_default();
    (header, lines.collect())
}

fn split_csv_line(line: &str) -> Vec<String> {
    let (mut cells, mut cur, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => cells.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    cells.push(cur);
    cells
}

/// Writes the kind of file that crashed whole batches (issue 15): a 32-bit float WAV (44.1 kHz,
/// mono, with a `fact` chunk, its data cut short of what the header promises) whose samples are
/// finite but huge (about 3.3e38, near f32's largest value).
#[allow(dead_code)]
pub fn write_huge_float_wav(path: &Path) {
    let rate = 44_100u32;
    let n = 31_250usize; // 125 KB of samples
    let data: Vec<u8> = (0..n)
        .flat_map(|i| {
            let v = 3.3e38f32 * if i % 2 == 0 { 1.0 } else { -0.9 };
            v.to_le_bytes()
        })
        .collect();
    let promised = (data.len() + 4096) as u32; // truncated: the header claims more
    let mut b = Vec::with_capacity(58 + data.len());
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(50 + promised).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&18u32.to_le_bytes());
    b.extend_from_slice(&3u16.to_le_bytes()); // IEEE float
    b.extend_from_slice(&1u16.to_le_bytes()); // mono
    b.extend_from_slice(&rate.to_le_bytes());
    b.extend_from_slice(&(rate * 4).to_le_bytes());
    b.extend_from_slice(&4u16.to_le_bytes());
    b.extend_from_slice(&32u16.to_le_bytes());
    b.extend_from_slice(&0u16.to_le_bytes()); // cbSize
    b.extend_from_slice(b"fact");
    b.extend_from_slice(&4u32.to_le_bytes());
    b.extend_from_slice(&(promised / 4).to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&promised.to_le_bytes());
    b.extend_from_slice(&data);
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).expect("create folder");
    }
    std::fs::write(path, b).expect("write wav");
}

/// A folder holding links to the 60 clips of RAVDESS actor 1 and, beside them, the file of
/// [`write_huge_float_wav`] as `hostile.wav`. Returns the folder.
#[allow(dead_code)]
pub fn hostile_folder(datasets: &Path, name: &str) -> PathBuf {
    let dir = temp_dir(name);
    let actor = datasets.join("ravdess/Actor_01");
    let mut n = 0;
    for e in std::fs::read_dir(&actor).expect("read Actor_01") {
        let p = e.expect("entry").path();
        if p.extension().and_then(|x| x.to_str()) == Some("flac") {
            std::os::unix::fs::symlink(&p, dir.join(p.file_name().expect("name")))
                .expect("link a clip");
            n += 1;
        }
    }
    assert_eq!(n, 60, "RAVDESS Actor_01 has 60 clips");
    write_huge_float_wav(&dir.join("hostile.wav"));
    dir
}

/// The OpenAPI description the server publishes (crates/serve/assets/openapi.json).
pub fn openapi() -> serde_json::Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/serve/assets/openapi.json");
    serde_json::from_str(&std::fs::read_to_string(p).expect("read openapi.json"))
        .expect("openapi.json is JSON")
}

/// Checks `v` against the JSON schema `schema` of the OpenAPI document `api` (the subset it
/// uses: `$ref` into `#/components/schemas`, `type` (one or a list), `enum`, `required`,
/// `properties`, `additionalProperties: false`, `items`, `oneOf`, `minItems`/`maxItems`).
/// The error says where `v` departs from it.
pub fn check_schema(
    api: &serde_json::Value,
    schema: &serde_json::Value,
    v: &serde_json::Value,
    at: &str,
) -> Result<(), String> {
    use serde_json::Value;
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/components/schemas/");
        let target = &api["components"]["schemas"][name];
        if target.is_null() {
            return Err(format!("{at}: no schema {r}"));
        }
        return check_schema(api, target, v, at);
    }
    if let Some(types) = schema.get("type") {
        let types: Vec<&str> = match types {
            Value::String(t) => vec![t.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let ok = types.iter().any(|t| match *t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "number" => v.is_number(),
            "integer" => v.is_i64() || v.is_u64(),
            "boolean" => v.is_boolean(),
            "null" => v.is_null(),
            _ => false,
        });
        if !ok {
            return Err(format!("{at}: {v} is not of type {types:?}"));
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        if !allowed.contains(v) {
            return Err(format!("{at}: {v} is not one of {allowed:?}"));
        }
    }
    if let Some(obj) = v.as_object() {
        for k in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !obj.contains_key(k) {
                return Err(format!("{at}: `{k}` is required"));
            }
        }
        let props = schema.get("properties").and_then(Value::as_object);
        for (k, x) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(s) => check_schema(api, s, x, &format!("{at}.{k}"))?,
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    return Err(format!("{at}: `{k}` is not in the schema"));
                }
                None => {}
            }
        }
    }
    if let (Some(items), Some(a)) = (schema.get("items"), v.as_array()) {
        for (i, x) in a.iter().enumerate() {
            check_schema(api, items, x, &format!("{at}[{i}]"))?;
        }
        let len = a.len() as u64;
        if schema["minItems"].as_u64().is_some_and(|m| len < m)
            || schema["maxItems"].as_u64().is_some_and(|m| len > m)
        {
            return Err(format!("{at}: {len} items is outside minItems/maxItems"));
        }
    }
    if let Some(alts) = schema.get("oneOf").and_then(Value::as_array) {
        let matched = alts
            .iter()
            .filter(|s| check_schema(api, s, v, at).is_ok())
            .count();
        if matched != 1 {
            return Err(format!(
                "{at}: {v} matches {matched} of oneOf's schemas, not 1"
            ));
        }
    }
    Ok(())
}
