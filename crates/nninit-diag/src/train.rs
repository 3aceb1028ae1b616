//! Gradients and training: a [`Trainable`] copy of a [`Sequential`] whose parameters are
//! candle [`candle_core::Var`]s (autodiff; per-layer backward statistics,
//! [`Sequential::grad_stats`], and the finite-difference check use it), the cross-entropy
//! loss, the [`Optimizer`]s with PyTorch's update rules, and a seeded training loop
//! ([`train`]) whose steps run through the hand-written backward pass of
//! [`crate::backprop::DenseNet`] (tested against the autodiff one).
//!
//! Everything runs on the CPU. The loss is PyTorch's `nn.CrossEntropyLoss()` with its default
//! `reduction='mean'`: `L = −(1/B) Σ_b log softmax(z_b)[y_b]` over a batch of `B` examples, so
//! every gradient below is of that batch mean.

use crate::activation::Activation;
use crate::backprop::DenseNet;
use crate::data::Mnist;
use crate::error::{DiagError, Result};
use crate::model::{activation_forward, Layer, Sequential};
use candle_core::backprop::GradStore;
use candle_core::{DType, Device, Tensor, Var};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::Serialize;
use std::time::Instant;

/// One module of a [`Trainable`].
#[derive(Debug)]
enum TLayer {
    Linear { w: Var, b: Var },
    Act(Activation),
}

/// A [`Sequential`] whose Linear weights and biases are autodiff variables of one dtype
/// (`F32` for training, `F64` for gradient checks).
#[derive(Debug)]
pub struct Trainable {
    layers: Vec<TLayer>,
    dtype: DType,
    in_features: usize,
}

impl Trainable {
    /// Copies `model`'s parameters into variables of `dtype` (`F32` or `F64`).
    ///
    /// # Errors
    /// [`DiagError::InvalidSpec`] for a model without a Linear layer or another dtype;
    /// [`DiagError::Candle`] from the tensor engine.
    pub fn new(model: &Sequential, dtype: DType) -> Result<Trainable> {
        if !matches!(dtype, DType::F32 | DType::F64) {
            return Err(DiagError::InvalidSpec(format!(
                "training runs in f32 or f64, not {dtype:?}"
            )));
        }
        let dev = Device::Cpu;
        let mut layers = Vec::with_capacity(model.layers.len());
        for layer in &model.layers {
            layers.push(match layer {
                Layer::Linear {
                    in_features,
                    out_features: fo,
                    weight,
                    bias,
                } => {
                    let w =
                        Tensor::from_slice(weight, (*fo, *in_features), &dev)?.to_dtype(dtype)?;
                    let b = Tensor::from_slice(bias, *fo, &dev)?.to_dtype(dtype)?;
                    TLayer::Linear {
                        w: Var::from_tensor(&w)?,
                        b: Var::from_tensor(&b)?,
                    }
                }
                Layer::Act(a) => TLayer::Act(*a),
            });
        }
        let in_features = model.in_features();
        if in_features == 0 {
            return Err(DiagError::InvalidSpec(
                "the model has no Linear layer to train".into(),
            ));
        }
        Ok(Trainable {
            layers,
            dtype,
            in_features,
        })
    }

    /// The dtype of the parameters and of the computation.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// The parameters in PyTorch's `model.parameters()` order: weight then bias of every
    /// Linear layer.
    pub fn vars(&self) -> Vec<&Var> {
        let mut v = vec![];
        for l in &self.layers {
            if let TLayer::Linear { w, b } = l {
                v.push(w);
                v.push(b);
            }
        }
        v
    }

    /// A `(batch, in_features)` input tensor of this dtype from row-major `x`.
    ///
    /// # Errors
    /// [`DiagError::InvalidSpec`] when `x.len() != batch · in_features` or `batch == 0`.
    pub fn input(&self, x: &[f32], batch: usize) -> Result<Tensor> {
        if batch == 0 || x.len() != batch * self.in_features {
            return Err(DiagError::InvalidSpec(format!(
                "input has {} values; expected batch {batch} x {} features",
                x.len(),
                self.in_features
            )));
        }
        Ok(Tensor::from_slice(x, (batch, self.in_features), &Device::Cpu)?.to_dtype(self.dtype)?)
    }

