//! Training over feature tables: which rows train (a table's splits, their augmented copies
//! included), the model config for them, and [`train`], which `emovox train` runs.

use std::path::Path;

use emovox_corpora::table::{read_parquet, Row, Table};
use emovox_model::{Dataset, EpochStats, ModelConfig, Progress, TrainConfig, Trainer};

use crate::Result;

/// Reads a feature table made with `emovox features --manifest` (it must carry labels).
pub fn load_table(path: &Path) -> Result<Table> {
    let t = read_parquet(path)?;
    if t.rows.iter().all(|r| r.meta.is_none()) {
        return Err(invalid!(
            "{}: this table has no labels; make it with `emovox features --manifest`",
            path.display()
        ));
    }
    Ok(t)
}

pub(crate) fn split_of(r: &Row) -> &str {
    r.meta.as_ref().map_or("", |m| m.split.as_str())
}

pub(crate) fn is_original(r: &Row) -> bool {
    r.meta.as_ref().is_some_and(|m| m.augment.is_empty())
}

/// The rows of `table` in `train_splits` (augmented copies included) as a dataset over
/// `classes`, and the named model's config for it.
fn training_data(
    table: &Table,
    train_splits: &[String],
    classes: &[String],
    model: &str,
) -> Result<(Dataset, ModelConfig)> {
    let rows: Vec<Row> = table
        .rows
        .iter()
        .filter(|r| train_splits.iter().any(|s| s == split_of(r)))
        .cloned()
        .collect();
    if rows.is_empty() {
        return Err(invalid!("no rows with split {train_splits:?} in the table"));
    }
    let data = Dataset::from_rows(&rows, classes, |_| true)?;
    let config = model_config(model, data.columns, classes.len())?;
    Ok((data, config))
}

/// Trains `model` on the rows of `table` whose split is in `train_splits` (all their augmented
/// copies included) into `out`.
pub fn train(
    table: &Table,
    model: &str,
    train_splits: &[String],
    cfg: TrainConfig,
    out: &Path,
    resume: bool,
    progress: &mut dyn Progress,
) -> Result<Vec<EpochStats>> {
    let classes = Dataset::classes_of(&table.rows);
    let (data, config) = training_data(table, train_splits, &classes, model)?;
    tracing::info!(
        examples = data.len(),
        classes = classes.len(),
        "training {model}"
    );
    let trainer = Trainer::new(out, config, cfg, table.pipeline.clone(), classes);
    Ok(trainer.run(&data, resume, progress)?)
}

/// The named model's config for `columns` features and `classes` classes.
pub(crate) fn model_config(model: &str, columns: usize, classes: usize) -> Result<ModelConfig> {
    Ok(ModelConfig::named(model, columns, classes)?)
}

/// One line about a finished training: epochs, the median epoch time and where the model is.
pub fn summary(history: &[EpochStats], out: &Path) -> String {
    let mut secs: Vec<f64> = history.iter().map(|h| h.seconds).collect();
    secs.sort_by(f64::total_cmp);
    format!(
        "{} epoch(s); median {:.2} s per epoch; model in {}",
        history.len(),
        secs.get(secs.len() / 2).copied().unwrap_or(0.0),
        out.display()
    )
}
