//! LSUV, layer-sequential unit-variance initialisation (Mishkin & Matas 2015, *All you need
//! is a good init*, <https://arxiv.org/abs/1511.06422>, Algorithm 1).
//!
//! 1. Pre-initialise every Linear weight orthogonally (`Init::Orthogonal { gain: 1 }`, Saxe et
//!    al. 2013), biases zero.
//! 2. For each Linear layer in forward order: push the data batch through the network up to
//!    that layer, `B` = its output (pre-activation); while `|std(B) − 1| ≥ tol` and fewer than
//!    `max_iter` rescalings were made: `W ← W / std(B)`, recompute `B`.
//!
//! `std` is the population std pooled over batch × units, as in the reference code
//! (ducha-aiki/LSUV-pytorch `LSUVinit`, defaults `std_tol = 0.1`, `max_attempts = 10`).
//! Differences from that code: biases are not shifted (the paper's algorithm rescales weights
//! only; with zero biases the mean is left to the data). With zero biases a Linear layer's
//! output std is proportional to its weight scale, so one rescaling normally suffices.
//! A layer whose output is constant on the batch (std below 1e-8, e.g. every unit dead) cannot
//! be rescaled: it is left as it is and reported with `converged: false`.

use crate::error::{DiagError, Result};
use crate::model::{activation_forward, Layer, ModelInit, Sequential};
use crate::train::std_of;
use candle_core::{DType, Device, Tensor};
use nninit::{Init, Stream};
use serde::Serialize;

/// The reference code's tolerance on `|std − 1|`.
pub const DEFAULT_TOL: f64 = 0.1;
/// The reference code's maximum number of rescalings per layer.
pub const DEFAULT_MAX_ITER: usize = 10;
/// Below this output std a layer counts as constant and is not rescaled.
pub const MIN_STD: f64 = 1e-8;

/// What LSUV did to one Linear layer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LsuvLayer {
    /// 1-based position in the model (as [`crate::LayerStats::index`]).
    pub index: usize,
    /// `Linear 1`, `Linear 2`, ...
    pub label: String,
    /// Output std after the orthogonal pre-init (and the rescaling of the layers before).
    pub std_before: f64,
    /// Output std when LSUV stopped.
    pub std_after: f64,
    /// Rescalings made.
    pub iterations: usize,
    /// `|std_after − 1| < tol`.
    pub converged: bool,
}

/// Checks LSUV's parameters.
///
/// # Errors
/// [`DiagError::InvalidSpec`] unless `tol` is finite and > 0 and `max_iter >= 1`.
pub fn validate(tol: f64, max_iter: usize) -> Result<()> {
    if !(tol.is_finite() && tol > 0.0) {
        return Err(DiagError::InvalidSpec(format!(
            "lsuv tol must be finite and > 0, got {tol}"
        )));
    }
    if max_iter == 0 {
        return Err(DiagError::InvalidSpec(
            "lsuv max_iter must be >= 1, got 0".into(),
        ));
    }
    Ok(())
}

fn output_std(t: &Tensor) -> Result<f64> {
    let v: Vec<f64> = t.flatten_all()?.to_dtype(DType::F64)?.to_vec1()?;
    Ok(std_of(&v))
}

impl Sequential {
    /// LSUV-initialises the model on the data batch `x` (`(batch, in_features)` row-major):
    /// orthogonal weights and zero biases drawn from `stream`, then every Linear layer's
    /// weight rescaled in order until its output std on `x` is 1 within `tol` or `max_iter`
    /// rescalings were made. Returns what happened to each Linear layer.
    ///
    /// # Errors
    /// [`DiagError::InvalidSpec`] for bad `tol`/`max_iter` or a batch of the wrong size
    /// (checked before anything is drawn); errors from the orthogonal fill.
    pub fn lsuv<S: Stream + ?Sized>(
        &mut self,
        tol: f64,
        max_iter: usize,
        x: &[f32],
        batch: usize,
        stream: &mut S,
    ) -> Result<Vec<LsuvLayer>> {
        validate(tol, max_iter)?;
        let fin = self.in_features();
        if batch == 0 || x.len() != batch * fin {
            return Err(DiagError::InvalidSpec(format!(
                "lsuv batch has {} values; expected batch {batch} x {fin} features",
                x.len()
            )));
        }
        self.apply(
            &ModelInit::Scheme {
                weight: Init::Orthogonal { gain: 1.0 },
                bias: Init::Zeros,
            },
            stream,
        )?;
        let dev = Device::Cpu;
        let mut h = Tensor::from_slice(x, (batch, fin), &dev)?;
        let mut report = vec![];
        let mut linear_count = 0;
        for (i, layer) in self.layers.iter_mut().enumerate() {
            h = match layer {
                Layer::Act(a) => activation_forward(*a, &h)?,
                Layer::Linear {
                    in_features,
                    out_features,
                    weight,
                    bias,
                } => {
                    linear_count += 1;
                    let b = Tensor::from_slice(bias, *out_features, &dev)?;
                    let out = |w: &[f32]| -> Result<Tensor> {
                        let w = Tensor::from_slice(w, (*out_features, *in_features), &dev)?;
                        Ok(crate::train::linear(&h, &w)?.broadcast_add(&b)?)
                    };
                    let mut o = out(weight)?;
                    let std_before = output_std(&o)?;
                    let mut std = std_before;
                    let mut iterations = 0;
                    while (std - 1.0).abs() >= tol
                        && iterations < max_iter
                        && std.is_finite()
                        && std >= MIN_STD
                    {
                        let k = (1.0 / std) as f32;
                        weight.iter_mut().for_each(|w| *w *= k);
                        iterations += 1;
                        o = out(weight)?;
                        std = output_std(&o)?;
                    }
                    report.push(LsuvLayer {
                        index: i + 1,
                        label: format!("Linear {linear_count}"),
                        std_before,
                        std_after: std,
                        iterations,
                        converged: (std - 1.0).abs() < tol,
                    });
                    o
                }
            };
        }
        Ok(report)
    }

    /// Like [`Sequential::apply`], but also handles data-dependent inits
    /// ([`ModelInit::Lsuv`]), which use the batch `x` (`(batch, in_features)` row-major).
    ///
    /// # Errors
    /// As [`Sequential::apply`] and [`Sequential::lsuv`].
    pub fn apply_with_data<S: Stream + ?Sized>(
        &mut self,
        init: &ModelInit,
        stream: &mut S,
        x: &[f32],
        batch: usize,
    ) -> Result<()> {
        match init {
            ModelInit::Lsuv { tol, max_iter } => {
                self.lsuv(*tol, *max_iter, x, batch, stream)?;
                Ok(())
            }
            other => self.apply(other, stream),
        }
    }
}
