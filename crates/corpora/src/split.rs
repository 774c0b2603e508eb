//! Train/test splits that don't lie: held-out speakers, speaker-grouped folds, and the original
//! project's clip-level random split for comparison.
//!
//! A split gives every labelled clip a value: `train` or `test`, or `fold1`..`foldK`. Clips the
//! label scheme excluded get none. Everything is reproducible from a seed. Augmentation happens
//! later, on training clips only (see the `emovox features --manifest` docs), so an augmented
//! copy of a test clip can never be trained on.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;

use crate::corpus::Clip;
use crate::scheme::round_half_even;
use crate::{shuffle, Error, Result};

/// How to split a labelled corpus.
#[derive(Debug, Clone, PartialEq)]
pub enum Split {
    /// Clip-level random split, stratified by label: the original project's protocol (it puts
    /// the same speakers on both sides, so its scores are optimistic). Kept for comparison.
    Random {
        /// Share of each label's clips in the test set, in (0, 1).
        test_size: f64,
    },
    /// Speakers held out: the named ones, or if none are named, a seeded random `test_size`
    /// share (at least one) of each corpus's speakers.
    Speaker {
        /// Speakers to hold out, as in the manifest's `speaker` column (`Actor_01`, `OAF`) or
        /// as `corpus:speaker` (`tess:OAF`).
        test_speakers: Vec<String>,
        /// Share of each corpus's speakers to hold out when none are named.
        test_size: f64,
    },
    /// `k` folds of whole speakers, stratified by label (like scikit-learn's
    /// `StratifiedGroupKFold`); RAVDESS alone gives its usual 6 folds of 4 actors with `k = 6`.
    KFoldSpeaker {
        /// Number of folds, at least 2.
        k: usize,
    },
}

impl fmt::Display for Split {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Split::Random { test_size } => write!(f, "random:test_size={test_size}"),
            Split::Speaker {
                test_speakers,
                test_size,
            } if test_speakers.is_empty() => {
                write!(f, "speaker:test_size={test_size}")
            }
            Split::Speaker { test_speakers, .. } => {
                write!(f, "speaker:test={}", test_speakers.join("+"))
            }
            Split::KFoldSpeaker { k } => write!(f, "kfold-speaker:k={k}"),
        }
    }
}

impl FromStr for Split {
    type Err = Error;

    /// `random`, `speaker`, `kfold-speaker` with defaults (test size 0.2, k 5), or with
    /// parameters: `random:0.25`, `speaker:Actor_01+Actor_02+OAF`, `speaker:0.25`,
    /// `kfold-speaker:6`.
    fn from_str(s: &str) -> Result<Self> {
        let (name, arg) = match s.split_once(':') {
            Some((n, a)) => (n, Some(a)),
            None => (s, None),
        };
        let arg = arg.map(|a| {
            a.trim_start_matches("test_size=")
                .trim_start_matches("k=")
                .trim_start_matches("test=")
        });
        let frac = |a: &str| -> Result<f64> {
            match a.parse::<f64>() {
                Ok(f) if f > 0.0 && f < 1.0 => Ok(f),
                _ => Err(Error::Split(format!(
                    "test size must be a number in (0, 1), got {a:?}"
                ))),
            }
        };
        match (name, arg) {
            ("random", None) => Ok(Split::Random { test_size: 0.2 }),
            ("random", Some(a)) => Ok(Split::Random { test_size: frac(a)? }),
            ("speaker", None) => Ok(Split::Speaker { test_speakers: vec![], test_size: 0.2 }),
            ("speaker", Some(a)) if a.parse::<f64>().is_ok() => {
                Ok(Split::Speaker { test_speakers: vec![], test_size: frac(a)? })
            }
            ("speaker", Some(a)) => Ok(Split::Speaker {
                test_speakers: a.split(['+', ',']).filter(|s| !s.is_empty()).map(String::from).collect(),
                test_size: 0.2,
            }),
            ("kfold-speaker", None) => Ok(Split::KFoldSpeaker { k: 5 }),
            ("kfold-speaker", Some(a)) => match a.parse::<usize>() {
                Ok(k) if k >= 2 => Ok(Split::KFoldSpeaker { k }),
                _ => Err(Error::Split(format!("kfold-speaker needs a fold count of at least 2, got {a:?}"))),
            },
            _ => Err(Error::Split(format!(
                "unknown split {s:?}: use random[:TEST_SIZE], speaker[:S1+S2...|:TEST_SIZE] or kfold-speaker[:K]"
            ))),
        }
    }
}

