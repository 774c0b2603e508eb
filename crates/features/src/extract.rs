//! The planned runner of a [`PipelineConfig`]: FFT plan, window, mel filterbank, DCT matrix and
//! resamplers are built once, scratch buffers are reused, and every clip after the first runs
//! without reallocating.

use std::sync::Arc;

use emovox_audio::stft::{Stft, StftScratch};
use emovox_audio::vad::{Vad, VadConfig, VadScratch};
use emovox_audio::{DecodeOptions, Decoded, Resampler};

use crate::mel::{power_to_db, Dct, MelFilterbank};
use crate::pipeline::{
    Kind, PipelineConfig, HANDCRAFTED_NAMES, MIN_SPEECH_SECONDS, STATS_NAMES, STATS_RANGE_DB,
};
use crate::pitch::{PitchFrame, Yin};
use crate::prosody::{Prosody, ProsodyScratch};
use crate::spectral;
use crate::{Error, Result};

/// A feature matrix: `frames` rows of `columns` values, row-major.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Features {
    /// Rows (time frames; 1 for per-clip vectors).
    pub frames: usize,
    /// Values per row.
    pub columns: usize,
    /// `frames * columns` values, row-major: `values[t * columns + c]`.
    pub values: Vec<f32>,
}

impl Features {
    /// `[frames, columns]`.
    pub fn shape(&self) -> [usize; 2] {
        [self.frames, self.columns]
    }

    /// Row `t`.
    pub fn row(&self, t: usize) -> &[f32] {
        &self.values[t * self.columns..(t + 1) * self.columns]
    }
}

/// Reusable buffers; one set per extractor (so one per thread).
#[derive(Debug, Clone)]
struct Scratch {
    stft: StftScratch,
    frame_power: Vec<f32>,
    resampled: Vec<f32>,
    mel: Vec<f32>,
    mfcc: Vec<f32>,
    d1: Vec<f32>,
    d2: Vec<f32>,
    /// MFCC, deltas and delta-deltas interleaved per frame (`speech-stats`).
    mfcc_deltas: Vec<f32>,
    /// One column of a statistics pipeline, sorted for its percentiles.
    scratch: Vec<f32>,
    centroid: Vec<f32>,
    rolloff: Vec<f32>,
    zcr: Vec<f32>,
    rms: Vec<f32>,
    pitch: Vec<PitchFrame>,
    prosody: ProsodyScratch,
}

impl Scratch {
    /// Appends the MFCC frames with their deltas and delta-deltas (width 9), interleaved per
    /// frame (`n_mfcc` of each), to `out`, computing the deltas into `d1` and `d2`.
    fn mfcc_with_deltas(&mut self, n_mfcc: usize, out: &mut Vec<f32>) {
        spectral::delta(&self.mfcc, n_mfcc, 9, &mut self.d1);
        spectral::delta(&self.d1, n_mfcc, 9, &mut self.d2);
        let n = n_mfcc.max(1);
        for ((c, d1), d2) in self
            .mfcc
            .chunks_exact(n)
            .zip(self.d1.chunks_exact(n))
            .zip(self.d2.chunks_exact(n))
        {
            out.extend_from_slice(c);
            out.extend_from_slice(d1);
            out.extend_from_slice(d2);
        }
    }
}

/// Runs one pipeline over many clips. Clone it to give each worker thread its own scratch space
/// (plans are shared).
///
/// ```
/// use emovox_features::{Extractor, PipelineConfig};
///
/// let mut ex = Extractor::new(PipelineConfig::seed())?;
/// let tone: Vec<f32> = (0..48_000 * 2).map(|i| (i as f32 * 0.05).sin() * 0.3).collect();
/// let f = ex.process(&tone, 48_000)?;
/// assert_eq!(f.shape(), [100, 13]);
/// # Ok::<(), emovox_features::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Extractor {
    config: PipelineConfig,
    stft: Stft,
    mel: Arc<MelFilterbank>,
    dct: Arc<Dct>,
    yin: Option<Arc<Yin>>,
    prosody: Option<Arc<Prosody>>,
    /// The prosody columns a `groups` selection keeps (indices in increasing order), planned
    /// once; `None` keeps them all.
    prosody_keep: Option<Arc<[usize]>>,
    /// The voice-activity detector of a trimming pipeline ([`PipelineConfig::trim`]).
    trim: Option<Trimmer>,
    /// The Whisper encoder of a pipeline with [`PipelineConfig::whisper`], shared by every
    /// extractor of the process.
    #[cfg(feature = "whisper")]
    whisper: Option<Arc<crate::whisper::WhisperEncoder>>,
    resamplers: Resamplers,
    s: Scratch,
}

/// The detector and its per-thread state. A clone starts with fresh state.
#[derive(Debug)]
struct Trimmer {
    vad: Vad,
    scratch: VadScratch,
}

