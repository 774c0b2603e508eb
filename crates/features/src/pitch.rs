//! Fundamental frequency by YIN, following librosa 0.11's `yin` step for step.
//!
//! Each centred, zero-padded frame's autocorrelation comes from one real FFT (planned once); the
//! cumulative-mean-normalised difference, trough picking with `trough_threshold`, and parabolic
//! refinement are librosa's. Besides f0 per frame, [`Yin::process`] reports the normalised
//! difference at the chosen period (the frame's aperiodicity: low means voiced), which librosa
//! computes but does not return.

use std::sync::Arc;

use realfft::num_complex::Complex32;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

/// A planned YIN pitch tracker.
#[derive(Clone)]
pub struct Yin {
    sample_rate: f32,
    frame_length: usize,
    hop: usize,
    min_period: usize,
    max_period: usize,
    threshold: f32,
    fwd: Arc<dyn RealToComplex<f32>>,
    inv: Arc<dyn ComplexToReal<f32>>,
}

impl std::fmt::Debug for Yin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Yin")
            .field("frame_length", &self.frame_length)
            .field("min_period", &self.min_period)
            .field("max_period", &self.max_period)
            .finish()
    }
}

/// Buffers one thread needs to run a [`Yin`]; start from `Default` and reuse it for every clip.
#[derive(Debug, Clone, Default)]
pub struct YinScratch {
    buf: Vec<f32>,
    spec: Vec<Complex32>,
    scratch_f: Vec<Complex32>,
    scratch_i: Vec<Complex32>,
    acf: Vec<f32>,
    frame: Vec<f32>,
    d: Vec<f32>,
    yin: Vec<f32>,
}

/// One frame's estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PitchFrame {
    /// Fundamental frequency in Hz.
    pub f0: f32,
    /// Cumulative-mean-normalised difference at the chosen period (0 = perfectly periodic).
    pub aperiodicity: f32,
}

impl Yin {
    /// Plans YIN for `fmin..fmax` Hz at `sample_rate`, with frames of `frame_length` samples every
    /// `hop` samples and librosa's default `trough_threshold` of 0.1.
    ///
    /// Returns `None` when the range does not fit the frame (`sr / fmax < 1` or
    /// `min_period >= max_period`), as librosa would raise.
    pub fn new(
        sample_rate: f32,
        frame_length: usize,
        hop: usize,
        fmin: f32,
        fmax: f32,
    ) -> Option<Self> {
        if !(fmin > 0.0 && fmax > fmin && hop > 0 && frame_length >= 4) {
            return None;
        }
        let min_period = (sample_rate / fmax).floor() as usize;
        let max_period = ((sample_rate / fmin).ceil() as usize).min(frame_length - 1);
        if min_period < 1 || min_period >= max_period {
            return None;
        }
        let n = (2 * frame_length).next_power_of_two();
        let mut planner = RealFftPlanner::<f32>::new();
        Some(Yin {
            sample_rate,
            frame_length,
            hop,
            min_period,
            max_period,
            threshold: 0.1,
            fwd: planner.plan_fft_forward(n),
            inv: planner.plan_fft_inverse(n),
        })
    }

    /// Estimates f0 for every centred frame of `y` (`1 + y.len() / hop` frames), into `out`.
    pub fn process(&self, y: &[f32], out: &mut Vec<PitchFrame>) {
        self.process_with(y, &mut YinScratch::default(), out);
    }

