//! `emovox analyze` and `emovox plot`: corpus analysis reports and single-recording plots.
//!
//! [`analyze`] indexes folders (or loads manifests), decodes every clip once in parallel,
//! measures it ([`emovox_report::analysis::Analyzer`]) and writes the report
//! ([`emovox_report::analysis::write_report`]); bad files are skipped and listed. [`plot`] draws
//! one recording.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use emovox_audio::{decode_file, DecodeOptions};
use emovox_corpora::{Clip, Corpus, Failure, Indexer, Manifest, Scheme};
use emovox_report::analysis::{write_report, AnalysisRow, Analyzer, ReportOptions, Written};
use emovox_report::{AudioPlot, PlotKind};

use crate::batch::{run_parallel, BatchOptions};

/// How to run [`analyze`].
#[derive(Debug, Clone)]
pub struct AnalyzeOptions {
    /// Label scheme for the class counts: `seed4`, `full` or a TOML file. Default `seed4`.
    pub scheme: String,
    /// Seed for the scheme's random drops. Default 42.
    pub seed: u64,
    /// Read every file of the folders as this corpus instead of detecting it. Default `None`.
    pub corpus: Option<Corpus>,
    /// Threads and progress bar.
    pub batch: BatchOptions,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        AnalyzeOptions {
            scheme: "seed4".into(),
            seed: 42,
            corpus: None,
            batch: BatchOptions::default(),
        }
    }
}

/// The outcome of [`analyze`].
#[derive(Debug)]
pub struct AnalyzeReport {
    /// The files written.
    pub written: Written,
    /// Clips analysed.
    pub clips: usize,
    /// Clips analysed per corpus.
    pub per_corpus: Vec<(Corpus, usize)>,
    /// Files that could not be indexed, decoded or measured, in path order.
    pub failures: Vec<Failure>,
    /// Wall time, from indexing to the last file written.
    pub elapsed: Duration,
}

/// Whether an input is a manifest (a `.csv` file) rather than audio or a folder.
fn is_manifest(p: &Path) -> bool {
    p.is_file()
        && p.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
}

/// The clips of `inputs`: manifests (`.csv`) are loaded, folders and audio files indexed.
pub fn gather(inputs: &[PathBuf], corpus: Option<Corpus>) -> Result<(Vec<Clip>, Vec<Failure>)> {
    let (manifests, others): (Vec<PathBuf>, Vec<PathBuf>) =
        inputs.iter().cloned().partition(|p| is_manifest(p));
    let mut clips = Vec::new();
    let mut failures = Vec::new();
    for m in &manifests {
        let manifest = Manifest::load(m)?;
        clips.extend(manifest.entries.into_iter().map(|e| e.clip));
    }
    if !others.is_empty() {
        let report = Indexer::new().corpus(corpus).index(&others);
        clips.extend(report.clips);
        failures.extend(report.failures);
    }
    clips.sort_by(|a, b| a.path.cmp(&b.path));
    clips.dedup_by(|a, b| a.path == b.path);
    Ok((clips, failures))
}

/// Analyses every clip under `inputs` (folders, audio files or manifest CSVs) and writes the
/// report into `out`. Files that fail are listed in [`AnalyzeReport::failures`] (and on the
/// page); the report covers the rest. It is an error only if nothing could be analysed.
pub fn analyze(inputs: &[PathBuf], out: &Path, opts: &AnalyzeOptions) -> Result<AnalyzeReport> {
    let start = Instant::now();
    let scheme = Scheme::load(&opts.scheme)?;
    let (clips, mut failures) = gather(inputs, opts.corpus)?;
    let labels = scheme.apply(&clips, opts.seed);
    // Plan once here to report a planning error before any work; each worker plans its own.
    Analyzer::new().context("planning the mel spectrogram")?;
    let items: Vec<(Clip, Option<String>)> = clips.into_iter().zip(labels).collect();
    let results = run_parallel(
        &items,
        &opts.batch,
        || Analyzer::new().map_err(|e| e.to_string()),
        |an, (clip, label)| -> Result<AnalysisRow, Failure> {
            let fail = |reason: String| Failure {
                path: clip.path.clone(),
                reason,
            };
            let an = an.as_mut().map_err(|e| fail(e.clone()))?;
            let decoded = decode_file(&clip.path, &DecodeOptions::new())
                .map_err(|e| fail(e.reason().to_string()))?;
            let (measures, mel_hist) = an.measure(&decoded).map_err(|e| fail(e.to_string()))?;
            Ok(AnalysisRow {
                clip: clip.clone(),
                label: label.clone(),
                measures,
                mel_hist,
            })
        },
        |(clip, _)| clip.path.as_path(),
    )?;
    let mut rows = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Ok(row) => rows.push(row),
            Err(f) => failures.push(f),
        }
    }
    failures.sort_by(|a, b| a.path.cmp(&b.path));
    let mut per_corpus: Vec<(Corpus, usize)> = Vec::new();
    for r in &rows {
        match per_corpus.iter_mut().find(|(c, _)| *c == r.clip.corpus) {
            Some(e) => e.1 += 1,
            None => per_corpus.push((r.clip.corpus, 1)),
        }
    }
    per_corpus.sort();
    if rows.is_empty() {
        let why = match failures.first() {
            Some(f) => format!(" (first failure: {f})"),
            None => String::new(),
        };
        anyhow::bail!("no clip could be analysed{why}");
    }
    let report_opts = ReportOptions {
        scheme: scheme.name.clone(),
        failures: failures.clone(),
        seconds: start.elapsed().as_secs_f64(),
        inputs: inputs.to_vec(),
    };
    let written = write_report(&rows, &report_opts, out)?;
    Ok(AnalyzeReport {
        written,
        clips: rows.len(),
        per_corpus,
        failures,
        elapsed: start.elapsed(),
    })
}

/// Draws the `kind` plot of one recording into `out` (`.png` or `.svg`), titled `title` (default:
/// the plot's kind and the file's name).
pub fn plot(kind: PlotKind, file: &Path, out: &Path, title: Option<&str>) -> Result<()> {
    let d = decode_file(file, &DecodeOptions::new())?;
    let name = file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let what = match kind {
        PlotKind::Waveform => "Waveform",
        PlotKind::Spectrogram => "Spectrogram (dB)",
        PlotKind::Mel => "Mel spectrogram (dB)",
        PlotKind::Mfcc => "MFCC",
    };
    let title = title.map_or_else(|| format!("{what}: {name}"), String::from);
    let p = AudioPlot::from_samples(kind, &d.samples, d.sample_rate, &title)
        .with_context(|| file.display().to_string())?;
    p.save(out)?;
    Ok(())
}
