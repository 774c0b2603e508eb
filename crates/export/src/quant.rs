//! Full-integer post-training quantisation of `cnn-attn` models, TFLite's conventions: BatchNorm
//! folded into the convolutions, symmetric per-channel int8 convolution weights, symmetric
//! per-tensor int8 dense weights, int32 biases (scale `s_in · s_w`), asymmetric int8 activations
//! (scale and zero point from min/max calibration on real training clips), fixed-point
//! multipliers (`QuantizeMultiplier`) and TFLite's int8 softmax.
//!
//! Each fixed-point multiplier is derived from the float32 scales exactly as the TFLite kernel
//! that runs the op derives it, so the exported `model.tflite` computes the same integers:
//! `CONV_2D` (the convolutions, the attention score and, as 1×1 convolutions, the dense layers)
//! takes `f64(s_in) · f64(s_w[c]) / f64(s_out)` per channel; `BATCH_MATMUL` (the attention's
//! weighted mean) takes the float32 product `f64(s_in · s_w) / f64(s_out)`.
//!
//! [`FloatNet`] is the folded float network (a plain-Rust forward pass that records activation
//! ranges); [`QuantModel`] is its int8 version with a naive integer reference forward pass
//! ([`QuantModel::forward`]) and the `model.emt` writer ([`QuantModel::to_emt`]) that
//! `emovox-tiny` runs.

use burn::module::Param;
use burn::tensor::Tensor;
use emovox_features::mel::MelFilterbank;
use emovox_features::{Kind, PipelineConfig};
use emovox_tiny::fixed::{
    multiply_by_quantized_multiplier as mbqm, quantize_multiplier, softmax_i8, softmax_params,
};

use emovox_model::cnn_attn::CnnAttn;
use emovox_model::models::Model;
use emovox_model::saved::SavedModel;

use crate::{Error, Result};

fn values<const D: usize>(p: &Param<Tensor<D>>) -> Result<Vec<f32>> {
    p.val()
        .into_data()
        .try_to_vec::<f32>()
        .map_err(|e| Error::Weights(format!("{e:?}")))
}

/// A convolution block with BatchNorm folded in: weights `[c_out][k][c_in]`, bias `[c_out]`,
/// followed by ReLU and (if `pool`) max-pool 2.
#[derive(Debug, Clone, PartialEq)]
pub struct FloatConv {
    /// Input channels.
    pub c_in: usize,
    /// Output channels.
    pub c_out: usize,
    /// Kernel size.
    pub k: usize,
    /// Max-pool 2 after the ReLU.
    pub pool: bool,
    /// Weights `[c_out][k][c_in]`.
    pub w: Vec<f32>,
    /// Bias.
    pub b: Vec<f32>,
}

/// A dense layer: weights `[out][in]`, bias `[out]`.
#[derive(Debug, Clone, PartialEq)]
pub struct FloatDense {
    /// Inputs.
    pub n_in: usize,
    /// Outputs.
    pub n_out: usize,
    /// Weights `[out][in]`.
    pub w: Vec<f32>,
    /// Bias.
    pub b: Vec<f32>,
}

/// The inference-time float `cnn-attn` network, BatchNorm folded, in plain Rust.
#[derive(Debug, Clone, PartialEq)]
pub struct FloatNet {
    /// Input frames.
    pub frames: usize,
    /// Input features per frame.
    pub features: usize,
    /// Convolution blocks.
    pub convs: Vec<FloatConv>,
    /// Attention score weights (one per channel).
    pub att_w: Vec<f32>,
    /// Attention score bias.
    pub att_b: f32,
    /// Hidden dense layer (ReLU).
    pub dense: FloatDense,
    /// Output layer (logits).
    pub output: FloatDense,
}

/// Min/max of every activation tensor over the calibration inputs. With the float model they
/// determine the int8 model exactly (`emovox quantize` saves them as `calibration.json`, from
/// which `emovox export` rebuilds the model to write `model.tflite`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Ranges {
    /// The (standardised) input.
    pub input: (f32, f32),
    /// Each block's output (after ReLU).
    pub convs: Vec<(f32, f32)>,
    /// Attention scores.
    pub scores: (f32, f32),
    /// Hidden dense layer output.
    pub hidden: (f32, f32),
    /// Logits.
    pub logits: (f32, f32),
}

