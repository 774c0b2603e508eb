//! Named feature pipelines: what to compute from a clip, as one value that can be parsed from the
//! command line, printed, and saved with a model.
//!
//! A pipeline spec is a preset name optionally followed by `:key=value,...` overrides, e.g.
//! `seed`, `mfcc:n_mfcc=20,frames=200`, `logmel:n_mels=64`. [`PipelineConfig`]'s `Display` prints
//! the canonical spec (preset plus the keys that differ from it), so `parse(display(c)) == c`.
//!
//! | preset | output shape | what |
//! |---|---|---|
//! | `seed` | 100 x 13 | the original project: crop 0.4 s + 1.5 s, 16 kHz, MFCC (n_fft 2048, hop 512), padded/truncated to 100 frames |
//! | `mfcc` | frames x 13 | the whole clip at 16 kHz, MFCC |
//! | `mfcc-deltas` | frames x 39 | MFCC, deltas and delta-deltas (width 9) |
//! | `logmel` | frames x 128 | `power_to_db` of the mel power spectrogram |
//! | `handcrafted` | 1 x 45 | per-clip statistics: MFCC mean/std, log-mel mean/std/min/max, ZCR, RMS, centroid, roll-off, pitch |
//! | `logmel-stats` | 1 x 512 | per-band statistics of a finer log-mel (n_fft 512, hop 160, 64 bands) over the frames within [`STATS_RANGE_DB`] of the loudest: mean, std, max, min, 10th and 90th percentile, mean absolute and std of the frame-to-frame difference ([`STATS_NAMES`], each for every band) |
//! | `speech-stats` | 1 x 992 | `logmel-stats`, then the same statistics of 20 MFCC + deltas + delta-deltas (each column) over the same frames |
//! | `utterance` | 1 x 90 | `prosody` over the speech only (`trim=vad`), without the groups that depend on the recording's level (absolute loudness and level): `prosody:groups=f0+loudness-rel+spectral+voice+formants+balance-voiced+balance-unvoiced+timing,trim=vad`, the multi-corpus models' pipeline |
//! | `prosody` | 1 x 102 | eGeMAPS-like functionals ([`PROSODY_NAMES`]): F0 (semitones) distribution and slopes, loudness (absolute and relative to the clip's peak), jitter, shimmer, HNR, H1-H2, H1-A3, F1-F3 frequency/bandwidth/level, alpha ratio, Hammarberg index, spectral slopes, flux and MFCC 1-4 (voiced and unvoiced), voiced/unvoiced segment timing; 25 ms and 60 ms windows every `hop` (10 ms); only `sr`, `hop` and `crop` apply (see [`prosody`](crate::prosody)) |
//!
//! Any preset takes `trim=vad`: silence before the first and after the last speech is cut by
//! the voice-activity detector, and a clip without [`MIN_SPEECH_SECONDS`] of speech gets
//! [`Error::NoSpeech`] (see [`PipelineConfig::trim`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::prosody::{PROSODY_GROUPS, PROSODY_NAMES};
use crate::{Error, Result};

/// What a pipeline computes per frame (or per clip).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// MFCC, frames x `n_mfcc`.
    Mfcc,
    /// MFCC with first and second deltas, frames x `3 n_mfcc`.
    MfccDeltas,
    /// Log-power mel spectrogram in dB, frames x `n_mels`.
    LogMel,
    /// One vector of per-clip statistics of hand-crafted features, 1 x [`HANDCRAFTED_NAMES`].
    Handcrafted,
    /// One vector of per-band statistics of the log-mel spectrogram, 1 x (8 `n_mels`): each of
    /// [`STATS_NAMES`] for every band, statistic-major.
    LogMelStats,
    /// `logmel-stats` followed by the same statistics of MFCC, deltas and delta-deltas over the
    /// same frames: 1 x (8 `n_mels` + 24 `n_mfcc`).
    SpeechStats,
    /// One vector of eGeMAPS-like prosodic, voice-quality and spectral-balance functionals,
    /// 1 x [`PROSODY_NAMES`].
    Prosody,
}

