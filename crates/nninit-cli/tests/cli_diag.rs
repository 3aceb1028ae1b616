//! Issue #15 ("Diagnostics you can trust"), each quoted case as the user runs it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure

mod common;

use common::{json_of, nninit};
use serde_json::Value;

/// `probe --json --batch 200 --depth D --activation A --init I [extra]`.
fn probe(depth: &str, act: &str, init: &str, extra: &[&str]) -> Value {
    let mut a = vec![
        "probe",
        "--json",
        "--batch",
        "200",
        "--depth",
        depth,
        "--activation",
        act,
        "--init",
        init,
    ];
    a.extend_from_slice(extra);
    json_of(&a)
}

fn symptoms(init: &Value) -> Vec<String> {
    init["advice"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["symptom"].as_str().unwrap().to_string())
        .collect()
}

/// Depth 20, pytorch-default: the std plateaus (bias spread), but the signal dies and every
/// image has the same representation — flagged as collapse, with He as the checked fix.
#[test]
fn deep_pytorch_default_is_flagged_as_collapse() {
    let v = probe("20", "relu", "pytorch-default", &[]);
    let init = &v["inits"][0];
    let layers = init["layers"].as_array().unwrap();
    let last = &layers[layers.len() - 2];
    assert_eq!(last["label"], "ReLU 20");
    let cos = last["mean_cosine"].as_f64().unwrap();
    let (signal, std) = (
        last["signal"].as_f64().unwrap(),
        last["std"].as_f64().unwrap(),
    );
    assert!(cos > 0.999, "cosine {cos}");
    assert!(signal < 0.03 * std, "signal {signal} vs std {std}");
    let s = symptoms(init);
    assert!(s.contains(&"collapse".to_string()), "{s:?}");
    assert!(s.contains(&"vanishing_gradients".to_string()), "{s:?}");
    let fix = &init["advice"][0]["fix"];
    assert_eq!(fix["init"], "kaiming_normal:nonlinearity=relu");
}

/// Sigmoid, depth 8: whatever the init, chi1 ≈ 0.15 per layer — flagged for vanishing
/// gradients (from the mean field without --grad, measured with it), and no init is offered
/// as a fix (the mean-field check fails for every candidate); the remedy names alternatives.
#[test]
fn sigmoid_depth_8_vanishing_gradients_without_a_false_fix() {
    let v = probe(
        "8",
        "sigmoid",
        "pytorch-default,xavier_uniform,kaiming_normal",
        &[],
    );
    for init in v["inits"].as_array().unwrap() {
        let adv = init["advice"].as_array().unwrap();
        let g = adv
            .iter()
            .find(|a| a["symptom"] == "vanishing_gradients")
            .unwrap_or_else(|| panic!("{}: {adv:?}", init["init"]));
        assert_eq!(g["basis"], "predicted");
        assert!(g["fix"].is_null(), "{g:?}");
        assert!(g["remedy"].as_str().unwrap().contains("tanh or relu"));
    }
    let v = probe("8", "sigmoid", "xavier_uniform", &["--grad"]);
    let adv = v["inits"][0]["advice"].as_array().unwrap();
    let g = adv
        .iter()
        .find(|a| a["symptom"] == "vanishing_gradients")
        .unwrap();
    assert_eq!(g["basis"], "measured");
    assert!(g["factor_total"].as_f64().unwrap() < 0.1);
}

/// The default 3-layer net: xavier's 17 % drop over one layer is not "vanishing", and
/// pytorch-default (which trains) is not flagged either; normal:0.02 is.
#[test]
fn default_net_is_not_overflagged() {
    let v = json_of(&[
        "probe",
        "--json",
        "--init",
        "xavier_uniform,pytorch-default,kaiming_normal,normal:0.02",
    ]);
    let inits = v["inits"].as_array().unwrap();
    for k in 0..3 {
        assert!(
            symptoms(&inits[k]).is_empty(),
            "{}: {:?}",
            inits[k]["init"],
            inits[k]["advice"]
        );
    }
    assert!(!symptoms(&inits[3]).is_empty());
}

/// zeros is flagged at every depth, including one hidden layer.
#[test]
fn zeros_always_flagged() {
    for args in [
        vec!["--arch", "784,256,10"],
        vec!["--depth", "1"],
        vec!["--depth", "4"],
    ] {
        let mut a = vec!["probe", "--json", "--batch", "100", "--init", "zeros"];
        a.extend(args.iter());
        let v = json_of(&a);
        let s = symptoms(&v["inits"][0]);
        assert!(
            s.contains(&"constant_weights".to_string()),
            "{args:?}: {s:?}"
        );
        let ones = json_of(&[
            "probe",
            "--json",
            "--batch",
            "100",
            "--arch",
            "784,64,10",
            "--init",
            "ones",
        ]);
        assert!(symptoms(&ones["inits"][0]).contains(&"constant_weights".to_string()));
    }
}

