//! The `nninit` binary as a user runs it: output, --json, and bad input.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure

mod common;

use common::{fails_with, json_of, nninit, usage_error};

#[test]
fn probe_default_prints_the_table_and_the_linear_check() {
    let out = nninit().args(["probe", "--batch", "200"]).output().unwrap();
    assert!(out.status.success());
    let s = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "pytorch-default",
        "xavier_uniform",
        "kaiming_uniform",
        "kaiming_normal",
        "normal:std=0.02",
        "zeros",
        "Linear 1",
        "ReLU 2",
        "Linear 3",
        "1/sqrt(3*256) = 0.0361",
        "0.0884",
    ] {
        assert!(s.contains(needle), "missing '{needle}' in\n{s}");
    }
}

#[test]
fn probe_json_has_the_documented_keys() {
    let out = nninit()
        .args([
            "probe",
            "--json",
            "--batch",
            "100",
            "--init",
            "kaiming_normal,uniform:-0.1,0.1",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["arch"], serde_json::json!([784, 256, 128, 10]));
    assert_eq!(v["batch"], 100);
    let inits = v["inits"].as_array().unwrap();
    assert_eq!(inits.len(), 2);
    assert_eq!(inits[1]["init"], "uniform:a=-0.1,b=0.1");
    let layers = inits[0]["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 5);
    for key in [
        "index",
        "kind",
        "label",
        "mean",
        "std",
        "min",
        "max",
        "frac_zero",
        "frac_saturated",
    ] {
        assert!(layers[0].get(key).is_some(), "layer key {key}");
    }
    assert_eq!(layers[1]["kind"], "ReLU");
    let ld = &v["linear_default"];
    assert!((ld["theory_std"].as_f64().unwrap() - 0.0361).abs() < 1e-4);
}

#[test]
fn probe_stats_all_and_plot() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("std.svg");
    let out = nninit()
        .args([
            "probe",
            "--batch",
            "100",
            "--depth",
            "6",
            "--width",
            "64",
            "--activation",
            "tanh",
            "--stats",
            "all",
        ])
        .arg("--plot")
        .arg(&svg)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(
        s.contains("activation mean") && s.contains("saturated"),
        "{s}"
    );
    assert!(s.contains("Tanh 6"));
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg") && text.contains("kaiming_normal"));
}

#[test]
fn bad_input_gets_one_clear_line() {
    fails_with(
        &["probe", "--arch", "784,abc"],
        "'abc' is not a positive integer",
    );
    fails_with(&["probe", "--arch", "100,10"], "784");
    fails_with(
        &["probe", "--mnist", "/definitely/missing"],
        "/definitely/missing",
    );
    fails_with(&["probe", "--depth", "0"], "--depth");
    fails_with(&["probe", "--batch", "5000"], "larger than the data");
    fails_with(&["probe", "--batch", "0"], "--batch");
    fails_with(
        &["probe", "--init", "kaiming_unifrom"],
        "unknown init 'kaiming_unifrom'",
    );
    fails_with(&["probe", "--activation", "swishy"], "unknown activation");
    fails_with(&["probe", "--arch", "784,100000,100000,10"], "too large");
    fails_with(
        &["probe", "--depth", "100000", "--width", "1"],
        "at most 1000",
    );
    fails_with(&["probe", "--init", "kaiming_uniform,"], "empty entry");
    fails_with(
        &["probe", "--plot", "chart.png"],
        "--plot chart.png must end in .svg",
    );
    fails_with(
        &["train", "--plot", "curves.pdf"],
        "--plot curves.pdf must end in .svg",
    );
    fails_with(
        &["lsuv", "--out", "model.npy"],
        "--out model.npy must end in .safetensors",
    );
    fails_with(
        &[
            "fill",
            "--init",
            "constant:1e39",
            "--shape",
            "3",
            "--out",
            "-",
        ],
        "overflows f32: 3 of 3 values are inf",
    );
    fails_with(
        &[
            "fill",
            "--init",
            "normal:70000",
            "--shape",
            "64",
            "--dtype",
            "f16",
            "--out",
            "-",
        ],
        "overflows f16",
    );
    // negative numbers reach the validation (not clap's "unexpected argument '-1'")
    fails_with(
        &["train", "--lr", "-1"],
        "learning rate must be finite and > 0, got -1",
    );
    fails_with(
        &["fill", "--init", "normal", "--shape", "-1,2", "--out", "-"],
        "--shape",
    );
    fails_with(
        &["theory", "--sigma-w", "1", "--sigma-b", "-0.5"],
        "--sigma-b -0.5 must be finite and >= 0",
    );
    fails_with(
        &["train", "--plot", "/nonexistent/dir/x.svg"],
        "directory /nonexistent/dir does not exist",
    );
    fails_with(
        &["probe", "--rng", "std", "--flavor", "default"],
        "--flavor default applies only to --rng torch",
    );
    fails_with(
        &[
            "fill", "--init", "normal", "--shape", "4", "--dtype", "f8", "--out", "-",
        ],
        "unknown dtype 'f8'; expected f32, f64, bf16 or f16",
    );
    fails_with(&["probe", "--init", "a,,b"], "empty entry");
    fails_with(
        &[
            "fill",
            "--init",
            "normal",
            "--shape",
            "100000,100000,100000",
            "--out",
            "-",
        ],
        "not enough memory",
    );
    fails_with(
        &[
            "fill",
            "--init",
            "normal:-1",
            "--shape",
            "3,4",
            "--out",
            "-",
        ],
        "std",
    );
    fails_with(
        &["fill", "--init", "normal", "--shape", "3,-1", "--out", "-"],
        "--shape",
    );
    fails_with(
        &[
            "fill", "--init", "normal", "--shape", "3,4", "--out", "x.txt",
        ],
        ".npy",
    );
}

#[test]
fn corrupt_idx_file_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    // a valid header claiming 10 images, but only 100 pixel bytes
    let mut img = vec![0, 0, 8, 3, 0, 0, 0, 10, 0, 0, 0, 28, 0, 0, 0, 28];
    img.extend(vec![0u8; 100]);
    std::fs::write(dir.path().join("t10k-images-idx3-ubyte"), img).unwrap();
    let mut lab = vec![0, 0, 8, 1, 0, 0, 0, 10];
    lab.extend(vec![1u8; 10]);
    std::fs::write(dir.path().join("t10k-labels-idx1-ubyte"), lab).unwrap();
    fails_with(
        &["probe", "--mnist", dir.path().to_str().unwrap()],
        "truncated",
    );
}

