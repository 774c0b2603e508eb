//! Opus (in OGG) through libopus, at 48 kHz like libsndfile and ffmpeg: the OpusHead pre-skip
//! and output gain applied, the last page's end trim honoured.

use super::*;

pub(super) struct OpusState {
    pub(super) dec: opus::Decoder,
    pub(super) channels: usize,
    /// Frames still to drop from the start (OpusHead pre-skip).
    pub(super) to_skip: usize,
    pub(super) buf: Vec<f32>,
}

pub(super) struct OpusHead {
    pub(super) channels: u8,
    pub(super) pre_skip: u16,
    pub(super) output_gain: i16,
    pub(super) mapping_family: u8,
}

pub(super) fn parse_opus_head(extra: &[u8]) -> Option<OpusHead> {
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

impl OpusState {
    pub(super) fn new(track: &Track) -> Result<Self> {
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
    pub(super) fn decode(&mut self, packet: &Packet) -> Result<&[f32], String> {
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
