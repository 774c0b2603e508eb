//! Classification metrics, computed as scikit-learn computes them: accuracy, balanced accuracy
//! (UAR), macro-F1, per-class precision/recall/F1, the confusion matrix, and the
//! `classification_report` text layout.

use serde::{Deserialize, Serialize};

/// Precision, recall, F1 and support of one class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassMetrics {
    /// Class name.
    pub class: String,
    /// TP / (TP + FP); 0 when nothing was predicted as this class (sklearn's `zero_division=0`).
    pub precision: f64,
    /// TP / (TP + FN); 0 when the class never occurs.
    pub recall: f64,
    /// Harmonic mean of precision and recall; 0 when both are 0.
    pub f1: f64,
    /// Number of true examples of the class.
    pub support: usize,
}

/// Everything an evaluation reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Examples evaluated.
    pub n: usize,
    /// Fraction predicted correctly.
    pub accuracy: f64,
    /// Unweighted average recall over the classes present in the truth (sklearn's
    /// `balanced_accuracy_score`): the standard SER metric, blind to class imbalance.
    pub uar: f64,
    /// Unweighted mean F1 over the classes present in the truth or the predictions.
    pub macro_f1: f64,
    /// Support-weighted mean F1.
    pub weighted_f1: f64,
    /// Per class, in class order.
    pub per_class: Vec<ClassMetrics>,
    /// `confusion[true][predicted]` counts, in class order.
    pub confusion: Vec<Vec<usize>>,
}

impl Metrics {
    /// Computes the metrics of `predicted` against `truth` (class indices into `classes`).
    /// Indices out of range are ignored.
    pub fn compute(classes: &[String], truth: &[usize], predicted: &[usize]) -> Metrics {
        let k = classes.len();
        let mut confusion = vec![vec![0usize; k]; k];
        let mut n = 0;
        for (&t, &p) in truth.iter().zip(predicted) {
            if t < k && p < k {
                confusion[t][p] += 1;
                n += 1;
            }
        }
        let correct: usize = (0..k).map(|i| confusion[i][i]).sum();
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let mut per_class = Vec::with_capacity(k);
        for (i, class) in classes.iter().enumerate() {
            let tp = confusion[i][i];
            let support: usize = confusion[i].iter().sum();
            let predicted_as: usize = (0..k).map(|r| confusion[r][i]).sum();
            let precision = ratio(tp, predicted_as);
            let recall = ratio(tp, support);
            let f1 = if precision + recall > 0.0 {
                2.0 * precision * recall / (precision + recall)
            } else {
                0.0
            };
            per_class.push(ClassMetrics {
                class: class.clone(),
                precision,
                recall,
                f1,
                support,
            });
        }
        let present: Vec<&ClassMetrics> = per_class.iter().filter(|c| c.support > 0).collect();
        let uar = if present.is_empty() {
            0.0
        } else {
            present.iter().map(|c| c.recall).sum::<f64>() / present.len() as f64
        };
        let seen: Vec<&ClassMetrics> = per_class
            .iter()
            .enumerate()
            .filter(|(i, c)| c.support > 0 || (0..k).any(|r| confusion[r][*i] > 0))
            .map(|(_, c)| c)
            .collect();
        let macro_f1 = if seen.is_empty() {
            0.0
        } else {
            seen.iter().map(|c| c.f1).sum::<f64>() / seen.len() as f64
        };
        let weighted_f1 = per_class
            .iter()
            .map(|c| c.f1 * c.support as f64)
            .sum::<f64>()
            / n.max(1) as f64;
        Metrics {
            n,
            accuracy: ratio(correct, n),
            uar,
            macro_f1,
            weighted_f1,
            per_class,
            confusion,
        }
    }

