//! Any supported file or byte buffer -> mono f32 at the stream's native sample rate.
//!
//! * Containers and codecs through symphonia 0.6; the container is found by sniffing the bytes,
//!   never the file name (AIFF data behind a `.wav` name decodes as AIFF). The extension is passed
//!   as a hint only.
//! * Opus (in OGG) through libopus (feature `opus`), at 48 kHz like libsndfile and ffmpeg, with
//!   the OpusHead pre-skip and output gain applied and the last page's end trim honoured.
//! * M4A/AAC: symphonia 0.6.1's MP4 reader ignores edit lists, so AAC would keep its 1024 priming
//!   samples; the first audio track's `elst` is read here and applied as ffmpeg does.
//! * Channels are averaged to mono (librosa `to_mono`). Integer PCM is scaled as libsndfile does:
//!   int16 / 32768, int24 / 2^23, int32 / 2^31, uint8 (x - 128) / 128; the result is bit-identical
//!   to `librosa.load(path, sr=None)` for WAV, AIFF and FLAC.
//! * [`DecodeOptions::max_seconds`] stops decoding once that much audio is decoded, so a pipeline
//!   that reads the first 1.9 s of a clip never decodes the rest.
//! * [`DecodeOptions::start_seconds`] skips the start of the stream. FLAC and PCM (WAV, AIFF)
//!   seek there (`SeekMode::Accurate`, then the frames between the packet boundary and the exact
//!   start are decoded and dropped, as symphonia's documentation describes), so a pipeline that
//!   reads 0.4 s..1.9 s never decodes the first 0.4 s. Their packets decode independently, so the
//!   samples are bit-identical to decoding from the start and slicing; lossy codecs, whose
//!   packets depend on the ones before, decode from the start and drop. If a seek fails or lands
//!   after the start (a damaged file), the stream is decoded again from the start.
//! * Bad input never panics: every failure is an [`Error`] saying why, and a panic inside a
//!   third-party decoder is caught and reported as [`Error::DecoderPanic`]. Samples beyond any
//!   audio scale (a corrupt float file) are refused with [`Error::SampleRange`]
//!   ([`guard`](crate::guard)).

use std::fs::File;
use std::io::{self, Cursor};
use std::path::Path;

use symphonia::core::audio::GenericAudioBufferRef;
use symphonia::core::codecs::audio::well_known::CODEC_ID_OPUS;
use symphonia::core::codecs::audio::CODEC_ID_NULL_AUDIO;
use symphonia::core::codecs::audio::{
    AudioCodecId, AudioCodecParameters, AudioDecoder, AudioDecoderOptions,
};
use symphonia::core::codecs::CodecParameters;
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, SeekMode, SeekTo, Track};
use symphonia::core::io::{MediaSource, MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::MetadataOptions;
#[cfg(feature = "opus")]
use symphonia::core::packet::Packet;
use symphonia::core::units::Timestamp;

use crate::{Error, Result};

#[cfg(feature = "opus")]
mod libopus;
mod mono;
mod mp4;
mod probe;
mod source;

#[cfg(feature = "opus")]
use libopus::*;
use mono::*;
use mp4::*;
use probe::*;
pub use probe::{probe_file, Probe};
use source::*;

/// Decoded audio: mono samples at the stream's native sample rate.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// Mono samples (mean of all channels), nominally in [-1, 1] (float files may exceed it).
    pub samples: Vec<f32>,
    /// Native sample rate in Hz (48000 for Opus).
    pub sample_rate: u32,
    /// Channels in the source, before the mono mix.
    pub channels: u16,
    /// `container/codec`, e.g. `wave/pcm_s16le`, `ogg/opus`, `isomp4/aac`.
    pub format: String,
    /// The stream ended early (truncated file, or a read error mid-stream); the samples decoded
    /// up to that point are returned.
    pub truncated: bool,
    /// Packets skipped because they failed to decode.
    pub skipped_packets: usize,
    /// NaN or infinite samples (corrupt float PCM) replaced by 0.
    pub nonfinite_zeroed: usize,
    /// Frames of the stream before `samples[0]`: `floor(start_seconds * sample_rate)` when
    /// [`DecodeOptions::start_seconds`] was set, 0 otherwise. When the stream ends before that
    /// point, `samples` is empty and this is the stream's length in frames.
    pub start_frame: usize,
}

