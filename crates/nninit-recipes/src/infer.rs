//! A config inferred from a module's parameter names and shapes, for callers that have a model
//! but no `config.json` (Python's `init_module(model, "gpt2", seed=...)`).
//!
//! Reads only what the recipes' expressions use: `n_layer` (the number of distinct block
//! indices), `d_model` and `vocab_size` (the token embedding's shape), `d_ff` (the first MLP
//! input projection), learned positions and BERT's token types (their embeddings), and whether
//! nanoGPT has biases. `initializer_range` is HF's default 0.02 and head counts are 1 (no
//! recipe uses them): pass a real config when those matter.

use crate::error::RecipeError;
use crate::model::{layer_of, Naming};
use serde_json::{json, Value};
use std::collections::BTreeSet;

fn find<'a>(params: &'a [(String, Vec<usize>)], suffix: &str) -> Option<&'a [usize]> {
    params
        .iter()
        .find(|(n, _)| n.ends_with(suffix))
        .map(|(_, s)| s.as_slice())
}

fn dim(shape: Option<&[usize]>, i: usize, what: &str) -> Result<usize, RecipeError> {
    shape.and_then(|s| s.get(i).copied()).ok_or_else(|| {
        RecipeError::Config(format!(
            "cannot infer the config from the model: no parameter named like '*{what}' (pass config=)"
        ))
    })
}

/// An HF-style `config.json` object for the model whose parameters are `params` (names in
/// `naming`), parseable by [`crate::ModelConfig::from_value`].
///
/// # Errors
/// [`RecipeError::Config`] naming the parameter it needed and did not find.
pub fn infer_config(naming: Naming, params: &[(String, Vec<usize>)]) -> Result<Value, RecipeError> {
    let layers: BTreeSet<usize> = params.iter().filter_map(|(n, _)| layer_of(n)).collect();
    let n_layer = layers.len().max(1);
    let has = |s: &str| params.iter().any(|(n, _)| n.contains(s));
    let cfg = match naming {
        Naming::NanoGpt => {
            let wte = find(params, "wte.weight");
            json!({
                "model_type": "gpt2", "n_layer": n_layer, "n_head": 1,
                "n_embd": dim(wte, 1, "wte.weight")?, "vocab_size": dim(wte, 0, "wte.weight")?,
                "n_positions": dim(find(params, "wpe.weight"), 0, "wpe.weight")?,
                "bias": params.iter().any(|(n, _)| n.ends_with(".bias")),
            })
        }
        Naming::Hf if has("c_attn") => {
            let wte = find(params, "wte.weight");
            json!({
                "model_type": "gpt2", "n_layer": n_layer, "n_head": 1,
                "n_embd": dim(wte, 1, "wte.weight")?, "vocab_size": dim(wte, 0, "wte.weight")?,
                "n_positions": dim(find(params, "wpe.weight"), 0, "wpe.weight")?,
                // Conv1D: (in, out)
                "n_inner": dim(find(params, "mlp.c_fc.weight"), 1, "mlp.c_fc.weight")?,
            })
        }
        Naming::Hf if has("word_embeddings") => {
            let we = find(params, "word_embeddings.weight");
            json!({
                "model_type": "bert", "num_hidden_layers": n_layer, "num_attention_heads": 1,
                "hidden_size": dim(we, 1, "word_embeddings.weight")?,
                "vocab_size": dim(we, 0, "word_embeddings.weight")?,
                "intermediate_size": dim(find(params, "intermediate.dense.weight"), 0, "intermediate.dense.weight")?,
                "max_position_embeddings": dim(find(params, "position_embeddings.weight"), 0, "position_embeddings.weight")?,
                "type_vocab_size": dim(find(params, "token_type_embeddings.weight"), 0, "token_type_embeddings.weight")?,
            })
        }
        Naming::Hf | Naming::Torchtitan | Naming::OlmoCore => {
            let (emb, ff) = match naming {
                Naming::Torchtitan => ("tok_embeddings.weight", "feed_forward.w1.weight"),
                Naming::OlmoCore => ("embeddings.weight", "feed_forward.w1.weight"),
                _ => ("embed_tokens.weight", "mlp.gate_proj.weight"),
            };
            let e = find(params, emb);
            json!({
                "model_type": "llama", "num_hidden_layers": n_layer, "num_attention_heads": 1,
                "hidden_size": dim(e, 1, emb)?, "vocab_size": dim(e, 0, emb)?,
                "intermediate_size": dim(find(params, ff), 0, ff)?,
            })
        }
    };
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parameters, ModelConfig};

    #[test]
    fn inferred_config_gives_the_same_dimensions() {
        for (file, naming) in [
            ("tiny-gpt2.json", Naming::Hf),
            ("tiny-gpt2.json", Naming::NanoGpt),
            ("tiny-llama.json", Naming::Hf),
            ("tiny-llama.json", Naming::Torchtitan),
            ("tiny-llama.json", Naming::OlmoCore),
            ("tiny-bert.json", Naming::Hf),
        ] {
            let text = std::fs::read_to_string(format!(
                "{}/../../testdata/configs/{file}",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap();
            let c = ModelConfig::from_json(&text).unwrap();
            let Ok(ps) = parameters(&c, naming) else {
                continue;
            };
            let named: Vec<(String, Vec<usize>)> =
                ps.into_iter().map(|p| (p.name, p.shape)).collect();
            let inferred = ModelConfig::from_value(infer_config(naming, &named).unwrap()).unwrap();
            assert_eq!(
                (
                    inferred.n_layer,
                    inferred.d_model,
                    inferred.d_ff,
                    inferred.vocab_size
                ),
                (c.n_layer, c.d_model, c.d_ff, c.vocab_size),
                "{file} {naming:?}"
            );
        }
    }
}
