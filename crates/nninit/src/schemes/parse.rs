//! The text form of [`Init`]: `name[:args]`, args comma-separated, each `key=value` or a
//! positional value. `Display` prints the canonical form (non-default parameters as
//! `key=value`), which parses back to the same value.

use super::{trunc_moments, Init};
use crate::error::{InitError, Num, Result};
use crate::fan::Mode;
use crate::gain::Nonlinearity;

/// Every scheme name the parser knows, with its positional parameters.
const SCHEMES: &[(&str, &[&str])] = &[
    ("zeros", &[]),
    ("ones", &[]),
    ("constant", &["value"]),
    ("uniform", &["a", "b"]),
    ("normal", &["std | mean,std"]),
    ("trunc_normal", &["std | mean,std | mean,std,a,b"]),
    ("xavier_uniform", &["gain"]),
    ("xavier_normal", &["gain"]),
    ("kaiming_uniform", &["a", "mode", "nonlinearity"]),
    ("kaiming_normal", &["a", "mode", "nonlinearity"]),
    ("variance_scaling", &["scale", "mode", "distribution"]),
    ("glorot_uniform", &[]),
    ("glorot_normal", &[]),
    ("he_uniform", &[]),
    ("he_normal", &[]),
    ("lecun_uniform", &[]),
    ("lecun_normal", &[]),
    ("orthogonal", &["gain"]),
    ("eye", &[]),
    ("dirac", &["groups"]),
    ("sparse", &["sparsity", "std"]),
];

/// The scheme names [`Init`] parses, in table order.
pub fn known_names() -> Vec<&'static str> {
    SCHEMES.iter().map(|(n, _)| *n).collect()
}

pub(super) fn name_of(init: &Init) -> &'static str {
    match init {
        Init::Constant(_) => "constant",
        Init::Zeros => "zeros",
        Init::Ones => "ones",
        Init::Uniform { .. } => "uniform",
        Init::Normal { .. } => "normal",
        Init::TruncNormal { .. } => "trunc_normal",
        Init::XavierUniform { .. } => "xavier_uniform",
        Init::XavierNormal { .. } => "xavier_normal",
        Init::KaimingUniform { .. } => "kaiming_uniform",
        Init::KaimingNormal { .. } => "kaiming_normal",
        Init::VarianceScaling { .. } => {
            for (alias, f) in ALIASES {
                if f() == *init {
                    return alias;
                }
            }
            "variance_scaling"
        }
        Init::Orthogonal { .. } => "orthogonal",
        Init::Eye => "eye",
        Init::Dirac { .. } => "dirac",
        Init::Sparse { .. } => "sparse",
    }
}

type Ctor = fn() -> Init;
const ALIASES: &[(&str, Ctor)] = &[
    ("glorot_uniform", Init::glorot_uniform),
    ("glorot_normal", Init::glorot_normal),
    ("he_uniform", Init::he_uniform),
    ("he_normal", Init::he_normal),
    ("lecun_uniform", Init::lecun_uniform),
    ("lecun_normal", Init::lecun_normal),
];

struct Args<'a> {
    scheme: &'a str,
    positional: Vec<&'a str>,
    keyed: Vec<(&'a str, &'a str)>,
}

impl<'a> Args<'a> {
    fn bad(&self, reason: String) -> InitError {
        InitError::BadSpec {
            scheme: self.scheme.into(),
            reason,
        }
    }

