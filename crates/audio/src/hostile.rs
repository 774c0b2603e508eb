//! Structure-aware hostile inputs, for fuzzing and robustness tests: arbitrary bytes turned into
//! files with *valid* headers of each container the decoder accepts and extreme payloads.
//!
//! Random bytes rarely form a valid float WAV, so a byte-level fuzzer spends its time on the
//! probe's early exits; the crash of issue 15 (finite samples near `f32::MAX` in a well-formed
//! float WAV) took 158 executions with a good seed corpus and is practically out of reach
//! without one. [`file`](fn@file) reads a few bytes of the fuzzer's input as choices (container, sample
//! format, rate, channel count, payload shape, header lies) and the rest as sample material, so
//! every execution reaches the decoder's sample path and the resampler, STFT and model behind it.
//! [`samples`] does the same for code that takes samples directly (Python arrays, live PCM).
//!
//! | choice | values |
//! |---|---|
//! | container | WAV PCM (u8, s16, s24, s32), WAV float32, WAV float64, WAV extensible, AIFF s16, AIFF-C float32, or the bytes as they are |
//! | rate | 1, 8000, 11025, 16000, 22050, 24414, 44100, 48000, 96000, 192000, 768000, 4000000, or any `u32` |
//! | channels | 1 to 8, or 0 |
//! | payload | the bytes as samples, ±`f32::MAX`-scale (huge), ±1e-38 (tiny), denormal, NaN/inf, a constant, clipped square, silence, alternating extremes |
//! | header lies | the data chunk claims more or fewer bytes than follow, odd sizes, extra chunks |
//!
//! ```
//! use emovox_audio::hostile;
//!
//! // Container 1 (WAV s16), rate 6 (44.1 kHz), 1 channel, no lie, 300 frames, the bytes as samples.
//! let input = hostile::file(&[1, 6, 0, 0, 100, 0, 0, 7, 9, 9]);
//! assert!(input.bytes.starts_with(b"RIFF") && input.ext == Some("wav"));
//! let clip = emovox_audio::decode_bytes(&input.bytes, input.ext, &Default::default())?;
//! assert_eq!((clip.sample_rate, clip.samples.len()), (44_100, 300));
//! // Rate 3 (16 kHz), 780 frames, shape 1 (huge).
//! let (y, rate) = hostile::samples(&[3, 4, 1, 1, 3]);
//! assert_eq!((y.len(), rate), (780, 16_000));
//! assert!(y[0] > 1e38);
//! # Ok::<(), emovox_audio::Error>(())
//! ```

/// A generated file.
#[derive(Debug, Clone, PartialEq)]
pub struct HostileFile {
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// The extension hint a caller would pass (`wav`, `aiff`, or `None` for raw bytes).
    pub ext: Option<&'static str>,
    /// The input's bytes were passed through as they are (no header built).
    pub raw: bool,
}

/// Reads choices from the front of the fuzzer's input; zeros once it runs out.
struct Choices<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Choices<'a> {
    fn u8(&mut self) -> u8 {
        let v = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        v
    }

    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }

    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }

    fn rest(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or(&[])
    }
}

/// Sample rates worth trying: the ones real files have, the resampler's odd pairs, and absurd ones.
const RATES: [u32; 12] = [
    1, 8000, 11025, 16000, 22050, 24414, 44100, 48000, 96000, 192000, 768000, 4_000_000,
];

/// Longest payload generated, in frames (keeps each execution fast).
const MAX_FRAMES: usize = 48_000;

fn rate(c: &mut Choices<'_>) -> u32 {
    match c.u8() as usize {
        i if i < RATES.len() * 20 => RATES[i % RATES.len()],
        _ => c.u32(),
    }
}

