//! `nninit gain`: PyTorch's calculate_gain beside the numeric gains.

use crate::args::GainArgs;
use crate::report::theory::{gain_text, GainReport, GainRow};
use anyhow::{Context, Result};
use nninit_diag::theory::{gain_note, gains};
use nninit_diag::Activation;

/// Parses a comma-separated activation list.
pub fn parse_activations(list: &str) -> Result<Vec<Activation>> {
    let v: Vec<Activation> = list
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<Activation>()
                .with_context(|| format!("--activation '{s}'"))
        })
        .collect::<Result<_>>()?;
    if v.is_empty() {
        anyhow::bail!("--activation is empty; give e.g. --activation tanh,relu");
    }
    Ok(v)
}

/// Builds the report.
pub fn report(a: &GainArgs) -> Result<GainReport> {
    let acts = match &a.activation {
        Some(list) => parse_activations(list)?,
        None => {
            let mut v = Activation::ALL.to_vec();
            // the commonly used non-default slope, after leaky_relu(0.01)
            v.insert(3, Activation::LeakyRelu(0.2));
            v
        }
    };
    let mut rows = vec![];
    for act in acts {
        let g = gains(act)?;
        rows.push(GainRow {
            note: gain_note(&g, act),
            gains: g,
        });
    }
    Ok(GainReport { gains: rows })
}

pub fn run(a: &GainArgs) -> Result<()> {
    let r = report(a)?;
    if a.json {
        crate::io::print_stdout(&format!("{}\n", serde_json::to_string_pretty(&r)?))
    } else {
        crate::io::print_stdout(&gain_text(&r))
    }
}
