//! The "lstm-seed" network and the fused LSTM layer.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::{Dropout, DropoutConfig, Initializer, Linear, LinearConfig};
use burn::tensor::{activation, Device, Tensor, TensorData};

use crate::lstm::op;

/// Keras-compatible LSTM layer (one bias per gate, gates i, f, g, o) backed by the fused op.
#[derive(Module, Debug)]
pub struct FusedLstm {
    /// `[input, 4*hidden]` (Keras `kernel`).
    pub kernel: Param<Tensor<2>>,
    /// `[hidden, 4*hidden]` (Keras `recurrent_kernel`).
    pub recurrent_kernel: Param<Tensor<2>>,
    /// `[4*hidden]`.
    pub bias: Param<Tensor<1>>,
}

/// Configuration of a [`FusedLstm`].
#[derive(Config, Debug)]
pub struct FusedLstmConfig {
    /// Input features per step.
    pub d_input: usize,
    /// Hidden units.
    pub d_hidden: usize,
}

impl FusedLstmConfig {
    /// Keras defaults: glorot-uniform kernel, orthogonal recurrent kernel, zero bias with the
    /// forget-gate slice set to 1 (`unit_forget_bias`).
    pub fn init(&self, device: &Device, seed: u64) -> FusedLstm {
        let (i, h) = (self.d_input, self.d_hidden);
        let kernel = Initializer::XavierUniform { gain: 1.0 }.init_with(
            [i, 4 * h],
            Some(i),
            Some(4 * h),
            device,
        );
        let recurrent = orthogonal_rows(h, 4 * h, seed);
        let mut bias = vec![0.0f32; 4 * h];
        bias[h..2 * h].fill(1.0);
        FusedLstm {
            kernel,
            recurrent_kernel: Param::from_data(TensorData::new(recurrent, [h, 4 * h]), device),
            bias: Param::from_data(TensorData::new(bias, [4 * h]), device),
        }
    }
}

impl FusedLstm {
    /// `[batch, steps, input]` → `[batch, steps, hidden]`.
    pub fn forward_sequence(&self, x: Tensor<3>) -> Tensor<3> {
        op::lstm_sequence(
            x,
            self.kernel.val(),
            self.recurrent_kernel.val(),
            self.bias.val(),
        )
    }

    /// `[batch, steps, input]` → `[batch, hidden]`.
    pub fn forward_last(&self, x: Tensor<3>) -> Tensor<2> {
        op::lstm_last(
            x,
            self.kernel.val(),
            self.recurrent_kernel.val(),
            self.bias.val(),
        )
    }
}

/// `rows × cols` (rows ≤ cols) matrix with orthonormal rows (Keras `Orthogonal` for this shape),
/// from a seeded Gaussian matrix by modified Gram–Schmidt.
fn orthogonal_rows(rows: usize, cols: usize, seed: u64) -> Vec<f32> {
    assert!(rows <= cols);
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407)
        | 1;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    let mut m: Vec<f64> = (0..rows * cols)
        .map(|_| (-2.0 * uniform().ln()).sqrt() * (std::f64::consts::TAU * uniform()).cos())
        .collect();
    for r in 0..rows {
        for p in 0..r {
            let dot: f64 = (0..cols).map(|k| m[r * cols + k] * m[p * cols + k]).sum();
            for k in 0..cols {
                m[r * cols + k] -= dot * m[p * cols + k];
            }
        }
        let norm = (0..cols)
            .map(|k| m[r * cols + k].powi(2))
            .sum::<f64>()
            .sqrt();
        for k in 0..cols {
            m[r * cols + k] /= norm;
        }
    }
    m.into_iter().map(|v| v as f32).collect()
}

/// Which LSTM implementation the model uses (the stock one exists for benchmarking only).
#[derive(Module, Debug)]
pub enum Recurrent {
    /// The fused op (Keras parameterisation).
    Fused(FusedLstm),
    /// burn's `nn::Lstm` (two biases per gate, so 4*H more parameters than Keras).
    Stock(burn::nn::Lstm),
}

