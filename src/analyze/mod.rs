//! `emovox analyze` and `emovox plot`: corpus analysis reports and single-recording plots.
//!
//! [`analyze`] indexes folders (or loads manifests), decodes every clip once in parallel,
//! measures it ([`Analyzer`]) and writes the report ([`write_report`]); bad files are skipped
//! and listed. [`plot`] draws one recording.
//!
//! The report's parts, one module each: [`Analyzer`] measures a clip (`measure`), the tables
//! (`tables`), the charts chosen (`charts`, drawn by [`emovox_report`]), the findings computed
//! (`findings`) and the page (`page`).
//!
//! # Measures
//!
//! Every measure of a clip comes from one decode ([`Analyzer::measure`]): the mono mix (mean of
//! the channels) at the file's own sample rate gives the amplitude measures; the same samples,
//! resampled to 16 kHz, give the mel spectrogram (the `logmel` pipeline: `n_fft` 2048, hop 512,
//! 128 bands, `power_to_db` with `ref=1`, `top_db=80`, as `librosa.power_to_db` defaults).
//!
//! | column | what |
//! |---|---|
//! | `path, corpus, speaker, sex` | from the corpus indexer (or manifest) |
//! | `emotion` | the emotion in emovox's shared vocabulary (`fearful`, `surprised`...) |
//! | `corpus_emotion` | the corpus's own word (`fear`, `ps`...) |
//! | `intensity` | RAVDESS emotional intensity (`normal`/`strong`); empty elsewhere |
//! | `label` | the class under the label scheme (`--scheme`); empty: excluded by it |
//! | `duration_s, sample_rate, channels` | of the file |
//! | `max_amplitude, min_amplitude` | largest and smallest sample (signed, full scale = 1) |
//! | `mean_amplitude, mean_abs_amplitude, rms` | mean sample, mean absolute sample, root mean square |
//! | `mel_db_mean, mel_db_std, mel_db_min, mel_db_max` | over every value of the clip's mel spectrogram, dB |
//!
//! # Files
//!
//! [`write_report`] writes `<CORPUS>_analysis.csv` per corpus (`RAVDESS_analysis.csv`,
//! `TESS_analysis.csv`, `SAVEE_analysis.csv`...), `analysis.parquet` (every clip, the same
//! columns), every chart as `.svg` and `.png`, and `index.html`, which inlines the SVG charts and
//! needs no network.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use emovox_audio::{decode_file, DecodeOptions, Decoded};
use emovox_corpora::table::{write_columns, Column};
use emovox_corpora::{Clip, Corpus, Failure, Indexer, Manifest, Scheme, VOCABULARY};
use emovox_features::{Extractor, PipelineConfig};
use emovox_report::{AudioPlot, BarChart, BinnedHistogram, BoxPlot, PieChart, PlotKind};

use crate::batch::{collect_results, run_parallel, BatchOptions};
use crate::{Error, Result};

mod charts;
mod findings;
mod measure;
mod page;
mod tables;

use charts::*;
use findings::*;
use measure::*;
pub use measure::{AnalysisRow, Analyzer, Measures, MEL_HIST_BINS, MEL_HIST_START, MEL_HIST_WIDTH};
pub use page::{write_report, ChartFile, ReportOptions, Written};

pub use tables::csv_name;
use tables::*;

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

