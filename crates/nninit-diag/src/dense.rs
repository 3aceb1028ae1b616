//! [`DenseNet`]: the one executor of a [`Sequential`] MLP. The probe's forward pass and its
//! per-layer statistics, `probe --grad`'s backward pass, training and LSUV all run through it.
//!
//! The model is only Linear layers and elementwise activations, so the forward pass, the mean
//! cross-entropy, its gradient and the SGD/Adam updates are a handful of loops and three
//! matrix products per Linear layer (faer), run in place on buffers allocated once (and
//! checked: running out of memory is an error, not an abort).
//!
//! The network is generic over its precision: `DenseNet<f32>` (the default) computes as
//! PyTorch's CPU kernels do in float32; `DenseNet<f64>` runs the same code in f64, which the
//! gradient checks use (finite differences, and PyTorch's float64 gradients in
//! `testdata/torch/grad_golden.json`).
//!
//! Layout: activations are row-major `(batch, width)`, weights row-major
//! `(out_features, in_features)` as PyTorch stores them.

use crate::activation::Activation;
use crate::data::Mnist;
use crate::error::{DiagError, Result};
use crate::linalg::{try_resize, try_zeros, Gemm};
use crate::loss::cross_entropy_grad;
use crate::model::{Layer, Sequential};
use crate::optim::Optimizer;
use std::borrow::Cow;

/// One module with its parameters, gradients and optimiser state.
#[derive(Debug, Clone)]
enum DLayer<F> {
    Linear {
        fi: usize,
        fo: usize,
        /// `[weight, bias]`, each with its gradient and optimiser moments.
        params: [Param<F>; 2],
    },
    Act(Activation),
}

/// A parameter tensor (flat), its gradient, and the optimiser's moment buffers (SGD's
/// momentum buffer in `m`; Adam's first and second moments in `m`, `v`). The gradient and
/// moments are empty until needed.
#[derive(Debug, Clone)]
struct Param<F> {
    value: Vec<F>,
    grad: Vec<F>,
    m: Vec<F>,
    v: Vec<F>,
}

/// Called with `(i, ∂L/∂h_i)` for every layer output `h_i` during a backward pass.
type Recorder<'a, F> = &'a mut dyn FnMut(usize, &[F]);

/// What the memory errors name.
const STATE: &str = "the network's parameters and training state";
/// What the memory errors of the forward pass's input name.
const INPUT: &str = "the forward pass's input: use a smaller --batch";

impl<F: Gemm> Param<F> {
    fn new(value: &[f32]) -> Result<Param<F>> {
        let mut v = try_zeros(value.len(), STATE)?;
        for (d, &s) in v.iter_mut().zip(value) {
            *d = F::from_f32(s);
        }
        Ok(Param {
            value: v,
            grad: vec![],
            m: vec![],
            v: vec![],
        })
    }
}

/// A [`Sequential`] MLP in plain buffers of `F` (`f32` or `f64`), with its gradients and
/// optimiser state: forward pass (every layer's output kept), mean cross-entropy, backward
/// pass, optimiser updates.
#[derive(Debug, Clone)]
pub struct DenseNet<F: Gemm = f32> {
    layers: Vec<DLayer<F>>,
    in_features: usize,
    /// Rows of the current input (0 before the first forward pass or `set_input`).
    batch: usize,
    /// `acts[i + 1]`: layer `i`'s output (so `acts[i]` is layer `i`'s input for `i ≥ 1`);
    /// `acts[len]`: the logits. `acts[0]`: a copy of the input, only for the layer-by-layer
    /// pass of [`DenseNet::set_input`] (otherwise empty: the input is borrowed).
    acts: Vec<Vec<F>>,
    /// Gradient buffers of the backward pass (swapped at every Linear layer).
    g: Vec<F>,
    g2: Vec<F>,
    /// Optimiser steps taken.
    step: i32,
}

