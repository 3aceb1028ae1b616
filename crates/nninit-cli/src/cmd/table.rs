//! `nninit table`: the methods table, generated from the library's own definitions.

use crate::args::TableArgs;
use anyhow::Result;
use nninit::{Init, Layout, Shape};
use serde::Serialize;

#[derive(Serialize)]
struct Row {
    method: String,
    distribution: String,
    variance: String,
    std_linear_256_128: Option<f64>,
    /// Factor of the signal's std through one Linear(256,128) + ReLU with zero biases, by mean
    /// field: `√(Var(W)·fan_in·E[relu(z)²]) = √(σ_w²/2)` (1 keeps a ReLU signal's scale).
    relu_factor_per_layer: Option<f64>,
    best_for: String,
    source: &'static str,
}

pub fn run(a: &TableArgs) -> Result<()> {
    let shape = Shape::new(&[128, 256])?;
    let relu_m2 = nninit_diag::theory::gains(nninit_diag::Activation::Relu)?.second_moment;
    let rows: Vec<Row> = Init::catalogue()
        .into_iter()
        .map(|init| {
            let d = init.describe();
            let resolved = init.resolve(&shape, Layout::Torch).ok();
            let std = resolved.as_ref().map(|r| r.variance(shape.numel()).sqrt());
            // mean field needs zero-mean weights (constant/ones/eye have none)
            let relu = resolved
                .as_ref()
                .filter(|r| r.mean(shape.numel()) == 0.0)
                .map(|r| (r.variance(shape.numel()) * 256.0 * relu_m2).sqrt());
            let (method, best_for) = if init == nninit::layers::linear_weight_init() {
                (
                    format!("{} (PyTorch Linear default)", d.name),
                    format!(
                        "PyTorch's nn.Linear/nn.Conv default (kept for backward compatibility): \
                         shrinks a ReLU signal x{:.2} per layer, does not keep forward variance",
                        relu.unwrap_or(f64::NAN)
                    ),
                )
            } else {
                (d.name, d.best_for.to_string())
            };
            Row {
                method,
                distribution: d.distribution,
                variance: d.variance,
                std_linear_256_128: std,
                relu_factor_per_layer: relu,
                best_for,
                source: d.source,
            }
        })
        .collect();
    if a.json {
        crate::io::print_stdout(&format!("{}\n", serde_json::to_string_pretty(&rows)?))?;
        return Ok(());
    }
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.method.clone(),
                r.variance.clone(),
                r.std_linear_256_128
                    .map(|s| format!("{s:.4}"))
                    .unwrap_or_else(|| "-".into()),
                r.relu_factor_per_layer
                    .map(|s| format!("x{s:.3}"))
                    .unwrap_or_else(|| "-".into()),
                r.best_for.clone(),
            ]
        })
        .collect();
    let mut text = crate::report::text::render_with(
        &[
            "method",
            "Var(W)",
            "std @ Linear(256,128)",
            "ReLU std x/layer",
            "best for",
        ],
        &table,
        true,
    );
    text.push_str(
        "\nVar(W) and std are computed from each scheme's definition (nninit::Init::resolve). \
         \"ReLU std x/layer\": the mean-field factor of a ReLU signal's std through one \
         Linear(256,128) with zero biases, sqrt(Var(W)*256/2) (1 keeps the scale; '-' for \
         weights with a non-zero mean).\n",
    );
    crate::io::print_stdout(&text)?;
    Ok(())
}
