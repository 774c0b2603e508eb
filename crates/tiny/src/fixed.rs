//! Fixed-point arithmetic exactly as TensorFlow Lite's integer kernels do it (gemmlowp's
//! `SaturatingRoundingDoublingHighMul`, `RoundingDivideByPOT`, `MultiplyByQuantizedMultiplier`,
//! and the `exp`/reciprocal used by the int8 softmax), so emovox-tiny's outputs are bit-exact
//! with TFLite (Micro) reference kernels.

/// `round(a * b / 2^31)` with gemmlowp's rounding and saturation.
#[inline]
pub fn srdhm(a: i32, b: i32) -> i32 {
    if a == b && a == i32::MIN {
        return i32::MAX;
    }
    let ab = a as i64 * b as i64;
    let nudge: i64 = if ab >= 0 { 1 << 30 } else { 1 - (1 << 30) };
    ((ab + nudge) / (1i64 << 31)) as i32
}

/// `x / 2^exponent` rounded to nearest, ties away from zero (gemmlowp `RoundingDivideByPOT`).
#[inline]
pub fn rounding_divide_by_pot(x: i32, exponent: i32) -> i32 {
    if exponent <= 0 {
        return x;
    }
    let mask = ((1i64 << exponent) - 1) as i32;
    let remainder = x & mask;
    let threshold = (mask >> 1) + (x < 0) as i32;
    (x >> exponent) + (remainder > threshold) as i32
}

/// `x * multiplier * 2^shift / 2^31`, TFLite's `MultiplyByQuantizedMultiplier` (double rounding).
#[inline]
pub fn multiply_by_quantized_multiplier(x: i32, multiplier: i32, shift: i32) -> i32 {
    let left = if shift > 0 { shift } else { 0 };
    let right = if shift > 0 { 0 } else { -shift };
    rounding_divide_by_pot(srdhm(x.wrapping_mul(1 << left), multiplier), right)
}

/// A real multiplier as TFLite's `QuantizeMultiplier`: `(q, shift)` with
/// `m ≈ q / 2^31 * 2^shift`, `q` in `[2^30, 2^31)`.
pub fn quantize_multiplier(m: f64) -> (i32, i32) {
    if m == 0.0 {
        return (0, 0);
    }
    let (q, mut shift) = libm::frexp(m);
    let mut q_fixed = libm::round(q * (1i64 << 31) as f64) as i64;
    if q_fixed == 1i64 << 31 {
        q_fixed /= 2;
        shift += 1;
    }
    if shift < -31 {
        shift = 0;
        q_fixed = 0;
    }
    (q_fixed as i32, shift)
}

/// Saturating `x * 2^e` for `e > 0`, rounding divide for `e < 0` (gemmlowp
/// `SaturatingRoundingMultiplyByPOT`).
#[inline]
fn sat_mul_pot(x: i32, e: i32) -> i32 {
    if e > 0 {
        let threshold = (1i32 << (31 - e)) - 1;
        if x > threshold {
            i32::MAX
        } else if x < -threshold {
            i32::MIN
        } else {
            x << e
        }
    } else {
        rounding_divide_by_pot(x, -e)
    }
}

/// `exp(a)` for `a` in `[-1/4, 0)`, Q0.31 in and out.
fn exp_quarter(a: i32) -> i32 {
    const CONSTANT_TERM: i32 = 1_895_147_668; // exp(-1/8)
    const ONE_THIRD: i32 = 715_827_883;
    let x = a.wrapping_add(1 << 28);
    let x2 = srdhm(x, x);
    let x3 = srdhm(x2, x);
    let x4 = srdhm(x2, x2);
    let x4_over_4 = sat_mul_pot(x4, -2);
    let poly = sat_mul_pot(
        srdhm(x4_over_4.wrapping_add(x3), ONE_THIRD).wrapping_add(x2),
        -1,
    );
    CONSTANT_TERM.wrapping_add(srdhm(CONSTANT_TERM, x.wrapping_add(poly)))
}

