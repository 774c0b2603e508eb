//! [`Recognizer`]: a trained model with its feature pipeline, planned once, that turns audio
//! (a file, bytes, or samples) into class probabilities.

use std::path::Path;
use std::sync::Mutex;

use emovox_audio::{decode_bytes, decode_file, DecodeOptions, Decoded};
use emovox_features::{Extractor, Features};
use emovox_model::{Model, SavedModel};
use serde::Serialize;

use crate::{Error, Result};

/// `model.json` of the bundled model (`models/default/`, see `models/README.md`).
static DEFAULT_JSON: &[u8] = include_bytes!("../models/default/model.json");
/// `model.bpk` of the bundled model.
static DEFAULT_WEIGHTS: &[u8] = include_bytes!("../models/default/model.bpk");

/// Index of the largest value (the first of equals; 0 for an empty slice).
pub(crate) fn argmax(v: &[f32]) -> usize {
    v.iter()
        .enumerate()
        .fold(0, |b, (i, &x)| if x > v[b] { i } else { b })
}

/// Runs one input's work, turning a panic inside a dependency into that input's error.
pub(crate) fn firewall<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    emovox_audio::guard::catch_panic(f).unwrap_or_else(|msg| Err(Error::Panicked(msg)))
}

/// One class and its probability.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassScore {
    /// Class name.
    pub label: String,
    /// Probability, 0 to 1.
    pub probability: f32,
}

/// The model's answer for one input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    /// The most probable class.
    pub label: String,
    /// Its probability.
    pub confidence: f32,
    /// Every class with its probability, in the model's class order.
    pub scores: Vec<ClassScore>,
}

impl Prediction {
    fn from_probs(classes: &[String], probs: &[f32]) -> Prediction {
        let scores: Vec<ClassScore> = classes
            .iter()
            .zip(probs)
            .map(|(c, &p)| ClassScore {
                label: c.clone(),
                probability: p,
            })
            .collect();
        let best = argmax(probs);
        Prediction {
            label: scores
                .get(best)
                .map(|s| s.label.clone())
                .unwrap_or_default(),
            confidence: scores.get(best).map_or(0.0, |s| s.probability),
            scores,
        }
    }

    /// The probabilities alone, in class order.
    pub fn probabilities(&self) -> Vec<f32> {
        self.scores.iter().map(|s| s.probability).collect()
    }
}

/// One input's outcome, the record every front end reports: a line of `emovox predict
/// --json`, an item of the HTTP API's adapted predictions (`/api/predict` alone answers the
/// [`Prediction`] part), a dict of the Python `Recognizer`, a row of `emovox.spark predict`.
///
/// As JSON, a prediction and a failure:
///
/// ```json
/// {"file": "a.wav", "label": "happy", "confidence": 0.61,
///  "scores": [{"label": "happy", "probability": 0.61}, ...]}
/// {"file": "b.wav", "error": "no speech found ...", "no_speech": true}
/// ```
///
/// `file` is left out when the input has no name (samples, an unnamed upload); `no_speech`
/// only appears, as `true`, when the input held no speech.
///
/// ```
/// use emovox::{PredictionRecord, Error};
/// let r = PredictionRecord::new(Some("b.wav".into()), Err(Error::NoSpeech { speech: 0.0, truncated_at: None }));
/// let v = serde_json::to_value(&r)?;
/// assert_eq!(v["file"], "b.wav");
/// assert_eq!(v["no_speech"], true);
/// assert!(v.get("label").is_none());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PredictionRecord {
    /// The input's name: the path given, or an upload's file name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The prediction; `None` when the input failed.
    #[serde(flatten)]
    pub prediction: Option<Prediction>,
    /// Why the input failed (the reason alone; the file is in `file`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The input failed because it holds no speech ([`Error::NoSpeech`]).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub no_speech: bool,
}

impl PredictionRecord {
    /// The record of one input's result.
    pub fn new(file: Option<String>, result: Result<Prediction>) -> PredictionRecord {
        match result {
            Ok(p) => PredictionRecord {
                file,
                prediction: Some(p),
                error: None,
                no_speech: false,
            },
            Err(e) => PredictionRecord::failed(file, e.reason(), e.is_no_speech()),
        }
    }

