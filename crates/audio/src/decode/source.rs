//! Where the bytes come from: a byte slice, or a file read in large chunks ([`ChunkedFile`]),
//! opened as often as a pass needs, behind the panic guard.

use super::*;

pub(super) fn with_bytes(
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

pub(super) fn with_file<T>(
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
pub(super) struct ChunkedFile {
    pub(super) file: File,
    /// File length in bytes, as `metadata` said.
    pub(super) len: u64,
    /// Where the OS file position is.
    pub(super) file_pos: u64,
    /// Bytes `buf_start .. buf_start + filled` of the file.
    pub(super) buf: Vec<u8>,
    pub(super) buf_start: u64,
    pub(super) filled: usize,
    /// Where the next read starts.
    pub(super) pos: u64,
}

impl ChunkedFile {
    const CHUNK: usize = 64 * 1024;

    pub(super) fn new(file: File, len: u64) -> Self {
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

    pub(super) fn read_at_pos(&mut self, dst: &mut [u8]) -> io::Result<usize> {
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

pub(super) fn check_max_seconds(max_seconds: Option<f64>) -> Result<()> {
    match max_seconds {
        Some(s) if s.is_nan() || s <= 0.0 || !s.is_finite() => Err(Error::InvalidParameter(
            format!("max_seconds must be a positive finite number, got {s}"),
        )),
        _ => Ok(()),
    }
}

/// Last line of defence: a decoder panic on hostile input becomes an error, not a crash.
/// (The default panic hook still prints the panic message to stderr.)
pub(super) fn guarded<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    crate::guard::catch_panic(f).unwrap_or_else(|msg| Err(Error::DecoderPanic(msg)))
}

pub(super) type Opener<'s> = dyn Fn() -> io::Result<Box<dyn MediaSource + 's>> + 's;
