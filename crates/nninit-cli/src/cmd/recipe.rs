//! `nninit recipe list|show`: the transformer init recipes of nninit-recipes, and every tensor a
//! recipe gives a model config.

use crate::args::{RecipeArgs, RecipeCommand, RecipeShowArgs};
use anyhow::{bail, Context, Result};
use nninit_recipes::{plan, ModelConfig, Recipe, TensorPlan, RECIPES};
use serde::Serialize;

pub fn run(a: &RecipeArgs) -> Result<()> {
    match &a.command {
        RecipeCommand::List { json } => list(*json),
        RecipeCommand::Show(s) => show(s),
    }
}

#[derive(Serialize)]
struct RuleJson {
    pattern: &'static str,
    when: Option<&'static str>,
    law: String,
    zero_padding_row: bool,
    source: &'static str,
}

#[derive(Serialize)]
struct ParamJson {
    name: &'static str,
    default: f64,
    doc: &'static str,
}

#[derive(Serialize)]
struct RecipeJson {
    name: &'static str,
    summary: &'static str,
    source: &'static str,
    families: Vec<&'static str>,
    naming: &'static str,
    params: Vec<ParamJson>,
    rules: Vec<RuleJson>,
    notes: &'static str,
}

fn recipe_json(r: &Recipe) -> RecipeJson {
    RecipeJson {
        name: r.name,
        summary: r.summary,
        source: r.source,
        families: r.families.iter().map(|f| f.name()).collect(),
        naming: r.naming.name(),
        params: r
            .params
            .iter()
            .map(|p| ParamJson {
                name: p.name,
                default: p.default,
                doc: p.doc,
            })
            .collect(),
        rules: r
            .rules
            .iter()
            .map(|x| RuleJson {
                pattern: x.pattern,
                when: x.when,
                law: x.law.to_string(),
                zero_padding_row: x.zero_padding_row,
                source: x.source,
            })
            .collect(),
        notes: r.notes,
    }
}

fn list(json: bool) -> Result<()> {
    if json {
        let all: Vec<RecipeJson> = RECIPES.iter().map(recipe_json).collect();
        return crate::io::print_stdout(&format!("{}\n", serde_json::to_string_pretty(&all)?));
    }
    let rows: Vec<Vec<String>> = RECIPES
        .iter()
        .map(|r| {
            vec![
                r.name.to_string(),
                r.families
                    .iter()
                    .map(|f| f.name())
                    .collect::<Vec<_>>()
                    .join(","),
                r.naming.name().to_string(),
                r.summary.to_string(),
            ]
        })
        .collect();
    let mut text =
        crate::report::text::render_with(&["recipe", "families", "names", "rules"], &rows, true);
    text.push_str("\nsources:\n");
    for r in RECIPES {
        text.push_str(&format!("  {}: {}\n", r.name, r.source));
    }
    text.push_str("\n`nninit recipe show NAME --config config.json` lists every tensor of a model under a recipe.\n");
    crate::io::print_stdout(&text)
}

/// Std and variance of one tensor's law (truncation included).
fn moments(t: &TensorPlan) -> Result<(f64, f64)> {
    let var = t.variance()?;
    Ok((var.sqrt(), var))
}

/// `x` with 4 significant digits (plain notation down to 1e-4).
fn sig(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let mag = x.abs().log10().floor() as i32;
    if !(-4..6).contains(&mag) {
        return format!("{x:.3e}");
    }
    format!("{x:.*}", (3 - mag).max(0) as usize)
}

#[derive(Serialize)]
struct TensorJson<'a> {
    name: &'a str,
    shape: &'a [usize],
    dtype: &'static str,
    init: String,
    law: String,
    std: f64,
    variance: f64,
    bounds: Option<[f64; 2]>,
    layer: Option<usize>,
    tied: &'a [String],
    padding_row: Option<usize>,
    rule: usize,
}

#[derive(Serialize)]
struct ShowJson<'a> {
    recipe: RecipeJson,
    config: serde_json::Value,
    params: &'a std::collections::BTreeMap<String, f64>,
    tensors: Vec<TensorJson<'a>>,
    numel: usize,
}

