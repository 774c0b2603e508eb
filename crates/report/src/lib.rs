//! Charts and reports for emovox: training curves, confusion matrices, bars, pies, box plots,
//! histograms, waveforms and spectrograms, drawn with plotters as PNG or SVG (chosen by the
//! output's extension), with an embedded font so they render the same on a machine without any
//! fonts installed. The corpus analysis report that uses them (measures, tables, findings, the
//! page) is `emovox::analyze`; this crate only draws.
//!
//! # Overview
//!
//! Each chart is a small struct describing what to draw; [`LineChart::save`] and friends write
//! it. One module draws every chart the CLI, the evaluation report, the analysis report and the
//! web page show.
//!
//! | chart | for | size |
//! |---|---|---|
//! | [`LineChart`] | training curves | 800 x 500 |
//! | [`Heatmap`] | confusion matrices | square, by cells |
//! | [`Histogram`], [`BinnedHistogram`] | values kept / counted elsewhere | 800 x 500, 900 x 500 |
//! | [`BarChart`] | grouped or sorted bars, negative values, value labels | 900 x 500 |
//! | [`PieChart`] | shares, with a legend of counts and percentages | 820 x 500 |
//! | [`BoxPlot`] | distributions per category | 900 x 500 |
//! | [`recording::Waveform`], [`recording::Spectrogram`] | one recording: waveform, dB spectrogram (log Hz), mel, MFCC, with a colour bar | 1000 x 460 |
//!
//! # Modules
//!
//! | module | what |
//! |---|---|
//! | [`recording`] | plots of one recording, computed from its samples ([`AudioPlot::from_samples`]) |
//!
//! # Example
//!
//! ```
//! use emovox_report::{LineChart, Series};
//!
//! let dir = tempfile::tempdir()?;
//! let chart = LineChart {
//!     title: "Loss".into(),
//!     x_label: "epoch".into(),
//!     y_label: "loss".into(),
//!     series: vec![Series { name: "train".into(), points: vec![(1.0, 1.2), (2.0, 0.8), (3.0, 0.5)] }],
//! };
//! chart.save(&dir.path().join("loss.png"))?;
//! chart.save(&dir.path().join("loss.svg"))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

mod charts;
pub mod recording;
mod timeline;

pub use charts::{quantile, BinnedHistogram, BoxPlot, BoxStats, PieChart};
/// The colour type of [`palette`] and the chart structs (plotters' own).
pub use plotters::style::RGBColor;
pub use recording::{AudioPlot, PlotKind};
pub use timeline::{envelope, Envelope, TimelineChart};

/// DejaVu Sans, subset to basic Latin (see `assets/fonts/LICENSE-DejaVu.txt`).
static FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-subset.ttf");

/// Everything that can go wrong drawing a chart.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The output's extension is neither `.png` nor `.svg`.
    #[error("{}: charts are written as .png or .svg", .0.display())]
    Format(PathBuf),
    /// There is nothing to draw.
    #[error("nothing to draw: {0}")]
    Empty(String),
    /// A clip could not be analysed (too short, bad sample rate...).
    #[error("{0}")]
    Analysis(String),
    /// Writing a report file failed.
    #[error("{}: {message}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// plotters failed (usually writing the file).
    #[error("{}: {message}", path.display())]
    Draw {
        /// The output file.
        path: PathBuf,
        /// What plotters said.
        message: String,
    },
}

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

fn register_font() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        // A failure leaves plotters without a font; text then fails to draw with a clear error.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// Charts that can be drawn on any plotters backend.
trait Drawable {
    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

fn save_drawable(chart: &impl Drawable, path: &Path, size: (u32, u32)) -> Result<()> {
    register_font();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let err = |message: String| Error::Draw {
        path: path.to_path_buf(),
        message,
    };
    match ext.as_deref() {
        Some("png") => {
            let root = BitMapBackend::new(path, size).into_drawing_area();
            chart.draw_on(&root).map_err(err)?;
            root.present().map_err(|e| err(e.to_string()))
        }
        Some("svg") => {
            let svg = svg_string(chart, size).map_err(err)?;
            std::fs::write(path, svg).map_err(|e| err(e.to_string()))
        }
        _ => Err(Error::Format(path.to_path_buf())),
    }
}

/// Draws `chart` as an SVG document in memory.
fn svg_string(chart: &impl Drawable, size: (u32, u32)) -> Result<String, String> {
    register_font();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        chart.draw_on(&root)?;
        root.present().map_err(|e| e.to_string())?;
    }
    // plotters-svg labels embedded images `data:png`, which browsers refuse: the MIME type is
    // image/png.
    Ok(svg.replace("href=\"data:png;base64,", "href=\"data:image/png;base64,"))
}

