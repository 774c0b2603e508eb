//! The training loop: shuffled mini-batches, Adam, optional class weighting, validation each
//! epoch, a learning-rate schedule, early stopping, a checkpoint every epoch and resuming from
//! it, and `history.csv`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Int, Tensor, TensorData};
use emovox_features::PipelineConfig;
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use serde::{Deserialize, Serialize};

use crate::augment::Mixed;
use crate::config::Adapt;
pub use crate::config::{LrSchedule, TrainConfig};
use crate::data::{normalize_speakers, shuffle, Dataset, Standardizer};
use crate::models::{Model, ModelConfig};
use crate::saved::SavedModel;
use crate::{Error, Result};

/// One epoch's numbers, as written to `history.csv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochStats {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean training loss.
    pub loss: f64,
    /// Training accuracy (with dropout active, as Keras reports it).
    pub accuracy: f64,
    /// Validation loss (NaN without validation data).
    pub val_loss: f64,
    /// Validation accuracy (NaN without validation data).
    pub val_accuracy: f64,
    /// Learning rate used.
    pub lr: f64,
    /// Wall seconds of the epoch (training steps only).
    pub seconds: f64,
}

/// What is saved after every epoch so an interrupted run can resume.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct State {
    epoch: usize,
    lr: f64,
    best_val_loss: f64,
    best_epoch: usize,
    since_best: usize,
    history: Vec<EpochStats>,
}

/// Progress callbacks, for progress bars.
pub trait Progress {
    /// An epoch of `steps` steps starts.
    fn epoch_start(&mut self, _epoch: usize, _steps: usize) {}
    /// A step finished with this running loss and accuracy.
    fn step(&mut self, _loss: f64, _accuracy: f64) {}
    /// An epoch finished.
    fn epoch_end(&mut self, _stats: &EpochStats) {}
}

/// No progress output.
pub struct Quiet;
impl Progress for Quiet {}

/// A training run writing into `dir`: `model.json` + `model.bpk` (the best weights),
/// `history.csv`, and `checkpoint/` (the last epoch's weights, optimiser and state).
pub struct Trainer {
    dir: PathBuf,
    model: ModelConfig,
    train: TrainConfig,
    pipeline: PipelineConfig,
    classes: Vec<String>,
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| Error::from(e).in_file(&tmp))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::from(e).in_file(path))
}

fn accuracy(logits: &Tensor<2>, y: &Tensor<1, Int>) -> usize {
    let n = y.dims()[0];
    let pred = logits.clone().argmax(1).reshape([n]);
    pred.equal(y.clone()).int().sum().into_scalar::<i64>() as usize
}

/// Splits example indices into train and validation, holding out whole speakers (seeded): the
/// first speakers of a shuffled list until they hold `fraction` of the clips. Validation on
/// clips of the training speakers rewards memorising voices (issue 16: val_acc 0.88 on EMOVO
/// while its held-out speakers scored 0.26), so early stopping and the best epoch must be chosen
/// on voices the model has not trained on. A speaker is `corpus/speaker` (augmented copies go
/// with their speaker). Without at least two known speakers, whole clips are held out instead
/// (a clip's augmented copies go with it).
fn hold_out(d: &Dataset, fraction: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    if fraction <= 0.0 {
        return ((0..d.len()).collect(), Vec::new());
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_0f_7a11);
    // Speaker of each example: the group without its augmentation ("corpus/speaker").
    let speaker_of = |i: usize| -> Option<&str> {
        let g = d.groups.get(i)?;
        let (head, _augment) = g.rsplit_once('/')?;
        let (_corpus, speaker) = head.split_once('/')?;
        (!speaker.is_empty()).then_some(head)
    };
    let mut clips_of: std::collections::BTreeMap<&str, std::collections::BTreeSet<&PathBuf>> =
        Default::default();
    let mut unknown = false;
    for i in 0..d.len() {
        match speaker_of(i) {
            Some(s) => {
                clips_of.entry(s).or_default().insert(&d.paths[i]);
            }
            None => unknown = true,
        }
    }
    if !unknown && clips_of.len() >= 2 {
        let total: usize = clips_of.values().map(|c| c.len()).sum();
        let mut speakers: Vec<&str> = clips_of.keys().copied().collect();
        shuffle(&mut speakers, &mut rng);
        let want = ((total as f64) * fraction).round().max(1.0) as usize;
        let mut val = std::collections::BTreeSet::new();
        let mut held = 0;
        // Never all of them: at least one speaker stays to train on.
        for s in &speakers[..speakers.len() - 1] {
            if held >= want {
                break;
            }
            held += clips_of[s].len();
            val.insert(*s);
        }
        return (0..d.len()).partition(|&i| !speaker_of(i).is_some_and(|s| val.contains(s)));
    }
    let mut clips: Vec<&PathBuf> = d.paths.iter().collect();
    clips.sort();
    clips.dedup();
    shuffle(&mut clips, &mut rng);
    let n_val = ((clips.len() as f64) * fraction).round() as usize;
    let val: std::collections::BTreeSet<&PathBuf> = clips.into_iter().take(n_val).collect();
    (0..d.len()).partition(|&i| !val.contains(&d.paths[i]))
}

