//! Speech features with librosa 0.11's definitions, planned once and run many times.
//!
//! # Overview
//!
//! A [`PipelineConfig`] says what to compute (MFCC, log-mel, MFCC with deltas, or a vector of
//! hand-crafted statistics) and with which parameters; it parses from and prints as a short spec
//! (`seed`, `mfcc:n_mfcc=20`). An [`Extractor`] plans it (FFT, window, mel filterbank, DCT matrix,
//! resamplers) and then turns clips into [`Features`] without reallocating.
//!
//! # Example
//!
//! ```
//! use emovox_features::{Extractor, PipelineConfig};
//!
//! // The original project's preprocessing: crop 0.4 s + 1.5 s, 16 kHz, 13 MFCC, 100 frames.
//! let mut ex = Extractor::new(PipelineConfig::seed())?;
//! let clip: Vec<f32> = (0..44_100 * 2).map(|i| (i as f32 * 0.02).sin() * 0.2).collect();
//! let mfcc = ex.process(&clip, 44_100)?;
//! assert_eq!(mfcc.shape(), [100, 13]);
//!
//! let custom: PipelineConfig = "mfcc:n_mfcc=20,frames=50".parse()?;
//! assert_eq!(Extractor::new(custom)?.process(&clip, 44_100)?.shape(), [50, 20]);
//! # Ok::<(), emovox_features::Error>(())
//! ```
//!
//! # Parity with librosa
//!
//! Every stage follows librosa 0.11 (`stft` centred with zero padding, periodic Hann window,
//! `filters.mel` with Slaney scale and norm, `power_to_db(ref=1, amin=1e-10, top_db=80)` over the
//! whole spectrogram, `scipy.fft.dct(type=2, norm="ortho")`, `feature.delta(width=9)`,
//! `zero_crossing_rate`, `rms`, `spectral_centroid`, `spectral_rolloff`, `yin`). The tests in
//! `tests/librosa_parity.rs` compare against golden arrays that `tests/fixtures/make_golden.py`
//! computed with librosa from real RAVDESS and TESS clips; the tolerances that hold are stated
//! there and in the README.
//!
//! # Modules
//!
//! | module | what |
//! |---|---|
//! | [`mel`] | mel scale, filterbank, `power_to_db`, DCT |
//! | [`spectral`] | ZCR, RMS, spectral centroid and roll-off, deltas |
//! | [`pitch`] | YIN fundamental frequency |
//! | [`prosody`] | eGeMAPS-like prosodic, voice-quality and spectral-balance functionals |
//! | [`pipeline`] | named pipelines and their parameters |
//! | `whisper` | Whisper base's encoder as an utterance embedding (cargo feature `whisper`) |
//!
//! The STFT itself lives in [`emovox_audio::stft`] (augmentation needs it too, and the audio crate
//! sits below this one).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod mel;
pub mod pipeline;
pub mod pitch;
pub mod prosody;
pub mod spectral;
#[cfg(feature = "whisper")]
pub mod whisper;

mod extract;

pub use extract::{Extractor, Features};
pub use pipeline::{
    Crop, Kind, PipelineConfig, HANDCRAFTED_NAMES, MAX_CLIP_SECONDS, MIN_SPEECH_SECONDS,
};
pub use prosody::{PROSODY_GROUPS, PROSODY_NAMES};

/// Everything that can go wrong computing features.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or resampling the audio failed.
    #[error(transparent)]
    Audio(#[from] emovox_audio::Error),
    /// The pipeline spec or its parameters are not usable.
    #[error("invalid pipeline: {0}")]
    InvalidPipeline(String),
    /// The samples given are not usable.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The clip ends before the part the pipeline reads begins (seconds).
    #[error("clip too short: {got:.2} s, the pipeline starts reading at {expected:.2} s")]
    TooShort {
        /// Seconds the pipeline needs before any audio is kept.
        expected: f64,
        /// Seconds the clip has.
        got: f64,
    },
    /// A weights file (the Whisper encoder's) is missing or unreadable.
    #[error("{}: {reason}", path.display())]
    Weights {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A pipeline that trims silence ([`PipelineConfig::trim`]) found less speech than
    /// [`MIN_SPEECH_SECONDS`] in the clip: there is nothing to read an emotion from.
    #[error("no speech: {speech:.3} s of speech found, at least {MIN_SPEECH_SECONDS} s is needed")]
    NoSpeech {
        /// Seconds of speech found.
        speech: f64,
    },
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
