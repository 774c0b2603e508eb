//! The MP4 edit list: symphonia 0.6.1's isomp4 reader ignores `elst`, so AAC would keep its
//! 1024+ priming samples; the first audio track's edit list is read here and applied as ffmpeg
//! does.

use super::*;

/// (frames to skip at the start, total frames to keep) at the given sample rate.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct EditTrim {
    pub(super) skip: usize,
    pub(super) keep: Option<usize>,
}

pub(super) fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}
pub(super) fn be_u64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Iterate the child boxes of `b`: yields (type, payload).
pub(super) fn mp4_boxes(b: &[u8]) -> Vec<([u8; 4], &[u8])> {
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

pub(super) fn mp4_child<'a>(b: &'a [u8], typ: &[u8; 4]) -> Option<&'a [u8]> {
    mp4_boxes(b)
        .into_iter()
        .find(|(t, _)| t == typ)
        .map(|(_, p)| p)
}

/// Find `moov` at the top level (seeking over `mdat`), then the single audio trak's edit list.
pub(super) fn mp4_edit_trim(src: &mut dyn MediaSource, rate: u32) -> Option<EditTrim> {
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
