//! The "svm" classifier: an RBF-kernel support vector machine over one feature vector per clip
//! (e.g. the `logmel-stats` pipeline), one-vs-rest, fitted by SMO.
//!
//! Not a network and not trained by gradient descent: [`fit`] solves each class's C-SVC dual
//! exactly (LIBSVM's SMO with second-order working-set selection, Fan, Chen & Lin 2005), then
//! the support vectors and their coefficients become the parameters of [`Svm`], a burn module,
//! so the fitted model is saved, loaded and run exactly like the networks (`model.bpk`,
//! [`crate::SavedModel::predict`]).
//!
//! Why our own solver: burn has no SVM, and the maintained Rust SVM (`linfa-svm`) keeps a
//! fitted model's support vectors private, so its models could not be stored in emovox's one
//! model format; it would also add a second numeric stack (ndarray, sprs) next to burn. The
//! solver is ~150 lines of well-known arithmetic, tested against the dual's optimality
//! conditions below.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor, TensorData};

use crate::{Error, Result};

/// Most training rows [`fit`] takes: the kernel matrix is `n²` `f32`s (12,000 rows: 576 MB).
pub const MAX_ROWS: usize = 12_000;

/// Configuration of [`Svm`]. `gamma` and `n_support` are filled in by [`fit`] and saved with
/// the model, so [`SvmConfig::init`] rebuilds the fitted shape for loading.
#[derive(Config, Debug)]
pub struct SvmConfig {
    /// Input values per clip (frames x features of the pipeline). Default 512 (`logmel-stats`).
    #[config(default = 512)]
    pub n_features: usize,
    /// Output classes. Default 4 (the seed4 scheme).
    #[config(default = 4)]
    pub n_classes: usize,
    /// Soft-margin penalty C. Default 10.
    #[config(default = 10.0)]
    pub c: f64,
    /// RBF width: `K(a, b) = exp(-gamma |a - b|²)`. Default 0: `1 / n_features` at fit time
    /// (scikit-learn's `gamma="scale"` on standardised inputs).
    #[config(default = 0.0)]
    pub gamma: f64,
    /// Support vectors kept by the fit (0 before fitting).
    #[config(default = 0)]
    pub n_support: usize,
    /// SMO stopping tolerance on the maximal KKT violation. Default 1e-3 (LIBSVM's).
    #[config(default = 1e-3)]
    pub tolerance: f64,
    /// The class of each support vector, in the order of [`Svm::support`]: filled in by
    /// [`fit`], read by [`self_train`]. Default empty (models saved before emovox kept it,
    /// which cannot self-train).
    #[config(default = "Vec::new()")]
    pub support_labels: Vec<usize>,
}

