//! Corpus analysis: per-clip measures, per-corpus CSVs, one Parquet table, charts and a
//! self-contained HTML page with findings computed from the data.
//!
//! # Measures
//!
//! Every measure of a clip comes from one decode ([`Analyzer::measure`]): the mono mix (mean of
//! the channels) at the file's own sample rate gives the amplitude measures; the same samples,
//! resampled to 16 kHz, give the mel spectrogram (the `logmel` pipeline: `n_fft` 2048, hop 512,
//! 128 bands, `power_to_db` with `ref=1`, `top_db=80`, as `librosa.power_to_db` defaults).
//!
//! | column | what |
//! |---|---|
//! | `path, corpus, speaker, sex` | from the corpus indexer (or manifest) |
//! | `emotion` | the emotion in emovox's shared vocabulary (`fearful`, `surprised`...) |
//! | `corpus_emotion` | the corpus's own word (`fear`, `ps`...) |
//! | `intensity` | RAVDESS emotional intensity (`normal`/`strong`); empty elsewhere |
//! | `label` | the class under the label scheme (`--scheme`); empty: excluded by it |
//! | `duration_s, sample_rate, channels` | of the file |
//! | `max_amplitude, min_amplitude` | largest and smallest sample (signed, full scale = 1) |
//! | `mean_amplitude, mean_abs_amplitude, rms` | mean sample, mean absolute sample, root mean square |
//! | `mel_db_mean, mel_db_std, mel_db_min, mel_db_max` | over every value of the clip's mel spectrogram, dB |
//!
//! # Files
//!
//! [`write_report`] writes `<CORPUS>_analysis.csv` per corpus (`RAVDESS_analysis.csv`,
//! `TESS_analysis.csv`, `SAVEE_analysis.csv`...), `analysis.parquet` (every clip, the same
//! columns), every chart as `.svg` and `.png`, and `index.html`, which inlines the SVG charts and
//! needs no network.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use emovox_audio::Decoded;
use emovox_corpora::table::{write_columns, Column};
use emovox_corpora::{Clip, Corpus, Failure, VOCABULARY};
use emovox_features::{Extractor, PipelineConfig};

use crate::{BarChart, BinnedHistogram, BoxPlot, Error, PieChart, Result};

/// Left edge of the first bin of the mel-value histogram, dB.
pub const MEL_HIST_START: f64 = -100.0;
/// Width of a mel-value histogram bin, dB.
pub const MEL_HIST_WIDTH: f64 = 1.0;
/// Number of mel-value histogram bins (values outside are counted in the end bins).
pub const MEL_HIST_BINS: usize = 160;

/// The measures of one clip (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measures {
    /// Seconds.
    pub duration_s: f64,
    /// The file's sample rate, Hz.
    pub sample_rate: u32,
    /// Channels in the file (the measures use their mean).
    pub channels: u16,
    /// Largest sample.
    pub max_amplitude: f64,
    /// Smallest sample.
    pub min_amplitude: f64,
    /// Mean sample.
    pub mean_amplitude: f64,
    /// Mean absolute sample.
    pub mean_abs_amplitude: f64,
    /// Root mean square.
    pub rms: f64,
    /// Mean of the mel spectrogram, dB.
    pub mel_db_mean: f64,
    /// Standard deviation of the mel spectrogram, dB.
    pub mel_db_std: f64,
    /// Minimum of the mel spectrogram, dB.
    pub mel_db_min: f64,
    /// Maximum of the mel spectrogram, dB.
    pub mel_db_max: f64,
}

/// One analysed clip.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisRow {
    /// The clip and its corpus fields.
    pub clip: Clip,
    /// Its class under the report's label scheme; `None`: excluded by it.
    pub label: Option<String>,
    /// Its measures.
    pub measures: Measures,
    /// Counts of its mel-spectrogram values in [`MEL_HIST_BINS`] bins of [`MEL_HIST_WIDTH`] dB
    /// from [`MEL_HIST_START`].
    pub mel_hist: Vec<u32>,
}

/// Measures clips; the mel plan is made once. Clone it for each worker thread.
#[derive(Debug, Clone)]
pub struct Analyzer {
    mel: Extractor,
}

/// The bin of a mel value in the histogram.
fn mel_bin(v: f32) -> usize {
    let b = ((v as f64 - MEL_HIST_START) / MEL_HIST_WIDTH).floor();
    (b.max(0.0) as usize).min(MEL_HIST_BINS - 1)
}

