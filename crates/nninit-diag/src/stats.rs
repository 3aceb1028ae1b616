//! Per-layer statistics of a forward pass ([`LayerStats`], what `probe` prints) and of a
//! backward pass ([`GradStats`], `probe --grad`), both measured on [`DenseNet`].
//!
//! Beside the pooled std (over batch × units) a layer output `Y` (`B × n`) gets the split
//! that tells a signal from a constant offset (docs/theory.md §7):
//!
//! ```text
//! unit j:      m_j = mean_b Y_bj,   s_j = std_b Y_bj        (over the batch)
//! signal       = mean_j s_j                                   input-dependent part
//! bias_spread  = std_j m_j                                    same for every input
//! pooled std²  = mean_j s_j² + bias_spread²
//! mean_cosine  = mean over the pairs (2k, 2k+1), k < min(B/2, COSINE_PAIRS), of
//!                <Y_2k, Y_2k+1> / (|Y_2k| |Y_2k+1|)           → 1: inputs indistinguishable
//! ```

use crate::dense::DenseNet;
use crate::error::{DiagError, Result};
use crate::linalg::std_of;
use crate::model::{Layer, Sequential};
use serde::{Deserialize, Serialize};

/// How many disjoint pairs of examples `(2k, 2k+1)` [`LayerStats::mean_cosine`] averages over
/// (fewer when the batch is smaller than `2·COSINE_PAIRS`).
pub const COSINE_PAIRS: usize = 128;

/// The pairs of examples the cosine similarity is measured on: `(2k, 2k+1)` for
/// `k < min(batch/2, COSINE_PAIRS)` (disjoint, so each pair is an independent sample).
pub fn cosine_pairs(batch: usize) -> Vec<(usize, usize)> {
    (0..(batch / 2).min(COSINE_PAIRS))
        .map(|k| (2 * k, 2 * k + 1))
        .collect()
}

/// Statistics of one layer's output over a batch (all units and all examples together). Plain
/// numbers (serde), so that other front ends (the Python probe) can build them and hand them to
/// [`crate::advice::advise`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerStats {
    /// 1-based position in the model.
    pub index: usize,
    /// PyTorch class name of the layer (`Linear`, `ReLU`, ...).
    pub kind: String,
    /// `kind` plus its 1-based count among layers of that kind (`Linear 1`, `ReLU 2`).
    pub label: String,
    /// Output width (units).
    pub width: usize,
    /// Mean of the outputs.
    pub mean: f64,
    /// Standard deviation of the outputs (population, over batch × units).
    pub std: f64,
    /// Smallest output.
    pub min: f64,
    /// Largest output.
    pub max: f64,
    /// Fraction of outputs exactly 0 (dead ReLU units produce these).
    pub frac_zero: f64,
    /// Fraction of units that are 0 for every example in the batch (dead units).
    pub frac_dead_units: f64,
    /// Fraction saturated: |tanh| > 0.97; sigmoid < 0.03 or > 0.97; else 0.
    pub frac_saturated: f64,
    /// Signal: mean over units of each unit's std across the batch (activation units). The
    /// part of the output that depends on the input.
    #[serde(default)]
    pub signal: f64,
    /// Bias spread: std over units of each unit's mean over the batch (activation units). The
    /// part that is the same for every input (a bias, a shared mean).
    #[serde(default)]
    pub bias_spread: f64,
    /// Mean cosine similarity between the outputs of different inputs, over the pairs of
    /// [`cosine_pairs`] (dimensionless, in `[-1, 1]`; 1: every input gives the same
    /// direction). `None` when no pair has two non-zero finite outputs.
    #[serde(default)]
    pub mean_cosine: Option<f64>,
    /// Fraction of outputs that are inf or NaN (overflow).
    #[serde(default)]
    pub frac_nonfinite: f64,
    /// Linear only: std of the weight entries (0 for zeros or any constant weight); `None`
    /// for activations or when unknown.
    #[serde(default)]
    pub weight_std: Option<f64>,
}