fn widen(r: &mut (f32, f32), v: f32) {
    r.0 = r.0.min(v);
    r.1 = r.1.max(v);
}

impl Ranges {
    fn empty(blocks: usize) -> Self {
        let e = (f32::INFINITY, f32::NEG_INFINITY);
        Ranges {
            input: e,
            convs: vec![e; blocks],
            scores: e,
            hidden: e,
            logits: e,
        }
    }
}

impl FloatNet {
    /// Folds a trained `cnn-attn` (BatchNorm into the convolutions). Other networks, and
    /// per-utterance normalisation, are not supported on devices yet.
    pub fn from_model(saved: &SavedModel, model: &Model) -> Result<Self> {
        let Model::CnnAttn(m) = model else {
            return Err(Error::Unsupported(format!(
                "only cnn-attn models quantise, not {}",
                saved.model.name()
            )));
        };
        Self::from_cnn_attn(m, saved.input_shape)
    }

    fn from_cnn_attn(m: &CnnAttn, [frames, features]: [usize; 2]) -> Result<Self> {
        if m.utterance_norm != 0 {
            return Err(Error::Unsupported(
                "utterance_norm is not supported by the int8 export".into(),
            ));
        }
        let mut convs = Vec::new();
        for b in &m.blocks {
            let [c_out, c_in, k] = b.conv.weight.val().dims();
            let w = values(&b.conv.weight)?; // [c_out][c_in][k]
            let bias = match &b.conv.bias {
                Some(p) => values(p)?,
                None => vec![0.0; c_out],
            };
            let gamma = values(&b.norm.gamma)?;
            let beta = values(&b.norm.beta)?;
            let mean = b
                .norm
                .running_mean
                .value()
                .into_data()
                .try_to_vec::<f32>()
                .map_err(|e| Error::Weights(format!("{e:?}")))?;
            let var = b
                .norm
                .running_var
                .value()
                .into_data()
                .try_to_vec::<f32>()
                .map_err(|e| Error::Weights(format!("{e:?}")))?;
            let mut fw = vec![0.0; c_out * k * c_in];
            let mut fb = vec![0.0; c_out];
            for o in 0..c_out {
                let s = gamma[o] as f64 / (var[o] as f64 + b.norm.epsilon).sqrt();
                for i in 0..c_in {
                    for j in 0..k {
                        fw[(o * k + j) * c_in + i] = (w[(o * c_in + i) * k + j] as f64 * s) as f32;
                    }
                }
                fb[o] = ((bias[o] as f64 - mean[o] as f64) * s + beta[o] as f64) as f32;
            }
            convs.push(FloatConv {
                c_in,
                c_out,
                k,
                pool: b.pool.is_some(),
                w: fw,
                b: fb,
            });
        }
        let att_w = values(&m.attention.weight)?;
        let att_b = match &m.attention.bias {
            Some(p) => values(p)?[0],
            None => 0.0,
        };
        let dense = |l: &burn::nn::Linear| -> Result<FloatDense> {
            let [n_in, n_out] = l.weight.val().dims();
            let w = values(&l.weight)?; // [in][out]
            let mut t = vec![0.0; n_in * n_out];
            for i in 0..n_in {
                for o in 0..n_out {
                    t[o * n_in + i] = w[i * n_out + o];
                }
            }
            let b = match &l.bias {
                Some(p) => values(p)?,
                None => vec![0.0; n_out],
            };
            Ok(FloatDense {
                n_in,
                n_out,
                w: t,
                b,
            })
        };
        Ok(FloatNet {
            frames,
            features,
            convs,
            att_w,
            att_b,
            dense: dense(&m.dense)?,
            output: dense(&m.output)?,
        })
    }