/// The payload shape: sample values in f64 (converted to each format, saturating for integers).
fn payload(c: &mut Choices<'_>, n: usize) -> Vec<f64> {
    let shape = c.u8() % 10;
    let material = c.rest();
    let byte = |i: usize| {
        material
            .get(i % material.len().max(1))
            .copied()
            .unwrap_or(0)
    };
    (0..n)
        .map(|i| {
            let b = byte(i) as f64;
            let sign = if i % 2 == 0 { 1.0 } else { -1.0 };
            match shape {
                0 => (b - 128.0) / 128.0,
                1 => sign * f32::MAX as f64 * (0.5 + b / 512.0),
                2 => sign * 1e-38 * (1.0 + b),
                3 => sign * 1e-42 * (1.0 + b), // denormal in f32
                4 => [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.3][i % 4],
                5 => 0.7,
                6 => sign,
                7 => 0.0,
                8 => sign * 10f64.powi((b as i32 % 80) - 40),
                _ => (b - 128.0) * 1e6,
            }
        })
        .collect()
}

fn int_sample(v: f64, bits: u32) -> i64 {
    let full = (1i64 << (bits - 1)) as f64;
    if v.is_nan() {
        0
    } else {
        (v * full).clamp(-full, full - 1.0) as i64
    }
}

/// Appends `v` as a `bits`-bit sample (`float`: IEEE) in little (`le`) or big endian.
fn push_sample(out: &mut Vec<u8>, v: f64, bits: u32, float: bool, le: bool) {
    let bytes: Vec<u8> = match (float, bits) {
        (true, 64) => v.to_le_bytes().to_vec(),
        (true, _) => (v as f32).to_le_bytes().to_vec(),
        (false, 8) => vec![(int_sample(v, 8) + 128) as u8],
        (false, b) => int_sample(v, b).to_le_bytes()[..(b / 8) as usize].to_vec(),
    };
    if le {
        out.extend_from_slice(&bytes);
    } else {
        out.extend(bytes.iter().rev());
    }
}

/// Turns a fuzzer's input into a file with a valid header of a container the decoder reads.
pub fn file(data: &[u8]) -> HostileFile {
    file_with_max_frames(data, MAX_FRAMES)
}

/// [`file`](fn@file) with at most `max_frames` frames (at least 1) of payload: the same containers,
/// headers and payload shapes, for a parser fuzzer that needs thousands of runs a second rather
/// than seconds of audio.
pub fn file_with_max_frames(data: &[u8], max_frames: usize) -> HostileFile {
    let mut c = Choices { data, pos: 0 };
    let container = c.u8() % 9;
    if container == 8 {
        return HostileFile {
            bytes: c.rest().to_vec(),
            ext: None,
            raw: true,
        };
    }
    let rate = rate(&mut c);
    let channels = match c.u8() % 10 {
        9 => 0,
        k => 1 + (k % 8) as u16,
    };
    let lie = c.u8() % 6;
    let frames = (c.u16() as usize * 3) % max_frames.max(1);
    let n = frames * channels.max(1) as usize;
    let values = payload(&mut c, n);
    let (bits, float, aiff) = match container {
        0 => (8, false, false),
        1 => (16, false, false),
        2 => (24, false, false),
        3 => (32, false, false),
        4 | 6 => (32, true, false),
        5 => (64, true, false),
        _ => (16, false, true),
    };
    let aiff_float = aiff && container == 7 && lie % 2 == 1;
    let bits = if aiff_float { 32 } else { bits };
    let mut samples = Vec::with_capacity(n * bits as usize / 8);
    for &v in &values {
        push_sample(&mut samples, v, bits, float || aiff_float, !aiff);
    }
    let size = samples.len() as u32;
    // How many bytes the header claims the data has.
    let claimed = match lie {
        1 => size.saturating_add(4096),
        2 => size / 2,
        3 => u32::MAX,
        4 => size | 1,
        _ => size,
    };
    let bytes = if aiff {
        aiff_file(rate, channels, bits, aiff_float, claimed, &samples)
    } else {
        wav_file(
            rate,
            channels,
            bits,
            float,
            container == 6,
            lie == 5,
            claimed,
            &samples,
        )
    };
    HostileFile {
        bytes,
        ext: Some(if aiff { "aiff" } else { "wav" }),
        raw: false,
    }
}

