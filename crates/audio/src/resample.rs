//! Band-limited resampling with rubato, aligned and sized like `librosa.resample` (soxr_hq).
//!
//! Rational rate pairs whose reduced input block is small (48000->16000 is 3:1, 96000->16000 is
//! 6:1, 44100->16000 is 441:160) use rubato's synchronous FFT resampler; other ratios (24414 Hz
//! TESS originals, the fractional ratios of pitch shifting) use its windowed-sinc resampler.
//! Either way the filter delay is removed (`process_all_into_buffer`) and the output has
//! `ceil(n * to / from)` samples, the length librosa returns. soxr itself produces
//! `round(n * to / from)` samples and librosa zero-pads to the ceiling, so the last sample is zeroed
//! in that case, as librosa's is.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{
    Async, Fft, FixedAsync, FixedSync, SincInterpolationParameters, SincInterpolationType,
    WindowFunction,
};

use crate::{Error, Result};

enum Inner {
    Identity,
    Fft(Box<Fft<f32>>),
    Sinc(Box<Async<f32>>),
}

/// A resampler for one rate pair, planned once and reused for every clip.
pub struct Resampler {
    ratio: f64,
    /// `(from, to)` for rational pairs: soxr's output length is computed exactly from them.
    rates: Option<(u64, u64)>,
    inner: Inner,
    buf: Vec<f32>,
}

impl std::fmt::Debug for Resampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.inner {
            Inner::Identity => "identity",
            Inner::Fft(_) => "fft",
            Inner::Sinc(_) => "sinc",
        };
        f.debug_struct("Resampler").field("ratio", &self.ratio).field("kind", &kind).finish()
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

fn sinc_params() -> SincInterpolationParameters {
    SincInterpolationParameters::new(256, WindowFunction::BlackmanHarris2)
        .f_cutoff(0.95)
        .oversampling_factor(256)
        .interpolation(SincInterpolationType::Cubic)
}

/// Largest reduced input block handled by the FFT resampler.
const MAX_FFT_BLOCK: u64 = 4096;

impl Resampler {
    /// Plans resampling from `from` Hz to `to` Hz.
    pub fn new(from: u32, to: u32) -> Result<Self> {
        if from == 0 || to == 0 {
            return Err(Error::InvalidParameter(format!("sample rates must be > 0, got {from} -> {to}")));
        }
        let (f, t) = (from as u64, to as u64);
        let g = gcd(f, t);
        let ratio = to as f64 / from as f64;
        let inner = if from == to {
            Inner::Identity
        } else if f / g <= MAX_FFT_BLOCK {
            let chunk = (f / g) as usize * (1024usize).div_ceil((f / g) as usize).max(1);
            let r = Fft::<f32>::new(from as usize, to as usize, chunk, 1, FixedSync::Both)
                .map_err(|e| Error::InvalidParameter(format!("resampler {from} -> {to} Hz: {e}")))?;
            Inner::Fft(Box::new(r))
        } else {
            Inner::Sinc(Box::new(Self::sinc(ratio)?))
        };
        Ok(Resampler { ratio, rates: Some((f, t)), inner, buf: Vec::new() })
    }

    /// Plans resampling by an arbitrary ratio `to / from` (e.g. for pitch shifting).
    pub fn with_ratio(ratio: f64) -> Result<Self> {
        if !(ratio > 0.0 && ratio.is_finite()) {
            return Err(Error::InvalidParameter(format!("resampling ratio must be > 0, got {ratio}")));
        }
        let inner = if ratio == 1.0 { Inner::Identity } else { Inner::Sinc(Box::new(Self::sinc(ratio)?)) };
        Ok(Resampler { ratio, rates: None, inner, buf: Vec::new() })
    }

    fn sinc(ratio: f64) -> Result<Async<f32>> {
        Async::<f32>::new_sinc(ratio, 1.0, &sinc_params(), 1024, 1, FixedAsync::Input)
            .map_err(|e| Error::InvalidParameter(format!("resampling ratio {ratio}: {e}")))
    }

