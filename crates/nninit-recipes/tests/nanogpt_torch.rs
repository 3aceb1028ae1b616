//! nanoGPT torch mode, bit for bit against PyTorch: `torch.manual_seed(S); GPT(GPTConfig(...))`
//! hashed per parameter by scripts/make_nanogpt_golden.py (two configs: bias on and off).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure

use nninit_recipes::{nanogpt_torch_each, nanogpt_torch_tensors, ModelConfig, RecipeError};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn dir() -> String {
    format!("{}/../../testdata/nanogpt", env!("CARGO_MANIFEST_DIR"))
}

fn sha256_f32(v: &[f32]) -> String {
    let mut h = Sha256::new();
    for x in v {
        h.update(x.to_le_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn nanogpt_torch_mode_equals_pytorch() {
    let golden: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{}/nanogpt_golden.json", dir())).unwrap(),
    )
    .unwrap();
    let cases = golden["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 2);
    for case in cases {
        let file = case["config_json"].as_str().unwrap();
        let config =
            ModelConfig::from_json(&std::fs::read_to_string(format!("{}/{file}", dir())).unwrap())
                .unwrap();
        let seed = case["seed"].as_u64().unwrap();
        let got = nanogpt_torch_tensors(&config, seed).unwrap();
        let want = case["tensors"].as_array().unwrap();
        assert_eq!(got.len(), want.len(), "{file}: tensor count");
        for ((plan, values), w) in got.iter().zip(want) {
            assert_eq!(
                plan.name,
                w["name"].as_str().unwrap(),
                "{file}: named_parameters() order"
            );
            let shape: Vec<usize> = w["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap() as usize)
                .collect();
            assert_eq!(plan.shape, shape, "{file}: {}", plan.name);
            let first: Vec<f32> = w["first"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap() as f32)
                .collect();
            assert_eq!(
                &values[..first.len()],
                &first[..],
                "{file}: {} first values",
                plan.name
            );
            assert_eq!(
                sha256_f32(values),
                w["sha256"].as_str().unwrap(),
                "{file}: {}",
                plan.name
            );
        }
    }
}

#[test]
fn streaming_gives_the_same_tensors_and_stops_on_error() {
    let config = ModelConfig::from_json(
        &std::fs::read_to_string(format!("{}/nanogpt-bias.json", dir())).unwrap(),
    )
    .unwrap();
    let all = nanogpt_torch_tensors(&config, 5).unwrap();
    let mut seen = 0;
    nanogpt_torch_each::<RecipeError>(&config, 5, |t, v| {
        let (_, want) = all.iter().find(|(p, _)| p.name == t.name).unwrap();
        assert_eq!(v, &want[..], "{}", t.name);
        seen += 1;
        Ok(())
    })
    .unwrap();
    assert_eq!(seen, all.len());
    // an error from the callback stops the run and comes back
    let mut calls = 0;
    let r = nanogpt_torch_each::<RecipeError>(&config, 5, |_, _| {
        calls += 1;
        Err(RecipeError::Config("disk full".into()))
    });
    assert_eq!(
        (calls, r.unwrap_err().to_string()),
        (1, "config.json: disk full".to_string())
    );
    // a Llama config is not nanoGPT
    let llama = ModelConfig::from_json(
        &std::fs::read_to_string(format!(
            "{}/../../testdata/configs/tiny-llama.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
    .unwrap();
    assert!(nanogpt_torch_tensors(&llama, 0).is_err());
}