impl Clone for Trimmer {
    fn clone(&self) -> Self {
        Trimmer {
            vad: self.vad.clone(),
            scratch: self.vad.scratch(),
        }
    }
}

impl Trimmer {
    /// Seconds of silence kept before the first and after the last speech (the detector's
    /// default padding): soft onsets and release are part of the utterance.
    const PAD_SECONDS: f64 = 0.1;

    /// The span of `y` (at `rate`) from the first speech to the last, padded by
    /// [`PAD_SECONDS`](Self::PAD_SECONDS), or [`Error::NoSpeech`] when the detector's speech
    /// regions add up to less than [`MIN_SPEECH_SECONDS`].
    fn span(&mut self, y: &[f32], rate: u32) -> Result<(usize, usize)> {
        // Regions without padding, so their lengths are the speech itself.
        let regions = self.vad.speech_regions(y, rate, &mut self.scratch)?;
        let speech: usize = regions.iter().map(|&(a, b)| b - a).sum();
        let speech = speech as f64 / rate as f64;
        let pad = (Self::PAD_SECONDS * rate as f64) as usize;
        match (regions.first(), regions.last()) {
            (Some(first), Some(last)) if speech >= MIN_SPEECH_SECONDS => {
                Ok((first.0.saturating_sub(pad), (last.1 + pad).min(y.len())))
            }
            _ => Err(Error::NoSpeech { speech }),
        }
    }
}

/// Resamplers planned so far, one per source rate. A clone starts empty (plans are per thread).
#[derive(Debug, Default)]
struct Resamplers(Vec<(u32, Resampler)>);

impl Clone for Resamplers {
    fn clone(&self) -> Self {
        Resamplers::default()
    }
}

impl Extractor {
    /// Plans `config` (validating it first).
    pub fn new(config: PipelineConfig) -> Result<Self> {
        config.validate()?;
        let sr = config.sample_rate as f32;
        let stft = Stft::new(config.n_fft, config.hop)?;
        let fmax = config.fmax.unwrap_or(sr / 2.0);
        let mel = MelFilterbank::new(
            sr as f64,
            config.n_fft,
            config.n_mels,
            config.fmin as f64,
            fmax as f64,
        );
        let dct = Dct::new(config.n_mels, config.n_mfcc);
        let yin = match config.kind {
            Kind::Handcrafted => Some(Arc::new(
                Yin::new(sr, config.n_fft, config.hop, 65.0, 500.0_f32.min(sr / 4.0)).ok_or_else(
                    || {
                        Error::InvalidPipeline(format!(
                            "n_fft {} too short for pitch down to 65 Hz",
                            config.n_fft
                        ))
                    },
                )?,
            )),
            _ => None,
        };
        let prosody = match config.kind {
            Kind::Prosody => Some(Arc::new(Prosody::new(config.sample_rate, config.hop)?)),
            _ => None,
        };
        let prosody_keep = match (config.kind, &config.groups) {
            (Kind::Prosody, Some(_)) => Some(config.prosody_columns().into()),
            _ => None,
        };
        let trim = if config.trim {
            let vad = Vad::new(VadConfig::new().pad(0.0))?;
            let scratch = vad.scratch();
            Some(Trimmer { vad, scratch })
        } else {
            None
        };
        #[cfg(feature = "whisper")]
        let whisper = match config.whisper {
            Some(layers) => Some(crate::whisper::WhisperEncoder::shared(
                &crate::whisper::weights_path(),
                layers,
            )?),
            None => None,
        };
        #[cfg(not(feature = "whisper"))]
        if config.whisper.is_some() {
            return Err(Error::InvalidPipeline(
                "this build has no Whisper encoder (emovox-features' cargo feature `whisper`)"
                    .into(),
            ));
        }
        let s = Scratch {
            stft: stft.scratch(),
            frame_power: vec![0.0; stft.n_bins()],
            resampled: Vec::new(),
            mel: Vec::new(),
            mfcc: Vec::new(),
            d1: Vec::new(),
            d2: Vec::new(),
            mfcc_deltas: Vec::new(),
            scratch: Vec::new(),
            centroid: Vec::new(),
            rolloff: Vec::new(),
            zcr: Vec::new(),
            rms: Vec::new(),
            pitch: Vec::new(),
            prosody: ProsodyScratch::default(),
        };
        Ok(Extractor {
            config,
            stft,
            mel: Arc::new(mel),
            dct: Arc::new(dct),
            yin,
            prosody,
            prosody_keep,
            trim,
            #[cfg(feature = "whisper")]
            whisper,
            resamplers: Resamplers::default(),
            s,
        })
    }

    /// The pipeline this extractor runs.
    pub fn config(&self) -> &PipelineConfig {
        &self.config
    }

