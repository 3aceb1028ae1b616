//! Advice for any model: the same rules as [`advise`](super::advise), read from the module
//! outputs a probe of a PyTorch model records (`nninit.torch.probe`).
//!
//! A model is not always an MLP, so [`advise_module`] first picks the **chain** of outputs the
//! rules read, as the CLI's rules read the hidden activations of its MLP:
//!
//! * two or more **blocks** (residual-block outputs: the residual stream) — the chain is the
//!   blocks; their growth or shrinkage is the residual stream's, flagged beyond
//!   [`RESIDUAL_FACTOR_THRESHOLD`](super::RESIDUAL_FACTOR_THRESHOLD) (2x) either way;
//! * else two or more **activation modules** (`ReLU`, `Tanh`, ...) — the chain is their
//!   outputs, and the activation is theirs when they are all of one kind;
//! * else every recorded output that is not a weight layer, or, when there are fewer than two
//!   (activations called as functions, `torch.tanh(layer(x))`), the weight layers' outputs.
//!
//! The **weight layers** (`Linear`, `Conv1d/2d/3d`, `ConvTranspose*`, `Bilinear`) carry the
//! constant-weights rule. Gradients are compared along the chain (the gradient of the loss
//! with respect to the first chain output against the last, width-corrected as in
//! [`advise`](super::advise)), so a transformer's vocabulary-sized output layer does not skew
//! them.
//!
//! **A plain MLP** (optional `Flatten`/`Dropout`/`Identity`, then `Linear, act, Linear, ...,
//! Linear` with one activation) with the input's moments ([`ModuleRun::input`]) is handed to
//! [`advise`](super::advise) itself: the mean-field prediction of the network as initialised
//! (from the measured weight and bias std of each layer) supplies `χ₁` without a backward pass,
//! and a suggested init is checked by the mean field before it is printed, exactly as
//! `nninit probe` does. For other models no mean-field check exists here, so no init is
//! suggested: the advice names the cause and a remedy.

use super::{
    detect, input_cosine, ActInfo, Advice, Basis, Finding, InputMoments, Observation, Symptom, View,
};
use crate::activation::Activation;
use crate::error::{DiagError, Result};
use crate::stats::{GradStats, LayerStats};
use crate::theory::{moment_quantiles, LinearSpec, MeanFieldNet, MfLayer};
use serde::{Deserialize, Serialize};

/// One recorded module output of any model: a layer record of the Python probe's report
/// (`nninit.torch.probe`, `nninit/_stats.py`). Every statistic may be absent (`null`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModuleOutput {
    /// The module's fully qualified name (`transformer.h.3`; `name#2` for a second call).
    pub name: String,
    /// The module's class (`Linear`, `Conv2d`, `ReLU`, `Block`, ...).
    pub kind: String,
    /// A block output (residual stream).
    #[serde(default)]
    pub block: bool,
    /// For an activation module, the activation as nninit parses it (`relu`,
    /// `leaky_relu:0.2`); absent otherwise.
    #[serde(default)]
    pub activation: Option<String>,
    /// Units: the size of the feature dimension.
    #[serde(default)]
    pub units: usize,
    /// Rows: outputs per unit (batch × positions).
    #[serde(default)]
    pub rows: Option<f64>,
    /// Mean of the outputs.
    #[serde(default)]
    pub mean: Option<f64>,
    /// Std of the outputs over rows × units (population).
    #[serde(default)]
    pub std: Option<f64>,
    /// Mean over units of each unit's std across rows (the input-dependent part).
    #[serde(default)]
    pub signal: Option<f64>,
    /// Std over units of each unit's mean (the part that is the same for every input).
    #[serde(default)]
    pub bias_spread: Option<f64>,
    /// Mean cosine similarity between the rows (dimensionless, in `[-1, 1]`).
    #[serde(default)]
    pub correlation: Option<f64>,
    /// Fraction of outputs exactly 0.
    #[serde(default)]
    pub frac_zero: Option<f64>,
    /// Fraction of units that are 0 for every row.
    #[serde(default)]
    pub frac_dead: Option<f64>,
    /// Fraction of saturated outputs (tanh, sigmoid; `None` for others).
    #[serde(default)]
    pub frac_saturated: Option<f64>,
    /// Number of inf/NaN outputs.
    #[serde(default)]
    pub nonfinite: Option<f64>,
    /// Std of the module's `weight` (weight layers).
    #[serde(default)]
    pub weight_std: Option<f64>,
    /// Mean of the module's `bias`.
    #[serde(default)]
    pub bias_mean: Option<f64>,
    /// Std of the module's `bias` (0 for zeros or any constant).
    #[serde(default)]
    pub bias_std: Option<f64>,
    /// Std of `∂L/∂(output)` (with a backward pass).
    #[serde(default)]
    pub grad_std: Option<f64>,
}