/// The statistics of a `logmel-stats` vector, in order; each covers every mel band.
pub const STATS_NAMES: [&str; 8] = [
    "mean",
    "std",
    "max",
    "min",
    "p10",
    "p90",
    "diff_abs_mean",
    "diff_std",
];

/// `logmel-stats` reads the frames whose mean log-mel level is within this many dB of the
/// clip's loudest frame (the speech, not the silence around it).
pub const STATS_RANGE_DB: f32 = 40.0;

/// Column names of the `handcrafted` vector, in order.
pub const HANDCRAFTED_NAMES: [&str; 45] = [
    "mfcc1_mean",
    "mfcc2_mean",
    "mfcc3_mean",
    "mfcc4_mean",
    "mfcc5_mean",
    "mfcc6_mean",
    "mfcc7_mean",
    "mfcc8_mean",
    "mfcc9_mean",
    "mfcc10_mean",
    "mfcc11_mean",
    "mfcc12_mean",
    "mfcc13_mean",
    "mfcc1_std",
    "mfcc2_std",
    "mfcc3_std",
    "mfcc4_std",
    "mfcc5_std",
    "mfcc6_std",
    "mfcc7_std",
    "mfcc8_std",
    "mfcc9_std",
    "mfcc10_std",
    "mfcc11_std",
    "mfcc12_std",
    "mfcc13_std",
    "mel_db_mean",
    "mel_db_std",
    "mel_db_min",
    "mel_db_max",
    "zcr_mean",
    "zcr_std",
    "rms_mean",
    "rms_std",
    "rms_max",
    "centroid_mean",
    "centroid_std",
    "rolloff_mean",
    "rolloff_std",
    "f0_mean",
    "f0_std",
    "f0_min",
    "f0_max",
    "voiced_fraction",
    "duration_s",
];

/// A time window of the clip to keep, as `librosa.load(offset=..., duration=...)` reads it:
/// `int(offset * sr)` samples skipped, then `int(duration * sr)` kept. Spec syntax:
/// `crop=OFFSET+DURATION` (seconds), e.g. `crop=0.4+1.5`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Crop {
    /// Seconds skipped at the start.
    pub offset: f64,
    /// Seconds kept.
    pub duration: f64,
}

impl Crop {
    /// The sample range `[start, end)` this crop keeps from a clip of `len` samples at `rate`.
    pub fn range(&self, rate: u32, len: usize) -> (usize, usize) {
        let sr = rate as f64;
        let start = (self.offset * sr) as usize;
        let end = start + (self.duration * sr) as usize;
        (start.min(len), end.min(len))
    }

    /// Where the crop ends, in seconds.
    pub fn end(&self) -> f64 {
        self.offset + self.duration
    }
}