impl Split {
    /// The split value of every clip (`None` where `labels` is `None`).
    pub fn assign(
        &self,
        clips: &[Clip],
        labels: &[Option<String>],
        seed: u64,
    ) -> Result<Vec<Option<String>>> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let labelled: Vec<usize> = (0..clips.len())
            .filter(|&i| labels.get(i).is_some_and(Option::is_some))
            .collect();
        let mut out = vec![None; clips.len()];
        match self {
            Split::Random { test_size } => {
                let mut by_label: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
                for &i in &labelled {
                    by_label
                        .entry(labels[i].as_deref().unwrap_or(""))
                        .or_default()
                        .push(i);
                }
                for idx in by_label.values_mut() {
                    shuffle(idx, &mut rng);
                    let n_test = round_half_even(test_size * idx.len() as f64);
                    for (j, &i) in idx.iter().enumerate() {
                        out[i] = Some(if j < n_test { "test" } else { "train" }.to_string());
                    }
                }
            }
            Split::Speaker {
                test_speakers,
                test_size,
            } => {
                let groups = speaker_groups(clips, &labelled)?;
                let held = held_out(clips, &groups, test_speakers, *test_size, &mut rng)?;
                for (key, idx) in &groups {
                    let side = if held.contains(key) { "test" } else { "train" };
                    for &i in idx {
                        out[i] = Some(side.to_string());
                    }
                }
            }
            Split::KFoldSpeaker { k } => {
                let groups = speaker_groups(clips, &labelled)?;
                if groups.len() < *k {
                    return Err(Error::Split(format!(
                        "kfold-speaker:{k} needs at least {k} speakers, the labelled clips have {}",
                        groups.len()
                    )));
                }
                let folds = stratified_group_folds(&groups, labels, *k, &mut rng);
                for ((_, idx), fold) in groups.iter().zip(folds) {
                    for &i in idx {
                        out[i] = Some(format!("fold{}", fold + 1));
                    }
                }
            }
        }
        Ok(out)
    }
}

/// Labelled clips grouped by `corpus:speaker`; an error if any has no speaker.
fn speaker_groups(clips: &[Clip], labelled: &[usize]) -> Result<BTreeMap<String, Vec<usize>>> {
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut missing = Vec::new();
    for &i in labelled {
        match clips[i].speaker_key() {
            Some(k) => groups.entry(k).or_default().push(i),
            None => missing.push(i),
        }
    }
    if let Some(&first) = missing.first() {
        return Err(Error::Split(format!(
            "a speaker-grouped split needs every clip's speaker, but {} clip(s) have none (e.g. {}); \
             in the folder layout put each speaker's files in DIR/LABEL/SPEAKER/",
            missing.len(),
            clips[first].path.display()
        )));
    }
    Ok(groups)
}

