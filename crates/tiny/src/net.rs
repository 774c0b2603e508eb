//! The int8 network of an emovox `cnn-attn` model, with TFLite's integer semantics: Conv1d
//! blocks (`CONV_2D` with height 1: SAME padding, per-channel weights, fused ReLU;
//! `MAX_POOL_2D` 2) → attention pooling (1×1 conv score, int8 `SOFTMAX` over time, the weighted
//! mean as a `BATCH_MATMUL` of the weights and the frames, `REDUCE_MAX` over time,
//! `CONCATENATION`) → dense (ReLU) → dense (logits), each a 1×1 `CONV_2D` in the TFLite file.
//!
//! Every op is the TFLite (Micro) reference kernel's integer arithmetic (gemmlowp fixed-point
//! requantisation), so the `model.tflite` that `emovox export` writes gives the same int8
//! logits in TFLite Micro and in the LiteRT interpreter's reference kernels.

use crate::fixed::{multiply_by_quantized_multiplier as mbqm, softmax_i8};
use crate::format::{Reader, Words, MAX_BLOCKS};
use crate::{Error, Result};

/// One convolution block.
#[derive(Debug, Clone, Copy, Default)]
pub struct Block<'a> {
    /// Input channels.
    pub c_in: usize,
    /// Output channels.
    pub c_out: usize,
    /// Kernel size (odd).
    pub k: usize,
    /// Whether a max-pool (2, stride 2) follows.
    pub pool: bool,
    in_zp: i32,
    out_zp: i32,
    act_min: i32,
    w: &'a [i8],
    bias: Words<'a>,
    mult: Words<'a>,
    shift: Words<'a>,
}

/// A dense layer (per-tensor requantisation).
#[derive(Debug, Clone, Copy, Default)]
pub struct Dense<'a> {
    /// Inputs.
    pub n_in: usize,
    /// Outputs.
    pub n_out: usize,
    in_zp: i32,
    out_zp: i32,
    act_min: i32,
    mult: i32,
    shift: i32,
    w: &'a [i8],
    bias: Words<'a>,
}

/// Attention pooling parameters.
#[derive(Debug, Clone, Copy, Default)]
pub struct Attention<'a> {
    /// Channels pooled.
    pub c: usize,
    w: &'a [i8],
    bias: i32,
    mult: i32,
    shift: i32,
    score_zp: i32,
    sm_mult: i32,
    sm_shift: i32,
    sm_diff_min: i32,
    mean_mult: i32,
    mean_shift: i32,
}

/// The network part of a model.
#[derive(Debug, Clone, Copy)]
pub struct Net<'a> {
    /// Input frames.
    pub frames: usize,
    /// Input features per frame.
    pub features: usize,
    blocks: [Block<'a>; MAX_BLOCKS],
    n_blocks: usize,
    attention: Attention<'a>,
    dense: Dense<'a>,
    output: Dense<'a>,
    /// Scale of the int8 logits.
    pub out_scale: f32,
    /// Zero point of the int8 logits.
    pub out_zp: i32,
}

fn read_dense<'a>(r: &mut Reader<'a>) -> Result<Dense<'a>> {
    let n_in = r.usize(1 << 16)?;
    let n_out = r.usize(1 << 16)?;
    let (in_zp, out_zp, act_min, mult, shift) = (r.i32()?, r.i32()?, r.i32()?, r.i32()?, r.i32()?);
    let w = r.i8s(n_in * n_out)?;
    let bias = r.words(n_out)?;
    Ok(Dense {
        n_in,
        n_out,
        in_zp,
        out_zp,
        act_min,
        mult,
        shift,
        w,
        bias,
    })
}

