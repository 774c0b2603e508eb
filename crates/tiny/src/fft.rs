//! A radix-2 real FFT for power spectra, in place, with a quarter-wave sine table: no
//! allocation, `f32` only.

/// Quarter-wave sine table for an `n`-point transform: `sin(2πk/n)` for `k` in `0..=n/4`.
pub fn fill_sine_table(n: usize, table: &mut [f32]) {
    for (k, t) in table.iter_mut().enumerate().take(n / 4 + 1) {
        *t = libm::sin(2.0 * core::f64::consts::PI * k as f64 / n as f64) as f32;
    }
}

/// `(cos, sin)` of `2πk/n` for `k` in `0..n/2`, from the quarter-wave table.
#[inline]
fn cos_sin(table: &[f32], n: usize, k: usize) -> (f32, f32) {
    let q = n / 4;
    if k <= q {
        (table[q - k], table[k])
    } else {
        let k = k - q;
        (-table[k], table[q - k])
    }
}

/// In-place complex FFT (forward, `e^{-2πi jk/m}`) of `m = buf.len() / 2` interleaved values,
/// `m` a power of two; twiddles from the sine table of an `n = 2m`-point transform.
fn complex_fft(buf: &mut [f32], table: &[f32], n: usize) {
    let m = buf.len() / 2;
    let mut j = 0usize;
    for i in 1..m {
        let mut bit = m >> 1;
        while j & bit != 0 {
            j ^= bit;
            bit >>= 1;
        }
        j |= bit;
        if i < j {
            buf.swap(2 * i, 2 * j);
            buf.swap(2 * i + 1, 2 * j + 1);
        }
    }
    let mut len = 2;
    while len <= m {
        let stride = n / len; // twiddle index step in the n-point table
        let half = len / 2;
        for start in (0..m).step_by(len) {
            for k in 0..half {
                let (c, s) = cos_sin(table, n, k * stride);
                let (wr, wi) = (c, -s);
                let (a, b) = (start + k, start + k + half);
                let (xr, xi) = (buf[2 * b], buf[2 * b + 1]);
                let tr = xr * wr - xi * wi;
                let ti = xr * wi + xi * wr;
                let (ur, ui) = (buf[2 * a], buf[2 * a + 1]);
                buf[2 * a] = ur + tr;
                buf[2 * a + 1] = ui + ti;
                buf[2 * b] = ur - tr;
                buf[2 * b + 1] = ui - ti;
            }
        }
        len <<= 1;
    }
}

/// Power spectrum `|X[k]|²`, `k` in `0..=n/2`, of the `n` real values in `frame` (destroyed),
/// written to `power` (`n/2 + 1` values). `n` must be a power of two ≥ 4.
pub fn power_spectrum(frame: &mut [f32], table: &[f32], power: &mut [f32]) {
    let n = frame.len();
    let m = n / 2;
    complex_fft(frame, table, n);
    for k in 0..=m {
        let (zr, zi) = if k == m {
            (frame[0], frame[1])
        } else {
            (frame[2 * k], frame[2 * k + 1])
        };
        let j = if k == 0 { 0 } else { m - k };
        let (cr, ci) = (frame[2 * j], -frame[2 * j + 1]); // conj(Z[m-k])
        let (er, ei) = ((zr + cr) * 0.5, (zi + ci) * 0.5);
        // (Z[k] - conj(Z[m-k])) / 2i
        let (dr, di) = (zr - cr, zi - ci);
        let (or, oi) = (di * 0.5, -dr * 0.5);
        let (c, s) = if k == m {
            (-1.0, 0.0)
        } else {
            cos_sin(table, n, k)
        };
        let (wr, wi) = (c, -s);
        let xr = er + or * wr - oi * wi;
        let xi = ei + or * wi + oi * wr;
        power[k] = xr * xr + xi * xi;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn power_spectrum_matches_a_direct_dft() {
        for n in [8usize, 64] {
            let x: [f32; 64] =
                core::array::from_fn(|i| libm::sinf(i as f32 * 0.7) + (i % 3) as f32 * 0.25);
            let mut table = [0f32; 17];
            fill_sine_table(n, &mut table);
            let mut frame = [0f32; 64];
            frame[..n].copy_from_slice(&x[..n]);
            let mut power = [0f32; 33];
            power_spectrum(&mut frame[..n], &table, &mut power[..n / 2 + 1]);
            for k in 0..=n / 2 {
                let (mut re, mut im) = (0f64, 0f64);
                for (i, &v) in x[..n].iter().enumerate() {
                    let a = -2.0 * core::f64::consts::PI * (i * k) as f64 / n as f64;
                    re += v as f64 * libm::cos(a);
                    im += v as f64 * libm::sin(a);
                }
                let want = re * re + im * im;
                assert!(
                    (power[k] as f64 - want).abs() < 1e-3 * want.max(1.0),
                    "n={n} k={k}: {} vs {want}",
                    power[k]
                );
            }
        }
    }
}