/// The input of the probed batch, when it is one tensor: its feature count (elements per
/// row after flattening) and its moments ([`InputMoments`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModuleInput {
    /// Elements per example (the first `Linear`'s `in_features` for an MLP).
    pub features: usize,
    /// The moments, as [`crate::theory::row_second_moments`] and
    /// [`crate::theory::row_pair_moments`] compute them.
    #[serde(flatten)]
    pub moments: InputMoments,
}

/// One probed init of a model: its recorded outputs in forward order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModuleRun {
    /// The outputs, in the order the modules ran.
    pub layers: Vec<ModuleOutput>,
    /// The input (enables the mean-field advice of a plain MLP).
    #[serde(default)]
    pub input: Option<ModuleInput>,
}

/// Module classes whose weight multiplies the input (the constant-weights rule).
fn is_weight_layer(kind: &str) -> bool {
    matches!(
        kind,
        "Linear"
            | "LazyLinear"
            | "Bilinear"
            | "Conv1d"
            | "Conv2d"
            | "Conv3d"
            | "ConvTranspose1d"
            | "ConvTranspose2d"
            | "ConvTranspose3d"
    )
}

/// Modules an MLP may hold that change no statistic the rules read.
fn is_passthrough(kind: &str) -> bool {
    matches!(kind, "Flatten" | "Dropout" | "Identity" | "Unflatten")
}

fn finite(x: Option<f64>) -> Option<f64> {
    x.filter(|v| v.is_finite())
}

fn view(l: &ModuleOutput, linear: bool) -> View {
    let std = l.std.unwrap_or(f64::NAN);
    // one row: nothing to compare across inputs
    let across = l.rows.is_none_or(|r| r >= 2.0);
    View {
        label: l.name.clone(),
        linear,
        width: l.units,
        std,
        signal: finite(l.signal).filter(|_| across),
        cosine: finite(l.correlation).filter(|_| across),
        dead: finite(l.frac_dead).unwrap_or(0.0),
        saturated: finite(l.frac_saturated).unwrap_or(0.0),
        nonfinite: l.nonfinite.is_some_and(|n| n > 0.0) || !std.is_finite(),
        weight_std: l.weight_std,
        chi1: None,
        grad_std: None,
    }
}

