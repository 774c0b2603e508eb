//! Finding audio files under the paths a user gives, and reporting the ones that fail.

use std::fmt;
use std::path::{Path, PathBuf};

/// File extensions taken as audio when walking a folder (files named explicitly are always
/// tried, whatever their name: the decoder sniffs content).
pub const AUDIO_EXTENSIONS: &[&str] = &[
    "wav", "wave", "flac", "mp3", "m4a", "mp4", "aac", "ogg", "oga", "opus", "aif", "aiff", "aifc",
];

/// A file that could not be used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The file (or the path the user gave).
    pub path: PathBuf,
    /// What went wrong.
    pub reason: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.reason)
    }
}

/// The scheme and the path of a location as Spark and Hadoop list files: a plain path
/// (`(None, path)`), a `file:` URI (`file:/a/b.wav`, `file:///a/b.wav`, `file://localhost/a/b.wav`:
/// `(Some("file"), "/a/b.wav")`), or another scheme with an authority (`hdfs://nn:8020/a/b.wav`:
/// `(Some("hdfs"), "/a/b.wav")`). Hadoop's `Path.toString` does not percent-encode, so nothing
/// is decoded. A `scheme:` without `//` after it (other than `file:`) is read as a plain path.
///
/// ```
/// use emovox_corpora::files::split_uri;
/// assert_eq!(split_uri("file:///data/a.wav"), (Some("file"), "/data/a.wav"));
/// assert_eq!(split_uri("s3a://bucket/k/a.wav"), (Some("s3a"), "/k/a.wav"));
/// assert_eq!(split_uri("data/a.wav"), (None, "data/a.wav"));
/// ```
pub fn split_uri(uri: &str) -> (Option<&str>, &str) {
    // `//authority/path` -> `/path` (an authority without a path leaves an empty path).
    let after_authority = |r: &str| -> usize { r.find('/').unwrap_or(r.len()) };
    if let Some(rest) = uri.strip_prefix("file:") {
        let path = match rest.strip_prefix("//") {
            Some(r) => &r[after_authority(r)..],
            None => rest,
        };
        return (Some("file"), path);
    }
    let scheme = uri.split_once(':').map(|(s, _)| s).filter(|s| {
        s.starts_with(|c: char| c.is_ascii_alphabetic())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    match scheme.and_then(|s| Some((s, uri[s.len() + 1..].strip_prefix("//")?))) {
        Some((s, r)) => (Some(s), &r[after_authority(r)..]),
        None => (None, uri),
    }
}

/// Whether `path` has one of the [`AUDIO_EXTENSIONS`] (case-insensitive).
pub fn is_audio(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| AUDIO_EXTENSIONS.iter().any(|a| a.eq_ignore_ascii_case(e)))
}

/// Audio files under one folder, sorted, hidden entries skipped; unreadable entries become
/// failures.
pub fn walk_audio(dir: &Path, files: &mut Vec<PathBuf>, failures: &mut Vec<Failure>) {
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name();
    let visible = |e: &walkdir::DirEntry| {
        e.depth() == 0 || !e.file_name().to_str().is_some_and(|n| n.starts_with('.'))
    };
    for entry in walker.into_iter().filter_entry(visible) {
        match entry {
            Ok(e) if e.file_type().is_file() && is_audio(e.path()) => files.push(e.into_path()),
            Ok(_) => {}
            Err(e) => failures.push(Failure {
                path: e.path().unwrap_or(dir).to_path_buf(),
                reason: e.to_string(),
            }),
        }
    }
}

/// Expands `inputs` into the audio files to process, sorted and de-duplicated: files as given,
/// folders walked recursively for [`AUDIO_EXTENSIONS`]. Inputs that do not exist or cannot be
/// read are returned as failures.
pub fn collect_files(inputs: &[PathBuf]) -> (Vec<PathBuf>, Vec<Failure>) {
    let (mut files, mut failures) = (Vec::new(), Vec::new());
    for input in inputs {
        match std::fs::metadata(input) {
            Err(e) => failures.push(Failure {
                path: input.clone(),
                reason: e.to_string(),
            }),
            Ok(m) if m.is_dir() => walk_audio(input, &mut files, &mut failures),
            Ok(_) => files.push(input.clone()),
        }
    }
    files.sort();
    files.dedup();
    (files, failures)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_extensions_are_case_insensitive() {
        assert!(is_audio(Path::new("a/B.FLAC")));
        assert!(is_audio(Path::new("x.m4a")));
        assert!(!is_audio(Path::new("notes.txt")));
        assert!(!is_audio(Path::new("wav")));
    }

    #[test]
    fn missing_inputs_are_failures() {
        let (files, failures) = collect_files(&[PathBuf::from("/definitely/not/here")]);
        assert!(files.is_empty());
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].path, PathBuf::from("/definitely/not/here"));
    }

    #[test]
    fn split_uri_reads_spark_listings_and_plain_paths() {
        assert_eq!(split_uri("file:/a/b.wav"), (Some("file"), "/a/b.wav"));
        assert_eq!(split_uri("file:///a/b.wav"), (Some("file"), "/a/b.wav"));
        assert_eq!(
            split_uri("file://localhost/a/b.wav"),
            (Some("file"), "/a/b.wav")
        );
        assert_eq!(split_uri("file://host"), (Some("file"), ""));
        assert_eq!(
            split_uri("hdfs://nn:8020/x/y.wav"),
            (Some("hdfs"), "/x/y.wav")
        );
        // Not percent-decoded, as Hadoop lists them.
        assert_eq!(
            split_uri("file:/a/my%20b.wav"),
            (Some("file"), "/a/my%20b.wav")
        );
        // A colon without `//` is part of a path.
        assert_eq!(split_uri("take:1.wav"), (None, "take:1.wav"));
        assert_eq!(split_uri("/a/b:c.wav"), (None, "/a/b:c.wav"));
        assert_eq!(split_uri("1x://a/b"), (None, "1x://a/b"));
    }
}