    /// Resolves parameter `key` (or positional slot `pos`) as a string; giving it both ways
    /// (`normal:0.02,std=0.5`) is an error.
    fn get(&self, key: &str, pos: Option<usize>) -> Result<Option<&'a str>> {
        let positional = pos.and_then(|p| self.positional.get(p).copied());
        if let Some((_, v)) = self.keyed.iter().find(|(k, _)| *k == key) {
            if let Some(p) = positional {
                return Err(self.bad(format!(
                    "{key} is given twice: by position ('{p}') and as {key}={v}"
                )));
            }
            return Ok(Some(v));
        }
        Ok(positional)
    }

    fn num(&self, key: &str, pos: Option<usize>, default: f64) -> Result<f64> {
        match self.get(key, pos)? {
            None => Ok(default),
            Some(v) => {
                let x = v
                    .trim()
                    .parse::<f64>()
                    .map_err(|_| self.bad(format!("{key} = '{v}' is not a number")))?;
                // `1e-400` parses to 0: say so rather than silently use 0
                let nonzero_digit = v
                    .trim()
                    .split(['e', 'E'])
                    .next()
                    .is_some_and(|m| m.bytes().any(|c| (b'1'..=b'9').contains(&c)));
                if x == 0.0 && nonzero_digit {
                    return Err(self.bad(format!(
                        "{key} = '{v}' is below the smallest f64 (about 5e-324)"
                    )));
                }
                Ok(x)
            }
        }
    }

    fn check(&self, keys: &[&str], max_positional: usize) -> Result<()> {
        if self.positional.len() > max_positional {
            return Err(self.bad(format!(
                "takes at most {max_positional} positional value(s), got {}",
                self.positional.len()
            )));
        }
        for (i, (k, _)) in self.keyed.iter().enumerate() {
            if self.keyed[..i].iter().any(|(j, _)| j == k) {
                return Err(self.bad(format!("parameter '{k}' is given more than once")));
            }
            if !keys.contains(k) {
                return Err(self.bad(format!(
                    "unknown parameter '{k}'; expected {}",
                    if keys.is_empty() {
                        "none".to_string()
                    } else {
                        keys.join(", ")
                    }
                )));
            }
        }
        Ok(())
    }
}

impl std::str::FromStr for Init {
    type Err = InitError;

