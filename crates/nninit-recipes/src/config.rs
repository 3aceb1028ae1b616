//! Model configurations read from a Hugging Face `config.json` (GPT-2, Llama and BERT families).
//!
//! # Fields read (`model_type` picks the family)
//! | family (`model_type`) | required | optional (default, as the HF config class) |
//! |---|---|---|
//! | `gpt2` | `n_layer`, `n_head`, `n_embd`, `vocab_size`, `n_positions` (or nanoGPT's `block_size`) | `n_inner` (null: 4·n_embd), `initializer_range` (0.02), `tie_word_embeddings` (true), `bias` (nanoGPT's GPTConfig; true) |
//! | `llama` | `hidden_size`, `intermediate_size`, `num_hidden_layers`, `num_attention_heads`, `vocab_size` | `num_key_value_heads` (= heads), `head_dim` (hidden/heads), `max_position_embeddings` (2048), `initializer_range` (0.02), `tie_word_embeddings` (false), `attention_bias` (false), `mlp_bias` (false), `pad_token_id` (none) |
//! | `bert` | `hidden_size`, `num_hidden_layers`, `num_attention_heads`, `intermediate_size`, `vocab_size`, `max_position_embeddings` | `type_vocab_size` (2), `initializer_range` (0.02), `pad_token_id` (0), `tie_word_embeddings` (true) |
//!
//! All families: `architectures` (the first entry picks the head: `GPT2LMHeadModel` /
//! `GPT2Model`, `LlamaForCausalLM` / `LlamaModel`, `BertForMaskedLM` / `BertForPreTraining` /
//! `BertModel`; absent: the LM-head model for GPT-2 and Llama, `BertModel` for BERT) and
//! `torch_dtype` or `dtype` (`float32`, `bfloat16`, `float16`, `float64`; default float32).
//! Every other field is kept in [`ModelConfig::raw`] and ignored. A missing required field
//! or a field of the wrong type is [`RecipeError::ConfigField`], one line naming the field and
//! the type expected.
//!
//! ```
//! let c = nninit_recipes::ModelConfig::from_json(
//!     r#"{"model_type": "gpt2", "n_layer": 2, "n_head": 2, "n_embd": 8,
//!         "vocab_size": 16, "n_positions": 4}"#)?;
//! assert_eq!((c.n_layer, c.d_model, c.d_ff), (2, 8, 32));
//! let e = nninit_recipes::ModelConfig::from_json(
//!     r#"{"model_type": "gpt2", "n_layer": "2", "n_head": 2, "n_embd": 8}"#);
//! assert_eq!(e.unwrap_err().to_string(),
//!     "config.json: field 'n_layer': expected a non-negative integer, got the string \"2\"");
//! # Ok::<(), nninit_recipes::RecipeError>(())
//! ```

use crate::error::RecipeError;
use nninit::DType;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The architecture a config describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// GPT-2 (`model_type: gpt2`; also nanoGPT's GPTConfig fields).
    Gpt2,
    /// Llama (`model_type: llama`).
    Llama,
    /// BERT (`model_type: bert`).
    Bert,
}

impl Family {
    /// The `model_type` string.
    pub fn name(self) -> &'static str {
        match self {
            Family::Gpt2 => "gpt2",
            Family::Llama => "llama",
            Family::Bert => "bert",
        }
    }
}

/// Which output head (and state-dict prefix) the config's `architectures` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Head {
    /// The base model only (`GPT2Model`, `LlamaModel`, `BertModel`): no prefix, no LM head.
    None,
    /// The causal-LM / masked-LM head (`GPT2LMHeadModel`, `LlamaForCausalLM`,
    /// `BertForMaskedLM`).
    Lm,
    /// `BertForPreTraining`: masked-LM head, pooler and next-sentence head.
    PreTraining,
}

