//! Data augmentation, reproducible from a seed: the original project's additive noise,
//! librosa's time stretch (phase vocoder) and pitch shift (stretch, then resample), and
//! recording channels: a telephone band (300-3400 Hz), a room's reverberation, a microphone's
//! spectral tilt and its gain; and other lengths: a random short window of the clip's speech.
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

use std::f64::consts::PI;
use std::fmt;
use std::str::FromStr;

use rand_core::Rng;
use realfft::num_complex::Complex32;
use realfft::RealFftPlanner;

use crate::resample::Resampler;
use crate::stft::{Istft, Stft};
use crate::vad::{Vad, VadConfig, VadScratch};
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
    /// [`Augmenter::telephone`]: the 300-3400 Hz band of a telephone channel (spec
    /// `telephone`, no value).
    Telephone,
    /// [`Augmenter::reverb`] of a synthetic room with this RT60 in seconds (spec `reverb` =
    /// 0.4, or `reverb=0.8`; 0.05 to 3).
    Reverb(f64),
    /// [`Augmenter::tilt`]: a spectral tilt of this many dB per octave around 1 kHz (spec
    /// `tilt` = -3, a duller microphone, or `tilt=2`; -12 to 12).
    Tilt(f64),
    /// [`gain`] by this many dB (spec `gain` = -10, or `gain=6`; -60 to 60).
    Gain(f64),
    /// [`Augmenter::crop`]: a random window of [`CROP_MIN`] to this many seconds of the clip's
    /// speech (spec `crop` = 0.8, or `crop=1.5`; 0.3 to 30): a word where the corpus has
    /// sentences.
    Crop(f64),
}

/// The shortest window [`Augmenter::crop`] cuts, seconds: about the shortest word a model
/// reads.
pub const CROP_MIN: f64 = 0.3;

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
                "telephone" => match val {
                    None => Op::Telephone,
                    Some(_) => {
                        return Err(Error::InvalidParameter(format!(
                            "{step:?}: telephone takes no value (it is the 300-3400 Hz band)"
                        )))
                    }
                },
                "reverb" => Op::Reverb(in_range(num(0.4)?, 0.05, 3.0, "reverb RT60 (seconds)")?),
                "tilt" => Op::Tilt(in_range(num(-3.0)?, -12.0, 12.0, "tilt (dB per octave)")?),
                "gain" => Op::Gain(in_range(num(-10.0)?, -60.0, 60.0, "gain (dB)")?),
                "crop" => Op::Crop(in_range(
                    num(0.8)?,
                    CROP_MIN,
                    30.0,
                    "crop length (seconds)",
                )?),
                _ => {
                    return Err(Error::InvalidParameter(format!(
                        "unknown augmentation {name:?}: use noise, stretch, pitch, telephone, \
                         reverb, tilt, gain or crop (joined by +)"
                    )))
                }
            });
        }
        Ok(Chain(ops))
    }
}

/// `v` if it is within `[lo, hi]`, else an error naming `what`.
fn in_range(v: f64, lo: f64, hi: f64, what: &str) -> Result<f64> {
    if (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        Err(Error::InvalidParameter(format!(
            "{what} must be in [{lo}, {hi}], got {v}"
        )))
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
                Op::Telephone => f.write_str("telephone")?,
                Op::Reverb(0.4) => f.write_str("reverb")?,
                Op::Reverb(t) => write!(f, "reverb={t}")?,
                Op::Tilt(-3.0) => f.write_str("tilt")?,
                Op::Tilt(d) => write!(f, "tilt={d}")?,
                Op::Gain(-10.0) => f.write_str("gain")?,
                Op::Gain(d) => write!(f, "gain={d}")?,
                Op::Crop(0.8) => f.write_str("crop")?,
                Op::Crop(t) => write!(f, "crop={t}")?,
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
    /// FFT plans and telephone filters for the channel simulations.
    filters: Filters,
    /// The project's voice-activity detector, for [`crop`](Self::crop); made on first use.
    vad: CropVad,
}

/// The detector [`Augmenter::crop`] finds speech with; a clone starts empty (scratch is per
/// thread).
#[derive(Debug, Default)]
struct CropVad(Option<(Vad, VadScratch)>);

impl Clone for CropVad {
    fn clone(&self) -> Self {
        CropVad::default()
    }
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

/// FFT plans and telephone band-pass filters (by sample rate) made so far; a clone starts
/// empty (plans are per thread).
struct Filters {
    planner: RealFftPlanner<f32>,
    telephone: Vec<(u32, Vec<f32>)>,
}

impl Default for Filters {
    fn default() -> Self {
        Filters {
            planner: RealFftPlanner::new(),
            telephone: Vec::new(),
        }
    }
}

impl Clone for Filters {
    fn clone(&self) -> Self {
        Filters::default()
    }
}

impl fmt::Debug for Filters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Filters")
            .field("telephone_rates", &self.telephone.len())
            .finish()
    }
}