    /// The logits `(batch, out_features)`; tracked for autodiff.
    ///
    /// # Errors
    /// From the tensor engine (e.g. a wrong input width).
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.forward_probed(x, None)
    }

    /// The forward pass; with `probes`, a zero variable is added to every module's output so
    /// that its gradient is `∂L/∂(output)` (candle keeps gradients of variables only).
    fn forward_probed(&self, x: &Tensor, probes: Option<&[Var]>) -> Result<Tensor> {
        let mut h = x.clone();
        for (i, l) in self.layers.iter().enumerate() {
            h = match l {
                TLayer::Linear { w, b } => linear(&h, w.as_tensor())?.broadcast_add(b)?,
                TLayer::Act(a) => activation_forward(*a, &h)?,
            };
            if let Some(p) = probes.and_then(|p| p.get(i)) {
                h = (h + p.as_tensor())?;
            }
        }
        Ok(h)
    }

    /// The mean cross-entropy of the logits of `x` against `labels` (a scalar tensor, tracked).
    ///
    /// # Errors
    /// As [`cross_entropy`].
    pub fn loss(&self, x: &Tensor, labels: &[u8]) -> Result<Tensor> {
        cross_entropy(&self.forward(x)?, labels)
    }

    /// Copies the parameters back into `model` (as `f32`), which must have the same layers.
    ///
    /// # Errors
    /// [`DiagError::InvalidSpec`] when the layers differ; [`DiagError::Candle`].
    pub fn write_to(&self, model: &mut Sequential) -> Result<()> {
        if model.layers.len() != self.layers.len() {
            return Err(DiagError::InvalidSpec(
                "model and trainable copy have different layers".into(),
            ));
        }
        for (dst, src) in model.layers.iter_mut().zip(&self.layers) {
            match (dst, src) {
                (Layer::Linear { weight, bias, .. }, TLayer::Linear { w, b }) => {
                    *weight = to_f32_vec(w.as_tensor())?;
                    *bias = to_f32_vec(b.as_tensor())?;
                }
                (Layer::Act(_), TLayer::Act(_)) => {}
                _ => {
                    return Err(DiagError::InvalidSpec(
                        "model and trainable copy have different layers".into(),
                    ))
                }
            }
        }
        Ok(())
    }

    /// Test-set loss and accuracy (fraction correct, argmax of the logits), in chunks of
    /// `chunk` images, without tracking gradients.
    ///
    /// # Errors
    /// As [`Trainable::forward`]; [`DiagError::InvalidSpec`] for an empty data set.
    pub fn evaluate(&self, data: &Mnist, chunk: usize) -> Result<(f64, f64)> {
        if data.n == 0 {
            return Err(DiagError::InvalidSpec("the test set is empty".into()));
        }
        let chunk = chunk.max(1);
        let (mut loss_sum, mut correct) = (0.0f64, 0usize);
        let mut start = 0;
        while start < data.n {
            let len = chunk.min(data.n - start);
            let (x, y) = data.batch(start, len)?;
            let logits = self.forward(&self.input(x, len)?)?.detach();
            let l = cross_entropy(&logits, y)?
                .to_dtype(DType::F64)?
                .to_scalar::<f64>()?;
            loss_sum += l * len as f64;
            let pred: Vec<u32> = logits.argmax_keepdim(1)?.flatten_all()?.to_vec1()?;
            correct += pred
                .iter()
                .zip(y)
                .filter(|(p, l)| **p == u32::from(**l))
                .count();
            start += len;
        }
        Ok((loss_sum / data.n as f64, correct as f64 / data.n as f64))
    }
}

