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
use symphonia::core::codecs::audio::{AudioCodecId, AudioDecoder, AudioDecoderOptions};
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

/// What a file's container declares about its audio, read without decoding it.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    /// The container, e.g. `wave`, `flac`, `ogg`, `isomp4`.
    pub container: String,
    /// The declared sample rate (48000 for Opus), if the container gives one.
    pub sample_rate: Option<u32>,
    /// The declared number of frames, if the container gives one (a header can lie: a
    /// truncated or hostile file decodes to fewer, or more).
    pub frames: Option<u64>,
}

impl Probe {
    /// The declared duration in seconds, when both rate and frames are declared.
    pub fn duration(&self) -> Option<f64> {
        match (self.sample_rate, self.frames) {
            (Some(r), Some(n)) if r > 0 => Some(n as f64 / r as f64),
            _ => None,
        }
    }
}

/// Reads what `path`'s container declares (for a progress bar's length, say); errors name the
/// file.
pub fn probe_file(path: &Path) -> Result<Probe> {
    let probe = |open: &Opener<'_>, ext: Option<&str>| -> Result<Probe> {
        let format = open_format(open, ext)?;
        let track = select_track(format.tracks())?;
        let params = track.codec_params.as_ref().and_then(|p| p.audio());
        let rate = if params.is_some_and(|p| p.codec == CODEC_ID_OPUS) {
            Some(48_000)
        } else {
            params.and_then(|p| p.sample_rate)
        };
        Ok(Probe {
            container: format.format_info().short_name.to_string(),
            sample_rate: rate,
            frames: track.num_frames,
        })
    };
    with_file(path, &DecodeOptions::new(), probe).map_err(|e| e.in_file(path))
}

