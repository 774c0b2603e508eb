//! Voice-activity detection: where the speech is in a clip or in a recording hours long.
//!
//! The one detector of emovox, used to trim silence from clips before emotion features and by
//! the timeline on long recordings.
//!
//! # Method
//!
//! Audio is analysed at 16 kHz (other rates are resampled with [`StreamResampler`], in overlapping
//! chunks so memory stays bounded) in frames of 256 samples (16 ms). Each frame gets a speech
//! probability from one of three [`VadMethod`]s:
//!
//! * **Hybrid** (default): the score of [earshot](https://crates.io/crates/earshot)'s small
//!   recurrent network (40 KiB of weights inside the crate, MIT OR Apache-2.0) times an
//!   **energy gate**, or, when larger, the evidence of a clearly voiced frame: periodicity
//!   (normalised autocorrelation over pitch lags of 60-400 Hz) of at least 0.75-0.9 in a frame
//!   8-16 dB above the noise floor. The network alone scores digital silence 0.2, steady noise up
//!   to 0.6 and a pure tone 0.8, and quiet, sad or breathy voices as low as 0.3: the gate makes
//!   silence, near-silence and steady noise never speech, and the voicing rescue finds those
//!   voices.
//! * **Neural**: the network times the gate only (cheapest).
//! * **Energy**: no network; level above the noise floor, or periodic and a little above it.
//!
//! The gate: a frame whose level (3-frame smoothed) is below the absolute floor
//! ([`VadConfig::floor_db`]) or less than half of [`VadConfig::gate_db`] above the adaptive noise
//! floor has probability 0; it passes whole from `gate_db` above the floor.
//!
//! The adaptive noise floor is the minimum of the smoothed frame level over the last 4 s and the
//! next 1 s (levels below the absolute floor count as the absolute floor).
//!
//! # Regions
//!
//! Frame probabilities become regions with hysteresis: speech starts at a frame with probability
//! `>= onset` and lasts while it stays `>= offset`. Pauses shorter than [`VadConfig::bridge`] are
//! bridged; a region with less than [`VadConfig::min_speech`] of speech frames (a click, a
//! breath) is dropped; each region is then padded by [`VadConfig::pad`] on both sides (regions
//! whose padding would overlap are merged). Regions are `(start, end)` sample indices at the
//! input rate, `end` exclusive, in time order, never overlapping.
//!
//! # Streaming
//!
//! [`Vad::stream`] gives a [`VadStream`]: push chunks of any size, get each region once it has
//! closed: `max(bridge, 2 * pad)` of silence after it, plus the noise floor's 1 s look-ahead,
//! plus (at rates other than 16 kHz) up to one resampling block of about 1 s. Its state is some
//! 20 KiB plus one resampling block, whatever the length of the recording. [`Vad::speech_regions`]
//! runs the same code on a whole clip, so the two give the same regions.
//!
//! # Measured
//!
//! With `cargo run --release -p emovox-audio --features opus --example vad_bench` (the full
//! tables are in its doc comment). On recordings of 12 RAVDESS clips with 1-2.5 s of silence or
//! near-silence between them (543 s), share of reference speech found / share of non-speech
//! called speech:
//!
//! | noise | Hybrid | Neural | Energy | earshot alone | previous timeline VAD |
//! |---|---|---|---|---|---|
//! | clean | 98.5 / 0.1 | 98.1 / 0.1 | 99.3 / 1.0 | 98.2 / 0.4 | 96.7 / 0.2 |
//! | white, 10 dB SNR | 94.1 / 0.0 | 94.0 / 0.0 | 93.4 / 0.0 | 98.5 / 10.5 | 100 / 100 |
//! | white, 5 dB | 92.0 / 0.0 | 92.0 / 0.0 | 89.4 / 0.0 | 99.3 / 59.8 | 100 / 100 |
//! | pink, 5 dB | 96.6 / 1.0 | 96.6 / 1.0 | 90.9 / 0.2 | 98.8 / 14.9 | 100 / 100 |
//!
//! Speech is found in every clip of RAVDESS (1440), TESS (2800) and TurEV (1735) and in 587 of
//! 588 EMOVO clips; Hybrid loses more than 0.1 s of an energy reference at a clip's ends in
//! 10.6% of RAVDESS clips (Neural 15.9%). Speed, one thread: about 1000x real time (real-time
//! factor 0.0009 at 16 kHz, 0.0012 from 48 kHz with resampling); Neural about 1500x.
//!
//! # Example
//!
//! ```
//! use emovox_audio::vad::{Vad, VadConfig};
//!
//! // 1 s of silence, 1 s of a 220 Hz tone, 1 s of silence, at 48 kHz.
//! let rate = 48_000;
//! let mut y = vec![0.0f32; rate];
//! y.extend((0..rate).map(|i| 0.3 * (i as f32 * 2.0 * std::f32::consts::PI * 220.0 / rate as f32).sin()));
//! y.extend(vec![0.0f32; rate]);
//!
//! let vad = Vad::new(VadConfig::new().pad(0.0))?;
//! let mut scratch = vad.scratch();
//! let regions = vad.speech_regions(&y, rate as u32, &mut scratch)?;
//! assert_eq!(regions.len(), 1);
//! let (a, b) = regions[0];
//! assert!((a as f32 / rate as f32 - 1.0).abs() < 0.05 && (b as f32 / rate as f32 - 2.0).abs() < 0.05);
//! // The span to keep when trimming silence from a clip.
//! assert_eq!(vad.trim(&y, rate as u32, &mut scratch)?, Some((a, b)));
//! assert_eq!(vad.trim(&vec![0.0; rate], rate as u32, &mut scratch)?, None);
//! # Ok::<(), emovox_audio::Error>(())
//! ```

