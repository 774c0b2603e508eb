//! Evaluation jobs over feature tables: scoring a trained model on a split, speaker-grouped
//! cross-validation and leave-one-corpus-out, and the report (JSON, text, plots) each writes.
//! Training itself is [`crate::train`].

use std::path::{Path, PathBuf};

use emovox_corpora::table::{Row, Table};
use emovox_model::metrics::Metrics;
use emovox_model::{Dataset, EpochStats, Model, Progress, SavedModel, TrainConfig, Trainer};
use emovox_report::{Heatmap, Histogram, LineChart, Series};
use serde::Serialize;

use crate::train::{is_original, load_table, model_config, split_of};
use crate::Result;

/// An evaluation's results, as written to `report.json`.
#[derive(Debug, Serialize)]
pub struct Report {
    /// The model folder.
    pub model: PathBuf,
    /// The table evaluated.
    pub features: PathBuf,
    /// Which split was scored.
    pub split: String,
    /// All examples.
    pub overall: Metrics,
    /// Per corpus.
    pub per_corpus: Vec<(String, Metrics)>,
}

/// Scores the model in `run` on the original (not augmented) rows of `table` in `split`, and
/// writes `report.json`, `report.txt` and plots into `run` (or `out`). With `adapt`, each
/// speaker's clips are predicted together, adapted as the model's policy says
/// ([`SavedModel::adapt_group`]; `emovox predict --adapt`); a speaker-normalised model is always
/// scored that way.
pub fn evaluate(
    run: &Path,
    table_path: &Path,
    split: &str,
    out: Option<&Path>,
    scoring: &Scoring,
) -> Result<Report> {
    let (saved, model) = SavedModel::load(run)?;
    let table = load_table(table_path)?;
    scoring.check(&table)?;
    if table.pipeline != saved.pipeline {
        return Err(invalid!(
            "{} was made with pipeline {} but the model expects {}",
            table_path.display(),
            table.pipeline,
            saved.pipeline
        ));
    }
    let rows: Vec<Row> = table
        .rows
        .iter()
        .filter(|r| split_of(r) == split && scoring.scores(r))
        .cloned()
        .collect();
    if rows.is_empty() {
        let what = scoring.augmented.as_deref().unwrap_or("original");
        return Err(invalid!(
            "no {what} rows with split {split:?} in {} (augmented copies are made of training \
             clips only)",
            table_path.display()
        ));
    }
    let mut data = Dataset::from_rows(&rows, &saved.classes, |_| true)?;
    let pred = score(&saved, &model, &mut data, scoring)?;
    let overall = Metrics::compute(&saved.classes, &data.y, &pred);
    let mut corpora: Vec<String> = data.corpora.clone();
    corpora.sort();
    corpora.dedup();
    let per_corpus = corpora
        .iter()
        .map(|c| {
            let idx: Vec<usize> = (0..data.len()).filter(|&i| &data.corpora[i] == c).collect();
            let t: Vec<usize> = idx.iter().map(|&i| data.y[i]).collect();
            let p: Vec<usize> = idx.iter().map(|&i| pred[i]).collect();
            (c.clone(), Metrics::compute(&saved.classes, &t, &p))
        })
        .collect();
    let report = Report {
        model: run.to_path_buf(),
        features: table_path.to_path_buf(),
        split: split.into(),
        overall,
        per_corpus,
    };
    let dir = out.unwrap_or(run);
    std::fs::create_dir_all(dir)?;
    std::fs::write(
        dir.join("report.json"),
        serde_json::to_string_pretty(&report)?,
    )?;
    std::fs::write(dir.join("report.txt"), text_report(&report))?;
    plots(run, dir, &saved, &model, &report)?;
    Ok(report)
}

/// One fold's result in a cross-validation.
#[derive(Debug, Serialize)]
pub struct FoldResult {
    /// The held-out fold (`fold3`, or the held-out corpus in leave-one-corpus-out).
    pub fold: String,
    /// Its metrics (UAR over the classes the fold has).
    pub metrics: Metrics,
}

