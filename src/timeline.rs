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

use std::path::Path;

use emovox_audio::vad::{Vad, VadConfig};
use emovox_audio::{decode_file, DecodeOptions, Resampler};
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
    /// The analysed audio at the pipeline's rate, for plotting (not serialised).
    #[serde(skip)]
    pub samples: Vec<f32>,
    /// Rate of `samples`.
    #[serde(skip)]
    pub sample_rate: u32,
}

/// Speech regions of `y` (at `rate`) as `(start, end)` sample indices, found by the project's
/// voice-activity detector ([`emovox_audio::vad`], the one that trims clips for the bundled
/// model), with `opts.min_silence` as its bridge, `opts.min_speech` as its shortest speech and
/// no padding (the windows' `lead` covers onsets).
pub fn detect_speech(y: &[f32], rate: u32, opts: &TimelineOptions) -> Result<Vec<(usize, usize)>> {
    let vad = Vad::new(
        VadConfig::new()
            .bridge(opts.min_silence)
            .min_speech(opts.min_speech)
            .pad(0.0),
    )?;
    Ok(vad.speech_regions(y, rate, &mut vad.scratch())?)
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

impl Timeline {
    /// The timeline of an audio file of any format the decoder reads.
    pub fn of_file(rec: &Recognizer, path: &Path, opts: &TimelineOptions) -> Result<Timeline> {
        let clip =
            decode_file(path, &DecodeOptions::new()).map_err(|e| Error::from(e).in_file(path))?;
        Self::of_samples(rec, &clip.samples, clip.sample_rate, opts).map_err(|e| e.in_file(path))
    }

    /// The timeline of mono `samples` at `rate` Hz.
    pub fn of_samples(
        rec: &Recognizer,
        samples: &[f32],
        rate: u32,
        opts: &TimelineOptions,
    ) -> Result<Timeline> {
        let mut pipeline = rec.saved().pipeline.clone();
        let sr = pipeline.sample_rate;
        let window = opts.window.unwrap_or_else(|| rec.window_seconds());
        let hop = opts.hop.unwrap_or(window / 3.0);
        if !(window >= 0.1 && window <= 60.0) {
            return Err(Error::Option(format!(
                "window must be 0.1 to 60 seconds, got {window}"
            )));
        }
        if !(hop >= 0.01 && hop <= window) {
            return Err(Error::Option(format!(
                "hop must be 0.01 s to the window ({window} s), got {hop}"
            )));
        }
        // Samples beyond any audio scale are refused before the detector or resampler.
        emovox_audio::guard::check_samples(samples)?;
        // Resample the whole recording once; windows are then cut at the pipeline's rate.
        let y = if rate == sr {
            samples.to_vec()
        } else {
            let mut out = Vec::new();
            Resampler::new(rate, sr)?.process(samples, &mut out)?;
            out
        };
        let duration = y.len() as f64 / sr as f64;
        // Each window is analysed whole (it plays the part of the training crop).
        pipeline.crop = None;
        let mut ex = Extractor::new(pipeline)?;
        let w = ((window * sr as f64) as usize).max(1);
        let h = ((hop * sr as f64) as usize).max(1);
        if !(opts.lead >= 0.0 && opts.lead < window) {
            return Err(Error::Option(format!(
                "lead must be 0 s to less than the window ({window} s), got {}",
                opts.lead
            )));
        }
        let lead = (opts.lead * sr as f64) as usize;
        let speech = detect_speech(&y, sr, opts)?;
        let mut windows = Vec::new();
        let mut owners = Vec::new(); // (region index, start sample)
        let mut batch: Vec<Features> = Vec::new();
        for (ri, &(a, b)) in speech.iter().enumerate() {
            for s in window_starts(a, b, w, h, lead, y.len()) {
                let end = (s + w).min(y.len());
                match ex.process(&y[s..end], sr) {
                    Ok(f) => {
                        batch.push(f);
                        owners.push((ri, s));
                    }
                    // A model that trims silence heard no speech in this window: it gets no
                    // emotion (a region without windows is reported as silence).
                    Err(emovox_features::Error::NoSpeech { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        let mut probs = Vec::with_capacity(batch.len());
        for chunk in batch.chunks(64) {
            probs.extend(rec.predict_features(chunk)?);
        }
        for (&(_, s), p) in owners.iter().zip(&probs) {
            windows.push(Window {
                start: s as f64 / sr as f64,
                end: (s + w).min(y.len()) as f64 / sr as f64,
                probabilities: p.probabilities(),
            });
        }
        let segments = segments(&speech, &owners, &windows, w, sr, duration, rec.classes());
        Ok(Timeline {
            duration,
            window,
            hop,
            classes: rec.classes().to_vec(),
            speech: speech
                .iter()
                .map(|&(a, b)| (a as f64 / sr as f64, b as f64 / sr as f64))
                .collect(),
            windows,
            segments,
            samples: y,
            sample_rate: sr,
        })
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
            envelope: emovox_report::envelope(&self.samples, self.sample_rate, 1200),
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

/// Gives each window the part of its speech region nearest its centre, merges neighbours with
/// the same label, and fills the gaps with silence.
fn segments(
    speech: &[(usize, usize)],
    owners: &[(usize, usize)],
    windows: &[Window],
    w: usize,
    sr: u32,
    duration: f64,
    classes: &[String],
) -> Vec<Segment> {
    let sec = |s: usize| s as f64 / sr as f64;
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
    let mut cursor = 0.0;
    let mut wi = 0;
    for (ri, &(a, b)) in speech.iter().enumerate() {
        if sec(a) > cursor {
            finish(&mut out, &mut acc, &mut count);
            out.push(silence(cursor, sec(a)));
        }
        let mine: Vec<usize> = (wi..owners.len())
            .take_while(|&i| owners[i].0 == ri)
            .collect();
        wi += mine.len();
        let centres: Vec<f64> = mine.iter().map(|&i| (owners[i].1 + w / 2) as f64).collect();
        for (k, &i) in mine.iter().enumerate() {
            let lo = if k == 0 {
                a as f64
            } else {
                (centres[k - 1] + centres[k]) / 2.0
            };
            let hi = if k + 1 == mine.len() {
                b as f64
            } else {
                (centres[k] + centres[k + 1]) / 2.0
            };
            let (lo, hi) = (lo.max(a as f64) / sr as f64, hi.min(b as f64) / sr as f64);
            if hi <= lo {
                continue;
            }
            let p = &windows[i].probabilities;
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
                out.push(Segment {
                    start: lo,
                    end: hi,
                    label: None,
                    confidence: 0.0,
                    scores: Vec::new(),
                });
                acc = vec![0.0; p.len()];
            }
            for (s, v) in acc.iter_mut().zip(p) {
                *s += v;
            }
            count += 1;
        }
        finish(&mut out, &mut acc, &mut count);
        cursor = sec(b);
    }
    finish(&mut out, &mut acc, &mut count);
    if duration > cursor + 1e-9 {
        out.push(silence(cursor, duration));
    }
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
        let speech = [(10, 50)];
        let owners = [(0, 10), (0, 20), (0, 30)];
        let win = |p: [f32; 2]| Window {
            start: 0.0,
            end: 0.0,
            probabilities: p.to_vec(),
        };
        let windows = [win([0.9, 0.1]), win([0.7, 0.3]), win([0.2, 0.8])];
        let s = segments(&speech, &owners, &windows, 20, sr, 6.0, &classes);
        let got: Vec<(f64, f64, Option<&str>)> = s
            .iter()
            .map(|s| (s.start, s.end, s.label.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                (0.0, 1.0, None),
                (1.0, 3.5, Some("a")),
                (3.5, 5.0, Some("b")),
                (5.0, 6.0, None)
            ]
        );
        assert!((s[1].confidence - 0.8).abs() < 1e-6);
        assert!((s[2].confidence - 0.8).abs() < 1e-6);
    }
}