impl Decoded {
    /// Duration in seconds.
    pub fn duration(&self) -> f64 {
        self.samples.len() as f64 / self.sample_rate as f64
    }

    /// Largest absolute sample value.
    pub fn peak(&self) -> f32 {
        self.samples.iter().fold(0.0, |m, v| m.max(v.abs()))
    }

    /// Root mean square of all samples.
    pub fn rms(&self) -> f32 {
        let sum: f64 = self.samples.iter().map(|&v| v as f64 * v as f64).sum();
        (sum / self.samples.len().max(1) as f64).sqrt() as f32
    }
}

/// How to decode.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DecodeOptions {
    start_seconds: Option<f64>,
    max_seconds: Option<f64>,
    longest: Option<f64>,
}

impl DecodeOptions {
    /// Decode all of the stream (the default).
    pub fn new() -> Self {
        Self::default()
    }

    /// Stop after at least `seconds` of audio: exactly `ceil(seconds * rate)` frames are kept
    /// (fewer if the stream is shorter). Counted from the start of the stream, not from
    /// [`start_seconds`](Self::start_seconds). Default: `None`, decode everything.
    pub fn max_seconds(mut self, seconds: Option<f64>) -> Self {
        self.max_seconds = seconds;
        self
    }

    /// Start `seconds` into the stream: the first `floor(seconds * rate)` frames are skipped, as
    /// `librosa.load(offset=seconds)` skips `int(offset * sr)`, and [`Decoded::start_frame`] says
    /// how many were. FLAC and PCM seek there without decoding what comes before (with the same
    /// samples as a decode from the start); other codecs decode and drop. Default: `None`, start
    /// at the first frame.
    pub fn start_seconds(mut self, seconds: Option<f64>) -> Self {
        self.start_seconds = seconds;
        self
    }

    /// Refuse a stream with more than `seconds` of audio ([`Error::TooLong`]), decoding no
    /// more than that: what keeps a reader that holds a whole clip in memory safe from a
    /// recording hours long, or a small file that decompresses to one. Counted from the start of
    /// the stream. Default: `None`, any length (for a reader that streams, such as
    /// [`decode_file_chunks`]).
    pub fn longest(mut self, seconds: Option<f64>) -> Self {
        self.longest = seconds;
        self
    }

    fn check(&self) -> Result<()> {
        check_max_seconds(self.max_seconds)?;
        check_max_seconds(self.longest)?;
        match (self.start_seconds, self.max_seconds) {
            (Some(s), _) if !(s >= 0.0 && s.is_finite()) => Err(Error::InvalidParameter(format!(
                "start_seconds must be a finite number >= 0, got {s}"
            ))),
            (Some(s), Some(m)) if m <= s => Err(Error::InvalidParameter(format!(
                "max_seconds ({m}) must be after start_seconds ({s})"
            ))),
            _ => Ok(()),
        }
    }
}

/// Decodes a file; errors name the file.
pub fn decode_file(path: &Path, opts: &DecodeOptions) -> Result<Decoded> {
    with_file(path, opts, |open, ext| decode_impl(open, ext, opts)).map_err(|e| e.in_file(path))
}

/// Decodes bytes held in memory. `ext_hint` (e.g. `Some("wav")`) is optional and only a hint.
pub fn decode_bytes(bytes: &[u8], ext_hint: Option<&str>, opts: &DecodeOptions) -> Result<Decoded> {
    with_bytes(bytes, opts, |open| decode_impl(open, ext_hint, opts))
}

/// Decodes a file piece by piece, in bounded memory whatever its length: `each(samples,
/// sample_rate)` gets consecutive pieces of the mono stream (about 65 536 samples each, the last
/// one shorter) as they are decoded; an error it returns stops the decode and is returned. The
/// pieces joined are exactly [`decode_file`]'s samples. The [`Decoded`] returned describes the
/// stream; its `samples` are empty. [`DecodeOptions::start_seconds`] decodes and drops the
/// start (no seeking). Errors name the file.
///
/// ```no_run
/// use emovox_audio::{decode_file_chunks, DecodeOptions};
///
/// let mut frames = 0usize;
/// let info = decode_file_chunks("ten-hours.flac".as_ref(), &DecodeOptions::new(), &mut |y, _rate| {
///     frames += y.len();
///     Ok(())
/// })?;
/// println!("{:.0} s of {}", frames as f64 / info.sample_rate as f64, info.format);
/// # Ok::<(), emovox_audio::Error>(())
/// ```
pub fn decode_file_chunks(
    path: &Path,
    opts: &DecodeOptions,
    each: &mut dyn FnMut(&[f32], u32) -> Result<()>,
) -> Result<Decoded> {
    with_file(path, opts, |open, ext| stream_impl(open, ext, opts, each))
        .map_err(|e| e.in_file(path))
}

