//! Each recipe against its source's rules, tensor by tensor, on small configs; parameter counts
//! of real models; tied weights once; bad configs; the counter-based fill's statistics.
//!
//! The expected schemes below are written from the sources (file and line in each test), not
//! from the recipe table, so a wrong rule, a wrong order of rules or a wrong expression fails.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure

use nninit::{Init, Par, Philox, Shape, Stream};
use nninit_recipes::{plan, ModelConfig, Recipe, RecipeError, TensorPlan};

fn config(file: &str) -> ModelConfig {
    let path = format!(
        "{}/../../testdata/configs/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    ModelConfig::from_path(std::path::Path::new(&path)).unwrap()
}

fn plan_of(file: &str, recipe: &str) -> Vec<TensorPlan> {
    plan(&config(file), Recipe::by_name(recipe).unwrap()).unwrap()
}

/// Checks every tensor of `p` against `expect(name, layer)`.
fn check_all(p: &[TensorPlan], expect: impl Fn(&str, Option<usize>) -> Init) {
    for t in p {
        assert_eq!(
            t.init,
            expect(&t.name, t.layer),
            "{} (rule {})",
            t.name,
            t.rule
        );
    }
}

fn n(std: f64) -> Init {
    Init::normal(0.0, std)
}
fn t3(std: f64) -> Init {
    Init::trunc_normal(0.0, std, -3.0 * std, 3.0 * std)
}

// tiny-gpt2: n_layer 3, n_embd 16, n_inner null (64), vocab 50, n_positions 12, tied.
#[test]
fn gpt2_matches_modeling_gpt2() {
    let p = plan_of("tiny-gpt2.json", "gpt2");
    // modeling_gpt2.py:432-449: Linear/Conv1D/Embedding N(0, 0.02); LayerNorm 1/0;
    // c_proj.weight N(0, 0.02/sqrt(2*n_layer))
    check_all(&p, |name, _| {
        if name.ends_with("c_proj.weight") {
            n(0.02 / 6f64.sqrt())
        } else if name.ends_with(".bias") {
            Init::Zeros
        } else if name.contains(".ln_") || name.starts_with("transformer.ln_f") {
            Init::Ones
        } else {
            n(0.02)
        }
    });
    // Conv1D (in, out) shapes, 12 tensors per block, tied lm_head listed once
    let shape = |name: &str| p.iter().find(|t| t.name == name).map(|t| t.shape.clone());
    assert_eq!(
        shape("transformer.h.0.attn.c_attn.weight"),
        Some(vec![16, 48])
    );
    assert_eq!(shape("transformer.h.2.mlp.c_fc.weight"), Some(vec![16, 64]));
    assert_eq!(
        shape("transformer.h.2.mlp.c_proj.weight"),
        Some(vec![64, 16])
    );
    assert_eq!(shape("transformer.wpe.weight"), Some(vec![12, 16]));
    assert_eq!(p.len(), 2 + 3 * 12 + 2);
    assert_eq!(shape("lm_head.weight"), None);
    assert_eq!(p[0].tied, ["lm_head.weight"]);
}

#[test]
fn nanogpt_matches_model_py() {
    let p = plan_of("tiny-gpt2.json", "nanogpt");
    // model.py:143-145 (literal 0.02), 162-168; LayerNorm torch.ones/zeros (22-23)
    check_all(&p, |name, _| {
        if name.ends_with("c_proj.weight") {
            n(0.02 / 6f64.sqrt())
        } else if name.ends_with(".bias") {
            Init::Zeros
        } else if name.contains(".ln_") {
            Init::Ones
        } else {
            n(0.02)
        }
    });
    let shape = |name: &str| p.iter().find(|t| t.name == name).map(|t| t.shape.clone());
    // nn.Linear: (out, in)
    assert_eq!(
        shape("transformer.h.0.attn.c_attn.weight"),
        Some(vec![48, 16])
    );
    assert_eq!(
        shape("transformer.h.0.mlp.c_proj.weight"),
        Some(vec![16, 64])
    );
    assert_eq!(p[0].tied, ["lm_head.weight"]);
    // bias=False: no biases at all, LayerNorm weights only
    let nb = plan_of("tiny-nanogpt-nobias.json", "nanogpt");
    assert!(nb.iter().all(|t| !t.name.ends_with(".bias")));
    assert_eq!(nb.len(), 2 + 2 * 6 + 1);
    // nanoGPT ignores initializer_range: the literal 0.02 stays
    let c = ModelConfig::from_json(
        r#"{"model_type": "gpt2", "n_layer": 2, "n_head": 2, "n_embd": 8, "vocab_size": 16, "n_positions": 4, "initializer_range": 0.5}"#,
    )
    .unwrap();
    let p = plan(&c, Recipe::by_name("nanogpt").unwrap()).unwrap();
    assert_eq!(p[0].init, n(0.02));
}

// tiny-llama: 4 layers, hidden 32, intermediate 88, 4 heads / 2 kv (head_dim 8), vocab 64, pad 3.
#[test]
fn llama_is_the_generic_hf_init() {
    let p = plan_of("tiny-llama.json", "llama");
    // modeling_utils.py:2306-2355: Linear & Embedding N(0, initializer_range), norms 1
    check_all(&p, |name, _| {
        if name.ends_with("norm.weight") {
            Init::Ones
        } else {
            n(0.02)
        }
    });
    let emb = &p[0];
    assert_eq!(
        (emb.name.as_str(), emb.padding_row),
        ("model.embed_tokens.weight", Some(3))
    );
    assert!(p[1..].iter().all(|t| t.padding_row.is_none()));
    let shape = |name: &str| p.iter().find(|t| t.name == name).map(|t| t.shape.clone());
    assert_eq!(
        shape("model.layers.0.self_attn.q_proj.weight"),
        Some(vec![32, 32])
    );
    assert_eq!(
        shape("model.layers.0.self_attn.k_proj.weight"),
        Some(vec![16, 32])
    );
    assert_eq!(
        shape("model.layers.3.mlp.down_proj.weight"),
        Some(vec![32, 88])
    );
    assert_eq!(shape("lm_head.weight"), Some(vec![64, 32]));
    assert_eq!(p.len(), 1 + 4 * 9 + 2);
}

#[test]
fn torchtitan_llama3_matches_its_param_init() {
    let p = plan_of("tiny-llama.json", "torchtitan-llama3");
    // models/llama3/__init__.py:45-67, param_init.py:28-30
    check_all(&p, |name, layer| {
        let tn = |std: f64| Init::trunc_normal(0.0, std, -2.0, 2.0);
        let depth = || tn(0.02 / (2.0 * (layer.unwrap() as f64 + 1.0)).sqrt());
        if name.ends_with("norm.weight") {
            Init::Ones
        } else if name == "tok_embeddings.weight" {
            n(1.0)
        } else if name == "lm_head.weight" {
            t3(32f64.powf(-0.5))
        } else if name.ends_with("attention.wo.weight")
            || name.ends_with("w2.weight")
            || name.ends_with("w3.weight")
        {
            depth()
        } else {
            tn(0.02)
        }
    });
    let wo3 = p
        .iter()
        .find(|t| t.name == "layers.3.attention.wo.weight")
        .unwrap();
    assert_eq!(
        wo3.init,
        Init::trunc_normal(0.0, 0.02 / 8f64.sqrt(), -2.0, 2.0)
    );
    assert!(p
        .iter()
        .any(|t| t.name == "layers.0.attention.qkv_linear.wk.weight" && t.shape == [16, 32]));
    // tied: tok_embeddings takes lm_head's init (torchtitan skips the embedding's own)
    let mut c = config("tiny-llama.json");
    c.tie_word_embeddings = true;
    let p = plan(&c, Recipe::by_name("torchtitan-llama3").unwrap()).unwrap();
    assert_eq!(
        (p[0].tied.as_slice(), &p[0].init),
        (&["lm_head.weight".to_string()][..], &t3(32f64.powf(-0.5)))
    );
    assert!(p.iter().all(|t| t.name != "lm_head.weight"));
}

#[test]
fn olmo_mitchell_matches_olmo_model_py() {
    let p = plan_of("tiny-llama.json", "olmo-mitchell");
    // olmo/model.py:493-496, 716-718, 1183-1185, 1221-1223; cutoff 3
    check_all(&p, |name, layer| {
        let i = layer.map(|l| l as f64 + 1.0);
        if name.ends_with("norm.weight") {
            Init::Ones
        } else if name.ends_with("o_proj.weight") {
            t3(1.0 / (2.0 * 32.0 * i.unwrap()).sqrt())
        } else if name.ends_with("down_proj.weight") {
            t3(1.0 / (2.0 * 88.0 * i.unwrap()).sqrt())
        } else {
            t3(1.0 / 32f64.sqrt())
        }
    });
    assert!(
        p.iter().all(|t| t.padding_row.is_none()),
        "OLMo does not zero a padding row"
    );
}

#[test]
fn olmo_full_megatron_matches_olmo_model_py() {
    let p = plan_of("tiny-llama.json", "olmo-full-megatron");
    check_all(&p, |name, _| {
        if name.ends_with("norm.weight") {
            Init::Ones
        } else if name.ends_with("o_proj.weight") || name.ends_with("down_proj.weight") {
            t3(0.02 / 8f64.sqrt())
        } else if name == "lm_head.weight" {
            t3(1.0 / 32f64.sqrt())
        } else {
            t3(0.02)
        }
    });
}

#[test]
fn olmo_core_llama_matches_init_py() {
    let p = plan_of("tiny-llama.json", "olmo-core-llama");
    // init.py:30-41 (±3σ), 88-89, 107-123, 143-175; attention/__init__.py:750-771
    check_all(&p, |name, _| {
        if name.ends_with("norm.weight") {
            Init::Ones
        } else if name == "embeddings.weight" {
            n(1.0)
        } else if name == "lm_head.w_out.weight" {
            t3(32f64.powf(-0.5))
        } else if name.ends_with("attention.w_out.weight")
            || name.ends_with("w2.weight")
            || name.ends_with("w3.weight")
        {
            t3(0.02 / 8f64.sqrt())
        } else {
            t3(0.02)
        }
    });
    let names: Vec<&str> = p.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        &names[..6],
        [
            "embeddings.weight",
            "blocks.0.attention.w_q.weight",
            "blocks.0.attention.w_k.weight",
            "blocks.0.attention.w_v.weight",
            "blocks.0.attention.w_out.weight",
            "blocks.0.attention_norm.weight",
        ]
    );
    assert_eq!(
        &names[names.len() - 2..],
        ["lm_head.norm.weight", "lm_head.w_out.weight"]
    );
}