fn with_bytes(
    bytes: &[u8],
    opts: &DecodeOptions,
    run: impl FnOnce(&Opener<'_>) -> Result<Decoded>,
) -> Result<Decoded> {
    opts.check()?;
    if bytes.is_empty() {
        return Err(Error::Empty);
    }
    let open = || -> io::Result<Box<dyn MediaSource + '_>> { Ok(Box::new(Cursor::new(bytes))) };
    guarded(|| run(&open))
}

fn with_file<T>(
    path: &Path,
    opts: &DecodeOptions,
    run: impl FnOnce(&Opener<'_>, Option<&str>) -> Result<T>,
) -> Result<T> {
    opts.check()?;
    let meta = std::fs::metadata(path).map_err(Error::Io)?;
    if meta.is_dir() {
        return Err(Error::Io(io::Error::other("is a directory, not a file")));
    }
    if meta.len() == 0 {
        return Err(Error::Empty);
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let open = || -> io::Result<Box<dyn MediaSource>> {
        Ok(Box::new(ChunkedFile::new(File::open(path)?, meta.len())))
    };
    guarded(|| run(&open, ext.as_deref()))
}

/// A file read in large chunks.
///
/// Why: symphonia's `MediaSourceStream` asks its source for 1, 2, 4, ... 32 KiB at a time, and
/// reading the first 1.9 s of a 35-85 KB speech clip cost five to seven `read` system calls (and
/// as many page-cache walks). This reads [`ChunkedFile::CHUNK`] bytes per call, which holds all of
/// it for most clips, and answers seeks inside what it holds (FLAC's seek bisects the file)
/// without a system call.
struct ChunkedFile {
    file: File,
    /// File length in bytes, as `metadata` said.
    len: u64,
    /// Where the OS file position is.
    file_pos: u64,
    /// Bytes `buf_start .. buf_start + filled` of the file.
    buf: Vec<u8>,
    buf_start: u64,
    filled: usize,
    /// Where the next read starts.
    pos: u64,
}

impl ChunkedFile {
    const CHUNK: usize = 64 * 1024;

    fn new(file: File, len: u64) -> Self {
        ChunkedFile {
            file,
            len,
            file_pos: 0,
            buf: Vec::new(),
            buf_start: 0,
            filled: 0,
            pos: 0,
        }
    }

    fn read_at_pos(&mut self, dst: &mut [u8]) -> io::Result<usize> {
        use std::io::{Read, Seek, SeekFrom};
        if self.file_pos != self.pos {
            self.file.seek(SeekFrom::Start(self.pos))?;
            self.file_pos = self.pos;
        }
        let n = self.file.read(dst)?;
        self.file_pos += n as u64;
        Ok(n)
    }
}

impl io::Read for ChunkedFile {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let in_buf = self.pos >= self.buf_start && self.pos < self.buf_start + self.filled as u64;
        if !in_buf {
            if out.len() >= Self::CHUNK {
                // A large read goes straight to the caller's buffer.
                let n = self.read_at_pos(out)?;
                self.pos += n as u64;
                return Ok(n);
            }
            let mut buf = std::mem::take(&mut self.buf);
            buf.resize(Self::CHUNK, 0);
            let r = self.read_at_pos(&mut buf);
            self.buf = buf;
            self.buf_start = self.pos;
            self.filled = 0;
            self.filled = r?;
            if self.filled == 0 {
                return Ok(0);
            }
        }
        let at = (self.pos - self.buf_start) as usize;
        let avail = &self.buf[at..self.filled];
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl io::Seek for ChunkedFile {
    fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
        let target = match to {
            io::SeekFrom::Start(p) => Some(p),
            io::SeekFrom::End(d) => self.len.checked_add_signed(d),
            io::SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        match target {
            Some(p) => {
                self.pos = p;
                Ok(p)
            }
            None => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek to a negative or overflowing position",
            )),
        }
    }
}

impl MediaSource for ChunkedFile {
    fn is_seekable(&self) -> bool {
        true
    }

    fn byte_len(&self) -> Option<u64> {
        Some(self.len)
    }
}

fn check_max_seconds(max_seconds: Option<f64>) -> Result<()> {
    match max_seconds {
        Some(s) if s.is_nan() || s <= 0.0 || !s.is_finite() => Err(Error::InvalidParameter(
            format!("max_seconds must be a positive finite number, got {s}"),
        )),
        _ => Ok(()),
    }
}

/// Last line of defence: a decoder panic on hostile input becomes an error, not a crash.
/// (The default panic hook still prints the panic message to stderr.)
fn guarded<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    crate::guard::catch_panic(f).unwrap_or_else(|msg| Err(Error::DecoderPanic(msg)))
}

type Opener<'s> = dyn Fn() -> io::Result<Box<dyn MediaSource + 's>> + 's;

/// How far into a source [`check_wave_header`] looks for a RIFF/WAVE header: the probe skips
/// ID3 tags and junk to find one, and one read of this much covers the headers met in practice
/// at the cost of a few microseconds per file (the probe itself reads up to 1 MiB).
const HEADER_SEARCH: u64 = 4096;

/// Most channels a WAV file may have (symphonia-format-riff's limit: one per speaker position).
const MAX_WAV_CHANNELS: u32 = 26;

/// Refuses a WAV header symphonia-format-riff 0.6.1 would mis-read: a channel count outside
/// 1..=26 (it refuses those too, after a `u16` overflow), and a WAVE_FORMAT_EXTENSIBLE header
/// whose channel mask it cannot repair: its `fix_wave_channel_mask` shifts a `u32` by 32 when
/// the mask has fewer bits than channels and its top bit set. Both panic with overflow checks
/// (the decoder's guard would make that an error) and wrap without them. Found by the `decode`
/// fuzz target; anything unreadable here is left to the probe to report.
fn check_wave_header(src: &mut dyn MediaSource) -> Result<()> {
    use std::io::{Read, SeekFrom};
    let mut head = Vec::new();
    if src.take(HEADER_SEARCH).read_to_end(&mut head).is_err() {
        return Ok(());
    }
    // The first RIFF/WAVE header, where the probe would find it.
    let Some(riff) = head
        .windows(12)
        .position(|w| &w[0..4] == b"RIFF" && &w[8..12] == b"WAVE")
    else {
        return Ok(());
    };
    // `len` bytes at `pos`, from what was read or (past a large chunk) from the source.
    let mut bytes_at = |pos: u64, len: usize| -> Option<Vec<u8>> {
        let end = pos.checked_add(len as u64)?;
        if end <= head.len() as u64 {
            return Some(head[pos as usize..end as usize].to_vec());
        }
        let mut b = vec![0u8; len];
        src.seek(SeekFrom::Start(pos)).ok()?;
        src.read_exact(&mut b).ok()?;
        Some(b)
    };
    // The fmt chunk comes first in practice; a few other chunks (JUNK, bext) may precede it.
    let mut at = riff as u64 + 12;
    for _ in 0..16 {
        let Some(chunk) = bytes_at(at, 8) else {
            return Ok(());
        };
        let size = u32::from_le_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]) as u64;
        if &chunk[0..4] != b"fmt " {
            at += 8 + size + (size & 1);
            continue;
        }
        // Format tag and channel count: every fmt chunk has them.
        let Some(fmt) = bytes_at(at + 8, 4).filter(|_| size >= 4) else {
            return Ok(());
        };
        let tag = u16::from_le_bytes([fmt[0], fmt[1]]);
        let channels = u16::from_le_bytes([fmt[2], fmt[3]]) as u32;
        // symphonia-format-riff reads at most 26 channels (`map_wave_channel_count`), but
        // first multiplies the count by the sample size in a u16 (another overflow).
        if !(1..=MAX_WAV_CHANNELS).contains(&channels) {
            return Err(Error::Corrupt(format!(
                "WAV header claims {channels} channels; 1 to {MAX_WAV_CHANNELS} are read"
            )));
        }
        // WAVE_FORMAT_EXTENSIBLE: the channel mask, 20 bytes into the chunk.
        let mask = match bytes_at(at + 8 + 20, 4) {
            Some(m) if tag == 0xFFFE && size >= 24 => u32::from_le_bytes([m[0], m[1], m[2], m[3]]),
            _ => return Ok(()),
        };
        if channels > mask.count_ones() && mask & 0x8000_0000 != 0 {
            return Err(Error::Corrupt(format!(
                "WAV channel mask {mask:#010x} names {} speaker positions for {channels} \
                 channels, and cannot be extended to fit",
                mask.count_ones()
            )));
        }
        return Ok(());
    }
    Ok(())
}

