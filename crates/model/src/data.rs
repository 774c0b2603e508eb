//! Training data: feature-table rows as fixed-shape examples with class indices.

use std::collections::BTreeSet;
use std::path::PathBuf;

use burn::tensor::{Device, Int, Tensor, TensorData};
use emovox_corpora::table::Row;
use serde::{Deserialize, Serialize};

use rand_chacha::ChaCha8Rng;
use rand_core::Rng;

use crate::config::Output;
use crate::{Error, Result};

/// Examples of one shape: `n` x `frames` x `columns` features and a class index each.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Row-major `[n, frames, columns]`.
    pub x: Vec<f32>,
    /// Class index of each example.
    pub y: Vec<usize>,
    /// Frames per example.
    pub frames: usize,
    /// Features per frame.
    pub columns: usize,
    /// Where each example came from (the clip; augmented copies share their clip's path).
    pub paths: Vec<PathBuf>,
    /// Corpus of each example ("" if unknown).
    pub corpora: Vec<String>,
    /// The speaker group of each example, `corpus/speaker/augment`: one speaker's clips under
    /// one recording condition (an augmented copy is another condition), the unit
    /// [`normalize_speakers`] standardises over.
    pub groups: Vec<String>,
    /// The emotion of each example in the shared vocabulary
    /// ([`emovox_corpora::canonical_emotion`]; "" if unknown): what a class split into its
    /// emotions ([`crate::TrainConfig::split_classes`]) trains on.
    pub emotions: Vec<String>,
}

impl Dataset {
    /// Number of examples.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// Whether there are no examples.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// The class names found in `rows`' labels, sorted (rows without a label are skipped).
    pub fn classes_of(rows: &[Row]) -> Vec<String> {
        let set: BTreeSet<&str> = rows
            .iter()
            .filter_map(|r| r.meta.as_ref())
            .map(|m| m.label.as_str())
            .filter(|l| !l.is_empty())
            .collect();
        set.into_iter().map(String::from).collect()
    }

    /// Examples from the labelled `rows` that `keep` accepts, with labels indexed into
    /// `classes`. Every row must have the same shape; a label not in `classes` is an error.
    pub fn from_rows(
        rows: &[Row],
        classes: &[String],
        keep: impl Fn(&Row) -> bool,
    ) -> Result<Self> {
        let mut d = Dataset {
            x: Vec::new(),
            y: Vec::new(),
            frames: 0,
            columns: 0,
            paths: Vec::new(),
            corpora: Vec::new(),
            groups: Vec::new(),
            emotions: Vec::new(),
        };
        for r in rows.iter().filter(|r| keep(r)) {
            let Some(meta) = &r.meta else {
                return Err(Error::Data(format!(
                    "{}: the table has no labels (make it with --manifest)",
                    r.path.display()
                )));
            };
            if meta.label.is_empty() {
                continue;
            }
            let class = classes
                .iter()
                .position(|c| c == &meta.label)
                .ok_or_else(|| {
                    Error::Data(format!(
                        "{}: label {:?} is not one of the model's classes {classes:?}",
                        r.path.display(),
                        meta.label
                    ))
                })?;
            let [f, c] = r.features.shape();
            if d.y.is_empty() {
                (d.frames, d.columns) = (f, c);
            } else if [f, c] != [d.frames, d.columns] {
                return Err(Error::Data(format!(
                    "{}: features are {f}x{c} but earlier rows are {}x{} (use a pipeline with frames=N)",
                    r.path.display(),
                    d.frames,
                    d.columns
                )));
            }
            d.x.extend_from_slice(&r.features.values);
            d.y.push(class);
            d.paths.push(r.path.clone());
            d.corpora.push(meta.corpus.clone());
            d.groups
                .push(format!("{}/{}/{}", meta.corpus, meta.speaker, meta.augment));
            d.emotions.push(if meta.emotion.is_empty() {
                String::new()
            } else {
                emovox_corpora::canonical_emotion(&meta.emotion)
            });
        }
        Ok(d)
    }

