//! `--rng` in probe, train, lsuv and fill: the same initial weights from probe and train,
//! Philox parameters keyed by name (`fill --name`), the data order's own stream.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure

mod common;

use common::{fails_with, json_of, nninit};
use std::collections::BTreeMap;
use std::path::Path;

/// Every tensor of a safetensors file: name → f32 values.
fn tensors(path: &Path) -> BTreeMap<String, Vec<f32>> {
    let bytes = std::fs::read(path).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    st.tensors()
        .into_iter()
        .map(|(name, view)| {
            assert_eq!(view.dtype(), safetensors::Dtype::F32, "{name}");
            let v = view
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            (name, v)
        })
        .collect()
}

fn run_ok(args: &[&str]) {
    let out = nninit().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const INITS: &str = "kaiming_uniform,pytorch-default,normal:0.02,lsuv";

/// The initial parameters (hidden `--save-init DIR`, one file per entry) of `probe` or
/// `train` with `flags`.
fn initial(cmd: &str, dir: &Path, flags: &[&str]) -> Vec<BTreeMap<String, Vec<f32>>> {
    std::fs::create_dir_all(dir).unwrap();
    let d = dir.to_str().unwrap();
    let mut args = vec![cmd, "--arch", "784,16,12,10", "--init", INITS];
    args.extend_from_slice(flags);
    args.extend_from_slice(&["--save-init", d, "--json"]);
    if cmd == "train" {
        args.extend_from_slice(&["--epochs", "1", "--batch", "400"]);
    } else {
        args.extend_from_slice(&["--batch", "500"]);
    }
    run_ok(&args);
    (0..4)
        .map(|k| tensors(&dir.join(format!("{k}.safetensors"))))
        .collect()
}

#[test]
fn train_starts_from_the_weights_probe_builds_for_every_rng() {
    // lsuv scales on the batch: probe's first 500 test images vs train's first 500 training
    // images are the same images of the embedded subset (train = its first 1,600)
    let dir = tempfile::tempdir().unwrap();
    let mut by_rng = vec![];
    for rng in ["torch", "philox", "std"] {
        let flags = ["--rng", rng, "--seed", "3"];
        let p = initial("probe", &dir.path().join(format!("probe-{rng}")), &flags);
        let t = initial("train", &dir.path().join(format!("train-{rng}")), &flags);
        for (k, (pk, tk)) in p.iter().zip(&t).enumerate() {
            assert_eq!(pk.len(), 6, "{rng} entry {k}");
            assert_eq!(
                pk, tk,
                "--rng {rng}: train's entry {k} starts elsewhere than probe's"
            );
        }
        by_rng.push(p);
    }
    // --rng is honoured: the three streams give different weights
    assert_ne!(by_rng[0][0]["0.weight"], by_rng[1][0]["0.weight"]);
    assert_ne!(by_rng[0][0]["0.weight"], by_rng[2][0]["0.weight"]);
    assert_ne!(by_rng[1][0]["0.weight"], by_rng[2][0]["0.weight"]);
}

#[test]
fn torch_probe_weights_are_pytorchs() {
    // torch.manual_seed(0); nn.Sequential(nn.Linear(784, 16), ...): the first draw, the
    // default weight kaiming_uniform(a=sqrt(5)), equals fill's of that shape and seed
    let dir = tempfile::tempdir().unwrap();
    let p = initial("probe", dir.path(), &["--seed", "0"]);
    let default_weight = nninit::layers::linear_weight_init().to_string();
    let v = json_of(&[
        "fill",
        "--init",
        &default_weight,
        "--shape",
        "16,784",
        "--out",
        "-",
    ]);
    let fill: Vec<f32> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect();
    // pytorch-default (entry 1) is nn.Sequential's construction draw itself
    assert_eq!(p[1]["0.weight"], fill);
}

#[test]
fn philox_parameters_are_keyed_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let flags = ["--rng", "philox", "--seed", "7", "--threads", "2"];
    let p = initial("probe", dir.path(), &flags);
    // fill --name gives the model's parameter (kaiming_uniform entry 0, normal:0.02 entry 2)
    for (k, init, name, shape) in [
        (0, "kaiming_uniform", "0.weight", "16,784"),
        (0, "kaiming_uniform", "2.weight", "12,16"),
        (2, "normal:0.02", "4.weight", "10,12"),
        (
            1,
            "uniform:-0.03571428571428571,0.03571428571428571",
            "0.bias",
            "16",
        ),
    ] {
        let v = json_of(&[
            "fill", "--rng", "philox", "--seed", "7", "--init", init, "--shape", shape, "--name",
            name, "--out", "-",
        ]);
        assert_eq!(v["name"], name);
        let fill: Vec<f32> = v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap() as f32)
            .collect();
        if name == "0.bias" {
            // pytorch-default's bias is U(±1/sqrt(784)) computed in f64 by the library: equal
            // to within an ulp of the bound
            for (a, b) in p[k][name].iter().zip(&fill) {
                assert!((a - b).abs() <= 1e-8, "{name}: {a} vs {b}");
            }
        } else {
            assert_eq!(p[k][name], fill, "{init} {name}");
        }
    }
    // without --name: stream id 0, not the model's 0.weight
    let v = json_of(&[
        "fill",
        "--rng",
        "philox",
        "--seed",
        "7",
        "--init",
        "kaiming_uniform",
        "--shape",
        "16,784",
        "--out",
        "-",
    ]);
    assert!(v.get("name").is_none());
    let unnamed: Vec<f32> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect();
    assert_ne!(p[0]["0.weight"], unnamed);
}

