//! LSUV (Mishkin & Matas 2015) on real MNIST: every Linear output has unit std on the batch.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure

use nninit::RngStream;
use nninit_diag::data::Mnist;
use nninit_diag::{Activation, Layer, ModelInit, Sequential};
use rand::SeedableRng;

fn stream(seed: u64) -> RngStream<rand::rngs::StdRng> {
    RngStream(rand::rngs::StdRng::seed_from_u64(seed))
}

fn check(act: Activation, tol: f64) {
    let data = Mnist::embedded().unwrap();
    let batch = 500;
    let (x, _) = data.batch(0, batch).unwrap();
    let widths = Sequential::deep_widths(784, 64, 6, 10).unwrap();
    let mut m = Sequential::mlp(&widths, act).unwrap();
    let report = m.lsuv(tol, 10, x, batch, &mut stream(0)).unwrap();
    assert_eq!(report.len(), 7, "one entry per Linear layer");
    let stats = m.forward_stats(x, batch).unwrap();
    let linear: Vec<f64> = stats
        .iter()
        .filter(|s| s.kind == "Linear")
        .map(|s| s.std)
        .collect();
    for (r, s) in report.iter().zip(&linear) {
        assert!(r.converged, "{act}: {r:?}");
        assert!((s - 1.0).abs() < tol, "{act}: {} std {s}", r.label);
        // the report's std is the one the model really has
        assert!((r.std_after - s).abs() <= 1e-5, "{} vs {s}", r.std_after);
    }
    // biases stay zero (LSUV rescales weights only)
    for l in &m.layers {
        if let Layer::Linear { bias, .. } = l {
            assert!(bias.iter().all(|&b| b == 0.0));
        }
    }
}

#[test]
fn lsuv_gives_unit_output_std_relu() {
    check(Activation::Relu, 0.1);
}

#[test]
fn lsuv_gives_unit_output_std_tanh_tight_tol() {
    check(Activation::Tanh, 0.01);
}

#[test]
fn lsuv_via_model_init_and_text_forms() {
    let i: ModelInit = "lsuv".parse().unwrap();
    assert_eq!(
        i,
        ModelInit::Lsuv {
            tol: 0.1,
            max_iter: 10
        }
    );
    assert_eq!(i.label(), "lsuv");
    let j: ModelInit = "lsuv:tol=0.05,max_iter=3".parse().unwrap();
    assert_eq!(
        j,
        ModelInit::Lsuv {
            tol: 0.05,
            max_iter: 3
        }
    );
    assert_eq!(
        j.label().parse::<ModelInit>().unwrap(),
        j,
        "text form round-trips"
    );
    for bad in [
        "lsuv:tol=-1",
        "lsuv:tol=x",
        "lsuv:max_iter=0",
        "lsuv:foo=1",
        "lsuv:tol",
    ] {
        let e = bad.parse::<ModelInit>().unwrap_err().to_string();
        assert!(!e.is_empty(), "{bad}");
    }
    // apply() has no data: a clear error, not a silent no-op
    let mut m = Sequential::mlp(&[784, 8, 10], Activation::Relu).unwrap();
    let e = m.apply(&i, &mut stream(0)).unwrap_err().to_string();
    assert!(e.contains("data"), "{e}");
    // apply_with_data works and equals lsuv() with the same seed
    let data = Mnist::embedded().unwrap();
    let (x, _) = data.batch(0, 100).unwrap();
    m.apply_with_data(&i, &mut stream(3), x, 100).unwrap();
    let mut m2 = Sequential::mlp(&[784, 8, 10], Activation::Relu).unwrap();
    m2.lsuv(0.1, 10, x, 100, &mut stream(3)).unwrap();
    assert_eq!(m, m2);
}

#[test]
fn constant_layer_is_reported_not_blown_up() {
    // all-zero input ⇒ first Linear output = bias = 0 ⇒ std 0: cannot be rescaled
    let x = vec![0f32; 10 * 784];
    let mut m = Sequential::mlp(&[784, 8, 10], Activation::Relu).unwrap();
    let r = m.lsuv(0.1, 10, &x, 10, &mut stream(0)).unwrap();
    assert!(!r[0].converged);
    assert_eq!(r[0].iterations, 0);
    for l in &m.layers {
        if let Layer::Linear { weight, .. } = l {
            assert!(weight.iter().all(|w| w.is_finite()));
        }
    }
    // wrong batch size: error before anything is drawn
    assert!(m.lsuv(0.1, 10, &x, 11, &mut stream(0)).is_err());
}
