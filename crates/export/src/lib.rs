//! emovox-export: a trained model out to microcontrollers, in one crate.
//!
//! # Overview
//!
//! The export path of a `cnn-attn` model, `emovox quantize` then `emovox export`:
//!
//! | module | what it does |
//! |---|---|
//! | [`quant`] | batch-norm folding into the convolutions, activation ranges from calibration clips, per-channel int8 weights, the int8 reference forward pass (the arithmetic emovox-tiny and TFLite Micro run), and the `.emt` model file emovox-tiny loads |
//! | [`tflite`] | `model.tflite`: the int8 model as a TFLite flatbuffer with TFLite Micro builtin operators only ([`tflite::write`]), and [`tflite::inspect`] to read its operators back |
//! | [`schema`] | the flatbuffer graph builder and reader under [`tflite`] |
//! | [`firmware`] | the model as a C array (`model_data.h` / `.cc`) for TFLite Micro and Arduino projects, int8 inputs as `.npy` |
//!
//! The jobs over a model folder and a feature table (calibrate, quantise, score the int8 model
//! against the float one, write the bundle: `emovox::tinyml`) sit on top of these in the
//! `emovox` crate, beside training and evaluation; the int8 runtime itself is the `no_std`
//! crate `emovox-tiny`, which firmware links without any of this.
//!
//! # Example
//!
//! ```
//! use emovox_export::schema::{Activation, Builtin, DType, Graph, Options, Quant};
//!
//! // A hand-made graph: one int8 FULLY_CONNECTED layer.
//! let mut g = Graph::default();
//! let x = g.tensor("x", &[1, 2], DType::Int8, None, Some(Quant::tensor(0.1, 0)));
//! let w = g.tensor("w", &[1, 2], DType::Int8, Some(vec![3, 4]), Some(Quant::tensor(0.01, 0)));
//! let y = g.tensor("y", &[1, 1], DType::Int8, None, Some(Quant::tensor(0.2, -128)));
//! g.op(Builtin::FullyConnected, &[x, w, -1], &[y],
//!      Options::FullyConnected { activation: Activation::Relu });
//! (g.inputs, g.outputs) = (vec![x], vec![y]);
//! let bytes = g.to_bytes();
//! let info = emovox_export::tflite::inspect(&bytes)?;
//! assert_eq!(info.operators, ["FULLY_CONNECTED"]);
//! assert_eq!(info.tensors, 3);
//! # Ok::<(), emovox_export::Error>(())
//! ```
//!
//! # Errors
//!
//! One flat [`Error`] enum: a model that cannot be quantised or written as this graph
//! ([`Error::Unsupported`]), weights that cannot be read ([`Error::Weights`]), or bytes that
//! are not a TFLite model this crate reads ([`Error::Invalid`]).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod firmware;
pub mod quant;
pub mod schema;
pub mod tflite;

pub use tflite::{inspect, write, Summary};

/// Everything that can go wrong.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    /// The model cannot be quantised or written as this graph (what is wrong).
    #[error("cannot export this model: {0}")]
    Unsupported(String),
    /// The model's weights could not be read (what went wrong).
    #[error("weights: {0}")]
    Weights(String),
    /// The bytes are not a TFLite model this crate reads (what is wrong).
    #[error("not a TFLite model: {0}")]
    Invalid(&'static str),
}

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
