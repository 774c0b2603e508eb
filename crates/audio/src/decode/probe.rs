//! Finding the container and the track: sniffing the bytes (a RIFF/WAVE header checked first),
//! the codec's name, the audio track to decode, and [`probe_file`] (what a container declares,
//! without decoding).

use super::*;

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

/// How far into a source [`check_wave_header`] looks for a RIFF/WAVE header: the probe skips
/// ID3 tags and junk to find one, and one read of this much covers the headers met in practice
/// at the cost of a few microseconds per file (the probe itself reads up to 1 MiB).
pub(super) const HEADER_SEARCH: u64 = 4096;

/// Most channels a WAV file may have (symphonia-format-riff's limit: one per speaker position).
pub(super) const MAX_WAV_CHANNELS: u32 = 26;

/// Refuses a WAV header symphonia-format-riff 0.6.1 would mis-read: a channel count outside
/// 1..=26 (it refuses those too, after a `u16` overflow), and a WAVE_FORMAT_EXTENSIBLE header
/// whose channel mask it cannot repair: its `fix_wave_channel_mask` shifts a `u32` by 32 when
/// the mask has fewer bits than channels and its top bit set. Both panic with overflow checks
/// (the decoder's guard would make that an error) and wrap without them. Found by the `decode`
/// fuzz target; anything unreadable here is left to the probe to report.
pub(super) fn check_wave_header(src: &mut dyn MediaSource) -> Result<()> {
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

pub(super) fn probe_once<'s>(
    open: &Opener<'s>,
    ext: Option<&str>,
) -> Result<Box<dyn FormatReader + 's>> {
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

pub(super) fn probe_error(e: SymError) -> Error {
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
pub(super) fn open_format<'s>(
    open: &Opener<'s>,
    ext: Option<&str>,
) -> Result<Box<dyn FormatReader + 's>> {
    check_wave_header(&mut *open().map_err(Error::Io)?)?;
    match probe_once(open, ext) {
        Ok(r) => Ok(r),
        Err(e @ Error::Io(_)) => Err(e),
        Err(first) if ext.is_some() => probe_once(open, None).map_err(|_| first),
        Err(e) => Err(e),
    }
}

pub(super) fn codec_name(id: AudioCodecId) -> String {
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

pub(super) fn has_decoder(id: AudioCodecId) -> bool {
    (cfg!(feature = "opus") && id == CODEC_ID_OPUS)
        || symphonia::default::get_codecs()
            .get_audio_decoder(id)
            .is_some()
}

/// Pick the first audio track we can decode; otherwise explain why none fits.
pub(super) fn select_track(tracks: &[Track]) -> Result<Track> {
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
