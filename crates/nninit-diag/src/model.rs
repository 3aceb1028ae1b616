//! The model: a `Sequential` of Linear layers and activations, like PyTorch's
//! `nn.Sequential(nn.Linear(784, 256), nn.ReLU(), ...)`.
//!
//! Parameters live as plain `Vec<f32>` in PyTorch's layout (weight `(out, in)`, used as
//! `y = x @ W.T + b`); the forward pass runs on candle-core (CPU).

use crate::activation::Activation;
use crate::error::{DiagError, Result};
use candle_core::{Device, Tensor};
use nninit::layers::{linear_bias_init, linear_weight_init};
use nninit::{Init, Layout, Shape, Stream};

/// One module of a [`Sequential`].
#[derive(Debug, Clone, PartialEq)]
pub enum Layer {
    /// `nn.Linear(in_features, out_features)` with bias.
    Linear {
        /// Inputs.
        in_features: usize,
        /// Outputs.
        out_features: usize,
        /// Weight, row-major `(out_features, in_features)`.
        weight: Vec<f32>,
        /// Bias, `(out_features,)`.
        bias: Vec<f32>,
    },
    /// An elementwise activation.
    Act(Activation),
}

impl Layer {
    /// `Linear`, `ReLU`, `Tanh`, ... (PyTorch's class names).
    pub fn kind(&self) -> String {
        match self {
            Layer::Linear { .. } => "Linear".into(),
            Layer::Act(a) => torch_class_name(*a).into(),
        }
    }
}

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
    /// (see [`crate::lsuv`]). Text form `lsuv` or `lsuv:tol=0.1,max_iter=10`. Needs data:
    /// use [`Sequential::apply_with_data`].
    Lsuv {
        /// Tolerance on `|std − 1|` (dimensionless; default 0.1).
        tol: f64,
        /// Maximum rescalings per layer (default 10).
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
                if *tol == crate::lsuv::DEFAULT_TOL && *max_iter == crate::lsuv::DEFAULT_MAX_ITER {
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

/// Parses `lsuv` / `lsuv:tol=0.1,max_iter=10` (either key may be left out).
fn parse_lsuv(t: &str) -> Result<ModelInit> {
    let (mut tol, mut max_iter) = (crate::lsuv::DEFAULT_TOL, crate::lsuv::DEFAULT_MAX_ITER);
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
    crate::lsuv::validate(tol, max_iter)?;
    Ok(ModelInit::Lsuv { tol, max_iter })
}

impl std::fmt::Display for ModelInit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label())
    }
}

/// Most weights one Linear layer may have (2^30: 4 GiB of f32).
pub const MAX_LAYER_WEIGHTS: usize = 1 << 30;
/// Most hidden layers [`Sequential::deep_widths`] builds.
pub const MAX_DEPTH: usize = 1000;

/// A stack of layers applied in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Sequential {
    /// The layers, in order.
    pub layers: Vec<Layer>,
}

impl Sequential {
    /// An MLP with these layer widths (`[784, 256, 128, 10]`): Linear, activation, ...,
    /// Linear (no activation after the last). Parameters start at zero; call
    /// [`Sequential::apply`].
    ///
    /// # Errors
    /// [`DiagError::InvalidSpec`] for fewer than 2 widths or a zero width.
    pub fn mlp(widths: &[usize], act: Activation) -> Result<Sequential> {
        if widths.len() < 2 {
            return Err(DiagError::InvalidSpec(format!(
                "an MLP needs at least 2 layer widths (input and output), got {widths:?}"
            )));
        }
        if let Some(i) = widths.iter().position(|&w| w == 0) {
            return Err(DiagError::InvalidSpec(format!(
                "layer width {i} is 0 in {widths:?}; every width must be >= 1"
            )));
        }
        let mut layers = vec![];
        for (i, win) in widths.windows(2).enumerate() {
            let (fi, fo) = (win[0], win[1]);
            let n = fi
                .checked_mul(fo)
                .filter(|&n| n <= MAX_LAYER_WEIGHTS)
                .ok_or_else(|| {
                    DiagError::InvalidSpec(format!(
                        "layer {fi}x{fo} is too large: at most {MAX_LAYER_WEIGHTS} weights (4 GiB of f32) per layer"
                    ))
                })?;
            let weight = try_zeros(n, &format!("a {fi}x{fo} layer"))?;
            layers.push(Layer::Linear {
                in_features: fi,
                out_features: fo,
                weight,
                bias: vec![0.0; fo],
            });
            if i + 2 < widths.len() {
                layers.push(Layer::Act(act));
            }
        }
        Ok(Sequential { layers })
    }

