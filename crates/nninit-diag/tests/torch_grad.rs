//! [`DenseNet`] against PyTorch: forward outputs, loss, every module output's gradient and
//! every parameter's gradient of an 8-6-5-3 MLP on a batch of 4, for every activation, from
//! `testdata/torch/grad_golden.json` (made by `scripts/make_grad_golden.py`; the torch version
//! is in the file's `meta`). The inputs and parameters there are dyadic fractions, exact in
//! f32 and f64, so both sides start from the same numbers.
//!
//! Tolerances, per tensor, relative to the tensor's largest entry `s`:
//! - f32 (`DenseNet<f32>` vs torch float32): [`REL_F32`] = 2e-5. Each value is a chain of
//!   three Linear layers whose sums have ≤ 8 terms (fan-in) or 4 (batch), each rounding
//!   ≤ 2⁻²⁴ relative on both sides, with different summation orders (faer vs MKL/oneDNN) and
//!   different activation kernels (torch's vectorised Sleef ≤ 3.5 ulp; ours libm, or f64
//!   rounded once): a few 1e-7 of `s` per layer, ~1e-6 over the chain. 2e-5 leaves 10×
//!   margin while a wrong transpose, sign, constant or derivative is O(1) of `s`.
//! - f64 (`DenseNet<f64>` vs torch float64): [`REL_F64`] = 1e-12: the same chains at 2⁻⁵³,
//!   ~1e-15 of `s`, plus libm vs glibc elementary functions (≤ 2 ulp). A formula that differs
//!   from PyTorch's — e.g. GELU constants to 6 digits (1e-6), softplus with a cut-over (2e-9
//!   at 20) — fails it.
//!
//! Measured with torch 2.15.0 (`cargo test --test torch_grad -- --nocapture` prints them):
//! at most 6.5e-7 (f32, gelu_tanh) and 6.5e-16 (f64, tanh) of the scale.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure

use nninit_diag::linalg::{std_of, Gemm};
use nninit_diag::{Activation, DenseNet, Layer, Sequential};
use serde_json::Value;

const REL_F32: f64 = 2e-5;
const REL_F64: f64 = 1e-12;