impl SvmConfig {
    /// Applies `key=value` overrides separated by commas (`svm:c=3,gamma=0.002`).
    pub fn with_overrides(mut self, spec: &str) -> Result<Self, String> {
        for kv in spec.split(',').filter(|s| !s.is_empty()) {
            let (k, v) = kv
                .split_once('=')
                .ok_or(format!("expected key=value: {kv:?}"))?;
            let num = |v: &str| -> Result<f64, String> {
                v.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && *x >= 0.0)
                    .ok_or(format!("bad {k} {v:?}"))
            };
            match k {
                "c" | "C" => self.c = num(v)?,
                "gamma" => self.gamma = num(v)?,
                "tolerance" => self.tolerance = num(v)?,
                _ => return Err(format!("unknown svm setting {kv:?}")),
            }
        }
        if self.c <= 0.0 || self.tolerance <= 0.0 {
            return Err("svm needs c > 0 and tolerance > 0".into());
        }
        Ok(self)
    }

    /// Checks a loaded config: [`support_labels`](Self::support_labels), when present, has
    /// one class below [`n_classes`](Self::n_classes) per support vector.
    pub fn check(&self) -> Result<(), String> {
        let labels = &self.support_labels;
        if !labels.is_empty()
            && (labels.len() != self.n_support || labels.iter().any(|&c| c >= self.n_classes))
        {
            return Err(format!(
                "svm: {} support labels for {} support vectors of {} classes",
                labels.len(),
                self.n_support,
                self.n_classes
            ));
        }
        Ok(())
    }

    /// Whether the fit saved each support vector's class ([`support_labels`](Self::support_labels)),
    /// which [`self_train`] needs; models saved before emovox kept them have none.
    pub fn has_support_labels(&self) -> bool {
        self.n_support > 0 && self.support_labels.len() == self.n_support
    }

    /// The RBF width used: [`gamma`](Self::gamma), or `1 / n_features` when it is 0.
    pub fn effective_gamma(&self) -> f64 {
        if self.gamma > 0.0 {
            self.gamma
        } else {
            1.0 / self.n_features.max(1) as f64
        }
    }

    /// An unfitted (all-zero) model of the saved shape, for loading weights into.
    pub fn init(&self, device: &Device) -> Svm {
        let n = self.n_support.max(1);
        Svm {
            support: Param::from_tensor(Tensor::zeros([n, self.n_features], device)),
            coef: Param::from_tensor(Tensor::zeros([n, self.n_classes], device)),
            bias: Param::from_tensor(Tensor::zeros([self.n_classes], device)),
            gamma: self.effective_gamma(),
        }
    }
}

/// A fitted one-vs-rest RBF support vector classifier. Its "logits" are the classes' decision
/// values `Σ_s coef[s, k] K(x, support[s]) + bias[k]`; their softmax is reported as
/// probabilities (a monotone score, not calibrated like Platt scaling).
#[derive(Module, Debug)]
pub struct Svm {
    /// Support vectors, `[n_support, n_features]` (standardised inputs).
    pub support: Param<Tensor<2>>,
    /// `alpha · y` of each support vector in each class's machine, `[n_support, classes]`.
    pub coef: Param<Tensor<2>>,
    /// Each class's machine's offset (`-rho`), `[classes]`.
    pub bias: Param<Tensor<1>>,
    /// RBF width.
    pub gamma: f64,
}

impl Svm {
    /// `x: [batch, frames, features]` (frames x features = the config's `n_features`; one
    /// frame for per-clip pipelines) → decision values `[batch, classes]`.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<2> {
        let [b, t, f] = x.dims();
        let x = x.reshape([b, t * f]);
        let s = self.support.val();
        let n = s.dims()[0];
        let x2 = x.clone().powi_scalar(2).sum_dim(1); // [B, 1]
        let s2 = s.clone().powi_scalar(2).sum_dim(1).reshape([1, n]); // [1, n]
        let d = (x2 + s2 - x.matmul(s.transpose()).mul_scalar(2.0)).clamp_min(0.0);
        let k = d.mul_scalar(-self.gamma).exp(); // [B, n]
        k.matmul(self.coef.val()) + self.bias.val().unsqueeze::<2>()
    }
}

/// The RBF kernel matrix of the rows of `x` (`n x f`, row-major), as `f32`.
fn kernel_matrix(x: &[f32], n: usize, f: usize, gamma: f64) -> Vec<f32> {
    use rayon::prelude::*;
    let norms: Vec<f64> = x
        .chunks_exact(f)
        .map(|r| r.iter().map(|&v| v as f64 * v as f64).sum())
        .collect();
    let mut k = vec![0f32; n * n];
    k.par_chunks_mut(n).enumerate().for_each(|(i, row)| {
        let a = &x[i * f..(i + 1) * f];
        for (j, out) in row.iter_mut().enumerate() {
            let b = &x[j * f..(j + 1) * f];
            let dot: f32 = a.iter().zip(b).map(|(p, q)| p * q).sum();
            let d = (norms[i] + norms[j] - 2.0 * dot as f64).max(0.0);
            *out = (-gamma * d).exp() as f32;
        }
    });
    k
}

