//! The emotion timeline chart: class probabilities and labelled segments over time, above the
//! waveform with the detected speech shaded.

use super::*;

/// Emotion over time in one recording.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineChart {
    /// Title above the chart.
    pub title: String,
    /// Length of the recording, seconds.
    pub duration: f64,
    /// Class names (colour `i` of the palette is class `i`).
    pub classes: Vec<String>,
    /// The waveform as `(seconds, min, max)` columns (see [`envelope`]).
    pub envelope: Vec<(f64, f32, f32)>,
    /// Speech regions, `(start, end)` seconds.
    pub speech: Vec<(f64, f64)>,
    /// Window centres (seconds) with their class probabilities.
    pub windows: Vec<(f64, Vec<f32>)>,
    /// Labelled segments: `(start, end, class index, confidence)`.
    pub segments: Vec<(f64, f64, usize, f32)>,
}

/// The min/max envelope of `samples` (at `rate`) in `columns` columns: what a waveform plot
/// draws, at a size independent of the recording's length.
pub fn envelope(samples: &[f32], rate: u32, columns: usize) -> Vec<(f64, f32, f32)> {
    if samples.is_empty() || columns == 0 || rate == 0 {
        return Vec::new();
    }
    let per = samples.len().div_ceil(columns).max(1);
    samples
        .chunks(per)
        .enumerate()
        .map(|(i, c)| {
            let (lo, hi) = c
                .iter()
                .fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), &v| {
                    (l.min(v), h.max(v))
                });
            ((i * per) as f64 / rate as f64, lo, hi)
        })
        .collect()
}

/// The min/max envelope of a stream of any length, built piece by piece in bounded memory: each
/// column covers `block` samples, and when there are `2 * columns` columns, neighbours merge
/// pairwise and `block` doubles. So it ends with between `columns` and `2 * columns` columns
/// (fewer for a stream shorter than that many samples), whatever the length.
///
/// ```
/// use emovox_report::Envelope;
///
/// let mut e = Envelope::new(100);
/// for _ in 0..50 {
///     e.push(&[0.5, -0.25, 0.0, 0.1]);
/// }
/// let cols = e.columns(16_000);
/// assert!(cols.len() >= 100 && cols.len() <= 200);
/// assert!(cols.iter().all(|&(_, lo, hi)| lo >= -0.25 && hi <= 0.5));
/// ```
#[derive(Debug, Clone)]
pub struct Envelope {
    columns: usize,
    block: usize,
    done: Vec<(f32, f32)>,
    cur: (f32, f32),
    in_cur: usize,
}

impl Envelope {
    /// An empty envelope that keeps at least `columns` columns (at least 1) once it has that
    /// many samples.
    pub fn new(columns: usize) -> Self {
        Envelope {
            columns: columns.max(1),
            block: 1,
            done: Vec::new(),
            cur: (f32::INFINITY, f32::NEG_INFINITY),
            in_cur: 0,
        }
    }

    /// Adds the next samples.
    pub fn push(&mut self, samples: &[f32]) {
        let mut rest = samples;
        while !rest.is_empty() {
            let take = (self.block - self.in_cur).min(rest.len());
            let (lo, hi) = rest[..take]
                .iter()
                .fold(self.cur, |(l, h), &v| (l.min(v), h.max(v)));
            self.cur = (lo, hi);
            self.in_cur += take;
            rest = &rest[take..];
            if self.in_cur == self.block {
                self.done.push(self.cur);
                self.cur = (f32::INFINITY, f32::NEG_INFINITY);
                self.in_cur = 0;
                if self.done.len() == 2 * self.columns {
                    self.done = self
                        .done
                        .chunks(2)
                        .map(|p| (p[0].0.min(p[1].0), p[0].1.max(p[1].1)))
                        .collect();
                    self.block *= 2;
                }
            }
        }
    }

