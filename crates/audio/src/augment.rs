//! Data augmentation, reproducible from a seed: the original project's additive noise, and
//! librosa's time stretch (phase vocoder) and pitch shift (stretch, then resample).
//!
//! ```
//! use emovox_audio::augment::{Augmenter, Noise};
//! use rand_chacha::ChaCha8Rng;
//! use rand_core::SeedableRng;
//!
//! let y: Vec<f32> = (0..16_000).map(|i| (i as f32 * 0.06).sin() * 0.5).collect();
//! let mut rng = ChaCha8Rng::seed_from_u64(7);
//! let noisy = Noise::default().apply(&y, &mut rng);
//! let aug = Augmenter::new()?;
//! let slow = aug.time_stretch(&y, 0.8)?;
//! assert_eq!(slow.len(), 20_000);
//! let higher = aug.pitch_shift(&y, 16_000, 0.7)?;
//! assert_eq!(higher.len(), y.len());
//! # let _ = noisy;
//! # Ok::<(), emovox_audio::Error>(())
//! ```

use std::f64::consts::PI;

use rand_core::Rng;
use realfft::num_complex::Complex32;

use crate::resample::Resampler;
use crate::stft::{Istft, Stft};
use crate::{Error, Result};

/// Additive Gaussian noise as the original project defines it:
/// `y + amp * N(0, 1)` with `amp = scale * U(0, 1) * max(y)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Noise {
    /// Noise amplitude relative to the clip's maximum. Default 0.5 (the original's value).
    pub scale: f32,
}

impl Default for Noise {
    fn default() -> Self {
        Noise { scale: 0.5 }
    }
}

