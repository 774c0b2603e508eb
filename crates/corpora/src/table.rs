//! Feature tables on disk: one row per clip, written as Parquet, CSV or NumPy `.npy`.
//!
//! | format | layout |
//! |---|---|
//! | Parquet | `path` (string), for tables built from a manifest `corpus`, `speaker`, `emotion`, `label`, `split`, `augment` (strings), then `pipeline` (string), `shape` (`list<int32>`: frames, columns), `values` (`list<float>`, row-major); the pipeline config and emovox version in the file's key-value metadata. Readable by pyarrow/pandas, Polars, DuckDB, R arrow. |
//! | CSV | `path`, the manifest columns if any, `pipeline,frames,columns`, then one column per value (`t{frame}_c{column}`, or the feature names of `handcrafted`); rows shorter than the widest leave trailing cells empty. |
//! | flat Parquet | [`write_columns`]: one scalar column per measure (strings, doubles, integers; empty strings and NaN as nulls), for analysis tables. |
//! | NPY | one float32 array `(clips, frames, columns)`, plus `NAME.paths.txt` with one path per row (and `NAME.rows.csv` with the manifest columns, if any). All clips must share one shape (use a pipeline with `frames=N`). |

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use emovox_features::{Features, Kind, PipelineConfig, HANDCRAFTED_NAMES};
use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, FloatType, Int32Type};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

use crate::{Error, Result};

macro_rules! bail {
    ($($t:tt)*) => { return Err(Error::Table(format!($($t)*))) };
}

/// Output formats for feature tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Apache Parquet (default).
    Parquet,
    /// Comma-separated values, one column per value.
    Csv,
    /// NumPy array of all clips, `(clips, frames, columns)`.
    Npy,
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "parquet" | "pq" => Ok(Format::Parquet),
            "csv" => Ok(Format::Csv),
            "npy" => Ok(Format::Npy),
            _ => Err(format!("unknown format {s:?}: use parquet, csv or npy")),
        }
    }
}

impl Format {
    /// The format to write `out` in: `explicit` when given, else from the extension, else
    /// CSV for standard output (`-`) and Parquet otherwise. Standard output takes CSV only.
    pub fn for_output(explicit: Option<Format>, out: &Path) -> Result<Format> {
        let stdout = out.as_os_str() == "-";
        let format = explicit
            .or_else(|| Format::from_path(out))
            .unwrap_or(if stdout { Format::Csv } else { Format::Parquet });
        if stdout && format != Format::Csv {
            return Err(Error::Table(
                "only CSV can be written to standard output (--out -)".into(),
            ));
        }
        Ok(format)
    }

    /// The format a file name implies by its extension (`.parquet`/`.pq`, `.csv`, `.npy`), if
    /// any.
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
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The file the features came from.
    pub path: PathBuf,
    /// Labels and split, for rows built from a manifest.
    pub meta: Option<RowMeta>,
    /// The features.
    pub features: Features,
}

/// A row's labels, split and augmentation (empty strings where unknown).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowMeta {
    /// Corpus name.
    pub corpus: String,
    /// Speaker id.
    pub speaker: String,
    /// The corpus's own emotion word.
    pub emotion: String,
    /// The class under the manifest's scheme.
    pub label: String,
    /// `train`, `test`, `foldN`, or empty.
    pub split: String,
    /// The augmentation chain that made this row (`noise`, `noise+stretch+pitch`); empty for
    /// the original clip.
    pub augment: String,
}

/// The manifest columns of a [`RowMeta`], in table order.
pub const META_COLUMNS: [&str; 6] = ["corpus", "speaker", "emotion", "label", "split", "augment"];

impl RowMeta {
    /// The values in [`META_COLUMNS`] order.
    pub fn values(&self) -> [&str; 6] {
        [
            &self.corpus,
            &self.speaker,
            &self.emotion,
            &self.label,
            &self.split,
            &self.augment,
        ]
    }
}

