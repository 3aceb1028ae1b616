//! `nninit gain`, `nninit theory`, `nninit probe --predict` and the probe's advice, as a user
//! runs them: output, --json, and one-line errors on bad input.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure

mod common;

use common::{fails_with, json_of, nninit};

#[test]
fn gain_table_shows_torch_and_numeric_gains() {
    let out = nninit().arg("gain").output().unwrap();
    assert!(out.status.success());
    let s = String::from_utf8_lossy(&out.stdout);
    // numbers from docs/theory.md §2.3 (verified)
    for needle in [
        "1.5925374197",
        "1.8462285453",
        "1.5335304412",
        "1.4142135624",
        "heuristic",
        "1.6667",
    ] {
        assert!(s.contains(needle), "missing '{needle}' in\n{s}");
    }
}

#[test]
fn gain_json_parses() {
    let v = json_of(&["gain", "--json", "--activation", "tanh,relu,gelu"]);
    let g = v["gains"].as_array().unwrap();
    assert_eq!(g.len(), 3);
    assert_eq!(g[0]["activation"], "tanh");
    assert!((g[0]["gain"].as_f64().unwrap() - 1.5925374197).abs() < 1e-9);
    assert!((g[0]["torch_gain"].as_f64().unwrap() - 5.0 / 3.0).abs() < 1e-15);
    assert!((g[1]["gain"].as_f64().unwrap() - 2f64.sqrt()).abs() < 1e-9);
    assert!(g[2]["torch_gain"].is_null());
    for key in [
        "second_moment",
        "mean",
        "deriv_second_moment",
        "gain_backward",
        "chi1",
        "chi_q",
        "note",
    ] {
        assert!(g[0].get(key).is_some(), "key {key}");
    }
}