#[test]
fn adding_a_layer_shifts_no_philox_parameter() {
    let dir = tempfile::tempdir().unwrap();
    let save = |sub: &str, arch: &str, rng: &str| {
        let d = dir.path().join(sub);
        std::fs::create_dir_all(&d).unwrap();
        run_ok(&[
            "probe",
            "--arch",
            arch,
            "--init",
            "kaiming_uniform",
            "--rng",
            rng,
            "--batch",
            "10",
            "--json",
            "--save-init",
            d.to_str().unwrap(),
        ]);
        tensors(&d.join("0.safetensors"))
    };
    let small = save("p3", "784,32,16,10", "philox");
    let big = save("p4", "784,32,16,16,10", "philox");
    for name in ["0.weight", "0.bias", "2.weight", "2.bias"] {
        assert_eq!(small[name], big[name], "{name}");
    }
    // PyTorch's sequential generator: nn.Sequential draws every layer's default init before
    // model.apply(kaiming_uniform), so one more layer shifts every re-initialised weight
    let small = save("t3", "784,32,16,10", "torch");
    let big = save("t4", "784,32,16,16,10", "torch");
    assert_ne!(small["0.weight"], big["0.weight"]);
}

#[test]
fn lsuv_honours_rng_and_flags_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let mut outs = vec![];
    for rng in ["torch", "philox"] {
        let out = dir.path().join(format!("{rng}.safetensors"));
        let v = json_of(&[
            "lsuv",
            "--arch",
            "784,16,10",
            "--batch",
            "100",
            "--rng",
            rng,
            "--json",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(v["rng"].as_str().unwrap().starts_with(rng), "{v}");
        outs.push(tensors(&out));
    }
    assert_ne!(outs[0]["0.weight"], outs[1]["0.weight"]);
    fails_with(
        &["train", "--rng", "philox", "--flavor", "default"],
        "--flavor default applies only to --rng torch",
    );
    fails_with(
        &[
            "fill", "--init", "normal", "--shape", "2", "--name", " ", "--out", "-",
        ],
        "--name is empty",
    );
}

#[test]
fn train_reports_its_rng() {
    let v = json_of(&[
        "train", "--arch", "784,8,10", "--init", "zeros", "--epochs", "1", "--batch", "400",
        "--rng", "philox", "--json",
    ]);
    assert_eq!(v["config"]["rng"], "philox");
    assert_eq!(v["config"]["seed"], 0);
}