/// One binary C-SVC dual, `min ½ αᵀQα − Σα` with `Q_ij = y_i y_j K_ij`, `0 ≤ α ≤ c`,
/// `yᵀα = 0`, solved by SMO as LIBSVM's `Solver::Solve` does (no shrinking). Returns `α` and
/// `rho` (the decision function is `Σ α_i y_i K(x_i, x) − rho`).
fn smo(k: &[f32], y: &[f64], cs: &[f64], eps: f64) -> (Vec<f64>, f64) {
    const TAU: f64 = 1e-12;
    let n = y.len();
    let kk = |i: usize, j: usize| k[i * n + j] as f64;
    let mut a = vec![0f64; n];
    let mut g = vec![-1f64; n];
    let max_iter = (100 * n).max(10_000_000);
    for _ in 0..max_iter {
        // Working set: i maximises -y G over I_up; j minimises the second-order gain over I_low.
        let (mut gmax, mut i) = (f64::NEG_INFINITY, usize::MAX);
        for t in 0..n {
            let up = if y[t] > 0.0 { a[t] < cs[t] } else { a[t] > 0.0 };
            if up && -y[t] * g[t] >= gmax {
                gmax = -y[t] * g[t];
                i = t;
            }
        }
        if i == usize::MAX {
            break;
        }
        let (mut gmax2, mut j, mut obj_min) = (f64::NEG_INFINITY, usize::MAX, f64::INFINITY);
        for t in 0..n {
            let low = if y[t] > 0.0 { a[t] > 0.0 } else { a[t] < cs[t] };
            if !low {
                continue;
            }
            let v = y[t] * g[t];
            gmax2 = gmax2.max(v);
            let diff = gmax + v;
            if diff > 0.0 {
                let quad = (kk(i, i) + kk(t, t) - 2.0 * kk(i, t)).max(TAU);
                let obj = -(diff * diff) / quad;
                if obj <= obj_min {
                    obj_min = obj;
                    j = t;
                }
            }
        }
        if gmax + gmax2 < eps || j == usize::MAX {
            break;
        }
        let (ai, aj) = (a[i], a[j]);
        let (ci, cj) = (cs[i], cs[j]);
        let quad = (kk(i, i) + kk(j, j) - 2.0 * kk(i, j)).max(TAU);
        // LIBSVM's update and clipping, with each variable's own bound (per-sample C).
        if y[i] != y[j] {
            let delta = (-g[i] - g[j]) / quad;
            let diff = a[i] - a[j];
            a[i] += delta;
            a[j] += delta;
            if diff > 0.0 {
                if a[j] < 0.0 {
                    a[j] = 0.0;
                    a[i] = diff;
                }
            } else if a[i] < 0.0 {
                a[i] = 0.0;
                a[j] = -diff;
            }
            if diff > ci - cj {
                if a[i] > ci {
                    a[i] = ci;
                    a[j] = ci - diff;
                }
            } else if a[j] > cj {
                a[j] = cj;
                a[i] = cj + diff;
            }
        } else {
            let delta = (g[i] - g[j]) / quad;
            let sum = a[i] + a[j];
            a[i] -= delta;
            a[j] += delta;
            if sum > ci {
                if a[i] > ci {
                    a[i] = ci;
                    a[j] = sum - ci;
                }
            } else if a[j] < 0.0 {
                a[j] = 0.0;
                a[i] = sum;
            }
            if sum > cj {
                if a[j] > cj {
                    a[j] = cj;
                    a[i] = sum - cj;
                }
            } else if a[i] < 0.0 {
                a[i] = 0.0;
                a[j] = sum;
            }
        }
        let (di, dj) = (a[i] - ai, a[j] - aj);
        for t in 0..n {
            g[t] += y[t] * (y[i] * kk(t, i) * di + y[j] * kk(t, j) * dj);
        }
    }
    // rho: the mean of y G over free variables, else the middle of the feasible interval.
    let (mut ub, mut lb, mut sum, mut free) = (f64::INFINITY, f64::NEG_INFINITY, 0.0, 0usize);
    for t in 0..n {
        let yg = y[t] * g[t];
        if a[t] >= cs[t] {
            if y[t] < 0.0 {
                ub = ub.min(yg)
            } else {
                lb = lb.max(yg)
            }
        } else if a[t] <= 0.0 {
            if y[t] > 0.0 {
                ub = ub.min(yg)
            } else {
                lb = lb.max(yg)
            }
        } else {
            free += 1;
            sum += yg;
        }
    }
    let rho = if free > 0 {
        sum / free as f64
    } else {
        (ub + lb) / 2.0
    };
    (a, rho)
}

