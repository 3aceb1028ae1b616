//! The model-initialisation spec: how every Linear layer of a model is initialised
//! ([`ModelInit`], the CLI's `--init` entries), LSUV's parameters and their defaults, and the
//! one function every parameter fill goes through ([`init_param`]).

use crate::error::{DiagError, Result};
use nninit::{Init, Layout, Shape, Stream};

/// LSUV's default tolerance on `|std − 1|` (the reference code's `std_tol`).
pub const LSUV_DEFAULT_TOL: f64 = 0.1;
/// LSUV's default maximum number of rescalings per layer (the reference code's
/// `max_attempts`).
pub const LSUV_DEFAULT_MAX_ITER: usize = 10;

/// How the weights of every Linear layer are initialised (`model.apply(fn)`).
#[derive(Debug, Clone, PartialEq)]
pub enum ModelInit {
    /// PyTorch's defaults: weight `kaiming_uniform(a=√5)` = `U(±1/√fan_in)`, bias
    /// `U(±1/√fan_in)`, drawn weight then bias per layer (`pytorch-default`).
    TorchDefault,
    /// The scheme for every weight; biases zero unless `bias` says otherwise.
    Scheme {
        /// Weight init.
        weight: Init,
        /// Bias init (default zeros).
        bias: Init,
    },
    /// LSUV (Mishkin & Matas 2015): orthogonal weights, zero biases, then each Linear
    /// layer's weight rescaled until its output std on a data batch is 1 within `tol`
    /// (see the `lsuv` module). Text form `lsuv` or `lsuv:tol=0.1,max_iter=10`. Needs data:
    /// use `Sequential::apply_with_data`.
    Lsuv {
        /// Tolerance on `|std − 1|` (dimensionless; default [`LSUV_DEFAULT_TOL`]).
        tol: f64,
        /// Maximum rescalings per layer (default [`LSUV_DEFAULT_MAX_ITER`]).
        max_iter: usize,
    },
}

impl ModelInit {
    /// A scheme for the weights, zero biases.
    pub fn weights(init: Init) -> ModelInit {
        ModelInit::Scheme {
            weight: init,
            bias: Init::Zeros,
        }
    }

    /// LSUV with the default parameters.
    pub fn lsuv() -> ModelInit {
        ModelInit::Lsuv {
            tol: LSUV_DEFAULT_TOL,
            max_iter: LSUV_DEFAULT_MAX_ITER,
        }
    }

    /// The label used in tables and JSON (`pytorch-default`, or the init's text form).
    pub fn label(&self) -> String {
        match self {
            ModelInit::TorchDefault => "pytorch-default".into(),
            ModelInit::Scheme { weight, bias } => {
                if *bias == Init::Zeros {
                    weight.to_string()
                } else {
                    format!("{weight}+bias={bias}")
                }
            }
            ModelInit::Lsuv { tol, max_iter } => {
                if *tol == LSUV_DEFAULT_TOL && *max_iter == LSUV_DEFAULT_MAX_ITER {
                    "lsuv".into()
                } else {
                    format!("lsuv:tol={tol},max_iter={max_iter}")
                }
            }
        }
    }
}

impl std::str::FromStr for ModelInit {
    type Err = DiagError;
    /// `pytorch-default` (also `torch-default`, `default`), `lsuv[:tol=T,max_iter=N]`, or any
    /// [`Init`] text form.
    fn from_str(s: &str) -> Result<ModelInit> {
        let t = s.trim();
        if t == "lsuv" || t.starts_with("lsuv:") {
            return parse_lsuv(t);
        }
        match t {
            "pytorch-default" | "torch-default" | "pytorch_default" | "default" => {
                Ok(ModelInit::TorchDefault)
            }
            other => Ok(ModelInit::weights(other.parse()?)),
        }
    }
}

impl std::fmt::Display for ModelInit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label())
    }
}

/// Parses `lsuv` / `lsuv:tol=0.1,max_iter=10` (either key may be left out).
fn parse_lsuv(t: &str) -> Result<ModelInit> {
    let (mut tol, mut max_iter) = (LSUV_DEFAULT_TOL, LSUV_DEFAULT_MAX_ITER);
    let bad = |why: String| {
        DiagError::InvalidSpec(format!(
            "invalid init '{t}': {why}; expected lsuv or lsuv:tol=0.1,max_iter=10"
        ))
    };
    if let Some(params) = t.strip_prefix("lsuv:") {
        for kv in params.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| bad(format!("'{kv}' is not key=value")))?;
            match k.trim() {
                "tol" => {
                    tol = v
                        .trim()
                        .parse()
                        .map_err(|_| bad(format!("tol '{v}' is not a number")))?
                }
                "max_iter" => {
                    max_iter = v
                        .trim()
                        .parse()
                        .map_err(|_| bad(format!("max_iter '{v}' is not a whole number")))?
                }
                other => return Err(bad(format!("unknown parameter '{other}'"))),
            }
        }
    }
    validate_lsuv(tol, max_iter)?;
    Ok(ModelInit::Lsuv { tol, max_iter })
}

/// Checks LSUV's parameters.
///
/// # Errors
/// [`DiagError::InvalidSpec`] unless `tol` is finite and > 0 and `max_iter >= 1`.
pub fn validate_lsuv(tol: f64, max_iter: usize) -> Result<()> {
    if !(tol.is_finite() && tol > 0.0) {
        return Err(DiagError::InvalidSpec(format!(
            "lsuv tol must be finite and > 0, got {tol}"
        )));
    }
    if max_iter == 0 {
        return Err(DiagError::InvalidSpec(
            "lsuv max_iter must be >= 1, got 0".into(),
        ));
    }
    Ok(())
}

/// Fills one parameter tensor `out` (shape `shape`, PyTorch layout) with `init` from
/// `stream`: the single place where a model's parameters are drawn. `name` is the
/// parameter's PyTorch state-dict name (`0.weight`, `0.bias`, `2.weight`, ...), announced to
/// the stream before the draw ([`Stream::select_tensor`]): a counter-based stream
/// ([`nninit::Philox`]) keys the parameter by it, so its values do not depend on the other
/// layers; sequential streams (PyTorch's generator, `RngStream`) ignore it.
///
/// # Errors
/// Errors of [`Init::fill`] (nothing is drawn then).
pub fn init_param<S: Stream + ?Sized>(
    stream: &mut S,
    name: &str,
    init: &Init,
    out: &mut [f32],
    shape: &[usize],
) -> Result<()> {
    // the per-tensor naming hook (its only call site): Philox keys the draws by the name,
    // so adding a layer changes no other parameter; torch/std streams ignore it
    stream.select_tensor(name);
    init.fill(out, &Shape::new(shape)?, Layout::Torch, stream)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_forms_round_trip() {
        for s in [
            "pytorch-default",
            "kaiming_uniform",
            "normal:std=0.02",
            "lsuv",
            "lsuv:tol=0.05,max_iter=3",
        ] {
            let i: std::result::Result<ModelInit, _> = s.parse();
            let label = i.as_ref().map(|i| i.label()).ok();
            assert_eq!(label.as_deref(), Some(s), "{s}");
        }
        assert_eq!("lsuv".parse::<ModelInit>().ok(), Some(ModelInit::lsuv()));
        assert_eq!(
            "default".parse::<ModelInit>().ok(),
            Some(ModelInit::TorchDefault)
        );
        for bad in [
            "lsuv:tol=0",
            "lsuv:max_iter=0",
            "lsuv:x=1",
            "kaiming_unifrom",
        ] {
            assert!(bad.parse::<ModelInit>().is_err(), "{bad}");
        }
    }
}
