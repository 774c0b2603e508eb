//! The "cnn-attn" network: a compact 1-D CNN over frames with attention + max pooling over time.
//!
//! Designed for standardised MFCC(+delta) or log-mel frames and for a microcontroller later
//! (≤ 150k parameters, only convolutions, batch norm, ReLU and dense layers, so it quantises to
//! int8 with standard tooling).

use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{Conv1d, Conv1dConfig};
use burn::nn::pool::{MaxPool1d, MaxPool1dConfig};
use burn::nn::PaddingConfig1d;
use burn::nn::{BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Linear, LinearConfig};
use burn::tensor::{activation, Device, Tensor};

/// One convolution block: Conv1d ("same" padding, no bias) → BatchNorm → ReLU → optional
/// max-pool over time (kernel and stride 2).
#[derive(Module, Debug)]
pub struct ConvBlock {
    /// The convolution over time, features as channels.
    pub conv: Conv1d,
    /// Batch normalisation of the convolution's channels.
    pub norm: BatchNorm,
    /// Halves the number of frames (absent in the last block).
    pub pool: Option<MaxPool1d>,
}

impl ConvBlock {
    /// `[batch, channels_in, frames]` → `[batch, channels_out, frames / 2]` (or `frames` without
    /// pooling).
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let x = activation::relu(self.norm.forward(self.conv.forward(x)));
        match &self.pool {
            Some(p) => p.forward(x),
            None => x,
        }
    }
}

/// cnn-attn: conv blocks over time → attention-weighted mean and max over frames → Dense(relu)
/// → Dropout → Dense(classes).
#[derive(Module, Debug)]
pub struct CnnAttn {
    /// The convolution blocks, in order.
    pub blocks: Vec<ConvBlock>,
    /// Attention score per frame (1×1 convolution to one channel).
    pub attention: Conv1d,
    /// Dropout on the pooled vector.
    pub dropout: Dropout,
    /// Hidden dense layer on `[attention mean, max]` (2 × last channels).
    pub dense: Linear,
    /// Dense(classes), logits.
    pub output: Linear,
    /// Per-utterance normalisation: 0 none, 1 mean, 2 mean and standard deviation.
    pub utterance_norm: usize,
}

/// Configuration of [`CnnAttn`]. The defaults (about 100k parameters for 39 inputs and 4
/// classes) are the best measured on the seed protocol, see `bench/MODEL_EXPERIMENTS.md`.
#[derive(Config, Debug)]
pub struct CnnAttnConfig {
    /// Input features per frame. Default 39 (MFCC + deltas + delta-deltas).
    #[config(default = 39)]
    pub n_features: usize,
    /// Output classes. Default 4 (the seed4 scheme).
    #[config(default = 4)]
    pub n_classes: usize,
    /// Output channels of each convolution block. Default `[64, 96, 128]`.
    #[config(default = "vec![64, 96, 128]")]
    pub channels: Vec<usize>,
    /// Kernel size (frames) of each block's convolution. Default `[5, 5, 3]`.
    #[config(default = "vec![5, 5, 3]")]
    pub kernels: Vec<usize>,
    /// Units of the hidden dense layer. Default 64.
    #[config(default = 64)]
    pub dense: usize,
    /// Dropout rate on the pooled vector and before the output layer. Default 0.3.
    #[config(default = 0.3)]
    pub dropout: f64,
    /// Per-utterance normalisation of the input, over each clip's frames, per feature:
    /// `"none"`, `"mean"` (subtract the clip's mean: removes speaker and channel offsets, like
    /// cepstral mean normalisation) or `"meanstd"` (also divide by the clip's standard
    /// deviation). Default `"none"`: both normalisations measured worse on held-out speakers
    /// (`bench/MODEL_EXPERIMENTS.md`).
    #[config(default = "String::from(\"none\")")]
    pub utterance_norm: String,
}

impl CnnAttnConfig {
    /// Applies `key=value` overrides separated by commas (as in `cnn-attn:utterance_norm=none,
    /// channels=32+64+96,kernels=5+5+3,dense=64,dropout=0.3`). Errors name the bad key or value.
    pub fn with_overrides(mut self, spec: &str) -> Result<Self, String> {
        fn list(v: &str) -> Result<Vec<usize>, String> {
            v.split('+')
                .map(|x| x.parse().map_err(|_| format!("bad number {x:?}")))
                .collect()
        }
        for kv in spec.split(',').filter(|s| !s.is_empty()) {
            let (k, v) = kv
                .split_once('=')
                .ok_or(format!("expected key=value: {kv:?}"))?;
            match k {
                "channels" => self.channels = list(v)?,
                "kernels" => self.kernels = list(v)?,
                "dense" => self.dense = v.parse().map_err(|_| format!("bad dense {v:?}"))?,
                "dropout" => self.dropout = v.parse().map_err(|_| format!("bad dropout {v:?}"))?,
                "utterance_norm" if ["none", "mean", "meanstd"].contains(&v) => {
                    self.utterance_norm = v.to_string()
                }
                _ => return Err(format!("unknown cnn-attn setting {kv:?}")),
            }
        }
        self.check()?;
        Ok(self)
    }

