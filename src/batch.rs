//! Batch jobs over many files: find the audio under the paths a user gives, run a pipeline over
//! every file in parallel, and keep going past bad files, reporting each with its reason.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use emovox_audio::decode_file;
use emovox_features::{Extractor, PipelineConfig};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use crate::table::Row;

/// File extensions taken as audio when walking a folder (files named explicitly are always
/// tried, whatever their name: the decoder sniffs content).
pub const AUDIO_EXTENSIONS: &[&str] = &[
    "wav", "wave", "flac", "mp3", "m4a", "mp4", "aac", "ogg", "oga", "opus", "aif", "aiff", "aifc",
];

/// A file that could not be processed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The file (or the path the user gave).
    pub path: PathBuf,
    /// What went wrong.
    pub reason: String,
}

/// How to run a batch.
#[derive(Debug, Clone, Default)]
pub struct BatchOptions {
    /// Worker threads. Default: `None`, one per core.
    pub jobs: Option<usize>,
    /// Show a progress bar on standard error. Default: `false`.
    pub progress: bool,
}

/// The outcome of [`extract`].
#[derive(Debug, Default)]
pub struct BatchReport {
    /// One row per file that worked, in path order.
    pub rows: Vec<Row>,
    /// Files that failed, in path order.
    pub failures: Vec<Failure>,
    /// Wall time of the extraction.
    pub elapsed: Duration,
}

fn is_audio(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| AUDIO_EXTENSIONS.iter().any(|a| a.eq_ignore_ascii_case(e)))
}

/// Expands `inputs` into the audio files to process, sorted: files as given, folders walked
/// recursively for [`AUDIO_EXTENSIONS`] (hidden entries skipped). Inputs that do not exist or
/// cannot be read are returned as failures.
pub fn collect_files(inputs: &[PathBuf]) -> (Vec<PathBuf>, Vec<Failure>) {
    let (mut files, mut failures) = (Vec::new(), Vec::new());
    for input in inputs {
        match std::fs::metadata(input) {
            Err(e) => failures.push(Failure {
                path: input.clone(),
                reason: e.to_string(),
            }),
            Ok(m) if m.is_dir() => {
                let walker = walkdir::WalkDir::new(input)
                    .follow_links(true)
                    .sort_by_file_name();
                let visible = |e: &walkdir::DirEntry| {
                    e.depth() == 0 || !e.file_name().to_str().is_some_and(|n| n.starts_with('.'))
                };
                for entry in walker.into_iter().filter_entry(visible) {
                    match entry {
                        Ok(e) if e.file_type().is_file() && is_audio(e.path()) => {
                            files.push(e.into_path())
                        }
                        Ok(_) => {}
                        Err(e) => failures.push(Failure {
                            path: e.path().unwrap_or(input).to_path_buf(),
                            reason: e.to_string(),
                        }),
                    }
                }
            }
            Ok(_) => files.push(input.clone()),
        }
    }
    files.sort();
    files.dedup();
    (files, failures)
}

/// Decodes (only the part the pipeline reads) and extracts one file's features.
pub fn extract_file(path: &Path, extractor: &mut Extractor) -> Result<Row, String> {
    let clip =
        decode_file(path, &extractor.decode_options()).map_err(|e| e.reason().to_string())?;
    let features = extractor
        .process_decoded(&clip)
        .map_err(|e| e.to_string())?;
    Ok(Row {
        path: path.to_path_buf(),
        features,
    })
}

fn progress_bar(n: usize, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(n as u64);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} {elapsed_precise} [{bar:40}] {pos}/{len} files ({per_sec}, ETA {eta}) {msg}",
    ) {
        pb.set_style(style.progress_chars("=> "));
    }
    pb
}

/// Runs `pipeline` over every audio file under `inputs`, in parallel. Bad files do not stop the
/// batch: they are listed in [`BatchReport::failures`] with their reason.
pub fn extract(
    inputs: &[PathBuf],
    pipeline: &PipelineConfig,
    opts: &BatchOptions,
) -> Result<BatchReport> {
    let start = Instant::now();
    let (files, mut failures) = collect_files(inputs);
    // Plan once here to report a bad pipeline before any work; each worker plans its own copy.
    Extractor::new(pipeline.clone()).context("planning the pipeline")?;
    let pb = progress_bar(files.len(), opts.progress);
    let run = || -> Vec<Result<Row, Failure>> {
        files
            .par_iter()
            .map_init(
                || Extractor::new(pipeline.clone()),
                |ex, path| {
                    let r = match ex {
                        Ok(ex) => extract_file(path, ex),
                        Err(e) => Err(e.to_string()),
                    };
                    let r = r.map_err(|reason| Failure {
                        path: path.clone(),
                        reason,
                    });
                    pb.inc(1);
                    r
                },
            )
            .collect()
    };
    let results = match opts.jobs {
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build()?
            .install(run),
        None => run(),
    };
    pb.finish_and_clear();
    let mut rows = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Ok(row) => rows.push(row),
            Err(f) => failures.push(f),
        }
    }
    failures.sort_by(|a, b| a.path.cmp(&b.path));
    tracing::info!(
        files = files.len(),
        ok = rows.len(),
        failed = failures.len(),
        "extraction done"
    );
    Ok(BatchReport {
        rows,
        failures,
        elapsed: start.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_extensions_are_case_insensitive() {
        assert!(is_audio(Path::new("a/B.FLAC")));
        assert!(is_audio(Path::new("x.m4a")));
        assert!(!is_audio(Path::new("notes.txt")));
        assert!(!is_audio(Path::new("noext")));
    }

    #[test]
    fn missing_inputs_are_failures_not_errors() {
        let (files, failures) = collect_files(&[PathBuf::from("/definitely/not/here.wav")]);
        assert!(files.is_empty());
        assert_eq!(failures.len(), 1);
        assert!(failures[0].path.ends_with("here.wav"));
    }
}
