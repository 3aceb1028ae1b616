//! Training on the embedded MNIST subset: symmetry of constant inits, optimiser update rules,
//! determinism of the data order, and that a good init learns.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure

use nninit::RngStream;
use nninit_diag::data::Mnist;
use nninit_diag::train::{split_train_test, train};
use nninit_diag::{Activation, Layer, ModelInit, Optimizer, Sequential, TrainConfig};
use rand::SeedableRng;

fn data(n_train: usize, n_test: usize) -> (Mnist, Mnist) {
    let all = Mnist::embedded().unwrap().take(n_train + n_test);
    split_train_test(&all, n_train).unwrap()
}

fn model(widths: &[usize], act: Activation, init: &str, seed: u64) -> Sequential {
    let mut m = Sequential::mlp(widths, act).unwrap();
    m.apply(
        &init.parse::<ModelInit>().unwrap(),
        &mut RngStream(rand::rngs::StdRng::seed_from_u64(seed)),
    )
    .unwrap();
    m
}

fn sgd(lr: f64) -> Optimizer {
    Optimizer::Sgd { lr, momentum: 0.9 }
}

fn cfg(epochs: usize, batch: usize, optimizer: Optimizer) -> TrainConfig {
    TrainConfig {
        epochs,
        batch,
        optimizer,
    }
}

/// The data order's generator (its own seed, independent of the weights').
fn order(seed: u64) -> rand::rngs::StdRng {
    rand::rngs::StdRng::seed_from_u64(seed)
}

/// Rows of a Linear weight (one per unit).
fn rows(l: &Layer) -> Vec<Vec<f32>> {
    match l {
        Layer::Linear {
            in_features,
            weight,
            ..
        } => weight.chunks(*in_features).map(|r| r.to_vec()).collect(),
        Layer::Act(_) => vec![],
    }
}

#[test]
fn zeros_init_keeps_every_hidden_unit_identical() {
    let (tr, te) = data(320, 200);
    let mut m = model(&[784, 16, 16, 10], Activation::Relu, "zeros", 0);
    let h = train(
        &mut m,
        &tr,
        &te,
        &cfg(2, 32, sgd(0.1)),
        &mut order(7),
        &mut |_| {},
    )
    .unwrap();
    assert!(!h.diverged);
    for l in &m.layers {
        for r in rows(l) {
            // every unit of every layer: all weights still exactly 0 (h = 0 ⇒ dW = 0)
            assert!(r.iter().all(|&w| w == 0.0), "a weight moved away from 0");
        }
    }
    // Only the output bias learns, so the model predicts one class for every image: its
    // accuracy cannot exceed the largest class share of the test set.
    let counts = te.label_counts();
    let top = *counts.iter().max().unwrap() as f64 / te.n as f64;
    assert!(h.epochs.last().unwrap().test_acc <= top + 1e-12);
}

#[test]
fn constant_init_units_stay_identical_but_random_init_breaks_symmetry() {
    let (tr, te) = data(320, 200);
    let spread = |m: &Sequential| -> f32 {
        // largest difference between any unit's incoming weights and unit 0's, first layer
        let r = rows(&m.layers[0]);
        r.iter()
            .flat_map(|row| row.iter().zip(&r[0]).map(|(a, b)| (a - b).abs()))
            .fold(0.0, f32::max)
    };
    let mut c = model(&[784, 16, 10], Activation::Tanh, "constant:0.01", 0);
    train(
        &mut c,
        &tr,
        &te,
        &cfg(1, 32, sgd(0.05)),
        &mut order(7),
        &mut |_| {},
    )
    .unwrap();
    let scale = rows(&c.layers[0])[0]
        .iter()
        .fold(0.0f32, |a, &b| a.max(b.abs()));
    // identical arithmetic per unit; only gemm's accumulation order can differ between
    // output columns: ≤ ~n·ε relative (784 · 6e-8 ≈ 5e-5)
    assert!(
        spread(&c) <= 1e-4 * scale,
        "constant init units diverged: {}",
        spread(&c)
    );
    let mut k = model(&[784, 16, 10], Activation::Tanh, "kaiming_uniform", 0);
    train(
        &mut k,
        &tr,
        &te,
        &cfg(1, 32, sgd(0.05)),
        &mut order(7),
        &mut |_| {},
    )
    .unwrap();
    assert!(spread(&k) > 1e-2, "random init units should differ");
}