    /// Logits for one standardised input `[frames][features]`; widens `ranges` if given.
    pub fn forward(&self, x: &[f32], mut ranges: Option<&mut Ranges>) -> Vec<f32> {
        if let Some(r) = ranges.as_deref_mut() {
            x.iter().for_each(|&v| widen(&mut r.input, v));
        }
        let mut h = x.to_vec();
        let mut t = self.frames;
        for (bi, c) in self.convs.iter().enumerate() {
            let pad = c.k / 2;
            let mut y = vec![0f32; t * c.c_out];
            for ti in 0..t {
                for o in 0..c.c_out {
                    let mut acc = c.b[o];
                    for j in 0..c.k {
                        let s = ti + j;
                        if s < pad || s - pad >= t {
                            continue;
                        }
                        let xr = &h[(s - pad) * c.c_in..][..c.c_in];
                        let wr = &c.w[(o * c.k + j) * c.c_in..][..c.c_in];
                        acc += xr.iter().zip(wr).map(|(a, b)| a * b).sum::<f32>();
                    }
                    y[ti * c.c_out + o] = acc.max(0.0);
                }
            }
            if let Some(r) = ranges.as_deref_mut() {
                y.iter().for_each(|&v| widen(&mut r.convs[bi], v));
            }
            if c.pool {
                let t2 = t / 2;
                let mut p = vec![0f32; t2 * c.c_out];
                for ti in 0..t2 {
                    for o in 0..c.c_out {
                        p[ti * c.c_out + o] =
                            y[2 * ti * c.c_out + o].max(y[(2 * ti + 1) * c.c_out + o]);
                    }
                }
                y = p;
                t = t2;
            }
            h = y;
        }
        let ch = self.att_w.len();
        let scores: Vec<f32> = h
            .chunks_exact(ch)
            .map(|row| self.att_b + row.iter().zip(&self.att_w).map(|(a, b)| a * b).sum::<f32>())
            .collect();
        let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let e: Vec<f32> = scores.iter().map(|s| (s - max).exp()).collect();
        let total: f32 = e.iter().sum();
        let a: Vec<f32> = e.iter().map(|v| v / total).collect();
        let mut pooled = vec![0f32; 2 * ch];
        for c in 0..ch {
            let mut m = f32::NEG_INFINITY;
            let mut s = 0.0;
            for ti in 0..t {
                let v = h[ti * ch + c];
                s += v * a[ti];
                m = m.max(v);
            }
            pooled[c] = s;
            pooled[ch + c] = m;
        }
        let lin = |d: &FloatDense, x: &[f32], relu: bool| -> Vec<f32> {
            (0..d.n_out)
                .map(|o| {
                    let v = d.b[o]
                        + d.w[o * d.n_in..][..d.n_in]
                            .iter()
                            .zip(x)
                            .map(|(a, b)| a * b)
                            .sum::<f32>();
                    if relu {
                        v.max(0.0)
                    } else {
                        v
                    }
                })
                .collect()
        };
        let hidden = lin(&self.dense, &pooled, true);
        let logits = lin(&self.output, &hidden, false);
        if let Some(r) = ranges {
            scores.iter().for_each(|&v| widen(&mut r.scores, v));
            hidden.iter().for_each(|&v| widen(&mut r.hidden, v));
            logits.iter().for_each(|&v| widen(&mut r.logits, v));
        }
        logits
    }

    /// Activation ranges over `inputs` (standardised, `[n][frames][features]`).
    pub fn calibrate(&self, inputs: &[f32]) -> Ranges {
        let mut r = Ranges::empty(self.convs.len());
        for x in inputs.chunks_exact(self.frames * self.features) {
            self.forward(x, Some(&mut r));
        }
        r
    }
}

/// An int8 tensor's quantisation: `real = scale · (q − zero_point)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QParams {
    /// Scale.
    pub scale: f32,
    /// Zero point.
    pub zero_point: i32,
}

impl QParams {
    /// TFLite's asymmetric int8 parameters for a calibrated `[min, max]` (widened to hold 0).
    pub fn from_range((min, max): (f32, f32)) -> Self {
        let (min, max) = (min.min(0.0) as f64, max.max(0.0) as f64);
        let scale = if max > min {
            (max - min) / 255.0
        } else {
            1.0 / 255.0
        };
        let zp = (-128.0 - min / scale).round().clamp(-128.0, 127.0) as i32;
        QParams {
            scale: scale as f32,
            zero_point: zp,
        }
    }

