//! Short-time Fourier transform and its inverse, librosa 0.11 conventions.
//!
//! Plan once, run many: [`Stft::new`] builds the FFT plan and the window; every call then takes a
//! caller-owned [`StftScratch`] so a worker thread can transform thousands of clips without
//! allocating.
//!
//! Conventions (librosa 0.11 `stft` defaults): periodic Hann window of length `n_fft`, frames
//! centred on `t * hop` by padding `n_fft / 2` zeros on each side (librosa 0.10+ pads with
//! `pad_mode="constant"`), so a signal of `n` samples gives `1 + n / hop` frames of
//! `n_fft / 2 + 1` bins.

use std::f64::consts::PI;
use std::sync::Arc;

use realfft::num_complex::Complex32;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

use crate::{Error, Result};

/// A planned STFT: FFT plan and window, built once and shared by every clip.
#[derive(Clone)]
pub struct Stft {
    n_fft: usize,
    hop: usize,
    window: Arc<[f32]>,
    fft: Arc<dyn RealToComplex<f32>>,
}

impl std::fmt::Debug for Stft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stft")
            .field("n_fft", &self.n_fft)
            .field("hop", &self.hop)
            .finish()
    }
}

/// Buffers one thread needs to run an [`Stft`]; make it with [`Stft::scratch`] and reuse it.
#[derive(Debug, Clone)]
pub struct StftScratch {
    frame: Vec<f32>,
    spectrum: Vec<Complex32>,
    fft: Vec<Complex32>,
}

/// The periodic Hann window of `n` points (scipy `get_window("hann", n, fftbins=True)`).
pub fn hann(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| (0.5 - 0.5 * (2.0 * PI * i as f64 / n as f64).cos()) as f32)
        .collect()
}

impl Stft {
    /// Plans an STFT with a periodic Hann window of `n_fft` points and a hop of `hop` samples.
    ///
    /// `n_fft` must be even and at least 2, `hop` at least 1.
    pub fn new(n_fft: usize, hop: usize) -> Result<Self> {
        if n_fft < 2 || !n_fft.is_multiple_of(2) {
            return Err(Error::InvalidParameter(format!(
                "n_fft must be even and >= 2, got {n_fft}"
            )));
        }
        if hop == 0 {
            return Err(Error::InvalidParameter("hop must be >= 1, got 0".into()));
        }
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(n_fft);
        Ok(Stft {
            n_fft,
            hop,
            window: hann(n_fft).into(),
            fft,
        })
    }

    /// FFT size (and window length).
    pub fn n_fft(&self) -> usize {
        self.n_fft
    }

    /// Hop between frames, in samples.
    pub fn hop(&self) -> usize {
        self.hop
    }

    /// Number of frequency bins per frame: `n_fft / 2 + 1`.
    pub fn n_bins(&self) -> usize {
        self.n_fft / 2 + 1
    }

    /// Number of frames for a signal of `n_samples`: `1 + n_samples / hop` (centred).
    pub fn n_frames(&self, n_samples: usize) -> usize {
        1 + n_samples / self.hop
    }

    /// The analysis window.
    pub fn window(&self) -> &[f32] {
        &self.window
    }

    /// Buffers for one thread.
    pub fn scratch(&self) -> StftScratch {
        StftScratch {
            frame: vec![0.0; self.n_fft],
            spectrum: self.fft.make_output_vec(),
            fft: self.fft.make_scratch_vec(),
        }
    }

    /// Calls `f(t, spectrum)` for every frame `t` of the centred STFT of `y`.
    pub fn for_each_frame(
        &self,
        y: &[f32],
        scratch: &mut StftScratch,
        mut f: impl FnMut(usize, &[Complex32]),
    ) {
        let half = self.n_fft / 2;
        let n = y.len();
        for t in 0..self.n_frames(n) {
            // Frame t covers y[t*hop - half .. t*hop + half), zeros outside the signal.
            let start = (t * self.hop) as isize - half as isize;
            let frame = &mut scratch.frame;
            let lo = (-start).clamp(0, self.n_fft as isize) as usize;
            let hi = (n as isize - start).clamp(0, self.n_fft as isize) as usize;
            frame[..lo].fill(0.0);
            if hi > lo {
                let src = &y[(start + lo as isize) as usize..(start + hi as isize) as usize];
                for ((d, s), w) in frame[lo..hi].iter_mut().zip(src).zip(&self.window[lo..hi]) {
                    *d = s * w;
                }
            }
            frame[hi.max(lo)..].fill(0.0);
            // Lengths come from the plan itself, so this cannot fail.
            let _ = self
                .fft
                .process_with_scratch(frame, &mut scratch.spectrum, &mut scratch.fft);
            f(t, &scratch.spectrum);
        }
    }

    /// Power spectrogram `|X|^2`, frame-major: `out[t * n_bins + k]`. `out` is resized.
    pub fn power(&self, y: &[f32], scratch: &mut StftScratch, out: &mut Vec<f32>) {
        let bins = self.n_bins();
        out.clear();
        out.resize(self.n_frames(y.len()) * bins, 0.0);
        self.for_each_frame(y, scratch, |t, spec| {
            for (o, c) in out[t * bins..(t + 1) * bins].iter_mut().zip(spec) {
                *o = c.norm_sqr();
            }
        });
    }

    /// Complex STFT, frame-major: `out[t * n_bins + k]`. `out` is resized.
    pub fn complex(&self, y: &[f32], scratch: &mut StftScratch, out: &mut Vec<Complex32>) {
        let bins = self.n_bins();
        out.clear();
        out.resize(self.n_frames(y.len()) * bins, Complex32::new(0.0, 0.0));
        self.for_each_frame(y, scratch, |t, spec| {
            out[t * bins..(t + 1) * bins].copy_from_slice(spec);
        });
    }
}