/// Every parameter of a feature pipeline. Build one with [`PipelineConfig::preset`] or parse a
/// spec string; defaults are librosa's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineConfig {
    /// The preset this config started from (`seed`, `mfcc`, ...).
    pub preset: String,
    /// What is computed.
    pub kind: Kind,
    /// Rate every clip is resampled to before analysis. Default 16000.
    pub sample_rate: u32,
    /// Part of the clip analysed. Default: the whole clip (`seed`: 0.4-1.9 s).
    pub crop: Option<Crop>,
    /// FFT size. Default 2048.
    pub n_fft: usize,
    /// Hop between frames. Default 512.
    pub hop: usize,
    /// Mel bands. Default 128.
    pub n_mels: usize,
    /// MFCC coefficients. Default 13.
    pub n_mfcc: usize,
    /// Lowest mel frequency, Hz. Default 0.
    pub fmin: f32,
    /// Highest mel frequency, Hz. Default: `sample_rate / 2`.
    pub fmax: Option<f32>,
    /// `power_to_db` dynamic range. Default 80 dB.
    pub top_db: Option<f32>,
    /// Pad with zeros or truncate to this many frames. Default: keep all (`seed`: 100).
    pub frames: Option<usize>,
    /// Trim silence with the voice-activity detector ([`emovox_audio::vad`]) after the crop:
    /// analyse from the first speech to the last (pauses inside are kept), so a 0.3 s word and
    /// a 15 s sentence are both read whole and nothing but silence is read around them. A clip
    /// with less than [`MIN_SPEECH_SECONDS`] of speech is [`Error::NoSpeech`],
    /// never features. Spec: `trim=vad` (or `none`). Default off (no preset trims; the
    /// bundled utterance models use `prosody:trim=vad`). Absent in models saved before it
    /// existed (read as off).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub trim: bool,
    /// `prosody` only: keep these groups of columns ([`PROSODY_GROUPS`]: `f0`, `loudness`,
    /// `loudness-rel`, `spectral`, `voice`, `formants`, `balance-voiced`, `balance-unvoiced`,
    /// `timing`, `level`), in that order. Spec: `groups=f0+voice+formants` (`all` for every
    /// group). Default: every group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
    /// `prosody` only: append the mean of Whisper base's encoder output after this many
    /// layers (1-6) over the same trimmed clip, [`WHISPER_WIDTH`] more columns
    /// (`whisper` module, cargo feature `whisper`; weights from `EMOVOX_WHISPER`). Spec:
    /// `whisper=3` (or `none`). Default none (`utterance-whisper`: 3). Absent in models saved
    /// before it existed (read as none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub whisper: Option<usize>,
}

/// Columns the Whisper encoder adds to a pipeline with [`PipelineConfig::whisper`].
pub const WHISPER_WIDTH: usize = 512;

/// The prosody groups of the `utterance` preset: every group but absolute loudness and level.
pub const UTTERANCE_GROUPS: [&str; 8] = [
    "f0",
    "loudness-rel",
    "spectral",
    "voice",
    "formants",
    "balance-voiced",
    "balance-unvoiced",
    "timing",
];

/// Least speech a trimmed clip needs to be analysed, in seconds of the voice-activity
/// detector's speech regions (without padding); less is [`Error::NoSpeech`].
/// The detector's regions hold the voiced core of a word and leave out its soft onset and
/// release, so 0.15 s of them is a spoken word of about 0.25 s: TurEV-DB's shortest words
/// (0.3-0.35 s files) pass, a click or a breath does not.
pub const MIN_SPEECH_SECONDS: f64 = 0.15;

/// The longest recording read as one clip, seconds (the web API's default cap too): a pipeline
/// without a crop refuses longer ones when decoding ([`Extractor::decode_options`](crate::Extractor::decode_options)),
/// so a recording hours long, or a small file that decompresses to one, cannot exhaust memory.
/// Long recordings get an emotion timeline instead, which streams.
pub const MAX_CLIP_SECONDS: f64 = 600.0;

impl PipelineConfig {
    /// The named presets: `seed`, `mfcc`, `mfcc-deltas`, `logmel`, `handcrafted`,
    /// `logmel-stats`, `speech-stats`, `prosody`, `utterance`, `utterance-whisper`.
    pub const PRESETS: [&'static str; 10] = [
        "seed",
        "mfcc",
        "mfcc-deltas",
        "logmel",
        "handcrafted",
        "logmel-stats",
        "speech-stats",
        "prosody",
        "utterance",
        "utterance-whisper",
    ];

