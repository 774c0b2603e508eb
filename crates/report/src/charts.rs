//! Pie charts, box plots and pre-binned histograms (the analysis report's distributions).

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::{
    axis_decimals, fitted_text, fmt_value, legend_row, palette, range, s, save_drawable, tick,
    Drawable, Error, Result,
};

/// Shares of a whole, one slice per category, with a legend of counts and percentages.
#[derive(Debug, Clone, PartialEq)]
pub struct PieChart {
    /// Title above the chart.
    pub title: String,
    /// `(name, value)` per slice, drawn clockwise from 12 o'clock in this order.
    pub slices: Vec<(String, f64)>,
    /// Colour of each slice; slices without one take [`palette`] colours in order.
    pub colours: Vec<RGBColor>,
}

impl PieChart {
    /// Size of the image [`save`](Self::save) writes.
    pub const SIZE: (u32, u32) = (820, 500);

    /// Writes the chart to `path` (`.png` or `.svg`), [`PieChart::SIZE`].
    pub fn save(&self, path: &Path) -> Result<()> {
        let total: f64 = self.slices.iter().map(|s| s.1.max(0.0)).sum();
        if !(total > 0.0) {
            return Err(Error::Empty(format!(
                "pie chart {:?} has no slices",
                self.title
            )));
        }
        save_drawable(self, path, Self::SIZE)
    }
}

/// Black or white, whichever reads better on `c`.
fn ink_on(c: RGBColor) -> RGBColor {
    let l = 0.299 * c.0 as f64 + 0.587 * c.1 as f64 + 0.114 * c.2 as f64;
    if l > 140.0 {
        BLACK
    } else {
        WHITE
    }
}

impl Drawable for PieChart {
    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(s)?;
        let area = root.titled(&self.title, ("sans-serif", 22)).map_err(s)?;
        let (w, h) = area.dim_in_pixel();
        let (ox, oy) = area.get_base_pixel();
        let total: f64 = self.slices.iter().map(|s| s.1.max(0.0)).sum();
        let r = ((h as f64 - 30.0) / 2.0).min(w as f64 * 0.3).max(10.0);
        let (cx, cy) = (ox as f64 + 24.0 + r, oy as f64 + h as f64 / 2.0);
        let mut a0 = 0.0f64;
        for (i, (_, v)) in self.slices.iter().enumerate() {
            let frac = v.max(0.0) / total;
            if frac <= 0.0 {
                continue;
            }
            let a1 = a0 + frac * std::f64::consts::TAU;
            // Angle 0 at 12 o'clock, clockwise.
            let at = |a: f64, rr: f64| ((cx + rr * a.sin()) as i32, (cy - rr * a.cos()) as i32);
            let steps = ((a1 - a0) / 0.02).ceil().max(2.0) as usize;
            let mut pts = vec![(cx as i32, cy as i32)];
            pts.extend((0..=steps).map(|k| at(a0 + (a1 - a0) * k as f64 / steps as f64, r)));
            let c = self.colours.get(i).copied().unwrap_or_else(|| palette(i));
            root.draw(&Polygon::new(pts.clone(), c.filled()))
                .map_err(s)?;
            root.draw(&PathElement::new(pts, WHITE.stroke_width(2)))
                .map_err(s)?;
            if frac >= 0.04 {
                let ink = ink_on(c);
                let style = TextStyle::from(("sans-serif", 15))
                    .color(&ink)
                    .pos(Pos::new(HPos::Center, VPos::Center));
                let label = format!("{:.1}%", frac * 100.0);
                root.draw(&Text::new(label, at((a0 + a1) / 2.0, r * 0.68), style))
                    .map_err(s)?;
            }
            a0 = a1;
        }
        // Legend: swatch, name, count and share.
        let lx = (cx + r + 40.0) as i32;
        let n = self.slices.len().max(1) as i32;
        let step = ((h as i32 - 20) / n).clamp(14, 30);
        let mut y = cy as i32 - step * (n - 1) / 2;
        let max_w = (ox as i32 + w as i32 - lx - 24).max(40) as u32;
        for (i, (name, v)) in self.slices.iter().enumerate() {
            let c = self.colours.get(i).copied().unwrap_or_else(|| palette(i));
            root.draw(&Rectangle::new([(lx, y - 7), (lx + 14, y + 7)], c.filled()))
                .map_err(s)?;
            let pct = 100.0 * v.max(0.0) / total;
            let text = format!("{name}: {} ({pct:.1}%)", fmt_value(*v, 0));
            let pos = Pos::new(HPos::Left, VPos::Center);
            fitted_text(root, &text, (lx + 22, y), 15, max_w, pos)?;
            y += step;
        }
        Ok(())
    }
}

