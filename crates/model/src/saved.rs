//! The saved-model format: one folder with `model.json` (format version, network config, class
//! names, feature pipeline, input standardisation, training settings) and `model.bpk` (the
//! weights, burn's burnpack). Everything that runs a model loads it through [`SavedModel`], so a
//! model can never be fed features other than those it was trained on.

use std::path::Path;

use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::{activation, Device, Tensor, TensorData};
use emovox_features::PipelineConfig;
use serde::{Deserialize, Serialize};

use crate::config::TrainConfig;
pub use crate::config::{Adapt, Output, ADAPT_PRIOR_CLIPS};
use crate::data::Standardizer;
use crate::models::{Model, ModelConfig};
use crate::{Error, Result};

/// The format name in `model.json`.
pub const FORMAT: &str = "emovox-model";
/// The format version this build writes. Version 2 added the pipeline's silence trimming
/// ([`PipelineConfig::trim`]): an older emovox, which would ignore it and feed the model
/// untrimmed clips, refuses the file instead. Versions 1 and 2 are read.
pub const VERSION: u32 = 2;
/// The oldest format version this build reads.
pub const OLDEST_VERSION: u32 = 1;
/// The fewest clips given together that [`SavedModel::self_trained`] learns from.
pub const SELF_TRAIN_MIN_CLIPS: usize = 10;

/// Everything about a trained model except its weights.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedModel {
    /// The network and its hyper-parameters.
    pub model: ModelConfig,
    /// Class names, in output order.
    pub classes: Vec<String>,
    /// The feature pipeline its inputs come from.
    pub pipeline: PipelineConfig,
    /// Per-feature standardisation applied before the network, if any.
    pub standardizer: Option<Standardizer>,
    /// How it was trained.
    pub train: Option<TrainConfig>,
    /// `[frames, features]` of one input.
    pub input_shape: [usize; 2],
    /// How it adapts to clips given together ([`Adapt`]); absent in older files: `none`.
    #[serde(default)]
    pub adapt: Adapt,
    /// The network's outputs when it was trained on finer classes than it reports
    /// ([`TrainConfig::split_classes`]): [`predict`](Self::predict) sums each output's
    /// probability into its class. Empty (and absent in older files): one output per class.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<Output>,
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    format: String,
    version: u32,
    #[serde(flatten)]
    saved: serde_json::Value,
}

/// Saves `model`'s weights as burnpack.
pub fn save_weights(model: &Model, path: &Path) -> Result<()> {
    let tmp = path.with_extension("tmp");
    model
        .clone()
        .save_file(&tmp)
        .map_err(|e| Error::Record(format!("{e:?}")).in_file(path))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::from(e).in_file(path))
}

/// Loads burnpack weights into `model` (which must have the same structure).
pub fn load_weights(model: Model, path: &Path) -> Result<Model> {
    let record =
        ModuleRecord::load(path).map_err(|e| Error::Record(format!("{e:?}")).in_file(path))?;
    model
        .try_load_record(record)
        .map_err(|e| Error::Record(format!("{e:?}")).in_file(path))
}

