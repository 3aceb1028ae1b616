//! The model: a `Sequential` of Linear layers and activations, like PyTorch's
//! `nn.Sequential(nn.Linear(784, 256), nn.ReLU(), ...)`.
//!
//! Parameters live as plain `Vec<f32>` in PyTorch's layout (weight `(out, in)`, used as
//! `y = x @ W.T + b`). The model is a description plus parameters; it is initialised here
//! ([`Sequential::apply`]) and executed by `DenseNet` (the `dense` module).

use crate::activation::Activation;
use crate::error::{DiagError, Result};
use crate::init::{init_param, ModelInit};
use crate::linalg::try_zeros;
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
    /// The same code runs for any [`Stream`], so results differ only by the stream; with a
    /// [`nninit::TorchGenerator`] seeded with `seed` the parameters equal PyTorch's bit for
    /// bit (f32, CPU). Every parameter a model gets from a stream (probe, train, and LSUV's
    /// orthogonal pre-init) is drawn here, one tensor at a time through [`init_param`].
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

    /// Fills every Linear layer in order, weight then bias, with the inits `inits(fan_in)`
    /// gives, each through [`init_param`] under its state-dict name.
    fn fill_linears<S: Stream + ?Sized>(
        &mut self,
        stream: &mut S,
        inits: impl Fn(usize) -> (Init, Init),
    ) -> Result<()> {
        for (i, layer) in self.layers.iter_mut().enumerate() {
            if let Layer::Linear {
                in_features,
                out_features,
                weight,
                bias,
            } = layer
            {
                let (wi, bi) = inits(*in_features);
                init_param(
                    stream,
                    &param_name(i, "weight"),
                    &wi,
                    weight,
                    &[*out_features, *in_features],
                )?;
                init_param(stream, &param_name(i, "bias"), &bi, bias, &[*out_features])?;
            }
        }
        Ok(())
    }
}

/// The PyTorch state-dict name of parameter `what` (`weight`, `bias`) of the module at
/// 0-based position `index` of an `nn.Sequential`: `0.weight`, `2.bias`, ...
pub fn param_name(index: usize, what: &str) -> String {
    format!("{index}.{what}")
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
