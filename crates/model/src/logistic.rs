//! The "logistic" classifier: multinomial logistic regression over one feature vector per clip,
//! L2-regularised, fitted exactly by L-BFGS.
//!
//! Why it is here: over wide per-clip vectors (the `utterance-whisper` pipeline's 598 values) a
//! strongly regularised linear model carries to unseen corpora better than the RBF SVM
//! (leave-one-corpus-out UAR 0.52 against 0.47, `bench/MODEL_EXPERIMENTS.md`): the kernel
//! places a corpus it never saw far from every support vector, a linear boundary extrapolates.
//!
//! The objective is scikit-learn's `LogisticRegression(C=c)` (multinomial, lbfgs), with
//! `class_weight="balanced"` when asked: minimise `Σ_i w_i · CE(softmax(W x_i + b), y_i) +
//! |W|² / (2 C)` (the bias is not penalised; `w_i = n / (classes · n_{y_i})` balanced, else 1).
//! [`fit`] solves it by L-BFGS (memory 10, Armijo backtracking) in `f64` until the largest
//! gradient component is below [`LogisticConfig::tolerance`] times the summed weights. The
//! weights become the parameters of [`Logistic`], a burn module, saved and run like the other
//! models. Why our own solver: it is 120 lines, and burn has none (its optimisers are
//! stochastic; a full-batch L-BFGS converges to the exact optimum in a fraction of a second
//! here).

use burn::config::Config;
use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor, TensorData};

use crate::{Error, Result};

/// Configuration of [`Logistic`].
#[derive(Config, Debug)]
pub struct LogisticConfig {
    /// Input values per clip. Default 598 (`utterance-whisper`).
    #[config(default = 598)]
    pub n_features: usize,
    /// Output classes. Default 4 (the seed4 scheme).
    #[config(default = 4)]
    pub n_classes: usize,
    /// Inverse regularisation strength C (scikit-learn's). Default 0.001, the bundled model's:
    /// on `utterance-whisper`, C chosen per held-out corpus by leave-one-corpus-out over the
    /// other training corpora scores the same (`bench/MODEL_EXPERIMENTS.md`).
    #[config(default = 0.001)]
    pub c: f64,
    /// Most L-BFGS iterations. Default 1000.
    #[config(default = 1000)]
    pub max_iter: usize,
    /// Stop when every gradient component is below this, relative to the summed sample
    /// weights. Default 1e-6.
    #[config(default = 1e-6)]
    pub tolerance: f64,
}

impl LogisticConfig {
    /// Applies `key=value` overrides separated by commas (`logistic:c=0.01`).
    pub fn with_overrides(mut self, spec: &str) -> Result<Self, String> {
        for kv in spec.split(',').filter(|s| !s.is_empty()) {
            let (k, v) = kv
                .split_once('=')
                .ok_or(format!("expected key=value: {kv:?}"))?;
            let num = |v: &str| -> Result<f64, String> {
                v.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && *x > 0.0)
                    .ok_or(format!("bad {k} {v:?}"))
            };
            match k {
                "c" | "C" => self.c = num(v)?,
                "tolerance" => self.tolerance = num(v)?,
                "max_iter" => {
                    self.max_iter = v
                        .parse()
                        .ok()
                        .filter(|&n| n > 0)
                        .ok_or(format!("bad {k} {v:?}"))?
                }
                _ => return Err(format!("unknown logistic setting {kv:?}")),
            }
        }
        Ok(self)
    }

    /// Checks a loaded config.
    pub fn check(&self) -> Result<(), String> {
        if self.n_features == 0 || self.n_classes < 2 || self.c.is_nan() || self.c <= 0.0 {
            return Err(format!(
                "logistic: {} features, {} classes, c {}",
                self.n_features, self.n_classes, self.c
            ));
        }
        Ok(())
    }

    /// An unfitted (all-zero) model, for loading weights into.
    pub fn init(&self, device: &Device) -> Logistic {
        Logistic {
            weight: Param::from_tensor(Tensor::zeros([self.n_features, self.n_classes], device)),
            bias: Param::from_tensor(Tensor::zeros([self.n_classes], device)),
        }
    }
}

