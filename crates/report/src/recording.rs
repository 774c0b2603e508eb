//! Plots of one recording, as librosa.display draws them: the waveform, the dB spectrogram on a
//! log-frequency axis, the mel spectrogram and the MFCC, each with time in seconds, a frequency
//! axis in Hz (or coefficient numbers) and a colour bar.
//!
//! [`AudioPlot::from_samples`] computes what to draw from mono samples (STFT with `n_fft` 2048
//! and hop 512 at the clip's own rate; 128 mel bands; 13 MFCC, as the `mfcc` pipeline computes
//! them); the structs can also be filled by hand.

use std::path::Path;
use std::str::FromStr;

use emovox_audio::stft::Stft;
use emovox_features::mel::{hz_to_mel, mel_to_hz};
use emovox_features::{Extractor, PipelineConfig};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::{palette, s, save_drawable, svg_string, Drawable, Error, Result};

/// Which plot of a recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlotKind {
    /// Amplitude over time.
    Waveform,
    /// STFT magnitude in dB (relative to the loudest bin) on a log-frequency axis.
    Spectrogram,
    /// Mel power spectrogram in dB (relative to the loudest band).
    Mel,
    /// Mel-frequency cepstral coefficients.
    Mfcc,
}

impl PlotKind {
    /// Every kind, in the order `emovox plot` lists them.
    pub const ALL: [PlotKind; 4] = [
        PlotKind::Waveform,
        PlotKind::Spectrogram,
        PlotKind::Mel,
        PlotKind::Mfcc,
    ];

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            PlotKind::Waveform => "waveform",
            PlotKind::Spectrogram => "spectrogram",
            PlotKind::Mel => "mel",
            PlotKind::Mfcc => "mfcc",
        }
    }
}

impl FromStr for PlotKind {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        PlotKind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown plot {s:?}: use waveform, spectrogram, mel or mfcc"))
    }
}

/// FFT size of the plotted spectrograms.
pub const N_FFT: usize = 2048;
/// Hop of the plotted spectrograms.
pub const HOP: usize = 512;
/// Dynamic range shown by the dB plots.
pub const TOP_DB: f32 = 80.0;

/// A waveform: amplitude over time, drawn as its min/max envelope per pixel column.
#[derive(Debug, Clone, PartialEq)]
pub struct Waveform {
    /// Title above the chart.
    pub title: String,
    /// Mono samples.
    pub samples: Vec<f32>,
    /// Sample rate, Hz.
    pub sample_rate: u32,
}

/// What the vertical axis of a [`Spectrogram`] shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FreqAxis {
    /// Linear FFT bins `bin_hz` apart, shown on a logarithmic frequency axis (in Hz).
    Log {
        /// Hz between bins (`sample_rate / n_fft`).
        bin_hz: f64,
    },
    /// Mel bands evenly spaced in mels from `fmin` to `fmax` (ticks in Hz).
    Mel {
        /// Lowest frequency, Hz.
        fmin: f64,
        /// Highest frequency, Hz.
        fmax: f64,
    },
    /// Rows are numbered coefficients (MFCC 0, 1, ...).
    Coefficients,
}

/// Colour maps of [`Spectrogram`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colormap {
    /// Black through purple and orange to pale yellow (matplotlib's magma), for dB.
    Magma,
    /// Blue through white to red, centred on 0 (matplotlib's coolwarm), for MFCC.
    CoolWarm,
}