/// Box-and-whisker plots of values per category: box from the first to the third quartile,
/// median line, mean diamond, whiskers to the furthest point within 1.5 IQR, points beyond.
#[derive(Debug, Clone, PartialEq)]
pub struct BoxPlot {
    /// Title above the chart.
    pub title: String,
    /// Y axis label.
    pub y_label: String,
    /// Category names along the x axis.
    pub categories: Vec<String>,
    /// The values of each category.
    pub values: Vec<Vec<f64>>,
}

/// The five numbers a box plot draws, plus the mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoxStats {
    /// Lowest value within 1.5 IQR below the first quartile.
    pub whisker_lo: f64,
    /// First quartile.
    pub q1: f64,
    /// Median.
    pub median: f64,
    /// Third quartile.
    pub q3: f64,
    /// Highest value within 1.5 IQR above the third quartile.
    pub whisker_hi: f64,
    /// Mean.
    pub mean: f64,
}

/// The `q`-quantile of sorted values, interpolated linearly (numpy's default).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (i, f) = (pos.floor() as usize, pos.fract());
    let next = sorted.get(i + 1).copied().unwrap_or(sorted[i]);
    sorted[i] + (next - sorted[i]) * f
}

impl BoxStats {
    /// The statistics of the finite values in `values`; `None` if there are none.
    pub fn of(values: &[f64]) -> Option<BoxStats> {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let (q1, median, q3) = (quantile(&v, 0.25), quantile(&v, 0.5), quantile(&v, 0.75));
        let iqr = q3 - q1;
        let (lo_fence, hi_fence) = (q1 - 1.5 * iqr, q3 + 1.5 * iqr);
        let whisker_lo = v.iter().copied().find(|&x| x >= lo_fence).unwrap_or(q1);
        let whisker_hi = v
            .iter()
            .rev()
            .copied()
            .find(|&x| x <= hi_fence)
            .unwrap_or(q3);
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        Some(BoxStats {
            whisker_lo,
            q1,
            median,
            q3,
            whisker_hi,
            mean,
        })
    }
}

impl BoxPlot {
    /// Size of the image [`save`](Self::save) writes.
    pub const SIZE: (u32, u32) = (900, 500);

    /// Writes the chart to `path` (`.png` or `.svg`), [`BoxPlot::SIZE`].
    pub fn save(&self, path: &Path) -> Result<()> {
        if self.values.iter().all(|v| v.iter().all(|x| !x.is_finite())) {
            return Err(Error::Empty(format!(
                "box plot {:?} has no values",
                self.title
            )));
        }
        save_drawable(self, path, Self::SIZE)
    }
}