/// `x · Wᵀ` (`x`: `(batch, in)`, `W`: `(out, in)`), differentiable, with faer's matrix
/// product: candle 0.11's CPU matmul (the `gemm` crate, no AVX-512 on stable Rust) is ~5×
/// slower on these shapes, which made a training epoch ~3× slower than PyTorch's.
pub fn linear(x: &Tensor, w: &Tensor) -> Result<Tensor> {
    Ok(x.contiguous()?.apply_op2(
        &w.contiguous()?,
        FaerMatmul {
            ta: false,
            tb: true,
        },
    )?)
}

/// `op(a) · op(b)` of two contiguous row-major 2-D CPU tensors (f32 or f64) via
/// `faer::linalg::matmul::matmul`; `ta`/`tb` transpose the operand. Backward:
/// `d op(a) = g · op(b)ᵀ`, `d op(b) = op(a)ᵀ · g`, themselves `FaerMatmul`s.
#[derive(Debug, Clone, Copy)]
struct FaerMatmul {
    ta: bool,
    tb: bool,
}

/// Multiply-adds above which a product runs on all threads.
const PAR_MIN_MACS: usize = 1 << 24;

macro_rules! faer_mm {
    ($name:ident, $into:ident, $t:ty) => {
        /// `out = op(a) · op(b)` of row-major `a` (`ra × ca`) and `b` (`rb × cb`) into
        /// row-major `out` (its length must be the product's size).
        pub(crate) fn $into(
            out: &mut [$t],
            a: &[$t],
            (ra, ca): (usize, usize),
            b: &[$t],
            (rb, cb): (usize, usize),
            ta: bool,
            tb: bool,
        ) {
            use faer::{Accum, MatMut, MatRef, Par};
            let am = MatRef::from_row_major_slice(a, ra, ca);
            let bm = MatRef::from_row_major_slice(b, rb, cb);
            let am = if ta { am.transpose() } else { am };
            let bm = if tb { bm.transpose() } else { bm };
            let (m, n) = (am.nrows(), bm.ncols());
            faer::linalg::matmul::matmul(
                MatMut::from_row_major_slice_mut(out, m, n),
                Accum::Replace,
                am,
                bm,
                1.0,
                // Threads only pay off for large products (the probe's 10,000-row batch);
                // a training step's 64-row product is faster on one.
                if m * n * am.ncols() >= PAR_MIN_MACS {
                    Par::rayon(0)
                } else {
                    Par::Seq
                },
            );
            // faer's AVX-512 kernels leave the upper register halves dirty; the scalar code
            // that follows (activations calling libm's expf/tanhf) would pay a transition
            // penalty on every call (measured: a sigmoid epoch 7.7 s instead of ~1.5 s)
            nninit::fill::clear_upper_state();
        }

        /// As the `_into` variant, into a new vector.
        fn $name(
            a: &[$t],
            (ra, ca): (usize, usize),
            b: &[$t],
            (rb, cb): (usize, usize),
            ta: bool,
            tb: bool,
        ) -> Vec<$t> {
            let m = if ta { ca } else { ra };
            let n = if tb { rb } else { cb };
            let mut out: Vec<$t> = vec![0.0; m * n];
            $into(&mut out, a, (ra, ca), b, (rb, cb), ta, tb);
            out
        }
    };
}
faer_mm!(faer_mm_f32, matmul_into, f32);
faer_mm!(faer_mm_f64, matmul_into_f64, f64);