/// A planned inverse STFT (librosa `istft`: windowed overlap-add, normalised by the summed squared
/// window, centre padding removed).
#[derive(Clone)]
pub struct Istft {
    n_fft: usize,
    hop: usize,
    window: Arc<[f32]>,
    ifft: Arc<dyn ComplexToReal<f32>>,
}

impl std::fmt::Debug for Istft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Istft")
            .field("n_fft", &self.n_fft)
            .field("hop", &self.hop)
            .finish()
    }
}

impl Istft {
    /// Plans the inverse of [`Stft::new`]`(n_fft, hop)`.
    pub fn new(n_fft: usize, hop: usize) -> Result<Self> {
        let fwd = Stft::new(n_fft, hop)?;
        let ifft = RealFftPlanner::<f32>::new().plan_fft_inverse(n_fft);
        Ok(Istft {
            n_fft,
            hop,
            window: fwd.window,
            ifft,
        })
    }

    /// Inverts a frame-major complex spectrogram of `n_frames` frames into exactly `length`
    /// samples (librosa `istft(..., length=length)`).
    pub fn process(&self, spec: &[Complex32], n_frames: usize, length: usize) -> Result<Vec<f32>> {
        let bins = self.n_fft / 2 + 1;
        if spec.len() != n_frames * bins {
            return Err(Error::BufferSize {
                expected: n_frames * bins,
                got: spec.len(),
            });
        }
        let half = self.n_fft / 2;
        // Signal with centre padding; long enough for `length` samples after trimming.
        let total = (self.n_fft + self.hop * n_frames.saturating_sub(1)).max(length + 2 * half);
        let mut y = vec![0f32; total];
        let mut wss = vec![0f32; total];
        let mut buf = self.ifft.make_input_vec();
        let mut out = self.ifft.make_output_vec();
        let mut scratch = self.ifft.make_scratch_vec();
        let scale = 1.0 / self.n_fft as f32;
        for t in 0..n_frames {
            buf.copy_from_slice(&spec[t * bins..(t + 1) * bins]);
            // A real signal's DC and Nyquist bins are real; numpy's irfft ignores their imaginary
            // parts, realfft refuses them, so drop them here.
            buf[0].im = 0.0;
            buf[bins - 1].im = 0.0;
            let _ = self
                .ifft
                .process_with_scratch(&mut buf, &mut out, &mut scratch);
            let off = t * self.hop;
            for (i, (&s, &w)) in out.iter().zip(self.window.iter()).enumerate() {
                y[off + i] += s * scale * w;
                wss[off + i] += w * w;
            }
        }
        let tiny = f32::MIN_POSITIVE;
        for (s, &w) in y.iter_mut().zip(&wss) {
            if w > tiny {
                *s /= w;
            }
        }
        Ok(y[half..half + length].to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hann_is_periodic() {
        let w = hann(4);
        let want = [0.0, 0.5, 1.0, 0.5];
        for (a, b) in w.iter().zip(want) {
            assert!((a - b).abs() < 1e-7, "{w:?}");
        }
    }

    #[test]
    fn frame_count_matches_librosa() {
        let s = Stft::new(2048, 512).unwrap();
        assert_eq!(s.n_frames(24000), 47);
        assert_eq!(s.n_frames(1), 1);
        assert_eq!(s.n_bins(), 1025);
    }

    #[test]
    fn dc_signal_power_in_bin_zero() {
        // A constant 1.0 fully inside the window: bin 0 holds (sum of window)^2 = (n/2)^2.
        let s = Stft::new(8, 2).unwrap();
        let y = vec![1.0f32; 32];
        let mut sc = s.scratch();
        let mut p = Vec::new();
        s.power(&y, &mut sc, &mut p);
        let t = 8; // a frame far from both edges
        assert!((p[t * 5] - 16.0).abs() < 1e-4, "{}", p[t * 5]);
        assert!(p[t * 5 + 2].abs() < 1e-6);
    }

    #[test]
    fn first_frame_is_zero_padded() {
        // Centre frame 0 sees n_fft/2 zeros then the signal.
        let s = Stft::new(4, 1).unwrap();
        let y = [1.0f32, 0.0, 0.0, 0.0, 0.0];
        let mut sc = s.scratch();
        let mut c = Vec::new();
        s.complex(&y, &mut sc, &mut c);
        // Frame 0 = [0, 0, 1*w[2], 0*w[3]] = [0,0,1,0] -> X_k = (-1)^k.
        assert!((c[0].re - 1.0).abs() < 1e-6 && (c[1].re + 1.0).abs() < 1e-6);
    }

    #[test]
    fn istft_inverts_stft() {
        let s = Stft::new(64, 16).unwrap();
        let inv = Istft::new(64, 16).unwrap();
        let y: Vec<f32> = (0..500)
            .map(|i| ((i * 7 % 13) as f32 - 6.0) / 6.0)
            .collect();
        let mut sc = s.scratch();
        let mut c = Vec::new();
        s.complex(&y, &mut sc, &mut c);
        let back = inv.process(&c, s.n_frames(y.len()), y.len()).unwrap();
        let err = y
            .iter()
            .zip(&back)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(err < 1e-5, "max error {err}");
    }

    #[test]
    fn istft_rejects_wrong_buffer() {
        let inv = Istft::new(8, 2).unwrap();
        let err = inv
            .process(&[Complex32::new(0.0, 0.0); 7], 2, 4)
            .unwrap_err();
        assert!(matches!(
            err,
            Error::BufferSize {
                expected: 10,
                got: 7
            }
        ));
    }

    #[test]
    fn invalid_plans_are_refused() {
        assert!(Stft::new(7, 2).is_err());
        assert!(Stft::new(8, 0).is_err());
    }
}
