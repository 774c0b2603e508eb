//! Train-time augmentation of input frames: random warping of the feature axis (vocal-tract
//! length perturbation on log-mel bands), SpecAugment time and feature masks, and mixup.
//!
//! Applied to training batches only (never to validation or evaluation), drawn afresh every
//! epoch from a seeded stream, so a resumed run replays it exactly. Everything defaults to off,
//! which leaves training exactly as it was without these options.

use rand_chacha::ChaCha8Rng;
use rand_core::Rng;
use serde::{Deserialize, Serialize};

/// Train-time augmentation settings, part of [`crate::TrainConfig`] (saved with the model).
/// Every field defaults to 0 (off); a `model.json` written before these existed reads as off.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct BatchAugment {
    /// Feature-axis warp: each training example's feature axis is resampled (linear
    /// interpolation, edges held) by a factor drawn uniformly from `[1 - w, 1 + w]`, which on
    /// log-mel bands shifts formants and pitch as a longer or shorter vocal tract would. Applied
    /// to the raw features, before standardisation. Meant for log-mel pipelines (on MFCCs it only
    /// scrambles the cepstrum). 0 disables. Default 0.
    pub freq_warp: f64,
    /// Random gain: each training example gets one offset drawn uniformly from `[-g, g]` added
    /// to every value of its frames (raw features, before standardisation), as a louder or
    /// quieter recording shifts every log-mel band by the same number of dB. All-zero frames
    /// (the padding of `frames=N` pipelines) are left alone. Meant for log-mel pipelines (on
    /// MFCCs a gain moves only the first coefficient). 0 disables. Default 0.
    pub gain_db: f64,
    /// SpecAugment: number of feature masks per example (each sets a band of adjacent feature
    /// columns, up to [`BatchAugment::freq_mask_width`] wide, to the standardised mean 0).
    /// Default 0.
    pub freq_masks: usize,
    /// Largest feature-mask width, in columns. Default 0 (with `freq_masks > 0`, 0 means 8).
    pub freq_mask_width: usize,
    /// SpecAugment: number of time masks per example (runs of frames set to 0). Default 0.
    pub time_masks: usize,
    /// Largest time-mask width, in frames. Default 0 (with `time_masks > 0`, 0 means 10).
    pub time_mask_width: usize,
    /// Mixup: each example is blended with another of the batch with weight
    /// `max(l, 1 - l)`, `l ~ Beta(a, a)`, and the loss blends both labels the same way.
    /// 0 disables. Default 0.
    pub mixup: f64,
}

/// A training batch after augmentation: standardised inputs, the primary labels, and for mixup
/// the partner labels with the primary label's weight per example.
#[derive(Debug, Clone, PartialEq)]
pub struct Mixed {
    /// Partner example's class for each example.
    pub partner: Vec<usize>,
    /// Weight of the primary label (`>= 0.5`) for each example.
    pub lambda: Vec<f32>,
}

impl BatchAugment {
    /// Whether any option is on.
    pub fn is_active(&self) -> bool {
        self.freq_warp > 0.0
            || self.gain_db > 0.0
            || self.freq_masks > 0
            || self.time_masks > 0
            || self.mixup > 0.0
    }

    /// Checks the settings; errors say which is out of range.
    pub fn validate(&self) -> Result<(), String> {
        if !(0.0..0.5).contains(&self.freq_warp) {
            return Err(format!("freq warp {} must be in [0, 0.5)", self.freq_warp));
        }
        if !(self.gain_db >= 0.0 && self.gain_db.is_finite()) {
            return Err(format!("gain {} dB must be >= 0", self.gain_db));
        }
        if !(self.mixup >= 0.0 && self.mixup.is_finite()) {
            return Err(format!("mixup {} must be >= 0", self.mixup));
        }
        Ok(())
    }

