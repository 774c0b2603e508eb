//! Every model emovox trains, behind one config enum saved with the weights.

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::cnn_attn::{CnnAttn, CnnAttnConfig};
use crate::logistic::{Logistic, LogisticConfig};
use crate::lstm_seed::{LstmSeed, LstmSeedConfig};
use crate::svm::{Svm, SvmConfig};
use crate::{Error, Result};

/// Which network, with its hyper-parameters. Serialised (as JSON, tagged by `kind`) into every
/// saved model, so a model is always rebuilt exactly as it was trained.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ModelConfig {
    /// The original project's Keras network: LSTM(128) -> LSTM(64) -> Dense(64, relu) ->
    /// Dropout(0.3) -> Dense(classes); 126,532 parameters for 13 inputs and 4 classes.
    LstmSeed(LstmSeedConfig),
    /// A compact 1-D CNN over standardised frames (conv/BatchNorm/ReLU blocks) with attention
    /// and max pooling over time; about 100k parameters for 39 inputs and 4 classes.
    CnnAttn(CnnAttnConfig),
    /// An RBF support vector classifier (one-vs-rest) over one standardised feature vector per
    /// clip, such as the `logmel-stats` pipeline's; fitted by SMO, not by gradient descent.
    Svm(SvmConfig),
    /// Multinomial logistic regression over one standardised feature vector per clip,
    /// L2-regularised, fitted exactly (L-BFGS).
    Logistic(LogisticConfig),
}

impl ModelConfig {
    /// The names accepted by [`ModelConfig::named`].
    pub const NAMES: [&'static str; 4] = ["lstm-seed", "cnn-attn", "svm", "logistic"];

    /// A model by name, for `n_features` inputs per frame and `n_classes` classes. `cnn-attn`,
    /// `svm` and `logistic` take overrides after a colon (see [`CnnAttnConfig::with_overrides`],
    /// [`SvmConfig::with_overrides`], [`LogisticConfig::with_overrides`]). An unknown name or a bad override is an
    /// [`Error::Config`] that says which and why.
    pub fn named(name: &str, n_features: usize, n_classes: usize) -> Result<Self> {
        let bad = |why: String| Error::Config(format!("model {name:?}: {why}"));
        if let Some(spec) = name.strip_prefix("cnn-attn:") {
            return CnnAttnConfig::new()
                .with_n_features(n_features)
                .with_n_classes(n_classes)
                .with_overrides(spec)
                .map(ModelConfig::CnnAttn)
                .map_err(bad);
        }
        if let Some(spec) = name.strip_prefix("svm:") {
            return SvmConfig::new()
                .with_n_features(n_features)
                .with_n_classes(n_classes)
                .with_overrides(spec)
                .map(ModelConfig::Svm)
                .map_err(bad);
        }
        if let Some(spec) = name.strip_prefix("logistic:") {
            return LogisticConfig::new()
                .with_n_features(n_features)
                .with_n_classes(n_classes)
                .with_overrides(spec)
                .map(ModelConfig::Logistic)
                .map_err(bad);
        }
        match name {
            "logistic" => Ok(ModelConfig::Logistic(
                LogisticConfig::new()
                    .with_n_features(n_features)
                    .with_n_classes(n_classes),
            )),
            "lstm-seed" => Ok(ModelConfig::LstmSeed(
                LstmSeedConfig::new()
                    .with_n_features(n_features)
                    .with_n_classes(n_classes),
            )),
            "cnn-attn" => Ok(ModelConfig::CnnAttn(
                CnnAttnConfig::new()
                    .with_n_features(n_features)
                    .with_n_classes(n_classes),
            )),
            "svm" => Ok(ModelConfig::Svm(
                SvmConfig::new()
                    .with_n_features(n_features)
                    .with_n_classes(n_classes),
            )),
            _ => Err(bad(format!(
                "unknown model; known: {}",
                ModelConfig::NAMES.join(", ")
            ))),
        }
    }

    /// The model's name.
    pub fn name(&self) -> &'static str {
        match self {
            ModelConfig::LstmSeed(_) => "lstm-seed",
            ModelConfig::CnnAttn(_) => "cnn-attn",
            ModelConfig::Svm(_) => "svm",
            ModelConfig::Logistic(_) => "logistic",
        }
    }

    /// Whether inputs are standardised per feature before the network (fitted on training
    /// data and saved with the model). The seed model reads raw MFCCs, as the original did.
    pub fn standardize(&self) -> bool {
        match self {
            ModelConfig::LstmSeed(_) => false,
            ModelConfig::CnnAttn(_) | ModelConfig::Svm(_) | ModelConfig::Logistic(_) => true,
        }
    }

    /// Checks the settings [`init`](Self::init) relies on (a cnn-attn's block lists, sizes and
    /// normalisation), so that a hand-edited `model.json` is an error, not a panic.
    pub fn check(&self) -> Result<(), String> {
        match self {
            ModelConfig::CnnAttn(c) => c.check(),
            ModelConfig::Svm(c) => c.check(),
            ModelConfig::Logistic(c) => c.check(),
            ModelConfig::LstmSeed(_) => Ok(()),
        }
    }