impl<F: Gemm> DenseNet<F> {
    /// Copies `model`'s parameters (converted to `F`). Gradient buffers are allocated by the
    /// first backward pass; use [`DenseNet::for_optimizer`] to train.
    ///
    /// # Errors
    /// [`DiagError::InvalidSpec`] for a model without a Linear layer, with layers whose
    /// widths do not chain or parameters of the wrong size, or when the memory for the
    /// parameters cannot be allocated.
    pub fn new(model: &Sequential) -> Result<DenseNet<F>> {
        let in_features = model.in_features();
        if in_features == 0 {
            return Err(DiagError::InvalidSpec(
                "the model has no Linear layer to run".into(),
            ));
        }
        let mut width = in_features;
        let mut layers = Vec::with_capacity(model.layers.len());
        for (i, l) in model.layers.iter().enumerate() {
            layers.push(match l {
                Layer::Linear {
                    in_features: fi,
                    out_features: fo,
                    weight,
                    bias,
                } => {
                    if *fi != width
                        || Some(weight.len()) != fi.checked_mul(*fo)
                        || bias.len() != *fo
                    {
                        return Err(DiagError::InvalidSpec(format!(
                            "layer {} (Linear({fi}, {fo}), {} weights, {} biases) does not fit: \
                             its input has {width} features",
                            i + 1,
                            weight.len(),
                            bias.len()
                        )));
                    }
                    width = *fo;
                    DLayer::Linear {
                        fi: *fi,
                        fo: *fo,
                        params: [Param::new(weight)?, Param::new(bias)?],
                    }
                }
                Layer::Act(a) => DLayer::Act(*a),
            });
        }
        Ok(DenseNet {
            acts: vec![vec![]; layers.len() + 1],
            layers,
            in_features,
            batch: 0,
            g: vec![],
            g2: vec![],
            step: 0,
        })
    }

    /// As [`DenseNet::new`], with the gradients and the optimiser state `opt` needs
    /// allocated up front (so that running out of memory is an error before training).
    ///
    /// # Errors
    /// As [`DenseNet::new`].
    pub fn for_optimizer(model: &Sequential, opt: &Optimizer) -> Result<DenseNet<F>> {
        let mut net = DenseNet::new(model)?;
        let moments = match *opt {
            Optimizer::Sgd { momentum, .. } => usize::from(momentum > 0.0),
            Optimizer::Adam { .. } => 2,
        };
        for p in net.params_mut() {
            let n = p.value.len();
            try_resize(&mut p.grad, n, STATE)?;
            if moments >= 1 {
                try_resize(&mut p.m, n, STATE)?;
            }
            if moments >= 2 {
                try_resize(&mut p.v, n, STATE)?;
            }
        }
        Ok(net)
    }

    /// Input width.
    pub fn in_features(&self) -> usize {
        self.in_features
    }

    /// Number of outputs (classes).
    pub fn out_features(&self) -> usize {
        self.layers
            .iter()
            .rev()
            .find_map(|l| match l {
                DLayer::Linear { fo, .. } => Some(*fo),
                DLayer::Act(_) => None,
            })
            .unwrap_or(self.in_features)
    }

    /// Number of layers (modules: Linear layers and activations).
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// Whether the network has no layer (never true for a constructed one).
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// Checks an input of `len` values against `batch` and sizes every layer's output
    /// buffer for `batch` rows (the input buffer of [`DenseNet::set_input`] is released).
    fn prepare(&mut self, len: usize, batch: usize) -> Result<()> {
        if batch == 0 || Some(len) != batch.checked_mul(self.in_features) {
            return Err(DiagError::InvalidSpec(format!(
                "input has {len} values; expected batch {batch} x {} features",
                self.in_features
            )));
        }
        self.batch = 0;
        self.acts[0] = vec![];
        let mut width = self.in_features;
        for (i, l) in self.layers.iter().enumerate() {
            if let DLayer::Linear { fo, .. } = l {
                width = *fo;
            }
            if try_resize(&mut self.acts[i + 1], batch.saturating_mul(width), "").is_err() {
                return Err(self.forward_oom(batch));
            }
        }
        self.batch = batch;
        Ok(())
    }

    /// The out-of-memory error of the forward pass: the layer outputs of `batch` images need
    /// so much, the parameters (with their gradients and optimiser state) hold so much, and the
    /// fix named is for the larger of the two (a smaller `--batch` does not help when the
    /// weights fill the memory).
    fn forward_oom(&self, batch: usize) -> DiagError {
        let size = std::mem::size_of::<F>() as u128;
        let mut width = self.in_features as u128;
        let mut per_image = 0u128;
        for l in &self.layers {
            if let DLayer::Linear { fo, .. } = l {
                width = *fo as u128;
            }
            per_image += width;
        }
        let outputs = per_image * batch as u128 * size;
        let params = self
            .params()
            .map(|p| (p.value.len() + p.grad.len() + p.m.len() + p.v.len()) as u128)
            .sum::<u128>()
            * size;
        let fix = if outputs >= params {
            "use a smaller --batch"
        } else {
            "the parameters are the bulk: use smaller layers (--arch, or --depth/--width)"
        };
        DiagError::InvalidSpec(format!(
            "not enough memory for the forward pass: the layer outputs of {batch} images need \
             {} MiB beside the {} MiB the parameters take; {fix}",
            outputs.div_ceil(1 << 20),
            params.div_ceil(1 << 20)
        ))
    }

