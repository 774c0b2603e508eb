//! The settings saved with a model: how it was trained ([`TrainConfig`], [`LrSchedule`]) and
//! how it adapts to a speaker ([`Adapt`]). A leaf module, as burn keeps its configs: the saved
//! format ([`crate::saved`]) and the training loop ([`crate::train`]) both read it, and neither
//! depends on the other through it.

use serde::{Deserialize, Serialize};

use crate::augment::BatchAugment;

/// How the learning rate changes over epochs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LrSchedule {
    /// The same rate throughout (Keras's default, the original's).
    Constant,
    /// Cosine decay from the initial rate to 1 % of it over the epochs.
    Cosine,
    /// Halve the rate when validation loss has not improved for 3 epochs.
    Plateau,
}

impl std::fmt::Display for LrSchedule {
    /// The name [`FromStr`](std::str::FromStr) reads: `constant`, `cosine` or `plateau`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LrSchedule::Constant => "constant",
            LrSchedule::Cosine => "cosine",
            LrSchedule::Plateau => "plateau",
        })
    }
}

impl std::str::FromStr for LrSchedule {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "constant" => Ok(LrSchedule::Constant),
            "cosine" => Ok(LrSchedule::Cosine),
            "plateau" => Ok(LrSchedule::Plateau),
            _ => Err(format!(
                "unknown schedule {s:?}: use constant, cosine or plateau"
            )),
        }
    }
}

/// Training settings, saved with the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Passes over the training data. Default 20 (the original's).
    pub epochs: usize,
    /// Examples per step. Default 32 (the original's).
    pub batch_size: usize,
    /// Adam's initial learning rate. Default 0.001 (the original's).
    pub learning_rate: f64,
    /// Learning-rate schedule. Default constant.
    pub schedule: LrSchedule,
    /// Weight the loss by inverse class frequency (an SVM: each one-vs-rest machine's two
    /// sides, as scikit-learn's `class_weight="balanced"`). Default false.
    pub class_weights: bool,
    /// Stop after this many epochs without a better validation loss, keeping the best
    /// weights; 0 disables early stopping. Default 0.
    pub patience: usize,
    /// Share of the training clips held out for validation: whole speakers (a speaker's
    /// augmented copies go with them), or whole clips when the table names fewer than two
    /// speakers. Default 0.1.
    pub val_fraction: f64,
    /// Seed for initialisation, shuffling, dropout and the validation hold-out. Default 42.
    pub seed: u64,
    /// Train-time augmentation of the input frames (feature-axis warp, SpecAugment masks,
    /// mixup). Default: all off. Absent in models saved before it existed (read as off).
    #[serde(default)]
    pub augment: BatchAugment,
    /// Speaker normalisation: standardise each speaker group's frames over that group's own
    /// clips ([`crate::data::normalize_speakers`]) before training, and do the same to every
    /// speaker the model is later run on ([`crate::saved::SavedModel::speaker_norm`]). Default
    /// false. Absent in models saved before it existed (read as false).
    #[serde(default)]
    pub speaker_norm: bool,
    /// Speaker-balanced weights (a [`crate::logistic`] model): every training speaker weighs the
    /// same within each class, and the classes weigh the same
    /// ([`crate::data::speaker_balanced_weights`]), so a corpus of two speakers (TESS) does not
    /// teach the model two voices' way of sounding angry. Default false. Absent in models saved
    /// before it existed (read as false).
    #[serde(default)]
    pub balance_speakers: bool,
    /// How the saved model adapts to clips given together ([`Adapt`], saved as
    /// [`crate::saved::SavedModel::adapt`]). Default `None`: chosen by what was measured
    /// ([`Adapt::auto`]). A speaker-normalised model always standardises each group and
    /// ignores it.
    #[serde(default)]
    pub adapt: Option<Adapt>,
    /// Classes trained as the emotions they merge (a [`crate::logistic`] model): each named
    /// class of the scheme is learnt as one output per emotion of its training clips (in the
    /// shared vocabulary, [`emovox_corpora::canonical_emotion`]: seed4's `unpleasant` as
    /// `angry` and `sad`), each weighing an equal share of the class, and the outputs'
    /// probabilities are summed back into it ([`crate::saved::SavedModel::outputs`]). Anger and
    /// sadness lie at the two ends of arousal: one linear class between them is wide enough to
    /// take in every voice unlike the training corpora's. Default empty. Absent in models saved
    /// before it existed (read as empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub split_classes: Vec<String>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 20,
            batch_size: 32,
            learning_rate: 1e-3,
            schedule: LrSchedule::Constant,
            class_weights: false,
            patience: 0,
            val_fraction: 0.1,
            seed: 42,
            augment: BatchAugment::default(),
            speaker_norm: false,
            balance_speakers: false,
            adapt: None,
            split_classes: Vec::new(),
        }
    }
}

