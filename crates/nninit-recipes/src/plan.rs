//! The plan: every tensor of a model under a recipe, in state-dict order, and its counter-based
//! fill.
//!
//! ```
//! use nninit_recipes::{plan, ModelConfig, Recipe};
//! let config = ModelConfig::from_json(
//!     r#"{"model_type": "gpt2", "n_layer": 2, "n_head": 2, "n_embd": 8,
//!         "vocab_size": 16, "n_positions": 4}"#)?;
//! let p = plan(&config, Recipe::by_name("gpt2")?)?;
//! let c_proj = p.iter().find(|t| t.name == "transformer.h.1.mlp.c_proj.weight").unwrap();
//! assert_eq!(c_proj.shape, [32, 8]);                      // Conv1D: (in, out)
//! assert_eq!(c_proj.init, nninit::Init::normal(0.0, 0.02 / 4f64.sqrt()));
//! let wte = &p[0];
//! assert_eq!((wte.name.as_str(), wte.tied.clone()), ("transformer.wte.weight", vec!["lm_head.weight".to_string()]));
//! let mut w = vec![0f32; c_proj.numel()];
//! c_proj.fill_philox(0, &mut w, nninit::Par::Seq)?;      // = nninit fill --rng philox --name ...
//! # Ok::<(), nninit_recipes::RecipeError>(())
//! ```

use crate::config::ModelConfig;
use crate::error::RecipeError;
use crate::expr;
use crate::model::{self, layer_of, Param};
use crate::recipe::{Law, Recipe, TiedRule};
use nninit::{DType, Element, Init, Layout, Par, Resolved, Shape, StreamKey};
use std::ops::Range;

/// One tensor to write: its state-dict name, shape and scheme, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct TensorPlan {
    /// State-dict key in the recipe's naming (HF, nanoGPT, torchtitan or OLMo-core names).
    pub name: String,
    /// Shape as PyTorch stores it (row-major).
    pub shape: Vec<usize>,
    /// The scheme with every number resolved (e.g. `normal:mean=0,std=0.0028`).
    pub init: nninit::Init,
    /// The rule that chose it, as `nninit recipe show` prints it (pattern, law, source).
    pub rule: String,
    /// Other names that share this tensor (tied weights): written once, under `name`.
    pub tied: Vec<String>,
    /// The config's dtype (`torch_dtype`).
    pub dtype: DType,
    /// The block index, for tensors inside a block.
    pub layer: Option<usize>,
    /// A row set to 0 after the fill (HF embedding `padding_idx`; `None` for most tensors).
    pub padding_row: Option<usize>,
}

impl TensorPlan {
    /// Elements.
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }

    /// The law resolved for this shape (no draws).
    ///
    /// # Errors
    /// What [`Init::resolve`] returns (not expected for a plan's own schemes).
    pub fn resolved(&self) -> Result<Resolved, RecipeError> {
        Ok(self
            .init
            .resolve(&Shape::new(&self.shape)?, Layout::Torch)?)
    }

    /// Variance of one element under the law (truncation included; the padding row ignored).
    ///
    /// # Errors
    /// As [`TensorPlan::resolved`].
    pub fn variance(&self) -> Result<f64, RecipeError> {
        Ok(self.resolved()?.variance(self.numel()))
    }

    /// `normal`, `trunc_normal`, `zeros`, `ones` (or the scheme's name for others).
    pub fn law(&self) -> String {
        match &self.init {
            Init::Normal { .. } => "normal".into(),
            Init::TruncNormal { .. } => "trunc_normal".into(),
            Init::Zeros => "zeros".into(),
            Init::Ones => "ones".into(),
            other => other.to_string(),
        }
    }

    /// The Philox key of this tensor: `(seed, name)`, as `nninit fill --rng philox --name` and
    /// `nninit.torch.init_module` key it.
    pub fn key(&self, seed: u64) -> StreamKey {
        StreamKey::from_name(seed, &self.name)
    }

    /// Fills the whole tensor with its law on the counter-based stream keyed by `(seed,
    /// name)`, then zeroes the padding row. Identical for any `par`.
    ///
    /// # Errors
    /// [`RecipeError::Init`] when `out.len()` is not the tensor's size.
    pub fn fill_philox<T: Element>(
        &self,
        seed: u64,
        out: &mut [T],
        par: Par,
    ) -> Result<(), RecipeError> {
        self.fill_philox_range(seed, 0..self.numel(), out, par)
    }

    /// Fills elements `range` (row-major, whole-tensor indices) of the tensor: bit-identical
    /// to that slice of [`TensorPlan::fill_philox`] (for writing a big tensor in pieces).
    ///
    /// # Errors
    /// [`RecipeError::Init`] for a range outside the tensor or `out.len() != range.len()`.
    pub fn fill_philox_range<T: Element>(
        &self,
        seed: u64,
        range: Range<usize>,
        out: &mut [T],
        par: Par,
    ) -> Result<(), RecipeError> {
        let shape = Shape::new(&self.shape)?;
        self.init.fill_range(
            out,
            &shape,
            Layout::Torch,
            self.key(seed),
            range.clone(),
            par,
        )?;
        if let (Some(row), Some(&rows)) = (self.padding_row, self.shape.first()) {
            let row_len = self.numel().checked_div(rows).unwrap_or(0);
            let (lo, hi) = (row * row_len, (row + 1) * row_len);
            let (lo, hi) = (lo.max(range.start), hi.min(range.end));
            if lo < hi {
                out[lo - range.start..hi - range.start].fill(T::ZERO);
            }
        }
        Ok(())
    }
}