    /// Parses `name[:args]`, e.g. `kaiming_uniform`, `kaiming_normal:mode=fan_out,nonlinearity=relu`,
    /// `normal:0.02`, `normal:mean=0,std=0.02`, `trunc_normal:0.02` (a = −2, b = 2 absolute, as
    /// PyTorch), `uniform:-0.1,0.1`, `xavier_uniform:gain=1.0`, `sparse:0.9,0.01`.
    /// The parsed value is validated ([`Init::validate`]).
    fn from_str(s: &str) -> Result<Init> {
        let s = s.trim();
        let (name, rest) = match s.split_once(':') {
            Some((n, r)) => (n.trim(), Some(r)),
            None => (s, None),
        };
        let lname = name.to_ascii_lowercase();
        let Some(&(scheme, _)) = SCHEMES.iter().find(|(n, _)| *n == lname) else {
            return Err(InitError::UnknownScheme {
                name: s.into(),
                expected: known_names().join(", "),
            });
        };
        let mut args = Args {
            scheme,
            positional: vec![],
            keyed: vec![],
        };
        if let Some(rest) = rest {
            for part in rest.split(',') {
                let part = part.trim();
                if part.is_empty() {
                    return Err(args.bad("empty parameter (stray ',' or ':')".into()));
                }
                match part.split_once('=') {
                    Some((k, v)) => args.keyed.push((k.trim(), v.trim())),
                    None => {
                        if !args.keyed.is_empty() {
                            return Err(args.bad(format!(
                                "positional value '{part}' after key=value parameters"
                            )));
                        }
                        args.positional.push(part)
                    }
                }
            }
        }
        let a = &args;
        let init = match scheme {
            "zeros" | "ones" | "eye" | "glorot_uniform" | "glorot_normal" | "he_uniform"
            | "he_normal" | "lecun_uniform" | "lecun_normal" => {
                a.check(&[], 0)?;
                match scheme {
                    "zeros" => Init::Zeros,
                    "ones" => Init::Ones,
                    "eye" => Init::Eye,
                    "glorot_uniform" => Init::glorot_uniform(),
                    "glorot_normal" => Init::glorot_normal(),
                    "he_uniform" => Init::he_uniform(),
                    "he_normal" => Init::he_normal(),
                    "lecun_uniform" => Init::lecun_uniform(),
                    _ => Init::lecun_normal(),
                }
            }
            "constant" => {
                a.check(&["value"], 1)?;
                if a.get("value", Some(0))?.is_none() {
                    return Err(a.bad("needs a value, e.g. constant:0.5".into()));
                }
                Init::Constant(a.num("value", Some(0), 0.0)?)
            }
            "uniform" => {
                a.check(&["a", "b"], 2)?;
                Init::Uniform {
                    a: a.num("a", Some(0), 0.0)?,
                    b: a.num("b", Some(1), 1.0)?,
                }
            }
            "normal" => {
                a.check(&["mean", "std"], 2)?;
                let (mp, sp) = if a.positional.len() == 1 {
                    (None, Some(0))
                } else {
                    (Some(0), Some(1))
                };
                Init::Normal {
                    mean: a.num("mean", mp, 0.0)?,
                    std: a.num("std", sp, 1.0)?,
                }
            }
            "trunc_normal" => {
                a.check(&["mean", "std", "a", "b"], 4)?;
                if a.positional.len() == 3 {
                    return Err(a.bad("give std; mean,std; or mean,std,a,b".into()));
                }
                let (mp, sp) = if a.positional.len() == 1 {
                    (None, Some(0))
                } else {
                    (Some(0), Some(1))
                };
                Init::TruncNormal {
                    mean: a.num("mean", mp, 0.0)?,
                    std: a.num("std", sp, 1.0)?,
                    a: a.num("a", Some(2), -2.0)?,
                    b: a.num("b", Some(3), 2.0)?,
                }
            }
            "xavier_uniform" => {
                a.check(&["gain"], 1)?;
                Init::XavierUniform {
                    gain: a.num("gain", Some(0), 1.0)?,
                }
            }
            "xavier_normal" => {
                a.check(&["gain"], 1)?;
                Init::XavierNormal {
                    gain: a.num("gain", Some(0), 1.0)?,
                }
            }
            "kaiming_uniform" | "kaiming_normal" => {
                a.check(&["a", "mode", "nonlinearity"], 3)?;
                let slope = a.num("a", Some(0), 0.0)?;
                let mode: Mode = a.get("mode", Some(1))?.unwrap_or("fan_in").parse()?;
                let nl = a.get("nonlinearity", Some(2))?.unwrap_or("leaky_relu");
                let nl = Nonlinearity::from_name(nl, Some(slope))?;
                if scheme == "kaiming_uniform" {
                    Init::kaiming_uniform(slope, mode, nl)
                } else {
                    Init::kaiming_normal(slope, mode, nl)
                }
            }
            "variance_scaling" => {
                a.check(&["scale", "mode", "distribution"], 3)?;
                Init::VarianceScaling {
                    scale: a.num("scale", Some(0), 1.0)?,
                    mode: a.get("mode", Some(1))?.unwrap_or("fan_in").parse()?,
                    distribution: a
                        .get("distribution", Some(2))?
                        .unwrap_or("truncated_normal")
                        .parse()?,
                }
            }
            "orthogonal" => {
                a.check(&["gain"], 1)?;
                Init::Orthogonal {
                    gain: a.num("gain", Some(0), 1.0)?,
                }
            }
            "dirac" => {
                a.check(&["groups"], 1)?;
                let g = a.num("groups", Some(0), 1.0)?;
                if !(g >= 1.0 && g.fract() == 0.0 && g <= u32::MAX as f64) {
                    return Err(a.bad(format!("groups = {g} must be a positive integer")));
                }
                Init::Dirac { groups: g as usize }
            }
            "sparse" => {
                a.check(&["sparsity", "std"], 2)?;
                if a.get("sparsity", Some(0))?.is_none() {
                    return Err(a.bad("needs a sparsity in [0, 1), e.g. sparse:0.9".into()));
                }
                Init::Sparse {
                    sparsity: a.num("sparsity", Some(0), 0.0)?,
                    std: a.num("std", Some(1), 0.01)?,
                }
            }
            _ => {
                return Err(InitError::UnknownScheme {
                    name: s.into(),
                    expected: known_names().join(", "),
                })
            }
        };
        init.validate()?;
        Ok(init)
    }
}