/// A cross-validation's results, as written to `cv_report.json`.
#[derive(Debug, Serialize)]
pub struct CvReport {
    /// The model trained in every fold.
    pub model: String,
    /// What was held out in each fold: `speaker-kfold` or `corpus` (leave one corpus out).
    pub held_out: String,
    /// Whether each held-out speaker's clips were predicted together, adapted
    /// ([`SavedModel::adapt_group`]), rather than one at a time.
    pub adapted: bool,
    /// With `adapted`: the size of the groups of a speaker's clips adapted together (`None`:
    /// all of them).
    pub adapt_clips: Option<usize>,
    /// With `adapted`: whether each group was read by the model self-trained on it
    /// ([`Scoring::self_train`]).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub self_trained: bool,
    /// With `adapted`: whether each held-out corpus was adapted as one group
    /// ([`Scoring::by_corpus`]) rather than each speaker.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub by_corpus: bool,
    /// Per fold.
    pub folds: Vec<FoldResult>,
    /// Mean and sample standard deviation over folds of accuracy, UAR and macro-F1.
    pub accuracy: (f64, f64),
    /// UAR mean and std.
    pub uar: (f64, f64),
    /// Macro-F1 mean and std.
    pub macro_f1: (f64, f64),
    /// The fold with the lowest UAR, and that UAR.
    pub worst_fold: (String, f64),
    /// The lowest recall of any class in any fold (over classes the fold has): fold, class,
    /// recall.
    pub min_class_recall: (String, String, f64),
    /// The augmentation chain whose copies of the held-out clips were scored (`None`: the
    /// original clips).
    pub scored_augmented: Option<String>,
    /// The augmentation chains whose copies were trained on (`None`: every copy in the table).
    pub train_augmented: Option<Vec<String>>,
}

/// Speaker-grouped cross-validation over a table split into `fold1`..`foldK` (from `emovox
/// index --split kfold-speaker:K`): for each fold, trains `model` on the other folds (their
/// augmented copies included) into `out/foldN`, scores the fold's original clips, and writes
/// `out/cv_report.json` and `out/cv_report.txt` with mean +- std over folds.
pub fn cross_validate(
    table: &Table,
    model: &str,
    cfg: TrainConfig,
    out: &Path,
    progress: &mut dyn Progress,
    scoring: &Scoring,
) -> Result<CvReport> {
    let mut folds: Vec<String> = table
        .rows
        .iter()
        .map(|r| split_of(r).to_string())
        .filter(|s| s.starts_with("fold"))
        .collect();
    folds.sort_by_key(|f| f[4..].parse::<usize>().unwrap_or(usize::MAX));
    folds.dedup();
    if folds.len() < 2 {
        return Err(invalid!(
            "the table has no fold splits; index with --split kfold-speaker:K"
        ));
    }
    // Train only on the other folds; a held-out fold's augmented copies are never used.
    let held_out = HeldOut {
        what: "speaker-kfold",
        key: split_of,
        trainable: |r| split_of(r).starts_with("fold"),
    };
    run_folds(table, model, cfg, out, progress, &held_out, &folds, scoring)
}

/// The corpus of a row ("" when the table does not say).
fn corpus_of(r: &Row) -> &str {
    r.meta.as_ref().map_or("", |m| m.corpus.as_str())
}

/// Leave one corpus out: for each corpus in `table` (at least two), trains `model` on all the
/// other corpora (every split, augmented copies included; validation holds out whole speakers
/// of those corpora, never the held-out one) into `out/CORPUS`, and scores every original clip
/// of the held-out corpus: UAR over the classes that corpus has, per-class recall, the mean and
/// the worst fold. The honest measure of "works on recordings it never heard": other voices,
/// languages, microphones and rooms. Writes `out/cv_report.json` and `out/cv_report.txt`.
pub fn leave_one_corpus_out(
    table: &Table,
    model: &str,
    cfg: TrainConfig,
    out: &Path,
    progress: &mut dyn Progress,
    scoring: &Scoring,
) -> Result<CvReport> {
    let mut corpora: Vec<String> = table
        .rows
        .iter()
        .filter(|r| r.meta.as_ref().is_some_and(|m| !m.label.is_empty()))
        .map(|r| corpus_of(r).to_string())
        .collect();
    corpora.sort();
    corpora.dedup();
    if corpora.len() < 2 || corpora.iter().any(|c| c.is_empty()) {
        return Err(invalid!(
            "leave-one-corpus-out needs labelled rows of at least two named corpora; the table has \
             {corpora:?} (make it with `emovox index` over several corpora, then `emovox features \
             --manifest`)"
        ));
    }
    let held_out = HeldOut {
        what: "corpus",
        key: corpus_of,
        trainable: |_| true,
    };
    run_folds(
        table, model, cfg, out, progress, &held_out, &corpora, scoring,
    )
}