/// The fields of a `config.json` the recipes and parameter lists use, in one vocabulary for
/// every family (`n_layer`, `d_model`, `d_ff`, ...: the names recipe expressions use).
#[derive(Clone, Debug, PartialEq)]
pub struct ModelConfig {
    /// The family (`model_type`).
    pub family: Family,
    /// The config file's own JSON, kept so `materialize` can write it back unchanged.
    pub raw: serde_json::Value,
    /// Transformer blocks (`n_layer`, `num_hidden_layers`).
    pub n_layer: usize,
    /// Model width (`n_embd`, `hidden_size`).
    pub d_model: usize,
    /// Attention heads (`n_head`, `num_attention_heads`).
    pub n_head: usize,
    /// Key/value heads (`num_key_value_heads`; = `n_head` for GPT-2 and BERT).
    pub n_kv_head: usize,
    /// Per-head width (`head_dim`, else `d_model / n_head`).
    pub head_dim: usize,
    /// Feed-forward width (`n_inner` or 4·`n_embd`; `intermediate_size`).
    pub d_ff: usize,
    /// Vocabulary (`vocab_size`).
    pub vocab_size: usize,
    /// Learned positions (`n_positions`/`block_size`, BERT's `max_position_embeddings`);
    /// Llama's `max_position_embeddings` (RoPE: no parameter).
    pub max_positions: usize,
    /// BERT's `type_vocab_size` (0 for the others).
    pub type_vocab_size: usize,
    /// `initializer_range` (std of the HF recipes).
    pub initializer_range: f64,
    /// `tie_word_embeddings`: the LM head shares the token embedding.
    pub tie_word_embeddings: bool,
    /// Biases in attention projections (GPT-2 / BERT: always; nanoGPT: `bias`; Llama:
    /// `attention_bias`).
    pub attention_bias: bool,
    /// Biases in the MLP (GPT-2 / BERT: always; nanoGPT: `bias`; Llama: `mlp_bias`).
    pub mlp_bias: bool,
    /// LayerNorm biases (GPT-2 / BERT: always; nanoGPT: `bias`; Llama: RMSNorm, none).
    pub norm_bias: bool,
    /// `pad_token_id`: the token embedding row HF zeroes (`nn.Embedding(padding_idx=...)`).
    pub pad_token_id: Option<usize>,
    /// Which head `architectures` asks for.
    pub head: Head,
    /// `torch_dtype` / `dtype`.
    pub dtype: DType,
    /// Recipe parameters set by the caller (e.g. muP's `base_width`), checked by `plan`.
    pub params: BTreeMap<String, f64>,
}

fn type_name(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {s:?}"),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

fn field_err(field: &str, expected: &str, got: Option<&Value>) -> RecipeError {
    RecipeError::ConfigField {
        field: field.into(),
        problem: match got {
            None => format!("missing (expected {expected})"),
            Some(v) => format!("expected {expected}, got {}", type_name(v)),
        },
    }
}

struct Fields<'a>(&'a Map<String, Value>);

impl Fields<'_> {
    fn present(&self, k: &str) -> Option<&Value> {
        self.0.get(k).filter(|v| !v.is_null())
    }

    fn usize_opt(&self, k: &str) -> Result<Option<usize>, RecipeError> {
        match self.present(k) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| field_err(k, "a non-negative integer", Some(v))),
        }
    }

    fn usize(&self, k: &str) -> Result<usize, RecipeError> {
        self.usize_opt(k)?
            .ok_or_else(|| field_err(k, "a non-negative integer", self.0.get(k)))
    }

    fn positive(&self, k: &str) -> Result<usize, RecipeError> {
        match self.usize(k)? {
            0 => Err(RecipeError::ConfigField {
                field: k.into(),
                problem: "must be at least 1, got 0".into(),
            }),
            n => Ok(n),
        }
    }

    fn f64_or(&self, k: &str, default: f64) -> Result<f64, RecipeError> {
        match self.present(k) {
            None => Ok(default),
            Some(v) => v
                .as_f64()
                .filter(|x| x.is_finite() && *x >= 0.0)
                .ok_or_else(|| field_err(k, "a non-negative number", Some(v))),
        }
    }

    fn bool_or(&self, k: &str, default: bool) -> Result<bool, RecipeError> {
        match self.present(k) {
            None => Ok(default),
            Some(v) => v
                .as_bool()
                .ok_or_else(|| field_err(k, "true or false", Some(v))),
        }
    }

    fn str_opt(&self, k: &str) -> Result<Option<&str>, RecipeError> {
        match self.present(k) {
            None => Ok(None),
            Some(v) => v
                .as_str()
                .map(Some)
                .ok_or_else(|| field_err(k, "a string", Some(v))),
        }
    }

    /// The first entry of `architectures`, if any.
    fn architecture(&self) -> Result<Option<&str>, RecipeError> {
        match self.present("architectures") {
            None => Ok(None),
            Some(Value::Array(a)) => match a.first() {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s)),
                Some(v) => Err(field_err("architectures", "a list of strings", Some(v))),
            },
            Some(v) => Err(field_err("architectures", "a list of strings", Some(v))),
        }
    }
}