impl Recurrent {
    fn forward_sequence(&self, x: Tensor<3>) -> Tensor<3> {
        match self {
            Recurrent::Fused(l) => l.forward_sequence(x),
            Recurrent::Stock(l) => l.forward(x, None).0,
        }
    }

    fn forward_last(&self, x: Tensor<3>) -> Tensor<2> {
        match self {
            Recurrent::Fused(l) => l.forward_last(x),
            Recurrent::Stock(l) => {
                let seq = l.forward(x, None).0;
                let [b, t, h] = seq.dims();
                seq.narrow(1, t - 1, 1).reshape([b, h])
            }
        }
    }
}

/// lstm-seed: LSTM(128, seq) → LSTM(64, last) → Dense(64, relu) → Dropout(0.3) → Dense(classes).
#[derive(Module, Debug)]
pub struct LstmSeed {
    /// LSTM(128), returning the whole sequence.
    pub lstm1: Recurrent,
    /// LSTM(64), returning the last hidden state.
    pub lstm2: Recurrent,
    /// Dense(64, relu).
    pub dense: Linear,
    /// Dropout(0.3).
    pub dropout: Dropout,
    /// Dense(classes), logits (softmax is in the loss / at prediction).
    pub output: Linear,
}

/// Configuration of [`LstmSeed`]; the defaults are the original Keras model's.
#[derive(Config, Debug)]
pub struct LstmSeedConfig {
    /// Input features per frame. Default 13 (MFCCs).
    #[config(default = 13)]
    pub n_features: usize,
    /// Output classes. Default 4 (the seed4 scheme).
    #[config(default = 4)]
    pub n_classes: usize,
    /// Units of the first LSTM. Default 128.
    #[config(default = 128)]
    pub lstm1: usize,
    /// Units of the second LSTM. Default 64.
    #[config(default = 64)]
    pub lstm2: usize,
    /// Units of the hidden dense layer. Default 64.
    #[config(default = 64)]
    pub dense: usize,
    /// Dropout rate before the output layer. Default 0.3.
    #[config(default = 0.3)]
    pub dropout: f64,
}

impl LstmSeedConfig {
    /// Builds the network with Keras's initialisers on `device`.
    pub fn init(&self, device: &Device) -> LstmSeed {
        self.build(device, false)
    }

    /// Same network on burn's stock `nn::Lstm` (benchmark baseline).
    pub fn init_stock(&self, device: &Device) -> LstmSeed {
        self.build(device, true)
    }

    fn build(&self, device: &Device, stock: bool) -> LstmSeed {
        let layer = |i, h, seed| {
            if stock {
                Recurrent::Stock(
                    burn::nn::LstmConfig::new(i, h, true)
                        .with_batch_first(true)
                        .init(device),
                )
            } else {
                Recurrent::Fused(FusedLstmConfig::new(i, h).init(device, seed))
            }
        };
        let (lstm1, lstm2) = (
            layer(self.n_features, self.lstm1, 1),
            layer(self.lstm1, self.lstm2, 2),
        );
        let glorot = Initializer::XavierUniform { gain: 1.0 };
        LstmSeed {
            lstm1,
            lstm2,
            dense: LinearConfig::new(self.lstm2, self.dense)
                .with_initializer(glorot.clone())
                .init(device),
            dropout: DropoutConfig::new(self.dropout).init(),
            output: LinearConfig::new(self.dense, self.n_classes)
                .with_initializer(glorot)
                .init(device),
        }
    }
}

impl LstmSeed {
    /// `[batch, steps, features]` → logits `[batch, classes]`.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<2> {
        let seq = self.lstm1.forward_sequence(x);
        let h = self.lstm2.forward_last(seq);
        let h = activation::relu(self.dense.forward(h));
        self.output.forward(self.dropout.forward(h))
    }
}