impl Drawable for BoxPlot {
    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(s)?;
        let n = self.categories.len().max(1);
        let (lo, hi) = range(self.values.iter().flatten().copied());
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(50)
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
        for (i, name) in self.categories.iter().enumerate() {
            let (x0, y0) = chart.backend_coord(&(i as f64, lo));
            let (x1, _) = chart.backend_coord(&(i as f64 + 1.0, lo));
            let slot = (x1 - x0 - 4).max(8) as u32;
            let top = Pos::new(HPos::Center, VPos::Top);
            fitted_text(root, name, ((x0 + x1) / 2, y0 + 8), 14, slot, top)?;
            let count = self.values.get(i).map_or(0, |v| v.len());
            fitted_text(
                root,
                &format!("n={count}"),
                ((x0 + x1) / 2, y0 + 27),
                11,
                slot,
                top,
            )?;
        }
        let c = palette(0);
        for (i, values) in self.values.iter().enumerate().take(n) {
            let Some(b) = BoxStats::of(values) else {
                continue;
            };
            let x = i as f64;
            let (l, r, m) = (x + 0.25, x + 0.75, x + 0.5);
            let line = BLACK.stroke_width(1);
            let elems: Vec<DynElement<'static, DB, (f64, f64)>> = vec![
                PathElement::new(vec![(m, b.whisker_lo), (m, b.q1)], line).into_dyn(),
                PathElement::new(vec![(m, b.q3), (m, b.whisker_hi)], line).into_dyn(),
                PathElement::new(
                    vec![(x + 0.38, b.whisker_lo), (x + 0.62, b.whisker_lo)],
                    line,
                )
                .into_dyn(),
                PathElement::new(
                    vec![(x + 0.38, b.whisker_hi), (x + 0.62, b.whisker_hi)],
                    line,
                )
                .into_dyn(),
                Rectangle::new([(l, b.q1), (r, b.q3)], c.mix(0.35).filled()).into_dyn(),
                Rectangle::new([(l, b.q1), (r, b.q3)], c.stroke_width(1)).into_dyn(),
                PathElement::new(vec![(l, b.median), (r, b.median)], c.stroke_width(3)).into_dyn(),
            ];
            chart.draw_series(elems).map_err(s)?;
            let outliers = values
                .iter()
                .copied()
                .filter(|&v| v.is_finite() && (v < b.whisker_lo || v > b.whisker_hi))
                .map(|v| Circle::new((m, v), 2, BLACK.mix(0.5).stroke_width(1)));
            chart.draw_series(outliers).map_err(s)?;
            let (px, py) = chart.backend_coord(&(m, b.mean));
            let d = 5;
            root.draw(&Polygon::new(
                vec![(px, py - d), (px + d, py), (px, py + d), (px - d, py)],
                RGBColor(213, 94, 0).filled(),
            ))
            .map_err(s)?;
        }
        Ok(())
    }
}

/// A histogram counted elsewhere: equal-width bins from `start`, one or more series of counts
/// drawn as translucent overlapping steps (for data too large to keep every value).
#[derive(Debug, Clone, PartialEq)]
pub struct BinnedHistogram {
    /// Title above the chart.
    pub title: String,
    /// X axis label.
    pub x_label: String,
    /// Y axis label.
    pub y_label: String,
    /// Left edge of the first bin.
    pub start: f64,
    /// Bin width.
    pub width: f64,
    /// `(name, height per bin)` per series.
    pub series: Vec<(String, Vec<f64>)>,
}

impl BinnedHistogram {
    /// Size of the image [`save`](Self::save) writes.
    pub const SIZE: (u32, u32) = (900, 500);

    /// Writes the chart to `path` (`.png` or `.svg`), [`BinnedHistogram::SIZE`].
    pub fn save(&self, path: &Path) -> Result<()> {
        if !(self.width > 0.0)
            || self
                .series
                .iter()
                .all(|(_, v)| v.iter().all(|&x| !(x > 0.0)))
        {
            return Err(Error::Empty(format!(
                "histogram {:?} has no counts",
                self.title
            )));
        }
        save_drawable(self, path, Self::SIZE)
    }

    /// The bins that hold anything, over all series: `(first, last)` indices.
    fn occupied(&self) -> (usize, usize) {
        let mut first = usize::MAX;
        let mut last = 0;
        for (_, v) in &self.series {
            for (i, &x) in v.iter().enumerate() {
                if x > 0.0 {
                    first = first.min(i);
                    last = last.max(i);
                }
            }
        }
        (first.min(last), last)
    }
}