/// Computes [`LayerStats`] of `values` (`(batch, width)` row-major), produced by `layer`.
pub fn layer_stats(
    index: usize,
    label: String,
    layer: &Layer,
    values: &[f32],
    width: usize,
) -> LayerStats {
    let n = values.len().max(1) as f64;
    // Saturated iff `y < lo || y > hi` (NaN never): the rule of `Activation::is_saturated`.
    let (lo, hi) = match layer {
        Layer::Act(a) => a.saturation_bounds(),
        _ => (f64::NEG_INFINITY, f64::INFINITY),
    };
    // LANES independent accumulators so the loops vectorise; lanes are combined at the end.
    const LANES: usize = 8;
    let mut sum = [0.0f64; LANES];
    let mut min = [f64::INFINITY; LANES];
    let mut max = [f64::NEG_INFINITY; LANES];
    let mut zeros = [0u64; LANES];
    let mut sat = [0u64; LANES];
    let mut visit = |l: usize, v: f32| {
        let v = v as f64;
        sum[l] += v;
        min[l] = if v < min[l] { v } else { min[l] };
        max[l] = if v > max[l] { v } else { max[l] };
        zeros[l] += u64::from(v == 0.0);
        sat[l] += u64::from(v < lo || v > hi);
    };
    let chunks = values.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for (l, &v) in c.iter().enumerate() {
            visit(l, v);
        }
    }
    for (l, &v) in rest.iter().enumerate() {
        visit(l, v);
    }
    let mean = sum.iter().sum::<f64>() / n;
    let (min, max) = (
        min.into_iter().fold(f64::INFINITY, f64::min),
        max.into_iter().fold(f64::NEG_INFINITY, f64::max),
    );
    let (zeros, sat) = (zeros.iter().sum::<u64>(), sat.iter().sum::<u64>());
    let mut sq = [0.0f64; LANES];
    let chunks = values.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for (l, &v) in c.iter().enumerate() {
            sq[l] += (v as f64 - mean) * (v as f64 - mean);
        }
    }
    for (l, &v) in rest.iter().enumerate() {
        sq[l] += (v as f64 - mean) * (v as f64 - mean);
    }
    let var = sq.iter().sum::<f64>() / n;
    // A unit is dead when it is 0 for every example: one row-major pass.
    let mut alive = vec![false; width];
    if width > 0 {
        for row in values.chunks_exact(width) {
            for (a, &v) in alive.iter_mut().zip(row) {
                *a |= v != 0.0;
            }
        }
    }
    let dead = alive.iter().filter(|a| !**a).count();
    let nonfinite = values.iter().filter(|v| !v.is_finite()).count();
    let (signal, bias_spread) = unit_split(values, width);
    LayerStats {
        index,
        kind: layer.kind(),
        label,
        width,
        mean,
        std: var.sqrt(),
        min,
        max,
        frac_zero: zeros as f64 / n,
        frac_dead_units: if width > 0 {
            dead as f64 / width as f64
        } else {
            0.0
        },
        frac_saturated: sat as f64 / n,
        signal,
        bias_spread,
        mean_cosine: mean_cosine(values, width),
        frac_nonfinite: nonfinite as f64 / n,
        weight_std: None,
    }
}

/// `(signal, bias_spread)` of `values` (`(batch, width)` row-major): the mean over units of
/// each unit's std across the rows, and the std over units of each unit's mean (two passes,
/// f64).
fn unit_split(values: &[f32], width: usize) -> (f64, f64) {
    if width == 0 || values.len() < width {
        return (0.0, 0.0);
    }
    let rows = (values.len() / width) as f64;
    let mut mean = vec![0.0f64; width];
    for row in values.chunks_exact(width) {
        for (m, &v) in mean.iter_mut().zip(row) {
            *m += v as f64;
        }
    }
    mean.iter_mut().for_each(|m| *m /= rows);
    let mut var = vec![0.0f64; width];
    for row in values.chunks_exact(width) {
        for ((s, &v), &m) in var.iter_mut().zip(row).zip(&mean) {
            *s += (v as f64 - m) * (v as f64 - m);
        }
    }
    let signal = var.iter().map(|s| (s / rows).sqrt()).sum::<f64>() / width as f64;
    let mm = mean.iter().sum::<f64>() / width as f64;
    let spread = (mean.iter().map(|m| (m - mm) * (m - mm)).sum::<f64>() / width as f64).sqrt();
    (signal, spread)
}

