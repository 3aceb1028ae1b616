//! Hand-written backpropagation through a [`Sequential`] MLP: the training hot path.
//!
//! [`train`](crate::train::train) steps through a [`DenseNet`] rather than candle's autodiff: the
//! model is only Linear layers and elementwise activations, so the forward pass, the mean
//! cross-entropy, its gradient and the SGD/Adam updates are a handful of loops and three
//! matrix products per Linear layer (faer), run in place on buffers allocated once. Candle's
//! graph builds, per step, a tensor and a zero-initialised gradient for every node; on a
//! 64-image batch of the 784-256-128-10 MLP that bookkeeping cost more than the products.
//!
//! The maths is the same as [`crate::train::Trainable`] (candle autodiff, which `probe --grad` and
//! the finite-difference test use) and is tested against it: gradients agree to f32
//! rounding, and a few optimiser steps give the same parameters (`tests/backprop.rs`).
//!
//! Layout: activations are row-major `(batch, width)`, weights row-major
//! `(out_features, in_features)` as PyTorch stores them.

use crate::activation::Activation;
use crate::data::Mnist;
use crate::error::{DiagError, Result};
use crate::model::{try_zeros, Layer, Sequential};
use crate::train::{matmul_into, Optimizer};

/// One module with its parameters, gradients and optimiser state.
#[derive(Debug, Clone)]
enum DLayer {
    Linear {
        fi: usize,
        fo: usize,
        /// `[weight, bias]`, each with its gradient and optimiser moments.
        params: [Param; 2],
    },
    Act(Activation),
}

/// A parameter tensor (flat), its gradient, and the optimiser's moment buffers (SGD's
/// momentum buffer in `m`; Adam's first and second moments in `m`, `v`).
#[derive(Debug, Clone)]
struct Param {
    value: Vec<f32>,
    grad: Vec<f32>,
    m: Vec<f32>,
    v: Vec<f32>,
}

impl Param {
    /// The parameter, its gradient buffer and (allocated here too, so that running out of
    /// memory is an error up front) the optimiser's moment buffers `m` (`v` with Adam).
    fn new(value: &[f32], adam: bool) -> Result<Param> {
        let n = value.len();
        let what = "the training state";
        let mut p = Param {
            value: try_zeros(n, what)?,
            grad: try_zeros(n, what)?,
            m: try_zeros(n, what)?,
            v: if adam { try_zeros(n, what)? } else { vec![] },
        };
        p.value.copy_from_slice(value);
        Ok(p)
    }
}

/// A [`Sequential`] MLP in plain buffers, with its optimiser state, for training.
#[derive(Debug, Clone)]
pub struct DenseNet {
    layers: Vec<DLayer>,
    in_features: usize,
    /// `acts[i]`: the input of layer `i` from the last forward pass (`acts[0]` = the batch);
    /// `acts[len]`: the logits.
    acts: Vec<Vec<f32>>,
    /// Gradient buffers of the backward pass (swapped at every Linear layer).
    g: Vec<f32>,
    g2: Vec<f32>,
    /// Optimiser steps taken.
    step: i32,
}

impl DenseNet {
    /// Copies `model`'s parameters, with room for SGD's momentum buffers (use
    /// [`DenseNet::for_optimizer`] for Adam's two).
    ///
    /// # Errors
    /// [`DiagError::InvalidSpec`] for a model without a Linear layer, or when the memory for
    /// the parameters, gradients and optimiser state cannot be allocated.
    pub fn new(model: &Sequential) -> Result<DenseNet> {
        DenseNet::for_optimizer(
            model,
            &Optimizer::Sgd {
                lr: 0.01,
                momentum: 0.9,
            },
        )
    }

    /// As [`DenseNet::new`], with the optimiser state `opt` needs allocated up front.
    ///
    /// # Errors
    /// As [`DenseNet::new`].
    pub fn for_optimizer(model: &Sequential, opt: &Optimizer) -> Result<DenseNet> {
        let adam = matches!(opt, Optimizer::Adam { .. });
        let in_features = model.in_features();
        if in_features == 0 {
            return Err(DiagError::InvalidSpec(
                "the model has no Linear layer to train".into(),
            ));
        }
        let layers: Vec<DLayer> = model
            .layers
            .iter()
            .map(|l| {
                Ok(match l {
                    Layer::Linear {
                        in_features,
                        out_features,
                        weight,
                        bias,
                    } => DLayer::Linear {
                        fi: *in_features,
                        fo: *out_features,
                        params: [Param::new(weight, adam)?, Param::new(bias, adam)?],
                    },
                    Layer::Act(a) => DLayer::Act(*a),
                })
            })
            .collect::<Result<_>>()?;
        Ok(DenseNet {
            acts: vec![vec![]; layers.len() + 1],
            layers,
            in_features,
            g: vec![],
            g2: vec![],
            step: 0,
        })
    }