/// Fits one-vs-rest machines on `x` (`y.len()` rows of `cfg.n_features` standardised values)
/// with classes `y` in `0..cfg.n_classes`. Returns the config with `gamma` and `n_support`
/// filled in, and the model.
///
/// With `balanced`, each machine weighs its two sides by inverse frequency (scikit-learn's
/// `class_weight="balanced"` on each one-vs-rest problem): sample `i`'s bound is
/// `C * n / (2 * n_side(i))`, so a class with few clips is not outvoted by the rest.
pub fn fit(
    x: &[f32],
    y: &[usize],
    cfg: &SvmConfig,
    balanced: bool,
    device: &Device,
) -> Result<(SvmConfig, Svm)> {
    let (n, f, classes) = (y.len(), cfg.n_features, cfg.n_classes);
    if n == 0 || x.len() != n * f {
        return Err(Error::Data(format!(
            "svm: {} values for {n} rows of {f} features",
            x.len()
        )));
    }
    if n > MAX_ROWS {
        return Err(Error::Data(format!(
            "svm: {n} training rows, at most {MAX_ROWS} (the kernel matrix grows with the square); \
             train on the original clips only or a per-clip pipeline without augmented copies"
        )));
    }
    if let Some(&bad) = y.iter().find(|&&c| c >= classes) {
        return Err(Error::Data(format!(
            "svm: class {bad} with {classes} classes"
        )));
    }
    let gamma = cfg.effective_gamma();
    let k = kernel_matrix(x, n, f, gamma);
    let mut coef = vec![0f64; n * classes];
    let mut bias = vec![0f64; classes];
    let solved: Vec<(Vec<f64>, f64)> = {
        use rayon::prelude::*;
        (0..classes)
            .into_par_iter()
            .map(|class| {
                let yy: Vec<f64> = y
                    .iter()
                    .map(|&c| if c == class { 1.0 } else { -1.0 })
                    .collect();
                let pos = yy.iter().filter(|&&v| v > 0.0).count().max(1) as f64;
                let neg = (yy.len() as f64 - pos).max(1.0);
                let total = yy.len() as f64;
                let cs: Vec<f64> = yy
                    .iter()
                    .map(|&v| match (balanced, v > 0.0) {
                        (false, _) => cfg.c,
                        (true, true) => cfg.c * total / (2.0 * pos),
                        (true, false) => cfg.c * total / (2.0 * neg),
                    })
                    .collect();
                let (a, rho) = smo(&k, &yy, &cs, cfg.tolerance);
                (a.iter().zip(&yy).map(|(a, y)| a * y).collect(), rho)
            })
            .collect()
    };
    for (class, (ay, rho)) in solved.into_iter().enumerate() {
        for (i, v) in ay.into_iter().enumerate() {
            coef[i * classes + class] = v;
        }
        bias[class] = -rho;
    }
    let keep: Vec<usize> = (0..n)
        .filter(|&i| {
            coef[i * classes..(i + 1) * classes]
                .iter()
                .any(|&v| v != 0.0)
        })
        .collect();
    let m = keep.len().max(1);
    let mut sv = vec![0f32; m * f];
    let mut cf = vec![0f32; m * classes];
    for (r, &i) in keep.iter().enumerate() {
        sv[r * f..(r + 1) * f].copy_from_slice(&x[i * f..(i + 1) * f]);
        for c in 0..classes {
            cf[r * classes + c] = coef[i * classes + c] as f32;
        }
    }
    let fitted = SvmConfig {
        gamma,
        n_support: keep.len(),
        support_labels: keep.iter().map(|&i| y[i]).collect(),
        ..cfg.clone()
    };
    let bias: Vec<f32> = bias.iter().map(|&b| b as f32).collect();
    let model = Svm {
        support: Param::from_tensor(Tensor::from_data(TensorData::new(sv, [m, f]), device)),
        coef: Param::from_tensor(Tensor::from_data(TensorData::new(cf, [m, classes]), device)),
        bias: Param::from_tensor(Tensor::from_data(TensorData::new(bias, [classes]), device)),
        gamma,
    };
    Ok((fitted, model))
}

