//! Reports of `nninit gain` and `nninit theory`, and the probe's prediction/advice text.

use super::text::{num, render, render_with};
use nninit_diag::advice::text as advice_text;
use nninit_diag::theory::{CriticalPoint, FixedPoint, Gains, LayerPrediction};
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
        out.push_str(&fixed_point_text(fp, &r.activation));
    }
    out
}

/// The `--sigma-w` line(s): how the variance map ended, χ₁ with its phase, χ_q, c*, χ_c.
pub fn fixed_point_text(fp: &FixedPoint, activation: &str) -> String {
    use nninit_diag::theory::FixedPointStatus as S;
    let q = match (fp.status, fp.q_star) {
        (S::Converged, Some(q)) => format!(
            "q* = {} (converged{})",
            num(q),
            if fp.iterations == 0 {
                ", closed form".to_string()
            } else {
                format!(", {} iterations", fp.iterations)
            }
        ),
        (S::Zero, _) => "q* = 0 (the signal dies: q -> 0)".to_string(),
        (S::Any, _) => "q* any (every q is a fixed point)".to_string(),
        (S::Diverges, _) => "q diverges (no fixed point: q grows without bound)".to_string(),
        _ => format!(
            "not converged: iteration cap of {} reached at q = {} (not a fixed point)",
            fp.iterations,
            num(fp.q_last)
        ),
    };
    let chi1 = match fp.chi1 {
        Some(c) => {
            let phase = if (c - 1.0).abs() < 1e-3 {
                "critical"
            } else if c > 1.0 {
                "chaotic: gradients explode"
            } else {
                "ordered: gradients vanish"
            };
            let homogeneous = activation
                .parse::<nninit_diag::Activation>()
                .is_ok_and(nninit_diag::theory::is_homogeneous);
            let at = if homogeneous {
                " = sigma_w^2*E[phi'(z)^2] at every q"
            } else {
                ""
            };
            format!("chi1 = {}{at} ({phase})", num(c))
        }
        None => "chi1 -".to_string(),
    };
    let mut s = format!(
        "\nsigma_w = {:.6}, sigma_b = {:.6}: {q}; {chi1}",
        fp.sigma_w2.sqrt(),
        fp.sigma_b2.sqrt()
    );
    if let Some(cq) = fp.chi_q {
        s.push_str(&format!(", chi_q = {}", num(cq)));
    }
    if let Some(sd) = fp.act_std {
        s.push_str(&format!(", activation std at q* {}", num(sd)));
    }
    if let (Some(c), Some(xc)) = (fp.c_star, fp.chi_c) {
        let xi = if xc > 0.0 && xc < 1.0 {
            format!(
                ", depth scale xi_c = -1/ln(chi_c) = {:.1} layers",
                -1.0 / xc.ln()
            )
        } else {
            String::new()
        };
        s.push_str(&format!(
            "\ncorrelation map at q*: c* = {} ({}), chi_c = {}{xi}",
            num(c),
            if c >= 1.0 - 1e-12 {
                "inputs collapse onto each other"
            } else {
                "inputs stay apart"
            },
            num(xc)
        ));
    }
    s.push('\n');
    s
}

/// The probe's theory part: with `--predict`, measured-vs-predicted tables (std; cosine
/// similarity; the pre-activation second moment q of the Linear outputs) and the worst std
/// ratio per init; then the advice.
pub fn probe_theory_text(r: &super::ProbeReport) -> String {
    let mut out = String::new();
    let nlayers = r.inits.first().map(|i| i.layers.len()).unwrap_or(0);
    if r.inits.iter().any(|i| i.predicted_std.is_some()) {
        let mut header: Vec<&str> = vec!["layer output"];
        for i in &r.inits {
            header.push(i.init.as_str());
            header.push("pred");
        }
        let pred_of = |i: &super::InitResult, li: usize| -> Option<LayerPrediction> {
            i.predicted
                .as_ref()
                .and_then(|p| p.as_ref())
                .and_then(|p| p.get(li).cloned())
        };
        type Cell = fn(&nninit_diag::LayerStats) -> Option<f64>;
        type PCell = fn(&LayerPrediction) -> Option<f64>;
        let tables: [(&str, Cell, PCell, bool, bool); 3] = [
            (
                "activation std, measured | mean-field prediction (docs/theory.md section 2.5, from each image's E[x^2]):",
                |l| Some(l.std),
                |p| Some(p.std),
                false,
                false,
            ),
            (
                "cosine similarity between images, measured | mean-field correlation map (docs/theory.md section 2.4, from the same image pairs):",
                |l| l.mean_cosine,
                |p| p.cosine,
                false,
                true,
            ),
            (
                "pre-activation second moment q = E[h^2] of the Linear outputs, measured | mean-field q:",
                |l| Some(l.std * l.std + l.mean * l.mean),
                |p| Some(p.second_moment),
                true,
                false,
            ),
        ];
        for (title, cell, pcell, linear_only, fixed4) in tables {
            out.push_str(title);
            out.push('\n');
            let fmt = |x: Option<f64>| match x {
                Some(v) if fixed4 => format!("{v:.4}"),
                Some(v) => num(v),
                None => "-".into(),
            };
            let rows: Vec<Vec<String>> = (0..nlayers)
                .filter(|&li| !linear_only || r.inits[0].layers[li].kind == "Linear")
                .map(|li| {
                    let mut row = vec![r.inits[0].layers[li].label.clone()];
                    for i in &r.inits {
                        row.push(fmt(cell(&i.layers[li])));
                        row.push(fmt(pred_of(i, li).as_ref().and_then(pcell)));
                    }
                    row
                })
                .collect();
            out.push_str(&render(&header, &rows));
            out.push('\n');
        }
        let worst: Vec<String> = r
            .inits
            .iter()
            .map(|i| {
                let w = (0..i.layers.len())
                    .filter_map(|li| {
                        let p = pred_of(i, li)?.std;
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
                    None => format!("{} n/a (not predictable)", i.init),
                }
            })
            .collect();
        out.push_str(&format!(
            "worst |measured/predicted - 1| of the std per init: {}\n\n",
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
            "advice: none (signal neither shrinks nor grows more than 4x over the hidden layers, \
             inputs stay distinct, gradient factor within 10x, no constant weights, no \
             saturation)\n\n",
        );
    } else {
        out.push_str("advice:\n");
        out.push_str(&lines);
        out.push('\n');
    }
    out
}