    /// `q` for a real value.
    pub fn quantize(&self, v: f32) -> i8 {
        ((v / self.scale).round() as i32 + self.zero_point).clamp(-128, 127) as i8
    }
}

/// Symmetric int8 weights with their scales (one per output channel, or one).
#[derive(Debug, Clone, PartialEq)]
pub struct QWeights {
    /// The weights, same layout as the float ones.
    pub q: Vec<i8>,
    /// Scale per output channel (length 1 when per-tensor).
    pub scales: Vec<f32>,
}

fn quantize_weights(w: &[f32], rows: usize, per_channel: bool) -> QWeights {
    let n = w.len() / rows.max(1);
    let scale_of = |v: &[f32]| {
        let m = v.iter().fold(0f32, |a, b| a.max(b.abs()));
        if m > 0.0 {
            m / 127.0
        } else {
            1.0
        }
    };
    let scales: Vec<f32> = if per_channel {
        w.chunks(n).map(scale_of).collect()
    } else {
        vec![scale_of(w)]
    };
    let q = w
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let s = scales[if per_channel { i / n } else { 0 }];
            (v / s).round().clamp(-127.0, 127.0) as i8
        })
        .collect();
    QWeights { q, scales }
}

fn bias_q(b: &[f32], s_in: f32, scales: &[f32]) -> Vec<i32> {
    b.iter()
        .enumerate()
        .map(|(o, &v)| {
            let s = s_in as f64 * scales[o.min(scales.len() - 1)] as f64;
            (v as f64 / s)
                .round()
                .clamp(i32::MIN as f64, i32::MAX as f64) as i32
        })
        .collect()
}

/// Per-channel multipliers as TFLite's `CONV_2D` computes them (double products).
fn multipliers(s_in: f32, scales: &[f32], s_out: f32) -> (Vec<i32>, Vec<i32>) {
    scales
        .iter()
        .map(|&s| quantize_multiplier(s_in as f64 * s as f64 / s_out as f64))
        .unzip()
}

/// A multiplier as TFLite's `BATCH_MATMUL` computes it (`GetQuantizedConvolutionMultipler`): the
/// product of the two input scales in float32.
fn tflite_multiplier(s_in: f32, s_w: f32, s_out: f32) -> (i32, i32) {
    quantize_multiplier((s_in * s_w) as f64 / s_out as f64)
}

/// An int8 convolution block.
#[derive(Debug, Clone, PartialEq)]
pub struct QConv {
    /// Shapes and pooling as [`FloatConv`].
    pub c_in: usize,
    /// Output channels.
    pub c_out: usize,
    /// Kernel size.
    pub k: usize,
    /// Max-pool 2 after.
    pub pool: bool,
    /// Weights `[c_out][k][c_in]` and per-channel scales.
    pub w: QWeights,
    /// int32 bias.
    pub bias: Vec<i32>,
    /// Input quantisation.
    pub input: QParams,
    /// Output quantisation (ReLU: zero point is the activation minimum).
    pub output: QParams,
    /// Fixed-point multipliers per channel.
    pub mult: Vec<i32>,
    /// Shifts per channel.
    pub shift: Vec<i32>,
}

/// An int8 dense layer (per-tensor weights).
#[derive(Debug, Clone, PartialEq)]
pub struct QDense {
    /// Inputs.
    pub n_in: usize,
    /// Outputs.
    pub n_out: usize,
    /// Weights `[out][in]`, one scale.
    pub w: QWeights,
    /// int32 bias.
    pub bias: Vec<i32>,
    /// Input quantisation.
    pub input: QParams,
    /// Output quantisation.
    pub output: QParams,
    /// ReLU fused.
    pub relu: bool,
    /// Fixed-point multiplier.
    pub mult: i32,
    /// Shift.
    pub shift: i32,
}

impl QDense {
    fn act_min(&self) -> i32 {
        if self.relu {
            self.output.zero_point.max(-128)
        } else {
            -128
        }
    }
}

