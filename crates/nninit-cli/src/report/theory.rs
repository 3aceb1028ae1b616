//! Reports of `nninit gain` and `nninit theory`, and the probe's prediction/advice text.

use super::text::{num, render, render_with};
use nninit_diag::advice::Advice;
use nninit_diag::theory::{CriticalPoint, FixedPoint, Gains};
use serde::Serialize;

/// One row of `nninit gain`.
#[derive(Debug, Clone, Serialize)]
pub struct GainRow {
    /// Gains and moments (see `nninit_diag::theory::Gains`).
    #[serde(flatten)]
    pub gains: Gains,
    /// How PyTorch's gain compares.
    pub note: String,
}

/// `nninit gain`'s result.
#[derive(Debug, Clone, Serialize)]
pub struct GainReport {
    /// One row per activation.
    pub gains: Vec<GainRow>,
}

/// `nninit theory`'s result.
#[derive(Debug, Clone, Serialize)]
pub struct TheoryReport {
    /// The activation.
    pub activation: String,
    /// Critical points, one per requested `sigma_b2` (absent ones skipped, listed in
    /// `no_critical_point`).
    pub critical_line: Vec<CriticalPoint>,
    /// The `sigma_b2` values with no critical point.
    pub no_critical_point: Vec<f64>,
    /// The fixed point of `--sigma-w/--sigma-b`, if given.
    pub fixed_point: Option<FixedPoint>,
}

fn opt(x: Option<f64>) -> String {
    x.map(num).unwrap_or_else(|| "-".into())
}

/// The gains table.
pub fn gain_text(r: &GainReport) -> String {
    let header = [
        "activation",
        "torch gain",
        "numeric gain",
        "backward gain",
        "chi1",
        "chi_q",
        "E[phi]",
        "note",
    ];
    let rows: Vec<Vec<String>> = r
        .gains
        .iter()
        .map(|g| {
            let a = &g.gains;
            vec![
                a.activation.clone(),
                opt(a.torch_gain),
                format!("{:.10}", a.gain),
                format!("{:.6}", a.gain_backward),
                format!("{:.6}", a.chi1),
                format!("{:.6}", a.chi_q),
                format!("{:.6}", if a.mean.abs() < 5e-7 { 0.0 } else { a.mean }),
                g.note.clone(),
            ]
        })
        .collect();
    let mut out = String::from(
        "Gains: numeric gain g = 1/sqrt(E[phi(z)^2]), z ~ N(0,1) (keeps the pre-activation second \
         moment; = mean-field fixed-point gain, q* = 1 with sigma_b = 0);\nbackward gain \
         1/sqrt(E[phi'(z)^2]); chi1 = g^2 E[phi'^2] (gradient variance factor per layer, >1 \
         explodes); chi_q = dV/dq at q = 1 (<1: q* = 1 is stable).\n\n",
    );
    out.push_str(&render_with(&header, &rows, true));
    out.push_str(
        "\nUse: kaiming_normal with std = gain/sqrt(fan_in), e.g. --init \
         variance_scaling:scale=<gain^2>,mode=fan_in,distribution=normal.\n",
    );
    out
}

/// The critical-line table.
pub fn theory_text(r: &TheoryReport) -> String {
    let mut out = format!(
        "Mean-field theory for {} (Poole et al. 2016; Schoenholz et al. 2017): W ~ N(0, \
         sigma_w^2/fan_in), b ~ N(0, sigma_b^2),\nq_(l+1) = sigma_w^2 E[phi(sqrt(q_l) z)^2] + \
         sigma_b^2 -> q*; chi1 = sigma_w^2 E[phi'(sqrt(q*) z)^2].\n\nCritical line (edge of \
         chaos, chi1 = 1):\n",
        r.activation
    );
    let header = [
        "sigma_b^2",
        "sigma_w^2",
        "sigma_w",
        "sigma_b",
        "q*",
        "chi_q",
    ];
    let rows: Vec<Vec<String>> = r
        .critical_line
        .iter()
        .map(|c| {
            vec![
                num(c.sigma_b2),
                format!("{:.6}", c.sigma_w2),
                format!("{:.6}", c.sigma_w),
                format!("{:.6}", c.sigma_b),
                c.q_star
                    .map(|q| format!("{q:.6}"))
                    .unwrap_or_else(|| "any".into()),
                opt(c.chi_q),
            ]
        })
        .collect();
    out.push_str(&render(&header, &rows));
    if r.critical_line.iter().any(|c| c.q_star.is_none()) {
        out.push_str(
            "q* any: the activation is positively homogeneous; every q is preserved at this \
             sigma_w with sigma_b = 0.\n",
        );
    }
    if !r.no_critical_point.is_empty() {
        let v: Vec<String> = r.no_critical_point.iter().map(|x| num(*x)).collect();
        out.push_str(&format!(
            "no critical point for sigma_b^2 = {}\n",
            v.join(", ")
        ));
    }
    if let Some(fp) = &r.fixed_point {
        let phase = if (fp.chi1 - 1.0).abs() < 1e-3 {
            "critical"
        } else if fp.chi1 > 1.0 {
            "chaotic: gradients explode"
        } else {
            "ordered: gradients vanish"
        };
        out.push_str(&format!(
            "\nsigma_w = {:.6}, sigma_b = {:.6}: q* = {} ({}, {} iterations), activation std \
             at q* {}, chi1 = {} ({phase}), chi_q = {}\n",
            fp.sigma_w2.sqrt(),
            fp.sigma_b2.sqrt(),
            num(fp.q_star),
            if fp.converged {
                "converged"
            } else {
                "not converged"
            },
            fp.iterations,
            num(fp.act_std),
            num(fp.chi1),
            num(fp.chi_q)
        ));
    }
    out
}