    /// A named preset, or `None` for an unknown name.
    pub fn preset(name: &str) -> Option<Self> {
        let base = |kind| PipelineConfig {
            preset: name.to_string(),
            kind,
            sample_rate: 16_000,
            crop: None,
            n_fft: 2048,
            hop: 512,
            n_mels: 128,
            n_mfcc: 13,
            fmin: 0.0,
            fmax: None,
            top_db: Some(80.0),
            frames: None,
            trim: false,
            groups: None,
            whisper: None,
        };
        Some(match name {
            "seed" => PipelineConfig {
                crop: Some(Crop {
                    offset: 0.4,
                    duration: 1.5,
                }),
                frames: Some(100),
                ..base(Kind::Mfcc)
            },
            "mfcc" => base(Kind::Mfcc),
            "mfcc-deltas" => base(Kind::MfccDeltas),
            "logmel" => base(Kind::LogMel),
            "handcrafted" => base(Kind::Handcrafted),
            "logmel-stats" => PipelineConfig {
                n_fft: 512,
                hop: 160,
                n_mels: 64,
                ..base(Kind::LogMelStats)
            },
            "speech-stats" => PipelineConfig {
                n_fft: 512,
                hop: 160,
                n_mels: 64,
                n_mfcc: 20,
                ..base(Kind::SpeechStats)
            },
            // Only sr, hop and crop are read; the rest are the prosody module's own constants
            // (n_fft and n_mels set to what it uses at 16 kHz, for the record).
            "prosody" => PipelineConfig {
                n_fft: 512,
                hop: 160,
                n_mels: 26,
                n_mfcc: 4,
                ..base(Kind::Prosody)
            },
            // The whole utterance, level-independent: silence trimmed by the VAD, and the
            // prosody groups that do not depend on the recording's gain (absolute loudness and
            // level dropped: a microphone's level is not an emotion).
            "utterance" => PipelineConfig {
                preset: name.to_string(),
                trim: true,
                groups: Some(UTTERANCE_GROUPS.iter().map(|g| g.to_string()).collect()),
                ..Self::preset("prosody")?
            },
            // The utterance functionals and what a pretrained speech encoder hears in the same
            // trimmed clip: Whisper base's third layer, averaged over the clip.
            "utterance-whisper" => PipelineConfig {
                preset: name.to_string(),
                whisper: Some(3),
                ..Self::preset("utterance")?
            },
            _ => return None,
        })
    }

    /// The seed pipeline of the original project.
    pub fn seed() -> Self {
        // "seed" is in PRESETS; the fallback is never taken.
        Self::preset("seed").unwrap_or_else(|| unreachable!())
    }

    /// The keys a spec may override after the preset's name (`--pipeline 'mfcc:n_mfcc=20'`).
    pub const KEYS: [&'static str; 13] = [
        "sr", "crop", "n_fft", "hop", "n_mels", "n_mfcc", "fmin", "fmax", "top_db", "frames",
        "trim", "groups", "whisper",
    ];

    /// The presets as a table for people (`emovox pipelines`): name, shape and parameters of
    /// each, then how to override them.
    pub fn presets_table() -> String {
        let mut s = format!("{:<18} {:<12} parameters\n", "pipeline", "shape");
        for name in PipelineConfig::PRESETS {
            let Some(c) = PipelineConfig::preset(name) else {
                continue;
            };
            let frames = c.frames.map_or("frames".to_string(), |n| n.to_string());
            let crop = c.crop.map_or("whole clip".to_string(), |c| {
                format!("crop {} s + {} s", c.offset, c.duration)
            });
            let shape = if c.per_clip() {
                format!("1x{}", c.n_columns())
            } else {
                format!("{frames}x{}", c.n_columns())
            };
            s.push_str(&format!(
                "{name:<18} {shape:<12} sr={} {crop}, n_fft={} hop={} n_mels={} n_mfcc={} top_db={}{}\n",
                c.sample_rate,
                c.n_fft,
                c.hop,
                c.n_mels,
                c.n_mfcc,
                c.top_db.map_or("none".into(), |t| t.to_string()),
                match (c.trim, c.whisper) {
                    (true, Some(l)) => format!(", trim=vad, whisper={l}"),
                    (true, None) => ", trim=vad".into(),
                    (false, _) => String::new(),
                },
            ));
        }
        s.push_str("\nOverride any parameter: --pipeline 'mfcc:n_mfcc=20,frames=200,crop=0.5+2'\n");
        s.push_str(&format!("Keys: {}\n", PipelineConfig::KEYS.join(", ")));
        s
    }

    /// Whether the output is one row per clip (`handcrafted`, `logmel-stats`, `speech-stats`,
    /// `prosody`) rather than one per frame.
    pub fn per_clip(&self) -> bool {
        matches!(
            self.kind,
            Kind::Handcrafted | Kind::LogMelStats | Kind::SpeechStats | Kind::Prosody
        )
    }