/// Writes `rows` for `pipeline` to `out` in `format`. `out` of `-` means standard output (CSV only).
pub fn write(out: &Path, format: Format, pipeline: &PipelineConfig, rows: &[Row]) -> Result<()> {
    let res = match format {
        Format::Parquet => write_parquet(out, pipeline, rows),
        Format::Csv => write_csv(out, pipeline, rows),
        Format::Npy => write_npy(out, rows),
    };
    res.map_err(|e| e.in_file(out))
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
    let with_meta = rows.iter().any(|r| r.meta.is_some());
    let meta_fields: String = if with_meta {
        META_COLUMNS
            .iter()
            .map(|c| format!("REQUIRED BYTE_ARRAY {c} (STRING);\n"))
            .collect()
    } else {
        String::new()
    };
    let schema = Arc::new(parse_message_type(&format!(
        "message emovox_features {{
            REQUIRED BYTE_ARRAY path (STRING);
            {meta_fields}
            REQUIRED BYTE_ARRAY pipeline (STRING);
            REQUIRED group shape (LIST) {{ REPEATED group list {{ REQUIRED INT32 element; }} }}
            REQUIRED group values (LIST) {{ REPEATED group list {{ REQUIRED FLOAT element; }} }}
        }}"
    ))?);
    let kv = vec![
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
        .set_key_value_metadata(Some(kv))
        .build();
    let mut writer = SerializedFileWriter::new(File::create(out)?, schema, Arc::new(props))?;
    let spec = pipeline.to_string();
    let n_meta = if with_meta { META_COLUMNS.len() } else { 0 };
    let empty = RowMeta::default();
    // Row groups of bounded size keep memory flat for big tables.
    for chunk in rows.chunks(4096) {
        let mut rg = writer.next_row_group()?;
        let mut idx = 0;
        while let Some(mut col) = rg.next_column()? {
            let strings =
                |f: &dyn Fn(&Row) -> ByteArray| chunk.iter().map(f).collect::<Vec<ByteArray>>();
            if idx == 0 {
                let v = strings(&|r| ByteArray::from(r.path.to_string_lossy().as_bytes()));
                col.typed::<ByteArrayType>().write_batch(&v, None, None)?;
            } else if idx <= n_meta {
                let v = strings(&|r| {
                    ByteArray::from(r.meta.as_ref().unwrap_or(&empty).values()[idx - 1])
                });
                col.typed::<ByteArrayType>().write_batch(&v, None, None)?;
            } else if idx == n_meta + 1 {
                let v = strings(&|_| ByteArray::from(spec.as_str()));
                col.typed::<ByteArrayType>().write_batch(&v, None, None)?;
            } else if idx == n_meta + 2 {
                let lists: Vec<[i32; 2]> = chunk
                    .iter()
                    .map(|r| [r.features.frames as i32, r.features.columns as i32])
                    .collect();
                let (v, d, rep) = list_levels(lists.iter().map(|l| &l[..]));
                col.typed::<Int32Type>()
                    .write_batch(&v, Some(&d), Some(&rep))?;
            } else {
                let (v, d, rep) = list_levels(chunk.iter().map(|r| r.features.values.as_slice()));
                col.typed::<FloatType>()
                    .write_batch(&v, Some(&d), Some(&rep))?;
            }
            col.close()?;
            idx += 1;
        }
        rg.close()?;
    }
    writer.close()?;
    Ok(())
}

/// One column of a flat table ([`write_columns`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// UTF-8 strings; empty strings are written as nulls.
    Str(String, Vec<String>),
    /// 64-bit floats; NaN is written as null.
    F64(String, Vec<f64>),
    /// 64-bit integers.
    I64(String, Vec<i64>),
}

impl Column {
    /// The column's name.
    pub fn name(&self) -> &str {
        match self {
            Column::Str(n, _) | Column::F64(n, _) | Column::I64(n, _) => n,
        }
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            Column::Str(_, v) => v.len(),
            Column::F64(_, v) => v.len(),
            Column::I64(_, v) => v.len(),
        }
    }

    /// Whether the column has no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Writes a flat Parquet table (one scalar per cell: the analysis tables Power BI, R and pandas
/// read directly), with `metadata` as the file's key-value metadata. All columns must have the
/// same length; names must be plain identifiers.
pub fn write_columns(out: &Path, columns: &[Column], metadata: &[(String, String)]) -> Result<()> {
    write_columns_inner(out, columns, metadata).map_err(|e| e.in_file(out))
}