    /// How to decode a file for this pipeline: only the part the crop reads, from its start
    /// (which FLAC and PCM reach by seeking, without decoding what comes before) to its end.
    /// Give the decoded clip to [`process_decoded`](Self::process_decoded). A pipeline that
    /// reads whole clips refuses streams longer than [`MAX_CLIP_SECONDS`](crate::MAX_CLIP_SECONDS).
    pub fn decode_options(&self) -> DecodeOptions {
        let crop = self.config.crop;
        let max = self.config.max_duration();
        DecodeOptions::new()
            .start_seconds(crop.map(|c| c.offset).filter(|&o| o > 0.0))
            .max_seconds(max)
            .longest(max.is_none().then_some(crate::MAX_CLIP_SECONDS))
    }

    /// Computes the features of a decoded clip, which may begin after the start of its stream
    /// ([`Decoded::start_frame`], when decoded with [`decode_options`](Self::decode_options)):
    /// the crop is placed by position in the stream, so the result is the same as
    /// [`process`](Self::process) on the whole stream.
    pub fn process_decoded(&mut self, clip: &Decoded) -> Result<Features> {
        let mut out = Features::default();
        let rate = clip.sample_rate;
        let (a, b) = self.crop_range(clip.samples.len(), rate, clip.start_frame)?;
        let part = &clip.samples[a..b];
        if rate == self.config.sample_rate {
            // Already at the pipeline's rate (TESS, 16 kHz recordings): analyse the decoded
            // samples where they are instead of copying them into the resampling buffer.
            self.analyse(part, &mut out)?;
            return Ok(out);
        }
        let mut y = std::mem::take(&mut self.s.resampled);
        let res = self
            .resample(part, rate, &mut y)
            .and_then(|()| self.analyse(&y, &mut out));
        self.s.resampled = y;
        res.map(|()| out)
    }

    /// Computes the features of a mono clip at `rate` Hz.
    pub fn process(&mut self, samples: &[f32], rate: u32) -> Result<Features> {
        let mut out = Features::default();
        self.process_into(samples, rate, &mut out)?;
        Ok(out)
    }

    /// Like [`process`](Self::process), writing into `out` to reuse its allocation.
    pub fn process_into(&mut self, samples: &[f32], rate: u32, out: &mut Features) -> Result<()> {
        // Take the buffer out of `self` while `analyse` borrows it mutably.
        let mut y = std::mem::take(&mut self.s.resampled);
        let res = self
            .prepare(samples, rate, &mut y)
            .and_then(|()| self.analyse(&y, out));
        self.s.resampled = y;
        res
    }

    /// The first stage of [`process`](Self::process) alone: crops `samples` (at `rate` Hz) as the
    /// pipeline says and resamples them to the pipeline's rate, into `y`. Augmentation goes
    /// between this and [`process_prepared`](Self::process_prepared).
    pub fn prepare(&mut self, samples: &[f32], rate: u32, y: &mut Vec<f32>) -> Result<()> {
        self.prepare_at(samples, rate, 0, y)
    }

    /// [`prepare`](Self::prepare) for a clip decoded with [`decode_options`](Self::decode_options)
    /// (which may begin after the start of its stream).
    pub fn prepare_decoded(&mut self, clip: &Decoded, y: &mut Vec<f32>) -> Result<()> {
        self.prepare_at(&clip.samples, clip.sample_rate, clip.start_frame, y)
    }

    /// [`prepare`](Self::prepare) for `samples` that begin `first` frames into their stream.
    fn prepare_at(
        &mut self,
        samples: &[f32],
        rate: u32,
        first: usize,
        y: &mut Vec<f32>,
    ) -> Result<()> {
        let (a, b) = self.crop_range(samples.len(), rate, first)?;
        let clip = &samples[a..b];
        if rate == self.config.sample_rate {
            y.clear();
            y.extend_from_slice(clip);
            return Ok(());
        }
        self.resample(clip, rate, y)
    }

    /// The part of `len` samples at `rate`, beginning `first` frames into their stream, that the
    /// pipeline's crop keeps, as indices into those samples.
    fn crop_range(&self, len: usize, rate: u32, first: usize) -> Result<(usize, usize)> {
        if !(1000..=emovox_audio::MAX_RATE).contains(&rate) {
            return Err(Error::InvalidInput(format!(
                "sample rate {rate} Hz is outside 1000..={} Hz",
                emovox_audio::MAX_RATE
            )));
        }
        // The crop in stream positions (librosa's rounding), then in positions of `samples`.
        let total = first.saturating_add(len);
        let (a, b) = match self.config.crop {
            Some(c) => c.range(rate, total),
            None => (first, total),
        };
        if a >= b {
            let got = total as f64 / rate as f64;
            // The crop's start (not `a`, which is clamped to the clip's end).
            let expected = self.config.crop.map_or(0.0, |c| c.offset);
            return Err(Error::TooShort { expected, got });
        }
        if a < first {
            return Err(Error::InvalidInput(format!(
                "the clip starts {first} frames into its stream, after the crop's start ({a})"
            )));
        }
        Ok((a - first, b - first))
    }