impl Colormap {
    /// The colour of `v` in 0..=1.
    pub fn colour(self, v: f64) -> (u8, u8, u8) {
        const MAGMA: [(f64, f64, f64); 9] = [
            (0.001, 0.000, 0.014),
            (0.114, 0.065, 0.277),
            (0.317, 0.071, 0.485),
            (0.513, 0.148, 0.507),
            (0.716, 0.215, 0.475),
            (0.907, 0.310, 0.388),
            (0.986, 0.536, 0.382),
            (0.996, 0.772, 0.524),
            (0.987, 0.991, 0.750),
        ];
        const COOLWARM: [(f64, f64, f64); 5] = [
            (0.230, 0.299, 0.754),
            (0.552, 0.690, 0.996),
            (0.865, 0.865, 0.865),
            (0.958, 0.604, 0.482),
            (0.706, 0.016, 0.150),
        ];
        let lut: &[(f64, f64, f64)] = match self {
            Colormap::Magma => &MAGMA,
            Colormap::CoolWarm => &COOLWARM,
        };
        let v = if v.is_finite() {
            v.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let pos = v * (lut.len() - 1) as f64;
        let i = (pos.floor() as usize).min(lut.len() - 2);
        let f = pos - i as f64;
        let mix = |a: f64, b: f64| ((a + (b - a) * f) * 255.0).round() as u8;
        let (a, b) = (lut[i], lut[i + 1]);
        (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
    }
}

/// A time-frequency image (spectrogram, mel spectrogram, MFCC) with a colour bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Spectrogram {
    /// Title above the chart.
    pub title: String,
    /// Number of frames (columns of the image).
    pub frames: usize,
    /// Values per frame (bins, bands or coefficients; rows of the image, lowest first).
    pub rows: usize,
    /// `frames * rows` values, frame-major: `values[t * rows + k]`.
    pub values: Vec<f32>,
    /// Seconds between frames (hop / sample rate); frame `t` is centred at `t * seconds_per_frame`.
    pub seconds_per_frame: f64,
    /// What the rows are.
    pub axis: FreqAxis,
    /// Colours.
    pub colormap: Colormap,
    /// Label of the colour bar (`dB`).
    pub colour_label: String,
}

/// A plot of one recording.
#[derive(Debug, Clone, PartialEq)]
pub enum AudioPlot {
    /// A waveform.
    Waveform(Waveform),
    /// A spectrogram, mel spectrogram or MFCC.
    Spectrogram(Spectrogram),
}

/// Size of every audio plot.
pub const SIZE: (u32, u32) = (1000, 460);

impl AudioPlot {
    /// Computes the `kind` plot of mono `samples` at `rate` Hz, titled `title`.
    pub fn from_samples(kind: PlotKind, samples: &[f32], rate: u32, title: &str) -> Result<Self> {
        if samples.is_empty() {
            return Err(Error::Empty(format!("{title}: no samples")));
        }
        if !(1000..=emovox_audio::MAX_RATE).contains(&rate) {
            return Err(Error::Analysis(format!(
                "sample rate {rate} Hz is outside 1000..={} Hz",
                emovox_audio::MAX_RATE
            )));
        }
        let spf = HOP as f64 / rate as f64;
        Ok(match kind {
            PlotKind::Waveform => AudioPlot::Waveform(Waveform {
                title: title.into(),
                samples: samples.to_vec(),
                sample_rate: rate,
            }),
            PlotKind::Spectrogram => {
                let stft = Stft::new(N_FFT, HOP).map_err(|e| Error::Analysis(e.to_string()))?;
                let mut power = Vec::new();
                stft.power(samples, &mut stft.scratch(), &mut power);
                db_relative_to_max(&mut power, TOP_DB);
                AudioPlot::Spectrogram(Spectrogram {
                    title: title.into(),
                    frames: power.len() / stft.n_bins(),
                    rows: stft.n_bins(),
                    values: power,
                    seconds_per_frame: spf,
                    axis: FreqAxis::Log {
                        bin_hz: rate as f64 / N_FFT as f64,
                    },
                    colormap: Colormap::Magma,
                    colour_label: "dB".into(),
                })
            }
            PlotKind::Mel | PlotKind::Mfcc => {
                let preset = if kind == PlotKind::Mel {
                    "logmel"
                } else {
                    "mfcc"
                };
                let mut cfg = PipelineConfig::preset(preset)
                    .ok_or_else(|| Error::Analysis(format!("no {preset} pipeline")))?;
                cfg.sample_rate = rate;
                cfg.n_fft = N_FFT;
                cfg.hop = HOP;
                let mut ex = Extractor::new(cfg).map_err(|e| Error::Analysis(e.to_string()))?;
                let f = ex
                    .process(samples, rate)
                    .map_err(|e| Error::Analysis(e.to_string()))?;
                let mut values = f.values;
                let (axis, colormap, label) = if kind == PlotKind::Mel {
                    // power_to_db(ref=1) then relative to the loudest band: ref=np.max.
                    let max = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                    values.iter_mut().for_each(|v| *v -= max);
                    let fmax = rate as f64 / 2.0;
                    (FreqAxis::Mel { fmin: 0.0, fmax }, Colormap::Magma, "dB")
                } else {
                    (FreqAxis::Coefficients, Colormap::CoolWarm, "value")
                };
                AudioPlot::Spectrogram(Spectrogram {
                    title: title.into(),
                    frames: f.frames,
                    rows: f.columns,
                    values,
                    seconds_per_frame: spf,
                    axis,
                    colormap,
                    colour_label: label.into(),
                })
            }
        })
    }

