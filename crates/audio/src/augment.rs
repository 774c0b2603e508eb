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
//! let mut aug = Augmenter::new()?;
//! let slow = aug.time_stretch(&y, 0.8)?;
//! assert_eq!(slow.len(), 20_000);
//! let higher = aug.pitch_shift(&y, 16_000, 0.7)?;
//! assert_eq!(higher.len(), y.len());
//! # let _ = noisy;
//! # Ok::<(), emovox_audio::Error>(())
//! ```

#[cfg(test)]
use std::f64::consts::PI;
use std::fmt;
use std::str::FromStr;

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

/// Two independent standard normal samples (Marsaglia's polar method: Box-Muller without the
/// sine and cosine, which were a tenth of the augmentation time).
fn gaussian_pair(rng: &mut impl Rng) -> (f64, f64) {
    loop {
        let u = 2.0 * uniform(rng) - 1.0;
        let v = 2.0 * uniform(rng) - 1.0;
        let s = u * u + v * v;
        if s > 0.0 && s < 1.0 {
            let f = (-2.0 * s.ln() / s).sqrt();
            return (u * f, v * f);
        }
    }
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
        let mut out = Vec::with_capacity(y.len());
        // Box-Muller gives two independent normals per draw; use both.
        for pair in y.chunks(2) {
            let (g0, g1) = gaussian_pair(rng);
            out.push((pair[0] as f64 + amp * g0) as f32);
            if let Some(&v) = pair.get(1) {
                out.push((v as f64 + amp * g1) as f32);
            }
        }
        out
    }
}

/// One augmentation step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    /// [`Noise`] with this scale (spec `noise` = 0.5, the original's, or `noise=0.3`).
    Noise(f32),
    /// [`Augmenter::time_stretch`] by this rate (spec `stretch` = 0.8, the original's, or
    /// `stretch=1.1`).
    Stretch(f64),
    /// [`Augmenter::pitch_shift`] by this many semitones (spec `pitch` = 0.7, the original's
    /// `pitch_factor`, or `pitch=-2`).
    Pitch(f64),
}

/// The steps that make one augmented copy of a clip, applied left to right and cut to the
/// clip's length (a slowed-down copy keeps only its first `len` samples, as the original cut
/// to 24000 samples). Spec: steps joined by `+`, e.g. `noise+stretch+pitch` or `stretch=1.2`.
#[derive(Debug, Clone, PartialEq)]
pub struct Chain(pub Vec<Op>);

impl FromStr for Chain {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let mut ops = Vec::new();
        for step in s.split('+') {
            let (name, val) = match step.split_once('=') {
                Some((n, v)) => (n.trim(), Some(v.trim())),
                None => (step.trim(), None),
            };
            let num = |default: f64| -> Result<f64> {
                match val.map(str::parse::<f64>) {
                    None => Ok(default),
                    Some(Ok(v)) if v.is_finite() => Ok(v),
                    _ => Err(Error::InvalidParameter(format!(
                        "{step:?}: {name} needs a number"
                    ))),
                }
            };
            ops.push(match name {
                "noise" => Op::Noise(num(0.5)? as f32),
                "stretch" => match num(0.8)? {
                    r if r > 0.0 && r <= 10.0 => Op::Stretch(r),
                    r => {
                        return Err(Error::InvalidParameter(format!(
                            "stretch rate must be in (0, 10], got {r}"
                        )))
                    }
                },
                "pitch" => match num(0.7)? {
                    n if n.abs() <= 24.0 => Op::Pitch(n),
                    n => {
                        return Err(Error::InvalidParameter(format!(
                            "pitch shift must be within 24 semitones, got {n}"
                        )))
                    }
                },
                _ => {
                    return Err(Error::InvalidParameter(format!(
                        "unknown augmentation {name:?}: use noise, stretch or pitch (joined by +)"
                    )))
                }
            });
        }
        Ok(Chain(ops))
    }
}

impl fmt::Display for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, op) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("+")?;
            }
            match *op {
                Op::Noise(0.5) => f.write_str("noise")?,
                Op::Noise(s) => write!(f, "noise={s}")?,
                Op::Stretch(0.8) => f.write_str("stretch")?,
                Op::Stretch(r) => write!(f, "stretch={r}")?,
                Op::Pitch(0.7) => f.write_str("pitch")?,
                Op::Pitch(n) => write!(f, "pitch={n}")?,
            }
        }
        Ok(())
    }
}

/// Parses a list of copies: chains separated by commas (`noise,stretch+pitch`), `seed` for
/// the original project's two copies (`noise` and `noise+stretch+pitch`), or `none`.
pub fn parse_copies(spec: &str) -> Result<Vec<Chain>> {
    match spec.trim() {
        "" | "none" => Ok(Vec::new()),
        "seed" => Ok(vec!["noise".parse()?, "noise+stretch+pitch".parse()?]),
        s => s.split(',').map(str::parse).collect(),
    }
}

