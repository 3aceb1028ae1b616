//! PyTorch's default per-layer initialisation (`reset_parameters`), as [`Init`] values.
//!
//! Each [`Module`] lists its parameters in PyTorch's `named_parameters()` order, each with
//! the [`Init`] that gives its final value. [`Module::init`] draws them in PyTorch's
//! **construction** order, which can differ: `MultiheadAttention` builds (and draws) its
//! `out_proj` Linear first and later overwrites `out_proj.bias` with zeros, so its draws are
//! consumed but not kept. With a [`crate::TorchGenerator`] seeded like `torch.manual_seed`,
//! the values and the generator position afterwards equal PyTorch's.
//!
//! Source: torch 2.15 `torch/nn/modules/{linear,conv,sparse,normalization,batchnorm,rnn,
//! activation,transformer}.py`.
//!
//! ```
//! use nninit::layers::Module;
//! // nn.Linear(256, 128): weight U(±1/16), bias U(±1/16)
//! let params = Module::linear(256, 128, true).params()?;
//! assert_eq!(params[0].name, "weight");
//! assert_eq!(params[0].shape.dims(), &[128, 256]);
//! # Ok::<(), nninit::InitError>(())
//! ```

use crate::element::Element;
use crate::error::{InitError, Result};
use crate::fan::{Fans, Mode};
use crate::gain::Nonlinearity;
use crate::rng::Stream;
use crate::schemes::Init;
use crate::shape::{Layout, Shape};

/// PyTorch's default weight init of `Linear`/`Conv*`: `kaiming_uniform_(w, a=math.sqrt(5))`,
/// i.e. `U(±1/sqrt(fan_in))`, `std = 1/sqrt(3·fan_in)` (0.0361 for fan_in 256), **not** the
/// often-quoted `sqrt(2/fan_in)` (0.088): the gain with slope √5 is `sqrt(2/6) = 1/sqrt(3)`.
pub fn linear_weight_init() -> Init {
    Init::kaiming_uniform(
        5f64.sqrt(),
        Mode::FanIn,
        Nonlinearity::LeakyRelu(5f64.sqrt()),
    )
}

/// PyTorch's default bias init of `Linear`/`Conv*` for a weight with this `fan_in`:
/// `U(±1/sqrt(fan_in))` (bound 0 when `fan_in == 0`).
pub fn linear_bias_init(fan_in: usize) -> Init {
    let bound = if fan_in > 0 {
        1.0 / (fan_in as f64).sqrt()
    } else {
        0.0
    };
    Init::uniform(-bound, bound)
}

/// One parameter of a module: its PyTorch name, shape and default init.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// PyTorch's attribute name (`weight`, `bias`, `weight_ih_l0`, ...).
    pub name: String,
    /// Shape, PyTorch layout.
    pub shape: Shape,
    /// The scheme PyTorch's `reset_parameters` applies.
    pub init: Init,
    /// A row to zero after drawing (`Embedding`'s `padding_idx`): draws are still consumed.
    pub zero_row: Option<usize>,
}

/// A module's parameters in named order, and its draws in PyTorch's construction order as
/// `(parameter index, init drawn)`.
type Plan = (Vec<Param>, Vec<(usize, Init)>);