fn s<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

/// The colour of series `i` (a colour-blind-friendly palette).
pub fn palette(i: usize) -> RGBColor {
    const P: [(u8, u8, u8); 10] = [
        (0, 114, 178),
        (230, 159, 0),
        (0, 158, 115),
        (204, 121, 167),
        (86, 180, 233),
        (213, 94, 0),
        (240, 228, 66),
        (0, 0, 0),
        (140, 140, 140),
        (140, 86, 75),
    ];
    let (r, g, b) = P[i % P.len()];
    RGBColor(r, g, b)
}

/// Axis range covering `values` with a little margin (never empty).
fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-12 {
        return (lo - 0.5, hi + 0.5);
    }
    let pad = (hi - lo) * 0.05;
    (lo - pad, hi + pad)
}

/// One named line of (x, y) points.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend name.
    pub name: String,
    /// Points, in x order.
    pub points: Vec<(f64, f64)>,
}

/// Lines over a shared x axis (training curves).
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    /// Title above the chart.
    pub title: String,
    /// X axis label.
    pub x_label: String,
    /// Y axis label.
    pub y_label: String,
    /// The lines.
    pub series: Vec<Series>,
}

impl Drawable for LineChart {
    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(s)?;
        let (x0, x1) = range(
            self.series
                .iter()
                .flat_map(|s| s.points.iter().map(|p| p.0)),
        );
        let (y0, y1) = range(
            self.series
                .iter()
                .flat_map(|s| s.points.iter().map(|p| p.1)),
        );
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(s)?;
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(s)?;
        for (i, ser) in self.series.iter().enumerate() {
            let c = palette(i);
            chart
                .draw_series(LineSeries::new(
                    ser.points.iter().copied(),
                    c.stroke_width(2),
                ))
                .map_err(s)?
                .label(&ser.name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2))
                });
            chart
                .draw_series(ser.points.iter().map(|&p| Circle::new(p, 2, c.filled())))
                .map_err(s)?;
        }
        chart
            .configure_series_labels()
            .label_font(("sans-serif", 13))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(s)?;
        Ok(())
    }
}

impl LineChart {
    /// Writes the chart to `path` (`.png` or `.svg`), 800 x 500.
    pub fn save(&self, path: &Path) -> Result<()> {
        if self.series.iter().all(|s| s.points.is_empty()) {
            return Err(Error::Empty(format!(
                "line chart {:?} has no points",
                self.title
            )));
        }
        save_drawable(self, path, (800, 500))
    }
}

/// A matrix of cells coloured by value with a text in each (confusion matrices).
#[derive(Debug, Clone, PartialEq)]
pub struct Heatmap {
    /// Title above the chart.
    pub title: String,
    /// Row axis label (e.g. "true").
    pub y_label: String,
    /// Column axis label (e.g. "predicted").
    pub x_label: String,
    /// One label per row, top to bottom.
    pub rows: Vec<String>,
    /// One label per column, left to right.
    pub columns: Vec<String>,
    /// Colour values in 0..=1, `values[row][column]`.
    pub values: Vec<Vec<f64>>,
    /// Text written in each cell, `text[row][column]` (e.g. counts).
    pub text: Vec<Vec<String>>,
}

