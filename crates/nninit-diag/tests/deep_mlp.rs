//! Signal propagation through deep MLPs on real data: measured, not assumed.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure

use nninit::RngStream;
use nninit_diag::data::Mnist;
use nninit_diag::{Activation, ModelInit, Sequential};
use rand::SeedableRng;

fn hidden_stds(init: &str, depth: usize, act: Activation, batch: usize) -> Vec<f64> {
    let data = Mnist::embedded().unwrap();
    let (x, _) = data.batch(0, batch).unwrap();
    let widths = Sequential::deep_widths(784, 256, depth, 10).unwrap();
    let mut model = Sequential::mlp(&widths, act).unwrap();
    let init: ModelInit = init.parse().unwrap();
    model
        .apply(&init, &mut RngStream(rand::rngs::StdRng::seed_from_u64(0)))
        .unwrap();
    let stats = model.forward_stats(x, batch).unwrap();
    // every activation output (after each hidden Linear)
    stats
        .iter()
        .filter(|s| s.kind != "Linear")
        .map(|s| s.std)
        .collect()
}

#[test]
fn kaiming_keeps_a_20_layer_relu_mlp_stable_while_small_normal_vanishes() {
    let k = hidden_stds("kaiming_normal", 20, Activation::Relu, 500);
    assert_eq!(k.len(), 20);
    let ratio = k[19] / k[0];
    assert!(
        (0.5..=2.0).contains(&ratio),
        "kaiming last/first = {ratio} ({k:?})"
    );

    let n = hidden_stds("normal:0.01", 20, Activation::Relu, 500);
    let shrink = n[0] / n[19];
    assert!(shrink > 100.0, "normal:0.01 shrinks only {shrink}x ({n:?})");
}

#[test]
fn probe_on_embedded_data_gives_finite_statistics() {
    let data = Mnist::embedded().unwrap();
    let (x, _) = data.batch(0, 256).unwrap();
    for init in [
        "pytorch-default",
        "xavier_uniform",
        "kaiming_uniform",
        "kaiming_normal",
        "normal:0.02",
        "zeros",
    ] {
        let mut model = Sequential::mlp(&[784, 256, 128, 10], Activation::Relu).unwrap();
        model
            .apply(
                &init.parse().unwrap(),
                &mut RngStream(rand::rngs::StdRng::seed_from_u64(1)),
            )
            .unwrap();
        let stats = model.forward_stats(x, 256).unwrap();
        assert_eq!(stats.len(), 5);
        let labels: Vec<&str> = stats.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(
            labels,
            ["Linear 1", "ReLU 1", "Linear 2", "ReLU 2", "Linear 3"]
        );
        for s in &stats {
            for v in [s.mean, s.std, s.min, s.max, s.frac_zero, s.frac_saturated] {
                assert!(v.is_finite(), "{init} {}: non-finite statistic", s.label);
            }
            assert!((0.0..=1.0).contains(&s.frac_zero));
        }
        if init == "zeros" {
            assert!(stats.iter().all(|s| s.std == 0.0));
            // every ReLU output is exactly 0: all units dead
            assert_eq!(stats[1].frac_zero, 1.0);
        } else {
            assert!(stats.iter().all(|s| s.std > 0.0), "{init}");
            // a ReLU zeroes roughly half of its zero-mean inputs
            assert!(
                stats[1].frac_zero > 0.2 && stats[1].frac_zero < 0.8,
                "{init}"
            );
        }
    }
}

#[test]
fn tanh_saturation_is_counted() {
    // normal:1.0 weights drive tanh deep into saturation; xavier does not.
    let sat = |init: &str| {
        let data = Mnist::embedded().unwrap();
        let (x, _) = data.batch(0, 200).unwrap();
        let mut model = Sequential::mlp(&[784, 256, 10], Activation::Tanh).unwrap();
        model
            .apply(
                &init.parse().unwrap(),
                &mut RngStream(rand::rngs::StdRng::seed_from_u64(2)),
            )
            .unwrap();
        model.forward_stats(x, 200).unwrap()[1].frac_saturated
    };
    assert!(sat("normal:1.0") > 0.8);
    assert!(sat("xavier_normal") < 0.05);
}

#[test]
fn bad_specs_are_errors() {
    assert!(Sequential::mlp(&[784], Activation::Relu).is_err());
    assert!(Sequential::mlp(&[784, 0, 10], Activation::Relu).is_err());
    assert!(Sequential::deep_widths(784, 256, 0, 10).is_err());
    let m = Sequential::mlp(&[4, 3], Activation::Relu).unwrap();
    assert!(m.forward_stats(&[0.0; 7], 2).is_err());
    assert!("kaiming_unifrom".parse::<ModelInit>().is_err());
}
