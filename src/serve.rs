//! `emovox serve`: the web app and HTTP API ([`emovox_serve`]) with a [`Recognizer`] behind it.
//!
//! `emovox-serve` knows no model: it calls its [`Engine`] trait, implemented here for
//! [`Recognizer`], so this crate can depend on it (behind the default `serve` feature) without a
//! dependency cycle.

use std::path::Path;

use emovox_audio::{DecodeOptions, Decoded};
use emovox_features::Features;
use emovox_serve::{Engine, Error as ServeError, LiveHistory};
use serde_json::{json, Value};

use crate::timeline::{Timeline, TimelineOptions};
use crate::{Error, Recognizer, Result};

pub use emovox_serve::{run, spawn, Options, Running};

/// The model card of the bundled model.
static DEFAULT_CARD: &str = include_str!("../models/README.md");

/// A [`Recognizer`] as the server's [`Engine`], with its model card.
#[derive(Debug)]
pub struct ServedModel {
    rec: Recognizer,
    card: Option<String>,
    /// How much of an upload `predict` decodes (the model's crop), planned once.
    decode: DecodeOptions,
}

impl ServedModel {
    /// The bundled model (`dir` `None`) or one saved by `emovox train`; its card is the folder's
    /// `README.md` when there is one.
    pub fn load(dir: Option<&Path>) -> crate::Result<Self> {
        let rec = Recognizer::from_option(dir)?;
        if !rec.reads_single_clips() {
            return Err(Error::Invalid(format!(
                "{}: a speaker-adaptive model needs several clips of a speaker at once; the web \
                 app predicts one upload at a time, so serve a model trained without \
                 --speaker-norm (or on frames)",
                rec.source()
            )));
        }
        let card = match dir {
            None => Some(DEFAULT_CARD.to_string()),
            Some(d) => std::fs::read_to_string(d.join("README.md")).ok(),
        };
        let decode = emovox_features::Extractor::new(rec.saved().pipeline.clone())
            .map_err(Error::from)?
            .decode_options();
        Ok(ServedModel { rec, card, decode })
    }

    /// The recognizer.
    pub fn recognizer(&self) -> &Recognizer {
        &self.rec
    }

    /// `clips` predicted together (adapted; with `self_train` self-trained too), each failure
    /// in its place.
    fn together(&self, clips: &[Decoded], self_train: bool) -> Vec<emovox_serve::Result<Value>> {
        let feats = clips
            .iter()
            .map(|c| self.rec.features_of_decoded(c))
            .collect();
        self.rec
            .predict_speaker_each_with(feats, self_train)
            .into_iter()
            .map(|r| r.map_err(to_serve).and_then(|p| json_of(&p)))
            .collect()
    }
}

/// Whose fault: bad audio is the client's (4xx), a failing model the server's (5xx).
fn to_serve(e: Error) -> ServeError {
    match e {
        Error::File { source, .. } => to_serve(*source),
        Error::Audio(a) => ServeError::from(a),
        e @ (Error::TooShort { .. } | Error::Truncated { .. }) => {
            ServeError::TooShort(e.to_string())
        }
        e @ Error::NoSpeech { .. } => ServeError::NoSpeech(e.to_string()),
        e @ Error::Features(_) => ServeError::BadAudio(e.to_string()),
        e @ Error::Panicked(_) => ServeError::Unprocessable(e.to_string()),
        e @ Error::Io(_) => ServeError::BadAudio(e.to_string()),
        // Model, Option, Chart: the server's fault.
        e => ServeError::Internal(e.to_string()),
    }
}

fn json_of<T: serde::Serialize>(v: &T) -> emovox_serve::Result<Value> {
    serde_json::to_value(v).map_err(|e| ServeError::Internal(e.to_string()))
}

impl Engine for ServedModel {
    fn classes(&self) -> Vec<String> {
        self.rec.classes().to_vec()
    }

    fn model_info(&self) -> Value {
        let saved = self.rec.saved();
        json!({
            "classes": saved.classes,
            "version": env!("CARGO_PKG_VERSION"),
            "source": self.rec.source(),
            "input_shape": saved.input_shape,
            "window_seconds": self.rec.window_seconds(),
            "network": saved.model,
            "pipeline": saved.pipeline,
            "card": self.card,
        })
    }

    fn live_seconds(&self) -> f64 {
        let p = &self.rec.saved().pipeline;
        match p.crop {
            Some(c) => c.offset + c.duration,
            None => self.rec.window_seconds(),
        }
    }

    fn decode_options(&self) -> DecodeOptions {
        self.decode
    }

    fn predict(&self, clip: &Decoded) -> emovox_serve::Result<Value> {
        json_of(&self.rec.predict_decoded(clip).map_err(to_serve)?)
    }

    fn predict_samples(&self, samples: &[f32], rate: u32) -> emovox_serve::Result<Value> {
        json_of(&self.rec.predict_samples(samples, rate).map_err(to_serve)?)
    }