use std::collections::VecDeque;

use crate::{Error, Result, StreamResampler};

/// The rate frames are analysed at, Hz.
pub const VAD_RATE: u32 = 16_000;
/// Samples per frame at [`VAD_RATE`] (16 ms).
pub const FRAME: usize = 256;
/// Seconds per frame.
const FRAME_SECONDS: f64 = FRAME as f64 / VAD_RATE as f64;
/// Noise-floor window: frames before and after the frame being decided.
const FLOOR_BACK: usize = 250; // 4 s
const FLOOR_AHEAD: usize = 62; // ~1 s
/// Pitch lags searched by the periodicity feature (400 Hz .. 60 Hz at 16 kHz).
const MIN_LAG: usize = 40;
const MAX_LAG: usize = 266;

/// How each frame's speech probability is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VadMethod {
    /// [`Neural`](Self::Neural), or a strongly periodic (voiced) frame well above the noise
    /// floor: finds quiet or unusual voices the network scores low (default).
    #[default]
    Hybrid,
    /// earshot's neural score times the energy gate; the cheapest.
    Neural,
    /// Level above the adaptive noise floor, and periodicity; no network.
    Energy,
}

/// Settings of a [`Vad`]; every setter documents its default.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VadConfig {
    method: VadMethod,
    onset: f32,
    offset: f32,
    min_speech: f64,
    bridge: f64,
    pad: f64,
    floor_db: f32,
    gate_db: f32,
}

impl Default for VadConfig {
    fn default() -> Self {
        VadConfig {
            method: VadMethod::Hybrid,
            onset: 0.5,
            offset: 0.35,
            min_speech: 0.1,
            bridge: 0.3,
            pad: 0.1,
            floor_db: -65.0,
            gate_db: 4.0,
        }
    }
}

impl VadConfig {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// How frames are scored. Default [`VadMethod::Hybrid`].
    pub fn method(mut self, method: VadMethod) -> Self {
        self.method = method;
        self
    }

    /// Speech starts at a frame whose probability is at least this. Default 0.5.
    pub fn onset(mut self, p: f32) -> Self {
        self.onset = p;
        self
    }

    /// Speech goes on while the probability stays at least this (`<= onset`). Default 0.35.
    pub fn offset(mut self, p: f32) -> Self {
        self.offset = p;
        self
    }

    /// A region needs at least this many seconds of speech frames, else it is dropped (clicks,
    /// breaths). Default 0.1.
    pub fn min_speech(mut self, seconds: f64) -> Self {
        self.min_speech = seconds;
        self
    }

    /// Pauses shorter than this (seconds) do not split speech. Default 0.3.
    pub fn bridge(mut self, seconds: f64) -> Self {
        self.bridge = seconds;
        self
    }

    /// Seconds added before and after each region. Default 0.1.
    pub fn pad(mut self, seconds: f64) -> Self {
        self.pad = seconds;
        self
    }

    /// Frames quieter than this (dBFS, 3-frame smoothed RMS) are never speech. Default -65.
    pub fn floor_db(mut self, db: f32) -> Self {
        self.floor_db = db;
        self
    }

    /// The energy gate: a frame less than half this many dB above the adaptive noise floor is
    /// never speech, one this many dB above it passes whole (linear in between; 0 turns the gate
    /// off). [`VadMethod::Energy`] calls a frame speech from 1.5x to 3x this above the floor, or
    /// from 0.375x to 0.75x when periodic. Default 4.
    pub fn gate_db(mut self, db: f32) -> Self {
        self.gate_db = db;
        self
    }

    fn check(&self) -> Result<()> {
        let bad = |what: String| Err(Error::InvalidParameter(what));
        if !(self.onset > 0.0 && self.onset <= 1.0) {
            return bad(format!("VAD onset must be in (0, 1], got {}", self.onset));
        }
        if !(self.offset >= 0.0 && self.offset <= self.onset) {
            return bad(format!(
                "VAD offset must be in [0, onset = {}], got {}",
                self.onset, self.offset
            ));
        }
        for (name, v) in [
            ("min_speech", self.min_speech),
            ("bridge", self.bridge),
            ("pad", self.pad),
        ] {
            if !(v.is_finite() && (0.0..=3600.0).contains(&v)) {
                return bad(format!("VAD {name} must be 0..=3600 seconds, got {v}"));
            }
        }
        if !(self.floor_db.is_finite() && self.floor_db <= 0.0) {
            return bad(format!(
                "VAD floor_db must be <= 0 dBFS, got {}",
                self.floor_db
            ));
        }
        if !(self.gate_db.is_finite() && (0.0..=60.0).contains(&self.gate_db)) {
            return bad(format!(
                "VAD gate_db must be 0..=60 dB, got {}",
                self.gate_db
            ));
        }
        Ok(())
    }
}

