//! `emovox._emovox`: the Rust core of the `emovox` Python package (PyO3 + rust-numpy).
//!
//! # Overview
//!
//! The Python package `emovox` (`bindings/python/python/emovox`) re-exports this module: audio
//! loading, librosa-named feature functions, the named pipelines, the `Recognizer` with the
//! bundled model, and batch calls over Arrow-style buffers that `emovox.spark` runs once per
//! Arrow record batch inside Spark executors.
//!
//! | Python | Rust |
//! |---|---|
//! | `load(path_or_bytes, sr=16000, offset=0.0, duration=None)` | [`emovox_audio::decode_file`] / [`emovox_audio::decode_bytes`], [`emovox_audio::Resampler`] |
//! | `mfcc(y, sr, n_mfcc=13, n_fft=2048, hop_length=512, ...)` | an [`emovox_features::Extractor`] for `mfcc` with these parameters |
//! | `melspectrogram(y, sr, n_fft=2048, hop_length=512, n_mels=128, ...)` | [`emovox_features::mel::MelSpectrogram`] |
//! | `features(y_or_bytes, pipeline="seed", sr=None)` | the named pipeline, as `emovox features` runs it |
//! | `Recognizer(model=None).predict(y_or_bytes, sr=None)` | [`emovox::Recognizer`] |
//! | `Recognizer.timeline(y_or_bytes, sr=None, ...)`: an iterator of segments, streamed | [`emovox::timeline::Timeline::of_file_with`], [`emovox::timeline::TimelineStream`] |
//! | `features_batch(data, offsets, ...)`, `Recognizer.predict_batch(...)`, `Recognizer.timeline_batch(...)`, `labels(paths)` | the per-batch calls of `emovox.spark` |
//!
//! # Threads and the GIL
//!
//! Every call releases the GIL while it decodes, resamples, computes features or runs the model
//! ([`Python::detach`]); other Python threads run meanwhile. Planned extractors are cached per
//! thread, so repeated calls with the same parameters do not re-plan FFTs and filterbanks.
//!
//! # Errors
//!
//! Every failure of the Rust core is raised as `emovox.EmovoxError` (a subclass of `ValueError`)
//! with the core's message unchanged (`file is empty`, `not a recognised audio format (...)`,
//! `invalid pipeline: ...`). The batch calls never raise for one bad input: they return its
//! message in the row's error slot instead.
#![deny(missing_docs)]

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;

use emovox::timeline::{Segment, Timeline, TimelineOptions};
use emovox_audio::{decode_bytes, decode_file, DecodeOptions, Decoded, Resampler};
use emovox_corpora::files::split_uri;
use emovox_corpora::{Corpus, Indexer, Scheme};
use emovox_features::mel::MelSpectrogram;
use emovox_features::{Extractor, Features, Kind, PipelineConfig};
use numpy::{
    AllowTypeChange, IntoPyArray, PyArray1, PyArray2, PyArrayLike1, PyArrayMethods,
    PyReadonlyArray1,
};
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyList, PyString};
use rayon::prelude::*;

create_exception!(
    _emovox,
    EmovoxError,
    PyValueError,
    "An error from emovox's Rust core (bad audio, a bad pipeline spec, a model that cannot load), \
     with the same message the `emovox` command prints."
);

create_exception!(
    _emovox,
    NoSpeechError,
    EmovoxError,
    "The model trims silence and found no speech (or too little to read an emotion from) in the \
     input: a clear \"no speech\", never an emotion."
);

fn err(e: impl Display) -> PyErr {
    EmovoxError::new_err(e.to_string())
}

/// A recognizer's error as Python sees it: `NoSpeechError` for no speech, else `EmovoxError`.
fn rec_err(e: emovox::Error) -> PyErr {
    match e.kind() {
        emovox::Error::NoSpeech { .. } => NoSpeechError::new_err(e.to_string()),
        _ => err(e),
    }
}

/// Runs one call's (or one row's) work as a firewall: a panic inside a dependency becomes an
/// error message (so Python sees `EmovoxError`, not pyo3's `PanicException`, and a batch row
/// fails alone).
fn guarded<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    emovox_audio::guard::catch_panic(f)
        .unwrap_or_else(|msg| Err(emovox::Error::Panicked(msg).to_string()))
}

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

/// Audio given by the caller, as the Rust core reads it: a file path, the bytes of a file, or
/// samples. Borrows from a [`Held`].
enum Input<'a> {
    Path(&'a Path),
    Bytes(&'a [u8]),
    Samples(Cow<'a, [f32]>),
}

/// A Python argument read as audio, holding what [`Input`] borrows (bytes objects, arrays).
enum Held<'py> {
    Path(PathBuf),
    Bytes(Bound<'py, PyBytes>),
    Owned(Vec<u8>),
    Array(PyArrayLike1<'py, f32, AllowTypeChange>),
}

impl Held<'_> {
    fn input(&self) -> Input<'_> {
        match self {
            Held::Path(p) => Input::Path(p),
            Held::Bytes(b) => Input::Bytes(b.as_bytes()),
            Held::Owned(b) => Input::Bytes(b),
            Held::Array(a) => Input::Samples(match a.as_slice() {
                Ok(s) => Cow::Borrowed(s),
                Err(_) => Cow::Owned(a.as_array().iter().copied().collect()),
            }),
        }
    }
}

/// Reads `obj` as a path (`str`, `os.PathLike`), bytes (`bytes`, `bytearray`, `memoryview`), or
/// (when `samples_ok`) a 1-D array of samples.
fn read_input<'py>(obj: &Bound<'py, PyAny>, samples_ok: bool) -> PyResult<Held<'py>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Held::Bytes(b.clone()));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(Held::Owned(b.to_vec()));
    }
    if obj.is_instance_of::<PyString>() || obj.hasattr("__fspath__")? {
        return Ok(Held::Path(obj.extract()?));
    }
    let type_name = obj.get_type().name()?.to_string();
    if type_name == "memoryview" {
        let b = obj.call_method0("tobytes")?;
        return Ok(Held::Bytes(b.cast_into::<PyBytes>()?));
    }
    if samples_ok {
        if let Ok(a) = obj.extract::<PyArrayLike1<'py, f32, AllowTypeChange>>() {
            return Ok(Held::Array(a));
        }
        return Err(err(format!(
            "expected a path, the bytes of an audio file, or a 1-D array of samples; got {type_name}"
        )));
    }
    Err(err(format!(
        "expected a path or the bytes of an audio file; got {type_name}"
    )))
}