    /// The examples at `idx` as a `[batch, frames, columns]` tensor and their classes.
    pub fn batch(
        &self,
        idx: &[usize],
        norm: Option<&Standardizer>,
        device: &Device,
    ) -> (Tensor<3>, Tensor<1, Int>) {
        let mut xs = self.values(idx);
        if let Some(n) = norm {
            n.apply(&mut xs);
        }
        let ys: Vec<usize> = idx.iter().map(|&i| self.y[i]).collect();
        self.tensors(xs, &ys, device)
    }

    /// The raw (unstandardised) values of the examples at `idx`, row-major
    /// `[idx.len(), frames, columns]`.
    pub fn values(&self, idx: &[usize]) -> Vec<f32> {
        let stride = self.frames * self.columns;
        let mut xs = Vec::with_capacity(idx.len() * stride);
        for &i in idx {
            xs.extend_from_slice(&self.x[i * stride..(i + 1) * stride]);
        }
        xs
    }

    /// `xs` (`[ys.len(), frames, columns]` values) and the classes `ys` as tensors.
    pub fn tensors(
        &self,
        xs: Vec<f32>,
        ys: &[usize],
        device: &Device,
    ) -> (Tensor<3>, Tensor<1, Int>) {
        let n = ys.len();
        let ys: Vec<i64> = ys.iter().map(|&y| y as i64).collect();
        (
            Tensor::from_data(TensorData::new(xs, [n, self.frames, self.columns]), device),
            Tensor::from_data(TensorData::new(ys, [n]), device),
        )
    }

    /// Number of examples per class.
    pub fn class_counts(&self, n_classes: usize) -> Vec<usize> {
        let mut c = vec![0; n_classes];
        for &y in &self.y {
            if y < n_classes {
                c[y] += 1;
            }
        }
        c
    }
}

/// Per-feature standardisation (z-score), fitted on training frames and saved with the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standardizer {
    /// Mean of each feature column.
    pub mean: Vec<f32>,
    /// Standard deviation of each feature column (at least 1e-6).
    pub std: Vec<f32>,
}

impl Standardizer {
    /// Fits on every frame of `d`.
    pub fn fit(d: &Dataset) -> Self {
        Self::fit_on(d, 0..d.len())
    }

    /// Fits on every frame of the examples `idx` of `d` (the training part), without copying them.
    pub fn fit_on(d: &Dataset, idx: impl IntoIterator<Item = usize>) -> Self {
        let c = d.columns.max(1);
        let stride = d.frames * d.columns;
        let frames = idx
            .into_iter()
            .flat_map(|i| d.x[i * stride..(i + 1) * stride].chunks_exact(c));
        let (mean, std) = column_moments(frames, c, 1e-6);
        Standardizer {
            mean: mean.iter().map(|&m| m as f32).collect(),
            std: std.iter().map(|&s| s as f32).collect(),
        }
    }

    /// Standardises frames of `mean.len()` features in place.
    pub fn apply(&self, x: &mut [f32]) {
        let c = self.mean.len().max(1);
        for frame in x.chunks_exact_mut(c) {
            for ((v, m), s) in frame.iter_mut().zip(&self.mean).zip(&self.std) {
                *v = (*v - m) / s;
            }
        }
    }
}

/// Per-column mean and (population) standard deviation, at least `min_std`, of `frames` of
/// `c` values each, summed in f64; zeros for no frames.
fn column_moments<'a>(
    frames: impl Iterator<Item = &'a [f32]>,
    c: usize,
    min_std: f64,
) -> (Vec<f64>, Vec<f64>) {
    let mut sum = vec![0f64; c];
    let mut sq = vec![0f64; c];
    let mut n = 0usize;
    for frame in frames {
        n += 1;
        for (j, &v) in frame.iter().enumerate() {
            sum[j] += v as f64;
            sq[j] += v as f64 * v as f64;
        }
    }
    let n = n.max(1) as f64;
    let mean: Vec<f64> = sum.iter().map(|s| s / n).collect();
    let std = sq
        .iter()
        .zip(&mean)
        .map(|(q, m)| (q / n - m * m).max(0.0).sqrt().max(min_std))
        .collect();
    (mean, std)
}