    /// Number of outputs (classes).
    fn out_features(&self) -> usize {
        self.layers
            .iter()
            .rev()
            .find_map(|l| match l {
                DLayer::Linear { fo, .. } => Some(*fo),
                DLayer::Act(_) => None,
            })
            .unwrap_or(self.in_features)
    }

    /// The forward pass of `x` (`(batch, in_features)` row-major); keeps every layer's input
    /// and returns the logits `(batch, out_features)`.
    ///
    /// # Errors
    /// [`DiagError::InvalidSpec`] when `x.len() != batch · in_features` or `batch == 0`.
    pub fn forward(&mut self, x: &[f32], batch: usize) -> Result<&[f32]> {
        if batch == 0 || x.len() != batch * self.in_features {
            return Err(DiagError::InvalidSpec(format!(
                "input has {} values; expected batch {batch} x {} features",
                x.len(),
                self.in_features
            )));
        }
        self.acts[0].clear();
        self.acts[0].extend_from_slice(x);
        for (i, layer) in self.layers.iter().enumerate() {
            let (done, rest) = self.acts.split_at_mut(i + 1);
            let (inp, out) = (&done[i], &mut rest[0]);
            match layer {
                DLayer::Linear { fi, fo, params } => {
                    out.resize(batch * fo, 0.0);
                    // out = inp · Wᵀ + b
                    matmul_into(
                        out,
                        inp,
                        (batch, *fi),
                        &params[0].value,
                        (*fo, *fi),
                        false,
                        true,
                    );
                    for row in out.chunks_exact_mut(*fo) {
                        for (o, b) in row.iter_mut().zip(&params[1].value) {
                            *o += b;
                        }
                    }
                }
                DLayer::Act(a) => {
                    out.resize(inp.len(), 0.0);
                    act_forward(*a, inp, out);
                }
            }
        }
        Ok(&self.acts[self.layers.len()])
    }

    /// One training step on a batch: forward, mean cross-entropy, backward, optimiser update.
    /// Returns the batch's mean loss (before the update).
    ///
    /// # Errors
    /// As [`DenseNet::forward`]; [`DiagError::InvalidSpec`] for labels that do not match the
    /// batch or the number of classes, or an invalid optimiser.
    pub fn train_step(
        &mut self,
        x: &[f32],
        labels: &[u8],
        batch: usize,
        opt: &Optimizer,
    ) -> Result<f64> {
        opt.validate()?;
        let loss = self.loss_and_grads(x, labels, batch)?;
        self.update(opt);
        Ok(loss)
    }

    /// Forward and backward: the batch's mean cross-entropy; every parameter's gradient is
    /// left in place (see [`DenseNet::gradients`]).
    ///
    /// # Errors
    /// As [`DenseNet::train_step`].
    pub fn loss_and_grads(&mut self, x: &[f32], labels: &[u8], batch: usize) -> Result<f64> {
        let classes = self.out_features();
        self.forward(x, batch)?;
        let mut g = std::mem::take(&mut self.g);
        let loss = cross_entropy_grad(&self.acts[self.layers.len()], labels, classes, &mut g);
        let loss = match loss {
            Ok(l) => l,
            Err(e) => {
                self.g = g;
                return Err(e);
            }
        };
        let mut g2 = std::mem::take(&mut self.g2);
        // Layers before the first Linear need no input gradient.
        let first_linear = self
            .layers
            .iter()
            .position(|l| matches!(l, DLayer::Linear { .. }))
            .unwrap_or(0);
        for i in (first_linear..self.layers.len()).rev() {
            let inp = &self.acts[i];
            match &mut self.layers[i] {
                DLayer::Act(a) => act_backward(*a, inp, &self.acts[i + 1], &mut g),
                DLayer::Linear { fi, fo, params } => {
                    let (fi, fo) = (*fi, *fo);
                    let [w, b] = params;
                    // ∂W = gᵀ · inp   (fo × fi)
                    matmul_into(&mut w.grad, &g, (batch, fo), inp, (batch, fi), true, false);
                    // ∂b = Σ_rows g
                    b.grad.iter_mut().for_each(|v| *v = 0.0);
                    for row in g.chunks_exact(fo) {
                        for (s, v) in b.grad.iter_mut().zip(row) {
                            *s += v;
                        }
                    }
                    if i > first_linear {
                        // ∂inp = g · W   (batch × fi)
                        g2.resize(batch * fi, 0.0);
                        matmul_into(&mut g2, &g, (batch, fo), &w.value, (fo, fi), false, false);
                        std::mem::swap(&mut g, &mut g2);
                    }
                }
            }
        }
        self.g = g;
        self.g2 = g2;
        Ok(loss)
    }

