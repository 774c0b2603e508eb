//! Emotion over time in a long recording (speech emotion diarization): the voice-activity
//! detector ([`emovox_audio::vad`]) finds speech, a window slides over it, the model labels each window, and
//! neighbouring windows that agree are merged into segments.
//!
//! ```
//! use emovox::timeline::{Timeline, TimelineOptions};
//! use emovox::Recognizer;
//!
//! let rec = Recognizer::from_default()?;
//! // 1 s of silence, 2 s of a tone, 1 s of silence, at 16 kHz.
//! let mut audio = vec![0.0f32; 16_000];
//! audio.extend((0..32_000).map(|i| (i as f32 * 0.08).sin() * 0.5));
//! audio.extend(vec![0.0f32; 16_000]);
//! let t = Timeline::of_samples(&rec, &audio, 16_000, &TimelineOptions::default())?;
//! assert_eq!(t.speech.len(), 1);
//! assert!((t.speech[0].0 - 1.0).abs() < 0.05 && (t.speech[0].1 - 3.0).abs() < 0.05);
//! assert!(t.segments.iter().any(|s| s.label.is_some()));
//! # Ok::<(), emovox::Error>(())
//! ```

use std::collections::VecDeque;
use std::path::Path;

use emovox_audio::vad::{Vad, VadConfig, VadStream};
use emovox_audio::{decode_bytes_chunks, decode_file_chunks, DecodeOptions, StreamResampler};
use emovox_features::{Extractor, Features};
use serde::Serialize;

use crate::recognizer::{argmax, ClassScore, Recognizer};
use crate::{Error, Result};

/// How to cut a recording into windows and find its speech.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineOptions {
    /// Window length in seconds. Default `None`: the length the model was trained on (its
    /// pipeline's crop), or 3 s for a model that reads whole utterances (the bundled model).
    pub window: Option<f64>,
    /// Hop between windows in seconds. Default `None`: a third of the window (1 s for the
    /// bundled model).
    pub hop: Option<f64>,
    /// Pauses shorter than this (seconds) do not split speech (the VAD's bridge). Default 0.3.
    pub min_silence: f64,
    /// Speech shorter than this (seconds) is ignored (clicks, breaths). Default 0.25.
    pub min_speech: f64,
    /// Seconds of audio before each speech onset that its first window includes. Default 0.5.
    pub lead: f64,
}

impl TimelineOptions {
    /// Checks the options against `rec`'s model: the window and hop they give, in seconds.
    pub fn check(&self, rec: &Recognizer) -> Result<(f64, f64)> {
        let window = self.window.unwrap_or_else(|| rec.window_seconds());
        let hop = self.hop.unwrap_or(window / 3.0);
        if !(window >= 0.1 && window <= 60.0) {
            return Err(Error::Invalid(format!(
                "invalid option: window must be 0.1 to 60 seconds, got {window}"
            )));
        }
        if !(hop >= 0.01 && hop <= window) {
            return Err(Error::Invalid(format!(
                "invalid option: hop must be 0.01 s to the window ({window} s), got {hop}"
            )));
        }
        if !(self.lead >= 0.0 && self.lead < window) {
            return Err(Error::Invalid(format!(
                "invalid option: lead must be 0 s to less than the window ({window} s), got {}",
                self.lead
            )));
        }
        Ok((window, hop))
    }
}

impl Default for TimelineOptions {
    fn default() -> Self {
        TimelineOptions {
            window: None,
            hop: None,
            min_silence: 0.3,
            min_speech: 0.25,
            lead: 0.5,
        }
    }
}

/// A stretch of the recording: speech with its emotion, or silence (`label` is `None`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Segment {
    /// Start, seconds.
    pub start: f64,
    /// End, seconds.
    pub end: f64,
    /// The emotion, or `None` for silence.
    pub label: Option<String>,
    /// Mean probability of `label` over the windows merged into this segment (0 for silence).
    pub confidence: f32,
    /// Mean class probabilities over those windows (empty for silence).
    pub scores: Vec<ClassScore>,
}

/// One analysed window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Window {
    /// Start, seconds.
    pub start: f64,
    /// End, seconds.
    pub end: f64,
    /// Class probabilities, in the model's class order.
    pub probabilities: Vec<f32>,
}