    /// Warps the feature axis of every frame of the `n` raw examples in `x`
    /// (`[n, frames, columns]`), one random factor per example. No-op when `freq_warp` is 0.
    pub fn warp(&self, x: &mut [f32], frames: usize, columns: usize, rng: &mut ChaCha8Rng) {
        if self.freq_warp <= 0.0 || columns < 2 || frames == 0 {
            return;
        }
        let mut src = vec![0f32; columns];
        for example in x.chunks_exact_mut(frames * columns) {
            let alpha = 1.0 + self.freq_warp * (2.0 * uniform(rng) - 1.0);
            // Output column j reads input position j / alpha (alpha > 1 stretches the spectrum
            // upwards, as a shorter vocal tract does).
            let pos: Vec<(usize, f32)> = (0..columns)
                .map(|j| {
                    let p = (j as f64 / alpha).min((columns - 1) as f64);
                    let i = (p.floor() as usize).min(columns - 2);
                    (i, (p - i as f64) as f32)
                })
                .collect();
            for frame in example.chunks_exact_mut(columns) {
                src.copy_from_slice(frame);
                for (v, &(i, t)) in frame.iter_mut().zip(&pos) {
                    *v = src[i] * (1.0 - t) + src[i + 1] * t;
                }
            }
        }
    }

    /// Adds one random offset in `[-gain_db, gain_db]` per example to every value of its
    /// non-padding (not all-zero) frames of the raw examples in `x`. No-op when `gain_db` is 0.
    pub fn gain(&self, x: &mut [f32], frames: usize, columns: usize, rng: &mut ChaCha8Rng) {
        if self.gain_db <= 0.0 || frames == 0 || columns == 0 {
            return;
        }
        for example in x.chunks_exact_mut(frames * columns) {
            let g = (self.gain_db * (2.0 * uniform(rng) - 1.0)) as f32;
            for frame in example.chunks_exact_mut(columns) {
                if frame.iter().any(|&v| v != 0.0) {
                    frame.iter_mut().for_each(|v| *v += g);
                }
            }
        }
    }

    /// SpecAugment masks on the `n` standardised examples in `x`: zeroes random bands of
    /// columns and runs of frames.
    pub fn mask(&self, x: &mut [f32], frames: usize, columns: usize, rng: &mut ChaCha8Rng) {
        if (self.freq_masks == 0 && self.time_masks == 0) || frames == 0 || columns == 0 {
            return;
        }
        let fw = if self.freq_mask_width == 0 {
            8
        } else {
            self.freq_mask_width
        };
        let tw = if self.time_mask_width == 0 {
            10
        } else {
            self.time_mask_width
        };
        for example in x.chunks_exact_mut(frames * columns) {
            for _ in 0..self.freq_masks {
                let (start, width) = span(rng, fw.min(columns), columns);
                for frame in example.chunks_exact_mut(columns) {
                    frame[start..start + width].fill(0.0);
                }
            }
            for _ in 0..self.time_masks {
                let (start, width) = span(rng, tw.min(frames), frames);
                example[start * columns..(start + width) * columns].fill(0.0);
            }
        }
    }

    /// Mixup on the standardised examples in `x` with classes `y`: each example `i` becomes
    /// `l·x[i] + (1 - l)·x[p]` for a random partner `p` of the batch. `None` when mixup is off.
    pub fn mix(
        &self,
        x: &mut [f32],
        y: &[usize],
        stride: usize,
        rng: &mut ChaCha8Rng,
    ) -> Option<Mixed> {
        if self.mixup <= 0.0 || y.is_empty() {
            return None;
        }
        let n = y.len();
        let original = x.to_vec();
        let mut partner = Vec::with_capacity(n);
        let mut lambda = Vec::with_capacity(n);
        for i in 0..n {
            let p = (rng.next_u64() % n as u64) as usize;
            let l = beta(rng, self.mixup);
            let l = l.max(1.0 - l) as f32;
            for (v, &o) in x[i * stride..(i + 1) * stride]
                .iter_mut()
                .zip(&original[p * stride..(p + 1) * stride])
            {
                *v = l * *v + (1.0 - l) * o;
            }
            partner.push(y[p]);
            lambda.push(l);
        }
        Some(Mixed { partner, lambda })
    }
}