/// A layer whose PyTorch default init nninit reproduces.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Module {
    /// `nn.Linear(in_features, out_features, bias)`: weight `(out, in)`.
    Linear {
        /// Inputs.
        in_features: usize,
        /// Outputs.
        out_features: usize,
        /// Whether there is a bias.
        bias: bool,
    },
    /// `nn.Conv{1,2,3}d` (`transposed = false`, weight `(out, in/groups, k...)`) or
    /// `nn.ConvTranspose{1,2,3}d` (`transposed = true`, weight `(in, out/groups, k...)`).
    Conv {
        /// Input channels.
        in_channels: usize,
        /// Output channels.
        out_channels: usize,
        /// Kernel size, one entry per spatial dim (1 to 3 entries).
        kernel_size: Vec<usize>,
        /// Groups (must divide both channel counts).
        groups: usize,
        /// Whether there is a bias.
        bias: bool,
        /// ConvTranspose.
        transposed: bool,
    },
    /// `nn.Bilinear(in1, in2, out, bias)`: weight `(out, in1, in2)`, everything `U(±1/sqrt(in1))`.
    Bilinear {
        /// First input size.
        in1_features: usize,
        /// Second input size.
        in2_features: usize,
        /// Outputs.
        out_features: usize,
        /// Whether there is a bias.
        bias: bool,
    },
    /// `nn.Embedding(num_embeddings, embedding_dim, padding_idx)`: `N(0, 1)`, padding row zeroed.
    Embedding {
        /// Rows.
        num_embeddings: usize,
        /// Columns.
        embedding_dim: usize,
        /// Row set to zero after drawing.
        padding_idx: Option<usize>,
    },
    /// `nn.RNN`/`nn.LSTM`/`nn.GRU(input_size, hidden_size, num_layers, bias, batch_first,
    /// dropout, bidirectional, proj_size)`: every parameter `U(±1/sqrt(hidden_size))`, in
    /// `parameters()` order: per layer, per direction (forward, then `_reverse`):
    /// `weight_ih_l{k}` `(gate·hidden, in_k)`, `weight_hh_l{k}` `(gate·hidden, real_hidden)`,
    /// [`bias_ih_l{k}`, `bias_hh_l{k}` `(gate·hidden,)`], [`weight_hr_l{k}` `(proj, hidden)`];
    /// gate = 1 (RNN), 4 (LSTM), 3 (GRU); `real_hidden = proj_size` if > 0 else `hidden_size`;
    /// `in_0 = input_size`, `in_k = real_hidden · num_directions`.
    Rnn {
        /// RNN (tanh/relu: same init), LSTM or GRU.
        mode: RnnMode,
        /// Input features.
        input_size: usize,
        /// Hidden features (> 0).
        hidden_size: usize,
        /// Stacked layers (> 0).
        num_layers: usize,
        /// Whether there are biases.
        bias: bool,
        /// Two directions.
        bidirectional: bool,
        /// LSTM projection size (0 = none; must be < hidden_size).
        proj_size: usize,
    },
    /// `nn.MultiheadAttention(embed_dim, num_heads, bias, add_bias_kv, kdim, vdim)`.
    /// Parameters (named order): `in_proj_weight` `(3E, E)` (or `q_proj_weight` `(E, E)`,
    /// `k_proj_weight` `(E, kdim)`, `v_proj_weight` `(E, vdim)` when kdim/vdim differ from E),
    /// `in_proj_bias` `(3E,)` zeros, `bias_k`, `bias_v` `(1, 1, E)` xavier_normal,
    /// `out_proj.weight` `(E, E)` Linear default (kaiming_uniform a=√5, **not** xavier),
    /// `out_proj.bias` zeros. Draw order: out_proj weight, out_proj bias (discarded), in_proj
    /// (or q, k, v) xavier_uniform, bias_k, bias_v.
    MultiheadAttention {
        /// Embedding dim E (> 0, divisible by num_heads).
        embed_dim: usize,
        /// Heads (> 0).
        num_heads: usize,
        /// Whether in_proj/out_proj have biases.
        bias: bool,
        /// Learned bias_k/bias_v.
        add_bias_kv: bool,
        /// Key features (None = E).
        kdim: Option<usize>,
        /// Value features (None = E).
        vdim: Option<usize>,
    },
    /// `nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, bias=bias)`: `self_attn`
    /// (MultiheadAttention, drawn first), `linear1` (d_model→dim_feedforward), `linear2`
    /// (dim_feedforward→d_model), `norm1`, `norm2` (LayerNorm: no draws). A
    /// `TransformerEncoder` deep-copies one layer, so all its layers are equal (no extra draws).
    TransformerEncoderLayer {
        /// Model width.
        d_model: usize,
        /// Attention heads.
        nhead: usize,
        /// Feed-forward width (PyTorch default 2048).
        dim_feedforward: usize,
        /// Biases in attention, linears and norms.
        bias: bool,
    },
    /// `nn.LayerNorm`/`BatchNorm*`/`GroupNorm`/`InstanceNorm*` (affine): weight 1, bias 0,
    /// over `num_features` (for LayerNorm: the product of `normalized_shape`). No draws.
    Norm {
        /// Number of affine features.
        num_features: usize,
        /// Whether there is a bias.
        bias: bool,
    },
}