/// How a cross-validation splits the table: each fold is one value of `key`; it scores the
/// original clips of the rows with that value and trains on the `trainable` rows with another.
struct HeldOut {
    /// What a fold holds out, as reported (`speaker-kfold`, `corpus`).
    what: &'static str,
    key: fn(&Row) -> &str,
    trainable: fn(&Row) -> bool,
}

#[allow(clippy::too_many_arguments)] // the fold plan's inputs, used once each
fn run_folds(
    table: &Table,
    model: &str,
    cfg: TrainConfig,
    out: &Path,
    progress: &mut dyn Progress,
    held_out: &HeldOut,
    folds: &[String],
    scoring: &Scoring,
) -> Result<CvReport> {
    scoring.check(table)?;
    let classes = Dataset::classes_of(&table.rows);
    let mut results = Vec::new();
    for fold in folds {
        let dir = out.join(fold);
        let rows: Vec<Row> = table
            .rows
            .iter()
            .filter(|r| {
                (held_out.trainable)(r) && (held_out.key)(r) != fold && scoring.trains_on(r)
            })
            .cloned()
            .collect();
        if rows.is_empty() {
            return Err(invalid!("{fold}: no rows to train on"));
        }
        eprintln!("{fold}: training on {} rows", rows.len());
        let data = Dataset::from_rows(&rows, &classes, |_| true)?;
        let config = model_config(model, data.columns, classes.len())?;
        Trainer::new(
            &dir,
            config,
            cfg.clone(),
            table.pipeline.clone(),
            classes.clone(),
        )
        .run(&data, false, progress)?;
        let (saved, m) = SavedModel::load(&dir)?;
        let test: Vec<Row> = table
            .rows
            .iter()
            .filter(|r| (held_out.key)(r) == fold && scoring.scores(r))
            .cloned()
            .collect();
        let mut td = Dataset::from_rows(&test, &saved.classes, |_| true)?;
        let pred = score(&saved, &m, &mut td, scoring)?;
        let metrics = Metrics::compute(&saved.classes, &td.y, &pred);
        eprintln!(
            "{fold}: accuracy {:.4}  UAR {:.4}  macro-F1 {:.4}  ({} clips)",
            metrics.accuracy, metrics.uar, metrics.macro_f1, metrics.n
        );
        results.push(FoldResult {
            fold: fold.clone(),
            metrics,
        });
    }
    let stat = |f: fn(&Metrics) -> f64| {
        emovox_model::metrics::mean_std(&results.iter().map(|r| f(&r.metrics)).collect::<Vec<_>>())
    };
    let worst_fold = results
        .iter()
        .map(|r| (r.fold.clone(), r.metrics.uar))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or_default();
    let min_class_recall = results
        .iter()
        .flat_map(|r| {
            r.metrics
                .per_class
                .iter()
                .filter(|c| c.support > 0)
                .map(|c| (r.fold.clone(), c.class.clone(), c.recall))
        })
        .min_by(|a, b| a.2.total_cmp(&b.2))
        .unwrap_or_default();
    let report = CvReport {
        model: model.to_string(),
        held_out: held_out.what.to_string(),
        adapted: scoring.adapt || cfg.speaker_norm,
        adapt_clips: scoring.adapt_clips,
        self_trained: scoring.self_train,
        by_corpus: scoring.by_corpus,
        accuracy: stat(|m| m.accuracy),
        uar: stat(|m| m.uar),
        macro_f1: stat(|m| m.macro_f1),
        folds: results,
        worst_fold,
        min_class_recall,
        scored_augmented: scoring.augmented.clone(),
        train_augmented: scoring.train_augmented.clone(),
    };
    std::fs::create_dir_all(out)?;
    std::fs::write(
        out.join("cv_report.json"),
        serde_json::to_string_pretty(&report)?,
    )?;
    std::fs::write(out.join("cv_report.txt"), cv_text(&report))?;
    Ok(report)
}

