//! Named recipes: each an ordered list of rules (parameter-name pattern, condition, law), with
//! the source each rule mirrors.
//!
//! A rule's `pattern` is a glob on the state-dict name (`*` any run of characters, dots
//! included; `?` one character; `[abc]` one of a set), like Python's `fnmatch.fnmatchcase`.
//! The first rule whose pattern matches and whose `when` condition holds decides the tensor; a
//! tensor no rule matches is an error. Std, bounds and conditions are expressions
//! ([`crate::expr`]) over:
//! - the config: `n_layer`, `d_model`, `n_head`, `n_kv_head`, `head_dim`, `d_ff`,
//!   `vocab_size`, `max_positions`, `initializer_range` ([`ModelConfig::var`]);
//! - `layer`: the tensor's block index, from 0 (only for tensors inside a block);
//! - the recipe's parameters ([`Recipe::params`]; e.g. muP's `base_width`);
//! - in bounds only, `std`: the rule's resolved std.
//!
//! A new recipe is one entry of [`RECIPES`].
//!
//! [`ModelConfig::var`]: crate::ModelConfig::var

use crate::config::Family;
use crate::error::RecipeError;
use crate::model::Naming;

/// The law of a rule; numbers are expressions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Law {
    /// `N(0, std²)` (`torch.nn.init.normal_`).
    Normal {
        /// Std expression.
        std: &'static str,
    },
    /// `N(0, std²)` conditioned on `[a, b]` (`torch.nn.init.trunc_normal_`; bounds absolute).
    TruncNormal {
        /// Std expression (of the parent normal).
        std: &'static str,
        /// Lower bound expression (may use `std`).
        a: &'static str,
        /// Upper bound expression (may use `std`).
        b: &'static str,
    },
    /// Every element 0.
    Zeros,
    /// Every element 1.
    Ones,
}

impl std::fmt::Display for Law {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Law::Normal { std } => write!(f, "normal(0, {std})"),
            Law::TruncNormal { std, a, b } => write!(f, "trunc_normal(0, {std}, [{a}, {b}])"),
            Law::Zeros => write!(f, "zeros"),
            Law::Ones => write!(f, "ones"),
        }
    }
}

/// One rule: the tensors it covers, when, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Glob on the state-dict name.
    pub pattern: &'static str,
    /// Condition (an expression; non-zero is true), e.g. `layer < 2` or `readout_zero_init`.
    pub when: Option<&'static str>,
    /// The law.
    pub law: Law,
    /// Zero the embedding's padding row afterwards (HF `nn.Embedding(padding_idx=...)`).
    pub zero_padding_row: bool,
    /// What it mirrors: file and lines.
    pub source: &'static str,
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.pattern)?;
        if let Some(w) = self.when {
            write!(f, " if {w}")?;
        }
        write!(f, ": {}", self.law)?;
        if self.zero_padding_row {
            write!(f, ", padding row 0")?;
        }
        write!(f, " [{}]", self.source)
    }
}

const fn rule(pattern: &'static str, law: Law, source: &'static str) -> Rule {
    Rule {
        pattern,
        when: None,
        law,
        zero_padding_row: false,
        source,
    }
}
const fn normal(pattern: &'static str, std: &'static str, source: &'static str) -> Rule {
    rule(pattern, Law::Normal { std }, source)
}
/// `trunc_normal_` cut at ±3σ (OLMo, OLMo-core, torchtitan's output layer).
const fn trunc3(pattern: &'static str, std: &'static str, source: &'static str) -> Rule {
    rule(
        pattern,
        Law::TruncNormal {
            std,
            a: "-3*std",
            b: "3*std",
        },
        source,
    )
}
/// `trunc_normal_` with PyTorch's default absolute bounds ±2 (torchtitan).
const fn trunc_abs2(pattern: &'static str, std: &'static str, source: &'static str) -> Rule {
    rule(
        pattern,
        Law::TruncNormal {
            std,
            a: "-2",
            b: "2",
        },
        source,
    )
}
const fn zeros(pattern: &'static str, source: &'static str) -> Rule {
    rule(pattern, Law::Zeros, source)
}
const fn ones(pattern: &'static str, source: &'static str) -> Rule {
    rule(pattern, Law::Ones, source)
}
const fn padded(r: Rule) -> Rule {
    Rule {
        zero_padding_row: true,
        ..r
    }
}
const fn when(cond: &'static str, r: Rule) -> Rule {
    Rule {
        when: Some(cond),
        ..r
    }
}