impl Filters {
    /// The real FFT of `x` zero-padded to `n` points (`n / 2 + 1` bins).
    fn forward(&mut self, x: &[f32], n: usize) -> Result<Vec<Complex32>> {
        let fft = self.planner.plan_fft_forward(n);
        let mut buf = vec![0.0f32; n];
        buf[..x.len()].copy_from_slice(x);
        let mut spec = fft.make_output_vec();
        fft.process(&mut buf, &mut spec)
            .map_err(|e| Error::InvalidParameter(format!("FFT: {e}")))?;
        Ok(spec)
    }

    /// The inverse of [`forward`](Self::forward), scaled by `1 / n`.
    fn inverse(&mut self, mut spec: Vec<Complex32>, n: usize) -> Result<Vec<f32>> {
        let ifft = self.planner.plan_fft_inverse(n);
        // The DC and Nyquist bins of a real signal are real; rounding leaves a trace that
        // realfft refuses.
        spec[0].im = 0.0;
        if let Some(last) = spec.last_mut() {
            last.im = 0.0;
        }
        let mut out = vec![0.0f32; n];
        ifft.process(&mut spec, &mut out)
            .map_err(|e| Error::InvalidParameter(format!("inverse FFT: {e}")))?;
        let scale = 1.0 / n as f32;
        out.iter_mut().for_each(|v| *v *= scale);
        Ok(out)
    }

    /// `len` samples of the full linear convolution `x * h`, from sample `from` on (FFT
    /// convolution; zeros past its end).
    fn convolve(&mut self, x: &[f32], h: &[f32], from: usize, len: usize) -> Result<Vec<f32>> {
        if x.is_empty() || h.is_empty() {
            return Ok(vec![0.0; len]);
        }
        let n = (x.len() + h.len() - 1).next_power_of_two().max(2);
        let a = self.forward(x, n)?;
        let b = self.forward(h, n)?;
        let prod: Vec<Complex32> = a.iter().zip(&b).map(|(p, q)| p * q).collect();
        let full = self.inverse(prod, n)?;
        let mut out: Vec<f32> = full.into_iter().skip(from).take(len).collect();
        out.resize(len, 0.0);
        Ok(out)
    }

    /// The telephone band-pass at `sample_rate`, designed once per rate.
    fn telephone_taps(&mut self, sample_rate: u32) -> &[f32] {
        let i = match self.telephone.iter().position(|(r, _)| *r == sample_rate) {
            Some(i) => i,
            None => {
                self.telephone
                    .push((sample_rate, telephone_band(sample_rate)));
                self.telephone.len() - 1
            }
        };
        &self.telephone[i].1
    }
}

/// Lower and upper edges of the telephone band, Hz (ITU-T G.712's 300-3400 Hz).
pub const TELEPHONE_BAND: (f64, f64) = (300.0, 3400.0);

/// Width of the telephone filter's transition bands, Hz.
const TELEPHONE_TRANSITION: f64 = 200.0;