/// Share of the clips given to [`self_train`] it keeps as pseudo-labelled examples: within each
/// predicted class, the most confident `SELF_TRAIN_SHARE` of them (at least one). 0.3, measured
/// by leave-one-corpus-out (0.2 to 0.6 score within 0.004; bench/MODEL_EXPERIMENTS.md).
pub const SELF_TRAIN_SHARE: f64 = 0.3;

/// Self-training on unlabelled clips (transductive adaptation): `model` predicts the rows of
/// `x` (standardised, [`SvmConfig::n_features`] values each), the most confident
/// [`SELF_TRAIN_SHARE`] of each predicted class become examples of that class, and the machine
/// is refitted on its own support vectors with their saved classes
/// ([`SvmConfig::support_labels`]) plus those examples, with the same C, RBF width and class
/// weighting (`balanced`, as it was trained). The refitted machine has seen where the new
/// recordings lie, labelled by its own surest answers: one recording set-up or speaker, a
/// batch of clips together. Confidence is the margin between the best and second-best
/// class's decision value.
///
/// An error for a model saved without its support vectors' classes, or `x` not whole rows.
pub fn self_train(
    model: &Svm,
    cfg: &SvmConfig,
    x: &[f32],
    balanced: bool,
    device: &Device,
) -> Result<(SvmConfig, Svm)> {
    let (f, classes) = (cfg.n_features, cfg.n_classes);
    if !cfg.has_support_labels() {
        return Err(Error::Data(
            "svm: this model was saved without its support vectors' classes (by an older \
             emovox) and cannot self-train; retrain it"
                .into(),
        ));
    }
    if f == 0 || x.is_empty() || x.len() % f != 0 {
        return Err(Error::Data(format!(
            "svm: {} values are not rows of {f} features",
            x.len()
        )));
    }
    let n = x.len() / f;
    let scores = model
        .forward(Tensor::from_data(
            TensorData::new(x.to_vec(), [n, 1, f]),
            device,
        ))
        .into_data()
        .try_to_vec::<f32>()
        .map_err(|e| Error::Data(format!("svm: decision values: {e:?}")))?;
    let mut xs = model
        .support
        .val()
        .into_data()
        .try_to_vec::<f32>()
        .map_err(|e| Error::Data(format!("svm: support vectors: {e:?}")))?;
    let mut ys = cfg.support_labels.clone();
    for (i, class) in confident(&scores, classes, SELF_TRAIN_SHARE) {
        xs.extend_from_slice(&x[i * f..(i + 1) * f]);
        ys.push(class);
    }
    let base = SvmConfig {
        n_support: 0,
        support_labels: Vec::new(),
        gamma: model.gamma,
        ..cfg.clone()
    };
    fit(&xs, &ys, &base, balanced, device)
}

