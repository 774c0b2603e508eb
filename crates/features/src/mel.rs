//! Mel scale, the mel filterbank, `power_to_db` and the DCT, as librosa 0.11 builds them.
//!
//! Construction follows `librosa.filters.mel` (Slaney mel scale, Slaney area normalisation, fmin 0,
//! fmax sr/2 by default) step for step in f64, then stores the weights as f32, as librosa does.
//! Application is sparse: each triangle touches only the FFT bins between its two neighbours, so a
//! 128-band filterbank over 1025 bins costs about 2 multiply-adds per bin instead of 128.

/// Hz to mels on the Slaney scale (linear below 1 kHz, logarithmic above), librosa `hz_to_mel`.
pub fn hz_to_mel(hz: f64) -> f64 {
    const F_SP: f64 = 200.0 / 3.0;
    const MIN_LOG_HZ: f64 = 1000.0;
    let min_log_mel = MIN_LOG_HZ / F_SP;
    let logstep = 6.4f64.ln() / 27.0;
    if hz >= MIN_LOG_HZ {
        min_log_mel + (hz / MIN_LOG_HZ).ln() / logstep
    } else {
        hz / F_SP
    }
}

/// Mels to Hz on the Slaney scale, librosa `mel_to_hz`.
pub fn mel_to_hz(mel: f64) -> f64 {
    const F_SP: f64 = 200.0 / 3.0;
    const MIN_LOG_HZ: f64 = 1000.0;
    let min_log_mel = MIN_LOG_HZ / F_SP;
    let logstep = 6.4f64.ln() / 27.0;
    if mel >= min_log_mel {
        MIN_LOG_HZ * (logstep * (mel - min_log_mel)).exp()
    } else {
        F_SP * mel
    }
}

/// `n` values evenly spaced from `a` to `b` inclusive, computed as `numpy.linspace` does.
fn linspace(a: f64, b: f64, n: usize) -> Vec<f64> {
    if n == 1 {
        return vec![a];
    }
    let step = (b - a) / (n - 1) as f64;
    let mut v: Vec<f64> = (0..n).map(|i| a + i as f64 * step).collect();
    if let Some(last) = v.last_mut() {
        *last = b;
    }
    v
}

/// Centre frequencies (Hz) of `n` mel bands from `fmin` to `fmax`, librosa `mel_frequencies`.
pub fn mel_frequencies(n: usize, fmin: f64, fmax: f64) -> Vec<f64> {
    linspace(hz_to_mel(fmin), hz_to_mel(fmax), n)
        .into_iter()
        .map(mel_to_hz)
        .collect()
}

/// One triangular band: weights for bins `start .. start + weights.len()`.
#[derive(Debug, Clone, PartialEq)]
struct Band {
    start: usize,
    weights: Vec<f32>,
}

/// A mel filterbank, stored sparsely, built once and applied to every frame.
#[derive(Debug, Clone, PartialEq)]
pub struct MelFilterbank {
    n_bins: usize,
    bands: Vec<Band>,
}

impl MelFilterbank {
    /// Builds `n_mels` Slaney-normalised triangles over the `n_fft / 2 + 1` bins of an `n_fft`-point
    /// FFT at `sample_rate`, covering `fmin ..= fmax` Hz (librosa `filters.mel`, `htk=False`,
    /// `norm="slaney"`).
    pub fn new(sample_rate: f64, n_fft: usize, n_mels: usize, fmin: f64, fmax: f64) -> Self {
        let n_bins = n_fft / 2 + 1;
        // numpy.fft.rfftfreq(n_fft, 1/sr)
        let val = 1.0 / (n_fft as f64 * (1.0 / sample_rate));
        let fftfreqs: Vec<f64> = (0..n_bins).map(|k| k as f64 * val).collect();
        let mel_f = mel_frequencies(n_mels + 2, fmin, fmax);
        let bands = (0..n_mels)
            .map(|i| {
                let (lo, mid, hi) = (mel_f[i], mel_f[i + 1], mel_f[i + 2]);
                let enorm = 2.0 / (hi - lo);
                let dense: Vec<f32> = fftfreqs
                    .iter()
                    .map(|&f| {
                        let lower = -(lo - f) / (mid - lo);
                        let upper = (hi - f) / (hi - mid);
                        // Cast to f32 first, then normalise: librosa stores the triangle in its f32
                        // array before `weights *= enorm`.
                        let w = lower.min(upper).max(0.0) as f32;
                        (w as f64 * enorm) as f32
                    })
                    .collect();
                let start = dense.iter().position(|&w| w != 0.0).unwrap_or(0);
                let end = dense
                    .iter()
                    .rposition(|&w| w != 0.0)
                    .map_or(start, |e| e + 1);
                // Widen the band with its zero neighbours to a multiple of 4 bins, so that
                // `apply_frame` runs whole 4-lane steps (most low bands are 2-5 bins wide, and a
                // scalar tail per band cost more than the zeros do).
                let (start, end) = pad_to_lanes(start, end, n_bins, LANES);
                Band {
                    start,
                    weights: dense[start..end].to_vec(),
                }
            })
            .collect();
        MelFilterbank { n_bins, bands }
    }