/// The int8 model: front-end tables, input quantisation and the integer network.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantModel {
    /// Class names.
    pub classes: Vec<String>,
    /// `[frames, features]`.
    pub input_shape: [usize; 2],
    /// The feature pipeline (log-mel).
    pub pipeline: PipelineConfig,
    /// Standardiser mean per feature.
    pub mean: Vec<f32>,
    /// Standardiser standard deviation per feature.
    pub std: Vec<f32>,
    /// Input quantisation.
    pub input: QParams,
    /// Convolution blocks.
    pub convs: Vec<QConv>,
    /// Attention score weights (per-channel scale, one channel).
    pub att_w: QWeights,
    /// Attention score bias.
    pub att_bias: i32,
    /// Attention score quantisation.
    pub scores: QParams,
    /// Attention score multiplier and shift.
    pub att_mult: (i32, i32),
    /// Softmax output quantisation (1/256, −128).
    pub weights: QParams,
    /// Multiplier and shift of the weighted mean `Σ_t a_t · h_t` (a `BATCH_MATMUL` of the
    /// softmax weights and the last block's output, into that output's quantisation).
    pub mean_mult: (i32, i32),
    /// Hidden dense layer.
    pub dense: QDense,
    /// Output layer.
    pub output: QDense,
}

impl QuantModel {
    /// Quantises `net` with calibrated `ranges` for a log-mel model `saved`.
    pub fn new(saved: &SavedModel, net: &FloatNet, ranges: &Ranges) -> Result<Self> {
        let p = &saved.pipeline;
        if p.kind != Kind::LogMel || p.frames.is_none() || p.crop.is_none() {
            return Err(Error::Unsupported(format!(
                "the device front end computes log-mel with a crop and a fixed frame count; this model's pipeline is {p}"
            )));
        }
        if !p.n_fft.is_power_of_two() {
            return Err(Error::Unsupported(format!(
                "n_fft {} is not a power of two",
                p.n_fft
            )));
        }
        let std = saved
            .standardizer
            .as_ref()
            .ok_or_else(|| Error::Unsupported("the model has no standardiser".into()))?;
        let input = QParams::from_range(ranges.input);
        let mut convs = Vec::new();
        let mut cur = input;
        for (c, &r) in net.convs.iter().zip(&ranges.convs) {
            let w = quantize_weights(&c.w, c.c_out, true);
            let output = QParams::from_range((0.0, r.1));
            let (mult, shift) = multipliers(cur.scale, &w.scales, output.scale);
            convs.push(QConv {
                c_in: c.c_in,
                c_out: c.c_out,
                k: c.k,
                pool: c.pool,
                bias: bias_q(&c.b, cur.scale, &w.scales),
                w,
                input: cur,
                output,
                mult,
                shift,
            });
            cur = output;
        }
        let h = cur;
        let att_w = quantize_weights(&net.att_w, 1, true);
        let scores = QParams::from_range(ranges.scores);
        let att_bias = bias_q(&[net.att_b], h.scale, &att_w.scales)[0];
        let (am, ash) = multipliers(h.scale, &att_w.scales, scores.scale);
        let weights = QParams {
            scale: 1.0 / 256.0,
            zero_point: -128,
        };
        let mean_mult = tflite_multiplier(weights.scale, h.scale, h.scale);
        let dense = |d: &FloatDense, input: QParams, range: (f32, f32), relu: bool| -> QDense {
            let w = quantize_weights(&d.w, d.n_out, false);
            let output = QParams::from_range(if relu { (0.0, range.1) } else { range });
            let (m, s) =
                quantize_multiplier(input.scale as f64 * w.scales[0] as f64 / output.scale as f64);
            QDense {
                n_in: d.n_in,
                n_out: d.n_out,
                bias: bias_q(&d.b, input.scale, &w.scales),
                w,
                input,
                output,
                relu,
                mult: m,
                shift: s,
            }
        };
        let d1 = dense(&net.dense, h, ranges.hidden, true);
        let d2 = dense(&net.output, d1.output, ranges.logits, false);
        Ok(QuantModel {
            classes: saved.classes.clone(),
            input_shape: saved.input_shape,
            pipeline: p.clone(),
            mean: std.mean.clone(),
            std: std.std.clone(),
            input,
            convs,
            att_w,
            att_bias,
            scores,
            att_mult: (am[0], ash[0]),
            weights,
            mean_mult,
            dense: d1,
            output: d2,
        })
    }

