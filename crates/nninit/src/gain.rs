//! PyTorch's recommended gains (`calculate_gain`).

use crate::error::{InitError, Result};

/// A nonlinearity as `torch.nn.init.calculate_gain` knows it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Nonlinearity {
    /// Identity.
    #[default]
    Linear,
    /// `conv1d` (gain 1).
    Conv1d,
    /// `conv2d` (gain 1).
    Conv2d,
    /// `conv3d` (gain 1).
    Conv3d,
    /// `conv_transpose1d` (gain 1).
    ConvTranspose1d,
    /// `conv_transpose2d` (gain 1).
    ConvTranspose2d,
    /// `conv_transpose3d` (gain 1).
    ConvTranspose3d,
    /// Logistic sigmoid (gain 1).
    Sigmoid,
    /// tanh (gain 5/3, a heuristic).
    Tanh,
    /// ReLU (gain √2).
    Relu,
    /// Leaky ReLU with the given negative slope (gain √(2/(1+slope²))).
    /// PyTorch's `calculate_gain('leaky_relu')` without a param uses slope 0.01.
    LeakyRelu(f64),
    /// SELU (gain 3/4, found empirically: pytorch/pytorch#50664).
    Selu,
}

const NAMES: &str = "linear, conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, \
                     conv_transpose3d, sigmoid, tanh, relu, leaky_relu, selu";

impl Nonlinearity {
    /// PyTorch's `calculate_gain(nonlinearity, param)` for this nonlinearity (dimensionless):
    /// linear/conv*/sigmoid 1, tanh 5/3, relu √2, leaky_relu √(2/(1+slope²)), selu 3/4.
    ///
    /// # Mirrors
    /// `torch.nn.init.calculate_gain` (torch 2.15); differences: none (the same f64
    /// expressions). Source: He et al. 2015 (ReLU), Klambauer et al. 2017 (SELU).
    ///
    /// ```
    /// use nninit::Nonlinearity;
    /// assert_eq!(Nonlinearity::Relu.gain(), 2f64.sqrt());
    /// assert_eq!(Nonlinearity::Tanh.gain(), 5.0 / 3.0);
    /// ```
    pub fn gain(&self) -> f64 {
        match self {
            Nonlinearity::Linear
            | Nonlinearity::Conv1d
            | Nonlinearity::Conv2d
            | Nonlinearity::Conv3d
            | Nonlinearity::ConvTranspose1d
            | Nonlinearity::ConvTranspose2d
            | Nonlinearity::ConvTranspose3d
            | Nonlinearity::Sigmoid => 1.0,
            Nonlinearity::Tanh => 5.0 / 3.0,
            Nonlinearity::Relu => 2f64.sqrt(),
            Nonlinearity::LeakyRelu(slope) => (2.0 / (1.0 + slope * slope)).sqrt(),
            Nonlinearity::Selu => 3.0 / 4.0,
        }
    }

    /// The PyTorch name (`leaky_relu`, `conv_transpose2d`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Nonlinearity::Linear => "linear",
            Nonlinearity::Conv1d => "conv1d",
            Nonlinearity::Conv2d => "conv2d",
            Nonlinearity::Conv3d => "conv3d",
            Nonlinearity::ConvTranspose1d => "conv_transpose1d",
            Nonlinearity::ConvTranspose2d => "conv_transpose2d",
            Nonlinearity::ConvTranspose3d => "conv_transpose3d",
            Nonlinearity::Sigmoid => "sigmoid",
            Nonlinearity::Tanh => "tanh",
            Nonlinearity::Relu => "relu",
            Nonlinearity::LeakyRelu(_) => "leaky_relu",
            Nonlinearity::Selu => "selu",
        }
    }

    /// PyTorch's name → nonlinearity, with `param` as `calculate_gain`'s second argument:
    /// the negative slope for `leaky_relu` (default 0.01), ignored otherwise.
    ///
    /// # Errors
    /// [`InitError::UnknownNonlinearity`]; [`InitError::InvalidParam`] for a non-finite slope.
    pub fn from_name(name: &str, param: Option<f64>) -> Result<Nonlinearity> {
        Ok(match name.to_ascii_lowercase().as_str() {
            "linear" | "identity" => Nonlinearity::Linear,
            "conv1d" => Nonlinearity::Conv1d,
            "conv2d" => Nonlinearity::Conv2d,
            "conv3d" => Nonlinearity::Conv3d,
            "conv_transpose1d" => Nonlinearity::ConvTranspose1d,
            "conv_transpose2d" => Nonlinearity::ConvTranspose2d,
            "conv_transpose3d" => Nonlinearity::ConvTranspose3d,
            "sigmoid" => Nonlinearity::Sigmoid,
            "tanh" => Nonlinearity::Tanh,
            "relu" => Nonlinearity::Relu,
            "selu" => Nonlinearity::Selu,
            "leaky_relu" => {
                let slope = param.unwrap_or(0.01);
                if !slope.is_finite() {
                    return Err(InitError::InvalidParam {
                        name: "negative_slope",
                        value: slope,
                        expected: "a finite number",
                    });
                }
                Nonlinearity::LeakyRelu(slope)
            }
            _ => {
                return Err(InitError::UnknownNonlinearity {
                    name: name.into(),
                    expected: NAMES.into(),
                })
            }
        })
    }
}