fn decode(input: &Input<'_>, opts: &DecodeOptions) -> Result<Decoded, emovox_audio::Error> {
    match input {
        Input::Path(p) => decode_file(p, opts),
        Input::Bytes(b) => decode_bytes(b, None, opts),
        Input::Samples(_) => Err(emovox_audio::Error::InvalidParameter(
            "samples given where a file was expected".into(),
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Planned extractors, cached per thread
// ---------------------------------------------------------------------------------------------

thread_local! {
    static EXTRACTORS: RefCell<Vec<Extractor>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with a planned extractor for `config`, planned once per thread (the last four
/// configurations are kept).
fn with_extractor<T>(
    config: &PipelineConfig,
    f: impl FnOnce(&mut Extractor) -> Result<T, String>,
) -> Result<T, String> {
    EXTRACTORS.with(|cell| {
        let mut cache = cell.borrow_mut();
        let idx = match cache.iter().position(|e| e.config() == config) {
            Some(i) => i,
            None => {
                let ex = Extractor::new(config.clone()).map_err(|e| e.to_string())?;
                if cache.len() >= 4 {
                    cache.remove(0);
                }
                cache.push(ex);
                cache.len() - 1
            }
        };
        let out = guarded(|| f(&mut cache[idx]));
        if out.is_err() {
            // It may have been left half-updated by a panic: plan afresh next time.
            cache.remove(idx);
        }
        out
    })
}

fn parse_pipeline(spec: &str) -> PyResult<PipelineConfig> {
    let p: PipelineConfig = spec.parse().map_err(err)?;
    p.validate().map_err(err)?;
    Ok(p)
}

/// Features of one file or bytes, exactly as `emovox features` computes them: decode only the
/// part the pipeline reads, then the planned pipeline. Errors are the reasons `emovox features`
/// reports.
fn features_of_input(ex: &mut Extractor, input: &Input<'_>) -> Result<Features, String> {
    match input {
        Input::Samples(_) => Err("samples need a sample rate (sr=...)".into()),
        _ => {
            let clip = decode(input, &ex.decode_options()).map_err(|e| e.reason().to_string())?;
            ex.process_decoded(&clip).map_err(|e| e.to_string())
        }
    }
}

fn to_2d<'py>(py: Python<'py>, f: Features) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let (rows, cols) = (f.frames, f.columns);
    f.values.into_pyarray(py).reshape([rows, cols])
}

/// Frame-major `frames x n` into librosa's `n x frames`.
fn transpose(v: &[f32], frames: usize, n: usize) -> Vec<f32> {
    let mut out = vec![0.0; v.len()];
    for t in 0..frames {
        for c in 0..n {
            out[c * frames + t] = v[t * n + c];
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// load, mfcc, melspectrogram, features
// ---------------------------------------------------------------------------------------------

/// Decodes audio (any format emovox reads, sniffed from the content) to mono float32 samples,
/// resampled to `sr` (`None`: the native rate), reading `duration` seconds from `offset` as
/// `librosa.load` does. Returns `(y, sr)`.
#[pyfunction]
#[pyo3(signature = (path_or_bytes, sr=Some(16000), offset=0.0, duration=None))]
fn load<'py>(
    py: Python<'py>,
    path_or_bytes: &Bound<'py, PyAny>,
    sr: Option<u32>,
    offset: f64,
    duration: Option<f64>,
) -> PyResult<(Bound<'py, PyArray1<f32>>, u32)> {
    let held = read_input(path_or_bytes, false)?;
    let input = held.input();
    let (y, rate) = py
        .detach(|| {
            guarded(|| -> Result<(Vec<f32>, u32), String> {
                if !(offset >= 0.0 && offset.is_finite()) {
                    return Err(format!("offset must be a finite number >= 0, got {offset}"));
                }
                if let Some(d) = duration {
                    if !(d > 0.0 && d.is_finite()) {
                        return Err(format!("duration must be a finite number > 0, got {d}"));
                    }
                }
                let opts = DecodeOptions::new()
                    .start_seconds((offset > 0.0).then_some(offset))
                    .max_seconds(duration.map(|d| offset + d));
                let clip = decode(&input, &opts).map_err(|e| e.to_string())?;
                let native = clip.sample_rate;
                let mut y = clip.samples;
                if let Some(d) = duration {
                    // librosa keeps int(duration * sr) samples from int(offset * sr).
                    y.truncate((d * native as f64) as usize);
                }
                match sr {
                    Some(to) if to != native => {
                        let mut out = Vec::new();
                        Resampler::new(native, to)
                            .and_then(|mut r| r.process(&y, &mut out))
                            .map_err(|e| e.to_string())?;
                        Ok((out, to))
                    }
                    _ => Ok((y, native)),
                }
            })
        })
        .map_err(err)?;
    Ok((y.into_pyarray(py), rate))
}

/// The parameters shared by `mfcc` and `melspectrogram`, as an `mfcc` pipeline over the whole
/// clip at its own rate.
#[allow(clippy::too_many_arguments)]
fn analysis_config(
    kind: Kind,
    sr: u32,
    n_mfcc: usize,
    n_fft: usize,
    hop_length: usize,
    n_mels: usize,
    fmin: f32,
    fmax: Option<f32>,
    top_db: Option<f32>,
) -> PyResult<PipelineConfig> {
    let mut c = PipelineConfig::preset("mfcc").ok_or_else(|| err("no mfcc preset"))?;
    c.kind = kind;
    c.sample_rate = sr;
    c.n_mfcc = n_mfcc;
    c.n_fft = n_fft;
    c.hop = hop_length;
    c.n_mels = n_mels;
    c.fmin = fmin;
    c.fmax = fmax;
    c.top_db = top_db;
    c.validate().map_err(err)?;
    Ok(c)
}

fn samples_of<'py>(y: &Bound<'py, PyAny>) -> PyResult<PyArrayLike1<'py, f32, AllowTypeChange>> {
    y.extract().map_err(|_| {
        err(format!(
            "y must be a 1-D array of samples (float32), got {}",
            y.get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        ))
    })
}

fn slice_or_copy<'a>(
    a: &'a PyArrayLike1<'_, f32, AllowTypeChange>,
    buf: &'a mut Vec<f32>,
) -> &'a [f32] {
    match a.as_slice() {
        Ok(s) => s,
        Err(_) => {
            *buf = a.as_array().iter().copied().collect();
            buf
        }
    }
}

/// MFCC of `y` at `sr` Hz, shape `(n_mfcc, frames)`, as `librosa.feature.mfcc` computes it
/// (centred STFT, Slaney mel, `power_to_db(top_db=80)`, orthonormal DCT-II). No resampling.
#[pyfunction]
#[pyo3(signature = (y, sr=16000, n_mfcc=13, n_fft=2048, hop_length=512, n_mels=128, fmin=0.0, fmax=None, top_db=Some(80.0)))]
#[allow(clippy::too_many_arguments)]
fn mfcc<'py>(
    py: Python<'py>,
    y: &Bound<'py, PyAny>,
    sr: u32,
    n_mfcc: usize,
    n_fft: usize,
    hop_length: usize,
    n_mels: usize,
    fmin: f32,
    fmax: Option<f32>,
    top_db: Option<f32>,
) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let config = analysis_config(
        Kind::Mfcc,
        sr,
        n_mfcc,
        n_fft,
        hop_length,
        n_mels,
        fmin,
        fmax,
        top_db,
    )?;
    let a = samples_of(y)?;
    let mut buf = Vec::new();
    let s = slice_or_copy(&a, &mut buf);
    let f = py
        .detach(|| with_extractor(&config, |ex| ex.process(s, sr).map_err(|e| e.to_string())))
        .map_err(err)?;
    let t = transpose(&f.values, f.frames, f.columns);
    t.into_pyarray(py).reshape([f.columns, f.frames])
}