fn plan_err(recipe: &Recipe, problem: String) -> RecipeError {
    RecipeError::Plan {
        recipe: recipe.name.into(),
        problem,
    }
}

/// Checks that `config` suits `recipe`: family covered, parameters known.
fn check(config: &ModelConfig, recipe: &Recipe) -> Result<(), RecipeError> {
    if !recipe.families.contains(&config.family) {
        return Err(plan_err(
            recipe,
            format!(
                "covers {} configs, not model_type {}",
                recipe
                    .families
                    .iter()
                    .map(|f| f.name())
                    .collect::<Vec<_>>()
                    .join(", "),
                config.family.name()
            ),
        ));
    }
    for k in config.params.keys() {
        if !recipe.params.iter().any(|p| p.name == k) {
            let known = if recipe.params.is_empty() {
                "it has none".to_string()
            } else {
                format!(
                    "known: {}",
                    recipe
                        .params
                        .iter()
                        .map(|p| p.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            return Err(plan_err(
                recipe,
                format!("unknown parameter '{k}' ({known})"),
            ));
        }
    }
    Ok(())
}

/// The scheme `recipe` gives the tensor `rule_name` (the name its rules are matched against)
/// of `shape` in block `layer`.
fn resolve(
    config: &ModelConfig,
    recipe: &Recipe,
    name: &str,
    rule_name: &str,
    layer: Option<usize>,
) -> Result<(Init, String, bool), RecipeError> {
    let vars = |n: &str| -> Option<f64> {
        if n == "layer" {
            return layer.map(|l| l as f64);
        }
        config.var(n).or_else(|| {
            let p = recipe.params.iter().find(|p| p.name == n)?;
            Some(config.params.get(n).copied().unwrap_or(p.default))
        })
    };
    let ctx = |e: String| plan_err(recipe, format!("tensor '{name}': {e}"));
    let rule = recipe
        .rule_for(rule_name, &vars)
        .map_err(ctx)?
        .ok_or_else(|| ctx(format!("no rule matches '{rule_name}'")))?;
    let ev = |what: &str, e: &str, std: Option<f64>| {
        let v = |n: &str| if n == "std" { std } else { vars(n) };
        expr::eval(e, &v).map_err(|m| ctx(format!("rule '{}': {what} '{e}': {m}", rule.pattern)))
    };
    let init = match rule.law {
        Law::Normal { std } => Init::normal(0.0, ev("std", std, None)?),
        Law::TruncNormal { std, a, b } => {
            let s = ev("std", std, None)?;
            Init::trunc_normal(0.0, s, ev("a", a, Some(s))?, ev("b", b, Some(s))?)
        }
        Law::Zeros => Init::Zeros,
        Law::Ones => Init::Ones,
    };
    init.validate()
        .map_err(|e| ctx(format!("rule '{}': {e}", rule.pattern)))?;
    Ok((init, rule.to_string(), rule.zero_padding_row))
}

/// Every tensor of `config`'s model under `recipe`, in `named_parameters()` order, tied
/// weights once.
///
/// # Errors
/// [`RecipeError::Plan`] when the recipe does not cover the family, a parameter set on the
/// config is not the recipe's, a tensor matches no rule, or an expression does not evaluate.
pub fn plan(config: &ModelConfig, recipe: &Recipe) -> Result<Vec<TensorPlan>, RecipeError> {
    check(config, recipe)?;
    plan_params(config, recipe, model::parameters(config, recipe.naming)?)
}

/// Plans given parameters (e.g. a PyTorch module's `named_parameters()`, names in the
/// recipe's naming) with `recipe`'s rules and `config`'s values. A parameter without a layer
/// index gets the one in its name ([`layer_of`]); `padding_idx` is zeroed where the rule says
/// so; `tied` as given.
///
/// # Errors
/// As [`plan`].
pub fn plan_params(
    config: &ModelConfig,
    recipe: &Recipe,
    params: Vec<Param>,
) -> Result<Vec<TensorPlan>, RecipeError> {
    check(config, recipe)?;
    params
        .into_iter()
        .map(|p: Param| {
            let layer = p.layer.or_else(|| layer_of(&p.name));
            let rule_name = match (recipe.tied, p.tied.last()) {
                (TiedRule::Last, Some(last)) => last.clone(),
                _ => p.name.clone(),
            };
            let (init, rule, pad) = resolve(config, recipe, &p.name, &rule_name, layer)?;
            Ok(TensorPlan {
                padding_row: if pad { p.padding_idx } else { None },
                name: p.name,
                shape: p.shape,
                init,
                rule,
                tied: p.tied,
                dtype: config.dtype,
                layer,
            })
        })
        .collect()
}