    /// Widths of a deep MLP: `input`, then `depth` hidden layers of `width`, then `output`.
    ///
    /// # Errors
    /// [`DiagError::InvalidSpec`] when `depth` or `width` is 0.
    pub fn deep_widths(
        input: usize,
        width: usize,
        depth: usize,
        output: usize,
    ) -> Result<Vec<usize>> {
        if depth > MAX_DEPTH {
            return Err(DiagError::InvalidSpec(format!(
                "--depth {depth} is too deep: at most {MAX_DEPTH} hidden layers"
            )));
        }
        if depth == 0 || width == 0 {
            return Err(DiagError::InvalidSpec(format!(
                "--depth and --width must be >= 1, got depth {depth}, width {width}"
            )));
        }
        let mut w = vec![input];
        w.extend(std::iter::repeat_n(width, depth));
        w.push(output);
        Ok(w)
    }

    /// Input width.
    pub fn in_features(&self) -> usize {
        self.layers
            .iter()
            .find_map(|l| match l {
                Layer::Linear { in_features, .. } => Some(*in_features),
                Layer::Act(_) => None,
            })
            .unwrap_or(0)
    }

    /// Initialises the model exactly as a PyTorch script does:
    ///
    /// ```python
    /// torch.manual_seed(seed)
    /// model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), ...)   # construction
    /// model.apply(init_fn)                                          # only for a scheme
    /// ```
    ///
    /// 1. **Construction**: every Linear draws PyTorch's default init, layer by layer, weight
    ///    (`kaiming_uniform(a=√5)`) then bias (`U(±1/√fan_in)`).
    /// 2. For [`ModelInit::Scheme`], `model.apply(init_fn)`: per Linear, the scheme's weight,
    ///    then its bias (`zeros` draws nothing). [`ModelInit::TorchDefault`] stops after 1.
    ///
    /// The same code runs for every stream, so results differ only by the stream; with a
    /// [`nninit::TorchGenerator`] seeded with `seed` the parameters equal PyTorch's bit for
    /// bit (f32, CPU).
    ///
    /// # Errors
    /// Errors from [`Init::resolve`] (checked for every layer before the first draw, so on
    /// error nothing is drawn).
    pub fn apply<S: Stream + ?Sized>(&mut self, init: &ModelInit, stream: &mut S) -> Result<()> {
        // Validate every layer's inits before drawing anything.
        for layer in &self.layers {
            if let (
                Layer::Linear {
                    in_features,
                    out_features,
                    ..
                },
                ModelInit::Scheme { weight, bias },
            ) = (layer, init)
            {
                weight.resolve(&Shape::new(&[*out_features, *in_features])?, Layout::Torch)?;
                bias.resolve(&Shape::new(&[*out_features])?, Layout::Torch)?;
            }
        }
        if let ModelInit::Lsuv { .. } = init {
            return Err(DiagError::InvalidSpec(
                "init 'lsuv' needs a data batch: use Sequential::apply_with_data".into(),
            ));
        }
        // 1. nn.Sequential(...) construction: default init, weight then bias, per Linear.
        self.fill_linears(stream, |fan_in| {
            (linear_weight_init(), linear_bias_init(fan_in))
        })?;
        // 2. model.apply(init_fn).
        if let ModelInit::Scheme { weight, bias } = init {
            self.fill_linears(stream, |_| (weight.clone(), bias.clone()))?;
        }
        Ok(())
    }

    /// Fills every Linear layer in order, weight then bias, with the inits `inits(fan_in)` gives.
    fn fill_linears<S: Stream + ?Sized>(
        &mut self,
        stream: &mut S,
        inits: impl Fn(usize) -> (Init, Init),
    ) -> Result<()> {
        for layer in &mut self.layers {
            if let Layer::Linear {
                in_features,
                out_features,
                weight,
                bias,
            } = layer
            {
                let (wi, bi) = inits(*in_features);
                wi.fill(
                    weight,
                    &Shape::new(&[*out_features, *in_features])?,
                    Layout::Torch,
                    stream,
                )?;
                bi.fill(bias, &Shape::new(&[*out_features])?, Layout::Torch, stream)?;
            }
        }
        Ok(())
    }