/// A linear-phase windowed-sinc (Blackman) band-pass FIR for [`TELEPHONE_BAND`] at
/// `sample_rate`: odd length, transition bands about 200 Hz wide, stop bands below -70 dB. At
/// rates whose Nyquist frequency is under 3.4 kHz plus the transition, only the high-pass.
fn telephone_band(sample_rate: u32) -> Vec<f32> {
    let fs = sample_rate as f64;
    // A Blackman window's transition is about 5.5 fs / N wide.
    let n = ((5.5 * fs / TELEPHONE_TRANSITION).ceil() as usize) | 1;
    let mid = (n / 2) as f64;
    let (lo, hi) = TELEPHONE_BAND;
    let lowpass = |fc: f64, m: f64| -> f64 {
        let w = 2.0 * fc / fs;
        if m == 0.0 {
            w
        } else {
            (PI * w * m).sin() / (PI * m)
        }
    };
    let keep_hi = hi + TELEPHONE_TRANSITION / 2.0 < fs / 2.0;
    (0..n)
        .map(|i| {
            let m = i as f64 - mid;
            let x = 2.0 * PI * i as f64 / (n - 1) as f64;
            let window = 0.42 - 0.5 * x.cos() + 0.08 * (2.0 * x).cos();
            // All-pass (a unit impulse) or low-pass at `hi`, minus low-pass at `lo`.
            let upper = if keep_hi {
                lowpass(hi, m)
            } else if m == 0.0 {
                1.0
            } else {
                0.0
            };
            let h = if keep_hi {
                (upper - lowpass(lo, m)) * window
            } else {
                upper - lowpass(lo, m) * window
            };
            h as f32
        })
        .collect()
}

/// `y` scaled by `db` decibels (amplitude `10^(db / 20)`); no clipping.
pub fn gain(y: &[f32], db: f64) -> Vec<f32> {
    let g = 10f64.powf(db / 20.0) as f32;
    y.iter().map(|v| v * g).collect()
}

fn rms(y: &[f32]) -> f64 {
    if y.is_empty() {
        return 0.0;
    }
    (y.iter().map(|&v| v as f64 * v as f64).sum::<f64>() / y.len() as f64).sqrt()
}