/// [`decode_file_chunks`] for bytes held in memory.
pub fn decode_bytes_chunks(
    bytes: &[u8],
    ext_hint: Option<&str>,
    opts: &DecodeOptions,
    each: &mut dyn FnMut(&[f32], u32) -> Result<()>,
) -> Result<Decoded> {
    with_bytes(bytes, opts, |open| stream_impl(open, ext_hint, opts, each))
}

enum Backend {
    Sym(Box<dyn AudioDecoder>),
    #[cfg(feature = "opus")]
    Opus(OpusState),
}

fn limit_frames(max_seconds: Option<f64>, rate: u32) -> Option<usize> {
    // At least `max_seconds`: callers crop precisely afterwards (librosa rounds offset and
    // duration separately, which can reach one frame past `floor(end * rate)`).
    max_seconds.map(|s| (s * rate as f64).ceil() as usize)
}

/// The first frame kept for `start_seconds` at `rate`: `int(offset * sr)`, as `librosa.load`
/// (and `emovox_features::Crop::range`) compute it.
fn start_frame(start_seconds: Option<f64>, rate: u32) -> usize {
    start_seconds.map_or(0, |s| (s * rate as f64) as usize)
}

/// Codecs whose packets decode independently of the packets before them, so that seeking to a
/// packet boundary and decoding from there gives exactly the samples a decode from the start
/// gives: FLAC (every frame restarts its predictor) and uncompressed PCM. Lossy codecs (MP3 bit
/// reservoir, AAC/Vorbis/Opus overlap-add) need the packets before; they decode and drop.
fn seeks_exactly(codec: &str) -> bool {
    codec == "flac" || codec.starts_with("pcm_")
}

/// Why one decoding pass stopped without a result.
enum PassError {
    /// Seeking was not exact for this stream: decode again from the start.
    SeekNotExact,
    /// A real error, reported to the caller.
    Fail(Error),
}

impl From<Error> for PassError {
    fn from(e: Error) -> Self {
        PassError::Fail(e)
    }
}

fn decode_impl<'s>(open: &Opener<'s>, ext: Option<&str>, opts: &DecodeOptions) -> Result<Decoded> {
    match decode_pass(open, ext, opts, true, None) {
        Ok(d) => Ok(d),
        Err(PassError::Fail(e)) => Err(e),
        // Seeking failed or was not sample-exact (damaged file, odd timestamps): the slow, sure
        // way gives the same samples the fast one would have.
        Err(PassError::SeekNotExact) => match decode_pass(open, ext, opts, false, None) {
            Ok(d) => Ok(d),
            Err(PassError::Fail(e)) => Err(e),
            Err(PassError::SeekNotExact) => Err(Error::Corrupt("seek failed".into())),
        },
    }
}

/// Where a streamed decode's samples go: `(samples, sample_rate)`, consecutive pieces.
type Sink<'a> = &'a mut dyn FnMut(&[f32], u32) -> Result<()>;

/// Samples a streamed decode holds before handing them to its sink.
const STREAM_CHUNK: usize = 1 << 16;

/// Zeroes NaN/infinite samples (corrupt float PCM), returning how many there were, then refuses
/// samples beyond any audio scale.
///
/// librosa would reject such a buffer later (valid_audio), so they are zeroed here and counted.
/// Counted first with a branch-free test on the exponent bits, which compiles to SIMD: the
/// fix-up loop (a branch per sample, which was 4 % of a seed-pipeline run) only runs when there
/// is something to fix. Finite values beyond any audio scale (a corrupt float file) are refused
/// before any resampler or FFT sees them (see `guard`).
fn clean_samples(out: &mut [f32]) -> Result<usize> {
    let nonfinite = out
        .iter()
        .map(|x| usize::from(x.to_bits() & 0x7f80_0000 == 0x7f80_0000))
        .sum::<usize>();
    if nonfinite > 0 {
        for x in out.iter_mut() {
            if !x.is_finite() {
                *x = 0.0;
            }
        }
    }
    crate::guard::check_samples(out)?;
    Ok(nonfinite)
}