/// Mel spectrogram of `y` at `sr` Hz, shape `(n_mels, frames)`, as
/// `librosa.feature.melspectrogram` computes it (centred STFT with zero padding, periodic Hann
/// window, Slaney mel filterbank). `power` is 2.0 (power) or 1.0 (magnitude).
#[pyfunction]
#[pyo3(signature = (y, sr=16000, n_fft=2048, hop_length=512, n_mels=128, fmin=0.0, fmax=None, power=2.0))]
#[allow(clippy::too_many_arguments)]
fn melspectrogram<'py>(
    py: Python<'py>,
    y: &Bound<'py, PyAny>,
    sr: u32,
    n_fft: usize,
    hop_length: usize,
    n_mels: usize,
    fmin: f32,
    fmax: Option<f32>,
    power: f32,
) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let config = analysis_config(
        Kind::LogMel,
        sr,
        1,
        n_fft,
        hop_length,
        n_mels,
        fmin,
        fmax,
        None,
    )?;
    let plan = MelSpectrogram::new(&config, power).map_err(err)?;
    let a = samples_of(y)?;
    let mut buf = Vec::new();
    let s = slice_or_copy(&a, &mut buf);
    let (mel, frames) = py
        .detach(|| {
            guarded(|| -> Result<(Vec<f32>, usize), String> {
                let mut mel = Vec::new();
                let frames = plan
                    .compute(s, &mut plan.scratch(), &mut mel)
                    .map_err(|e| e.to_string())?;
                Ok((transpose(&mel, frames, n_mels), frames))
            })
        })
        .map_err(err)?;
    mel.into_pyarray(py).reshape([n_mels, frames])
}

/// Features of a named pipeline (`seed`, `mfcc`, `mfcc-deltas`, `logmel`, `handcrafted`,
/// `logmel-stats`, with overrides such as `mfcc:n_mfcc=20`), shape `(frames, columns)` as `emovox features` writes
/// them. `y_or_bytes`: a path or the bytes of a file (decoded as `emovox features` decodes it),
/// or samples with their rate `sr`.
#[pyfunction]
#[pyo3(signature = (y_or_bytes, pipeline="seed", sr=None))]
fn features<'py>(
    py: Python<'py>,
    y_or_bytes: &Bound<'py, PyAny>,
    pipeline: &str,
    sr: Option<u32>,
) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let config = parse_pipeline(pipeline)?;
    let held = read_input(y_or_bytes, true)?;
    let input = held.input();
    let f = py
        .detach(|| {
            with_extractor(&config, |ex| match (&input, sr) {
                (Input::Samples(s), Some(sr)) => ex.process(s, sr).map_err(|e| e.to_string()),
                (Input::Samples(_), None) => {
                    Err("sr is required when y is an array of samples".into())
                }
                (i, _) => {
                    let r = features_of_input(ex, i);
                    match (i, r) {
                        (Input::Path(p), Err(e)) => Err(format!("{}: {e}", p.display())),
                        (_, r) => r,
                    }
                }
            })
        })
        .map_err(err)?;
    to_2d(py, f)
}