/// Mean cosine similarity of the rows paired by [`cosine_pairs`]; pairs with a zero or
/// non-finite norm are skipped (`None` when all are).
fn mean_cosine(values: &[f32], width: usize) -> Option<f64> {
    if width == 0 {
        return None;
    }
    let batch = values.len() / width;
    let (mut sum, mut k) = (0.0f64, 0usize);
    for (a, b) in cosine_pairs(batch) {
        let (ra, rb) = (
            &values[a * width..(a + 1) * width],
            &values[b * width..(b + 1) * width],
        );
        let (mut ab, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
        for (&x, &y) in ra.iter().zip(rb) {
            let (x, y) = (x as f64, y as f64);
            ab += x * y;
            aa += x * x;
            bb += y * y;
        }
        let den = (aa * bb).sqrt();
        if den > 0.0 && den.is_finite() && ab.is_finite() {
            sum += (ab / den).clamp(-1.0, 1.0);
            k += 1;
        }
    }
    (k > 0).then(|| sum / k as f64)
}

/// Backward statistics of one module's output (and, for Linear, of its parameters) from one
/// forward + backward pass of the mean cross-entropy on a batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GradStats {
    /// 1-based position in the model (as [`LayerStats::index`]).
    pub index: usize,
    /// `Linear 1`, `ReLU 2`, ... (as [`LayerStats::label`]).
    pub label: String,
    /// Std of `∂L/∂h` over batch × units, `h` this module's output (population std; units of
    /// loss per unit of activation).
    pub output_grad_std: f64,
    /// Linear only: std of `∂L/∂W` over all weight entries.
    pub weight_grad_std: Option<f64>,
    /// Linear only: std of `∂L/∂b`.
    pub bias_grad_std: Option<f64>,
    /// Linear only: std of the weight entries themselves.
    pub weight_std: Option<f64>,
    /// Linear only: update-to-data ratio of a plain SGD step, `std(lr·∂L/∂W) / std(W)` =
    /// `lr · weight_grad_std / weight_std` (dimensionless; Karpathy's rule of thumb ≈ 1e-3).
    /// `None` when `std(W) = 0` (e.g. zeros init), where the ratio is undefined.
    pub update_to_data: Option<f64>,
}

/// `Linear 1`, `ReLU 1`, `Linear 2`, ...: each layer's kind and its 1-based count among the
/// layers of that kind.
fn layer_labels(model: &Sequential) -> Vec<String> {
    let mut counts: std::collections::HashMap<String, usize> = Default::default();
    model
        .layers
        .iter()
        .map(|layer| {
            let kind = layer.kind();
            let c = counts.entry(kind.clone()).or_insert(0);
            *c += 1;
            format!("{kind} {c}")
        })
        .collect()
}

impl Sequential {
    /// One forward pass of `x` (`(batch, in_features)` row-major, f32); returns every layer
    /// output's statistics, in order.
    ///
    /// # Errors
    /// As [`DenseNet::new`] and [`DenseNet::forward`].
    pub fn forward_stats(&self, x: &[f32], batch: usize) -> Result<Vec<LayerStats>> {
        let mut net = DenseNet::<f32>::new(self)?;
        net.forward(x, batch)?;
        let mut width = self.in_features();
        let mut stats = Vec::with_capacity(self.layers.len());
        for (i, (layer, label)) in self.layers.iter().zip(layer_labels(self)).enumerate() {
            if let Layer::Linear { out_features, .. } = layer {
                width = *out_features;
            }
            let mut st = layer_stats(i + 1, label, layer, net.output(i), width);
            if let Layer::Linear { weight, .. } = layer {
                // exactly 0 for a constant weight (the mean's rounding would leave ~1e-17)
                let constant = weight.iter().all(|&w| w == weight[0]);
                st.weight_std = Some(if constant { 0.0 } else { std_of(weight) });
            }
            stats.push(st);
        }
        Ok(stats)
    }

