//! `nninit materialize` and `nninit audit` through the binary. The plan-level behaviour
//! (sharding, index, values equal to `fill --name`, seeded faults) is tested in the crate's
//! unit tests (`checkpoint::audit`, `cmd::materialize`) on hand-built plans; the tests here
//! marked `ignore` need the recipes crate's configs and recipes (branch `recipes`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{fails_with, nninit};
use std::path::Path;

/// Writes `tensors` (name, shape, f32 values) as a safetensors file.
fn save(path: &Path, tensors: &[(&str, Vec<usize>, Vec<f32>)]) {
    let bytes: Vec<Vec<u8>> = tensors
        .iter()
        .map(|(_, _, v)| v.iter().flat_map(|x| x.to_le_bytes()).collect())
        .collect();
    let views: Vec<(&str, safetensors::tensor::TensorView<'_>)> = tensors
        .iter()
        .zip(&bytes)
        .map(|((n, s, _), b)| {
            (
                *n,
                safetensors::tensor::TensorView::new(safetensors::Dtype::F32, s.clone(), b)
                    .unwrap(),
            )
        })
        .collect();
    std::fs::write(path, safetensors::serialize(views, None).unwrap()).unwrap();
}

/// Deterministic values spread like N(0, 0.02²) (Box–Muller on a fixed LCG).
fn normalish(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut u = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| {
            let (a, b) = (u(), u());
            (0.02 * (-2.0 * a.ln()).sqrt() * (std::f64::consts::TAU * b).cos()) as f32
        })
        .collect()
}

#[test]
fn audit_without_a_recipe_groups_by_pattern_and_passes_a_clean_file() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("m.safetensors");
    save(
        &p,
        &[
            ("h.0.attn.weight", vec![64, 32], normalish(2048, 1)),
            ("h.1.attn.weight", vec![64, 32], normalish(2048, 2)),
            ("h.0.ln.weight", vec![32], vec![1.0; 32]),
            ("h.1.ln.weight", vec![32], vec![1.0; 32]),
        ],
    );
    let out = nninit()
        .args(["audit", p.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("h.*.attn.weight"), "{text}");
    assert!(text.contains("h.*.ln.weight"), "{text}");
    assert!(text.contains("4 tensors, 0 flags"), "{text}");
    let out = nninit()
        .args(["audit", p.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["groups"].as_array().unwrap().len(), 2);
    let g = &j["groups"][0];
    assert_eq!(g["pattern"], "h.*.attn.weight");
    assert_eq!(g["tensors"], 2);
    assert!((g["std"].as_f64().unwrap() / 0.02 - 1.0).abs() < 0.05);
}

#[test]
fn audit_flags_nan_and_exits_non_zero() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("m.safetensors");
    let mut v = normalish(2048, 3);
    v[7] = f32::NAN;
    v[8] = f32::INFINITY;
    save(&p, &[("w", vec![2048], v)]);
    let out = nninit()
        .args(["audit", p.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["tensors"][0]["nonfinite"], 2);
    assert!(j["tensors"][0]["flags"][0]
        .as_str()
        .unwrap()
        .contains("2 NaN/inf"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error: audit flagged 1 problem"), "{err}");
}

#[test]
fn audit_reads_an_index_directory_and_reports_its_problems() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    save(&d.join("a.safetensors"), &[("x", vec![4], vec![1.0; 4])]);
    save(&d.join("b.safetensors"), &[("y", vec![4], vec![2.0; 4])]);
    let index = r#"{"metadata": {"total_size": 32}, "weight_map": {"x": "a.safetensors", "y": "a.safetensors"}}"#;
    std::fs::write(d.join("model.safetensors.index.json"), index).unwrap();
    let out = nninit()
        .args(["audit", d.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let problems = j["problems"].to_string();
    assert!(
        problems.contains("y: the index says a.safetensors"),
        "{problems}"
    );
    assert!(
        problems.contains("total_size is 32, the tensors hold 16"),
        "{problems}"
    );
    assert!(!out.status.success());
}

#[test]
fn audit_bad_inputs_are_one_line_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.safetensors");
    std::fs::write(&bad, b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}      ").unwrap();
    fails_with(
        &["audit", bad.to_str().unwrap()],
        "not a valid safetensors file",
    );
    fails_with(
        &["audit", tmp.path().to_str().unwrap()],
        "no model.safetensors.index.json",
    );
    fails_with(&["audit", "/no/such/file.safetensors"], "cannot read");
}

#[test]
fn materialize_unknown_recipe_and_bad_shard_size_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("config.json");
    std::fs::write(&cfg, "{}").unwrap();
    let out = tmp.path().join("ckpt");
    let (c, o) = (cfg.to_str().unwrap(), out.to_str().unwrap());
    fails_with(
        &[
            "materialize",
            "--config",
            c,
            "--recipe",
            "no-such-recipe",
            "--out",
            o,
        ],
        "unknown recipe 'no-such-recipe'",
    );
    fails_with(
        &[
            "materialize",
            "--config",
            c,
            "--recipe",
            "llama",
            "--out",
            o,
            "--max-shard-size",
            "5XB",
        ],
        "--max-shard-size '5XB'",
    );
    fails_with(
        &[
            "materialize",
            "--config",
            "/no/such/config.json",
            "--recipe",
            "llama",
            "--out",
            o,
        ],
        "cannot read --config",
    );
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
}

#[test]
fn materialize_bad_config_is_a_one_line_error_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("ckpt");
    let cfg = tmp.path().join("config.json");
    for (text, needle) in [
        ("{not json", "config.json"),
        (
            r#"{"model_type": "llama", "hidden_size": "big"}"#,
            "hidden_size",
        ),
    ] {
        std::fs::write(&cfg, text).unwrap();
        fails_with(
            &[
                "materialize",
                "--config",
                cfg.to_str().unwrap(),
                "--recipe",
                "llama",
                "--out",
                out.to_str().unwrap(),
            ],
            needle,
        );
        assert_eq!(
            std::fs::read_dir(tmp.path()).unwrap().count(),
            1,
            "only config.json"
        );
    }
}

/// A small Llama config (2 layers, hidden 64).
const SMALL_LLAMA: &str = r#"{
  "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64,
  "intermediate_size": 176, "num_attention_heads": 4, "num_key_value_heads": 2,
  "num_hidden_layers": 2, "vocab_size": 500, "max_position_embeddings": 128,
  "rms_norm_eps": 1e-05, "initializer_range": 0.02, "tie_word_embeddings": false,
  "hidden_act": "silu", "rope_theta": 10000.0
}"#;