/// The rows of `scores` (decision values, `classes` per row) that are the surest of their
/// predicted class: within each class, the `share` with the largest margin between the best
/// and the second-best score, at least one. Returns `(row, predicted class)` in row order.
pub(crate) fn confident(scores: &[f32], classes: usize, share: f64) -> Vec<(usize, usize)> {
    let mut by_class: Vec<Vec<(f32, usize)>> = vec![Vec::new(); classes];
    for (i, row) in scores.chunks_exact(classes).enumerate() {
        let (mut best, mut second) = ((0usize, f32::NEG_INFINITY), f32::NEG_INFINITY);
        for (k, &v) in row.iter().enumerate() {
            if v > best.1 {
                second = best.1;
                best = (k, v);
            } else if v > second {
                second = v;
            }
        }
        let margin = if second.is_finite() {
            best.1 - second
        } else {
            f32::INFINITY
        };
        by_class[best.0].push((margin, i));
    }
    let mut picked: Vec<(usize, usize)> = Vec::new();
    for (class, mut rows) in by_class.into_iter().enumerate() {
        let take = ((share * rows.len() as f64).ceil() as usize).min(rows.len());
        rows.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        picked.extend(rows.into_iter().take(take).map(|(_, i)| (i, class)));
    }
    picked.sort_unstable();
    picked
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2-D points: class 0 near the origin, class 1 on a ring around it, class 2 far right
    /// (not linearly separable for class 0 vs the rest).
    fn rings() -> (Vec<f32>, Vec<usize>) {
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for i in 0..12 {
            let t = i as f32 * std::f32::consts::TAU / 12.0;
            x.extend([0.3 * t.cos(), 0.3 * t.sin()]);
            y.push(0);
            x.extend([2.0 * t.cos(), 2.0 * t.sin()]);
            y.push(1);
            x.extend([6.0 + 0.5 * t.cos(), 0.5 * t.sin()]);
            y.push(2);
        }
        (x, y)
    }

    #[test]
    fn smo_solution_satisfies_the_dual_optimality_conditions() {
        let (x, y) = rings();
        let n = y.len();
        let k = kernel_matrix(&x, n, 2, 0.5);
        let yy: Vec<f64> = y.iter().map(|&c| if c == 0 { 1.0 } else { -1.0 }).collect();
        // One bound for all, and per-sample bounds (class-balanced weighting: the two sides
        // get different C).
        let uniform = vec![10.0; n];
        let weighted: Vec<f64> = yy
            .iter()
            .map(|&v| if v > 0.0 { 3.0 } else { 0.7 })
            .collect();
        for cs in [uniform, weighted] {
            let (a, rho) = smo(&k, &yy, &cs, 1e-6);
            // Feasible: 0 <= a_i <= C_i and y'a = 0.
            assert!(a.iter().zip(&cs).all(|(&v, &c)| (0.0..=c).contains(&v)));
            assert!(a.iter().zip(&yy).map(|(a, y)| a * y).sum::<f64>().abs() < 1e-9);
            // KKT: y_i f(x_i) >= 1 where a = 0, = 1 where 0 < a < C_i, <= 1 where a = C_i.
            for i in 0..n {
                let f: f64 = (0..n)
                    .map(|j| a[j] * yy[j] * k[i * n + j] as f64)
                    .sum::<f64>()
                    - rho;
                let m = yy[i] * f;
                if a[i] == 0.0 {
                    assert!(m >= 1.0 - 1e-3, "row {i}: margin {m} with a = 0");
                } else if a[i] < cs[i] {
                    assert!((m - 1.0).abs() < 1e-3, "row {i}: margin {m} with free a");
                } else {
                    assert!(m <= 1.0 + 1e-3, "row {i}: margin {m} with a = C");
                }
            }
        }
    }

    #[test]
    fn balanced_weighting_gives_a_rare_class_its_share() {
        // 40 points of class 0 around (0, 0) and 4 of class 1 around (1, 0), overlapping:
        // unweighted, the rare class is mostly outvoted; balanced, it is found.
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..40 {
            let t = i as f32 * 0.7;
            x.extend([0.6 * t.sin(), 0.6 * t.cos()]);
            y.push(0);
        }
        for i in 0..4 {
            let t = i as f32 * 1.3;
            x.extend([0.8 + 0.3 * t.sin(), 0.3 * t.cos()]);
            y.push(1);
        }
        let device = Device::flex();
        let cfg = SvmConfig::new()
            .with_n_features(2)
            .with_n_classes(2)
            .with_overrides("c=0.1")
            .unwrap();
        let found = |balanced: bool| {
            let (_, m) = fit(&x, &y, &cfg, balanced, &device).unwrap();
            let input =
                Tensor::<3>::from_data(TensorData::new(x.clone(), [y.len(), 1, 2]), &device);
            let v = m.forward(input).into_data().try_to_vec::<f32>().unwrap();
            v.chunks(2)
                .zip(&y)
                .filter(|(r, &c)| c == 1 && r[1] > r[0])
                .count()
        };
        assert!(
            found(true) > found(false),
            "{} vs {}",
            found(true),
            found(false)
        );
    }

    #[test]
    fn fitted_svm_classifies_its_training_rings_and_forward_matches_the_decision_function() {
        let (x, y) = rings();
        let device = Device::flex();
        let cfg = SvmConfig::new().with_n_features(2).with_n_classes(3);
        let (fitted, model) = fit(&x, &y, &cfg, false, &device).unwrap();
        assert_eq!(fitted.gamma, 0.5, "gamma defaults to 1 / n_features");
        assert!(fitted.n_support > 0 && fitted.n_support <= y.len());
        let input = Tensor::<3>::from_data(TensorData::new(x.clone(), [y.len(), 1, 2]), &device);
        let logits = model
            .forward(input)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        for (i, row) in logits.chunks(3).enumerate() {
            let best = (0..3).max_by(|&a, &b| row[a].total_cmp(&row[b])).unwrap();
            assert_eq!(best, y[i], "row {i}: {row:?}");
        }
        // The tensor forward is the decision function written out.
        let sv = model.support.val().into_data().try_to_vec::<f32>().unwrap();
        let coef = model.coef.val().into_data().try_to_vec::<f32>().unwrap();
        let bias = model.bias.val().into_data().try_to_vec::<f32>().unwrap();
        for (i, p) in x.chunks(2).enumerate().step_by(5) {
            for k in 0..3 {
                let f: f64 = sv
                    .chunks(2)
                    .zip(coef.chunks(3))
                    .map(|(s, c)| {
                        let d = (p[0] - s[0]).powi(2) + (p[1] - s[1]).powi(2);
                        c[k] as f64 * (-0.5 * d as f64).exp()
                    })
                    .sum::<f64>()
                    + bias[k] as f64;
                assert!(
                    (f - logits[i * 3 + k] as f64).abs() < 1e-4,
                    "row {i} class {k}"
                );
            }
        }
        // The shape survives a rebuild from the fitted config (what loading does).
        let empty = fitted.init(&device);
        assert_eq!(empty.num_params(), model.num_params());
        // Too many columns is a clear error, not a panic.
        let e = fit(&x[..5], &y, &cfg, false, &device)
            .unwrap_err()
            .to_string();
        assert!(e.contains("5 values"), "{e}");
    }

    #[test]
    fn overrides_parse_and_reject_bad_values() {
        let c = SvmConfig::new().with_overrides("c=3,gamma=0.01").unwrap();
        assert_eq!((c.c, c.gamma), (3.0, 0.01));
        assert!(SvmConfig::new().with_overrides("c=-1").is_err());
        assert!(SvmConfig::new().with_overrides("c=0").is_err());
        assert!(SvmConfig::new().with_overrides("kernel=linear").is_err());
    }

    #[test]
    fn fit_keeps_the_class_of_each_support_vector() {
        let (x, y) = rings();
        let cfg = SvmConfig::new().with_n_features(2).with_n_classes(3);
        let (fitted, model) = fit(&x, &y, &cfg, false, &Device::flex()).unwrap();
        assert_eq!(fitted.support_labels.len(), fitted.n_support);
        assert!(fitted.check().is_ok());
        let sv = model.support.val().into_data().try_to_vec::<f32>().unwrap();
        for (s, &label) in sv.chunks_exact(2).zip(&fitted.support_labels) {
            let i = x.chunks_exact(2).position(|r| r == s).unwrap();
            assert_eq!(label, y[i], "support vector {s:?}");
        }
        let bad = SvmConfig {
            support_labels: vec![7; fitted.n_support],
            ..fitted.clone()
        };
        assert!(bad.check().is_err());
    }

    #[test]
    fn confident_takes_the_largest_margins_of_each_predicted_class() {
        // Rows predicted 0, 0, 0, 1 (margins 2, 0.5, 1, 3) with classes 0 and 1.
        let scores = [3.0, 1.0, 1.0, 0.5, 2.0, 1.0, 0.0, 3.0];
        assert_eq!(confident(&scores, 2, 0.3), vec![(0, 0), (3, 1)]);
        assert_eq!(confident(&scores, 2, 0.6), vec![(0, 0), (2, 0), (3, 1)]);
        assert_eq!(confident(&scores, 2, 1.0).len(), 4);
        assert!(confident(&[], 2, 0.3).is_empty());
    }

    /// Two classes on a line, trained at 0 and 4; the new recordings are the same two classes
    /// moved right by 1.6 (a channel or a voice the machine never heard): it calls part of the
    /// moved class 0 "1", and self-training on them moves its boundary after them.
    #[test]
    fn self_training_follows_recordings_moved_away_from_training() {
        let line = |centre: f32, k: usize| -> Vec<f32> {
            (0..k)
                .map(|i| centre + 1.6 * (i as f32 / (k - 1) as f32 - 0.5))
                .flat_map(|v| [v, 0.0])
                .collect()
        };
        let (mut x, mut y) = (line(0.0, 20), vec![0; 20]);
        x.extend(line(4.0, 20));
        y.extend([1; 20]);
        let mut new = line(1.6, 20);
        new.extend(line(5.6, 20));
        let truth: Vec<usize> = [0; 20].into_iter().chain([1; 20]).collect();
        let device = Device::flex();
        let cfg = SvmConfig::new()
            .with_n_features(2)
            .with_n_classes(2)
            .with_c(1.0)
            .with_gamma(0.5);
        let (fitted, model) = fit(&x, &y, &cfg, false, &device).unwrap();
        let correct = |m: &Svm| {
            let v = m
                .forward(Tensor::from_data(
                    TensorData::new(new.clone(), [40, 1, 2]),
                    &device,
                ))
                .into_data()
                .try_to_vec::<f32>()
                .unwrap();
            v.chunks_exact(2)
                .zip(&truth)
                .filter(|(r, &t)| usize::from(r[1] > r[0]) == t)
                .count()
        };
        let before = correct(&model);
        let (refitted, adapted) = self_train(&model, &fitted, &new, false, &device).unwrap();
        let after = correct(&adapted);
        assert!(before < 40, "the shift should cost something: {before}");
        assert!(after > before, "self-training {before} -> {after} of 40");
        assert_eq!(refitted.support_labels.len(), refitted.n_support);
        // A model saved without its support vectors' classes refuses, with the reason.
        let old = SvmConfig {
            support_labels: Vec::new(),
            ..fitted
        };
        let e = self_train(&model, &old, &new, false, &device).unwrap_err();
        assert!(e.to_string().contains("cannot self-train"), "{e}");
        assert!(self_train(&model, &refitted, &new[..3], false, &device).is_err());
    }
}
