//! Writes emovox's int8 models as TFLite flatbuffers (`model.tflite`) that
//! TensorFlow Lite Micro and the LiteRT interpreter run with builtin operators only.
//!
//! # Overview
//!
//! [`write`](fn@write) turns a full-integer [`QuantModel`] (from `emovox quantize`) into the bytes of a
//! `model.tflite`: int8 input `[1, frames, features]`, int8 logits `[1, classes]`, int8
//! weights (per-channel, `quantized_dimension` 0), int32 biases, and only these builtins, all of
//! them in TFLite Micro:
//!
//! | part of the `cnn-attn` network | operators |
//! |---|---|
//! | input `[1, T, F]` → `[1, 1, T, F]` (NHWC, height 1) | `RESHAPE` |
//! | each Conv1d block | `CONV_2D` (1×k, SAME, fused ReLU), `MAX_POOL_2D` (1×2) |
//! | attention scores, weights | `CONV_2D` (1×1), `RESHAPE`, `SOFTMAX` |
//! | weighted mean, max over time | `RESHAPE`, `BATCH_MATMUL` (weights × frames), `RESHAPE`, `REDUCE_MAX` |
//! | pooled vector, dense layers, logits | `CONCATENATION`, `CONV_2D` (1×1, ReLU), `CONV_2D` (1×1), `RESHAPE` |
//!
//! Every op is one `emovox-tiny` performs with the same integer arithmetic, and every
//! fixed-point multiplier the TFLite kernels derive from these scales is the one
//! `emovox quantize` computed (see [`crate::quant`]), so TFLite's reference kernels (those
//! of TFLite Micro) give emovox-tiny's int8 logits bit for bit; `scripts/check_tflite.py` checks
//! that in the LiteRT interpreter on real clips.
//!
//! The dense layers are 1×1 `CONV_2D`s rather than `FULLY_CONNECTED`: TFLite Micro's int8
//! `FULLY_CONNECTED` requantises with the fixed-point multiplier, but LiteRT's reference one
//! (since 2025) rounds `acc · s_in · s_w / s_out` in double precision, so the two disagree by a
//! step on rare ties (6 of the 981 held-out clips); `CONV_2D` is the fixed-point arithmetic in
//! both.
//!
//! [`inspect`] reads the operators and sizes back from the bytes.
//!

use crate::quant::{QDense, QParams, QWeights, QuantModel};
use crate::schema::{Activation, Builtin, DType, Graph, Options, Padding, Quant};
use crate::{Error, Result};

/// What [`inspect`] reads from a `model.tflite`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Schema version (3).
    pub version: u32,
    /// Builtin operator names in execution order (`CUSTOM`/unknown codes as `BUILTIN_<n>`).
    pub operators: Vec<String>,
    /// Tensors in the subgraph.
    pub tensors: usize,
    /// Bytes of constant data (weights, biases, shapes).
    pub constant_bytes: usize,
    /// Whether every operator is a builtin this crate writes (no custom or select-TF ops).
    pub builtins_only: bool,
    /// `Model.description`.
    pub description: String,
}

/// Reads the operators, tensor count and constant bytes of a TFLite flatbuffer's first
/// subgraph.
pub fn inspect(bytes: &[u8]) -> Result<Summary> {
    use crate::schema::read::root;
    let m = root(bytes)?;
    let codes = m.tables(1)?;
    let sg = m
        .tables(2)?
        .into_iter()
        .next()
        .ok_or(Error::Invalid("no subgraph"))?;
    let mut operators = Vec::new();
    let mut builtins_only = true;
    for op in sg.tables(3)? {
        let c = codes
            .get(op.u32(0, 0)? as usize)
            .ok_or(Error::Invalid("an operator's code index is out of range"))?;
        let code = c.i32(3, 0)?.max(c.i8(0, 0)? as i32);
        let custom = c.vector(1)?.is_some();
        match Builtin::from_code(code).filter(|_| !custom) {
            Some(b) => operators.push(b.name().to_string()),
            None => {
                builtins_only = false;
                operators.push(format!("BUILTIN_{code}"));
            }
        }
    }
    let mut constant_bytes = 0;
    for b in m.tables(4)? {
        constant_bytes += b.vector(0)?.map_or(0, |(_, n)| n);
    }
    let description = match m.vector(3)? {
        Some((at, n)) => String::from_utf8_lossy(
            bytes
                .get(at..at + n)
                .ok_or(Error::Invalid("description past the end"))?,
        )
        .into_owned(),
        None => String::new(),
    };
    Ok(Summary {
        version: m.u32(0, 0)?,
        operators,
        tensors: sg.tables(0)?.len(),
        constant_bytes,
        builtins_only,
        description,
    })
}