/// The named presets, and the canonical spec of a pipeline (`pipeline("mfcc:n_mfcc=13")` is
/// `"mfcc"`).
#[pyfunction]
fn pipelines() -> Vec<&'static str> {
    PipelineConfig::PRESETS.to_vec()
}

/// The canonical spec of `spec` and its output shape `(frames or None, columns)`.
#[pyfunction]
fn pipeline_info(spec: &str) -> PyResult<(String, Option<usize>, usize)> {
    let p = parse_pipeline(spec)?;
    let frames = if p.per_clip() { Some(1) } else { p.frames };
    Ok((p.to_string(), frames, p.n_columns()))
}

// ---------------------------------------------------------------------------------------------
// Batches (emovox.spark): Arrow binary buffers in, flat arrays out
// ---------------------------------------------------------------------------------------------

/// The `i`-th item of an Arrow-style binary column: `data[offsets[i]..offsets[i + 1]]`.
fn item<'a>(data: &'a [u8], offsets: &[i64], i: usize) -> Result<&'a [u8], String> {
    let (a, b) = (offsets[i], offsets[i + 1]);
    if a < 0 || b < a || b as usize > data.len() {
        return Err(format!("bad offsets {a}..{b} for {} bytes", data.len()));
    }
    Ok(&data[a as usize..b as usize])
}

/// The local file named by a path or a `file:` URI as Spark lists them
/// ([`emovox_corpora::files::split_uri`]). Other schemes (`hdfs:`, `s3a:`...) are not files this
/// process can open.
fn file_of(uri: &str) -> Result<PathBuf, String> {
    match split_uri(uri) {
        (Some("file"), "") => Err(format!("not a file path: {uri}")),
        (None | Some("file"), path) => Ok(PathBuf::from(path)),
        (Some(s), _) => Err(format!(
            "path mode opens local files only, not {s}: URIs (read them as bytes)"
        )),
    }
}

/// Row `i` of a batch as the Rust core reads it: the bytes of a file, or (`paths`) the file a
/// UTF-8 path or `file:` URI names.
fn row_input<'a>(
    data: &'a [u8],
    offsets: &[i64],
    i: usize,
    paths: bool,
    path_buf: &'a mut PathBuf,
) -> Result<Input<'a>, String> {
    let bytes = item(data, offsets, i)?;
    if !paths {
        return Ok(Input::Bytes(bytes));
    }
    let uri = std::str::from_utf8(bytes).map_err(|_| "path is not UTF-8".to_string())?;
    *path_buf = file_of(uri)?;
    Ok(Input::Path(path_buf))
}

fn check_offsets(offsets: &[i64]) -> PyResult<usize> {
    if offsets.is_empty() {
        return Err(err("offsets must have n + 1 entries (got 0)"));
    }
    Ok(offsets.len() - 1)
}

/// Runs `f` over `0..n` on `jobs` threads (1: this thread), keeping order.
/// Each row is a firewall ([`guarded`]): a panic fails that row alone.
#[allow(clippy::type_complexity)]
fn run_rows<T: Send>(
    n: usize,
    jobs: usize,
    f: impl Fn(usize) -> Result<T, String> + Sync + Send,
) -> Result<Vec<Result<T, String>>, String> {
    let row = |i| guarded(|| f(i));
    if jobs <= 1 || n <= 1 {
        return Ok((0..n).map(row).collect());
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| e.to_string())?;
    Ok(pool.install(|| (0..n).into_par_iter().map(row).collect()))
}

/// Features of every file in an Arrow-style binary column (`data`: the value bytes, `offsets`:
/// n + 1 positions), computed as `emovox features` computes them. With `paths=True` the column
/// holds UTF-8 paths or `file:` URIs (an Arrow string column's buffers) and each file is opened
/// and decoded here, as `emovox features` reads it. Returns
/// `(values, value_offsets, frames, columns, errors)`: the features of row `i` are
/// `values[value_offsets[i]:value_offsets[i+1]]` (frame-major, `frames[i] x columns[i]`), and
/// `errors[i]` is `None` or why row `i` failed (its values are then empty). Never raises for a
/// bad file.
#[pyfunction]
#[pyo3(signature = (data, offsets, pipeline="seed", jobs=1, paths=false))]
#[allow(clippy::type_complexity)]
fn features_batch<'py>(
    py: Python<'py>,
    data: PyReadonlyArray1<'py, u8>,
    offsets: PyReadonlyArray1<'py, i64>,
    pipeline: &str,
    jobs: usize,
    paths: bool,
) -> PyResult<(
    Bound<'py, PyArray1<f32>>,
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<i32>>,
    Bound<'py, PyArray1<i32>>,
    Bound<'py, PyList>,
)> {
    let config = parse_pipeline(pipeline)?;
    let data = data.as_slice().map_err(err)?;
    let offsets = offsets.as_slice().map_err(err)?;
    let n = check_offsets(offsets)?;
    let results = py
        .detach(|| {
            run_rows(n, jobs, |i| {
                let mut path = PathBuf::new();
                let input = row_input(data, offsets, i, paths, &mut path)?;
                with_extractor(&config, |ex| features_of_input(ex, &input))
            })
        })
        .map_err(err)?;
    let total: usize = results
        .iter()
        .map(|r| r.as_ref().map_or(0, |f| f.values.len()))
        .sum();
    let mut values = Vec::with_capacity(total);
    let mut value_offsets = Vec::with_capacity(n + 1);
    let (mut frames, mut columns) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let mut errors: Vec<Option<String>> = Vec::with_capacity(n);
    value_offsets.push(0i64);
    for r in results {
        match r {
            Ok(f) => {
                values.extend_from_slice(&f.values);
                frames.push(f.frames as i32);
                columns.push(f.columns as i32);
                errors.push(None);
            }
            Err(e) => {
                frames.push(0);
                columns.push(0);
                errors.push(Some(e));
            }
        }
        value_offsets.push(values.len() as i64);
    }
    Ok((
        values.into_pyarray(py),
        value_offsets.into_pyarray(py),
        frames.into_pyarray(py),
        columns.into_pyarray(py),
        PyList::new(py, errors)?,
    ))
}

