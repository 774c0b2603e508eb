//! The on-device front end: 16 kHz samples → framing (centred, zero padded) → periodic Hann
//! window → real FFT → power → mel filterbank → `10 log10` with librosa's `top_db` clamp →
//! per-band standardisation → int8 model input. The window, filterbank and standardiser come
//! from the model file, built on the host by `emovox-features` (so the two cannot drift apart).

use crate::fft;
use crate::format::{Reader, Words};
use crate::{Error, Result};

/// Something the front end reads samples from (at the model's sample rate, already cropped).
pub trait Signal {
    /// Number of samples.
    fn len(&self) -> usize;
    /// Whether there are none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Sample `i` as a float in `[-1, 1)`.
    fn at(&self, i: usize) -> f32;
}

impl Signal for [f32] {
    fn len(&self) -> usize {
        <[f32]>::len(self)
    }
    fn at(&self, i: usize) -> f32 {
        self[i]
    }
}

impl Signal for [i16] {
    fn len(&self) -> usize {
        <[i16]>::len(self)
    }
    fn at(&self, i: usize) -> f32 {
        self[i] as f32 / 32768.0
    }
}

/// The front end's tables, read from a model file.
#[derive(Debug, Clone, Copy)]
pub struct FrontEnd<'a> {
    /// Sample rate (Hz) the model expects.
    pub sample_rate: u32,
    /// FFT size and window length.
    pub n_fft: usize,
    /// Hop between frames.
    pub hop: usize,
    /// Samples per clip (the pipeline's crop at its rate).
    pub n_samples: usize,
    /// librosa's `top_db` (NaN: none).
    pub top_db: f32,
    /// librosa's `amin`.
    pub amin: f32,
    window: Words<'a>,
    bands: &'a [u8],
    mean: Words<'a>,
    std: Words<'a>,
    /// Scale of the int8 model input.
    pub in_scale: f32,
    /// Zero point of the int8 model input.
    pub in_zp: i32,
    n_mels: usize,
}

impl<'a> FrontEnd<'a> {
    pub(crate) fn read(r: &mut Reader<'a>, n_mels: usize) -> Result<Self> {
        let sample_rate = r.u32()?;
        let n_fft = r.usize(1 << 16)?;
        let hop = r.usize(1 << 16)?;
        let n_samples = r.usize(1 << 26)?;
        if !n_fft.is_power_of_two() || n_fft < 16 || hop == 0 {
            return Err(Error::Invalid(
                "n_fft must be a power of two >= 16 and hop >= 1",
            ));
        }
        let top_db = r.f32()?;
        let amin = r.f32()?;
        let window = r.words(n_fft / 2 + 1)?;
        let start = r.pos_bytes();
        for _ in 0..n_mels {
            let s = r.usize(n_fft as u32 / 2)?;
            let len = r.usize(n_fft as u32 / 2 + 1)?;
            if s + len > n_fft / 2 + 1 {
                return Err(Error::Invalid("a mel band runs past the spectrum"));
            }
            r.words(len)?;
        }
        let bands = r.since(start);
        let mean = r.words(n_mels)?;
        let std = r.words(n_mels)?;
        let in_scale = r.f32()?;
        let in_zp = r.i32()?;
        Ok(FrontEnd {
            sample_rate,
            n_fft,
            hop,
            n_samples,
            top_db,
            amin,
            window,
            bands,
            mean,
            std,
            in_scale,
            in_zp,
            n_mels,
        })
    }

    /// Frames the STFT makes of `n` samples (centred): `1 + n / hop`.
    pub fn n_frames(&self, n: usize) -> usize {
        1 + n / self.hop
    }

    /// Bytes of scratch the front end needs (beside the model input).
    pub fn scratch_bytes(&self) -> usize {
        4 * (self.n_fft + (self.n_fft / 2 + 1) + (self.n_fft / 4 + 1))
    }

    /// Window value `i` of `n_fft` (periodic Hann, symmetric around `n_fft / 2`).
    #[inline]
    fn window(&self, i: usize) -> f32 {
        self.window.f32(if i <= self.n_fft / 2 {
            i
        } else {
            self.n_fft - i
        })
    }

    /// Standardises and quantises one log-mel value of band `c` (the model's input quantisation);
    /// monotone in `v`, so clamping commutes with it.
    #[inline]
    pub fn quantize(&self, v: f32, c: usize) -> i8 {
        let x = (v - self.mean.f32(c)) / self.std.f32(c);
        let q = libm::roundf(x / self.in_scale) as i32 + self.in_zp;
        q.clamp(-128, 127) as i8
    }

    /// Computes the int8 model input `[frames][n_mels]` of `signal` into `input` (its length a
    /// multiple of `n_mels`; frames past the clip's end are padding, as the pipeline's `frames`
    /// pads), using `scratch` (at least [`scratch_bytes`](Self::scratch_bytes) of `f32`s / 4).
    pub fn run<S: Signal + ?Sized>(
        &self,
        signal: &S,
        input: &mut [i8],
        scratch: &mut [f32],
    ) -> Result<()> {
        let n = self.n_fft;
        let bins = n / 2 + 1;
        if scratch.len() < n + bins + n / 4 + 1 {
            return Err(Error::ArenaTooSmall);
        }
        let (frame, rest) = scratch.split_at_mut(n);
        let (power, table) = rest.split_at_mut(bins);
        fft::fill_sine_table(n, table);
        let m = self.n_mels;
        let rows = input.len() / m.max(1);
        let frames = self.n_frames(signal.len()).min(rows);
        let mut max_db = f32::NEG_INFINITY;
        let half = (n / 2) as isize;
        for t in 0..frames {
            let start = (t * self.hop) as isize - half;
            for (i, f) in frame.iter_mut().enumerate() {
                let j = start + i as isize;
                *f = if j >= 0 && (j as usize) < signal.len() {
                    signal.at(j as usize) * self.window(i)
                } else {
                    0.0
                };
            }
            fft::power_spectrum(frame, table, power);
            let row = &mut input[t * m..(t + 1) * m];
            let b = Words(self.bands);
            let mut off = 0;
            for (c, q) in row.iter_mut().enumerate() {
                let s = b.i32(off) as usize;
                let len = b.i32(off + 1) as usize;
                let mut acc = 0f32;
                for k in 0..len {
                    acc += power[s + k] * b.f32(off + 2 + k);
                }
                off += 2 + len;
                let db = 10.0 * libm::log10f(acc.max(self.amin));
                max_db = max_db.max(db);
                *q = self.quantize(db, c);
            }
        }
        if !self.top_db.is_nan() {
            let floor = max_db - self.top_db;
            for row in input[..frames * m].chunks_exact_mut(m) {
                for (c, q) in row.iter_mut().enumerate() {
                    *q = (*q).max(self.quantize(floor, c));
                }
            }
        }
        for row in input[frames * m..].chunks_exact_mut(m) {
            for (c, q) in row.iter_mut().enumerate() {
                *q = self.quantize(0.0, c);
            }
        }
        Ok(())
    }
}
