//! Microcontroller deployment: full-integer quantisation of a trained model (`emovox
//! quantize`) and its evaluation against the float model on a feature table's held-out split.
//!
//! The int8 model is written as `model.emt`, the format `emovox-tiny` (the `no_std` runtime)
//! reads; accuracy is measured by running `emovox-tiny` itself on the host, and checked against
//! the op-by-op integer reference in [`emovox_export::quant`]. The calibrated ranges are saved
//! too (`calibration.json`): with the float model they give the int8 model back exactly, which
//! is how [`export`] writes the same model as `model.tflite` ([`emovox_export::tflite`]).

use std::path::Path;

use emovox_corpora::table::Row;
use emovox_export::quant::{FloatNet, QuantModel, Ranges};
use emovox_model::metrics::Metrics;
use emovox_model::{Dataset, SavedModel};
use serde::Serialize;

use crate::recognizer::argmax;
use crate::train::load_table;
use crate::{Error, Result};

/// Options of [`quantize`].
#[derive(Debug, Clone)]
pub struct QuantizeOptions {
    /// Training rows (augmented copies included) used to calibrate activation ranges.
    pub calibration_rows: usize,
    /// Split whose original rows are scored.
    pub test_split: String,
}

impl Default for QuantizeOptions {
    fn default() -> Self {
        QuantizeOptions {
            calibration_rows: 1000,
            test_split: "test".into(),
        }
    }
}

/// Accuracy of one variant on the test rows.
#[derive(Debug, Clone, Serialize)]
pub struct Score {
    /// Accuracy.
    pub accuracy: f64,
    /// Unweighted average recall.
    pub uar: f64,
}

/// What [`quantize`] measured.
#[derive(Debug, Clone, Serialize)]
pub struct QuantReport {
    /// Test clips scored.
    pub test_clips: usize,
    /// Training rows the ranges were calibrated on.
    pub calibration_rows: usize,
    /// The folded float network (plain Rust).
    pub float: Score,
    /// The int8 network run by emovox-tiny on the host.
    pub int8: Score,
    /// Per corpus: `(name, clips, float accuracy, int8 accuracy)`.
    pub per_corpus: Vec<(String, usize, f64, f64)>,
    /// Test clips whose int8 label equals the float label.
    pub label_agreement: f64,
    /// Test clips on which emovox-tiny's logits differ from the integer reference (must be 0).
    pub reference_mismatches: usize,
    /// int8 weights.
    pub weights: usize,
    /// Bytes of int8 weights and int32 biases.
    pub weight_bytes: usize,
    /// Bytes of `model.emt` (weights, front-end tables, quantisation parameters).
    pub emt_bytes: usize,
    /// Arena bytes one inference (front end and network) needs.
    pub arena_bytes: usize,
    /// Multiply-accumulates of the network per inference.
    pub macs: usize,
}

/// The activation ranges `emovox quantize` calibrated, next to `model.emt`.
pub const CALIBRATION: &str = "calibration.json";

fn split_of(r: &Row) -> &str {
    r.meta.as_ref().map_or("", |m| m.split.as_str())
}

fn scores(classes: &[String], y: &[usize], p: &[usize]) -> Score {
    let m = Metrics::compute(classes, y, p);
    Score {
        accuracy: m.accuracy,
        uar: m.uar,
    }
}