impl SavedModel {
    /// Writes `dir/model.json` and `dir/model.bpk`.
    pub fn save(&self, dir: &Path, model: &Model) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| Error::from(e).in_file(dir))?;
        save_weights(model, &dir.join("model.bpk"))?;
        let env = Envelope {
            format: FORMAT.into(),
            version: VERSION,
            saved: serde_json::to_value(self).map_err(|e| Error::Config(e.to_string()))?,
        };
        let json = serde_json::to_string_pretty(&env).map_err(|e| Error::Config(e.to_string()))?;
        let path = dir.join("model.json");
        std::fs::write(&path, json).map_err(|e| Error::from(e).in_file(&path))
    }

    /// Reads `dir/model.json` (checking format and version) and its weights, on the CPU.
    pub fn load(dir: &Path) -> Result<(SavedModel, Model)> {
        let path = dir.join("model.json");
        let text = std::fs::read_to_string(&path).map_err(|e| Error::from(e).in_file(&path))?;
        let saved = Self::parse(&text).map_err(|e| e.in_file(&path))?;
        let model = saved.model.init(&Device::flex());
        let model = load_weights(model, &dir.join("model.bpk"))?;
        Ok((saved, model))
    }

    /// Like [`load`](Self::load), from the contents of `model.json` and `model.bpk` in memory
    /// (for a model embedded in a binary with `include_bytes!`).
    pub fn from_bytes(json: &[u8], weights: &[u8]) -> Result<(SavedModel, Model)> {
        let text = std::str::from_utf8(json)
            .map_err(|e| Error::Config(format!("model.json is not UTF-8: {e}")))?;
        let saved = Self::parse(text)?;
        let record =
            ModuleRecord::from_bytes(burn::tensor::Bytes::from_bytes_vec(weights.to_vec()))
                .map_err(|e| Error::Record(format!("model weights: {e:?}")))?;
        let model = saved
            .model
            .init(&Device::flex())
            .try_load_record(record)
            .map_err(|e| Error::Record(format!("model weights: {e:?}")))?;
        Ok((saved, model))
    }

    /// Parses and checks a `model.json`.
    fn parse(text: &str) -> Result<SavedModel> {
        let env: Envelope = serde_json::from_str(text)
            .map_err(|e| Error::Config(format!("not an emovox model.json: {e}")))?;
        if env.format != FORMAT {
            return Err(Error::Config(format!(
                "format is {:?}, expected {FORMAT:?}",
                env.format
            )));
        }
        if !(OLDEST_VERSION..=VERSION).contains(&env.version) {
            return Err(Error::Config(format!(
                "model format version {} is not supported (this emovox reads versions \
                 {OLDEST_VERSION} to {VERSION})",
                env.version
            )));
        }
        let saved: SavedModel =
            serde_json::from_value(env.saved).map_err(|e| Error::Config(e.to_string()))?;
        saved.model.check().map_err(Error::Config)?;
        let [f, c] = saved.input_shape;
        if saved.classes.is_empty()
            || f == 0
            || c != saved.pipeline.n_columns()
            || saved.pipeline.frames.is_some_and(|n| n != f)
        {
            return Err(Error::Config(format!(
                "inconsistent model: {} classes, input {f}x{c}, pipeline gives {} columns",
                saved.classes.len(),
                saved.pipeline.n_columns()
            )));
        }
        if !saved.outputs.is_empty() {
            let k = saved.classes.len();
            let mut seen = vec![false; k];
            for o in &saved.outputs {
                match seen.get_mut(o.class) {
                    Some(s) => *s = true,
                    None => {
                        return Err(Error::Config(format!(
                            "inconsistent model: output {:?} adds to class {} of {k}",
                            o.emotion, o.class
                        )))
                    }
                }
            }
            if let Some(c) = seen.iter().position(|s| !s) {
                return Err(Error::Config(format!(
                    "inconsistent model: no output adds to class {:?}",
                    saved.classes[c]
                )));
            }
        }
        Ok(saved)
    }

    /// How many outputs the network has: one per class, or one per [`Output`] of a model
    /// trained on finer classes.
    pub fn n_outputs(&self) -> usize {
        if self.outputs.is_empty() {
            self.classes.len()
        } else {
            self.outputs.len()
        }
    }

    /// Whether the model reads speaker-normalised inputs ([`TrainConfig::speaker_norm`]): its
    /// inputs must go through [`crate::data::normalize_group`] per speaker (all of one
    /// speaker's clips together; a single clip alone) before [`predict`](Self::predict).
    pub fn speaker_norm(&self) -> bool {
        self.train.as_ref().is_some_and(|t| t.speaker_norm)
    }

    /// Prepares `x` (inputs `[n, frames, features]`, row-major, raw features) for
    /// [`predict`](Self::predict), in place: the one place where a model's adaptation policy is
    /// applied, so every front end (CLI, web, Python, Spark, evaluation) does the same. With
    /// `together`, the inputs are one speaker's (or one set-up's) clips: a speaker-normalised
    /// model standardises them over the group, an [`Adapt::Mean`] model re-centres them on the
    /// training mean, an [`Adapt::Standardize`] model moves their mean and spread to the
    /// training set's.
    /// Without it, a speaker-normalised model standardises each input alone, and other models
    /// read the inputs as they are.
    pub fn adapt_group(&self, x: &mut [f32], together: bool) {
        let [f, c] = self.input_shape;
        let stride = (f * c).max(1);
        if self.speaker_norm() {
            if together {
                crate::data::normalize_group(x, c);
            } else {
                for clip in x.chunks_exact_mut(stride) {
                    crate::data::normalize_group(clip, c);
                }
            }
        } else if together && self.adapt != Adapt::None {
            if let Some(s) = &self.standardizer {
                let seen = (x.len() / stride).saturating_sub(1) as f64;
                let weight = seen / (seen + ADAPT_PRIOR_CLIPS);
                match self.adapt {
                    Adapt::Mean => crate::data::recenter_group(x, c, &s.mean, weight),
                    Adapt::Standardize => crate::data::rescale_group(x, c, &s.mean, &s.std, weight),
                    Adapt::None => {}
                }
            }
        }
    }

    /// Self-training on clips given together (`emovox predict --adapt --self-train`): the
    /// model refitted on the surest of its own predictions for `x` ([`crate::svm::self_train`]:
    /// with its support vectors; [`crate::logistic::self_train`]: pulled toward its trained
    /// weights). `x` are the group's inputs (`[n, frames, features]`,
    /// row-major, raw features) after [`adapt_group`](Self::adapt_group); predict them with
    /// the model returned. `None` for a group of fewer than [`SELF_TRAIN_MIN_CLIPS`] clips,
    /// too few to learn from (read them with the model as it is). An SVM fit: about a second
    /// per thousand support vectors on 2 cores, so for batches, not single requests; a
    /// logistic refit takes milliseconds.
    ///
    /// An error for a model other than an SVM or a logistic regression, or an SVM saved
    /// without its support vectors' classes.
    pub fn self_trained(&self, model: &Model, x: &[f32]) -> Result<Option<Model>> {
        self.can_self_train()?;
        let [f, c] = self.input_shape;
        if x.len() / (f * c).max(1) < SELF_TRAIN_MIN_CLIPS {
            return Ok(None);
        }
        let mut xs = x.to_vec();
        if let Some(s) = &self.standardizer {
            s.apply(&mut xs);
        }
        let balanced = self.train.as_ref().is_some_and(|t| t.class_weights);
        match (model, &self.model) {
            (Model::Svm(svm), ModelConfig::Svm(cfg)) => {
                let (_, refit) = crate::svm::self_train(svm, cfg, &xs, balanced, &Device::flex())?;
                Ok(Some(Model::Svm(refit)))
            }
            (Model::Logistic(m), ModelConfig::Logistic(cfg)) => {
                let refit = crate::logistic::self_train(m, cfg, &xs, balanced, &Device::flex())?;
                Ok(Some(Model::Logistic(refit)))
            }
            _ => Err(Error::Data(format!(
                "self-training needs an svm or logistic model; these weights are not one ({})",
                self.model.name()
            ))),
        }
    }

    /// Whether [`self_trained`](Self::self_trained) can refit this model: an error naming the
    /// reason for a model other than an SVM or a logistic regression, or an SVM saved without
    /// its support vectors' classes (by an emovox before self-training).
    pub fn can_self_train(&self) -> Result<()> {
        match &self.model {
            ModelConfig::Svm(c) if c.has_support_labels() => Ok(()),
            ModelConfig::Logistic(_) => Ok(()),
            ModelConfig::Svm(_) => Err(Error::Data(
                "this svm model was saved without its support vectors' classes (by an older \
                 emovox) and cannot self-train; retrain it with `emovox train`"
                    .into(),
            )),
            m => Err(Error::Data(format!(
                "self-training refits an svm or logistic model; this one is {}",
                m.name()
            ))),
        }
    }

    /// [`adapt_group`](Self::adapt_group) over each speaker group of `d` ([`crate::data::Dataset::groups`]),
    /// together: what `emovox evaluate --adapt` and leave-one-corpus-out scoring use. With
    /// `clips`, each speaker's clips are adapted in random groups of that many (how adaptation
    /// does after a speaker's first few recordings); `None`: all of them at once.
    pub fn adapt_speakers(&self, d: &mut crate::data::Dataset, clips: Option<usize>) {
        crate::data::for_each_group_of(d, clips, |xs| self.adapt_group(xs, true));
    }

    /// Class probabilities for `n` inputs (`x` is `[n, frames, features]` row-major).
    pub fn predict(&self, model: &Model, x: &[f32], n: usize) -> Result<Vec<Vec<f32>>> {
        let [f, c] = self.input_shape;
        if x.len() != n * f * c {
            return Err(Error::Data(format!(
                "{} values for {n} inputs of {f}x{c}",
                x.len()
            )));
        }
        if n == 0 {
            return Ok(Vec::new());
        }
        let mut x = x.to_vec();
        if let Some(s) = &self.standardizer {
            s.apply(&mut x);
        }
        let t = Tensor::<3>::from_data(TensorData::new(x, [n, f, c]), &Device::flex());
        let probs = activation::softmax(model.forward(t), 1);
        let v = probs
            .into_data()
            .try_to_vec::<f32>()
            .map_err(|e| Error::Data(format!("{e:?}")))?;
        let rows = v.chunks(self.n_outputs().max(1));
        if self.outputs.is_empty() {
            return Ok(rows.map(<[f32]>::to_vec).collect());
        }
        Ok(rows
            .map(|r| {
                let mut p = vec![0f32; self.classes.len()];
                for (o, &q) in self.outputs.iter().zip(r) {
                    p[o.class] += q;
                }
                p
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::ModelConfig;

    fn saved(model: ModelConfig) -> SavedModel {
        SavedModel {
            model,
            classes: vec!["a".into(), "b".into(), "c".into()],
            pipeline: PipelineConfig {
                n_mfcc: 5,
                frames: Some(10),
                ..PipelineConfig::seed()
            },
            standardizer: None,
            train: None,
            input_shape: [10, 5],
            adapt: Adapt::None,
            outputs: Vec::new(),
        }
    }

    #[test]
    fn save_load_round_trips_bit_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = ModelConfig::named("lstm-seed", 5, 3).unwrap();
        let device = Device::flex();
        device.seed(3);
        let model = cfg.init(&device);
        let s = saved(cfg);
        s.save(dir.path(), &model).unwrap();
        let (back, loaded) = SavedModel::load(dir.path()).unwrap();
        assert_eq!(back.classes, s.classes);
        let x: Vec<f32> = (0..2 * 50).map(|i| (i as f32 * 0.37).sin()).collect();
        let p1 = s.predict(&model, &x, 2).unwrap();
        let p2 = back.predict(&loaded, &x, 2).unwrap();
        assert_eq!(p1, p2, "identical weights give identical probabilities");
        let json = std::fs::read(dir.path().join("model.json")).unwrap();
        let bpk = std::fs::read(dir.path().join("model.bpk")).unwrap();
        let (mem, mem_model) = SavedModel::from_bytes(&json, &bpk).unwrap();
        assert_eq!(
            mem.predict(&mem_model, &x, 2).unwrap(),
            p1,
            "in-memory load is identical"
        );
        let w1 = crate::models::flat_params(&model);
        let w2 = crate::models::flat_params(&loaded);
        assert_eq!(w1.len(), 126_532 - 13 * 512 + 5 * 512 - 4 * 65 + 3 * 65);
        assert!(w1.iter().zip(&w2).all(|(a, b)| a.to_bits() == b.to_bits()));
    }

    #[test]
    fn the_adaptation_policy_is_saved_and_older_files_read_as_none() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = ModelConfig::named("lstm-seed", 5, 3).unwrap();
        let model = cfg.init(&Device::flex());
        let mut s = saved(cfg);
        s.adapt = Adapt::Mean;
        s.save(dir.path(), &model).unwrap();
        let text = std::fs::read_to_string(dir.path().join("model.json")).unwrap();
        assert!(text.contains("\"adapt\": \"mean\""), "{text}");
        assert_eq!(SavedModel::parse(&text).unwrap().adapt, Adapt::Mean);
        // A model.json written before the field existed (this version's otherwise).
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v.as_object_mut().unwrap().remove("adapt");
        let old = SavedModel::parse(&v.to_string()).unwrap();
        assert_eq!(old.adapt, Adapt::None);
    }

    #[test]
    fn standardize_adaptation_moves_a_group_to_the_training_moments_and_leaves_one_clip() {
        let mut s = saved(ModelConfig::named("logistic", 2, 3).unwrap());
        s.input_shape = [1, 2];
        s.pipeline = "utterance".parse().unwrap();
        s.input_shape = [1, s.pipeline.n_columns()];
        let c = s.input_shape[1];
        s.standardizer = Some(Standardizer {
            mean: vec![1.0; c],
            std: vec![2.0; c],
        });
        s.adapt = Adapt::Standardize;
        // One clip given together is read as it is.
        let one: Vec<f32> = (0..c).map(|j| j as f32).collect();
        let mut x = one.clone();
        s.adapt_group(&mut x, true);
        assert_eq!(x, one);
        // 41 clips: weight 40 / 42 on the group's moments (mean 5, small spread), the rest
        // on the training set's (mean 1, std 2).
        let n = 41;
        let mut x: Vec<f32> = (0..n)
            .flat_map(|i| {
                let v = 5.0 + 0.1 * (i as f32 - 20.0) / 20.0;
                std::iter::repeat_n(v, c)
            })
            .collect();
        let alone = x.clone();
        s.adapt_group(&mut x, false);
        assert_eq!(x, alone, "clips read alone are not adapted");
        s.adapt_group(&mut x, true);
        let col: Vec<f64> = x.chunks(c).map(|r| r[0] as f64).collect();
        let m = col.iter().sum::<f64>() / n as f64;
        let sd = (col.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n as f64).sqrt();
        let g: Vec<f64> = alone.chunks(c).map(|r| r[0] as f64).collect();
        let gm = g.iter().sum::<f64>() / n as f64;
        let gv = g.iter().map(|v| (v - gm) * (v - gm)).sum::<f64>() / n as f64;
        let w = 40.0 / 42.0;
        let (m2, s2) = (w * gm + (1.0 - w), (w * gv + (1.0 - w) * 4.0).sqrt());
        assert!((m - ((gm - m2) * 2.0 / s2 + 1.0)).abs() < 1e-4, "mean {m}");
        assert!((sd - (gv.sqrt() * 2.0 / s2)).abs() < 1e-4, "spread {sd}");
        assert!(sd > 3.0 * gv.sqrt(), "a narrow group is stretched: {sd}");
        assert_eq!(
            "standardize".parse::<Adapt>().unwrap().to_string(),
            "standardize"
        );
        assert!("zscore".parse::<Adapt>().is_err());
        assert_eq!(Adapt::auto(true, true, false), Adapt::Standardize);
        assert_eq!(Adapt::auto(false, true, false), Adapt::Mean);
        assert_eq!(Adapt::auto(true, false, false), Adapt::None);
        assert_eq!(Adapt::auto(true, true, true), Adapt::None);
    }

    /// Issue 17: a hand-edited `model.json` with `"utterance_norm": "z"` or empty `channels`
    /// panicked in `emovox predict -m`, `serve -m` and Python (`SavedModel::parse` did not check
    /// the network config, and `cnn_attn.rs` asserted).
    #[test]
    fn r17_hand_edited_network_config_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = ModelConfig::named("cnn-attn:channels=4+6,kernels=3+3,dense=5", 5, 3).unwrap();
        let model = cfg.init(&Device::flex());
        saved(cfg).save(dir.path(), &model).unwrap();
        let text = std::fs::read_to_string(dir.path().join("model.json")).unwrap();
        /// Sets `key` wherever it occurs in `v`.
        fn set(v: &mut serde_json::Value, key: &str, to: &serde_json::Value) {
            match v {
                serde_json::Value::Object(o) => {
                    for (k, x) in o.iter_mut() {
                        if k == key {
                            *x = to.clone();
                        } else {
                            set(x, key, to);
                        }
                    }
                }
                serde_json::Value::Array(a) => a.iter_mut().for_each(|x| set(x, key, to)),
                _ => {}
            }
        }
        for (key, to) in [
            ("utterance_norm", serde_json::json!("z")),
            ("channels", serde_json::json!([])),
            ("dropout", serde_json::json!(1.5)),
        ] {
            let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
            set(&mut v, key, &to);
            let bad = v.to_string();
            assert_ne!(
                bad,
                serde_json::from_str::<serde_json::Value>(&text)
                    .unwrap()
                    .to_string()
            );
            let e = SavedModel::parse(&bad).map(|_| ()).unwrap_err().to_string();
            assert!(e.contains(key), "{e}");
            std::fs::write(dir.path().join("model.json"), &bad).unwrap();
            assert!(SavedModel::load(dir.path()).is_err());
        }
    }

    #[test]
    fn unknown_versions_and_corrupt_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = ModelConfig::named("lstm-seed", 5, 3).unwrap();
        let model = cfg.init(&Device::flex());
        saved(cfg).save(dir.path(), &model).unwrap();
        let json = dir.path().join("model.json");
        let text = std::fs::read_to_string(&json).unwrap();
        std::fs::write(&json, text.replace("\"version\": 2", "\"version\": 99")).unwrap();
        let e = SavedModel::load(dir.path()).unwrap_err().to_string();
        assert!(e.contains("version 99") && e.contains("model.json"), "{e}");
        // Version 1 (before trimming existed) still loads.
        std::fs::write(&json, text.replace("\"version\": 2", "\"version\": 1")).unwrap();
        assert!(SavedModel::load(dir.path()).is_ok());
        std::fs::write(&json, &text).unwrap();
        std::fs::write(dir.path().join("model.bpk"), b"not weights").unwrap();
        let e = SavedModel::load(dir.path()).unwrap_err().to_string();
        assert!(e.contains("model.bpk"), "{e}");
        let bpk = std::fs::read(dir.path().join("model.bpk")).unwrap();
        let e = SavedModel::from_bytes(text.as_bytes(), &bpk)
            .unwrap_err()
            .to_string();
        assert!(e.contains("model weights"), "{e}");
        std::fs::write(&json, "{").unwrap();
        assert!(SavedModel::load(dir.path())
            .unwrap_err()
            .to_string()
            .contains("not an emovox model.json"));
    }

    #[test]
    fn only_a_logistic_or_an_svm_saved_with_its_support_labels_can_self_train() {
        let mut s = saved(ModelConfig::named("lstm-seed", 5, 3).unwrap());
        let e = s.can_self_train().unwrap_err().to_string();
        assert!(e.contains("refits an svm or logistic model"), "{e}");
        s.model = ModelConfig::named("logistic", 5, 3).unwrap();
        assert!(s.can_self_train().is_ok());
        let mut svm = crate::svm::SvmConfig::new()
            .with_n_features(4)
            .with_n_classes(3);
        svm.n_support = 2;
        s.model = ModelConfig::Svm(svm.clone());
        let e = s.can_self_train().unwrap_err().to_string();
        assert!(e.contains("retrain it"), "{e}");
        svm.support_labels = vec![0, 2];
        s.model = ModelConfig::Svm(svm);
        assert!(s.can_self_train().is_ok());
    }

    #[test]
    fn a_model_trained_on_split_classes_sums_their_outputs_and_saves_them() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = saved(ModelConfig::named("logistic", 1, 3).unwrap());
        s.pipeline = "utterance".parse().unwrap();
        let c = s.pipeline.n_columns();
        s.input_shape = [1, c];
        s.model = ModelConfig::named("logistic", c, 3).unwrap();
        s.classes = vec!["happy".into(), "unpleasant".into()];
        s.outputs = [(0, ""), (1, "angry"), (1, "sad")]
            .map(|(class, e)| Output {
                class,
                emotion: e.into(),
            })
            .to_vec();
        // A new model's weights are zero: its three outputs are equally likely, and
        // unpleasant has two of them.
        let model = s.model.init(&Device::flex());
        let p = s.predict(&model, &vec![0.5; 2 * c], 2).unwrap();
        for row in &p {
            assert_eq!(row.len(), 2);
            assert!((row[0] - 1.0 / 3.0).abs() < 1e-6 && (row[1] - 2.0 / 3.0).abs() < 1e-6);
        }
        s.save(dir.path(), &model).unwrap();
        let (back, _) = SavedModel::load(dir.path()).unwrap();
        assert_eq!(back.outputs, s.outputs);
        // An output adding to a class the model does not have, or a class no output adds to,
        // is an inconsistent file.
        let text = std::fs::read_to_string(dir.path().join("model.json")).unwrap();
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v["outputs"][2]["class"] = 5.into();
        let e = SavedModel::parse(&v.to_string()).unwrap_err().to_string();
        assert!(e.contains("adds to class 5 of 2"), "{e}");
        v["outputs"][0]["class"] = 1.into();
        v["outputs"][2]["class"] = 1.into();
        let e = SavedModel::parse(&v.to_string()).unwrap_err().to_string();
        assert!(e.contains("no output adds to class \"happy\""), "{e}");
        // A model saved before the field existed has one output per class.
        let plain = saved(ModelConfig::named("lstm-seed", 5, 3).unwrap());
        assert!(plain.outputs.is_empty() && plain.n_outputs() == 3);
    }
}
