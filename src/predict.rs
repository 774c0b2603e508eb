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
    let results = if same_speaker {
        // Features in parallel, then one normalisation over all that decoded.
        let feats = each_file(&files, opts, &mut failures, |p| rec.features_of_file(p))?;
        let (good, feats): (Vec<PathBuf>, Vec<_>) = feats.into_iter().unzip();
        good.into_iter().zip(rec.predict_speaker(&feats)?).collect()
    } else {
        each_file(&files, opts, &mut failures, |p| rec.predict_file(p))?
    };
    failures.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(PredictReport {
        results,
        failures,
        elapsed: start.elapsed(),
    })
}

/// `f` on every file in parallel: what worked, in file order; each failure (with its reason)
/// added to `failures`.
fn each_file<T: Send>(
    files: &[PathBuf],
    opts: &BatchOptions,
    failures: &mut Vec<Failure>,
    f: impl Fn(&PathBuf) -> crate::Result<T> + Sync + Send,
) -> Result<Vec<(PathBuf, T)>> {
    let out = run_parallel(
        files,
        opts,
        || (),
        |(), path| {
            f(path).map_err(|e| Failure {
                path: path.clone(),
                reason: e.reason(),
            })
        },
        |path| path.as_path(),
    )?;
    let mut ok = Vec::with_capacity(out.len());
    for (path, r) in files.iter().zip(out) {
        match r {
            Ok(v) => ok.push((path.clone(), v)),
            Err(e) => failures.push(e),
        }
    }
    Ok(ok)
}