/// A synthetic room impulse response of `rt60` seconds at `sample_rate`: a direct-path unit
/// impulse at t = 0, then Gaussian noise from `rng` under an exponential envelope whose energy
/// falls 60 dB in `rt60`, scaled so the tail holds as much energy as the direct path (a
/// direct-to-reverberant ratio of 0 dB, a talker a metre or two from the microphone). It is
/// `rt60` long (the tail is then 60 dB down).
pub fn room_impulse(rt60: f64, sample_rate: u32, rng: &mut impl Rng) -> Vec<f32> {
    let len = ((rt60 * sample_rate as f64).ceil() as usize).max(2);
    // Amplitude decays by 60 dB (a factor 1000) over rt60 * sample_rate samples.
    let decay = -(1000f64.ln()) / (rt60 * sample_rate as f64);
    let mut tail: Vec<f64> = Vec::with_capacity(len);
    tail.push(0.0);
    while tail.len() < len {
        let (a, b) = gaussian_pair(rng);
        for g in [a, b] {
            if tail.len() < len {
                tail.push(g * (decay * tail.len() as f64).exp());
            }
        }
    }
    let energy: f64 = tail.iter().map(|v| v * v).sum();
    let scale = if energy > 0.0 {
        energy.sqrt().recip()
    } else {
        0.0
    };
    let mut h: Vec<f32> = tail.iter().map(|v| (v * scale) as f32).collect();
    h[0] = 1.0;
    h
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
            filters: Filters::default(),
            vad: CropVad::default(),
        })
    }

    /// A random window of `y` (at `sample_rate` Hz) inside its speech: the project's
    /// voice-activity detector ([`Vad`], default settings) finds the span from the first
    /// speech to the last, and a window of a length drawn uniformly from [`CROP_MIN`] to
    /// `max_seconds` is cut from a uniform start within it. A clip with less speech than the
    /// drawn length is returned whole (silence is trimmed later by the pipeline), as is a clip
    /// without speech. For training on words when the corpora hold sentences: a short clip
    /// sits apart from every sentence in a speech encoder's space (bench/MODEL_EXPERIMENTS.md).
    pub fn crop(
        &mut self,
        y: &[f32],
        sample_rate: u32,
        max_seconds: f64,
        rng: &mut impl Rng,
    ) -> Result<Vec<f32>> {
        check_rate(sample_rate)?;
        if !(max_seconds.is_finite() && max_seconds >= CROP_MIN) {
            return Err(Error::InvalidParameter(format!(
                "crop length must be at least {CROP_MIN} s, got {max_seconds}"
            )));
        }
        if self.vad.0.is_none() {
            let vad = Vad::new(VadConfig::new())?;
            let scratch = vad.scratch();
            self.vad.0 = Some((vad, scratch));
        }
        let Some((vad, scratch)) = self.vad.0.as_mut() else {
            return Ok(y.to_vec());
        };
        let seconds = CROP_MIN + uniform(rng) * (max_seconds - CROP_MIN);
        let len = (seconds * sample_rate as f64).round() as usize;
        match vad.trim(y, sample_rate, scratch)? {
            Some((a, b)) if b - a > len => {
                let start = a + (uniform(rng) * (b - a - len + 1) as f64) as usize;
                let start = start.min(b - len);
                Ok(y[start..start + len].to_vec())
            }
            _ => Ok(y.to_vec()),
        }
    }

    /// `y` at `sample_rate` Hz through a telephone channel: band-limited to 300-3400 Hz
    /// ([`TELEPHONE_BAND`]) by a linear-phase band-pass FIR (windowed sinc, designed once per
    /// rate; its delay is removed). Same length as `y`.
    pub fn telephone(&mut self, y: &[f32], sample_rate: u32) -> Result<Vec<f32>> {
        check_rate(sample_rate)?;
        let taps = self.filters.telephone_taps(sample_rate).to_vec();
        self.filters.convolve(y, &taps, taps.len() / 2, y.len())
    }

    /// `y` at `sample_rate` Hz in a room with reverberation time `rt60` seconds: convolved with
    /// [`room_impulse`] (noise from `rng`), cut to `y`'s length and scaled back to `y`'s RMS.
    pub fn reverb(
        &mut self,
        y: &[f32],
        sample_rate: u32,
        rt60: f64,
        rng: &mut impl Rng,
    ) -> Result<Vec<f32>> {
        check_rate(sample_rate)?;
        if !(rt60 > 0.0 && rt60 <= 10.0) {
            return Err(Error::InvalidParameter(format!(
                "reverb RT60 must be in (0, 10] seconds, got {rt60}"
            )));
        }
        let h = room_impulse(rt60, sample_rate, rng);
        let mut out = self.filters.convolve(y, &h, 0, y.len())?;
        let (before, after) = (rms(y), rms(&out));
        let g = if after > 0.0 {
            (before / after) as f32
        } else {
            0.0
        };
        out.iter_mut().for_each(|v| *v *= g);
        Ok(out)
    }

    /// `y` at `sample_rate` Hz with a spectral tilt of `db_per_octave` (a zero-phase gain of
    /// `db_per_octave * log2(f / 1 kHz)` dB at frequency `f`, held at its 50 Hz value below 50
    /// Hz): 1 kHz is unchanged, a negative tilt dulls the highs. Same length as `y`.
    pub fn tilt(&mut self, y: &[f32], sample_rate: u32, db_per_octave: f64) -> Result<Vec<f32>> {
        check_rate(sample_rate)?;
        if !db_per_octave.is_finite() {
            return Err(Error::InvalidParameter(format!(
                "tilt must be a number of dB per octave, got {db_per_octave}"
            )));
        }
        if y.is_empty() {
            return Ok(Vec::new());
        }
        // Padded to twice the length so the (short) filter's response does not wrap around.
        let n = (2 * y.len()).next_power_of_two().max(2);
        let mut spec = self.filters.forward(y, n)?;
        let hz_per_bin = sample_rate as f64 / n as f64;
        for (k, c) in spec.iter_mut().enumerate() {
            let f = (k as f64 * hz_per_bin).max(50.0);
            let g = 10f64.powf(db_per_octave * (f / 1000.0).log2() / 20.0) as f32;
            *c *= g;
        }
        let mut out = self.filters.inverse(spec, n)?;
        out.truncate(y.len());
        Ok(out)
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
                Op::Telephone => self.telephone(&cur, sample_rate)?,
                Op::Reverb(rt60) => self.reverb(&cur, sample_rate, rt60, rng)?,
                Op::Tilt(db) => self.tilt(&cur, sample_rate, db)?,
                Op::Gain(db) => gain(&cur, db),
                Op::Crop(max) => self.crop(&cur, sample_rate, max, rng)?,
            };
        }
        cur.truncate(y.len());
        Ok(cur)
    }
}

