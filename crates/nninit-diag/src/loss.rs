//! The loss: PyTorch's `nn.CrossEntropyLoss()` with its default `reduction='mean'`,
//! `L = −(1/B) Σ_b log softmax(z_b)[y_b]` over a batch of `B` examples, and its gradient.

use crate::error::{DiagError, Result};
use crate::float::Float;

/// PyTorch's `F.cross_entropy(logits, labels)` (mean over the batch) of row-major
/// `(batch, classes)` logits, `batch = labels.len()`.
///
/// # Errors
/// As [`cross_entropy_grad`].
pub fn cross_entropy<F: Float>(logits: &[F], labels: &[u8], classes: usize) -> Result<f64> {
    let mut scratch = vec![];
    cross_entropy_grad(logits, labels, classes, &mut scratch)
}

/// [`cross_entropy`], and its gradient with respect to the logits,
/// `(softmax(z) − onehot(y)) / batch`, into `g` (resized to `logits.len()`). The log-sum-exp
/// is taken after subtracting the row maximum; per-row sums in `F` (as PyTorch's CPU
/// kernel), the batch mean in `f64`.
///
/// # Errors
/// [`DiagError::InvalidSpec`] for an empty batch, `logits.len() != batch · classes`, or a
/// label that is not below `classes`.
pub fn cross_entropy_grad<F: Float>(
    logits: &[F],
    labels: &[u8],
    classes: usize,
    g: &mut Vec<F>,
) -> Result<f64> {
    let batch = labels.len();
    if batch == 0 || classes == 0 || logits.len() != batch * classes {
        return Err(DiagError::InvalidSpec(format!(
            "{} labels for {} logits of {classes} classes",
            labels.len(),
            logits.len()
        )));
    }
    if let Some(&l) = labels.iter().find(|&&l| usize::from(l) >= classes) {
        return Err(DiagError::InvalidSpec(format!(
            "label {l} is out of range for a model with {classes} outputs"
        )));
    }
    g.resize(logits.len(), F::ZERO);
    let inv_b = F::ONE / F::from_f64(batch as f64);
    let mut loss = 0.0f64;
    for ((z, gr), &y) in logits
        .chunks_exact(classes)
        .zip(g.chunks_exact_mut(classes))
        .zip(labels)
    {
        let m = z.iter().fold(F::NEG_INFINITY, |a, &b| a.max(b));
        let mut sum = F::ZERO;
        for (e, &v) in gr.iter_mut().zip(z) {
            *e = (v - m).exp();
            sum += *e;
        }
        let y = usize::from(y);
        loss += (sum.ln() - (z[y] - m)).to_f64();
        let scale = inv_b / sum;
        for e in gr.iter_mut() {
            *e *= scale;
        }
        gr[y] -= inv_b;
    }
    Ok(loss / batch as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_its_formula() {
        // L = mean_b( logsumexp(z_b) − z_b[y_b] ), computed directly in f64.
        let z = [1.0f64, -2.0, 0.5, 3.0, 0.0, -1.0];
        let y = [2u8, 0];
        let mut g = vec![];
        let l = cross_entropy_grad(&z, &y, 3, &mut g).unwrap_or(f64::NAN);
        let lse = |r: &[f64]| r.iter().map(|v| v.exp()).sum::<f64>().ln();
        let want = ((lse(&z[..3]) - z[2]) + (lse(&z[3..]) - z[3])) / 2.0;
        // a few roundings of ~1e-16 on O(1) terms
        assert!((l - want).abs() <= 1e-14, "{l} vs {want}");
        // dL/dz = (softmax − onehot) / B
        for (b, row) in z.chunks(3).enumerate() {
            let s: f64 = row.iter().map(|v| v.exp()).sum();
            for (k, v) in row.iter().enumerate() {
                let onehot = if k == usize::from(y[b]) { 1.0 } else { 0.0 };
                let want = (v.exp() / s - onehot) / 2.0;
                assert!((g[3 * b + k] - want).abs() <= 1e-15, "{b},{k}");
            }
        }
        assert!(
            cross_entropy(&z, &[0, 3], 3).is_err(),
            "label 3 of 3 classes"
        );
        assert!(
            cross_entropy(&z, &[0], 3).is_err(),
            "one label for two rows"
        );
        assert!(cross_entropy::<f32>(&[], &[], 3).is_err(), "empty batch");
    }
}