fn head_of(arch: Option<&str>, family: Family) -> Result<Head, RecipeError> {
    let known: &[(&str, Head)] = match family {
        Family::Gpt2 => &[("GPT2LMHeadModel", Head::Lm), ("GPT2Model", Head::None)],
        Family::Llama => &[("LlamaForCausalLM", Head::Lm), ("LlamaModel", Head::None)],
        Family::Bert => &[
            ("BertForMaskedLM", Head::Lm),
            ("BertForPreTraining", Head::PreTraining),
            ("BertModel", Head::None),
        ],
    };
    match arch {
        None => Ok(if family == Family::Bert {
            Head::None
        } else {
            Head::Lm
        }),
        Some(a) => known
            .iter()
            .find(|(n, _)| *n == a)
            .map(|(_, h)| *h)
            .ok_or_else(|| RecipeError::ConfigField {
                field: "architectures".into(),
                problem: format!(
                    "'{a}' is not supported for model_type {} (supported: {})",
                    family.name(),
                    known.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                ),
            }),
    }
}

fn per_head(d_model: usize, n_head: usize, field: &str) -> Result<usize, RecipeError> {
    if !d_model.is_multiple_of(n_head) {
        return Err(RecipeError::ConfigField {
            field: field.into(),
            problem: format!("{n_head} heads do not divide the width {d_model}"),
        });
    }
    Ok(d_model / n_head)
}

impl ModelConfig {
    /// Parses a `config.json` text (fields: see the module docs).
    ///
    /// # Errors
    /// [`RecipeError::Config`] for text that is not a JSON object;
    /// [`RecipeError::ConfigField`] naming a missing or wrongly typed field, an unsupported
    /// `model_type` or `architectures` entry, or heads that do not divide the width.
    pub fn from_json(text: &str) -> Result<ModelConfig, RecipeError> {
        let raw: Value = serde_json::from_str(text)
            .map_err(|e| RecipeError::Config(format!("not valid JSON: {e}")))?;
        Self::from_value(raw)
    }

    /// [`ModelConfig::from_json`] on parsed JSON.
    ///
    /// # Errors
    /// As [`ModelConfig::from_json`].
    pub fn from_value(raw: Value) -> Result<ModelConfig, RecipeError> {
        let Some(obj) = raw.as_object() else {
            return Err(RecipeError::Config(format!(
                "expected a JSON object, got {}",
                type_name(&raw)
            )));
        };
        let f = Fields(obj);
        let family = match f.str_opt("model_type")? {
            Some("gpt2") => Family::Gpt2,
            Some("llama") => Family::Llama,
            Some("bert") => Family::Bert,
            Some(other) => {
                return Err(RecipeError::ConfigField {
                    field: "model_type".into(),
                    problem: format!("'{other}' is not supported (supported: gpt2, llama, bert)"),
                })
            }
            None => {
                return Err(field_err(
                    "model_type",
                    "\"gpt2\", \"llama\" or \"bert\"",
                    obj.get("model_type"),
                ))
            }
        };
        let head = head_of(f.architecture()?, family)?;
        let dtype = match f.str_opt("torch_dtype")?.or(f.str_opt("dtype")?) {
            None => DType::F32,
            Some(s) => s.parse::<DType>().map_err(|_| RecipeError::ConfigField {
                field: "torch_dtype".into(),
                problem: format!("expected float32, bfloat16, float16 or float64, got {s:?}"),
            })?,
        };
        let initializer_range = f.f64_or("initializer_range", 0.02)?;
        let cfg = match family {
            Family::Gpt2 => {
                let n_layer = f.positive("n_layer")?;
                let d_model = f.positive("n_embd")?;
                let n_head = f.positive("n_head")?;
                let max_positions = match f.usize_opt("n_positions")? {
                    Some(n) => n,
                    None => f.usize_opt("block_size")?.ok_or_else(|| {
                        field_err(
                            "n_positions",
                            "a non-negative integer",
                            obj.get("n_positions"),
                        )
                    })?,
                };
                let bias = f.bool_or("bias", true)?;
                ModelConfig {
                    family,
                    n_layer,
                    d_model,
                    n_head,
                    n_kv_head: n_head,
                    head_dim: per_head(d_model, n_head, "n_head")?,
                    d_ff: f.usize_opt("n_inner")?.unwrap_or(4 * d_model),
                    vocab_size: f.positive("vocab_size")?,
                    max_positions,
                    type_vocab_size: 0,
                    initializer_range,
                    tie_word_embeddings: f.bool_or("tie_word_embeddings", true)?,
                    attention_bias: bias,
                    mlp_bias: bias,
                    norm_bias: bias,
                    pad_token_id: None,
                    head,
                    dtype,
                    params: BTreeMap::new(),
                    raw: Value::Null,
                }
            }
            Family::Llama => {
                let d_model = f.positive("hidden_size")?;
                let n_head = f.positive("num_attention_heads")?;
                let n_kv_head = f.usize_opt("num_key_value_heads")?.unwrap_or(n_head);
                if n_kv_head == 0 || !n_head.is_multiple_of(n_kv_head) {
                    return Err(RecipeError::ConfigField {
                        field: "num_key_value_heads".into(),
                        problem: format!("{n_kv_head} must divide num_attention_heads {n_head}"),
                    });
                }
                let head_dim = match f.usize_opt("head_dim")? {
                    Some(h) => h,
                    None => per_head(d_model, n_head, "num_attention_heads")?,
                };
                ModelConfig {
                    family,
                    n_layer: f.positive("num_hidden_layers")?,
                    d_model,
                    n_head,
                    n_kv_head,
                    head_dim,
                    d_ff: f.positive("intermediate_size")?,
                    vocab_size: f.positive("vocab_size")?,
                    max_positions: f.usize_opt("max_position_embeddings")?.unwrap_or(2048),
                    type_vocab_size: 0,
                    initializer_range,
                    tie_word_embeddings: f.bool_or("tie_word_embeddings", false)?,
                    attention_bias: f.bool_or("attention_bias", false)?,
                    mlp_bias: f.bool_or("mlp_bias", false)?,
                    norm_bias: false,
                    pad_token_id: f.usize_opt("pad_token_id")?,
                    head,
                    dtype,
                    params: BTreeMap::new(),
                    raw: Value::Null,
                }
            }
            Family::Bert => {
                let d_model = f.positive("hidden_size")?;
                let n_head = f.positive("num_attention_heads")?;
                ModelConfig {
                    family,
                    n_layer: f.positive("num_hidden_layers")?,
                    d_model,
                    n_head,
                    n_kv_head: n_head,
                    head_dim: per_head(d_model, n_head, "num_attention_heads")?,
                    d_ff: f.positive("intermediate_size")?,
                    vocab_size: f.positive("vocab_size")?,
                    max_positions: f.usize("max_position_embeddings")?,
                    type_vocab_size: f.usize_opt("type_vocab_size")?.unwrap_or(2),
                    initializer_range,
                    tie_word_embeddings: f.bool_or("tie_word_embeddings", true)?,
                    attention_bias: true,
                    mlp_bias: true,
                    norm_bias: true,
                    pad_token_id: Some(f.usize_opt("pad_token_id")?.unwrap_or(0)),
                    head,
                    dtype,
                    params: BTreeMap::new(),
                    raw: Value::Null,
                }
            }
        };
        if let Some(p) = cfg.pad_token_id {
            if p >= cfg.vocab_size {
                return Err(RecipeError::ConfigField {
                    field: "pad_token_id".into(),
                    problem: format!("{p} is not below vocab_size {}", cfg.vocab_size),
                });
            }
        }
        Ok(ModelConfig { raw, ..cfg })
    }