    /// `x` as `F` values (borrowed for `f32`).
    fn input(x: &[f32]) -> Result<Cow<'_, [F]>> {
        F::from_f32_slice(x).ok_or_else(|| {
            DiagError::InvalidSpec(format!(
                "not enough memory for {INPUT} ({} MiB)",
                x.len().saturating_mul(std::mem::size_of::<F>()) >> 20
            ))
        })
    }

    /// Layer `layer` on `inp` (`batch` rows) into `out`: `inp · Wᵀ + b` for a Linear layer,
    /// the activation elementwise otherwise.
    fn run_layer(layer: &DLayer<F>, inp: &[F], out: &mut [F], batch: usize) {
        match layer {
            DLayer::Linear { fi, fo, params } => {
                F::matmul_into(
                    out,
                    inp,
                    (batch, *fi),
                    &params[0].value,
                    (*fo, *fi),
                    false,
                    true,
                );
                for row in out.chunks_exact_mut(*fo) {
                    for (o, &b) in row.iter_mut().zip(&params[1].value) {
                        *o += b;
                    }
                }
            }
            DLayer::Act(a) => a.forward(inp, out),
        }
    }

    /// Every layer, in order, the first on `input` (buffers sized by [`DenseNet::prepare`]).
    fn forward_from(&mut self, input: &[F]) {
        for i in 0..self.layers.len() {
            let (done, rest) = self.acts.split_at_mut(i + 1);
            let inp = if i == 0 { input } else { &done[i] };
            Self::run_layer(&self.layers[i], inp, &mut rest[0], self.batch);
        }
    }

    /// Takes a copy of `x` (`(batch, in_features)` row-major, f32 as the data is) as the
    /// input of a layer-by-layer forward pass ([`DenseNet::forward_layer`]) and sizes every
    /// layer's output buffer for `batch` rows.
    ///
    /// # Errors
    /// [`DiagError::InvalidSpec`] when `x.len() != batch · in_features`, `batch == 0`, or the
    /// memory for the input and the layer outputs cannot be allocated (nothing is aborted).
    pub fn set_input(&mut self, x: &[f32], batch: usize) -> Result<()> {
        self.prepare(x.len(), batch)?;
        self.batch = 0;
        try_resize(&mut self.acts[0], x.len(), INPUT)?;
        for (d, &s) in self.acts[0].iter_mut().zip(x) {
            *d = F::from_f32(s);
        }
        self.batch = batch;
        Ok(())
    }

    /// Computes layer `i`'s output from its input (the output of layer `i − 1`, or the
    /// input set by [`DenseNet::set_input`] for `i = 0`), for the current batch. A Linear
    /// layer computes `inp · Wᵀ + b`.
    ///
    /// # Errors
    /// [`DiagError::InvalidSpec`] before [`DenseNet::set_input`], or for `i` past the last
    /// layer.
    pub fn forward_layer(&mut self, i: usize) -> Result<()> {
        let batch = self.batch;
        if batch == 0 || i >= self.layers.len() || self.acts[0].is_empty() {
            return Err(DiagError::InvalidSpec(format!(
                "forward_layer({i}): no input set (set_input), or not one of the {} layers",
                self.layers.len()
            )));
        }
        let (done, rest) = self.acts.split_at_mut(i + 1);
        Self::run_layer(&self.layers[i], &done[i], &mut rest[0], batch);
        Ok(())
    }

    /// The forward pass of `x` (`(batch, in_features)` row-major); keeps every layer's
    /// output (see [`DenseNet::output`]) and returns the logits `(batch, out_features)`.
    /// The input itself is not copied (for `f32`).
    ///
    /// # Errors
    /// [`DiagError::InvalidSpec`] when `x.len() != batch · in_features`, `batch == 0`, or the
    /// memory for the layer outputs cannot be allocated (nothing is aborted).
    pub fn forward(&mut self, x: &[f32], batch: usize) -> Result<&[F]> {
        self.prepare(x.len(), batch)?;
        let input = Self::input(x)?;
        self.forward_from(&input);
        Ok(&self.acts[self.layers.len()])
    }

    /// Layer `i`'s output from the last forward pass, `(batch, width)` row-major (empty for
    /// `i` past the last layer).
    pub fn output(&self, i: usize) -> &[F] {
        self.acts.get(i + 1).map_or(&[], |v| v.as_slice())
    }

    /// Rows of the last input (0 before the first).
    pub fn batch(&self) -> usize {
        self.batch
    }

    /// Layer `i`'s weight, row-major `(out_features, in_features)`; `None` unless layer `i`
    /// is a Linear layer.
    pub fn weight_mut(&mut self, i: usize) -> Option<&mut [F]> {
        match self.layers.get_mut(i) {
            Some(DLayer::Linear { params, .. }) => Some(&mut params[0].value),
            _ => None,
        }
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

    /// The batch's mean cross-entropy (a forward pass; no gradients).
    ///
    /// # Errors
    /// As [`DenseNet::loss_and_grads`].
    pub fn loss(&mut self, x: &[f32], labels: &[u8], batch: usize) -> Result<f64> {
        let classes = self.out_features();
        self.forward(x, batch)?;
        let mut g = std::mem::take(&mut self.g);
        let loss = cross_entropy_grad(&self.acts[self.layers.len()], labels, classes, &mut g);
        self.g = g;
        loss
    }

    /// Forward and backward: the batch's mean cross-entropy; every parameter's gradient is
    /// left in place (see [`DenseNet::gradients`]).
    ///
    /// # Errors
    /// As [`DenseNet::train_step`].
    pub fn loss_and_grads(&mut self, x: &[f32], labels: &[u8], batch: usize) -> Result<f64> {
        self.prepare(x.len(), batch)?;
        let input = Self::input(x)?;
        self.forward_from(&input);
        self.backward(&input, labels, None)
    }

    /// As [`DenseNet::loss_and_grads`], and `record(i, g)` is called with `g = ∂L/∂h_i`,
    /// the gradient of layer `i`'s output (`(batch, width)` row-major), for every layer from
    /// the last to the first (the backward pass then also goes through the layers before the
    /// first Linear layer, which training skips).
    ///
    /// # Errors
    /// As [`DenseNet::train_step`].
    pub fn loss_and_output_grads(
        &mut self,
        x: &[f32],
        labels: &[u8],
        batch: usize,
        record: &mut dyn FnMut(usize, &[F]),
    ) -> Result<f64> {
        self.prepare(x.len(), batch)?;
        let input = Self::input(x)?;
        self.forward_from(&input);
        self.backward(&input, labels, Some(record))
    }

    /// The backward pass of the last forward pass (of `input`) against `labels`.
    fn backward(
        &mut self,
        input: &[F],
        labels: &[u8],
        mut record: Option<Recorder<'_, F>>,
    ) -> Result<f64> {
        let classes = self.out_features();
        let batch = self.batch;
        for p in self.params_mut() {
            let n = p.value.len();
            try_resize(&mut p.grad, n, STATE)?;
        }
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
        // Layers before the first Linear need no input gradient (unless recorded).
        let first_linear = self
            .layers
            .iter()
            .position(|l| matches!(l, DLayer::Linear { .. }))
            .unwrap_or(0);
        let stop = if record.is_some() { 0 } else { first_linear };
        let mut result = Ok(loss);
        for i in (stop..self.layers.len()).rev() {
            if let Some(r) = record.as_mut() {
                r(i, &g);
            }
            let inp: &[F] = if i == 0 { input } else { &self.acts[i] };
            match &mut self.layers[i] {
                DLayer::Act(a) => a.backward(inp, &self.acts[i + 1], &mut g),
                DLayer::Linear { fi, fo, params } => {
                    let (fi, fo) = (*fi, *fo);
                    let [w, b] = params;
                    // ∂W = gᵀ · inp   (fo × fi)
                    F::matmul_into(&mut w.grad, &g, (batch, fo), inp, (batch, fi), true, false);
                    // ∂b = Σ_rows g
                    b.grad.iter_mut().for_each(|v| *v = F::ZERO);
                    for row in g.chunks_exact(fo) {
                        for (s, &v) in b.grad.iter_mut().zip(row) {
                            *s += v;
                        }
                    }
                    if i > stop {
                        // ∂inp = g · W   (batch × fi)
                        if let Err(e) = try_resize(&mut g2, batch * fi, STATE) {
                            result = Err(e);
                            break;
                        }
                        F::matmul_into(&mut g2, &g, (batch, fo), &w.value, (fo, fi), false, false);
                        std::mem::swap(&mut g, &mut g2);
                    }
                }
            }
        }
        self.g = g;
        self.g2 = g2;
        result
    }

    /// The gradients of the last backward pass, in `model.parameters()` order (weight then
    /// bias of every Linear layer).
    pub fn gradients(&self) -> Vec<&[F]> {
        self.params().map(|p| p.grad.as_slice()).collect()
    }

    /// The parameters, in `model.parameters()` order (weight then bias of every Linear
    /// layer).
    pub fn parameters(&self) -> Vec<&[F]> {
        self.params().map(|p| p.value.as_slice()).collect()
    }

    /// The parameters, mutable, in `model.parameters()` order.
    pub fn parameters_mut(&mut self) -> Vec<&mut [F]> {
        self.params_mut().map(|p| p.value.as_mut_slice()).collect()
    }

    fn params(&self) -> impl Iterator<Item = &Param<F>> {
        self.layers.iter().flat_map(|l| match l {
            DLayer::Linear { params, .. } => params.as_slice(),
            DLayer::Act(_) => &[],
        })
    }

    fn params_mut(&mut self) -> impl Iterator<Item = &mut Param<F>> {
        self.layers.iter_mut().flat_map(|l| match l {
            DLayer::Linear { params, .. } => params.as_mut_slice(),
            DLayer::Act(_) => &mut [],
        })
    }

    /// One optimiser update of every parameter from its gradient, with PyTorch's rules
    /// ([`Optimizer::update`]); arithmetic in `F` as PyTorch's CPU kernels do. `opt` must be
    /// valid ([`Optimizer::validate`]; [`DenseNet::train_step`] checks it).
    pub fn update(&mut self, opt: &Optimizer) {
        self.step += 1;
        let step = self.step;
        for p in self.params_mut() {
            opt.update(step, &mut p.value, &p.grad, &mut p.m, &mut p.v);
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
            loss_sum += cross_entropy_grad(logits, y, classes, &mut scratch)? * len as f64;
            start += len;
        }
        Ok((loss_sum / data.n as f64, correct as f64 / data.n as f64))
    }

    /// Copies the parameters back into `model` (rounded to f32), which must have the same
    /// layers.
    ///
    /// # Errors
    /// [`DiagError::InvalidSpec`] when the layers differ.
    pub fn write_to(&self, model: &mut Sequential) -> Result<()> {
        let differ =
            || DiagError::InvalidSpec("model and network copy have different layers".into());
        if model.layers.len() != self.layers.len() {
            return Err(differ());
        }
        for (dst, src) in model.layers.iter_mut().zip(&self.layers) {
            match (dst, src) {
                (Layer::Linear { weight, bias, .. }, DLayer::Linear { params, .. })
                    if weight.len() == params[0].value.len()
                        && bias.len() == params[1].value.len() =>
                {
                    for (d, s) in [(weight, &params[0].value), (bias, &params[1].value)] {
                        for (d, &s) in d.iter_mut().zip(s) {
                            *d = s.to_f32();
                        }
                    }
                }
                (Layer::Act(_), DLayer::Act(_)) => {}
                _ => return Err(differ()),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a panic in a test is a failure
    use super::*;

    #[test]
    fn forward_memory_error_names_what_is_large() {
        let model = Sequential::mlp(&[784, 512, 10], Activation::Relu).unwrap();
        let net = DenseNet::<f32>::new(&model).unwrap();
        // (512 + 512 + 10) outputs per image, 4 bytes each; 407,050 parameters: 1.6 MiB
        let e = net.forward_oom(1).to_string();
        assert!(
            e.contains("use smaller layers") && !e.contains("--batch"),
            "{e}"
        );
        let e = net.forward_oom(100_000).to_string();
        assert!(e.contains("use a smaller --batch"), "{e}");
        assert!(
            e.contains("100000 images need 395 MiB beside the 2 MiB"),
            "{e}"
        );
    }
}