/// Labels read from file names by the corpus indexers, for a column of paths (or Spark URIs).
/// Returns a dict of equal-length lists: `corpus`, `speaker`, `sex`, `emotion` (the corpus's own
/// word), `label` (the class under `scheme`: `full`, `seed4`, or a TOML file; random drops are
/// not applied) and `error` (`None`, or why a name that looks like a corpus's is invalid). A
/// name no corpus claims gets `None` labels and no error. `corpus`: read every name as this
/// corpus instead of detecting; `root`: read names no corpus claims as the folder layout
/// (`root/LABEL/file`).
#[pyfunction]
#[pyo3(signature = (paths, corpus=None, root=None, scheme="full"))]
fn labels<'py>(
    py: Python<'py>,
    paths: Vec<String>,
    corpus: Option<&str>,
    root: Option<PathBuf>,
    scheme: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let corpus: Option<Corpus> = corpus.map(str::parse).transpose().map_err(err)?;
    let indexer = Indexer::new().corpus(corpus);
    let scheme = Scheme::load(scheme).map_err(err)?;
    // Labels come from the path alone, whatever the scheme (`hdfs://nn/a/b.wav` reads as /a/b.wav).
    let local_path = |uri: &str| PathBuf::from(split_uri(uri).1);
    let root = root.map(|r| local_path(&r.to_string_lossy()));
    type Row = [Option<String>; 6];
    let rows: Vec<Row> = py.detach(|| {
        paths
            .iter()
            .map(
                |p| match indexer.label_file(&local_path(p), root.as_deref()) {
                    Ok(Some(c)) => [
                        Some(c.corpus.to_string()),
                        c.speaker.clone(),
                        c.sex.map(|s| s.name().to_string()),
                        Some(c.emotion.clone()),
                        scheme.class_of(&c),
                        None,
                    ],
                    Ok(None) => Default::default(),
                    Err(e) => [None, None, None, None, None, Some(e.reason)],
                },
            )
            .collect()
    });
    let out = PyDict::new(py);
    for (k, name) in ["corpus", "speaker", "sex", "emotion", "label", "error"]
        .iter()
        .enumerate()
    {
        let col: Vec<Option<String>> = rows.iter().map(|r| r[k].clone()).collect();
        out.set_item(*name, PyList::new(py, col)?)?;
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Recognizer
// ---------------------------------------------------------------------------------------------

/// A trained model with its feature pipeline: the bundled model (`model=None`), or a folder
/// saved by `emovox train`. Thread-safe; releases the GIL while predicting.
#[pyclass(frozen, module = "emovox")]
struct Recognizer {
    inner: Arc<emovox::Recognizer>,
}

/// A [`emovox::PredictionRecord`] as a Python dict, through its one JSON shape (serde), so
/// Python's dicts are the CLI's and the HTTP API's records: `{"label", "confidence",
/// "scores": [{"label", "probability"}]}`, or `{"error"[, "no_speech": True]}`.
fn record_dict<'py>(py: Python<'py>, r: &emovox::PredictionRecord) -> PyResult<Bound<'py, PyAny>> {
    json_to_py(py, &serde_json::to_value(r).map_err(err)?)
}