impl candle_core::CustomOp2 for FaerMatmul {
    fn name(&self) -> &'static str {
        "faer-matmul"
    }

    fn cpu_fwd(
        &self,
        s1: &candle_core::CpuStorage,
        l1: &candle_core::Layout,
        s2: &candle_core::CpuStorage,
        l2: &candle_core::Layout,
    ) -> candle_core::Result<(candle_core::CpuStorage, candle_core::Shape)> {
        use candle_core::CpuStorage as S;
        let d1 = l1.shape().dims2()?;
        let d2 = l2.shape().dims2()?;
        let (m, k1) = if self.ta { (d1.1, d1.0) } else { d1 };
        let (k2, n) = if self.tb { (d2.1, d2.0) } else { d2 };
        if k1 != k2 {
            return Err(candle_core::Error::Msg(format!(
                "faer-matmul: inner dimensions differ ({d1:?}, {d2:?}, ta {}, tb {})",
                self.ta, self.tb
            )));
        }
        let (Some((a0, a1)), Some((b0, b1))) = (l1.contiguous_offsets(), l2.contiguous_offsets())
        else {
            return Err(candle_core::Error::Msg(
                "faer-matmul needs contiguous inputs".into(),
            ));
        };
        let out = match (s1, s2) {
            (S::F32(a), S::F32(b)) => S::F32(faer_mm_f32(
                &a[a0..a1],
                d1,
                &b[b0..b1],
                d2,
                self.ta,
                self.tb,
            )),
            (S::F64(a), S::F64(b)) => S::F64(faer_mm_f64(
                &a[a0..a1],
                d1,
                &b[b0..b1],
                d2,
                self.ta,
                self.tb,
            )),
            _ => {
                return Err(candle_core::Error::Msg(
                    "faer-matmul: both operands must be f32 or both f64".into(),
                ))
            }
        };
        Ok((out, candle_core::Shape::from((m, n))))
    }

    fn bwd(
        &self,
        a: &Tensor,
        b: &Tensor,
        _res: &Tensor,
        g: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        let g = g.contiguous()?;
        let mm = |x: &Tensor, y: &Tensor, ta: bool, tb: bool| {
            x.apply_op2_no_bwd(y, &FaerMatmul { ta, tb })
        };
        // y = A'·B' with A' = op(a), B' = op(b): dA' = g·B'ᵀ, dB' = A'ᵀ·g.
        let da = if self.ta {
            mm(b, &g, self.tb, true)? // (dA')ᵀ = B'·gᵀ
        } else {
            mm(&g, b, false, !self.tb)? // g·B'ᵀ
        };
        let db = if self.tb {
            mm(&g, a, true, self.ta)? // (dB')ᵀ = gᵀ·A'
        } else {
            mm(a, &g, !self.ta, false)? // A'ᵀ·g
        };
        Ok((Some(da), Some(db)))
    }
}

fn to_f32_vec(t: &Tensor) -> Result<Vec<f32>> {
    Ok(t.flatten_all()?.to_dtype(DType::F32)?.to_vec1()?)
}

fn to_f64_vec(t: &Tensor) -> Result<Vec<f64>> {
    Ok(t.flatten_all()?.to_dtype(DType::F64)?.to_vec1()?)
}