/// Quantises the model in `run` to int8, calibrating on `table`'s training rows, scores float
/// and int8 on its test split, and writes `out/model.emt`, `out/calibration.json` (the
/// activation ranges) and `out/report.json`.
pub fn quantize(
    run: &Path,
    table: &Path,
    out: &Path,
    opts: &QuantizeOptions,
) -> Result<(QuantModel, QuantReport)> {
    let (saved, model) = SavedModel::load(run)?;
    let table_data = load_table(table)?;
    if table_data.pipeline != saved.pipeline {
        return Err(invalid!(
            "{} was made with pipeline {} but the model expects {}",
            table.display(),
            table_data.pipeline,
            saved.pipeline
        ));
    }
    if saved.speaker_norm() {
        return Err(invalid!(
            "{}: the model was trained with --speaker-norm, which needs a speaker's other clips at \
             prediction time; the on-device runtime sees one clip, so quantise a model trained \
             without it",
            run.display()
        ));
    }
    let net = FloatNet::from_model(&saved, &model)?;
    let train: Vec<Row> = table_data
        .rows
        .iter()
        .filter(|r| split_of(r) == "train")
        .cloned()
        .collect();
    if train.is_empty() {
        return Err(invalid!(
            "no training rows in {} to calibrate on",
            table.display()
        ));
    }
    let step = (train.len() / opts.calibration_rows.max(1)).max(1);
    let calib: Vec<Row> = train
        .into_iter()
        .step_by(step)
        .take(opts.calibration_rows)
        .collect();
    let mut cx = Dataset::from_rows(&calib, &saved.classes, |_| true)?.x;
    let std = saved
        .standardizer
        .as_ref()
        .ok_or_else(|| invalid!("the model has no standardiser"))?;
    std.apply(&mut cx);
    let ranges = net.calibrate(&cx);
    let q = QuantModel::new(&saved, &net, &ranges)?;
    let emt = q.to_emt();
    let tiny = emovox_tiny::Model::parse(&emt)?;

    let test: Vec<Row> = table_data
        .rows
        .iter()
        .filter(|r| {
            split_of(r) == opts.test_split && r.meta.as_ref().is_some_and(|m| m.augment.is_empty())
        })
        .cloned()
        .collect();
    if test.is_empty() {
        return Err(invalid!(
            "no original rows with split {:?} in {}",
            opts.test_split,
            table.display()
        ));
    }
    let data = Dataset::from_rows(&test, &saved.classes, |_| true)?;
    let [frames, features] = saved.input_shape;
    let stride = frames * features;
    let mut arena = vec![0u8; tiny.arena_bytes()];
    let (mut pf, mut pq, mut mismatches) = (Vec::new(), Vec::new(), 0);
    for raw in data.x.chunks_exact(stride) {
        let mut x = raw.to_vec();
        std.apply(&mut x);
        let logits = net.forward(&x, None);
        pf.push(argmax(&logits));
        let input = tiny.input_mut(&mut arena)?;
        for (i, (d, &v)) in input.iter_mut().zip(raw).enumerate() {
            *d = tiny.front.quantize(v, i % features);
        }
        let xq = input.to_vec();
        let o = tiny.run_input(&mut arena)?;
        if q.forward(&xq) != o.logits[..tiny.classes] {
            mismatches += 1;
        }
        pq.push(o.class);
    }
    let mut corpora = data.corpora.clone();
    corpora.sort();
    corpora.dedup();
    let acc = |idx: &[usize], p: &[usize]| {
        idx.iter().filter(|&&i| p[i] == data.y[i]).count() as f64 / idx.len().max(1) as f64
    };
    let per_corpus = corpora
        .iter()
        .map(|c| {
            let idx: Vec<usize> = (0..data.len()).filter(|&i| &data.corpora[i] == c).collect();
            (c.clone(), idx.len(), acc(&idx, &pf), acc(&idx, &pq))
        })
        .collect();
    let report = QuantReport {
        test_clips: data.len(),
        calibration_rows: calib.len(),
        float: scores(&saved.classes, &data.y, &pf),
        int8: scores(&saved.classes, &data.y, &pq),
        per_corpus,
        label_agreement: pf.iter().zip(&pq).filter(|(a, b)| a == b).count() as f64
            / data.len() as f64,
        reference_mismatches: mismatches,
        weights: tiny.net.weights(),
        weight_bytes: q.weight_bytes(),
        emt_bytes: emt.len(),
        arena_bytes: tiny.arena_bytes(),
        macs: tiny.net.macs(),
    };
    std::fs::create_dir_all(out).map_err(|e| Error::from(e).in_file(out))?;
    let p = out.join("model.emt");
    std::fs::write(&p, &emt).map_err(|e| Error::from(e).in_file(&p))?;
    let p = out.join(CALIBRATION);
    std::fs::write(&p, serde_json::to_string_pretty(&ranges)?)
        .map_err(|e| Error::from(e).in_file(&p))?;
    let p = out.join("report.json");
    std::fs::write(&p, serde_json::to_string_pretty(&report)?)
        .map_err(|e| Error::from(e).in_file(&p))?;
    Ok((q, report))
}

/// A short text version of `r`.
pub fn text_report(r: &QuantReport) -> String {
    let mut s = format!(
        "test clips {}  (calibrated on {} training rows)\nfloat  accuracy {:.4}  UAR {:.4}\nint8   accuracy {:.4}  UAR {:.4}\nlabels equal float/int8 {:.4}; emovox-tiny vs integer reference mismatches {}\n",
        r.test_clips, r.calibration_rows, r.float.accuracy, r.float.uar, r.int8.accuracy, r.int8.uar, r.label_agreement, r.reference_mismatches
    );
    for (c, n, f, q) in &r.per_corpus {
        s += &format!("  {c:<10} {n:>5} clips  float {f:.4}  int8 {q:.4}\n");
    }
    s += &format!(
        "int8 weights {} ({} bytes with int32 biases); model.emt {} bytes; arena {} bytes; {} MACs per inference\n",
        r.weights, r.weight_bytes, r.emt_bytes, r.arena_bytes, r.macs
    );
    s
}