    /// `to / from`.
    pub fn ratio(&self) -> f64 {
        self.ratio
    }

    /// Output length for `n` input samples: `ceil(n * ratio)`, as librosa.
    pub fn output_len(&self, n: usize) -> usize {
        match self.rates {
            Some((f, t)) => (n as u64 * t).div_ceil(f) as usize,
            None => (n as f64 * self.ratio).ceil() as usize,
        }
    }

    /// Resamples one clip into `out` (resized to [`output_len`](Self::output_len)).
    pub fn process(&mut self, input: &[f32], out: &mut Vec<f32>) -> Result<()> {
        let n_out = self.output_len(input.len());
        let r: &mut dyn rubato::Resampler<f32> = match &mut self.inner {
            Inner::Identity => {
                out.clear();
                out.extend_from_slice(input);
                return Ok(());
            }
            Inner::Fft(r) => r.as_mut(),
            Inner::Sinc(r) => r.as_mut(),
        };
        out.clear();
        if input.is_empty() {
            return Ok(());
        }
        let need = r.process_all_needed_output_len(input.len());
        self.buf.clear();
        self.buf.resize(need, 0.0);
        r.reset();
        let err = |e: &dyn std::fmt::Display| Error::InvalidParameter(format!("resampling: {e}"));
        let inp = InterleavedSlice::new(input, 1, input.len()).map_err(|e| err(&e))?;
        let mut outp = InterleavedSlice::new_mut(&mut self.buf[..], 1, need).map_err(|e| err(&e))?;
        let (_, produced) = r.process_all_into_buffer(&inp, &mut outp, input.len(), None).map_err(|e| err(&e))?;
        out.extend_from_slice(&self.buf[..produced.min(n_out)]);
        out.resize(n_out, 0.0);
        // soxr yields round(n * ratio) samples; librosa pads with zeros up to the ceiling.
        if let Some((f, t)) = self.rates {
            let soxr_len = ((2 * input.len() as u64 * t + f) / (2 * f)) as usize;
            for v in out.iter_mut().skip(soxr_len) {
                *v = 0.0;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(hz: f64, sr: f64, n: usize) -> Vec<f32> {
        (0..n).map(|i| (2.0 * std::f64::consts::PI * hz * i as f64 / sr).sin() as f32).collect()
    }

    #[test]
    fn lengths_match_librosa() {
        let mut r = Resampler::new(48000, 16000).unwrap();
        let mut out = Vec::new();
        r.process(&vec![0.0; 72000], &mut out).unwrap();
        assert_eq!(out.len(), 24000);
        r.process(&vec![0.0; 1000], &mut out).unwrap();
        assert_eq!(out.len(), 334);
        let mut r = Resampler::new(44100, 16000).unwrap();
        r.process(&vec![0.0; 66150], &mut out).unwrap();
        assert_eq!(out.len(), 24000);
    }

    #[test]
    fn a_tone_keeps_its_phase_and_amplitude() {
        for from in [48000u32, 44100, 96000, 22050, 24414] {
            let mut r = Resampler::new(from, 16000).unwrap();
            let x = tone(440.0, from as f64, from as usize);
            let mut y = Vec::new();
            r.process(&x, &mut y).unwrap();
            let want = tone(440.0, 16000.0, y.len());
            // Away from the edges the output is the same tone sampled at 16 kHz.
            let err = y[400..y.len() - 400]
                .iter()
                .zip(&want[400..])
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            assert!(err < 2e-3, "{from} Hz: max error {err}");
        }
    }

    #[test]
    fn reuse_is_stateless() {
        let mut r = Resampler::new(48000, 16000).unwrap();
        let x = tone(300.0, 48000.0, 5000);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        r.process(&x, &mut a).unwrap();
        r.process(&tone(1000.0, 48000.0, 7777), &mut b).unwrap();
        r.process(&x, &mut b).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn bad_rates_are_refused() {
        assert!(Resampler::new(0, 16000).is_err());
        assert!(Resampler::with_ratio(-1.0).is_err());
        assert!(Resampler::with_ratio(f64::NAN).is_err());
    }
}