    /// Number of mel bands.
    pub fn n_mels(&self) -> usize {
        self.bands.len()
    }

    /// Number of FFT bins each frame must have.
    pub fn n_bins(&self) -> usize {
        self.n_bins
    }

    /// The dense `n_mels x n_bins` weight matrix, row-major (librosa's `mel_basis`).
    pub fn to_dense(&self) -> Vec<f32> {
        let mut m = vec![0.0; self.n_mels() * self.n_bins];
        for (i, b) in self.bands.iter().enumerate() {
            let row = &mut m[i * self.n_bins + b.start..][..b.weights.len()];
            row.copy_from_slice(&b.weights);
        }
        m
    }

    /// Applies the filterbank to one frame of `n_bins` spectrum values, writing `n_mels` values.
    pub fn apply_frame(&self, frame: &[f32], out: &mut [f32]) {
        for (o, b) in out.iter_mut().zip(&self.bands) {
            let bins = &frame[b.start..b.start + b.weights.len()];
            *o = dot4(bins, &b.weights);
        }
    }

    /// Applies the filterbank to a frame-major spectrogram (`frames x n_bins`), writing a
    /// frame-major mel spectrogram (`frames x n_mels`) into `out` (resized).
    pub fn apply(&self, spec: &[f32], out: &mut Vec<f32>) {
        let frames = spec.len() / self.n_bins;
        let m = self.n_mels();
        out.clear();
        out.resize(frames * m, 0.0);
        for (f, o) in spec.chunks_exact(self.n_bins).zip(out.chunks_exact_mut(m)) {
            self.apply_frame(f, o);
        }
    }
}

/// A mel spectrogram as `librosa.feature.melspectrogram` computes it: centred STFT with zero
/// padding and a periodic Hann window, power (or magnitude) spectrum, Slaney mel filterbank.
/// Plan once (FFT, window, filterbank), run on many clips; the caller owns the scratch.
///
/// ```
/// use emovox_features::mel::MelSpectrogram;
/// use emovox_features::PipelineConfig;
///
/// let mut config = PipelineConfig::preset("logmel").unwrap();
/// config.n_mels = 40;
/// let mel = MelSpectrogram::new(&config, 2.0)?;
/// let y: Vec<f32> = (0..16_000).map(|i| (i as f32 * 0.2).sin()).collect();
/// let (mut scratch, mut out) = (mel.scratch(), Vec::new());
/// let frames = mel.compute(&y, &mut scratch, &mut out)?;
/// assert_eq!(out.len(), frames * 40); // frame-major: frames x n_mels
/// # Ok::<(), emovox_features::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct MelSpectrogram {
    stft: emovox_audio::stft::Stft,
    filterbank: MelFilterbank,
    magnitude: bool,
}

impl MelSpectrogram {
    /// Plans the spectrogram of `config`'s `sample_rate`, `n_fft`, `hop`, `n_mels`, `fmin` and
    /// `fmax` (checked as [`PipelineConfig::validate`](crate::PipelineConfig::validate) checks
    /// them); `power` 2.0 gives a power spectrogram, 1.0 a magnitude one (librosa's `power`).
    pub fn new(config: &crate::PipelineConfig, power: f32) -> crate::Result<Self> {
        config.validate()?;
        if power != 2.0 && power != 1.0 {
            return Err(crate::Error::InvalidPipeline(format!(
                "power must be 1.0 or 2.0, got {power}"
            )));
        }
        let sr = config.sample_rate as f32;
        Ok(MelSpectrogram {
            stft: emovox_audio::stft::Stft::new(config.n_fft, config.hop)?,
            filterbank: MelFilterbank::new(
                sr as f64,
                config.n_fft,
                config.n_mels,
                config.fmin as f64,
                config.fmax.unwrap_or(sr / 2.0) as f64,
            ),
            magnitude: power == 1.0,
        })
    }