fn held_out(
    clips: &[Clip],
    groups: &BTreeMap<String, Vec<usize>>,
    named: &[String],
    test_size: f64,
    rng: &mut ChaCha8Rng,
) -> Result<BTreeSet<String>> {
    let mut held = BTreeSet::new();
    if !named.is_empty() {
        for name in named {
            let hits: Vec<&String> = groups
                .iter()
                .filter(|(key, idx)| {
                    *key == name
                        || idx.first().and_then(|&i| clips[i].speaker.as_deref())
                            == Some(name.as_str())
                })
                .map(|(k, _)| k)
                .collect();
            if hits.is_empty() {
                let known: Vec<&str> = groups.keys().map(String::as_str).collect();
                return Err(Error::Split(format!(
                    "speaker {name:?} is not among the labelled clips' speakers: {}",
                    known.join(", ")
                )));
            }
            held.extend(hits.into_iter().cloned());
        }
        if held.len() == groups.len() {
            return Err(Error::Split(
                "every speaker is held out: nothing left to train on".into(),
            ));
        }
        return Ok(held);
    }
    let mut by_corpus: BTreeMap<&str, Vec<&String>> = BTreeMap::new();
    for key in groups.keys() {
        by_corpus
            .entry(key.split(':').next().unwrap_or(""))
            .or_default()
            .push(key);
    }
    for (corpus, mut keys) in by_corpus {
        if keys.len() < 2 {
            tracing::warn!(corpus, "only one speaker: all of its clips go to train");
            continue;
        }
        shuffle(&mut keys, rng);
        let n = round_half_even(test_size * keys.len() as f64).clamp(1, keys.len() - 1);
        held.extend(keys.into_iter().take(n).cloned());
    }
    Ok(held)
}

