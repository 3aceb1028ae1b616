//! Autodiff gradients against central finite differences, in f64, on a tiny net.
//!
//! Bound: with step `h = 1e-5`, the central difference has truncation error `h²/6·|L'''|`
//! (~1e-11 here: O(1) third derivatives) and rounding error `~ε·|L|/h` (2.2e-16 · ~3 / 1e-5
//! ≈ 7e-11), so autodiff and finite differences must agree to `1e-8` absolute — more than
//! 100× both error terms — while any real mistake (a missing factor, a wrong transpose) is
//! O(|g|) ≫ 1e-8.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure

use candle_core::{DType, Device, Tensor};
use nninit::RngStream;
use nninit_diag::train::{cross_entropy, Trainable};
use nninit_diag::{Activation, ModelInit, Sequential};
use rand::{Rng, SeedableRng};

const H: f64 = 1e-5;
const TOL: f64 = 1e-8;

fn tiny(act: Activation, seed: u64) -> (Sequential, Vec<f32>, Vec<u8>, usize) {
    let mut m = Sequential::mlp(&[6, 5, 4, 3], act).unwrap();
    let init: ModelInit = "xavier_normal".parse().unwrap();
    m.apply(
        &init,
        &mut RngStream(rand::rngs::StdRng::seed_from_u64(seed)),
    )
    .unwrap();
    // nonzero biases so every parameter matters
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed + 100);
    for l in &mut m.layers {
        if let nninit_diag::Layer::Linear { bias, .. } = l {
            bias.iter_mut()
                .for_each(|b| *b = rng.random_range(-0.5f32..0.5));
        }
    }
    let batch = 7;
    let x: Vec<f32> = (0..batch * 6)
        .map(|_| rng.random_range(-2f32..2.0))
        .collect();
    let y: Vec<u8> = (0..batch).map(|i| (i % 3) as u8).collect();
    (m, x, y, batch)
}

fn check(act: Activation) {
    check_tol(act, TOL, 0.0)
}

/// `abs`, `rel`: tolerances (`abs = TOL` for exact backward ops).
fn check_tol(act: Activation, abs: f64, rel: f64) {
    let (m, x, y, batch) = tiny(act, 3);
    let t = Trainable::new(&m, DType::F64).unwrap();
    let xt = t.input(&x, batch).unwrap();
    let loss = t.loss(&xt, &y).unwrap();
    let grads = loss.backward().unwrap();
    let loss_at = |t: &Trainable| t.loss(&xt, &y).unwrap().to_scalar::<f64>().unwrap();
    let mut checked = 0;
    for var in t.vars() {
        let g: Vec<f64> = grads
            .get(var.as_tensor())
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        let shape = var.as_tensor().dims().to_vec();
        let p0: Vec<f64> = var.as_tensor().flatten_all().unwrap().to_vec1().unwrap();
        for k in 0..p0.len() {
            let mut p = p0.clone();
            p[k] = p0[k] + H;
            var.set(&Tensor::from_vec(p.clone(), shape.as_slice(), &Device::Cpu).unwrap())
                .unwrap();
            let lp = loss_at(&t);
            p[k] = p0[k] - H;
            var.set(&Tensor::from_vec(p, shape.as_slice(), &Device::Cpu).unwrap())
                .unwrap();
            let lm = loss_at(&t);
            let fd = (lp - lm) / (2.0 * H);
            assert!(
                (fd - g[k]).abs() <= abs + rel * g[k].abs(),
                "{act}: param {shape:?}[{k}]: autodiff {} vs finite difference {fd}",
                g[k]
            );
            checked += 1;
        }
        var.set(&Tensor::from_vec(p0, shape.as_slice(), &Device::Cpu).unwrap())
            .unwrap();
    }
    // 6·5+5 + 5·4+4 + 4·3+3 parameters
    assert_eq!(checked, 35 + 24 + 15);
}