    /// Number of values per frame (columns of the output).
    pub fn n_columns(&self) -> usize {
        match self.kind {
            Kind::Mfcc => self.n_mfcc,
            Kind::MfccDeltas => 3 * self.n_mfcc,
            Kind::LogMel => self.n_mels,
            Kind::Handcrafted => HANDCRAFTED_NAMES.len(),
            Kind::LogMelStats => STATS_NAMES.len() * self.n_mels,
            Kind::SpeechStats => STATS_NAMES.len() * (self.n_mels + 3 * self.n_mfcc),
            Kind::Prosody => {
                self.prosody_columns().len() + self.whisper.map_or(0, |_| WHISPER_WIDTH)
            }
        }
    }

    /// The indices into [`PROSODY_NAMES`] that a `prosody` pipeline keeps ([`groups`](Self::groups)),
    /// in order; unknown group names keep nothing (the spec parser refuses them).
    pub fn prosody_columns(&self) -> Vec<usize> {
        PROSODY_GROUPS
            .iter()
            .filter(|(g, _)| {
                self.groups
                    .as_ref()
                    .is_none_or(|k| k.iter().any(|n| n == g))
            })
            .flat_map(|(_, r)| r.clone())
            .collect()
    }

    /// Names of the output columns, for the per-clip pipelines that have them (`handcrafted`,
    /// `prosody` without `whisper`); `None` for the others.
    pub fn column_names(&self) -> Option<Vec<&'static str>> {
        match self.kind {
            Kind::Handcrafted => Some(HANDCRAFTED_NAMES.to_vec()),
            Kind::Prosody if self.whisper.is_none() => Some(
                self.prosody_columns()
                    .into_iter()
                    .map(|i| PROSODY_NAMES[i])
                    .collect(),
            ),
            _ => None,
        }
    }

    /// The longest part of a clip this pipeline reads, in seconds (a decoder can stop there).
    pub fn max_duration(&self) -> Option<f64> {
        self.crop.map(|c| c.end())
    }

    /// Checks parameters are usable together.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::InvalidPipeline(m));
        if let Some(g) = &self.groups {
            if self.kind != Kind::Prosody {
                return bad("groups applies to the prosody pipeline only".into());
            }
            if self.prosody_columns().is_empty() {
                return bad(format!("prosody groups {g:?} keep no known group"));
            }
        }
        if let Some(l) = self.whisper {
            if self.kind != Kind::Prosody || self.sample_rate != 16_000 {
                return bad("whisper applies to the prosody pipeline at sr=16000 only".into());
            }
            if !(1..=6).contains(&l) {
                return bad(format!(
                    "whisper is a layer of Whisper base, 1 to 6, got {l}"
                ));
            }
        }
        if self.sample_rate < 1000 {
            return bad(format!(
                "sample_rate must be >= 1000 Hz, got {}",
                self.sample_rate
            ));
        }
        if self.n_fft < 16 || !self.n_fft.is_multiple_of(2) {
            return bad(format!("n_fft must be even and >= 16, got {}", self.n_fft));
        }
        if self.hop == 0 {
            return bad("hop must be >= 1".into());
        }
        if self.n_mels == 0 || self.n_mfcc == 0 || self.n_mfcc > self.n_mels {
            return bad(format!(
                "need 1 <= n_mfcc ({}) <= n_mels ({})",
                self.n_mfcc, self.n_mels
            ));
        }
        let nyq = self.sample_rate as f32 / 2.0;
        let fmax = self.fmax.unwrap_or(nyq);
        if !(self.fmin >= 0.0 && fmax > self.fmin && fmax <= nyq) {
            return bad(format!(
                "need 0 <= fmin ({}) < fmax ({fmax}) <= sr/2 ({nyq})",
                self.fmin
            ));
        }
        if let Some(c) = self.crop {
            if !(c.offset >= 0.0 && c.duration > 0.0 && c.end().is_finite()) {
                return bad(format!(
                    "crop must be OFFSET+DURATION with OFFSET >= 0 and DURATION > 0, got {}+{}",
                    c.offset, c.duration
                ));
            }
        }
        if self.frames == Some(0) {
            return bad("frames must be >= 1".into());
        }
        if matches!(self.top_db, Some(t) if t.is_nan() || t < 0.0) {
            return bad("top_db must be >= 0".into());
        }
        if self.kind == Kind::Prosody {
            let long = (crate::prosody::LONG_WINDOW_S * self.sample_rate as f64).round() as usize;
            if self.sample_rate < 11_000 || self.hop > long {
                return bad(format!(
                    "prosody needs sr >= 11000 Hz and hop <= {long} samples (60 ms), got sr {} and hop {}",
                    self.sample_rate, self.hop
                ));
            }
        }
        Ok(())
    }

    fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let bad = || Error::InvalidPipeline(format!("bad value for `{key}`: `{value}`"));
        let none = matches!(value, "none" | "off");
        fn num<T: FromStr>(v: &str, e: impl Fn() -> Error) -> Result<T> {
            v.parse().map_err(|_| e())
        }
        match key {
            "sr" | "sample_rate" => self.sample_rate = num(value, bad)?,
            "n_fft" => self.n_fft = num(value, bad)?,
            "hop" | "hop_length" => self.hop = num(value, bad)?,
            "n_mels" => self.n_mels = num(value, bad)?,
            "n_mfcc" => self.n_mfcc = num(value, bad)?,
            "fmin" => self.fmin = num(value, bad)?,
            "fmax" => self.fmax = if none { None } else { Some(num(value, bad)?) },
            "top_db" => self.top_db = if none { None } else { Some(num(value, bad)?) },
            "frames" => self.frames = if none { None } else { Some(num(value, bad)?) },
            // Which pipelines take groups is checked by `validate`.
            "groups" => {
                self.groups = if value == "all" {
                    None
                } else {
                    let names: Vec<String> =
                        value.split('+').map(|g| g.trim().to_string()).collect();
                    for n in &names {
                        if !PROSODY_GROUPS.iter().any(|(g, _)| g == n) {
                            let known: Vec<&str> = PROSODY_GROUPS.iter().map(|(g, _)| *g).collect();
                            return Err(Error::InvalidPipeline(format!(
                                "unknown prosody group `{n}` (known: {})",
                                known.join(", ")
                            )));
                        }
                    }
                    // Canonical order, so equal selections compare and print equal.
                    Some(
                        PROSODY_GROUPS
                            .iter()
                            .filter(|(g, _)| names.iter().any(|n| n == g))
                            .map(|(g, _)| g.to_string())
                            .collect(),
                    )
                }
            }
            "trim" => {
                self.trim = match value {
                    "vad" | "true" => true,
                    "none" | "false" => false,
                    _ => {
                        return Err(Error::InvalidPipeline(format!(
                            "trim is `vad` or `none`, got `{value}`"
                        )))
                    }
                }
            }
            "whisper" => self.whisper = if none { None } else { Some(num(value, bad)?) },
            "crop" => {
                self.crop = if none {
                    None
                } else {
                    let (a, b) = value.split_once('+').ok_or_else(bad)?;
                    Some(Crop {
                        offset: num(a, bad)?,
                        duration: num(b, bad)?,
                    })
                }
            }
            _ => {
                return Err(Error::InvalidPipeline(format!(
                    "unknown parameter `{key}` (known: {})",
                    PipelineConfig::KEYS.join(", ")
                )))
            }
        }
        Ok(())
    }
}