#[test]
fn same_seed_same_run_and_kaiming_learns() {
    let (tr, te) = data(1600, 400);
    let run = || {
        let mut m = model(&[784, 64, 10], Activation::Relu, "kaiming_uniform", 1);
        train(
            &mut m,
            &tr,
            &te,
            &cfg(2, 64, sgd(0.05)),
            &mut order(7),
            &mut |_| {},
        )
        .unwrap()
    };
    let (a, b) = (run(), run());
    let strip = |h: &nninit_diag::TrainHistory| -> Vec<(f64, f64, f64)> {
        h.epochs
            .iter()
            .map(|e| (e.train_loss, e.test_loss, e.test_acc))
            .collect()
    };
    assert_eq!(
        strip(&a),
        strip(&b),
        "same seed, same data order, same result"
    );
    assert!(
        (a.initial_test_acc - 0.1).abs() < 0.1,
        "chance level at init"
    );
    // measured 84.3 %; 80 % is far above chance (10 %), where a broken loop stays
    eprintln!(
        "kaiming 784-64-10, 2 epochs: test acc {}",
        a.epochs[1].test_acc
    );
    assert!(a.epochs[1].test_acc >= 0.80, "{}", a.epochs[1].test_acc);
    assert!(a.epochs[1].train_loss < a.epochs[0].train_loss);
}

#[test]
fn bad_settings_are_errors_not_panics() {
    let (tr, te) = data(64, 16);
    let mut m = model(&[784, 8, 10], Activation::Relu, "kaiming_uniform", 0);
    for c in [
        cfg(0, 8, sgd(0.1)),
        cfg(1, 0, sgd(0.1)),
        cfg(1, 8, sgd(-1.0)),
        cfg(
            1,
            8,
            Optimizer::Sgd {
                lr: 0.1,
                momentum: 1.0,
            },
        ),
        cfg(1, 8, Optimizer::adam(f64::NAN)),
    ] {
        assert!(
            train(&mut m, &tr, &te, &c, &mut order(7), &mut |_| {}).is_err(),
            "{c:?}"
        );
    }
    let mut small = model(&[100, 8, 10], Activation::Relu, "kaiming_uniform", 0);
    let e = train(
        &mut small,
        &tr,
        &te,
        &cfg(1, 8, sgd(0.1)),
        &mut order(7),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(e.to_string().contains("784"), "{e}");
    assert!(split_train_test(&tr, 64).is_err());
    assert!(split_train_test(&tr, 0).is_err());
}

/// Issue #6's accuracy target on the full set (skipped without `../shared/data/mnist`):
/// 784-256-128-10 ReLU, kaiming_uniform, zero biases, SGD lr 0.01 momentum 0.9, batch 64,
/// standardised inputs, one epoch. Measured over seeds 0-4 (BENCHMARKS.md): 96.15-96.69%,
/// and PyTorch with the same recipe 96.10-96.71%; the seed-to-seed spread is ~0.2 points, so
/// 95% is five spreads below the worst seed. Two seeds keep the test's cost down.
#[test]
fn full_mnist_one_epoch_kaiming_reaches_95_percent() {
    use nninit_diag::data::{Normalize, Split};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/mnist");
    if !dir.is_dir() {
        println!("skipped: {} not present", dir.display());
        return;
    }
    let mut tr = Mnist::load_dir(&dir, Split::Train).unwrap();
    let mut te = Mnist::load_dir(&dir, Split::Test).unwrap();
    tr.normalize(Normalize::Standard);
    te.normalize(Normalize::Standard);
    for seed in [0, 1] {
        let mut m = model(
            &[784, 256, 128, 10],
            Activation::Relu,
            "kaiming_uniform",
            seed,
        );
        let c = TrainConfig {
            epochs: 1,
            batch: 64,
            optimizer: Optimizer::Sgd {
                lr: 0.01,
                momentum: 0.9,
            },
        };
        let h = train(&mut m, &tr, &te, &c, &mut order(seed), &mut |_| {}).unwrap();
        let acc = h.epochs[0].test_acc;
        eprintln!("seed {seed}: test accuracy after 1 epoch {acc}");
        assert!(acc >= 0.95, "seed {seed}: {acc}");
    }
}