/// Which name of a tied group picks the rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TiedRule {
    /// The first name (the token embedding): HF initialises a tied weight once, as the
    /// embedding.
    First,
    /// The last name (the output head): nanoGPT's `apply` reaches `lm_head` last; torchtitan
    /// skips the tied embedding and initialises `lm_head`.
    Last,
}

/// A recipe parameter with its default.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RecipeParam {
    /// Name (usable in expressions).
    pub name: &'static str,
    /// Default value.
    pub default: f64,
    /// What it means.
    pub doc: &'static str,
}

/// One named recipe (e.g. `gpt2`, `torchtitan-llama3`).
#[derive(Debug)]
pub struct Recipe {
    /// Name as `nninit recipe list` prints it.
    pub name: &'static str,
    /// What it mirrors: repository, file and line.
    pub source: &'static str,
    /// One line: what it does.
    pub summary: &'static str,
    /// Families it applies to.
    pub families: &'static [Family],
    /// Whose state-dict names its patterns use.
    pub naming: Naming,
    /// Which name of a tied group picks the rule.
    pub tied: TiedRule,
    /// Parameters with defaults (set with `ModelConfig::with_param`).
    pub params: &'static [RecipeParam],
    /// Ordered rules: the first match wins.
    pub rules: &'static [Rule],
    /// What is left out or differs, if anything.
    pub notes: &'static str,
}

const HF_GENERIC: &str = "transformers modeling_utils.py:2306-2355 PreTrainedModel._init_weights";
const GPT2_SRC: &str = "transformers models/gpt2/modeling_gpt2.py:432-449";
const OLMO: &str = "OLMo olmo/model.py (LayerNorm.reset_parameters)";
const OC: &str = "OLMo-core nn/transformer/init.py:30-41,160 (init_linear, w1), nn/attention/__init__.py:750-751";
const MEG: &str = "Megatron-LM megatron/core/utils.py:862-871";
const MUP: &str = "mup mup/init.py:22-29,46-58";

