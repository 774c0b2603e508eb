//! The one error of the library's public API: recognition ([`Recognizer`](crate::Recognizer),
//! timelines), batch jobs, training and evaluation, analysis and export.

use std::path::PathBuf;

/// `Error::Invalid(format!(...))`: an option, argument or table that cannot be used as given.
macro_rules! invalid {
    ($($arg:tt)*) => {
        $crate::Error::Invalid(format!($($arg)*))
    };
}

/// Everything that can go wrong recognising emotions in a recording. The variants say whose
/// fault it was, so a server can answer with the right status (bad audio: 4xx; a broken model:
/// 5xx).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading a file failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The audio could not be decoded (or resampled).
    #[error("{0}")]
    Audio(#[from] emovox_audio::Error),
    /// The audio is too short for the model's feature pipeline.
    #[error("audio too short: {got:.2} s; the model reads from {expected:.2} s on")]
    TooShort {
        /// Seconds needed.
        expected: f64,
        /// Seconds given.
        got: f64,
    },
    /// The file is cut short (its data ends early) before the part the model reads.
    #[error(
        "file is truncated: its audio stops at {got:.2} s; the model reads from {expected:.2} s on"
    )]
    Truncated {
        /// Seconds needed.
        expected: f64,
        /// Seconds decoded before the data ended.
        got: f64,
    },
    /// The model trims silence and found too little speech in the input to read an emotion
    /// from (digital silence, a click, room noise): a clear "no speech", never an emotion.
    /// A prediction needs at least [`emovox_features::MIN_SPEECH_SECONDS`].
    #[error("{}", no_speech_message(*speech, *truncated_at))]
    NoSpeech {
        /// Seconds of speech found.
        speech: f64,
        /// Where the audio stops, seconds, when the file is cut short (its data ends early):
        /// the speech may have been in the part that is missing.
        truncated_at: Option<f64>,
    },
    /// Feature extraction failed for another reason (invalid samples or rate).
    #[error("{0}")]
    Features(emovox_features::Error),
    /// The model could not be loaded or run.
    #[error("model: {0}")]
    Model(#[from] emovox_model::Error),
    /// An option, argument or input table cannot be used as given (the message says why: a
    /// timeline option out of range, a table without labels, a split with no rows...).
    #[error("{0}")]
    Invalid(String),
    /// Reading or writing a manifest, scheme or feature table failed.
    #[error("{0}")]
    Corpora(#[from] emovox_corpora::Error),
    /// Quantising or writing an export format failed.
    #[error("{0}")]
    Export(#[from] emovox_export::Error),
    /// The int8 microcontroller model could not be read or run.
    #[error("{0}")]
    Tiny(emovox_tiny::Error),
    /// Drawing a chart failed.
    #[error("{0}")]
    Chart(#[from] emovox_report::Error),
    /// Code outside emovox panicked while processing this input; the panic was caught and the
    /// rest of the batch (or the server) goes on. A bug worth reporting, with the input.
    #[error(
        "processing crashed inside a dependency (caught; please report it with this input): {0}"
    )]
    Panicked(String),
    /// An error about one file: the path, then what went wrong.
    #[error("{}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: Box<Error>,
    },
}

impl From<emovox_features::Error> for Error {
    fn from(e: emovox_features::Error) -> Self {
        match e {
            emovox_features::Error::TooShort { expected, got } => Error::TooShort { expected, got },
            emovox_features::Error::NoSpeech { speech } => Error::NoSpeech {
                speech,
                truncated_at: None,
            },
            e => Error::Features(e),
        }
    }
}

impl From<emovox_tiny::Error> for Error {
    fn from(e: emovox_tiny::Error) -> Self {
        // `no_std`: not a `std::error::Error`, so not a `source`; its message is kept.
        Error::Tiny(e)
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Io(e.into())
    }
}

impl Error {
    /// Wraps `self` with the file it concerns (unless it already names one).
    pub fn in_file(self, path: impl Into<PathBuf>) -> Self {
        match self {
            e @ Error::File { .. } => e,
            e => Error::File {
                path: path.into(),
                source: Box::new(e),
            },
        }
    }

    /// The error without the file wrapper (what went wrong, whatever the file).
    pub fn kind(&self) -> &Error {
        match self {
            Error::File { source, .. } => source.kind(),
            e => e,
        }
    }

    /// The reason alone, without the file name (for reports that list the file separately).
    pub fn reason(&self) -> String {
        match self.kind() {
            Error::Audio(e) => e.reason().to_string(),
            e => e.to_string(),
        }
    }

    /// Whether the input held no speech ([`Error::NoSpeech`], also inside [`Error::File`]).
    pub fn is_no_speech(&self) -> bool {
        matches!(self.kind(), Error::NoSpeech { .. })
    }
}

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

fn no_speech_message(speech: f64, truncated_at: Option<f64>) -> String {
    let mut s = format!(
        "no speech: {speech:.3} s of speech found; a prediction needs at least {} s",
        emovox_features::MIN_SPEECH_SECONDS
    );
    if let Some(t) = truncated_at {
        s += &format!(" (file is truncated: its audio stops at {t:.2} s)");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_short_features_become_too_short_and_file_names_the_file() {
        let e: Error = emovox_features::Error::TooShort {
            expected: 0.4,
            got: 0.1,
        }
        .into();
        assert!(matches!(e, Error::TooShort { .. }));
        let e = e.in_file("a/b.wav");
        assert!(
            e.to_string()
                .starts_with("a/b.wav: audio too short: 0.10 s"),
            "{e}"
        );
        assert!(matches!(e.kind(), Error::TooShort { .. }));
        assert_eq!(
            e.reason(),
            "audio too short: 0.10 s; the model reads from 0.40 s on"
        );
        let twice = e.in_file("c.wav");
        assert!(
            twice.to_string().starts_with("a/b.wav"),
            "not wrapped twice: {twice}"
        );
    }
}