fn check_rate(sample_rate: u32) -> Result<()> {
    if sample_rate == 0 {
        return Err(Error::InvalidParameter("sample rate 0".into()));
    }
    Ok(())
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

    /// Amplitude of the `hz` component of `y` over its middle half (a projection on sine and
    /// cosine; exact for tones on whole cycles of that window).
    fn amplitude(y: &[f32], hz: f64, sr: f64) -> f64 {
        let (a, b) = (y.len() / 4, 3 * y.len() / 4);
        let (mut s, mut c) = (0.0, 0.0);
        for (i, &v) in y.iter().enumerate().take(b).skip(a) {
            let x = 2.0 * PI * hz * i as f64 / sr;
            s += v as f64 * x.sin();
            c += v as f64 * x.cos();
        }
        2.0 * (s * s + c * c).sqrt() / (b - a) as f64
    }

    #[test]
    fn channel_chains_parse_print_and_check_their_values() {
        let chain: Chain = "telephone+reverb=0.6+tilt=-3+gain=-10".parse().unwrap();
        assert_eq!(
            chain.0,
            [
                Op::Telephone,
                Op::Reverb(0.6),
                Op::Tilt(-3.0),
                Op::Gain(-10.0)
            ]
        );
        assert_eq!(chain.to_string(), "telephone+reverb=0.6+tilt+gain");
        let defaults: Chain = "reverb+tilt+gain".parse().unwrap();
        assert_eq!(
            defaults.0,
            [Op::Reverb(0.4), Op::Tilt(-3.0), Op::Gain(-10.0)]
        );
        assert_eq!("tilt=2.5".parse::<Chain>().unwrap().to_string(), "tilt=2.5");
        for bad in [
            "telephone=8000",
            "reverb=0",
            "reverb=5",
            "tilt=20",
            "gain=100",
            "gain=x",
        ] {
            let e = bad.parse::<Chain>().unwrap_err().to_string();
            assert!(e.contains(bad.split('=').next().unwrap()), "{bad}: {e}");
        }
        let e = "echo".parse::<Chain>().unwrap_err().to_string();
        assert!(e.contains("telephone") && e.contains("reverb"), "{e}");
    }

    #[test]
    fn telephone_keeps_the_band_and_removes_the_rest() {
        let sr = 16_000.0;
        let n = 16_000;
        let mix = |hz: &[f64]| -> Vec<f32> {
            (0..n)
                .map(|i| {
                    hz.iter()
                        .map(|h| (2.0 * PI * h * i as f64 / sr).sin() * 0.3)
                        .sum::<f64>() as f32
                })
                .collect()
        };
        let y = mix(&[100.0, 1000.0, 5000.0]);
        let mut aug = Augmenter::new().unwrap();
        let t = aug.telephone(&y, 16_000).unwrap();
        assert_eq!(t.len(), y.len());
        let (low, mid, high) = (
            amplitude(&t, 100.0, sr),
            amplitude(&t, 1000.0, sr),
            amplitude(&t, 5000.0, sr),
        );
        assert!((mid / 0.3 - 1.0).abs() < 0.01, "1 kHz kept: {mid}");
        assert!(high < 0.3e-3, "5 kHz removed: {high}");
        assert!(low < 0.3e-3, "100 Hz removed: {low}");
        // No delay: the 1 kHz tone comes out in phase with the input's.
        let only = mix(&[1000.0]);
        let err = rms(&t[4000..12000]
            .iter()
            .zip(&only[4000..12000])
            .map(|(a, b)| a - b)
            .collect::<Vec<_>>());
        assert!(err < 0.01, "{err}");
        // Other rates: the same band at 48 and 8 kHz; at 6 kHz (Nyquist 3 kHz) only the
        // high-pass is left to do.
        let at = |hz: f64, rate: u32| -> Vec<f32> {
            (0..rate)
                .map(|i| ((2.0 * PI * hz * i as f64 / rate as f64).sin() * 0.3) as f32)
                .collect()
        };
        for (rate, hz, kept) in [
            (48_000, 5000.0, false),
            (48_000, 1000.0, true),
            (8000, 3700.0, false),
            (8000, 1000.0, true),
            (6000, 2900.0, true),
            (6000, 100.0, false),
        ] {
            let a = amplitude(
                &aug.telephone(&at(hz, rate), rate).unwrap(),
                hz,
                rate as f64,
            );
            if kept {
                assert!((a / 0.3 - 1.0).abs() < 0.01, "{rate} Hz, {hz} Hz kept: {a}");
            } else {
                assert!(a < 0.3e-3, "{rate} Hz, {hz} Hz removed: {a}");
            }
        }
    }

    #[test]
    fn reverb_of_an_impulse_decays_at_its_rt60_and_follows_the_seed() {
        let sr = 16_000u32;
        let mut y = vec![0.0f32; sr as usize];
        y[0] = 1.0;
        let mut aug = Augmenter::new().unwrap();
        for rt60 in [0.3, 0.6] {
            let out = aug
                .reverb(&y, sr, rt60, &mut ChaCha8Rng::seed_from_u64(5))
                .unwrap();
            assert_eq!(out.len(), y.len());
            assert!((rms(&out) / rms(&y) - 1.0).abs() < 1e-4, "RMS kept");
            // Direct path first, then a tail as energetic as it (DRR 0 dB).
            let direct = out[0] as f64 * out[0] as f64;
            let tail: f64 = out[1..].iter().map(|&v| v as f64 * v as f64).sum();
            assert!((tail / direct - 1.0).abs() < 1e-3, "{tail} vs {direct}");
            // Schroeder's backward-integrated energy decay, fitted from -5 to -25 dB.
            let mut edc: Vec<f64> = out[1..].iter().map(|&v| v as f64 * v as f64).collect();
            for i in (0..edc.len() - 1).rev() {
                edc[i] += edc[i + 1];
            }
            let db: Vec<f64> = edc.iter().map(|e| 10.0 * (e / edc[0]).log10()).collect();
            let pts: Vec<(f64, f64)> = db
                .iter()
                .enumerate()
                .filter(|(_, d)| (-25.0..=-5.0).contains(*d))
                .map(|(i, &d)| (i as f64 / sr as f64, d))
                .collect();
            let k = pts.len() as f64;
            let (mx, my) = (
                pts.iter().map(|p| p.0).sum::<f64>() / k,
                pts.iter().map(|p| p.1).sum::<f64>() / k,
            );
            let slope = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum::<f64>()
                / pts.iter().map(|p| (p.0 - mx).powi(2)).sum::<f64>();
            let measured = -60.0 / slope;
            assert!(
                (measured / rt60 - 1.0).abs() < 0.1,
                "RT60 {rt60}: measured {measured}"
            );
            // Nothing after the RT60 (the impulse response ends there).
            let end = (rt60 * sr as f64) as usize + 2;
            assert!(out[end..].iter().all(|&v| v.abs() < 1e-5 * out[0]));
        }
        let a = aug
            .reverb(&y, sr, 0.4, &mut ChaCha8Rng::seed_from_u64(1))
            .unwrap();
        let b = aug
            .reverb(&y, sr, 0.4, &mut ChaCha8Rng::seed_from_u64(1))
            .unwrap();
        let c = aug
            .reverb(&y, sr, 0.4, &mut ChaCha8Rng::seed_from_u64(2))
            .unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(aug
            .reverb(&y, sr, 0.0, &mut ChaCha8Rng::seed_from_u64(1))
            .is_err());
        let silent = aug.reverb(&[0.0; 100], sr, 0.4, &mut ChaCha8Rng::seed_from_u64(1));
        assert_eq!(silent.unwrap(), vec![0.0; 100]);
    }

    #[test]
    fn tilt_changes_each_octave_by_its_db_and_gain_scales_the_rms() {
        let sr = 16_000.0;
        let y: Vec<f32> = (0..16_000)
            .map(|i| {
                [500.0, 1000.0, 2000.0, 4000.0]
                    .iter()
                    .map(|h| (2.0 * PI * h * i as f64 / sr).sin() * 0.2)
                    .sum::<f64>() as f32
            })
            .collect();
        let mut aug = Augmenter::new().unwrap();
        let out = aug.tilt(&y, 16_000, 6.0).unwrap();
        assert_eq!(out.len(), y.len());
        for (hz, octaves) in [(500.0, -1.0), (1000.0, 0.0), (2000.0, 1.0), (4000.0, 2.0)] {
            let db = 20.0 * (amplitude(&out, hz, sr) / 0.2).log10();
            assert!((db - 6.0 * octaves).abs() < 0.2, "{hz} Hz: {db} dB");
        }
        let flat = aug.tilt(&y, 16_000, 0.0).unwrap();
        assert!(flat.iter().zip(&y).all(|(a, b)| (a - b).abs() < 1e-5));
        for db in [-10.0, 6.0] {
            let g = gain(&y, db);
            let ratio = 20.0 * (rms(&g) / rms(&y)).log10();
            assert!((ratio - db).abs() < 1e-4, "{db}: {ratio}");
        }
        // Through a chain: the same samples.
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let chained = aug
            .apply(&"tilt=6+gain=6".parse().unwrap(), &y, 16_000, &mut rng)
            .unwrap();
        assert_eq!(chained, gain(&out, 6.0));
    }

    #[test]
    fn bad_rates_are_errors() {
        let mut aug = Augmenter::new().unwrap();
        assert!(aug.time_stretch(&[0.0; 100], 0.0).is_err());
        assert!(aug.pitch_shift(&[0.0; 100], 16000, f64::NAN).is_err());
    }

    #[test]
    fn crop_cuts_a_window_of_the_speech_and_keeps_short_or_silent_clips_whole() {
        // 1 s of silence, 2 s of a voiced tone, 1 s of silence, at 16 kHz.
        let sr = 16_000usize;
        let mut y = vec![0.0f32; sr];
        y.extend((0..2 * sr).map(|i| 0.3 * (i as f32 * 2.0 * PI as f32 * 180.0 / sr as f32).sin()));
        y.extend(vec![0.0f32; sr]);
        let mut aug = Augmenter::new().unwrap();
        let mut lengths = Vec::new();
        for seed in 0..8 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let out = aug.crop(&y, sr as u32, 0.8, &mut rng).unwrap();
            let n = out.len();
            assert!((CROP_MIN * sr as f64 - 1.0..=0.8 * sr as f64 + 1.0).contains(&(n as f64)));
            // Inside the tone (give or take the detector's edges): no silent stretch.
            let rms_in = rms(&out);
            assert!(rms_in > 0.15, "seed {seed}: window of rms {rms_in}");
            lengths.push(n);
            // The same seed gives the same window.
            let again = aug.crop(&y, sr as u32, 0.8, &mut ChaCha8Rng::seed_from_u64(seed));
            assert_eq!(again.unwrap(), out);
        }
        lengths.dedup();
        assert!(lengths.len() > 1, "lengths vary: {lengths:?}");
        // Less speech than the window, or none: the clip whole.
        let short: Vec<f32> = y[sr - 1000..sr + 3000].to_vec();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        assert_eq!(aug.crop(&short, sr as u32, 0.8, &mut rng).unwrap(), short);
        assert_eq!(
            aug.crop(&[0.0; 16_000], 16_000, 0.8, &mut rng).unwrap(),
            vec![0.0; 16_000]
        );
        assert!(aug.crop(&y, 16_000, 0.1, &mut rng).is_err());
        // As a chain step, with its spec.
        let chain: Chain = "crop".parse().unwrap();
        assert_eq!(chain.0, [Op::Crop(0.8)]);
        assert_eq!(chain.to_string(), "crop");
        assert_eq!("crop=1.5".parse::<Chain>().unwrap().to_string(), "crop=1.5");
        assert!("crop=0.2".parse::<Chain>().is_err());
        let via_chain = aug
            .apply(&chain, &y, sr as u32, &mut ChaCha8Rng::seed_from_u64(3))
            .unwrap();
        let direct = aug.crop(&y, sr as u32, 0.8, &mut ChaCha8Rng::seed_from_u64(3));
        assert_eq!(via_chain, direct.unwrap());
    }
}