impl std::fmt::Display for Init {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = self.name();
        let mut p: Vec<String> = vec![];
        match *self {
            Init::Constant(v) => p.push(format!("value={}", Num(v))),
            Init::Zeros | Init::Ones | Init::Eye => {}
            Init::Uniform { a, b } => {
                p.push(format!("a={}", Num(a)));
                p.push(format!("b={}", Num(b)));
            }
            Init::Normal { mean, std } => {
                if mean != 0.0 {
                    p.push(format!("mean={}", Num(mean)));
                }
                p.push(format!("std={}", Num(std)));
            }
            Init::TruncNormal { mean, std, a, b } => {
                if mean != 0.0 {
                    p.push(format!("mean={}", Num(mean)));
                }
                p.push(format!("std={}", Num(std)));
                if a != -2.0 {
                    p.push(format!("a={}", Num(a)));
                }
                if b != 2.0 {
                    p.push(format!("b={}", Num(b)));
                }
            }
            Init::XavierUniform { gain }
            | Init::XavierNormal { gain }
            | Init::Orthogonal { gain } => {
                if gain != 1.0 {
                    p.push(format!("gain={}", Num(gain)));
                }
            }
            Init::KaimingUniform {
                a,
                mode,
                nonlinearity,
            }
            | Init::KaimingNormal {
                a,
                mode,
                nonlinearity,
            } => {
                if a != 0.0 {
                    p.push(format!("a={}", Num(a)));
                }
                if mode != Mode::FanIn {
                    p.push(format!("mode={mode}"));
                }
                if !matches!(nonlinearity, Nonlinearity::LeakyRelu(_)) {
                    p.push(format!("nonlinearity={}", nonlinearity.name()));
                }
            }
            Init::VarianceScaling {
                scale,
                mode,
                distribution,
            } => {
                if name == "variance_scaling" {
                    p.push(format!("scale={}", Num(scale)));
                    p.push(format!("mode={mode}"));
                    p.push(format!("distribution={}", distribution.name()));
                }
            }
            Init::Dirac { groups } => {
                if groups != 1 {
                    p.push(format!("groups={groups}"));
                }
            }
            Init::Sparse { sparsity, std } => {
                p.push(format!("sparsity={}", Num(sparsity)));
                p.push(format!("std={}", Num(std)));
            }
        }
        if p.is_empty() {
            f.write_str(name)
        } else {
            write!(f, "{name}:{}", p.join(","))
        }
    }
}

/// One row of the methods table: what a scheme draws, its variance formula (derived from the
/// scheme's own parameters), what it is best for and where it comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct Description {
    /// The canonical text form.
    pub name: String,
    /// The distribution, in words.
    pub distribution: String,
    /// `Var(W)` as a formula in `fan_in`/`fan_out`.
    pub variance: String,
    /// When to use it.
    pub best_for: &'static str,
    /// Paper or library function it mirrors.
    pub source: &'static str,
}

/// Formats `c / denom`, writing `c` as an integer, `1/k` or a decimal.
fn ratio(c: f64, denom: &str) -> String {
    let near = |x: f64| (x - x.round()).abs() < 1e-9 * x.abs().max(1.0);
    if near(c) {
        let k = c.round();
        if k == 1.0 {
            return format!("1/{denom}");
        }
        return format!("{k}/{denom}");
    }
    if c > 0.0 && near(1.0 / c) {
        return format!("1/({}·{denom})", (1.0 / c).round());
    }
    format!("{c:.4}/{denom}")
}

fn fan_expr(mode: Mode) -> &'static str {
    match mode {
        Mode::FanIn => "fan_in",
        Mode::FanOut => "fan_out",
        Mode::FanAvg => "((fan_in+fan_out)/2)",
        Mode::FanGeoAvg => "sqrt(fan_in·fan_out)",
    }
}

