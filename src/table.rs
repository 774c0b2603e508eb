//! Feature tables on disk: one row per clip, written as Parquet, CSV or NumPy `.npy`.
//!
//! | format | layout |
//! |---|---|
//! | Parquet | `path` (string), `pipeline` (string), `shape` (list<int32>: frames, columns), `values` (list<float>, row-major); the pipeline config and emovox version in the file's key-value metadata. Readable by pyarrow/pandas, Polars, DuckDB, R arrow. |
//! | CSV | `path,pipeline,frames,columns` then one column per value (`t{frame}_c{column}`, or the feature names of `handcrafted`); rows shorter than the widest leave trailing cells empty. |
//! | NPY | one float32 array `(clips, frames, columns)`, plus `NAME.paths.txt` with one path per row. All clips must share one shape (use a pipeline with `frames=N`). |

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use emovox_features::{Features, Kind, PipelineConfig, HANDCRAFTED_NAMES};
use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, FloatType, Int32Type};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

/// Output formats for feature tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Apache Parquet (default).
    Parquet,
    /// Comma-separated values, one column per value.
    Csv,
    /// NumPy array of all clips, `(clips, frames, columns)`.
    Npy,
}

impl Format {
    /// The format a file name implies by its extension, if any.
    pub fn from_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "parquet" | "pq" => Some(Format::Parquet),
            "csv" => Some(Format::Csv),
            "npy" => Some(Format::Npy),
            _ => None,
        }
    }
}

/// One clip's features, as a table row.
#[derive(Debug, Clone)]
pub struct Row {
    /// The file the features came from.
    pub path: PathBuf,
    /// The features.
    pub features: Features,
}

/// Writes `rows` for `pipeline` to `out` in `format`. `out` of `-` means standard output (CSV only).
pub fn write(out: &Path, format: Format, pipeline: &PipelineConfig, rows: &[Row]) -> Result<()> {
    let res = match format {
        Format::Parquet => write_parquet(out, pipeline, rows),
        Format::Csv => write_csv(out, pipeline, rows),
        Format::Npy => write_npy(out, rows),
    };
    res.with_context(|| format!("writing {}", out.display()))
}

fn create(out: &Path) -> Result<Box<dyn Write>> {
    if out.as_os_str() == "-" {
        return Ok(Box::new(BufWriter::new(std::io::stdout().lock())));
    }
    Ok(Box::new(BufWriter::new(File::create(out)?)))
}

fn write_parquet(out: &Path, pipeline: &PipelineConfig, rows: &[Row]) -> Result<()> {
    if out.as_os_str() == "-" {
        bail!("Parquet cannot be written to standard output; give a file name");
    }
    let schema = Arc::new(parse_message_type(
        "message emovox_features {
            REQUIRED BYTE_ARRAY path (STRING);
            REQUIRED BYTE_ARRAY pipeline (STRING);
            REQUIRED group shape (LIST) { REPEATED group list { REQUIRED INT32 element; } }
            REQUIRED group values (LIST) { REPEATED group list { REQUIRED FLOAT element; } }
        }",
    )?);
    let meta = vec![
        KeyValue::new(
            "emovox.version".to_string(),
            env!("CARGO_PKG_VERSION").to_string(),
        ),
        KeyValue::new(
            "emovox.pipeline".to_string(),
            serde_json::to_string(pipeline)?,
        ),
    ];
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_key_value_metadata(Some(meta))
        .build();
    let mut writer = SerializedFileWriter::new(File::create(out)?, schema, Arc::new(props))?;
    let spec = pipeline.to_string();
    // Row groups of bounded size keep memory flat for big tables.
    for chunk in rows.chunks(4096) {
        let mut rg = writer.next_row_group()?;
        let mut idx = 0;
        while let Some(mut col) = rg.next_column()? {
            match idx {
                0 => {
                    let v: Vec<ByteArray> = chunk
                        .iter()
                        .map(|r| ByteArray::from(r.path.to_string_lossy().as_bytes()))
                        .collect();
                    col.typed::<ByteArrayType>().write_batch(&v, None, None)?;
                }
                1 => {
                    let v: Vec<ByteArray> = chunk
                        .iter()
                        .map(|_| ByteArray::from(spec.as_str()))
                        .collect();
                    col.typed::<ByteArrayType>().write_batch(&v, None, None)?;
                }
                2 => {
                    let lists: Vec<Vec<i32>> = chunk
                        .iter()
                        .map(|r| vec![r.features.frames as i32, r.features.columns as i32])
                        .collect();
                    let (v, d, rep) = list_levels(lists.iter().map(Vec::as_slice));
                    col.typed::<Int32Type>()
                        .write_batch(&v, Some(&d), Some(&rep))?;
                }
                _ => {
                    let (v, d, rep) =
                        list_levels(chunk.iter().map(|r| r.features.values.as_slice()));
                    col.typed::<FloatType>()
                        .write_batch(&v, Some(&d), Some(&rep))?;
                }
            }
            col.close()?;
            idx += 1;
        }
        rg.close()?;
    }
    writer.close()?;
    Ok(())
}