/// A uniform f64 in [0, 1) with 53 random bits.
fn uniform(rng: &mut impl Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A standard normal sample (Box-Muller).
fn gaussian(rng: &mut impl Rng) -> f64 {
    let u1 = 1.0 - uniform(rng); // (0, 1]
    let u2 = uniform(rng);
    (-2.0 * u1.ln()).sqrt() * (2.0 * PI * u2).cos()
}

impl Noise {
    /// Sets the amplitude scale (default 0.5).
    pub fn scale(mut self, scale: f32) -> Self {
        self.scale = scale;
        self
    }

    /// Returns `y` with noise added; the same `rng` state gives the same noise.
    pub fn apply(&self, y: &[f32], rng: &mut impl Rng) -> Vec<f32> {
        let max = y.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let max = if max.is_finite() { max } else { 0.0 };
        let amp = self.scale as f64 * uniform(rng) * max as f64;
        y.iter()
            .map(|&v| (v as f64 + amp * gaussian(rng)) as f32)
            .collect()
    }
}

/// Time stretch and pitch shift, planned once (STFT n_fft 2048, hop 512, as librosa's defaults).
#[derive(Debug, Clone)]
pub struct Augmenter {
    stft: Stft,
    istft: Istft,
}

impl Augmenter {
    /// Plans the phase vocoder with librosa's defaults (n_fft 2048, hop 512).
    pub fn new() -> Result<Self> {
        Self::with_fft(2048, 512)
    }

    /// Plans the phase vocoder with another FFT size and hop.
    pub fn with_fft(n_fft: usize, hop: usize) -> Result<Self> {
        Ok(Augmenter {
            stft: Stft::new(n_fft, hop)?,
            istft: Istft::new(n_fft, hop)?,
        })
    }

    /// librosa `effects.time_stretch(y, rate)`: `rate > 1` speeds up, `rate < 1` slows down;
    /// the result has `round(len / rate)` samples.
    pub fn time_stretch(&self, y: &[f32], rate: f64) -> Result<Vec<f32>> {
        if !(rate > 0.0 && rate.is_finite()) {
            return Err(Error::InvalidParameter(format!(
                "stretch rate must be > 0, got {rate}"
            )));
        }
        let bins = self.stft.n_bins();
        let mut scratch = self.stft.scratch();
        let mut spec = Vec::new();
        self.stft.complex(y, &mut scratch, &mut spec);
        let frames = spec.len() / bins;
        let (stretched, out_frames) = phase_vocoder(&spec, frames, bins, rate, self.stft.hop());
        let len = (y.len() as f64 / rate).round() as usize;
        self.istft.process(&stretched, out_frames, len)
    }

    /// librosa `effects.pitch_shift(y, sr, n_steps)` (12 steps per octave): time-stretch by
    /// `2^(-n_steps/12)`, resample back to the original duration. Same length as `y`.
    pub fn pitch_shift(&self, y: &[f32], sample_rate: u32, n_steps: f64) -> Result<Vec<f32>> {
        if !n_steps.is_finite() || sample_rate == 0 {
            return Err(Error::InvalidParameter(format!(
                "bad pitch shift {n_steps} at {sample_rate} Hz"
            )));
        }
        let rate = 2f64.powf(-n_steps / 12.0);
        let stretched = self.time_stretch(y, rate)?;
        // resample(orig_sr = sr / rate, target_sr = sr): ratio `rate`.
        let mut rs = Resampler::with_ratio(rate)?;
        let mut out = Vec::new();
        rs.process(&stretched, &mut out)?;
        out.resize(y.len(), 0.0);
        Ok(out)
    }
}

/// librosa `phase_vocoder(D, rate, hop_length)` on a frame-major spectrogram.
fn phase_vocoder(
    d: &[Complex32],
    frames: usize,
    bins: usize,
    rate: f64,
    hop: usize,
) -> (Vec<Complex32>, usize) {
    let steps: Vec<f64> = (0..)
        .map(|i| i as f64 * rate)
        .take_while(|&s| s < frames as f64)
        .collect();
    let mut out = vec![Complex32::new(0.0, 0.0); steps.len() * bins];
    if frames == 0 {
        return (out, steps.len());
    }
    let phi_advance: Vec<f64> = (0..bins)
        .map(|k| {
            if bins > 1 {
                PI * hop as f64 * k as f64 / (bins - 1) as f64
            } else {
                0.0
            }
        })
        .collect();
    let mut phase: Vec<f64> = d[..bins]
        .iter()
        .map(|c| (c.im as f64).atan2(c.re as f64))
        .collect();
    let zero = Complex32::new(0.0, 0.0);
    // librosa pads two zero frames at the end.
    let col = |t: usize, k: usize| if t < frames { d[t * bins + k] } else { zero };
    for (i, &step) in steps.iter().enumerate() {
        let t = step as usize;
        let alpha = step.fract();
        for k in 0..bins {
            let (c0, c1) = (col(t, k), col(t + 1, k));
            let mag = (1.0 - alpha) * c0.norm() as f64 + alpha * c1.norm() as f64;
            out[i * bins + k] =
                Complex32::new((mag * phase[k].cos()) as f32, (mag * phase[k].sin()) as f32);
            let a0 = (c0.im as f64).atan2(c0.re as f64);
            let a1 = (c1.im as f64).atan2(c1.re as f64);
            let mut dphase = a1 - a0 - phi_advance[k];
            dphase -= 2.0 * PI * (dphase / (2.0 * PI)).round();
            phase[k] += phi_advance[k] + dphase;
        }
    }
    (out, steps.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha8Rng;
    use rand_core::SeedableRng;

    fn tone(hz: f64, sr: f64, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| ((2.0 * PI * hz * i as f64 / sr).sin() * 0.5) as f32)
            .collect()
    }

    /// Dominant frequency by zero crossings over the middle of the signal.
    fn freq(y: &[f32], sr: f64) -> f64 {
        let mid = &y[y.len() / 4..3 * y.len() / 4];
        let crossings = mid
            .windows(2)
            .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
            .count();
        crossings as f64 / 2.0 / (mid.len() as f64 / sr)
    }

    #[test]
    fn noise_is_reproducible_and_scaled() {
        let y = tone(200.0, 16000.0, 4000);
        let a = Noise::default().apply(&y, &mut ChaCha8Rng::seed_from_u64(1));
        let b = Noise::default().apply(&y, &mut ChaCha8Rng::seed_from_u64(1));
        let c = Noise::default().apply(&y, &mut ChaCha8Rng::seed_from_u64(2));
        assert_eq!(a, b);
        assert_ne!(a, c);
        // amp <= 0.5 * max(y) = 0.25: residual std is at most 0.25.
        let var = a
            .iter()
            .zip(&y)
            .map(|(p, q)| ((p - q) as f64).powi(2))
            .sum::<f64>()
            / y.len() as f64;
        assert!(var.sqrt() <= 0.26, "{}", var.sqrt());
    }

    #[test]
    fn stretch_by_0_8_lengthens_by_1_25() {
        let aug = Augmenter::new().unwrap();
        let y = tone(300.0, 16000.0, 24000);
        let s = aug.time_stretch(&y, 0.8).unwrap();
        assert_eq!(s.len(), 30000);
        // Pitch is kept.
        assert!(
            (freq(&s, 16000.0) - 300.0).abs() < 3.0,
            "{}",
            freq(&s, 16000.0)
        );
    }

    #[test]
    fn pitch_shift_moves_a_tone_by_the_semitone_ratio() {
        let aug = Augmenter::new().unwrap();
        let y = tone(300.0, 16000.0, 24000);
        for steps in [0.7, 12.0, -5.0] {
            let s = aug.pitch_shift(&y, 16000, steps).unwrap();
            assert_eq!(s.len(), y.len());
            let want = 300.0 * 2f64.powf(steps / 12.0);
            let got = freq(&s, 16000.0);
            assert!(
                (got / want - 1.0).abs() < 0.01,
                "{steps} steps: {got} Hz, want {want}"
            );
        }
    }

    #[test]
    fn bad_rates_are_errors() {
        let aug = Augmenter::new().unwrap();
        assert!(aug.time_stretch(&[0.0; 100], 0.0).is_err());
        assert!(aug.pitch_shift(&[0.0; 100], 16000, f64::NAN).is_err());
    }
}
