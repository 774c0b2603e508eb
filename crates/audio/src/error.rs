use std::path::PathBuf;

/// Everything that can go wrong reading, resampling or transforming audio.
///
/// Errors from a file are wrapped in [`Error::File`], so their message starts with the path.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading the bytes failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The input has no bytes at all.
    #[error("file is empty")]
    Empty,
    /// The bytes are not a container or codec this build can read.
    #[error("not a recognised audio format ({0})")]
    UnknownFormat(String),
    /// A recognised container holding a codec this build cannot decode.
    #[error("unsupported codec: {0}")]
    UnsupportedCodec(String),
    /// The container holds no audio track.
    #[error("no audio track in the file")]
    NoAudioTrack,
    /// The stream is corrupt beyond recovery, or yielded no samples at all.
    #[error("corrupt or unreadable audio: {0}")]
    Corrupt(String),
    /// The container was read but no audio samples could be decoded.
    #[error("no audio could be decoded: {0}")]
    NoAudio(String),
    /// The stream holds more audio than the reader accepts ([`DecodeOptions::longest`](crate::DecodeOptions::longest)).
    #[error(
        "longer than {limit} s, the most read as one clip (a long recording gets an emotion \
         timeline: `emovox timeline`)"
    )]
    TooLong {
        /// The limit, seconds.
        limit: f64,
    },
    /// A third-party decoder panicked on this input (caught; a bug to report upstream).
    #[error("the decoder crashed on this input: {0}")]
    DecoderPanic(String),
    /// Samples beyond any audio scale (see [`guard`](crate::guard)): a corrupt or hostile file.
    #[error(
        "{count} sample(s) reach {peak:.1e}, beyond any audio scale (emovox accepts up to \
         ±{limit:.1e}, the largest integer PCM value; audio is nominally within ±1): the data is \
         corrupt or not audio"
    )]
    SampleRange {
        /// Largest absolute sample value.
        peak: f32,
        /// Samples beyond the limit.
        count: usize,
        /// The limit ([`MAX_SAMPLE_MAGNITUDE`](crate::guard::MAX_SAMPLE_MAGNITUDE)).
        limit: f32,
    },
    /// Samples that are NaN or infinite, passed as samples (decoding zeroes them instead).
    #[error("{count} of {total} samples are NaN or infinite")]
    NonFinite {
        /// NaN or infinite samples.
        count: usize,
        /// All samples.
        total: usize,
    },
    /// Code outside emovox panicked while processing this input (caught; a bug to report).
    #[error("processing this audio crashed inside a dependency (caught): {0}")]
    Panicked(String),
    /// A parameter (rate, ratio, FFT size...) is out of range.
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),
    /// A buffer given to a planned transform has the wrong length.
    #[error("buffer has {got} values, expected {expected}")]
    BufferSize {
        /// Length the plan needs.
        expected: usize,
        /// Length given.
        got: usize,
    },
    /// An error about one file: the path, then what went wrong.
    #[error("{}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: Box<Error>,
    },
}

impl Error {
    /// Wraps this error with the file it concerns (once: an error that already names a file
    /// is returned as it is).
    pub fn in_file(self, path: impl Into<PathBuf>) -> Error {
        match self {
            e @ Error::File { .. } => e,
            e => Error::File {
                path: path.into(),
                source: Box::new(e),
            },
        }
    }

    /// The underlying error, without the file name.
    pub fn reason(&self) -> &Error {
        match self {
            Error::File { source, .. } => source.reason(),
            e => e,
        }
    }
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
