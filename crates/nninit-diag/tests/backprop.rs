//! The f32 network (`DenseNet<f32>`, what probe and train run) against the same code in f64
//! (`DenseNet<f64>`, itself checked against finite differences in `grad_check.rs` and against
//! PyTorch in `torch_grad.rs`), and its optimiser updates against PyTorch's update rules
//! written out.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure

use nninit::RngStream;
use nninit_diag::{Activation, DenseNet, Layer, ModelInit, Optimizer, Sequential};
use rand::{Rng, SeedableRng};

/// A 20-16-12-5 MLP (xavier_normal weights, nonzero biases), a batch of 9 inputs in
/// [-2, 2) and labels.
fn net(act: Activation, seed: u64) -> (Sequential, Vec<f32>, Vec<u8>, usize) {
    let mut m = Sequential::mlp(&[20, 16, 12, 5], act).unwrap();
    let init: ModelInit = "xavier_normal".parse().unwrap();
    m.apply(
        &init,
        &mut RngStream(rand::rngs::StdRng::seed_from_u64(seed)),
    )
    .unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed + 100);
    for l in &mut m.layers {
        if let Layer::Linear { bias, .. } = l {
            bias.iter_mut()
                .for_each(|b| *b = rng.random_range(-0.5f32..0.5));
        }
    }
    let batch = 9;
    let x: Vec<f32> = (0..batch * 20)
        .map(|_| rng.random_range(-2f32..2.0))
        .collect();
    let y: Vec<u8> = (0..batch).map(|i| (i % 5) as u8).collect();
    (m, x, y, batch)
}

/// Every parameter of `m` in `model.parameters()` order.
fn params(m: &Sequential) -> Vec<Vec<f32>> {
    m.layers
        .iter()
        .flat_map(|l| match l {
            Layer::Linear { weight, bias, .. } => vec![weight.clone(), bias.clone()],
            Layer::Act(_) => vec![],
        })
        .collect()
}

/// Loss and gradients of the f64 network (the reference).
fn reference(m: &Sequential, x: &[f32], y: &[u8], batch: usize) -> (f64, Vec<Vec<f64>>) {
    let mut net = DenseNet::<f64>::new(m).unwrap();
    let loss = net.loss_and_grads(x, y, batch).unwrap();
    (loss, net.gradients().iter().map(|g| g.to_vec()).collect())
}

/// Bound: the f32 path's sums have at most 20 terms (fan-in) or 9 (batch), each rounding
/// ≤ 2⁻²⁴ relative, so its error is ~1e-6 of the largest gradient entry of the tensor
/// (activations evaluated in f64 and rounded once add less). 2e-5 leaves 10× margin; a wrong
/// transpose, sign or missing factor is O(1) of it.
const REL: f64 = 2e-5;

#[test]
fn gradients_match_the_f64_network_for_every_activation() {
    for act in [
        "relu",
        "leaky_relu:0.1",
        "identity",
        "tanh",
        "sigmoid",
        "gelu",
        "gelu_tanh",
        "silu",
        "mish",
        "elu",
        "selu",
        "softplus",
    ] {
        let act: Activation = act.parse().unwrap();
        let (m, x, y, batch) = net(act, 5);
        let (loss64, g64) = reference(&m, &x, &y, batch);
        let mut d = DenseNet::<f32>::new(&m).unwrap();
        let loss = d.loss_and_grads(&x, &y, batch).unwrap();
        assert!(
            (loss - loss64).abs() <= 1e-6 * loss64.abs(),
            "{act}: loss {loss} vs {loss64}"
        );
        let g = d.gradients();
        assert_eq!(g.len(), g64.len());
        for (k, (a, b)) in g.iter().zip(&g64).enumerate() {
            assert_eq!(a.len(), b.len());
            let scale = b.iter().fold(0.0f64, |s, v| s.max(v.abs()));
            assert!(scale > 0.0, "{act}: parameter {k} has no gradient");
            for (i, (&ai, &bi)) in a.iter().zip(b).enumerate() {
                assert!(
                    (f64::from(ai) - bi).abs() <= REL * scale,
                    "{act}: parameter {k}[{i}]: {ai} vs f64 {bi} (scale {scale})"
                );
            }
        }
    }
}

