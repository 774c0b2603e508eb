//! emovox: speech emotion recognition in Rust.
//!
//! # Overview
//!
//! Data flows one way: audio ([`emovox_audio`]: decode any recording, resample, augment) ->
//! features ([`emovox_features`]: librosa-identical MFCC, mel, deltas, hand-crafted features,
//! as named pipelines) -> corpora ([`emovox_corpora`]: index RAVDESS/TESS/SAVEE/CREMA-D/EmoDB or
//! a folder per label, label schemes, speaker-honest splits, manifests, Parquet/CSV/NumPy
//! feature tables) -> models ([`emovox_model`]: training, evaluation, the saved-model format) ->
//! predictions ([`Recognizer`], [`timeline`]). This crate ties them into batch jobs ([`batch`],
//! [`predict`]), training and evaluation over feature tables ([`train`], [`evaluate`]),
//! microcontroller export ([`tinyml`]), corpus analysis reports and single-recording plots ([`analyze`], drawn by
//! [`emovox_report`]), the `emovox` command line (`cli`, with the default `cli` feature) and, with the default `serve` feature,
//! the web app and HTTP API (`serve`, on `emovox-serve`).
//!
//! # Recognising emotions
//!
//! [`Recognizer::from_default`] loads the model bundled with emovox (see `models/README.md`);
//! [`Recognizer::from_dir`] one trained with `emovox train`.
//!
//! ```no_run
//! let rec = emovox::Recognizer::from_default()?;
//! let p = rec.predict_file("speech.m4a")?;
//! println!("{} ({:.0}%)", p.label, p.confidence * 100.0);
//! for s in &p.scores {
//!     println!("  {:<12} {:.3}", s.label, s.probability);
//! }
//! # Ok::<(), emovox::Error>(())
//! ```
//!
//! # Extracting features
//!
//! ```
//! use emovox::batch::{extract, BatchOptions};
//! use emovox_features::PipelineConfig;
//!
//! let dir = std::env::temp_dir().join("emovox-doc-example");
//! std::fs::create_dir_all(&dir)?;
//! let report = extract(&[dir.clone()], &PipelineConfig::seed(), &BatchOptions::default())?;
//! assert!(report.rows.is_empty() && report.failures.is_empty());
//! # Ok::<(), emovox::Error>(())
//! ```
//!
//! # Settings
//!
//! `EMOVOX_DATASETS` points at the folder holding the corpora (`ravdess/`, `tess/`, ...); the
//! default is `../shared/datasets`. See [`datasets_dir`].
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod analyze;
pub mod batch;
#[cfg(feature = "cli")]
pub mod cli;
#[macro_use]
mod error;
pub mod evaluate;
pub mod info;
pub mod predict;
mod recognizer;
#[cfg(feature = "serve")]
pub mod serve;
pub mod timeline;
pub mod tinyml;
pub mod train;

pub use error::{Error, Result};
pub use recognizer::{ClassScore, Prediction, PredictionRecord, Recognizer};

pub use emovox_audio as audio;
pub use emovox_corpora as corpora;
pub use emovox_corpora::table;
pub use emovox_features as features;
pub use emovox_model as model;

use std::path::PathBuf;

/// Where the corpora live: `$EMOVOX_DATASETS`, or `../shared/datasets` when unset.
pub fn datasets_dir() -> PathBuf {
    std::env::var_os("EMOVOX_DATASETS")
        .map_or_else(|| PathBuf::from("../shared/datasets"), PathBuf::from)
}