    /// The columns as `(start seconds, min, max)` for samples at `rate`, the last partial
    /// column included: what [`TimelineChart::envelope`] holds.
    pub fn columns(&self, rate: u32) -> Vec<(f64, f32, f32)> {
        let rate = rate.max(1) as f64;
        let partial = (self.in_cur > 0).then_some(self.cur);
        self.done
            .iter()
            .chain(partial.iter())
            .enumerate()
            .map(|(i, &(lo, hi))| ((i * self.block) as f64 / rate, lo, hi))
            .collect()
    }
}

impl TimelineChart {
    /// Writes the chart to `path` (`.png` or `.svg`), 1200 x 600.
    pub fn save(&self, path: &Path) -> Result<()> {
        if self.envelope.is_empty() || !(self.duration > 0.0) {
            return Err(Error::Empty(format!(
                "timeline {:?} has no audio",
                self.title
            )));
        }
        save_drawable(self, path, (1200, 600))
    }
}

impl Drawable for TimelineChart {
    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(s)?;
        let root = root.titled(&self.title, ("sans-serif", 22)).map_err(s)?;
        let (_, h) = root.dim_in_pixel();
        let (top, bottom) = root.split_vertically(h * 62 / 100);
        let t1 = self.duration;

        // Top: probabilities per class, with each segment's label as a coloured band.
        let mut chart = ChartBuilder::on(&top)
            .margin(10)
            .margin_right(150)
            .x_label_area_size(28)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..t1, 0.0..1.15)
            .map_err(s)?;
        chart
            .configure_mesh()
            .y_desc("probability")
            .y_labels(6)
            .y_label_formatter(&|v| {
                if *v <= 1.0 {
                    format!("{v:.1}")
                } else {
                    String::new()
                }
            })
            .label_style(("sans-serif", 13))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(s)?;
        for &(a, b, c, conf) in &self.segments {
            let col = palette(c);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(a, 0.0), (b, 1.0)],
                    col.mix(0.12).filled(),
                )))
                .map_err(s)?;
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(a, 1.03), (b, 1.13)],
                    col.mix(0.35 + 0.65 * conf.clamp(0.0, 1.0) as f64).filled(),
                )))
                .map_err(s)?;
        }
        // One line per class and speech region: no line bridges a silence.
        let region = |t: f64| self.speech.iter().position(|&(a, b)| t >= a && t <= b);
        for ci in 0..self.classes.len() {
            let col = palette(ci);
            let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
            let mut last = None;
            for (t, p) in &self.windows {
                let Some(&v) = p.get(ci) else { continue };
                let r = region(*t);
                if runs.is_empty() || r != last {
                    runs.push(Vec::new());
                }
                last = r;
                if let Some(run) = runs.last_mut() {
                    run.push((*t, v as f64));
                }
            }
            for run in &runs {
                chart
                    .draw_series(LineSeries::new(run.iter().copied(), col.stroke_width(2)))
                    .map_err(s)?;
                chart
                    .draw_series(run.iter().map(|&p| Circle::new(p, 3, col.filled())))
                    .map_err(s)?;
            }
        }
        // The legend, in the right margin.
        let (w, _) = top.dim_in_pixel();
        let x = w as i32 - 135;
        for (ci, name) in self.classes.iter().enumerate() {
            let y = 40 + 24 * ci as i32;
            top.draw(&Rectangle::new(
                [(x, y - 7), (x + 16, y + 7)],
                palette(ci).filled(),
            ))
            .map_err(s)?;
            top.draw(&Text::new(
                name.clone(),
                (x + 24, y),
                TextStyle::from(("sans-serif", 15))
                    .color(&BLACK)
                    .pos(Pos::new(HPos::Left, VPos::Center)),
            ))
            .map_err(s)?;
        }

        // Bottom: the waveform, speech shaded.
        let peak = self
            .envelope
            .iter()
            .fold(0.0f32, |m, &(_, lo, hi)| m.max(lo.abs()).max(hi.abs()))
            .max(1e-3) as f64;
        let mut wave = ChartBuilder::on(&bottom)
            .margin(10)
            .margin_right(150)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..t1, -peak * 1.05..peak * 1.05)
            .map_err(s)?;
        wave.configure_mesh()
            .x_desc("time (s)")
            .y_desc("amplitude")
            .y_labels(5)
            .y_label_formatter(&|v| format!("{:.2}", if v.abs() < 5e-3 { 0.0 } else { *v }))
            .label_style(("sans-serif", 13))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(s)?;
        wave.draw_series(self.speech.iter().map(|&(a, b)| {
            Rectangle::new(
                [(a, -peak * 1.05), (b, peak * 1.05)],
                RGBColor(235, 235, 235).filled(),
            )
        }))
        .map_err(s)?;
        let col = RGBColor(60, 60, 60);
        wave.draw_series(self.envelope.iter().map(|&(t, lo, hi)| {
            PathElement::new(vec![(t, lo as f64), (t, hi as f64)], col.stroke_width(1))
        }))
        .map_err(s)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_keeps_extremes_per_column() {
        let y = [0.0, 0.5, -0.25, 0.1, -1.0, 0.2];
        let e = envelope(&y, 2, 3);
        assert_eq!(
            e,
            vec![(0.0, 0.0, 0.5), (1.0, -0.25, 0.1), (2.0, -1.0, 0.2)]
        );
        assert!(envelope(&[], 16_000, 10).is_empty());
    }

    #[test]
    fn timeline_chart_renders() {
        let dir = tempfile::tempdir().unwrap();
        let y: Vec<f32> = (0..16_000 * 4)
            .map(|i| ((i as f32) * 0.01).sin() * 0.3)
            .collect();
        let chart = TimelineChart {
            title: "timeline".into(),
            duration: 4.0,
            classes: vec!["neutral".into(), "happy".into()],
            envelope: envelope(&y, 16_000, 600),
            speech: vec![(0.5, 3.5)],
            windows: vec![
                (1.0, vec![0.8, 0.2]),
                (2.0, vec![0.4, 0.6]),
                (3.0, vec![0.3, 0.7]),
            ],
            segments: vec![(0.5, 1.5, 0, 0.8), (1.5, 3.5, 1, 0.65)],
        };
        for ext in ["png", "svg"] {
            let p = dir.path().join(format!("t.{ext}"));
            chart.save(&p).unwrap();
            assert!(std::fs::metadata(&p).unwrap().len() > 1000);
        }
        let empty = TimelineChart {
            envelope: Vec::new(),
            ..chart
        };
        assert!(matches!(
            empty.save(&dir.path().join("e.png")),
            Err(Error::Empty(_))
        ));
    }

    #[test]
    fn a_streamed_envelope_matches_the_whole_one_and_stays_bounded() {
        let y: Vec<f32> = (0..10_000)
            .map(|i| ((i * 37) % 101) as f32 / 100.0 - 0.5)
            .collect();
        let mut e = Envelope::new(8);
        for part in y.chunks(7) {
            e.push(part);
        }
        let cols = e.columns(100);
        assert!(cols.len() >= 8 && cols.len() <= 16, "{}", cols.len());
        // Same extremes as the whole signal, columns in time order from 0.
        let lo = cols.iter().map(|c| c.1).fold(f32::INFINITY, f32::min);
        let hi = cols.iter().map(|c| c.2).fold(f32::NEG_INFINITY, f32::max);
        assert_eq!((lo, hi), (-0.5, 0.5));
        assert_eq!(cols[0].0, 0.0);
        assert!(cols.windows(2).all(|w| w[1].0 > w[0].0));
        // Column k of a block of 1024 samples covers samples 1024k..1024(k+1).
        let block = (cols[1].0 * 100.0).round() as usize;
        for (k, c) in cols.iter().enumerate() {
            let part = &y[k * block..((k + 1) * block).min(y.len())];
            let (l, h) = part
                .iter()
                .fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), &v| {
                    (l.min(v), h.max(v))
                });
            assert_eq!((c.1, c.2), (l, h), "column {k}");
        }
    }
}