/// A planned voice-activity detector: settings checked once, shared by every clip and thread.
#[derive(Debug, Clone)]
pub struct Vad {
    config: VadConfig,
}

/// Buffers, network state and resampler one thread needs to run a [`Vad`] on whole clips; make
/// it with [`Vad::scratch`] and reuse it (the resampler is kept for the last input rate).
#[derive(Debug)]
pub struct VadScratch {
    pipe: Option<Pipeline>,
}

/// Voice-activity detection over a stream of chunks, with bounded memory; see the
/// [module docs](self#streaming).
#[derive(Debug)]
pub struct VadStream {
    pipe: Pipeline,
}

impl Vad {
    /// Checks `config` and plans the detector.
    pub fn new(config: VadConfig) -> Result<Self> {
        config.check()?;
        Ok(Vad { config })
    }

    /// The settings.
    pub fn config(&self) -> &VadConfig {
        &self.config
    }

    /// Fresh scratch for [`speech_regions`](Self::speech_regions) and friends.
    pub fn scratch(&self) -> VadScratch {
        VadScratch { pipe: None }
    }

    fn pipeline<'s>(&self, rate: u32, scratch: &'s mut VadScratch) -> Result<&'s mut Pipeline> {
        let reuse = matches!(&scratch.pipe, Some(p) if p.rate == rate && p.config == self.config);
        if !reuse {
            scratch.pipe = None;
            scratch.pipe = Some(Pipeline::new(self.config, rate)?);
        }
        let pipe = scratch.pipe.as_mut().ok_or_else(|| {
            Error::InvalidParameter("VAD pipeline could not be planned".to_string())
        })?;
        pipe.reset();
        Ok(pipe)
    }

    /// The speech probability of each 16 ms frame of `y_16k` (mono at 16 kHz, frames of
    /// [`FRAME`] samples, a last partial frame zero-padded): what the hysteresis sees.
    pub fn frame_probabilities(&self, y_16k: &[f32], scratch: &mut VadScratch) -> Vec<f32> {
        let mut out = Vec::with_capacity(y_16k.len().div_ceil(FRAME));
        // 16 kHz needs no resampler, so planning cannot fail.
        if let Ok(pipe) = self.pipeline(VAD_RATE, scratch) {
            pipe.record = true;
            let mut sink = Vec::new();
            pipe.push(y_16k, &mut sink);
            pipe.finish(&mut sink);
            pipe.record = false;
            out.append(&mut pipe.probs);
        }
        out
    }

    /// Speech regions of mono `samples` at `rate` Hz, as `(start, end)` sample indices at that
    /// rate (see [Regions](self#regions)).
    pub fn speech_regions(
        &self,
        samples: &[f32],
        rate: u32,
        scratch: &mut VadScratch,
    ) -> Result<Vec<(usize, usize)>> {
        let pipe = self.pipeline(rate, scratch)?;
        let mut out = Vec::new();
        pipe.push(samples, &mut out);
        pipe.finish(&mut out);
        Ok(out)
    }

    /// The span to keep when trimming silence from a clip: from the start of the first speech
    /// region to the end of the last (padding included), or `None` when there is no speech.
    pub fn trim(
        &self,
        samples: &[f32],
        rate: u32,
        scratch: &mut VadScratch,
    ) -> Result<Option<(usize, usize)>> {
        let r = self.speech_regions(samples, rate, scratch)?;
        Ok(match (r.first(), r.last()) {
            (Some(a), Some(b)) => Some((a.0, b.1)),
            _ => None,
        })
    }

    /// A detector for one recording at `rate` Hz, fed chunk by chunk.
    pub fn stream(&self, rate: u32) -> Result<VadStream> {
        Ok(VadStream {
            pipe: Pipeline::new(self.config, rate)?,
        })
    }
}

impl VadStream {
    /// Feeds the next chunk of samples; appends to `regions` the regions that closed (sample
    /// indices counted from the start of the stream).
    pub fn push(&mut self, chunk: &[f32], regions: &mut Vec<(usize, usize)>) {
        self.pipe.push(chunk, regions);
    }

    /// Ends the recording: appends the regions still open.
    pub fn finish(mut self, regions: &mut Vec<(usize, usize)>) {
        self.pipe.finish(regions);
    }

    /// Samples pushed so far.
    pub fn samples_seen(&self) -> usize {
        self.pipe.n_in
    }

    /// The region being built, if any, as `(start, end_so_far)` samples: the start it will be
    /// reported with, and how far it reaches already (its reported end will be at least that).
    /// It may still be dropped, if it ends up with less than [`VadConfig::min_speech`] of
    /// speech. Lets a consumer start on a long region before it closes.
    pub fn open_region(&self) -> Option<(usize, usize)> {
        let p = &self.pipe;
        let (start, end) = match (p.region, p.in_speech) {
            (Some(r), true) => (r.start, p.decided),
            (Some(r), false) => (r.start, r.end),
            (None, true) => (p.run_start, p.decided),
            (None, false) => return None,
        };
        let pad = p.frames(p.config.pad);
        Some((
            p.to_in(start.saturating_sub(pad), false),
            p.to_in(end + pad, true),
        ))
    }