/// A fitted multinomial logistic regression: logits `x · weight + bias`.
#[derive(Module, Debug)]
pub struct Logistic {
    /// `[n_features, classes]` (standardised inputs).
    pub weight: Param<Tensor<2>>,
    /// `[classes]`.
    pub bias: Param<Tensor<1>>,
}

impl Logistic {
    /// `x: [batch, frames, features]` (frames x features = the config's `n_features`; one
    /// frame for per-clip pipelines) → logits `[batch, classes]`.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<2> {
        let [b, t, f] = x.dims();
        x.reshape([b, t * f]).matmul(self.weight.val()) + self.bias.val().unsqueeze::<2>()
    }
}

/// The objective and its gradient at `theta` (`[f * k]` weights row-major by feature, then
/// `k` biases).
struct Problem<'a> {
    x: &'a [f32],
    y: &'a [usize],
    w: Vec<f64>,
    f: usize,
    k: usize,
    c: f64,
    /// The point the penalty pulls toward, with the biases penalised too (self-training:
    /// the trained model); `None`: zero weights, free biases (fitting).
    anchor: Option<&'a [f64]>,
}

impl Problem<'_> {
    fn eval(&self, theta: &[f64], grad: &mut [f64]) -> f64 {
        use rayon::prelude::*;
        let (f, k) = (self.f, self.k);
        let (wt, b) = theta.split_at(f * k);
        let rows = self.y.len();
        let chunk = rows
            .div_ceil(rayon::current_num_threads().max(1) * 4)
            .max(1);
        let (loss, g) = (0..rows)
            .into_par_iter()
            .with_min_len(chunk)
            .fold(
                || (0.0f64, vec![0.0f64; f * k + k]),
                |(mut loss, mut g), i| {
                    let xi = &self.x[i * f..(i + 1) * f];
                    let mut z: Vec<f64> = b.to_vec();
                    for (j, &v) in xi.iter().enumerate() {
                        let v = v as f64;
                        for (zc, wc) in z.iter_mut().zip(&wt[j * k..(j + 1) * k]) {
                            *zc += v * wc;
                        }
                    }
                    let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let s: f64 = z.iter().map(|v| (v - m).exp()).sum();
                    let lse = m + s.ln();
                    loss += self.w[i] * (lse - z[self.y[i]]);
                    // d/dz = w_i (softmax - onehot)
                    let d: Vec<f64> = z
                        .iter()
                        .enumerate()
                        .map(|(c, v)| {
                            self.w[i] * ((v - lse).exp() - if c == self.y[i] { 1.0 } else { 0.0 })
                        })
                        .collect();
                    for (j, &v) in xi.iter().enumerate() {
                        let v = v as f64;
                        for (gc, dc) in g[j * k..(j + 1) * k].iter_mut().zip(&d) {
                            *gc += v * dc;
                        }
                    }
                    for (gc, dc) in g[f * k..].iter_mut().zip(&d) {
                        *gc += dc;
                    }
                    (loss, g)
                },
            )
            .reduce(
                || (0.0, vec![0.0; f * k + k]),
                |(l1, mut g1), (l2, g2)| {
                    g1.iter_mut().zip(&g2).for_each(|(a, b)| *a += b);
                    (l1 + l2, g1)
                },
            );
        let reg = 1.0 / self.c;
        let mut total = loss;
        for (i, gi) in grad.iter_mut().enumerate() {
            *gi = g[i];
            let d = match self.anchor {
                Some(a) => theta[i] - a[i],
                None if i < f * k => theta[i],
                None => 0.0,
            };
            total += 0.5 * reg * d * d;
            *gi += reg * d;
        }
        total
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Minimises `p` by L-BFGS from its anchor (zero without one); returns the solution and the
/// iterations used.
fn lbfgs(p: &Problem, max_iter: usize, tol: f64) -> (Vec<f64>, usize) {
    const MEMORY: usize = 10;
    let n = p.f * p.k + p.k;
    let mut x = p.anchor.map_or_else(|| vec![0.0; n], <[f64]>::to_vec);
    let mut g = vec![0.0; n];
    let mut fx = p.eval(&x, &mut g);
    let mut hist: Vec<(Vec<f64>, Vec<f64>, f64)> = Vec::new(); // (s, y, 1 / yᵀs)
    let (mut x_new, mut g_new) = (vec![0.0; n], vec![0.0; n]);
    for it in 0..max_iter {
        if g.iter().all(|v| v.abs() <= tol) {
            return (x, it);
        }
        // Two-loop recursion: d = -H g.
        let mut q = g.clone();
        let mut alphas = Vec::with_capacity(hist.len());
        for (s, y, rho) in hist.iter().rev() {
            let a = rho * dot(s, &q);
            q.iter_mut().zip(y).for_each(|(qi, yi)| *qi -= a * yi);
            alphas.push(a);
        }
        let gamma = hist.last().map_or(
            1.0 / g.iter().map(|v| v.abs()).sum::<f64>().max(1e-12),
            |(s, y, _)| dot(s, y) / dot(y, y),
        );
        q.iter_mut().for_each(|v| *v *= gamma);
        for ((s, y, rho), a) in hist.iter().zip(alphas.iter().rev()) {
            let b = rho * dot(y, &q);
            q.iter_mut().zip(s).for_each(|(qi, si)| *qi += (a - b) * si);
        }
        let mut d: Vec<f64> = q.iter().map(|v| -v).collect();
        let mut slope = dot(&g, &d);
        if slope >= 0.0 {
            // Not a descent direction (numerical trouble): restart from steepest descent.
            hist.clear();
            d = g.iter().map(|v| -v).collect();
            slope = -dot(&g, &g);
        }
        // Armijo backtracking.
        let mut step = 1.0;
        let mut accepted = false;
        for _ in 0..40 {
            x_new
                .iter_mut()
                .zip(&x)
                .zip(&d)
                .for_each(|((xn, xi), di)| *xn = xi + step * di);
            let f_new = p.eval(&x_new, &mut g_new);
            if f_new <= fx + 1e-4 * step * slope {
                fx = f_new;
                accepted = true;
                break;
            }
            step *= 0.5;
        }
        if !accepted {
            return (x, it);
        }
        let s: Vec<f64> = x_new.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        let ys = dot(&y, &s);
        if ys > 1e-12 {
            if hist.len() == MEMORY {
                hist.remove(0);
            }
            hist.push((s, y, 1.0 / ys));
        }
        std::mem::swap(&mut x, &mut x_new);
        std::mem::swap(&mut g, &mut g_new);
    }
    (x, max_iter)
}

/// Each row's weight in the objective: `n / (classes present · n_class)` when `balanced`
/// (scikit-learn's `class_weight="balanced"`), else 1. Classes are below `k`.
pub(crate) fn sample_weights(y: &[usize], k: usize, balanced: bool) -> Vec<f64> {
    let mut counts = vec![0usize; k];
    y.iter().for_each(|&c| counts[c] += 1);
    let present = counts.iter().filter(|&&c| c > 0).count().max(1);
    y.iter()
        .map(|&c| {
            if balanced {
                y.len() as f64 / (present as f64 * counts[c] as f64)
            } else {
                1.0
            }
        })
        .collect()
}

/// Fits the model on `x` (`y.len()` rows of `cfg.n_features` standardised values) with classes
/// `y` in `0..cfg.n_classes`; with `balanced`, each class weighs `n / (classes · n_class)`
/// (scikit-learn's `class_weight="balanced"`).
pub fn fit(
    x: &[f32],
    y: &[usize],
    cfg: &LogisticConfig,
    balanced: bool,
    device: &Device,
) -> Result<Logistic> {
    let (n, f, k) = (y.len(), cfg.n_features, cfg.n_classes);
    if n == 0 || x.len() != n * f {
        return Err(Error::Data(format!(
            "logistic: {} values for {n} rows of {f} features",
            x.len()
        )));
    }
    if let Some(&bad) = y.iter().find(|&&c| c >= k) {
        return Err(Error::Data(format!(
            "logistic: class {bad} with {k} classes"
        )));
    }
    fit_weighted(x, y, &sample_weights(y, k, balanced), cfg, device)
}

/// [`fit`] with each row's weight in the objective given (`w[i]` for row `i`, as
/// scikit-learn's `sample_weight`), such as [`crate::data::speaker_balanced_weights`].
pub fn fit_weighted(
    x: &[f32],
    y: &[usize],
    w: &[f64],
    cfg: &LogisticConfig,
    device: &Device,
) -> Result<Logistic> {
    let (n, f, k) = (y.len(), cfg.n_features, cfg.n_classes);
    if n == 0 || x.len() != n * f || w.len() != n {
        return Err(Error::Data(format!(
            "logistic: {} values and {} weights for {n} rows of {f} features",
            x.len(),
            w.len()
        )));
    }
    if let Some(&bad) = y.iter().find(|&&c| c >= k) {
        return Err(Error::Data(format!(
            "logistic: class {bad} with {k} classes"
        )));
    }
    if w.iter().any(|v| !v.is_finite() || *v < 0.0) {
        return Err(Error::Data(
            "logistic: weights must be finite and >= 0".into(),
        ));
    }
    let w = w.to_vec();
    let total: f64 = w.iter().sum();
    let p = Problem {
        x,
        y,
        w,
        f,
        k,
        c: cfg.c,
        anchor: None,
    };
    let (theta, iterations) = lbfgs(&p, cfg.max_iter, cfg.tolerance * total);
    tracing::info!(iterations, "logistic regression fitted");
    Ok(from_theta(&theta, f, k, device))
}

fn from_theta(theta: &[f64], f: usize, k: usize, device: &Device) -> Logistic {
    let weight: Vec<f32> = theta[..f * k].iter().map(|&v| v as f32).collect();
    let bias: Vec<f32> = theta[f * k..].iter().map(|&v| v as f32).collect();
    Logistic {
        weight: Param::from_tensor(Tensor::from_data(TensorData::new(weight, [f, k]), device)),
        bias: Param::from_tensor(Tensor::from_data(TensorData::new(bias, [k]), device)),
    }
}

/// Self-training on unlabelled clips (transductive adaptation), as [`crate::svm::self_train`]
/// does for the SVM: `model` predicts the rows of `x` (standardised), the most confident
/// [`SELF_TRAIN_SHARE`](crate::svm::SELF_TRAIN_SHARE) of each predicted class become examples
/// of that class (class-balanced when `balanced`), and the model is refitted on them with the
/// same penalty `1 / C`, now pulling every weight and bias toward the trained model's instead
/// of toward zero: the training corpora are not stored with the model, and the trained weights
/// stand in for them (their optimum is where the penalty is centred).
pub fn self_train(
    model: &Logistic,
    cfg: &LogisticConfig,
    x: &[f32],
    balanced: bool,
    device: &Device,
) -> Result<Logistic> {
    let (f, k) = (cfg.n_features, cfg.n_classes);
    if f == 0 || x.is_empty() || !x.len().is_multiple_of(f) {
        return Err(Error::Data(format!(
            "logistic: {} values are not rows of {f} features",
            x.len()
        )));
    }
    let n = x.len() / f;
    let values = |t: Tensor<2>| t.into_data().try_to_vec::<f32>();
    let scores = model
        .forward(Tensor::from_data(
            TensorData::new(x.to_vec(), [n, 1, f]),
            device,
        ))
        .into_data()
        .try_to_vec::<f32>()
        .map_err(|e| Error::Data(format!("logistic: logits: {e:?}")))?;
    let picked = crate::svm::confident(&scores, k, crate::svm::SELF_TRAIN_SHARE);
    let xs: Vec<f32> = picked
        .iter()
        .flat_map(|&(i, _)| x[i * f..(i + 1) * f].iter().copied())
        .collect();
    let ys: Vec<usize> = picked.iter().map(|&(_, c)| c).collect();
    let mut anchor: Vec<f64> = values(model.weight.val())
        .map_err(|e| Error::Data(format!("logistic: weights: {e:?}")))?
        .into_iter()
        .map(f64::from)
        .collect();
    anchor.extend(
        model
            .bias
            .val()
            .into_data()
            .try_to_vec::<f32>()
            .map_err(|e| Error::Data(format!("logistic: biases: {e:?}")))?
            .into_iter()
            .map(f64::from),
    );
    let w = sample_weights(&ys, k, balanced);
    let total: f64 = w.iter().sum();
    let p = Problem {
        x: &xs,
        y: &ys,
        w,
        f,
        k,
        c: cfg.c,
        anchor: Some(&anchor),
    };
    let (theta, _) = lbfgs(&p, cfg.max_iter, cfg.tolerance * total.max(1.0));
    Ok(from_theta(&theta, f, k, device))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The predicted class of each row of `x` (`[n, 1, f]`).
    fn predict(m: &Logistic, x: Vec<f32>, n: usize, f: usize) -> Vec<usize> {
        let t = Tensor::<3>::from_data(TensorData::new(x, [n, 1, f]), &Device::flex());
        let logits = m.forward(t).into_data().try_to_vec::<f32>().unwrap();
        let k = logits.len() / n;
        logits
            .chunks_exact(k)
            .map(|r| (0..k).max_by(|&a, &b| r[a].total_cmp(&r[b])).unwrap())
            .collect()
    }

    fn toy() -> (Vec<f32>, Vec<usize>) {
        // Three classes around (2,0), (-2,0), (0,2), with a little spread.
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..30 {
            let c = i % 3;
            let e = ((i * 7919) % 13) as f32 / 13.0 - 0.5;
            let (a, b) = [(2.0, 0.0), (-2.0, 0.0), (0.0, 2.0)][c];
            x.extend([a + e, b - e * 0.5]);
            y.push(c);
        }
        (x, y)
    }

    #[test]
    fn fits_separable_classes_and_reaches_the_optimum() {
        let (x, y) = toy();
        let cfg = LogisticConfig::new()
            .with_n_features(2)
            .with_n_classes(3)
            .with_c(1.0);
        let device = Device::flex();
        let m = fit(&x, &y, &cfg, false, &device).unwrap();
        assert_eq!(predict(&m, x.clone(), 30, 2), y);
        // The gradient of the objective vanishes at the returned weights.
        let p = Problem {
            x: &x,
            y: &y,
            w: vec![1.0; 30],
            f: 2,
            k: 3,
            c: 1.0,
            anchor: None,
        };
        let (theta, _) = lbfgs(&p, 1000, 1e-9);
        let mut g = vec![0.0; 9];
        p.eval(&theta, &mut g);
        assert!(g.iter().all(|v| v.abs() < 1e-6), "{g:?}");
        // Stronger regularisation shrinks the weights.
        let p2 = Problem { c: 0.01, ..p };
        let (t2, _) = lbfgs(&p2, 1000, 1e-9);
        assert!(dot(&t2[..6], &t2[..6]) < dot(&theta[..6], &theta[..6]));
    }

    #[test]
    fn a_row_weighted_two_is_the_row_given_twice() {
        let (x, y) = toy();
        let cfg = LogisticConfig::new()
            .with_n_features(2)
            .with_n_classes(3)
            .with_c(0.1);
        let device = Device::flex();
        let mut w = vec![1.0; 30];
        w[0] = 2.0;
        let weighted = fit_weighted(&x, &y, &w, &cfg, &device).unwrap();
        let (mut x2, mut y2) = (x.clone(), y.clone());
        x2.extend_from_slice(&x[..2]);
        y2.push(y[0]);
        let twice = fit(&x2, &y2, &cfg, false, &device).unwrap();
        let flat = |m: &Logistic| m.weight.val().into_data().try_to_vec::<f32>().unwrap();
        for (a, b) in flat(&weighted).iter().zip(flat(&twice)) {
            assert!((a - b).abs() < 1e-3, "{a} vs {b}");
        }
        assert!(fit_weighted(&x, &y, &w[..29], &cfg, &device).is_err());
        w[1] = f64::NAN;
        assert!(fit_weighted(&x, &y, &w, &cfg, &device).is_err());
    }

    #[test]
    fn balanced_weights_favour_the_rare_class() {
        // 20 of class 0, 4 of class 1, overlapping on one feature.
        let x: Vec<f32> = (0..24)
            .map(|i| {
                if i < 20 {
                    (i % 5) as f32 * 0.3
                } else {
                    0.6 + (i % 2) as f32
                }
            })
            .collect();
        let y: Vec<usize> = (0..24).map(|i| usize::from(i >= 20)).collect();
        let cfg = LogisticConfig::new()
            .with_n_features(1)
            .with_n_classes(2)
            .with_c(1.0);
        let device = Device::flex();
        let bias = |balanced| {
            let m = fit(&x, &y, &cfg, balanced, &device).unwrap();
            let b = m.bias.val().into_data().try_to_vec::<f32>().unwrap();
            b[1] - b[0]
        };
        assert!(bias(true) > bias(false));
    }

    #[test]
    fn self_training_moves_toward_the_new_clips_and_stays_near_the_model() {
        let (x, y) = toy();
        let cfg = LogisticConfig::new()
            .with_n_features(2)
            .with_n_classes(3)
            .with_c(0.1);
        let device = Device::flex();
        let m = fit(&x, &y, &cfg, true, &device).unwrap();
        // The same clips shifted by +1 on both features (a new recording set-up).
        let shifted: Vec<f32> = x.iter().map(|v| v + 1.0).collect();
        let refit = self_train(&m, &cfg, &shifted, true, &device).unwrap();
        let w = |m: &Logistic| m.weight.val().into_data().try_to_vec::<f32>().unwrap();
        let moved: f32 = w(&m)
            .iter()
            .zip(w(&refit))
            .map(|(a, b)| (a - b).abs())
            .sum();
        assert!(moved > 0.0 && moved.is_finite());
        let pred = predict(&refit, shifted, 30, 2);
        let right = pred.iter().zip(&y).filter(|(p, c)| p == c).count();
        assert!(right >= 20, "{right} of 30");
        assert!(self_train(&m, &cfg, &[1.0, 2.0, 3.0], true, &device).is_err());
    }

    #[test]
    fn bad_rows_and_settings_are_errors() {
        let cfg = LogisticConfig::new().with_n_features(2).with_n_classes(2);
        let device = Device::flex();
        assert!(fit(&[1.0, 2.0, 3.0], &[0, 1], &cfg, false, &device).is_err());
        assert!(fit(&[1.0, 2.0], &[5], &cfg, false, &device).is_err());
        assert!(LogisticConfig::new().with_overrides("c=0").is_err());
        assert!(LogisticConfig::new().with_overrides("depth=2").is_err());
        let c = LogisticConfig::new()
            .with_overrides("c=0.01,max_iter=50")
            .unwrap();
        assert_eq!((c.c, c.max_iter), (0.01, 50));
    }
}
