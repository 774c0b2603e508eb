//! Batch prediction: every audio file under the paths a user gives, in parallel, bad files
//! reported with their reason while the rest go on; and the writers of its output (a table,
//! CSV, JSON Lines of [`PredictionRecord`]s), which the `emovox predict` command calls.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::batch::{collect_files, run_parallel, BatchOptions, Failure};
use crate::recognizer::{Prediction, PredictionRecord, Recognizer};
use crate::Result;

/// The outcome of [`predict_paths`].
#[derive(Debug, Default)]
pub struct PredictReport {
    /// One record per file, in path order: its prediction, or why it failed. Paths that could
    /// not be listed (a missing folder) come last.
    pub records: Vec<PredictionRecord>,
    /// Wall time.
    pub elapsed: Duration,
}

impl PredictReport {
    /// The files that were predicted, with their predictions, in path order.
    pub fn predictions(&self) -> impl Iterator<Item = (&str, &Prediction)> {
        self.records.iter().filter_map(|r| {
            let p = r.prediction.as_ref()?;
            Some((r.file.as_deref().unwrap_or(""), p))
        })
    }

    /// What `emovox predict` prints on standard error when done (how many were predicted, in
    /// what time, how many failed); `None` for a single file predicted.
    pub fn summary(&self) -> Option<String> {
        let failed = self.records.iter().filter(|r| r.error.is_some()).count();
        let predicted = self.records.len() - failed;
        (predicted > 1 || failed > 0).then(|| {
            format!(
                "{predicted} file(s) predicted in {:.2} s; {failed} failed",
                self.elapsed.as_secs_f64()
            )
        })
    }

    /// The files that failed, with their reasons, in path order.
    pub fn failures(&self) -> Vec<Failure> {
        self.records
            .iter()
            .filter_map(|r| {
                Some(Failure {
                    path: PathBuf::from(r.file.as_deref().unwrap_or("")),
                    reason: r.error.clone()?,
                })
            })
            .collect()
    }
}

/// Predicts every audio file under `inputs` (files, or folders walked recursively). With
/// `same_speaker`, the files are taken to be one speaker's (or one recording set-up's), and
/// predicted together, adapted to them as the model's policy says
/// ([`Recognizer::predict_speaker_each`]), and with `self_train` read by the model
/// self-trained on them ([`Recognizer::predict_self_trained`]); otherwise each file alone.
pub fn predict_paths(
    rec: &Recognizer,
    inputs: &[PathBuf],
    opts: &BatchOptions,
    same_speaker: bool,
    self_train: bool,
) -> Result<PredictReport> {
    let start = Instant::now();
    let (files, unlisted) = collect_files(inputs);
    let results = if same_speaker {
        // Features in parallel, then one adaptation over all that worked.
        let feats = each_file(&files, opts, |p| rec.features_of_file(p))?;
        rec.predict_speaker_each_with(feats, self_train)
    } else {
        each_file(&files, opts, |p| rec.predict_file(p))?
    };
    let name = |p: &PathBuf| Some(p.display().to_string());
    let mut records: Vec<PredictionRecord> = files
        .iter()
        .zip(results)
        .map(|(path, r)| PredictionRecord::new(name(path), r))
        .collect();
    records.extend(
        unlisted
            .into_iter()
            .map(|f| PredictionRecord::failed(name(&f.path), f.reason, false)),
    );
    Ok(PredictReport {
        records,
        elapsed: start.elapsed(),
    })
}

/// `f` on every file in parallel, each result in file order. (The recognizer's calls are
/// their own panic firewalls; a panic caught by the batch runner instead keeps the runner's
/// message, which already says so.)
fn each_file<T: Send>(
    files: &[PathBuf],
    opts: &BatchOptions,
    f: impl Fn(&PathBuf) -> Result<T> + Sync + Send,
) -> Result<Vec<Result<T>>> {
    let out = run_parallel(files, opts, || (), |(), path| Ok(f(path)), |p| p.as_path())?;
    Ok(out
        .into_iter()
        .map(|r| r.unwrap_or_else(|fail| Err(std::io::Error::other(fail.reason).into())))
        .collect())
}