/// One output of a network trained on finer classes than it reports
/// ([`TrainConfig::split_classes`], saved as [`crate::saved::SavedModel::outputs`]): the class
/// its probability adds to and the emotion it learnt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Output {
    /// Index into the model's classes.
    pub class: usize,
    /// The emotion in the shared vocabulary (`angry`), or "" for a class learnt whole.
    pub emotion: String,
}

/// How a model adapts, without labels, to clips given together as one speaker's (or one
/// recording set-up's): `emovox predict --adapt`, [`crate::saved::SavedModel::adapt_group`]. A
/// model trained with speaker normalisation ([`crate::saved::SavedModel::speaker_norm`]) always
/// standardises each group and ignores this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Adapt {
    /// Clips given together are read one at a time, as alone (the default, and what models
    /// saved before this setting existed do).
    #[default]
    None,
    /// Each feature column's mean over the group is moved to the training set's mean (the
    /// standardiser's), shrunk for small groups by [`ADAPT_PRIOR_CLIPS`]: what a speaker or a
    /// microphone adds to every clip is taken away, and the model, trained one clip at a time,
    /// reads the rest. Written by `emovox train` for models over one feature vector per clip
    /// (leave one corpus out, the bundled recipe: mean UAR 0.444 alone, 0.487 adapted per
    /// speaker; bench/MODEL_EXPERIMENTS.md).
    Mean,
    /// Each feature column's mean *and* spread over the group are moved to the training set's
    /// (the standardiser's), both shrunk for small groups by [`ADAPT_PRIOR_CLIPS`]: a speaker
    /// who varies their voice less than the training speakers, or a microphone that compresses
    /// it, is stretched back. What `emovox train` writes for a logistic model (the bundled
    /// recipe, leave one corpus out: 0.547-0.556 adapted per speaker against 0.524-0.531 by
    /// [`Adapt::Mean`]); an RBF SVM does better with [`Adapt::Mean`] (0.526 against 0.509).
    Standardize,
}

impl Adapt {
    /// The names [`FromStr`](std::str::FromStr) reads.
    pub const NAMES: [&'static str; 3] = ["none", "mean", "standardize"];

    /// The policy measured best for a model (`logistic`: whether it is a logistic regression)
    /// over one feature vector per clip (`per_clip`) or over frames, trained with or without
    /// speaker normalisation: [`Adapt::Standardize`] for a logistic regression,
    /// [`Adapt::Mean`] for other models over one vector per clip, [`Adapt::None`] for frame
    /// models (they read clips alone) and speaker-normalised models (they standardise each
    /// group anyway).
    pub fn auto(logistic: bool, per_clip: bool, speaker_norm: bool) -> Adapt {
        match (speaker_norm, per_clip, logistic) {
            (true, _, _) | (false, false, _) => Adapt::None,
            (false, true, true) => Adapt::Standardize,
            (false, true, false) => Adapt::Mean,
        }
    }
}

impl std::fmt::Display for Adapt {
    /// The name [`FromStr`](std::str::FromStr) reads: `none`, `mean` or `standardize`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Adapt::None => "none",
            Adapt::Mean => "mean",
            Adapt::Standardize => "standardize",
        })
    }
}

impl std::str::FromStr for Adapt {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "none" => Ok(Adapt::None),
            "mean" => Ok(Adapt::Mean),
            "standardize" => Ok(Adapt::Standardize),
            _ => Err(format!(
                "unknown adaptation {s:?}: use none, mean or standardize"
            )),
        }
    }
}

/// How many clips' worth of belief [`Adapt::Mean`] and [`Adapt::Standardize`] keep in the
/// training mean (and spread): a group of `n`
/// clips moves its mean `(n - 1) / (n - 1 + ADAPT_PRIOR_CLIPS)` of the way. One clip alone is
/// read as it is (its mean is the clip itself: moving it would erase it, not the speaker), a
/// few clips move it part of the way, many almost fully. Measured against the number of clips
/// seen in bench/MODEL_EXPERIMENTS.md.
pub const ADAPT_PRIOR_CLIPS: f64 = 2.0;