impl Analyzer {
    /// Plans the mel spectrogram (the `logmel` pipeline).
    pub fn new() -> Result<Self> {
        let cfg = PipelineConfig::preset("logmel")
            .ok_or_else(|| Error::Analysis("no logmel pipeline".into()))?;
        let mel = Extractor::new(cfg).map_err(|e| Error::Analysis(e.to_string()))?;
        Ok(Analyzer { mel })
    }

    /// The measures of a decoded clip and the histogram of its mel values.
    pub fn measure(&mut self, clip: &Decoded) -> Result<(Measures, Vec<u32>)> {
        let y = &clip.samples;
        if y.is_empty() {
            return Err(Error::Analysis("no audio samples".into()));
        }
        let (mut lo, mut hi, mut sum, mut abs, mut sq) =
            (f32::INFINITY, f32::NEG_INFINITY, 0.0f64, 0.0f64, 0.0f64);
        for &v in y {
            lo = lo.min(v);
            hi = hi.max(v);
            sum += v as f64;
            abs += v.abs() as f64;
            sq += v as f64 * v as f64;
        }
        let n = y.len() as f64;
        let f = self
            .mel
            .process_decoded(clip)
            .map_err(|e| Error::Analysis(format!("mel spectrogram: {e}")))?;
        let mut hist = vec![0u32; MEL_HIST_BINS];
        let (mut mlo, mut mhi, mut msum, mut msq) =
            (f64::INFINITY, f64::NEG_INFINITY, 0.0f64, 0.0f64);
        for &v in &f.values {
            let d = v as f64;
            mlo = mlo.min(d);
            mhi = mhi.max(d);
            msum += d;
            msq += d * d;
            hist[mel_bin(v)] += 1;
        }
        let m = f.values.len().max(1) as f64;
        let mel_mean = msum / m;
        Ok((
            Measures {
                duration_s: clip.duration(),
                sample_rate: clip.sample_rate,
                channels: clip.channels,
                max_amplitude: hi as f64,
                min_amplitude: lo as f64,
                mean_amplitude: sum / n,
                mean_abs_amplitude: abs / n,
                rms: (sq / n).sqrt(),
                mel_db_mean: mel_mean,
                mel_db_std: (msq / m - mel_mean * mel_mean).max(0.0).sqrt(),
                mel_db_min: mlo,
                mel_db_max: mhi,
            },
            hist,
        ))
    }
}

/// Columns of the CSVs and the Parquet table, in order.
pub const COLUMNS: [&str; 20] = [
    "path",
    "corpus",
    "speaker",
    "sex",
    "emotion",
    "corpus_emotion",
    "intensity",
    "label",
    "duration_s",
    "sample_rate",
    "channels",
    "max_amplitude",
    "min_amplitude",
    "mean_amplitude",
    "mean_abs_amplitude",
    "rms",
    "mel_db_mean",
    "mel_db_std",
    "mel_db_min",
    "mel_db_max",
];

impl AnalysisRow {
    /// The string columns (the first eight of [`COLUMNS`]).
    fn strings(&self) -> [String; 8] {
        let c = &self.clip;
        [
            c.path.to_string_lossy().into_owned(),
            c.corpus.name().to_string(),
            c.speaker.clone().unwrap_or_default(),
            c.sex.map_or("", |s| s.name()).to_string(),
            c.canonical_emotion(),
            c.emotion.clone(),
            c.extra.get("intensity").cloned().unwrap_or_default(),
            self.label.clone().unwrap_or_default(),
        ]
    }

    /// The numeric columns (the last twelve of [`COLUMNS`]).
    fn numbers(&self) -> [f64; 12] {
        let m = &self.measures;
        [
            m.duration_s,
            m.sample_rate as f64,
            m.channels as f64,
            m.max_amplitude,
            m.min_amplitude,
            m.mean_amplitude,
            m.mean_abs_amplitude,
            m.rms,
            m.mel_db_mean,
            m.mel_db_std,
            m.mel_db_min,
            m.mel_db_max,
        ]
    }
}

/// How to write a report.
#[derive(Debug, Clone, Default)]
pub struct ReportOptions {
    /// The label scheme's name (for the scheme chart and table).
    pub scheme: String,
    /// Files that could not be analysed, listed on the page.
    pub failures: Vec<Failure>,
    /// Seconds the analysis took (shown on the page).
    pub seconds: f64,
    /// What was analysed (the command's inputs), shown on the page.
    pub inputs: Vec<PathBuf>,
}