    /// The second stage of [`process`](Self::process): features of `y`, a clip already cropped
    /// and at the pipeline's rate (as [`prepare`](Self::prepare) returns it).
    pub fn process_prepared(&mut self, y: &[f32], out: &mut Features) -> Result<()> {
        if y.is_empty() {
            return Err(Error::TooShort {
                expected: 1.0 / self.config.sample_rate as f64,
                got: 0.0,
            });
        }
        self.analyse(y, out)
    }

    fn resample(&mut self, clip: &[f32], rate: u32, y: &mut Vec<f32>) -> Result<()> {
        let target = self.config.sample_rate;
        {
            let cache = &mut self.resamplers.0;
            let idx = match cache.iter().position(|(r, _)| *r == rate) {
                Some(i) => i,
                None => {
                    cache.push((rate, Resampler::new(rate, target)?));
                    cache.len() - 1
                }
            };
            cache[idx].1.process(clip, y)?;
        }
        Ok(())
    }

    /// Features of `y`, already cropped and at the pipeline's rate: trimmed to its speech
    /// first when the pipeline says so.
    fn analyse(&mut self, y: &[f32], out: &mut Features) -> Result<()> {
        // Samples passed directly (Python arrays, live PCM) have not been through the decoder's
        // check: NaN or huge values would become infinities in the STFT.
        emovox_audio::guard::check_samples(y)?;
        match self.trim.as_mut() {
            Some(t) => {
                let (a, b) = t.span(y, self.config.sample_rate)?;
                self.analyse_span(&y[a..b], out)
            }
            None => self.analyse_span(y, out),
        }
    }

    /// Features of `y` as it is.
    fn analyse_span(&mut self, y: &[f32], out: &mut Features) -> Result<()> {
        if let Some(p) = &self.prosody {
            // Its own frames and windows: none of the mel pass below is needed.
            out.values.clear();
            p.process(y, &mut self.s.prosody, &mut out.values);
            if let Some(keep) = &self.prosody_keep {
                // In place: the kept indices increase, so each is read before it is overwritten.
                for (j, &i) in keep.iter().enumerate() {
                    out.values[j] = out.values[i];
                }
                out.values.truncate(keep.len());
            }
            #[cfg(feature = "whisper")]
            if let Some(w) = &self.whisper {
                out.values.extend(w.layer_mean(y)?);
            }
            out.columns = out.values.len();
            out.frames = 1;
            return Ok(());
        }
        let target = self.config.sample_rate;
        let n_mels = self.config.n_mels;
        let want_mag = self.config.kind == Kind::Handcrafted;
        let bin_hz = target as f32 / self.config.n_fft as f32;
        // One STFT pass: mel power per frame (and centroid/roll-off from magnitudes if needed).
        let frames = self.stft.n_frames(y.len());
        {
            let s = &mut self.s;
            s.mel.clear();
            s.mel.resize(frames * n_mels, 0.0);
            s.centroid.clear();
            s.rolloff.clear();
            let mel = &self.mel;
            let (mel_out, fp) = (&mut s.mel, &mut s.frame_power);
            let (centroid, rolloff) = (&mut s.centroid, &mut s.rolloff);
            self.stft.for_each_frame(y, &mut s.stft, |t, spec| {
                for (p, c) in fp.iter_mut().zip(spec) {
                    *p = c.norm_sqr();
                }
                mel.apply_frame(fp, &mut mel_out[t * n_mels..(t + 1) * n_mels]);
                if want_mag {
                    for p in fp.iter_mut() {
                        *p = p.sqrt();
                    }
                    centroid.push(spectral::spectral_centroid(fp, bin_hz));
                    rolloff.push(spectral::spectral_rolloff(fp, bin_hz, 0.85));
                }
            });
        }
        power_to_db(&mut self.s.mel, 1e-10, self.config.top_db);
        let n_mfcc = self.config.n_mfcc;
        if !matches!(self.config.kind, Kind::LogMel | Kind::LogMelStats) {
            let s = &mut self.s;
            s.mfcc.clear();
            s.mfcc.resize(frames * n_mfcc, 0.0);
            for (m, c) in s
                .mel
                .chunks_exact(n_mels)
                .zip(s.mfcc.chunks_exact_mut(n_mfcc))
            {
                self.dct.apply(m, c);
            }
        }
        out.values.clear();
        match self.config.kind {
            Kind::Mfcc => {
                out.columns = n_mfcc;
                out.values.extend_from_slice(&self.s.mfcc);
            }
            Kind::LogMel => {
                out.columns = n_mels;
                out.values.extend_from_slice(&self.s.mel);
            }
            Kind::MfccDeltas => {
                out.columns = 3 * n_mfcc;
                self.s.mfcc_with_deltas(n_mfcc, &mut out.values);
            }
            Kind::LogMelStats | Kind::SpeechStats => {
                let s = &mut self.s;
                let keep = kept_frames(&s.mel, n_mels);
                frame_stats(&s.mel, n_mels, &keep, &mut s.scratch, &mut out.values);
                if self.config.kind == Kind::SpeechStats {
                    let mut md = std::mem::take(&mut s.mfcc_deltas);
                    md.clear();
                    s.mfcc_with_deltas(n_mfcc, &mut md);
                    frame_stats(&md, 3 * n_mfcc, &keep, &mut s.scratch, &mut out.values);
                    s.mfcc_deltas = md;
                }
                out.columns = self.config.n_columns();
                out.frames = 1;
                return Ok(());
            }
            Kind::Prosody => unreachable!("prosody returns above"),
            Kind::Handcrafted => {
                self.handcrafted(y, target, frames, &mut out.values);
                out.columns = HANDCRAFTED_NAMES.len();
                out.frames = 1;
                return Ok(());
            }
        }
        out.frames = frames;
        if let Some(n) = self.config.frames {
            out.values.resize(n * out.columns, 0.0);
            out.frames = n;
        }
        Ok(())
    }