/// The recurrent cell of [`Module::Rnn`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RnnMode {
    /// `nn.RNN` (tanh or relu): 1 gate.
    Rnn,
    /// `nn.LSTM`: 4 gates.
    Lstm,
    /// `nn.GRU`: 3 gates.
    Gru,
}

impl RnnMode {
    /// Gates per hidden unit (1, 4, 3).
    pub fn gates(&self) -> usize {
        match self {
            RnnMode::Rnn => 1,
            RnnMode::Lstm => 4,
            RnnMode::Gru => 3,
        }
    }
}

/// Whether filling with `init` consumes random draws.
fn draws_random(init: &Init) -> bool {
    !matches!(
        init,
        Init::Constant(_) | Init::Zeros | Init::Ones | Init::Eye | Init::Dirac { .. }
    )
}

fn invalid(msg: String) -> InitError {
    InitError::InvalidModule(msg)
}

/// `(name, dims, final init, draws)` of MultiheadAttention, with a name prefix; draws are in
/// construction order and index into the returned params.
fn mha_parts(
    prefix: &str,
    e: usize,
    num_heads: usize,
    bias: bool,
    add_bias_kv: bool,
    kdim: Option<usize>,
    vdim: Option<usize>,
) -> Result<Plan> {
    if e == 0 || num_heads == 0 {
        return Err(invalid(format!(
            "multihead attention needs embed_dim > 0 and num_heads > 0, got {e} and {num_heads}"
        )));
    }
    if !e.is_multiple_of(num_heads) {
        return Err(invalid(format!(
            "embed_dim ({e}) must be divisible by num_heads ({num_heads})"
        )));
    }
    let (kd, vd) = (kdim.unwrap_or(e), vdim.unwrap_or(e));
    let p = |name: &str, dims: &[usize], init: Init| -> Result<Param> {
        Ok(Param {
            name: format!("{prefix}{name}"),
            shape: Shape::new(dims)?,
            init,
            zero_row: None,
        })
    };
    let xu = Init::xavier_uniform(1.0);
    let xn = Init::xavier_normal(1.0);
    let mut params = vec![];
    if kd == e && vd == e {
        params.push(p("in_proj_weight", &[3 * e, e], xu.clone())?);
    } else {
        params.push(p("q_proj_weight", &[e, e], xu.clone())?);
        params.push(p("k_proj_weight", &[e, kd], xu.clone())?);
        params.push(p("v_proj_weight", &[e, vd], xu.clone())?);
    }
    let n_in = params.len();
    if bias {
        params.push(p("in_proj_bias", &[3 * e], Init::Zeros)?);
    }
    let kv_at = params.len();
    if add_bias_kv {
        params.push(p("bias_k", &[1, 1, e], xn.clone())?);
        params.push(p("bias_v", &[1, 1, e], xn.clone())?);
    }
    let out_w = params.len();
    params.push(p("out_proj.weight", &[e, e], linear_weight_init())?);
    let mut draws = vec![(out_w, linear_weight_init())];
    if bias {
        params.push(p("out_proj.bias", &[e], Init::Zeros)?);
        // Drawn by the Linear constructor, then set to 0 by _reset_parameters.
        draws.push((out_w + 1, linear_bias_init(e)));
    }
    draws.extend((0..n_in).map(|i| (i, xu.clone())));
    if add_bias_kv {
        draws.push((kv_at, xn.clone()));
        draws.push((kv_at + 1, xn));
    }
    Ok((params, draws))
}

impl Module {
    /// `nn.Linear(in_features, out_features, bias)`.
    pub fn linear(in_features: usize, out_features: usize, bias: bool) -> Module {
        Module::Linear {
            in_features,
            out_features,
            bias,
        }
    }

