//! `model.emt`, emovox-tiny's compact model format, read in place (no copies, no allocation).
//!
//! Little-endian throughout; every section starts 4-byte aligned (int8 arrays are padded).
//!
//! | part | contents |
//! |---|---|
//! | header | `b"EMT1"`, version `u32`, classes, frames `T`, features `F` (`u32`) |
//! | front end | sample rate, `n_fft`, hop, samples per clip (`u32`); `top_db`, `amin` (`f32`, NaN = no `top_db`); half periodic Hann window (`n_fft/2+1` `f32`); per mel band `start`, `len` (`u32`) and `len` weights (`f32`); standardiser mean and std (`F` `f32` each); input scale (`f32`) and zero point (`i32`) |
//! | conv blocks | count; per block `c_in`, `c_out`, `k`, `pool` (`u32`), input zero point, output zero point, activation minimum (`i32`), weights `[c_out][k][c_in]` (`i8`), bias, multiplier, shift (`c_out` `i32` each) |
//! | attention | `C`, score weights (`C` `i8`), bias, multiplier, shift, score zero point, softmax multiplier, left shift, `diff_min` (`i32`); weighted-mean multiplier, shift (`i32`) |
//! | dense ×2 | `in`, `out` (`u32`), input zero point, output zero point, activation minimum, multiplier, shift (`i32`), weights `[out][in]` (`i8`), bias (`out` `i32`) |
//! | output | logit scale (`f32`) and zero point (`i32`) |

use crate::{Error, Result};

/// The magic bytes that open a `model.emt`.
pub const MAGIC: &[u8; 4] = b"EMT1";
/// The format version this build reads (2: the attention's weighted mean is one requantised
/// dot product, TFLite's `BATCH_MATMUL`; version 1 requantised each product, then the sum).
pub const VERSION: u32 = 2;
/// Most convolution blocks a model may have.
pub const MAX_BLOCKS: usize = 4;

/// A little-endian `i32`/`u32`/`f32` array inside the model bytes (no alignment needed).
#[derive(Debug, Clone, Copy, Default)]
pub struct Words<'a>(pub(crate) &'a [u8]);

impl<'a> Words<'a> {
    /// Number of 4-byte values.
    pub fn len(&self) -> usize {
        self.0.len() / 4
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.len() < 4
    }
    fn raw(&self, i: usize) -> [u8; 4] {
        let b = &self.0[4 * i..4 * i + 4];
        [b[0], b[1], b[2], b[3]]
    }
    /// Value `i` as `i32`.
    #[inline]
    pub fn i32(&self, i: usize) -> i32 {
        i32::from_le_bytes(self.raw(i))
    }
    /// Value `i` as `f32`.
    #[inline]
    pub fn f32(&self, i: usize) -> f32 {
        f32::from_le_bytes(self.raw(i))
    }
}

/// Reads the model bytes front to back.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }
    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or(Error::Truncated)?;
        let b = self.buf.get(self.pos..end).ok_or(Error::Truncated)?;
        self.pos = end.next_multiple_of(4);
        Ok(b)
    }
    pub(crate) fn u32(&mut self) -> Result<u32> {
        Ok(Words(self.bytes(4)?).i32(0) as u32)
    }
    pub(crate) fn usize(&mut self, max: u32) -> Result<usize> {
        let v = self.u32()?;
        if v > max {
            return Err(Error::Invalid("a size is out of range"));
        }
        Ok(v as usize)
    }
    pub(crate) fn i32(&mut self) -> Result<i32> {
        Ok(Words(self.bytes(4)?).i32(0))
    }
    pub(crate) fn f32(&mut self) -> Result<f32> {
        Ok(Words(self.bytes(4)?).f32(0))
    }
    pub(crate) fn words(&mut self, n: usize) -> Result<Words<'a>> {
        Ok(Words(
            self.bytes(n.checked_mul(4).ok_or(Error::Truncated)?)?,
        ))
    }
    pub(crate) fn i8s(&mut self, n: usize) -> Result<&'a [i8]> {
        let b = self.bytes(n)?;
        // SAFETY: i8 and u8 have the same size, alignment and validity.
        Ok(unsafe { core::slice::from_raw_parts(b.as_ptr().cast::<i8>(), b.len()) })
    }
    pub(crate) fn pos_bytes(&self) -> usize {
        self.pos
    }
    pub(crate) fn since(&self, start: usize) -> &'a [u8] {
        &self.buf[start..self.pos.min(self.buf.len())]
    }
    pub(crate) fn done(&self) -> bool {
        self.pos >= self.buf.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_pads_and_refuses_short_input() {
        let buf = [1u8, 2, 3, 0, 7, 0, 0, 0, 0, 0, 128, 63];
        let mut r = Reader::new(&buf);
        assert_eq!(r.i8s(3).unwrap(), &[1, 2, 3]);
        assert_eq!(r.u32().unwrap(), 7);
        assert_eq!(r.f32().unwrap(), 1.0);
        assert!(r.done());
        assert!(matches!(r.u32(), Err(Error::Truncated)));
        let w = Words(&buf[4..12]);
        assert_eq!((w.len(), w.i32(0)), (2, 7));
    }
}