    fn handcrafted(&mut self, y: &[f32], sr: u32, frames: usize, v: &mut Vec<f32>) {
        let (fl, hop) = (self.config.n_fft, self.config.hop);
        let n_mfcc = self.config.n_mfcc;
        let s = &mut self.s;
        spectral::zero_crossing_rate(y, fl, hop, &mut s.zcr);
        spectral::rms(y, fl, hop, &mut s.rms);
        if let Some(yin) = &self.yin {
            yin.process(y, &mut s.pitch);
        }
        for c in 0..13 {
            let col = (c < n_mfcc).then(|| (0..frames).map(|t| s.mfcc[t * n_mfcc + c]));
            v.push(col.map_or(0.0, |it| mean_std(it).0));
        }
        for c in 0..13 {
            let col = (c < n_mfcc).then(|| (0..frames).map(|t| s.mfcc[t * n_mfcc + c]));
            v.push(col.map_or(0.0, |it| mean_std(it).1));
        }
        let (m, sd) = mean_std(s.mel.iter().copied());
        let (lo, hi) = min_max(s.mel.iter().copied());
        v.extend([m, sd, lo, hi]);
        let (m, sd) = mean_std(s.zcr.iter().copied());
        v.extend([m, sd]);
        let (m, sd) = mean_std(s.rms.iter().copied());
        v.extend([m, sd, min_max(s.rms.iter().copied()).1]);
        let (m, sd) = mean_std(s.centroid.iter().copied());
        v.extend([m, sd]);
        let (m, sd) = mean_std(s.rolloff.iter().copied());
        v.extend([m, sd]);
        let voiced = || {
            s.pitch
                .iter()
                .filter(|p| p.aperiodicity < 0.1)
                .map(|p| p.f0)
        };
        let n_voiced = voiced().count();
        let (m, sd) = mean_std(voiced());
        let (lo, hi) = if n_voiced == 0 {
            (0.0, 0.0)
        } else {
            min_max(voiced())
        };
        let frac = n_voiced as f32 / s.pitch.len().max(1) as f32;
        v.extend([m, sd, lo, hi, frac, y.len() as f32 / sr as f32]);
    }
}

/// Mean and population standard deviation (numpy's default `ddof=0`); zeros when empty.
/// Which frames of a log-mel spectrogram (`mel`, frames x `n_mels` dB) the statistics
/// pipelines read: those whose mean level is within [`STATS_RANGE_DB`] of the loudest frame's.
fn kept_frames(mel: &[f32], n_mels: usize) -> Vec<bool> {
    let level = |f: &[f32]| f.iter().sum::<f32>() / n_mels.max(1) as f32;
    let loudest = mel
        .chunks_exact(n_mels)
        .map(level)
        .fold(f32::NEG_INFINITY, f32::max);
    mel.chunks_exact(n_mels)
        .map(|f| level(f) > loudest - STATS_RANGE_DB)
        .collect()
}