/// Time stretch and pitch shift, planned once (STFT n_fft 2048, hop 512, as librosa's defaults).
#[derive(Debug, Clone)]
pub struct Augmenter {
    stft: Stft,
    istft: Istft,
    /// Pitch-shift resamplers planned so far, by ratio.
    resamplers: PitchResamplers,
    /// Buffers reused from clip to clip (fresh ~1 MB allocations per call were a third of the
    /// augmentation time, in page faults).
    pv: PvScratch,
}

#[derive(Debug, Clone, Default)]
struct PvScratch {
    spec: Vec<Complex32>,
    mag: Vec<f32>,
    /// Unit phasors of the input, real and imaginary parts apart (so the loop vectorises).
    unit_re: Vec<f32>,
    unit_im: Vec<f32>,
    out: Vec<Complex32>,
}

/// Pitch-shift resamplers by ratio bits; a clone starts empty (plans are per thread).
#[derive(Debug, Default)]
struct PitchResamplers(Vec<(u64, Resampler)>);

impl Clone for PitchResamplers {
    fn clone(&self) -> Self {
        PitchResamplers::default()
    }
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
            resamplers: PitchResamplers::default(),
            pv: PvScratch::default(),
        })
    }

    /// librosa `effects.time_stretch(y, rate)`: `rate > 1` speeds up, `rate < 1` slows down;
    /// the result has `round(len / rate)` samples.
    pub fn time_stretch(&mut self, y: &[f32], rate: f64) -> Result<Vec<f32>> {
        if !(rate > 0.0 && rate.is_finite()) {
            return Err(Error::InvalidParameter(format!(
                "stretch rate must be > 0, got {rate}"
            )));
        }
        let bins = self.stft.n_bins();
        let mut scratch = self.stft.scratch();
        let pv = &mut self.pv;
        self.stft.complex(y, &mut scratch, &mut pv.spec);
        let frames = pv.spec.len() / bins;
        let out_frames = phase_vocoder(pv, frames, bins, rate);
        let len = (y.len() as f64 / rate).round() as usize;
        self.istft.process(&pv.out, out_frames, len)
    }

    /// librosa `effects.pitch_shift(y, sr, n_steps)` (12 steps per octave): time-stretch by
    /// `2^(-n_steps/12)`, resample back to the original duration. Same length as `y`.
    pub fn pitch_shift(&mut self, y: &[f32], sample_rate: u32, n_steps: f64) -> Result<Vec<f32>> {
        if !n_steps.is_finite() || sample_rate == 0 {
            return Err(Error::InvalidParameter(format!(
                "bad pitch shift {n_steps} at {sample_rate} Hz"
            )));
        }
        let rate = 2f64.powf(-n_steps / 12.0);
        self.pitch_shift_with(y, rate, &mut Resampler::with_ratio(rate)?)
    }

    fn pitch_shift_with(&mut self, y: &[f32], rate: f64, rs: &mut Resampler) -> Result<Vec<f32>> {
        let stretched = self.time_stretch(y, rate)?;
        // resample(orig_sr = sr / rate, target_sr = sr): ratio `rate`.
        let mut out = Vec::new();
        rs.process(&stretched, &mut out)?;
        out.resize(y.len(), 0.0);
        Ok(out)
    }

    /// Applies `chain` to `y` (at `sample_rate` Hz), drawing noise from `rng`; the result is cut
    /// to `y.len()` samples if longer. Resamplers for pitch shifts are planned once and kept.
    pub fn apply(
        &mut self,
        chain: &Chain,
        y: &[f32],
        sample_rate: u32,
        rng: &mut impl Rng,
    ) -> Result<Vec<f32>> {
        let mut cur = y.to_vec();
        for op in &chain.0 {
            cur = match *op {
                Op::Noise(scale) => Noise { scale }.apply(&cur, rng),
                Op::Stretch(rate) => self.time_stretch(&cur, rate)?,
                Op::Pitch(steps) => {
                    if sample_rate == 0 {
                        return Err(Error::InvalidParameter("sample rate 0".into()));
                    }
                    let rate = 2f64.powf(-steps / 12.0);
                    let key = rate.to_bits();
                    let idx = match self.resamplers.0.iter().position(|(k, _)| *k == key) {
                        Some(i) => i,
                        None => {
                            self.resamplers.0.push((key, Resampler::with_ratio(rate)?));
                            self.resamplers.0.len() - 1
                        }
                    };
                    let mut rs = std::mem::replace(
                        &mut self.resamplers.0[idx].1,
                        Resampler::with_ratio(1.0)?,
                    );
                    let out = self.pitch_shift_with(&cur, rate, &mut rs);
                    self.resamplers.0[idx].1 = rs;
                    out?
                }
            };
        }
        cur.truncate(y.len());
        Ok(cur)
    }
}