/// The advice for one probed init of any model (see the module docs).
///
/// # Errors
/// [`DiagError::InvalidSpec`] when a plain MLP's recorded widths do not chain (a bug in the
/// caller's records).
///
/// # Example
/// ```
/// use nninit_diag::advice::module::{advise_module, ModuleOutput, ModuleRun};
/// use nninit_diag::advice::Symptom;
/// // four residual blocks whose stream grows 3x per block
/// let layers = (0..4)
///     .map(|k| ModuleOutput {
///         name: format!("h.{k}"),
///         kind: "Block".into(),
///         block: true,
///         units: 64,
///         std: Some(3f64.powi(k)),
///         ..Default::default()
///     })
///     .collect();
/// let advice = advise_module(&ModuleRun { layers, input: None })?;
/// assert_eq!(advice[0].symptom, Symptom::Exploding);
/// # Ok::<(), nninit_diag::DiagError>(())
/// ```
pub fn advise_module(run: &ModuleRun) -> Result<Vec<Advice>> {
    let first: Vec<&ModuleOutput> = run
        .layers
        .iter()
        .filter(|l| !l.name.contains('#'))
        .collect();
    if let Some(obs) = as_mlp(&first, run.input.as_ref())? {
        return super::advise(&obs);
    }
    let blocks: Vec<usize> = (0..first.len()).filter(|&i| first[i].block).collect();
    let acts: Vec<usize> = (0..first.len())
        .filter(|&i| !first[i].block && first[i].activation.is_some())
        .collect();
    let (chain, info, residual) = if blocks.len() >= 2 {
        let info = ActInfo {
            text: "the residual blocks".into(),
            relu_like: false,
            saturates: false,
            residual: true,
        };
        (blocks, info, true)
    } else if acts.len() >= 2 {
        let kinds: Vec<&str> = acts
            .iter()
            .filter_map(|&i| first[i].activation.as_deref())
            .collect();
        let one = kinds.iter().all(|k| *k == kinds[0]);
        let info = match kinds[0].parse::<Activation>() {
            Ok(a) if one => ActInfo::from(a),
            _ => ActInfo {
                text: "the activations".into(),
                relu_like: false,
                saturates: acts.iter().any(|&i| first[i].frac_saturated.is_some()),
                residual: false,
            },
        };
        (acts, info, false)
    } else {
        let mut rest: Vec<usize> = (0..first.len())
            .filter(|&i| !is_weight_layer(&first[i].kind) && !is_passthrough(&first[i].kind))
            .collect();
        if rest.len() < 2 {
            // activations called as functions (torch.tanh(...)): the weight layers' outputs
            rest = (0..first.len())
                .filter(|&i| is_weight_layer(&first[i].kind))
                .collect();
        }
        let info = ActInfo {
            text: "the layers".into(),
            relu_like: false,
            saturates: false,
            residual: false,
        };
        (rest, info, false)
    };
    // the views: the chain (hidden outputs) and the weight layers, in forward order
    let mut views = vec![];
    let mut chain_pos = vec![];
    for (i, l) in first.iter().enumerate() {
        if chain.contains(&i) {
            chain_pos.push(views.len());
            views.push(view(l, false));
        } else if is_weight_layer(&l.kind) {
            views.push(view(l, true));
        }
    }
    if views.is_empty() {
        return Ok(vec![]);
    }
    let input_cos = run.input.as_ref().and_then(|i| input_cosine(&i.moments));
    let mut findings = detect(&info, &views, input_cos, Basis::Measured);
    // gradients along the chain (width-corrected, as the MLP rule)
    if let (Some(&a), Some(&b)) = (chain_pos.first(), chain_pos.last()) {
        let (la, lb) = (first[chain[0]], first[chain[chain.len() - 1]]);
        if a != b && !findings.iter().any(|f| f.symptom == Symptom::Overflow) {
            if let (Some(ga), Some(gb)) = (finite(la.grad_std), finite(lb.grad_std)) {
                if gb > 0.0 {
                    let f = ((ga / gb).powi(2) * la.units.max(1) as f64 / lb.units.max(1) as f64)
                        .sqrt();
                    findings.extend(super::gradient_finding(
                        f,
                        (a, b, chain.len() - 1),
                        (&la.name, &lb.name),
                        Basis::Measured,
                        "measured std(dL/dh), width-corrected",
                        false,
                    ));
                }
            }
        }
    }
    Ok(findings
        .into_iter()
        .map(|mut f| {
            if residual {
                f.cause = residual_cause(&f, &views);
            }
            let r = remedy(f.symptom, residual);
            f.advice(&views, None, Some(r))
        })
        .collect())
}