#[test]
fn megatron_scales_output_layers_on_every_family() {
    // megatron/core/utils.py:862-871: N(0, σ), output layers σ/sqrt(2L), biases 0
    let out = |name: &str| {
        [
            "c_proj.weight",
            "o_proj.weight",
            "down_proj.weight",
            "output.dense.weight",
        ]
        .iter()
        .any(|s| name.ends_with(s))
    };
    for (file, layers) in [
        ("tiny-gpt2.json", 3.0f64),
        ("tiny-llama.json", 4.0),
        ("tiny-bert.json", 2.0),
    ] {
        let p = plan_of(file, "megatron");
        check_all(&p, |name, _| {
            if name.ends_with(".bias") {
                Init::Zeros
            } else if name.ends_with("norm.weight")
                || name.contains(".ln_")
                || name.starts_with("transformer.ln_f")
                || name.ends_with("LayerNorm.weight")
            {
                Init::Ones
            } else if out(name) && !name.contains("predictions") {
                n(0.02 / (2.0 * layers).sqrt())
            } else {
                n(0.02)
            }
        });
    }
}

#[test]
fn bert_matches_modeling_bert() {
    let p = plan_of("tiny-bert.json", "bert");
    check_all(&p, |name, _| {
        if name.ends_with("LayerNorm.weight") {
            Init::Ones
        } else if name.ends_with(".bias") {
            Init::Zeros
        } else {
            n(0.02)
        }
    });
    let names: Vec<&str> = p.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names[0], "bert.embeddings.word_embeddings.weight");
    assert_eq!(p[0].padding_row, Some(0));
    assert_eq!(p[0].tied, ["cls.predictions.decoder.weight"]);
    let bias = p.iter().find(|t| t.name == "cls.predictions.bias").unwrap();
    assert_eq!(
        (bias.tied.as_slice(), bias.shape.as_slice()),
        (&["cls.predictions.decoder.bias".to_string()][..], &[40][..])
    );
    assert!(
        !names.iter().any(|n| n.contains("pooler")),
        "BertForMaskedLM has no pooler"
    );
    assert!(p.iter().any(
        |t| t.name == "bert.encoder.layer.1.intermediate.dense.weight" && t.shape == [40, 16]
    ));
}