/// What the host computes for one clip embedded in the firmware.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct ClipResult {
    /// The clip file.
    pub file: String,
    /// Samples embedded (16-bit, at the model's rate, cropped).
    pub samples: usize,
    /// emovox-tiny's class on the host, from the embedded 16-bit samples (what the device must
    /// print).
    pub class: usize,
    /// emovox-tiny's int8 logits on the host.
    pub logits: Vec<i8>,
    /// The class when the features come from `emovox-features` (librosa-exact) instead of the
    /// device front end.
    pub features_class: usize,
    /// Its class name.
    pub label: String,
}

/// What [`export`] wrote.
#[derive(Debug, Clone)]
pub struct Export {
    /// Bytes of `model.tflite`.
    pub tflite_bytes: usize,
    /// Its operators and sizes, read back.
    pub tflite: emovox_export::Summary,
    /// Bytes of `model.emt`.
    pub emt_bytes: usize,
    /// The clips' host results (empty without clips).
    pub clips: Vec<ClipResult>,
}

/// The int8 model of `int8/model.emt` rebuilt from the float model and `int8/calibration.json`
/// (checked to give the same `model.emt` bytes).
fn rebuild(run: &Path, int8: &Path, emt: &[u8]) -> Result<QuantModel> {
    let (saved, model) = SavedModel::load(run)?;
    let cal = int8.join(CALIBRATION);
    let text = std::fs::read_to_string(&cal).map_err(|e| {
        invalid!(
            "reading {}: {e} (written by `emovox quantize`; re-run it to export model.tflite)",
            cal.display()
        )
    })?;
    let ranges: Ranges = serde_json::from_str(&text).map_err(|e| Error::from(e).in_file(&cal))?;
    let q = QuantModel::new(&saved, &FloatNet::from_model(&saved, &model)?, &ranges)?;
    if q.to_emt() != emt {
        return Err(invalid!(
            "{} is not the model {} and {} give: re-run `emovox quantize`",
            int8.join("model.emt").display(),
            run.display(),
            cal.display()
        ));
    }
    Ok(q)
}

