//! The report's tables: `<CORPUS>_analysis.csv` per corpus (through the `csv` crate) and
//! `analysis.parquet` (every clip).

use super::*;
use emovox_report::{Error, Result};

/// The CSV file name of a corpus: `RAVDESS_analysis.csv`.
pub fn csv_name(corpus: Corpus) -> String {
    format!("{}_analysis.csv", corpus.name().to_ascii_uppercase())
}

pub(super) fn write_csv(path: &Path, rows: &[&AnalysisRow]) -> Result<()> {
    let err = |e: csv::Error| Error::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut w = csv::Writer::from_path(path).map_err(err)?;
    w.write_record(COLUMNS).map_err(err)?;
    for r in rows {
        let mut rec: Vec<String> = r.strings().into();
        rec.extend(r.numbers().iter().enumerate().map(|(i, v)| {
            // sample_rate and channels are integers.
            if i == 1 || i == 2 {
                format!("{v:.0}")
            } else if v.is_finite() {
                v.to_string()
            } else {
                String::new()
            }
        }));
        w.write_record(&rec).map_err(err)?;
    }
    w.flush().map_err(|e| Error::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

pub(super) fn write_parquet(path: &Path, rows: &[AnalysisRow], scheme: &str) -> Result<()> {
    let strings: Vec<[String; 8]> = rows.iter().map(AnalysisRow::strings).collect();
    let numbers: Vec<[f64; 12]> = rows.iter().map(AnalysisRow::numbers).collect();
    let mut cols = Vec::with_capacity(COLUMNS.len());
    for (i, name) in COLUMNS.iter().enumerate() {
        cols.push(if i < 8 {
            Column::Str(
                name.to_string(),
                strings.iter().map(|s| s[i].clone()).collect(),
            )
        } else if i == 9 || i == 10 {
            Column::I64(
                name.to_string(),
                numbers.iter().map(|n| n[i - 8] as i64).collect(),
            )
        } else {
            Column::F64(name.to_string(), numbers.iter().map(|n| n[i - 8]).collect())
        });
    }
    let meta = [("emovox.analysis.scheme".to_string(), scheme.to_string())];
    write_columns(path, &cols, &meta).map_err(|e| Error::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}