impl Drawable for Heatmap {
    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(s)?;
        let (nr, nc) = (self.rows.len(), self.columns.len());
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(60)
            .y_label_area_size(100)
            .build_cartesian_2d(0..nc, 0..nr)
            .map_err(s)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .x_label_formatter(&|_| String::new())
            .y_label_formatter(&|_| String::new())
            .draw()
            .map_err(s)?;
        // Category labels at cell centres (plotters' tick labels sit on cell edges).
        let label = TextStyle::from(("sans-serif", 13)).color(&BLACK);
        for (c, name) in self.columns.iter().enumerate() {
            let (x0, y0) = chart.backend_coord(&(c, 0));
            let (x1, _) = chart.backend_coord(&(c + 1, 0));
            let style = label.pos(Pos::new(HPos::Center, VPos::Top));
            root.draw(&Text::new(name.clone(), ((x0 + x1) / 2, y0 + 6), style))
                .map_err(s)?;
        }
        for (r, name) in self.rows.iter().enumerate() {
            let y = nr - 1 - r;
            let (x0, y0) = chart.backend_coord(&(0, y));
            let (_, y1) = chart.backend_coord(&(0, y + 1));
            let style = label.pos(Pos::new(HPos::Right, VPos::Center));
            root.draw(&Text::new(name.clone(), (x0 - 6, (y0 + y1) / 2), style))
                .map_err(s)?;
        }
        for r in 0..nr {
            for c in 0..nc {
                let v = self
                    .values
                    .get(r)
                    .and_then(|row| row.get(c))
                    .copied()
                    .unwrap_or(0.0)
                    .clamp(0.0, 1.0);
                let y = nr - 1 - r;
                let colour = ViridisRGB::get_color(v);
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(c, y), (c + 1, y + 1)],
                        colour.filled(),
                    )))
                    .map_err(s)?;
                let text = self
                    .text
                    .get(r)
                    .and_then(|row| row.get(c))
                    .cloned()
                    .unwrap_or_default();
                let ink = if v > 0.6 { BLACK } else { WHITE };
                let style = TextStyle::from(("sans-serif", 16))
                    .color(&ink)
                    .pos(Pos::new(HPos::Center, VPos::Center));
                let at = chart.backend_coord(&(c, y + 1));
                let at2 = chart.backend_coord(&(c + 1, y));
                let centre = ((at.0 + at2.0) / 2, (at.1 + at2.1) / 2);
                root.draw(&Text::new(text, centre, style)).map_err(s)?;
            }
        }
        Ok(())
    }
}

impl Heatmap {
    /// Writes the chart to `path` (`.png` or `.svg`), sized to the matrix.
    pub fn save(&self, path: &Path) -> Result<()> {
        if self.rows.is_empty() || self.columns.is_empty() {
            return Err(Error::Empty(format!(
                "heatmap {:?} has no cells",
                self.title
            )));
        }
        let side = (90 * self.columns.len().max(self.rows.len()) as u32 + 180).clamp(400, 1400);
        save_drawable(self, path, (side, side))
    }
}

/// A histogram of values (weight distributions, amplitudes).
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// Title above the chart.
    pub title: String,
    /// X axis label.
    pub x_label: String,
    /// The values.
    pub values: Vec<f64>,
    /// Number of equal-width bins.
    pub bins: usize,
}

impl Histogram {
    /// Bin edges' start, bin width, and counts.
    pub fn counts(&self) -> (f64, f64, Vec<usize>) {
        let (lo, hi) = range(self.values.iter().copied());
        let bins = self.bins.max(1);
        let width = (hi - lo) / bins as f64;
        let mut counts = vec![0usize; bins];
        for v in self.values.iter().filter(|v| v.is_finite()) {
            let b = (((v - lo) / width) as usize).min(bins - 1);
            counts[b] += 1;
        }
        (lo, width, counts)
    }

    /// Writes the chart to `path` (`.png` or `.svg`), 800 x 500.
    pub fn save(&self, path: &Path) -> Result<()> {
        if self.values.iter().all(|v| !v.is_finite()) {
            return Err(Error::Empty(format!(
                "histogram {:?} has no values",
                self.title
            )));
        }
        save_drawable(self, path, (800, 500))
    }
}

impl Drawable for Histogram {
    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(s)?;
        let (lo, width, counts) = self.counts();
        let top = counts.iter().copied().max().unwrap_or(1).max(1) as f64 * 1.05;
        let hi = lo + width * counts.len() as f64;
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(lo..hi, 0.0..top)
            .map_err(s)?;
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc("count")
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(s)?;
        let bars = counts.iter().enumerate().map(|(i, &n)| {
            let x = lo + width * i as f64;
            Rectangle::new(
                [(x, 0.0), (x + width, n as f64)],
                palette(0).mix(0.8).filled(),
            )
        });
        chart.draw_series(bars).map_err(s)?;
        Ok(())
    }
}