fn probe_once<'s>(open: &Opener<'s>, ext: Option<&str>) -> Result<Box<dyn FormatReader + 's>> {
    let src = open().map_err(Error::Io)?;
    let mss = MediaSourceStream::new(src, MediaSourceStreamOptions::default());
    let mut hint = Hint::new();
    if let Some(e) = ext {
        hint.with_extension(e);
    }
    symphonia::default::get_probe()
        .probe(
            &hint,
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(probe_error)
}

fn probe_error(e: SymError) -> Error {
    match e {
        SymError::Unsupported(_) => {
            Error::UnknownFormat("no known container or codec signature in its bytes".into())
        }
        SymError::IoError(e) if e.kind() == io::ErrorKind::UnexpectedEof => Error::Corrupt(
            "file ended inside the container header (truncated, or not an audio file)".into(),
        ),
        SymError::IoError(e) => Error::Corrupt(format!("i/o error while reading header: {e}")),
        SymError::DecodeError(m) => Error::Corrupt(format!("bad container header: {m}")),
        SymError::LimitError(m) => Error::Corrupt(format!("header exceeds a limit: {m}")),
        other => Error::Corrupt(other.to_string()),
    }
}

/// Probe with the extension hint; if that fails, probe again without it.
fn open_format<'s>(open: &Opener<'s>, ext: Option<&str>) -> Result<Box<dyn FormatReader + 's>> {
    check_wave_header(&mut *open().map_err(Error::Io)?)?;
    match probe_once(open, ext) {
        Ok(r) => Ok(r),
        Err(e @ Error::Io(_)) => Err(e),
        Err(first) if ext.is_some() => probe_once(open, None).map_err(|_| first),
        Err(e) => Err(e),
    }
}

fn codec_name(id: AudioCodecId) -> String {
    use symphonia::core::codecs::audio::well_known::*;
    let known = [
        (CODEC_ID_OPUS, "opus"),
        (CODEC_ID_VORBIS, "vorbis"),
        (CODEC_ID_SPEEX, "speex"),
        (CODEC_ID_MUSEPACK, "musepack"),
        (CODEC_ID_MP1, "mp1"),
        (CODEC_ID_MP2, "mp2"),
        (CODEC_ID_MP3, "mp3"),
        (CODEC_ID_AAC, "aac"),
        (CODEC_ID_AC3, "ac3"),
        (CODEC_ID_ALAC, "alac"),
        (CODEC_ID_FLAC, "flac"),
        (CODEC_ID_WAVPACK, "wavpack"),
        (CODEC_ID_ADPCM_G722, "adpcm_g722"),
        (CODEC_ID_ADPCM_G726, "adpcm_g726"),
        (CODEC_ID_NULL_AUDIO, "none"),
    ];
    known
        .iter()
        .find(|(k, _)| *k == id)
        .map(|(_, n)| n.to_string())
        .unwrap_or_else(|| format!("codec id {id}"))
}