/// Whether a frame is padding: `frames=N` pipelines pad short clips with all-zero frames.
fn is_padding(frame: &[f32]) -> bool {
    frame.iter().all(|&v| v == 0.0)
}

/// Speaker normalisation of one speaker's examples: standardises every feature column over
/// the real (non-padding) frames of all of `x` (row-major frames of `columns` values, any
/// number of examples), in place. Padding frames stay all-zero, so the network still sees
/// where a clip ends. With one example this is per-utterance normalisation.
///
/// This removes what is constant about a speaker and a recording (level, timbre, channel), so
/// a model trained this way reads emotion as a departure from the speaker's own average: the
/// statistics come from the speaker's clips alone, never from labels.
pub fn normalize_group(x: &mut [f32], columns: usize) {
    let c = columns.max(1);
    if x.chunks_exact(c).all(is_padding) {
        return;
    }
    let real = x.chunks_exact(c).filter(|f| !is_padding(f));
    let (mean, std) = column_moments(real, c, 1e-3);
    for frame in x.chunks_exact_mut(c).filter(|f| !is_padding(f)) {
        for ((v, m), s) in frame.iter_mut().zip(&mean).zip(&std) {
            *v = ((*v as f64 - m) / s) as f32;
        }
    }
}

/// Moves each feature column's mean over the real (non-padding) frames of `x` (row-major
/// frames of `columns` values: one speaker's examples) `weight` (0 to 1) of the way to
/// `target`, in place. Padding frames stay all-zero. The unlabelled adaptation of a model
/// trained one clip at a time ([`crate::saved::Adapt::Mean`]).
pub fn recenter_group(x: &mut [f32], columns: usize, target: &[f32], weight: f64) {
    let c = columns.max(1);
    if weight <= 0.0 || target.len() != c || x.chunks_exact(c).all(is_padding) {
        return;
    }
    let (mean, _) = column_moments(x.chunks_exact(c).filter(|f| !is_padding(f)), c, 0.0);
    let shift: Vec<f64> = mean
        .iter()
        .zip(target)
        .map(|(m, &t)| weight.clamp(0.0, 1.0) * (t as f64 - m))
        .collect();
    for frame in x.chunks_exact_mut(c).filter(|f| !is_padding(f)) {
        for (v, d) in frame.iter_mut().zip(&shift) {
            *v = (*v as f64 + d) as f32;
        }
    }
}

/// Moves each feature column's mean and standard deviation over the real (non-padding) frames
/// of `x` (row-major frames of `columns` values: one speaker's examples) `weight` (0 to 1) of
/// the way to `mean` and `std`, in place: the group is standardised over itself with its
/// moments shrunk toward the targets (`weight` 1: fully), then mapped onto the targets' scale.
/// Padding frames stay all-zero. The unlabelled adaptation of
/// [`crate::saved::Adapt::Standardize`].
pub fn rescale_group(x: &mut [f32], columns: usize, mean: &[f32], std: &[f32], weight: f64) {
    let c = columns.max(1);
    if weight <= 0.0 || mean.len() != c || std.len() != c || x.chunks_exact(c).all(is_padding) {
        return;
    }
    let w = weight.clamp(0.0, 1.0);
    let (gm, gs) = column_moments(x.chunks_exact(c).filter(|f| !is_padding(f)), c, 0.0);
    // Per column: v -> (v - m') / s' * t_std + t_mean, with m' and s'^2 the group's moments
    // blended with the targets'.
    let map: Vec<(f64, f64, f64)> = (0..c)
        .map(|j| {
            let (tm, ts) = (mean[j] as f64, std[j] as f64);
            let m = w * gm[j] + (1.0 - w) * tm;
            let var = w * gs[j] * gs[j] + (1.0 - w) * ts * ts;
            // A column constant over the group (and a constant target) stays where it is.
            let s = var.sqrt().max(ts * 1e-3).max(1e-12);
            (m, ts / s, tm)
        })
        .collect();
    for frame in x.chunks_exact_mut(c).filter(|f| !is_padding(f)) {
        for (v, &(m, scale, tm)) in frame.iter_mut().zip(&map) {
            *v = ((*v as f64 - m) * scale + tm) as f32;
        }
    }
}