/// Bars for named categories, optionally grouped (counts per emotion, per corpus...). Values may
/// be negative (bars then hang below a zero line).
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    /// Title above the chart.
    pub title: String,
    /// Y axis label.
    pub y_label: String,
    /// Category names along the x axis.
    pub categories: Vec<String>,
    /// One group of bars per series: `(name, values per category)`.
    pub groups: Vec<(String, Vec<f64>)>,
    /// Write each bar's value at its end with this many decimals; `None`: no value labels.
    pub value_labels: Option<usize>,
}

impl BarChart {
    /// Size of the image [`save`](Self::save) writes.
    pub const SIZE: (u32, u32) = (900, 500);

    /// A one-series bar chart of `(category, value)` pairs, sorted by value, largest first
    /// (ties by name), with value labels of `decimals` decimals.
    pub fn sorted(
        title: &str,
        y_label: &str,
        pairs: impl IntoIterator<Item = (String, f64)>,
        decimals: usize,
    ) -> Self {
        let mut pairs: Vec<(String, f64)> = pairs.into_iter().collect();
        pairs.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        BarChart {
            title: title.into(),
            y_label: y_label.into(),
            categories: pairs.iter().map(|p| p.0.clone()).collect(),
            groups: vec![(y_label.into(), pairs.iter().map(|p| p.1).collect())],
            value_labels: Some(decimals),
        }
    }

    /// Writes the chart to `path` (`.png` or `.svg`), [`BarChart::SIZE`].
    pub fn save(&self, path: &Path) -> Result<()> {
        if self.categories.is_empty() || self.groups.is_empty() {
            return Err(Error::Empty(format!(
                "bar chart {:?} has no bars",
                self.title
            )));
        }
        save_drawable(self, path, Self::SIZE)
    }
}

/// A row of colour swatches and names, centred at the top of `area` (legends that never cover
/// the data).
fn legend_row<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    items: &[(String, RGBAColor)],
) -> Result<(), String> {
    let style = TextStyle::from(("sans-serif", 14)).color(&BLACK);
    let widths: Vec<u32> = items
        .iter()
        .map(|(n, _)| {
            area.estimate_text_size(n, &style)
                .map_or(8 * n.len() as u32, |s| s.0)
        })
        .collect();
    let total: u32 = widths
        .iter()
        .map(|w| w + 16 + 24)
        .sum::<u32>()
        .saturating_sub(24);
    let (w, h) = area.dim_in_pixel();
    let mut x = (w.saturating_sub(total) / 2) as i32;
    let y = (h / 2) as i32;
    for ((name, c), tw) in items.iter().zip(widths) {
        area.draw(&Rectangle::new([(x, y - 6), (x + 12, y + 6)], c.filled()))
            .map_err(s)?;
        let st = style.pos(Pos::new(HPos::Left, VPos::Center));
        area.draw(&Text::new(name.clone(), (x + 16, y), st))
            .map_err(s)?;
        x += (tw + 16 + 24) as i32;
    }
    Ok(())
}

/// Draws `text` centred at `(x, y)` (backend pixels) on `root`, in the largest size from `size`
/// down to 9 that fits in `max_width` pixels (cut with `…` if even 9 does not).
fn fitted_text<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    (x, y): (i32, i32),
    size: u32,
    max_width: u32,
    pos: Pos,
) -> Result<(), String> {
    let mut text = text.to_string();
    let mut sz = size;
    loop {
        let style = TextStyle::from(("sans-serif", sz)).color(&BLACK).pos(pos);
        let w = root.estimate_text_size(&text, &style).map_or(0, |s| s.0);
        if w <= max_width || (sz <= 9 && text.chars().count() <= 2) {
            return root.draw(&Text::new(text, (x, y), style)).map_err(s);
        }
        if sz > 9 {
            sz -= 1;
        } else {
            let n = text.chars().count();
            text = text.chars().take(n.saturating_sub(2)).collect::<String>() + "…";
        }
    }
}

/// Value range of bars: always includes 0, with room above (and below) for value labels.
fn bar_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if hi - lo < 1e-12 {
        return (0.0, 1.0);
    }
    let pad = (hi - lo) * 0.1;
    // A little room above 0 even when every value is negative, so the top tick label is clear
    // of the title.
    (
        if lo < 0.0 { lo - pad } else { 0.0 },
        if hi > 0.0 { hi + pad } else { pad * 0.2 },
    )
}

