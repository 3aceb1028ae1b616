//! `nninit audit`'s table: per tensor against a recipe, or per name pattern without one.

use super::text::{num, render_with};
use crate::checkpoint::audit::Report;

/// The table of `r`, then the problems and how the bands are set.
pub fn audit_text(r: &Report) -> String {
    let mut out = String::new();
    if r.recipe.is_some() {
        let rows: Vec<Vec<String>> = r
            .tensors
            .iter()
            .map(|t| {
                vec![
                    t.name.clone(),
                    t.dtype.clone(),
                    shape(&t.shape),
                    num(t.mean),
                    num(t.std),
                    num(t.min),
                    num(t.max),
                    t.law.clone().unwrap_or_else(|| "-".into()),
                    t.std_ratio
                        .map_or_else(|| "-".into(), |x| format!("{x:.4}")),
                    t.ks.map_or_else(|| "-".into(), |x| format!("{x:.4}")),
                    if t.flags.is_empty() {
                        "ok".into()
                    } else {
                        t.flags.join("; ")
                    },
                ]
            })
            .collect();
        out.push_str(&render_with(
            &[
                "tensor",
                "dtype",
                "shape",
                "mean",
                "std",
                "min",
                "max",
                "expected law",
                "std ratio",
                "KS D",
                "flags",
            ],
            &rows,
            true,
        ));
    } else {
        let rows: Vec<Vec<String>> = r
            .groups
            .iter()
            .map(|g| {
                vec![
                    g.pattern.clone(),
                    g.tensors.to_string(),
                    g.numel.to_string(),
                    num(g.mean),
                    num(g.std),
                    if g.tensors > 1 {
                        format!("{}..{}", num(g.std_min), num(g.std_max))
                    } else {
                        num(g.std_min)
                    },
                    num(g.min),
                    num(g.max),
                    if g.flags == 0 {
                        "ok".into()
                    } else {
                        format!("{} flags", g.flags)
                    },
                ]
            })
            .collect();
        out.push_str(&render_with(
            &[
                "pattern",
                "tensors",
                "elements",
                "mean",
                "std",
                "std per tensor",
                "min",
                "max",
                "flags",
            ],
            &rows,
            true,
        ));
        for t in r.tensors.iter().filter(|t| !t.flags.is_empty()) {
            out.push_str(&format!("{}: {}\n", t.name, t.flags.join("; ")));
        }
    }
    for p in &r.problems {
        out.push_str(&format!("problem: {p}\n"));
    }
    if r.recipe.is_some() {
        out.push_str(&format!(
            "bands: std and mean within z = {} standard errors of the law's; KS on up to {} \
             sampled values (fixed seed) against the law rounded to the stored type, at α = {:e}\n",
            r.bands.z, r.bands.sample_max, r.bands.ks_alpha
        ));
    }
    out.push_str(&format!(
        "{} tensors, {} flags\n",
        r.tensors.len(),
        r.flagged
    ));
    out
}

fn shape(s: &[usize]) -> String {
    s.iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("x")
}
