//! What `emovox info` reports about a recording: its container and codec, rate, channels,
//! duration, level, and whether its data ends early; as a row of a table or a JSON object.
//!
//! ```no_run
//! let info = emovox::info::FileInfo::of("speech.m4a")?;
//! println!("{}\n{}", emovox::info::FileInfo::HEADER, info.row());
//! # Ok::<(), emovox::Error>(())
//! ```

use std::path::{Path, PathBuf};

use emovox_audio::{decode_file, DecodeOptions};
use serde::Serialize;

use crate::{Error, Result};

/// One recording, decoded to the end.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileInfo {
    /// The file.
    pub path: PathBuf,
    /// Container and codec, as the decoder names them (`wav/pcm_s16le`, `mp4/aac`...).
    pub format: String,
    /// Native sample rate, Hz.
    pub sample_rate: u32,
    /// Channels in the file (decoding mixes them to mono).
    pub channels: u16,
    /// Seconds decoded.
    #[serde(rename = "duration_s")]
    pub duration: f64,
    /// Largest absolute sample (full scale 1.0).
    pub peak: f32,
    /// Root mean square level (full scale 1.0).
    pub rms: f32,
    /// The data ends early: what was there was decoded.
    pub truncated: bool,
}

impl FileInfo {
    /// The header of [`row`](Self::row)'s table.
    pub const HEADER: &'static str = "format              rate  ch  duration    peak     rms  file";

    /// Decodes `path` and measures it; the error names the file.
    pub fn of(path: impl AsRef<Path>) -> Result<FileInfo> {
        let path = path.as_ref();
        let d =
            decode_file(path, &DecodeOptions::new()).map_err(|e| Error::from(e).in_file(path))?;
        Ok(FileInfo {
            path: path.to_path_buf(),
            format: d.format.clone(),
            sample_rate: d.sample_rate,
            channels: d.channels,
            duration: d.duration(),
            peak: d.peak(),
            rms: d.rms(),
            truncated: d.truncated,
        })
    }

    /// One aligned line under [`HEADER`](Self::HEADER).
    pub fn row(&self) -> String {
        let note = if self.truncated {
            "  (truncated: decoded what was there)"
        } else {
            ""
        };
        format!(
            "{:<16} {:>7} {:>3} {:>8.3}s {:>7.4} {:>7.4}  {}{note}",
            self.format,
            self.sample_rate,
            self.channels,
            self.duration,
            self.peak,
            self.rms,
            self.path.display()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_lines_up_under_the_header_and_json_keeps_its_keys() {
        let info = FileInfo {
            path: "a.wav".into(),
            format: "wav/pcm_s16le".into(),
            sample_rate: 48_000,
            channels: 2,
            duration: 3.5,
            peak: 0.5,
            rms: 0.125,
            truncated: true,
        };
        let row = info.row();
        assert_eq!(
            row,
            "wav/pcm_s16le      48000   2    3.500s  0.5000  0.1250  a.wav  (truncated: decoded what was there)"
        );
        assert_eq!(
            FileInfo::HEADER.find("file"),
            row.find("a.wav"),
            "{}\n{row}",
            FileInfo::HEADER
        );
        let v = serde_json::to_value(&info).unwrap();
        assert_eq!(v["duration_s"], 3.5);
        assert_eq!(v["truncated"], true);
        assert_eq!(v["path"], "a.wav");
    }

    #[test]
    fn a_missing_file_is_named() {
        let e = FileInfo::of("no/such.wav").unwrap_err();
        assert!(e.to_string().starts_with("no/such.wav: "), "{e}");
    }
}
