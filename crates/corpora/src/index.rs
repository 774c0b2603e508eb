//! Indexing folders of recordings: which corpus each file belongs to and what its name says.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::corpus::{Claim, Clip, Corpus};
use crate::files::{walk_audio, Failure};

/// Finds the clips under folders and reads their labels from their names.
///
/// By default each file's corpus is detected from its name; a folder in which no file follows a
/// known corpus's naming is read as the folder layout (`DIR/LABEL/file`). A file whose name does
/// not follow the convention of the corpus around it is a [`Failure`] with the reason.
#[derive(Debug, Clone, Default)]
pub struct Indexer {
    corpus: Option<Corpus>,
}

/// What [`Indexer::index`] found.
#[derive(Debug, Clone, Default)]
pub struct IndexReport {
    /// Every clip read, sorted by path.
    pub clips: Vec<Clip>,
    /// Files that could not be indexed, with the reason, sorted by path.
    pub failures: Vec<Failure>,
}

impl IndexReport {
    /// Clips per corpus.
    pub fn count_by_corpus(&self) -> BTreeMap<Corpus, usize> {
        let mut m = BTreeMap::new();
        for c in &self.clips {
            *m.entry(c.corpus).or_insert(0) += 1;
        }
        m
    }
}

impl Indexer {
    /// An indexer that detects each file's corpus.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads every file as `corpus` instead of detecting it. Default: `None` (detect).
    pub fn corpus(mut self, corpus: Option<Corpus>) -> Self {
        self.corpus = corpus;
        self
    }

    /// Indexes files and folders. A folder is walked recursively for audio files; a file is
    /// read as its name says (the folder layout takes its parent folder as the label).
    pub fn index(&self, inputs: &[PathBuf]) -> IndexReport {
        let mut report = IndexReport::default();
        for input in inputs {
            match std::fs::metadata(input) {
                Err(e) => report.failures.push(Failure {
                    path: input.clone(),
                    reason: e.to_string(),
                }),
                Ok(m) if m.is_dir() => {
                    let mut files = Vec::new();
                    walk_audio(input, &mut files, &mut report.failures);
                    self.index_files(input, &files, &mut report);
                }
                Ok(_) => {
                    let root = input
                        .parent()
                        .and_then(Path::parent)
                        .unwrap_or(Path::new(""));
                    self.index_files(root, std::slice::from_ref(input), &mut report);
                }
            }
        }
        report.clips.sort_by(|a, b| a.path.cmp(&b.path));
        report.clips.dedup_by(|a, b| a.path == b.path);
        report.failures.sort_by(|a, b| a.path.cmp(&b.path));
        report
    }

    /// Labels one file as [`index`](Self::index) labels the files of a folder: by the corpus set
    /// with [`corpus`](Self::corpus), else the first named corpus whose naming the file follows,
    /// else (when `root` is given) the folder layout under `root` (`root/LABEL/file`).
    /// `Ok(None)`: no corpus claims the name and no `root` was given. `Err`: why the name does
    /// not read (a corpus-shaped name with a bad field, or a name that does not follow the
    /// corpus set), as `index` reports it.
    pub fn label_file(&self, path: &Path, root: Option<&Path>) -> Result<Option<Clip>, Failure> {
        let base = root.unwrap_or(Path::new(""));
        let claim = match self.corpus {
            Some(c) => match c.claim(path, base) {
                Claim::NotMine => return Err(not_following(path, c)),
                claim => Some((c, claim)),
            },
            None => Corpus::detect(path, base),
        };
        match claim {
            Some((_, Claim::Clip(clip))) => Ok(Some(clip)),
            Some((c, Claim::Invalid(why))) => Err(bad_name(path, c, &why)),
            Some((_, Claim::NotMine)) | None => match root {
                Some(root) => match Corpus::Folder.claim(path, root) {
                    Claim::Clip(clip) => Ok(Some(clip)),
                    Claim::Invalid(why) => Err(Failure {
                        path: path.to_path_buf(),
                        reason: why,
                    }),
                    Claim::NotMine => Ok(None),
                },
                None => Ok(None),
            },
        }
    }

