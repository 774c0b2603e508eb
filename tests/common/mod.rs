//! Shared helpers for the end-to-end tests: find the corpora, run the `emovox` binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The datasets folder, or `None` (printing a visible SKIPPED line) when it is absent.
/// With `EMOVOX_REQUIRE_DATASETS=1` (as `.ci/run` sets) absence fails the test instead.
pub fn datasets(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("EMOVOX_DATASETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets"));
    if dir.join("formats").is_dir() && dir.join("ravdess").is_dir() {
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

/// Runs the `emovox` binary built for this test run.
pub fn emovox(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_emovox"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the emovox binary runs")
}

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