fn write_columns_inner(
    out: &Path,
    columns: &[Column],
    metadata: &[(String, String)],
) -> Result<()> {
    use parquet::data_type::{DoubleType, Int64Type};
    let n = columns.first().map_or(0, Column::len);
    if let Some(c) = columns.iter().find(|c| c.len() != n) {
        bail!(
            "column {} has {} values, the first has {n}",
            c.name(),
            c.len()
        );
    }
    let mut fields = String::new();
    for c in columns {
        let name = c.name();
        if name.is_empty()
            || !name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
        {
            bail!("column name {name:?} is not a plain identifier");
        }
        fields.push_str(&match c {
            Column::Str(..) => format!("OPTIONAL BYTE_ARRAY {name} (STRING);\n"),
            Column::F64(..) => format!("OPTIONAL DOUBLE {name};\n"),
            Column::I64(..) => format!("REQUIRED INT64 {name};\n"),
        });
    }
    let schema = Arc::new(parse_message_type(&format!(
        "message emovox_table {{\n{fields}}}"
    ))?);
    let mut kv = vec![KeyValue::new(
        "emovox.version".to_string(),
        env!("CARGO_PKG_VERSION").to_string(),
    )];
    kv.extend(
        metadata
            .iter()
            .map(|(k, v)| KeyValue::new(k.clone(), v.clone())),
    );
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_key_value_metadata(Some(kv))
        .build();
    let mut writer = SerializedFileWriter::new(File::create(out)?, schema, Arc::new(props))?;
    const CHUNK: usize = 65_536;
    let mut start = 0;
    // At least one row group, so an empty table still has its schema.
    loop {
        let end = (start + CHUNK).min(n);
        let mut rg = writer.next_row_group()?;
        let mut idx = 0;
        while let Some(mut col) = rg.next_column()? {
            match &columns[idx] {
                Column::Str(_, v) => {
                    let part = &v[start..end];
                    let vals: Vec<ByteArray> = part
                        .iter()
                        .filter(|s| !s.is_empty())
                        .map(|s| ByteArray::from(s.as_str()))
                        .collect();
                    let def: Vec<i16> = part.iter().map(|s| i16::from(!s.is_empty())).collect();
                    col.typed::<ByteArrayType>()
                        .write_batch(&vals, Some(&def), None)?;
                }
                Column::F64(_, v) => {
                    let part = &v[start..end];
                    let vals: Vec<f64> = part.iter().copied().filter(|x| !x.is_nan()).collect();
                    let def: Vec<i16> = part.iter().map(|x| i16::from(!x.is_nan())).collect();
                    col.typed::<DoubleType>()
                        .write_batch(&vals, Some(&def), None)?;
                }
                Column::I64(_, v) => {
                    col.typed::<Int64Type>()
                        .write_batch(&v[start..end], None, None)?;
                }
            }
            col.close()?;
            idx += 1;
        }
        rg.close()?;
        if end >= n {
            break;
        }
        start = end;
    }
    writer.close()?;
    Ok(())
}

/// A feature table read back: its pipeline and rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The pipeline that made the features (from the file's metadata).
    pub pipeline: PipelineConfig,
    /// The rows, in file order.
    pub rows: Vec<Row>,
}

/// Reads a Parquet feature table written by [`write`](fn@write) (with or without manifest columns).
pub fn read_parquet(path: &Path) -> Result<Table> {
    read_parquet_inner(path).map_err(|e| e.in_file(path))
}