#[test]
fn materialize_then_audit_a_small_llama_passes_and_values_equal_fill() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("config.json");
    std::fs::write(&cfg, SMALL_LLAMA).unwrap();
    let out = tmp.path().join("ckpt");
    let (c, o) = (cfg.to_str().unwrap(), out.to_str().unwrap());
    let st = nninit()
        .args([
            "materialize",
            "--config",
            c,
            "--recipe",
            "llama",
            "--seed",
            "5",
            "--dtype",
            "bf16",
            "--out",
            o,
            "--max-shard-size",
            "40KB",
        ])
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let index: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("model.safetensors.index.json")).unwrap(),
    )
    .unwrap();
    let map = index["weight_map"].as_object().unwrap();
    assert!(map.contains_key("model.layers.1.mlp.down_proj.weight"));
    let mut total = 0u64;
    let files: std::collections::BTreeSet<&str> =
        map.values().map(|v| v.as_str().unwrap()).collect();
    for f in &files {
        let bytes = std::fs::read(out.join(f)).unwrap();
        let s = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        let data: u64 = s.tensors().iter().map(|(_, v)| v.data().len() as u64).sum();
        assert!(data <= 40_000 || s.len() == 1);
        total += data;
        // the q_proj of layer 0 equals `nninit fill --rng philox --seed 5 --name ...`
        if let Ok(q) = s.tensor("model.layers.0.self_attn.q_proj.weight") {
            let fill = tmp.path().join("q.safetensors");
            let r = nninit()
                .args([
                    "fill",
                    "--init",
                    "normal:0.02",
                    "--shape",
                    "64,64",
                    "--rng",
                    "philox",
                    "--seed",
                    "5",
                ])
                .args([
                    "--name",
                    "model.layers.0.self_attn.q_proj.weight",
                    "--dtype",
                    "bf16",
                    "--out",
                    fill.to_str().unwrap(),
                ])
                .output()
                .unwrap();
            assert!(r.status.success());
            let fb = std::fs::read(&fill).unwrap();
            let fs = safetensors::SafeTensors::deserialize(&fb).unwrap();
            assert_eq!(q.data(), fs.tensor("weight").unwrap().data());
        }
    }
    assert_eq!(index["metadata"]["total_size"].as_u64().unwrap(), total);
    let a = nninit()
        .args(["audit", o, "--recipe", "llama", "--config", c])
        .output()
        .unwrap();
    assert!(
        a.status.success(),
        "{}{}",
        String::from_utf8_lossy(&a.stdout),
        String::from_utf8_lossy(&a.stderr)
    );
    // an existing non-empty directory is refused
    fails_with(
        &[
            "materialize",
            "--config",
            c,
            "--recipe",
            "llama",
            "--out",
            o,
        ],
        "not empty",
    );
}

#[test]
fn an_interrupted_materialize_leaves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("config.json");
    // ~1.6 GB of f32: long enough to be interrupted mid-write
    let big = SMALL_LLAMA
        .replace("\"hidden_size\": 64", "\"hidden_size\": 2048")
        .replace("\"intermediate_size\": 176", "\"intermediate_size\": 5632")
        .replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 8");
    std::fs::write(&cfg, big).unwrap();
    let out = tmp.path().join("ckpt");
    let bin = assert_cmd::cargo::cargo_bin("nninit");
    let mut child = std::process::Command::new(bin)
        .args([
            "materialize",
            "--config",
            cfg.to_str().unwrap(),
            "--recipe",
            "llama",
            "--out",
            out.to_str().unwrap(),
        ])
        .spawn()
        .unwrap();
    // wait for the temporary directory to appear and hold some data
    let t0 = std::time::Instant::now();
    loop {
        let tmpdir = std::fs::read_dir(tmp.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .find(|e| e.file_name().to_string_lossy().starts_with(".nninit-"));
        if let Some(d) = tmpdir {
            if std::fs::read_dir(d.path()).map(|r| r.count()).unwrap_or(0) > 1 {
                break;
            }
        }
        assert!(
            t0.elapsed().as_secs() < 60,
            "no temporary directory appeared"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let pid = child.id().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let status = child.wait().unwrap();
    assert!(!status.success());
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        left,
        vec![std::ffi::OsString::from("config.json")],
        "left behind: {left:?}"
    );
}