/// Speaker-balanced example weights ([`crate::TrainConfig::balance_speakers`]): within each
/// class, every speaker (`speakers[i]` names example `i`'s) weighs the same whatever their
/// number of clips; then every class weighs the same; the weights average 1. `y` are classes
/// below `k`.
pub fn speaker_balanced_weights(y: &[usize], speakers: &[&str], k: usize) -> Vec<f64> {
    let mut count: std::collections::HashMap<(&str, usize), usize> = Default::default();
    for (&c, &s) in y.iter().zip(speakers) {
        *count.entry((s, c)).or_default() += 1;
    }
    let mut w: Vec<f64> = y
        .iter()
        .zip(speakers)
        .map(|(&c, &s)| 1.0 / count[&(s, c)] as f64)
        .collect();
    let mut class_total = vec![0f64; k];
    for (&c, &v) in y.iter().zip(&w) {
        class_total[c] += v;
    }
    for (v, &c) in w.iter_mut().zip(y) {
        *v /= class_total[c];
    }
    let mean = w.iter().sum::<f64>() / w.len().max(1) as f64;
    if mean > 0.0 {
        w.iter_mut().for_each(|v| *v /= mean);
    }
    w
}

/// The outputs of a model whose classes named in `split` are learnt as their emotions
/// ([`crate::TrainConfig::split_classes`]), and the output of each example at `idx`: every
/// class in order gets one output per emotion ([`Dataset::emotions`]) its examples at `idx`
/// have, sorted, if it is named in `split`, else one output (emotion ""). An error names a
/// class in `split` that is not one of `classes`, or an example of a split class without an
/// emotion.
pub fn split_outputs(
    d: &Dataset,
    idx: &[usize],
    classes: &[String],
    split: &[String],
) -> Result<(Vec<Output>, Vec<usize>)> {
    if let Some(bad) = split.iter().find(|s| !classes.contains(s)) {
        return Err(Error::Config(format!(
            "cannot split class {bad:?} into its emotions: it is not one of the classes {classes:?}"
        )));
    }
    let mut emotions: Vec<BTreeSet<&str>> = vec![BTreeSet::new(); classes.len()];
    for &i in idx {
        let c = d.y[i];
        if split.contains(&classes[c]) {
            let e = d.emotions.get(i).map_or("", String::as_str);
            if e.is_empty() {
                return Err(Error::Data(format!(
                    "{}: class {:?} is split into its emotions, but this example has no emotion",
                    d.paths[i].display(),
                    classes[c]
                )));
            }
            emotions[c].insert(e);
        }
    }
    let mut outputs = Vec::new();
    for (c, es) in emotions.iter().enumerate() {
        if es.is_empty() {
            outputs.push(Output {
                class: c,
                emotion: String::new(),
            });
        }
        outputs.extend(es.iter().map(|e| Output {
            class: c,
            emotion: e.to_string(),
        }));
    }
    let of = idx
        .iter()
        .map(|&i| {
            let e = if split.contains(&classes[d.y[i]]) {
                d.emotions[i].as_str()
            } else {
                ""
            };
            outputs
                .iter()
                .position(|o| o.class == d.y[i] && o.emotion == e)
                .unwrap_or(0)
        })
        .collect();
    Ok((outputs, of))
}

/// Divides each weight in `w` (of examples whose outputs are `of`) by the number of outputs
/// its class has, and rescales them to mean 1: weights that made every output weigh the same
/// make every class weigh the same, its emotions sharing it.
pub fn share_classes(w: &mut [f64], of: &[usize], outputs: &[Output]) {
    let k = outputs.iter().map(|o| o.class).max().map_or(0, |m| m + 1);
    let mut per_class = vec![0usize; k];
    outputs.iter().for_each(|o| per_class[o.class] += 1);
    for (v, &o) in w.iter_mut().zip(of) {
        *v /= per_class[outputs[o].class].max(1) as f64;
    }
    let mean = w.iter().sum::<f64>() / w.len().max(1) as f64;
    if mean > 0.0 {
        w.iter_mut().for_each(|v| *v /= mean);
    }
}