/// The emotion timeline of one recording.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timeline {
    /// Length of the recording, seconds.
    pub duration: f64,
    /// Window and hop used, seconds.
    pub window: f64,
    /// Hop between windows, seconds.
    pub hop: f64,
    /// Class names.
    pub classes: Vec<String>,
    /// Speech found by the voice-activity detector, as `(start, end)` seconds.
    pub speech: Vec<(f64, f64)>,
    /// Every window the model saw.
    pub windows: Vec<Window>,
    /// The recording cut into silence and emotion segments, in time order, covering it all.
    pub segments: Vec<Segment>,
    /// The waveform as `(seconds, min, max)` columns, for plotting (not serialised): between
    /// 1200 and 2400 columns whatever the length ([`emovox_report::Envelope`]).
    #[serde(skip)]
    pub envelope: Vec<(f64, f32, f32)>,
}

/// Speech regions of `y` (at `rate`) as `(start, end)` sample indices, found by the project's
/// voice-activity detector ([`emovox_audio::vad`], the one that trims clips for the bundled
/// model) with the timeline's thresholds (onset 0.4, offset 0.25, floor -72 dBFS), with
/// `opts.min_silence` as its bridge, `opts.min_speech` as its shortest speech and no padding
/// (the windows' `lead` covers onsets).
pub fn detect_speech(y: &[f32], rate: u32, opts: &TimelineOptions) -> Result<Vec<(usize, usize)>> {
    let vad = vad(opts)?;
    Ok(vad.speech_regions(y, rate, &mut vad.scratch())?)
}

/// The detector's thresholds on long recordings: lower than for trimming a clip (where the
/// defaults, 0.5 / 0.35 / -65 dBFS, shape the bundled model's features), because a recording
/// holds a speaker's soft stretches at their natural level. Measured with
/// `bench/timeline_eder.py` (4 recordings of held-out RAVDESS actors at natural levels, clean):
/// speech found 93.0 % -> 95.5 %, silence called speech 0.8 % -> 2.0 %, at 10 dB SNR white
/// 59.0 % -> 63.4 % found (0 % false), pink 77.2 % -> 84.8 % (3.9 % false); lower still
/// (onset 0.3, floor -75 dBFS) called 37 % of pink-noise silence speech.
const TIMELINE_ONSET: f32 = 0.4;
const TIMELINE_OFFSET: f32 = 0.25;
const TIMELINE_FLOOR_DB: f32 = -72.0;

fn vad(opts: &TimelineOptions) -> Result<Vad> {
    Ok(Vad::new(
        VadConfig::new()
            .bridge(opts.min_silence)
            .min_speech(opts.min_speech)
            .onset(TIMELINE_ONSET)
            .offset(TIMELINE_OFFSET)
            .floor_db(TIMELINE_FLOOR_DB)
            .pad(0.0),
    )?)
}

/// Window start positions (samples) covering `[a, b)` with windows of `w` every `h`, the first
/// starting `lead` samples before `a`, the last ending at `b` (or at the first window's end, when
/// one window covers it all), all inside `[0, n)`.
fn window_starts(a: usize, b: usize, w: usize, h: usize, lead: usize, n: usize) -> Vec<usize> {
    let last_start = n.saturating_sub(w);
    let first = a.saturating_sub(lead).min(last_start);
    let mut starts = vec![first];
    let mut s = first;
    while s + w < b {
        s = (s + h).min(b.saturating_sub(w)).min(last_start);
        if starts.last() == Some(&s) {
            break;
        }
        starts.push(s);
    }
    starts
}

/// Where a streamed decode hands its pieces: `(samples, sample_rate)`.
type PieceSink<'a> = dyn FnMut(&[f32], u32) -> emovox_audio::Result<()> + 'a;

/// Windows already analysed of the speech region still open in the detector.
#[derive(Debug, Default)]
struct Early {
    /// The open region's start (samples), `None` when nothing is analysed.
    region: Option<usize>,
    /// Window starts, from the region's first window on, and their probabilities (`None`: the
    /// model heard no speech in that window).
    starts: Vec<usize>,
    probs: Vec<Option<Vec<f32>>>,
}