#[allow(clippy::too_many_arguments)]
fn wav_file(
    rate: u32,
    channels: u16,
    bits: u32,
    float: bool,
    extensible: bool,
    extra_chunks: bool,
    claimed: u32,
    samples: &[u8],
) -> Vec<u8> {
    let block = channels as u32 * bits / 8;
    let mut fmt = Vec::new();
    let tag: u16 = if extensible {
        0xfffe
    } else if float {
        3
    } else {
        1
    };
    fmt.extend_from_slice(&tag.to_le_bytes());
    fmt.extend_from_slice(&channels.to_le_bytes());
    fmt.extend_from_slice(&rate.to_le_bytes());
    fmt.extend_from_slice(&rate.wrapping_mul(block).to_le_bytes());
    fmt.extend_from_slice(&(block as u16).to_le_bytes());
    fmt.extend_from_slice(&(bits as u16).to_le_bytes());
    if extensible {
        fmt.extend_from_slice(&22u16.to_le_bytes());
        fmt.extend_from_slice(&(bits as u16).to_le_bytes());
        fmt.extend_from_slice(&0u32.to_le_bytes()); // channel mask
        let sub: u16 = if float { 3 } else { 1 };
        fmt.extend_from_slice(&sub.to_le_bytes());
        // The rest of KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT.
        fmt.extend_from_slice(&[
            0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71,
        ]);
    } else if float {
        fmt.extend_from_slice(&0u16.to_le_bytes());
    }
    let mut body = b"WAVE".to_vec();
    chunk(&mut body, b"fmt ", fmt.len() as u32, &fmt, true);
    if float || extra_chunks {
        let frames = samples.len() as u32 / block.max(1);
        chunk(&mut body, b"fact", 4, &frames.to_le_bytes(), true);
    }
    if extra_chunks {
        chunk(&mut body, b"FLLR", 7, &[0; 7], true);
        chunk(&mut body, b"LIST", 4, b"INFO", true);
    }
    let before_data = body.len();
    chunk(&mut body, b"data", claimed, samples, true);
    // The RIFF size agrees with the data chunk's claim (a truncated file's header promises the
    // whole file), so the decoder gets past the container to the samples.
    let riff = (before_data as u64 + 8 + claimed as u64).min(u32::MAX as u64) as u32;
    let mut b = b"RIFF".to_vec();
    b.extend_from_slice(&riff.to_le_bytes());
    b.extend_from_slice(&body);
    b
}

fn aiff_file(
    rate: u32,
    channels: u16,
    bits: u32,
    float: bool,
    claimed: u32,
    samples: &[u8],
) -> Vec<u8> {
    let frames = samples.len() as u32 / (channels.max(1) as u32 * bits / 8);
    let mut comm = Vec::new();
    comm.extend_from_slice(&channels.to_be_bytes());
    comm.extend_from_slice(&frames.to_be_bytes());
    comm.extend_from_slice(&(bits as u16).to_be_bytes());
    comm.extend_from_slice(&extended(rate as f64));
    if float {
        comm.extend_from_slice(b"fl32");
        comm.extend_from_slice(&[0, 0]); // empty pascal string, padded
    }
    let mut body = if float {
        b"AIFC".to_vec()
    } else {
        b"AIFF".to_vec()
    };
    chunk(&mut body, b"COMM", comm.len() as u32, &comm, false);
    let mut ssnd = vec![0u8; 8]; // offset, block size
    ssnd.extend_from_slice(samples);
    let before_data = body.len();
    chunk(&mut body, b"SSND", claimed.saturating_add(8), &ssnd, false);
    let form = (before_data as u64 + 16 + claimed as u64).min(u32::MAX as u64) as u32;
    let mut b = b"FORM".to_vec();
    b.extend_from_slice(&form.to_be_bytes());
    b.extend_from_slice(&body);
    b
}

/// Appends a chunk: id, the `claimed` size, then `data` (padded to even length).
fn chunk(out: &mut Vec<u8>, id: &[u8; 4], claimed: u32, data: &[u8], le: bool) {
    out.extend_from_slice(id);
    out.extend_from_slice(&if le {
        claimed.to_le_bytes()
    } else {
        claimed.to_be_bytes()
    });
    out.extend_from_slice(data);
    if data.len() % 2 == 1 {
        out.push(0);
    }
}