/// Runs `f` on the examples of each speaker group of `d` ([`Dataset::groups`]) together
/// (`[n, frames, columns]`, row-major) and writes them back.
pub fn for_each_group(d: &mut Dataset, f: impl FnMut(&mut [f32])) {
    for_each_group_of(d, None, f)
}

/// [`for_each_group`], with each speaker's examples cut into groups of at most `size` (in an
/// order shuffled with a fixed seed, so every group mixes that speaker's emotions as a random
/// handful of their recordings would): how adaptation does after `size` clips of a speaker.
/// `None`: all of a speaker's examples in one group.
pub fn for_each_group_of(d: &mut Dataset, size: Option<usize>, mut f: impl FnMut(&mut [f32])) {
    let stride = d.frames * d.columns;
    for idx in &groups_of(d, size) {
        let mut xs = d.values(idx);
        f(&mut xs);
        for (k, &i) in idx.iter().enumerate() {
            d.x[i * stride..(i + 1) * stride].copy_from_slice(&xs[k * stride..(k + 1) * stride]);
        }
    }
}

/// The example indices of each group [`for_each_group_of`] visits, in its order: each
/// speaker's examples ([`Dataset::groups`]) in groups of at most `size` (shuffled with a fixed
/// seed), or all of them together (`None`).
pub fn groups_of(d: &Dataset, size: Option<usize>) -> Vec<Vec<usize>> {
    let mut by_group: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
    for (i, g) in d.groups.iter().enumerate() {
        by_group.entry(g.as_str()).or_default().push(i);
    }
    let mut rng = <rand_chacha::ChaCha8Rng as rand_core::SeedableRng>::seed_from_u64(0x5eed);
    let mut chunks: Vec<Vec<usize>> = Vec::new();
    for mut idx in by_group.into_values() {
        match size {
            Some(k) => {
                shuffle(&mut idx, &mut rng);
                chunks.extend(idx.chunks(k.max(1)).map(<[usize]>::to_vec));
            }
            None => chunks.push(idx),
        }
    }
    chunks
}

/// Applies [`normalize_group`] to each speaker group of `d` ([`Dataset::groups`]) in place.
pub fn normalize_speakers(d: &mut Dataset) {
    let columns = d.columns;
    for_each_group(d, |xs| normalize_group(xs, columns));
}

