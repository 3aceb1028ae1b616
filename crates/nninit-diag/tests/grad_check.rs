//! The backward pass of [`DenseNet`] against central finite differences of its own forward
//! pass, both in f64 (`DenseNet<f64>`: the same code as the f32 network, evaluated in f64), on
//! a tiny net, for every activation.
//!
//! Bound: with step `h = 1e-5`, the central difference has truncation error `h²/6·|L'''|`
//! (~1e-11 here: O(1) third derivatives) and rounding error `~ε·|L|/h` (2.2e-16 · ~3 / 1e-5
//! ≈ 7e-11), so the analytic gradient and the finite difference must agree to `1e-8` absolute
//! — more than 100× both error terms — while any real mistake (a missing factor, a wrong
//! transpose, a wrong derivative) is O(|g|) ≫ 1e-8. For the activations with a kink at 0
//! (relu, leaky_relu, elu, selu) the difference is only valid when no pre-activation lies
//! within the step's reach of 0; the test checks that every `|pre-activation|` exceeds
//! [`KINK_MARGIN`], far more than a step of `h` in one parameter can move it (`h·max|input|`
//! ≤ 1e-5 · 2 for the first layer, less behind an activation).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure

use nninit::RngStream;
use nninit_diag::linalg::std_of;
use nninit_diag::{Activation, DenseNet, Layer, ModelInit, Sequential};
use rand::{Rng, SeedableRng};

const H: f64 = 1e-5;
const TOL: f64 = 1e-8;
const KINK_MARGIN: f64 = 1e-3;

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
        if let Layer::Linear { bias, .. } = l {
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
    let (m, x, y, batch) = tiny(act, 3);
    let mut net = DenseNet::<f64>::new(&m).unwrap();
    net.loss_and_grads(&x, &y, batch).unwrap();
    if matches!(
        act,
        Activation::Relu | Activation::LeakyRelu(_) | Activation::Elu(_) | Activation::Selu
    ) {
        for (i, l) in m.layers.iter().enumerate() {
            if let Layer::Linear { .. } = l {
                let closest = net
                    .output(i)
                    .iter()
                    .fold(f64::INFINITY, |a, v| a.min(v.abs()));
                assert!(
                    closest > KINK_MARGIN,
                    "{act}: pre-activation {closest} at a kink"
                );
            }
        }
    }
    let grads: Vec<Vec<f64>> = net.gradients().iter().map(|g| g.to_vec()).collect();
    let mut checked = 0;
    for (j, g) in grads.iter().enumerate() {
        for (k, &gk) in g.iter().enumerate() {
            let p0 = net.parameters()[j][k];
            let mut loss_at = |p: f64| {
                net.parameters_mut()[j][k] = p;
                net.loss(&x, &y, batch).unwrap()
            };
            let fd = (loss_at(p0 + H) - loss_at(p0 - H)) / (2.0 * H);
            net.parameters_mut()[j][k] = p0;
            assert!(
                (fd - gk).abs() <= TOL,
                "{act}: parameter {j}[{k}]: backward {gk} vs finite difference {fd}"
            );
            checked += 1;
        }
    }
    // 6·5+5 + 5·4+4 + 4·3+3 parameters
    assert_eq!(checked, 35 + 24 + 15);
}

#[test]
fn gradients_match_finite_differences_for_every_activation() {
    let mut acts = Activation::ALL.to_vec();
    acts.extend([Activation::LeakyRelu(0.2), Activation::Elu(0.5)]);
    for act in acts {
        check(act);
    }
}

#[test]
fn grad_stats_output_gradient_is_softmax_minus_onehot_over_batch() {
    // For the last Linear (the logits z), dL/dz = (softmax(z) − onehot(y)) / B exactly.
    let (m, x, y, batch) = tiny(Activation::Tanh, 5);
    let (loss, stats) = m.grad_stats(&x, &y, batch, 0.1).unwrap();
    assert_eq!(stats.len(), m.layers.len());
    let mut net = DenseNet::<f32>::new(&m).unwrap();
    let z = net.forward(&x, batch).unwrap().to_vec();
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
    let want = std_of(&d);
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

#[test]
fn grad_stats_match_the_f64_network() {
    // Every statistic of probe --grad (f32) against the same quantities of the f64 network:
    // f32 rounding of O(10)-term sums, ≤ 1e-5 relative (the bound of tests/backprop.rs).
    for act in [Activation::Relu, Activation::Gelu, Activation::Sigmoid] {
        let (m, x, y, batch) = tiny(act, 7);
        let (loss, stats) = m.grad_stats(&x, &y, batch, 0.01).unwrap();
        let mut net = DenseNet::<f64>::new(&m).unwrap();
        let mut out_std = vec![0.0; m.layers.len()];
        let loss64 = net
            .loss_and_output_grads(&x, &y, batch, &mut |i, g| out_std[i] = std_of(g))
            .unwrap();
        assert!(
            (loss - loss64).abs() <= 1e-6 * loss64,
            "{act}: {loss} vs {loss64}"
        );
        let grads = net.gradients();
        let mut k = 0;
        for (s, want) in stats.iter().zip(&out_std) {
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-5 * b.abs();
            assert!(close(s.output_grad_std, *want), "{act} {}", s.label);
            if let Some(wg) = s.weight_grad_std {
                assert!(close(wg, std_of(grads[k])), "{act} {}", s.label);
                assert!(close(s.bias_grad_std.unwrap(), std_of(grads[k + 1])));
                k += 2;
            }
        }
    }
}

#[test]
fn bad_inputs_are_errors() {
    let (m, x, y, batch) = tiny(Activation::Relu, 1);
    assert!(m.grad_stats(&x, &y, batch, 0.0).is_err(), "lr 0");
    assert!(m.grad_stats(&x, &y, batch, f64::NAN).is_err(), "lr NaN");
    assert!(
        m.grad_stats(&x[1..], &y, batch, 0.1).is_err(),
        "short input"
    );
    assert!(m.grad_stats(&x, &y[1..], batch, 0.1).is_err(), "few labels");
    let mut net = DenseNet::<f64>::new(&m).unwrap();
    assert!(net.forward_layer(0).is_err(), "no input yet");
    assert!(net.forward(&x, 0).is_err(), "empty batch");
    net.set_input(&x, batch).unwrap();
    assert!(
        net.forward_layer(m.layers.len()).is_err(),
        "past the last layer"
    );
    // layers whose widths do not chain
    let mut bad = m.clone();
    bad.layers.swap(0, 2);
    assert!(DenseNet::<f32>::new(&bad).is_err());
}