    /// Scratch buffers for [`compute`](Self::compute), reusable from clip to clip.
    pub fn scratch(&self) -> MelScratch {
        MelScratch {
            stft: self.stft.scratch(),
            spec: Vec::new(),
        }
    }

    /// Number of mel bands.
    pub fn n_mels(&self) -> usize {
        self.filterbank.n_mels()
    }

    /// The mel spectrogram of `y`, frame-major (`frames x n_mels`) into `out` (resized);
    /// returns the number of frames. Samples must be finite (an error says how many are not).
    pub fn compute(
        &self,
        y: &[f32],
        scratch: &mut MelScratch,
        out: &mut Vec<f32>,
    ) -> crate::Result<usize> {
        emovox_audio::guard::check_samples(y)
            .map_err(|e| crate::Error::InvalidInput(e.to_string()))?;
        self.stft.power(y, &mut scratch.stft, &mut scratch.spec);
        if self.magnitude {
            scratch.spec.iter_mut().for_each(|v| *v = v.sqrt());
        }
        self.filterbank.apply(&scratch.spec, out);
        Ok(self.stft.n_frames(y.len()))
    }
}

/// Scratch buffers of a [`MelSpectrogram`].
#[derive(Debug, Clone)]
pub struct MelScratch {
    stft: emovox_audio::stft::StftScratch,
    spec: Vec<f32>,
}

/// SIMD width [`dot4`] works in; filterbank bands are padded to a multiple of it.
const LANES: usize = 4;

/// Widens `start..end` to a multiple of `lanes` long inside `0..n`, growing to the right first.
fn pad_to_lanes(start: usize, end: usize, n: usize, lanes: usize) -> (usize, usize) {
    let want = (end - start).next_multiple_of(lanes).min(n);
    let end = (start + want).min(n);
    (end - want, end)
}

/// `sum(a[i] * b[i])` over the shorter of the two, with 4 independent partial sums.
///
/// Why: a plain iterator `.sum()` is one serial chain of f32 additions (float addition is not
/// reassociated by the compiler), so each band of the filterbank cost one add latency per bin;
/// four lanes break that chain and compile to one SSE multiply and add per 4 bins. The result
/// differs from a left-to-right sum by rounding only (a few f32 ulps), as numpy's own BLAS
/// `mel_basis @ S` does.
#[inline]
fn dot4(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    let mut acc = [0.0f32; LANES];
    for (x, w) in ca.zip(cb) {
        for i in 0..LANES {
            acc[i] += x[i] * w[i];
        }
    }
    let mut s = (acc[0] + acc[2]) + (acc[1] + acc[3]);
    for (x, w) in ra.iter().zip(rb) {
        s += x * w;
    }
    s
}

/// librosa `power_to_db(S, ref=1.0, amin=1e-10, top_db)` in place: `10 log10(max(S, amin))`, then,
/// if `top_db` is set, everything below `max - top_db` over the *whole* array is raised to it.
pub fn power_to_db(s: &mut [f32], amin: f32, top_db: Option<f32>) {
    let mut max = f32::NEG_INFINITY;
    for v in s.iter_mut() {
        *v = 10.0 * v.max(amin).log10();
        max = max.max(*v);
    }
    if let Some(top) = top_db {
        let floor = max - top;
        for v in s.iter_mut() {
            *v = v.max(floor);
        }
    }
}

/// An orthonormal DCT-II truncated to its first `n_out` coefficients (scipy
/// `dct(x, type=2, norm="ortho")[:n_out]`), as a precomputed `n_out x n_in` matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Dct {
    n_in: usize,
    n_out: usize,
    matrix: Vec<f32>,
}

impl Dct {
    /// Plans a DCT-II of `n_in` points keeping `n_out` coefficients.
    pub fn new(n_in: usize, n_out: usize) -> Self {
        let n = n_in as f64;
        let mut matrix = Vec::with_capacity(n_out * n_in);
        for k in 0..n_out {
            let scale = if k == 0 {
                (1.0 / n).sqrt()
            } else {
                (2.0 / n).sqrt()
            };
            for i in 0..n_in {
                let c = (std::f64::consts::PI * k as f64 * (2 * i + 1) as f64 / (2.0 * n)).cos();
                matrix.push((scale * c) as f32);
            }
        }
        Dct {
            n_in,
            n_out,
            matrix,
        }
    }

    /// Input length.
    pub fn n_in(&self) -> usize {
        self.n_in
    }

