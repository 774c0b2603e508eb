//! Batch jobs over many files: find the audio under the paths a user gives, run a pipeline over
//! every file in parallel, and keep going past bad files, reporting each with its reason.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use emovox_audio::augment::{Augmenter, Chain};
use emovox_audio::decode_file;
use emovox_corpora::table::{Format, Row, RowMeta};
use emovox_corpora::Manifest;
use emovox_features::{Extractor, Features, PipelineConfig};
use indicatif::{ProgressBar, ProgressStyle};
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use rayon::prelude::*;

use crate::Result;

pub use emovox_corpora::files::{collect_files, Failure, AUDIO_EXTENSIONS};

/// How to run a batch.
#[derive(Debug, Clone, Default)]
pub struct BatchOptions {
    /// Worker threads. Default: `None`, one per core.
    pub jobs: Option<usize>,
    /// Show a progress bar on standard error. Default: `false`.
    pub progress: bool,
}

/// The outcome of [`extract`] and [`extract_manifest`].
#[derive(Debug, Default)]
pub struct BatchReport {
    /// One row per file that worked (and per augmented copy), in path order.
    pub rows: Vec<Row>,
    /// Files that failed, in path order.
    pub failures: Vec<Failure>,
    /// Files attempted (those that worked and those that failed).
    pub clips: usize,
    /// Clips skipped because the manifest's scheme excludes them (no label).
    pub excluded: usize,
    /// Augmented copies left out because the speech detector found no speech in them (their
    /// clips are kept).
    pub speechless_copies: usize,
    /// Wall time of the extraction.
    pub elapsed: Duration,
}

impl BatchReport {
    /// What the extraction did, for people: clips and rows, where they went (`dest`, in
    /// `format`, with `pipeline`'s shape), speed and failures; for a manifest's extraction,
    /// rows per split and augmentation and the clips the scheme excluded.
    pub fn summary(&self, dest: &Path, format: Format, pipeline: &PipelineConfig) -> String {
        let shape = self.rows.first().map(|r| r.features.shape());
        let secs = self.elapsed.as_secs_f64();
        let mut s = format!(
            "{} clip(s) -> {} row(s) in {} ({:?}, pipeline {pipeline}, shape {}) in {secs:.2} s ({:.0} files/s); {} failed\n",
            self.clips,
            self.rows.len(),
            dest.display(),
            format,
            shape.map_or("-".into(), |s| format!("{}x{}", s[0], s[1])),
            self.clips as f64 / secs.max(1e-9),
            self.failures.len()
        );
        let mut by: std::collections::BTreeMap<(String, String), usize> = Default::default();
        for m in self.rows.iter().filter_map(|r| r.meta.as_ref()) {
            let aug = if m.augment.is_empty() {
                "original".to_string()
            } else {
                m.augment.clone()
            };
            *by.entry((m.split.clone(), aug)).or_default() += 1;
        }
        for ((split, aug), n) in by {
            let split = if split.is_empty() { "-" } else { &split };
            s.push_str(&format!("  {split:<8} {aug:<24} {n:>6} rows\n"));
        }
        if self.speechless_copies > 0 {
            s.push_str(&format!(
                "  {} augmented cop{} left out: no speech found in {} (the clips are kept)\n",
                self.speechless_copies,
                if self.speechless_copies == 1 {
                    "y"
                } else {
                    "ies"
                },
                if self.speechless_copies == 1 {
                    "it"
                } else {
                    "them"
                },
            ));
        }
        if self.excluded > 0 {
            s.push_str(&format!(
                "  {} clip(s) skipped: excluded by the manifest's label scheme\n",
                self.excluded
            ));
        }
        s
    }
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
        meta: None,
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

/// Runs `f` on a pool of `jobs` threads (rayon's global pool, one thread per core, when
/// `None`), so that its parallel work uses that many.
pub fn with_threads<T: Send>(jobs: Option<usize>, f: impl FnOnce() -> T + Send) -> Result<T> {
    Ok(match jobs {
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build()
            .map_err(std::io::Error::other)?
            .install(f),
        None => f(),
    })
}

/// Runs `work` over `items` in parallel on `jobs` threads (all cores by default), with one
/// `init()` state per worker, ticking the progress bar.
///
/// Each item is a firewall: a panic inside `work` (in a decoder, resampler or model we do not
/// control) becomes that item's [`Failure`] (naming the file `path_of` gives, worded as
/// [`crate::Error::Panicked`] words it), that worker's state is planned afresh (it may have been
/// left half-updated), and the batch goes on.
pub(crate) fn run_parallel<T: Sync, S, U: Send>(
    items: &[T],
    opts: &BatchOptions,
    init: impl Fn() -> S + Sync + Send,
    work: impl Fn(&mut S, &T) -> std::result::Result<U, Failure> + Sync + Send,
    path_of: impl Fn(&T) -> &Path + Sync + Send,
) -> Result<Vec<std::result::Result<U, Failure>>> {
    let pb = progress_bar(items.len(), opts.progress);
    let run = || -> Vec<std::result::Result<U, Failure>> {
        items
            .par_iter()
            .map_init(&init, |state, item| {
                let r = match emovox_audio::guard::catch_panic(|| work(state, item)) {
                    Ok(r) => r,
                    Err(msg) => {
                        *state = init();
                        Err(Failure {
                            path: path_of(item).to_path_buf(),
                            reason: crate::Error::Panicked(msg).to_string(),
                        })
                    }
                };
                pb.inc(1);
                r
            })
            .collect()
    };
    let results = with_threads(opts.jobs, run)?;
    pb.finish_and_clear();
    Ok(results)
}

/// The successes of a batch, in order; its failures are added to `failures`, which ends
/// sorted by path.
pub(crate) fn collect_results<U>(
    results: Vec<std::result::Result<U, Failure>>,
    failures: &mut Vec<Failure>,
) -> Vec<U> {
    let mut ok = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Ok(u) => ok.push(u),
            Err(f) => failures.push(f),
        }
    }
    failures.sort_by(|a, b| a.path.cmp(&b.path));
    ok
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
    Extractor::new(pipeline.clone())?;
    let results = run_parallel(
        &files,
        opts,
        || Extractor::new(pipeline.clone()),
        |ex, path| {
            let r = match ex {
                Ok(ex) => extract_file(path, ex),
                Err(e) => Err(e.to_string()),
            };
            r.map_err(|reason| Failure {
                path: path.clone(),
                reason,
            })
        },
        |path| path.as_path(),
    )?;
    let rows = collect_results(results, &mut failures);
    tracing::info!(
        files = files.len(),
        ok = rows.len(),
        failed = failures.len(),
        "extraction done"
    );
    Ok(BatchReport {
        clips: rows.len() + failures.len(),
        rows,
        failures,
        excluded: 0,
        speechless_copies: 0,
        elapsed: start.elapsed(),
    })
}