/// A chart written as `<name>.svg` and `<name>.png`.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartFile {
    /// File stem.
    pub name: String,
    /// Its title.
    pub title: String,
    /// Image size in pixels.
    pub size: (u32, u32),
    /// Which section of the page it belongs to (a corpus name, or `all corpora`).
    pub section: String,
}

/// What [`write_report`] wrote.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Written {
    /// The per-corpus CSVs.
    pub csv: Vec<PathBuf>,
    /// The Parquet table.
    pub parquet: PathBuf,
    /// Every chart (each as SVG and PNG).
    pub charts: Vec<ChartFile>,
    /// The HTML page.
    pub html: PathBuf,
    /// The findings written on the page.
    pub findings: Vec<String>,
}

/// The CSV file name of a corpus: `RAVDESS_analysis.csv`.
pub fn csv_name(corpus: Corpus) -> String {
    format!("{}_analysis.csv", corpus.name().to_ascii_uppercase())
}

/// The colour of an emotion, the same in every corpus's chart: its place in the shared
/// vocabulary picks a [`crate::palette`] colour.
pub fn emotion_colour(emotion: &str) -> plotters::style::RGBColor {
    let i = VOCABULARY
        .iter()
        .position(|e| *e == emotion)
        .unwrap_or(VOCABULARY.len());
    crate::palette(i)
}

/// Emotions in the shared vocabulary's order, then others by name.
fn emotion_order<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let set: BTreeSet<&str> = names.collect();
    let mut v: Vec<&str> = VOCABULARY
        .iter()
        .copied()
        .filter(|e| set.contains(e))
        .collect();
    v.extend(set.iter().copied().filter(|e| !VOCABULARY.contains(e)));
    v.into_iter().map(String::from).collect()
}

fn mean(v: impl Iterator<Item = f64>) -> f64 {
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
struct CorpusView<'a> {
    corpus: Corpus,
    rows: Vec<&'a AnalysisRow>,
    emotions: Vec<String>,
    by_emotion: Vec<Vec<&'a AnalysisRow>>,
}