#[test]
fn mup_scales_hidden_matrices_by_the_width_multiplier() {
    let c = config("tiny-llama.json"); // d_model 32
    let r = Recipe::by_name("mup").unwrap();
    for (base, zero) in [(8.0, 1.0), (32.0, 0.0)] {
        let p = plan(
            &c.clone()
                .with_param("base_width", base)
                .with_param("readout_zero_init", zero),
            r,
        )
        .unwrap();
        // mup/init.py:22-29: ninf == 2 -> std * width_mult^-1/2; ninf == 1 unscaled;
        // mup/layer.py:19-23 readout_zero_init
        check_all(&p, |name, _| {
            if name.ends_with("norm.weight") {
                Init::Ones
            } else if name == "lm_head.weight" {
                if zero == 1.0 {
                    Init::Zeros
                } else {
                    n(0.02)
                }
            } else if name.ends_with("embed_tokens.weight") {
                n(0.02)
            } else {
                n(0.02 * (32.0 / base).powf(-0.5))
            }
        });
    }
    // default base_width 256 on GPT-2: width_mult 16/256
    let p = plan_of("tiny-gpt2.json", "mup");
    let c_fc = p
        .iter()
        .find(|t| t.name.ends_with("h.0.mlp.c_fc.weight"))
        .unwrap();
    assert_eq!(c_fc.init, n(0.02 * (16.0f64 / 256.0).powf(-0.5)));
    // unknown recipe parameter
    let e = plan(&c.clone().with_param("base_wdith", 8.0), r)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("unknown parameter 'base_wdith'") && e.contains("base_width"),
        "{e}"
    );
    let e = plan(
        &c.with_param("base_width", 8.0),
        Recipe::by_name("gpt2").unwrap(),
    );
    assert!(e.is_err());
}