/// Assigns each group to one of `k` folds, greedily keeping every label's share equal across
/// folds (scikit-learn's `StratifiedGroupKFold(shuffle=True)` algorithm): groups in seeded
/// random order, then by how unevenly their labels spread (largest first); each goes to the
/// fold where the per-label spread of shares is lowest, ties to the fold with fewer clips.
fn stratified_group_folds(
    groups: &BTreeMap<String, Vec<usize>>,
    labels: &[Option<String>],
    k: usize,
    rng: &mut ChaCha8Rng,
) -> Vec<usize> {
    let classes: Vec<&str> = labels
        .iter()
        .flatten()
        .map(String::as_str)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let class_of = |i: usize| {
        classes
            .iter()
            .position(|c| Some(*c) == labels[i].as_deref())
            .unwrap_or(0)
    };
    let counts: Vec<Vec<f64>> = groups
        .values()
        .map(|idx| {
            let mut v = vec![0.0; classes.len()];
            for &i in idx {
                v[class_of(i)] += 1.0;
            }
            v
        })
        .collect();
    let totals: Vec<f64> = (0..classes.len())
        .map(|c| counts.iter().map(|g| g[c]).sum::<f64>().max(1.0))
        .collect();
    let std = |v: &[f64]| {
        let m = v.iter().sum::<f64>() / v.len() as f64;
        (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / v.len() as f64).sqrt()
    };
    let mut order: Vec<usize> = (0..groups.len()).collect();
    shuffle(&mut order, rng);
    order.sort_by(|&a, &b| std(&counts[b]).total_cmp(&std(&counts[a])));
    let mut fold_counts = vec![vec![0.0; classes.len()]; k];
    let mut assignment = vec![0; groups.len()];
    for g in order {
        let mut best: Option<(f64, f64, usize)> = None;
        for f in 0..k {
            for c in 0..classes.len() {
                fold_counts[f][c] += counts[g][c];
            }
            let eval = (0..classes.len())
                .map(|c| {
                    std(&fold_counts
                        .iter()
                        .map(|fc| fc[c] / totals[c])
                        .collect::<Vec<_>>())
                })
                .sum::<f64>()
                / classes.len().max(1) as f64;
            for c in 0..classes.len() {
                fold_counts[f][c] -= counts[g][c];
            }
            let size: f64 = fold_counts[f].iter().sum();
            let better = match best {
                None => true,
                Some((e, s, _)) => eval < e - 1e-12 || ((eval - e).abs() <= 1e-12 && size < s),
            };
            if better {
                best = Some((eval, size, f));
            }
        }
        let f = best.map_or(0, |b| b.2);
        for c in 0..classes.len() {
            fold_counts[f][c] += counts[g][c];
        }
        assignment[g] = f;
    }
    assignment
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::Corpus;

    /// `speakers` speakers with `per` clips each, cycling through 3 labels.
    fn corpus(corpus: Corpus, speakers: usize, per: usize) -> (Vec<Clip>, Vec<Option<String>>) {
        let mut clips = Vec::new();
        let mut labels = Vec::new();
        for s in 0..speakers {
            for j in 0..per {
                clips.push(Clip {
                    path: format!("{corpus}/s{s}/c{j}.wav").into(),
                    corpus,
                    speaker: Some(format!("s{s:02}")),
                    sex: None,
                    emotion: String::new(),
                    extra: Default::default(),
                });
                labels.push(Some(["a", "b", "c"][j % 3].to_string()));
            }
        }
        (clips, labels)
    }

    #[test]
    fn parse_and_print() {
        assert_eq!(
            "random".parse::<Split>().unwrap(),
            Split::Random { test_size: 0.2 }
        );
        assert_eq!(
            "kfold-speaker:6".parse::<Split>().unwrap(),
            Split::KFoldSpeaker { k: 6 }
        );
        let s: Split = "speaker:Actor_01+OAF".parse().unwrap();
        assert_eq!(s.to_string(), "speaker:test=Actor_01+OAF");
        assert!("kfold-speaker:1".parse::<Split>().is_err());
        assert!("random:1.5".parse::<Split>().is_err());
        assert!("loso".parse::<Split>().is_err());
    }

    #[test]
    fn kfold_speaker_gives_ravdess_six_folds_of_four() {
        let (clips, labels) = corpus(Corpus::Ravdess, 24, 60);
        let split = Split::KFoldSpeaker { k: 6 }
            .assign(&clips, &labels, 7)
            .unwrap();
        let mut speakers_per_fold: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (c, s) in clips.iter().zip(&split) {
            speakers_per_fold
                .entry(s.clone().unwrap())
                .or_default()
                .insert(c.speaker.clone().unwrap());
        }
        assert_eq!(speakers_per_fold.len(), 6);
        assert!(
            speakers_per_fold.values().all(|s| s.len() == 4),
            "{speakers_per_fold:?}"
        );
        assert_eq!(
            split,
            Split::KFoldSpeaker { k: 6 }
                .assign(&clips, &labels, 7)
                .unwrap()
        );
    }

    #[test]
    fn speaker_split_holds_out_whole_speakers() {
        let (clips, labels) = corpus(Corpus::Savee, 4, 30);
        let split = "speaker:JK".parse::<Split>().unwrap();
        assert!(split
            .assign(&clips, &labels, 1)
            .unwrap_err()
            .to_string()
            .contains("\"JK\""));
        let split = "speaker:s01"
            .parse::<Split>()
            .unwrap()
            .assign(&clips, &labels, 1)
            .unwrap();
        for (c, s) in clips.iter().zip(&split) {
            let want = if c.speaker.as_deref() == Some("s01") {
                "test"
            } else {
                "train"
            };
            assert_eq!(s.as_deref(), Some(want));
        }
    }

    #[test]
    fn random_split_is_stratified_and_skips_excluded() {
        let (clips, mut labels) = corpus(Corpus::Tess, 2, 30);
        labels[0] = None;
        let split = Split::Random { test_size: 0.2 }
            .assign(&clips, &labels, 3)
            .unwrap();
        assert_eq!(split[0], None);
        for l in ["a", "b", "c"] {
            let test = (0..clips.len()).filter(|&i| {
                labels[i].as_deref() == Some(l) && split[i].as_deref() == Some("test")
            });
            let n = (0..clips.len())
                .filter(|&i| labels[i].as_deref() == Some(l))
                .count();
            assert_eq!(test.count(), round_half_even(0.2 * n as f64));
        }
    }

    #[test]
    fn speaker_split_without_speakers_is_an_error() {
        let (mut clips, labels) = corpus(Corpus::Folder, 1, 3);
        for c in &mut clips {
            c.speaker = None;
        }
        let e = Split::KFoldSpeaker { k: 2 }
            .assign(&clips, &labels, 0)
            .unwrap_err()
            .to_string();
        assert!(e.contains("DIR/LABEL/SPEAKER"), "{e}");
    }
}