impl FromStr for PipelineConfig {
    type Err = Error;

    /// Parses `preset[:key=value,...]`.
    fn from_str(spec: &str) -> Result<Self> {
        let (name, params) = spec.split_once(':').unwrap_or((spec, ""));
        let mut c = PipelineConfig::preset(name.trim()).ok_or_else(|| {
            Error::InvalidPipeline(format!(
                "unknown pipeline `{name}` (known: {})",
                PipelineConfig::PRESETS.join(", ")
            ))
        })?;
        for kv in params.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| Error::InvalidPipeline(format!("expected key=value, got `{kv}`")))?;
            c.set(k.trim(), v.trim())?;
        }
        c.validate()?;
        Ok(c)
    }
}

impl fmt::Display for PipelineConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.preset)?;
        let Some(base) = PipelineConfig::preset(&self.preset) else {
            return Ok(());
        };
        let opt = |v: Option<f32>| v.map_or("none".to_string(), |x| x.to_string());
        let mut parts = Vec::new();
        if self.sample_rate != base.sample_rate {
            parts.push(format!("sr={}", self.sample_rate));
        }
        if self.crop != base.crop {
            parts.push(match self.crop {
                Some(c) => format!("crop={}+{}", c.offset, c.duration),
                None => "crop=none".into(),
            });
        }
        for (k, a, b) in [
            ("n_fft", self.n_fft, base.n_fft),
            ("hop", self.hop, base.hop),
            ("n_mels", self.n_mels, base.n_mels),
            ("n_mfcc", self.n_mfcc, base.n_mfcc),
        ] {
            if a != b {
                parts.push(format!("{k}={a}"));
            }
        }
        if self.fmin != base.fmin {
            parts.push(format!("fmin={}", self.fmin));
        }
        if self.fmax != base.fmax {
            parts.push(format!("fmax={}", opt(self.fmax)));
        }
        if self.top_db != base.top_db {
            parts.push(format!("top_db={}", opt(self.top_db)));
        }
        if self.frames != base.frames {
            parts.push(format!(
                "frames={}",
                self.frames.map_or("none".into(), |n| n.to_string())
            ));
        }
        if self.groups != base.groups {
            parts.push(format!(
                "groups={}",
                self.groups.as_ref().map_or("all".into(), |g| g.join("+"))
            ));
        }
        if self.trim != base.trim {
            parts.push(format!("trim={}", if self.trim { "vad" } else { "none" }));
        }
        if self.whisper != base.whisper {
            parts.push(format!(
                "whisper={}",
                self.whisper.map_or("none".into(), |l| l.to_string())
            ));
        }
        if !parts.is_empty() {
            write!(f, ":{}", parts.join(","))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_preset_is_the_original() {
        let s = PipelineConfig::seed();
        assert_eq!(s.kind, Kind::Mfcc);
        assert_eq!(
            (s.sample_rate, s.n_fft, s.hop, s.n_mels, s.n_mfcc),
            (16000, 2048, 512, 128, 13)
        );
        assert_eq!(
            s.crop,
            Some(Crop {
                offset: 0.4,
                duration: 1.5
            })
        );
        assert_eq!(s.frames, Some(100));
        assert_eq!(s.to_string(), "seed");
        assert_eq!(s.max_duration(), Some(1.9));
    }

    #[test]
    fn spec_round_trips() {
        for spec in [
            "mfcc:n_mfcc=20,frames=200",
            "logmel:sr=22050,n_mels=64,top_db=none",
            "seed:crop=none",
            "mfcc:crop=0.5+2",
            "prosody:trim=vad",
            "speech-stats:crop=0+3,trim=vad",
            "prosody:groups=f0+voice+formants,trim=vad",
        ] {
            let c: PipelineConfig = spec.parse().unwrap();
            assert_eq!(c.to_string(), spec);
            assert_eq!(c.to_string().parse::<PipelineConfig>().unwrap(), c);
        }
    }

    #[test]
    fn trim_is_off_by_default_and_absent_from_old_json() {
        let c: PipelineConfig = "prosody".parse().unwrap();
        assert!(!c.trim);
        let mut v = serde_json::to_value(&c).unwrap();
        assert!(
            v.get("trim").is_none(),
            "off is not written: older readers see the same JSON"
        );
        v["trim"] = serde_json::Value::Bool(true);
        let back: PipelineConfig = serde_json::from_value(v).unwrap();
        assert!(back.trim);
        assert!("prosody:trim=maybe".parse::<PipelineConfig>().is_err());
    }

    #[test]
    fn bad_specs_say_why() {
        let e = "nope".parse::<PipelineConfig>().unwrap_err().to_string();
        assert!(
            e.contains("unknown pipeline `nope`") && e.contains("seed"),
            "{e}"
        );
        let e = "mfcc:n_fft=abc"
            .parse::<PipelineConfig>()
            .unwrap_err()
            .to_string();
        assert!(e.contains("n_fft"), "{e}");
        let e = "mfcc:wat=1"
            .parse::<PipelineConfig>()
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown parameter `wat`"), "{e}");
        assert!("mfcc:n_mfcc=200".parse::<PipelineConfig>().is_err());
        assert!("mfcc:fmax=9000".parse::<PipelineConfig>().is_err());
        assert!("mfcc:crop=2+0".parse::<PipelineConfig>().is_err());
        let e = "prosody:groups=f0+pitch"
            .parse::<PipelineConfig>()
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("unknown prosody group `pitch`") && e.contains("formants"),
            "{e}"
        );
        assert!("mfcc:groups=f0".parse::<PipelineConfig>().is_err());
    }

    #[test]
    fn prosody_groups_keep_their_columns_in_order() {
        let c: PipelineConfig = "prosody:groups=formants+f0+voice".parse().unwrap();
        assert_eq!(c.to_string(), "prosody:groups=f0+voice+formants");
        assert_eq!(c.n_columns(), 38);
        let names = c.column_names().unwrap();
        assert_eq!(
            (names[0], names[10], names[37]),
            ("f0_mean", "jitter_mean", "f3_amp_rel_db_std")
        );
        // The groups cover every column once.
        let all: Vec<usize> = PROSODY_GROUPS.iter().flat_map(|(_, r)| r.clone()).collect();
        assert_eq!(all, (0..PROSODY_NAMES.len()).collect::<Vec<_>>());
        assert_eq!(
            "prosody:groups=all"
                .parse::<PipelineConfig>()
                .unwrap()
                .n_columns(),
            102
        );
        let u: PipelineConfig = "utterance".parse().unwrap();
        assert!(u.trim && u.per_clip());
        assert_eq!(u.n_columns(), 90);
        assert_eq!(
            "utterance:groups=all"
                .parse::<PipelineConfig>()
                .unwrap()
                .to_string(),
            "utterance:groups=all"
        );
        assert_eq!(u.to_string(), "utterance");
    }

    #[test]
    fn crop_uses_librosa_load_rounding() {
        let c = Crop {
            offset: 0.4,
            duration: 1.5,
        };
        assert_eq!(c.range(48000, 200_000), (19200, 91200));
        assert_eq!(c.range(24414, 200_000), (9765, 9765 + 36621));
        assert_eq!(c.range(16000, 10_000), (6400, 10_000));
    }

    #[test]
    fn columns_per_kind() {
        let p = |s: &str| s.parse::<PipelineConfig>().unwrap().n_columns();
        assert_eq!(
            (p("seed"), p("mfcc-deltas"), p("logmel"), p("handcrafted")),
            (13, 39, 128, 45)
        );
        assert_eq!(p("prosody"), 102);
        let names = |s: &str| {
            s.parse::<PipelineConfig>()
                .unwrap()
                .column_names()
                .map(|n| n.len())
        };
        assert_eq!(
            (names("prosody"), names("handcrafted"), names("mfcc")),
            (Some(102), Some(45), None)
        );
    }

    #[test]
    fn prosody_preset_parses_and_checks_its_rate() {
        let c: PipelineConfig = "prosody".parse().unwrap();
        assert!(c.per_clip() && c.kind == Kind::Prosody);
        assert_eq!((c.sample_rate, c.hop), (16_000, 160));
        let c: PipelineConfig = "prosody:hop=80".parse().unwrap();
        assert_eq!(c.to_string(), "prosody:hop=80");
        assert!("prosody:sr=8000".parse::<PipelineConfig>().is_err());
        assert!("prosody:hop=2000".parse::<PipelineConfig>().is_err());
    }
}