    /// No region not yet reported starts before this sample: the start of the
    /// [open region](Self::open_region), or, without one, the first frame not yet decided less
    /// the padding.
    pub fn pending_from(&self) -> usize {
        match self.open_region() {
            Some((a, _)) => a,
            None => {
                let p = &self.pipe;
                p.to_in(p.decided.saturating_sub(p.frames(p.config.pad)), false)
            }
        }
    }
}

/// Linear ramp: 0 at or below `lo`, 1 at or above `hi`.
fn ramp(x: f32, lo: f32, hi: f32) -> f32 {
    if hi > lo {
        ((x - lo) / (hi - lo)).clamp(0.0, 1.0)
    } else {
        f32::from(x >= lo)
    }
}

fn db(power: f32) -> f32 {
    10.0 * (power.max(1e-12)).log10()
}

/// What the front end measures on one frame.
#[derive(Debug, Clone, Copy)]
struct Raw {
    /// Mean square of the frame.
    power: f32,
    /// earshot's score (Neural, Hybrid) or periodicity (Energy).
    score: f32,
    /// Periodicity (Hybrid).
    periodic: f32,
}

/// One frame waiting for its noise floor.
#[derive(Debug, Clone, Copy)]
struct Pending {
    level: f32,
    score: f32,
    periodic: f32,
}

/// A region being built, in frames.
#[derive(Debug, Clone, Copy)]
struct Region {
    start: usize,
    end: usize,
    speech: usize,
}

/// The whole detector for one recording: resampling, frame analysis, noise floor, hysteresis
/// and region building, each stage streaming.
struct Pipeline {
    config: VadConfig,
    rate: u32,
    resampler: Option<StreamResampler>,
    /// Resampled samples not yet framed (< one frame after each push).
    y16: Vec<f32>,
    /// The previous frame and this one (periodicity window).
    window: Box<[f32; 2 * FRAME]>,
    detector: Box<earshot::Detector>,
    /// Input samples seen, 16 kHz samples seen.
    n_in: usize,
    n16: usize,
    /// Frames analysed; the last two frames' power (for 3-frame smoothing).
    n_frames: usize,
    prev_raw: [Option<Raw>; 2],
    /// Smoothed frames waiting for the look-ahead of the noise floor, from frame `queue_start`.
    queue: VecDeque<Pending>,
    queue_start: usize,
    /// Sliding minimum of the clamped level: (frame, level), increasing levels.
    mins: VecDeque<(usize, f32)>,
    /// Hysteresis and region state.
    decided: usize,
    in_speech: bool,
    run_start: usize,
    region: Option<Region>,
    record: bool,
    probs: Vec<f32>,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("rate", &self.rate)
            .field("n_in", &self.n_in)
            .field("decided", &self.decided)
            .finish()
    }
}

impl Pipeline {
    fn new(config: VadConfig, rate: u32) -> Result<Self> {
        if rate == 0 {
            return Err(Error::InvalidParameter("sample rate must be > 0".into()));
        }
        let resampler = if rate == VAD_RATE {
            None
        } else {
            Some(StreamResampler::new(rate, VAD_RATE)?)
        };
        Ok(Pipeline {
            config,
            rate,
            resampler,
            y16: Vec::new(),
            window: Box::new([0.0; 2 * FRAME]),
            detector: earshot::Detector::default_boxed(),
            n_in: 0,
            n16: 0,
            n_frames: 0,
            prev_raw: [None; 2],
            queue: VecDeque::new(),
            queue_start: 0,
            mins: VecDeque::new(),
            decided: 0,
            in_speech: false,
            run_start: 0,
            region: None,
            record: false,
            probs: Vec::new(),
        })
    }

    fn reset(&mut self) {
        if let Some(r) = self.resampler.as_mut() {
            r.reset();
        }
        self.y16.clear();
        self.window.fill(0.0);
        self.detector.reset();
        self.n_in = 0;
        self.n16 = 0;
        self.n_frames = 0;
        self.prev_raw = [None; 2];
        self.queue.clear();
        self.queue_start = 0;
        self.mins.clear();
        self.decided = 0;
        self.in_speech = false;
        self.run_start = 0;
        self.region = None;
        self.probs.clear();
    }

    fn frames(&self, seconds: f64) -> usize {
        (seconds / FRAME_SECONDS).round() as usize
    }

    fn push(&mut self, x: &[f32], regions: &mut Vec<(usize, usize)>) {
        self.n_in += x.len();
        match self.resampler.as_mut() {
            Some(r) => r.push(x, &mut self.y16),
            None => self.y16.extend_from_slice(x),
        }
        self.drain_frames(false, regions);
    }

    fn finish(&mut self, regions: &mut Vec<(usize, usize)>) {
        if let Some(r) = self.resampler.as_mut() {
            r.finish(&mut self.y16);
        }
        self.drain_frames(true, regions);
        // The last frame's smoothing and every frame still waiting for look-ahead.
        if let Some(last) = self.prev_raw[1] {
            let p = self.prev_raw[0].map_or(last.power, |a| (a.power + last.power) / 2.0);
            self.smoothed(db(p), last.score, last.periodic);
        }
        while !self.queue.is_empty() {
            self.decide(regions);
        }
        if self.in_speech {
            self.in_speech = false;
            self.close_run(self.decided, regions);
        }
        if let Some(r) = self.region.take() {
            self.emit(r, regions);
        }
    }

