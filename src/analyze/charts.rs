//! Which charts a report draws: per corpus (emotion counts, amplitude and mel-level
//! distributions by emotion, intensity) and across corpora, each drawn by `emovox_report`.

use super::*;
use emovox_report::Result;

/// The colour of an emotion, the same in every corpus's chart: its place in the shared
/// vocabulary picks a [`emovox_report::palette`] colour.
pub fn emotion_colour(emotion: &str) -> emovox_report::RGBColor {
    let i = VOCABULARY
        .iter()
        .position(|e| *e == emotion)
        .unwrap_or(VOCABULARY.len());
    emovox_report::palette(i)
}

/// Emotions in the shared vocabulary's order, then others by name.
pub(super) fn emotion_order<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let set: BTreeSet<&str> = names.collect();
    let mut v: Vec<&str> = VOCABULARY
        .iter()
        .copied()
        .filter(|e| set.contains(e))
        .collect();
    v.extend(set.iter().copied().filter(|e| !VOCABULARY.contains(e)));
    v.into_iter().map(String::from).collect()
}

pub(super) fn mean(v: impl Iterator<Item = f64>) -> f64 {
    let (mut n, mut s) = (0usize, 0.0);
    for x in v.filter(|x| x.is_finite()) {
        n += 1;
        s += x;
    }
    if n == 0 {
        f64::NAN
    } else {
        s / n as f64
    }
}

/// The rows of one corpus grouped by (canonical) emotion, in emotion order.
pub(super) struct CorpusView<'a> {
    pub(super) corpus: Corpus,
    pub(super) rows: Vec<&'a AnalysisRow>,
    pub(super) emotions: Vec<String>,
    pub(super) by_emotion: Vec<Vec<&'a AnalysisRow>>,
}

impl<'a> CorpusView<'a> {
    pub(super) fn new(corpus: Corpus, rows: Vec<&'a AnalysisRow>) -> Self {
        let emos: Vec<String> = rows.iter().map(|r| r.clip.canonical_emotion()).collect();
        let emotions = emotion_order(emos.iter().map(String::as_str));
        let by_emotion = emotions
            .iter()
            .map(|e| {
                rows.iter()
                    .zip(&emos)
                    .filter(|(_, x)| *x == e)
                    .map(|(r, _)| *r)
                    .collect()
            })
            .collect();
        CorpusView {
            corpus,
            rows,
            emotions,
            by_emotion,
        }
    }

    pub(super) fn per_emotion(&self, f: impl Fn(&Measures) -> f64) -> Vec<f64> {
        self.by_emotion
            .iter()
            .map(|rs| mean(rs.iter().map(|r| f(&r.measures))))
            .collect()
    }

    /// `(emotion, value)` of the largest and smallest value.
    pub(super) fn extremes(&self, values: &[f64]) -> Option<((String, f64), (String, f64))> {
        let pairs: Vec<(String, f64)> = self
            .emotions
            .iter()
            .cloned()
            .zip(values.iter().copied())
            .filter(|p| p.1.is_finite())
            .collect();
        let hi = pairs.iter().max_by(|a, b| a.1.total_cmp(&b.1))?.clone();
        let lo = pairs.iter().min_by(|a, b| a.1.total_cmp(&b.1))?.clone();
        Some((hi, lo))
    }
}

/// Charts to draw: each knows how to save itself.
pub(super) enum Chart {
    Pie(PieChart),
    Bar(BarChart),
    Box(BoxPlot),
    Hist(BinnedHistogram),
}

impl Chart {
    pub(super) fn title(&self) -> &str {
        match self {
            Chart::Pie(c) => &c.title,
            Chart::Bar(c) => &c.title,
            Chart::Box(c) => &c.title,
            Chart::Hist(c) => &c.title,
        }
    }

    pub(super) fn size(&self) -> (u32, u32) {
        match self {
            Chart::Pie(_) => PieChart::SIZE,
            Chart::Bar(_) => BarChart::SIZE,
            Chart::Box(_) => BoxPlot::SIZE,
            Chart::Hist(_) => BinnedHistogram::SIZE,
        }
    }

    pub(super) fn save(&self, path: &Path) -> Result<()> {
        match self {
            Chart::Pie(c) => c.save(path),
            Chart::Bar(c) => c.save(path),
            Chart::Box(c) => c.save(path),
            Chart::Hist(c) => c.save(path),
        }
    }
}

/// The display name of a corpus: `RAVDESS`, `TESS`, `CREMA-D`...
pub fn display_name(c: Corpus) -> String {
    match c {
        Corpus::EmoDb => "EmoDB".into(),
        Corpus::Turev => "TurEV-DB".into(),
        Corpus::Folder => "folder".into(),
        c => c.name().to_ascii_uppercase(),
    }
}