/// An 80-bit IEEE extended float (AIFF's sample rate field).
fn extended(v: f64) -> [u8; 10] {
    let mut out = [0u8; 10];
    if !(v > 0.0 && v.is_finite()) {
        return out;
    }
    let exp = v.log2().floor() as i32;
    let mant = (v / 2f64.powi(exp) * (1u64 << 63) as f64) as u64;
    let e = (exp + 16383) as u16;
    out[..2].copy_from_slice(&e.to_be_bytes());
    out[2..].copy_from_slice(&mant.to_be_bytes());
    out
}

/// Turns a fuzzer's input into samples and a rate, as code taking samples directly (Python
/// arrays, live PCM) would be given them: the same payload shapes as [`file`](fn@file), unchecked.
pub fn samples(data: &[u8]) -> (Vec<f32>, u32) {
    let mut c = Choices { data, pos: 0 };
    let rate = rate(&mut c);
    let frames = (c.u16() as usize * 3) % MAX_FRAMES;
    let y = payload(&mut c, frames)
        .into_iter()
        .map(|v| v as f32)
        .collect();
    (y, rate)
}

/// A decompression bomb: a valid FLAC of `seconds` of digital silence at `rate` Hz (mono,
/// 16-bit) with a 2 ms click every minute: 11 bytes per 4096 samples of silence, 8 KiB per
/// click (a 3-hour file at 8 kHz is 1.7 MB and decodes to 86 million samples). What a reader that holds a whole
/// recording in memory must refuse, and a streaming one must get through in bounded memory.
///
/// ```
/// let flac = emovox_audio::hostile::flac_bomb(90.0, 8_000);
/// let clip = emovox_audio::decode_bytes(&flac, Some("flac"), &Default::default())?;
/// assert_eq!(clip.samples.len(), 90 * 8_000);
/// assert_eq!(clip.samples.iter().filter(|&&v| v != 0.0).count(), 2 * 16);
/// # Ok::<(), emovox_audio::Error>(())
/// ```
pub fn flac_bomb(seconds: f64, rate: u32) -> Vec<u8> {
    const BLOCK: usize = 4096;
    let rate = rate.clamp(1, 655_350);
    let total = (seconds.max(0.0) * rate as f64) as u64;
    let mut out = b"fLaC".to_vec();
    // STREAMINFO, the last metadata block.
    out.extend_from_slice(&[0x80, 0, 0, 34]);
    out.extend_from_slice(&(BLOCK as u16).to_be_bytes());
    out.extend_from_slice(&(BLOCK as u16).to_be_bytes());
    out.extend_from_slice(&[0; 6]); // frame sizes unknown
                                    // rate (20 bits), channels - 1 (3), bits - 1 (5), total samples (36).
    let packed: u64 = ((rate as u64) << 44) | (15 << 36) | (total & 0xF_FFFF_FFFF);
    out.extend_from_slice(&packed.to_be_bytes());
    out.extend_from_slice(&[0; 16]); // no MD5
    let click_every = 60 * rate as u64;
    let click_len = (rate as usize / 500).max(1);
    let mut at = 0u64;
    let mut frame_no = 0u64;
    while at < total {
        let n = (total - at).min(BLOCK as u64) as usize;
        let mut f = vec![0xFF, 0xF8];
        // Block size: 4096 (code 12), or the exact size in 16 bits after the header (code 7).
        let size_code: u8 = if n == BLOCK { 12 } else { 7 };
        f.push(size_code << 4); // rate from STREAMINFO
        f.push(0x08); // mono, 16-bit
        push_utf8(&mut f, frame_no);
        if size_code == 7 {
            f.extend_from_slice(&((n - 1) as u16).to_be_bytes());
        }
        f.push(crc8(&f));
        // A click starts in this block: VERBATIM; otherwise CONSTANT zero.
        let next_click = at.div_ceil(click_every) * click_every;
        if next_click < at + n as u64 {
            f.push(0x02);
            let from = (next_click - at) as usize;
            for i in 0..n {
                let v: i16 = if i >= from && i < from + click_len {
                    20_000
                } else {
                    0
                };
                f.extend_from_slice(&v.to_be_bytes());
            }
        } else {
            f.push(0x00);
            f.extend_from_slice(&0i16.to_be_bytes());
        }
        f.extend_from_slice(&crc16(&f).to_be_bytes());
        out.extend_from_slice(&f);
        at += n as u64;
        frame_no += 1;
    }
    out
}