/// Population standard deviation `√(Σ(v − v̄)²/n)` (0 for an empty slice).
pub fn std_of(v: &[f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt()
}

/// PyTorch's `F.cross_entropy(logits, labels)` (mean over the batch), from differentiable ops:
/// `log softmax(z) = (z − max z) − log Σ exp(z − max z)`, the max treated as a constant.
///
/// # Errors
/// [`DiagError::InvalidSpec`] when the batch sizes differ or a label is not below the
/// number of classes.
pub fn cross_entropy(logits: &Tensor, labels: &[u8]) -> Result<Tensor> {
    let (batch, classes) = logits.dims2()?;
    if labels.len() != batch || batch == 0 {
        return Err(DiagError::InvalidSpec(format!(
            "{} labels for a batch of {batch} logits",
            labels.len()
        )));
    }
    let mut onehot = vec![0f32; batch * classes];
    for (i, &l) in labels.iter().enumerate() {
        let l = usize::from(l);
        if l >= classes {
            return Err(DiagError::InvalidSpec(format!(
                "label {l} is out of range for a model with {classes} outputs"
            )));
        }
        onehot[i * classes + l] = 1.0;
    }
    let onehot =
        Tensor::from_vec(onehot, (batch, classes), logits.device())?.to_dtype(logits.dtype())?;
    let m = logits.max_keepdim(1)?.detach();
    let z = logits.broadcast_sub(&m)?;
    let lse = z.exp()?.sum_keepdim(1)?.log()?;
    let logp = z.broadcast_sub(&lse)?;
    Ok((logp * onehot)?
        .sum_all()?
        .affine(-1.0 / batch as f64, 0.0)?)
}

/// Backward statistics of one module's output (and, for Linear, of its parameters) from one
/// forward + backward pass of the mean cross-entropy on a batch.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GradStats {
    /// 1-based position in the model (as [`crate::LayerStats::index`]).
    pub index: usize,
    /// `Linear 1`, `ReLU 2`, ... (as [`crate::LayerStats::label`]).
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

impl Sequential {
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
        let t = Trainable::new(self, DType::F32)?;
        let xt = t.input(x, batch)?;
        // Output widths, to size the probes.
        let mut widths = Vec::with_capacity(self.layers.len());
        let mut w = self.in_features();
        for l in &self.layers {
            if let Layer::Linear { out_features, .. } = l {
                w = *out_features;
            }
            widths.push(w);
        }
        let probes: Vec<Var> = widths
            .iter()
            .map(|&w| Var::zeros((batch, w), DType::F32, &Device::Cpu))
            .collect::<candle_core::Result<_>>()?;
        let loss = cross_entropy(&t.forward_probed(&xt, Some(&probes))?, labels)?;
        let grads = loss.backward()?;
        let loss_v = loss.to_dtype(DType::F64)?.to_scalar::<f64>()?;
        let grad_std = |g: &GradStore, v: &Var| -> Result<f64> {
            match g.get(v.as_tensor()) {
                Some(t) => Ok(std_of(&to_f64_vec(t)?)),
                None => Ok(0.0),
            }
        };
        let mut counts: std::collections::HashMap<String, usize> = Default::default();
        let mut out = Vec::with_capacity(self.layers.len());
        for (i, (layer, tl)) in self.layers.iter().zip(&t.layers).enumerate() {
            let kind = layer.kind();
            let c = counts.entry(kind.clone()).or_insert(0);
            *c += 1;
            let output_grad_std = grad_std(&grads, &probes[i])?;
            let (wg, bg, ws, ratio) = match tl {
                TLayer::Linear { w, b } => {
                    let wg = grad_std(&grads, w)?;
                    let ws = std_of(&to_f64_vec(w.as_tensor())?);
                    let ratio = (ws > 0.0).then(|| lr * wg / ws);
                    (Some(wg), Some(grad_std(&grads, b)?), Some(ws), ratio)
                }
                TLayer::Act(_) => (None, None, None, None),
            };
            out.push(GradStats {
                index: i + 1,
                label: format!("{kind} {c}"),
                output_grad_std,
                weight_grad_std: wg,
                bias_grad_std: bg,
                weight_std: ws,
                update_to_data: ratio,
            });
        }
        Ok((loss_v, out))
    }
}

/// The optimiser, with PyTorch's update rules (no weight decay).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "name", rename_all = "lowercase")]
pub enum Optimizer {
    /// `torch.optim.SGD(lr, momentum)` (dampening 0, not Nesterov):
    /// `buf ← momentum·buf + g` (`buf = g` on the first step), `p ← p − lr·buf`.
    Sgd {
        /// Learning rate (units of parameter per unit of gradient).
        lr: f64,
        /// Momentum coefficient in `[0, 1)` (dimensionless; 0 = plain SGD).
        momentum: f64,
    },
    /// `torch.optim.Adam(lr, betas=(beta1, beta2), eps)`: `m ← β₁m + (1−β₁)g`,
    /// `v ← β₂v + (1−β₂)g²`, `p ← p − lr·m̂/(√v̂ + eps)` with `m̂ = m/(1−β₁ᵗ)`,
    /// `v̂ = v/(1−β₂ᵗ)`.
    Adam {
        /// Learning rate.
        lr: f64,
        /// First-moment decay (PyTorch default 0.9).
        beta1: f64,
        /// Second-moment decay (PyTorch default 0.999).
        beta2: f64,
        /// Denominator guard (PyTorch default 1e-8).
        eps: f64,
    },
}