/// The human-readable cross-validation summary: per fold, accuracy, UAR, macro-F1 and each
/// class's recall (`-` for a class the fold does not have); mean +- std, the worst fold and the
/// lowest class recall.
pub fn cv_text(r: &CvReport) -> String {
    let what = match r.held_out.as_str() {
        "corpus" => "leave-one-corpus-out",
        _ => "speaker-grouped",
    };
    let mut copies = String::new();
    if let Some(chain) = &r.scored_augmented {
        copies += &format!(", scored through {chain}");
    }
    if let Some(chains) = &r.train_augmented {
        let names = if chains.is_empty() {
            "none".to_string()
        } else {
            chains.join(",")
        };
        copies += &format!(", trained on copies: {names}");
    }
    let unit = if r.by_corpus { "corpus" } else { "speaker" };
    let adapted = match (r.adapted, r.adapt_clips) {
        (true, Some(k)) => format!(", adapted to each held-out {unit} {k} clips at a time"),
        (true, None) => format!(", adapted to each held-out {unit}"),
        (false, _) => ", one clip at a time".to_string(),
    };
    let self_trained = if r.self_trained {
        ", self-trained on each group"
    } else {
        ""
    };
    let mut s = format!(
        "{} {what} cross-validation, {} folds{adapted}{self_trained}{copies}\n\n",
        r.model,
        r.folds.len(),
    );
    let classes: Vec<&str> = r
        .folds
        .first()
        .map(|f| {
            f.metrics
                .per_class
                .iter()
                .map(|c| c.class.as_str())
                .collect()
        })
        .unwrap_or_default();
    s += "fold        clips  accuracy     UAR  macro-F1";
    for c in &classes {
        s += &format!(" {:>10}", truncate(c, 10));
    }
    s += "\n";
    for f in &r.folds {
        s += &format!(
            "{:<10} {:>6}  {:>8.4} {:>7.4} {:>9.4}",
            f.fold, f.metrics.n, f.metrics.accuracy, f.metrics.uar, f.metrics.macro_f1
        );
        for c in &f.metrics.per_class {
            if c.support > 0 {
                s += &format!(" {:>10.3}", c.recall);
            } else {
                s += &format!(" {:>10}", "-");
            }
        }
        s += "\n";
    }
    s += &format!(
        "\nmean +- std: accuracy {:.4} +- {:.4}   UAR {:.4} +- {:.4}   macro-F1 {:.4} +- {:.4}\n",
        r.accuracy.0, r.accuracy.1, r.uar.0, r.uar.1, r.macro_f1.0, r.macro_f1.1
    );
    s += &format!(
        "worst fold: {} (UAR {:.4}); lowest class recall: {} in {} ({:.3})\n",
        r.worst_fold.0,
        r.worst_fold.1,
        r.min_class_recall.1,
        r.min_class_recall.0,
        r.min_class_recall.2
    );
    s
}

fn truncate(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// A speaker-normalised model ([`SavedModel::speaker_norm`]) reads each test speaker's clips
/// standardised over that speaker's own (unlabelled) clips in the table, as in training.
/// How held-out clips are read when they are scored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scoring {
    /// Each speaker's clips together, adapted without labels as the model's policy says
    /// ([`SavedModel::adapt_group`], `emovox predict --adapt`). Default false: one clip at a
    /// time (a speaker-normalised model is always scored adapted).
    pub adapt: bool,
    /// With `adapt`: adapt each speaker's clips in random groups of this many (how a model does
    /// after a speaker's first few recordings). Default `None`: all of them at once.
    pub adapt_clips: Option<usize>,
    /// With `adapt`: each group's clips are also read by the model self-trained on them
    /// ([`SavedModel::self_trained`], `emovox predict --adapt --self-train`). Default false.
    pub self_train: bool,
    /// With `adapt`: adapt all of a corpus's clips together (one recording set-up) instead of
    /// each speaker's. Default false: each speaker's.
    pub by_corpus: bool,
    /// Score the held-out clips' augmented copies made by this chain (as the table's `augment`
    /// column names it, e.g. `telephone`) instead of their originals: how a model does on
    /// recordings through that channel. Default `None`: the original clips.
    pub augmented: Option<String>,
    /// In cross-validation, train on the original clips and only the augmented copies made by
    /// these chains (empty: the originals alone). Default `None`: every copy in the table.
    pub train_augmented: Option<Vec<String>>,
}