    /// Checks what [`init`](Self::init) needs: as many kernels as channel counts (at least
    /// one block), no zero sizes, a dropout rate in [0, 1) and a known `utterance_norm`. Run on
    /// overrides and on every `model.json` read, so a hand-edited file is an error, never a
    /// panic.
    pub fn check(&self) -> Result<(), String> {
        if self.channels.is_empty() || self.channels.len() != self.kernels.len() {
            return Err(format!(
                "cnn-attn: channels and kernels need the same, non-zero length (got {} and {})",
                self.channels.len(),
                self.kernels.len()
            ));
        }
        if self.channels.iter().chain(&self.kernels).any(|&v| v == 0)
            || [self.n_features, self.n_classes, self.dense].contains(&0)
        {
            return Err(
                "cnn-attn: channels, kernels, dense, features and classes must be > 0".into(),
            );
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(format!(
                "cnn-attn: dropout must be in [0, 1), got {}",
                self.dropout
            ));
        }
        if !["none", "mean", "meanstd"].contains(&self.utterance_norm.as_str()) {
            return Err(format!(
                "cnn-attn: unknown utterance_norm {:?} (none, mean, meanstd)",
                self.utterance_norm
            ));
        }
        Ok(())
    }

    /// Builds the network with fresh weights on `device`.
    ///
    /// # Panics
    /// If [`check`](Self::check) fails (overrides and saved models are checked before this).
    pub fn init(&self, device: &Device) -> CnnAttn {
        assert!(!self.channels.is_empty() && self.channels.len() == self.kernels.len());
        let utterance_norm = match self.utterance_norm.as_str() {
            "none" => 0,
            "mean" => 1,
            "meanstd" => 2,
            other => panic!("unknown utterance_norm {other:?} (none, mean, meanstd)"),
        };
        let mut blocks = Vec::with_capacity(self.channels.len());
        let mut c_in = self.n_features;
        for (i, (&c, &k)) in self.channels.iter().zip(&self.kernels).enumerate() {
            let last = i + 1 == self.channels.len();
            blocks.push(ConvBlock {
                conv: Conv1dConfig::new(c_in, c, k)
                    .with_padding(PaddingConfig1d::Same)
                    .with_bias(false)
                    .init(device),
                norm: BatchNormConfig::new(c).init(device),
                pool: (!last).then(|| MaxPool1dConfig::new(2).with_stride(2).init()),
            });
            c_in = c;
        }
        CnnAttn {
            blocks,
            attention: Conv1dConfig::new(c_in, 1, 1).init(device),
            dropout: DropoutConfig::new(self.dropout).init(),
            dense: LinearConfig::new(2 * c_in, self.dense).init(device),
            output: LinearConfig::new(self.dense, self.n_classes).init(device),
            utterance_norm,
        }
    }
}

impl CnnAttn {
    /// `x: [batch, frames, features]` → logits `[batch, classes]`.
    ///
    /// Inside: per-utterance normalisation over frames (config), `[batch, features, frames]` →
    /// blocks → `h: [batch, C, T]`; attention weights
    /// `softmax_T(w·h + b): [batch, 1, T]`; pooled `[Σ_T a·h, max_T h]: [batch, 2C]`.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<2> {
        let x = match self.utterance_norm {
            0 => x,
            1 => x.clone() - x.mean_dim(1),
            _ => {
                let centred = x.clone() - x.mean_dim(1);
                let std = (centred.clone().powi_scalar(2).mean_dim(1) + 1e-5).sqrt();
                centred / std
            }
        };
        let mut h = x.swap_dims(1, 2);
        for b in &self.blocks {
            h = b.forward(h);
        }
        let [batch, c, _] = h.dims();
        let a = activation::softmax(self.attention.forward(h.clone()), 2); // [B, 1, T]
        let mean = (h.clone() * a).sum_dim(2).reshape([batch, c]);
        let max = h.max_dim(2).reshape([batch, c]);
        let pooled = self.dropout.forward(Tensor::cat(vec![mean, max], 1));
        let z = activation::relu(self.dense.forward(pooled));
        self.output.forward(self.dropout.forward(z))
    }
}