    /// One forward + backward pass of the mean cross-entropy of `x` (`(batch, in_features)`
    /// row-major) against `labels`, in `f32`; returns the loss and every module's
    /// [`GradStats`], in order. `lr` is the SGD learning rate of the update-to-data ratio.
    ///
    /// # Errors
    /// [`DiagError::InvalidSpec`] for a bad batch, labels or `lr` (must be finite and > 0).
    pub fn grad_stats(
        &self,
        x: &[f32],
        labels: &[u8],
        batch: usize,
        lr: f64,
    ) -> Result<(f64, Vec<GradStats>)> {
        if !(lr.is_finite() && lr > 0.0) {
            return Err(DiagError::InvalidSpec(format!(
                "learning rate must be finite and > 0, got {lr}"
            )));
        }
        let mut net = DenseNet::<f32>::new(self)?;
        let mut output_grad_std = vec![0.0; self.layers.len()];
        let loss = net.loss_and_output_grads(x, labels, batch, &mut |i, g| {
            if let Some(s) = output_grad_std.get_mut(i) {
                *s = std_of(g);
            }
        })?;
        let grads = net.gradients();
        let params = net.parameters();
        let mut k = 0; // index into the parameters (weight, bias per Linear)
        let mut out = Vec::with_capacity(self.layers.len());
        for (i, (layer, label)) in self.layers.iter().zip(layer_labels(self)).enumerate() {
            let (wg, bg, ws, ratio) = match layer {
                Layer::Linear { .. } => {
                    let std_at = |v: &[&[f32]], j: usize| v.get(j).map_or(0.0, |s| std_of(s));
                    let (wg, bg, ws) =
                        (std_at(&grads, k), std_at(&grads, k + 1), std_at(&params, k));
                    k += 2;
                    let ratio = (ws > 0.0).then(|| lr * wg / ws);
                    (Some(wg), Some(bg), Some(ws), ratio)
                }
                Layer::Act(_) => (None, None, None, None),
            };
            out.push(GradStats {
                index: i + 1,
                label,
                output_grad_std: output_grad_std[i],
                weight_grad_std: wg,
                bias_grad_std: bg,
                weight_std: ws,
                update_to_data: ratio,
            });
        }
        Ok((loss, out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::Activation;

    /// The lane-split loops against the definitions, on 3 × 5 values (15: not a multiple of
    /// the lane count, so the remainder path runs) with zeros, a dead unit and saturation.
    #[test]
    fn stats_match_definitions() {
        #[rustfmt::skip]
        let v: [f32; 15] = [
            0.99, 0.0, -0.5, 0.2, -0.98,
            0.10, 0.0, 0.95, -0.3, 0.0,
            -0.99, 0.0, 0.4, 0.96, 0.5,
        ];
        let s = layer_stats(2, "Tanh 1".into(), &Layer::Act(Activation::Tanh), &v, 5);
        let n = v.len() as f64;
        let mean = v.iter().map(|&x| x as f64).sum::<f64>() / n;
        let var = v.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n;
        assert!((s.mean - mean).abs() < 1e-15, "{} vs {mean}", s.mean);
        assert!((s.std - var.sqrt()).abs() < 1e-15);
        assert_eq!((s.min, s.max), (-0.99f32 as f64, 0.99f32 as f64));
        assert_eq!(s.frac_zero, 4.0 / 15.0);
        assert_eq!(s.frac_dead_units, 1.0 / 5.0); // column 1 is 0 in every row
                                                  // |y| > 0.97: 0.99, -0.98, -0.99.
        assert_eq!(s.frac_saturated, 3.0 / 15.0);
        // A Linear output is never "saturated"; sigmoid uses [0.03, 0.97].
        let lin = layer_stats(1, "Linear 1".into(), &Layer::Act(Activation::Relu), &v, 5);
        assert_eq!(lin.frac_saturated, 0.0);
        let sig = layer_stats(
            1,
            "Sigmoid 1".into(),
            &Layer::Act(Activation::Sigmoid),
            &v,
            5,
        );
        // Outside [0.03, 0.97]: 0.99, 0, -0.5, -0.98, 0, -0.3, 0, -0.99, 0 = 9 values.
        assert_eq!(sig.frac_saturated, 9.0 / 15.0);
    }
}