fn read_parquet_inner(path: &Path) -> Result<Table> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::{Field, ListAccessor, RowAccessor};
    let reader = SerializedFileReader::new(File::open(path)?)?;
    let kv = reader
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .cloned()
        .unwrap_or_default();
    let pipeline = kv
        .iter()
        .find(|k| k.key == "emovox.pipeline")
        .and_then(|k| k.value.as_deref())
        .ok_or_else(|| {
            Error::Table("no emovox.pipeline metadata: not an emovox feature table".into())
        })?;
    let pipeline: PipelineConfig = serde_json::from_str(pipeline)?;
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    let names: Vec<String> = schema
        .root_schema()
        .get_fields()
        .iter()
        .map(|f| f.name().to_string())
        .collect();
    let col = |n: &str| names.iter().position(|c| c == n);
    let need = |n: &str| col(n).ok_or_else(|| Error::Table(format!("no `{n}` column")));
    let (p, shape, values) = (need("path")?, need("shape")?, need("values")?);
    let meta_cols: Option<Vec<usize>> = META_COLUMNS.iter().map(|c| col(c)).collect();
    let mut rows = Vec::new();
    for row in reader.get_row_iter(None)? {
        let row = row?;
        let sh = row.get_list(shape)?;
        if sh.len() != 2 {
            bail!("shape has {} dimensions, expected 2", sh.len());
        }
        let (frames, columns) = (sh.get_int(0)? as usize, sh.get_int(1)? as usize);
        let vals = row.get_list(values)?;
        let values: Vec<f32> = vals
            .elements()
            .iter()
            .map(|f| match f {
                Field::Float(v) => Ok(*v),
                other => Err(Error::Table(format!(
                    "values holds {other:?}, expected floats"
                ))),
            })
            .collect::<Result<_>>()?;
        if values.len() != frames * columns {
            bail!(
                "a row has {} values for shape {frames}x{columns}",
                values.len()
            );
        }
        let meta = match &meta_cols {
            Some(idx) => {
                let v: Vec<String> = idx
                    .iter()
                    .map(|&i| row.get_string(i).cloned())
                    .collect::<std::result::Result<_, _>>()?;
                let [corpus, speaker, emotion, label, split, augment] = <[String; 6]>::try_from(v)
                    .map_err(|_| Error::Table("bad manifest columns".into()))?;
                Some(RowMeta {
                    corpus,
                    speaker,
                    emotion,
                    label,
                    split,
                    augment,
                })
            }
            None => None,
        };
        rows.push(Row {
            path: PathBuf::from(row.get_string(p)?),
            meta,
            features: Features {
                frames,
                columns,
                values,
            },
        });
    }
    Ok(Table { pipeline, rows })
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
    let with_meta = rows.iter().any(|r| r.meta.is_some());
    let width = rows
        .iter()
        .map(|r| r.features.values.len())
        .max()
        .unwrap_or(0);
    let columns = rows
        .first()
        .map_or(pipeline.n_columns(), |r| r.features.columns.max(1));
    write!(w, "path")?;
    if with_meta {
        write!(w, ",{}", META_COLUMNS.join(","))?;
    }
    write!(w, ",pipeline,frames,columns")?;
    for i in 0..width {
        if pipeline.kind == Kind::Handcrafted && i < HANDCRAFTED_NAMES.len() {
            write!(w, ",{}", HANDCRAFTED_NAMES[i])?;
        } else {
            write!(w, ",t{}_c{}", i / columns, i % columns)?;
        }
    }
    writeln!(w)?;
    let empty = RowMeta::default();
    for r in rows {
        let f = &r.features;
        write!(w, "{}", csv_field(&r.path.to_string_lossy()))?;
        if with_meta {
            for v in r.meta.as_ref().unwrap_or(&empty).values() {
                write!(w, ",{}", csv_field(v))?;
            }
        }
        write!(w, ",{},{},{}", csv_field(&spec), f.frames, f.columns)?;
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
    if rows.iter().any(|r| r.meta.is_some()) {
        let mut name = out.as_os_str().to_owned();
        name.push(".rows.csv");
        let mut m = BufWriter::new(File::create(&name)?);
        writeln!(m, "path,{}", META_COLUMNS.join(","))?;
        let empty = RowMeta::default();
        for r in rows {
            write!(m, "{}", csv_field(&r.path.to_string_lossy()))?;
            for v in r.meta.as_ref().unwrap_or(&empty).values() {
                write!(m, ",{}", csv_field(v))?;
            }
            writeln!(m)?;
        }
        m.flush()?;
    }
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
    fn parquet_round_trip_with_and_without_meta() {
        let dir = tempfile::tempdir().unwrap();
        let pipeline = PipelineConfig::seed();
        let feats = |x: f32| Features {
            frames: 2,
            columns: 3,
            values: vec![x, 1.0, 2.0, 3.0, 4.0, -5.5],
        };
        let meta = RowMeta {
            corpus: "tess".into(),
            speaker: "OAF".into(),
            emotion: "sad".into(),
            label: "unpleasant".into(),
            split: "train".into(),
            augment: "noise".into(),
        };
        for with_meta in [false, true] {
            let rows: Vec<Row> = (0..3)
                .map(|i| Row {
                    path: format!("/x/{i}.wav").into(),
                    meta: with_meta.then(|| meta.clone()),
                    features: feats(i as f32),
                })
                .collect();
            let path = dir.path().join(format!("t{with_meta}.parquet"));
            write(&path, Format::Parquet, &pipeline, &rows).unwrap();
            let t = read_parquet(&path).unwrap();
            assert_eq!(t.pipeline, pipeline);
            assert_eq!(t.rows, rows);
        }
        let e = read_parquet(&dir.path().join("missing.parquet"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing.parquet"), "{e}");
    }

    #[test]
    fn flat_tables_round_trip_with_nulls() {
        use parquet::file::reader::{FileReader, SerializedFileReader};
        use parquet::record::RowAccessor;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("t.parquet");
        let cols = [
            Column::Str("name".into(), vec!["a".into(), String::new()]),
            Column::F64("x".into(), vec![1.5, f64::NAN]),
            Column::I64("n".into(), vec![3, 4]),
        ];
        write_columns(&out, &cols, &[("k".into(), "v".into())]).unwrap();
        let r = SerializedFileReader::new(File::open(&out).unwrap()).unwrap();
        assert_eq!(r.metadata().file_metadata().num_rows(), 2);
        let rows: Vec<_> = r.get_row_iter(None).unwrap().map(|r| r.unwrap()).collect();
        assert_eq!(rows[0].get_string(0).unwrap(), "a");
        assert_eq!(rows[0].get_double(1).unwrap(), 1.5);
        assert!(rows[1].get_string(0).is_err(), "empty string is null");
        assert_eq!(rows[1].get_long(2).unwrap(), 4);
        let bad = [
            Column::I64("a".into(), vec![1]),
            Column::I64("b".into(), vec![]),
        ];
        let e = write_columns(&out, &bad, &[]).unwrap_err().to_string();
        assert!(e.contains("t.parquet") && e.contains("column b"), "{e}");
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
