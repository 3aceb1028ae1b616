//! Per-layer statistics of a forward pass.

use crate::activation::Activation;
use crate::error::Result;
use crate::model::{Layer, Sequential};
use serde::Serialize;

/// Statistics of one layer's output over a batch (all units and all examples together).
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    let mut sum = 0.0f64;
    let mut min = f64::INFINITY;
    let mut max = f64::NEG_INFINITY;
    let mut zeros = 0usize;
    let mut sat = 0usize;
    let act: Option<Activation> = match layer {
        Layer::Act(a) if a.saturates() => Some(*a),
        _ => None,
    };
    for &v in values {
        let v = v as f64;
        sum += v;
        min = min.min(v);
        max = max.max(v);
        if v == 0.0 {
            zeros += 1;
        }
        if let Some(a) = act {
            if a.is_saturated(v) {
                sat += 1;
            }
        }
    }
    let mean = sum / n;
    let var = values
        .iter()
        .map(|&v| (v as f64 - mean).powi(2))
        .sum::<f64>()
        / n;
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
    }
}

impl Sequential {
    /// One forward pass of `x` (`(batch, in_features)` row-major); returns every layer
    /// output's statistics, in order.
    ///
    /// # Errors
    /// As [`Sequential::forward_all`].
    pub fn forward_stats(&self, x: &[f32], batch: usize) -> Result<Vec<LayerStats>> {
        let outs = self.forward_all(x, batch)?;
        let mut counts: std::collections::HashMap<String, usize> = Default::default();
        let mut stats = Vec::with_capacity(outs.len());
        for (i, (layer, t)) in self.layers.iter().zip(outs.iter()).enumerate() {
            let kind = layer.kind();
            let c = counts.entry(kind.clone()).or_insert(0);
            *c += 1;
            let width = t.dims().last().copied().unwrap_or(0);
            let values: Vec<f32> = t.flatten_all()?.to_vec1()?;
            stats.push(layer_stats(
                i + 1,
                format!("{kind} {c}"),
                layer,
                &values,
                width,
            ));
        }
        Ok(stats)
    }
}