/// The advice lines of one init (empty string when nothing was flagged).
pub fn advice_text(init: &str, advice: &[Advice]) -> String {
    let mut out = String::new();
    for a in advice {
        let what = if a.symptom == nninit_diag::advice::Symptom::Saturation {
            format!("(worst {:.0}% saturated)", 100.0 * a.measured_factor)
        } else {
            format!("(std x{} per 5 layers)", num(a.measured_factor))
        };
        out.push_str(&format!(
            "  {init}: {} from {} to {} {what}: {}\n    fix: --init {} (gain {:.4}{})\n",
            a.symptom,
            a.from_layer,
            a.to_layer,
            a.cause,
            a.suggested_init,
            a.suggested_gain,
            a.predicted_factor_with_fix
                .map(|f| format!("; mean-field predicts std x{} per 5 layers", num(f)))
                .unwrap_or_default()
        ));
    }
    out
}

/// The probe's theory part: with `--predict`, a measured-vs-predicted std table (a `pred`
/// column after each init) and the worst ratio per init; then the advice.
pub fn probe_theory_text(r: &super::ProbeReport) -> String {
    let mut out = String::new();
    let nlayers = r.inits.first().map(|i| i.layers.len()).unwrap_or(0);
    if r.inits.iter().any(|i| i.predicted_std.is_some()) {
        out.push_str(
            "activation std, measured | mean-field prediction (docs/theory.md section 2.5, from each \
             image's E[x^2]):\n",
        );
        let mut header: Vec<&str> = vec!["layer output"];
        for i in &r.inits {
            header.push(i.init.as_str());
            header.push("pred");
        }
        let pred = |i: &super::InitResult, li: usize| -> Option<f64> {
            i.predicted_std
                .as_ref()
                .and_then(|p| p.get(li).copied().flatten())
        };
        let rows: Vec<Vec<String>> = (0..nlayers)
            .map(|li| {
                let mut row = vec![r.inits[0].layers[li].label.clone()];
                for i in &r.inits {
                    row.push(num(i.layers[li].std));
                    row.push(opt(pred(i, li)));
                }
                row
            })
            .collect();
        out.push_str(&render(&header, &rows));
        let worst: Vec<String> = r
            .inits
            .iter()
            .map(|i| {
                let w = (0..i.layers.len())
                    .filter_map(|li| {
                        let p = pred(i, li)?;
                        let m = i.layers[li].std;
                        if p > 0.0 {
                            Some((m / p - 1.0).abs())
                        } else if m == 0.0 {
                            Some(0.0)
                        } else {
                            None
                        }
                    })
                    .fold(None, |acc: Option<f64>, x| {
                        Some(acc.map_or(x, |a| a.max(x)))
                    });
                match w {
                    Some(w) => format!("{} {:.1}%", i.init, 100.0 * w),
                    None => format!("{} n/a (non-zero-mean weights)", i.init),
                }
            })
            .collect();
        out.push_str(&format!(
            "worst |measured/predicted - 1| per init: {}\n\n",
            worst.join(", ")
        ));
    }
    let lines: String = r
        .inits
        .iter()
        .map(|i| advice_text(&i.init, &i.advice))
        .collect();
    if lines.is_empty() {
        out.push_str(
            "advice: none (no span where the std shrinks or grows by more than 2x per 5 \
             layers, no saturation)\n\n",
        );
    } else {
        out.push_str("advice (std shrinking/growing more than 2x per 5 layers, saturation):\n");
        out.push_str(&lines);
        out.push('\n');
    }
    out
}
