//! `nninit theory`: the critical line (edge of chaos) and fixed points of one activation.

use crate::args::TheoryArgs;
use crate::report::theory::{theory_text, TheoryReport};
use anyhow::{bail, Context, Result};
use nninit_diag::theory::{critical_point, fixed_point, SIGMA_B2_GRID};
use nninit_diag::Activation;

/// Builds the report.
pub fn report(a: &TheoryArgs) -> Result<TheoryReport> {
    let act: Activation = a.activation.trim().parse()?;
    let grid: Vec<f64> = match &a.sigma_b2 {
        None => SIGMA_B2_GRID.to_vec(),
        Some(list) => list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<f64>()
                    .with_context(|| format!("--sigma-b2: '{s}' is not a number"))
            })
            .collect::<Result<_>>()?,
    };
    if grid.is_empty() {
        bail!("--sigma-b2 is empty; give e.g. --sigma-b2 0,0.05,0.1");
    }
    let mut line = vec![];
    let mut none = vec![];
    for &b2 in &grid {
        match critical_point(act, b2)? {
            Some(c) => line.push(c),
            None => none.push(b2),
        }
    }
    if !a.sigma_b.is_finite() || a.sigma_b < 0.0 {
        bail!(
            "--sigma-b {} must be finite and >= 0 (it is a std)",
            a.sigma_b
        );
    }
    let fp = match a.sigma_w {
        Some(w) => {
            if !w.is_finite() || w < 0.0 {
                bail!(
                    "--sigma-w {w} and --sigma-b {} must be finite and >= 0 (they are stds)",
                    a.sigma_b
                );
            }
            Some(fixed_point(act, w * w, a.sigma_b * a.sigma_b)?)
        }
        None => None,
    };
    Ok(TheoryReport {
        activation: act.to_string(),
        critical_line: line,
        no_critical_point: none,
        fixed_point: fp,
    })
}

pub fn run(a: &TheoryArgs) -> Result<()> {
    let r = report(a)?;
    if a.json {
        crate::io::print_stdout(&format!("{}\n", serde_json::to_string_pretty(&r)?))
    } else {
        crate::io::print_stdout(&theory_text(&r))
    }
}