    /// Number of coefficients produced.
    pub fn n_out(&self) -> usize {
        self.n_out
    }

    /// Transforms one vector of `n_in` values into `n_out` coefficients.
    pub fn apply(&self, x: &[f32], out: &mut [f32]) {
        let x = &x[..self.n_in.min(x.len())];
        for (o, row) in out.iter_mut().zip(self.matrix.chunks_exact(self.n_in)) {
            // Accumulate in f64: 128 terms of mixed sign in dB. Four independent partial sums
            // (instead of one serial chain of f64 additions, which cost one add latency per term)
            // change the result by f64 rounding only, far below the f32 output's precision.
            let (cr, cx) = (row.chunks_exact(4), x.chunks_exact(4));
            let (rr, rx) = (cr.remainder(), cx.remainder());
            let mut acc = [0.0f64; 4];
            for (a, b) in cr.zip(cx) {
                for i in 0..4 {
                    acc[i] += a[i] as f64 * b[i] as f64;
                }
            }
            let mut s = (acc[0] + acc[2]) + (acc[1] + acc[3]);
            for (&a, &b) in rr.iter().zip(rx) {
                s += a as f64 * b as f64;
            }
            *o = s as f32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slaney_scale_round_trips() {
        for hz in [0.0, 100.0, 999.0, 1000.0, 4000.0, 8000.0] {
            assert!((mel_to_hz(hz_to_mel(hz)) - hz).abs() < 1e-9);
        }
        assert!((hz_to_mel(1000.0) - 15.0).abs() < 1e-12);
        assert!((hz_to_mel(200.0) - 3.0).abs() < 1e-12);
    }

    #[test]
    fn linspace_matches_numpy_endpoints() {
        assert_eq!(linspace(0.0, 1.0, 5), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        assert_eq!(linspace(2.0, 3.0, 1), vec![2.0]);
    }

    #[test]
    fn filterbank_matches_librosa_small_case() {
        // librosa.filters.mel(sr=16000, n_fft=16, n_mels=4)
        let want: [[f32; 9]; 4] = [
            [0.0, 6.0509576e-04, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            [
                0.0,
                7.352_136e-4,
                3.358_615e-4,
                0.0,
                0.0,
                0.0,
                0.0,
                0.0,
                0.0,
            ],
            [
                0.0,
                0.0,
                4.6726404e-04,
                4.257_152e-4,
                9.681e-5,
                0.0,
                0.0,
                0.0,
                0.0,
            ],
            [
                0.0,
                0.0,
                0.0,
                1.2267499e-04,
                2.9922882e-04,
                2.8431835e-04,
                1.8954556e-04,
                9.477_278e-5,
                0.0,
            ],
        ];
        let fb = MelFilterbank::new(16000.0, 16, 4, 0.0, 8000.0);
        let dense = fb.to_dense();
        for (i, row) in want.iter().enumerate() {
            for (k, &w) in row.iter().enumerate() {
                let got = dense[i * 9 + k];
                assert!(
                    (got - w).abs() <= 1e-6 * w.abs().max(1e-3),
                    "[{i},{k}] {got} vs {w}"
                );
            }
        }
    }

    #[test]
    fn sparse_apply_equals_dense_product() {
        let fb = MelFilterbank::new(16000.0, 64, 10, 0.0, 8000.0);
        let dense = fb.to_dense();
        let frame: Vec<f32> = (0..33).map(|k| (k as f32 * 0.37).sin().abs()).collect();
        let mut out = vec![0.0; 10];
        fb.apply_frame(&frame, &mut out);
        for (i, o) in out.iter().enumerate() {
            let want: f32 = (0..33).map(|k| dense[i * 33 + k] * frame[k]).sum();
            assert!((o - want).abs() < 1e-6);
        }
    }

    #[test]
    fn dot4_equals_a_plain_sum_for_every_length() {
        for n in 0..40 {
            let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.71).sin()).collect();
            let b: Vec<f32> = (0..n).map(|i| (i as f32 * 0.23).cos() + 0.5).collect();
            let want: f64 = a.iter().zip(&b).map(|(&x, &y)| x as f64 * y as f64).sum();
            assert!((dot4(&a, &b) as f64 - want).abs() < 1e-5, "n={n}");
        }
        assert_eq!(dot4(&[1.0, 2.0, 3.0], &[1.0]), 1.0);
    }

    #[test]
    fn bands_are_padded_to_whole_lanes_with_zeros() {
        assert_eq!(pad_to_lanes(3, 5, 100, 4), (3, 7));
        assert_eq!(pad_to_lanes(97, 99, 100, 4), (96, 100));
        assert_eq!(pad_to_lanes(0, 8, 100, 4), (0, 8));
        assert_eq!(pad_to_lanes(0, 2, 3, 4), (0, 3));
        let fb = MelFilterbank::new(16000.0, 2048, 128, 0.0, 8000.0);
        assert!(fb.bands.iter().all(|b| b.weights.len() % LANES == 0));
        assert!(fb
            .bands
            .iter()
            .all(|b| b.start + b.weights.len() <= fb.n_bins));
    }

    #[test]
    fn dct_of_any_length_matches_the_definition() {
        for n_in in [1, 5, 7, 13, 128] {
            let x: Vec<f32> = (0..n_in)
                .map(|i| (i as f32 * 1.3).sin() * 40.0 - 20.0)
                .collect();
            let d = Dct::new(n_in, n_in.min(13));
            let mut out = vec![0.0; d.n_out()];
            d.apply(&x, &mut out);
            for (k, o) in out.iter().enumerate() {
                let n = n_in as f64;
                let scale = if k == 0 {
                    (1.0 / n).sqrt()
                } else {
                    (2.0 / n).sqrt()
                };
                let want: f64 = x
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| {
                        let c = (std::f64::consts::PI * k as f64 * (2 * i + 1) as f64 / (2.0 * n))
                            .cos();
                        scale * c * v as f64
                    })
                    .sum();
                assert!(
                    (*o as f64 - want).abs() < 1e-4,
                    "n_in={n_in} k={k}: {o} vs {want}"
                );
            }
        }
    }

    #[test]
    fn power_to_db_clips_globally() {
        let mut s = [1.0, 1e-3, 1e-12, 0.0];
        power_to_db(&mut s, 1e-10, Some(80.0));
        assert_eq!(s[0], 0.0);
        assert!((s[1] + 30.0).abs() < 1e-4);
        assert_eq!(s[2], -80.0);
        assert_eq!(s[3], -80.0);
        let mut t = [1e-12f32];
        power_to_db(&mut t, 1e-10, None);
        assert!((t[0] + 100.0).abs() < 1e-3);
    }

    #[test]
    fn dct_ortho_matches_scipy() {
        // scipy.fft.dct([1, 2, 3, 4], type=2, norm="ortho")
        let want = [5.0, -2.2304425, 0.0, -0.15851267];
        let d = Dct::new(4, 4);
        let mut out = [0.0; 4];
        d.apply(&[1.0, 2.0, 3.0, 4.0], &mut out);
        for (a, b) in out.iter().zip(want) {
            assert!((a - b).abs() < 1e-5, "{out:?}");
        }
    }

    #[test]
    fn mel_spectrogram_is_filterbank_over_stft_power_or_magnitude() {
        let mut c = crate::PipelineConfig::preset("logmel").unwrap();
        (c.sample_rate, c.n_fft, c.hop, c.n_mels, c.n_mfcc) = (16000, 16, 4, 4, 1);
        let y: Vec<f32> = (0..40).map(|i| ((i * 7 % 11) as f32 - 5.0) / 5.0).collect();
        let stft = emovox_audio::stft::Stft::new(16, 4).unwrap();
        let fb = MelFilterbank::new(16000.0, 16, 4, 0.0, 8000.0);
        let mut power = Vec::new();
        stft.power(&y, &mut stft.scratch(), &mut power);
        let mut magnitude = power.iter().map(|p| p.sqrt()).collect::<Vec<_>>();
        for (p, spec) in [(2.0, &mut power), (1.0, &mut magnitude)] {
            let mel = MelSpectrogram::new(&c, p).unwrap();
            let (mut sc, mut got) = (mel.scratch(), Vec::new());
            let frames = mel.compute(&y, &mut sc, &mut got).unwrap();
            assert_eq!(frames, 11);
            let mut want = Vec::new();
            fb.apply(spec, &mut want);
            assert_eq!(got, want, "power {p}");
        }
        assert!(MelSpectrogram::new(&c, 3.0).is_err());
        c.fmax = Some(9000.0);
        assert!(MelSpectrogram::new(&c, 2.0).is_err(), "fmax above Nyquist");
        c.fmax = None;
        let mel = MelSpectrogram::new(&c, 2.0).unwrap();
        let e = mel
            .compute(&[0.0, f32::NAN], &mut mel.scratch(), &mut Vec::new())
            .unwrap_err();
        assert!(e.to_string().starts_with("invalid input"), "{e}");
    }
}
