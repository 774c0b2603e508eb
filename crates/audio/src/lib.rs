//! Audio in for emovox: any common recording to mono `f32` samples, resampled, transformed and
//! augmented.
//!
//! # Overview
//!
//! * [`decode_file`] / [`decode_bytes`]: WAV, AIFF, FLAC, OGG Vorbis, MP3, M4A/AAC and Opus to
//!   mono `f32` at the native rate, sniffing the content rather than trusting the extension;
//!   [`decode_file_chunks`] / [`decode_bytes_chunks`] give the same samples piece by piece, in
//!   bounded memory, for recordings hours long; [`probe_file`] reads what a container declares
//!   (rate, length) without decoding.
//! * [`Resampler`]: band-limited resampling to a target rate (16 kHz for every emovox pipeline),
//!   planned once per rate pair and reused for every clip; [`StreamResampler`] does it piece by
//!   piece for a stream of any length.
//! * [`stft`]: the short-time Fourier transform and its inverse, with librosa's conventions.
//! * [`augment`]: reproducible noise, time stretch and pitch shift.
//! * [`guard`]: samples no recording can hold are refused before any work; a panic in a
//!   dependency becomes one item's error ([`guard::catch_panic`]).
//! * [`hostile`]: structure-aware hostile files and sample buffers for fuzzing and robustness
//!   tests.
//! * [`vad`]: voice-activity detection (a small neural network gated by energy): speech regions
//!   of a clip or a stream, and the span to keep when trimming silence.
//!
//! # Example
//!
//! ```no_run
//! use emovox_audio::{decode_file, DecodeOptions, Resampler};
//!
//! let clip = decode_file("speech.m4a".as_ref(), &DecodeOptions::new().max_seconds(Some(1.9)))?;
//! let mut to_16k = Resampler::new(clip.sample_rate, 16_000)?;
//! let mut y = Vec::new();
//! to_16k.process(&clip.samples, &mut y)?;
//! println!("{} samples at 16 kHz from {}", y.len(), clip.format);
//! # Ok::<(), emovox_audio::Error>(())
//! ```
//!
//! # Cargo features
//!
//! One feature per codec. Everything but Opus is pure Rust (symphonia) and on by default.
//!
//! | feature | formats | default |
//! |---|---|---|
//! | `wav` | WAV: PCM 8/16/24/32-bit, 32-bit float, unknown chunks skipped | yes |
//! | `aiff` | AIFF / AIFF-C | yes |
//! | `flac` | FLAC | yes |
//! | `ogg-vorbis` | OGG Vorbis | yes |
//! | `mp3` | MP3 | yes |
//! | `aac` | M4A / MP4 AAC-LC (edit lists applied) | yes |
//! | `opus` | Opus in OGG, via libopus, compiled from source and linked statically (build needs CMake and a C compiler) | no (the `emovox` binary turns it on) |
//!
//! # Errors
//!
//! One flat [`Error`] enum; errors about a file are wrapped in [`Error::File`] so the message
//! starts with its path, and [`Error::reason`] gives the cause alone.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod augment;
mod decode;
mod error;
pub mod guard;
pub mod hostile;
mod resample;
pub mod stft;
pub mod vad;

pub use decode::{
    decode_bytes, decode_bytes_chunks, decode_file, decode_file_chunks, probe_file, DecodeOptions,
    Decoded, Probe,
};
pub use error::{Error, Result};
pub use resample::{Resampler, StreamResampler, MAX_RATE};