    fn index_files(&self, root: &Path, files: &[PathBuf], report: &mut IndexReport) {
        if let Some(corpus) = self.corpus {
            for f in files {
                match corpus.claim(f, root) {
                    Claim::Clip(c) => report.clips.push(c),
                    Claim::Invalid(why) => report.failures.push(bad_name(f, corpus, &why)),
                    Claim::NotMine => report.failures.push(not_following(f, corpus)),
                }
            }
            return;
        }
        // Detect: the first named corpus whose shape the name has.
        let mut unclaimed = Vec::new();
        // Which corpora the files of each folder belong to, to explain the odd one out.
        let mut by_folder: BTreeMap<&Path, BTreeMap<Corpus, usize>> = BTreeMap::new();
        for f in files {
            match Corpus::detect(f, root) {
                Some((c, claim)) => {
                    *by_folder
                        .entry(f.parent().unwrap_or(root))
                        .or_default()
                        .entry(c)
                        .or_insert(0) += 1;
                    match claim {
                        Claim::Clip(clip) => report.clips.push(clip),
                        Claim::Invalid(why) => report.failures.push(bad_name(f, c, &why)),
                        Claim::NotMine => {}
                    }
                }
                None => unclaimed.push(f),
            }
        }
        if by_folder.is_empty() {
            // Nothing follows a corpus's naming: the user's own one-folder-per-label layout.
            for f in unclaimed {
                match Corpus::Folder.claim(f, root) {
                    Claim::Clip(c) => report.clips.push(c),
                    Claim::Invalid(why) => report.failures.push(Failure {
                        path: f.clone(),
                        reason: why,
                    }),
                    Claim::NotMine => report.failures.push(Failure {
                        path: f.clone(),
                        reason: format!(
                            "not in the folder layout ({})",
                            Corpus::Folder.convention()
                        ),
                    }),
                }
            }
            return;
        }
        for f in unclaimed {
            let siblings = by_folder.get(f.parent().unwrap_or(root));
            let dominant = siblings
                .and_then(|m| m.iter().max_by_key(|(_, n)| **n))
                .map(|(c, _)| *c);
            let reason = match dominant {
                Some(c) => format!(
                    "does not follow the {c} naming of the other files in its folder ({})",
                    c.convention()
                ),
                None => format!(
                    "matches no known corpus naming ({}) while other files under {} do; index \
                     its folder separately, or with --corpus folder",
                    Corpus::ALL[..Corpus::ALL.len() - 1]
                        .iter()
                        .map(|c| c.name())
                        .collect::<Vec<_>>()
                        .join(", "),
                    root.display()
                ),
            };
            report.failures.push(Failure {
                path: f.clone(),
                reason,
            });
        }
    }
}

fn not_following(path: &Path, corpus: Corpus) -> Failure {
    Failure {
        path: path.to_path_buf(),
        reason: format!(
            "does not follow the {corpus} naming ({})",
            corpus.convention()
        ),
    }
}

fn bad_name(path: &Path, corpus: Corpus, why: &str) -> Failure {
    Failure {
        path: path.to_path_buf(),
        reason: format!("not a valid {corpus} name: {why} ({})", corpus.convention()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(root: &Path, rel: &str) -> PathBuf {
        let p = root.join(rel);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(&p, b"").unwrap();
        p
    }

    #[test]
    fn detects_mixed_corpora_and_explains_the_odd_file() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        touch(r, "rav/Actor_01/03-01-03-01-01-01-01.wav");
        touch(r, "rav/Actor_01/03-01-99-01-01-01-01.wav");
        touch(r, "rav/Actor_01/notes-take.wav");
        touch(r, "tess/YAF_sad/YAF_dog_sad.wav");
        touch(r, "savee/DC_su03.wav");
        let rep = Indexer::new().index(&[r.to_path_buf()]);
        let names: Vec<_> = rep
            .clips
            .iter()
            .map(|c| (c.corpus, c.emotion.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                (Corpus::Ravdess, "happy"),
                (Corpus::Savee, "surprise"),
                (Corpus::Tess, "sad")
            ]
        );
        assert_eq!(rep.failures.len(), 2, "{:?}", rep.failures);
        assert!(
            rep.failures[0].reason.contains("emotion code 99"),
            "{}",
            rep.failures[0]
        );
        assert!(
            rep.failures[1]
                .reason
                .contains("ravdess naming of the other files"),
            "{}",
            rep.failures[1]
        );
    }

    #[test]
    fn folder_layout_when_nothing_else_matches() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        touch(r, "happy/a.wav");
        touch(r, "sad/bob/b.flac");
        touch(r, "stray.wav");
        let rep = Indexer::new().index(&[r.to_path_buf()]);
        assert_eq!(rep.clips.len(), 2);
        assert_eq!(rep.clips[1].speaker.as_deref(), Some("bob"));
        assert_eq!(rep.failures.len(), 1);
        assert!(rep.failures[0].reason.contains("not inside a label folder"));
    }

    #[test]
    fn forced_corpus_reports_names_that_do_not_follow_it() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        touch(r, "03a01Fa.wav");
        touch(r, "hello.wav");
        let rep = Indexer::new()
            .corpus(Some(Corpus::EmoDb))
            .index(&[r.to_path_buf()]);
        assert_eq!(rep.clips.len(), 1);
        assert!(rep.failures[0]
            .reason
            .contains("does not follow the emodb naming"));
    }

    #[test]
    fn label_file_reads_one_name_as_index_reads_a_folder() {
        let ix = Indexer::new();
        let rav = Path::new("x/Actor_01/03-01-03-01-01-01-01.wav");
        let clip = ix.label_file(rav, None).unwrap().unwrap();
        assert_eq!(
            (clip.corpus, clip.emotion.as_str()),
            (Corpus::Ravdess, "happy")
        );
        let bad = ix
            .label_file(Path::new("x/03-01-99-01-01-01-01.wav"), None)
            .unwrap_err();
        assert!(bad.reason.contains("emotion code 99"), "{bad}");
        // No corpus claims it: nothing without a root, the folder layout with one.
        let own = Path::new("mine/happy/take1.wav");
        assert_eq!(ix.label_file(own, None).unwrap(), None);
        let clip = ix
            .label_file(own, Some(Path::new("mine")))
            .unwrap()
            .unwrap();
        assert_eq!(
            (clip.corpus, clip.emotion.as_str()),
            (Corpus::Folder, "happy")
        );
        // A corpus set: a name that does not follow it is an error, as in `index`.
        let e = Indexer::new()
            .corpus(Some(Corpus::Tess))
            .label_file(rav, None)
            .unwrap_err();
        assert!(
            e.reason.starts_with("does not follow the tess naming"),
            "{e}"
        );
    }
}