/// gelu, depth 8: a fix is printed only if the tool's own prediction says it works — and
/// probing the suggested init gives no signal or gradient advice.
#[test]
fn gelu_fix_is_checked_by_the_tool() {
    let gelu8 = |init: &str| probe("8", "gelu", init, &[]);
    let v = gelu8("normal:0.02,kaiming_normal");
    let mut checked = 0;
    for init in v["inits"].as_array().unwrap() {
        for a in init["advice"].as_array().unwrap() {
            let fix = &a["fix"];
            if fix.is_null() {
                assert!(a["remedy"].is_string());
                continue;
            }
            let sf = fix["std_factor"].as_f64().unwrap();
            let gf = fix["grad_factor"].as_f64().unwrap();
            assert!(sf > 0.25 && sf < 4.0, "{fix:?}");
            assert!(gf > 0.1 && gf < 10.0, "{fix:?}");
            let w = gelu8(fix["init"].as_str().unwrap());
            let s = symptoms(&w["inits"][0]);
            assert!(
                !s.iter()
                    .any(|s| s == "vanishing" || s == "exploding" || s == "collapse"),
                "fix {} still flagged: {:?}",
                fix["init"],
                w["inits"][0]["advice"]
            );
            checked += 1;
        }
    }
    assert!(
        checked > 0,
        "normal:0.02 on gelu depth 8 should be flagged with a fix"
    );
}

/// Overflow: inf/NaN named as such, from the first layer that has it.
#[test]
fn overflow_is_named() {
    let out = nninit()
        .args([
            "probe",
            "--depth",
            "3",
            "--batch",
            "50",
            "--init",
            "normal:1e30",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.contains("inf/NaN from Linear 2"), "{s}");
    assert!(!s.contains("x0 per"), "{s}");
    let v = json_of(&[
        "probe",
        "--json",
        "--depth",
        "3",
        "--batch",
        "50",
        "--init",
        "normal:1e30",
    ]);
    let a = &v["inits"][0]["advice"][0];
    assert_eq!(a["symptom"], "overflow");
    // NaN passes through the ReLUs as in PyTorch: the later outputs are non-finite too
    let layers = v["inits"][0]["layers"].as_array().unwrap();
    assert!(layers[4]["frac_nonfinite"].as_f64().unwrap() > 0.0);
}

/// `nninit theory`: closed forms, q* = 0 stated as 0, divergence named, no "inf".
#[test]
fn theory_exact_output() {
    let text = |args: &[&str]| {
        let out = nninit().args(args).output().unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let s = text(&["theory", "--activation", "relu", "--sigma-w", "1.5"]);
    assert!(s.contains("chi1 = 1.1250") && s.contains("diverges"), "{s}");
    assert!(!s.contains("inf"), "{s}");
    let s = text(&["theory", "--activation", "relu", "--sigma-w", "1.2"]);
    assert!(s.contains("q* = 0 (") && s.contains("chi1 = 0.7200"), "{s}");
    assert!(!s.contains("e-32"), "{s}");
    let s = text(&["theory", "--activation", "identity", "--sigma-w", "1.5"]);
    assert!(s.contains("chi1 = 2.2500") && s.contains("diverges"), "{s}");
    let s = text(&[
        "theory",
        "--activation",
        "leaky_relu:0.2",
        "--sigma-w",
        "1.5",
    ]);
    assert!(s.contains("chi1 = 1.1700"), "{s}");
    let s = text(&[
        "theory",
        "--activation",
        "relu",
        "--sigma-w",
        "1.4142135623730951",
    ]);
    assert!(s.contains("q* any"), "{s}");
    // tanh 5/3: converged, with the correlation map's c* and chi_c
    let v = json_of(&[
        "theory",
        "--json",
        "--activation",
        "tanh",
        "--sigma-w",
        "1.6666666666666667",
    ]);
    let fp = &v["fixed_point"];
    assert_eq!(fp["status"], "converged");
    assert!(fp["c_star"].as_f64().unwrap().abs() < 1e-9);
    // softplus: no critical point at an absurd q*
    let v = json_of(&["theory", "--json", "--activation", "softplus"]);
    for c in v["critical_line"].as_array().unwrap() {
        assert!(c["q_star"].as_f64().unwrap() < 1e4, "{c:?}");
    }
}

/// The chart: legend outside every plot area, one path per series, predictions dashed and
/// gradients dotted (the legend's swatches carry the same patterns), short tick labels.
#[test]
fn chart_structure() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("p.svg");
    let out = nninit()
        .args([
            "probe",
            "--predict",
            "--grad",
            "--batch",
            "100",
            "--depth",
            "20",
            "--init",
            "kaiming_normal,normal:0.01,pytorch-default",
            "--plot",
        ])
        .arg(&svg)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&svg).unwrap();
    // plot areas' right edges and the legend's left edge
    let attr = |el: &str, name: &str| -> f64 {
        let k = el.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        el[k..].split('"').next().unwrap().parse().unwrap()
    };
    let areas: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("class=\"plot-area\""))
        .collect();
    assert_eq!(areas.len(), 4, "std, signal, 1-cos, gradient panels");
    let right = areas
        .iter()
        .map(|a| attr(a, "x") + attr(a, "width"))
        .fold(0.0, f64::max);
    let legend = text
        .lines()
        .skip_while(|l| !l.contains("id=\"legend\""))
        .nth(1)
        .unwrap();
    assert!(attr(legend, "x") > right, "legend inside the plot areas");
    // one path per series: 3 inits × (std, signal, 1-cos) × (measured, predicted) + 3 gradients
    let series = text.matches("class=\"series\"").count();
    assert_eq!(series, 3 * 3 * 2 + 3);
    let dashed = text
        .lines()
        .filter(|l| l.contains("class=\"series\"") && l.contains("stroke-dasharray=\"9 5\""))
        .count();
    let dotted = text
        .lines()
        .filter(|l| l.contains("class=\"series\"") && l.contains("stroke-dasharray=\"2 4\""))
        .count();
    assert_eq!((dashed, dotted), (9, 3));
    assert!(
        text.contains("class=\"swatch\" d=")
            && text.matches("stroke-dasharray=\"2 4\"").count() == 4
    );
    // tick labels are short (no 100000000000000000.00)
    for l in text.lines().filter(|l| l.contains("class=\"ytick\"")) {
        let label = l.rsplit("\">").next().unwrap().trim_end_matches("</text>");
        assert!(label.len() <= 6, "tick label {label}");
    }
}