impl Trainer {
    /// A run of `model` on features made by `pipeline`, predicting `classes`, into `dir`.
    pub fn new(
        dir: &Path,
        model: ModelConfig,
        train: TrainConfig,
        pipeline: PipelineConfig,
        classes: Vec<String>,
    ) -> Self {
        Trainer {
            dir: dir.to_path_buf(),
            model,
            train,
            pipeline,
            classes,
        }
    }

    /// Trains on `data` (the training split; a [`TrainConfig::val_fraction`] of its clips is
    /// held out for validation). With `resume`, continues from the run's last checkpoint.
    /// Returns the history; the best model is in `dir`.
    pub fn run(
        &self,
        data: &Dataset,
        resume: bool,
        progress: &mut dyn Progress,
    ) -> Result<Vec<EpochStats>> {
        let cfg = &self.train;
        if data.is_empty() {
            return Err(Error::Data("no training examples".into()));
        }
        if cfg.batch_size == 0 || cfg.epochs == 0 {
            return Err(Error::Config(
                "epochs and batch size must be at least 1".into(),
            ));
        }
        cfg.augment.validate().map_err(Error::Config)?;
        for (on, what) in [
            (cfg.balance_speakers, "speaker-balanced weights are"),
            (
                !cfg.split_classes.is_empty(),
                "classes split into their emotions are",
            ),
        ] {
            if on && !matches!(self.model, ModelConfig::Logistic(_)) {
                return Err(Error::Config(format!(
                    "{what} for the logistic model, not {}",
                    self.model.name()
                )));
            }
        }
        let normalized;
        let data = if cfg.speaker_norm {
            let mut d = data.clone();
            normalize_speakers(&mut d);
            normalized = d;
            &normalized
        } else {
            data
        };
        let ckpt = self.dir.join("checkpoint");
        std::fs::create_dir_all(&ckpt).map_err(|e| Error::from(e).in_file(&ckpt))?;
        let device = Device::flex().autodiff();
        device.seed(cfg.seed);
        let (train_idx, val_idx) = hold_out(data, cfg.val_fraction, cfg.seed);
        let standardizer = self
            .model
            .standardize()
            .then(|| Standardizer::fit_on(data, train_idx.iter().copied()));
        let saved = SavedModel {
            model: self.model.clone(),
            classes: self.classes.clone(),
            pipeline: self.pipeline.clone(),
            standardizer: standardizer.clone(),
            train: Some(cfg.clone()),
            input_shape: [data.frames, data.columns],
            // Measured for models over one vector per clip (bench/MODEL_EXPERIMENTS.md); frame
            // models keep reading clips alone.
            adapt: match (cfg.speaker_norm, cfg.adapt) {
                (true, _) => Adapt::None,
                (false, Some(a)) => a,
                (false, None) => Adapt::auto(
                    matches!(self.model, ModelConfig::Logistic(_)),
                    self.pipeline.per_clip(),
                    false,
                ),
            },
            outputs: Vec::new(),
        };
        if matches!(self.model, ModelConfig::Svm(_) | ModelConfig::Logistic(_)) {
            return self.fit_exact(saved, data, &train_idx, &val_idx, progress);
        }
        let mut model: Model = self.model.init(&device);
        let mut optim = AdamConfig::new().init();
        let mut state = State {
            epoch: 0,
            lr: cfg.learning_rate,
            best_val_loss: f64::INFINITY,
            best_epoch: 0,
            since_best: 0,
            history: Vec::new(),
        };
        let state_path = ckpt.join("state.json");
        if resume && state_path.exists() {
            let text = std::fs::read_to_string(&state_path)
                .map_err(|e| Error::from(e).in_file(&state_path))?;
            state = serde_json::from_str(&text).map_err(|e| Error::from(e).in_file(&state_path))?;
            let weights = ckpt.join("model.bpk");
            model = crate::saved::load_weights(model, &weights)?;
            optim = optim
                .load(ckpt.join("optim.bpk"))
                .map_err(|e| Error::Record(format!("{e:?}")).in_file(&ckpt.join("optim.bpk")))?;
            tracing::info!(epoch = state.epoch, "resuming");
        }
        let weights = cfg.class_weights.then(|| {
            // Inverse frequency over the examples actually trained on (not the validation part).
            let mut counts = vec![0usize; self.classes.len()];
            for &i in &train_idx {
                if let Some(c) = counts.get_mut(data.y[i]) {
                    *c += 1;
                }
            }
            let total = train_idx.len();
            counts
                .iter()
                .map(|&c| {
                    if c == 0 {
                        0.0
                    } else {
                        total as f32 / (self.classes.len() * c) as f32
                    }
                })
                .collect::<Vec<f32>>()
        });
        let loss_fn = CrossEntropyLossConfig::new()
            .with_weights(weights.clone())
            .init(&device);
        let n_classes = self.classes.len();
        let stride = data.frames * data.columns;
        let plain = Device::flex();
        let eval_loss = CrossEntropyLossConfig::new().init(&plain);
        for epoch in state.epoch + 1..=cfg.epochs {
            // Everything random in an epoch derives from (seed, epoch): resuming replays it.
            device.seed(cfg.seed.wrapping_add(epoch as u64));
            let mut order = train_idx.clone();
            let seed = cfg.seed.wrapping_mul(31).wrapping_add(epoch as u64);
            shuffle(&mut order, &mut ChaCha8Rng::seed_from_u64(seed));
            let steps = order.len().div_ceil(cfg.batch_size);
            progress.epoch_start(epoch, steps);
            let mut aug_rng = ChaCha8Rng::seed_from_u64(
                cfg.seed
                    .wrapping_mul(0x9e37_79b9)
                    .wrapping_add(epoch as u64)
                    ^ 0xa4_6e,
            );
            let t0 = Instant::now();
            let (mut loss_sum, mut correct, mut seen) = (0.0f64, 0usize, 0usize);
            for idx in order.chunks(cfg.batch_size) {
                let (x, y, mixed) = if cfg.augment.is_active() {
                    let a = &cfg.augment;
                    let mut xs = data.values(idx);
                    a.warp(&mut xs, data.frames, data.columns, &mut aug_rng);
                    a.gain(&mut xs, data.frames, data.columns, &mut aug_rng);
                    if let Some(s) = &standardizer {
                        s.apply(&mut xs);
                    }
                    a.mask(&mut xs, data.frames, data.columns, &mut aug_rng);
                    let ys: Vec<usize> = idx.iter().map(|&i| data.y[i]).collect();
                    let mixed = a.mix(&mut xs, &ys, stride, &mut aug_rng);
                    let (x, y) = data.tensors(xs, &ys, &device);
                    (x, y, mixed)
                } else {
                    let (x, y) = data.batch(idx, standardizer.as_ref(), &device);
                    (x, y, None)
                };
                let logits = model.forward(x);
                correct += accuracy(&logits, &y);
                let loss = match &mixed {
                    None => loss_fn.forward(logits, y),
                    Some(m) => {
                        let ys: Vec<usize> = idx.iter().map(|&i| data.y[i]).collect();
                        mixed_loss(logits, &ys, m, weights.as_deref(), n_classes, &device)
                    }
                };
                let grads = GradientsParams::from_grads(loss.backward(), &model);
                let l = loss.into_scalar::<f32>() as f64;
                if !l.is_finite() {
                    return Err(Error::Diverged {
                        epoch,
                        lr: state.lr,
                    });
                }
                loss_sum += l * idx.len() as f64;
                seen += idx.len();
                model = optim.step(state.lr, model, grads);
                progress.step(loss_sum / seen as f64, correct as f64 / seen as f64);
            }
            let seconds = t0.elapsed().as_secs_f64();
            let (val_loss, val_accuracy) = if val_idx.is_empty() {
                (f64::NAN, f64::NAN)
            } else {
                let valid = model.valid();
                let (mut l, mut c) = (0.0f64, 0usize);
                for idx in val_idx.chunks(256) {
                    let (x, y) = data.batch(idx, standardizer.as_ref(), &plain);
                    let logits = valid.forward(x);
                    c += accuracy(&logits, &y);
                    l +=
                        eval_loss.forward(logits, y).into_scalar::<f32>() as f64 * idx.len() as f64;
                }
                (l / val_idx.len() as f64, c as f64 / val_idx.len() as f64)
            };
            let stats = EpochStats {
                epoch,
                loss: loss_sum / seen.max(1) as f64,
                accuracy: correct as f64 / seen.max(1) as f64,
                val_loss,
                val_accuracy,
                lr: state.lr,
                seconds,
            };
            progress.epoch_end(&stats);
            state.history.push(stats);
            state.epoch = epoch;
            // Best weights: lowest validation loss (every epoch when there is no validation).
            let improved = val_loss.is_nan() || val_loss < state.best_val_loss;
            if improved {
                state.best_val_loss = if val_loss.is_nan() {
                    f64::INFINITY
                } else {
                    val_loss
                };
                state.best_epoch = epoch;
                state.since_best = 0;
                saved.save(&self.dir, &model.valid())?;
            } else {
                state.since_best += 1;
            }
            state.lr = match cfg.schedule {
                LrSchedule::Constant => cfg.learning_rate,
                LrSchedule::Cosine => {
                    let p = epoch as f64 / cfg.epochs as f64;
                    cfg.learning_rate
                        * (0.01 + 0.99 * 0.5 * (1.0 + (std::f64::consts::PI * p).cos()))
                }
                LrSchedule::Plateau if state.since_best > 0 && state.since_best % 3 == 0 => {
                    state.lr * 0.5
                }
                LrSchedule::Plateau => state.lr,
            };
            // Checkpoint: weights and optimiser first, state last (it says which epoch is done).
            crate::saved::save_weights(&model, &ckpt.join("model.bpk"))?;
            optim
                .save(ckpt.join("optim.bpk"))
                .map_err(|e| Error::Record(format!("{e:?}")).in_file(&ckpt.join("optim.bpk")))?;
            write_atomic(
                &state_path,
                serde_json::to_string_pretty(&state)
                    .map_err(|e| Error::Config(e.to_string()))?
                    .as_bytes(),
            )?;
            write_history(&self.dir.join("history.csv"), &state.history)?;
            if cfg.patience > 0 && state.since_best >= cfg.patience {
                tracing::info!(epoch, best = state.best_epoch, "early stopping");
                break;
            }
        }
        Ok(state.history)
    }
}