/// A stable 64-bit FNV-1a hash, to derive each clip's random stream from its path (the same on
/// every run, platform and thread schedule).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Extracts the features of every labelled clip in `manifest`, with its labels and split, plus
/// one augmented copy per chain in `augment` for every clip not in the `test` split (so no
/// augmented copy of a test clip exists; in k-fold manifests every fold is augmented and
/// training on the other folds must skip the held-out fold's augmented rows). Augmentation is
/// applied after cropping and resampling, before the feature math, as the original did; each
/// clip's noise comes from a stream seeded by `seed` and its path, so runs are reproducible.
/// A copy in which a trimming pipeline finds no speech is left out (counted in
/// [`BatchReport::speechless_copies`]); its clip is kept.
pub fn extract_manifest(
    manifest: &Manifest,
    pipeline: &PipelineConfig,
    augment: &[Chain],
    seed: u64,
    opts: &BatchOptions,
) -> Result<BatchReport> {
    let start = Instant::now();
    Extractor::new(pipeline.clone())?;
    let entries: Vec<_> = manifest
        .entries
        .iter()
        .filter(|e| e.label.is_some())
        .collect();
    let excluded = manifest.entries.len() - entries.len();
    let init = || -> Result<(Extractor, Augmenter, Vec<f32>), String> {
        let ex = Extractor::new(pipeline.clone()).map_err(|e| e.to_string())?;
        let aug = Augmenter::new().map_err(|e| e.to_string())?;
        Ok((ex, aug, Vec::new()))
    };
    let results = run_parallel(
        &entries,
        opts,
        init,
        |state, entry| -> Result<(Vec<Row>, usize), Failure> {
            let path = &entry.clip.path;
            let fail = |reason: String| Failure {
                path: path.clone(),
                reason,
            };
            let (ex, aug, y) = state.as_mut().map_err(|e| fail(e.clone()))?;
            let clip = decode_file(path, &ex.decode_options())
                .map_err(|e| fail(e.reason().to_string()))?;
            ex.prepare_decoded(&clip, y)
                .map_err(|e| fail(e.to_string()))?;
            let meta = RowMeta {
                corpus: entry.clip.corpus.to_string(),
                speaker: entry.clip.speaker.clone().unwrap_or_default(),
                emotion: entry.clip.emotion.clone(),
                label: entry.label.clone().unwrap_or_default(),
                split: entry.split.clone().unwrap_or_default(),
                augment: String::new(),
            };
            let mut features = Features::default();
            ex.process_prepared(y, &mut features)
                .map_err(|e| fail(e.to_string()))?;
            let mut rows = vec![Row {
                path: path.clone(),
                meta: Some(meta.clone()),
                features,
            }];
            let mut speechless = 0;
            if entry.split.as_deref() != Some("test") {
                let sr = ex.config().sample_rate;
                let key = fnv1a(path.to_string_lossy().as_bytes());
                for (i, chain) in augment.iter().enumerate() {
                    let mut rng = ChaCha8Rng::seed_from_u64(
                        seed ^ key ^ (i as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15),
                    );
                    let copy = aug
                        .apply(chain, y, sr, &mut rng)
                        .map_err(|e| fail(format!("augmenting ({chain}): {e}")))?;
                    let mut features = Features::default();
                    match ex.process_prepared(&copy, &mut features) {
                        Ok(()) => {}
                        // A copy in which the detector finds no speech (a quieter or
                        // band-limited copy of a quiet clip) is left out; its clip is kept.
                        Err(emovox_features::Error::NoSpeech { .. }) => {
                            speechless += 1;
                            continue;
                        }
                        Err(e) => return Err(fail(e.to_string())),
                    }
                    let meta = RowMeta {
                        augment: chain.to_string(),
                        ..meta.clone()
                    };
                    rows.push(Row {
                        path: path.clone(),
                        meta: Some(meta),
                        features,
                    });
                }
            }
            Ok((rows, speechless))
        },
        |entry| entry.clip.path.as_path(),
    )?;
    let (mut rows, mut failures, mut speechless) = (Vec::new(), Vec::new(), 0);
    for r in results {
        match r {
            Ok((r, n)) => {
                rows.extend(r);
                speechless += n;
            }
            Err(f) => failures.push(f),
        }
    }
    tracing::info!(
        clips = entries.len(),
        rows = rows.len(),
        failed = failures.len(),
        "manifest extraction done"
    );
    Ok(BatchReport {
        clips: entries.len(),
        rows,
        failures,
        excluded,
        speechless_copies: speechless,
        elapsed: start.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_is_stable() {
        // Known FNV-1a 64 values: the seeds of every clip's noise must never change.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    /// Issue 15: a panic in one item's work (rubato's, in a rayon worker) took the whole batch
    /// down with exit 101. Now it is that item's failure, the rest are done, and the worker's
    /// state is planned afresh.
    #[test]
    fn r15_a_panicking_item_fails_alone() {
        let items: Vec<PathBuf> = (0..40).map(|i| PathBuf::from(format!("{i}.wav"))).collect();
        let inits = std::sync::atomic::AtomicUsize::new(0);
        let out = run_parallel(
            &items,
            &BatchOptions {
                jobs: Some(2),
                progress: false,
            },
            || inits.fetch_add(1, std::sync::atomic::Ordering::SeqCst),
            |_, p| {
                if p == Path::new("7.wav") {
                    panic!("Imaginary part of first value was non-zero");
                }
                Ok(p.clone())
            },
            |p| p.as_path(),
        )
        .unwrap();
        assert_eq!(out.len(), 40);
        let failed: Vec<_> = out.iter().filter_map(|r| r.as_ref().err()).collect();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].path, Path::new("7.wav"));
        assert!(
            failed[0].reason.contains("Imaginary part"),
            "{}",
            failed[0].reason
        );
        assert!(out[8].is_ok() && out[39].is_ok());
    }

    #[test]
    fn missing_inputs_are_failures_not_errors() {
        let (files, failures) = collect_files(&[PathBuf::from("/definitely/not/here.wav")]);
        assert!(files.is_empty());
        assert_eq!(failures.len(), 1);
        assert!(failures[0].path.ends_with("here.wav"));
    }
}