/// Each column's [`STATS_NAMES`] over the `keep` frames of `frames` (row-major, `cols`
/// values a frame), statistic-major, appended to `out` (percentiles interpolated linearly, as
/// numpy's default; the differences are between consecutive kept frames). `scratch` holds one
/// column at a time.
fn frame_stats(
    frames: &[f32],
    cols: usize,
    keep: &[bool],
    scratch: &mut Vec<f32>,
    out: &mut Vec<f32>,
) {
    let kept: Vec<&[f32]> = frames
        .chunks_exact(cols)
        .zip(keep)
        .filter_map(|(f, &k)| k.then_some(f))
        .collect();
    let base = out.len();
    out.resize(base + STATS_NAMES.len() * cols, 0.0);
    if kept.is_empty() {
        return;
    }
    let percentile = |sorted: &[f32], q: f64| -> f32 {
        let pos = q * (sorted.len() - 1) as f64;
        let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
        let w = (pos - lo as f64) as f32;
        sorted[lo] + (sorted[hi] - sorted[lo]) * w
    };
    for b in 0..cols {
        scratch.clear();
        scratch.extend(kept.iter().map(|f| f[b]));
        let (mean, std) = mean_std(scratch.iter().copied());
        let (diff_abs, diff_std) = if scratch.len() > 1 {
            let d = scratch.windows(2).map(|w| w[1] - w[0]);
            (mean_std(d.clone().map(f32::abs)).0, mean_std(d).1)
        } else {
            (0.0, 0.0)
        };
        scratch.sort_unstable_by(f32::total_cmp);
        let stats = [
            mean,
            std,
            scratch[scratch.len() - 1],
            scratch[0],
            percentile(scratch, 0.1),
            percentile(scratch, 0.9),
            diff_abs,
            diff_std,
        ];
        for (k, v) in stats.into_iter().enumerate() {
            out[base + k * cols + b] = v;
        }
    }
}

fn mean_std(it: impl Iterator<Item = f32> + Clone) -> (f32, f32) {
    let (mut n, mut sum) = (0usize, 0.0f64);
    for x in it.clone() {
        n += 1;
        sum += x as f64;
    }
    if n == 0 {
        return (0.0, 0.0);
    }
    let mean = sum / n as f64;
    let var = it.map(|x| (x as f64 - mean).powi(2)).sum::<f64>() / n as f64;
    (mean as f32, var.sqrt() as f32)
}