/// `exp(a)` for `a <= 0` given in Q5.26, result in Q0.31 (gemmlowp `exp_on_negative_values`
/// with 5 integer bits, the softmax's `kScaledDiffIntegerBits`).
pub fn exp_on_negative_values_q5(a: i32) -> i32 {
    const FRAC: i32 = 26;
    let quarter = 1i32 << (FRAC - 2);
    let mask = quarter - 1;
    let a_mod = (a & mask).wrapping_sub(quarter);
    let mut result = exp_quarter(sat_mul_pot(a_mod, 5));
    let remainder = a_mod.wrapping_sub(a);
    const BARREL: [(i32, i32); 7] = [
        (-2, 1_672_461_947),
        (-1, 1_302_514_674),
        (0, 790_015_084),
        (1, 290_630_308),
        (2, 39_332_535),
        (3, 720_401),
        (4, 242),
    ];
    for (e, m) in BARREL {
        if remainder & (1 << (FRAC + e)) != 0 {
            result = srdhm(result, m);
        }
    }
    if a == 0 {
        i32::MAX
    } else {
        result
    }
}

/// `1 / (1 + x)` for `x` in `[0, 1)`, Q0.31 in and out (Newton-Raphson, gemmlowp).
fn one_over_one_plus_x(a: i32) -> i32 {
    let sum = a as i64 + i32::MAX as i64;
    let sign = if sum >= 0 { 1 } else { -1 };
    let half_denominator = ((sum + sign) / 2) as i32;
    const C48_17: i32 = 1_515_870_810;
    const CN32_17: i32 = -1_010_580_540;
    const ONE_Q2: i32 = 1 << 29;
    let mut x = C48_17.wrapping_add(srdhm(half_denominator, CN32_17));
    for _ in 0..3 {
        let hdx = srdhm(half_denominator, x);
        let one_minus = ONE_Q2.wrapping_sub(hdx);
        x = x.wrapping_add(sat_mul_pot(srdhm(x, one_minus), 2));
    }
    sat_mul_pot(x >> 1, 2)
}

/// TFLite's `GetReciprocal`: the reciprocal of `x` (with `integer_digits` integer bits) as a Q0.31
/// value and the number of bits it is shifted by.
pub fn reciprocal(x: i32, integer_digits: i32) -> (i32, i32) {
    let headroom_plus_one = (x as u32).leading_zeros() as i32;
    let bits_over_unit = integer_digits - headroom_plus_one;
    let shifted = ((x as u32) << headroom_plus_one).wrapping_sub(1u32 << 31) as i32;
    (one_over_one_plus_x(shifted), bits_over_unit)
}

/// The int8 softmax's input scaling, TFLite's `PreprocessSoftmaxScaling` and
/// `CalculateInputRadius` for `beta` = 1: `(input_multiplier, input_left_shift, diff_min)`.
pub fn softmax_params(input_scale: f32) -> (i32, i32, i32) {
    const BITS: i32 = 5;
    let max_real = (1i64 << 31) as f64 - 1.0;
    let real = (input_scale as f64 * (1i64 << (31 - BITS)) as f64).min(max_real);
    let (m, shift) = quantize_multiplier(real);
    let radius =
        ((1i64 << BITS) - 1) as f64 * (1i64 << (31 - BITS)) as f64 / (1i64 << shift) as f64;
    (m, shift, -(libm::floor(radius) as i32))
}

