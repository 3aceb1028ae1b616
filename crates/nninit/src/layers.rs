//! PyTorch's default per-layer initialisation (`reset_parameters`), as [`Init`] values.
//!
//! Each [`Module`] lists its parameters in PyTorch's registration (and drawing) order, each
//! with the [`Init`] PyTorch's `reset_parameters` applies. [`Module::init`] fills them in that
//! order from one stream, so with PyTorch's generator the values match PyTorch's.
//!
//! Source: torch 2.15 `torch/nn/modules/{linear,conv,sparse,normalization,batchnorm}.py`.
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
    /// `nn.LayerNorm`/`BatchNorm*`/`GroupNorm`/`InstanceNorm*` (affine): weight 1, bias 0,
    /// over `num_features` (for LayerNorm: the product of `normalized_shape`). No draws.
    Norm {
        /// Number of affine features.
        num_features: usize,
        /// Whether there is a bias.
        bias: bool,
    },
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
            Module::Norm { num_features, bias } => {
                let mut v = vec![p("weight", &[*num_features], Init::Ones)?];
                if *bias {
                    v.push(p("bias", &[*num_features], Init::Zeros)?);
                }
                Ok(v)
            }
        }
    }

    /// Builds every parameter with PyTorch's default init, drawing in PyTorch's order from
    /// `stream`. Returns `(name, shape, values)` per parameter.
    ///
    /// # Errors
    /// As [`Module::params`] and [`Init::fill`].
    pub fn init<T: Element, S: Stream + ?Sized>(
        &self,
        stream: &mut S,
    ) -> Result<Vec<(String, Shape, Vec<T>)>> {
        let params = self.params()?;
        for prm in &params {
            prm.init.validate()?;
        }
        let mut out = Vec::with_capacity(params.len());
        for prm in params {
            let mut v = vec![T::ZERO; prm.shape.numel()];
            prm.init.fill(&mut v, &prm.shape, Layout::Torch, stream)?;
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
    use crate::schemes::Resolved;

    #[test]
    fn linear_default_bound_is_one_over_sqrt_fan_in() {
        let shape = Shape::new(&[128, 256]).unwrap_or_else(|_| unreachable!());
        let r = linear_weight_init().resolve(&shape, Layout::Torch).ok();
        // f64: sqrt(3) * sqrt(2/(1+5.000000000000001)) / 16 = 0.06249999999999999 (spec §8)
        match r {
            Some(Resolved::Uniform { low, high }) => {
                assert_eq!(high, 0.06249999999999999);
                assert_eq!(low, -high);
                assert_eq!(high as f32, 0.0625f32);
            }
            other => panic!("unexpected {other:?}"),
        }
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