/// `torch.nn.init.calculate_gain(nonlinearity, param)`: see [`Nonlinearity::gain`] and
/// [`Nonlinearity::from_name`].
///
/// ```
/// assert_eq!(nninit::calculate_gain("leaky_relu", None)?, (2.0f64 / (1.0 + 0.01 * 0.01)).sqrt());
/// assert!(nninit::calculate_gain("swish", None).is_err());
/// # Ok::<(), nninit::InitError>(())
/// ```
pub fn calculate_gain(nonlinearity: &str, param: Option<f64>) -> Result<f64> {
    Ok(Nonlinearity::from_name(nonlinearity, param)?.gain())
}

impl std::fmt::Display for Nonlinearity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Nonlinearity::LeakyRelu(s) => write!(f, "leaky_relu:{s}"),
            other => f.write_str(other.name()),
        }
    }
}

impl std::str::FromStr for Nonlinearity {
    type Err = InitError;
    /// `relu`, `tanh`, `leaky_relu` (slope 0.01), `leaky_relu:0.2`, ...
    fn from_str(s: &str) -> Result<Self> {
        match s.split_once(':') {
            Some((n, p)) => {
                let v: f64 = p.trim().parse().map_err(|_| InitError::InvalidParam {
                    name: "negative_slope",
                    value: f64::NAN,
                    expected: "a number after ':'",
                })?;
                Nonlinearity::from_name(n.trim(), Some(v))
            }
            None => Nonlinearity::from_name(s.trim(), None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pytorch_values() {
        // torch.nn.init.calculate_gain values (torch 2.15), recomputed from their formulas.
        let one = [
            "linear",
            "conv1d",
            "conv2d",
            "conv3d",
            "conv_transpose1d",
            "conv_transpose2d",
            "conv_transpose3d",
            "sigmoid",
        ];
        for n in one {
            assert_eq!(calculate_gain(n, None).ok(), Some(1.0), "{n}");
        }
        assert_eq!(calculate_gain("tanh", None).ok(), Some(5.0 / 3.0));
        assert_eq!(
            calculate_gain("relu", None).ok(),
            Some(std::f64::consts::SQRT_2)
        );
        assert_eq!(calculate_gain("selu", None).ok(), Some(0.75));
        let lr = calculate_gain("leaky_relu", None).ok();
        assert_eq!(lr, Some((2.0 / (1.0 + 0.01f64.powi(2))).sqrt()));
        assert_eq!(
            calculate_gain("leaky_relu", Some(0.0)).ok(),
            Some(2f64.sqrt())
        );
        let a = 5f64.sqrt();
        assert_eq!(
            calculate_gain("leaky_relu", Some(a)).ok(),
            Some((2.0 / (1.0 + a * a)).sqrt())
        );
    }

    #[test]
    fn errors_and_round_trip() {
        assert!(matches!(
            calculate_gain("swish", None),
            Err(InitError::UnknownNonlinearity { .. })
        ));
        assert!(calculate_gain("leaky_relu", Some(f64::NAN)).is_err());
        for s in ["relu", "tanh", "leaky_relu:0.2", "selu", "conv2d"] {
            let n: Nonlinearity = s.parse().unwrap_or(Nonlinearity::Linear);
            assert_eq!(n.to_string(), s);
        }
    }
}
