//! nanoGPT on PyTorch's stream: the exact tensors of `torch.manual_seed(S); GPT(GPTConfig(...))`.
//!
//! Mirrors karpathy/nanoGPT `model.py` (commit 3adf61e, `GPT.__init__`, lines 118-145 and
//! `_init_weights`, 162-168) on PyTorch's CPU generator ([`TorchGenerator`], float32):
//! 1. construction, in module order: `wte` and `wpe` (`nn.Embedding.reset_parameters`:
//!    `normal_(w)`, N(0, 1)); per block `c_attn`, attention `c_proj`, `c_fc`, MLP `c_proj`
//!    (`nn.Linear.reset_parameters`: `kaiming_uniform_(w, a=√5)`, then with `bias`
//!    `uniform_(b, ±1/√fan_in)`); LayerNorms draw nothing (`torch.ones`/`torch.zeros`); then
//!    `lm_head` (no bias). `wte.weight = lm_head.weight` drops wte's construction draws.
//! 2. `self.apply(_init_weights)`: `nn.Module.apply` visits children first (post-order):
//!    `wte` (normal 0.02 on the shared weight), `wpe`, each block's `c_attn`, `c_proj`, `c_fc`,
//!    `c_proj` (weight normal 0.02, bias `zeros_`: no draws), then `lm_head` (normal 0.02 on
//!    the shared weight again: **its draw is the final wte/lm_head value**).
//! 3. the `c_proj` loop over `named_parameters()`: `h.0.attn.c_proj.weight`,
//!    `h.0.mlp.c_proj.weight`, `h.1...`: normal 0.02/√(2·n_layer), the final value.
//!
//! Memory: [`nanogpt_torch_each`] holds one scratch buffer of the largest tensor (the
//! `vocab_size × n_embd` embedding) plus the wte/lm_head value until the `c_proj` loop ends, and
//! hands each tensor to the caller as soon as its value is final; [`nanogpt_torch_tensors`]
//! also keeps every tensor (the model's size in f32).

use crate::config::ModelConfig;
use crate::error::RecipeError;
use crate::plan::{plan, TensorPlan};
use crate::recipe::Recipe;
use nninit::layers::{linear_bias_init, linear_weight_init};
use nninit::{Init, Layout, Shape, TorchGenerator};
use std::collections::HashMap;

struct Run<'a> {
    g: TorchGenerator,
    scratch: Vec<f32>,
    plans: HashMap<&'a str, &'a TensorPlan>,
}

impl Run<'_> {
    /// Draws `init` for `shape` into the scratch buffer (its first `numel` elements).
    fn draw(&mut self, init: &Init, shape: &[usize]) -> Result<&[f32], RecipeError> {
        let s = Shape::new(shape)?;
        let n = s.numel();
        if self.scratch.len() < n {
            self.scratch.resize(n, 0.0);
        }
        init.fill(&mut self.scratch[..n], &s, Layout::Torch, &mut self.g)?;
        Ok(&self.scratch[..n])
    }

    fn plan(&self, name: &str) -> Result<&TensorPlan, RecipeError> {
        self.plans
            .get(name)
            .copied()
            .ok_or_else(|| RecipeError::Plan {
                recipe: "nanogpt".into(),
                problem: format!("internal: no tensor '{name}' in the plan"),
            })
    }
}