    /// Writes the plot to `path` (`.png` or `.svg`), [`SIZE`].
    pub fn save(&self, path: &Path) -> Result<()> {
        match self {
            AudioPlot::Waveform(w) => w.save(path),
            AudioPlot::Spectrogram(s) => s.save(path),
        }
    }

    /// The plot as an SVG document in memory (for a web page), `size` pixels (e.g. [`SIZE`]).
    /// Spectrograms embed their image as a PNG, so the document stays small.
    pub fn to_svg(&self, size: (u32, u32)) -> Result<String> {
        let r = match self {
            AudioPlot::Waveform(w) if w.samples.is_empty() || w.sample_rate == 0 => {
                return Err(Error::Empty(format!(
                    "waveform {:?} has no samples",
                    w.title
                )))
            }
            AudioPlot::Waveform(w) => svg_string(w, size),
            AudioPlot::Spectrogram(s) => svg_string(s, size),
        };
        r.map_err(|message| Error::Draw {
            path: "(in-memory svg)".into(),
            message,
        })
    }
}

/// `10 log10(p / max p)` in place, floored at `-top_db` (librosa `power_to_db(S, ref=np.max)`).
pub fn db_relative_to_max(power: &mut [f32], top_db: f32) {
    let max = power.iter().copied().fold(0.0f32, f32::max).max(1e-10);
    let r = 10.0 * max.log10();
    for v in power.iter_mut() {
        *v = (10.0 * v.max(1e-10).log10() - r).max(-top_db);
    }
}

/// Decimals for time tick labels over `duration` seconds.
fn time_decimals(duration: f64) -> usize {
    if duration < 2.0 {
        2
    } else if duration < 60.0 {
        1
    } else {
        0
    }
}

impl Waveform {
    /// Writes the plot to `path` (`.png` or `.svg`), [`SIZE`].
    pub fn save(&self, path: &Path) -> Result<()> {
        if self.samples.is_empty() || self.sample_rate == 0 {
            return Err(Error::Empty(format!(
                "waveform {:?} has no samples",
                self.title
            )));
        }
        save_drawable(self, path, SIZE)
    }
}

impl Drawable for Waveform {
    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(s)?;
        let n = self.samples.len();
        let dur = n as f64 / self.sample_rate as f64;
        let peak = self
            .samples
            .iter()
            .filter(|v| v.is_finite())
            .fold(0.0f32, |m, v| m.max(v.abs()))
            .max(1e-3) as f64
            * 1.1;
        let dec = time_decimals(dur);
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 20))
            .margin(14)
            .x_label_area_size(46)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..dur, -peak..peak)
            .map_err(s)?;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .x_desc("time (s)")
            .y_desc("amplitude")
            .x_label_formatter(&|x| format!("{x:.dec$}"))
            .y_label_formatter(&|y| format!("{y:.2}"))
            .label_style(("sans-serif", 13))
            .axis_desc_style(("sans-serif", 15))
            .draw()
            .map_err(s)?;
        // Min/max envelope per pixel column.
        let (xr, _) = chart.plotting_area().get_pixel_range();
        let cols = (xr.end - xr.start).max(1) as usize;
        let mut upper = Vec::with_capacity(cols);
        let mut lower = Vec::with_capacity(cols);
        for c in 0..cols {
            let a = c * n / cols;
            let b = ((c + 1) * n / cols).max(a + 1).min(n);
            let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
            for &v in self.samples[a.min(n - 1)..b]
                .iter()
                .filter(|v| v.is_finite())
            {
                lo = lo.min(v);
                hi = hi.max(v);
            }
            if !lo.is_finite() {
                (lo, hi) = (0.0, 0.0);
            }
            let t = (c as f64 + 0.5) / cols as f64 * dur;
            upper.push((t, hi as f64));
            lower.push((t, lo as f64));
        }
        let c = palette(0);
        let mut outline = upper.clone();
        outline.extend(lower.iter().rev());
        chart
            .draw_series(std::iter::once(Polygon::new(outline, c.mix(0.85).filled())))
            .map_err(s)?;
        // A stroke too, so sub-pixel-thin parts stay visible.
        chart
            .draw_series(
                [upper, lower]
                    .into_iter()
                    .map(|p| PathElement::new(p, c.stroke_width(1))),
            )
            .map_err(s)?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(0.0, 0.0), (dur, 0.0)],
                BLACK.mix(0.4).stroke_width(1),
            )))
            .map_err(s)?;
        Ok(())
    }
}