/// Writes a deployable bundle of the int8 model in `int8` (from [`quantize`]) into `out`:
/// * `model.tflite`: the same int8 network as a TFLite flatbuffer with TFLite Micro builtin
///   operators only ([`emovox_export::tflite`]), rebuilt from the float model in `run` and
///   `int8/calibration.json`;
/// * `model_data.cc` / `model_data.h`: `model.tflite` as a 16-byte aligned C array
///   (`emovox_model`, `emovox_model_len`) for TFLite Micro / Arduino projects;
/// * `model.emt` and `model.rs` (a Rust module embedding it with `include_bytes!` and exporting
///   `ARENA_BYTES` and `CLASSES`) for `emovox-tiny`;
/// * `model_info.json`: classes, input and output shapes and quantisation, arena bytes;
/// * for `clips`: `clips.bin` (each clip's cropped 16-bit samples at the model's rate, for the
///   firmware), `inputs.npy` (the int8 model inputs the device front end computes from them,
///   `[clips, frames, features]`) and `expected.json` ([`ClipResult`]s: emovox-tiny's int8
///   logits on the host), which the firmware check and `scripts/check_tflite.py` compare with.
pub fn export(run: &Path, int8: &Path, out: &Path, clips: &[std::path::PathBuf]) -> Result<Export> {
    let (saved, _) = SavedModel::load(run)?;
    let emt_path = int8.join("model.emt");
    let emt = std::fs::read(&emt_path).map_err(|e| {
        invalid!(
            "reading {}: {e} (run `emovox quantize` first)",
            emt_path.display()
        )
    })?;
    let tiny = emovox_tiny::Model::parse(&emt).map_err(|e| Error::from(e).in_file(&emt_path))?;
    let q = rebuild(run, int8, &emt)?;
    let tflite = emovox_export::write(&q)?;
    let summary = emovox_export::inspect(&tflite)?;
    std::fs::create_dir_all(out).map_err(|e| Error::from(e).in_file(out))?;
    let write = |name: &str, bytes: &[u8]| -> Result<()> {
        let p = out.join(name);
        std::fs::write(&p, bytes).map_err(|e| Error::from(e).in_file(&p))
    };
    write("model.tflite", &tflite)?;
    write("model.emt", &emt)?;
    write(
        "model.rs",
        format!(
            "// Generated by `emovox export`: the int8 model for emovox-tiny.\n\n/// The `model.emt` bytes.\npub static MODEL: &[u8] = include_bytes!(\"model.emt\");\n/// Arena bytes `emovox_tiny::Model::run` needs for this model.\npub const ARENA_BYTES: usize = {};\n/// Class names, in output order.\npub const CLASSES: [&str; {}] = {:?};\n",
            tiny.arena_bytes(),
            saved.classes.len(),
            saved.classes
        )
        .as_bytes(),
    )?;
    let [frames, features] = q.input_shape;
    let (inq, outq) = (q.input, q.output.output);
    let about = format!(
        "model.tflite: int8 cnn-attn for TFLite Micro (builtin ops: {ops}).\n// Input  int8 [1, {frames}, {features}] log-mel frames, scale {}, zero point {}.\n// Output int8 [1, {n}] logits, scale {}, zero point {}; classes in order: {}.",
        inq.scale,
        inq.zero_point,
        outq.scale,
        outq.zero_point,
        saved.classes.join(", "),
        n = saved.classes.len(),
        ops = {
            let mut ops = summary.operators.clone();
            ops.sort();
            ops.dedup();
            ops.join(", ")
        },
    );
    let (h, cc) = emovox_export::firmware::c_array("emovox_model", &tflite, &about);
    write("model_data.h", h.as_bytes())?;
    write("model_data.cc", cc.as_bytes())?;
    let info = serde_json::json!({
        "classes": saved.classes,
        "input": {"shape": [1, frames, features], "dtype": "int8", "scale": inq.scale, "zero_point": inq.zero_point},
        "output": {"shape": [1, saved.classes.len()], "dtype": "int8", "scale": outq.scale, "zero_point": outq.zero_point},
        "arena_bytes": tiny.arena_bytes(),
        "tflite_bytes": tflite.len(),
        "emt_bytes": emt.len(),
    });
    write(
        "model_info.json",
        serde_json::to_string_pretty(&info)?.as_bytes(),
    )?;
    let mut done = Export {
        tflite_bytes: tflite.len(),
        tflite: summary,
        emt_bytes: emt.len(),
        clips: Vec::new(),
    };
    if clips.is_empty() {
        return Ok(done);
    }
    let mut ex = emovox_features::Extractor::new(saved.pipeline.clone())?;
    let stride = tiny.front.n_samples;
    let mut bin = Vec::new();
    bin.extend_from_slice(&(clips.len() as u32).to_le_bytes());
    bin.extend_from_slice(&(stride as u32).to_le_bytes());
    let mut arena = vec![0u8; tiny.arena_bytes()];
    let mut inputs: Vec<i8> = Vec::new();
    for path in clips {
        let d = emovox_audio::decode_file(path, &emovox_audio::DecodeOptions::new())
            .map_err(|e| Error::from(e).in_file(path))?;
        let mut y = Vec::new();
        ex.prepare(&d.samples, d.sample_rate, &mut y)
            .map_err(|e| Error::from(e).in_file(path))?;
        let pcm: Vec<i16> = y
            .iter()
            .take(stride)
            .map(|&v| (v * 32768.0).round().clamp(-32768.0, 32767.0) as i16)
            .collect();
        bin.extend_from_slice(&(pcm.len() as u32).to_le_bytes());
        for i in 0..stride {
            bin.extend_from_slice(&pcm.get(i).copied().unwrap_or(0).to_le_bytes());
        }
        // What `tiny.run` does, keeping the int8 input the front end computed.
        tiny.front_end(&pcm[..], &mut arena)?;
        inputs.extend_from_slice(tiny.input_mut(&mut arena)?);
        let o = tiny.run_input(&mut arena)?;
        // The same samples through emovox-features.
        let yf: Vec<f32> = pcm.iter().map(|&s| s as f32 / 32768.0).collect();
        let mut f = emovox_features::Features::default();
        ex.process_prepared(&yf, &mut f)?;
        let input = tiny.input_mut(&mut arena)?;
        let cols = f.columns.max(1);
        for (i, (d, &v)) in input.iter_mut().zip(&f.values).enumerate() {
            *d = tiny.front.quantize(v, i % cols);
        }
        let of = tiny.run_input(&mut arena)?;
        done.clips.push(ClipResult {
            file: path.display().to_string(),
            samples: pcm.len(),
            class: o.class,
            logits: o.logits[..tiny.classes].to_vec(),
            features_class: of.class,
            label: saved.classes[o.class].clone(),
        });
    }
    write("clips.bin", &bin)?;
    write(
        "inputs.npy",
        &emovox_export::firmware::npy_i8(&[clips.len(), frames, features], &inputs),
    )?;
    write(
        "expected.json",
        serde_json::to_string_pretty(&done.clips)?.as_bytes(),
    )?;
    Ok(done)
}