impl Init {
    /// Describes the scheme for the methods table; the formula comes from the scheme's fields.
    pub fn describe(&self) -> Description {
        let (distribution, variance, best_for, source): (String, String, &str, &str) = match *self {
            Init::Zeros | Init::Ones | Init::Constant(_) => (
                "constant".into(),
                "0".into(),
                "biases and norm layers; as weights, every unit stays identical (no symmetry breaking)",
                "torch.nn.init.constant_/zeros_/ones_",
            ),
            Init::Uniform { a, b } => (
                format!("U[{a}, {b})"),
                format!("(b-a)²/12 = {:.4e}", (b - a).powi(2) / 12.0),
                "explicit ranges; baselines",
                "torch.nn.init.uniform_",
            ),
            Init::Normal { mean, std } => (
                format!("N({mean}, {std}²)"),
                format!("std² = {:.4e}", std * std),
                "transformers: N(0, 0.02²) (GPT-2/BERT); too small for deep MLPs",
                "torch.nn.init.normal_",
            ),
            Init::TruncNormal { mean, std, a, b } => (
                format!("N({mean}, {std}²) on [{a}, {b}]"),
                format!("{:.4e} (truncated)", trunc_moments(mean, std, a, b).1),
                "transformers (timm/ViT trunc_normal std 0.02): no outliers",
                "torch.nn.init.trunc_normal_",
            ),
            Init::XavierUniform { gain } => (
                "U(±gain·sqrt(6/(fan_in+fan_out)))".into(),
                ratio(2.0 * gain * gain, "(fan_in+fan_out)"),
                "tanh, sigmoid, linear layers",
                "Glorot & Bengio 2010; torch.nn.init.xavier_uniform_",
            ),
            Init::XavierNormal { gain } => (
                "N(0, gain²·2/(fan_in+fan_out))".into(),
                ratio(2.0 * gain * gain, "(fan_in+fan_out)"),
                "tanh, sigmoid, linear layers",
                "Glorot & Bengio 2010; torch.nn.init.xavier_normal_",
            ),
            Init::KaimingUniform { mode, nonlinearity, .. } => (
                format!("U(±gain·sqrt(3/{})), gain = {:.4}", mode.name(), nonlinearity.gain()),
                ratio(nonlinearity.gain().powi(2), fan_expr(mode)),
                "ReLU / leaky ReLU networks (keeps forward variance)",
                "He et al. 2015; torch.nn.init.kaiming_uniform_",
            ),
            Init::KaimingNormal { mode, nonlinearity, .. } => (
                format!("N(0, gain²/{}), gain = {:.4}", mode.name(), nonlinearity.gain()),
                ratio(nonlinearity.gain().powi(2), fan_expr(mode)),
                "ReLU / leaky ReLU networks (keeps forward variance)",
                "He et al. 2015; torch.nn.init.kaiming_normal_",
            ),
            Init::VarianceScaling { scale, mode, distribution } => (
                format!("{} with Var = scale/fan", distribution.name()),
                ratio(scale, fan_expr(mode)),
                match (scale, mode) {
                    (1.0, Mode::FanAvg) => "tanh, sigmoid (JAX/Keras default)",
                    (2.0, Mode::FanIn) => "ReLU networks (JAX/Keras)",
                    (1.0, Mode::FanIn) => "SELU (self-normalising), linear",
                    _ => "custom variance scaling",
                },
                "jax.nn.initializers.variance_scaling",
            ),
            Init::Orthogonal { gain } => (
                "Haar orthogonal (sign-corrected QR of a Gaussian matrix) × gain".into(),
                ratio(gain * gain, "max(fan_in, fan_out)"),
                "deep linear/tanh nets, RNNs (dynamical isometry)",
                "Saxe et al. 2014; torch.nn.init.orthogonal_",
            ),
            Init::Eye => (
                "identity matrix".into(),
                "1/fan_in (square)".into(),
                "residual-free identity starts, linear layers",
                "torch.nn.init.eye_",
            ),
            Init::Dirac { .. } => (
                "Dirac delta kernels".into(),
                "1/fan_in (square, 1 of fan_in per row)".into(),
                "conv nets that start as identity maps",
                "torch.nn.init.dirac_",
            ),
            Init::Sparse { sparsity, std } => (
                format!("N(0, {std}²), {sparsity} of each column zeroed"),
                format!("(1-sparsity)·std² = {:.4e}", (1.0 - sparsity) * std * std),
                "very deep / Hessian-free training (Martens 2010)",
                "Martens 2010; torch.nn.init.sparse_",
            ),
        };
        Description {
            name: self.to_string(),
            distribution,
            variance,
            best_for,
            source,
        }
    }