    /// The gradients of the last [`DenseNet::loss_and_grads`], in `model.parameters()`
    /// order (weight then bias of every Linear layer).
    pub fn gradients(&self) -> Vec<&[f32]> {
        self.params().map(|p| p.grad.as_slice()).collect()
    }

    fn params(&self) -> impl Iterator<Item = &Param> {
        self.layers.iter().flat_map(|l| match l {
            DLayer::Linear { params, .. } => params.iter().collect::<Vec<_>>(),
            DLayer::Act(_) => vec![],
        })
    }

    /// One optimiser update of every parameter from its gradient, with PyTorch's rules
    /// (see [`Optimizer`]); arithmetic in f32 as PyTorch's CPU kernels do. `opt` must be
    /// valid ([`Optimizer::validate`]); [`DenseNet::train_step`] checks it.
    pub(crate) fn update(&mut self, opt: &Optimizer) {
        self.step += 1;
        let step = self.step;
        for layer in &mut self.layers {
            let DLayer::Linear { params, .. } = layer else {
                continue;
            };
            for p in params.iter_mut() {
                match *opt {
                    Optimizer::Sgd { lr, momentum } => {
                        let lr = lr as f32;
                        if momentum > 0.0 {
                            let mu = momentum as f32;
                            if step == 1 || p.m.len() != p.grad.len() {
                                p.m.clone_from(&p.grad); // buf = g on the first step
                            } else {
                                for (m, g) in p.m.iter_mut().zip(&p.grad) {
                                    *m = *m * mu + g;
                                }
                            }
                            for (x, m) in p.value.iter_mut().zip(&p.m) {
                                *x -= lr * m;
                            }
                        } else {
                            for (x, g) in p.value.iter_mut().zip(&p.grad) {
                                *x -= lr * g;
                            }
                        }
                    }
                    Optimizer::Adam {
                        lr,
                        beta1,
                        beta2,
                        eps,
                    } => {
                        if step == 1 || p.m.len() != p.grad.len() || p.v.len() != p.grad.len() {
                            // zero moments on the first step
                            p.m.clear();
                            p.m.resize(p.grad.len(), 0.0);
                            p.v.clear();
                            p.v.resize(p.grad.len(), 0.0);
                        }
                        let (b1, b2) = (beta1 as f32, beta2 as f32);
                        let (c1, c2) = ((1.0 - beta1) as f32, (1.0 - beta2) as f32);
                        let bc1 = 1.0 - beta1.powi(step);
                        let bc2 = 1.0 - beta2.powi(step);
                        let step_size = (lr / bc1) as f32;
                        let inv_sqrt_bc2 = (1.0 / bc2.sqrt()) as f32;
                        let eps = eps as f32;
                        for (((x, m), v), g) in
                            p.value.iter_mut().zip(&mut p.m).zip(&mut p.v).zip(&p.grad)
                        {
                            *m = *m * b1 + g * c1;
                            *v = *v * b2 + (g * g) * c2;
                            let denom = v.sqrt() * inv_sqrt_bc2 + eps;
                            *x -= step_size * *m / denom;
                        }
                    }
                }
            }
        }
    }

    /// Mean cross-entropy and accuracy (fraction correct, argmax of the logits; ties to the
    /// lower class) on `data`, in chunks of `chunk` images.
    ///
    /// # Errors
    /// [`DiagError::InvalidSpec`] for an empty data set or mismatched image size.
    pub fn evaluate(&mut self, data: &Mnist, chunk: usize) -> Result<(f64, f64)> {
        if data.n == 0 {
            return Err(DiagError::InvalidSpec("the test set is empty".into()));
        }
        let classes = self.out_features();
        let chunk = chunk.max(1);
        let (mut loss_sum, mut correct) = (0.0f64, 0usize);
        let mut start = 0;
        let mut scratch = vec![];
        while start < data.n {
            let len = chunk.min(data.n - start);
            let (x, y) = data.batch(start, len)?;
            let logits = self.forward(x, len)?;
            for (row, &label) in logits.chunks_exact(classes).zip(y) {
                let mut best = 0;
                for (k, &v) in row.iter().enumerate() {
                    if v > row[best] {
                        best = k;
                    }
                }
                correct += usize::from(best == usize::from(label));
            }
            let logits = &self.acts[self.layers.len()];
            loss_sum += cross_entropy_grad(logits, y, classes, &mut scratch)? * len as f64;
            start += len;
        }
        Ok((loss_sum / data.n as f64, correct as f64 / data.n as f64))
    }