    /// The last block's output quantisation (also the pooled vector's).
    pub fn pooled(&self) -> QParams {
        self.convs.last().map_or(self.input, |c| c.output)
    }

    /// Bytes of int8 weights plus int32 biases (what the network stores).
    pub fn weight_bytes(&self) -> usize {
        let w: usize = self
            .convs
            .iter()
            .map(|c| c.w.q.len() + 4 * c.bias.len())
            .sum();
        w + self.att_w.q.len()
            + 4
            + self.dense.w.q.len()
            + 4 * self.dense.bias.len()
            + self.output.w.q.len()
            + 4 * self.output.bias.len()
    }

    /// Quantises one feature value of column `c` (standardise, then the input quantisation) as
    /// `emovox-tiny`'s front end does.
    pub fn quantize_input(&self, v: f32, c: usize) -> i8 {
        let x = (v - self.mean[c]) / self.std[c];
        ((x / self.input.scale).round() as i32 + self.input.zero_point).clamp(-128, 127) as i8
    }

    /// The integer reference: int8 logits of an int8 input `[frames][features]`, computed op by
    /// op as TFLite's reference kernels do (full tensors between ops).
    pub fn forward(&self, x: &[i8]) -> Vec<i8> {
        let mut h: Vec<i8> = x.to_vec();
        let mut t = self.input_shape[0];
        for c in &self.convs {
            let pad = c.k as isize / 2;
            let mut y = vec![0i8; t * c.c_out];
            for ti in 0..t as isize {
                for o in 0..c.c_out {
                    let mut acc: i64 = c.bias[o] as i64;
                    for j in 0..c.k as isize {
                        let s = ti + j - pad;
                        if s < 0 || s >= t as isize {
                            continue;
                        }
                        for i in 0..c.c_in {
                            let xv = h[s as usize * c.c_in + i] as i64 - c.input.zero_point as i64;
                            acc += c.w.q[(o * c.k + j as usize) * c.c_in + i] as i64 * xv;
                        }
                    }
                    let v = mbqm(acc as i32, c.mult[o], c.shift[o]) + c.output.zero_point;
                    y[ti as usize * c.c_out + o] =
                        v.clamp(c.output.zero_point.max(-128), 127) as i8;
                }
            }
            if c.pool {
                let t2 = t / 2;
                y = (0..t2 * c.c_out)
                    .map(|i| {
                        let (ti, o) = (i / c.c_out, i % c.c_out);
                        y[2 * ti * c.c_out + o].max(y[(2 * ti + 1) * c.c_out + o])
                    })
                    .collect();
                t = t2;
            }
            h = y;
        }
        let hp = self.pooled();
        let ch = self.att_w.q.len();
        let scores: Vec<i8> = h
            .chunks_exact(ch)
            .map(|row| {
                let acc: i32 = self.att_bias
                    + row
                        .iter()
                        .zip(&self.att_w.q)
                        .map(|(&v, &w)| (v as i32 - hp.zero_point) * w as i32)
                        .sum::<i32>();
                (mbqm(acc, self.att_mult.0, self.att_mult.1) + self.scores.zero_point)
                    .clamp(-128, 127) as i8
            })
            .collect();
        let (m, s, d) = softmax_params(self.scores.scale);
        let mut a = vec![0i8; t];
        softmax_i8(&scores, &mut a, m, s, d);
        let mut pooled = vec![0i8; 2 * ch];
        for c in 0..ch {
            let s: i32 = (0..t)
                .map(|ti| {
                    (a[ti] as i32 - self.weights.zero_point)
                        * (h[ti * ch + c] as i32 - hp.zero_point)
                })
                .sum();
            pooled[c] = (mbqm(s, self.mean_mult.0, self.mean_mult.1) + hp.zero_point)
                .clamp(-128, 127) as i8;
            pooled[ch + c] = (0..t).map(|ti| h[ti * ch + c]).max().unwrap_or(-128);
        }
        let lin = |d: &QDense, x: &[i8]| -> Vec<i8> {
            (0..d.n_out)
                .map(|o| {
                    let acc = d.bias[o]
                        + (0..d.n_in)
                            .map(|i| {
                                d.w.q[o * d.n_in + i] as i32 * (x[i] as i32 - d.input.zero_point)
                            })
                            .sum::<i32>();
                    (mbqm(acc, d.mult, d.shift) + d.output.zero_point).clamp(d.act_min(), 127) as i8
                })
                .collect()
        };
        let hidden = lin(&self.dense, &pooled);
        lin(&self.output, &hidden)
    }