#[test]
fn gradients_match_finite_differences_tanh() {
    check(Activation::Tanh);
}

#[test]
fn gradients_match_finite_differences_gelu() {
    // candle 0.11's GELU backward hard-codes its constants to 6 significant digits
    // (0.797885 for √(2/π) = 0.7978846, 0.398942 for 1/√(2π) = 0.3989423: relative error
    // ≤ 1.3e-6), so each per-example contribution to a gradient (O(0.05) here) is exact only
    // to ~1e-6 relative: allow 1e-7 absolute + 2e-6·|g| (measured ≤ 1.5e-8 absolute).
    // A real mistake would still be O(|g|).
    check_tol(Activation::GeluTanh, 1e-7, 2e-6);
    check_tol(Activation::Gelu, 1e-7, 2e-6);
}

#[test]
fn gradients_match_finite_differences_softplus_and_sigmoid() {
    check(Activation::Softplus);
    check(Activation::Sigmoid);
}

#[test]
fn cross_entropy_matches_its_formula() {
    // L = mean_b( logsumexp(z_b) − z_b[y_b] ), computed directly in f64.
    let z = [1.0f64, -2.0, 0.5, 3.0, 0.0, -1.0];
    let y = [2u8, 0];
    let t = Tensor::from_vec(z.to_vec(), (2, 3), &Device::Cpu).unwrap();
    let l = cross_entropy(&t, &y).unwrap().to_scalar::<f64>().unwrap();
    let lse = |r: &[f64]| r.iter().map(|v| v.exp()).sum::<f64>().ln();
    let want = ((lse(&z[..3]) - z[2]) + (lse(&z[3..]) - z[3])) / 2.0;
    assert!((l - want).abs() <= 1e-14, "{l} vs {want}");
    assert!(cross_entropy(&t, &[0, 3]).is_err(), "label 3 of 3 classes");
    assert!(cross_entropy(&t, &[0]).is_err(), "one label for two rows");
}

#[test]
fn grad_stats_output_gradient_is_softmax_minus_onehot_over_batch() {
    // For the last Linear (the logits z), dL/dz = (softmax(z) − onehot(y)) / B exactly.
    let (m, x, y, batch) = tiny(Activation::Tanh, 5);
    let (loss, stats) = m.grad_stats(&x, &y, batch, 0.1).unwrap();
    assert_eq!(stats.len(), m.layers.len());
    let outs = m.forward_all(&x, batch).unwrap();
    let z: Vec<f32> = outs
        .last()
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    let mut d = vec![];
    let mut want_loss = 0.0;
    for b in 0..batch {
        let row: Vec<f64> = z[b * 3..b * 3 + 3].iter().map(|&v| v as f64).collect();
        let s: f64 = row.iter().map(|v| v.exp()).sum();
        want_loss += (s.ln() - row[y[b] as usize]) / batch as f64;
        for (c, v) in row.iter().enumerate() {
            let onehot = if c == y[b] as usize { 1.0 } else { 0.0 };
            d.push((v.exp() / s - onehot) / batch as f64);
        }
    }
    let want = nninit_diag::train::std_of(&d);
    let got = stats.last().unwrap().output_grad_std;
    // f32 forward: relative error a few ulps of f32 (1.2e-7) times O(10) operations.
    assert!((got - want).abs() <= 1e-5 * want, "{got} vs {want}");
    assert!((loss - want_loss).abs() <= 1e-5 * want_loss);
    // update:data = lr · std(dW) / std(W), Linear layers only
    for s in &stats {
        match (s.weight_grad_std, s.weight_std, s.update_to_data) {
            (Some(g), Some(w), Some(r)) => assert!((r - 0.1 * g / w).abs() <= 1e-12 * r),
            (None, None, None) => assert_ne!(s.label.split(' ').next(), Some("Linear")),
            other => panic!("inconsistent {other:?}"),
        }
    }
}