/// Fisher-Yates shuffle from a ChaCha stream (reproducible from its seed on every platform).
pub(crate) fn shuffle<T>(v: &mut [T], rng: &mut ChaCha8Rng) {
    for i in (1..v.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use emovox_corpora::table::RowMeta;
    use emovox_features::Features;

    fn row(path: &str, label: &str, v: f32) -> Row {
        Row {
            path: path.into(),
            meta: Some(RowMeta {
                label: label.into(),
                split: "train".into(),
                ..Default::default()
            }),
            features: Features {
                frames: 2,
                columns: 2,
                values: vec![v, 2.0 * v, v, 0.0],
            },
        }
    }

    #[test]
    fn rows_become_examples_with_class_indices() {
        let rows = vec![
            row("a", "sad", 1.0),
            row("b", "happy", 2.0),
            row("c", "", 3.0),
        ];
        let classes = Dataset::classes_of(&rows);
        assert_eq!(classes, ["happy", "sad"]);
        let d = Dataset::from_rows(&rows, &classes, |_| true).unwrap();
        assert_eq!(d.y, [1, 0]);
        assert_eq!(d.x.len(), 8);
        assert_eq!(d.class_counts(2), [1, 1]);
        let e = Dataset::from_rows(&rows, &["happy".to_string()], |_| true)
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"sad\""), "{e}");
    }

    #[test]
    fn standardizer_gives_zero_mean_unit_std() {
        let rows = vec![row("a", "x", 1.0), row("b", "x", 3.0)];
        let d = Dataset::from_rows(&rows, &["x".to_string()], |_| true).unwrap();
        let s = Standardizer::fit(&d);
        let mut x = d.x.clone();
        s.apply(&mut x);
        let col0: Vec<f32> = x.chunks(2).map(|f| f[0]).collect();
        let mean: f32 = col0.iter().sum::<f32>() / 4.0;
        assert!(mean.abs() < 1e-6);
        assert_eq!(s.std[1].max(0.0) > 0.0, true);
    }

    #[test]
    fn speaker_groups_are_standardised_apart_and_padding_stays_zero() {
        let mut rows = vec![row("a", "x", 1.0), row("b", "x", 3.0), row("c", "x", 10.0)];
        for (r, spk) in rows.iter_mut().zip(["s1", "s1", "s2"]) {
            r.meta.as_mut().unwrap().speaker = spk.into();
        }
        // Two frames of two columns each; a and b end in a padding frame.
        rows[0].features.values = vec![1.0, 2.0, 0.0, 0.0];
        rows[1].features.values = vec![3.0, 6.0, 0.0, 0.0];
        rows[2].features.values = vec![10.0, 20.0, 30.0, 60.0];
        let mut d = Dataset::from_rows(&rows, &["x".to_string()], |_| true).unwrap();
        assert_eq!(d.groups, ["/s1/", "/s1/", "/s2/"]);
        normalize_speakers(&mut d);
        // s1's real frames [1, 2] and [3, 6]: each column becomes -1, 1; padding stays zero.
        assert_eq!(&d.x[0..8], &[-1.0, -1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
        // s2 is standardised on its own frames.
        assert_eq!(&d.x[8..12], &[-1.0, -1.0, 1.0, 1.0]);
        // A group of all-padding frames is left alone.
        let mut z = vec![0.0; 4];
        normalize_group(&mut z, 2);
        assert_eq!(z, [0.0; 4]);
    }

    #[test]
    fn recenter_moves_the_group_mean_by_the_weight_and_keeps_padding() {
        // Two examples of two frames x 2 columns; the second ends in a padding frame.
        let mut x = vec![1.0, 10.0, 3.0, 14.0, 5.0, 12.0, 0.0, 0.0];
        recenter_group(&mut x, 2, &[0.0, 2.0], 0.5);
        // Real frames' means: (3, 12); halfway to (0, 2): shift (-1.5, -5).
        assert_eq!(x, vec![-0.5, 5.0, 1.5, 9.0, 3.5, 7.0, 0.0, 0.0]);
        let mut y = x.clone();
        recenter_group(&mut y, 2, &[0.0, 2.0], 0.0);
        assert_eq!(y, x, "weight 0 leaves the group as it is");
        recenter_group(&mut y, 2, &[0.0, 2.0], 1.0);
        let mean0 = (y[0] + y[2] + y[4]) / 3.0;
        assert!(mean0.abs() < 1e-6, "weight 1 lands on the target: {y:?}");
    }

    #[test]
    fn rescale_moves_mean_and_spread_by_the_weight_and_keeps_padding() {
        // Three examples of one frame x 2 columns, then a padding frame in a fourth.
        let mut x = vec![1.0, 5.0, 2.0, 5.0, 3.0, 5.0, 0.0, 0.0];
        let (mean, std) = ([10.0f32, 1.0], [2.0f32, 1.0]);
        let before = x.clone();
        rescale_group(&mut x, 2, &mean, &std, 0.0);
        assert_eq!(x, before, "weight 0 leaves the group as it is");
        rescale_group(&mut x, 2, &mean, &std, 1.0);
        // Column 0 (1, 2, 3): mean 2, std sqrt(2/3), mapped onto mean 10, std 2.
        let col0: Vec<f32> = x[..6].chunks(2).map(|f| f[0]).collect();
        let m = col0.iter().sum::<f32>() / 3.0;
        let s = (col0.iter().map(|v| (v - m) * (v - m)).sum::<f32>() / 3.0).sqrt();
        assert!(
            (m - 10.0).abs() < 1e-5 && (s - 2.0).abs() < 1e-5,
            "{col0:?}"
        );
        // Column 1 is constant over the group: it lands on the target mean, finite.
        assert!(x[..6].chunks(2).all(|f| (f[1] - 1.0).abs() < 1e-5), "{x:?}");
        assert_eq!(&x[6..], &[0.0, 0.0], "padding stays zero");
        // Halfway: the spread is between the group's and the target's.
        let mut h = before.clone();
        rescale_group(&mut h, 2, &mean, &std, 0.5);
        let spread = h[4] - h[0];
        assert!(
            spread > 2.0 && spread < 2.0 * 2.0 / (2.0f32 / 3.0).sqrt(),
            "{h:?}"
        );
    }

    #[test]
    fn speaker_balanced_weights_equalise_speakers_within_a_class_then_classes() {
        // Class 0: speaker a has 3 clips, b has 1; class 1: speaker a has 2.
        let y = [0, 0, 0, 0, 1, 1];
        let spk = ["a", "a", "a", "b", "a", "a"];
        let w = speaker_balanced_weights(&y, &spk, 2);
        let sum = |f: &dyn Fn(usize) -> bool| (0..6).filter(|&i| f(i)).map(|i| w[i]).sum::<f64>();
        let (a0, b0) = (sum(&|i| i < 3), sum(&|i| i == 3));
        assert!(
            (a0 - b0).abs() < 1e-12,
            "speakers weigh the same in a class: {w:?}"
        );
        assert!(
            (sum(&|i| y[i] == 0) - sum(&|i| y[i] == 1)).abs() < 1e-12,
            "{w:?}"
        );
        assert!((w.iter().sum::<f64>() - 6.0).abs() < 1e-9, "mean 1: {w:?}");
    }

    #[test]
    fn a_split_class_learns_its_emotions_and_they_share_its_weight() {
        // happy (1 clip), unpleasant: angry (3 clips) and sad (1 clip).
        let classes = vec!["happy".to_string(), "unpleasant".to_string()];
        let d = Dataset {
            x: vec![0.0; 5],
            y: vec![0, 1, 1, 1, 1],
            frames: 1,
            columns: 1,
            paths: (0..5).map(|i| PathBuf::from(format!("{i}.wav"))).collect(),
            corpora: vec![String::new(); 5],
            groups: vec![String::new(); 5],
            emotions: ["happy", "angry", "angry", "sad", "angry"]
                .map(String::from)
                .to_vec(),
        };
        let idx: Vec<usize> = (0..5).collect();
        let (outputs, of) = split_outputs(&d, &idx, &classes, &["unpleasant".into()]).unwrap();
        let named: Vec<(usize, &str)> = outputs
            .iter()
            .map(|o| (o.class, o.emotion.as_str()))
            .collect();
        assert_eq!(named, [(0, ""), (1, "angry"), (1, "sad")]);
        assert_eq!(of, [0, 1, 1, 2, 1]);
        // Balanced over the outputs (each weighs the same), then shared: the classes weigh the
        // same, and angry and sad half of unpleasant each.
        let mut w = crate::logistic::sample_weights(&of, 3, true);
        share_classes(&mut w, &of, &outputs);
        let total = |o: usize| -> f64 { (0..5).filter(|&i| of[i] == o).map(|i| w[i]).sum() };
        assert!((total(0) - (total(1) + total(2))).abs() < 1e-12, "{w:?}");
        assert!((total(1) - total(2)).abs() < 1e-12, "{w:?}");
        assert!((w.iter().sum::<f64>() - 5.0).abs() < 1e-9, "mean 1: {w:?}");
        // Not split: one output per class.
        let (outputs, of) = split_outputs(&d, &idx, &classes, &[]).unwrap();
        assert_eq!(outputs.len(), 2);
        assert_eq!(of, d.y);
        // A class that is not one, or a split example without an emotion, is a clear error.
        let e = split_outputs(&d, &idx, &classes, &["sad".into()]).unwrap_err();
        assert!(e.to_string().contains("cannot split class \"sad\""), "{e}");
        let mut blank = d.clone();
        blank.emotions[3].clear();
        let e = split_outputs(&blank, &idx, &classes, &["unpleasant".into()]).unwrap_err();
        assert!(e.to_string().contains("3.wav"), "{e}");
    }
}
