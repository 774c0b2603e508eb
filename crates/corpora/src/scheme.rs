//! Label schemes: which classes a model learns, from the corpora's emotions.
//!
//! A scheme maps each clip's emotion (in the shared [`VOCABULARY`], or
//! `corpus:native` for one corpus's own name) to a class, and may drop a seeded random fraction
//! of some emotions to rebalance, as the original project did. Clips a scheme does not map are
//! excluded (kept in the manifest with an empty label, so nothing disappears silently).
//!
//! | scheme | classes |
//! |---|---|
//! | `seed4` | the original project's: neutral (+ calm), happy, surprise, unpleasant (sad + angry, 40 % of each dropped first); fearful and disgust dropped |
//! | `full` | every emotion in the shared vocabulary, user folder labels kept as they are |
//! | `FILE.toml` | a user's own (see [`Scheme::from_toml`]) |

use std::collections::BTreeMap;
use std::path::Path;

use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use serde::Deserialize;

use crate::corpus::{Clip, VOCABULARY};
use crate::{shuffle, Error, Result};

/// A label scheme.
#[derive(Debug, Clone, PartialEq)]
pub struct Scheme {
    /// Its name, recorded in the manifest.
    pub name: String,
    /// Emotion -> class. Keys are shared-vocabulary emotions (`sad`) or `corpus:native`
    /// (`tess:pleasant_surprise`), which win over the former.
    pub map: BTreeMap<String, String>,
    /// Fraction of clips of an emotion (shared vocabulary) to drop at random before mapping.
    pub drop: BTreeMap<String, f64>,
    /// Whether emotions the map does not name keep their shared-vocabulary name (`true`) or
    /// are excluded (`false`).
    pub keep_unmapped: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SchemeFile {
    name: Option<String>,
    #[serde(default)]
    map: BTreeMap<String, String>,
    #[serde(default)]
    drop: BTreeMap<String, f64>,
    #[serde(default)]
    keep_unmapped: bool,
}

impl Scheme {
    /// The original project's four classes: neutral (RAVDESS neutral and calm), happy, surprise
    /// (RAVDESS surprised, TESS pleasant surprise, SAVEE su), unpleasant (sad and angry, after
    /// dropping 40 % of each at random); fearful, disgust (and boredom) dropped.
    pub fn seed4() -> Self {
        let map = [
            ("neutral", "neutral"),
            ("calm", "neutral"),
            ("happy", "happy"),
            ("surprised", "surprise"),
            ("sad", "unpleasant"),
            ("angry", "unpleasant"),
        ];
        Scheme {
            name: "seed4".into(),
            map: map
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            drop: [("sad".to_string(), 0.4), ("angry".to_string(), 0.4)].into(),
            keep_unmapped: false,
        }
    }

    /// Every emotion under its shared-vocabulary name; nothing dropped.
    pub fn full() -> Self {
        Scheme {
            name: "full".into(),
            map: VOCABULARY
                .iter()
                .map(|v| (v.to_string(), v.to_string()))
                .collect(),
            drop: BTreeMap::new(),
            keep_unmapped: true,
        }
    }

    /// A built-in scheme by name (`seed4`, `full`) or a TOML file by path.
    pub fn load(spec: &str) -> Result<Self> {
        match spec {
            "seed4" => Ok(Self::seed4()),
            "full" => Ok(Self::full()),
            _ if spec.ends_with(".toml") || Path::new(spec).is_file() => {
                Self::from_toml(Path::new(spec))
            }
            _ => Err(Error::Scheme(format!(
                "unknown scheme {spec:?}: use seed4, full, or a FILE.toml"
            ))),
        }
    }

    /// Reads a scheme from TOML:
    ///
    /// ```toml
    /// name = "valence3"          # optional, default: the file's stem
    /// keep_unmapped = false      # optional, default false: unmapped emotions are excluded
    /// [map]                      # emotion (shared vocabulary, or corpus:native) = class
    /// neutral = "neutral"
    /// calm = "neutral"
    /// happy = "positive"
    /// "tess:pleasant_surprise" = "positive"
    /// sad = "negative"
    /// angry = "negative"
    /// [drop]                     # optional: fraction dropped at random, per emotion
    /// sad = 0.25
    /// ```
    pub fn from_toml(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::File {
            path: path.into(),
            source: Box::new(e.into()),
        })?;
        Self::from_toml_str(
            &text,
            path.file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("custom"),
        )
        .map_err(|e| Error::File {
            path: path.into(),
            source: Box::new(e),
        })
    }

    /// [`from_toml`](Self::from_toml) on a string; `default_name` names it if the text does not.
    pub fn from_toml_str(text: &str, default_name: &str) -> Result<Self> {
        let f: SchemeFile = toml::from_str(text).map_err(|e| Error::Scheme(e.to_string()))?;
        if f.map.is_empty() && !f.keep_unmapped {
            return Err(Error::Scheme(
                "the [map] table is empty and keep_unmapped is false: no clip would get a label"
                    .into(),
            ));
        }
        for (k, v) in &f.drop {
            if !(0.0..=1.0).contains(v) {
                return Err(Error::Scheme(format!(
                    "drop fraction for {k:?} is {v}, not within 0..=1"
                )));
            }
        }
        Ok(Scheme {
            name: f.name.unwrap_or_else(|| default_name.to_string()),
            map: f.map,
            drop: f.drop,
            keep_unmapped: f.keep_unmapped,
        })
    }