#[test]
fn real_models_have_their_published_parameter_counts() {
    let count = |file: &str, recipe: &str| {
        plan_of(file, recipe)
            .iter()
            .map(|t| t.numel())
            .sum::<usize>()
    };
    // TinyLlama-1.1B: 1,100,048,384; Llama-3-8B: 8,030,261,248 (each model card / HF num_parameters())
    assert_eq!(count("tinyllama-1.1b.json", "llama"), 1_100_048_384);
    assert_eq!(count("llama-3-8b.json", "llama"), 8_030_261_248);
    assert_eq!(count("llama-3-8b.json", "torchtitan-llama3"), 8_030_261_248);
    assert_eq!(count("llama-3-8b.json", "olmo-core-llama"), 8_030_261_248);
    // GPT-2 small (124,439,808 with the tied head) and bert-base-uncased's BertModel
    // (109,482,240 with the pooler), built from their published config fields
    let gpt2 = ModelConfig::from_json(r#"{"model_type": "gpt2", "n_layer": 12, "n_head": 12, "n_embd": 768, "n_positions": 1024, "vocab_size": 50257}"#).unwrap();
    let p = plan(&gpt2, Recipe::by_name("gpt2").unwrap()).unwrap();
    assert_eq!(p.iter().map(|t| t.numel()).sum::<usize>(), 124_439_808);
    let bert = ModelConfig::from_json(r#"{"model_type": "bert", "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072, "vocab_size": 30522, "max_position_embeddings": 512, "type_vocab_size": 2}"#).unwrap();
    let p = plan(&bert, Recipe::by_name("bert").unwrap()).unwrap();
    assert_eq!(p.iter().map(|t| t.numel()).sum::<usize>(), 109_482_240);
    // dtype from torch_dtype
    assert!(plan_of("tinyllama-1.1b.json", "llama")
        .iter()
        .all(|t| t.dtype == nninit::DType::BF16));
}

#[test]
fn tied_weights_are_listed_once() {
    for (file, recipe) in [
        ("tiny-gpt2.json", "gpt2"),
        ("tiny-gpt2.json", "nanogpt"),
        ("tiny-bert.json", "bert"),
        ("tiny-llama.json", "llama"),
    ] {
        let p = plan_of(file, recipe);
        let mut all: Vec<&str> = p.iter().map(|t| t.name.as_str()).collect();
        all.extend(p.iter().flat_map(|t| t.tied.iter().map(|s| s.as_str())));
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n, "{file} {recipe}: a name appears twice");
    }
    let mut c = config("tiny-gpt2.json");
    c.tie_word_embeddings = false;
    let p = plan(&c, Recipe::by_name("gpt2").unwrap()).unwrap();
    assert!(
        p[0].tied.is_empty()
            && p.iter()
                .any(|t| t.name == "lm_head.weight" && t.shape == [50, 16])
    );
}

#[test]
fn bad_configs_are_one_line_errors_naming_the_field() {
    let err = |text: &str| ModelConfig::from_json(text).unwrap_err().to_string();
    let cases = [
        (
            r#"{"model_type": "llama", "hidden_size": 8}"#,
            "field 'num_attention_heads': missing (expected a non-negative integer)",
        ),
        (
            r#"{"model_type": "llama", "hidden_size": 8.5}"#,
            "field 'hidden_size': expected a non-negative integer, got the number 8.5",
        ),
        (
            r#"{"model_type": "gpt2", "n_layer": 2, "n_head": 3, "n_embd": 8, "vocab_size": 4, "n_positions": 4}"#,
            "field 'n_head': 3 heads do not divide the width 8",
        ),
        (
            r#"{"model_type": "t5"}"#,
            "field 'model_type': 't5' is not supported (supported: gpt2, llama, bert)",
        ),
        (r#"{"n_layer": 2}"#, "field 'model_type': missing"),
        (
            r#"[1, 2]"#,
            "config.json: expected a JSON object, got an array",
        ),
        (r#"{"model_type": "gpt2",}"#, "config.json: not valid JSON"),
        (
            r#"{"model_type": "bert", "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 8, "vocab_size": 4, "max_position_embeddings": 4, "tie_word_embeddings": "yes"}"#,
            "field 'tie_word_embeddings': expected true or false, got the string \"yes\"",
        ),
        (
            r#"{"model_type": "llama", "architectures": ["LlamaForSequenceClassification"], "hidden_size": 8}"#,
            "field 'architectures': 'LlamaForSequenceClassification' is not supported",
        ),
    ];
    for (text, want) in cases {
        let e = err(text);
        assert!(e.contains(want), "{text}\n  got: {e}\n  want: {want}");
        assert!(!e.contains('\n'), "{e}");
    }
    // a family the recipe does not cover
    let e = plan(
        &config("tiny-bert.json"),
        Recipe::by_name("torchtitan-llama3").unwrap(),
    )
    .unwrap_err();
    assert!(matches!(e, RecipeError::Plan { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("covers llama configs, not model_type bert"),
        "{e}"
    );
}

#[test]
fn fill_philox_is_the_fill_name_stream_and_shards_agree() {
    let p = plan_of("tiny-llama.json", "llama");
    for t in p.iter().take(6) {
        let mut a = vec![0f32; t.numel()];
        t.fill_philox(9, &mut a, Par::threads(2)).unwrap();
        // `nninit fill --rng philox --seed 9 --name NAME`: Philox::select_tensor(name) + Init::fill
        let mut b = vec![0f32; t.numel()];
        let mut s = Philox::new(9);
        s.select_tensor(&t.name);
        t.init
            .fill(
                &mut b,
                &Shape::new(&t.shape).unwrap(),
                nninit::Layout::Torch,
                &mut s,
            )
            .unwrap();
        if let Some(row) = t.padding_row {
            let w = t.shape[1];
            b[row * w..(row + 1) * w].fill(0.0);
        }
        assert_eq!(a, b, "{}", t.name);
        // pieces of the tensor equal the whole's slices, padding row included
        let n = t.numel();
        for r in [0..n / 3, n / 3..n / 2 + 5, n / 2 + 5..n] {
            let mut part = vec![0f32; r.len()];
            t.fill_philox_range(9, r.clone(), &mut part, Par::Seq)
                .unwrap();
            assert_eq!(part[..], a[r], "{}", t.name);
        }
    }
}

/// Mean and variance of f32 values, in f64.
fn moments(x: &[f32]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().map(|&v| v as f64).sum::<f64>() / n;
    (
        m,
        x.iter().map(|&v| (v as f64 - m).powi(2)).sum::<f64>() / n,
    )
}

#[test]
fn philox_fills_follow_each_law_family() {
    // One big tensor per law family, z = 6 bands: the sample variance of n draws has std
    // sigma^2 * sqrt((kurtosis - 1)/n) <= sigma^2 * sqrt(2/n) for normal (kurtosis 3) and for
    // normals truncated at +-3 sigma (kurtosis < 3); the mean has std sigma/sqrt(n).
    let c = config("llama-3-8b.json");
    let pick = |recipe: &str, name: &str| {
        plan(&c, Recipe::by_name(recipe).unwrap())
            .unwrap()
            .into_iter()
            .find(|t| t.name == name)
            .unwrap()
    };
    let cases = [
        pick("llama", "model.layers.0.self_attn.k_proj.weight"), // normal 0.02, 4.2M
        pick("olmo-mitchell", "model.layers.5.mlp.down_proj.weight"), // trunc ±3σ
        pick(
            "torchtitan-llama3",
            "layers.1.attention.qkv_linear.wk.weight",
        ), // trunc ±2 absolute
        pick("llama", "model.layers.0.input_layernorm.weight"),  // ones
    ];
    for t in &cases {
        let mut w = vec![0f32; t.numel()];
        t.fill_philox(2026, &mut w, Par::threads(2)).unwrap();
        let (mean, var) = moments(&w);
        let want = t.variance().unwrap();
        let nn = w.len() as f64;
        match t.init {
            Init::Ones => assert!(w.iter().all(|&x| x == 1.0)),
            Init::TruncNormal { a, b, .. } => {
                assert!(
                    w.iter().all(|&x| (a as f32..=b as f32).contains(&x)),
                    "{}",
                    t.name
                );
                assert!(
                    (var - want).abs() < 6.0 * want * (2.0 / nn).sqrt(),
                    "{}: {var} vs {want}",
                    t.name
                );
                assert!(
                    mean.abs() < 6.0 * (want / nn).sqrt(),
                    "{}: mean {mean}",
                    t.name
                );
            }
            _ => {
                assert!(
                    (var - want).abs() < 6.0 * want * (2.0 / nn).sqrt(),
                    "{}: {var} vs {want}",
                    t.name
                );
                assert!(
                    mean.abs() < 6.0 * (want / nn).sqrt(),
                    "{}: mean {mean}",
                    t.name
                );
            }
        }
    }
    // the ±3σ truncation shows: the variance is 0.9733 σ² (not σ²) and the plan says so
    let t = &cases[1];
    let Init::TruncNormal { std, .. } = t.init else {
        panic!()
    };
    assert!((t.variance().unwrap() / (std * std) - 0.973_333).abs() < 1e-4);
    // padding row zero on a padded embedding
    let emb = plan_of("tiny-llama.json", "llama").remove(0);
    let mut w = vec![1f32; emb.numel()];
    emb.fill_philox(1, &mut w, Par::Seq).unwrap();
    assert!(w[3 * 32..4 * 32].iter().all(|&x| x == 0.0));
    assert!(w[..3 * 32].iter().all(|&x| x != 0.0));
}
