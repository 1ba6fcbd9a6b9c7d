//! Classification metrics: accuracy, per-class precision / recall / F1, macro-F1 and the confusion matrix.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassMetrics {
    pub label: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Number of gold examples of this class.
    pub support: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub n: usize,
    pub accuracy: f64,
    /// Mean F1 over the classes present in the gold labels.
    pub macro_f1: f64,
    pub per_class: Vec<ClassMetrics>,
    /// `confusion.matrix[gold][predicted]`, rows and columns in `confusion.labels` order.
    pub confusion: Confusion,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Confusion {
    pub labels: Vec<String>,
    pub matrix: Vec<Vec<usize>>,
}

/// Computes the report for `(gold, predicted)` class indices over `labels`.
pub fn report(labels: &[&str], pairs: &[(usize, usize)]) -> Report {
    let k = labels.len();
    let mut matrix = vec![vec![0usize; k]; k];
    for &(g, p) in pairs {
        matrix[g][p] += 1;
    }
    let n = pairs.len();
    let correct: usize = (0..k).map(|i| matrix[i][i]).sum();
    let mut per_class = Vec::with_capacity(k);
    let mut f1_sum = 0.0;
    let mut present = 0;
    for i in 0..k {
        let support: usize = matrix[i].iter().sum();
        let predicted: usize = (0..k).map(|g| matrix[g][i]).sum();
        let tp = matrix[i][i] as f64;
        let precision = if predicted > 0 { tp / predicted as f64 } else { 0.0 };
        let recall = if support > 0 { tp / support as f64 } else { 0.0 };
        let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
        if support > 0 {
            f1_sum += f1;
            present += 1;
        }
        per_class.push(ClassMetrics { label: labels[i].to_string(), precision, recall, f1, support });
    }
    Report {
        n,
        accuracy: if n > 0 { correct as f64 / n as f64 } else { 0.0 },
        macro_f1: if present > 0 { f1_sum / present as f64 } else { 0.0 },
        per_class,
        confusion: Confusion { labels: labels.iter().map(|s| s.to_string()).collect(), matrix },
    }
}

impl Report {
    /// A plain-text rendering for terminals.
    pub fn to_text(&self) -> String {
        let mut s = format!("n = {}\naccuracy = {:.4}\nmacro_f1 = {:.4}\n\n", self.n, self.accuracy, self.macro_f1);
        s.push_str(&format!("{:<16}{:>10}{:>10}{:>10}{:>10}\n", "label", "precision", "recall", "f1", "support"));
        for c in &self.per_class {
            s.push_str(&format!(
                "{:<16}{:>10.4}{:>10.4}{:>10.4}{:>10}\n",
                c.label, c.precision, c.recall, c.f1, c.support
            ));
        }
        s.push_str("\nconfusion (rows = gold, columns = predicted)\n");
        s.push_str(&format!("{:<16}", ""));
        for l in &self.confusion.labels {
            s.push_str(&format!("{:>10}", truncate(l, 9)));
        }
        s.push('\n');
        for (l, row) in self.confusion.labels.iter().zip(&self.confusion.matrix) {
            s.push_str(&format!("{:<16}", l));
            for v in row {
                s.push_str(&format!("{v:>10}"));
            }
            s.push('\n');
        }
        s
    }
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computes_known_values() {
        // gold a a b b c ; predicted a b b b a
        let r = report(&["a", "b", "c", "d"], &[(0, 0), (0, 1), (1, 1), (1, 1), (2, 0)]);
        assert_eq!(r.n, 5);
        assert!((r.accuracy - 0.6).abs() < 1e-9);
        let a = &r.per_class[0];
        assert!((a.precision - 0.5).abs() < 1e-9 && (a.recall - 0.5).abs() < 1e-9);
        let b = &r.per_class[1];
        assert!((b.precision - 2.0 / 3.0).abs() < 1e-9 && (b.recall - 1.0).abs() < 1e-9);
        // macro-F1 over present classes a, b, c (d absent): (0.5 + 0.8 + 0) / 3
        assert!((r.macro_f1 - 1.3 / 3.0).abs() < 1e-9, "{}", r.macro_f1);
        assert_eq!(r.confusion.matrix[2][0], 1);
    }

    #[test]
    fn empty_input_is_all_zero() {
        let r = report(&["a"], &[]);
        assert_eq!((r.n, r.accuracy, r.macro_f1), (0, 0.0, 0.0));
    }
}
