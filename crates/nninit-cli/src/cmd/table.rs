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
    best_for: &'static str,
    source: &'static str,
}

pub fn run(a: &TableArgs) -> Result<()> {
    let shape = Shape::new(&[128, 256])?;
    let rows: Vec<Row> = Init::catalogue()
        .into_iter()
        .map(|init| {
            let d = init.describe();
            let std = init
                .resolve(&shape, Layout::Torch)
                .ok()
                .map(|r| r.variance(shape.numel()).sqrt());
            let method = if init == nninit::layers::linear_weight_init() {
                format!("{} (PyTorch Linear default)", d.name)
            } else {
                d.name
            };
            Row {
                method,
                distribution: d.distribution,
                variance: d.variance,
                std_linear_256_128: std,
                best_for: d.best_for,
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
                r.best_for.to_string(),
            ]
        })
        .collect();
    let mut text = crate::report::text::render_with(
        &["method", "Var(W)", "std @ Linear(256,128)", "best for"],
        &table,
        true,
    );
    text.push_str(
        "\nVar(W) and std are computed from each scheme's definition (nninit::Init::resolve).\n",
    );
    crate::io::print_stdout(&text)?;
    Ok(())
}