/// `nninit table`: the Linear default row no longer claims to keep forward variance, and
/// every row's ReLU factor is computed.
#[test]
fn table_rows_are_corrected() {
    let out = nninit().arg("table").output().unwrap();
    assert!(out.status.success());
    let s = String::from_utf8_lossy(&out.stdout);
    let row = s
        .lines()
        .find(|l| l.contains("PyTorch Linear default"))
        .unwrap();
    assert!(
        !row.contains("keeps forward variance") && row.contains("x0.408"),
        "{row}"
    );
    assert!(
        !s.contains("timm/ViT") && !s.contains("JAX/Keras default"),
        "{s}"
    );
}

/// tanh with PyTorch's gain 5/3 is chaotic (chi1 = 1.21 per layer): at depth 30 the gradient
/// grows beyond 10x going back — flagged as chaos, with a fix whose prediction passes.
#[test]
fn deep_tanh_five_thirds_is_flagged_as_chaos() {
    let v = probe("30", "tanh", "kaiming_normal:nonlinearity=tanh", &[]);
    let adv = v["inits"][0]["advice"].as_array().unwrap();
    let c = adv
        .iter()
        .find(|a| a["symptom"] == "chaos")
        .unwrap_or_else(|| panic!("{adv:?}"));
    assert!(c["factor_total"].as_f64().unwrap() > 10.0);
    let g = c["fix"]["grad_factor"].as_f64().unwrap();
    assert!(g > 0.1 && g < 10.0, "{c:?}");
}

/// One image (`--batch 1`): nothing can be compared across inputs, so a healthy init is not
/// called "collapse" (found by a break-it pass: every init was flagged).
#[test]
fn batch_of_one_is_not_collapse() {
    let v = json_of(&[
        "probe",
        "--json",
        "--batch",
        "1",
        "--init",
        "kaiming_uniform,kaiming_normal",
    ]);
    for init in v["inits"].as_array().unwrap() {
        let s = symptoms(init);
        assert!(
            !s.contains(&"collapse".to_string()),
            "{}: {s:?}",
            init["init"]
        );
    }
}