/// The cause of a residual-stream finding in the stream's own terms.
fn residual_cause(f: &Finding, views: &[View]) -> String {
    match (f.symptom, f.per_layer) {
        (Symptom::Exploding, Some(p)) => format!(
            "the residual stream's std grows x{} per block (x{} from {} to {}): every block \
             adds its output to the stream, and with output projections as large as the rest \
             the variance grows with depth",
            super::num(p),
            super::num(f.total.unwrap_or(f64::NAN)),
            views[f.from].label,
            views[f.to].label
        ),
        (Symptom::Vanishing, Some(p)) => format!(
            "the residual stream's std shrinks x{} per block (x{} from {} to {}): the blocks \
             scale the stream down (a norm or gate on the residual path, or weights far too \
             small)",
            super::num(p),
            super::num(f.total.unwrap_or(f64::NAN)),
            views[f.from].label,
            views[f.to].label
        ),
        _ => f.cause.clone(),
    }
}

/// What to do about a finding where no mean-field check of a fix exists.
fn remedy(symptom: Symptom, residual: bool) -> String {
    match (symptom, residual) {
        (Symptom::Exploding, true) => "scale each block's output projection by \
            1/sqrt(2*n_layer) (GPT-2's c_proj.weight: normal std 0.02/sqrt(2*n_layer); \
            init_module(model, \"gpt2\", ...)) or use a depth-scaled recipe (megatron, \
            olmo-mitchell)"
            .into(),
        (Symptom::Vanishing, true) => "look for a norm or a gate that scales the residual \
            path itself; block weights far too small would not shrink a residual stream"
            .into(),
        (Symptom::Overflow, _) => "the weights are far too large: use a fan-based init \
            (kaiming_normal for ReLU-like activations, xavier_normal for tanh) or a smaller std"
            .into(),
        (Symptom::ConstantWeights, _) => "initialise the weights randomly (kaiming_normal, \
            xavier_normal, normal:0.02, ...); only biases and norm weights may be constant"
            .into(),
        (Symptom::Exploding, false) => "use a smaller gain: kaiming_normal with the \
            activation's nonlinearity, or xavier_normal for tanh/sigmoid; or add normalisation"
            .into(),
        (Symptom::Vanishing | Symptom::DeadRelu, false) | (Symptom::DeadRelu, true) => {
            "use a larger gain: kaiming_normal \
            for ReLU-like activations (PyTorch's Linear default is too small for depth), \
            xavier_normal for tanh; or add normalisation or residual connections"
                .into()
        }
        (Symptom::Collapse, _) => "inputs become indistinguishable: the weights are too small \
            for the biases (shrink the bias init, e.g. zeros) or the net is in its ordered \
            phase (larger gain, normalisation)"
            .into(),
        (Symptom::Saturation, _) => "pre-activations are too large: use xavier_normal (gain \
            5/3 for tanh) or a smaller std"
            .into(),
        (Symptom::VanishingGradients, _) => "gradients shrink going back: a larger gain, \
            normalisation or residual connections"
            .into(),
        (Symptom::Chaos, _) => "gradients grow going back: a smaller gain, normalisation, or \
            gradient clipping"
            .into(),
    }
}