fn has_decoder(id: AudioCodecId) -> bool {
    (cfg!(feature = "opus") && id == CODEC_ID_OPUS)
        || symphonia::default::get_codecs()
            .get_audio_decoder(id)
            .is_some()
}

/// Pick the first audio track we can decode; otherwise explain why none fits.
fn select_track(tracks: &[Track]) -> Result<Track> {
    let audio: Vec<&Track> = tracks
        .iter()
        .filter(|t| matches!(t.codec_params, Some(CodecParameters::Audio(_))))
        .collect();
    if audio.is_empty() {
        return Err(Error::NoAudioTrack);
    }
    for t in &audio {
        if let Some(CodecParameters::Audio(p)) = &t.codec_params {
            if p.codec != CODEC_ID_NULL_AUDIO && has_decoder(p.codec) {
                return Ok((*t).clone());
            }
        }
    }
    let names: Vec<String> = audio
        .iter()
        .filter_map(|t| {
            t.codec_params
                .as_ref()?
                .audio()
                .map(|p| codec_name(p.codec))
        })
        .collect();
    Err(Error::UnsupportedCodec(names.join(", ")))
}

// ----------------------------------------------------------------------------------------------
// Opus via libopus

#[cfg(feature = "opus")]
struct OpusState {
    dec: opus::Decoder,
    channels: usize,
    /// Frames still to drop from the start (OpusHead pre-skip).
    to_skip: usize,
    buf: Vec<f32>,
}

#[cfg(feature = "opus")]
struct OpusHead {
    channels: u8,
    pre_skip: u16,
    output_gain: i16,
    mapping_family: u8,
}

#[cfg(feature = "opus")]
fn parse_opus_head(extra: &[u8]) -> Option<OpusHead> {
    if extra.len() < 19 || &extra[..8] != b"OpusHead" {
        return None;
    }
    Some(OpusHead {
        channels: extra[9],
        pre_skip: u16::from_le_bytes([extra[10], extra[11]]),
        output_gain: i16::from_le_bytes([extra[16], extra[17]]),
        mapping_family: extra[18],
    })
}

#[cfg(feature = "opus")]
impl OpusState {
    fn new(track: &Track) -> Result<Self> {
        let params = track
            .codec_params
            .as_ref()
            .and_then(|p| p.audio())
            .ok_or_else(|| Error::Corrupt("opus track without codec parameters".into()))?;
        let head = params.extra_data.as_deref().and_then(parse_opus_head);
        let channels = match &head {
            Some(h) => h.channels as usize,
            None => params.channels.as_ref().map(|c| c.count()).unwrap_or(0),
        };
        if let Some(h) = &head {
            if h.mapping_family != 0 && channels > 2 {
                return Err(Error::UnsupportedCodec(format!(
                    "opus with {channels} channels (mapping family {}) needs the multistream decoder",
                    h.mapping_family
                )));
            }
        }
        let ch = match channels {
            1 => opus::Channels::Mono,
            2 => opus::Channels::Stereo,
            n => {
                return Err(Error::UnsupportedCodec(format!("opus with {n} channels")));
            }
        };
        let mut dec = opus::Decoder::new(48_000, ch)
            .map_err(|e| Error::Corrupt(format!("libopus init failed: {e}")))?;
        let pre_skip = match &head {
            Some(h) => h.pre_skip as usize,
            None => track.delay.unwrap_or(0) as usize,
        };
        if let Some(h) = &head {
            if h.output_gain != 0 {
                // Q7.8 dB, as required by RFC 7845 section 5.1.
                let _ = dec.set_gain(h.output_gain as i32);
            }
        }
        Ok(OpusState {
            dec,
            channels,
            to_skip: pre_skip,
            buf: vec![0.0; 5760 * channels],
        })
    }

    /// Decode one packet; returns interleaved frames after pre-skip and end trim.
    fn decode(&mut self, packet: &Packet) -> Result<&[f32], String> {
        let n = self
            .dec
            .decode_float(&packet.data, &mut self.buf, false)
            .map_err(|e| e.to_string())?;
        let mut start = 0usize;
        if self.to_skip > 0 {
            start = self.to_skip.min(n);
            self.to_skip -= start;
        }
        let end = n.saturating_sub(packet.trim_end.get() as usize).max(start);
        Ok(&self.buf[start * self.channels..end * self.channels])
    }
}

// ----------------------------------------------------------------------------------------------
// MP4 edit list (symphonia 0.6.1's isomp4 reader ignores `elst`, so AAC keeps its 1024+ priming
// samples). We read the first audio track's edit list ourselves and trim like ffmpeg does.

