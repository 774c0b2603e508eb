//! Frame-level hand-crafted features with librosa 0.11's definitions: zero-crossing rate, RMS,
//! spectral centroid and roll-off, and MFCC deltas.
//!
//! Frame conventions match librosa: frames of `frame_length` samples every `hop` samples, centred
//! (`frame_length / 2` samples of padding on each side), giving `1 + n / hop` frames.

/// Frames of a centred framing of `n` samples (librosa `center=True`).
fn n_frames(n: usize, hop: usize) -> usize {
    1 + n / hop
}

/// Sample `i - pad` of `y`, with the padding librosa uses: `edge` repeats the end values,
/// otherwise zeros.
#[inline]
fn padded(y: &[f32], i: isize, edge: bool) -> f32 {
    if i >= 0 && (i as usize) < y.len() {
        y[i as usize]
    } else if !edge || y.is_empty() {
        0.0
    } else if i < 0 {
        y[0]
    } else {
        y[y.len() - 1]
    }
}

/// librosa `feature.zero_crossing_rate(y, frame_length, hop_length, center=True)`: the fraction of
/// adjacent sample pairs in each frame whose sign bits differ, after zeroing `|x| <= 1e-10`;
/// frames are padded with edge values.
pub fn zero_crossing_rate(y: &[f32], frame_length: usize, hop: usize, out: &mut Vec<f32>) {
    let half = (frame_length / 2) as isize;
    let sign = |v: f32| {
        if v.abs() <= 1e-10 {
            false
        } else {
            v.is_sign_negative()
        }
    };
    out.clear();
    for t in 0..n_frames(y.len(), hop) {
        let start = (t * hop) as isize - half;
        let mut prev = sign(padded(y, start, true));
        let mut count = 0usize;
        for j in 1..frame_length as isize {
            let s = sign(padded(y, start + j, true));
            count += (s != prev) as usize;
            prev = s;
        }
        out.push(count as f32 / frame_length as f32);
    }
}

/// librosa `feature.rms(y, frame_length, hop_length, center=True)`: root mean square of each
/// zero-padded frame.
pub fn rms(y: &[f32], frame_length: usize, hop: usize, out: &mut Vec<f32>) {
    let half = (frame_length / 2) as isize;
    out.clear();
    for t in 0..n_frames(y.len(), hop) {
        let start = (t * hop) as isize - half;
        let lo = start.max(0) as usize;
        let hi = ((start + frame_length as isize).max(0) as usize).min(y.len());
        let sum: f64 = y
            .get(lo..hi)
            .unwrap_or(&[])
            .iter()
            .map(|&v| v as f64 * v as f64)
            .sum();
        out.push((sum / frame_length as f64).sqrt() as f32);
    }
}

/// librosa `feature.spectral_centroid` from one magnitude spectrum frame of `n_fft / 2 + 1` bins:
/// the magnitude-weighted mean frequency (0 for a silent frame).
pub fn spectral_centroid(mag: &[f32], bin_hz: f32) -> f32 {
    let total: f32 = mag.iter().sum();
    if total <= f32::MIN_POSITIVE {
        return 0.0;
    }
    mag.iter()
        .enumerate()
        .map(|(k, &m)| k as f32 * bin_hz * (m / total))
        .sum()
}

/// librosa `feature.spectral_rolloff` from one magnitude spectrum frame: the lowest frequency
/// below which `roll_percent` of the frame's magnitude lies.
pub fn spectral_rolloff(mag: &[f32], bin_hz: f32, roll_percent: f32) -> f32 {
    let total: f32 = mag.iter().sum();
    let threshold = roll_percent * total;
    let mut acc = 0.0f32;
    for (k, &m) in mag.iter().enumerate() {
        acc += m;
        if acc >= threshold {
            return k as f32 * bin_hz;
        }
    }
    (mag.len().saturating_sub(1)) as f32 * bin_hz
}