/// Every recipe, in `nninit recipe list` order.
pub static RECIPES: &[Recipe] = &[
    Recipe {
        name: "gpt2",
        source: "huggingface/transformers src/transformers/models/gpt2/modeling_gpt2.py:432-449 (GPT2PreTrainedModel._init_weights; transformers 5.25)",
        summary: "HF GPT-2: N(0, initializer_range²) everywhere, residual projections attn.c_proj/mlp.c_proj at initializer_range/sqrt(2·n_layer), biases 0, LayerNorm 1; wte tied to lm_head",
        families: &[Family::Gpt2],
        naming: Naming::Hf,
        tied: TiedRule::First,
        params: &[],
        rules: &[
            normal("*.c_proj.weight", "initializer_range/sqrt(2*n_layer)", GPT2_SRC),
            ones("*ln_*.weight", HF_GENERIC),
            zeros("*.bias", HF_GENERIC),
            normal("*", "initializer_range", GPT2_SRC),
        ],
        notes: "",
    },
    Recipe {
        name: "nanogpt",
        source: "karpathy/nanoGPT model.py:138-168 (GPT.__init__ weight tying, apply(_init_weights), c_proj loop; commit 3adf61e)",
        summary: "nanoGPT: N(0, 0.02²) for Linear and Embedding, c_proj.weight at 0.02/sqrt(2·n_layer), biases 0, LayerNorm 1 (nanoGPT's own names and (out, in) Linear weights); wte tied to lm_head",
        families: &[Family::Gpt2],
        naming: Naming::NanoGpt,
        tied: TiedRule::Last,
        params: &[],
        rules: &[
            normal("*c_proj.weight", "0.02/sqrt(2*n_layer)", "nanoGPT model.py:143-145"),
            ones("*ln_*.weight", "nanoGPT model.py:22 (LayerNorm: torch.ones)"),
            zeros("*.bias", "nanoGPT model.py:23,165-166"),
            normal("*", "0.02", "nanoGPT model.py:162-168"),
        ],
        notes: "The literal 0.02 of model.py, not initializer_range. With --rng torch, nanogpt_torch_tensors gives the exact tensors of torch.manual_seed(S); GPT(GPTConfig(...)).",
    },
    Recipe {
        name: "llama",
        source: "huggingface/transformers src/transformers/modeling_utils.py:2306-2355 (PreTrainedModel._init_weights; models/llama/modeling_llama.py:319 LlamaPreTrainedModel keeps it; transformers 5.25)",
        summary: "HF Llama (the generic HF init): N(0, initializer_range²) for every Linear and Embedding, no depth scaling, padding row 0, RMSNorm 1, biases 0",
        families: &[Family::Llama],
        naming: Naming::Hf,
        tied: TiedRule::First,
        params: &[],
        rules: &[
            ones("*norm.weight", HF_GENERIC),
            zeros("*.bias", HF_GENERIC),
            padded(normal("*embed_tokens.weight", "initializer_range", HF_GENERIC)),
            normal("*", "initializer_range", HF_GENERIC),
        ],
        notes: "",
    },
    Recipe {
        name: "torchtitan-llama3",
        source: "pytorch/torchtitan torchtitan/models/llama3/__init__.py:45-67 (_LINEAR_INIT, _EMBEDDING_INIT, _output_linear_init, _depth_init), models/common/param_init.py:28-30 (depth_scaled_std); Aug 2026",
        summary: "torchtitan Llama 3: trunc_normal(std 0.02) with PyTorch's absolute bounds ±2 (±100σ: no truncation in effect) for wq/wk/wv/w1; wo/w2/w3 at 0.02/sqrt(2·(layer+1)); tok_embeddings N(0, 1); lm_head trunc_normal(dim^-½) at ±3σ; norms 1",
        families: &[Family::Llama],
        naming: Naming::Torchtitan,
        tied: TiedRule::Last,
        params: &[],
        rules: &[
            ones("*norm.weight", "torchtitan models/llama3/__init__.py:51 (_NORM_INIT)"),
            normal("tok_embeddings.weight", "1", "torchtitan models/llama3/__init__.py:50 (_EMBEDDING_INIT)"),
            trunc3("lm_head.weight", "d_model^-0.5", "torchtitan models/llama3/__init__.py:54-59 (_output_linear_init)"),
            trunc_abs2("*.attention.wo.weight", "0.02/sqrt(2*(layer+1))", "torchtitan models/llama3/__init__.py:62-66,96 (_depth_init)"),
            trunc_abs2("*.feed_forward.w[23].weight", "0.02/sqrt(2*(layer+1))", "torchtitan models/llama3/__init__.py:62-66,106 (_depth_init)"),
            trunc_abs2("*", "0.02", "torchtitan models/llama3/__init__.py:45-48 (_LINEAR_INIT)"),
        ],
        notes: "Names as saved by torchtitan's fused-QKV state-dict hook (layers.N.attention.qkv_linear.wq/wk/wv, lm_head); older releases used attention.wq and output.",
    },
    Recipe {
        name: "olmo-mitchell",
        source: "allenai/OLMo olmo/model.py:483-506, 707-727, 865-890, 1173-1232 (OLMoBlock, OLMoSequentialBlock, OLMoLlamaBlock, OLMo reset_parameters with init_fn=mitchell), olmo/initialization.py (init_normal); on HF Llama names",
        summary: "OLMo mitchell: in-projections 1/sqrt(d_model), attention out 1/sqrt(2·d_model·(layer+1)), FF out 1/sqrt(2·d_ff·(layer+1)), embedding and LM head 1/sqrt(d_model), all trunc_normal at ±3σ",
        families: &[Family::Llama],
        naming: Naming::Hf,
        tied: TiedRule::First,
        params: &[],
        rules: &[
            ones("*norm.weight", OLMO),
            zeros("*.bias", "OLMo olmo/initialization.py init_normal"),
            trunc3("*embed_tokens.weight", "1/sqrt(d_model)", "OLMo olmo/model.py:1183-1185"),
            trunc3("lm_head.weight", "1/sqrt(d_model)", "OLMo olmo/model.py:1221-1223"),
            trunc3("*.o_proj.weight", "1/sqrt(2*d_model*(layer+1))", "OLMo olmo/model.py:493-496"),
            trunc3("*.down_proj.weight", "1/sqrt(2*d_ff*(layer+1))", "OLMo olmo/model.py:493-496 (ff_out.in_features = d_ff)"),
            trunc3("*", "1/sqrt(d_model)", "OLMo olmo/model.py:716-718 (att_proj, ff_proj)"),
        ],
        notes: "OLMo's fused att_proj/ff_proj are HF Llama's q/k/v_proj and gate/up_proj here (the same law for each part). emb_init_std and init_cutoff_factor at their defaults (None: 3).",
    },
    Recipe {
        name: "olmo-full-megatron",
        source: "allenai/OLMo olmo/model.py:483-506, 707-727, 865-890, 1173-1232 (OLMoBlock, OLMoSequentialBlock, OLMoLlamaBlock, OLMo reset_parameters with init_fn=full_megatron), olmo/initialization.py (init_normal); on HF Llama names",
        summary: "OLMo full_megatron: initializer_range for in-projections and the embedding, attention/FF out initializer_range/sqrt(2·n_layer), LM head 1/sqrt(d_model), all trunc_normal at ±3σ",
        families: &[Family::Llama],
        naming: Naming::Hf,
        tied: TiedRule::First,
        params: &[],
        rules: &[
            ones("*norm.weight", OLMO),
            zeros("*.bias", "OLMo olmo/initialization.py init_normal"),
            trunc3("*embed_tokens.weight", "initializer_range", "OLMo olmo/model.py:1186-1192"),
            trunc3("lm_head.weight", "1/sqrt(d_model)", "OLMo olmo/model.py:1224-1226"),
            trunc3("*.o_proj.weight", "initializer_range/sqrt(2*n_layer)", "OLMo olmo/model.py:498-500"),
            trunc3("*.down_proj.weight", "initializer_range/sqrt(2*n_layer)", "OLMo olmo/model.py:498-500"),
            trunc3("*", "initializer_range", "OLMo olmo/model.py:719-721"),
        ],
        notes: "init_std is the config's initializer_range; emb_init_std unset, scale_emb_init false (OLMo's defaults).",
    },
    Recipe {
        name: "olmo-core-llama",
        source: "allenai/OLMo-core src/olmo_core/nn/transformer/init.py:30-180 (InitMethod.llama), nn/attention/__init__.py:727-771 (Attention.init_weights); Jun 2026",
        summary: "OLMo-core llama: embeddings N(0, 1); w_q/w_k/w_v/w1 trunc_normal(initializer_range); w_out, w2, w3 initializer_range/sqrt(2·n_layer); LM head d_model^-½; all linear layers cut at ±3σ",
        families: &[Family::Llama],
        naming: Naming::OlmoCore,
        tied: TiedRule::First,
        params: &[],
        rules: &[
            ones("*norm.weight", "OLMo-core nn/layer_norm.py:173-177"),
            normal("embeddings.weight", "1", "OLMo-core nn/transformer/init.py:88-89"),
            trunc3("lm_head.w_out.weight", "d_model^-0.5", "OLMo-core nn/transformer/init.py:107-123"),
            trunc3("*.attention.w_out.weight", "initializer_range/sqrt(2*n_layer)", "OLMo-core nn/attention/__init__.py:764-771"),
            trunc3("*.feed_forward.w[23].weight", "initializer_range/sqrt(2*n_layer)", "OLMo-core nn/transformer/init.py:160-180"),
            trunc3("*", "initializer_range", OC),
        ],
        notes: "OLMo-core's std argument (default 0.02) is the config's initializer_range.",
    },
    Recipe {
        name: "megatron",
        source: "NVIDIA/Megatron-LM megatron/core/utils.py:862-871 (init_method_normal, scaled_init_method_normal), transformer_config.py (init_method_std, output_layer_init_method); on HF names",
        summary: "Megatron-core: N(0, σ²) with σ = initializer_range (init_method_std), output layers of each block (attention out, MLP out) σ/sqrt(2·n_layer), biases 0, norms 1",
        families: &[Family::Gpt2, Family::Llama, Family::Bert],
        naming: Naming::Hf,
        tied: TiedRule::First,
        params: &[],
        rules: &[
            ones("*ln_*.weight", "Megatron-LM LayerNorm"),
            ones("*norm.weight", "Megatron-LM RMSNorm"),
            ones("*LayerNorm.weight", "Megatron-LM LayerNorm"),
            zeros("*.bias", "Megatron-LM (biases zero)"),
            normal("*.c_proj.weight", "initializer_range/sqrt(2*n_layer)", MEG),
            normal("*.o_proj.weight", "initializer_range/sqrt(2*n_layer)", MEG),
            normal("*.down_proj.weight", "initializer_range/sqrt(2*n_layer)", MEG),
            normal("*.layer.*.output.dense.weight", "initializer_range/sqrt(2*n_layer)", MEG),
            normal("*", "initializer_range", MEG),
        ],
        notes: "Megatron's own fused names (linear_qkv, linear_fc1) are HF's separate projections here; the law of each part is the same.",
    },
    Recipe {
        name: "bert",
        source: "huggingface/transformers src/transformers/models/bert/modeling_bert.py:550-556 (BertPreTrainedModel._init_weights) over modeling_utils.py:2306-2355; transformers 5.25",
        summary: "HF BERT: N(0, initializer_range²) for Linear and Embedding, word-embedding padding row 0, LayerNorm 1, biases 0 (LM-head bias included); decoder tied to word_embeddings",
        families: &[Family::Bert],
        naming: Naming::Hf,
        tied: TiedRule::First,
        params: &[],
        rules: &[
            ones("*LayerNorm.weight", HF_GENERIC),
            zeros("*.bias", "transformers models/bert/modeling_bert.py:550-556"),
            padded(normal("*word_embeddings.weight", "initializer_range", HF_GENERIC)),
            normal("*", "initializer_range", HF_GENERIC),
        ],
        notes: "",
    },
    Recipe {
        name: "mup",
        source: "microsoft/mup mup/init.py:22-29,46-58 (constant_std_init_, normal_), mup/layer.py:5-24 (MuReadout.reset_parameters); on HF GPT-2 / Llama names",
        summary: "muP from a base width: matrix-like weights (both dims grow with width) N(0, initializer_range²·base_width/d_model); vector-like (embeddings) N(0, initializer_range²); readout zero-initialised (readout_zero_init=1) or N(0, initializer_range²)",
        families: &[Family::Gpt2, Family::Llama],
        naming: Naming::Hf,
        tied: TiedRule::First,
        params: &[
            RecipeParam { name: "base_width", default: 256.0, doc: "d_model of the base model the hyperparameters were tuned at (width_mult = d_model/base_width)" },
            RecipeParam { name: "readout_zero_init", default: 1.0, doc: "1: MuReadout(readout_zero_init=True), the untied LM head starts at 0; 0: N(0, initializer_range²)" },
        ],
        rules: &[
            ones("*ln_*.weight", HF_GENERIC),
            ones("*norm.weight", HF_GENERIC),
            zeros("*.bias", HF_GENERIC),
            when("readout_zero_init", zeros("lm_head.weight", "mup mup/layer.py:19-23 (MuReadout.reset_parameters)")),
            normal("lm_head.weight", "initializer_range", "mup mup/init.py:22-25 (ninf = 1: unscaled)"),
            normal("*wte.weight", "initializer_range", "mup mup/init.py:22-25 (ninf = 1: unscaled)"),
            normal("*wpe.weight", "initializer_range", "mup mup/init.py:22-25 (ninf = 1: unscaled)"),
            normal("*embed_tokens.weight", "initializer_range", "mup mup/init.py:22-25 (ninf = 1: unscaled)"),
            normal("*", "initializer_range*(d_model/base_width)^-0.5", MUP),
        ],
        notes: "mup.init.normal_(std=initializer_range) scales a tensor with two infinite dims by width_mult^-1/2, width_mult = fan_in/base fan_in; here every width grows with d_model, so width_mult = d_model/base_width for every hidden matrix (d_ff/base d_ff is the same ratio). muP's other changes (attention 1/d scaling, the readout's 1/width_mult output multiplier) are in the forward pass, not the init. A tied LM head (MuSharedReadout) keeps the embedding's init. No depth scaling.",
    },
];