/// An emotion timeline built as the audio arrives, in memory bounded whatever the recording's
/// length: feed it samples with [`push`](Self::push), take the segments completed so far with
/// [`take_segments`](Self::take_segments), and end with [`finish`](Self::finish).
///
/// What it holds: the resampler's and detector's state, the last window of audio (a few
/// seconds), the windows and segments found (a few dozen bytes per second of speech), and the
/// waveform's envelope (at most 2400 columns). A speech region is analysed as it goes on, before
/// the detector closes it, so a region hours long needs no more.
///
/// Its segments do not depend on how the audio is cut into pieces: [`Timeline::of_samples`]
/// is this with the whole recording in one piece, [`Timeline::of_file`] with the decoder's.
///
/// ```
/// use emovox::timeline::{TimelineOptions, TimelineStream};
/// use emovox::Recognizer;
///
/// let rec = Recognizer::from_default()?;
/// let mut stream = TimelineStream::new(&rec, 16_000, &TimelineOptions::default())?;
/// // 1 s of silence, 2 s of a tone, 1 s of silence, a tenth of a second at a time.
/// let mut audio = vec![0.0f32; 16_000];
/// audio.extend((0..32_000).map(|i| (i as f32 * 0.08).sin() * 0.5));
/// audio.extend(vec![0.0f32; 16_000]);
/// let mut segments = Vec::new();
/// for piece in audio.chunks(1_600) {
///     stream.push(piece)?;
///     segments.extend(stream.take_segments());
/// }
/// let timeline = stream.finish()?;
/// segments.extend(timeline.segments.iter().skip(segments.len()).cloned());
/// assert_eq!(segments, timeline.segments);
/// assert!(segments.iter().any(|s| s.label.is_some()));
/// # Ok::<(), emovox::Error>(())
/// ```
pub struct TimelineStream<'r> {
    rec: &'r Recognizer,
    ex: Extractor,
    /// The pipeline's rate, window, hop and lead in samples at it.
    sr: u32,
    w: usize,
    h: usize,
    lead: usize,
    window: f64,
    hop: f64,
    resampler: Option<StreamResampler>,
    vad: Option<VadStream>,
    /// Resampled samples of the current push.
    y: Vec<f32>,
    /// Samples at `sr` from index `buf_start` on; `n` seen in all.
    buf: Vec<f32>,
    buf_start: usize,
    n: usize,
    /// Regions the detector closed, waiting for the samples of their last window.
    closed: VecDeque<(usize, usize)>,
    early: Early,
    regions: Vec<(usize, usize)>,
    /// Where the segments so far end (samples).
    cursor: usize,
    speech: Vec<(usize, usize)>,
    windows: Vec<Window>,
    segments: Vec<Segment>,
    taken: usize,
    envelope: emovox_report::Envelope,
}

impl std::fmt::Debug for TimelineStream<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TimelineStream")
            .field("seconds", &(self.n as f64 / self.sr as f64))
            .field("segments", &self.segments.len())
            .finish()
    }
}

impl<'r> TimelineStream<'r> {
    /// A timeline of mono audio at `rate` Hz, with `rec`'s model; checks `opts`.
    pub fn new(rec: &'r Recognizer, rate: u32, opts: &TimelineOptions) -> Result<Self> {
        let (window, hop) = opts.check(rec)?;
        let mut pipeline = rec.saved().pipeline.clone();
        let sr = pipeline.sample_rate;
        // Each window is analysed whole (it plays the part of the training crop).
        pipeline.crop = None;
        let ex = Extractor::new(pipeline)?;
        let resampler = if rate == sr {
            None
        } else {
            Some(StreamResampler::new(rate, sr)?)
        };
        let vad = vad(opts)?.stream(sr)?;
        Ok(TimelineStream {
            rec,
            ex,
            sr,
            w: ((window * sr as f64) as usize).max(1),
            h: ((hop * sr as f64) as usize).max(1),
            lead: (opts.lead * sr as f64) as usize,
            window,
            hop,
            resampler,
            vad: Some(vad),
            y: Vec::new(),
            buf: Vec::new(),
            buf_start: 0,
            n: 0,
            closed: VecDeque::new(),
            early: Early::default(),
            regions: Vec::new(),
            cursor: 0,
            speech: Vec::new(),
            windows: Vec::new(),
            segments: Vec::new(),
            taken: 0,
            envelope: emovox_report::Envelope::new(1200),
        })
    }