    /// The text scikit-learn's `classification_report(digits=2)` prints for the same data.
    pub fn classification_report(&self) -> String {
        let heading = "weighted avg";
        let width = self
            .per_class
            .iter()
            .map(|c| c.class.len())
            .max()
            .unwrap_or(0)
            .max(heading.len());
        let mut out = format!("{:>width$} ", "");
        for h in ["precision", "recall", "f1-score", "support"] {
            out += &format!(" {h:>9}");
        }
        out += "\n\n";
        for c in &self.per_class {
            out += &format!(
                "{:>width$}  {:>9.2} {:>9.2} {:>9.2} {:>9}\n",
                c.class, c.precision, c.recall, c.f1, c.support
            );
        }
        out += "\n";
        out += &format!(
            "{:>width$}  {:>9} {:>9} {:>9.2} {:>9}\n",
            "accuracy", "", "", self.accuracy, self.n
        );
        let k = self.per_class.len().max(1) as f64;
        let n = self.n.max(1) as f64;
        let mean = |f: fn(&ClassMetrics) -> f64| self.per_class.iter().map(f).sum::<f64>() / k;
        let wmean = |f: fn(&ClassMetrics) -> f64| {
            self.per_class
                .iter()
                .map(|c| f(c) * c.support as f64)
                .sum::<f64>()
                / n
        };
        out += &format!(
            "{:>width$}  {:>9.2} {:>9.2} {:>9.2} {:>9}\n",
            "macro avg",
            mean(|c| c.precision),
            mean(|c| c.recall),
            mean(|c| c.f1),
            self.n
        );
        out += &format!(
            "{:>width$}  {:>9.2} {:>9.2} {:>9.2} {:>9}\n",
            heading,
            wmean(|c| c.precision),
            wmean(|c| c.recall),
            wmean(|c| c.f1),
            self.n
        );
        out
    }
}

/// Mean and sample standard deviation (ddof 1, as pandas reports across folds).
pub fn mean_std(values: &[f64]) -> (f64, f64) {
    if values.is_empty() {
        return (0.0, 0.0);
    }
    let m = values.iter().sum::<f64>() / values.len() as f64;
    if values.len() < 2 {
        return (m, 0.0);
    }
    let v = values.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (values.len() - 1) as f64;
    (m, v.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes() -> Vec<String> {
        ["neutral", "happy", "surprise"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    #[test]
    fn hand_computed_example() {
        // truth:     n n n h h s
        // predicted: n n h h s s
        let m = Metrics::compute(&classes(), &[0, 0, 0, 1, 1, 2], &[0, 0, 1, 1, 2, 2]);
        assert_eq!(
            m.confusion,
            vec![vec![2, 1, 0], vec![0, 1, 1], vec![0, 0, 1]]
        );
        assert!((m.accuracy - 4.0 / 6.0).abs() < 1e-12);
        // recalls 2/3, 1/2, 1 -> UAR 13/18.
        assert!((m.uar - 13.0 / 18.0).abs() < 1e-12);
        // precisions 1, 1/2, 1/2; F1 0.8, 0.5, 2/3.
        let f1: Vec<f64> = m.per_class.iter().map(|c| c.f1).collect();
        for (a, b) in f1.iter().zip([0.8, 0.5, 2.0 / 3.0]) {
            assert!((a - b).abs() < 1e-12, "{f1:?}");
        }
        assert!((m.macro_f1 - (0.8 + 0.5 + 2.0 / 3.0) / 3.0).abs() < 1e-12);
    }

    #[test]
    fn report_matches_sklearn_layout() {
        let m = Metrics::compute(&classes(), &[0, 0, 0, 1, 1, 2], &[0, 0, 1, 1, 2, 2]);
        // Printed by sklearn 1.5: classification_report(t, p, target_names=[...]).
        let want = "              precision    recall  f1-score   support

     neutral       1.00      0.67      0.80         3
       happy       0.50      0.50      0.50         2
    surprise       0.50      1.00      0.67         1

    accuracy                           0.67         6
   macro avg       0.67      0.72      0.66         6
weighted avg       0.75      0.67      0.68         6
";
        assert_eq!(m.classification_report(), want);
    }

    #[test]
    fn absent_classes_do_not_count_towards_uar_and_zero_division_is_zero() {
        let m = Metrics::compute(&classes(), &[0, 0], &[0, 1]);
        assert!((m.uar - 0.5).abs() < 1e-12);
        assert_eq!(m.per_class[2].precision, 0.0);
        assert_eq!(m.per_class[1].precision, 0.0);
    }

    #[test]
    fn mean_std_uses_sample_std() {
        let (m, s) = mean_std(&[1.0, 2.0, 3.0]);
        assert_eq!((m, s), (2.0, 1.0));
    }
}