/// FLAC's frame number: UTF-8's variable-length coding stretched to 36 bits.
fn push_utf8(out: &mut Vec<u8>, v: u64) {
    if v < 0x80 {
        out.push(v as u8);
        return;
    }
    let mut n = 2; // bytes
    while n < 7 && v >= 1u64 << (5 * n + 1) {
        n += 1;
    }
    let first_bits = 7 - n as u32;
    out.push(
        (0xFFu16 << (8 - n) & 0xFF) as u8 | (v >> (6 * (n - 1))) as u8 & ((1u8 << first_bits) - 1),
    );
    for k in (0..n - 1).rev() {
        out.push(0x80 | ((v >> (6 * k)) & 0x3F) as u8);
    }
}

fn crc8(b: &[u8]) -> u8 {
    b.iter().fold(0u8, |mut c, &x| {
        c ^= x;
        for _ in 0..8 {
            c = if c & 0x80 != 0 {
                (c << 1) ^ 0x07
            } else {
                c << 1
            };
        }
        c
    })
}

fn crc16(b: &[u8]) -> u16 {
    b.iter().fold(0u16, |mut c, &x| {
        c ^= (x as u16) << 8;
        for _ in 0..8 {
            c = if c & 0x8000 != 0 {
                (c << 1) ^ 0x8005
            } else {
                c << 1
            };
        }
        c
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{decode_bytes, DecodeOptions, Error};

    #[test]
    fn every_container_choice_builds_a_file_the_decoder_reads() {
        // container, rate index, channels choice, no lie, 1000 frames, shape 0 (the bytes).
        for container in 0..8u8 {
            let mut input = vec![container, 7, 0, 0];
            input.extend_from_slice(&1000u16.to_le_bytes());
            input.push(0);
            input.extend((0..255).map(|i| i as u8));
            let f = file(&input);
            let d = decode_bytes(&f.bytes, f.ext, &DecodeOptions::new())
                .unwrap_or_else(|e| panic!("container {container}: {e}"));
            assert_eq!(d.sample_rate, 48000, "container {container}");
            assert_eq!(d.samples.len(), 3000, "container {container}");
        }
    }

    #[test]
    fn the_huge_payload_is_the_issue_15_file() {
        // Float32 WAV at 44.1 kHz, mono, data chunk claiming more than follows, huge samples.
        let mut input = vec![4, 6, 0, 1];
        input.extend_from_slice(&2000u16.to_le_bytes());
        input.push(1);
        input.push(7);
        let f = file(&input);
        let e = decode_bytes(&f.bytes, f.ext, &DecodeOptions::new()).unwrap_err();
        assert!(matches!(e, Error::SampleRange { .. }), "{e:?}");
    }

    #[test]
    fn short_inputs_do_not_panic() {
        for n in 0..12 {
            let data = vec![0xffu8; n];
            let _ = file(&data);
            let _ = samples(&data);
        }
    }

    #[test]
    fn a_flac_bomb_decodes_to_its_length_with_a_click_a_minute() {
        // Frame numbers past 0x7F and 0x7FF take 2 and 3 bytes; a short last block.
        let flac = flac_bomb(1200.5, 8_000);
        assert!(flac.len() < 300_000, "{} bytes", flac.len());
        let clip = decode_bytes(&flac, Some("flac"), &DecodeOptions::new()).unwrap();
        assert_eq!(clip.samples.len(), 9_604_000);
        assert!(!clip.truncated && clip.skipped_packets == 0);
        let clicks = clip.samples.iter().filter(|&&v| v != 0.0).count();
        assert_eq!(clicks, 21 * 16);
        // And a reader that holds whole clips refuses it without decoding it all.
        let e = decode_bytes(&flac, None, &DecodeOptions::new().longest(Some(600.0))).unwrap_err();
        assert!(matches!(e, Error::TooLong { .. }), "{e}");
    }
}