fn golden() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/torch/grad_golden.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn nums(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// The golden's model with activation `act`, parameters set from the file (exact in f32).
fn model(g: &Value, act: Activation) -> Sequential {
    let widths: Vec<usize> = g["widths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_u64().unwrap() as usize)
        .collect();
    let mut m = Sequential::mlp(&widths, act).unwrap();
    for (i, l) in m.layers.iter_mut().enumerate() {
        if let Layer::Linear { weight, bias, .. } = l {
            for (dst, what) in [(weight, "weight"), (bias, "bias")] {
                let src = nums(&g["params"][format!("{i}.{what}")]);
                assert_eq!(src.len(), dst.len());
                for (d, s) in dst.iter_mut().zip(src) {
                    *d = s as f32;
                    assert_eq!(f64::from(*d), s, "parameter {i}.{what} is not exact in f32");
                }
            }
        }
    }
    m
}

/// `got` against `want` within `rel` of `want`'s largest entry; returns the largest
/// `|got − want| / scale` (printed by the tests: `cargo test -- --nocapture`).
fn assert_close<F: Gemm>(what: &str, got: &[F], want: &[f64], rel: f64) -> f64 {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let scale = want.iter().fold(0.0f64, |s, v| s.max(v.abs()));
    assert!(scale > 0.0, "{what}: all zero");
    let mut worst = 0.0f64;
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let g = g.to_f64();
        assert!(
            (g - w).abs() <= rel * scale,
            "{what}[{i}]: {g} vs torch {w} (scale {scale}, |diff|/scale {:.2e})",
            (g - w).abs() / scale
        );
        worst = worst.max((g - w).abs() / scale);
    }
    worst
}

/// Forward, loss, output gradients and parameter gradients of `DenseNet<F>` against the
/// case's `key` ("f32" or "f64") entries; returns the largest deviation relative to scale.
fn check<F: Gemm>(g: &Value, case: &Value, key: &str, rel: f64) -> f64 {
    let spec = case["activation"].as_str().unwrap();
    let act: Activation = spec.parse().unwrap();
    let m = model(g, act);
    let x: Vec<f32> = nums(&g["x"]).iter().map(|&v| v as f32).collect();
    let labels: Vec<u8> = nums(&g["labels"]).iter().map(|&v| v as u8).collect();
    let batch = labels.len();
    let want = &case[key];
    let modules: Vec<String> = m.layers.iter().map(|l| l.kind()).collect();
    assert_eq!(
        case["modules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect::<Vec<_>>(),
        modules,
        "{spec}: module classes"
    );
    let mut net = DenseNet::<F>::new(&m).unwrap();
    let mut out_grads = vec![vec![]; m.layers.len()];
    let loss = net
        .loss_and_output_grads(&x, &labels, batch, &mut |i, gr| {
            out_grads[i] = gr.iter().map(|v| v.to_f64()).collect()
        })
        .unwrap();
    let wl = want["loss"].as_f64().unwrap();
    assert!(
        (loss - wl).abs() <= rel * wl.abs(),
        "{spec} {key}: loss {loss} vs torch {wl}"
    );
    let mut worst = (loss - wl).abs() / wl.abs();
    if let Some(outs) = want.get("outputs") {
        for (i, o) in outs.as_array().unwrap().iter().enumerate() {
            assert_close(
                &format!("{spec} {key} output {i}"),
                net.output(i),
                &nums(o),
                rel,
            );
        }
    }
    if let Some(ogs) = want.get("output_grads") {
        for (i, o) in ogs.as_array().unwrap().iter().enumerate() {
            let w = assert_close::<f64>(
                &format!("{spec} {key} dL/dh {i}"),
                &out_grads[i],
                &nums(o),
                rel,
            );
            worst = worst.max(w);
        }
    }
    let names = m.param_names();
    let grads = net.gradients();
    assert_eq!(names.len(), grads.len());
    for (p, gr) in names.iter().zip(grads) {
        let w = nums(&want["grads"][&p.name]);
        let w = assert_close(&format!("{spec} {key} dL/d{}", p.name), gr, &w, rel);
        worst = worst.max(w);
    }
    worst
}

#[test]
fn golden_covers_every_activation() {
    let g = golden();
    assert!(g["meta"]["torch_version"].as_str().is_some());
    let specs: Vec<Activation> = g["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["activation"].as_str().unwrap().parse().unwrap())
        .collect();
    for a in Activation::ALL {
        assert!(specs.contains(&a), "{a} missing from the golden file");
    }
}

#[test]
fn f32_network_matches_torch_float32() {
    let g = golden();
    for case in g["cases"].as_array().unwrap() {
        let worst = check::<f32>(&g, case, "f32", REL_F32);
        println!(
            "{:16} f32: worst |diff|/scale {worst:.2e}",
            case["activation"]
        );
    }
}

#[test]
fn f64_network_matches_torch_float64() {
    let g = golden();
    for case in g["cases"].as_array().unwrap() {
        let worst = check::<f64>(&g, case, "f64", REL_F64);
        println!(
            "{:16} f64: worst |diff|/scale {worst:.2e}",
            case["activation"]
        );
    }
}

#[test]
fn probe_grad_stats_match_torch() {
    // What `probe --grad` prints for every module output: the std of its gradient, against
    // the std of torch's tensor. The population std is 1-Lipschitz in the max norm
    // (|std(a) − std(b)| ≤ rms(a − b) ≤ max|a − b|), so REL_F32 of the scale bounds it too;
    // twice that leaves room for the two std computations' own rounding.
    let g = golden();
    for case in g["cases"].as_array().unwrap() {
        let act: Activation = case["activation"].as_str().unwrap().parse().unwrap();
        let m = model(&g, act);
        let x: Vec<f32> = nums(&g["x"]).iter().map(|&v| v as f32).collect();
        let labels: Vec<u8> = nums(&g["labels"]).iter().map(|&v| v as u8).collect();
        let (loss, stats) = m.grad_stats(&x, &labels, labels.len(), 0.01).unwrap();
        let want = &case["f32"];
        let wl = want["loss"].as_f64().unwrap();
        assert!(
            (loss - wl).abs() <= REL_F32 * wl,
            "{act}: loss {loss} vs {wl}"
        );
        let ogs = want["output_grads"].as_array().unwrap();
        for (s, o) in stats.iter().zip(ogs) {
            let o = nums(o);
            let scale = o.iter().fold(0.0f64, |a, v| a.max(v.abs()));
            let w = std_of(&o);
            assert!(
                (s.output_grad_std - w).abs() <= 2.0 * REL_F32 * scale,
                "{act} {}: std(dL/dh) {} vs torch {w}",
                s.label,
                s.output_grad_std
            );
        }
    }
}