/// librosa `phase_vocoder(D, rate, hop_length)` on a frame-major spectrogram.
///
/// librosa advances each bin's phase by `phi_advance + princarg(angle(c1) - angle(c0) -
/// phi_advance)`, which is `angle(c1) - angle(c0)` modulo 2 pi; only the phase's cosine and sine
/// are used, so the accumulated phase is kept as a unit complex number and advanced by
/// multiplying with `(c1 / |c1|) * conj(c0 / |c0|)`. Same output, but no `atan2`/`sin`/`cos` per
/// bin per frame (which took 80 % of the augmentation time).
/// Reads `pv.spec` (`frames` x `bins`), writes `pv.out`, returns its frame count.
fn phase_vocoder(pv: &mut PvScratch, frames: usize, bins: usize, rate: f64) -> usize {
    let n_steps = (0..)
        .map(|i| i as f64 * rate)
        .take_while(|&s| s < frames as f64)
        .count();
    let steps = (0..n_steps).map(|i| i as f64 * rate);
    let PvScratch {
        spec: d,
        mag,
        unit_re,
        unit_im,
        out,
    } = pv;
    out.clear();
    out.resize(n_steps * bins, Complex32::new(0.0, 0.0));
    if frames == 0 {
        return n_steps;
    }
    // Magnitudes and unit phasors of every input frame (angle 0 for silent bins, as atan2(0, 0)),
    // plus librosa's two zero frames at the end.
    let total = (frames + 2) * bins;
    mag.clear();
    mag.resize(total, 0.0);
    unit_re.clear();
    unit_re.resize(total, 1.0);
    unit_im.clear();
    unit_im.resize(total, 0.0);
    for (i, c) in d.iter().take(frames * bins).enumerate() {
        // Plain sqrt, not `hypot`: spectrogram values cannot overflow, and libm's hypot cost 30 %.
        let m = (c.re * c.re + c.im * c.im).sqrt();
        mag[i] = m;
        if m > 0.0 {
            unit_re[i] = c.re / m;
            unit_im[i] = c.im / m;
        }
    }
    let mut pr: Vec<f32> = unit_re[..bins].to_vec();
    let mut pi: Vec<f32> = unit_im[..bins].to_vec();
    for (i, step) in steps.enumerate() {
        let t = step as usize;
        let alpha = step.fract() as f32;
        let (a, b) = (t * bins, (t + 1) * bins);
        let (m0, m1) = (&mag[a..a + bins], &mag[b..b + bins]);
        let (u0r, u0i) = (&unit_re[a..a + bins], &unit_im[a..a + bins]);
        let (u1r, u1i) = (&unit_re[b..b + bins], &unit_im[b..b + bins]);
        let row = &mut out[i * bins..(i + 1) * bins];
        for k in 0..bins {
            let m = (1.0 - alpha) * m0[k] + alpha * m1[k];
            row[k] = Complex32::new(m * pr[k], m * pi[k]);
            // phase *= u1 * conj(u0)
            let dr = u1r[k] * u0r[k] + u1i[k] * u0i[k];
            let di = u1i[k] * u0r[k] - u1r[k] * u0i[k];
            let (r, im) = (pr[k] * dr - pi[k] * di, pr[k] * di + pi[k] * dr);
            pr[k] = r;
            pi[k] = im;
        }
        // f32 products of unit phasors drift from unit length by ~1e-7 per step: renormalise
        // now and then so long clips stay exact.
        if i % 32 == 31 {
            for (r, im) in pr.iter_mut().zip(pi.iter_mut()) {
                let n = (*r * *r + *im * *im).sqrt();
                if n > 0.0 {
                    *r /= n;
                    *im /= n;
                }
            }
        }
    }
    n_steps
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

    /// librosa's `phase_vocoder` written as librosa writes it (atan2, princarg, cos/sin).
    fn phase_vocoder_reference(
        d: &[Complex32],
        frames: usize,
        bins: usize,
        rate: f64,
        hop: usize,
    ) -> Vec<Complex32> {
        let steps: Vec<f64> = (0..)
            .map(|i| i as f64 * rate)
            .take_while(|&s| s < frames as f64)
            .collect();
        let mut out = vec![Complex32::new(0.0, 0.0); steps.len() * bins];
        let phi: Vec<f64> = (0..bins)
            .map(|k| PI * hop as f64 * k as f64 / (bins - 1) as f64)
            .collect();
        let mut phase: Vec<f64> = d[..bins]
            .iter()
            .map(|c| (c.im as f64).atan2(c.re as f64))
            .collect();
        let zero = Complex32::new(0.0, 0.0);
        let col = |t: usize, k: usize| if t < frames { d[t * bins + k] } else { zero };
        for (i, &step) in steps.iter().enumerate() {
            let (t, alpha) = (step as usize, step.fract());
            for k in 0..bins {
                let (c0, c1) = (col(t, k), col(t + 1, k));
                let mag = (1.0 - alpha) * c0.norm() as f64 + alpha * c1.norm() as f64;
                out[i * bins + k] =
                    Complex32::new((mag * phase[k].cos()) as f32, (mag * phase[k].sin()) as f32);
                let mut dp = (c1.im as f64).atan2(c1.re as f64)
                    - (c0.im as f64).atan2(c0.re as f64)
                    - phi[k];
                dp -= 2.0 * PI * (dp / (2.0 * PI)).round();
                phase[k] += phi[k] + dp;
            }
        }
        out
    }

    #[test]
    fn phase_vocoder_matches_librosas_formula() {
        let y: Vec<f32> = (0..8000)
            .map(|i| ((i as f32 * 0.031).sin() + (i as f32 * 0.17).sin() * 0.3) * 0.4)
            .collect();
        let stft = Stft::new(512, 128).unwrap();
        let (mut scratch, mut spec) = (stft.scratch(), Vec::new());
        stft.complex(&y, &mut scratch, &mut spec);
        let bins = stft.n_bins();
        let frames = spec.len() / bins;
        for rate in [0.8, 0.9604, 1.25] {
            let mut pv = PvScratch {
                spec: spec.clone(),
                ..Default::default()
            };
            let n = phase_vocoder(&mut pv, frames, bins, rate);
            let fast = pv.out;
            let reference = phase_vocoder_reference(&spec, frames, bins, rate, 128);
            assert_eq!(fast.len(), reference.len());
            assert_eq!(n * bins, fast.len());
            let peak = reference.iter().map(|c| c.norm()).fold(0.0f32, f32::max);
            let worst = fast
                .iter()
                .zip(&reference)
                .map(|(a, b)| (a - b).norm())
                .fold(0.0f32, f32::max);
            assert!(worst <= 1e-4 * peak, "rate {rate}: {worst} vs peak {peak}");
        }
    }

    #[test]
    fn chains_parse_print_and_cut_to_length() {
        let copies = parse_copies("seed").unwrap();
        let names: Vec<String> = copies.iter().map(|c| c.to_string()).collect();
        assert_eq!(names, ["noise", "noise+stretch+pitch"]);
        assert_eq!(
            "stretch=1.25+pitch=-2".parse::<Chain>().unwrap().0,
            [Op::Stretch(1.25), Op::Pitch(-2.0)]
        );
        assert!("echo"
            .parse::<Chain>()
            .unwrap_err()
            .to_string()
            .contains("echo"));
        assert!("stretch=0".parse::<Chain>().is_err());
        assert!(parse_copies("none").unwrap().is_empty());
        let y = tone(300.0, 16000.0, 24_000);
        let mut aug = Augmenter::new().unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let out = aug.apply(&copies[1], &y, 16_000, &mut rng).unwrap();
        assert_eq!(out.len(), 24_000);
        let again = aug
            .apply(&copies[1], &y, 16_000, &mut ChaCha8Rng::seed_from_u64(3))
            .unwrap();
        assert_eq!(out, again);
        let plain = aug
            .apply(&"stretch+pitch".parse().unwrap(), &y, 16_000, &mut rng)
            .unwrap();
        // Slowed by 0.8 then cut: the tone's frequency drops by 2^(0.7/12) only via pitch.
        let f = freq(&plain, 16000.0);
        assert!(
            (f / (300.0 * 2f64.powf(0.7 / 12.0)) - 1.0).abs() < 0.02,
            "{f}"
        );
    }

    #[test]
    fn gaussian_pairs_are_standard_normal() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let v: Vec<f64> = (0..20_000)
            .flat_map(|_| {
                let (a, b) = gaussian_pair(&mut rng);
                [a, b]
            })
            .collect();
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64;
        let within_1sd = v.iter().filter(|x| x.abs() < 1.0).count() as f64 / v.len() as f64;
        assert!(mean.abs() < 0.02, "{mean}");
        assert!((var - 1.0).abs() < 0.03, "{var}");
        assert!((within_1sd - 0.6827).abs() < 0.01, "{within_1sd}");
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
        let mut aug = Augmenter::new().unwrap();
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
        let mut aug = Augmenter::new().unwrap();
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
        let mut aug = Augmenter::new().unwrap();
        assert!(aug.time_stretch(&[0.0; 100], 0.0).is_err());
        assert!(aug.pitch_shift(&[0.0; 100], 16000, f64::NAN).is_err());
    }
}