/// A random run of 0..=max_width positions inside 0..len.
fn span(rng: &mut ChaCha8Rng, max_width: usize, len: usize) -> (usize, usize) {
    let width = (rng.next_u64() % (max_width as u64 + 1)) as usize;
    let start = (rng.next_u64() % ((len - width) as u64 + 1)) as usize;
    (start, width)
}

/// Uniform in [0, 1).
fn uniform(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// Standard normal (Box-Muller).
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1 = uniform(rng).max(f64::MIN_POSITIVE);
    let u2 = uniform(rng);
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// Gamma(shape, 1) by Marsaglia and Tsang (boosted for shape < 1).
fn gamma(rng: &mut ChaCha8Rng, shape: f64) -> f64 {
    if shape < 1.0 {
        let u = uniform(rng).max(f64::MIN_POSITIVE);
        return gamma(rng, shape + 1.0) * u.powf(1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let z = normal(rng);
        let v = (1.0 + c * z).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u = uniform(rng);
        if u.max(f64::MIN_POSITIVE).ln() < 0.5 * z * z + d - d * v + d * v.ln() {
            return d * v;
        }
    }
}

/// Beta(a, a).
fn beta(rng: &mut ChaCha8Rng, a: f64) -> f64 {
    let x = gamma(rng, a);
    let y = gamma(rng, a);
    if x + y > 0.0 {
        x / (x + y)
    } else {
        0.5
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::SeedableRng;

    fn rng() -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(7)
    }

    #[test]
    fn defaults_are_off_and_old_configs_read_as_off() {
        let a = BatchAugment::default();
        assert!(!a.is_active());
        let b: BatchAugment = serde_json::from_str("{}").unwrap();
        assert_eq!(a, b);
        let mut x = vec![1.0, 2.0, 3.0, 4.0];
        a.warp(&mut x, 1, 4, &mut rng());
        a.gain(&mut x, 1, 4, &mut rng());
        a.mask(&mut x, 1, 4, &mut rng());
        assert!(a.mix(&mut x, &[0], 4, &mut rng()).is_none());
        assert_eq!(x, [1.0, 2.0, 3.0, 4.0]);
        assert!(BatchAugment {
            freq_warp: 0.7,
            ..Default::default()
        }
        .validate()
        .is_err());
        assert!(BatchAugment {
            gain_db: -1.0,
            ..Default::default()
        }
        .validate()
        .is_err());
        assert!(BatchAugment {
            mixup: f64::NAN,
            ..Default::default()
        }
        .validate()
        .is_err());
    }

    #[test]
    fn warp_resamples_the_feature_axis_and_keeps_ramps_monotone() {
        let a = BatchAugment {
            freq_warp: 0.2,
            ..Default::default()
        };
        // Two examples of 3 frames x 16 columns, each frame a ramp 0..15.
        let ramp: Vec<f32> = (0..16).map(|j| j as f32).collect();
        let mut x: Vec<f32> = (0..6).flat_map(|_| ramp.clone()).collect();
        a.warp(&mut x, 3, 16, &mut rng());
        assert_ne!(x[..16], ramp[..], "warped");
        for frame in x.chunks(16) {
            assert_eq!(frame[0], 0.0, "column 0 stays");
            assert!(frame.windows(2).all(|w| w[1] >= w[0]), "{frame:?}");
            assert!(frame.iter().all(|&v| (0.0..=15.0).contains(&v)));
        }
        // One factor per example: the frames of an example are warped alike.
        assert_eq!(x[..16], x[16..32]);
        // A constant spectrum is unchanged by any warp.
        let mut c = vec![3.0f32; 2 * 16];
        a.warp(&mut c, 2, 16, &mut rng());
        assert!(c.iter().all(|&v| (v - 3.0).abs() < 1e-6));
    }

    #[test]
    fn gain_shifts_every_real_frame_of_an_example_alike_and_skips_padding() {
        let a = BatchAugment {
            gain_db: 6.0,
            ..Default::default()
        };
        assert!(a.is_active());
        // Two examples of 3 frames x 2 columns; the last frame of each is padding.
        let orig = vec![
            -10.0f32, -20.0, -11.0, -21.0, 0.0, 0.0, -30.0, -40.0, -31.0, -41.0, 0.0, 0.0,
        ];
        let mut x = orig.clone();
        a.gain(&mut x, 3, 2, &mut rng());
        let d: Vec<f32> = x.iter().zip(&orig).map(|(a, b)| a - b).collect();
        for e in d.chunks(6) {
            let g = e[0];
            assert!(g != 0.0 && g.abs() <= 6.0, "{g}");
            assert!(e[..4].iter().all(|&v| (v - g).abs() < 1e-5), "{e:?}");
            assert_eq!(e[4..], [0.0, 0.0], "padding untouched");
        }
        assert_ne!(d[0], d[6], "one draw per example");
    }

    #[test]
    fn masks_zero_bands_and_runs_within_their_widths() {
        let a = BatchAugment {
            freq_masks: 1,
            freq_mask_width: 3,
            time_masks: 1,
            time_mask_width: 2,
            ..Default::default()
        };
        for seed in 0..50 {
            let (frames, columns) = (10, 12);
            let mut x = vec![1.0f32; frames * columns];
            a.mask(
                &mut x,
                frames,
                columns,
                &mut ChaCha8Rng::seed_from_u64(seed),
            );
            let zero_cols = (0..columns)
                .filter(|&c| (0..frames).all(|f| x[f * columns + c] == 0.0))
                .count();
            let zero_rows = (0..frames)
                .filter(|&f| x[f * columns..(f + 1) * columns].iter().all(|&v| v == 0.0))
                .count();
            assert!(zero_cols <= 3 || zero_rows == frames, "seed {seed}");
            assert!(zero_rows <= 2 || zero_cols == columns, "seed {seed}");
            let zeros = x.iter().filter(|&&v| v == 0.0).count();
            assert!(zeros <= 3 * frames + 2 * columns);
        }
    }

    #[test]
    fn mixup_blends_examples_with_the_primary_label_dominant() {
        let a = BatchAugment {
            mixup: 0.4,
            ..Default::default()
        };
        let mut r = rng();
        let mut x = vec![0.0, 0.0, 1.0, 1.0, 2.0, 2.0];
        let y = [0, 1, 2];
        let m = a.mix(&mut x, &y, 2, &mut r).unwrap();
        assert_eq!(m.partner.len(), 3);
        for i in 0..3 {
            let l = m.lambda[i];
            assert!((0.5..=1.0).contains(&l), "{l}");
            let p = m.partner[i] as f32; // class == example value here
            let want = l * i as f32 + (1.0 - l) * p;
            assert!((x[2 * i] - want).abs() < 1e-6 && x[2 * i + 1] == x[2 * i]);
        }
        // Beta(a, a) samples stay in [0, 1] with mean 1/2.
        let s: Vec<f64> = (0..4000).map(|_| beta(&mut r, 0.4)).collect();
        assert!(s.iter().all(|v| (0.0..=1.0).contains(v)));
        let mean = s.iter().sum::<f64>() / s.len() as f64;
        assert!((mean - 0.5).abs() < 0.03, "{mean}");
        let g: f64 = (0..4000).map(|_| gamma(&mut r, 2.5)).sum::<f64>() / 4000.0;
        assert!((g - 2.5).abs() < 0.15, "gamma mean {g}");
    }
}