    /// The class of one clip, before any dropping; `None` if the scheme excludes it.
    pub fn class_of(&self, clip: &Clip) -> Option<String> {
        let canonical = clip.canonical_emotion();
        let native = format!("{}:{}", clip.corpus, clip.emotion);
        if let Some(c) = self.map.get(&native).or_else(|| self.map.get(&canonical)) {
            return Some(c.clone());
        }
        self.keep_unmapped.then_some(canonical)
    }

    /// The label of every clip (`None`: excluded): mapped, then the `drop` fractions removed
    /// at random, reproducibly from `seed`. The number dropped from `n` clips is
    /// `round(fraction * n)`, half to even, as pandas' `sample(frac=...)` counts.
    pub fn apply(&self, clips: &[Clip], seed: u64) -> Vec<Option<String>> {
        let mut labels: Vec<Option<String>> = clips.iter().map(|c| self.class_of(c)).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        for (emotion, &fraction) in &self.drop {
            let mut idx: Vec<usize> = (0..clips.len())
                .filter(|&i| labels[i].is_some() && &clips[i].canonical_emotion() == emotion)
                .collect();
            let n = round_half_even(fraction * idx.len() as f64);
            shuffle(&mut idx, &mut rng);
            for &i in idx.iter().take(n) {
                labels[i] = None;
            }
        }
        labels
    }
}

/// Python's `round()`: halves go to the even neighbour.
pub(crate) fn round_half_even(x: f64) -> usize {
    let r = x.round();
    let r = if (x - x.trunc()).abs() == 0.5 && r % 2.0 != 0.0 {
        r - x.signum()
    } else {
        r
    };
    r.max(0.0) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::Corpus;

    fn clip(corpus: Corpus, emotion: &str) -> Clip {
        Clip {
            path: format!("{corpus}/{emotion}.wav").into(),
            corpus,
            speaker: None,
            sex: None,
            emotion: emotion.into(),
            extra: BTreeMap::new(),
        }
    }

    #[test]
    fn seed4_maps_like_the_original() {
        let s = Scheme::seed4();
        let label = |c, e| s.class_of(&clip(c, e));
        assert_eq!(label(Corpus::Ravdess, "calm").as_deref(), Some("neutral"));
        assert_eq!(
            label(Corpus::Tess, "pleasant_surprise").as_deref(),
            Some("surprise")
        );
        assert_eq!(
            label(Corpus::Savee, "surprise").as_deref(),
            Some("surprise")
        );
        assert_eq!(
            label(Corpus::Savee, "sadness").as_deref(),
            Some("unpleasant")
        );
        assert_eq!(label(Corpus::Tess, "fear"), None);
        assert_eq!(label(Corpus::Ravdess, "disgust"), None);
    }

    #[test]
    fn drop_fraction_counts_like_pandas_and_is_seeded() {
        let clips: Vec<Clip> = (0..25).map(|_| clip(Corpus::Tess, "sad")).collect();
        let s = Scheme::seed4();
        let a = s.apply(&clips, 1);
        // round(0.4 * 25) = 10 dropped.
        assert_eq!(a.iter().filter(|l| l.is_none()).count(), 10);
        assert_eq!(a, s.apply(&clips, 1));
        assert_ne!(a, s.apply(&clips, 2));
        assert_eq!(round_half_even(2.5), 2);
        assert_eq!(round_half_even(3.5), 4);
        assert_eq!(round_half_even(236.8), 237);
    }

    #[test]
    fn toml_scheme_with_corpus_specific_keys() {
        let s = Scheme::from_toml_str(
            "[map]\nhappy = \"pos\"\n\"tess:pleasant_surprise\" = \"pos\"\nsurprised = \"other\"\n",
            "mine",
        )
        .unwrap();
        assert_eq!(s.name, "mine");
        assert_eq!(
            s.class_of(&clip(Corpus::Tess, "pleasant_surprise"))
                .as_deref(),
            Some("pos")
        );
        assert_eq!(
            s.class_of(&clip(Corpus::Ravdess, "surprised")).as_deref(),
            Some("other")
        );
        assert_eq!(s.class_of(&clip(Corpus::Ravdess, "sad")), None);
    }

    #[test]
    fn bad_toml_is_a_clear_error() {
        let e = Scheme::from_toml_str("[map]\nhappy = 3\n", "x")
            .unwrap_err()
            .to_string();
        assert!(e.contains("invalid type"), "{e}");
        let e = Scheme::from_toml_str("[map]\nhappy=\"h\"\n[drop]\nsad = 1.5\n", "x")
            .unwrap_err()
            .to_string();
        assert!(e.contains("1.5"), "{e}");
        assert!(Scheme::load("nope").is_err());
    }
}