    /// Analyses every whole frame in `y16` (and a last partial one when `last`).
    fn drain_frames(&mut self, last: bool, regions: &mut Vec<(usize, usize)>) {
        let mut used = 0;
        while self.y16.len() - used >= FRAME || (last && self.y16.len() > used) {
            let n = (self.y16.len() - used).min(FRAME);
            self.window.copy_within(FRAME.., 0);
            let cur = &mut self.window[FRAME..];
            for (w, &v) in cur.iter_mut().zip(&self.y16[used..used + n]) {
                *w = if v.is_finite() {
                    v.clamp(-1.0, 1.0)
                } else {
                    0.0
                };
            }
            cur[n..].fill(0.0);
            let power = cur.iter().map(|v| v * v).sum::<f32>() / n as f32;
            let (score, periodic) = match self.config.method {
                VadMethod::Neural => (self.detector.predict_f32(cur), 0.0),
                VadMethod::Energy => (periodicity(&self.window), 0.0),
                VadMethod::Hybrid => (
                    self.detector.predict_f32(&self.window[FRAME..]),
                    periodicity(&self.window),
                ),
            };
            used += n;
            self.n16 += n;
            self.frame(
                Raw {
                    power,
                    score,
                    periodic,
                },
                regions,
            );
        }
        self.y16.drain(..used);
    }

    /// One analysed frame: smooths the previous one's level.
    fn frame(&mut self, raw: Raw, regions: &mut Vec<(usize, usize)>) {
        self.n_frames += 1;
        if let Some(mid) = self.prev_raw[1] {
            let sum = self.prev_raw[0].map_or((0.0, 0.0), |a| (a.power, 1.0));
            let p = (sum.0 + mid.power + raw.power) / (sum.1 + 2.0);
            self.smoothed(db(p), mid.score, mid.periodic);
        }
        self.prev_raw = [self.prev_raw[1], Some(raw)];
        while self.queue.len() > FLOOR_AHEAD {
            self.decide(regions);
        }
    }

    /// A frame's smoothed level is known: into the noise-floor window.
    fn smoothed(&mut self, level: f32, score: f32, periodic: f32) {
        let i = self.queue_start + self.queue.len();
        let clamped = level.max(self.config.floor_db);
        while self.mins.back().is_some_and(|&(_, v)| v >= clamped) {
            self.mins.pop_back();
        }
        self.mins.push_back((i, clamped));
        self.queue.push_back(Pending {
            level,
            score,
            periodic,
        });
    }

    /// Decides the oldest queued frame.
    fn decide(&mut self, regions: &mut Vec<(usize, usize)>) {
        let Some(f) = self.queue.pop_front() else {
            return;
        };
        let i = self.queue_start;
        self.queue_start += 1;
        while self.mins.front().is_some_and(|&(j, _)| j + FLOOR_BACK < i) {
            self.mins.pop_front();
        }
        let floor = self.mins.front().map_or(self.config.floor_db, |m| m.1);
        let c = &self.config;
        let above = f.level - floor;
        let p = if f.level < c.floor_db {
            0.0
        } else {
            match c.method {
                VadMethod::Neural if c.gate_db > 0.0 => {
                    f.score * ramp(above, c.gate_db / 2.0, c.gate_db)
                }
                VadMethod::Neural => f.score,
                VadMethod::Hybrid => (f.score * ramp(above, c.gate_db / 2.0, c.gate_db)).max(
                    ramp(above, 2.0 * c.gate_db, 4.0 * c.gate_db).min(ramp(f.periodic, 0.75, 0.9)),
                ),
                // Clearly louder than the noise, or a little louder and periodic.
                VadMethod::Energy => ramp(above, 1.5 * c.gate_db, 3.0 * c.gate_db).max(
                    ramp(above, 0.375 * c.gate_db, 0.75 * c.gate_db).min(ramp(f.score, 0.45, 0.75)),
                ),
            }
        };
        if self.record {
            self.probs.push(p);
        }
        self.hysteresis(i, p, regions);
    }

    fn hysteresis(&mut self, i: usize, p: f32, regions: &mut Vec<(usize, usize)>) {
        self.decided = i + 1;
        if !self.in_speech && p >= self.config.onset {
            self.in_speech = true;
            self.run_start = i;
        } else if self.in_speech && p < self.config.offset {
            self.in_speech = false;
            self.close_run(i, regions);
        }
        // A region whose pause has grown past the bridge is complete.
        if !self.in_speech {
            if let Some(r) = self.region {
                if i + 1 - r.end >= self.join_gap() {
                    self.region = None;
                    self.emit(r, regions);
                }
            }
        }
    }

    /// Pauses shorter than this (frames) join regions: the bridge, or twice the padding.
    fn join_gap(&self) -> usize {
        self.frames(self.config.bridge)
            .max(2 * self.frames(self.config.pad))
            .max(1)
    }

