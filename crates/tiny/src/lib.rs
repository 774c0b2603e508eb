//! emovox-tiny: run emovox emotion models on a microcontroller. `#![no_std]`, no allocator.
//!
//! # Overview
//!
//! A [`Model`] is read in place from the bytes of a `model.emt` file (written by
//! `emovox quantize` / `emovox export`, typically embedded with `include_bytes!`). It carries
//! everything between 16 kHz samples and an emotion: the front end's tables (window, mel
//! filterbank, standardiser, input quantisation) and a full-integer int8 network.
//! [`Model::run`] does both in one caller-provided arena of [`Model::arena_bytes`] bytes (a
//! constant per model, exported by the generated module as `ARENA_BYTES`): nothing is allocated,
//! nothing is static and mutable.
//!
//! # Example
//!
//! ```
//! use emovox_tiny::{Error, Model};
//!
//! // Not a model: refused with a clear error, never a panic.
//! assert!(matches!(Model::parse(b"not a model"), Err(Error::Invalid(_))));
//! ```
//!
//! On a device:
//!
//! ```ignore
//! static MODEL: &[u8] = include_bytes!("model.emt");
//! let model = emovox_tiny::Model::parse(MODEL)?;
//! let mut arena = [0u8; ARENA_BYTES];
//! let out = model.run(&samples[..], &mut arena)?; // samples: &[i16] or &[f32] at 16 kHz
//! let emotion = out.class;
//! ```
//!
//! # Modules
//!
//! | module | what |
//! |---|---|
//! | [`fixed`] | TFLite's fixed-point arithmetic (requantisation, int8 softmax), bit-exact |
//! | [`fft`] | in-place radix-2 real FFT (power spectrum) |
//! | [`frontend`] | samples → int8 log-mel input |
//! | [`net`] | the int8 `cnn-attn` network |
//! | [`format`] | the `model.emt` layout |
#![no_std]
#![deny(missing_docs)]

pub mod fft;
pub mod fixed;
pub mod format;
pub mod frontend;
pub mod net;

pub use frontend::{FrontEnd, Signal};
pub use net::Net;

use format::{Reader, MAGIC, VERSION};

/// Everything that can go wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The model bytes end early.
    Truncated,
    /// The model bytes are not a valid model (what is wrong).
    Invalid(&'static str),
    /// The arena is smaller than [`Model::arena_bytes`].
    ArenaTooSmall,
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::Truncated => f.write_str("model.emt is truncated"),
            Error::Invalid(what) => write!(f, "not a valid model.emt: {what}"),
            Error::ArenaTooSmall => f.write_str("the arena is smaller than the model needs"),
        }
    }
}

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Most classes a model may have.
pub const MAX_CLASSES: usize = 16;

/// A model read from `model.emt` bytes.
#[derive(Debug, Clone, Copy)]
pub struct Model<'a> {
    /// Number of classes.
    pub classes: usize,
    /// The front end.
    pub front: FrontEnd<'a>,
    /// The network.
    pub net: Net<'a>,
}

/// The result of one inference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Output {
    /// int8 logits (first [`Model::classes`] are used).
    pub logits: [i8; MAX_CLASSES],
    /// The arg-max class (first on ties).
    pub class: usize,
}

impl<'a> Model<'a> {
    /// Reads a model from the bytes of a `model.emt` (checked; nothing copied).
    pub fn parse(bytes: &'a [u8]) -> Result<Self> {
        if bytes.len() < 8 || &bytes[..4] != MAGIC {
            return Err(Error::Invalid("no EMT1 magic"));
        }
        let mut r = Reader::new(bytes);
        r.bytes(4)?;
        if r.u32()? != VERSION {
            return Err(Error::Invalid("unsupported version"));
        }
        let classes = r.usize(MAX_CLASSES as u32)?;
        let frames = r.usize(1 << 14)?;
        let features = r.usize(1 << 12)?;
        if classes == 0 || frames == 0 || features == 0 {
            return Err(Error::Invalid("empty shape"));
        }
        let front = FrontEnd::read(&mut r, features)?;
        let net = Net::read(&mut r, frames, features, classes)?;
        if !r.done() {
            return Err(Error::Invalid("trailing bytes"));
        }
        Ok(Model {
            classes,
            front,
            net,
        })
    }

    /// Bytes of arena [`run`](Self::run) needs: the int8 input, then the larger of the front
    /// end's scratch and the network's activations.
    pub fn arena_bytes(&self) -> usize {
        let [b0, b1] = self.net.buffers();
        let b0 = b0.next_multiple_of(8);
        b0 + self
            .front
            .scratch_bytes()
            .max(b1.next_multiple_of(8) + self.net.small_bytes())
    }

    /// Runs the front end on `signal` (at the model's sample rate, already cropped) and then
    /// the network. `arena` must hold at least [`arena_bytes`](Self::arena_bytes) bytes.
    pub fn run<S: Signal + ?Sized>(&self, signal: &S, arena: &mut [u8]) -> Result<Output> {
        self.front_end(signal, arena)?;
        self.run_input(arena)
    }

    /// The front end alone: writes the int8 model input of `signal` into the start of `arena`
    /// (then [`run_input`](Self::run_input) runs the network on it).
    pub fn front_end<S: Signal + ?Sized>(&self, signal: &S, arena: &mut [u8]) -> Result<()> {
        let (input, scratch) = self.split(arena)?;
        // SAFETY: any bit pattern is a valid f32; `align_to_mut` only returns aligned middles.
        let (_, floats, _) = unsafe { scratch.align_to_mut::<f32>() };
        let n = self.net.frames * self.net.features;
        // SAFETY: u8 → i8 reinterpretation.
        let inp = unsafe { &mut *(&mut input[..n] as *mut [u8] as *mut [i8]) };
        self.front.run(signal, inp, floats)
    }

    /// Runs the network alone on an int8 input already in `arena[..frames * features]`
    /// (e.g. written with [`input_mut`](Self::input_mut)).
    pub fn run_input(&self, arena: &mut [u8]) -> Result<Output> {
        let [_, b1] = self.net.buffers();
        let (input, scratch) = self.split(arena)?;
        let (buf1, small) = scratch.split_at_mut(b1.next_multiple_of(8));
        let mut logits = [0i8; MAX_CLASSES];
        // SAFETY: u8 → i8 reinterpretation of disjoint slices.
        let (i0, i1, s) = unsafe {
            (
                &mut *(input as *mut [u8] as *mut [i8]),
                &mut *(buf1 as *mut [u8] as *mut [i8]),
                &mut *(small as *mut [u8] as *mut [i8]),
            )
        };
        self.net.run(i0, i1, s, &mut logits[..self.classes]);
        let mut class = 0;
        for c in 1..self.classes {
            if logits[c] > logits[class] {
                class = c;
            }
        }
        Ok(Output { logits, class })
    }

    /// The int8 model input inside `arena` (`frames * features` values, row-major).
    pub fn input_mut<'b>(&self, arena: &'b mut [u8]) -> Result<&'b mut [i8]> {
        let n = self.net.frames * self.net.features;
        let (input, _) = self.split(arena)?;
        // SAFETY: u8 → i8 reinterpretation.
        Ok(unsafe { &mut *(&mut input[..n] as *mut [u8] as *mut [i8]) })
    }

    fn split<'b>(&self, arena: &'b mut [u8]) -> Result<(&'b mut [u8], &'b mut [u8])> {
        if arena.len() < self.arena_bytes() {
            return Err(Error::ArenaTooSmall);
        }
        let b0 = self.net.buffers()[0].next_multiple_of(8);
        Ok(arena.split_at_mut(b0))
    }
}