    /// Copies the parameters back into `model`, which must have the same layers.
    ///
    /// # Errors
    /// [`DiagError::InvalidSpec`] when the layers differ.
    pub fn write_to(&self, model: &mut Sequential) -> Result<()> {
        let differ =
            || DiagError::InvalidSpec("model and training copy have different layers".into());
        if model.layers.len() != self.layers.len() {
            return Err(differ());
        }
        for (dst, src) in model.layers.iter_mut().zip(&self.layers) {
            match (dst, src) {
                (Layer::Linear { weight, bias, .. }, DLayer::Linear { params, .. }) => {
                    weight.clone_from(&params[0].value);
                    bias.clone_from(&params[1].value);
                }
                (Layer::Act(_), DLayer::Act(_)) => {}
                _ => return Err(differ()),
            }
        }
        Ok(())
    }
}

/// PyTorch's `F.cross_entropy(logits, labels)` (mean over the batch) of row-major
/// `(batch, classes)` logits, and its gradient `(softmax(z) − onehot(y)) / batch` into `g`.
/// The log-sum-exp is taken after subtracting the row maximum; per-row sums in f32 as
/// PyTorch's CPU kernel, the batch mean in f64.
fn cross_entropy_grad(
    logits: &[f32],
    labels: &[u8],
    classes: usize,
    g: &mut Vec<f32>,
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
    g.resize(logits.len(), 0.0);
    let inv_b = 1.0 / batch as f32;
    let mut loss = 0.0f64;
    for ((z, gr), &y) in logits
        .chunks_exact(classes)
        .zip(g.chunks_exact_mut(classes))
        .zip(labels)
    {
        let m = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0f32;
        for (e, &v) in gr.iter_mut().zip(z) {
            *e = (v - m).exp();
            sum += *e;
        }
        let y = usize::from(y);
        loss += f64::from(sum.ln() - (z[y] - m));
        let scale = inv_b / sum;
        for e in gr.iter_mut() {
            *e *= scale;
        }
        gr[y] -= inv_b;
    }
    Ok(loss / batch as f64)
}

/// `y = φ(x)` elementwise: ReLU, leaky ReLU, identity, tanh and sigmoid directly in f32 (NaN
/// propagates, as in PyTorch); the others through [`Activation::apply`] in f64, rounded once.
fn act_forward(a: Activation, x: &[f32], y: &mut [f32]) {
    match a {
        Activation::Identity => y.copy_from_slice(x),
        Activation::Relu => {
            for (o, &v) in y.iter_mut().zip(x) {
                *o = if v <= 0.0 { 0.0 } else { v };
            }
        }
        Activation::LeakyRelu(s) => {
            let s = s as f32;
            for (o, &v) in y.iter_mut().zip(x) {
                *o = if v <= 0.0 { s * v } else { v };
            }
        }
        Activation::Tanh => {
            for (o, &v) in y.iter_mut().zip(x) {
                *o = v.tanh();
            }
        }
        Activation::Sigmoid => {
            for (o, &v) in y.iter_mut().zip(x) {
                *o = 1.0 / (1.0 + (-v).exp());
            }
        }
        _ => {
            for (o, &v) in y.iter_mut().zip(x) {
                *o = a.apply(f64::from(v)) as f32;
            }
        }
    }
}

/// `g ← g · φ'(x)` elementwise, `x` the activation's input and `y = φ(x)` its output (tanh
/// and sigmoid take their derivative from `y`: `1 − y²`, `y(1 − y)`); left derivative at
/// kinks, as PyTorch's autograd.
fn act_backward(a: Activation, x: &[f32], y: &[f32], g: &mut [f32]) {
    match a {
        Activation::Identity => {}
        Activation::Relu => {
            for (d, &v) in g.iter_mut().zip(x) {
                *d = if v > 0.0 { *d } else { 0.0 };
            }
        }
        Activation::LeakyRelu(s) => {
            let s = s as f32;
            for (d, &v) in g.iter_mut().zip(x) {
                *d = if v > 0.0 { *d } else { *d * s };
            }
        }
        Activation::Tanh => {
            for (d, &t) in g.iter_mut().zip(y) {
                *d *= 1.0 - t * t;
            }
        }
        Activation::Sigmoid => {
            for (d, &s) in g.iter_mut().zip(y) {
                *d *= s * (1.0 - s);
            }
        }
        _ => {
            for (d, &v) in g.iter_mut().zip(x) {
                *d *= a.derivative(f64::from(v)) as f32;
            }
        }
    }
}
