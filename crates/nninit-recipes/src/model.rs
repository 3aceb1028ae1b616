//! Every parameter of a configured model: state-dict name, shape, layer index, tied names.
//!
//! Names and shapes follow the modeling code of each naming ([`Naming`]); shapes are as
//! PyTorch stores them. HF GPT-2 uses `Conv1D`, whose weight is `(in, out)`; every other
//! linear weight here (`nn.Linear`) is `(out, in)`.
//!
//! | naming | family | mirrors |
//! |---|---|---|
//! | [`Naming::Hf`] | GPT-2, Llama, BERT | transformers `models/gpt2/modeling_gpt2.py` (GPT2LMHeadModel, GPT2Model), `models/llama/modeling_llama.py` (LlamaForCausalLM, LlamaModel), `models/bert/modeling_bert.py` (BertForMaskedLM, BertForPreTraining, BertModel) |
//! | [`Naming::NanoGpt`] | GPT-2 | karpathy/nanoGPT `model.py` (GPT, 3adf61e) |
//! | [`Naming::Torchtitan`] | Llama | pytorch/torchtitan `torchtitan/models/common/decoder.py`, `attention.py` (`qkv_linear.wq/wk/wv` as saved by the fused-QKV state-dict hook), `feed_forward.py` (Aug 2026; older releases named `attention.wq` and `output`) |
//! | [`Naming::OlmoCore`] | Llama | allenai/OLMo-core `nn/transformer/model.py`, `block.py` (TransformerBlock), `nn/attention/__init__.py`, `nn/lm_head.py` (Jun 2026) |
//!
//! Tied weights are listed once, under the name `named_parameters()` yields first (the token
//! embedding), with the others in [`Param::tied`].

use crate::config::{Family, Head, ModelConfig};
use crate::error::RecipeError;

/// Whose state-dict names to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Naming {
    /// Hugging Face transformers.
    Hf,
    /// nanoGPT's `GPT`.
    NanoGpt,
    /// torchtitan's Llama 3.
    Torchtitan,
    /// OLMo-core's `Transformer`.
    OlmoCore,
}

impl Naming {
    /// Short name.
    pub fn name(self) -> &'static str {
        match self {
            Naming::Hf => "hf",
            Naming::NanoGpt => "nanogpt",
            Naming::Torchtitan => "torchtitan",
            Naming::OlmoCore => "olmo-core",
        }
    }
}

/// One parameter of the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    /// State-dict name.
    pub name: String,
    /// Shape as PyTorch stores it.
    pub shape: Vec<usize>,
    /// Index of the transformer block it belongs to.
    pub layer: Option<usize>,
    /// Other names of the same tensor (tied weights).
    pub tied: Vec<String>,
    /// The embedding row `nn.Embedding(padding_idx=...)` marks (HF token embeddings with a
    /// `pad_token_id`).
    pub padding_idx: Option<usize>,
}

/// The layer index of a parameter name: its first path component that is a number
/// (`transformer.h.3.attn.c_proj.weight` -> 3), as HF, nanoGPT, torchtitan and OLMo-core
/// number their blocks.
pub fn layer_of(name: &str) -> Option<usize> {
    name.split('.').find_map(|c| c.parse::<usize>().ok())
}

struct List(Vec<Param>);

impl List {
    fn push(&mut self, name: String, shape: &[usize], layer: Option<usize>) {
        self.0.push(Param {
            name,
            shape: shape.to_vec(),
            layer,
            tied: vec![],
            padding_idx: None,
        });
    }
    fn linear(&mut self, prefix: String, out: usize, inp: usize, bias: bool, layer: Option<usize>) {
        self.push(format!("{prefix}.weight"), &[out, inp], layer);
        if bias {
            self.push(format!("{prefix}.bias"), &[out], layer);
        }
    }
    fn norm(&mut self, prefix: String, d: usize, bias: bool, layer: Option<usize>) {
        self.push(format!("{prefix}.weight"), &[d], layer);
        if bias {
            self.push(format!("{prefix}.bias"), &[d], layer);
        }
    }
    /// Ties `name` to `to` (already listed): drops nothing, records the alias.
    fn tie(&mut self, to: &str, name: String) {
        if let Some(p) = self.0.iter_mut().find(|p| p.name == to) {
            p.tied.push(name);
        }
    }
}

fn unsupported(naming: Naming, config: &ModelConfig, why: &str) -> RecipeError {
    RecipeError::Plan {
        recipe: naming.name().into(),
        problem: format!(
            "{} names do not describe a {} config{why}",
            naming.name(),
            config.family.name()
        ),
    }
}