/// Flattens lists into values plus Dremel definition and repetition levels for a required
/// `LIST` of required elements (max definition level 1, max repetition level 1).
fn list_levels<'a, T: Copy + 'a>(
    lists: impl Iterator<Item = &'a [T]>,
) -> (Vec<T>, Vec<i16>, Vec<i16>) {
    let (mut v, mut d, mut r) = (Vec::new(), Vec::new(), Vec::new());
    for list in lists {
        if list.is_empty() {
            d.push(0);
            r.push(0);
        }
        for (i, &x) in list.iter().enumerate() {
            v.push(x);
            d.push(1);
            r.push(if i == 0 { 0 } else { 1 });
        }
    }
    (v, d, r)
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn write_csv(out: &Path, pipeline: &PipelineConfig, rows: &[Row]) -> Result<()> {
    let mut w = create(out)?;
    let spec = pipeline.to_string();
    let width = rows
        .iter()
        .map(|r| r.features.values.len())
        .max()
        .unwrap_or(0);
    let columns = rows
        .first()
        .map_or(pipeline.n_columns(), |r| r.features.columns.max(1));
    write!(w, "path,pipeline,frames,columns")?;
    for i in 0..width {
        if pipeline.kind == Kind::Handcrafted && i < HANDCRAFTED_NAMES.len() {
            write!(w, ",{}", HANDCRAFTED_NAMES[i])?;
        } else {
            write!(w, ",t{}_c{}", i / columns, i % columns)?;
        }
    }
    writeln!(w)?;
    for r in rows {
        let f = &r.features;
        write!(
            w,
            "{},{},{},{}",
            csv_field(&r.path.to_string_lossy()),
            csv_field(&spec),
            f.frames,
            f.columns
        )?;
        for v in &f.values {
            write!(w, ",{v}")?;
        }
        for _ in f.values.len()..width {
            write!(w, ",")?;
        }
        writeln!(w)?;
    }
    w.flush()?;
    Ok(())
}

/// Writes a little-endian float32 `.npy` (format 1.0) of the given shape.
pub fn write_npy_array(w: &mut impl Write, shape: &[usize], values: &[f32]) -> std::io::Result<()> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape_s = if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape_s}, }}");
    // Magic (6) + version (2) + header length (2) + header + '\n' is a multiple of 64.
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    w.write_all(b"\x93NUMPY\x01\x00")?;
    w.write_all(&(header.len() as u16).to_le_bytes())?;
    w.write_all(header.as_bytes())?;
    for v in values {
        w.write_all(&v.to_le_bytes())?;
    }
    Ok(())
}

fn write_npy(out: &Path, rows: &[Row]) -> Result<()> {
    if out.as_os_str() == "-" {
        bail!("NPY cannot be written to standard output; give a file name");
    }
    let shape = rows.first().map_or([0, 0], |r| r.features.shape());
    if let Some(r) = rows.iter().find(|r| r.features.shape() != shape) {
        bail!(
            "NPY needs one shape for every clip, but {} is {:?} and the first clip is {:?}; \
             fix the frame count (e.g. --pipeline mfcc:frames=100) or use --format parquet/csv",
            r.path.display(),
            r.features.shape(),
            shape
        );
    }
    let mut w = BufWriter::new(File::create(out)?);
    let values: Vec<f32> = rows
        .iter()
        .flat_map(|r| r.features.values.iter().copied())
        .collect();
    write_npy_array(&mut w, &[rows.len(), shape[0], shape[1]], &values)?;
    w.flush()?;
    let mut paths = out.as_os_str().to_owned();
    paths.push(".paths.txt");
    let mut p = BufWriter::new(File::create(&paths)?);
    for r in rows {
        writeln!(p, "{}", r.path.display())?;
    }
    p.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npy_header_is_aligned_and_parsable() {
        let mut buf = Vec::new();
        write_npy_array(&mut buf, &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        assert_eq!(&buf[..8], b"\x93NUMPY\x01\x00");
        let hlen = u16::from_le_bytes([buf[8], buf[9]]) as usize;
        assert_eq!((10 + hlen) % 64, 0);
        let header = std::str::from_utf8(&buf[10..10 + hlen]).unwrap();
        assert!(header.contains("'shape': (2, 3)"), "{header}");
        assert_eq!(buf.len(), 10 + hlen + 24);
        assert_eq!(&buf[10 + hlen..10 + hlen + 4], &1.0f32.to_le_bytes());
    }

    #[test]
    fn list_levels_mark_list_starts() {
        let a = [1, 2, 3];
        let b = [4];
        let (v, d, r) = list_levels([&a[..], &b[..]].into_iter());
        assert_eq!(v, vec![1, 2, 3, 4]);
        assert_eq!(d, vec![1, 1, 1, 1]);
        assert_eq!(r, vec![0, 1, 1, 0]);
    }

    #[test]
    fn csv_quotes_awkward_paths() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("plain.wav"), "plain.wav");
    }

    #[test]
    fn format_from_extension() {
        assert_eq!(
            Format::from_path(Path::new("x.PARQUET")),
            Some(Format::Parquet)
        );
        assert_eq!(Format::from_path(Path::new("x.csv")), Some(Format::Csv));
        assert_eq!(Format::from_path(Path::new("x")), None);
    }
}