impl Trainer {
    /// [`run`](Self::run) for the models fitted in one exact solve (an SVM by SMO, logistic
    /// regression by L-BFGS) on the standardised training part: a single history row (train
    /// and validation cross-entropy of the logits' softmax, and accuracies), the model saved.
    /// There is nothing to resume.
    fn fit_exact(
        &self,
        mut saved: SavedModel,
        data: &Dataset,
        train_idx: &[usize],
        val_idx: &[usize],
        progress: &mut dyn Progress,
    ) -> Result<Vec<EpochStats>> {
        let plain = Device::flex();
        let t0 = Instant::now();
        progress.epoch_start(1, 1);
        let mut xs = data.values(train_idx);
        if let Some(s) = &saved.standardizer {
            s.apply(&mut xs);
        }
        let ys: Vec<usize> = train_idx.iter().map(|&i| data.y[i]).collect();
        let n_features = data.frames * data.columns;
        let cw = saved.train.as_ref().is_some_and(|t| t.class_weights);
        let by_speaker = saved.train.as_ref().is_some_and(|t| t.balance_speakers);
        let split = saved
            .train
            .as_ref()
            .map_or(&[][..], |t| t.split_classes.as_slice());
        let model = match &self.model {
            ModelConfig::Logistic(c) => {
                // The classes split into their emotions learn one output each; the others, one
                // output per class (then `of` is `ys`).
                let (outputs, of) = if split.is_empty() {
                    (Vec::new(), ys.clone())
                } else {
                    crate::data::split_outputs(data, train_idx, &self.classes, split)?
                };
                saved.outputs = outputs;
                let n_out = saved.n_outputs();
                let cfg = c.clone().with_n_features(n_features).with_n_classes(n_out);
                let mut w = if by_speaker {
                    // A speaker is corpus/speaker: augmented copies go with their speaker.
                    let speakers: Vec<&str> = train_idx
                        .iter()
                        .map(|&i| {
                            let g = data.groups.get(i).map_or("", String::as_str);
                            g.rsplit_once('/').map_or(g, |(s, _)| s)
                        })
                        .collect();
                    crate::data::speaker_balanced_weights(&of, &speakers, n_out)
                } else {
                    crate::logistic::sample_weights(&of, n_out, cw)
                };
                if !saved.outputs.is_empty() && (by_speaker || cw) {
                    crate::data::share_classes(&mut w, &of, &saved.outputs);
                }
                let model = crate::logistic::fit_weighted(&xs, &of, &w, &cfg, &plain)?;
                saved.model = ModelConfig::Logistic(cfg);
                Model::Logistic(model)
            }
            ModelConfig::Svm(svm) => {
                let cfg = svm.clone().with_n_features(n_features);
                let (fitted, model) = crate::svm::fit(&xs, &ys, &cfg, cw, &plain)?;
                tracing::info!(support = fitted.n_support, rows = ys.len(), "svm fitted");
                saved.model = ModelConfig::Svm(fitted);
                Model::Svm(model)
            }
            m => {
                return Err(Error::Config(format!(
                    "{} is trained by epochs, not in one solve",
                    m.name()
                )))
            }
        };
        // Scored on the classes it reports (a split class's outputs summed back into it).
        let score = |idx: &[usize]| -> Result<(f64, f64)> {
            if idx.is_empty() {
                return Ok((f64::NAN, f64::NAN));
            }
            let (mut l, mut c) = (0.0f64, 0usize);
            for chunk in idx.chunks(256) {
                let probs = saved.predict(&model, &data.values(chunk), chunk.len())?;
                for (p, &i) in probs.iter().zip(chunk) {
                    let y = data.y[i];
                    l -= (p.get(y).copied().unwrap_or(0.0) as f64).max(1e-30).ln();
                    let best = p
                        .iter()
                        .enumerate()
                        .max_by(|a, b| a.1.total_cmp(b.1))
                        .map_or(0, |(k, _)| k);
                    c += usize::from(best == y);
                }
            }
            Ok((l / idx.len() as f64, c as f64 / idx.len() as f64))
        };
        let (loss, acc) = score(train_idx)?;
        progress.step(loss, acc);
        let (val_loss, val_accuracy) = score(val_idx)?;
        let stats = EpochStats {
            epoch: 1,
            loss,
            accuracy: acc,
            val_loss,
            val_accuracy,
            lr: 0.0,
            seconds: t0.elapsed().as_secs_f64(),
        };
        progress.epoch_end(&stats);
        saved.save(&self.dir, &model)?;
        let history = vec![stats];
        write_history(&self.dir.join("history.csv"), &history)?;
        Ok(history)
    }
}