    /// Writes the `model.emt` bytes (layout in `emovox_tiny::format`).
    pub fn to_emt(&self) -> Vec<u8> {
        let mut b = Vec::new();
        let u = |b: &mut Vec<u8>, v: usize| b.extend_from_slice(&(v as u32).to_le_bytes());
        let i = |b: &mut Vec<u8>, v: i32| b.extend_from_slice(&v.to_le_bytes());
        let f = |b: &mut Vec<u8>, v: f32| b.extend_from_slice(&v.to_le_bytes());
        let bytes = |b: &mut Vec<u8>, v: &[i8]| {
            b.extend(v.iter().map(|&x| x as u8));
            while b.len() % 4 != 0 {
                b.push(0);
            }
        };
        let p = &self.pipeline;
        let [frames, features] = self.input_shape;
        b.extend_from_slice(emovox_tiny::format::MAGIC);
        u(&mut b, emovox_tiny::format::VERSION as usize);
        u(&mut b, self.classes.len());
        u(&mut b, frames);
        u(&mut b, features);
        // Front end.
        u(&mut b, p.sample_rate as usize);
        u(&mut b, p.n_fft);
        u(&mut b, p.hop);
        let n_samples = p.crop.map_or(0, |c| {
            let (a, e) = c.range(p.sample_rate, usize::MAX / 2);
            e - a
        });
        u(&mut b, n_samples);
        f(&mut b, p.top_db.unwrap_or(f32::NAN));
        f(&mut b, 1e-10);
        for w in &emovox_audio::stft::hann(p.n_fft)[..=p.n_fft / 2] {
            f(&mut b, *w);
        }
        let sr = p.sample_rate as f64;
        let fb = MelFilterbank::new(
            sr,
            p.n_fft,
            p.n_mels,
            p.fmin as f64,
            p.fmax.map_or(sr / 2.0, |x| x as f64),
        );
        let bins = fb.n_bins();
        for row in fb.to_dense().chunks_exact(bins) {
            let start = row.iter().position(|&w| w != 0.0).unwrap_or(0);
            let end = row.iter().rposition(|&w| w != 0.0).map_or(start, |e| e + 1);
            u(&mut b, start);
            u(&mut b, end - start);
            row[start..end].iter().for_each(|&w| f(&mut b, w));
        }
        self.mean.iter().for_each(|&v| f(&mut b, v));
        self.std.iter().for_each(|&v| f(&mut b, v));
        f(&mut b, self.input.scale);
        i(&mut b, self.input.zero_point);
        // Network.
        u(&mut b, self.convs.len());
        for c in &self.convs {
            for v in [c.c_in, c.c_out, c.k, c.pool as usize] {
                u(&mut b, v);
            }
            i(&mut b, c.input.zero_point);
            i(&mut b, c.output.zero_point);
            i(&mut b, c.output.zero_point.max(-128));
            bytes(&mut b, &c.w.q);
            for arr in [&c.bias, &c.mult, &c.shift] {
                arr.iter().for_each(|&v| i(&mut b, v));
            }
        }
        u(&mut b, self.att_w.q.len());
        bytes(&mut b, &self.att_w.q);
        let (m, s, d) = softmax_params(self.scores.scale);
        for v in [
            self.att_bias,
            self.att_mult.0,
            self.att_mult.1,
            self.scores.zero_point,
            m,
            s,
            d,
            self.mean_mult.0,
            self.mean_mult.1,
        ] {
            i(&mut b, v);
        }
        for d in [&self.dense, &self.output] {
            u(&mut b, d.n_in);
            u(&mut b, d.n_out);
            for v in [
                d.input.zero_point,
                d.output.zero_point,
                d.act_min(),
                d.mult,
                d.shift,
            ] {
                i(&mut b, v);
            }
            bytes(&mut b, &d.w.q);
            d.bias.iter().for_each(|&v| i(&mut b, v));
        }
        f(&mut b, self.output.output.scale);
        i(&mut b, self.output.output.zero_point);
        b
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use burn::tensor::Device;
    use emovox_model::data::Standardizer;
    use emovox_model::models::ModelConfig;

    /// A 3-class `cnn-attn` on 12 frames x 8 features with two blocks (4 and 6 channels),
    /// seeded: the fixture of this crate's tests.
    pub(crate) fn tiny_model() -> (SavedModel, Model) {
        let pipeline: PipelineConfig =
            "logmel:n_mels=8,n_mfcc=8,n_fft=64,hop=32,frames=12,crop=0.0+0.02"
                .parse()
                .unwrap();
        let cfg = ModelConfig::named("cnn-attn:channels=4+6,kernels=3+3,dense=5", 8, 3).unwrap();
        let device = Device::flex();
        device.seed(5);
        let model = cfg.init(&device);
        let saved = SavedModel {
            model: cfg,
            classes: vec!["a".into(), "b".into(), "c".into()],
            pipeline,
            standardizer: Some(Standardizer {
                mean: vec![-20.0; 8],
                std: vec![10.0; 8],
            }),
            train: None,
            input_shape: [12, 8],
            adapt: Default::default(),
            outputs: Vec::new(),
        };
        (saved, model)
    }

    /// `n` fixed, varied inputs for [`tiny_model`] (12 x 8 each).
    pub(crate) fn inputs(n: usize) -> Vec<f32> {
        (0..n * 96)
            .map(|i| (i as f32 * 0.37).sin() * 1.5 + (i % 7) as f32 * 0.1)
            .collect()
    }

    #[test]
    fn folded_float_net_matches_burn() {
        let (saved, model) = tiny_model();
        let net = FloatNet::from_model(&saved, &model).unwrap();
        let x = inputs(2);
        let t = Tensor::<3>::from_data(
            burn::tensor::TensorData::new(x.clone(), [2, 12, 8]),
            &Device::flex(),
        );
        let want = model.forward(t).into_data().try_to_vec::<f32>().unwrap();
        for (n, row) in x.chunks(96).enumerate() {
            let got = net.forward(row, None);
            for (g, w) in got.iter().zip(&want[n * 3..]) {
                assert!((g - w).abs() < 1e-4, "{got:?} vs {want:?}");
            }
        }
    }

    #[test]
    fn int8_reference_tracks_float_and_tiny_runs_it_bit_exactly() {
        let (saved, model) = tiny_model();
        let net = FloatNet::from_model(&saved, &model).unwrap();
        let x = inputs(8);
        let q = QuantModel::new(&saved, &net, &net.calibrate(&x)).unwrap();
        let emt = q.to_emt();
        let tiny = emovox_tiny::Model::parse(&emt).unwrap();
        assert_eq!(
            tiny.net.weights(),
            4 * 3 * 8 + 6 * 3 * 4 + 6 + 12 * 5 + 5 * 3
        );
        let mut arena = vec![0u8; tiny.arena_bytes()];
        for row in x.chunks(96) {
            let xq: Vec<i8> = row.iter().map(|&v| q.input.quantize(v)).collect();
            let want = q.forward(&xq);
            tiny.input_mut(&mut arena).unwrap().copy_from_slice(&xq);
            let got = tiny.run_input(&mut arena).unwrap();
            assert_eq!(&got.logits[..3], &want[..], "emovox-tiny == reference");
            let float = net.forward(row, None);
            let s = q.output.output;
            for (f, &l) in float.iter().zip(&want) {
                let deq = s.scale * (l as i32 - s.zero_point) as f32;
                assert!(
                    (deq - f).abs() < 0.1 * (1.0 + f.abs()),
                    "{float:?} vs {want:?}"
                );
            }
        }
        assert!(matches!(
            tiny.run_input(&mut arena[..10]),
            Err(emovox_tiny::Error::ArenaTooSmall)
        ));
        for cut in [0, 7, emt.len() / 2, emt.len() - 1] {
            assert!(emovox_tiny::Model::parse(&emt[..cut]).is_err());
        }
    }
}