    /// Builds the network with fresh weights on `device`.
    pub fn init(&self, device: &Device) -> Model {
        match self {
            ModelConfig::LstmSeed(c) => Model::LstmSeed(c.init(device)),
            ModelConfig::CnnAttn(c) => Model::CnnAttn(c.init(device)),
            ModelConfig::Svm(c) => Model::Svm(c.init(device)),
            ModelConfig::Logistic(c) => Model::Logistic(c.init(device)),
        }
    }
}

/// A network built from a [`ModelConfig`].
#[derive(Module, Debug)]
pub enum Model {
    /// See [`ModelConfig::LstmSeed`].
    LstmSeed(LstmSeed),
    /// See [`ModelConfig::CnnAttn`].
    CnnAttn(CnnAttn),
    /// See [`ModelConfig::Svm`].
    Svm(Svm),
    /// See [`ModelConfig::Logistic`].
    Logistic(Logistic),
}

impl Model {
    /// `x: [batch, frames, features]` -> logits `[batch, classes]`.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<2> {
        match self {
            Model::LstmSeed(m) => m.forward(x),
            Model::CnnAttn(m) => m.forward(x),
            Model::Svm(m) => m.forward(x),
            Model::Logistic(m) => m.forward(x),
        }
    }

    /// Number of trainable scalars.
    pub fn parameters(&self) -> usize {
        self.num_params()
    }

    /// The weights of the first layer that reads the inputs, flattened (for the weight
    /// histogram of an evaluation): the first LSTM's input kernel, the first convolution's
    /// kernel, an SVM's dual coefficients (it has no layers), a logistic regression's weights.
    /// Empty for burn's stock LSTM.
    pub fn first_layer_weights(&self) -> Vec<f32> {
        fn values<const D: usize>(p: &burn::module::Param<Tensor<D>>) -> Vec<f32> {
            p.val().into_data().try_to_vec::<f32>().unwrap_or_default()
        }
        match self {
            Model::LstmSeed(m) => match &m.lstm1 {
                crate::lstm_seed::Recurrent::Fused(l) => values(&l.kernel),
                crate::lstm_seed::Recurrent::Stock(_) => Vec::new(),
            },
            Model::CnnAttn(m) => values(&m.blocks[0].conv.weight),
            Model::Svm(m) => values(&m.coef),
            Model::Logistic(m) => values(&m.weight),
        }
    }
}

/// Every parameter of `model` flattened, in visiting order (for tests and weight plots).
pub fn flat_params(model: &Model) -> Vec<f32> {
    use burn::module::{ModuleVisitor, Param};
    struct Collect(Vec<f32>);
    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if let Ok(v) = param.val().into_data().try_to_vec::<f32>() {
                self.0.extend(v);
            }
        }
    }
    let mut c = Collect(Vec::new());
    model.visit(&mut c);
    c.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lstm_seed_has_the_keras_parameter_count() {
        let m = ModelConfig::named("lstm-seed", 13, 4)
            .unwrap()
            .init(&Device::flex());
        assert_eq!(m.parameters(), 126_532);
        assert_eq!(flat_params(&m).len(), 126_532);
        let e = ModelConfig::named("transformer", 13, 4)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("unknown model") && e.contains("lstm-seed"),
            "{e}"
        );
    }

    #[test]
    fn cnn_attn_is_compact_and_maps_frames_to_logits() {
        let device = Device::flex();
        for (features, classes) in [(39, 4), (13, 8), (64, 8)] {
            let cfg = ModelConfig::named("cnn-attn", features, classes).unwrap();
            assert!(cfg.standardize());
            let m = cfg.init(&device);
            assert!(m.parameters() <= 150_000, "{} parameters", m.parameters());
            let x = Tensor::<3>::zeros([3, 100, features], &device);
            assert_eq!(m.forward(x).dims(), [3, classes]);
        }
        // Odd frame counts survive the pooling too.
        let m = ModelConfig::named("cnn-attn", 39, 4).unwrap().init(&device);
        assert_eq!(
            m.forward(Tensor::<3>::zeros([2, 37, 39], &device)).dims(),
            [2, 4]
        );
        let cfg = ModelConfig::named(
            "cnn-attn:utterance_norm=meanstd,channels=32+48,kernels=3+3",
            39,
            4,
        );
        let m = cfg.unwrap().init(&device);
        assert_eq!(
            m.forward(Tensor::<3>::ones([2, 20, 39], &device)).dims(),
            [2, 4]
        );
        assert!(ModelConfig::named("cnn-attn:channels=32", 39, 4).is_err());
        assert!(ModelConfig::named("cnn-attn:depth=3", 39, 4).is_err());
    }

    /// Issue 17: `-m cnn-attn:dropout=x` said "unknown model"; the reason is now kept.
    #[test]
    fn r17_a_bad_model_override_says_why_not_unknown_model() {
        let e = ModelConfig::named("cnn-attn:dropout=x", 39, 4)
            .unwrap_err()
            .to_string();
        assert!(e.contains("dropout") && !e.contains("unknown model"), "{e}");
        let e = ModelConfig::named("svm:c=-1", 39, 4)
            .unwrap_err()
            .to_string();
        assert!(e.contains("svm:c=-1"), "{e}");
    }
}
