//! The manifest: one CSV row per clip with its corpus fields, its label under a scheme, and its
//! split. Written by `emovox index`, read by `emovox features --manifest` and training.
//!
//! Columns: `path, corpus, speaker, sex, emotion, label, split, scheme, protocol`, then the
//! corpora's extra fields (`modality, vocal_channel, intensity, statement, repetition, word,
//! sentence, version`, then any others). `emotion` is the corpus's own word; `label` is the
//! class under `scheme` (empty: excluded by the scheme); `split` is `train`/`test` or
//! `fold1`..`foldK` under `protocol`. Relative paths are read relative to the manifest's folder.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::corpus::{Clip, Corpus, Sex};
use crate::index::{IndexReport, Indexer};
use crate::scheme::Scheme;
use crate::split::Split;
use crate::{Error, Result};

/// Extra columns in the order they are written (others follow, sorted).
const EXTRA_ORDER: [&str; 8] = [
    "modality",
    "vocal_channel",
    "intensity",
    "statement",
    "repetition",
    "word",
    "sentence",
    "version",
];
const CORE: [&str; 9] = [
    "path", "corpus", "speaker", "sex", "emotion", "label", "split", "scheme", "protocol",
];

/// One clip in a manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The clip and its corpus fields.
    pub clip: Clip,
    /// Its class under the manifest's scheme; `None` if the scheme excludes it.
    pub label: Option<String>,
    /// `train`, `test` or `foldN`; `None` if not split (or excluded).
    pub split: Option<String>,
}

/// A labelled, split list of clips.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Manifest {
    /// The label scheme's name.
    pub scheme: Option<String>,
    /// The split protocol (`speaker:test=Actor_01`, `kfold-speaker:k=6`...) and its seed.
    pub protocol: Option<String>,
    /// The clips, in path order.
    pub entries: Vec<Entry>,
}

impl Manifest {
    /// A manifest of `clips`, not yet labelled or split.
    pub fn new(clips: Vec<Clip>) -> Self {
        let entries = clips
            .into_iter()
            .map(|clip| Entry {
                clip,
                label: None,
                split: None,
            })
            .collect();
        Manifest {
            scheme: None,
            protocol: None,
            entries,
        }
    }