/// TFLite's reference int8 softmax over `input` (output scale 1/256, zero point -128).
pub fn softmax_i8(
    input: &[i8],
    output: &mut [i8],
    multiplier: i32,
    left_shift: i32,
    diff_min: i32,
) {
    let max = input.iter().copied().max().unwrap_or(0) as i32;
    let scaled = |v: i8| -> Option<i32> {
        let diff = v as i32 - max;
        (diff >= diff_min).then(|| srdhm(diff.wrapping_mul(1 << left_shift), multiplier))
    };
    let mut sum: i32 = 0;
    for &v in input {
        if let Some(d) = scaled(v) {
            sum = sum.wrapping_add(rounding_divide_by_pot(exp_on_negative_values_q5(d), 12));
        }
    }
    let (scale, bits_over_unit) = reciprocal(sum, 12);
    for (o, &v) in output.iter_mut().zip(input) {
        *o = match scaled(v) {
            Some(d) => {
                let e = exp_on_negative_values_q5(d);
                let unsat = rounding_divide_by_pot(srdhm(scale, e), bits_over_unit + 31 - 8);
                (unsat - 128).clamp(-128, 127) as i8
            }
            None => -128,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn srdhm_and_rounding_match_gemmlowp() {
        assert_eq!(srdhm(i32::MIN, i32::MIN), i32::MAX);
        assert_eq!(srdhm(1 << 30, 1 << 30), 1 << 29);
        assert_eq!(rounding_divide_by_pot(5, 1), 3);
        assert_eq!(rounding_divide_by_pot(-5, 1), -3);
        assert_eq!(rounding_divide_by_pot(-4, 1), -2);
        assert_eq!(rounding_divide_by_pot(7, 2), 2);
    }

    #[test]
    fn quantized_multipliers_reproduce_reals() {
        for m in [0.0003, 0.0123, 0.5, 0.99999, 1.7, 300.0] {
            let (q, s) = quantize_multiplier(m);
            assert!((1 << 30..=i32::MAX).contains(&q), "{m}");
            let back = q as f64 / (1u64 << 31) as f64 * 2f64.powi(s);
            assert!((back - m).abs() / m < 1e-9, "{m}");
            let x = 12345;
            let y = multiply_by_quantized_multiplier(x, q, s);
            assert!((y as f64 - x as f64 * m).abs() <= 1.0, "{m}: {y}");
        }
        assert_eq!(quantize_multiplier(0.0), (0, 0));
    }

    #[test]
    fn fixed_point_exp_and_reciprocal_are_accurate() {
        for (k, want) in [(-2, 1_672_461_947i64), (0, 790_015_084), (4, 242)] {
            let e = (-(2f64.powi(k))).exp() * 2f64.powi(31);
            assert_eq!(e.round() as i64, want);
        }
        for x in [-0.001, -0.2, -1.0, -3.7, -12.0, -31.0] {
            let q = (x * (1u64 << 26) as f64) as i32;
            let got = exp_on_negative_values_q5(q) as f64 / 2f64.powi(31);
            assert!((got - f64::exp(x)).abs() < 2e-6, "{x}: {got}");
        }
        assert_eq!(exp_on_negative_values_q5(0), i32::MAX);
        for v in [1.0f64, 1.25, 3.0, 17.5, 1000.0] {
            let raw = (v * (1u64 << 19) as f64) as i32; // 12 integer bits
            let (r, bits) = reciprocal(raw, 12);
            let got = r as f64 / 2f64.powi(31) / 2f64.powi(bits);
            assert!(
                (got - 1.0 / v).abs() < 1e-6 * (1.0 / v) + 1e-9,
                "{v}: {got}"
            );
        }
    }

    #[test]
    fn softmax_sums_to_one_and_orders_like_float() {
        let input = [-128i8, -20, 0, 5, 100, 100];
        let scale = 0.05f32;
        let (m, s, d) = softmax_params(scale);
        let mut out = [0i8; 6];
        softmax_i8(&input, &mut out, m, s, d);
        let max = 100.0 * scale;
        let exps: [f64; 6] = input.map(|v| ((v as f32 * scale - max) as f64).exp());
        let total: f64 = exps.iter().sum();
        for (o, e) in out.iter().zip(exps) {
            let p = (*o as f64 + 128.0) / 256.0;
            assert!((p - e / total).abs() <= 1.0 / 256.0 + 1e-9, "{out:?}");
        }
    }
}