fn min_max(it: impl Iterator<Item = f32>) -> (f32, f32) {
    let (lo, hi) = it.fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), x| {
        (a.min(x), b.max(x))
    });
    if lo > hi {
        (0.0, 0.0)
    } else {
        (lo, hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prosody::PROSODY_NAMES;

    fn tone(hz: f32, sr: u32, secs: f32) -> Vec<f32> {
        let n = (sr as f32 * secs) as usize;
        (0..n)
            .map(|i| (2.0 * std::f32::consts::PI * hz * i as f32 / sr as f32).sin() * 0.5)
            .collect()
    }

    #[test]
    fn seed_pads_short_clips_to_100_frames() {
        let mut ex = Extractor::new(PipelineConfig::seed()).unwrap();
        let f = ex.process(&tone(300.0, 16000, 1.0), 16000).unwrap();
        assert_eq!(f.shape(), [100, 13]);
        // 0.6 s kept -> 1 + 9600/512 = 19 frames of data, then zeros.
        assert!(f.row(18).iter().any(|&v| v != 0.0));
        assert!(f.row(19).iter().all(|&v| v == 0.0));
    }

    /// `lead` s of silence, `secs` s of a 220 Hz tone, `lead` s of silence, at 16 kHz.
    fn burst(secs: f32, lead: f32) -> Vec<f32> {
        let quiet = vec![0.0; (16_000.0 * lead) as usize];
        let mut y = quiet.clone();
        y.extend(tone(220.0, 16_000, secs));
        y.extend(quiet);
        y
    }

    #[test]
    fn trim_reads_the_speech_and_refuses_silence() {
        let mut ex = Extractor::new("logmel:trim=vad".parse().unwrap()).unwrap();
        // 0.8 s of "speech" in 3.8 s: about 0.8 s + 2 x 0.1 s padding is read (32 frames).
        let f = ex.process(&burst(0.8, 1.5), 16_000).unwrap();
        assert!((28..=36).contains(&f.frames), "{} frames", f.frames);
        let untrimmed = Extractor::new("logmel".parse().unwrap())
            .unwrap()
            .process(&burst(0.8, 1.5), 16_000)
            .unwrap();
        assert!(untrimmed.frames > 110);
        // Digital silence, and a burst too short to read an emotion from.
        for y in [vec![0.0; 48_000], burst(0.12, 1.0)] {
            let e = ex.process(&y, 16_000).unwrap_err();
            assert!(matches!(e, Error::NoSpeech { .. }), "{e}");
            assert!(e.to_string().starts_with("no speech"), "{e}");
        }
        // The same through the per-clip prosody pipeline, from another rate.
        let mut ex = Extractor::new("prosody:trim=vad".parse().unwrap()).unwrap();
        let y48: Vec<f32> = burst(0.8, 1.0).iter().flat_map(|&v| [v, v, v]).collect();
        assert_eq!(
            ex.process(&y48, 48_000).unwrap().shape(),
            [1, PROSODY_NAMES.len()]
        );
        assert!(matches!(
            ex.process(&vec![0.0; 48_000], 48_000),
            Err(Error::NoSpeech { .. })
        ));
    }

    #[test]
    fn clip_shorter_than_crop_start_is_an_error() {
        let mut ex = Extractor::new(PipelineConfig::seed()).unwrap();
        let e = ex.process(&tone(300.0, 16000, 0.3), 16000).unwrap_err();
        assert!(matches!(e, Error::TooShort { .. }), "{e}");
        assert!(e.to_string().contains("0.30 s"), "{e}");
    }

    #[test]
    fn absurd_sample_rates_are_refused() {
        let mut ex = Extractor::new(PipelineConfig::seed()).unwrap();
        for rate in [0, 1, 999, 4_000_000_000] {
            assert!(
                matches!(
                    ex.process(&[0.0; 100_000], rate),
                    Err(Error::InvalidInput(_))
                ),
                "{rate}"
            );
        }
    }

    #[test]
    fn prepare_then_process_prepared_equals_process() {
        let mut ex = Extractor::new(PipelineConfig::seed()).unwrap();
        let clip = tone(220.0, 48_000, 2.0);
        let whole = ex.process(&clip, 48_000).unwrap();
        let mut y = Vec::new();
        ex.prepare(&clip, 48_000, &mut y).unwrap();
        assert_eq!(y.len(), 24_000);
        let mut staged = Features::default();
        ex.process_prepared(&y, &mut staged).unwrap();
        assert_eq!(whole, staged);
    }

    fn decoded(samples: &[f32], rate: u32, start_frame: usize) -> Decoded {
        Decoded {
            samples: samples.to_vec(),
            sample_rate: rate,
            channels: 1,
            format: "test/pcm".into(),
            truncated: false,
            skipped_packets: 0,
            nonfinite_zeroed: 0,
            start_frame,
        }
    }

    #[test]
    fn a_clip_decoded_from_the_crop_start_gives_the_same_features() {
        let mut ex = Extractor::new(PipelineConfig::seed()).unwrap();
        let opts = ex.decode_options();
        assert_eq!(
            opts,
            DecodeOptions::new()
                .start_seconds(Some(0.4))
                .max_seconds(Some(1.9))
        );
        for (rate, len) in [(48_000, 48_000 * 2), (24_414, 24_414 * 3), (16_000, 20_000)] {
            let clip = tone(230.0, rate, len as f32 / rate as f32);
            let whole = ex.process(&clip, rate).unwrap();
            let skip = (0.4 * rate as f64) as usize;
            let late = ex
                .process_decoded(&decoded(&clip[skip..], rate, skip))
                .unwrap();
            assert_eq!(whole, late, "{rate}");
            let from_zero = ex.process_decoded(&decoded(&clip, rate, 0)).unwrap();
            assert_eq!(whole, from_zero, "{rate}");
        }
        // Skipped past the crop's start: refused, not silently shifted.
        let clip = tone(230.0, 16_000, 2.0);
        let e = ex
            .process_decoded(&decoded(&clip[7000..], 16_000, 7000))
            .unwrap_err();
        assert!(matches!(e, Error::InvalidInput(_)), "{e}");
        // A stream that ended before the crop's start (the decoder returns no samples).
        let e = ex.process_decoded(&decoded(&[], 16_000, 4800)).unwrap_err();
        assert!(matches!(e, Error::TooShort { .. }), "{e}");
        assert!(e.to_string().contains("0.30 s"), "{e}");
    }

    #[test]
    fn reuse_gives_identical_results() {
        let mut ex = Extractor::new("mfcc-deltas".parse().unwrap()).unwrap();
        let a = ex.process(&tone(440.0, 22050, 0.8), 22050).unwrap();
        let _ = ex.process(&tone(200.0, 16000, 1.3), 16000).unwrap();
        let b = ex.process(&tone(440.0, 22050, 0.8), 22050).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.columns, 39);
    }

    #[test]
    fn handcrafted_vector_describes_a_tone() {
        let mut ex = Extractor::new("handcrafted".parse().unwrap()).unwrap();
        let f = ex.process(&tone(220.0, 16000, 1.0), 16000).unwrap();
        assert_eq!(f.shape(), [1, HANDCRAFTED_NAMES.len()]);
        let get = |name: &str| f.values[HANDCRAFTED_NAMES.iter().position(|n| *n == name).unwrap()];
        assert!(
            (get("f0_mean") - 220.0).abs() < 2.0,
            "f0 {}",
            get("f0_mean")
        );
        assert!(get("voiced_fraction") > 0.7);
        assert!(
            (get("centroid_mean") - 220.0).abs() < 60.0,
            "centroid {}",
            get("centroid_mean")
        );
        assert!((get("duration_s") - 1.0).abs() < 1e-6);
        // ZCR of a 220 Hz tone at 16 kHz: 440 crossings/s -> 0.0275 per sample.
        assert!(
            (get("zcr_mean") - 0.0275).abs() < 0.004,
            "zcr {}",
            get("zcr_mean")
        );
    }

    #[test]
    fn logmel_top_db_floor() {
        let mut ex = Extractor::new("logmel".parse().unwrap()).unwrap();
        let f = ex.process(&tone(1000.0, 16000, 0.5), 16000).unwrap();
        let max = f.values.iter().cloned().fold(f32::MIN, f32::max);
        let min = f.values.iter().cloned().fold(f32::MAX, f32::min);
        assert!(max - min <= 80.0 + 1e-3);
    }

    #[test]
    fn log_mel_stats_of_a_tiny_spectrogram_match_numpy() {
        // 5 frames x 2 bands. Frame levels -10, -15, -100, -20, -12: the third is more than
        // 40 dB below the loudest and is left out; the kept band values are then
        // band 0: -8, -12, -25, -10 and band 1: -12, -18, -15, -14.
        let mel = [
            -8.0, -12.0, -12.0, -18.0, -100.0, -100.0, -25.0, -15.0, -10.0, -14.0,
        ];
        let (mut scratch, mut out) = (Vec::new(), Vec::new());
        let keep = kept_frames(&mel, 2);
        assert_eq!(keep, [true, true, false, true, true]);
        frame_stats(&mel, 2, &keep, &mut scratch, &mut out);
        assert_eq!(out.len(), STATS_NAMES.len() * 2);
        // numpy: x = [-8, -12, -25, -10]; x.mean(), x.std(), x.max(), x.min(),
        // np.percentile(x, 10), np.percentile(x, 90), np.abs(np.diff(x)).mean(), np.diff(x).std()
        let band0 = [
            -13.75,
            6.647_368,
            -8.0,
            -25.0,
            -21.1,
            -8.6,
            (4.0 + 13.0 + 15.0) / 3.0,
            11.671_428,
        ];
        // x = [-12, -18, -15, -14]
        let band1 = [
            -14.75,
            2.1650635,
            -12.0,
            -18.0,
            -17.1,
            -12.6,
            (6.0 + 3.0 + 1.0) / 3.0,
            3.8586123,
        ];
        for k in 0..STATS_NAMES.len() {
            assert!(
                (out[2 * k] - band0[k]).abs() < 1e-4,
                "band 0 {}: {}",
                STATS_NAMES[k],
                out[2 * k]
            );
            assert!(
                (out[2 * k + 1] - band1[k]).abs() < 1e-4,
                "band 1 {}: {}",
                STATS_NAMES[k],
                out[2 * k + 1]
            );
        }
    }

    #[test]
    fn logmel_stats_pipeline_gives_one_row_of_eight_stats_per_band() {
        let c: PipelineConfig = "logmel-stats".parse().unwrap();
        assert_eq!((c.n_fft, c.hop, c.n_mels), (512, 160, 64));
        assert_eq!(c.n_columns(), 512);
        let mut ex = Extractor::new(c).unwrap();
        let f = ex.process(&tone(440.0, 16000, 1.0), 16000).unwrap();
        assert_eq!(f.shape(), [1, 512]);
        assert!(f.values.iter().all(|v| v.is_finite()));
        // For each band max >= p90 >= mean-ish >= p10 >= min.
        for b in 0..64 {
            let g = |k: usize| f.values[k * 64 + b];
            assert!(g(2) >= g(5) && g(5) >= g(4) && g(4) >= g(3), "band {b}");
        }
    }

    #[test]
    fn speech_stats_are_logmel_stats_then_mfcc_delta_stats_over_the_same_frames() {
        let y = tone(300.0, 16000, 1.0);
        let f = Extractor::new("speech-stats".parse().unwrap())
            .unwrap()
            .process(&y, 16000)
            .unwrap();
        assert_eq!(f.shape(), [1, 8 * 64 + 8 * 60]);
        let lm = Extractor::new("logmel-stats".parse().unwrap())
            .unwrap()
            .process(&y, 16000)
            .unwrap();
        assert_eq!(
            &f.values[..512],
            &lm.values[..],
            "the log-mel part is logmel-stats"
        );
        // The MFCC part: the statistics of mfcc-deltas' frames, kept by the log-mel level.
        let mel = Extractor::new("logmel:n_fft=512,hop=160,n_mels=64".parse().unwrap())
            .unwrap()
            .process(&y, 16000)
            .unwrap();
        let md = Extractor::new(
            "mfcc-deltas:n_fft=512,hop=160,n_mels=64,n_mfcc=20"
                .parse()
                .unwrap(),
        )
        .unwrap()
        .process(&y, 16000)
        .unwrap();
        let keep = kept_frames(&mel.values, 64);
        let (mut scratch, mut want) = (Vec::new(), Vec::new());
        frame_stats(&md.values, 60, &keep, &mut scratch, &mut want);
        assert_eq!(&f.values[512..], &want[..]);
    }
}