    /// Reads and parses a `config.json` file.
    ///
    /// # Errors
    /// [`RecipeError::Config`] naming the path when it cannot be read; then as
    /// [`ModelConfig::from_json`].
    pub fn from_path(path: &std::path::Path) -> Result<ModelConfig, RecipeError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| RecipeError::Config(format!("cannot read {}: {e}", path.display())))?;
        Self::from_json(&text)
    }

    /// Sets a recipe parameter (e.g. muP's `base_width`); `plan` checks that the recipe has it.
    pub fn with_param(mut self, name: &str, value: f64) -> ModelConfig {
        self.params.insert(name.into(), value);
        self
    }

    /// The value of a config quantity by the name recipe expressions use: `n_layer`,
    /// `d_model`, `n_head`, `n_kv_head`, `head_dim`, `d_ff`, `vocab_size`, `max_positions`,
    /// `initializer_range`.
    pub fn var(&self, name: &str) -> Option<f64> {
        Some(match name {
            "n_layer" => self.n_layer as f64,
            "d_model" => self.d_model as f64,
            "n_head" => self.n_head as f64,
            "n_kv_head" => self.n_kv_head as f64,
            "head_dim" => self.head_dim as f64,
            "d_ff" => self.d_ff as f64,
            "vocab_size" => self.vocab_size as f64,
            "max_positions" => self.max_positions as f64,
            "initializer_range" => self.initializer_range,
            _ => return None,
        })
    }

    /// Names [`ModelConfig::var`] knows.
    pub const VARS: &'static [&'static str] = &[
        "n_layer",
        "d_model",
        "n_head",
        "n_kv_head",
        "head_dim",
        "d_ff",
        "vocab_size",
        "max_positions",
        "initializer_range",
    ];
}