    fn predict_together(&self, clips: &[Decoded]) -> Vec<emovox_serve::Result<Value>> {
        self.together(clips, false)
    }

    fn predict_self_trained(&self, clips: &[Decoded]) -> Vec<emovox_serve::Result<Value>> {
        self.together(clips, true)
    }

    fn can_self_train(&self) -> emovox_serve::Result<()> {
        self.rec
            .saved()
            .can_self_train()
            .map_err(|e| ServeError::BadRequest(e.to_string()))
    }

    fn predict_live(
        &self,
        samples: &[f32],
        rate: u32,
        history: &mut LiveHistory,
    ) -> emovox_serve::Result<Value> {
        if !self.rec.adapts() || !self.rec.saved().pipeline.per_clip() {
            return self.predict_samples(samples, rate);
        }
        // The session so far is one speaker: this window is predicted together with the
        // earlier ones, adapted to them as the model's policy says (SavedModel::adapt_group).
        let f = self
            .rec
            .features_of_samples(samples, rate)
            .map_err(to_serve)?;
        let [frames, columns] = self.rec.saved().input_shape;
        let mut group: Vec<Features> = history
            .windows()
            .map(|v| Features {
                frames,
                columns,
                values: v.clone(),
            })
            .collect();
        group.push(f);
        let p = self.rec.predict_speaker_last(&group).map_err(to_serve)?;
        let adapted = group.len() - 1;
        if let Some(f) = group.pop() {
            history.push(f.values);
        }
        let mut v = json_of(&p)?;
        if let Some(o) = v.as_object_mut() {
            o.insert("adapted_windows".into(), json!(adapted));
        }
        Ok(v)
    }

    fn timeline(&self, samples: &[f32], rate: u32) -> emovox_serve::Result<Value> {
        let t = Timeline::of_samples(&self.rec, samples, rate, &TimelineOptions::default())
            .map_err(to_serve)?;
        json_of(&t)
    }
}

/// Loads the model (`model`: a folder, or `None` for the bundled one) and serves until SIGTERM
/// or Ctrl-C.
pub fn serve(model: Option<&Path>, opts: Options) -> Result<()> {
    let engine = ServedModel::load(model)?;
    tracing::info!("model: {}", engine.recognizer().source());
    emovox_serve::run(engine, opts).map_err(|e| match e {
        ServeError::Io(e) => Error::Io(e),
        e => Error::Io(std::io::Error::other(e.to_string())),
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_say_whose_fault() {
        let short = Error::TooShort {
            expected: 1.9,
            got: 0.2,
        }
        .in_file("a.wav");
        assert_eq!(to_serve(short).status().as_u16(), 422);
        let trunc = Error::Truncated {
            expected: 1.9,
            got: 0.2,
        };
        assert_eq!(to_serve(trunc).status().as_u16(), 422);
        let unknown = Error::Audio(emovox_audio::Error::UnknownFormat("x".into()));
        assert_eq!(to_serve(unknown).status().as_u16(), 415);
        let corrupt = Error::Audio(emovox_audio::Error::Corrupt("x".into()));
        assert_eq!(to_serve(corrupt).status().as_u16(), 400);
        let model = Error::Model(emovox_model::Error::Data("x".into()));
        assert_eq!(to_serve(model).status().as_u16(), 500);
    }

    #[test]
    fn the_bundled_model_serves_its_card_and_live_window() {
        let m = ServedModel::load(None).unwrap();
        let info = m.model_info();
        assert!(info["card"]
            .as_str()
            .unwrap()
            .contains("bundled emovox model"));
        assert_eq!(info["classes"].as_array().unwrap().len(), m.classes().len());
        // The live window covers what the model reads, so predict_samples accepts it: here a
        // tone with silence around it (a steady tone throughout is noise to the VAD).
        let n = (m.live_seconds() * 16_000.0).ceil() as usize;
        let tone: Vec<f32> = (0..n)
            .map(|i| {
                let voiced = i > n / 5 && i < n - n / 5;
                if voiced {
                    (i as f32 * 0.07).sin() * 0.3
                } else {
                    0.0
                }
            })
            .collect();
        let p = m.predict_samples(&tone, 16_000);
        assert!(p.is_ok(), "{:?}", p.err());
        // Live mode adapts to the session: the first window is read as it is, later ones
        // with the history.
        let mut history = LiveHistory::default();
        let first = m.predict_live(&tone, 16_000, &mut history).unwrap();
        assert_eq!(first["adapted_windows"], 0);
        assert_eq!(first["scores"], p.unwrap()["scores"]);
        let second = m.predict_live(&tone, 16_000, &mut history).unwrap();
        assert_eq!(
            (second["adapted_windows"].as_u64(), history.len()),
            (Some(1), 2)
        );
    }
}