    /// A run of speech frames `[run_start, end)` ended.
    fn close_run(&mut self, end: usize, regions: &mut Vec<(usize, usize)>) {
        let start = self.run_start;
        let gap = self.join_gap();
        match self.region.as_mut() {
            Some(r) if start - r.end < gap => {
                r.end = end;
                r.speech += end - start;
            }
            _ => {
                if let Some(r) = self.region.take() {
                    self.emit(r, regions);
                }
                self.region = Some(Region {
                    start,
                    end,
                    speech: end - start,
                });
            }
        }
    }

    /// Frame `f`'s first sample at the input rate (rounded down, or up when `up`), at most the
    /// samples seen.
    fn to_in(&self, f: usize, up: bool) -> usize {
        let s16 = (f * FRAME) as u64 * self.rate as u64;
        let v = if up {
            s16.div_ceil(VAD_RATE as u64)
        } else {
            s16 / VAD_RATE as u64
        };
        (v as usize).min(self.n_in)
    }

    /// Pads a complete region and converts it to input samples.
    fn emit(&self, r: Region, regions: &mut Vec<(usize, usize)>) {
        if r.speech < self.frames(self.config.min_speech).max(1) {
            return;
        }
        let pad = self.frames(self.config.pad);
        let a = self.to_in(r.start.saturating_sub(pad), false);
        let b = self.to_in(r.end + pad, true);
        match regions.last_mut() {
            Some(last) if last.1 >= a => last.1 = last.1.max(b),
            _ if b > a => regions.push((a, b)),
            _ => {}
        }
    }
}