/// A JSON value as the Python object `json.loads` would give.
fn json_to_py<'py>(py: Python<'py>, v: &serde_json::Value) -> PyResult<Bound<'py, PyAny>> {
    use serde_json::Value as V;
    Ok(match v {
        V::Null => py.None().into_bound(py),
        V::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        V::Number(n) => match n.as_i64() {
            Some(i) => i.into_pyobject(py)?.into_any(),
            None => n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any(),
        },
        V::String(s) => PyString::new(py, s).into_any(),
        V::Array(a) => {
            let l = PyList::empty(py);
            for x in a {
                l.append(json_to_py(py, x)?)?;
            }
            l.into_any()
        }
        V::Object(o) => {
            let d = PyDict::new(py);
            for (k, x) in o {
                d.set_item(k, json_to_py(py, x)?)?;
            }
            d.into_any()
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Emotion timelines
// ---------------------------------------------------------------------------------------------

/// A recording handed to a timeline's worker thread.
enum OwnedAudio {
    Path(PathBuf),
    Bytes(Vec<u8>),
    Samples(Vec<f32>, u32),
}

/// A recording a timeline reads: a file, its bytes, or samples at a rate.
enum Audio<'a> {
    Path(&'a Path),
    Bytes(&'a [u8]),
    Samples(&'a [f32], u32),
}

impl OwnedAudio {
    fn audio(&self) -> Audio<'_> {
        match self {
            OwnedAudio::Path(p) => Audio::Path(p),
            OwnedAudio::Bytes(b) => Audio::Bytes(b),
            OwnedAudio::Samples(y, sr) => Audio::Samples(y, *sr),
        }
    }
}

/// The timeline of `audio`, streamed: `each` gets every segment as soon as it is complete, in
/// time order; a panic becomes an error.
fn timeline_of(
    rec: &emovox::Recognizer,
    audio: Audio<'_>,
    opts: &TimelineOptions,
    each: &mut dyn FnMut(Segment) -> emovox::Result<()>,
) -> emovox::Result<()> {
    let mut sent = 0usize;
    let mut stream_each = |s: &mut emovox::timeline::TimelineStream<'_>| {
        for seg in s.take_segments() {
            sent += 1;
            each(seg)?;
        }
        Ok(())
    };
    let run = || match audio {
        Audio::Path(p) => Timeline::of_file_with(rec, p, opts, &mut stream_each),
        Audio::Bytes(b) => Timeline::of_bytes_with(rec, b, None, opts, &mut stream_each),
        Audio::Samples(y, sr) => Timeline::of_samples(rec, y, sr, opts),
    };
    let t = emovox_audio::guard::catch_panic(run)
        .unwrap_or_else(|msg| Err(emovox::Error::Panicked(msg)))?;
    for seg in t.segments.into_iter().skip(sent) {
        each(seg)?;
    }
    Ok(())
}

fn timeline_options(
    window: Option<f64>,
    hop: Option<f64>,
    min_silence: f64,
    min_speech: f64,
    lead: f64,
) -> TimelineOptions {
    TimelineOptions {
        window,
        hop,
        min_silence,
        min_speech,
        lead,
    }
}

/// The segments of an emotion timeline, yielded as the recording is decoded and analysed (by
/// `Recognizer.timeline`): each a dict `{"start", "end", "label", "confidence", "scores"}`, the
/// `emovox timeline --format json` segment (`label` is `None` for silence). A recording hours
/// long streams through in bounded memory. A file that fails raises `EmovoxError` after the
/// segments found before the failure. Dropping the iterator stops the work.
#[pyclass(module = "emovox")]
struct TimelineSegments {
    rx: std::sync::Mutex<Option<Receiver<emovox::Result<Segment>>>>,
}

#[pymethods]
impl TimelineSegments {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let next = py.detach(|| {
            let guard = self.rx.lock().ok()?;
            guard.as_ref()?.recv().ok()
        });
        match next {
            None => Ok(None),
            Some(Ok(seg)) => Ok(Some(json_to_py(
                py,
                &serde_json::to_value(&seg).map_err(err)?,
            )?)),
            Some(Err(e)) => {
                if let Ok(mut g) = self.rx.lock() {
                    *g = None;
                }
                Err(rec_err(e))
            }
        }
    }
}

#[pymethods]
impl Recognizer {
    #[new]
    #[pyo3(signature = (model=None))]
    fn new(py: Python<'_>, model: Option<PathBuf>) -> PyResult<Self> {
        let inner = py
            .detach(|| emovox::Recognizer::from_option(model.as_deref()))
            .map_err(err)?;
        Ok(Recognizer {
            inner: Arc::new(inner),
        })
    }

    /// Class names, in the order of a prediction's `scores`.
    #[getter]
    fn classes(&self) -> Vec<String> {
        self.inner.classes().to_vec()
    }

    /// The model's feature pipeline, as a spec string.
    #[getter]
    fn pipeline(&self) -> String {
        self.inner.saved().pipeline.to_string()
    }

    /// Where the model came from.
    #[getter]
    fn source(&self) -> String {
        self.inner.source().to_string()
    }

    /// Predicts the emotion in a path, the bytes of a file, or samples (with `sr`). Returns the
    /// prediction record (the CLI's `--json` and the HTTP API's shape): `{"label": str,
    /// "confidence": float, "scores": [{"label": str, "probability": float}, ...]}`, scores in
    /// `classes` order. Raises `NoSpeechError` (an `EmovoxError`) when a model that trims
    /// silence finds no speech.
    #[pyo3(signature = (y_or_bytes, sr=None))]
    fn predict<'py>(
        &self,
        py: Python<'py>,
        y_or_bytes: &Bound<'py, PyAny>,
        sr: Option<u32>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let held = read_input(y_or_bytes, true)?;
        let input = held.input();
        let rec = &self.inner;
        // Every `predict_*` is its own panic firewall (`emovox::Recognizer`).
        let p = py.detach(|| match (&input, sr) {
            (Input::Samples(s), Some(sr)) => rec.predict_samples(s, sr).map_err(rec_err),
            (Input::Samples(_), None) => Err(err("sr is required when y is an array of samples")),
            (Input::Path(p), _) => rec.predict_file(p).map_err(rec_err),
            (Input::Bytes(b), _) => rec.predict_bytes(b, None).map_err(rec_err),
        })?;
        record_dict(py, &emovox::PredictionRecord::new(None, Ok(p)))
    }

    /// Predicts several recordings of one speaker (or one recording set-up) together, adapted
    /// to them without labels as the model's policy says (`emovox predict --adapt`; the bundled
    /// model moves their features' mean and spread to its training set's). `items`: paths, bytes, or arrays of samples
    /// (with `sr`). Returns one prediction record per item, in order, as `predict` does; an item
    /// that fails gives `{"error": reason}` (with `"no_speech": True` when it holds no speech) in
    /// its place instead of raising, so one bad file does not lose the others. Items given as
    /// paths carry them as `"file"`. With `self_train=True`, an svm or logistic model (the
    /// bundled one is logistic) is then refitted on its surest answers for these items, and the
    /// refitted model predicts them (`emovox predict --adapt --self-train`; at least 10
    /// readable items, else adapted only); another model raises `EmovoxError`.
    #[pyo3(signature = (items, sr=None, self_train=false))]
    fn predict_speaker<'py>(
        &self,
        py: Python<'py>,
        items: Vec<Bound<'py, PyAny>>,
        sr: Option<u32>,
        self_train: bool,
    ) -> PyResult<Bound<'py, PyList>> {
        if self_train {
            self.inner.saved().can_self_train().map_err(err)?;
        }
        let held = items
            .iter()
            .map(|o| read_input(o, true))
            .collect::<PyResult<Vec<_>>>()?;
        let inputs: Vec<Input<'_>> = held.iter().map(Held::input).collect();
        let rec = &self.inner;
        let results = py.detach(|| {
            let feats = inputs
                .iter()
                .map(|i| match (i, sr) {
                    (Input::Samples(s), Some(sr)) => rec.features_of_samples(s, sr),
                    (Input::Samples(_), None) => Err(emovox::Error::Invalid(
                        "sr is required when an item is an array of samples".into(),
                    )),
                    (Input::Path(p), _) => rec.features_of_file(p),
                    (Input::Bytes(b), _) => rec.features_of_bytes(b, None),
                })
                .collect();
            rec.predict_speaker_each_with(feats, self_train)
        });
        let out = PyList::empty(py);
        for (i, r) in inputs.iter().zip(results) {
            // Paths are named in their record (`"file"`); bytes and samples have no name.
            let file = match i {
                Input::Path(p) => Some(p.display().to_string()),
                _ => None,
            };
            out.append(record_dict(py, &emovox::PredictionRecord::new(file, r))?)?;
        }
        Ok(out)
    }

    /// The emotion timeline of a recording (a path, the bytes of a file, or samples with `sr`),
    /// as `emovox timeline` makes it: an iterator of segments yielded as soon as each is
    /// complete, while a worker thread decodes and analyses the rest, in bounded memory however
    /// long the recording. Options as `emovox timeline`'s (`window`/`hop` `None`: the model's).
    #[pyo3(signature = (y_or_bytes, sr=None, window=None, hop=None, min_silence=0.3, min_speech=0.25, lead=0.5))]
    #[allow(clippy::too_many_arguments)]
    fn timeline(
        &self,
        y_or_bytes: &Bound<'_, PyAny>,
        sr: Option<u32>,
        window: Option<f64>,
        hop: Option<f64>,
        min_silence: f64,
        min_speech: f64,
        lead: f64,
    ) -> PyResult<TimelineSegments> {
        let held = read_input(y_or_bytes, true)?;
        let audio = match (held.input(), sr) {
            (Input::Path(p), _) => OwnedAudio::Path(p.to_path_buf()),
            (Input::Bytes(b), _) => OwnedAudio::Bytes(b.to_vec()),
            (Input::Samples(y), Some(sr)) => OwnedAudio::Samples(y.into_owned(), sr),
            (Input::Samples(_), None) => {
                return Err(err("sr is required when y is an array of samples"))
            }
        };
        let opts = timeline_options(window, hop, min_silence, min_speech, lead);
        // Bad options fail here, in the caller's thread, before any work.
        opts.check(&self.inner).map_err(rec_err)?;
        let rec = Arc::clone(&self.inner);
        // A few hundred segments of look-ahead; the worker waits while the caller is slow.
        let (tx, rx) = sync_channel(256);
        std::thread::Builder::new()
            .name("emovox-timeline".into())
            .spawn(move || {
                let r = timeline_of(&rec, audio.audio(), &opts, &mut |seg| {
                    tx.send(Ok(seg))
                        .map_err(|_| emovox::Error::Invalid("the iterator was dropped".into()))
                });
                if let Err(e) = r {
                    let _ = tx.send(Err(e));
                }
            })
            .map_err(err)?;
        Ok(TimelineSegments {
            rx: std::sync::Mutex::new(Some(rx)),
        })
    }

    /// The emotion timelines of every file of an Arrow-style binary column, or (`paths=True`)
    /// of the files a column of paths or `file:` URIs names (see `features_batch`), each
    /// streamed in bounded memory; `jobs` files at a time. Returns the segments as columns:
    /// `(row, start, end, labels, confidence, probabilities, errors)`: segment `j` belongs to
    /// input row `row[j]`, spans `start[j]..end[j]` seconds, `labels[j]` is its emotion (`None`
    /// for silence; its `confidence` is then NaN and its `probabilities` row NaN);
    /// `probabilities` is float32 `(segments, classes)` in `classes` order. `errors[i]` is
    /// `None` or why input row `i` failed (a failed file has no segments). Never raises for a
    /// bad file.
    #[pyo3(signature = (data, offsets, jobs=1, paths=false, window=None, hop=None, min_silence=0.3, min_speech=0.25, lead=0.5))]
    #[allow(clippy::type_complexity, clippy::too_many_arguments)]
    fn timeline_batch<'py>(
        &self,
        py: Python<'py>,
        data: PyReadonlyArray1<'py, u8>,
        offsets: PyReadonlyArray1<'py, i64>,
        jobs: usize,
        paths: bool,
        window: Option<f64>,
        hop: Option<f64>,
        min_silence: f64,
        min_speech: f64,
        lead: f64,
    ) -> PyResult<(
        Bound<'py, PyArray1<i64>>,
        Bound<'py, PyArray1<f64>>,
        Bound<'py, PyArray1<f64>>,
        Bound<'py, PyList>,
        Bound<'py, PyArray1<f32>>,
        Bound<'py, PyArray2<f32>>,
        Bound<'py, PyList>,
    )> {
        let data = data.as_slice().map_err(err)?;
        let offsets = offsets.as_slice().map_err(err)?;
        let n = check_offsets(offsets)?;
        let opts = timeline_options(window, hop, min_silence, min_speech, lead);
        opts.check(&self.inner).map_err(rec_err)?;
        let rec = &self.inner;
        let k = rec.classes().len();
        let results = py
            .detach(|| {
                run_rows(n, jobs, |i| {
                    let mut path = PathBuf::new();
                    // Read in place: a row's bytes are not copied.
                    let audio = match row_input(data, offsets, i, paths, &mut path)? {
                        Input::Path(p) => Audio::Path(p),
                        Input::Bytes(b) => Audio::Bytes(b),
                        Input::Samples(_) => return Err("a batch row is bytes or a path".into()),
                    };
                    let mut segs = Vec::new();
                    timeline_of(rec, audio, &opts, &mut |s| {
                        segs.push(s);
                        Ok(())
                    })
                    .map_err(|e| e.to_string())?;
                    Ok(segs)
                })
            })
            .map_err(err)?;
        let (mut row, mut start, mut end) = (Vec::new(), Vec::new(), Vec::new());
        let (mut labels, mut conf, mut probs) = (Vec::new(), Vec::new(), Vec::new());
        let mut errors: Vec<Option<String>> = Vec::with_capacity(n);
        for (i, r) in results.into_iter().enumerate() {
            match r {
                Ok(segs) => {
                    errors.push(None);
                    for s in segs {
                        row.push(i as i64);
                        start.push(s.start);
                        end.push(s.end);
                        if s.label.is_some() && s.scores.len() == k {
                            conf.push(s.confidence);
                            probs.extend(s.scores.iter().map(|c| c.probability));
                        } else {
                            conf.push(f32::NAN);
                            probs.extend(std::iter::repeat_n(f32::NAN, k));
                        }
                        labels.push(s.label);
                    }
                }
                Err(e) => errors.push(Some(e)),
            }
        }
        let m = row.len();
        Ok((
            row.into_pyarray(py),
            start.into_pyarray(py),
            end.into_pyarray(py),
            PyList::new(py, labels)?,
            conf.into_pyarray(py),
            probs.into_pyarray(py).reshape([m, k])?,
            PyList::new(py, errors)?,
        ))
    }

    /// Predicts every file of an Arrow-style binary column, or (`paths=True`) of the files a
    /// column of paths or `file:` URIs names (see `features_batch`). Returns the prediction
    /// records' fields as columns: `(labels, confidence, probabilities, errors, no_speech)`:
    /// `labels[i]` (`None` on error), `confidence` float32 (NaN on error), `probabilities`
    /// float32 `(n, classes)` in `classes` order (NaN rows on error; a record's `scores`),
    /// `errors[i]` (`None` or why), `no_speech[i]` (whether it failed for holding no speech).
    /// Never raises for a bad file.
    #[pyo3(signature = (data, offsets, jobs=1, paths=false))]
    #[allow(clippy::type_complexity)]
    fn predict_batch<'py>(
        &self,
        py: Python<'py>,
        data: PyReadonlyArray1<'py, u8>,
        offsets: PyReadonlyArray1<'py, i64>,
        jobs: usize,
        paths: bool,
    ) -> PyResult<(
        Bound<'py, PyList>,
        Bound<'py, PyArray1<f32>>,
        Bound<'py, PyArray2<f32>>,
        Bound<'py, PyList>,
        Bound<'py, PyList>,
    )> {
        let data = data.as_slice().map_err(err)?;
        let offsets = offsets.as_slice().map_err(err)?;
        let n = check_offsets(offsets)?;
        let rec = &self.inner;
        let k = rec.classes().len();
        let results = py
            .detach(|| {
                run_rows(n, jobs, |i| {
                    let mut path = PathBuf::new();
                    let input = row_input(data, offsets, i, paths, &mut path)?;
                    let r = match input {
                        Input::Path(p) => rec.predict_file(p),
                        Input::Bytes(b) => rec.predict_bytes(b, None),
                        Input::Samples(_) => return Err("a batch row is bytes or a path".into()),
                    };
                    Ok(emovox::PredictionRecord::new(None, r))
                })
            })
            .map_err(err)?;
        let mut labels: Vec<Option<String>> = Vec::with_capacity(n);
        let mut conf = Vec::with_capacity(n);
        let mut probs = Vec::with_capacity(n * k);
        let mut errors: Vec<Option<String>> = Vec::with_capacity(n);
        let mut no_speech: Vec<bool> = Vec::with_capacity(n);
        for r in results {
            let r = r.unwrap_or_else(|e| emovox::PredictionRecord::failed(None, e, false));
            match &r.prediction {
                Some(p) => {
                    labels.push(Some(p.label.clone()));
                    conf.push(p.confidence);
                    probs.extend(p.probabilities());
                }
                None => {
                    labels.push(None);
                    conf.push(f32::NAN);
                    probs.extend(std::iter::repeat_n(f32::NAN, k));
                }
            }
            errors.push(r.error);
            no_speech.push(r.no_speech);
        }
        Ok((
            PyList::new(py, labels)?,
            conf.into_pyarray(py),
            probs.into_pyarray(py).reshape([n, k])?,
            PyList::new(py, errors)?,
            PyList::new(py, no_speech)?,
        ))
    }

    fn __repr__(&self) -> String {
        format!(
            "Recognizer(source={:?}, classes={:?}, pipeline={:?})",
            self.inner.source(),
            self.inner.classes(),
            self.inner.saved().pipeline.to_string()
        )
    }
}

// ---------------------------------------------------------------------------------------------
// The module
// ---------------------------------------------------------------------------------------------

/// The extension module `emovox._emovox`.
#[pymodule]
fn _emovox(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("EmovoxError", m.py().get_type::<EmovoxError>())?;
    m.add("NoSpeechError", m.py().get_type::<NoSpeechError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(mfcc, m)?)?;
    m.add_function(wrap_pyfunction!(melspectrogram, m)?)?;
    m.add_function(wrap_pyfunction!(features, m)?)?;
    m.add_function(wrap_pyfunction!(pipelines, m)?)?;
    m.add_function(wrap_pyfunction!(pipeline_info, m)?)?;
    m.add_function(wrap_pyfunction!(features_batch, m)?)?;
    m.add_function(wrap_pyfunction!(labels, m)?)?;
    m.add_class::<Recognizer>()?;
    m.add_class::<TimelineSegments>()?;
    Ok(())
}