impl Spectrogram {
    /// Writes the plot to `path` (`.png` or `.svg`), [`SIZE`].
    pub fn save(&self, path: &Path) -> Result<()> {
        if self.frames == 0 || self.rows == 0 || self.values.len() < self.frames * self.rows {
            return Err(Error::Empty(format!(
                "spectrogram {:?} has no frames (or fewer values than frames x rows)",
                self.title
            )));
        }
        save_drawable(self, path, SIZE)
    }

    /// The colour range: finite min..max, symmetric around 0 for [`Colormap::CoolWarm`]. For
    /// coefficients, row 0 (MFCC 0, the overall level, ten times larger than the rest) is left
    /// out of the range, so the other coefficients are not washed out; it saturates instead.
    pub fn colour_range(&self) -> (f64, f64) {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        let skip_first = self.axis == FreqAxis::Coefficients && self.rows > 1;
        let values = self
            .values
            .chunks_exact(self.rows.max(1))
            .flat_map(|frame| &frame[usize::from(skip_first)..]);
        for &v in values.filter(|v| v.is_finite()) {
            lo = lo.min(v as f64);
            hi = hi.max(v as f64);
        }
        if !lo.is_finite() {
            return (0.0, 1.0);
        }
        if self.colormap == Colormap::CoolWarm {
            let m = lo.abs().max(hi.abs()).max(1e-9);
            return (-m, m);
        }
        if hi - lo < 1e-9 {
            return (lo - 1.0, hi + 1.0);
        }
        (lo, hi)
    }

    /// The vertical range in axis units (log2 Hz, mels or row numbers) and the axis title.
    fn y_range(&self) -> (f64, f64, &'static str) {
        match self.axis {
            FreqAxis::Log { bin_hz } => {
                let top = bin_hz * (self.rows - 1).max(1) as f64;
                let bottom = bin_hz.max(top / 1024.0).max(16.0).min(top / 2.0);
                (bottom.log2(), top.log2(), "frequency (Hz)")
            }
            FreqAxis::Mel { fmin, fmax } => (hz_to_mel(fmin), hz_to_mel(fmax), "frequency (Hz)"),
            FreqAxis::Coefficients => (0.0, self.rows as f64, "coefficient"),
        }
    }