fn act(q: QParams) -> Option<Quant> {
    Some(Quant::tensor(q.scale, q.zero_point))
}

fn i8_bytes(v: &[i8]) -> Vec<u8> {
    v.iter().map(|&x| x as u8).collect()
}

fn i32_bytes(v: &[i32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Bias scales `s_in · s_w[c]` in float32, as the TFLite converter writes them.
fn bias_quant(s_in: f32, w: &QWeights) -> Quant {
    Quant::channels(w.scales.iter().map(|&s| s_in * s).collect(), 0)
}

/// A constant int32 shape/axis tensor.
fn shape_const(g: &mut Graph, name: &str, v: &[i32]) -> i32 {
    g.tensor(name, &[v.len()], DType::Int32, Some(i32_bytes(v)), None)
}

/// `RESHAPE` of `x` into a new tensor of `shape` with quantisation `q`.
fn reshape(g: &mut Graph, x: i32, name: &str, shape: &[usize], q: QParams) -> i32 {
    let new_shape: Vec<i32> = shape.iter().map(|&d| d as i32).collect();
    let s = shape_const(g, &format!("{name}/shape"), &new_shape);
    let y = g.tensor(name, shape, DType::Int8, None, act(q));
    g.op(
        Builtin::Reshape,
        &[x, s],
        &[y],
        Options::Reshape { new_shape },
    );
    y
}

/// A dense layer on `x` `[1, 1, 1, n_in]` as a 1×1 `CONV_2D` (per-tensor weights written as
/// `n_out` equal per-channel scales) → `[1, 1, 1, n_out]`.
fn dense(g: &mut Graph, x: i32, name: &str, d: &QDense) -> i32 {
    let per_channel = QWeights {
        q: d.w.q.clone(),
        scales: vec![d.w.scales[0]; d.n_out],
    };
    let w = g.tensor(
        &format!("{name}/weights"),
        &[d.n_out, 1, 1, d.n_in],
        DType::Int8,
        Some(i8_bytes(&d.w.q)),
        Some(Quant::channels(per_channel.scales.clone(), 0)),
    );
    let b = g.tensor(
        &format!("{name}/bias"),
        &[d.n_out],
        DType::Int32,
        Some(i32_bytes(&d.bias)),
        Some(bias_quant(d.input.scale, &per_channel)),
    );
    let y = g.tensor(name, &[1, 1, 1, d.n_out], DType::Int8, None, act(d.output));
    let activation = if d.relu {
        Activation::Relu
    } else {
        Activation::None
    };
    g.op(
        Builtin::Conv2d,
        &[x, w, b],
        &[y],
        Options::Conv2d {
            padding: Padding::Valid,
            stride_w: 1,
            stride_h: 1,
            activation,
        },
    );
    y
}

/// The TFLite graph of `q` (see the [crate docs](crate) for the operators).
pub fn graph(q: &QuantModel) -> Result<Graph> {
    let [frames, features] = q.input_shape;
    let classes = q.classes.len();
    if q.convs.is_empty() {
        return Err(Error::Unsupported(
            "the network has no convolution block".into(),
        ));
    }
    if q.output.n_out != classes || q.att_w.scales.len() != 1 {
        return Err(Error::Unsupported("the layer shapes do not chain".into()));
    }
    let mut g = Graph {
        description: format!(
            "emovox int8 cnn-attn; input [1, {frames}, {features}] int8 log-mel (pipeline {}); classes {}",
            q.pipeline,
            q.classes.join(",")
        ),
        ..Graph::default()
    };
    let input = g.tensor(
        "input",
        &[1, frames, features],
        DType::Int8,
        None,
        act(q.input),
    );
    let mut x = reshape(
        &mut g,
        input,
        "input/nhwc",
        &[1, 1, frames, features],
        q.input,
    );
    let mut t = frames;
    for (i, c) in q.convs.iter().enumerate() {
        if c.c_in != g.tensors[x as usize].shape[3] as usize || c.k % 2 == 0 {
            return Err(Error::Unsupported(format!(
                "block {i}: shapes do not chain"
            )));
        }
        let w = g.tensor(
            &format!("block{i}/weights"),
            &[c.c_out, 1, c.k, c.c_in],
            DType::Int8,
            Some(i8_bytes(&c.w.q)),
            Some(Quant::channels(c.w.scales.clone(), 0)),
        );
        let b = g.tensor(
            &format!("block{i}/bias"),
            &[c.c_out],
            DType::Int32,
            Some(i32_bytes(&c.bias)),
            Some(bias_quant(c.input.scale, &c.w)),
        );
        let y = g.tensor(
            &format!("block{i}/conv"),
            &[1, 1, t, c.c_out],
            DType::Int8,
            None,
            act(c.output),
        );
        g.op(
            Builtin::Conv2d,
            &[x, w, b],
            &[y],
            Options::Conv2d {
                padding: Padding::Same,
                stride_w: 1,
                stride_h: 1,
                activation: Activation::Relu,
            },
        );
        x = y;
        if c.pool {
            t /= 2;
            if t == 0 {
                return Err(Error::Unsupported(format!(
                    "block {i} pools away every frame"
                )));
            }
            let p = g.tensor(
                &format!("block{i}/pool"),
                &[1, 1, t, c.c_out],
                DType::Int8,
                None,
                act(c.output),
            );
            g.op(
                Builtin::MaxPool2d,
                &[x],
                &[p],
                Options::Pool2d {
                    padding: Padding::Valid,
                    stride_w: 2,
                    stride_h: 1,
                    filter_w: 2,
                    filter_h: 1,
                },
            );
            x = p;
        }
    }
    let hq = q.pooled();
    let ch = q.att_w.q.len();
    // Attention scores: a 1×1 convolution to one channel, then softmax over time.
    let sw = g.tensor(
        "attention/score_weights",
        &[1, 1, 1, ch],
        DType::Int8,
        Some(i8_bytes(&q.att_w.q)),
        Some(Quant::channels(q.att_w.scales.clone(), 0)),
    );
    let sb = g.tensor(
        "attention/score_bias",
        &[1],
        DType::Int32,
        Some(i32_bytes(&[q.att_bias])),
        Some(bias_quant(hq.scale, &q.att_w)),
    );
    let scores = g.tensor(
        "attention/scores",
        &[1, 1, t, 1],
        DType::Int8,
        None,
        act(q.scores),
    );
    g.op(
        Builtin::Conv2d,
        &[x, sw, sb],
        &[scores],
        Options::Conv2d {
            padding: Padding::Valid,
            stride_w: 1,
            stride_h: 1,
            activation: Activation::None,
        },
    );
    let scores = reshape(&mut g, scores, "attention/scores_row", &[1, 1, t], q.scores);
    let weights = g.tensor(
        "attention/weights",
        &[1, 1, t],
        DType::Int8,
        None,
        act(q.weights),
    );
    g.op(
        Builtin::Softmax,
        &[scores],
        &[weights],
        Options::Softmax { beta: 1.0 },
    );
    // Weighted mean `[1, t] × [t, c]` and max over time.
    let frames_tc = reshape(&mut g, x, "attention/frames", &[1, t, ch], hq);
    let mean = g.tensor("attention/mean", &[1, 1, ch], DType::Int8, None, act(hq));
    g.op(
        Builtin::BatchMatMul,
        &[weights, frames_tc],
        &[mean],
        Options::BatchMatMul {
            adj_x: false,
            adj_y: false,
        },
    );
    let mean = reshape(&mut g, mean, "attention/mean_nhwc", &[1, 1, 1, ch], hq);
    let axis = shape_const(&mut g, "attention/time_axis", &[2]);
    let max = g.tensor("attention/max", &[1, 1, 1, ch], DType::Int8, None, act(hq));
    g.op(
        Builtin::ReduceMax,
        &[x, axis],
        &[max],
        Options::Reducer { keep_dims: true },
    );
    let pooled = g.tensor("pooled", &[1, 1, 1, 2 * ch], DType::Int8, None, act(hq));
    g.op(
        Builtin::Concatenation,
        &[mean, max],
        &[pooled],
        Options::Concatenation { axis: 3 },
    );
    if q.dense.n_in != 2 * ch || q.output.n_in != q.dense.n_out {
        return Err(Error::Unsupported("dense layer shapes do not chain".into()));
    }
    let hidden = dense(&mut g, pooled, "dense", &q.dense);
    let logits = dense(&mut g, hidden, "logits_nhwc", &q.output);
    let logits = reshape(&mut g, logits, "logits", &[1, classes], q.output.output);
    g.inputs = vec![input];
    g.outputs = vec![logits];
    Ok(g)
}

/// The `model.tflite` bytes of `q`.
pub fn write(q: &QuantModel) -> Result<Vec<u8>> {
    Ok(graph(q)?.to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::FloatNet;

    /// The quantisation tests' model ([`crate::quant::tests::tiny_model`]), quantised.
    fn tiny_quant() -> QuantModel {
        let (saved, model) = crate::quant::tests::tiny_model();
        let net = FloatNet::from_model(&saved, &model).unwrap();
        let x = crate::quant::tests::inputs(8);
        QuantModel::new(&saved, &net, &net.calibrate(&x)).unwrap()
    }

    #[test]
    fn the_graph_uses_micro_builtins_in_order() {
        let q = tiny_quant();
        let bytes = write(&q).unwrap();
        let s = inspect(&bytes).unwrap();
        assert_eq!(s.version, 3);
        assert!(s.builtins_only);
        let pools = q.convs.iter().filter(|c| c.pool).count();
        let mut want = vec!["RESHAPE"];
        for c in &q.convs {
            want.push("CONV_2D");
            if c.pool {
                want.push("MAX_POOL_2D");
            }
        }
        want.extend([
            "CONV_2D",
            "RESHAPE",
            "SOFTMAX",
            "RESHAPE",
            "BATCH_MATMUL",
            "RESHAPE",
            "REDUCE_MAX",
            "CONCATENATION",
            "CONV_2D",
            "CONV_2D",
            "RESHAPE",
        ]);
        assert_eq!(s.operators, want);
        assert!(s.description.contains("classes a,b,c"), "{}", s.description);
        assert!(pools > 0);
        // Constants: every int8 weight and int32 bias, plus the int32 shapes of the five
        // reshapes (4 + 3 + 3 + 4 + 2 values) and the time axis.
        assert_eq!(
            s.constant_bytes,
            q.weight_bytes() + 4 * (4 + 3 + 3 + 4 + 2 + 1)
        );
    }

    #[test]
    fn tensors_carry_the_quantisation_the_kernels_need() {
        let q = tiny_quant();
        let g = graph(&q).unwrap();
        let by_name = |n: &str| g.tensors.iter().find(|t| t.name == n).unwrap();
        let input = by_name("input");
        assert_eq!(
            (input.shape.as_slice(), input.dtype),
            (&[1, 12, 8][..], DType::Int8)
        );
        assert_eq!(
            input.quant,
            Some(Quant::tensor(q.input.scale, q.input.zero_point))
        );
        // Dense layers: 1×1 convolutions, the one weight scale on every output channel.
        let d = by_name("dense/weights");
        assert_eq!(d.shape, [5, 1, 1, 12]);
        assert_eq!(
            d.quant.as_ref().unwrap().scale,
            vec![q.dense.w.scales[0]; 5]
        );
        // Per-channel conv weights (OHWI, height 1) and their int32 biases.
        let w = by_name("block1/weights");
        assert_eq!(w.shape, [6, 1, 3, 4]);
        let wq = w.quant.as_ref().unwrap();
        assert_eq!((wq.scale.len(), wq.dimension), (6, 0));
        assert!(wq.zero_point.iter().all(|&z| z == 0));
        let b = by_name("block1/bias");
        assert_eq!(
            (b.dtype, b.data.as_ref().unwrap().len()),
            (DType::Int32, 24)
        );
        let bq = b.quant.as_ref().unwrap();
        assert_eq!(bq.scale[2], q.convs[1].input.scale * q.convs[1].w.scales[2]);
        // Softmax output is TFLite's fixed 1/256, −128; the pooled halves share one scale
        // (CONCATENATION and REDUCE_MAX do not requantise).
        assert_eq!(
            by_name("attention/weights").quant,
            Some(Quant::tensor(1.0 / 256.0, -128))
        );
        let pooled = by_name("pooled").quant.clone();
        assert_eq!(by_name("attention/mean_nhwc").quant, pooled);
        assert_eq!(by_name("attention/max").quant, pooled);
        let logits = &g.tensors[g.outputs[0] as usize];
        assert_eq!(logits.shape, [1, 3]);
        assert_eq!(
            logits.quant,
            Some(Quant::tensor(
                q.output.output.scale,
                q.output.output.zero_point
            ))
        );
    }

    #[test]
    fn inspect_refuses_what_is_not_tflite() {
        assert_eq!(
            inspect(b"not a flatbuffer at all"),
            Err(Error::Invalid("no TFL3 file identifier"))
        );
        let bytes = write(&tiny_quant()).unwrap();
        for cut in [9, 100, bytes.len() / 2] {
            assert!(inspect(&bytes[..cut]).is_err(), "{cut}");
        }
    }
}
