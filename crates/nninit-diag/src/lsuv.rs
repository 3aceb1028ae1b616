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

use crate::dense::DenseNet;
use crate::error::{DiagError, Result};
use crate::init::ModelInit;
use crate::linalg::std_of;
use crate::model::{Layer, Sequential};
use nninit::{Init, Stream};
use serde::Serialize;

pub use crate::init::validate_lsuv as validate;
/// The reference code's tolerance on `|std − 1|` (defined with [`ModelInit`]).
pub const DEFAULT_TOL: f64 = crate::init::LSUV_DEFAULT_TOL;
/// The reference code's maximum number of rescalings per layer (defined with [`ModelInit`]).
pub const DEFAULT_MAX_ITER: usize = crate::init::LSUV_DEFAULT_MAX_ITER;
/// Below this output std a layer counts as constant and is not rescaled.
pub const MIN_STD: f64 = 1e-8;

/// What LSUV did to one Linear layer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LsuvLayer {
    /// 1-based position in the model (as [`crate::stats::LayerStats::index`]).
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
        if batch == 0 || Some(x.len()) != batch.checked_mul(fin) {
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
        let mut net = DenseNet::<f32>::new(self)?;
        net.set_input(x, batch)?;
        let mut report = vec![];
        let mut linear_count = 0;
        for (i, layer) in self.layers.iter().enumerate() {
            net.forward_layer(i)?;
            if let Layer::Linear { .. } = layer {
                linear_count += 1;
                let std_before = std_of(net.output(i));
                let mut std = std_before;
                let mut iterations = 0;
                while (std - 1.0).abs() >= tol
                    && iterations < max_iter
                    && std.is_finite()
                    && std >= MIN_STD
                {
                    let k = (1.0 / std) as f32;
                    if let Some(w) = net.weight_mut(i) {
                        w.iter_mut().for_each(|w| *w *= k);
                    }
                    iterations += 1;
                    net.forward_layer(i)?;
                    std = std_of(net.output(i));
                }
                report.push(LsuvLayer {
                    index: i + 1,
                    label: format!("Linear {linear_count}"),
                    std_before,
                    std_after: std,
                    iterations,
                    converged: (std - 1.0).abs() < tol,
                });
            }
        }
        net.write_to(self)?;
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