/// Calls `emit(plan, values)` for every tensor of nanoGPT's `GPT(config)` after
/// `torch.manual_seed(seed)`, each as soon as its value is final (so not in state-dict order:
/// constants and `wpe`, `c_attn`, `c_fc` during `apply`, `transformer.wte.weight` at
/// `lm_head`, the `c_proj` weights last). `plan` is the `nanogpt` recipe's entry (its law is
/// the one the values follow); values are float32, bit-identical to PyTorch 2.15 on x86-64
/// with AVX2 (the `TorchGenerator` default flavour).
///
/// # Errors
/// The `nanogpt` recipe's [`plan`] errors (a non-GPT-2 config, `n_inner` other than
/// 4·`n_embd`), and whatever `emit` returns (the run stops there).
pub fn nanogpt_torch_each<E: From<RecipeError>>(
    config: &ModelConfig,
    seed: u64,
    mut emit: impl FnMut(&TensorPlan, &[f32]) -> Result<(), E>,
) -> Result<(), E> {
    let plans = plan(config, Recipe::by_name("nanogpt")?)?;
    let (v, d, p, l) = (
        config.vocab_size,
        config.d_model,
        config.max_positions,
        config.n_layer,
    );
    let bias = config.attention_bias;
    let mut run = Run {
        g: TorchGenerator::manual_seed(seed),
        scratch: Vec::new(),
        plans: plans.iter().map(|t| (t.name.as_str(), t)).collect(),
    };
    let n01 = Init::normal(0.0, 1.0);
    let n02 = Init::normal(0.0, 0.02);
    let kaiming = linear_weight_init();
    // (module path, out, in) of every Linear of a block, in construction order
    let linears = |i: usize| {
        [
            (format!("transformer.h.{i}.attn.c_attn"), 3 * d, d),
            (format!("transformer.h.{i}.attn.c_proj"), d, d),
            (format!("transformer.h.{i}.mlp.c_fc"), 4 * d, d),
            (format!("transformer.h.{i}.mlp.c_proj"), d, 4 * d),
        ]
    };

    // 1. construction
    run.draw(&n01, &[v, d])?; // wte
    run.draw(&n01, &[p, d])?; // wpe
    for i in 0..l {
        for (_, out, inp) in linears(i) {
            run.draw(&kaiming, &[out, inp])?;
            if bias {
                run.draw(&linear_bias_init(inp), &[out])?;
            }
        }
    }
    run.draw(&kaiming, &[v, d])?; // lm_head

    // constants: LayerNorm weights and biases, Linear biases (zeros_ draws nothing)
    for t in &plans {
        match t.init {
            Init::Ones => emit(t, &vec![1.0; t.numel()])?,
            Init::Zeros => emit(t, &vec![0.0; t.numel()])?,
            _ => {}
        }
    }

    // 2. apply(_init_weights), children first
    run.draw(&n02, &[v, d])?; // wte: overwritten by lm_head below
    let wpe = run.draw(&n02, &[p, d])?.to_vec();
    emit(run.plan("transformer.wpe.weight")?, &wpe)?;
    for i in 0..l {
        for (name, out, inp) in linears(i) {
            let w = run.draw(&n02, &[out, inp])?;
            if !name.ends_with("c_proj") {
                let w = w.to_vec();
                emit(run.plan(&format!("{name}.weight"))?, &w)?;
            }
        }
    }
    let wte = run.draw(&n02, &[v, d])?.to_vec(); // lm_head: the tied weight's final value
    emit(run.plan("transformer.wte.weight")?, &wte)?;
    drop(wte);

    // 3. the c_proj loop, in named_parameters() order
    let std = 0.02 / (2.0 * l as f64).sqrt();
    for i in 0..l {
        for part in ["attn", "mlp"] {
            let name = format!("transformer.h.{i}.{part}.c_proj.weight");
            let t = run.plan(&name)?;
            let shape = t.shape.clone();
            let w = run.draw(&Init::normal(0.0, std), &shape)?.to_vec();
            emit(run.plan(&name)?, &w)?;
        }
    }
    Ok(())
}

/// Every tensor of nanoGPT's `GPT(config)` after `torch.manual_seed(seed)`, in
/// `named_parameters()` order (tied weights once, as the plan lists them), float32.
///
/// Memory: the whole model in f32 plus one `vocab_size × n_embd` scratch buffer; use
/// [`nanogpt_torch_each`] to stream instead.
///
/// # Errors
/// As [`nanogpt_torch_each`].
pub fn nanogpt_torch_tensors(
    config: &ModelConfig,
    seed: u64,
) -> Result<Vec<(TensorPlan, Vec<f32>)>, RecipeError> {
    let mut out: Vec<(TensorPlan, Vec<f32>)> = Vec::new();
    nanogpt_torch_each::<RecipeError>(config, seed, |t, w| {
        out.push((t.clone(), w.to_vec()));
        Ok(())
    })?;
    let order = plan(config, Recipe::by_name("nanogpt")?)?;
    let mut sorted = Vec::with_capacity(out.len());
    for t in order {
        let i = out
            .iter()
            .position(|(p, _)| p.name == t.name)
            .ok_or_else(|| RecipeError::Plan {
                recipe: "nanogpt".into(),
                problem: format!("internal: tensor '{}' was never drawn", t.name),
            })?;
        sorted.push(out.swap_remove(i));
    }
    Ok(sorted)
}