/// One decoding pass. With a `sink`, samples go to it in pieces of about [`STREAM_CHUNK`] as
/// they are decoded (never seeking: `allow_seek` must be false) and the result's `samples` is
/// empty; without one they are collected.
fn stream_impl<'s>(
    open: &Opener<'s>,
    ext: Option<&str>,
    opts: &DecodeOptions,
    each: &mut dyn FnMut(&[f32], u32) -> Result<()>,
) -> Result<Decoded> {
    match decode_pass(open, ext, opts, false, Some(each)) {
        Ok(d) => Ok(d),
        Err(PassError::Fail(e)) => Err(e),
        Err(PassError::SeekNotExact) => Err(Error::Corrupt("seek failed".into())),
    }
}

/// The decoder for `track`: libopus for Opus (feature `opus`), else symphonia's; and the
/// codec's short name.
fn make_backend(track: &Track, params: &AudioCodecParameters) -> Result<(Backend, String)> {
    #[cfg(feature = "opus")]
    if params.codec == CODEC_ID_OPUS {
        return Ok((Backend::Opus(OpusState::new(track)?), "opus".to_string()));
    }
    #[cfg(not(feature = "opus"))]
    let _ = track;
    let dec = symphonia::default::get_codecs()
        .make_audio_decoder(params, &AudioDecoderOptions::default())
        .map_err(|e| match e {
            SymError::Unsupported(m) => {
                Error::UnsupportedCodec(format!("{} ({m})", codec_name(params.codec)))
            }
            other => Error::Corrupt(format!("cannot set up decoder: {other}")),
        })?;
    let codec = dec.codec_info().short_name.to_string();
    Ok((Backend::Sym(dec), codec))
}

/// Seeks `format` to frame `start` of `track_id` (exactly: `SeekMode::Accurate`) and resets
/// the decoder; `Ok(true)` when it did. A seek that fails (past the end, not seekable) is
/// [`PassError::SeekNotExact`]: the pass is run again from the start, which also measures how
/// long the stream really is.
fn seek_to(
    format: &mut dyn FormatReader,
    backend: &mut Backend,
    start: usize,
    track_id: u32,
) -> std::result::Result<bool, PassError> {
    let to = SeekTo::Timestamp {
        ts: Timestamp::new(start as i64),
        track_id,
    };
    match format.seek(SeekMode::Accurate, to) {
        Ok(_) => {
            // Without the `opus` feature `Backend` has this one variant.
            #[allow(irrefutable_let_patterns)]
            if let Backend::Sym(dec) = backend {
                dec.reset();
            }
            Ok(true)
        }
        Err(_) => Err(PassError::SeekNotExact),
    }
}

/// Why a stream gave no samples at all, from what the packet loop saw.
fn no_audio_reason(
    packets_seen: usize,
    skipped: usize,
    end_err: Option<String>,
    last_err: Option<String>,
) -> String {
    if packets_seen == 0 {
        match end_err {
            Some(e) => format!("no audio packets could be read ({e})"),
            None => "the stream contains no audio packets".into(),
        }
    } else if skipped == packets_seen {
        format!(
            "all {skipped} packets failed to decode (last error: {})",
            last_err.unwrap_or_default()
        )
    } else {
        match end_err {
            Some(e) => format!("stream ended before any samples were produced ({e})"),
            None => "the decoder produced no samples".into(),
        }
    }
}