    /// The whole `emovox index` job: every clip under `inputs` (files or folders; made
    /// absolute, so the manifest works from any folder), read as `corpus` (`None`: detected
    /// per file), labelled under `scheme` and, with `split`, split, all reproducibly from
    /// `seed`. The report lists the files that could not be indexed.
    pub fn index(
        inputs: &[PathBuf],
        corpus: Option<Corpus>,
        scheme: &Scheme,
        split: Option<&Split>,
        seed: u64,
    ) -> Result<(Manifest, IndexReport)> {
        let inputs: Vec<PathBuf> = inputs
            .iter()
            .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone()))
            .collect();
        let report = Indexer::new().corpus(corpus).index(&inputs);
        let mut manifest = Manifest::new(report.clips.clone());
        manifest.label(scheme, seed);
        if let Some(split) = split {
            manifest.split(split, seed)?;
        }
        Ok((manifest, report))
    }

    /// What [`Manifest::index`] made, for people: clips per corpus, labelled and excluded
    /// clips, clips per label and (when split) per split. `dest` names where it was written.
    pub fn summary(&self, report: &IndexReport, dest: &str) -> String {
        let join = |m: BTreeMap<String, usize>| {
            m.iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let corpora: Vec<String> = report
            .count_by_corpus()
            .iter()
            .map(|(c, n)| format!("{n} {c}"))
            .collect();
        let mut s = format!(
            "{} clip(s) indexed ({}) -> {dest}; scheme {}: {} labelled, {} excluded\n  labels: {}\n",
            self.entries.len(),
            if corpora.is_empty() {
                "none".to_string()
            } else {
                corpora.join(", ")
            },
            self.scheme.as_deref().unwrap_or(""),
            self.label_counts().values().sum::<usize>(),
            self.entries.iter().filter(|e| e.label.is_none()).count(),
            join(self.label_counts()),
        );
        if let Some(protocol) = &self.protocol {
            s.push_str(&format!(
                "  split {protocol}: {}\n",
                join(self.split_counts())
            ));
        }
        s
    }

    /// Labels every clip under `scheme` (dropping fractions reproducibly from `seed`).
    pub fn label(&mut self, scheme: &Scheme, seed: u64) {
        let clips: Vec<Clip> = self.entries.iter().map(|e| e.clip.clone()).collect();
        for (e, l) in self.entries.iter_mut().zip(scheme.apply(&clips, seed)) {
            e.label = l;
        }
        self.scheme = Some(scheme.name.clone());
    }

    /// Splits the labelled clips (reproducibly from `seed`).
    pub fn split(&mut self, split: &Split, seed: u64) -> Result<()> {
        let clips: Vec<Clip> = self.entries.iter().map(|e| e.clip.clone()).collect();
        let labels: Vec<Option<String>> = self.entries.iter().map(|e| e.label.clone()).collect();
        for (e, s) in self
            .entries
            .iter_mut()
            .zip(split.assign(&clips, &labels, seed)?)
        {
            e.split = s;
        }
        self.protocol = Some(format!("{split};seed={seed}"));
        Ok(())
    }

    /// Number of labelled clips per label.
    pub fn label_counts(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for l in self.entries.iter().filter_map(|e| e.label.as_ref()) {
            *m.entry(l.clone()).or_insert(0) += 1;
        }
        m
    }

    /// Number of labelled clips per split value.
    pub fn split_counts(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for e in self.entries.iter().filter(|e| e.label.is_some()) {
            *m.entry(e.split.clone().unwrap_or_else(|| "-".into()))
                .or_insert(0) += 1;
        }
        m
    }

    /// Writes the manifest as CSV.
    pub fn write_csv(&self, w: impl Write) -> Result<()> {
        let extras: BTreeSet<&str> = self
            .entries
            .iter()
            .flat_map(|e| e.clip.extra.keys().map(String::as_str))
            .collect();
        let mut extra_cols: Vec<&str> = EXTRA_ORDER
            .iter()
            .copied()
            .filter(|k| extras.contains(k))
            .collect();
        extra_cols.extend(extras.iter().copied().filter(|k| !EXTRA_ORDER.contains(k)));
        let mut out = csv::Writer::from_writer(w);
        out.write_record(CORE.iter().chain(&extra_cols))?;
        for e in &self.entries {
            let c = &e.clip;
            let mut rec: Vec<&str> = vec![
                c.path.to_str().unwrap_or(""),
                c.corpus.name(),
                c.speaker.as_deref().unwrap_or(""),
                c.sex.map_or("", Sex::name),
                &c.emotion,
                e.label.as_deref().unwrap_or(""),
                e.split.as_deref().unwrap_or(""),
                self.scheme.as_deref().unwrap_or(""),
                self.protocol.as_deref().unwrap_or(""),
            ];
            if c.path.to_str().is_none() {
                return Err(Error::Manifest(format!(
                    "path is not valid UTF-8: {}",
                    c.path.display()
                )));
            }
            rec.extend(
                extra_cols
                    .iter()
                    .map(|k| c.extra.get(*k).map_or("", String::as_str)),
            );
            out.write_record(&rec)?;
        }
        out.flush()?;
        Ok(())
    }

    /// Writes the manifest to a CSV file.
    pub fn save(&self, path: &Path) -> Result<()> {
        let f = std::fs::File::create(path).map_err(|e| Error::from(e).in_file(path))?;
        self.write_csv(std::io::BufWriter::new(f))
            .map_err(|e| e.in_file(path))
    }

    /// Reads a manifest CSV (see the module docs for its columns; `path`, `corpus` and
    /// `emotion` are required).
    pub fn load(path: &Path) -> Result<Self> {
        Self::load_inner(path).map_err(|e| e.in_file(path))
    }

    fn load_inner(path: &Path) -> Result<Self> {
        let base = path.parent().unwrap_or(Path::new("")).to_path_buf();
        let mut rdr = csv::Reader::from_path(path)?;
        let headers = rdr.headers()?.clone();
        let col = |name: &str| headers.iter().position(|h| h == name);
        let need =
            |name: &str| col(name).ok_or_else(|| Error::Manifest(format!("no `{name}` column")));
        let (p, corpus, emotion) = (need("path")?, need("corpus")?, need("emotion")?);
        let [speaker, sex, label, split, scheme, protocol] =
            ["speaker", "sex", "label", "split", "scheme", "protocol"].map(col);
        let mut m = Manifest::default();
        for (n, rec) in rdr.records().enumerate() {
            let rec = rec?;
            let line = n + 2;
            let get = |i: Option<usize>| i.and_then(|i| rec.get(i)).filter(|s| !s.is_empty());
            let bad = |what: String| Error::Manifest(format!("line {line}: {what}"));
            let rel = PathBuf::from(get(Some(p)).ok_or_else(|| bad("empty path".into()))?);
            let clip = Clip {
                path: if rel.is_absolute() {
                    rel
                } else {
                    base.join(rel)
                },
                corpus: get(Some(corpus))
                    .unwrap_or("")
                    .parse::<Corpus>()
                    .map_err(bad)?,
                speaker: get(speaker).map(String::from),
                sex: get(sex).map(str::parse::<Sex>).transpose().map_err(bad)?,
                emotion: get(Some(emotion))
                    .ok_or_else(|| bad("empty emotion".into()))?
                    .to_string(),
                extra: headers
                    .iter()
                    .enumerate()
                    .filter(|(_, h)| !CORE.contains(h))
                    .filter_map(|(i, h)| {
                        rec.get(i)
                            .filter(|v| !v.is_empty())
                            .map(|v| (h.to_string(), v.to_string()))
                    })
                    .collect(),
            };
            if m.scheme.is_none() {
                m.scheme = get(scheme).map(String::from);
                m.protocol = get(protocol).map(String::from);
            }
            m.entries.push(Entry {
                clip,
                label: get(label).map(String::from),
                split: get(split).map(String::from),
            });
        }
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        let mut clips = Vec::new();
        for (i, e) in [
            "03-01-02-01-01-01-01",
            "03-01-04-02-02-01-02",
            "03-01-07-01-01-02-03",
        ]
        .iter()
        .enumerate()
        {
            let p = PathBuf::from(format!("/data/Actor_0{}/{e}.wav", i + 1));
            if let crate::Claim::Clip(c) = Corpus::Ravdess.claim(&p, Path::new("/data")) {
                clips.push(c);
            }
        }
        let mut m = Manifest::new(clips);
        m.label(&Scheme::full(), 0);
        m
    }

    #[test]
    fn csv_round_trip() {
        let mut m = sample();
        m.split(&Split::Random { test_size: 0.5 }, 1).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.csv");
        m.save(&path).unwrap();
        let back = Manifest::load(&path).unwrap();
        assert_eq!(back, m);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with(
                "path,corpus,speaker,sex,emotion,label,split,scheme,protocol,modality,"
            ),
            "{text}"
        );
    }

    #[test]
    fn relative_paths_are_relative_to_the_manifest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.csv");
        std::fs::write(
            &path,
            "path,corpus,emotion,label\nhappy/a.wav,folder,happy,happy\n",
        )
        .unwrap();
        let m = Manifest::load(&path).unwrap();
        assert_eq!(m.entries[0].clip.path, dir.path().join("happy/a.wav"));
        assert_eq!(m.entries[0].label.as_deref(), Some("happy"));
    }

    #[test]
    fn bad_rows_name_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.csv");
        std::fs::write(&path, "path,corpus,emotion\na.wav,timit,happy\n").unwrap();
        let e = Manifest::load(&path).unwrap_err().to_string();
        assert!(
            e.contains("m.csv") && e.contains("line 2") && e.contains("timit"),
            "{e}"
        );
        std::fs::write(&path, "file,corpus\n").unwrap();
        assert!(Manifest::load(&path)
            .unwrap_err()
            .to_string()
            .contains("no `path` column"));
    }
}