    /// The record of an input that failed for `reason`.
    pub fn failed(file: Option<String>, reason: String, no_speech: bool) -> PredictionRecord {
        PredictionRecord {
            file,
            prediction: None,
            error: Some(reason),
            no_speech,
        }
    }
}

/// A trained model ready to predict: the network, its class names, and its feature pipeline
/// planned once (FFT, mel filterbank, DCT, resamplers) and reused for every input. It is
/// `Send + Sync`: share one between threads (each call borrows a planned extractor from a small
/// pool, so threads never wait on each other's feature extraction).
///
/// ```
/// use emovox::Recognizer;
///
/// let rec = Recognizer::from_default()?;
/// // A second of a 220 Hz tone between half-seconds of silence, at 22.05 kHz (any rate works;
/// // it is resampled). The bundled model reads the speech the voice-activity detector finds.
/// let tone: Vec<f32> = (0..44_100)
///     .map(|i| if (11_025..33_075).contains(&i) { (i as f32 * 0.0627).sin() * 0.3 } else { 0.0 })
///     .collect();
/// let p = rec.predict_samples(&tone, 22_050)?;
/// assert!(rec.classes().contains(&p.label));
/// let total: f32 = p.scores.iter().map(|s| s.probability).sum();
/// assert!((total - 1.0).abs() < 1e-4);
/// // Silence is "no speech", never an emotion.
/// let silence = vec![0.0f32; 44_100];
/// assert!(matches!(rec.predict_samples(&silence, 22_050), Err(emovox::Error::NoSpeech { .. })));
/// # Ok::<(), emovox::Error>(())
/// ```
///
/// For a file in any format the decoder reads: `rec.predict_file("clip.m4a")?`.
pub struct Recognizer {
    saved: SavedModel,
    model: Model,
    /// The planned pipeline, cloned for each extractor the pool grows by (a `Mutex` because a
    /// planned resampler is `Send` but not `Sync`).
    plan: Mutex<Extractor>,
    pool: Mutex<Vec<Extractor>>,
    decode: DecodeOptions,
    source: String,
}

impl std::fmt::Debug for Recognizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recognizer")
            .field("source", &self.source)
            .field("classes", &self.saved.classes)
            .field("pipeline", &self.saved.pipeline)
            .finish_non_exhaustive()
    }
}

impl Recognizer {
    /// The model bundled with emovox (`models/default/`, described in `models/README.md`),
    /// compiled into the binary, so it works wherever emovox is installed.
    pub fn from_default() -> Result<Self> {
        let (saved, model) = SavedModel::from_bytes(DEFAULT_JSON, DEFAULT_WEIGHTS)?;
        Self::new(saved, model, "bundled model (models/default)")
    }