/// Decimals for tick labels of an axis over `lo..hi` (about ten ticks): none for counts, one for
/// a range of a few units, more for small ranges.
pub(crate) fn axis_decimals(lo: f64, hi: f64) -> usize {
    let step = ((hi - lo).abs() / 10.0).max(1e-12);
    (-step.log10().floor()).clamp(0.0, 6.0) as usize
}

/// A tick label: `v` with `decimals` decimals, never `-0`.
pub(crate) fn tick(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// Formats a number for a value label or table: `decimals` decimals, `-` for non-finite.
pub fn fmt_value(v: f64, decimals: usize) -> String {
    if v.is_finite() {
        format!("{v:.decimals$}")
    } else {
        "-".into()
    }
}

impl Drawable for BarChart {
    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(s)?;
        let n = self.categories.len();
        let g = self.groups.len().max(1);
        let (lo, hi) = bar_range(self.groups.iter().flat_map(|(_, v)| v.iter().copied()));
        let titled = root.titled(&self.title, ("sans-serif", 22)).map_err(s)?;
        let area = if self.groups.len() > 1 {
            let (legend, rest) = titled.split_vertically(28);
            let items: Vec<(String, RGBAColor)> = self
                .groups
                .iter()
                .enumerate()
                .map(|(i, (name, _))| (name.clone(), palette(i).to_rgba()))
                .collect();
            legend_row(&legend, &items)?;
            rest
        } else {
            titled
        };
        let mut chart = ChartBuilder::on(&area)
            .margin(12)
            .margin_right(20)
            .x_label_area_size(36)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..n as f64, lo..hi)
            .map_err(s)?;
        let dec = axis_decimals(lo, hi);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .y_desc(&self.y_label)
            .x_labels(0)
            .x_label_formatter(&|_| String::new())
            .y_label_formatter(&|v| tick(*v, dec))
            .label_style(("sans-serif", 13))
            .axis_desc_style(("sans-serif", 15))
            .draw()
            .map_err(s)?;
        // Category names at slot centres.
        for (i, name) in self.categories.iter().enumerate() {
            let (x0, y0) = chart.backend_coord(&(i as f64, lo));
            let (x1, _) = chart.backend_coord(&(i as f64 + 1.0, lo));
            let pos = Pos::new(HPos::Center, VPos::Top);
            fitted_text(
                root,
                name,
                ((x0 + x1) / 2, y0 + 8),
                14,
                (x1 - x0 - 4).max(8) as u32,
                pos,
            )?;
        }
        if lo < 0.0 {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(0.0, 0.0), (n as f64, 0.0)],
                    BLACK.stroke_width(1),
                )))
                .map_err(s)?;
        }
        let w = 0.8 / g as f64;
        for (gi, (_, values)) in self.groups.iter().enumerate() {
            let c = palette(gi);
            let bars = values.iter().take(n).enumerate().map(move |(i, &v)| {
                let x = i as f64 + 0.1 + w * gi as f64;
                Rectangle::new([(x, 0.0), (x + w, v)], c.filled())
            });
            chart.draw_series(bars).map_err(s)?;
            if let Some(d) = self.value_labels {
                for (i, &v) in values.iter().take(n).enumerate() {
                    if !v.is_finite() {
                        continue;
                    }
                    let x = i as f64 + 0.1 + w * (gi as f64 + 0.5);
                    let (px, py) = chart.backend_coord(&(x, v));
                    let (slot0, _) = chart.backend_coord(&(i as f64 + 0.1 + w * gi as f64, v));
                    let (slot1, _) =
                        chart.backend_coord(&(i as f64 + 0.1 + w * (gi as f64 + 1.0), v));
                    let (pos, dy) = if v >= 0.0 {
                        (Pos::new(HPos::Center, VPos::Bottom), -3)
                    } else {
                        (Pos::new(HPos::Center, VPos::Top), 3)
                    };
                    let width = ((slot1 - slot0) as u32 + 16).max(20);
                    fitted_text(root, &fmt_value(v, d), (px, py + dy), 13, width, pos)?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_png(path: &Path) {
        let b = std::fs::read(path).unwrap();
        assert_eq!(&b[..8], b"\x89PNG\r\n\x1a\n");
        assert!(b.len() > 2000, "{} bytes", b.len());
    }

    #[test]
    fn every_chart_renders_png_and_svg() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let lines = LineChart {
            title: "Loss".into(),
            x_label: "epoch".into(),
            y_label: "loss".into(),
            series: vec![
                Series {
                    name: "train".into(),
                    points: vec![(1.0, 1.0), (2.0, 0.5)],
                },
                Series {
                    name: "val".into(),
                    points: vec![(1.0, 1.1), (2.0, 0.7)],
                },
            ],
        };
        let heat = Heatmap {
            title: "Confusion".into(),
            y_label: "true".into(),
            x_label: "predicted".into(),
            rows: vec!["a".into(), "b".into()],
            columns: vec!["a".into(), "b".into()],
            values: vec![vec![0.9, 0.1], vec![0.2, 0.8]],
            text: vec![vec!["9".into(), "1".into()], vec!["2".into(), "8".into()]],
        };
        let hist = Histogram {
            title: "Weights".into(),
            x_label: "w".into(),
            values: (0..500).map(|i| (i as f64 * 0.37).sin()).collect(),
            bins: 30,
        };
        let bars = BarChart {
            title: "Clips".into(),
            y_label: "clips".into(),
            categories: vec!["happy".into(), "sad".into()],
            groups: vec![
                ("ravdess".into(), vec![192.0, 192.0]),
                ("tess".into(), vec![400.0, -400.0]),
            ],
            value_labels: Some(0),
        };
        for ext in ["png", "svg"] {
            lines.save(&d.join(format!("l.{ext}"))).unwrap();
            heat.save(&d.join(format!("h.{ext}"))).unwrap();
            hist.save(&d.join(format!("x.{ext}"))).unwrap();
            bars.save(&d.join(format!("b.{ext}"))).unwrap();
        }
        for f in ["l", "h", "x", "b"] {
            assert_png(&d.join(format!("{f}.png")));
            let svg = std::fs::read_to_string(d.join(format!("{f}.svg"))).unwrap();
            assert!(svg.starts_with("<svg"), "{f}");
        }
        let svg = std::fs::read_to_string(d.join("h.svg")).unwrap();
        assert!(svg.contains("\n9\n"), "cell counts are written");
    }

    /// Every character the charts, findings and axis labels draw, with ones people may put in
    /// titles; all must be in the embedded subset (else plotters draws an empty box).
    #[test]
    fn embedded_font_covers_every_glyph_drawn() {
        use ab_glyph::{Font, FontRef};
        let font = FontRef::try_from_slice(FONT).unwrap();
        let text: String = (' '..='~').collect::<String>() + "·±–—×µ°²…−→≤≥";
        let missing: Vec<char> = text
            .chars()
            .filter(|&c| font.glyph_id(c).0 == 0 && c != ' ')
            .collect();
        assert!(missing.is_empty(), "missing glyphs: {missing:?}");
    }

    #[test]
    fn tick_labels_have_the_decimals_the_range_needs() {
        assert_eq!(axis_decimals(0.0, 500.0), 0);
        assert_eq!(axis_decimals(-0.5, 0.5), 1);
        assert_eq!(axis_decimals(-0.43, 0.42), 2);
        assert_eq!(axis_decimals(0.0, 18.0), 0);
        assert_eq!(tick(-0.0001, 2), "0.00");
        assert_eq!(tick(-0.5, 1), "-0.5");
    }

    #[test]
    fn histogram_counts_every_value() {
        let h = Histogram {
            title: String::new(),
            x_label: String::new(),
            values: vec![0.0, 0.1, 0.5, 1.0, 1.0],
            bins: 2,
        };
        let (_, _, counts) = h.counts();
        assert_eq!(counts.iter().sum::<usize>(), 5);
    }

    #[test]
    fn bad_extension_and_empty_charts_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let c = LineChart {
            title: "t".into(),
            x_label: String::new(),
            y_label: String::new(),
            series: vec![],
        };
        assert!(matches!(
            c.save(&dir.path().join("x.png")),
            Err(Error::Empty(_))
        ));
        let c = LineChart {
            series: vec![Series {
                name: "a".into(),
                points: vec![(0.0, 1.0)],
            }],
            ..c
        };
        assert!(matches!(
            c.save(&dir.path().join("x.jpg")),
            Err(Error::Format(_))
        ));
    }
}