    /// The row shown at vertical position `y` (axis units).
    fn row_at(&self, y: f64, lo: f64, hi: f64) -> usize {
        let n = self.rows;
        let k = match self.axis {
            FreqAxis::Log { bin_hz } => (y.exp2() / bin_hz).round(),
            // Band centres sit at (k + 1) / (n + 1) of the mel range (librosa's filterbank).
            FreqAxis::Mel { .. } => ((y - lo) / (hi - lo) * (n + 1) as f64 - 1.0).round(),
            FreqAxis::Coefficients => y.floor(),
        };
        (k.max(0.0) as usize).min(n - 1)
    }

    /// Tick positions (axis units) and labels for the vertical axis.
    fn y_ticks(&self, lo: f64, hi: f64) -> Vec<(f64, String)> {
        match self.axis {
            FreqAxis::Log { .. } | FreqAxis::Mel { .. } => {
                let to_y = |f: f64| match self.axis {
                    FreqAxis::Log { .. } => f.log2(),
                    _ => hz_to_mel(f),
                };
                // Octaves, as librosa labels them: 0 (mel axis), then 32 (log) or 128 (mel) Hz
                // doubling up to the top.
                let is_mel = matches!(self.axis, FreqAxis::Mel { .. });
                let mut freqs = if is_mel { vec![0.0] } else { vec![] };
                let mut f = if is_mel { 128.0 } else { 32.0 };
                while f <= 48_000.0 {
                    freqs.push(f);
                    f *= 2.0;
                }
                // Bottom up, keeping ticks at least ~1/14 of the axis apart (the mel scale packs
                // the low octaves tightly; the high ones are always far apart).
                let min_gap = (hi - lo) / 14.0;
                let mut kept: Vec<(f64, String)> = Vec::new();
                for f in freqs {
                    let y = to_y(f);
                    let inside = y >= lo - 1e-9 && y <= hi + 1e-9;
                    if inside && kept.last().is_none_or(|k| y - k.0 >= min_gap) {
                        kept.push((y, format!("{f:.0}")));
                    }
                }
                kept
            }
            FreqAxis::Coefficients => {
                let step = (self.rows / 10).max(1);
                (0..self.rows)
                    .step_by(step)
                    .map(|k| (k as f64 + 0.5, k.to_string()))
                    .collect()
            }
        }
    }

    /// The RGB image of the values at `w x h` pixels (averaging the frames under each column).
    fn image(&self, w: usize, h: usize, lo: f64, hi: f64, vmin: f64, vmax: f64) -> Vec<u8> {
        let mut buf = vec![0u8; w * h * 3];
        let dur = self.frames as f64 * self.seconds_per_frame;
        let rows: Vec<usize> = (0..h)
            .map(|py| {
                let y = hi - (py as f64 + 0.5) / h as f64 * (hi - lo);
                self.row_at(y, lo, hi)
            })
            .collect();
        let mut column = vec![0.0f64; self.rows];
        for px in 0..w {
            let t0 = px as f64 / w as f64 * dur / self.seconds_per_frame;
            let t1 = (px + 1) as f64 / w as f64 * dur / self.seconds_per_frame;
            let a = (t0.round() as usize).min(self.frames - 1);
            let b = (t1.round() as usize).clamp(a + 1, self.frames);
            column.iter_mut().for_each(|c| *c = 0.0);
            for t in a..b {
                for (c, v) in column.iter_mut().zip(&self.values[t * self.rows..]) {
                    *c += *v as f64;
                }
            }
            let k = (b - a) as f64;
            for (py, &r) in rows.iter().enumerate() {
                let v = (column[r] / k - vmin) / (vmax - vmin);
                let (cr, cg, cb) = self.colormap.colour(v);
                let i = (py * w + px) * 3;
                buf[i..i + 3].copy_from_slice(&[cr, cg, cb]);
            }
        }
        buf
    }
}

/// About `want` round tick values between `lo` and `hi`.
fn nice_ticks(lo: f64, hi: f64, want: usize) -> Vec<f64> {
    let span = (hi - lo).abs().max(1e-12);
    let raw = span / want.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * mag);
    let mut v = (lo / step).ceil() * step;
    let mut out = Vec::new();
    while v <= hi + step * 1e-9 {
        out.push(if v.abs() < step * 1e-9 { 0.0 } else { v });
        v += step;
    }
    out
}

