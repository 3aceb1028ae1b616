//! Plain-text tables.

use super::text::{num, render};
use super::ProbeReport;

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

/// The probe's tables: one per statistic (std always; mean, dead %, saturated % with `all`).
pub fn probe_text(r: &ProbeReport, all: bool) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "MLP {} ({}), {} images of the {}, seed {}, rng {}\n\n",
        super::arch_text(&r.arch),
        r.activation,
        r.batch,
        r.data,
        r.seed,
        r.rng
    ));
    let mut header: Vec<&str> = vec!["layer output"];
    header.extend(r.inits.iter().map(|i| i.init.as_str()));
    type Stat = fn(&nninit_diag::LayerStats) -> String;
    let mut stats: Vec<(&str, Stat)> = vec![
        (
            "activation std (pooled over images x units)",
            |l| num(l.std),
        ),
        (
            "signal (mean over units of each unit's std across images)",
            |l| num(l.signal),
        ),
        (
            "cosine similarity between images (mean over up to 128 disjoint pairs)",
            |l| match l.mean_cosine {
                Some(c) => format!("{c:.4}"),
                None => "-".into(),
            },
        ),
    ];
    if all {
        stats.push(("bias spread (std over units of each unit's mean)", |l| {
            num(l.bias_spread)
        }));
        stats.push(("inf/NaN outputs", |l| pct(l.frac_nonfinite)));
        stats.push(("activation mean", |l| num(l.mean)));
        stats.push(("exact zeros (dead ReLU outputs)", |l| pct(l.frac_zero)));
        stats.push(("units dead on the whole batch", |l| pct(l.frac_dead_units)));
        stats.push(("saturated (|tanh|>0.97, sigmoid<0.03 or >0.97)", |l| {
            pct(l.frac_saturated)
        }));
    }
    let nlayers = r.inits.first().map(|i| i.layers.len()).unwrap_or(0);
    for (title, f) in stats {
        out.push_str(&format!("{title}:\n"));
        let rows: Vec<Vec<String>> = (0..nlayers)
            .map(|li| {
                let mut row = vec![r.inits[0].layers[li].label.clone()];
                row.extend(r.inits.iter().map(|i| f(&i.layers[li])));
                row
            })
            .collect();
        out.push_str(&render(&header, &rows));
        out.push('\n');
    }
    out.push_str(&super::theory::probe_theory_text(r));
    out.push_str(&grad_text(r));
    let c = &r.linear_default;
    out.push_str(&format!(
        "PyTorch default nn.Linear({}, {}).weight: measured std {:.4}, theory 1/sqrt(3*{}) = {:.4}.\n",
        c.fan_in, c.fan_out, c.measured_std, c.fan_in, c.theory_std
    ));
    out.push_str(&format!(
        "The often-quoted sqrt(2/{}) = {:.4} is wrong: Linear uses kaiming_uniform with a = sqrt(5), \
         whose gain sqrt(2/(1+5)) = 1/sqrt(3) gives U(+-1/sqrt(fan_in)), std 1/sqrt(3*fan_in).\n",
        c.fan_in, c.often_quoted_std
    ));
    out
}

/// `probe --grad`'s tables: loss, output-gradient std per layer, and for Linear layers the
/// weight-gradient std and the update:data ratio. Empty without `--grad`.
pub fn grad_text(r: &ProbeReport) -> String {
    let grads: Vec<&super::GradReport> = r.inits.iter().filter_map(|i| i.grad.as_ref()).collect();
    if grads.len() != r.inits.len() || grads.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    let mut header: Vec<&str> = vec!["layer output"];
    header.extend(r.inits.iter().map(|i| i.init.as_str()));
    let mut row = vec!["loss (mean cross-entropy)".to_string()];
    row.extend(grads.iter().map(|g| num(g.loss)));
    out.push_str("backward pass on the same batch:\n");
    out.push_str(&render(&header, &[row]));
    out.push('\n');
    type G = fn(&nninit_diag::GradStats) -> Option<f64>;
    let tables: [(String, G, bool); 3] = [
        (
            "gradient std of the layer output, std(dL/dh):".into(),
            |g| Some(g.output_grad_std),
            false,
        ),
        (
            "gradient std of the weight, std(dL/dW):".into(),
            |g| g.weight_grad_std,
            true,
        ),
        (
            format!(
                "update:data ratio std(lr*dL/dW)/std(W), SGD lr {} (rule of thumb ~1e-3):",
                grads[0].lr
            ),
            |g| g.update_to_data,
            true,
        ),
    ];
    let n = grads[0].layers.len();
    for (title, f, linear_only) in tables {
        out.push_str(&title);
        out.push('\n');
        let rows: Vec<Vec<String>> = (0..n)
            .filter(|&li| !linear_only || grads[0].layers[li].weight_std.is_some())
            .map(|li| {
                let mut row = vec![grads[0].layers[li].label.clone()];
                row.extend(grads.iter().map(|g| match g.layers.get(li).and_then(f) {
                    Some(v) => num(v),
                    None => "-".into(),
                }));
                row
            })
            .collect();
        out.push_str(&render(&header, &rows));
        out.push('\n');
    }
    out
}