/// How [`write`](fn@write) lays out predictions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Aligned columns for a terminal: emotion, confidence, each class's probability, file.
    Table,
    /// CSV (RFC 4180 quoting, through the `csv` crate): `file,label,confidence,<classes...>`.
    Csv,
    /// JSON Lines: one [`PredictionRecord`] per file, failures included, in their place.
    JsonLines,
}

/// Writes `report`'s predictions for a model with `classes` as `output`. The table and CSV
/// hold the predicted files only (the failures are for the caller to report); JSON Lines holds
/// every record.
pub fn write(
    out: &mut impl Write,
    report: &PredictReport,
    classes: &[String],
    output: Output,
) -> std::io::Result<()> {
    use std::io::Error as IoError;
    match output {
        Output::JsonLines => {
            for r in &report.records {
                serde_json::to_writer(&mut *out, r).map_err(IoError::from)?;
                writeln!(out)?;
            }
        }
        Output::Csv => {
            let mut w = csv::Writer::from_writer(&mut *out);
            let mut header = vec!["file", "label", "confidence"];
            header.extend(classes.iter().map(String::as_str));
            w.write_record(&header).map_err(IoError::from)?;
            for (file, p) in report.predictions() {
                let mut row = vec![
                    file.to_string(),
                    p.label.clone(),
                    format!("{:.6}", p.confidence),
                ];
                row.extend(p.scores.iter().map(|s| format!("{:.6}", s.probability)));
                w.write_record(&row).map_err(IoError::from)?;
            }
            w.flush()?;
        }
        Output::Table => {
            write!(out, "{:<12} {:>5} ", "emotion", "conf")?;
            for c in classes {
                write!(out, " {:>w$}", c, w = c.len().max(5))?;
            }
            writeln!(out, "  file")?;
            for (file, p) in report.predictions() {
                write!(out, "{:<12} {:>5.2} ", p.label, p.confidence)?;
                for (c, s) in classes.iter().zip(&p.scores) {
                    write!(out, " {:>w$.2}", s.probability, w = c.len().max(5))?;
                }
                writeln!(out, "  {file}")?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recognizer::ClassScore;

    fn report() -> (PredictReport, Vec<String>) {
        let classes = vec!["happy".to_string(), "sad".to_string()];
        let p = Prediction {
            label: "sad".into(),
            confidence: 0.75,
            scores: vec![
                ClassScore {
                    label: "happy".into(),
                    probability: 0.25,
                },
                ClassScore {
                    label: "sad".into(),
                    probability: 0.75,
                },
            ],
        };
        let records = vec![
            PredictionRecord::new(Some("a, \"b\"\r.wav".into()), Ok(p)),
            PredictionRecord::failed(Some("c.wav".into()), "no speech".into(), true),
        ];
        let report = PredictReport {
            records,
            elapsed: Duration::ZERO,
        };
        (report, classes)
    }

    fn written(output: Output) -> String {
        let (r, classes) = report();
        let mut out = Vec::new();
        write(&mut out, &r, &classes, output).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn csv_quotes_commas_quotes_and_carriage_returns() {
        assert_eq!(
            written(Output::Csv),
            "file,label,confidence,happy,sad\n\"a, \"\"b\"\"\r.wav\",sad,0.750000,0.250000,0.750000\n"
        );
    }

    #[test]
    fn json_lines_hold_every_record_in_place() {
        let s = written(Output::JsonLines);
        let lines: Vec<serde_json::Value> = s
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["label"], "sad");
        assert_eq!(lines[0]["scores"][1]["probability"], 0.75);
        assert!(lines[0].get("error").is_none() && lines[0].get("no_speech").is_none());
        assert_eq!(lines[1]["file"], "c.wav");
        assert_eq!(lines[1]["error"], "no speech");
        assert_eq!(lines[1]["no_speech"], true);
        assert!(lines[1].get("label").is_none());
    }

    #[test]
    fn table_lists_the_predicted_files_only() {
        let s = written(Output::Table);
        assert_eq!(s.lines().count(), 2, "{s}");
        assert!(s.lines().nth(1).unwrap().starts_with("sad"), "{s}");
    }
}