impl Drawable for Spectrogram {
    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(s)?;
        let (w, _) = root.dim_in_pixel();
        let titled = root.titled(&self.title, ("sans-serif", 20)).map_err(s)?;
        let (main, bar) = titled.split_horizontally(w.saturating_sub(110));
        let dur = self.frames as f64 * self.seconds_per_frame;
        let (lo, hi, y_desc) = self.y_range();
        let dec = time_decimals(dur);
        let mut chart = ChartBuilder::on(&main)
            .margin(14)
            .x_label_area_size(46)
            .y_label_area_size(76)
            .build_cartesian_2d(0.0..dur, lo..hi)
            .map_err(s)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("time (s)")
            .y_desc(y_desc)
            .y_labels(0)
            .y_label_formatter(&|_| String::new())
            .x_label_formatter(&|x| format!("{x:.dec$}"))
            .label_style(("sans-serif", 13))
            .axis_desc_style(("sans-serif", 15))
            .draw()
            .map_err(s)?;
        let (xr, yr) = chart.plotting_area().get_pixel_range();
        let (pw, ph) = (
            (xr.end - xr.start).max(1) as usize,
            (yr.end - yr.start).max(1) as usize,
        );
        let (vmin, vmax) = self.colour_range();
        let img = self.image(pw, ph, lo, hi, vmin, vmax);
        let el =
            BitMapElement::with_owned_buffer((xr.start, yr.start), (pw as u32, ph as u32), img)
                .ok_or("image buffer size")?;
        root.draw(&el).map_err(s)?;
        // Vertical ticks and labels.
        let label = TextStyle::from(("sans-serif", 13))
            .color(&BLACK)
            .pos(Pos::new(HPos::Right, VPos::Center));
        for (y, text) in self.y_ticks(lo, hi) {
            let (_, py) = chart.backend_coord(&(0.0, y));
            root.draw(&PathElement::new(
                vec![(xr.start - 5, py), (xr.start, py)],
                BLACK.stroke_width(1),
            ))
            .map_err(s)?;
            root.draw(&Text::new(text, (xr.start - 8, py), label.clone()))
                .map_err(s)?;
        }
        // Colour bar, aligned with the plotting area.
        let (bx, _) = bar.get_base_pixel();
        let x0 = bx + 10;
        let bar_img: Vec<u8> = (0..ph)
            .flat_map(|py| {
                let v = 1.0 - (py as f64 + 0.5) / ph as f64;
                let (r, g, b) = self.colormap.colour(v);
                std::iter::repeat_n([r, g, b], 18).flatten()
            })
            .collect();
        let el = BitMapElement::with_owned_buffer((x0, yr.start), (18, ph as u32), bar_img)
            .ok_or("colour bar buffer size")?;
        root.draw(&el).map_err(s)?;
        root.draw(&Rectangle::new(
            [(x0, yr.start), (x0 + 18, yr.end)],
            BLACK.stroke_width(1),
        ))
        .map_err(s)?;
        let tick = TextStyle::from(("sans-serif", 13))
            .color(&BLACK)
            .pos(Pos::new(HPos::Left, VPos::Center));
        let decimals = if vmax - vmin < 5.0 { 1 } else { 0 };
        for v in nice_ticks(vmin, vmax, 6) {
            let py = yr.end - ((v - vmin) / (vmax - vmin) * ph as f64).round() as i32;
            root.draw(&PathElement::new(
                vec![(x0 + 18, py), (x0 + 23, py)],
                BLACK.stroke_width(1),
            ))
            .map_err(s)?;
            root.draw(&Text::new(
                format!("{v:.decimals$}"),
                (x0 + 26, py),
                tick.clone(),
            ))
            .map_err(s)?;
        }
        let head = TextStyle::from(("sans-serif", 14))
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Bottom));
        root.draw(&Text::new(
            self.colour_label.clone(),
            (x0 + 9, yr.start - 6),
            head,
        ))
        .map_err(s)?;
        Ok(())
    }
}