/// Strength of the best pitch period in `w` (two frames): the largest normalised
/// autocorrelation over lags of 60-400 Hz, 0 for silence. Computed at 8 kHz (pairs averaged),
/// with 8 accumulators so the products vectorise.
fn periodicity(w: &[f32; 2 * FRAME]) -> f32 {
    const N: usize = FRAME;
    let mut x = [0.0f32; N];
    for (v, p) in x.iter_mut().zip(w.chunks_exact(2)) {
        *v = 0.5 * (p[0] + p[1]);
    }
    let mean = x.iter().sum::<f32>() / N as f32;
    let mut prefix = [0.0f64; N + 1];
    for i in 0..N {
        x[i] -= mean;
        prefix[i + 1] = prefix[i] + (x[i] as f64) * (x[i] as f64);
    }
    let mut best = 0.0f32;
    for lag in MIN_LAG / 2..=MAX_LAG / 2 {
        let m = N - lag;
        let (a, b) = (&x[..m], &x[lag..]);
        let mut acc = [0.0f32; 8];
        for (ca, cb) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
            for k in 0..8 {
                acc[k] += ca[k] * cb[k];
            }
        }
        let tail = m - m % 8;
        let dot = acc.iter().sum::<f32>()
            + a[tail..]
                .iter()
                .zip(&b[tail..])
                .map(|(p, q)| p * q)
                .sum::<f32>();
        let den = (prefix[m] * (prefix[N] - prefix[lag])).sqrt();
        if den > 1e-12 {
            best = best.max((dot as f64 / den) as f32);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    const SR: usize = 16_000;

    fn tone(n: usize, rate: usize, amp: f32) -> Vec<f32> {
        (0..n)
            .map(|i| amp * (i as f32 * 2.0 * std::f32::consts::PI * 220.0 / rate as f32).sin())
            .collect()
    }

    /// Silence and tone bursts: `(seconds, is_tone)` pieces.
    fn pieces(parts: &[(f64, bool)], rate: usize) -> Vec<f32> {
        let mut y = Vec::new();
        for &(sec, on) in parts {
            let n = (sec * rate as f64) as usize;
            if on {
                y.extend(tone(n, rate, 0.3));
            } else {
                y.extend(std::iter::repeat_n(0.0, n));
            }
        }
        y
    }

    /// White noise from a fixed LCG, uniform in [-amp, amp].
    fn noise(n: usize, amp: f32, seed: u64) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                amp * (((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0)
            })
            .collect()
    }

    fn regions(cfg: VadConfig, y: &[f32], rate: usize) -> Vec<(usize, usize)> {
        let vad = Vad::new(cfg).unwrap();
        vad.speech_regions(y, rate as u32, &mut vad.scratch())
            .unwrap()
    }

    fn seconds(r: &[(usize, usize)], rate: usize) -> Vec<(f64, f64)> {
        r.iter()
            .map(|&(a, b)| (a as f64 / rate as f64, b as f64 / rate as f64))
            .collect()
    }

    #[test]
    fn digital_silence_has_no_speech() {
        for rate in [16_000, 48_000, 44_100] {
            for n in [0, 1, 255, 256, 257, rate, 5 * rate] {
                let y = vec![0.0f32; n];
                assert!(
                    regions(VadConfig::new(), &y, rate).is_empty(),
                    "{rate} Hz, {n}"
                );
                let e = VadConfig::new().method(VadMethod::Energy);
                assert!(regions(e, &y, rate).is_empty(), "{rate} Hz, {n}");
            }
        }
    }

    #[test]
    fn near_silence_noise_and_a_click_are_not_speech() {
        for method in [VadMethod::Hybrid, VadMethod::Neural, VadMethod::Energy] {
            let cfg = VadConfig::new().method(method);
            // Near-silence, and steady noise at a speech-like level.
            for amp in [1e-4, 3e-3, 0.05] {
                let y = noise(3 * SR, amp, 1);
                assert!(regions(cfg, &y, SR).is_empty(), "{method:?} noise {amp}");
            }
            // A click in digital silence, and in near-silence.
            for floor in [0.0, 1e-4] {
                let mut y = noise(2 * SR, floor, 2);
                for v in &mut y[SR..SR + 10] {
                    *v = 0.9;
                }
                assert!(regions(cfg, &y, SR).is_empty(), "{method:?} click");
            }
        }
    }

    #[test]
    fn a_tone_burst_is_one_region() {
        for method in [VadMethod::Hybrid, VadMethod::Neural, VadMethod::Energy] {
            for rate in [16_000, 48_000] {
                let y = pieces(&[(1.0, false), (1.0, true), (1.0, false)], rate);
                let r = regions(VadConfig::new().method(method).pad(0.0), &y, rate);
                let s = seconds(&r, rate);
                assert_eq!(s.len(), 1, "{method:?} {rate}: {s:?}");
                assert!(
                    (s[0].0 - 1.0).abs() < 0.04 && (s[0].1 - 2.0).abs() < 0.04,
                    "{s:?}"
                );
                // Padding widens it by 0.1 s at each end.
                let p = seconds(&regions(VadConfig::new().method(method), &y, rate), rate);
                assert!((p[0].0 - (s[0].0 - 0.1)).abs() < 0.02, "{p:?} vs {s:?}");
                assert!((p[0].1 - (s[0].1 + 0.1)).abs() < 0.02, "{p:?} vs {s:?}");
            }
        }
    }

    #[test]
    fn a_short_pause_is_bridged_and_a_long_one_splits() {
        let short = pieces(
            &[
                (0.5, false),
                (0.5, true),
                (0.15, false),
                (0.5, true),
                (0.5, false),
            ],
            SR,
        );
        let r = seconds(&regions(VadConfig::new(), &short, SR), SR);
        assert_eq!(r.len(), 1, "{r:?}");
        assert!(
            (r[0].0 - 0.4).abs() < 0.04 && (r[0].1 - 1.75).abs() < 0.04,
            "{r:?}"
        );

        let long = pieces(
            &[
                (0.5, false),
                (0.5, true),
                (1.0, false),
                (0.5, true),
                (0.5, false),
            ],
            SR,
        );
        let r = seconds(&regions(VadConfig::new(), &long, SR), SR);
        assert_eq!(r.len(), 2, "{r:?}");
        assert!(
            (r[0].1 - 1.1).abs() < 0.04 && (r[1].0 - 1.9).abs() < 0.04,
            "{r:?}"
        );
        // A bridge longer than the pause joins them.
        let r = regions(VadConfig::new().bridge(1.2), &long, SR);
        assert_eq!(r.len(), 1, "{r:?}");
    }

    #[test]
    fn min_speech_drops_short_bursts() {
        let y = pieces(&[(1.0, false), (0.06, true), (1.0, false)], SR);
        assert!(regions(VadConfig::new(), &y, SR).is_empty());
        assert_eq!(regions(VadConfig::new().min_speech(0.03), &y, SR).len(), 1);
    }

    #[test]
    fn probabilities_are_finite_on_hostile_input() {
        let vad = Vad::new(VadConfig::new()).unwrap();
        let mut scratch = vad.scratch();
        let mut y = pieces(&[(0.3, false), (0.5, true), (0.3, false)], SR);
        y[100] = f32::NAN;
        y[5000] = f32::INFINITY;
        y[9000] = f32::NEG_INFINITY;
        y.extend(std::iter::repeat_n(4.0, 3000)); // far beyond full scale
        for method in [VadMethod::Hybrid, VadMethod::Neural, VadMethod::Energy] {
            let vad = Vad::new(VadConfig::new().method(method)).unwrap();
            let p = vad.frame_probabilities(&y, &mut scratch);
            assert_eq!(p.len(), y.len().div_ceil(FRAME));
            assert!(
                p.iter().all(|v| v.is_finite() && (0.0..=1.0).contains(v)),
                "{p:?}"
            );
            let r = vad.speech_regions(&y, SR as u32, &mut scratch).unwrap();
            assert!(r.iter().all(|&(a, b)| a < b && b <= y.len()));
        }
    }

    #[test]
    fn input_shorter_than_a_frame() {
        let vad = Vad::new(VadConfig::new()).unwrap();
        let mut scratch = vad.scratch();
        for n in [0, 1, 100, 255] {
            let y = tone(n, SR, 0.5);
            assert_eq!(
                vad.frame_probabilities(&y, &mut scratch).len(),
                n.div_ceil(FRAME)
            );
            assert!(vad
                .speech_regions(&y, SR as u32, &mut scratch)
                .unwrap()
                .is_empty());
            assert_eq!(vad.trim(&y, 48_000, &mut scratch).unwrap(), None);
        }
    }

    #[test]
    fn trim_spans_first_to_last_region() {
        let vad = Vad::new(VadConfig::new()).unwrap();
        let mut scratch = vad.scratch();
        let y = pieces(
            &[
                (0.5, false),
                (0.5, true),
                (1.0, false),
                (0.5, true),
                (0.5, false),
            ],
            SR,
        );
        let r = vad.speech_regions(&y, SR as u32, &mut scratch).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(
            vad.trim(&y, SR as u32, &mut scratch).unwrap(),
            Some((r[0].0, r[1].1))
        );
    }

    #[test]
    fn streaming_matches_whole_clip_processing() {
        for rate in [16_000usize, 48_000, 44_100, 22_050] {
            let mut y = pieces(
                &[
                    (0.7, false),
                    (0.6, true),
                    (0.9, false),
                    (0.4, true),
                    (2.5, false),
                    (0.8, true),
                    (0.3, false),
                ],
                rate,
            );
            let n = y.len();
            for (v, n) in y.iter_mut().zip(noise(n, 1e-3, 3)) {
                *v += n;
            }
            let vad = Vad::new(VadConfig::new()).unwrap();
            let whole = vad
                .speech_regions(&y, rate as u32, &mut vad.scratch())
                .unwrap();
            assert_eq!(whole.len(), 3, "{rate}: {whole:?}");
            let mut stream = vad.stream(rate as u32).unwrap();
            let mut got = Vec::new();
            let mut at = 0;
            let mut k = 0usize;
            while at < y.len() {
                k = (k * 7919 + 1234) % 9000;
                let n = (k + 1).min(y.len() - at);
                stream.push(&y[at..at + n], &mut got);
                at += n;
                // A region is reported at most ~1.5 s after it ends.
                for r in &got {
                    assert!(r.1 <= at);
                }
            }
            assert_eq!(stream.samples_seen(), y.len());
            stream.finish(&mut got);
            // Chunked resampling differs from whole-clip resampling by rounding only.
            assert_eq!(got.len(), whole.len(), "{rate}: {got:?} vs {whole:?}");
            for (a, b) in got.iter().zip(&whole) {
                let tol = rate / 100;
                assert!(
                    a.0.abs_diff(b.0) <= tol && a.1.abs_diff(b.1) <= tol,
                    "{rate}: {got:?} vs {whole:?}"
                );
            }
        }
    }

    #[test]
    fn the_open_region_is_the_one_later_reported() {
        // 1 s of silence, 3 s of tone, 2 s of silence.
        let y = pieces(&[(1.0, false), (3.0, true), (2.0, false)], SR);
        let vad = Vad::new(VadConfig::new()).unwrap();
        let mut stream = vad.stream(SR as u32).unwrap();
        let (mut got, mut seen) = (Vec::new(), Vec::new());
        for part in y.chunks(SR / 10) {
            assert!(stream.pending_from() <= stream.samples_seen());
            stream.push(part, &mut got);
            if got.is_empty() {
                if let Some(open) = stream.open_region() {
                    seen.push(open);
                }
            }
        }
        stream.finish(&mut got);
        assert_eq!(got.len(), 1, "{got:?}");
        // Seen open from early on, with the start it is reported with, reaching further as the
        // tone goes on, never past the reported end.
        assert!(seen.len() > 20, "{}", seen.len());
        assert!(seen.iter().all(|o| o.0 == got[0].0 && o.1 <= got[0].1));
        assert!(seen.windows(2).all(|w| w[0].1 <= w[1].1));
        assert!(seen.last().unwrap().1 > got[0].0 + 2 * SR);
        // After the region, nothing can start before the undecided frames.
        assert!(stream_after(&vad, &y) > got[0].1);
    }

    fn stream_after(vad: &Vad, y: &[f32]) -> usize {
        let mut stream = vad.stream(SR as u32).unwrap();
        let mut got = Vec::new();
        stream.push(y, &mut got);
        assert!(stream.open_region().is_none());
        stream.pending_from()
    }

    #[test]
    fn streaming_reports_regions_before_the_end() {
        let y = pieces(&[(0.5, false), (0.5, true), (3.0, false)], SR);
        let vad = Vad::new(VadConfig::new()).unwrap();
        let mut stream = vad.stream(SR as u32).unwrap();
        let mut got = Vec::new();
        stream.push(&y, &mut got);
        assert_eq!(got.len(), 1, "closed region reported without finish");
        stream.finish(&mut got);
        assert_eq!(got.len(), 1);
    }

    #[test]
    fn detectors_move_between_threads() {
        fn send<T: Send>() {}
        fn sync<T: Sync>() {}
        send::<Vad>();
        sync::<Vad>();
        send::<VadScratch>();
        send::<VadStream>();
    }

    #[test]
    fn bad_settings_are_refused() {
        assert!(Vad::new(VadConfig::new().onset(0.0)).is_err());
        assert!(Vad::new(VadConfig::new().onset(0.4).offset(0.5)).is_err());
        assert!(Vad::new(VadConfig::new().pad(f64::NAN)).is_err());
        assert!(Vad::new(VadConfig::new().bridge(-1.0)).is_err());
        assert!(Vad::new(VadConfig::new().gate_db(f32::INFINITY)).is_err());
        assert!(Vad::new(VadConfig::new().floor_db(3.0)).is_err());
        let vad = Vad::new(VadConfig::new()).unwrap();
        assert!(vad
            .speech_regions(&[0.0; 10], 0, &mut vad.scratch())
            .is_err());
        assert!(vad.stream(0).is_err());
    }
}