#[test]
fn sgd_momentum_and_adam_follow_pytorch_rules_over_two_steps() {
    let (m, x, y, batch) = net(Activation::Relu, 9);
    let (lr, mu) = (0.05, 0.9);
    for opt in [
        Optimizer::Sgd { lr, momentum: 0.0 },
        Optimizer::Sgd { lr, momentum: mu },
        Optimizer::adam(1e-3),
    ] {
        let mut d = DenseNet::<f32>::new(&m).unwrap();
        let p0 = params(&m);
        d.train_step(&x, &y, batch, &opt).unwrap();
        let g1: Vec<Vec<f32>> = d.gradients().iter().map(|g| g.to_vec()).collect();
        let mut m1 = m.clone();
        d.write_to(&mut m1).unwrap();
        let p1 = params(&m1);
        d.train_step(&x, &y, batch, &opt).unwrap();
        let g2: Vec<Vec<f32>> = d.gradients().iter().map(|g| g.to_vec()).collect();
        let mut m2 = m.clone();
        d.write_to(&mut m2).unwrap();
        let p2 = params(&m2);
        for k in 0..p0.len() {
            for i in 0..p0[k].len() {
                let f = |v: &Vec<Vec<f32>>| f64::from(v[k][i]);
                let (a, b) = (f(&g1), f(&g2));
                // PyTorch (torch.optim, defaults otherwise), written out in f64:
                let (want1, want2) = match opt {
                    Optimizer::Sgd { momentum: 0.0, .. } => (f(&p0) - lr * a, f(&p1) - lr * b),
                    // buf₁ = g₁; buf₂ = μ·buf₁ + g₂
                    Optimizer::Sgd { .. } => (f(&p0) - lr * a, f(&p1) - lr * (mu * a + b)),
                    // m̂₁ = g₁, v̂₁ = g₁²; then m₂ = β₁m₁ + (1−β₁)g₂, v₂ likewise
                    Optimizer::Adam {
                        lr,
                        beta1,
                        beta2,
                        eps,
                    } => {
                        let s1 = f(&p0) - lr * a / (a.abs() + eps);
                        let m2 = beta1 * (1.0 - beta1) * a + (1.0 - beta1) * b;
                        let v2 = beta2 * (1.0 - beta2) * a * a + (1.0 - beta2) * b * b;
                        let (bc1, bc2) = (1.0 - beta1 * beta1, 1.0 - beta2 * beta2);
                        let s2 = f(&p1) - lr * (m2 / bc1) / ((v2 / bc2).sqrt() + eps);
                        (s1, s2)
                    }
                };
                // f32 storage and arithmetic: |p| ≤ 1 ⇒ a few roundings of 6e-8 each.
                for (got, want, step) in [(f(&p1), want1, 1), (f(&p2), want2, 2)] {
                    assert!(
                        (got - want).abs() <= 1e-6,
                        "{opt:?} step {step} param {k}[{i}]: {got} vs {want}"
                    );
                }
            }
        }
    }
}

#[test]
fn bad_batches_and_labels_are_errors() {
    let (m, x, y, batch) = net(Activation::Relu, 1);
    let mut d = DenseNet::<f32>::new(&m).unwrap();
    let sgd = Optimizer::Sgd {
        lr: 0.1,
        momentum: 0.0,
    };
    assert!(d.train_step(&x[1..], &y, batch, &sgd).is_err()); // short input
    assert!(d.train_step(&x, &y[1..], batch, &sgd).is_err()); // too few labels
    let mut bad = y.clone();
    bad[0] = 5; // 5 classes: labels 0..4
    let e = d.train_step(&x, &bad, batch, &sgd).unwrap_err().to_string();
    assert!(e.contains("label 5"), "{e}");
    let e = d
        .train_step(
            &x,
            &y,
            batch,
            &Optimizer::Sgd {
                lr: -1.0,
                momentum: 0.0,
            },
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("learning rate"), "{e}");
    // nothing was updated by the failed calls: the next gradients equal a fresh net's
    let mut fresh = DenseNet::<f32>::new(&m).unwrap();
    fresh.loss_and_grads(&x, &y, batch).unwrap();
    d.loss_and_grads(&x, &y, batch).unwrap();
    assert_eq!(d.gradients(), fresh.gradients());
}

#[test]
fn evaluation_matches_the_f64_network() {
    use nninit_diag::data::Mnist;
    let data = Mnist::embedded().unwrap().take(400);
    for init in ["kaiming_uniform", "pytorch-default", "xavier_normal"] {
        let mut m = Sequential::mlp(&[784, 256, 128, 10], Activation::Relu).unwrap();
        m.apply(
            &init.parse::<ModelInit>().unwrap(),
            &mut RngStream(rand::rngs::StdRng::seed_from_u64(3)),
        )
        .unwrap();
        let (l1, a1) = DenseNet::<f64>::new(&m)
            .unwrap()
            .evaluate(&data, 128)
            .unwrap();
        let (l2, a2) = DenseNet::<f32>::new(&m)
            .unwrap()
            .evaluate(&data, 128)
            .unwrap();
        // f32 sums of up to 784 terms against f64: 1e-5 relative on the loss; the accuracy
        // may differ only by an example whose top two logits tie to within f32 rounding
        assert!((l1 - l2).abs() <= 1e-5 * l1, "{init}: loss {l1} vs {l2}");
        assert!(
            (a1 - a2).abs() <= 1.0 / 400.0,
            "{init}: accuracy {a1} vs {a2}"
        );
    }
}

#[test]
fn nan_propagates_through_relu_as_in_pytorch() {
    // torch.relu(nan) is nan: a NaN weight must show up in the loss (and so be reported as
    // a divergence by `train`), not be hidden by the ReLU turning it into 0.
    let (mut m, x, y, batch) = net(Activation::Relu, 2);
    if let Layer::Linear { weight, .. } = &mut m.layers[0] {
        weight[0] = f32::NAN;
    }
    let loss = DenseNet::<f32>::new(&m)
        .unwrap()
        .loss_and_grads(&x, &y, batch)
        .unwrap();
    assert!(loss.is_nan(), "{loss}");
}
