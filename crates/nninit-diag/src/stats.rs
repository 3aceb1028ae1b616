//! Per-layer statistics of a forward pass.

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Activation;

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