    /// Seconds of audio pushed so far.
    pub fn seconds(&self) -> f64 {
        self.n as f64 / self.sr as f64
    }

    /// Seconds of audio held for windows still to analyse: a few seconds (about the window, the
    /// hop and the detector's 1 s look-ahead), however long the recording or its speech.
    pub fn buffered_seconds(&self) -> f64 {
        self.buf.len() as f64 / self.sr as f64
    }

    /// Feeds the next piece of the recording. Samples that are NaN, infinite or beyond any
    /// audio scale are refused.
    pub fn push(&mut self, samples: &[f32]) -> Result<()> {
        emovox_audio::guard::check_samples(samples)?;
        let mut y = std::mem::take(&mut self.y);
        y.clear();
        match self.resampler.as_mut() {
            Some(r) => r.push(samples, &mut y),
            None => y.extend_from_slice(samples),
        }
        let r = self.take_in(&y, false);
        self.y = y;
        r
    }

    /// Segments completed since the last call, in time order.
    pub fn take_segments(&mut self) -> impl Iterator<Item = Segment> + '_ {
        let from = self.taken;
        self.taken = self.segments.len();
        self.segments[from..].iter().cloned()
    }

    /// Ends the recording: analyses what is left and returns the whole timeline (the segments
    /// already taken included).
    pub fn finish(mut self) -> Result<Timeline> {
        let mut y = std::mem::take(&mut self.y);
        y.clear();
        if let Some(r) = self.resampler.as_mut() {
            r.finish(&mut y);
        }
        self.take_in(&y, true)?;
        let sr = self.sr as f64;
        let duration = self.n as f64 / sr;
        if self.n > self.cursor {
            self.segments
                .push(silence(self.cursor as f64 / sr, duration));
        }
        Ok(Timeline {
            duration,
            window: self.window,
            hop: self.hop,
            classes: self.rec.classes().to_vec(),
            speech: self
                .speech
                .iter()
                .map(|&(a, b)| (a as f64 / sr, b as f64 / sr))
                .collect(),
            windows: self.windows,
            segments: self.segments,
            envelope: self.envelope.columns(self.sr),
        })
    }

    /// Takes samples at the pipeline's rate: detector, buffer, then every region whose windows
    /// can be analysed (all of them when `last`).
    fn take_in(&mut self, y: &[f32], last: bool) -> Result<()> {
        self.envelope.push(y);
        self.buf.extend_from_slice(y);
        self.n += y.len();
        let mut regions = std::mem::take(&mut self.regions);
        if let Some(vad) = self.vad.as_mut() {
            vad.push(y, &mut regions);
        }
        if last {
            if let Some(vad) = self.vad.take() {
                vad.finish(&mut regions);
            }
        }
        self.closed.extend(regions.drain(..));
        self.regions = regions;
        while let Some(&(a, b)) = self.closed.front() {
            // Before the end, the recording's length does not limit where windows go.
            let n = if last { self.n } else { usize::MAX / 4 };
            let starts = window_starts(a, b, self.w, self.h, self.lead, n);
            let end = starts.last().map_or(b, |&s| s + self.w);
            if !last && end > self.n {
                break;
            }
            self.closed.pop_front();
            self.region(a, b, &starts)?;
        }
        if !last && self.closed.is_empty() {
            self.analyse_open_region()?;
        }
        self.forget_old_samples();
        Ok(())
    }

    /// Probabilities of the windows starting at `starts` (`None` where the model heard no
    /// speech), all of whose samples are in the buffer.
    fn analyse(&mut self, starts: &[usize]) -> Result<Vec<Option<Vec<f32>>>> {
        let mut feats: Vec<Features> = Vec::new();
        let mut which = Vec::new();
        for (k, &s) in starts.iter().enumerate() {
            let end = (s + self.w).min(self.n);
            let part = &self.buf[s - self.buf_start..end - self.buf_start];
            match self.ex.process(part, self.sr) {
                Ok(f) => {
                    feats.push(f);
                    which.push(k);
                }
                // A model that trims silence heard no speech in this window: it gets no
                // emotion (a region without windows is reported as silence).
                Err(emovox_features::Error::NoSpeech { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let mut out = vec![None; starts.len()];
        // One window per forward pass: a batched matrix product rounds differently with the
        // batch's size, and the windows must not depend on how the audio came in pieces.
        for (k, f) in which.into_iter().zip(feats.chunks(1)) {
            if let Some(p) = self.rec.predict_features(f)?.pop() {
                out[k] = Some(p.probabilities());
            }
        }
        Ok(out)
    }

    /// Analyses the windows of the region still open in the detector that lie wholly inside
    /// what it already reaches: they are the same whatever its end turns out to be.
    fn analyse_open_region(&mut self) -> Result<()> {
        let Some((a, reach)) = self.vad.as_ref().and_then(VadStream::open_region) else {
            self.early = Early::default();
            return Ok(());
        };
        if self.early.region != Some(a) {
            self.early = Early {
                region: Some(a),
                ..Early::default()
            };
        }
        let first = a.saturating_sub(self.lead);
        let mut starts = Vec::new();
        loop {
            let k = self.early.starts.len() + starts.len();
            let s = first + k * self.h;
            // The first window needs only its samples; the next ones must end inside the
            // region as far as it is known (so its end cannot move them).
            let fits = if k == 0 {
                s + self.w <= self.n
            } else {
                s + self.w <= reach.min(self.n)
            };
            if !fits {
                break;
            }
            starts.push(s);
        }
        if !starts.is_empty() {
            let probs = self.analyse(&starts)?;
            self.early.starts.extend(starts);
            self.early.probs.extend(probs);
        }
        Ok(())
    }

    /// A closed region `[a, b)` with its window starts: analyses the windows not analysed
    /// early, and appends its segments (after the silence before it).
    fn region(&mut self, a: usize, b: usize, starts: &[usize]) -> Result<()> {
        let early = std::mem::take(&mut self.early);
        let m = early.starts.len();
        let mut probs = if early.region == Some(a) && starts.get(..m) == Some(&early.starts[..]) {
            early.probs
        } else {
            Vec::new()
        };
        let rest = self.analyse(&starts[probs.len()..])?;
        probs.extend(rest);
        let sr = self.sr as f64;
        self.speech.push((a, b));
        let mut owned = Vec::new();
        for (&s, p) in starts.iter().zip(probs) {
            if let Some(p) = p {
                self.windows.push(Window {
                    start: s as f64 / sr,
                    end: (s + self.w).min(self.n) as f64 / sr,
                    probabilities: p.clone(),
                });
                owned.push((s, p));
            }
        }
        let segs = region_segments(a, b, &owned, self.w, self.sr, self.rec.classes());
        // A region where the model heard no speech stays inside the silence around it.
        if !segs.is_empty() {
            if a > self.cursor {
                self.segments
                    .push(silence(self.cursor as f64 / sr, a as f64 / sr));
            }
            self.segments.extend(segs);
            self.cursor = b;
        }
        Ok(())
    }

    /// Drops buffered samples no window can need any more.
    fn forget_old_samples(&mut self) {
        // The last window of a recording may start up to a window before its end.
        let mut keep = self.n.saturating_sub(self.w);
        let next_early = |e: &Early, a: usize, lead: usize| match e.starts.last() {
            Some(&s) if e.region == Some(a) => s,
            _ => a.saturating_sub(lead),
        };
        for &(a, _) in &self.closed {
            keep = keep.min(next_early(&self.early, a, self.lead));
        }
        if let Some(vad) = &self.vad {
            let pending = match vad.open_region() {
                Some((a, _)) => next_early(&self.early, a, self.lead),
                None => vad.pending_from().saturating_sub(self.lead),
            };
            keep = keep.min(pending);
        }
        if keep > self.buf_start {
            let k = (keep - self.buf_start).min(self.buf.len());
            self.buf.drain(..k);
            self.buf_start += k;
        }
    }
}

impl Timeline {
    /// The timeline of an audio file of any format the decoder reads, decoded and analysed as
    /// a stream: memory stays bounded whatever the recording's length.
    pub fn of_file(rec: &Recognizer, path: &Path, opts: &TimelineOptions) -> Result<Timeline> {
        Self::of_file_with(rec, path, opts, &mut |_| Ok(()))
    }

    /// [`of_file`](Self::of_file), calling `each` after every piece of audio (about 1.4 s at
    /// 48 kHz) with the stream so far: for progress, or to take the segments as they come
    /// ([`TimelineStream::take_segments`]). An error from `each` stops the analysis.
    pub fn of_file_with(
        rec: &Recognizer,
        path: &Path,
        opts: &TimelineOptions,
        each: &mut dyn FnMut(&mut TimelineStream<'_>) -> Result<()>,
    ) -> Result<Timeline> {
        Self::streamed(rec, opts, each, &mut |sink| {
            decode_file_chunks(path, &DecodeOptions::new(), sink)
        })
        .map_err(|e| e.in_file(path))
    }

    /// The timeline of an audio file held in memory (`ext_hint` as for
    /// [`emovox_audio::decode_bytes`]), decoded and analysed as a stream;
    /// `each` as for [`of_file_with`](Self::of_file_with).
    pub fn of_bytes_with(
        rec: &Recognizer,
        bytes: &[u8],
        ext_hint: Option<&str>,
        opts: &TimelineOptions,
        each: &mut dyn FnMut(&mut TimelineStream<'_>) -> Result<()>,
    ) -> Result<Timeline> {
        Self::streamed(rec, opts, each, &mut |sink| {
            decode_bytes_chunks(bytes, ext_hint, &DecodeOptions::new(), sink)
        })
    }

    /// Runs `decode` with a sink that feeds a [`TimelineStream`] (planned at the stream's
    /// rate when its first piece arrives).
    fn streamed(
        rec: &Recognizer,
        opts: &TimelineOptions,
        each: &mut dyn FnMut(&mut TimelineStream<'_>) -> Result<()>,
        decode: &mut dyn FnMut(&mut PieceSink<'_>) -> emovox_audio::Result<emovox_audio::Decoded>,
    ) -> Result<Timeline> {
        let mut stream: Option<TimelineStream<'_>> = None;
        let mut failed: Option<Error> = None;
        let decoded = decode(&mut |y, rate| {
            let mut step = || -> Result<()> {
                if stream.is_none() {
                    stream = Some(TimelineStream::new(rec, rate, opts)?);
                }
                if let Some(s) = stream.as_mut() {
                    s.push(y)?;
                    each(s)?;
                }
                Ok(())
            };
            // The decoder stops at the sink's error; the real one is kept here.
            step().map_err(|e| {
                let reason = e.to_string();
                failed = Some(e);
                emovox_audio::Error::InvalidParameter(reason)
            })
        });
        if let Some(e) = failed {
            return Err(e);
        }
        let decoded = decoded?;
        let stream = match stream {
            Some(s) => s,
            None => TimelineStream::new(rec, decoded.sample_rate, opts)?,
        };
        stream.finish()
    }

    /// The timeline of mono `samples` at `rate` Hz.
    pub fn of_samples(
        rec: &Recognizer,
        samples: &[f32],
        rate: u32,
        opts: &TimelineOptions,
    ) -> Result<Timeline> {
        let mut stream = TimelineStream::new(rec, rate, opts)?;
        stream.push(samples)?;
        stream.finish()
    }

    /// Segments with a label (speech), in time order.
    pub fn labelled(&self) -> impl Iterator<Item = &Segment> {
        self.segments.iter().filter(|s| s.label.is_some())
    }

    /// A plain-text table: one line per segment.
    pub fn table(&self) -> String {
        let mut s = format!(
            "{:>8}  {:>8}  {:<12}  {:>10}\n",
            "start", "end", "emotion", "confidence"
        );
        for seg in &self.segments {
            let (label, conf) = match &seg.label {
                Some(l) => (l.as_str(), format!("{:.2}", seg.confidence)),
                None => ("(silence)", String::new()),
            };
            s += &format!(
                "{:>8.2}  {:>8.2}  {label:<12}  {conf:>10}\n",
                seg.start, seg.end
            );
        }
        s
    }

    /// The segments as CSV (through the `csv` crate): `start,end,label,confidence,<classes>`,
    /// `silence` for the label of a segment without speech, probabilities 0 there.
    pub fn write_csv(&self, out: impl std::io::Write) -> csv::Result<()> {
        let mut w = csv::Writer::from_writer(out);
        let mut header = vec!["start", "end", "label", "confidence"];
        header.extend(self.classes.iter().map(String::as_str));
        w.write_record(&header)?;
        for seg in &self.segments {
            let mut row = vec![
                format!("{:.3}", seg.start),
                format!("{:.3}", seg.end),
                seg.label.clone().unwrap_or_else(|| "silence".into()),
                format!("{:.6}", seg.confidence),
            ];
            row.extend(
                (0..self.classes.len())
                    .map(|i| format!("{:.6}", seg.scores.get(i).map_or(0.0, |c| c.probability))),
            );
            w.write_record(&row)?;
        }
        w.flush()?;
        Ok(())
    }

    /// Draws the timeline (emotion probabilities and segments over time, above the waveform)
    /// as PNG or SVG by `path`'s extension.
    pub fn plot(&self, path: &Path, title: &str) -> Result<()> {
        let chart = emovox_report::TimelineChart {
            title: title.to_string(),
            duration: self.duration,
            classes: self.classes.clone(),
            envelope: self.envelope.clone(),
            speech: self.speech.clone(),
            windows: self
                .windows
                .iter()
                .map(|w| ((w.start + w.end) / 2.0, w.probabilities.clone()))
                .collect(),
            segments: self
                .segments
                .iter()
                .filter_map(|s| {
                    let l = s.label.as_ref()?;
                    let i = self.classes.iter().position(|c| c == l)?;
                    Some((s.start, s.end, i, s.confidence))
                })
                .collect(),
        };
        Ok(chart.save(path)?)
    }
}

/// The segments of speech region `[a, b)` (samples at `sr`) from its windows (`owned`: start
/// and class probabilities, in time order): each window gets the part of the region nearest its
/// centre, and neighbours with the same label merge. Empty when the region has no windows.
fn region_segments(
    a: usize,
    b: usize,
    owned: &[(usize, Vec<f32>)],
    w: usize,
    sr: u32,
    classes: &[String],
) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    // Accumulated probabilities of the segment being built, with its window count.
    let mut acc: Vec<f32> = Vec::new();
    let mut count = 0usize;
    let finish = |out: &mut Vec<Segment>, acc: &mut Vec<f32>, count: &mut usize| {
        if *count == 0 {
            return;
        }
        if let Some(seg) = out.last_mut() {
            let mean: Vec<f32> = acc.iter().map(|v| v / *count as f32).collect();
            let best = argmax(&mean);
            seg.label = Some(classes.get(best).cloned().unwrap_or_default());
            seg.confidence = mean.get(best).copied().unwrap_or(0.0);
            seg.scores = classes
                .iter()
                .zip(&mean)
                .map(|(c, &p)| ClassScore {
                    label: c.clone(),
                    probability: p,
                })
                .collect();
        }
        acc.clear();
        *count = 0;
    };
    let centres: Vec<f64> = owned.iter().map(|&(s, _)| (s + w / 2) as f64).collect();
    for (k, (_, p)) in owned.iter().enumerate() {
        let lo = if k == 0 {
            a as f64
        } else {
            (centres[k - 1] + centres[k]) / 2.0
        };
        let hi = if k + 1 == owned.len() {
            b as f64
        } else {
            (centres[k] + centres[k + 1]) / 2.0
        };
        let (lo, hi) = (lo.max(a as f64) / sr as f64, hi.min(b as f64) / sr as f64);
        if hi <= lo {
            continue;
        }
        let label = argmax(p);
        let same = count > 0
            && argmax(&acc) == label
            && out.last().is_some_and(|s| (s.end - lo).abs() < 1e-9);
        if same {
            if let Some(last) = out.last_mut() {
                last.end = hi;
            }
        } else {
            finish(&mut out, &mut acc, &mut count);
            out.push(silence(lo, hi));
            acc = vec![0.0; p.len()];
        }
        for (s, v) in acc.iter_mut().zip(p) {
            *s += v;
        }
        count += 1;
    }
    finish(&mut out, &mut acc, &mut count);
    out
}

fn silence(start: f64, end: f64) -> Segment {
    Segment {
        start,
        end,
        label: None,
        confidence: 0.0,
        scores: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(n: usize, amp: f32) -> Vec<f32> {
        (0..n).map(|i| (i as f32 * 0.1).sin() * amp).collect()
    }

    #[test]
    fn vad_finds_two_bursts_and_bridges_short_pauses() {
        let sr = 16_000;
        let mut y = vec![0.0; sr]; // 0-1 s silence
        y.extend(tone(sr / 2, 0.5)); // 1-1.5 s voice
        y.extend(vec![0.0; sr / 10]); // 0.1 s pause: bridged
        y.extend(tone(sr / 2, 0.5)); // 1.6-2.1 s voice
        y.extend(vec![0.0; sr]); // 1 s silence: splits
        y.extend(tone(sr, 0.05)); // 3.1-4.1 s: quieter, still voice
        y.extend(vec![0.0; sr]);
        let r = detect_speech(&y, sr as u32, &TimelineOptions::default()).unwrap();
        let secs: Vec<(f64, f64)> = r
            .iter()
            .map(|&(a, b)| (a as f64 / 16e3, b as f64 / 16e3))
            .collect();
        assert_eq!(secs.len(), 2, "{secs:?}");
        let near = |a: f64, b: f64| (a - b).abs() < 0.05;
        assert!(near(secs[0].0, 1.0) && near(secs[0].1, 2.1), "{secs:?}");
        assert!(near(secs[1].0, 3.1) && near(secs[1].1, 4.1), "{secs:?}");
        // A longer bridge joins them.
        let joined = TimelineOptions {
            min_silence: 1.2,
            ..TimelineOptions::default()
        };
        assert_eq!(detect_speech(&y, sr as u32, &joined).unwrap().len(), 1);
    }

    #[test]
    fn vad_ignores_blips_and_silence() {
        let sr = 16_000;
        let none = |y: &[f32]| detect_speech(y, sr as u32, &TimelineOptions::default()).unwrap();
        assert!(none(&vec![0.0; sr]).is_empty());
        let mut y = vec![0.0; sr];
        y.extend(tone(sr / 20, 0.5)); // 50 ms blip: below min_speech
        y.extend(vec![0.0; sr]);
        assert!(none(&y).is_empty());
    }

    #[test]
    fn windows_cover_regions_and_stay_inside() {
        // A region longer than a window: first `lead` before its start, last ending at its end.
        assert_eq!(
            window_starts(100, 400, 100, 50, 0, 1000),
            vec![100, 150, 200, 250, 300]
        );
        assert_eq!(
            window_starts(100, 420, 100, 50, 0, 1000),
            vec![100, 150, 200, 250, 300, 320]
        );
        assert_eq!(
            window_starts(100, 400, 100, 50, 30, 1000),
            vec![70, 120, 170, 220, 270, 300]
        );
        // Shorter: one window from `lead` before it, clamped into the recording.
        assert_eq!(window_starts(100, 140, 100, 50, 30, 1000), vec![70]);
        assert_eq!(window_starts(10, 40, 100, 50, 30, 1000), vec![0]);
        assert_eq!(window_starts(950, 990, 100, 50, 30, 1000), vec![900]);
    }

    #[test]
    fn neighbouring_windows_that_agree_merge() {
        let sr = 10;
        let classes = vec!["a".to_string(), "b".to_string()];
        // One region 10..50 samples (1-5 s), windows of 20 samples at 10, 20, 30.
        let owned = [
            (10, vec![0.9, 0.1]),
            (20, vec![0.7, 0.3]),
            (30, vec![0.2, 0.8]),
        ];
        let s = region_segments(10, 50, &owned, 20, sr, &classes);
        let got: Vec<(f64, f64, Option<&str>)> = s
            .iter()
            .map(|s| (s.start, s.end, s.label.as_deref()))
            .collect();
        assert_eq!(got, vec![(1.0, 3.5, Some("a")), (3.5, 5.0, Some("b"))]);
        assert!((s[0].confidence - 0.8).abs() < 1e-6);
        assert!((s[1].confidence - 0.8).abs() < 1e-6);
        assert!(region_segments(10, 50, &[], 20, sr, &classes).is_empty());
    }
}