/// librosa `feature.delta(data, width=9, order=1, axis=time, mode="interp")` for a frame-major
/// matrix of `n_frames x n_coeffs`, written into `out` (resized).
///
/// Inside the signal this is the regression slope over `width` frames; at the edges
/// (`mode="interp"`) librosa fits one line to the first/last `width` frames, whose slope is the
/// interior value at the nearest full window. Needs at least `width` frames (librosa refuses fewer
/// too); with fewer, the window shrinks to the largest odd width that fits.
pub fn delta(data: &[f32], n_coeffs: usize, width: usize, out: &mut Vec<f32>) {
    let frames = data.len().checked_div(n_coeffs).unwrap_or(0);
    out.clear();
    out.resize(frames * n_coeffs, 0.0);
    let mut w = width.max(3) | 1;
    if frames < w {
        w = if frames % 2 == 1 {
            frames
        } else {
            frames.saturating_sub(1)
        };
    }
    if w < 3 {
        return;
    }
    let half = w / 2;
    let denom: f32 = (1..=half).map(|n| 2.0 * (n * n) as f32).sum();
    for t in 0..frames {
        let c = t.clamp(half, frames - 1 - half);
        for k in 0..n_coeffs {
            let mut acc = 0.0f32;
            for n in 1..=half {
                acc += n as f32 * (data[(c + n) * n_coeffs + k] - data[(c - n) * n_coeffs + k]);
            }
            out[t * n_coeffs + k] = acc / denom;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zcr_counts_sign_changes() {
        // librosa.feature.zero_crossing_rate(np.array([1,-1,1,-1,1,1,1,1.]), frame_length=4,
        // hop_length=4) -> [0.25, 0.5, 0.0]
        let y = [1.0, -1.0, 1.0, -1.0, 1.0, 1.0, 1.0, 1.0];
        let mut out = Vec::new();
        zero_crossing_rate(&y, 4, 4, &mut out);
        assert_eq!(out, vec![0.25, 0.5, 0.0]);
    }

    #[test]
    fn rms_of_constant() {
        // librosa.feature.rms(y=np.ones(8), frame_length=4, hop_length=4) -> [0.7071, 1, 0.7071]
        let mut out = Vec::new();
        rms(&[1.0; 8], 4, 4, &mut out);
        assert!((out[0] - 0.70710677).abs() < 1e-6 && (out[1] - 1.0).abs() < 1e-6);
        assert!((out[2] - 0.70710677).abs() < 1e-6);
    }

    #[test]
    fn centroid_and_rolloff_of_single_peak() {
        let mut mag = vec![0.0; 5];
        mag[3] = 2.0;
        assert_eq!(spectral_centroid(&mag, 100.0), 300.0);
        assert_eq!(spectral_rolloff(&mag, 100.0, 0.85), 300.0);
        assert_eq!(spectral_centroid(&[0.0; 5], 100.0), 0.0);
        assert_eq!(spectral_rolloff(&[0.0; 5], 100.0, 0.85), 0.0);
    }

    #[test]
    fn delta_of_ramp_is_slope_everywhere() {
        // One coefficient rising 2 per frame: librosa.feature.delta gives 2 at every frame,
        // edges included (mode="interp").
        let data: Vec<f32> = (0..12).map(|t| 2.0 * t as f32).collect();
        let mut out = Vec::new();
        delta(&data, 1, 9, &mut out);
        assert!(out.iter().all(|&d| (d - 2.0).abs() < 1e-5), "{out:?}");
    }

    #[test]
    fn delta_matches_librosa_on_quadratic() {
        // librosa.feature.delta(np.arange(10.)**2) -> interior 2t, edges from the nearest window
        let data: Vec<f32> = (0..10).map(|t| (t * t) as f32).collect();
        let mut out = Vec::new();
        delta(&data, 1, 9, &mut out);
        let want = [8.0, 8.0, 8.0, 8.0, 8.0, 10.0, 10.0, 10.0, 10.0, 10.0];
        for (a, b) in out.iter().zip(want) {
            assert!((a - b).abs() < 1e-4, "{out:?}");
        }
    }
}