/// Cross-entropy against blended targets: example `i` has weight `lambda[i]` on its class and
/// `1 - lambda[i]` on its partner's, each scaled by the class weight (if any); normalised by the
/// summed target weights, as burn's weighted cross-entropy is.
fn mixed_loss(
    logits: Tensor<2>,
    y: &[usize],
    m: &Mixed,
    weights: Option<&[f32]>,
    n_classes: usize,
    device: &Device,
) -> Tensor<1> {
    let n = y.len();
    let mut target = vec![0f32; n * n_classes];
    for i in 0..n {
        let w = |c: usize| weights.and_then(|w| w.get(c).copied()).unwrap_or(1.0);
        if y[i] < n_classes {
            target[i * n_classes + y[i]] += m.lambda[i] * w(y[i]);
        }
        if m.partner[i] < n_classes {
            target[i * n_classes + m.partner[i]] += (1.0 - m.lambda[i]) * w(m.partner[i]);
        }
    }
    let total: f32 = target.iter().sum::<f32>().max(1e-12);
    let target = Tensor::<2>::from_data(TensorData::new(target, [n, n_classes]), device);
    let logp = burn::tensor::activation::log_softmax(logits, 1);
    (logp * target).sum().neg() / total
}

/// Writes the history as CSV (`epoch,loss,accuracy,val_loss,val_accuracy,lr,seconds`).
pub fn write_history(path: &Path, history: &[EpochStats]) -> Result<()> {
    let mut out = Vec::new();
    let _ = writeln!(out, "epoch,loss,accuracy,val_loss,val_accuracy,lr,seconds");
    for h in history {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{}",
            h.epoch, h.loss, h.accuracy, h.val_loss, h.val_accuracy, h.lr, h.seconds
        );
    }
    write_atomic(path, &out)
}

