//! Guards at the edges of emovox's audio stage: samples that no recording can hold, and panics
//! inside code we do not control.
//!
//! # Samples out of any sane range
//!
//! A 32-bit float WAV can hold any finite value up to 3.4e38. Real audio is nominally within
//! ±1; integer PCM handed over unscaled (an int16 or int32 array cast to float) reaches at most
//! 2^31. Values far beyond that are a corrupt or hostile file: squared in an FFT they overflow to
//! infinity, and rubato's FFT resampler then panics ("Imaginary part of first value was
//! non-zero"). emovox refuses such input with [`Error::SampleRange`] instead of scaling or
//! clipping it: rescaling garbage would turn it into a confident prediction. librosa, given the
//! same file, loads the values as they are, soxr's resampler turns them into infinities, and its
//! `valid_audio` check then raises `ParameterError: Audio buffer is not finite everywhere`; so
//! both refuse the file, emovox before any work and with the reason.
//!
//! [`check_samples`] is applied where samples enter: at the end of every decode
//! ([`decode_file`](crate::decode_file), [`decode_bytes`](crate::decode_bytes)), by the
//! [`Resampler`](crate::Resampler) before rubato sees a buffer, and by `emovox-features` before
//! the STFT, so samples passed directly (from Python, or live PCM) are checked too. NaN and
//! infinities ([`Error::NonFinite`]) are refused the same way; the decoder, which can tell a
//! corrupt float sample from a whole corrupt stream, zeroes them instead and counts them.
//!
//! # Panics inside dependencies
//!
//! [`catch_panic`] runs one unit of work (one file, one request, one row) and turns a panic into
//! its message, so a batch, a server or a Python call goes on and reports that one item.
//!
//! ```
//! use emovox_audio::guard::{catch_panic, check_samples, MAX_SAMPLE_MAGNITUDE};
//!
//! assert!(check_samples(&[0.5, -1.0, 3.0]).is_ok());
//! let e = check_samples(&[0.1, 3e38]).unwrap_err();
//! assert!(e.to_string().contains("3.0e38"), "{e}");
//! assert!(check_samples(&[MAX_SAMPLE_MAGNITUDE * 2.0]).is_err());
//!
//! let r: Result<(), String> = catch_panic(|| panic!("boom"));
//! assert_eq!(r.unwrap_err(), "boom");
//! ```

use std::panic::{self, AssertUnwindSafe};

use crate::{Error, Result};

/// The largest sample magnitude emovox accepts: 2^31, the largest value of any integer PCM
/// format, so even unscaled int32 samples pass. Far below where an FFT of a frame overflows f32
/// (about 1e15 for the frame sizes emovox uses).
pub const MAX_SAMPLE_MAGNITUDE: f32 = 2_147_483_648.0;

/// Checks that every sample is finite and within ±[`MAX_SAMPLE_MAGNITUDE`].
///
/// One branch-free pass (it compiles to SIMD); the details are only gathered when something is
/// wrong.
pub fn check_samples(samples: &[f32]) -> Result<()> {
    // `!(|x| <= limit)` is true for NaN as well as for values beyond the limit.
    let bad = samples
        .iter()
        .map(|x| usize::from(!(x.abs() <= MAX_SAMPLE_MAGNITUDE)))
        .sum::<usize>();
    if bad == 0 {
        return Ok(());
    }
    let nonfinite = samples.iter().filter(|x| !x.is_finite()).count();
    if nonfinite > 0 {
        return Err(Error::NonFinite {
            count: nonfinite,
            total: samples.len(),
        });
    }
    let peak = samples.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    Err(Error::SampleRange {
        peak,
        count: bad,
        limit: MAX_SAMPLE_MAGNITUDE,
    })
}

/// Runs `f`, turning a panic into its message (`Err`). The default panic hook still prints the
/// panic to standard error; the caller decides what the item's error says.
pub fn catch_panic<T>(f: impl FnOnce() -> T) -> std::result::Result<T, String> {
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_and_unscaled_integer_samples_pass() {
        assert!(check_samples(&[]).is_ok());
        assert!(check_samples(&[0.0, 1.0, -1.0, 1.5]).is_ok());
        assert!(check_samples(&[32767.0, -32768.0]).is_ok());
        assert!(check_samples(&[-2_147_483_648.0]).is_ok());
    }

    #[test]
    fn huge_finite_samples_are_refused_with_the_peak() {
        let e = check_samples(&[0.0, 3.3e38, -1e20, 0.5]).unwrap_err();
        match e {
            Error::SampleRange { peak, count, .. } => {
                assert_eq!(peak, 3.3e38);
                assert_eq!(count, 2);
            }
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn nan_and_infinity_are_refused_and_counted() {
        let e = check_samples(&[f32::NAN, 0.0, f32::INFINITY, 1e38]).unwrap_err();
        assert!(
            matches!(e, Error::NonFinite { count: 2, total: 4 }),
            "{e:?}"
        );
    }

    #[test]
    fn catch_panic_returns_the_message_or_the_value() {
        assert_eq!(catch_panic(|| 7), Ok(7));
        let owned: std::result::Result<(), String> = catch_panic(|| panic!("x = {}", 3));
        assert_eq!(owned.unwrap_err(), "x = 3");
    }
}