impl AnalyzeReport {
    /// What `emovox analyze` prints when done: clips per corpus, time, what was written into
    /// `out`, the failure count, then one line per finding.
    pub fn summary(&self, out: &Path) -> String {
        let corpora: Vec<String> = self
            .per_corpus
            .iter()
            .map(|(c, n)| format!("{n} {c}"))
            .collect();
        let mut s = format!(
            "{} clip(s) analysed ({}) in {:.2} s -> {}: {} CSV, analysis.parquet, {} charts (.svg + .png), index.html; {} failed\n",
            self.clips,
            corpora.join(", "),
            self.elapsed.as_secs_f64(),
            out.display(),
            self.written.csv.len(),
            self.written.charts.len(),
            self.failures.len()
        );
        for f in &self.written.findings {
            s += &format!("  - {f}\n");
        }
        s
    }
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
    Analyzer::new()?;
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
    let rows = collect_results(results, &mut failures);
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
        return Err(Error::Invalid(format!("no clip could be analysed{why}")));
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
    let d = decode_file(file, &DecodeOptions::new()).map_err(|e| Error::from(e).in_file(file))?;
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
        .map_err(|e| Error::from(e).in_file(file))?;
    p.save(out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use emovox_corpora::Claim;

    fn decoded(samples: Vec<f32>, rate: u32) -> Decoded {
        Decoded {
            samples,
            sample_rate: rate,
            channels: 1,
            format: "test".into(),
            truncated: false,
            skipped_packets: 0,
            nonfinite_zeroed: 0,
            start_frame: 0,
        }
    }

    fn clip(name: &str) -> Clip {
        let p = PathBuf::from(format!("/data/{name}.wav"));
        match Corpus::Savee.claim(&p, Path::new("/data")) {
            Claim::Clip(c) => c,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn amplitude_measures_are_exact() {
        let mut a = Analyzer::new().unwrap();
        let y: Vec<f32> = (0..16_000)
            .map(|i| if i % 2 == 0 { 0.5 } else { -0.25 })
            .collect();
        let (m, hist) = a.measure(&decoded(y, 16_000)).unwrap();
        assert_eq!(m.max_amplitude, 0.5);
        assert_eq!(m.min_amplitude, -0.25);
        assert!((m.mean_amplitude - 0.125).abs() < 1e-12);
        assert!((m.mean_abs_amplitude - 0.375).abs() < 1e-12);
        assert!((m.rms - (0.15625f64).sqrt()).abs() < 1e-9);
        assert_eq!(m.duration_s, 1.0);
        assert!(m.mel_db_max - m.mel_db_min <= 80.0 + 1e-3);
        assert_eq!(hist.iter().map(|&c| c as usize).sum::<usize>(), 32 * 128);
        assert!(a.measure(&decoded(vec![], 16_000)).is_err());
    }

    #[test]
    fn report_writes_everything_and_finds_the_loudest_emotion() {
        let mut a = Analyzer::new().unwrap();
        let mut rows = Vec::new();
        for (name, amp) in [
            ("DC_a01", 0.8f32),
            ("DC_a02", 0.7),
            ("DC_sa01", 0.1),
            ("JE_n01", 0.3),
        ] {
            let y: Vec<f32> = (0..8000).map(|i| amp * (i as f32 * 0.07).sin()).collect();
            let (measures, mel_hist) = a.measure(&decoded(y, 16_000)).unwrap();
            rows.push(AnalysisRow {
                clip: clip(name),
                label: (name != "JE_n01").then(|| "x".to_string()),
                measures,
                mel_hist,
            });
        }
        let dir = tempfile::tempdir().unwrap();
        let opts = ReportOptions {
            scheme: "seed4".into(),
            ..Default::default()
        };
        let w = write_report(&rows, &opts, dir.path()).unwrap();
        assert_eq!(w.csv, vec![dir.path().join("SAVEE_analysis.csv")]);
        let csv = std::fs::read_to_string(&w.csv[0]).unwrap();
        assert_eq!(csv.lines().count(), 5);
        assert!(csv.starts_with(&COLUMNS.join(",")));
        assert!(
            w.findings
                .iter()
                .any(|f| f.contains("loudest emotion is angry")),
            "{:?}",
            w.findings
        );
        assert!(
            w.findings.iter().any(|f| f.contains("3 of 4 clips kept")),
            "{:?}",
            w.findings
        );
        let html = std::fs::read_to_string(&w.html).unwrap();
        assert_eq!(html.matches("<svg").count(), w.charts.len());
        assert!(
            !html.contains("http://")
                || html.matches("http://").count() == html.matches("xmlns=\"http://").count()
        );
        for c in &w.charts {
            assert!(dir.path().join(format!("{}.png", c.name)).is_file());
        }
        assert!(write_report(&[], &opts, dir.path()).is_err());
    }
}