#[test]
fn theory_prints_the_tanh_critical_line() {
    let out = nninit()
        .args(["theory", "--activation", "tanh"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let s = String::from_utf8_lossy(&out.stdout);
    // σ_b² = 0.05 → σ_w² 1.760955, q* 0.570048 (docs/theory.md §2.4)
    assert!(s.contains("1.760955") && s.contains("0.570048"), "{s}");
    let v = json_of(&[
        "theory",
        "--activation",
        "tanh",
        "--json",
        "--sigma-w",
        "1.6666666666666667",
    ]);
    let line = v["critical_line"].as_array().unwrap();
    assert_eq!(line.len(), 12);
    let fp = &v["fixed_point"];
    assert!((fp["q_star"].as_f64().unwrap() - 1.178480).abs() < 2e-6);
    assert!((fp["chi1"].as_f64().unwrap() - 1.2098).abs() < 1e-4);
}

#[test]
fn theory_relu_is_the_he_point() {
    let v = json_of(&["theory", "--activation", "relu", "--json"]);
    let line = v["critical_line"].as_array().unwrap();
    assert_eq!(line.len(), 1);
    assert!((line[0]["sigma_w2"].as_f64().unwrap() - 2.0).abs() < 1e-12);
    assert!(line[0]["q_star"].is_null());
    assert_eq!(v["no_critical_point"].as_array().unwrap().len(), 11);
}

#[test]
fn bad_input_is_one_error_line() {
    fails_with(&["gain", "--activation", "swish2"], "unknown activation");
    fails_with(&["theory", "--activation", "nope"], "unknown activation");
    fails_with(&["theory", "--sigma-b2", "-0.1"], ">= 0");
    fails_with(&["theory", "--sigma-b2", "abc"], "not a number");
    fails_with(&["theory", "--sigma-w", "-1"], ">= 0");
    fails_with(&["probe", "--predict", "--depth", "0"], "depth");
}

#[test]
fn probe_predict_table_and_json() {
    let args = [
        "probe",
        "--predict",
        "--batch",
        "200",
        "--depth",
        "6",
        "--init",
        "kaiming_normal,normal:0.01,ones",
    ];
    let out = nninit().args(args).output().unwrap();
    assert!(out.status.success());
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(
        s.contains("pred") && s.contains("worst |measured/predicted - 1|"),
        "{s}"
    );
    // normal:0.01 in a deep ReLU net vanishes: advice names it and gives He's init
    assert!(
        s.contains("vanishing") && s.contains("fix: --init kaiming_normal:nonlinearity=relu"),
        "{s}"
    );

    let mut a = args.to_vec();
    a.push("--json");
    let v = json_of(&a);
    let inits = v["inits"].as_array().unwrap();
    let k = &inits[0];
    let layers = k["layers"].as_array().unwrap();
    let pred = k["predicted_std"].as_array().unwrap();
    assert_eq!(pred.len(), layers.len());
    // kaiming on MNIST, depth 6: MNIST pixels are strongly correlated and the output layer
    // pools only 10 units, so the finite-net scatter is larger than for Gaussian inputs
    // (10 % is asserted there, crates/nninit-diag/tests/meanfield_vs_measured.rs); here
    // within a factor 1.5 at every layer (seed 0 measured: worst 37 % at the 10-unit output).
    for (l, p) in layers.iter().zip(pred) {
        let (m, p) = (l["std"].as_f64().unwrap(), p.as_f64().unwrap());
        assert!(
            (m / p).ln().abs() < 1.5f64.ln(),
            "{}: {m} vs {p}",
            l["label"]
        );
    }
    assert!(k["advice"].as_array().unwrap().is_empty());
    let small = &inits[1]["advice"].as_array().unwrap()[0];
    assert_eq!(small["symptom"], "vanishing");
    assert_eq!(small["fix"]["init"], "kaiming_normal:nonlinearity=relu");
    let f = small["fix"]["std_factor"].as_f64().unwrap();
    assert!(f > 0.5 && f < 2.0, "{f}");
    // `ones` has non-zero-mean weights: no prediction
    assert!(inits[2]["predicted_std"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p.is_null()));
}

#[test]
fn probe_without_predict_has_no_predicted_key_and_plots_dashed_lines() {
    let v = json_of(&[
        "probe",
        "--json",
        "--batch",
        "50",
        "--init",
        "kaiming_normal",
    ]);
    assert!(v["inits"][0].get("predicted_std").is_none());
    assert!(v["inits"][0]["advice"].is_array());

    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("p.svg");
    let out = nninit()
        .args([
            "probe",
            "--predict",
            "--batch",
            "50",
            "--init",
            "kaiming_normal",
            "--plot",
        ])
        .arg(&svg)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(
        text.contains("kaiming_normal std (mean-field)"),
        "dashed series missing"
    );
}

#[test]
fn tanh_saturation_advice() {
    let v = json_of(&[
        "probe",
        "--json",
        "--batch",
        "100",
        "--depth",
        "6",
        "--activation",
        "tanh",
        "--init",
        "normal:0.5",
    ]);
    let adv = v["inits"][0]["advice"].as_array().unwrap();
    assert!(adv.iter().any(|a| a["symptom"] == "saturation"), "{adv:?}");
    // the fix, if any, passed the mean-field check (saturation included); otherwise a remedy
    for a in adv {
        assert!(a["fix"].is_object() || a["remedy"].is_string(), "{a:?}");
    }
}

#[test]
fn overflow_is_advised_as_exploding_not_vanishing() {
    // ones at width 64: every ReLU layer multiplies the signal by ~64, f32 overflows to
    // inf/NaN by layer ~20; that is an explosion, never "weights too small".
    let v = json_of(&[
        "probe", "--json", "--batch", "50", "--depth", "30", "--width", "64", "--init", "ones",
    ]);
    let layers = v["inits"][0]["layers"].as_array().unwrap();
    assert!(
        layers.iter().any(|l| !l["std"].is_f64()),
        "expected a non-finite std (serialised as null) somewhere: {layers:?}"
    );
    let adv = v["inits"][0]["advice"].as_array().unwrap();
    assert!(!adv.is_empty());
    // constant weights (ones) and the overflow; never "weights too small"
    assert!(adv.iter().any(|a| a["symptom"] == "overflow"), "{adv:?}");
    for a in adv {
        assert!(
            a["symptom"] == "overflow" || a["symptom"] == "constant_weights",
            "{a:?}"
        );
    }
    assert!(adv
        .iter()
        .any(|a| a["cause"].as_str().unwrap().contains("inf/NaN from")));
}