impl<'a> Net<'a> {
    pub(crate) fn read(
        r: &mut Reader<'a>,
        frames: usize,
        features: usize,
        classes: usize,
    ) -> Result<Self> {
        let n_blocks = r.usize(MAX_BLOCKS as u32)?;
        let mut blocks = [Block::default(); MAX_BLOCKS];
        let mut c = features;
        for b in blocks.iter_mut().take(n_blocks) {
            let c_in = r.usize(1 << 12)?;
            let c_out = r.usize(1 << 12)?;
            let k = r.usize(63)?;
            let pool = r.u32()? != 0;
            if c_in != c || k % 2 == 0 {
                return Err(Error::Invalid("conv block shapes do not chain"));
            }
            let (in_zp, out_zp, act_min) = (r.i32()?, r.i32()?, r.i32()?);
            let w = r.i8s(c_out * k * c_in)?;
            let (bias, mult, shift) = (r.words(c_out)?, r.words(c_out)?, r.words(c_out)?);
            *b = Block {
                c_in,
                c_out,
                k,
                pool,
                in_zp,
                out_zp,
                act_min,
                w,
                bias,
                mult,
                shift,
            };
            c = c_out;
        }
        let ac = r.usize(1 << 12)?;
        if ac != c || n_blocks == 0 {
            return Err(Error::Invalid(
                "attention channels differ from the last block",
            ));
        }
        let w = r.i8s(ac)?;
        let attention = Attention {
            c: ac,
            w,
            bias: r.i32()?,
            mult: r.i32()?,
            shift: r.i32()?,
            score_zp: r.i32()?,
            sm_mult: r.i32()?,
            sm_shift: r.i32()?,
            sm_diff_min: r.i32()?,
            mean_mult: r.i32()?,
            mean_shift: r.i32()?,
        };
        let dense = read_dense(r)?;
        let output = read_dense(r)?;
        if dense.n_in != 2 * c || output.n_in != dense.n_out || output.n_out != classes {
            return Err(Error::Invalid("dense layer shapes do not chain"));
        }
        let out_scale = r.f32()?;
        let out_zp = r.i32()?;
        Ok(Net {
            frames,
            features,
            blocks,
            n_blocks,
            attention,
            dense,
            output,
            out_scale,
            out_zp,
        })
    }

    /// The convolution blocks.
    pub fn blocks(&self) -> &[Block<'a>] {
        &self.blocks[..self.n_blocks]
    }

    /// `(frames, channels)` after each block.
    fn shapes(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        let mut t = self.frames;
        self.blocks().iter().map(move |b| {
            if b.pool {
                t /= 2;
            }
            (t, b.c_out)
        })
    }

    /// Sizes of the two ping-pong activation buffers: `[input and odd blocks, even blocks]`.
    pub(crate) fn buffers(&self) -> [usize; 2] {
        let mut sizes = [self.frames * self.features, 0];
        for (i, (t, c)) in self.shapes().enumerate() {
            let s = &mut sizes[(i + 1) % 2];
            *s = (*s).max(t * c);
        }
        sizes
    }

    /// Bytes of small buffers after the activations (scores, weights, pooled, hidden, logits).
    pub(crate) fn small_bytes(&self) -> usize {
        let t = self.shapes().last().map_or(0, |(t, _)| t);
        let a = |n: usize| n.next_multiple_of(4);
        2 * a(t) + a(2 * self.attention.c) + a(self.dense.n_out)
    }

    /// Multiply-accumulates per inference.
    pub fn macs(&self) -> usize {
        let mut t = self.frames;
        let mut macs = 0;
        for b in self.blocks() {
            macs += t * b.c_out * b.c_in * b.k;
            if b.pool {
                t /= 2;
            }
        }
        let c = self.attention.c;
        macs +=
            2 * t * c + self.dense.n_in * self.dense.n_out + self.output.n_in * self.output.n_out;
        macs
    }

    /// Number of int8 weights (convolutions, attention, dense layers).
    pub fn weights(&self) -> usize {
        self.blocks().iter().map(|b| b.w.len()).sum::<usize>()
            + self.attention.w.len()
            + self.dense.w.len()
            + self.output.w.len()
    }