#[test]
fn fill_writes_files_atomically_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let npy = dir.path().join("w.npy");
    nninit()
        .args([
            "fill",
            "--init",
            "kaiming_uniform",
            "--shape",
            "8,4",
            "--rng",
            "std",
        ])
        .arg("--out")
        .arg(&npy)
        .assert()
        .success();
    let b = std::fs::read(&npy).unwrap();
    assert_eq!(&b[..6], b"\x93NUMPY");
    assert_eq!(b.len() % 64, (32 * 4) % 64);
    // unwritable output: error, and no file (nor temp file) left
    let bad = dir.path().join("nope/w.npy");
    fails_with(
        &[
            "fill",
            "--init",
            "normal",
            "--shape",
            "2,2",
            "--rng",
            "std",
            "--out",
            bad.to_str().unwrap(),
        ],
        "cannot write",
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    let out = nninit()
        .args([
            "fill", "--init", "eye", "--shape", "2,3", "--rng", "std", "--out", "-",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["shape"], serde_json::json!([2, 3]));
    assert_eq!(v["data"], serde_json::json!([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]));
}

#[test]
fn table_is_generated_from_definitions() {
    let out = nninit().arg("table").output().unwrap();
    assert!(out.status.success());
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.contains("2/(fan_in+fan_out)"), "{s}");
    assert!(s.contains("2/fan_in"), "{s}");
    assert!(s.contains("1/(3·fan_in)") && s.contains("0.0361"), "{s}");
    let j = nninit().args(["table", "--json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&j.stdout).unwrap();
    assert!(v.as_array().unwrap().len() >= 10);
}

/// The CLI's torch stream must keep PyTorch's orthogonal algorithm (QR of the draws), not the
/// Philox/rand streams' Stewart method: `torch.manual_seed(0); nn.init.orthogonal_(torch.empty
/// (8, 5))` (golden file, seed 0), within the QR tolerance of the library's golden test.
#[test]
fn fill_torch_orthogonal_matches_pytorch() {
    let v = json_of(&[
        "fill",
        "--init",
        "orthogonal",
        "--shape",
        "8,5",
        "--seed",
        "0",
        "--out",
        "-",
    ]);
    assert_eq!(v["rng"], "torch");
    let data = v["data"].as_array().unwrap();
    let want = [
        -0.5836917f64,
        -0.37722495,
        0.18830994,
        -0.052696064,
        -0.13880378,
        0.3587722,
    ];
    for (i, w) in want.iter().enumerate() {
        let got = data[i].as_f64().unwrap();
        assert!((got - w).abs() < 2e-6, "element {i}: {got} vs {w}");
    }
}

#[test]
fn fill_torch_matches_pytorch_linear_default() {
    // torch.manual_seed(0); nn.Linear(256, 128).weight[0, :4] (spec §8, golden file):
    // -0.00046792626, 0.033527724, -0.05144032, -0.04599619
    let v = json_of(&[
        "fill",
        "--init",
        "kaiming_uniform:a=2.23606797749979",
        "--shape",
        "128,256",
        "--seed",
        "0",
        "--out",
        "-",
    ]);
    assert_eq!(v["rng"], "torch");
    let data = v["data"].as_array().unwrap();
    let want = [-0.00046792626f32, 0.033527724, -0.05144032, -0.04599619];
    for (i, w) in want.iter().enumerate() {
        assert_eq!(data[i].as_f64().unwrap() as f32, *w, "element {i}");
    }
}

#[test]
fn torch_is_the_default_rng_of_probe_and_flags_are_checked() {
    let out = nninit()
        .args(["probe", "--json", "--batch", "10", "--init", "zeros"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["rng"].as_str().unwrap().starts_with("torch"),
        "{}",
        v["rng"]
    );
    usage_error(&["probe", "--rng", "mersenne"], "mersenne");
    usage_error(
        &[
            "fill", "--init", "normal", "--shape", "2", "--flavor", "sse9", "--out", "-",
        ],
        "sse9",
    );
}