impl Scoring {
    /// Whether `r` is a held-out row this scoring reads: an original clip, or with
    /// [`augmented`](Self::augmented) that chain's copy.
    fn scores(&self, r: &Row) -> bool {
        match &self.augmented {
            None => is_original(r),
            Some(chain) => r.meta.as_ref().is_some_and(|m| &m.augment == chain),
        }
    }

    /// Whether a training fold may use `r`: an original clip, or a copy
    /// [`train_augmented`](Self::train_augmented) allows.
    fn trains_on(&self, r: &Row) -> bool {
        match (&self.train_augmented, &r.meta) {
            (None, _) | (_, None) => true,
            (Some(chains), Some(m)) => m.augment.is_empty() || chains.contains(&m.augment),
        }
    }

    /// An error when a chain this scoring names has no rows in `table` (a typo, or a table made
    /// without that `--augment`).
    fn check(&self, table: &Table) -> Result<()> {
        let mut have: Vec<&str> = table
            .rows
            .iter()
            .filter_map(|r| r.meta.as_ref().map(|m| m.augment.as_str()))
            .filter(|a| !a.is_empty())
            .collect();
        have.sort_unstable();
        have.dedup();
        let named = self
            .augmented
            .iter()
            .chain(self.train_augmented.iter().flatten());
        for chain in named {
            if !have.contains(&chain.as_str()) {
                return Err(invalid!(
                    "the table has no copies augmented with {chain:?} (it has {have:?}); make \
                     them with `emovox features --manifest ... --augment CHAIN`"
                ));
            }
        }
        Ok(())
    }
}

/// Predicted classes of `data`'s clips as `scoring` reads them: each speaker's clips together,
/// as `emovox predict --adapt` would give them, for a speaker-normalised model always (it was
/// trained on speakers standardised this way) and for any other when `scoring` asks for it,
/// then with [`Scoring::self_train`] each group read by the model self-trained on it.
fn score(
    saved: &SavedModel,
    model: &Model,
    data: &mut Dataset,
    scoring: &Scoring,
) -> Result<Vec<usize>> {
    if !(saved.speaker_norm() || scoring.adapt) {
        return predict_all(saved, model, data);
    }
    if scoring.by_corpus {
        data.groups.clone_from(&data.corpora);
    }
    saved.adapt_speakers(data, scoring.adapt_clips);
    if !scoring.self_train {
        return predict_all(saved, model, data);
    }
    let mut pred = vec![0; data.len()];
    for idx in emovox_model::data::groups_of(data, scoring.adapt_clips) {
        let x = data.values(&idx);
        let refit = saved.self_trained(model, &x)?;
        for (k, p) in saved
            .predict(refit.as_ref().unwrap_or(model), &x, idx.len())?
            .iter()
            .enumerate()
        {
            pred[idx[k]] = argmax(p);
        }
    }
    Ok(pred)
}

fn argmax(p: &[f32]) -> usize {
    p.iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |(i, _)| i)
}

fn predict_all(saved: &SavedModel, model: &Model, data: &Dataset) -> Result<Vec<usize>> {
    let stride = data.frames * data.columns;
    let mut pred = Vec::with_capacity(data.len());
    for chunk in (0..data.len()).collect::<Vec<_>>().chunks(256) {
        let x: Vec<f32> = chunk
            .iter()
            .flat_map(|&i| data.x[i * stride..(i + 1) * stride].iter().copied())
            .collect();
        for p in saved.predict(model, &x, chunk.len())? {
            pred.push(argmax(&p));
        }
    }
    Ok(pred)
}