/// The run as the CLI's [`Observation`] when it is a plain MLP with its input known.
fn as_mlp(first: &[&ModuleOutput], input: Option<&ModuleInput>) -> Result<Option<Observation>> {
    let Some(input) = input else {
        return Ok(None);
    };
    let core: Vec<&ModuleOutput> = first
        .iter()
        .copied()
        .filter(|l| !is_passthrough(&l.kind))
        .collect();
    if core.len() < 3 || core.len() % 2 == 0 || core.iter().any(|l| l.block) {
        return Ok(None);
    }
    let mut act: Option<&str> = None;
    for (i, l) in core.iter().enumerate() {
        if i % 2 == 0 {
            if l.kind != "Linear" {
                return Ok(None);
            }
        } else {
            let Some(a) = l.activation.as_deref() else {
                return Ok(None);
            };
            if act.is_some_and(|b| b != a) {
                return Ok(None);
            }
            act = Some(a);
        }
    }
    let Some(act_text) = act else {
        return Ok(None);
    };
    let Ok(activation) = act_text.parse::<Activation>() else {
        return Ok(None);
    };
    let mut widths = vec![input.features];
    widths.extend(core.iter().step_by(2).map(|l| l.units));
    if widths.contains(&0) {
        return Ok(None);
    }
    let mut counts = std::collections::HashMap::<&str, usize>::new();
    let layers: Vec<LayerStats> = core
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let c = counts.entry(l.kind.as_str()).or_default();
            *c += 1;
            let n = l.rows.unwrap_or(0.0) * l.units as f64;
            let std = l.std.unwrap_or(f64::NAN);
            LayerStats {
                index: i + 1,
                kind: l.kind.clone(),
                label: l.name.clone(),
                width: l.units,
                mean: l.mean.unwrap_or(f64::NAN),
                std,
                min: f64::NAN,
                max: f64::NAN,
                frac_zero: l.frac_zero.unwrap_or(0.0),
                frac_dead_units: finite(l.frac_dead).unwrap_or(0.0),
                frac_saturated: finite(l.frac_saturated).unwrap_or(0.0),
                signal: finite(l.signal).unwrap_or(0.0),
                bias_spread: finite(l.bias_spread).unwrap_or(0.0),
                mean_cosine: finite(l.correlation),
                frac_nonfinite: match l.nonfinite {
                    Some(k) if k > 0.0 => (k / n.max(1.0)).max(f64::MIN_POSITIVE),
                    _ if !std.is_finite() => 1.0,
                    _ => 0.0,
                },
                weight_std: l.weight_std,
            }
        })
        .collect();
    let grads = core
        .iter()
        .enumerate()
        .map(|(i, l)| {
            finite(l.grad_std).map(|g| GradStats {
                index: i + 1,
                label: l.name.clone(),
                output_grad_std: g,
                weight_grad_std: None,
                bias_grad_std: None,
                weight_std: l.weight_std,
                update_to_data: None,
            })
        })
        .collect::<Option<Vec<_>>>();
    // the same moments as `nninit probe` predicts from
    let moments = InputMoments {
        second_moments: moment_quantiles(&input.moments.second_moments),
        pairs: input.moments.pairs.clone(),
    };
    // the mean field of the network as initialised, from the measured weight and bias std
    let mut mf = vec![];
    let mut ok = true;
    for (i, l) in core.iter().enumerate() {
        if i % 2 == 0 {
            let (fan_in, fan_out) = (widths[i / 2], widths[i / 2 + 1]);
            match l.weight_std {
                Some(w) if w.is_finite() => mf.push(MfLayer::Linear(LinearSpec {
                    fan_in,
                    fan_out,
                    sigma_w2: w * w * fan_in as f64,
                    bias_mean: l.bias_mean.unwrap_or(0.0),
                    bias_var: l.bias_std.map_or(0.0, |s| s * s),
                })),
                _ => ok = false,
            }
        } else {
            mf.push(MfLayer::Act(activation));
        }
    }
    let predicted = if ok {
        MeanFieldNet::new(mf).ok().and_then(|net| {
            net.predict_with_pairs(&moments.second_moments, &moments.pairs)
                .ok()
        })
    } else {
        None
    };
    if layers.len() + 1 != 2 * (widths.len() - 1) {
        return Err(DiagError::InvalidSpec(format!(
            "advice: {} MLP outputs for widths {widths:?}",
            layers.len()
        )));
    }
    Ok(Some(Observation {
        widths,
        activation: activation.to_string(),
        layers,
        grads,
        predicted,
        input: moments,
    }))
}