pub(super) fn corpus_charts(v: &CorpusView) -> Vec<(String, Chart)> {
    let c = v.corpus.name().replace('-', "_");
    let name = display_name(v.corpus);
    let counts: Vec<f64> = v.by_emotion.iter().map(|r| r.len() as f64).collect();
    let mut out = Vec::new();
    out.push((
        format!("emotions_pie_{c}"),
        Chart::Pie(PieChart {
            title: format!("{name}: emotion distribution ({} clips)", v.rows.len()),
            slices: v
                .emotions
                .iter()
                .cloned()
                .zip(counts.iter().copied())
                .collect(),
            colours: v.emotions.iter().map(|e| emotion_colour(e)).collect(),
        }),
    ));
    out.push((
        format!("emotions_bar_{c}"),
        Chart::Bar(BarChart::sorted(
            &format!("{name}: clips per emotion"),
            "clips",
            v.emotions.iter().cloned().zip(counts.iter().copied()),
            0,
        )),
    ));
    out.push((
        format!("amplitude_{c}"),
        Chart::Bar(BarChart {
            title: format!("{name}: average maximum and minimum amplitude by emotion"),
            y_label: "amplitude (full scale = 1)".into(),
            categories: v.emotions.clone(),
            groups: vec![
                (
                    "mean of max amplitude".into(),
                    v.per_emotion(|m| m.max_amplitude),
                ),
                (
                    "mean of min amplitude".into(),
                    v.per_emotion(|m| m.min_amplitude),
                ),
            ],
            value_labels: Some(2),
        }),
    ));
    out.push((
        format!("duration_{c}"),
        Chart::Box(BoxPlot {
            title: format!("{name}: clip duration by emotion"),
            y_label: "duration (s)".into(),
            categories: v.emotions.clone(),
            values: v
                .by_emotion
                .iter()
                .map(|rs| rs.iter().map(|r| r.measures.duration_s).collect())
                .collect(),
        }),
    ));
    out.push((
        format!("rms_{c}"),
        Chart::Bar(BarChart {
            title: format!("{name}: average RMS by emotion"),
            y_label: "RMS (full scale = 1)".into(),
            categories: v.emotions.clone(),
            groups: vec![("mean RMS".into(), v.per_emotion(|m| m.rms))],
            value_labels: Some(3),
        }),
    ));
    let stats: [(&str, fn(&Measures) -> f64); 4] = [
        ("mean", |m| m.mel_db_mean),
        ("std", |m| m.mel_db_std),
        ("min", |m| m.mel_db_min),
        ("max", |m| m.mel_db_max),
    ];
    for (stat, f) in stats {
        out.push((
            format!("mel_{stat}_{c}"),
            Chart::Bar(BarChart {
                title: format!("{name}: mel spectrogram {stat} by emotion (average over clips)"),
                y_label: format!("mel {stat} (dB)"),
                categories: v.emotions.clone(),
                groups: vec![(format!("mel {stat}"), v.per_emotion(f))],
                value_labels: Some(1),
            }),
        ));
    }
    if v.corpus == Corpus::Ravdess {
        let levels = ["normal", "strong"];
        let groups = levels
            .iter()
            .map(|l| {
                let n = v
                    .by_emotion
                    .iter()
                    .map(|rs| {
                        rs.iter()
                            .filter(|r| {
                                r.clip.extra.get("intensity").map(String::as_str) == Some(l)
                            })
                            .count() as f64
                    })
                    .collect();
                (format!("{l} intensity"), n)
            })
            .collect();
        out.push((
            "intensity_ravdess".into(),
            Chart::Bar(BarChart {
                title: "RAVDESS: emotional intensity by emotion".into(),
                y_label: "clips".into(),
                categories: v.emotions.clone(),
                groups,
                value_labels: Some(0),
            }),
        ));
    }
    out
}

/// Counts per label under the scheme: labels sorted by total count, then per corpus.
pub(super) fn scheme_counts(views: &[CorpusView]) -> (Vec<String>, Vec<(String, Vec<f64>)>) {
    let mut totals: BTreeMap<String, usize> = BTreeMap::new();
    for v in views {
        for r in &v.rows {
            if let Some(l) = &r.label {
                *totals.entry(l.clone()).or_default() += 1;
            }
        }
    }
    let mut labels: Vec<(String, usize)> = totals.into_iter().collect();
    labels.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let labels: Vec<String> = labels.into_iter().map(|l| l.0).collect();
    let groups = views
        .iter()
        .map(|v| {
            let n = labels
                .iter()
                .map(|l| {
                    v.rows
                        .iter()
                        .filter(|r| r.label.as_ref() == Some(l))
                        .count() as f64
                })
                .collect();
            (display_name(v.corpus), n)
        })
        .collect();
    (labels, groups)
}

pub(super) fn all_charts(views: &[CorpusView], scheme: &str) -> Vec<(String, String, Chart)> {
    let mut out = Vec::new();
    for v in views {
        for (name, chart) in corpus_charts(v) {
            out.push((display_name(v.corpus), name, chart));
        }
    }
    let (labels, groups) = scheme_counts(views);
    if !labels.is_empty() {
        out.push((
            "all corpora".into(),
            format!("scheme_{}", sanitize(scheme)),
            Chart::Bar(BarChart {
                title: format!("Clips per class under the label scheme {scheme}"),
                y_label: "clips".into(),
                categories: labels,
                groups,
                value_labels: Some(0),
            }),
        ));
    }
    let series: Vec<(String, Vec<f64>)> = views
        .iter()
        .map(|v| {
            let mut h = vec![0u64; MEL_HIST_BINS];
            for r in &v.rows {
                for (a, &b) in h.iter_mut().zip(&r.mel_hist) {
                    *a += b as u64;
                }
            }
            let total = h.iter().sum::<u64>().max(1) as f64;
            (
                display_name(v.corpus),
                h.iter().map(|&x| 100.0 * x as f64 / total).collect(),
            )
        })
        .collect();
    out.push((
        "all corpora".into(),
        "mel_histogram".into(),
        Chart::Hist(BinnedHistogram {
            title: "Histogram of mel-spectrogram values".into(),
            x_label: "mel power (dB)".into(),
            y_label: "share of values (%)".into(),
            start: MEL_HIST_START,
            width: MEL_HIST_WIDTH,
            series,
        }),
    ));
    out
}

/// A file-name-safe version of `s`.
pub(super) fn sanitize(s: &str) -> String {
    let stem = Path::new(s)
        .file_stem()
        .map_or(s.to_string(), |x| x.to_string_lossy().into_owned());
    stem.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}