impl Optimizer {
    /// Adam with PyTorch's defaults for everything but `lr`.
    pub fn adam(lr: f64) -> Optimizer {
        Optimizer::Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        }
    }

    /// Checks the hyper-parameters.
    ///
    /// # Errors
    /// [`DiagError::InvalidSpec`] for `lr ≤ 0`, momentum or betas outside `[0, 1)`, `eps ≤ 0`,
    /// or anything non-finite.
    pub fn validate(&self) -> Result<()> {
        let bad = |what: &str, v: f64, want: &str| {
            Err(DiagError::InvalidSpec(format!(
                "{what} must be {want}, got {v}"
            )))
        };
        let unit = |v: f64| v.is_finite() && (0.0..1.0).contains(&v);
        match *self {
            Optimizer::Sgd { lr, momentum } => {
                if !(lr.is_finite() && lr > 0.0) {
                    return bad("learning rate", lr, "finite and > 0");
                }
                if !unit(momentum) {
                    return bad("momentum", momentum, "in [0, 1)");
                }
            }
            Optimizer::Adam {
                lr,
                beta1,
                beta2,
                eps,
            } => {
                if !(lr.is_finite() && lr > 0.0) {
                    return bad("learning rate", lr, "finite and > 0");
                }
                if !unit(beta1) {
                    return bad("beta1", beta1, "in [0, 1)");
                }
                if !unit(beta2) {
                    return bad("beta2", beta2, "in [0, 1)");
                }
                if !(eps.is_finite() && eps > 0.0) {
                    return bad("eps", eps, "finite and > 0");
                }
            }
        }
        Ok(())
    }
}

/// Settings of a training run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainConfig {
    /// Passes over the training set.
    pub epochs: usize,
    /// Examples per step (the last step of an epoch may be smaller, like PyTorch's
    /// `DataLoader(drop_last=False)`).
    pub batch: usize,
    /// The optimiser.
    pub optimizer: Optimizer,
    /// Seed of the shuffle: every epoch draws a new permutation from one `StdRng` seeded
    /// with this, so every model trained with the same seed sees the same data order.
    pub seed: u64,
}

/// One epoch's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EpochStats {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Mean training loss over the epoch's steps (each step's batch-mean cross-entropy,
    /// weighted by batch size), measured during the epoch as the weights change.
    pub train_loss: f64,
    /// Mean cross-entropy on the test set after the epoch.
    pub test_loss: f64,
    /// Fraction of the test set classified correctly after the epoch (0..1).
    pub test_acc: f64,
    /// Wall-clock seconds of the epoch's training steps (evaluation excluded).
    pub train_seconds: f64,
}

/// The whole run of one model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainHistory {
    /// Test loss before training.
    pub initial_test_loss: f64,
    /// Test accuracy before training (≈ 0.1 by chance).
    pub initial_test_acc: f64,
    /// One entry per completed epoch.
    pub epochs: Vec<EpochStats>,
    /// The training loss became NaN or infinite; training of this model stopped there.
    pub diverged: bool,
}

/// Progress of [`train`], reported after every step.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Steps done so far in this run.
    pub step: usize,
    /// Steps of the whole run (`epochs · ⌈n_train / batch⌉`).
    pub total_steps: usize,
    /// Current epoch (1-based).
    pub epoch: usize,
}

/// Steps in one epoch: `⌈n / batch⌉`.
pub fn steps_per_epoch(n: usize, batch: usize) -> usize {
    if batch == 0 {
        0
    } else {
        n.div_ceil(batch)
    }
}

