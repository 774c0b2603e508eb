//! Batch prediction: every audio file under the paths a user gives, in parallel, bad files
//! reported with their reason while the rest go on.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::batch::{collect_files, run_parallel, BatchOptions, Failure};
use crate::recognizer::{Prediction, Recognizer};

/// The outcome of [`predict_paths`].
#[derive(Debug, Default)]
pub struct PredictReport {
    /// Each file that worked with its prediction, in path order.
    pub results: Vec<(PathBuf, Prediction)>,
    /// Files that failed, in path order.
    pub failures: Vec<Failure>,
    /// Wall time.
    pub elapsed: Duration,
}

/// Predicts every audio file under `inputs` (files, or folders walked recursively). With
/// `same_speaker`, the files are taken to be one speaker's: a speaker-normalised model
/// standardises them together ([`Recognizer::predict_speaker`]); otherwise each file alone.
pub fn predict_paths(
    rec: &Recognizer,
    inputs: &[PathBuf],
    opts: &BatchOptions,
    same_speaker: bool,
) -> Result<PredictReport> {
    let start = Instant::now();
    let (files, mut failures) = collect_files(inputs);
    if same_speaker {
        return predict_one_speaker(rec, files, failures, opts, start);
    }
    let out = run_parallel(
        &files,
        opts,
        || (),
        |(), path| {
            rec.predict_file(path).map_err(|e| Failure {
                path: path.clone(),
                reason: e.reason(),
            })
        },
    )?;
    let mut results = Vec::with_capacity(out.len());
    for (path, r) in files.into_iter().zip(out) {
        match r {
            Ok(p) => results.push((path, p)),
            Err(f) => failures.push(f),
        }
    }
    failures.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(PredictReport {
        results,
        failures,
        elapsed: start.elapsed(),
    })
}

/// [`predict_paths`] for one speaker's files: features in parallel, then one normalisation
/// over all that decoded.
fn predict_one_speaker(
    rec: &Recognizer,
    files: Vec<PathBuf>,
    mut failures: Vec<Failure>,
    opts: &BatchOptions,
    start: Instant,
) -> Result<PredictReport> {
    let out = run_parallel(
        &files,
        opts,
        || (),
        |(), path| {
            rec.features_of_file(path).map_err(|e| Failure {
                path: path.clone(),
                reason: e.reason(),
            })
        },
    )?;
    let (mut good, mut feats) = (Vec::new(), Vec::new());
    for (path, r) in files.into_iter().zip(out) {
        match r {
            Ok(f) => {
                good.push(path);
                feats.push(f);
            }
            Err(f) => failures.push(f),
        }
    }
    let preds = rec.predict_speaker(&feats)?;
    failures.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(PredictReport {
        results: good.into_iter().zip(preds).collect(),
        failures,
        elapsed: start.elapsed(),
    })
}