fn decode_pass<'s>(
    open: &Opener<'s>,
    ext: Option<&str>,
    opts: &DecodeOptions,
    allow_seek: bool,
    mut sink: Option<Sink<'_>>,
) -> std::result::Result<Decoded, PassError> {
    let max_seconds = opts.max_seconds;
    let mut format = open_format(open, ext)?;
    let container = format.format_info().short_name;
    let track = select_track(format.tracks())?;
    let track_id = track.id;
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .cloned()
        .ok_or(Error::NoAudioTrack)?;

    let (mut backend, codec) = make_backend(&track, &params)?;
    let opus = codec == "opus";

    // Rate/channels as declared by the container; replaced by what the decoder really outputs.
    let mut rate: u32 = if opus {
        48_000
    } else {
        params.sample_rate.unwrap_or(0)
    };
    let declared_rate = rate;
    let mut channels: u16 = params
        .channels
        .as_ref()
        .map(|c| c.count() as u16)
        .unwrap_or(0);
    #[cfg(feature = "opus")]
    if let Backend::Opus(st) = &backend {
        channels = st.channels as u16;
    }
    let mut limit = if rate > 0 {
        limit_frames(max_seconds, rate)
    } else {
        None
    };
    let mut got_audio = false;

    // MP4/M4A: apply the edit list (encoder priming / padding) ourselves.
    let trim = match (container, params.sample_rate) {
        ("isomp4", Some(r)) if r > 0 => open()
            .ok()
            .and_then(|mut src| mp4_edit_trim(src.as_mut(), r))
            .unwrap_or_default(),
        _ => EditTrim::default(),
    };

    // Where the caller wants the samples to start, in frames of the stream (after the edit
    // list's priming). Known now if the container declares its rate, else at the first buffer.
    let mut start = (rate > 0).then(|| start_frame(opts.start_seconds, rate));
    // Seek there instead of decoding what comes before, where that is exact.
    let seeked = allow_seek
        && !opus
        && seeks_exactly(&codec)
        && trim.skip == 0
        && match start.filter(|&s| s > 0) {
            Some(s) => seek_to(format.as_mut(), &mut backend, s, track_id)?,
            None => false,
        };
    // Frame index in the stream of the next decoded frame (set from the first packet's
    // timestamp after a seek), and frames still to decode and throw away before `start`.
    let mut position: usize = 0;
    let mut to_drop: Option<usize> = start.map(|s| trim.skip + s);
    let mut dropped = 0usize;

    let mut out: Vec<f32> = Vec::new();
    if let Some(n) = track.num_frames {
        let cap = limit.map_or(n as usize, |l| l.min(n as usize));
        let most = if sink.is_some() {
            2 * STREAM_CHUNK
        } else {
            1 << 26
        };
        out.reserve(cap.saturating_sub(start.unwrap_or(0)).min(most));
    }
    // Samples already handed to the sink, and NaN/infinite ones zeroed in them.
    let mut emitted = 0usize;
    let mut nonfinite = 0usize;
    let mut planes: Vec<Vec<f32>> = Vec::new();
    let mut truncated = false;
    let mut skipped = 0usize;
    let mut packets_seen = 0usize;
    let mut last_err: Option<String> = None;
    let mut end_err: Option<String> = None;

    loop {
        if let (Some(l), Some(s)) = (limit, start) {
            if to_drop == Some(0) && emitted + out.len() >= l.saturating_sub(s) {
                break;
            }
        }
        if let (Some(l), true) = (opts.longest, rate > 0) {
            let most = (l * rate as f64).ceil() as usize;
            if position + dropped.saturating_sub(trim.skip) + emitted + out.len() > most
                && trim.keep.is_none_or(|k| k > most)
            {
                return Err(Error::TooLong { limit: l }.into());
            }
        }
        if let Some(sink) = sink.as_mut() {
            if to_drop == Some(0) && out.len() >= STREAM_CHUNK {
                // Nothing is dropped from here on, so where the samples start is known and the
                // edit list's end and `max_seconds` can be applied piece by piece.
                let start_at = position + dropped.saturating_sub(trim.skip);
                let most = [trim.keep, limit]
                    .into_iter()
                    .flatten()
                    .map(|k| k.saturating_sub(start_at))
                    .min();
                if let Some(m) = most {
                    out.truncate(m.saturating_sub(emitted));
                }
                nonfinite += clean_samples(&mut out)?;
                sink(&out, rate)?;
                emitted += out.len();
                out.clear();
                if most.is_some_and(|m| emitted >= m) {
                    break;
                }
            }
        }
        let packet = match format.next_packet() {
            Ok(Some(p)) => p,
            Ok(None) => break,
            // Chained OGG stream / track list change: treat as end of the first stream.
            Err(SymError::ResetRequired) => break,
            Err(SymError::IoError(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
                // Normal end for some readers, or a truncated file: keep what we have.
                if packets_seen > 0 {
                    truncated = true;
                }
                end_err = Some(format!("unexpected end of file: {e}"));
                break;
            }
            Err(e) => {
                if seeked {
                    return Err(PassError::SeekNotExact);
                }
                truncated = true;
                end_err = Some(e.to_string());
                break;
            }
        };
        if packet.track_id != track_id {
            continue;
        }
        if seeked && packets_seen == 0 {
            // The seek landed on the packet holding `start` or one before it; anything else
            // (a timestamp past `start`, or a negative one) cannot be made exact.
            let s = start.unwrap_or(0);
            let pts = packet.pts.get();
            if pts < 0 || pts as u64 > s as u64 {
                return Err(PassError::SeekNotExact);
            }
            position = pts as usize;
            to_drop = Some(s - position);
        }
        packets_seen += 1;

        match &mut backend {
            Backend::Sym(dec) => match dec.decode(&packet) {
                Ok(buf) => {
                    let frames = buf.frames();
                    if frames == 0 {
                        continue;
                    }
                    let spec = buf.spec();
                    if !got_audio {
                        got_audio = true;
                        rate = spec.rate();
                        channels = spec.channels().count() as u16;
                        limit = limit_frames(max_seconds, rate);
                        if seeked && rate != declared_rate {
                            // The seek used the container's rate, the decoder disagrees.
                            return Err(PassError::SeekNotExact);
                        }
                        if start.is_none() {
                            let s = start_frame(opts.start_seconds, rate);
                            start = Some(s);
                            to_drop = Some(trim.skip + s);
                        }
                    } else if spec.rate() != rate {
                        // Mid-stream sample-rate change (rare, e.g. concatenated MP3s): stop.
                        truncated = true;
                        end_err = Some(format!("sample rate changed {rate} -> {}", spec.rate()));
                        break;
                    }
                    let drop = to_drop.unwrap_or(0).min(frames);
                    push_mono(&mut out, &mut planes, &buf, drop);
                    to_drop = to_drop.map(|d| d - drop);
                    dropped += drop;
                }
                Err(SymError::DecodeError(m)) => {
                    if seeked {
                        return Err(PassError::SeekNotExact);
                    }
                    skipped += 1;
                    last_err = Some(format!("malformed packet: {m}"));
                }
                Err(SymError::IoError(e)) => {
                    if seeked {
                        return Err(PassError::SeekNotExact);
                    }
                    skipped += 1;
                    last_err = Some(format!("packet i/o error: {e}"));
                }
                Err(e) => {
                    if seeked {
                        return Err(PassError::SeekNotExact);
                    }
                    // Unsupported feature / limit / reset: cannot continue with this decoder.
                    end_err = Some(e.to_string());
                    truncated = true;
                    break;
                }
            },
            #[cfg(feature = "opus")]
            Backend::Opus(st) => match st.decode(&packet) {
                Ok(frames) => {
                    got_audio = true;
                    let n = channels.max(1) as usize;
                    let before = out.len();
                    push_mono_interleaved(&mut out, frames, n);
                    let drop = to_drop.unwrap_or(0).min(out.len() - before);
                    out.drain(before..before + drop);
                    to_drop = to_drop.map(|d| d - drop);
                    dropped += drop;
                }
                Err(m) => {
                    skipped += 1;
                    last_err = Some(format!("libopus: {m}"));
                }
            },
        }
    }

    // Frames of the stream (after the edit list's priming) that came before `out[0]`.
    let stream_dropped = dropped.saturating_sub(trim.skip);
    let mut start_at = position + stream_dropped;
    if let Some(k) = trim.keep {
        // Frames past the edit list's end are encoder padding, not part of the stream.
        out.truncate(k.saturating_sub(start_at).saturating_sub(emitted));
        start_at = start_at.min(k);
    }
    if out.is_empty() && seeked {
        // Nothing after the seek (e.g. a WAV whose header promises more data than the file
        // has): decode from the start, which tells how long the stream really is.
        return Err(PassError::SeekNotExact);
    }
    if out.is_empty() && emitted == 0 {
        if stream_dropped > 0 || position > 0 {
            // Audio was there, but all of it before `start_seconds`: the clip is shorter.
            return Ok(Decoded {
                samples: out,
                sample_rate: rate,
                channels,
                format: format!("{container}/{codec}"),
                truncated,
                skipped_packets: skipped,
                nonfinite_zeroed: 0,
                start_frame: start_at,
            });
        }
        let why = no_audio_reason(packets_seen, skipped, end_err, last_err);
        return Err(Error::NoAudio(why).into());
    }
    if rate == 0 {
        return Err(Error::Corrupt("sample rate unknown".into()).into());
    }
    if let Some(l) = limit {
        out.truncate(l.saturating_sub(start_at).saturating_sub(emitted));
    }
    nonfinite += clean_samples(&mut out)?;
    if let Some(sink) = sink {
        if !out.is_empty() {
            sink(&out, rate)?;
        }
        out.clear();
    }
    Ok(Decoded {
        samples: out,
        sample_rate: rate,
        channels,
        format: format!("{container}/{codec}"),
        truncated,
        skipped_packets: skipped,
        nonfinite_zeroed: nonfinite,
        start_frame: start_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Seek, SeekFrom};

    /// A mono 16 kHz 32-bit float WAV of `vals`.
    fn float_wav(vals: &[f32]) -> Vec<u8> {
        let data = vals.len() * 4;
        let mut b = Vec::new();
        b.extend_from_slice(b"RIFF");
        b.extend_from_slice(&(36 + data as u32).to_le_bytes());
        b.extend_from_slice(b"WAVEfmt ");
        b.extend_from_slice(&16u32.to_le_bytes());
        b.extend_from_slice(&3u16.to_le_bytes()); // IEEE float
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&16000u32.to_le_bytes());
        b.extend_from_slice(&64000u32.to_le_bytes());
        b.extend_from_slice(&4u16.to_le_bytes());
        b.extend_from_slice(&32u16.to_le_bytes());
        b.extend_from_slice(b"data");
        b.extend_from_slice(&(data as u32).to_le_bytes());
        for v in vals {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b
    }

    #[test]
    fn nonfinite_float_samples_are_zeroed_and_counted() {
        let b = float_wav(&[
            0.5f32,
            f32::NAN,
            -0.25,
            f32::INFINITY,
            f32::NEG_INFINITY,
            0.125,
        ]);
        let d = decode_bytes(&b, Some("wav"), &DecodeOptions::new()).unwrap();
        assert_eq!(d.samples, vec![0.5, 0.0, -0.25, 0.0, 0.0, 0.125]);
        assert_eq!(d.nonfinite_zeroed, 3);
    }

    /// Issue 15: finite samples near f32::MAX decoded fine and then crashed rubato.
    #[test]
    fn r15_huge_finite_float_samples_are_refused_at_decode() {
        let b = float_wav(&[0.5, 3.3e38, -3.0e38, 0.1]);
        let e = decode_bytes(&b, Some("wav"), &DecodeOptions::new()).unwrap_err();
        assert!(matches!(e, Error::SampleRange { count: 2, .. }), "{e:?}");
        assert!(e.to_string().contains("3.3e38"), "{e}");
        // Loud but plausible float audio (clipped mastering, unscaled int16) still decodes.
        let ok = decode_bytes(&float_wav(&[4.0, -32768.0]), None, &DecodeOptions::new()).unwrap();
        assert_eq!(ok.samples, vec![4.0, -32768.0]);
    }

    /// A 16 kHz s16 WAVE_FORMAT_EXTENSIBLE file of `channels` channels with `mask`, 4 frames.
    fn extensible_wav(channels: u16, mask: u32) -> Vec<u8> {
        let data = 4 * 2 * channels as u32;
        let mut b = Vec::new();
        b.extend_from_slice(b"RIFF");
        b.extend_from_slice(&(60 + data).to_le_bytes());
        b.extend_from_slice(b"WAVEfmt ");
        b.extend_from_slice(&40u32.to_le_bytes());
        b.extend_from_slice(&0xFFFEu16.to_le_bytes());
        b.extend_from_slice(&channels.to_le_bytes());
        b.extend_from_slice(&16000u32.to_le_bytes());
        b.extend_from_slice(&(32000 * channels as u32).to_le_bytes());
        b.extend_from_slice(&(2 * channels).to_le_bytes());
        b.extend_from_slice(&16u16.to_le_bytes());
        b.extend_from_slice(&22u16.to_le_bytes()); // cbSize
        b.extend_from_slice(&16u16.to_le_bytes()); // valid bits
        b.extend_from_slice(&mask.to_le_bytes());
        // KSDATAFORMAT_SUBTYPE_PCM
        b.extend_from_slice(&[
            0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38,
            0x9B, 0x71,
        ]);
        b.extend_from_slice(b"data");
        b.extend_from_slice(&data.to_le_bytes());
        b.extend(std::iter::repeat_n(0u8, data as usize));
        b
    }

    /// Found by the `decode` fuzz target: a channel mask with its top bit set and fewer bits than
    /// channels made symphonia-format-riff shift by 32 (a panic with overflow checks).
    #[test]
    fn fuzz_wave_channel_mask_that_cannot_fit_is_an_error_not_a_shift_overflow() {
        for (channels, mask) in [(2, 0x8000_0000u32), (40, 0x3)] {
            let e = decode_bytes(&extensible_wav(channels, mask), None, &DecodeOptions::new())
                .unwrap_err();
            assert!(matches!(e, Error::Corrupt(_)), "{e:?}");
            // Behind an ID3 tag, where the probe still finds the header.
            let mut tagged = b"ID3\x04\0\0\0\0\0\x05TENC\0".to_vec();
            tagged.extend(extensible_wav(channels, mask));
            let e = decode_bytes(&tagged, None, &DecodeOptions::new()).unwrap_err();
            assert!(matches!(e, Error::Corrupt(_)), "{e:?}");
            assert!(
                e.to_string().contains("channel mask") || e.to_string().contains("40 channels"),
                "{e}"
            );
        }
        // Found by the decode target too: 63743 channels overflowed a u16 before symphonia
        // refused the count.
        let mut many = extensible_wav(2, 0x3);
        many[20..22].copy_from_slice(&1u16.to_le_bytes()); // plain PCM
        many[22..24].copy_from_slice(&63743u16.to_le_bytes());
        let e = decode_bytes(&many, None, &DecodeOptions::new()).unwrap_err();
        assert!(e.to_string().contains("63743 channels"), "{e}");
        // The fuzz input's shape: a plain 16-byte fmt chunk.
        let mut plain = float_wav(&[0.0; 4]);
        plain[22..24].copy_from_slice(&63743u16.to_le_bytes());
        let e = decode_bytes(&plain, None, &DecodeOptions::new()).unwrap_err();
        assert!(e.to_string().contains("63743 channels"), "{e}");
        // A mask with too few bits but room above them is repaired, as before.
        let ok = decode_bytes(&extensible_wav(2, 0x1), None, &DecodeOptions::new()).unwrap();
        assert_eq!((ok.sample_rate, ok.samples.len()), (16000, 4));
    }

    #[test]
    fn chunked_file_reads_and_seeks_like_the_file() {
        let path = std::env::temp_dir().join(format!("emovox-chunked-{}.bin", std::process::id()));
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 + i / 255) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        let mut f = ChunkedFile::new(File::open(&path).unwrap(), data.len() as u64);
        let mut state = 12345u64;
        let mut pos = 0usize;
        for _ in 0..2000 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let r = (state >> 33) as usize;
            if r.is_multiple_of(5) {
                pos = r % (data.len() + 10);
                assert_eq!(f.seek(SeekFrom::Start(pos as u64)).unwrap(), pos as u64);
            } else if r.is_multiple_of(7) {
                let back = (r % 5000) as i64;
                let p = f.seek(SeekFrom::Current(-back.min(pos as i64))).unwrap();
                pos = p as usize;
            }
            let want = [1usize, 17, 1024, 4096, 70_000][r % 5];
            let mut buf = vec![0u8; want];
            let n = f.read(&mut buf).unwrap();
            let expect = want.min(data.len().saturating_sub(pos));
            assert!(
                n <= expect && (n > 0 || expect == 0),
                "{n} of {expect} at {pos}"
            );
            assert_eq!(&buf[..n], &data[pos..pos + n]);
            pos += n;
        }
        assert_eq!(f.seek(SeekFrom::End(-10)).unwrap(), data.len() as u64 - 10);
        assert!(f.seek(SeekFrom::Current(-(data.len() as i64))).is_err());
        assert_eq!(f.byte_len(), Some(data.len() as u64));
        let _ = std::fs::remove_file(&path);
    }
}