    /// Runs the network on `buf0[..frames * features]` (the int8 input); `buf1` and `small` are
    /// scratch of at least [`buffers`](Self::buffers)`[1]` and [`small_bytes`](Self::small_bytes).
    /// Writes the int8 logits to `logits`.
    pub(crate) fn run(
        &self,
        buf0: &mut [i8],
        buf1: &mut [i8],
        small: &mut [i8],
        logits: &mut [i8],
    ) {
        let mut t = self.frames;
        let mut bufs = [buf0, buf1];
        for (i, b) in self.blocks().iter().enumerate() {
            let [x, y] = &mut bufs;
            let (src, dst): (&[i8], &mut [i8]) = if i % 2 == 0 { (x, y) } else { (y, x) };
            conv_block(b, src, t, dst);
            if b.pool {
                t /= 2;
            }
        }
        let h: &[i8] = if self.n_blocks % 2 == 1 {
            &bufs[1][..]
        } else {
            &bufs[0][..]
        };
        let last = self.blocks[self.n_blocks - 1];
        let at = &self.attention;
        let c = at.c;
        let (scores, rest) = small.split_at_mut(t.next_multiple_of(4));
        let (weights, rest) = rest.split_at_mut(t.next_multiple_of(4));
        let (pooled, hidden) = rest.split_at_mut((2 * c).next_multiple_of(4));
        let (scores, weights) = (&mut scores[..t], &mut weights[..t]);
        // Attention score per frame: 1×1 conv to one channel.
        for (s, row) in scores.iter_mut().zip(h.chunks_exact(c)) {
            let mut acc = at.bias;
            for (&w, &v) in at.w.iter().zip(row) {
                acc += w as i32 * (v as i32 - last.out_zp);
            }
            *s = (mbqm(acc, at.mult, at.shift) + at.score_zp).clamp(-128, 127) as i8;
        }
        softmax_i8(scores, weights, at.sm_mult, at.sm_shift, at.sm_diff_min);
        // Weighted mean (`BATCH_MATMUL` of the weights `[1, t]` and the frames `[t, c]`: one
        // int32 dot product per channel, requantised once into the frames' quantisation) and
        // max over time (`REDUCE_MAX`).
        for ch in 0..c {
            let mut acc = 0i32;
            let mut max = i8::MIN;
            for (ti, &a) in weights.iter().enumerate() {
                let v = h[ti * c + ch];
                acc += (a as i32 + 128) * (v as i32 - last.out_zp);
                max = max.max(v);
            }
            pooled[ch] =
                (mbqm(acc, at.mean_mult, at.mean_shift) + last.out_zp).clamp(-128, 127) as i8;
            pooled[c + ch] = max;
        }
        let hidden = &mut hidden[..self.dense.n_out];
        dense_layer(&self.dense, &pooled[..2 * c], hidden);
        dense_layer(&self.output, hidden, logits);
    }
}

/// Conv1d (SAME padding) + requantisation + ReLU clamp (+ max-pool 2), `src` `[t][c_in]` →
/// `dst` `[t or t/2][c_out]`.
fn conv_block(b: &Block, src: &[i8], t: usize, dst: &mut [i8]) {
    let pad = b.k / 2;
    let out_t = if b.pool { t / 2 } else { t };
    let conv = |ti: usize, o: usize| -> i8 {
        let mut acc = b.bias.i32(o);
        let w = &b.w[o * b.k * b.c_in..(o + 1) * b.k * b.c_in];
        for j in 0..b.k {
            let s = ti + j;
            if s < pad || s - pad >= t {
                continue;
            }
            let x = &src[(s - pad) * b.c_in..(s - pad + 1) * b.c_in];
            let wj = &w[j * b.c_in..(j + 1) * b.c_in];
            let mut part = 0i32;
            for (&wv, &xv) in wj.iter().zip(x) {
                part += wv as i32 * (xv as i32 - b.in_zp);
            }
            acc += part;
        }
        (mbqm(acc, b.mult.i32(o), b.shift.i32(o)) + b.out_zp).clamp(b.act_min, 127) as i8
    };
    for to in 0..out_t {
        for o in 0..b.c_out {
            dst[to * b.c_out + o] = if b.pool {
                conv(2 * to, o).max(conv(2 * to + 1, o))
            } else {
                conv(to, o)
            };
        }
    }
}

/// `y = requant(W (x - zp) + b)`, clamped below at the activation minimum (ReLU or none).
fn dense_layer(d: &Dense, x: &[i8], y: &mut [i8]) {
    for (o, out) in y.iter_mut().enumerate().take(d.n_out) {
        let w = &d.w[o * d.n_in..(o + 1) * d.n_in];
        let mut acc = d.bias.i32(o);
        for (&wv, &xv) in w.iter().zip(x) {
            acc += wv as i32 * (xv as i32 - d.in_zp);
        }
        *out = (mbqm(acc, d.mult, d.shift) + d.out_zp).clamp(d.act_min, 127) as i8;
    }
}