/// The frequency (Hz) at the centre of mel band `k` of `n` between `fmin` and `fmax`.
pub fn mel_band_centre(k: usize, n: usize, fmin: f64, fmax: f64) -> f64 {
    let (a, b) = (hz_to_mel(fmin), hz_to_mel(fmax));
    mel_to_hz(a + (b - a) * (k + 1) as f64 / (n + 1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: u32, secs: f32) -> Vec<f32> {
        (0..(rate as f32 * secs) as usize)
            .map(|i| {
                let t = i as f32 / rate as f32;
                0.5 * (std::f32::consts::TAU * 440.0 * t).sin() * (1.0 + (3.0 * t).sin()) / 2.0
            })
            .collect()
    }

    #[test]
    fn every_kind_renders_png_and_svg() {
        let dir = tempfile::tempdir().unwrap();
        let y = tone(16_000, 1.5);
        for kind in PlotKind::ALL {
            let p = AudioPlot::from_samples(kind, &y, 16_000, kind.name()).unwrap();
            for ext in ["png", "svg"] {
                let f = dir.path().join(format!("{}.{ext}", kind.name()));
                p.save(&f).unwrap();
                assert!(
                    std::fs::metadata(&f).unwrap().len() > 2000,
                    "{}",
                    f.display()
                );
            }
        }
        let svg = std::fs::read_to_string(dir.path().join("mel.svg")).unwrap();
        assert!(
            svg.contains("href=\"data:image/png;base64,"),
            "a valid data URL"
        );
        assert!(AudioPlot::from_samples(PlotKind::Mel, &[], 16_000, "x").is_err());
        assert_eq!("MFCC".parse::<PlotKind>(), Ok(PlotKind::Mfcc));
        assert!("pie".parse::<PlotKind>().is_err());
    }

    #[test]
    fn spectrogram_peak_is_at_the_tone() {
        let y = tone(16_000, 1.0);
        let AudioPlot::Spectrogram(sp) =
            AudioPlot::from_samples(PlotKind::Spectrogram, &y, 16_000, "t").unwrap()
        else {
            panic!("a spectrogram")
        };
        let t = sp.frames / 2;
        let row = &sp.values[t * sp.rows..(t + 1) * sp.rows];
        let k = (0..sp.rows)
            .max_by(|&a, &b| row[a].total_cmp(&row[b]))
            .unwrap();
        let hz = k as f64 * 16_000.0 / N_FFT as f64;
        assert!((hz - 440.0).abs() < 10.0, "{hz}");
        assert!(sp.values.iter().all(|&v| (-TOP_DB..=0.0).contains(&v)));
        // The row under the tone's frequency on the log axis is the tone's bin.
        let (lo, hi, _) = sp.y_range();
        assert_eq!(sp.row_at(440f64.log2(), lo, hi), k);
    }

    #[test]
    fn ticks_and_colours() {
        assert_eq!(
            nice_ticks(-80.0, 0.0, 6),
            vec![-80.0, -60.0, -40.0, -20.0, 0.0]
        );
        assert_eq!(Colormap::Magma.colour(0.0), (0, 0, 4));
        assert_eq!(Colormap::CoolWarm.colour(0.5), (221, 221, 221));
        let c = mel_band_centre(0, 128, 0.0, 8000.0);
        assert!(c > 0.0 && c < 40.0, "{c}");
    }

    #[test]
    fn plots_render_to_in_memory_svg() {
        let y = tone(16_000, 1.0);
        for kind in [PlotKind::Waveform, PlotKind::Spectrogram] {
            let svg = AudioPlot::from_samples(kind, &y, 16_000, "t")
                .unwrap()
                .to_svg((600, 280))
                .unwrap();
            assert!(
                svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
                "{kind:?}"
            );
            assert!(!svg.contains("data:png;"), "browsers need data:image/png");
        }
    }
}