    /// The parameters in PyTorch's order, with their default inits.
    ///
    /// # Errors
    /// [`InitError::InvalidModule`] for an invalid configuration (groups not dividing the
    /// channels, a kernel with 0 or more than 3 dims, a padding index out of range).
    pub fn params(&self) -> Result<Vec<Param>> {
        let p = |name: &str, dims: &[usize], init: Init| -> Result<Param> {
            Ok(Param {
                name: name.into(),
                shape: Shape::new(dims)?,
                init,
                zero_row: None,
            })
        };
        match self {
            Module::Linear {
                in_features,
                out_features,
                bias,
            } => {
                let mut v = vec![p(
                    "weight",
                    &[*out_features, *in_features],
                    linear_weight_init(),
                )?];
                if *bias {
                    v.push(p("bias", &[*out_features], linear_bias_init(*in_features))?);
                }
                Ok(v)
            }
            Module::Conv {
                in_channels,
                out_channels,
                kernel_size,
                groups,
                bias,
                transposed,
            } => {
                if kernel_size.is_empty() || kernel_size.len() > 3 {
                    return Err(InitError::InvalidModule(format!(
                        "conv kernel_size must have 1 to 3 dims, got {kernel_size:?}"
                    )));
                }
                if *groups == 0 || in_channels % groups != 0 || out_channels % groups != 0 {
                    return Err(InitError::InvalidModule(format!(
                        "conv groups ({groups}) must be >= 1 and divide in_channels ({in_channels}) and out_channels ({out_channels})"
                    )));
                }
                let mut dims = if *transposed {
                    vec![*in_channels, out_channels / groups]
                } else {
                    vec![*out_channels, in_channels / groups]
                };
                dims.extend_from_slice(kernel_size);
                // PyTorch computes fan_in with the non-transposed rule for both (so ConvTranspose
                // uses out_channels/groups · Πk).
                let fan_in = Fans::new(&dims, Layout::Torch)?.fan_in;
                let mut v = vec![p("weight", &dims, linear_weight_init())?];
                if *bias {
                    v.push(p("bias", &[*out_channels], linear_bias_init(fan_in))?);
                }
                Ok(v)
            }
            Module::Bilinear {
                in1_features,
                in2_features,
                out_features,
                bias,
            } => {
                if *in1_features == 0 {
                    return Err(InitError::InvalidModule(
                        "bilinear in1_features must be > 0".into(),
                    ));
                }
                let bound = 1.0 / (*in1_features as f64).sqrt();
                let init = Init::uniform(-bound, bound);
                let mut v = vec![p(
                    "weight",
                    &[*out_features, *in1_features, *in2_features],
                    init.clone(),
                )?];
                if *bias {
                    v.push(p("bias", &[*out_features], init)?);
                }
                Ok(v)
            }
            Module::Embedding {
                num_embeddings,
                embedding_dim,
                padding_idx,
            } => {
                if let Some(i) = padding_idx {
                    if *i >= *num_embeddings {
                        return Err(InitError::InvalidModule(format!(
                            "embedding padding_idx {i} must be < num_embeddings {num_embeddings}"
                        )));
                    }
                }
                let mut w = p(
                    "weight",
                    &[*num_embeddings, *embedding_dim],
                    Init::normal(0.0, 1.0),
                )?;
                w.zero_row = *padding_idx;
                Ok(vec![w])
            }
            Module::Rnn { .. }
            | Module::MultiheadAttention { .. }
            | Module::TransformerEncoderLayer { .. } => Ok(self.plan()?.0),
            Module::Norm { num_features, bias } => {
                let mut v = vec![p("weight", &[*num_features], Init::Ones)?];
                if *bias {
                    v.push(p("bias", &[*num_features], Init::Zeros)?);
                }
                Ok(v)
            }
        }
    }