impl<'a> CorpusView<'a> {
    fn new(corpus: Corpus, rows: Vec<&'a AnalysisRow>) -> Self {
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

    fn per_emotion(&self, f: impl Fn(&Measures) -> f64) -> Vec<f64> {
        self.by_emotion
            .iter()
            .map(|rs| mean(rs.iter().map(|r| f(&r.measures))))
            .collect()
    }

    /// `(emotion, value)` of the largest and smallest value.
    fn extremes(&self, values: &[f64]) -> Option<((String, f64), (String, f64))> {
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

fn write_csv(path: &Path, rows: &[&AnalysisRow]) -> Result<()> {
    let err = |e: csv::Error| Error::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut w = csv::Writer::from_path(path).map_err(err)?;
    w.write_record(COLUMNS).map_err(err)?;
    for r in rows {
        let mut rec: Vec<String> = r.strings().into();
        rec.extend(r.numbers().iter().enumerate().map(|(i, v)| {
            // sample_rate and channels are integers.
            if i == 1 || i == 2 {
                format!("{v:.0}")
            } else if v.is_finite() {
                v.to_string()
            } else {
                String::new()
            }
        }));
        w.write_record(&rec).map_err(err)?;
    }
    w.flush().map_err(|e| Error::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

fn write_parquet(path: &Path, rows: &[AnalysisRow], scheme: &str) -> Result<()> {
    let strings: Vec<[String; 8]> = rows.iter().map(AnalysisRow::strings).collect();
    let numbers: Vec<[f64; 12]> = rows.iter().map(AnalysisRow::numbers).collect();
    let mut cols = Vec::with_capacity(COLUMNS.len());
    for (i, name) in COLUMNS.iter().enumerate() {
        cols.push(if i < 8 {
            Column::Str(
                name.to_string(),
                strings.iter().map(|s| s[i].clone()).collect(),
            )
        } else if i == 9 || i == 10 {
            Column::I64(
                name.to_string(),
                numbers.iter().map(|n| n[i - 8] as i64).collect(),
            )
        } else {
            Column::F64(name.to_string(), numbers.iter().map(|n| n[i - 8]).collect())
        });
    }
    let meta = [("emovox.analysis.scheme".to_string(), scheme.to_string())];
    write_columns(path, &cols, &meta).map_err(|e| Error::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Charts to draw: each knows how to save itself.
enum Chart {
    Pie(PieChart),
    Bar(BarChart),
    Box(BoxPlot),
    Hist(BinnedHistogram),
}

impl Chart {
    fn title(&self) -> &str {
        match self {
            Chart::Pie(c) => &c.title,
            Chart::Bar(c) => &c.title,
            Chart::Box(c) => &c.title,
            Chart::Hist(c) => &c.title,
        }
    }

    fn size(&self) -> (u32, u32) {
        match self {
            Chart::Pie(_) => PieChart::SIZE,
            Chart::Bar(_) => BarChart::SIZE,
            Chart::Box(_) => BoxPlot::SIZE,
            Chart::Hist(_) => BinnedHistogram::SIZE,
        }
    }

    fn save(&self, path: &Path) -> Result<()> {
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

fn corpus_charts(v: &CorpusView) -> Vec<(String, Chart)> {
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
fn scheme_counts(views: &[CorpusView]) -> (Vec<String>, Vec<(String, Vec<f64>)>) {
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

fn all_charts(views: &[CorpusView], scheme: &str) -> Vec<(String, String, Chart)> {
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
fn sanitize(s: &str) -> String {
    let stem = Path::new(s)
        .file_stem()
        .map_or(s.to_string(), |x| x.to_string_lossy().into_owned());
    stem.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

fn db(ratio: f64) -> f64 {
    20.0 * ratio.log10()
}

/// Findings computed from the data, one sentence each.
fn findings(views: &[CorpusView], scheme: &str) -> Vec<String> {
    let mut f = Vec::new();
    for v in views {
        let name = display_name(v.corpus);
        let counts: Vec<f64> = v.by_emotion.iter().map(|r| r.len() as f64).collect();
        let speakers: BTreeSet<&str> = v
            .rows
            .iter()
            .filter_map(|r| r.clip.speaker.as_deref())
            .collect();
        let mut s = format!(
            "{name}: {} clips, {} emotions, {} speakers.",
            v.rows.len(),
            v.emotions.len(),
            speakers.len()
        );
        if let Some(((hi_e, hi), (lo_e, lo))) = v.extremes(&counts) {
            if hi == lo {
                let _ = write!(s, " Balanced: every emotion has {hi:.0} clips.");
            } else {
                let modal = mode(&counts);
                let odd: Vec<String> = v
                    .emotions
                    .iter()
                    .zip(&counts)
                    .filter(|(_, &c)| c != modal)
                    .map(|(e, c)| format!("{e} ({c:.0})"))
                    .collect();
                if odd.len() <= 2 {
                    let _ = write!(
                        s,
                        " Nearly balanced: {modal:.0} clips per emotion except {}.",
                        odd.join(", ")
                    );
                } else {
                    let _ = write!(
                        s,
                        " Most clips: {hi_e} ({hi:.0}); fewest: {lo_e} ({lo:.0})."
                    );
                }
            }
        }
        f.push(s);
        let rms = v.per_emotion(|m| m.rms);
        if let Some(((hi_e, hi), (lo_e, lo))) = v.extremes(&rms) {
            f.push(format!(
                "{name}: the loudest emotion is {hi_e} (mean RMS {hi:.4}), the quietest {lo_e} \
                 ({lo:.4}): {:.1} dB apart.",
                db(hi / lo.max(1e-12))
            ));
        }
        let peak = v.per_emotion(|m| m.max_amplitude.max(-m.min_amplitude));
        if let Some(((hi_e, hi), (lo_e, lo))) = v.extremes(&peak) {
            f.push(format!(
                "{name}: the highest average peak amplitude is {hi_e}'s ({hi:.3}), the lowest \
                 {lo_e}'s ({lo:.3})."
            ));
        }
        let dur = v.per_emotion(|m| m.duration_s);
        if let Some(((hi_e, hi), (lo_e, lo))) = v.extremes(&dur) {
            f.push(format!(
                "{name}: {hi_e} clips are the longest on average ({hi:.2} s), {lo_e} the \
                 shortest ({lo:.2} s); all clips average {:.2} s.",
                mean(v.rows.iter().map(|r| r.measures.duration_s))
            ));
        }
        let mel = v.per_emotion(|m| m.mel_db_mean);
        if let Some(((hi_e, hi), (lo_e, lo))) = v.extremes(&mel) {
            f.push(format!(
                "{name}: the mel spectrogram is highest on average for {hi_e} ({hi:.1} dB) and \
                 lowest for {lo_e} ({lo:.1} dB)."
            ));
        }
        let clipped = v
            .rows
            .iter()
            .filter(|r| r.measures.max_amplitude.max(-r.measures.min_amplitude) >= 0.99)
            .count();
        if clipped > 0 {
            f.push(format!(
                "{name}: {clipped} clip(s) reach 99% of full scale or more (possible clipping)."
            ));
        }
        let rates: BTreeSet<u32> = v.rows.iter().map(|r| r.measures.sample_rate).collect();
        let rates: Vec<String> = rates.iter().map(|r| format!("{r} Hz")).collect();
        let stereo = v.rows.iter().filter(|r| r.measures.channels > 1).count();
        let mut s = format!("{name}: sample rate {}", rates.join(", "));
        if stereo > 0 {
            let _ = write!(
                s,
                "; {stereo} clip(s) have more than one channel (mixed to mono)"
            );
        }
        s.push('.');
        f.push(s);
        if v.corpus == Corpus::Ravdess {
            let level = |l: &str| {
                mean(
                    v.rows
                        .iter()
                        .filter(|r| r.clip.extra.get("intensity").map(String::as_str) == Some(l))
                        .map(|r| r.measures.rms),
                )
            };
            let (n, st) = (level("normal"), level("strong"));
            if n.is_finite() && st.is_finite() {
                f.push(format!(
                    "RAVDESS: strong-intensity clips are {:.1} dB louder than normal-intensity \
                     ones (mean RMS {st:.4} vs {n:.4}).",
                    db(st / n.max(1e-12))
                ));
            }
        }
    }
    if views.len() > 1 {
        let loud: Vec<(String, f64)> = views
            .iter()
            .map(|v| {
                (
                    display_name(v.corpus),
                    mean(v.rows.iter().map(|r| r.measures.rms)),
                )
            })
            .collect();
        if let (Some(hi), Some(lo)) = (
            loud.iter().max_by(|a, b| a.1.total_cmp(&b.1)),
            loud.iter().min_by(|a, b| a.1.total_cmp(&b.1)),
        ) {
            f.push(format!(
                "Across corpora: {} is recorded {:.1} dB louder than {} on average (mean RMS \
                 {:.4} vs {:.4}); compare levels within a corpus, or normalise.",
                hi.0,
                db(hi.1 / lo.1.max(1e-12)),
                lo.0,
                hi.1,
                lo.1
            ));
        }
    }
    let all: usize = views.iter().map(|v| v.rows.len()).sum();
    let kept: usize = views
        .iter()
        .map(|v| v.rows.iter().filter(|r| r.label.is_some()).count())
        .sum();
    let classes: BTreeSet<&str> = views
        .iter()
        .flat_map(|v| v.rows.iter().filter_map(|r| r.label.as_deref()))
        .collect();
    let mut excluded: BTreeSet<String> = BTreeSet::new();
    for v in views {
        for r in v.rows.iter().filter(|r| r.label.is_none()) {
            excluded.insert(r.clip.canonical_emotion());
        }
    }
    let mut s = format!(
        "Label scheme {scheme}: {kept} of {all} clips kept in {} classes ({})",
        classes.len(),
        classes.iter().copied().collect::<Vec<_>>().join(", ")
    );
    if all > kept {
        let ex: Vec<String> = excluded.into_iter().collect();
        let _ = write!(s, "; {} excluded ({})", all - kept, ex.join(", "));
    }
    s.push('.');
    f.push(s);
    f
}

/// The most common value.
fn mode(v: &[f64]) -> f64 {
    let mut best = (f64::NAN, 0);
    for &x in v {
        let n = v.iter().filter(|&&y| y == x).count();
        if n > best.1 {
            best = (x, n);
        }
    }
    best.0
}

/// Escapes text for HTML.
pub fn html_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// An HTML table.
fn table(head: &[String], rows: &[Vec<String>]) -> String {
    let mut h = String::from("<table><thead><tr>");
    for c in head {
        let _ = write!(h, "<th>{}</th>", html_escape(c));
    }
    h.push_str("</tr></thead><tbody>");
    for r in rows {
        h.push_str("<tr>");
        for (i, c) in r.iter().enumerate() {
            let tag = if i == 0 { "th" } else { "td" };
            let _ = write!(h, "<{tag}>{}</{tag}>", html_escape(c));
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table>\n");
    h
}

const STYLE: &str = "body{font-family:DejaVu Sans,Verdana,sans-serif;max-width:1100px;margin:2em auto;\
padding:0 1em;color:#222;line-height:1.45}h1{font-size:1.7em}h2{margin-top:2em;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;margin:1em 0;font-size:.92em}th,td{border:1px solid #ccc;padding:.25em .6em;\
text-align:right}thead th{background:#f0f0f0;text-align:center}tbody th{text-align:left;font-weight:normal}\
figure{margin:1.5em 0}figure svg{max-width:100%;height:auto;border:1px solid #eee}\
figcaption{font-size:.9em;color:#555}code{background:#f4f4f4;padding:0 .2em}.fail{color:#a00}";

fn counts_table(views: &[CorpusView]) -> String {
    let emotions = emotion_order(
        views
            .iter()
            .flat_map(|v| v.emotions.iter().map(String::as_str)),
    );
    let mut head = vec!["emotion".to_string()];
    head.extend(views.iter().map(|v| display_name(v.corpus)));
    head.push("all".into());
    let mut rows: Vec<Vec<String>> = emotions
        .iter()
        .map(|e| {
            let mut r = vec![e.clone()];
            let mut total = 0;
            for v in views {
                let n = v
                    .emotions
                    .iter()
                    .position(|x| x == e)
                    .map_or(0, |i| v.by_emotion[i].len());
                total += n;
                r.push(n.to_string());
            }
            r.push(total.to_string());
            r
        })
        .collect();
    let mut r = vec!["all".to_string()];
    r.extend(views.iter().map(|v| v.rows.len().to_string()));
    r.push(
        views
            .iter()
            .map(|v| v.rows.len())
            .sum::<usize>()
            .to_string(),
    );
    rows.push(r);
    table(&head, &rows)
}

fn scheme_table(views: &[CorpusView]) -> String {
    let (labels, groups) = scheme_counts(views);
    let mut head = vec!["class".to_string()];
    head.extend(groups.iter().map(|g| g.0.clone()));
    let mut rows: Vec<Vec<String>> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let mut r = vec![l.clone()];
            r.extend(groups.iter().map(|g| format!("{:.0}", g.1[i])));
            r
        })
        .collect();
    let mut r = vec!["(excluded)".to_string()];
    r.extend(views.iter().map(|v| {
        v.rows
            .iter()
            .filter(|r| r.label.is_none())
            .count()
            .to_string()
    }));
    rows.push(r);
    table(&head, &rows)
}

fn summary_table(v: &CorpusView) -> String {
    let head: Vec<String> = [
        "emotion",
        "clips",
        "duration (s)",
        "max amplitude",
        "min amplitude",
        "RMS",
        "mel mean (dB)",
        "mel std (dB)",
    ]
    .map(String::from)
    .into();
    let cols: [(fn(&Measures) -> f64, usize); 6] = [
        (|m| m.duration_s, 2),
        (|m| m.max_amplitude, 3),
        (|m| m.min_amplitude, 3),
        (|m| m.rms, 4),
        (|m| m.mel_db_mean, 1),
        (|m| m.mel_db_std, 1),
    ];
    let rows: Vec<Vec<String>> = v
        .emotions
        .iter()
        .zip(&v.by_emotion)
        .map(|(e, rs)| {
            let mut r = vec![e.clone(), rs.len().to_string()];
            for (f, d) in cols {
                r.push(crate::fmt_value(mean(rs.iter().map(|x| f(&x.measures))), d));
            }
            r
        })
        .collect();
    table(&head, &rows)
}

/// Writes the CSVs, the Parquet table, the charts and `index.html` for `rows` into `out`
/// (created if needed).
pub fn write_report(rows: &[AnalysisRow], opts: &ReportOptions, out: &Path) -> Result<Written> {
    if rows.is_empty() {
        return Err(Error::Empty("no clip could be analysed".into()));
    }
    std::fs::create_dir_all(out).map_err(|e| Error::Write {
        path: out.to_path_buf(),
        message: e.to_string(),
    })?;
    let mut by_corpus: BTreeMap<Corpus, Vec<&AnalysisRow>> = BTreeMap::new();
    for r in rows {
        by_corpus.entry(r.clip.corpus).or_default().push(r);
    }
    let views: Vec<CorpusView> = by_corpus
        .into_iter()
        .map(|(c, rs)| CorpusView::new(c, rs))
        .collect();
    let mut written = Written::default();
    for v in &views {
        let p = out.join(csv_name(v.corpus));
        write_csv(&p, &v.rows)?;
        written.csv.push(p);
    }
    written.parquet = out.join("analysis.parquet");
    write_parquet(&written.parquet, rows, &opts.scheme)?;
    let charts = all_charts(&views, &opts.scheme);
    let mut svgs = Vec::new();
    for (section, name, chart) in &charts {
        for ext in ["svg", "png"] {
            chart.save(&out.join(format!("{name}.{ext}")))?;
        }
        let svg_path = out.join(format!("{name}.svg"));
        let svg = std::fs::read_to_string(&svg_path).map_err(|e| Error::Write {
            path: svg_path.clone(),
            message: e.to_string(),
        })?;
        svgs.push(svg);
        written.charts.push(ChartFile {
            name: name.clone(),
            title: chart.title().to_string(),
            size: chart.size(),
            section: section.clone(),
        });
    }
    written.findings = findings(&views, &opts.scheme);
    let html = page(&views, opts, &written, &svgs);
    written.html = out.join("index.html");
    std::fs::write(&written.html, html).map_err(|e| Error::Write {
        path: written.html.clone(),
        message: e.to_string(),
    })?;
    Ok(written)
}

fn page(views: &[CorpusView], opts: &ReportOptions, w: &Written, svgs: &[String]) -> String {
    let mut h = String::new();
    let n: usize = views.iter().map(|v| v.rows.len()).sum();
    let names: Vec<String> = views
        .iter()
        .map(|v| format!("{} {}", v.rows.len(), display_name(v.corpus)))
        .collect();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>emovox corpus analysis</title><style>{STYLE}</style></head><body>\n\
         <h1>Corpus analysis</h1>\n<p>{n} clips ({}) analysed in {:.1} s by emovox {}",
        html_escape(&names.join(", ")),
        opts.seconds,
        env!("CARGO_PKG_VERSION"),
    );
    if !opts.inputs.is_empty() {
        let ins: Vec<String> = opts
            .inputs
            .iter()
            .map(|p| format!("<code>{}</code>", html_escape(&p.display().to_string())))
            .collect();
        let _ = write!(h, " from {}", ins.join(", "));
    }
    h.push_str(".");
    if !opts.failures.is_empty() {
        let _ = write!(
            h,
            " <span class=\"fail\">{} file(s) could not be analysed (listed at the end).</span>",
            opts.failures.len()
        );
    }
    h.push_str("</p>\n<h2>Findings</h2>\n<ul>\n");
    for f in &w.findings {
        let _ = writeln!(h, "<li>{}</li>", html_escape(f));
    }
    h.push_str("</ul>\n<h2>Clips per emotion</h2>\n");
    h.push_str(&counts_table(views));
    let _ = write!(
        h,
        "<h2>Classes under the label scheme {}</h2>\n",
        html_escape(&opts.scheme)
    );
    h.push_str(&scheme_table(views));
    for v in views {
        let _ = write!(
            h,
            "<h2>{}: averages by emotion</h2>\n",
            html_escape(&display_name(v.corpus))
        );
        h.push_str(&summary_table(v));
    }
    let mut section = String::new();
    for (c, svg) in w.charts.iter().zip(svgs) {
        if c.section != section {
            section = c.section.clone();
            let _ = write!(h, "<h2>Charts: {}</h2>\n", html_escape(&section));
        }
        let _ = write!(
            h,
            "<figure id=\"{0}\">{1}<figcaption>{2} (<a href=\"{0}.png\">PNG</a>, \
             <a href=\"{0}.svg\">SVG</a>)</figcaption></figure>\n",
            html_escape(&c.name),
            strip_xml_decl(svg),
            html_escape(&c.title)
        );
    }
    h.push_str("<h2>Data</h2>\n<ul>\n");
    for p in w.csv.iter().chain(std::iter::once(&w.parquet)) {
        let f = p
            .file_name()
            .map_or(String::new(), |f| f.to_string_lossy().into_owned());
        let _ = writeln!(h, "<li><a href=\"{0}\">{0}</a></li>", html_escape(&f));
    }
    h.push_str("</ul>\n<p>Columns: ");
    h.push_str(&html_escape(&COLUMNS.join(", ")));
    h.push_str(
        ". Amplitudes are of the mono mix at the file's own rate (full scale = 1); the mel \
         spectrogram is computed at 16 kHz (n_fft 2048, hop 512, 128 bands, power in dB with \
         ref 1 and an 80 dB floor below each clip's maximum, as librosa.power_to_db). Emotions \
         use emovox's shared vocabulary; corpus_emotion keeps the corpus's own word.</p>\n",
    );
    if !opts.failures.is_empty() {
        h.push_str("<h2>Files that could not be analysed</h2>\n<ul class=\"fail\">\n");
        for f in &opts.failures {
            let _ = writeln!(h, "<li>{}</li>", html_escape(&f.to_string()));
        }
        h.push_str("</ul>\n");
    }
    h.push_str("</body></html>\n");
    h
}

/// An SVG document without its `<?xml ...?>` declaration, to inline in HTML.
fn strip_xml_decl(svg: &str) -> &str {
    let s = svg.trim_start();
    if s.starts_with("<?xml") {
        s.find("?>").map_or(s, |i| s[i + 2..].trim_start())
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use emovox_corpora::Claim;

    fn decoded(samples: Vec<f32>, rate: u32) -> Decoded {
        Decoded {
            samples,
            sample_rate: rate,
            channels: 1,
            format: "test".into(),
            truncated: false,
            skipped_packets: 0,
            nonfinite_zeroed: 0,
            start_frame: 0,
        }
    }

    fn clip(name: &str) -> Clip {
        let p = PathBuf::from(format!("/data/{name}.wav"));
        match Corpus::Savee.claim(&p, Path::new("/data")) {
            Claim::Clip(c) => c,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn amplitude_measures_are_exact() {
        let mut a = Analyzer::new().unwrap();
        let y: Vec<f32> = (0..16_000)
            .map(|i| if i % 2 == 0 { 0.5 } else { -0.25 })
            .collect();
        let (m, hist) = a.measure(&decoded(y, 16_000)).unwrap();
        assert_eq!(m.max_amplitude, 0.5);
        assert_eq!(m.min_amplitude, -0.25);
        assert!((m.mean_amplitude - 0.125).abs() < 1e-12);
        assert!((m.mean_abs_amplitude - 0.375).abs() < 1e-12);
        assert!((m.rms - (0.15625f64).sqrt()).abs() < 1e-9);
        assert_eq!(m.duration_s, 1.0);
        assert!(m.mel_db_max - m.mel_db_min <= 80.0 + 1e-3);
        assert_eq!(hist.iter().map(|&c| c as usize).sum::<usize>(), 32 * 128);
        assert!(a.measure(&decoded(vec![], 16_000)).is_err());
    }

    #[test]
    fn report_writes_everything_and_finds_the_loudest_emotion() {
        let mut a = Analyzer::new().unwrap();
        let mut rows = Vec::new();
        for (name, amp) in [
            ("DC_a01", 0.8f32),
            ("DC_a02", 0.7),
            ("DC_sa01", 0.1),
            ("JE_n01", 0.3),
        ] {
            let y: Vec<f32> = (0..8000).map(|i| amp * (i as f32 * 0.07).sin()).collect();
            let (measures, mel_hist) = a.measure(&decoded(y, 16_000)).unwrap();
            rows.push(AnalysisRow {
                clip: clip(name),
                label: (name != "JE_n01").then(|| "x".to_string()),
                measures,
                mel_hist,
            });
        }
        let dir = tempfile::tempdir().unwrap();
        let opts = ReportOptions {
            scheme: "seed4".into(),
            ..Default::default()
        };
        let w = write_report(&rows, &opts, dir.path()).unwrap();
        assert_eq!(w.csv, vec![dir.path().join("SAVEE_analysis.csv")]);
        let csv = std::fs::read_to_string(&w.csv[0]).unwrap();
        assert_eq!(csv.lines().count(), 5);
        assert!(csv.starts_with(&COLUMNS.join(",")));
        assert!(
            w.findings
                .iter()
                .any(|f| f.contains("loudest emotion is angry")),
            "{:?}",
            w.findings
        );
        assert!(
            w.findings.iter().any(|f| f.contains("3 of 4 clips kept")),
            "{:?}",
            w.findings
        );
        let html = std::fs::read_to_string(&w.html).unwrap();
        assert_eq!(html.matches("<svg").count(), w.charts.len());
        assert!(
            !html.contains("http://")
                || html.matches("http://").count() == html.matches("xmlns=\"http://").count()
        );
        for c in &w.charts {
            assert!(dir.path().join(format!("{}.png", c.name)).is_file());
        }
        assert!(write_report(&[], &opts, dir.path()).is_err());
    }
}