/// A Llama block's tensors in `naming`, in module order: `(suffix, out, in)`, `in == 0` for a
/// norm weight of size `out`. `q`, `kv`: query and key/value widths (heads × head_dim).
fn llama_block(
    naming: Naming,
    q: usize,
    kv: usize,
    d: usize,
    f: usize,
) -> [(&'static str, usize, usize); 9] {
    match naming {
        // torchtitan: Llama3TransformerBlock (attention, feed_forward, attention_norm, ffn_norm)
        Naming::Torchtitan => [
            ("attention.qkv_linear.wq", q, d),
            ("attention.qkv_linear.wk", kv, d),
            ("attention.qkv_linear.wv", kv, d),
            ("attention.wo", d, q),
            ("feed_forward.w1", f, d),
            ("feed_forward.w2", d, f),
            ("feed_forward.w3", f, d),
            ("attention_norm", d, 0),
            ("ffn_norm", d, 0),
        ],
        // OLMo-core: TransformerBlock (attention, attention_norm, feed_forward, feed_forward_norm)
        Naming::OlmoCore => [
            ("attention.w_q", q, d),
            ("attention.w_k", kv, d),
            ("attention.w_v", kv, d),
            ("attention.w_out", d, q),
            ("attention_norm", d, 0),
            ("feed_forward.w1", f, d),
            ("feed_forward.w2", d, f),
            ("feed_forward.w3", f, d),
            ("feed_forward_norm", d, 0),
        ],
        // HF: LlamaDecoderLayer (self_attn, mlp, input_layernorm, post_attention_layernorm)
        _ => [
            ("self_attn.q_proj", q, d),
            ("self_attn.k_proj", kv, d),
            ("self_attn.v_proj", kv, d),
            ("self_attn.o_proj", d, q),
            ("mlp.gate_proj", f, d),
            ("mlp.up_proj", f, d),
            ("mlp.down_proj", d, f),
            ("input_layernorm", d, 0),
            ("post_attention_layernorm", d, 0),
        ],
    }
}

/// Every parameter of `config`'s model in `naming`'s state-dict names, in `named_parameters()`
/// order, tied weights once.
///
/// # Errors
/// [`RecipeError::Plan`] when the naming does not cover the family (nanoGPT: GPT-2 only;
/// torchtitan and OLMo-core: Llama only, without biases) or the config asks for something that
/// code base cannot build (nanoGPT with `n_inner` other than 4·`n_embd`).
pub fn parameters(config: &ModelConfig, naming: Naming) -> Result<Vec<Param>, RecipeError> {
    let c = config;
    let (d, f, v) = (c.d_model, c.d_ff, c.vocab_size);
    let q = c.n_head * c.head_dim;
    let kv = c.n_kv_head * c.head_dim;
    let mut l = List(Vec::new());
    match (c.family, naming) {
        (Family::Gpt2, Naming::Hf) => {
            let p = if c.head == Head::None {
                ""
            } else {
                "transformer."
            };
            l.push(format!("{p}wte.weight"), &[v, d], None);
            l.push(format!("{p}wpe.weight"), &[c.max_positions, d], None);
            for i in 0..c.n_layer {
                let b = format!("{p}h.{i}");
                let li = Some(i);
                l.norm(format!("{b}.ln_1"), d, true, li);
                // Conv1D: weight (in, out)
                l.push(format!("{b}.attn.c_attn.weight"), &[d, 3 * d], li);
                l.push(format!("{b}.attn.c_attn.bias"), &[3 * d], li);
                l.push(format!("{b}.attn.c_proj.weight"), &[d, d], li);
                l.push(format!("{b}.attn.c_proj.bias"), &[d], li);
                l.norm(format!("{b}.ln_2"), d, true, li);
                l.push(format!("{b}.mlp.c_fc.weight"), &[d, f], li);
                l.push(format!("{b}.mlp.c_fc.bias"), &[f], li);
                l.push(format!("{b}.mlp.c_proj.weight"), &[f, d], li);
                l.push(format!("{b}.mlp.c_proj.bias"), &[d], li);
            }
            l.norm(format!("{p}ln_f"), d, true, None);
            if c.head != Head::None {
                if c.tie_word_embeddings {
                    l.tie("transformer.wte.weight", "lm_head.weight".into());
                } else {
                    l.push("lm_head.weight".into(), &[v, d], None);
                }
            }
        }
        (Family::Gpt2, Naming::NanoGpt) => {
            if f != 4 * d {
                return Err(unsupported(
                    naming,
                    c,
                    &format!(" with n_inner {f}: nanoGPT's MLP is 4·n_embd = {}", 4 * d),
                ));
            }
            let bias = c.attention_bias;
            l.push("transformer.wte.weight".into(), &[v, d], None);
            l.push("transformer.wpe.weight".into(), &[c.max_positions, d], None);
            for i in 0..c.n_layer {
                let b = format!("transformer.h.{i}");
                let li = Some(i);
                l.norm(format!("{b}.ln_1"), d, bias, li);
                l.linear(format!("{b}.attn.c_attn"), 3 * d, d, bias, li);
                l.linear(format!("{b}.attn.c_proj"), d, d, bias, li);
                l.norm(format!("{b}.ln_2"), d, bias, li);
                l.linear(format!("{b}.mlp.c_fc"), 4 * d, d, bias, li);
                l.linear(format!("{b}.mlp.c_proj"), d, 4 * d, bias, li);
            }
            l.norm("transformer.ln_f".into(), d, bias, None);
            // nanoGPT always ties: `self.transformer.wte.weight = self.lm_head.weight`
            l.tie("transformer.wte.weight", "lm_head.weight".into());
        }
        (Family::Llama, Naming::Hf | Naming::Torchtitan | Naming::OlmoCore) => {
            if naming != Naming::Hf && (c.attention_bias || c.mlp_bias) {
                return Err(unsupported(
                    naming,
                    c,
                    " with attention_bias or mlp_bias (its Llama has no biases)",
                ));
            }
            let base = if c.head == Head::None || naming != Naming::Hf {
                ""
            } else {
                "model."
            };
            // (embedding, block prefix, final norm, head) in this naming
            let (emb, blocks, norm, head) = match naming {
                Naming::Torchtitan => ("tok_embeddings.weight", "layers", "norm", "lm_head.weight"),
                Naming::OlmoCore => (
                    "embeddings.weight",
                    "blocks",
                    "lm_head.norm",
                    "lm_head.w_out.weight",
                ),
                _ => ("embed_tokens.weight", "layers", "norm", "lm_head.weight"),
            };
            let emb = format!("{base}{emb}");
            l.push(emb.clone(), &[v, d], None);
            if naming == Naming::Hf {
                l.0[0].padding_idx = c.pad_token_id;
            }
            for i in 0..c.n_layer {
                for (suffix, out, inp) in llama_block(naming, q, kv, d, f) {
                    let name = format!("{base}{blocks}.{i}.{suffix}");
                    let bias = (suffix.starts_with("self_attn") && c.attention_bias)
                        || (suffix.starts_with("mlp") && c.mlp_bias);
                    if inp == 0 {
                        l.norm(name, d, false, Some(i));
                    } else {
                        l.linear(name, out, inp, bias, Some(i));
                    }
                }
            }
            l.norm(format!("{base}{norm}"), d, false, None);
            if c.head != Head::None || naming != Naming::Hf {
                if c.tie_word_embeddings {
                    l.tie(&emb, head.into());
                } else {
                    l.push(head.into(), &[v, d], None);
                }
            }
        }
        (Family::Bert, Naming::Hf) => {
            let p = if c.head == Head::None { "" } else { "bert." };
            l.push(
                format!("{p}embeddings.word_embeddings.weight"),
                &[v, d],
                None,
            );
            l.0[0].padding_idx = c.pad_token_id;
            l.push(
                format!("{p}embeddings.position_embeddings.weight"),
                &[c.max_positions, d],
                None,
            );
            l.push(
                format!("{p}embeddings.token_type_embeddings.weight"),
                &[c.type_vocab_size, d],
                None,
            );
            l.norm(format!("{p}embeddings.LayerNorm"), d, true, None);
            for i in 0..c.n_layer {
                let b = format!("{p}encoder.layer.{i}");
                let li = Some(i);
                l.linear(format!("{b}.attention.self.query"), d, d, true, li);
                l.linear(format!("{b}.attention.self.key"), d, d, true, li);
                l.linear(format!("{b}.attention.self.value"), d, d, true, li);
                l.linear(format!("{b}.attention.output.dense"), d, d, true, li);
                l.norm(format!("{b}.attention.output.LayerNorm"), d, true, li);
                l.linear(format!("{b}.intermediate.dense"), f, d, true, li);
                l.linear(format!("{b}.output.dense"), d, f, true, li);
                l.norm(format!("{b}.output.LayerNorm"), d, true, li);
            }
            if c.head != Head::Lm {
                l.linear(format!("{p}pooler.dense"), d, d, true, None);
            }
            if c.head != Head::None {
                // BertLMPredictionHead: its own `bias` first, then transform, then decoder
                // (decoder.bias is the same Parameter as `bias`).
                l.push("cls.predictions.bias".into(), &[v], None);
                l.tie(
                    "cls.predictions.bias",
                    "cls.predictions.decoder.bias".into(),
                );
                l.linear("cls.predictions.transform.dense".into(), d, d, true, None);
                l.norm("cls.predictions.transform.LayerNorm".into(), d, true, None);
                if c.tie_word_embeddings {
                    l.tie(
                        "bert.embeddings.word_embeddings.weight",
                        "cls.predictions.decoder.weight".into(),
                    );
                } else {
                    l.push("cls.predictions.decoder.weight".into(), &[v, d], None);
                }
                if c.head == Head::PreTraining {
                    l.linear("cls.seq_relationship".into(), 2, d, true, None);
                }
            }
        }
        _ => return Err(unsupported(naming, c, "")),
    }
    Ok(l.0)
}