    /// [`process`](Self::process) with caller-owned buffers: after the first clip, no allocation.
    pub fn process_with(&self, y: &[f32], s: &mut YinScratch, out: &mut Vec<PitchFrame>) {
        let fl = self.frame_length;
        let half = (fl / 2) as isize;
        let n_frames = 1 + y.len() / self.hop;
        let n = self.fwd.len();
        s.buf.resize(n, 0.0);
        s.spec.resize(n / 2 + 1, Complex32::default());
        s.scratch_f
            .resize(self.fwd.get_scratch_len(), Complex32::default());
        s.scratch_i
            .resize(self.inv.get_scratch_len(), Complex32::default());
        s.acf.resize(n, 0.0);
        s.frame.resize(fl, 0.0);
        let (lo, hi) = (self.min_period, self.max_period);
        s.d.resize(hi + 1, 0.0);
        s.yin.resize(hi - lo + 1, 0.0);
        let YinScratch {
            buf,
            spec,
            scratch_f,
            scratch_i,
            acf,
            frame,
            d,
            yin,
        } = s;
        out.clear();
        for t in 0..n_frames {
            let start = (t * self.hop) as isize - half;
            for (j, f) in frame.iter_mut().enumerate() {
                let i = start + j as isize;
                *f = if i >= 0 && (i as usize) < y.len() {
                    y[i as usize]
                } else {
                    0.0
                };
            }
            // Autocorrelation by FFT: |X|^2 back to the time domain.
            buf[..fl].copy_from_slice(frame);
            buf[fl..].fill(0.0);
            // Lengths come from the plans, so these cannot fail.
            let _ = self.fwd.process_with_scratch(buf, spec, scratch_f);
            for c in spec.iter_mut() {
                *c = Complex32::new(c.norm_sqr(), 0.0);
            }
            let _ = self.inv.process_with_scratch(spec, acf, scratch_i);
            let scale = 1.0 / buf.len() as f32;
            // librosa: d[k] = 2 (acf[0] - acf[k]) - cumsum(y^2)[k - 1]
            let mut energy = 0.0f32;
            d[0] = 0.0;
            for k in 1..=hi {
                energy += frame[k - 1] * frame[k - 1];
                d[k] = 2.0 * (acf[0] - acf[k]) * scale - energy;
            }
            let mut cum = 0.0f32;
            for k in 1..=hi {
                cum += d[k];
                if k >= lo {
                    let mean = cum / k as f32;
                    yin[k - lo] = d[k] / (mean + f32::MIN_POSITIVE);
                }
            }
            out.push(self.pick(yin));
        }
    }

    /// Trough selection and parabolic refinement over one frame's normalised difference.
    fn pick(&self, yin: &[f32]) -> PitchFrame {
        let n = yin.len();
        let is_trough = |i: usize| -> bool {
            if i == 0 {
                yin[0] < yin[1]
            } else if i == n - 1 {
                yin[i] < yin[i - 1]
            } else {
                yin[i] < yin[i - 1] && yin[i] <= yin[i + 1]
            }
        };
        let chosen = (0..n)
            .find(|&i| is_trough(i) && yin[i] < self.threshold)
            .unwrap_or_else(|| (0..n).fold(0, |best, i| if yin[i] < yin[best] { i } else { best }));
        let shift = if chosen == 0 || chosen == n - 1 {
            0.0
        } else {
            let a = yin[chosen + 1] + yin[chosen - 1] - 2.0 * yin[chosen];
            let b = (yin[chosen + 1] - yin[chosen - 1]) / 2.0;
            if b.abs() >= a.abs() {
                0.0
            } else {
                -b / a
            }
        };
        let period = self.min_period as f32 + chosen as f32 + shift;
        PitchFrame {
            f0: self.sample_rate / period,
            aperiodicity: yin[chosen],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(hz: f32, sr: f32, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (2.0 * std::f32::consts::PI * hz * i as f32 / sr).sin() * 0.5)
            .collect()
    }

    #[test]
    fn finds_a_220_hz_tone() {
        let yin = Yin::new(16000.0, 2048, 512, 65.0, 500.0).unwrap();
        let mut out = Vec::new();
        yin.process(&tone(220.0, 16000.0, 16000), &mut out);
        // Frames fully inside the tone.
        for p in &out[4..out.len() - 4] {
            assert!((p.f0 - 220.0).abs() < 1.0, "{p:?}");
            assert!(p.aperiodicity < 0.1);
        }
    }

    #[test]
    fn refuses_impossible_ranges() {
        assert!(Yin::new(16000.0, 2048, 512, 500.0, 65.0).is_none());
        assert!(Yin::new(16000.0, 2048, 512, 65.0, 20000.0).is_none());
        assert!(Yin::new(16000.0, 2048, 0, 65.0, 500.0).is_none());
    }
}