    /// Runs `x` (row-major `(batch, in_features)`) through the model and returns every layer's
    /// output, in order, each `(batch, width)` row-major.
    ///
    /// # Errors
    /// [`DiagError::InvalidSpec`] when `x.len() != batch · in_features`.
    pub fn forward_all(&self, x: &[f32], batch: usize) -> Result<Vec<Tensor>> {
        let fin = self.in_features();
        if batch == 0 || x.len() != batch * fin {
            return Err(DiagError::InvalidSpec(format!(
                "input has {} values; expected batch {batch} x {fin} features",
                x.len()
            )));
        }
        // The tensor engine aborts the process when an allocation fails: check up front that
        // the copies this pass makes (every weight, every layer output, the input) fit.
        let floats = self.layers.iter().fold(x.len(), |n, l| {
            n.saturating_add(match l {
                Layer::Linear {
                    out_features,
                    weight,
                    bias,
                    ..
                // the output, and the activation's output after it
                } => (weight.len() + bias.len())
                    .saturating_add(batch.saturating_mul(*out_features).saturating_mul(2)),
                Layer::Act(_) => 0,
            })
        });
        Vec::<f32>::new().try_reserve_exact(floats).map_err(|_| {
            DiagError::InvalidSpec(format!(
                "not enough memory for the forward pass ({} MiB): use a smaller --batch or \
                 smaller layers",
                floats.saturating_mul(4) >> 20
            ))
        })?;
        let dev = Device::Cpu;
        let mut h = Tensor::from_slice(x, (batch, fin), &dev)?;
        let mut outs = Vec::with_capacity(self.layers.len());
        for layer in &self.layers {
            h = match layer {
                Layer::Linear {
                    in_features,
                    out_features,
                    weight,
                    bias,
                } => {
                    let w = Tensor::from_slice(weight, (*out_features, *in_features), &dev)?;
                    let b = Tensor::from_slice(bias, *out_features, &dev)?;
                    crate::train::linear(&h, &w)?.broadcast_add(&b)?
                }
                Layer::Act(a) => activation_forward(*a, &h)?,
            };
            outs.push(h.clone());
        }
        Ok(outs)
    }
}

/// PyTorch's module class name for an activation (`ReLU`, `Tanh`, `GELU`, ...).
pub fn torch_class_name(act: Activation) -> &'static str {
    match act {
        Activation::Identity => "Identity",
        Activation::Relu => "ReLU",
        Activation::LeakyRelu(_) => "LeakyReLU",
        Activation::Tanh => "Tanh",
        Activation::Sigmoid => "Sigmoid",
        Activation::Gelu | Activation::GeluTanh => "GELU",
        Activation::Silu => "SiLU",
        Activation::Mish => "Mish",
        Activation::Elu(_) => "ELU",
        Activation::Selu => "SELU",
        Activation::Softplus => "Softplus",
    }
}

/// Applies `act` to a tensor with candle ops (differentiable, so training can reuse it).
pub fn activation_forward(act: Activation, x: &Tensor) -> Result<Tensor> {
    Ok(match act {
        Activation::Identity => x.clone(),
        Activation::Relu => x.relu()?,
        Activation::LeakyRelu(s) => {
            // max(x, 0) + s·min(x, 0)
            (x.relu()? + x.minimum(0.0)?.affine(s, 0.0)?)?
        }
        Activation::Tanh => x.tanh()?,
        Activation::Sigmoid => (x.neg()?.exp()? + 1.0)?.recip()?,
        Activation::Gelu => x.gelu_erf()?,
        Activation::GeluTanh => x.gelu()?,
        Activation::Silu => x.silu()?,
        Activation::Softplus => softplus(x)?,
        Activation::Mish => (x * softplus(x)?.tanh()?)?,
        Activation::Elu(alpha) => elu(x, alpha)?,
        Activation::Selu => {
            const ALPHA: f64 = 1.673_263_242_354_377_3;
            const SCALE: f64 = 1.050_700_987_355_480_5;
            elu(x, ALPHA)?.affine(SCALE, 0.0)?
        }
    })
}

/// `log(1 + e^x) = relu(x) + log(1 + e^{-|x|})`, stable for large |x|.
fn softplus(x: &Tensor) -> candle_core::Result<Tensor> {
    x.relu()? + ((x.abs()?.neg()?.exp()? + 1.0)?.log()?)
}

/// `x` for x > 0, `alpha·(e^x − 1)` otherwise, via `relu(x) + alpha·(exp(min(x,0)) − 1)`.
fn elu(x: &Tensor, alpha: f64) -> candle_core::Result<Tensor> {
    x.relu()? + x.minimum(0.0)?.exp()?.affine(alpha, -alpha)?
}

/// `n` zeros, or [`DiagError::InvalidSpec`] naming `what` (and its size) instead of the abort
/// of an infallible allocation when memory runs out.
pub(crate) fn try_zeros(n: usize, what: &str) -> Result<Vec<f32>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| {
        DiagError::InvalidSpec(format!(
            "not enough memory for {what} ({} MiB)",
            n.saturating_mul(4) >> 20
        ))
    })?;
    v.resize(n, 0.0);
    Ok(v)
}