/// The human-readable report: headline numbers, sklearn's classification report, the
/// confusion matrix, and per-corpus numbers.
pub fn text_report(r: &Report) -> String {
    let m = &r.overall;
    let mut s = format!(
        "model {}\nfeatures {} (split {:?}, {} clips)\n\naccuracy {:.4}   balanced accuracy (UAR) {:.4}   macro-F1 {:.4}\n\n",
        r.model.display(),
        r.features.display(),
        r.split,
        m.n,
        m.accuracy,
        m.uar,
        m.macro_f1
    );
    s += &m.classification_report();
    s += "\nconfusion matrix (rows: true, columns: predicted)\n";
    let names: Vec<&str> = m.per_class.iter().map(|c| c.class.as_str()).collect();
    let w = names.iter().map(|n| n.len()).max().unwrap_or(4).max(5);
    s += &format!("{:>w$}", "");
    for n in &names {
        s += &format!(" {n:>w$}");
    }
    s += "\n";
    for (row, n) in m.confusion.iter().zip(&names) {
        s += &format!("{n:>w$}");
        for v in row {
            s += &format!(" {v:>w$}");
        }
        s += "\n";
    }
    if r.per_corpus.len() > 1 {
        s += "\nper corpus\n";
        for (c, m) in &r.per_corpus {
            s += &format!(
                "  {c:<10} {:>5} clips  accuracy {:.4}  UAR {:.4}  macro-F1 {:.4}\n",
                m.n, m.accuracy, m.uar, m.macro_f1
            );
        }
    }
    s
}

fn plots(run: &Path, dir: &Path, saved: &SavedModel, model: &Model, report: &Report) -> Result<()> {
    let m = &report.overall;
    let heat = Heatmap {
        title: format!(
            "Confusion matrix ({} clips, accuracy {:.1} %)",
            m.n,
            100.0 * m.accuracy
        ),
        y_label: "true".into(),
        x_label: "predicted".into(),
        rows: saved.classes.clone(),
        columns: saved.classes.clone(),
        values: m
            .confusion
            .iter()
            .map(|row| {
                let t: usize = row.iter().sum();
                row.iter()
                    .map(|&v| if t == 0 { 0.0 } else { v as f64 / t as f64 })
                    .collect()
            })
            .collect(),
        text: m
            .confusion
            .iter()
            .map(|row| row.iter().map(|v| v.to_string()).collect())
            .collect(),
    };
    let history = emovox_model::train::read_history(&run.join("history.csv")).unwrap_or_default();
    let curve =
        |title: &str, y: &str, f: fn(&EpochStats) -> f64, g: fn(&EpochStats) -> f64| LineChart {
            title: title.into(),
            x_label: "epoch".into(),
            y_label: y.into(),
            series: vec![
                Series {
                    name: "train".into(),
                    points: history.iter().map(|h| (h.epoch as f64, f(h))).collect(),
                },
                Series {
                    name: "validation".into(),
                    points: history
                        .iter()
                        .filter(|h| g(h).is_finite())
                        .map(|h| (h.epoch as f64, g(h)))
                        .collect(),
                },
            ],
        };
    let weights = first_layer_weights(model);
    let hist = Histogram {
        title: match model {
            Model::Svm(_) => "Support-vector coefficients (alpha * y)".into(),
            Model::Logistic(_) => "Logistic regression weights".into(),
            _ => "First layer weights".into(),
        },
        x_label: "weight".into(),
        values: weights,
        bins: 60,
    };
    for ext in ["png", "svg"] {
        heat.save(&dir.join(format!("confusion.{ext}")))?;
        if !history.is_empty() {
            curve("Loss", "loss", |h| h.loss, |h| h.val_loss)
                .save(&dir.join(format!("loss.{ext}")))?;
            curve("Accuracy", "accuracy", |h| h.accuracy, |h| h.val_accuracy)
                .save(&dir.join(format!("accuracy.{ext}")))?;
        }
        hist.save(&dir.join(format!("weights.{ext}")))?;
    }
    Ok(())
}

/// The first layer's input weights, flattened.
fn first_layer_weights(model: &Model) -> Vec<f64> {
    model
        .first_layer_weights()
        .into_iter()
        .map(f64::from)
        .collect()
}
