//! Emotional speech corpora: from folders of recordings to labelled, honestly split, feature
//! tables.
//!
//! # Overview
//!
//! An [`Indexer`] walks folders and reads each file's labels from its name, recognising the
//! corpus by its naming convention (or told which one). A [`Scheme`] maps the corpora's
//! emotions to the classes a model learns; a [`Split`] decides which clips train and which
//! test, grouping by speaker so the test speakers are never heard in training. The result is a
//! [`Manifest`] (CSV), and features extracted from it go into a [`table`] (Parquet, CSV, NPY).
//!
//! | corpus | file names | speakers | fields read |
//! |---|---|---|---|
//! | RAVDESS | `03-01-05-02-01-01-12` | `Actor_01`..`Actor_24` | emotion, intensity, statement, repetition, modality, vocal channel, sex |
//! | TESS | `OAF_bath_disgust`, `_ps` = pleasant surprise, `OA_` read as `OAF_` | `OAF`, `YAF` | emotion, word |
//! | SAVEE | `DC_a01` or `DC/a01` | `DC`, `JE`, `JK`, `KL` | emotion, sentence |
//! | CREMA-D | `1001_DFA_ANG_XX` | `1001`..`1091` | emotion, sentence, intensity |
//! | EmoDB | `03a01Fa` | `03`..`16` | emotion, sentence, version, sex |
//! | EMOVO (Italian) | `gio-f1-b1` | `f1`..`f3`, `m1`..`m3` | emotion, sentence, sex |
//! | TurEV-DB (Turkish) | `Angry/1157_kz_acik` (the folder must agree with the code) | `1157`, `1234`, ... | emotion, word |
//! | folder | `DIR/LABEL/file`, `DIR/LABEL/SPEAKER/file` | the `SPEAKER` folder | label |
//!
//! # Example
//!
//! ```
//! use emovox_corpora::{Indexer, Manifest, Scheme, Split};
//!
//! let dir = tempfile::tempdir()?;
//! for name in ["DC_h01", "DC_sa01", "JE_h01", "JE_sa01", "KL_su02", "JK_n07"] {
//!     std::fs::write(dir.path().join(format!("{name}.wav")), b"")?; // names are all it reads
//! }
//! let report = Indexer::new().index(&[dir.path().to_path_buf()]);
//! assert!(report.failures.is_empty());
//!
//! let mut manifest = Manifest::new(report.clips);
//! manifest.label(&Scheme::seed4(), 42);
//! manifest.split(&"speaker:KL".parse::<Split>()?, 42)?;
//! let test: Vec<_> = manifest.entries.iter().filter(|e| e.split.as_deref() == Some("test")).collect();
//! assert_eq!(test.len(), 1);
//! assert_eq!(test[0].label.as_deref(), Some("surprise"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Modules
//!
//! | module | what |
//! |---|---|
//! | [`corpus`] | the corpora, their naming conventions, the shared emotion vocabulary |
//! | [`files`] | finding audio files; [`Failure`] |
//! | [`scheme`] | label schemes (`seed4`, `full`, TOML) |
//! | [`split`] | random, speaker and speaker k-fold splits |
//! | [`manifest`] | the manifest CSV |
//! | [`table`] | feature tables: Parquet, CSV, NPY |
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod corpus;
pub mod files;
pub mod manifest;
pub mod scheme;
pub mod split;
pub mod table;

mod index;

use std::path::PathBuf;

pub use corpus::{canonical_emotion, Claim, Clip, Corpus, Sex, VOCABULARY};
pub use files::{collect_files, Failure, AUDIO_EXTENSIONS};
pub use index::{IndexReport, Indexer};
pub use manifest::{Entry, Manifest};
pub use scheme::Scheme;
pub use split::Split;

/// Everything that can go wrong with corpora, manifests and tables.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A label scheme is invalid.
    #[error("label scheme: {0}")]
    Scheme(String),
    /// A split cannot be made.
    #[error("split: {0}")]
    Split(String),
    /// A manifest is malformed.
    #[error("manifest: {0}")]
    Manifest(String),
    /// A feature table is malformed.
    #[error("table: {0}")]
    Table(String),
    /// CSV reading or writing failed.
    #[error("CSV: {0}")]
    Csv(#[from] csv::Error),
    /// Parquet reading or writing failed.
    #[error("Parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// JSON metadata is malformed.
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// Something went wrong with a particular file.
    #[error("{}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: Box<Error>,
    },
}

impl Error {
    /// Wraps this error with the file it concerns (once: an error that already names a file
    /// is returned as it is). The same signature in every emovox crate.
    pub fn in_file(self, path: impl Into<PathBuf>) -> Error {
        match self {
            e @ Error::File { .. } => e,
            e => Error::File {
                path: path.into(),
                source: Box::new(e),
            },
        }
    }
}

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Fisher-Yates shuffle driven by a ChaCha stream, so orders are reproducible from a seed on
/// every platform.
pub(crate) fn shuffle<T>(v: &mut [T], rng: &mut impl rand_core::Rng) {
    for i in (1..v.len()).rev() {
        // Multiply-shift keeps the draw unbiased enough for shuffling corpora (n << 2^32).
        let j = ((rng.next_u32() as u64 * (i as u64 + 1)) >> 32) as usize;
        v.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use rand_chacha::ChaCha8Rng;
    use rand_core::SeedableRng;

    #[test]
    fn shuffle_is_a_seeded_permutation() {
        let mut a: Vec<u32> = (0..50).collect();
        super::shuffle(&mut a, &mut ChaCha8Rng::seed_from_u64(5));
        let mut b: Vec<u32> = (0..50).collect();
        super::shuffle(&mut b, &mut ChaCha8Rng::seed_from_u64(5));
        assert_eq!(a, b);
        assert_ne!(a, (0..50).collect::<Vec<_>>());
        b.sort();
        assert_eq!(b, (0..50).collect::<Vec<_>>());
    }
}