    /// The schemes of the methods table (each with PyTorch's/JAX's default parameters).
    pub fn catalogue() -> Vec<Init> {
        vec![
            Init::Zeros,
            Init::normal(0.0, 0.02),
            Init::trunc_normal(0.0, 0.02, -0.04, 0.04),
            Init::xavier_uniform(1.0),
            Init::xavier_normal(1.0),
            Init::kaiming_uniform_default(),
            Init::kaiming_normal_default(),
            crate::layers::linear_weight_init(),
            Init::glorot_normal(),
            Init::he_normal(),
            Init::lecun_normal(),
            Init::Orthogonal { gain: 1.0 },
            Init::Eye,
            Init::Dirac { groups: 1 },
            Init::Sparse {
                sparsity: 0.9,
                std: 0.01,
            },
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schemes::Dist;

    #[test]
    fn round_trip_every_catalogue_entry() {
        for init in Init::catalogue() {
            let text = init.to_string();
            let back: Init = text.parse().unwrap_or(Init::Ones);
            assert_eq!(back, init, "{text}");
        }
    }

    #[test]
    fn short_forms() {
        let n: Result<Init> = "normal:0.02".parse();
        assert_eq!(n.ok(), Some(Init::normal(0.0, 0.02)));
        let t: Result<Init> = "trunc_normal:0.02".parse();
        assert_eq!(t.ok(), Some(Init::trunc_normal(0.0, 0.02, -2.0, 2.0)));
        let x: Result<Init> = "xavier_uniform:gain=1.0".parse();
        assert_eq!(x.ok(), Some(Init::xavier_uniform(1.0)));
        let k: Result<Init> = "kaiming_uniform".parse();
        assert_eq!(k.ok(), Some(Init::kaiming_uniform_default()));
        let k2: Result<Init> = "kaiming_normal:mode=fan_out,nonlinearity=relu".parse();
        assert_eq!(
            k2.ok(),
            Some(Init::kaiming_normal(0.0, Mode::FanOut, Nonlinearity::Relu))
        );
        let g: Result<Init> = "he_normal".parse();
        assert_eq!(
            g.ok(),
            Some(Init::variance_scaling(
                2.0,
                Mode::FanIn,
                Dist::TruncatedNormal
            ))
        );
        assert_eq!(Init::he_normal().to_string(), "he_normal");
    }

    #[test]
    fn bad_strings() {
        for s in [
            "kaimin_uniform",
            "normal:abc",
            "normal:std=-1",
            "uniform:1,0",
            "sparse:1.5",
            "sparse",
            "xavier_uniform:gian=1",
            "normal:1,2,3",
            "kaiming_uniform:mode=fan_up",
            "dirac:0",
            "dirac:1.5",
            "normal:,",
            "constant",
            "trunc_normal:0,1,3,2",
            "kaiming_uniform:a=1,a=2",
            "normal:1e-400",
            "constant:-2e-999",
            "xavier_normal:gain=-1",
            "orthogonal:gain=inf",
        ] {
            assert!(s.parse::<Init>().is_err(), "{s} should not parse");
        }
        let dup = "normal:std=1,std=2"
            .parse::<Init>()
            .unwrap_err()
            .to_string();
        assert!(dup.contains("'std' is given more than once"), "{dup}");
        // by position and by name (the positional value used to be dropped silently)
        for s in [
            "normal:0.02,std=0.5",
            "normal:0,1,mean=7",
            "uniform:-1,1,a=0",
            "orthogonal:2,gain=3",
            "kaiming_uniform:0,mode=fan_out,a=1",
        ] {
            let e = s.parse::<Init>().unwrap_err().to_string();
            assert!(e.contains("is given twice: by position"), "{s}: {e}");
        }
        // PyTorch's orthogonal_ takes any gain
        assert_eq!(
            "orthogonal:gain=-2".parse::<Init>().ok(),
            Some(Init::Orthogonal { gain: -2.0 })
        );
    }

    #[test]
    fn numbers_print_short_and_parse_back() {
        for (init, text) in [
            (Init::uniform(-1e30, 1e30), "uniform:a=-1e30,b=1e30"),
            (Init::normal(0.0, 1e300), "normal:std=1e300"),
            (Init::normal(0.0, 1e-17), "normal:std=1e-17"),
            (Init::normal(1.5, 0.02), "normal:mean=1.5,std=0.02"),
            (Init::normal(0.0, 123456.0), "normal:std=123456"),
            (Init::Constant(-2.5e-7), "constant:value=-2.5e-7"),
        ] {
            assert_eq!(init.to_string(), text);
            assert_eq!(text.parse::<Init>().ok(), Some(init), "{text}");
        }
        let e = Init::normal(0.0, -1e39).validate().unwrap_err().to_string();
        assert_eq!(e, "std must be finite and >= 0, got -1e39");
    }

    #[test]
    fn massless_windows_say_why() {
        let far = Init::trunc_normal(0.0, 1.0, 50.0, 51.0)
            .validate()
            .unwrap_err();
        assert!(
            far.to_string().contains("about 50 std from the mean"),
            "{far}"
        );
        let narrow = Init::trunc_normal(0.0, 1.0, 0.0, 1e-17)
            .validate()
            .unwrap_err();
        let t = narrow.to_string();
        assert!(
            t.contains("[0, 1e-17]") && t.contains("widen [a, b]"),
            "{t}"
        );
    }

    #[test]
    fn ratio_forms() {
        assert_eq!(ratio(2.0, "fan_in"), "2/fan_in");
        assert_eq!(ratio(1.0, "fan_in"), "1/fan_in");
        assert_eq!(ratio(1.0 / 3.0, "fan_in"), "1/(3·fan_in)");
    }
}
