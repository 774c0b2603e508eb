//! The report as a whole: [`write_report`] writes the tables, the charts and `index.html`,
//! a self-contained page (inline SVG, no network).

use super::*;
use emovox_report::{Error, Result};

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
pub(super) fn table(head: &[String], rows: &[Vec<String>]) -> String {
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

pub(super) const STYLE: &str = "body{font-family:DejaVu Sans,Verdana,sans-serif;max-width:1100px;margin:2em auto;\
padding:0 1em;color:#222;line-height:1.45}h1{font-size:1.7em}h2{margin-top:2em;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;margin:1em 0;font-size:.92em}th,td{border:1px solid #ccc;padding:.25em .6em;\
text-align:right}thead th{background:#f0f0f0;text-align:center}tbody th{text-align:left;font-weight:normal}\
figure{margin:1.5em 0}figure svg{max-width:100%;height:auto;border:1px solid #eee}\
figcaption{font-size:.9em;color:#555}code{background:#f4f4f4;padding:0 .2em}.fail{color:#a00}";

pub(super) fn counts_table(views: &[CorpusView]) -> String {
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

pub(super) fn scheme_table(views: &[CorpusView]) -> String {
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

pub(super) fn summary_table(v: &CorpusView) -> String {
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
                r.push(emovox_report::fmt_value(
                    mean(rs.iter().map(|x| f(&x.measures))),
                    d,
                ));
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

pub(super) fn page(
    views: &[CorpusView],
    opts: &ReportOptions,
    w: &Written,
    svgs: &[String],
) -> String {
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
pub(super) fn strip_xml_decl(svg: &str) -> &str {
    let s = svg.trim_start();
    if s.starts_with("<?xml") {
        s.find("?>").map_or(s, |i| s[i + 2..].trim_start())
    } else {
        s
    }
}
