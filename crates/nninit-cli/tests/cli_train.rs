//! `nninit train`, `nninit lsuv`, `probe --grad` and `--weights` as a user runs them.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure

mod common;

use common::{fails_with, json_of, nninit};

const TINY: [&str; 8] = [
    "--arch",
    "784,16,10",
    "--epochs",
    "2",
    "--batch",
    "100",
    "--seed",
    "1",
];

#[test]
fn train_tiny_prints_tables_and_writes_the_chart() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("curves.svg");
    let out = nninit()
        .args(["train", "--init", "kaiming_uniform,zeros"])
        .args(TINY)
        .args(["--plot", svg.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "test accuracy:",
        "training loss",
        "summary:",
        "kaiming_uniform",
        "zeros",
        "0 (init)",
        "1600",
    ] {
        assert!(s.contains(needle), "missing '{needle}' in\n{s}");
    }
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg") && text.contains("test accuracy"));
}

#[test]
fn train_json_has_the_documented_keys() {
    let v = json_of(
        &[
            &[
                "train",
                "--json",
                "--init",
                "kaiming_uniform,lsuv",
                "--optim",
                "adam",
            ][..],
            &TINY[..],
        ]
        .concat(),
    );
    for k in [
        "arch",
        "activation",
        "data",
        "train_images",
        "test_images",
        "config",
        "target_acc",
        "inits",
    ] {
        assert!(v.get(k).is_some(), "missing key {k}");
    }
    assert_eq!(v["train_images"], 1600);
    assert_eq!(v["test_images"], 400);
    assert_eq!(v["config"]["optimizer"]["name"], "adam");
    assert_eq!(v["config"]["optimizer"]["lr"], 0.001);
    let inits = v["inits"].as_array().unwrap();
    assert_eq!(inits.len(), 2);
    assert_eq!(inits[1]["init"], "lsuv");
    for i in inits {
        for k in [
            "init",
            "epoch_reached_target",
            "initial_test_loss",
            "initial_test_acc",
            "epochs",
            "diverged",
        ] {
            assert!(i.get(k).is_some(), "missing key inits[].{k}");
        }
        let e = &i["epochs"][1];
        for k in [
            "epoch",
            "train_loss",
            "test_loss",
            "test_acc",
            "train_seconds",
        ] {
            assert!(e.get(k).is_some(), "missing key epochs[].{k}");
        }
        assert_eq!(e["epoch"], 2);
    }
}

#[test]
fn probe_grad_adds_backward_statistics() {
    let v = json_of(&[
        "probe",
        "--json",
        "--grad",
        "--lr",
        "0.1",
        "--batch",
        "100",
        "--init",
        "kaiming_uniform,zeros",
    ]);
    let g = &v["inits"][0]["grad"];
    assert_eq!(g["lr"], 0.1);
    assert!(g["loss"].as_f64().unwrap() > 0.0);
    let layers = g["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 5);
    for k in [
        "index",
        "label",
        "output_grad_std",
        "weight_grad_std",
        "bias_grad_std",
        "weight_std",
        "update_to_data",
    ] {
        assert!(layers[0].get(k).is_some(), "missing key grad.layers[].{k}");
    }
    // zeros: std(W) = 0, so the update:data ratio is undefined (null)
    assert!(v["inits"][1]["grad"]["layers"][0]["update_to_data"].is_null());
    // without --grad the key is absent
    let v = json_of(&["probe", "--json", "--batch", "50", "--init", "zeros"]);
    assert!(v["inits"][0].get("grad").is_none());
    let out = nninit()
        .args([
            "probe",
            "--grad",
            "--batch",
            "100",
            "--init",
            "kaiming_uniform",
        ])
        .output()
        .unwrap();
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.contains("std(dL/dW)") && s.contains("update:data"), "{s}");
}

#[test]
fn lsuv_writes_a_loadable_file_for_probe_and_train() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("lsuv.safetensors");
    let fs = f.to_str().unwrap();
    let v = json_of(&[
        "lsuv",
        "--arch",
        "784,32,10",
        "--batch",
        "200",
        "--out",
        fs,
        "--json",
    ]);
    let layers = v["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 2);
    for l in layers {
        assert_eq!(l["converged"], true);
        assert!((l["std_after"].as_f64().unwrap() - 1.0).abs() < 0.1);
    }
    // probe the file on the same batch: Linear outputs have std ~1
    let p = json_of(&[
        "probe",
        "--json",
        "--arch",
        "784,32,10",
        "--batch",
        "200",
        "--weights",
        fs,
    ]);
    assert_eq!(p["inits"].as_array().unwrap().len(), 1);
    assert_eq!(p["inits"][0]["init"], "file:lsuv.safetensors");
    let std0 = p["inits"][0]["layers"][0]["std"].as_f64().unwrap();
    assert!((std0 - 1.0).abs() < 0.1, "{std0}");
    // and train from it next to an init
    let t = json_of(&[
        "train",
        "--json",
        "--arch",
        "784,32,10",
        "--epochs",
        "1",
        "--init",
        "kaiming_uniform",
        "--weights",
        fs,
    ]);
    assert_eq!(t["inits"].as_array().unwrap().len(), 2);
    // wrong architecture for the file: one clear line
    fails_with(
        &[
            "probe",
            "--arch",
            "784,64,10",
            "--batch",
            "10",
            "--weights",
            fs,
        ],
        "'0.weight' has shape [32, 784]",
    );
    fails_with(
        &[
            "train",
            "--arch",
            "784,64,10",
            "--weights",
            "/no/such.safetensors",
        ],
        "/no/such.safetensors",
    );
}

#[test]
fn bad_input_is_one_line() {
    fails_with(&["train", "--epochs", "0"], "--epochs");
    fails_with(&["train", "--batch", "0"], "--batch");
    fails_with(&["train", "--lr=-1"], "learning rate");
    fails_with(&["train", "--momentum", "1.5"], "momentum");
    fails_with(&["train", "--target-acc", "90"], "--target-acc");
    fails_with(&["train", "--init", "bogus"], "bogus");
    fails_with(&["train", "--init", "lsuv:tol=0"], "tol");
    fails_with(&["train", "--arch", "10,5"], "784");
    fails_with(&["train", "--activation", "nope"], "nope");
    fails_with(&["train", "--mnist", "/no/such/dir"], "/no/such/dir");
    fails_with(&["lsuv", "--out", "x.safetensors", "--tol", "0"], "tol");
    fails_with(
        &[
            "lsuv",
            "--out",
            "/no/such/dir/x.safetensors",
            "--arch",
            "784,8,10",
            "--batch",
            "10",
        ],
        "/no/such/dir",
    );
    fails_with(
        &["probe", "--grad", "--lr", "0", "--batch", "10"],
        "learning rate",
    );
}
