//! The measures of one clip, from one decode: amplitude at the file's own rate, the mel
//! spectrogram at 16 kHz ([`Analyzer::measure`]), and the columns they make.

use super::*;
use emovox_report::{Error, Result};

/// Left edge of the first bin of the mel-value histogram, dB.
pub const MEL_HIST_START: f64 = -100.0;
/// Width of a mel-value histogram bin, dB.
pub const MEL_HIST_WIDTH: f64 = 1.0;
/// Number of mel-value histogram bins (values outside are counted in the end bins).
pub const MEL_HIST_BINS: usize = 160;

/// The measures of one clip (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measures {
    /// Seconds.
    pub duration_s: f64,
    /// The file's sample rate, Hz.
    pub sample_rate: u32,
    /// Channels in the file (the measures use their mean).
    pub channels: u16,
    /// Largest sample.
    pub max_amplitude: f64,
    /// Smallest sample.
    pub min_amplitude: f64,
    /// Mean sample.
    pub mean_amplitude: f64,
    /// Mean absolute sample.
    pub mean_abs_amplitude: f64,
    /// Root mean square.
    pub rms: f64,
    /// Mean of the mel spectrogram, dB.
    pub mel_db_mean: f64,
    /// Standard deviation of the mel spectrogram, dB.
    pub mel_db_std: f64,
    /// Minimum of the mel spectrogram, dB.
    pub mel_db_min: f64,
    /// Maximum of the mel spectrogram, dB.
    pub mel_db_max: f64,
}

/// One analysed clip.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisRow {
    /// The clip and its corpus fields.
    pub clip: Clip,
    /// Its class under the report's label scheme; `None`: excluded by it.
    pub label: Option<String>,
    /// Its measures.
    pub measures: Measures,
    /// Counts of its mel-spectrogram values in [`MEL_HIST_BINS`] bins of [`MEL_HIST_WIDTH`] dB
    /// from [`MEL_HIST_START`].
    pub mel_hist: Vec<u32>,
}

/// Measures clips; the mel plan is made once. Clone it for each worker thread.
#[derive(Debug, Clone)]
pub struct Analyzer {
    pub(super) mel: Extractor,
}

/// The bin of a mel value in the histogram.
pub(super) fn mel_bin(v: f32) -> usize {
    let b = ((v as f64 - MEL_HIST_START) / MEL_HIST_WIDTH).floor();
    (b.max(0.0) as usize).min(MEL_HIST_BINS - 1)
}

impl Analyzer {
    /// Plans the mel spectrogram (the `logmel` pipeline).
    pub fn new() -> Result<Self> {
        let cfg = PipelineConfig::preset("logmel")
            .ok_or_else(|| Error::Analysis("no logmel pipeline".into()))?;
        let mel = Extractor::new(cfg).map_err(|e| Error::Analysis(e.to_string()))?;
        Ok(Analyzer { mel })
    }

    /// The measures of a decoded clip and the histogram of its mel values.
    pub fn measure(&mut self, clip: &Decoded) -> Result<(Measures, Vec<u32>)> {
        let y = &clip.samples;
        if y.is_empty() {
            return Err(Error::Analysis("no audio samples".into()));
        }
        let (mut lo, mut hi, mut sum, mut abs, mut sq) =
            (f32::INFINITY, f32::NEG_INFINITY, 0.0f64, 0.0f64, 0.0f64);
        for &v in y {
            lo = lo.min(v);
            hi = hi.max(v);
            sum += v as f64;
            abs += v.abs() as f64;
            sq += v as f64 * v as f64;
        }
        let n = y.len() as f64;
        let f = self
            .mel
            .process_decoded(clip)
            .map_err(|e| Error::Analysis(format!("mel spectrogram: {e}")))?;
        let mut hist = vec![0u32; MEL_HIST_BINS];
        let (mut mlo, mut mhi, mut msum, mut msq) =
            (f64::INFINITY, f64::NEG_INFINITY, 0.0f64, 0.0f64);
        for &v in &f.values {
            let d = v as f64;
            mlo = mlo.min(d);
            mhi = mhi.max(d);
            msum += d;
            msq += d * d;
            hist[mel_bin(v)] += 1;
        }
        let m = f.values.len().max(1) as f64;
        let mel_mean = msum / m;
        Ok((
            Measures {
                duration_s: clip.duration(),
                sample_rate: clip.sample_rate,
                channels: clip.channels,
                max_amplitude: hi as f64,
                min_amplitude: lo as f64,
                mean_amplitude: sum / n,
                mean_abs_amplitude: abs / n,
                rms: (sq / n).sqrt(),
                mel_db_mean: mel_mean,
                mel_db_std: (msq / m - mel_mean * mel_mean).max(0.0).sqrt(),
                mel_db_min: mlo,
                mel_db_max: mhi,
            },
            hist,
        ))
    }
}

/// Columns of the CSVs and the Parquet table, in order.
pub const COLUMNS: [&str; 20] = [
    "path",
    "corpus",
    "speaker",
    "sex",
    "emotion",
    "corpus_emotion",
    "intensity",
    "label",
    "duration_s",
    "sample_rate",
    "channels",
    "max_amplitude",
    "min_amplitude",
    "mean_amplitude",
    "mean_abs_amplitude",
    "rms",
    "mel_db_mean",
    "mel_db_std",
    "mel_db_min",
    "mel_db_max",
];

impl AnalysisRow {
    /// The string columns (the first eight of [`COLUMNS`]).
    pub(super) fn strings(&self) -> [String; 8] {
        let c = &self.clip;
        [
            c.path.to_string_lossy().into_owned(),
            c.corpus.name().to_string(),
            c.speaker.clone().unwrap_or_default(),
            c.sex.map_or("", |s| s.name()).to_string(),
            c.canonical_emotion(),
            c.emotion.clone(),
            c.extra.get("intensity").cloned().unwrap_or_default(),
            self.label.clone().unwrap_or_default(),
        ]
    }

    /// The numeric columns (the last twelve of [`COLUMNS`]).
    pub(super) fn numbers(&self) -> [f64; 12] {
        let m = &self.measures;
        [
            m.duration_s,
            m.sample_rate as f64,
            m.channels as f64,
            m.max_amplitude,
            m.min_amplitude,
            m.mean_amplitude,
            m.mean_abs_amplitude,
            m.rms,
            m.mel_db_mean,
            m.mel_db_std,
            m.mel_db_min,
            m.mel_db_max,
        ]
    }
}