fn show(a: &RecipeShowArgs) -> Result<()> {
    let recipe = Recipe::by_name(&a.name)?;
    let mut config = ModelConfig::from_path(&a.config)?;
    for p in &a.params {
        let Some((k, v)) = p.split_once('=') else {
            bail!("--param {p:?}: expected NAME=VALUE, e.g. base_width=256");
        };
        let v: f64 = v
            .trim()
            .parse()
            .with_context(|| format!("--param {p:?}: the value is not a number"))?;
        config = config.with_param(k.trim(), v);
    }
    let tensors = plan(&config, recipe)?;
    let rule_index = |t: &TensorPlan| {
        recipe
            .rules
            .iter()
            .position(|r| r.to_string() == t.rule)
            .map_or(0, |i| i + 1)
    };
    let bounds = |t: &TensorPlan| match t.init {
        nninit::Init::TruncNormal { a, b, .. } => Some([a, b]),
        _ => None,
    };
    let numel: usize = tensors.iter().map(|t| t.numel()).sum();
    if a.json {
        let mut rows = Vec::with_capacity(tensors.len());
        for t in &tensors {
            let (std, variance) = moments(t)?;
            rows.push(TensorJson {
                name: &t.name,
                shape: &t.shape,
                dtype: t.dtype.name(),
                init: t.init.to_string(),
                law: t.law(),
                std,
                variance,
                bounds: bounds(t),
                layer: t.layer,
                tied: &t.tied,
                padding_row: t.padding_row,
                rule: rule_index(t),
            });
        }
        let out = ShowJson {
            recipe: recipe_json(recipe),
            config: config.raw.clone(),
            params: &config.params,
            tensors: rows,
            numel,
        };
        return crate::io::print_stdout(&format!("{}\n", serde_json::to_string_pretty(&out)?));
    }
    let mut rows = Vec::with_capacity(tensors.len());
    for t in &tensors {
        let (std, var) = moments(t)?;
        let law = match (&t.init, bounds(t)) {
            (nninit::Init::TruncNormal { std, .. }, Some([lo, hi])) => {
                format!(
                    "trunc_normal(0, {}) on [{}, {}]",
                    sig(*std),
                    sig(lo),
                    sig(hi)
                )
            }
            (nninit::Init::Normal { std, .. }, _) => format!("normal(0, {})", sig(*std)),
            _ => t.law(),
        };
        let mut extra = String::new();
        if !t.tied.is_empty() {
            extra.push_str(&format!(" (tied: {})", t.tied.join(", ")));
        }
        if let Some(r) = t.padding_row {
            extra.push_str(&format!(" (row {r} = 0)"));
        }
        rows.push(vec![
            format!("{}{extra}", t.name),
            format!("{:?}", t.shape),
            law,
            sig(std),
            sig(var),
            format!("#{}", rule_index(t)),
        ]);
    }
    let c = &config;
    let mut text = format!(
        "recipe {} on {} ({} layers, d_model {}, d_ff {}, {} heads / {} kv, vocab {}, initializer_range {}, {}): {} tensors, {} parameters\n\n",
        recipe.name,
        a.config.display(),
        c.n_layer,
        c.d_model,
        c.d_ff,
        c.n_head,
        c.n_kv_head,
        c.vocab_size,
        c.initializer_range,
        c.dtype.name(),
        tensors.len(),
        numel
    );
    text.push_str(&crate::report::text::render_with(
        &["tensor", "shape", "law", "std", "variance", "rule"],
        &rows,
        true,
    ));
    text.push_str(&format!(
        "\nrules of {} (first match wins; source {}):\n",
        recipe.name, recipe.source
    ));
    for (i, r) in recipe.rules.iter().enumerate() {
        text.push_str(&format!("  #{} {r}\n", i + 1));
    }
    for p in recipe.params {
        let v = c.params.get(p.name).copied().unwrap_or(p.default);
        text.push_str(&format!(
            "parameter {} = {v} (default {}): {}\n",
            p.name, p.default, p.doc
        ));
    }
    if !recipe.notes.is_empty() {
        text.push_str(&format!("notes: {}\n", recipe.notes));
    }
    text.push_str("std and variance are the law's own (truncation included); values are keyed by (seed, tensor name) in `--rng philox`.\n");
    crate::io::print_stdout(&text)
}