    /// A model saved by `emovox train` (a folder with `model.json` and `model.bpk`).
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        let (saved, model) = SavedModel::load(dir)?;
        Self::new(saved, model, &dir.display().to_string())
    }

    /// [`from_dir`](Self::from_dir) for `Some(dir)`, else [`from_default`](Self::from_default).
    pub fn from_option(dir: Option<&Path>) -> Result<Self> {
        match dir {
            Some(d) => Self::from_dir(d),
            None => Self::from_default(),
        }
    }

    /// Wraps a loaded model, planning its feature pipeline.
    pub fn new(saved: SavedModel, model: Model, source: &str) -> Result<Self> {
        let plan = Extractor::new(saved.pipeline.clone())?;
        Ok(Recognizer {
            saved,
            model,
            decode: plan.decode_options(),
            plan: Mutex::new(plan),
            pool: Mutex::new(Vec::new()),
            source: source.to_string(),
        })
    }

    /// Class names, in the order of [`Prediction::scores`].
    pub fn classes(&self) -> &[String] {
        &self.saved.classes
    }

    /// Everything about the model: config, classes, pipeline, training settings.
    pub fn saved(&self) -> &SavedModel {
        &self.saved
    }

    /// Where the model came from (a folder, or the bundled model).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Seconds of audio one prediction looks at: the pipeline's crop, else its frame count.
    pub fn window_seconds(&self) -> f64 {
        let p = &self.saved.pipeline;
        match (p.crop, p.frames) {
            (Some(c), _) => c.duration,
            (None, Some(n)) => (n.saturating_sub(1) * p.hop) as f64 / p.sample_rate as f64,
            (None, None) => 3.0,
        }
    }

    /// Runs `f` with a planned extractor from the pool (planning a new one only when every
    /// pooled one is in use by another thread).
    pub(crate) fn with_extractor<T>(&self, f: impl FnOnce(&mut Extractor) -> T) -> T {
        let taken = self.pool.lock().ok().and_then(|mut p| p.pop());
        let mut ex = match taken {
            Some(ex) => ex,
            None => match self.plan.lock() {
                Ok(plan) => plan.clone(),
                Err(poisoned) => poisoned.into_inner().clone(),
            },
        };
        let out = f(&mut ex);
        if let Ok(mut p) = self.pool.lock() {
            p.push(ex);
        }
        out
    }

    /// Predicts the emotion in an audio file of any format the decoder reads. The file is
    /// decoded only as far as the model's pipeline reads (its crop), and resampled as needed.
    ///
    /// Every `predict_*` and `features_of_file` is a firewall: a panic inside a dependency while
    /// processing this input becomes [`Error::Panicked`] for it, and the recognizer stays usable.
    pub fn predict_file(&self, path: impl AsRef<Path>) -> Result<Prediction> {
        let path = path.as_ref();
        firewall(|| {
            self.features_of_file_unguarded(path)
                .and_then(|f| self.predict_one(&f))
        })
        .map_err(|e| e.in_file(path))
    }

    /// Predicts from the bytes of an audio file (`ext_hint`: its extension, if known).
    pub fn predict_bytes(&self, bytes: &[u8], ext_hint: Option<&str>) -> Result<Prediction> {
        firewall(|| {
            let clip = decode_bytes(bytes, ext_hint, &self.decode)?;
            self.predict_decoded_unguarded(&clip)
        })
    }

    /// Predicts from mono samples at `rate` Hz, cropped and resampled as the model's pipeline
    /// says (as in training).
    pub fn predict_samples(&self, samples: &[f32], rate: u32) -> Result<Prediction> {
        firewall(|| {
            let f = self.with_extractor(|ex| ex.process(samples, rate))?;
            self.predict_one(&f)
        })
    }

    /// Predicts from a decoded clip (which may start part-way into its stream, as decoded with
    /// the pipeline's decode options).
    pub fn predict_decoded(&self, clip: &Decoded) -> Result<Prediction> {
        firewall(|| self.predict_decoded_unguarded(clip))
    }

    fn predict_decoded_unguarded(&self, clip: &Decoded) -> Result<Prediction> {
        let f = self.features_of(clip)?;
        self.predict_one(&f)
    }

    /// The features the model reads from a decoded clip (decoded with the pipeline's decode
    /// options, or whole).
    pub fn features_of_decoded(&self, clip: &Decoded) -> Result<Features> {
        firewall(|| self.features_of(clip))
    }

    /// The features the model reads from the bytes of an audio file (`ext_hint`: its
    /// extension, if known).
    pub fn features_of_bytes(&self, bytes: &[u8], ext_hint: Option<&str>) -> Result<Features> {
        firewall(|| {
            let clip = decode_bytes(bytes, ext_hint, &self.decode)?;
            self.features_of(&clip)
        })
    }

    /// The features the model reads from mono `samples` at `rate` Hz.
    pub fn features_of_samples(&self, samples: &[f32], rate: u32) -> Result<Features> {
        firewall(|| Ok(self.with_extractor(|ex| ex.process(samples, rate))?))
    }

    /// [`predict_speaker`](Self::predict_speaker) over the inputs whose features could be
    /// computed; each failure stays in its place. One result per input, in order: how a front
    /// end predicts a speaker's files together without losing them all to one bad file.
    pub fn predict_speaker_each(&self, features: Vec<Result<Features>>) -> Vec<Result<Prediction>> {
        self.predict_speaker_each_with(features, false)
    }

    /// [`predict_speaker_each`](Self::predict_speaker_each), with `self_train` the clips read
    /// by the model self-trained on them ([`predict_self_trained`](Self::predict_self_trained)).
    pub fn predict_speaker_each_with(
        &self,
        features: Vec<Result<Features>>,
        self_train: bool,
    ) -> Vec<Result<Prediction>> {
        // The inputs that have features, moved out; each failure keeps its place.
        let mut good = Vec::with_capacity(features.len());
        let slots: Vec<Option<Error>> = features
            .into_iter()
            .map(|f| match f {
                Ok(f) => {
                    good.push(f);
                    None
                }
                Err(e) => Some(e),
            })
            .collect();
        let failed = |reason: &str| Error::Model(emovox_model::Error::Data(reason.to_string()));
        let mut predicted = match self.predict_grouped_from(&good, true, 0, self_train) {
            Ok(p) => p.into_iter().map(Ok).collect(),
            Err(e) => vec![e.to_string(); good.len()]
                .into_iter()
                .map(|r| Err(failed(&r)))
                .collect::<Vec<_>>(),
        }
        .into_iter();
        slots
            .into_iter()
            .map(|slot| match slot {
                None => predicted
                    .next()
                    .unwrap_or_else(|| Err(failed("no prediction"))),
                Some(e) => Err(e),
            })
            .collect()
    }

    /// Predicts the last of `clips`, adapted together with all of them as
    /// [`predict_speaker`](Self::predict_speaker) would, in one forward pass: the earlier clips
    /// are only its speaker's context (the live mode's running adaptation).
    pub fn predict_speaker_last(&self, clips: &[Features]) -> Result<Prediction> {
        let last = clips.len().saturating_sub(1);
        self.predict_grouped_from(clips, true, last, false)?
            .pop()
            .ok_or_else(|| Error::Model(emovox_model::Error::Data("no clips".into())))
    }

    /// Whether [`predict_speaker`](Self::predict_speaker) adapts to the clips given together
    /// (a speaker-normalised model, or an [`Adapt::Mean`](emovox_model::Adapt::Mean) one).
    pub fn adapts(&self) -> bool {
        self.saved.speaker_norm() || self.saved.adapt != emovox_model::Adapt::None
    }

    /// The features the model reads from `path`.
    pub fn features_of_file(&self, path: &Path) -> Result<Features> {
        firewall(|| self.features_of_file_unguarded(path)).map_err(|e| e.in_file(path))
    }

    fn features_of_file_unguarded(&self, path: &Path) -> Result<Features> {
        let clip = decode_file(path, &self.decode)?;
        self.features_of(&clip)
    }

    /// The features of a decoded clip; a clip cut short by a truncated file says so.
    fn features_of(&self, clip: &Decoded) -> Result<Features> {
        match self
            .with_extractor(|ex| ex.process_decoded(clip))
            .map_err(Error::from)
        {
            Err(Error::TooShort { expected, got }) if clip.truncated => {
                Err(Error::Truncated { expected, got })
            }
            Err(Error::NoSpeech { speech, .. }) if clip.truncated => Err(Error::NoSpeech {
                speech,
                truncated_at: Some(
                    clip.start_frame as f64 / clip.sample_rate.max(1) as f64 + clip.duration(),
                ),
            }),
            r => r,
        }
    }

    fn predict_one(&self, f: &Features) -> Result<Prediction> {
        let mut out = self.predict_features(std::slice::from_ref(f))?;
        out.pop()
            .ok_or_else(|| Error::Model(emovox_model::Error::Data("no output".into())))
    }

    /// Predicts a batch of feature matrices (each of the model's input shape) in one forward
    /// pass. A speaker-normalised model ([`SavedModel::speaker_norm`]) normalises each clip on
    /// its own here; [`predict_speaker`](Self::predict_speaker) normalises clips of one speaker
    /// together, which is what such a model was trained for.
    pub fn predict_features(&self, batch: &[Features]) -> Result<Vec<Prediction>> {
        self.predict_grouped(batch, false)
    }

    /// Whether the model can read one clip on its own. False only for a speaker-normalised
    /// model over one feature vector per clip (`--speaker-norm` with a per-clip pipeline such as
    /// `logmel-stats`): normalising a single vector by itself would erase it, so such a model
    /// needs [`predict_speaker`](Self::predict_speaker) with several clips of the speaker.
    pub fn reads_single_clips(&self) -> bool {
        !(self.saved.speaker_norm() && self.saved.pipeline.per_clip())
    }

    /// Predicts clips that are all of one speaker (and one recording set-up), adapting to them
    /// without labels as the model's policy says ([`SavedModel::adapt_group`]): a
    /// speaker-normalised model standardises their features over all of them; a model with
    /// [`Adapt::Standardize`](emovox_model::Adapt::Standardize) (the bundled one) moves their
    /// mean and spread to its training set's, one with [`Adapt::Mean`](emovox_model::Adapt::Mean)
    /// their mean. The more of the speaker's clips, the better the estimate. For a model
    /// with neither this is [`predict_features`](Self::predict_features).
    pub fn predict_speaker(&self, batch: &[Features]) -> Result<Vec<Prediction>> {
        self.predict_grouped(batch, true)
    }

    /// [`predict_speaker`](Self::predict_speaker), then self-training: the model refitted on
    /// the surest of its own answers for these clips ([`SavedModel::self_trained`]) predicts
    /// them. A batch of one recording set-up's (or one speaker's) clips; an SVM fit costs
    /// seconds, a logistic regression's (the bundled model) milliseconds. Fewer than
    /// [`SELF_TRAIN_MIN_CLIPS`](emovox_model::saved::SELF_TRAIN_MIN_CLIPS) clips are predicted
    /// as [`predict_speaker`](Self::predict_speaker) does; a model other than an SVM or a
    /// logistic regression is an error.
    pub fn predict_self_trained(&self, batch: &[Features]) -> Result<Vec<Prediction>> {
        self.predict_grouped_from(batch, true, 0, true)
    }

    fn predict_grouped(&self, batch: &[Features], together: bool) -> Result<Vec<Prediction>> {
        self.predict_grouped_from(batch, together, 0, false)
    }

    /// [`predict_grouped`](Self::predict_grouped) for the inputs from index `from` on (all of
    /// `batch` still adapts them), with `self_train` by the model self-trained on `batch`.
    fn predict_grouped_from(
        &self,
        batch: &[Features],
        together: bool,
        from: usize,
        self_train: bool,
    ) -> Result<Vec<Prediction>> {
        if !together && !self.reads_single_clips() {
            return Err(Error::Model(emovox_model::Error::Data(format!(
                "this model ({}) was trained with --speaker-norm on one feature vector per clip: \
                 it adapts to a speaker from several of their clips and cannot read one clip \
                 alone; give it a speaker's clips together (`emovox predict --adapt`, \
                 `Recognizer::predict_speaker`)",
                self.source
            ))));
        }
        let [frames, cols] = self.saved.input_shape;
        let mut x = Vec::with_capacity(batch.len() * frames * cols);
        for f in batch {
            if f.shape() != [frames, cols] {
                return Err(Error::Model(emovox_model::Error::Data(format!(
                    "features of shape {}x{}, the model reads {frames}x{cols}",
                    f.frames, f.columns
                ))));
            }
            x.extend_from_slice(&f.values);
        }
        self.saved.adapt_group(&mut x, together);
        let refit = match self_train {
            true => self.saved.self_trained(&self.model, &x)?,
            false => None,
        };
        let model = refit.as_ref().unwrap_or(&self.model);
        // Forward passes of at most 256 clips bound the network's memory on long lists.
        let stride = (frames * cols).max(1);
        let mut out = Vec::with_capacity(batch.len());
        for chunk in x[(from * stride).min(x.len())..].chunks(256 * stride) {
            let probs = self.saved.predict(model, chunk, chunk.len() / stride)?;
            out.extend(
                probs
                    .iter()
                    .map(|p| Prediction::from_probs(&self.saved.classes, p)),
            );
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prediction_picks_the_most_probable_class() {
        let classes: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let p = Prediction::from_probs(&classes, &[0.2, 0.5, 0.3]);
        assert_eq!(p.label, "b");
        assert_eq!(p.confidence, 0.5);
        assert_eq!(p.probabilities(), vec![0.2, 0.5, 0.3]);
    }

    #[test]
    fn the_bundled_model_loads_and_is_consistent() {
        let rec = Recognizer::from_default().unwrap();
        assert!(!rec.classes().is_empty());
        assert!(rec.window_seconds() > 0.5);
        let [f, c] = rec.saved().input_shape;
        assert_eq!(c, rec.saved().pipeline.n_columns());
        assert!(f > 0);
    }

    /// Three clips of one "speaker", of the bundled model's input shape: near the training
    /// data (its mean plus up to 1.5 standard deviations), all shifted the same way, as a voice
    /// shifts every clip.
    fn three_clips(rec: &Recognizer) -> Vec<Features> {
        let [frames, cols] = rec.saved().input_shape;
        let s = rec
            .saved()
            .standardizer
            .as_ref()
            .expect("standardised inputs");
        (0..3)
            .map(|k| Features {
                frames,
                columns: cols,
                values: (0..frames * cols)
                    .map(|i| {
                        let c = i % cols;
                        let z = ((i * 7 + k * 13) % 11) as f32 / 10.0 - 0.5 + 0.8;
                        s.mean[c] + s.std[c] * z
                    })
                    .collect(),
            })
            .collect()
    }

    fn probs(p: Vec<Prediction>) -> Vec<Vec<f32>> {
        p.iter().map(Prediction::probabilities).collect()
    }

    #[test]
    fn speaker_normalised_models_standardise_one_speaker_together() {
        let plain = Recognizer::from_default().unwrap();
        let mut saved = plain.saved().clone();
        assert!(!saved.speaker_norm());
        saved
            .train
            .get_or_insert_with(Default::default)
            .speaker_norm = true;
        let (_, model) = SavedModel::from_bytes(DEFAULT_JSON, DEFAULT_WEIGHTS).unwrap();
        let sn = Recognizer::new(saved, model, "test").unwrap();
        let cols = sn.saved().input_shape[1];
        let clips = three_clips(&sn);
        let mut together: Vec<f32> = clips.iter().flat_map(|f| f.values.clone()).collect();
        emovox_model::data::normalize_group(&mut together, cols);
        let normalised: Vec<Features> = together
            .chunks(cols)
            .map(|c| Features {
                frames: 1,
                columns: cols,
                values: c.to_vec(),
            })
            .collect();
        // The plain model has no adaptation of its own here: compare with it reading the
        // standardised clips one at a time.
        let mut none = plain.saved().clone();
        none.adapt = emovox_model::Adapt::None;
        let (_, model) = SavedModel::from_bytes(DEFAULT_JSON, DEFAULT_WEIGHTS).unwrap();
        let plain = Recognizer::new(none, model, "test").unwrap();
        assert_eq!(
            probs(sn.predict_speaker(&clips).unwrap()),
            probs(plain.predict_features(&normalised).unwrap())
        );
        // One vector per clip standardised alone would be erased: refused, with the reason.
        let e = sn.predict_features(&clips).unwrap_err();
        assert!(e.to_string().contains("cannot read one clip"), "{e}");
    }

    /// What adapting `clips` together does to each column under `policy`, computed here from
    /// the definitions (not by the library's functions): a group of `n` moves `(n - 1) / (n - 1
    /// + prior)` of the way to the training mean (and, standardising, spread).
    fn adapted_by_hand(
        clips: &[Features],
        mean: &[f32],
        std: &[f32],
        policy: emovox_model::Adapt,
    ) -> Vec<Features> {
        let n = clips.len() as f64;
        let w = (n - 1.0) / (n - 1.0 + emovox_model::saved::ADAPT_PRIOR_CLIPS);
        let cols = mean.len();
        let col = |c: usize| clips.iter().map(move |g| g.values[c] as f64);
        clips
            .iter()
            .map(|f| Features {
                values: f
                    .values
                    .iter()
                    .enumerate()
                    .map(|(j, &v)| {
                        let c = j % cols;
                        let (tm, ts) = (mean[c] as f64, std[c] as f64);
                        let m = col(c).sum::<f64>() / n;
                        let var = col(c).map(|x| (x - m) * (x - m)).sum::<f64>() / n;
                        let v = v as f64;
                        (match policy {
                            emovox_model::Adapt::Mean => v + w * (tm - m),
                            emovox_model::Adapt::Standardize => {
                                let m2 = w * m + (1.0 - w) * tm;
                                let s2 = (w * var + (1.0 - w) * ts * ts).sqrt();
                                (v - m2) * ts / s2 + tm
                            }
                            emovox_model::Adapt::None => v,
                        }) as f32
                    })
                    .collect(),
                ..f.clone()
            })
            .collect()
    }

    #[test]
    fn adaptation_moves_a_speaker_to_the_training_set_and_leaves_one_clip_alone() {
        let bundled = Recognizer::from_default().unwrap();
        assert_eq!(bundled.saved().adapt, emovox_model::Adapt::Standardize);
        for policy in [emovox_model::Adapt::Standardize, emovox_model::Adapt::Mean] {
            let mut saved = bundled.saved().clone();
            saved.adapt = policy;
            let (_, model) = SavedModel::from_bytes(DEFAULT_JSON, DEFAULT_WEIGHTS).unwrap();
            let rec = Recognizer::new(saved, model, "test").unwrap();
            assert!(rec.adapts());
            let clips = three_clips(&rec);
            let alone = probs(rec.predict_features(&clips).unwrap());
            // One clip given "together" is read as it is.
            assert_eq!(
                probs(rec.predict_speaker(&clips[..1]).unwrap()),
                probs(rec.predict_features(&clips[..1]).unwrap())
            );
            let s = rec.saved().standardizer.as_ref().unwrap();
            let moved = adapted_by_hand(&clips, &s.mean, &s.std, policy);
            let adapted = probs(rec.predict_speaker(&clips).unwrap());
            let expected = probs(rec.predict_features(&moved).unwrap());
            for (a, e) in adapted.iter().flatten().zip(expected.iter().flatten()) {
                assert!(
                    (a - e).abs() < 1e-3,
                    "{policy}: {adapted:?} vs {expected:?}"
                );
            }
            assert_ne!(adapted, alone, "{policy}");
        }
        let rec = bundled;
        let clips = three_clips(&rec);
        // Each input's result in its place, failures kept: one bad of three.
        let mut feats: Vec<Result<Features>> = clips.into_iter().map(Ok).collect();
        feats[1] = Err(Error::NoSpeech {
            speech: 0.0,
            truncated_at: None,
        });
        let each = rec.predict_speaker_each(feats);
        assert!(each[0].is_ok() && each[2].is_ok());
        assert!(matches!(each[1], Err(Error::NoSpeech { .. })));
    }

    #[test]
    fn too_short_and_silent_inputs() {
        let rec = Recognizer::from_default().unwrap();
        // The bundled model reads the speech the VAD finds: silence, long or short, has none.
        for n in [1000, 32_000] {
            let e = rec.predict_samples(&vec![0.0; n], 16_000).unwrap_err();
            assert!(matches!(e, Error::NoSpeech { .. }), "{n}: {e}");
        }
        // A model with a fixed crop refuses what ends before it.
        let mut saved = rec.saved().clone();
        saved.pipeline = emovox_features::PipelineConfig::preset("seed").unwrap();
        saved.input_shape = [
            saved.pipeline.frames.unwrap_or(1),
            saved.pipeline.n_columns(),
        ];
        let (_, model) = SavedModel::from_bytes(DEFAULT_JSON, DEFAULT_WEIGHTS).unwrap();
        let seed = Recognizer::new(saved, model, "test").unwrap();
        let e = seed.predict_samples(&[0.0; 1000], 16_000).unwrap_err();
        assert!(matches!(e, Error::TooShort { .. }), "{e}");
    }
}