impl Drawable for BinnedHistogram {
    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(s)?;
        let (first, last) = self.occupied();
        let x0 = self.start + self.width * first as f64;
        let x1 = self.start + self.width * (last + 1) as f64;
        let top = self
            .series
            .iter()
            .flat_map(|(_, v)| v.iter().copied())
            .fold(0.0f64, f64::max)
            .max(1e-12)
            * 1.08;
        let titled = root.titled(&self.title, ("sans-serif", 22)).map_err(s)?;
        let area = if self.series.len() > 1 {
            let (legend, rest) = titled.split_vertically(28);
            let items: Vec<(String, RGBAColor)> = self
                .series
                .iter()
                .enumerate()
                .map(|(i, (name, _))| (name.clone(), palette(i).mix(0.6)))
                .collect();
            legend_row(&legend, &items)?;
            rest
        } else {
            titled
        };
        let mut chart = ChartBuilder::on(&area)
            .margin(12)
            .margin_right(30)
            .x_label_area_size(44)
            .y_label_area_size(70)
            .build_cartesian_2d(x0..x1, 0.0..top)
            .map_err(s)?;
        let (xd, yd) = (axis_decimals(x0, x1), axis_decimals(0.0, top));
        chart
            .configure_mesh()
            .x_label_formatter(&|v| tick(*v, xd))
            .y_label_formatter(&|v| tick(*v, yd))
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .label_style(("sans-serif", 13))
            .axis_desc_style(("sans-serif", 15))
            .draw()
            .map_err(s)?;
        for (gi, (_, counts)) in self.series.iter().enumerate() {
            let c = palette(gi);
            let bars = counts
                .iter()
                .enumerate()
                .filter(|(_, &v)| v > 0.0)
                .map(|(i, &v)| {
                    let x = self.start + self.width * i as f64;
                    Rectangle::new([(x, 0.0), (x + self.width, v)], c.mix(0.45).filled())
                });
            chart.draw_series(bars).map_err(s)?;
            let mut outline = Vec::with_capacity(counts.len() * 2);
            for (i, &v) in counts.iter().enumerate().take(last + 1).skip(first) {
                let x = self.start + self.width * i as f64;
                outline.push((x, v));
                outline.push((x + self.width, v));
            }
            chart
                .draw_series(std::iter::once(PathElement::new(
                    outline,
                    c.stroke_width(2),
                )))
                .map_err(s)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_match_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&v, 0.5), 2.5);
        assert_eq!(quantile(&v, 0.25), 1.75);
        let b = BoxStats::of(&[1.0, 2.0, 3.0, 4.0, 100.0]).unwrap();
        assert_eq!(b.median, 3.0);
        assert_eq!(b.whisker_hi, 4.0, "100 is an outlier");
        assert_eq!(b.mean, 22.0);
        assert!(BoxStats::of(&[f64::NAN]).is_none());
    }

    #[test]
    fn new_charts_render_and_refuse_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let pie = PieChart {
            title: "Emotions".into(),
            slices: vec![
                ("happy".into(), 3.0),
                ("sad".into(), 1.0),
                ("calm".into(), 0.1),
            ],
            colours: vec![],
        };
        let bx = BoxPlot {
            title: "Duration".into(),
            y_label: "seconds".into(),
            categories: vec!["a".into(), "b".into()],
            values: vec![vec![1.0, 2.0, 3.0, 9.0], vec![2.0, 2.5]],
        };
        let hist = BinnedHistogram {
            title: "Mel".into(),
            x_label: "dB".into(),
            y_label: "%".into(),
            start: -10.0,
            width: 1.0,
            series: vec![
                ("x".into(), vec![0.0, 1.0, 3.0, 2.0]),
                ("y".into(), vec![2.0, 1.0]),
            ],
        };
        for ext in ["png", "svg"] {
            pie.save(&d.join(format!("p.{ext}"))).unwrap();
            bx.save(&d.join(format!("b.{ext}"))).unwrap();
            hist.save(&d.join(format!("h.{ext}"))).unwrap();
        }
        let svg = std::fs::read_to_string(d.join("p.svg")).unwrap();
        assert!(svg.contains("73.2%"), "slice shares are written");
        let empty = PieChart {
            title: "none".into(),
            slices: vec![("a".into(), 0.0)],
            colours: vec![],
        };
        assert!(matches!(empty.save(&d.join("e.png")), Err(Error::Empty(_))));
    }
}