/// (frames to skip at the start, total frames to keep) at the given sample rate.
#[derive(Debug, Clone, Copy, Default)]
struct EditTrim {
    skip: usize,
    keep: Option<usize>,
}

fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}
fn be_u64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Iterate the child boxes of `b`: yields (type, payload).
fn mp4_boxes(b: &[u8]) -> Vec<([u8; 4], &[u8])> {
    let mut out = Vec::new();
    let mut off = 0usize;
    while off + 8 <= b.len() {
        let size32 = be_u32(b, off).unwrap_or(0) as u64;
        let typ: [u8; 4] = b[off + 4..off + 8].try_into().unwrap_or([0; 4]);
        let (size, hdr) = match size32 {
            0 => ((b.len() - off) as u64, 8),
            1 => match be_u64(b, off + 8) {
                Some(s) => (s, 16),
                None => break,
            },
            s => (s, 8),
        };
        if size < hdr as u64 || off as u64 + size > b.len() as u64 {
            break;
        }
        out.push((typ, &b[off + hdr..off + size as usize]));
        off += size as usize;
    }
    out
}

fn mp4_child<'a>(b: &'a [u8], typ: &[u8; 4]) -> Option<&'a [u8]> {
    mp4_boxes(b)
        .into_iter()
        .find(|(t, _)| t == typ)
        .map(|(_, p)| p)
}

/// Find `moov` at the top level (seeking over `mdat`), then the single audio trak's edit list.
fn mp4_edit_trim(src: &mut dyn MediaSource, rate: u32) -> Option<EditTrim> {
    use std::io::SeekFrom;
    let len = src.seek(SeekFrom::End(0)).ok()?;
    let mut pos = 0u64;
    let mut moov: Option<Vec<u8>> = None;
    while pos + 8 <= len {
        src.seek(SeekFrom::Start(pos)).ok()?;
        let mut h = [0u8; 16];
        src.read_exact(&mut h[..8]).ok()?;
        let mut size = be_u32(&h, 0)? as u64;
        let mut hdr = 8u64;
        if size == 1 {
            src.read_exact(&mut h[8..16]).ok()?;
            size = be_u64(&h, 8)?;
            hdr = 16;
        } else if size == 0 {
            size = len - pos;
        }
        if size < hdr || pos + size > len {
            return None;
        }
        if &h[4..8] == b"moov" {
            if size > (64 << 20) {
                return None;
            }
            let mut buf = vec![0u8; (size - hdr) as usize];
            src.read_exact(&mut buf).ok()?;
            moov = Some(buf);
            break;
        }
        pos += size;
    }
    let moov = moov?;
    let mvhd = mp4_child(&moov, b"mvhd")?;
    let movie_ts = if mvhd.first()? == &1 {
        be_u32(mvhd, 20)?
    } else {
        be_u32(mvhd, 12)?
    };
    let sound: Vec<&[u8]> = mp4_boxes(&moov)
        .into_iter()
        .filter(|(t, _)| t == b"trak")
        .map(|(_, p)| p)
        .filter(|trak| {
            mp4_child(trak, b"mdia")
                .and_then(|m| mp4_child(m, b"hdlr"))
                .and_then(|h| h.get(8..12))
                == Some(b"soun".as_slice())
        })
        .collect();
    if sound.len() != 1 {
        return None;
    }
    let trak = sound[0];
    let mdhd = mp4_child(mp4_child(trak, b"mdia")?, b"mdhd")?;
    let media_ts = if mdhd.first()? == &1 {
        be_u32(mdhd, 20)?
    } else {
        be_u32(mdhd, 12)?
    };
    let elst = mp4_child(mp4_child(trak, b"edts")?, b"elst")?;
    let v1 = elst.first()? == &1;
    let n = be_u32(elst, 4)? as usize;
    let esz = if v1 { 20 } else { 12 };
    // First non-empty edit (media_time != -1); leading empty edits (delays) are ignored.
    for i in 0..n.min(16) {
        let at = 8 + i * esz;
        let (dur, mtime) = if v1 {
            (be_u64(elst, at)?, be_u64(elst, at + 8)? as i64)
        } else {
            (
                be_u32(elst, at)? as u64,
                be_u32(elst, at + 4)? as i32 as i64,
            )
        };
        if mtime < 0 {
            continue;
        }
        if movie_ts == 0 || media_ts == 0 {
            return None;
        }
        let skip = (mtime as u128 * rate as u128 / media_ts as u128) as usize;
        let keep = if dur > 0 && n == 1 {
            Some(((dur as u128 * rate as u128 + movie_ts as u128 / 2) / movie_ts as u128) as usize)
        } else {
            None
        };
        return Some(EditTrim { skip, keep });
    }
    None
}

