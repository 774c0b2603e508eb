//! Emotion models for emovox: networks, training, evaluation metrics and the saved-model format.
//!
//! # Overview
//!
//! A [`ModelConfig`] names a network and its hyper-parameters; [`Trainer`] trains it on a
//! [`Dataset`] built from a feature table, writing the best weights, a checkpoint every epoch
//! (for `--resume`) and `history.csv`; [`SavedModel`] loads it back with the feature pipeline
//! and class names it was trained with; [`metrics`] scores predictions as scikit-learn does.
//!
//! Four models: `lstm-seed` (the original Keras network), `cnn-attn` (a compact CNN over
//! frames), `svm` ([`svm`]: an RBF support vector classifier over one vector per clip,
//! fitted by SMO and stored as burn parameters like the networks) and `logistic`
//! ([`logistic`]: multinomial logistic regression over one vector per clip, fitted by L-BFGS). Any of them can be trained
//! with speaker normalisation ([`TrainConfig::speaker_norm`], [`data::normalize_speakers`]):
//! each speaker's features standardised over that speaker's own clips, no labels needed. A
//! logistic model can learn a class as the emotions it merges ([`TrainConfig::split_classes`]:
//! seed4's `unpleasant` as angry and sad) and answer the class, the outputs' probabilities
//! summed by [`SavedModel::predict`] ([`SavedModel::outputs`]).
//!
//! Networks run on burn's pure-Rust `flex` CPU backend. The LSTM layers use a fused operation
//! ([`lstm::op`]) whose forward and backward passes are written for speed (all timesteps' input
//! projections in one GEMM, recurrent GEMMs on contiguous buffers, the backward pass derived
//! by hand and registered on burn's autodiff graph), checked against burn's own autodiff.
//!
//! # Example
//!
//! ```
//! use emovox_model::ModelConfig;
//!
//! let cfg = ModelConfig::named("lstm-seed", 13, 4)?;
//! let model = cfg.init(&burn::tensor::Device::flex());
//! assert_eq!(model.parameters(), 126_532); // the original Keras model's count
//! # Ok::<(), emovox_model::Error>(())
//! ```
#![deny(missing_docs)]

pub mod augment;
pub mod cnn_attn;
pub mod config;
pub mod data;
pub mod logistic;
pub mod lstm;
pub mod lstm_seed;
pub mod metrics;
pub mod models;
pub mod saved;
pub mod svm;
pub mod train;

use std::path::PathBuf;

pub use augment::BatchAugment;
pub use data::{Dataset, Standardizer};
pub use metrics::Metrics;
pub use models::{Model, ModelConfig};
pub use saved::{Adapt, SavedModel};
pub use train::{EpochStats, LrSchedule, Progress, TrainConfig, Trainer};

/// Everything that can go wrong training or loading a model.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The training or evaluation data is unusable.
    #[error("data: {0}")]
    Data(String),
    /// A configuration is invalid.
    #[error("config: {0}")]
    Config(String),
    /// Saving or loading weights failed.
    #[error("weights: {0}")]
    Record(String),
    /// The loss became NaN or infinite.
    #[error(
        "training diverged in epoch {epoch} (loss not finite at learning rate {lr}); lower --lr"
    )]
    Diverged {
        /// The epoch.
        epoch: usize,
        /// The learning rate in use.
        lr: f64,
    },
    /// Something went wrong with a particular file.
    #[error("{}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: Box<Error>,
    },
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Config(e.to_string())
    }
}

impl Error {
    /// Wraps this error with the file it concerns (once: an error that already names a file
    /// is returned as it is). The same signature in every emovox crate.
    pub fn in_file(self, path: impl Into<PathBuf>) -> Error {
        match self {
            e @ Error::File { .. } => e,
            e => Error::File {
                path: path.into(),
                source: Box::new(e),
            },
        }
    }
}

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