    /// The parameters (named order) and the draws in PyTorch's construction order, as
    /// `(parameter index, init drawn)`. Parameters whose final init draws nothing are set
    /// after all draws.
    fn plan(&self) -> Result<Plan> {
        let in_order = |params: Vec<Param>| {
            let draws = params
                .iter()
                .enumerate()
                .filter(|(_, p)| draws_random(&p.init))
                .map(|(i, p)| (i, p.init.clone()))
                .collect();
            (params, draws)
        };
        match self {
            Module::Rnn {
                mode,
                input_size,
                hidden_size,
                num_layers,
                bias,
                bidirectional,
                proj_size,
            } => {
                if *hidden_size == 0 {
                    return Err(invalid("rnn hidden_size must be greater than zero".into()));
                }
                if *num_layers == 0 {
                    return Err(invalid("rnn num_layers must be greater than zero".into()));
                }
                if *proj_size > 0 && *mode != RnnMode::Lstm {
                    return Err(invalid(
                        "proj_size is only supported for LSTM, not RNN or GRU".into(),
                    ));
                }
                if *proj_size >= *hidden_size && *proj_size > 0 {
                    return Err(invalid(format!(
                        "proj_size ({proj_size}) has to be smaller than hidden_size ({hidden_size})"
                    )));
                }
                let gate = mode.gates() * hidden_size;
                let real = if *proj_size > 0 {
                    *proj_size
                } else {
                    *hidden_size
                };
                let dirs = if *bidirectional { 2 } else { 1 };
                let stdv = 1.0 / (*hidden_size as f64).sqrt();
                let init = Init::uniform(-stdv, stdv);
                let mut v = vec![];
                let mut push = |name: String, dims: &[usize]| -> Result<()> {
                    v.push(Param {
                        name,
                        shape: Shape::new(dims)?,
                        init: init.clone(),
                        zero_row: None,
                    });
                    Ok(())
                };
                for layer in 0..*num_layers {
                    for d in 0..dirs {
                        let sfx = if d == 1 { "_reverse" } else { "" };
                        let lin = if layer == 0 { *input_size } else { real * dirs };
                        push(format!("weight_ih_l{layer}{sfx}"), &[gate, lin])?;
                        push(format!("weight_hh_l{layer}{sfx}"), &[gate, real])?;
                        if *bias {
                            push(format!("bias_ih_l{layer}{sfx}"), &[gate])?;
                            push(format!("bias_hh_l{layer}{sfx}"), &[gate])?;
                        }
                        if *proj_size > 0 {
                            push(
                                format!("weight_hr_l{layer}{sfx}"),
                                &[*proj_size, *hidden_size],
                            )?;
                        }
                    }
                }
                Ok(in_order(v))
            }
            Module::MultiheadAttention {
                embed_dim,
                num_heads,
                bias,
                add_bias_kv,
                kdim,
                vdim,
            } => mha_parts(
                "",
                *embed_dim,
                *num_heads,
                *bias,
                *add_bias_kv,
                *kdim,
                *vdim,
            ),
            Module::TransformerEncoderLayer {
                d_model,
                nhead,
                dim_feedforward,
                bias,
            } => {
                let (mut params, mut draws) =
                    mha_parts("self_attn.", *d_model, *nhead, *bias, false, None, None)?;
                let sub = |prefix: &str, m: Module| -> Result<Vec<Param>> {
                    Ok(m.params()?
                        .into_iter()
                        .map(|mut p| {
                            p.name = format!("{prefix}{}", p.name);
                            p
                        })
                        .collect())
                };
                for (prefix, m) in [
                    (
                        "linear1.",
                        Module::linear(*d_model, *dim_feedforward, *bias),
                    ),
                    (
                        "linear2.",
                        Module::linear(*dim_feedforward, *d_model, *bias),
                    ),
                ] {
                    for p in sub(prefix, m)? {
                        draws.push((params.len(), p.init.clone()));
                        params.push(p);
                    }
                }
                for prefix in ["norm1.", "norm2."] {
                    params.extend(sub(
                        prefix,
                        Module::Norm {
                            num_features: *d_model,
                            bias: *bias,
                        },
                    )?);
                }
                Ok((params, draws))
            }
            _ => Ok(in_order(self.params()?)),
        }
    }

