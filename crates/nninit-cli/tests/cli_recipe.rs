//! `nninit recipe list|show`: tables, --json, and one-line errors for bad configs.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure

mod common;

use common::{fails_with, json_of, nninit};

fn cfg(file: &str) -> String {
    format!(
        "{}/../../testdata/configs/{file}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn recipe_list_names_every_recipe_with_its_source() {
    let out = nninit().args(["recipe", "list"]).output().unwrap();
    assert!(out.status.success());
    let s = String::from_utf8_lossy(&out.stdout);
    for name in [
        "gpt2",
        "nanogpt",
        "llama",
        "torchtitan-llama3",
        "olmo-mitchell",
        "olmo-full-megatron",
        "olmo-core-llama",
        "megatron",
        "bert",
        "mup",
    ] {
        assert!(s.contains(&format!("\n{name} ")), "missing {name} in\n{s}");
    }
    assert!(s.contains("modeling_gpt2.py:432-449"), "{s}");
    let j = json_of(&["recipe", "list", "--json"]);
    assert_eq!(j.as_array().unwrap().len(), 10);
    assert!(j[0]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["source"].as_str().is_some()));
}

#[test]
fn recipe_show_prints_every_tensor_with_law_std_variance_and_rule() {
    let out = nninit()
        .args(["recipe", "show", "gpt2", "--config", &cfg("tiny-gpt2.json")])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = String::from_utf8_lossy(&out.stdout);
    // 0.02/sqrt(6) = 0.008165, variance 6.667e-5
    assert!(s.contains("transformer.h.2.mlp.c_proj.weight"), "{s}");
    assert!(
        s.contains("normal(0, 0.008165)") && s.contains("6.667e-5"),
        "{s}"
    );
    assert!(
        s.contains("transformer.wte.weight (tied: lm_head.weight)"),
        "{s}"
    );
    assert!(
        s.contains("#1 *.c_proj.weight: normal(0, initializer_range/sqrt(2*n_layer))"),
        "{s}"
    );

    let j = json_of(&[
        "recipe",
        "show",
        "torchtitan-llama3",
        "--config",
        &cfg("tiny-llama.json"),
        "--json",
    ]);
    let tensors = j["tensors"].as_array().unwrap();
    assert_eq!(tensors.len(), 1 + 4 * 9 + 2);
    let wo = tensors
        .iter()
        .find(|t| t["name"] == "layers.1.attention.wo.weight")
        .unwrap();
    assert_eq!(wo["law"], "trunc_normal");
    assert_eq!(wo["bounds"], serde_json::json!([-2.0, 2.0]));
    assert!((wo["std"].as_f64().unwrap() - 0.01).abs() < 1e-12, "{wo}"); // 0.02/sqrt(2·2), no truncation in effect
    assert_eq!(wo["shape"], serde_json::json!([32, 32]));
    let head = tensors
        .iter()
        .find(|t| t["name"] == "lm_head.weight")
        .unwrap();
    let s = 32f64.powf(-0.5);
    assert!(
        (head["std"].as_f64().unwrap() / s - 0.973_336f64.sqrt()).abs() < 1e-5,
        "{head}"
    );
    assert_eq!(
        j["numel"].as_u64().unwrap(),
        tensors
            .iter()
            .map(|t| t["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_u64().unwrap())
                .product::<u64>())
            .sum::<u64>()
    );

    let j = json_of(&[
        "recipe",
        "show",
        "mup",
        "--config",
        &cfg("tiny-llama.json"),
        "--param",
        "base_width=8",
        "--json",
    ]);
    let q = j["tensors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "model.layers.0.self_attn.q_proj.weight")
        .unwrap();
    assert!((q["std"].as_f64().unwrap() - 0.01).abs() < 1e-12, "{q}"); // 0.02·(32/8)^-1/2
}

#[test]
fn recipe_show_errors_are_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("config.json");
    std::fs::write(&bad, r#"{"model_type": "llama", "hidden_size": "2048"}"#).unwrap();
    let bad = bad.to_str().unwrap();
    fails_with(
        &["recipe", "show", "llama", "--config", bad],
        "field 'hidden_size': expected a non-negative integer, got the string \"2048\"",
    );
    fails_with(
        &["recipe", "show", "lama", "--config", bad],
        "unknown recipe 'lama'",
    );
    fails_with(
        &[
            "recipe",
            "show",
            "llama",
            "--config",
            "/nonexistent/config.json",
        ],
        "cannot read /nonexistent/config.json",
    );
    fails_with(
        &[
            "recipe",
            "show",
            "bert",
            "--config",
            &cfg("tiny-llama.json"),
        ],
        "covers bert configs, not model_type llama",
    );
    fails_with(
        &[
            "recipe",
            "show",
            "mup",
            "--config",
            &cfg("tiny-llama.json"),
            "--param",
            "base_width",
        ],
        "expected NAME=VALUE",
    );
}