/// Reads a `history.csv` back.
pub fn read_history(path: &Path) -> Result<Vec<EpochStats>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::from(e).in_file(path))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        let v: Vec<f64> = line
            .split(',')
            .map(|c| c.parse::<f64>().unwrap_or(f64::NAN))
            .collect();
        if v.len() != 7 {
            return Err(Error::Data(format!("line {}: expected 7 columns", n + 1)).in_file(path));
        }
        out.push(EpochStats {
            epoch: v[0] as usize,
            loss: v[1],
            accuracy: v[2],
            val_loss: v[3],
            val_accuracy: v[4],
            lr: v[5],
            seconds: v[6],
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dataset(groups: &[&str]) -> Dataset {
        Dataset {
            x: vec![0.0; groups.len()],
            y: vec![0; groups.len()],
            frames: 1,
            columns: 1,
            paths: (0..groups.len())
                .map(|i| PathBuf::from(format!("{}-{}.wav", groups[i].replace('/', "_"), i % 4)))
                .collect(),
            corpora: groups
                .iter()
                .map(|g| g.split('/').next().unwrap().to_string())
                .collect(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            emotions: vec![String::new(); groups.len()],
        }
    }

    /// Issue 16: validation was a random 10 % of the training speakers' clips, so early
    /// stopping rewarded memorising voices. Now whole speakers are held out.
    #[test]
    fn validation_holds_out_whole_speakers() {
        let mut groups = Vec::new();
        for s in ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"] {
            for aug in ["", "noise"] {
                for _ in 0..4 {
                    groups.push(format!("emovo/{s}/{aug}"));
                }
            }
        }
        let refs: Vec<&str> = groups.iter().map(String::as_str).collect();
        let d = dataset(&refs);
        let (train, val) = hold_out(&d, 0.1, 42);
        assert_eq!(train.len() + val.len(), d.len());
        assert_eq!(
            val.len(),
            8,
            "one speaker of ten, with its augmented copies"
        );
        let speaker = |i: usize| d.groups[i].split('/').nth(1).unwrap().to_string();
        let val_speakers: std::collections::BTreeSet<_> = val.iter().map(|&i| speaker(i)).collect();
        assert_eq!(val_speakers.len(), 1);
        assert!(train.iter().all(|&i| !val_speakers.contains(&speaker(i))));
        // Without speakers: whole clips.
        let d = dataset(&["folder//", "folder//", "folder//", "folder//"]);
        let (train, val) = hold_out(&d, 0.5, 1);
        assert_eq!(train.len() + val.len(), 4);
    }

    #[test]
    fn mixed_loss_is_cross_entropy_when_unmixed_and_blends_otherwise() {
        let device = Device::flex();
        let v = vec![0.3f32, -1.0, 2.0, 0.5, 0.1, -0.2];
        let logits = || Tensor::<2>::from_data(TensorData::new(v.clone(), [2, 3]), &device);
        let y = [2usize, 0];
        let yt = Tensor::<1, Int>::from_data(TensorData::new(vec![2i64, 0], [2]), &device);
        let ce = CrossEntropyLossConfig::new()
            .init(&device)
            .forward(logits(), yt.clone())
            .into_scalar::<f32>();
        let unmixed = Mixed {
            partner: vec![1, 1],
            lambda: vec![1.0, 1.0],
        };
        let l = mixed_loss(logits(), &y, &unmixed, None, 3, &device).into_scalar::<f32>();
        assert!((l - ce).abs() < 1e-5, "{l} vs {ce}");
        // Class weights: the same as burn's weighted cross-entropy.
        let w = [0.5f32, 1.0, 2.0];
        let wce = CrossEntropyLossConfig::new()
            .with_weights(Some(w.to_vec()))
            .init(&device)
            .forward(logits(), yt)
            .into_scalar::<f32>();
        let l = mixed_loss(logits(), &y, &unmixed, Some(&w), 3, &device).into_scalar::<f32>();
        assert!((l - wce).abs() < 1e-5, "{l} vs {wce}");
        // Half and half: the mean of both labels' losses, by hand.
        let half = Mixed {
            partner: vec![0, 1],
            lambda: vec![0.5, 0.5],
        };
        let logp = |row: &[f32], c: usize| {
            let m = row.iter().cloned().fold(f32::MIN, f32::max);
            let z: f32 = row.iter().map(|x| (x - m).exp()).sum();
            row[c] - m - z.ln()
        };
        let want = -(0.5 * logp(&v[..3], 2)
            + 0.5 * logp(&v[..3], 0)
            + 0.5 * logp(&v[3..], 0)
            + 0.5 * logp(&v[3..], 1))
            / 2.0;
        let l = mixed_loss(logits(), &y, &half, None, 3, &device).into_scalar::<f32>();
        assert!((l - want).abs() < 1e-5, "{l} vs {want}");
    }

    #[test]
    fn train_configs_saved_before_augment_existed_still_load() {
        let mut v = serde_json::to_value(TrainConfig::default()).unwrap();
        v.as_object_mut().unwrap().remove("augment");
        let back: TrainConfig = serde_json::from_value(v).unwrap();
        assert_eq!(back, TrainConfig::default());
        assert!(!back.augment.is_active());
    }
}