    /// Builds every parameter with PyTorch's default init, drawing in PyTorch's construction
    /// order from `stream`. Returns `(name, shape, values)` per parameter, in
    /// `named_parameters()` order.
    ///
    /// # Errors
    /// As [`Module::params`] and [`Init::fill`]; everything is validated before the first
    /// draw, so on error the stream is not advanced.
    ///
    /// ```
    /// use nninit::layers::Module;
    /// use nninit::TorchGenerator;
    /// // torch.manual_seed(0); nn.Linear(256, 128).weight[0, :2]
    /// let p = Module::linear(256, 128, true).init::<f32, _>(&mut TorchGenerator::manual_seed(0))?;
    /// assert_eq!(&p[0].2[..2], &[-0.00046792626, 0.033527724]);
    /// # Ok::<(), nninit::InitError>(())
    /// ```
    pub fn init<T: Element, S: Stream + ?Sized>(
        &self,
        stream: &mut S,
    ) -> Result<Vec<(String, Shape, Vec<T>)>> {
        let (params, draws) = self.plan()?;
        for prm in &params {
            prm.init
                .resolve(&prm.shape, Layout::Torch)
                .map(|_| ())
                .or_else(|e| {
                    // zero-element tensors are a no-op (fans may be 0 there)
                    if prm.shape.numel() == 0 {
                        Ok(())
                    } else {
                        Err(e)
                    }
                })?;
        }
        for (i, init) in &draws {
            let prm = &params[*i];
            if prm.shape.numel() > 0 {
                init.resolve(&prm.shape, Layout::Torch)?;
            }
        }
        let mut bufs: Vec<Vec<T>> = params
            .iter()
            .map(|p| vec![T::ZERO; p.shape.numel()])
            .collect();
        for (i, init) in &draws {
            init.fill(&mut bufs[*i], &params[*i].shape, Layout::Torch, stream)?;
        }
        let mut out = Vec::with_capacity(params.len());
        for (prm, mut v) in params.into_iter().zip(bufs) {
            if !draws_random(&prm.init) {
                prm.init.fill(&mut v, &prm.shape, Layout::Torch, stream)?;
            }
            if let Some(row) = prm.zero_row {
                let cols = prm.shape.dims().get(1).copied().unwrap_or(0);
                for x in v.iter_mut().skip(row * cols).take(cols) {
                    *x = T::ZERO;
                }
            }
            out.push((prm.name, prm.shape, v));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampler::Sampler;
    use crate::schemes::Resolved;

    #[test]
    fn linear_default_bound_is_one_over_sqrt_fan_in() {
        let shape = Shape::new(&[128, 256]).unwrap_or_else(|_| unreachable!());
        let r = linear_weight_init().resolve(&shape, Layout::Torch).ok();
        // f64: sqrt(3) * sqrt(2/(1+5.000000000000001)) / 16 = 0.06249999999999999 (PyTorch `reset_parameters` of `nn.Linear`, torch/nn/modules/linear.py)
        match r {
            Some(Resolved::Elementwise(Sampler::Uniform(u))) => {
                let (low, high) = (u.low(), u.high());
                assert_eq!(high, 0.06249999999999999);
                assert_eq!(low, -high);
                assert_eq!(high as f32, 0.0625f32);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    /// The methods table's "PyTorch Linear default" row (text in the scheme table) is this.
    #[test]
    fn catalogue_has_the_linear_default() {
        assert!(Init::catalogue().contains(&linear_weight_init()));
    }

    #[test]
    fn conv_transpose_fan_uses_out_channels() {
        let m = Module::Conv {
            in_channels: 8,
            out_channels: 4,
            kernel_size: vec![3, 3],
            groups: 2,
            bias: true,
            transposed: true,
        };
        let ps = m.params().unwrap_or_default();
        assert_eq!(ps[0].shape.dims(), &[8, 2, 3, 3]);
        // fan_in = (out/groups)·9 = 18
        assert_eq!(ps[1].init, linear_bias_init(18));
    }

    #[test]
    fn invalid_modules() {
        let bad = Module::Conv {
            in_channels: 3,
            out_channels: 4,
            kernel_size: vec![3],
            groups: 2,
            bias: false,
            transposed: false,
        };
        assert!(bad.params().is_err());
        let e = Module::Embedding {
            num_embeddings: 3,
            embedding_dim: 2,
            padding_idx: Some(3),
        };
        assert!(e.params().is_err());
    }
}