/// Trains `model` in place on `train_set` (f32, mean cross-entropy) and evaluates it on
/// `test_set` after every epoch; `progress` is called after every step.
///
/// # Errors
/// [`DiagError::InvalidSpec`] for `epochs == 0`, `batch == 0`, empty data, a bad optimiser,
/// or data whose image size is not the model's input width.
pub fn train(
    model: &mut Sequential,
    train_set: &Mnist,
    test_set: &Mnist,
    cfg: &TrainConfig,
    progress: &mut dyn FnMut(Progress),
) -> Result<TrainHistory> {
    if cfg.epochs == 0 || cfg.batch == 0 {
        return Err(DiagError::InvalidSpec(format!(
            "epochs and batch must be >= 1, got epochs {}, batch {}",
            cfg.epochs, cfg.batch
        )));
    }
    if train_set.n == 0 || test_set.n == 0 {
        return Err(DiagError::InvalidSpec(
            "training and test sets must not be empty".into(),
        ));
    }
    if train_set.pixels_per_image() != model.in_features() {
        return Err(DiagError::InvalidSpec(format!(
            "images have {} pixels but the model takes {} inputs",
            train_set.pixels_per_image(),
            model.in_features()
        )));
    }
    cfg.optimizer.validate()?;
    let mut net = DenseNet::for_optimizer(model, &cfg.optimizer)?;
    let (initial_test_loss, initial_test_acc) = net.evaluate(test_set, 1000)?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(cfg.seed);
    let mut order: Vec<usize> = (0..train_set.n).collect();
    let ppi = train_set.pixels_per_image();
    let spe = steps_per_epoch(train_set.n, cfg.batch);
    let total_steps = spe * cfg.epochs;
    let mut step = 0;
    let mut epochs = vec![];
    let mut diverged = false;
    let mut xb: Vec<f32> = Vec::with_capacity(cfg.batch * ppi);
    let mut yb: Vec<u8> = Vec::with_capacity(cfg.batch);
    'epochs: for epoch in 1..=cfg.epochs {
        order.shuffle(&mut rng);
        let start = Instant::now();
        let mut loss_sum = 0.0f64;
        for idx in order.chunks(cfg.batch) {
            xb.clear();
            yb.clear();
            for &i in idx {
                let img = train_set.image(i).ok_or_else(|| {
                    DiagError::InvalidSpec(format!("image {i} is missing from the training set"))
                })?;
                xb.extend_from_slice(img);
                yb.push(train_set.labels.get(i).copied().unwrap_or(0));
            }
            let l = net.loss_and_grads(&xb, &yb, idx.len())?;
            if !l.is_finite() {
                diverged = true;
                break 'epochs;
            }
            loss_sum += l * idx.len() as f64;
            net.update(&cfg.optimizer);
            step += 1;
            progress(Progress {
                step,
                total_steps,
                epoch,
            });
        }
        let train_seconds = start.elapsed().as_secs_f64();
        let (test_loss, test_acc) = net.evaluate(test_set, 1000)?;
        epochs.push(EpochStats {
            epoch,
            train_loss: loss_sum / train_set.n as f64,
            test_loss,
            test_acc,
            train_seconds,
        });
    }
    net.write_to(model)?;
    Ok(TrainHistory {
        initial_test_loss,
        initial_test_acc,
        epochs,
        diverged,
    })
}

/// Splits `data` into its first `n_train` images (training set) and the rest (test set).
///
/// # Errors
/// [`DiagError::InvalidSpec`] unless `0 < n_train < data.n`.
pub fn split_train_test(data: &Mnist, n_train: usize) -> Result<(Mnist, Mnist)> {
    if n_train == 0 || n_train >= data.n {
        return Err(DiagError::InvalidSpec(format!(
            "cannot split {} images into {n_train} for training and the rest for testing",
            data.n
        )));
    }
    let ppi = data.pixels_per_image();
    let cut = n_train * ppi;
    let part = |images: &[f32], labels: &[u8]| Mnist {
        images: images.to_vec(),
        labels: labels.to_vec(),
        n: labels.len(),
        rows: data.rows,
        cols: data.cols,
        normalization: data.normalization,
    };
    let (ia, ib) = data.images.split_at(cut.min(data.images.len()));
    let (la, lb) = data.labels.split_at(n_train.min(data.labels.len()));
    Ok((part(ia, la), part(ib, lb)))
}