enum Backend {
    Sym(Box<dyn AudioDecoder>),
    #[cfg(feature = "opus")]
    Opus(OpusState),
}

// ----------------------------------------------------------------------------------------------

/// Appends the mono mix of `buf`'s frames `from..` to `out`.
///
/// Mono streams (all of RAVDESS but 5 clips, all of TESS) are converted straight into `out`:
/// no per-packet planar copy and no second copy into `out`. Other layouts go through the reused
/// `planes` buffers. Both use symphonia's own sample conversion, so the values are the same.
fn push_mono(
    out: &mut Vec<f32>,
    planes: &mut Vec<Vec<f32>>,
    buf: &GenericAudioBufferRef<'_>,
    from: usize,
) {
    let frames = buf.frames();
    if from >= frames {
        return;
    }
    let part = buf.slice(from..);
    if buf.num_planes() == 1 {
        let at = out.len();
        out.resize(at + (frames - from), 0.0);
        part.copy_to_slice_planar::<f32, _>(&mut [&mut out[at..]]);
    } else {
        part.copy_to_vecs_planar::<f32>(planes);
        push_mono_planar(out, planes);
    }
}

fn push_mono_planar(out: &mut Vec<f32>, planes: &[Vec<f32>]) {
    match planes.len() {
        0 => {}
        1 => out.extend_from_slice(&planes[0]),
        2 => out.extend(planes[0].iter().zip(&planes[1]).map(|(a, b)| (a + b) / 2.0)),
        n => {
            let frames = planes[0].len();
            out.reserve(frames);
            for i in 0..frames {
                let s: f32 = planes.iter().map(|p| p[i]).sum();
                out.push(s / n as f32);
            }
        }
    }
}

#[cfg(feature = "opus")]
fn push_mono_interleaved(out: &mut Vec<f32>, data: &[f32], channels: usize) {
    match channels {
        1 => out.extend_from_slice(data),
        2 => out.extend(data.chunks_exact(2).map(|f| (f[0] + f[1]) / 2.0)),
        n => out.extend(
            data.chunks_exact(n)
                .map(|f| f.iter().sum::<f32>() / n as f32),
        ),
    }
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

    #[cfg(feature = "opus")]
    let opus_backend = if params.codec == CODEC_ID_OPUS {
        Some(Backend::Opus(OpusState::new(&track)?))
    } else {
        None
    };
    #[cfg(not(feature = "opus"))]
    let opus_backend: Option<Backend> = None;
    let opus = opus_backend.is_some();
    let mut backend = if let Some(b) = opus_backend {
        b
    } else {
        let dec = symphonia::default::get_codecs()
            .make_audio_decoder(&params, &AudioDecoderOptions::default())
            .map_err(|e| match e {
                SymError::Unsupported(m) => {
                    Error::UnsupportedCodec(format!("{} ({m})", codec_name(params.codec)))
                }
                other => Error::Corrupt(format!("cannot set up decoder: {other}")),
            })?;
        Backend::Sym(dec)
    };
    let codec = match &backend {
        #[cfg(feature = "opus")]
        Backend::Opus(_) => "opus".to_string(),
        Backend::Sym(d) => d.codec_info().short_name.to_string(),
    };

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
    let mut seeked = false;
    if allow_seek && !opus && seeks_exactly(&codec) && trim.skip == 0 {
        if let Some(s) = start.filter(|&s| s > 0) {
            let to = SeekTo::Timestamp {
                ts: Timestamp::new(s as i64),
                track_id,
            };
            match format.seek(SeekMode::Accurate, to) {
                Ok(_) => {
                    // Without the `opus` feature `Backend` has this one variant.
                    #[allow(irrefutable_let_patterns)]
                    if let Backend::Sym(dec) = &mut backend {
                        dec.reset();
                    }
                    seeked = true;
                }
                // Past the end, or not seekable: decode from the start instead (which also
                // measures how long the stream really is).
                Err(_) => return Err(PassError::SeekNotExact),
            }
        }
    }
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
        let why = if packets_seen == 0 {
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
        };
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