impl Recipe {
    /// The recipe called `name`.
    ///
    /// # Errors
    /// [`RecipeError::UnknownRecipe`] listing the known names.
    pub fn by_name(name: &str) -> Result<&'static Recipe, RecipeError> {
        RECIPES
            .iter()
            .find(|r| r.name == name)
            .ok_or_else(|| RecipeError::UnknownRecipe {
                name: name.into(),
                known: RECIPES
                    .iter()
                    .map(|r| r.name)
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// The first rule that matches `name` (pattern and condition), with `vars` for the
    /// condition.
    ///
    /// # Errors
    /// A message when a condition does not evaluate.
    pub fn rule_for(
        &self,
        name: &str,
        vars: &dyn crate::expr::Vars,
    ) -> Result<Option<&'static Rule>, String> {
        for r in self.rules {
            if !glob(r.pattern, name) {
                continue;
            }
            match r.when {
                None => return Ok(Some(r)),
                Some(c) => {
                    if crate::expr::eval(c, vars).map_err(|e| format!("condition '{c}': {e}"))?
                        != 0.0
                    {
                        return Ok(Some(r));
                    }
                }
            }
        }
        Ok(None)
    }
}

/// Glob match: `*` any run (dots included), `?` one character, `[abc]` one of a set (`[!abc]`
/// none of it); everything else literal. As Python's `fnmatch.fnmatchcase`.
pub fn glob(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = name.chars().collect();
    // Iterative matcher with backtracking to the last '*'.
    let (mut pi, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi, si));
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    si += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, next)) = class(&p, pi, s[si]) {
                        if matched {
                            pi = next;
                            si += 1;
                            continue;
                        }
                    } else if s[si] == '[' {
                        pi += 1;
                        si += 1;
                        continue;
                    }
                }
                c if c == s[si] => {
                    pi += 1;
                    si += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, ss)) => {
                pi = sp + 1;
                si = ss + 1;
                star = Some((sp, ss + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// `[...]` at `p[at]`: whether `c` is in the set, and the index after `]`; `None` when the
/// bracket is not closed (then it is a literal `[`).
fn class(p: &[char], at: usize, c: char) -> Option<(bool, usize)> {
    let mut i = at + 1;
    let negate = p.get(i) == Some(&'!');
    if negate {
        i += 1;
    }
    let start = i;
    let mut hit = false;
    while i < p.len() && (p[i] != ']' || i == start) {
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            hit |= p[i] <= c && c <= p[i + 2];
            i += 3;
        } else {
            hit |= p[i] == c;
            i += 1;
        }
    }
    if i >= p.len() {
        return None;
    }
    Some((hit != negate, i + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches_like_fnmatchcase() {
        assert!(glob(
            "*.c_proj.weight",
            "transformer.h.0.attn.c_proj.weight"
        ));
        assert!(!glob("*.c_proj.weight", "transformer.h.0.attn.c_proj.bias"));
        assert!(glob("*ln_*.weight", "transformer.ln_f.weight"));
        assert!(glob(
            "*.feed_forward.w[23].weight",
            "layers.3.feed_forward.w3.weight"
        ));
        assert!(!glob(
            "*.feed_forward.w[23].weight",
            "layers.3.feed_forward.w1.weight"
        ));
        assert!(glob("*.w[!1].weight", "a.w2.weight"));
        assert!(glob("lm_head.weight", "lm_head.weight"));
        assert!(!glob("lm_head.weight", "x.lm_head.weight"));
        assert!(glob("a?c", "abc") && !glob("a?c", "ac"));
        assert!(glob("*", "") && glob("**x", "abx"));
    }

    #[test]
    fn every_expression_in_every_recipe_parses_and_uses_known_names() {
        for r in RECIPES {
            for rule in r.rules {
                let mut exprs: Vec<&str> = rule.when.into_iter().collect();
                match rule.law {
                    Law::Normal { std } => exprs.push(std),
                    Law::TruncNormal { std, a, b } => exprs.extend([std, a, b]),
                    Law::Zeros | Law::Ones => {}
                }
                for e in exprs {
                    for n in crate::expr::names(e).unwrap_or_else(|m| panic!("{}: {m}", r.name)) {
                        let known = crate::ModelConfig::VARS.contains(&n.as_str())
                            || n == "layer"
                            || n == "std"
                            || r.params.iter().any(|p| p.name == n);
                        assert!(
                            known,
                            "recipe {}: rule {}: unknown name {n}",
                            r.name, rule.pattern
                        );
                    }
                }
            }
            // the last rule catches everything, so no tensor goes unmatched
            assert_eq!(r.rules.last().map(|x| x.pattern), Some("*"), "{}", r.name);
        }
    }

    #[test]
    fn names_are_unique_and_by_name_lists_them() {
        for (i, r) in RECIPES.iter().enumerate() {
            assert!(RECIPES[..i].iter().all(|o| o.name != r.name));
            assert_eq!(Recipe::by_name(r.name).map(|x| x.name).ok(), Some(r.name));
        }
        let e = Recipe::by_name("gtp2").unwrap_err().to_string();
        assert!(
            e.contains("unknown recipe 'gtp2'") && e.contains("gpt2, nanogpt"),
            "{e}"
        );
    }
}
