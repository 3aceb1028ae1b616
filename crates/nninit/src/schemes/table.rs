//! The scheme table: one [`Scheme`] entry per scheme — canonical name, aliases, parameters
//! with defaults, builder, description — and everything that reads it: the text form of
//! [`Init`] (`FromStr`, `Display`), [`known_names`], [`Init::name`], the methods table
//! ([`Init::describe`], [`Init::catalogue`]), init lists ([`Init::split_list`],
//! [`Init::parse_list`]) and "did you mean" suggestions.
//!
//! The text form is `name[:args]`, args comma-separated, each `key=value` or a positional
//! value (positional ones first). `Display` prints the canonical form (the parameters a
//! [`Param`] marks [`Shown::Always`], and the others when they differ from their default, as
//! `key=value`), which parses back to the same value.
//!
//! Adding a scheme: an [`Init`] variant with its resolution (to a
//! [`Sampler`](crate::Sampler) or a structured matrix) in [`Init::resolve`], and one entry
//! here.

use super::init::Init;
use super::variance_scaling::Dist;
use crate::error::{InitError, Num, Result};
use crate::fan::Mode;
use crate::gain::Nonlinearity;
use crate::special::trunc_moments;

/// The type of a parameter in the text form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParamKind {
    /// A real number (`0.02`, `-1e-3`, `2.5e20`).
    Num,
    /// A whole number `>= 1`.
    Count,
    /// A fan mode: `fan_in`, `fan_out`, `fan_avg`, `fan_geo_avg`.
    Mode,
    /// A nonlinearity as `calculate_gain` names it (`relu`, `leaky_relu`, `tanh`, ...).
    Nonlinearity,
    /// A JAX distribution: `truncated_normal`, `normal`, `uniform`.
    Dist,
}

/// A parameter value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// A real number.
    Num(f64),
    /// A whole number.
    Count(usize),
    /// A fan mode.
    Mode(Mode),
    /// A nonlinearity (a leaky ReLU's slope is a separate parameter, `a`: here it is 0).
    Nonlinearity(Nonlinearity),
    /// A JAX distribution.
    Dist(Dist),
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Num(x) => write!(f, "{}", Num(*x)),
            Value::Count(n) => write!(f, "{n}"),
            Value::Mode(m) => f.write_str(m.name()),
            Value::Nonlinearity(n) => f.write_str(n.name()),
            Value::Dist(d) => f.write_str(d.name()),
        }
    }
}

/// When `Display` prints a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shown {
    /// Always (`normal:std=1`, `uniform:a=0,b=1`).
    Always,
    /// Only when it differs from its default (`xavier_uniform`, `xavier_uniform:gain=2`).
    IfNotDefault,
}

/// A parameter of a scheme's text form.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Param {
    /// The key (`std`, `gain`, `mode`, ...): the mirrored function's argument name.
    pub name: &'static str,
    /// The type of its value.
    pub kind: ParamKind,
    /// The default; `None` for a required parameter.
    pub default: Option<Value>,
    /// When `Display` prints it.
    pub shown: Shown,
    /// What it is, with its unit or range.
    pub doc: &'static str,
}

/// One scheme of the table: everything the text form, the methods table and the
/// suggestions need. Read it through [`SCHEMES`].
#[derive(Debug, Clone, Copy)]
pub struct Scheme {
    /// The canonical name (what `Display` prints).
    pub name: &'static str,
    /// Other names `FromStr` accepts for exactly the same scheme.
    pub aliases: &'static [&'static str],
    /// The parameters, in positional order.
    pub params: &'static [Param],
    /// The accepted positional forms, by parameter name, when they are not simply "any
    /// prefix of `params`" (`normal:0.02` is the std: `[["std"], ["mean", "std"]]`).
    pub positional: &'static [&'static [&'static str]],
    /// The law in one line, with the variance.
    pub law: &'static str,
    /// What it is good for (the methods table's "best for").
    pub best_for: &'static str,
    /// The paper and the library function it mirrors.
    pub source: &'static str,
    /// The text forms the methods table shows ([`Init::catalogue`]), usually with the
    /// defaults of PyTorch or JAX.
    pub examples: &'static [&'static str],
    build: fn(&Args) -> Result<Init>,
    values: fn(&Init) -> Option<Vec<Value>>,
    describe: fn(&Init) -> (String, String),
}

impl Scheme {
    /// The most positional values the scheme takes.
    pub fn max_positional(&self) -> usize {
        if self.positional.is_empty() {
            self.params.len()
        } else {
            self.positional.iter().map(|f| f.len()).max().unwrap_or(0)
        }
    }

    /// The parameters `count` positional values stand for, or `None` if `count` is not an
    /// accepted form.
    fn positional_form(&self, count: usize) -> Option<Vec<&'static Param>> {
        if count == 0 {
            return Some(vec![]);
        }
        if self.positional.is_empty() {
            return (count <= self.params.len()).then(|| self.params[..count].iter().collect());
        }
        let form = self.positional.iter().find(|f| f.len() == count)?;
        Some(
            form.iter()
                .filter_map(|n| self.params.iter().find(|p| p.name == *n))
                .collect(),
        )
    }

    /// Whether `text` can be the value of positional value number `index` (0-based) in some
    /// accepted form.
    fn accepts_positional(&self, index: usize, text: &str) -> bool {
        (index + 1..=self.max_positional()).any(|count| {
            self.positional_form(count)
                .and_then(|form| form.get(index).copied())
                .is_some_and(|p| parse_kind(p.kind, text).is_some())
        })
    }
}

/// The values of a scheme's parameters (given or default) by name, for its builder.
pub(crate) struct Args {
    scheme: &'static str,
    values: Vec<(&'static str, Value)>,
}

impl Args {
    fn get(&self, name: &str) -> Result<Value> {
        self.values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
            .ok_or_else(|| InitError::BadSpec {
                scheme: self.scheme.into(),
                reason: format!("scheme table: no parameter '{name}'"),
            })
    }
    fn wrong(&self, name: &str) -> InitError {
        InitError::BadSpec {
            scheme: self.scheme.into(),
            reason: format!("scheme table: parameter '{name}' has another type"),
        }
    }
    fn num(&self, name: &str) -> Result<f64> {
        match self.get(name)? {
            Value::Num(x) => Ok(x),
            _ => Err(self.wrong(name)),
        }
    }
    fn count(&self, name: &str) -> Result<usize> {
        match self.get(name)? {
            Value::Count(n) => Ok(n),
            _ => Err(self.wrong(name)),
        }
    }
    fn mode(&self, name: &str) -> Result<Mode> {
        match self.get(name)? {
            Value::Mode(m) => Ok(m),
            _ => Err(self.wrong(name)),
        }
    }
    fn nonlinearity(&self, name: &str) -> Result<Nonlinearity> {
        match self.get(name)? {
            Value::Nonlinearity(n) => Ok(n),
            _ => Err(self.wrong(name)),
        }
    }
    fn dist(&self, name: &str) -> Result<Dist> {
        match self.get(name)? {
            Value::Dist(d) => Ok(d),
            _ => Err(self.wrong(name)),
        }
    }
}

// ------------------------------------------------------------------ parameters

const fn num(name: &'static str, default: f64, shown: Shown, doc: &'static str) -> Param {
    Param {
        name,
        kind: ParamKind::Num,
        default: Some(Value::Num(default)),
        shown,
        doc,
    }
}

const fn required(name: &'static str, doc: &'static str) -> Param {
    Param {
        name,
        kind: ParamKind::Num,
        default: None,
        shown: Shown::Always,
        doc,
    }
}

const GAIN: Param = num(
    "gain",
    1.0,
    Shown::IfNotDefault,
    "multiplies the std (dimensionless)",
);
const KAIMING: &[Param] = &[
    num(
        "a",
        0.0,
        Shown::IfNotDefault,
        "negative slope of the leaky ReLU that follows (dimensionless; leaky_relu only)",
    ),
    Param {
        name: "mode",
        kind: ParamKind::Mode,
        default: Some(Value::Mode(Mode::FanIn)),
        shown: Shown::IfNotDefault,
        doc: "fan_in keeps the forward variance, fan_out the backward",
    },
    Param {
        name: "nonlinearity",
        kind: ParamKind::Nonlinearity,
        default: Some(Value::Nonlinearity(Nonlinearity::LeakyRelu(0.0))),
        shown: Shown::IfNotDefault,
        doc: "the nonlinearity that follows (sets the gain)",
    },
];

// ------------------------------------------------------------------ describe helpers

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

fn constant_law(_: &Init) -> (String, String) {
    ("constant".into(), "0".into())
}

/// The `values` of a scheme without parameters: `Some(vec![])` iff `init` is `fixed()`.
fn fixed(init: &Init, fixed: fn() -> Init) -> Option<Vec<Value>> {
    (*init == fixed()).then(Vec::new)
}

fn vs_values(init: &Init) -> Option<Vec<Value>> {
    match *init {
        Init::VarianceScaling {
            scale,
            mode,
            distribution,
        } => Some(vec![
            Value::Num(scale),
            Value::Mode(mode),
            Value::Dist(distribution),
        ]),
        _ => None,
    }
}

fn vs_describe(init: &Init) -> (String, String) {
    match *init {
        Init::VarianceScaling {
            scale,
            mode,
            distribution,
        } => (
            format!("{} with Var = scale/fan", distribution.name()),
            ratio(scale, fan_expr(mode)),
        ),
        _ => (String::new(), String::new()),
    }
}

fn kaiming_values(init: &Init) -> Option<Vec<Value>> {
    match *init {
        Init::KaimingUniform { mode, nonlinearity }
        | Init::KaimingNormal { mode, nonlinearity } => {
            // one slope: the text form's `a` is the leaky ReLU's
            let (a, nl) = match nonlinearity {
                Nonlinearity::LeakyRelu(slope) => (slope, Nonlinearity::LeakyRelu(0.0)),
                other => (0.0, other),
            };
            Some(vec![
                Value::Num(a),
                Value::Mode(mode),
                Value::Nonlinearity(nl),
            ])
        }
        _ => None,
    }
}

fn kaiming_describe(init: &Init) -> (String, String) {
    match *init {
        Init::KaimingUniform { mode, nonlinearity } => (
            format!(
                "U(±gain·sqrt(3/{})), gain = {:.4}",
                mode.name(),
                nonlinearity.gain()
            ),
            ratio(nonlinearity.gain().powi(2), fan_expr(mode)),
        ),
        Init::KaimingNormal { mode, nonlinearity } => (
            format!(
                "N(0, gain²/{}), gain = {:.4}",
                mode.name(),
                nonlinearity.gain()
            ),
            ratio(nonlinearity.gain().powi(2), fan_expr(mode)),
        ),
        _ => (String::new(), String::new()),
    }
}

fn kaiming_args(a: &Args) -> Result<(f64, Mode, Nonlinearity)> {
    Ok((
        a.num("a")?,
        a.mode("mode")?,
        a.nonlinearity("nonlinearity")?,
    ))
}

const VS_PARAMS: &[Param] = &[
    num(
        "scale",
        1.0,
        Shown::Always,
        "Var(W)·fan (dimensionless, > 0; gain²)",
    ),
    Param {
        name: "mode",
        kind: ParamKind::Mode,
        default: Some(Value::Mode(Mode::FanIn)),
        shown: Shown::Always,
        doc: "which fan: fan_in, fan_out, fan_avg, fan_geo_avg",
    },
    Param {
        name: "distribution",
        kind: ParamKind::Dist,
        default: Some(Value::Dist(Dist::TruncatedNormal)),
        shown: Shown::Always,
        doc: "truncated_normal (at ±2σ, σ corrected), normal or uniform",
    },
];

/// A JAX alias of `variance_scaling` (no parameters of its own).
const fn vs_alias(
    name: &'static str,
    law: &'static str,
    best_for: &'static str,
    source: &'static str,
    examples: &'static [&'static str],
    build: fn(&Args) -> Result<Init>,
    values: fn(&Init) -> Option<Vec<Value>>,
) -> Scheme {
    Scheme {
        name,
        aliases: &[],
        params: &[],
        positional: &[],
        law,
        best_for,
        source,
        examples,
        build,
        values,
        describe: vs_describe,
    }
}

// ------------------------------------------------------------------ the table

/// Every scheme [`Init`] parses and prints, in the order of [`known_names`] and of the methods
/// table ([`Init::catalogue`]).
pub static SCHEMES: &[Scheme] = &[
    Scheme {
        name: "zeros",
        aliases: &[],
        params: &[],
        positional: &[],
        law: "every element 0; Var = 0",
        best_for: "biases and norm layers; as weights, every unit stays identical (no symmetry breaking)",
        source: "torch.nn.init.zeros_",
        examples: &["zeros"],
        build: |_| Ok(Init::Zeros),
        values: |i| fixed(i, || Init::Zeros),
        describe: constant_law,
    },
    Scheme {
        name: "ones",
        aliases: &[],
        params: &[],
        positional: &[],
        law: "every element 1; Var = 0",
        best_for: "norm layer scales",
        source: "torch.nn.init.ones_",
        examples: &[],
        build: |_| Ok(Init::Ones),
        values: |i| fixed(i, || Init::Ones),
        describe: constant_law,
    },
    Scheme {
        name: "constant",
        aliases: &[],
        params: &[required("value", "every element's value (units of the weights)")],
        positional: &[],
        law: "every element `value`; Var = 0",
        best_for: "biases (e.g. a small positive constant before ReLU)",
        source: "torch.nn.init.constant_",
        examples: &[],
        build: |a| Ok(Init::Constant(a.num("value")?)),
        values: |i| match *i {
            Init::Constant(v) => Some(vec![Value::Num(v)]),
            _ => None,
        },
        describe: constant_law,
    },
    Scheme {
        name: "uniform",
        aliases: &[],
        params: &[
            num("a", 0.0, Shown::Always, "lower bound (units of the weights)"),
            num("b", 1.0, Shown::Always, "upper bound (units of the weights)"),
        ],
        positional: &[],
        law: "U[a, b); Var = (b-a)²/12",
        best_for: "explicit ranges; baselines",
        source: "torch.nn.init.uniform_",
        examples: &[],
        build: |a| Ok(Init::uniform(a.num("a")?, a.num("b")?)),
        values: |i| match *i {
            Init::Uniform { a, b } => Some(vec![Value::Num(a), Value::Num(b)]),
            _ => None,
        },
        describe: |i| match *i {
            Init::Uniform { a, b } => (
                format!("U[{a}, {b})"),
                format!("(b-a)²/12 = {:.4e}", (b - a).powi(2) / 12.0),
            ),
            _ => (String::new(), String::new()),
        },
    },
    Scheme {
        name: "normal",
        aliases: &[],
        params: &[
            num("mean", 0.0, Shown::IfNotDefault, "mean (units of the weights)"),
            num("std", 1.0, Shown::Always, "standard deviation (units of the weights, >= 0)"),
        ],
        positional: &[&["std"], &["mean", "std"]],
        law: "N(mean, std²); Var = std²",
        best_for: "transformers: N(0, 0.02²) (GPT-2/BERT); too small for deep MLPs",
        source: "torch.nn.init.normal_",
        examples: &["normal:std=0.02"],
        build: |a| Ok(Init::normal(a.num("mean")?, a.num("std")?)),
        values: |i| match *i {
            Init::Normal { mean, std } => Some(vec![Value::Num(mean), Value::Num(std)]),
            _ => None,
        },
        describe: |i| match *i {
            Init::Normal { mean, std } => (
                format!("N({mean}, {std}²)"),
                format!("std² = {:.4e}", std * std),
            ),
            _ => (String::new(), String::new()),
        },
    },
    Scheme {
        name: "trunc_normal",
        aliases: &[],
        params: &[
            num("mean", 0.0, Shown::IfNotDefault, "mean of the parent normal (units of the weights)"),
            num("std", 1.0, Shown::Always, "std of the parent normal (units of the weights, > 0)"),
            num("a", -2.0, Shown::IfNotDefault, "lower bound, absolute (not in std units)"),
            num("b", 2.0, Shown::IfNotDefault, "upper bound, absolute (not in std units)"),
        ],
        positional: &[&["std"], &["mean", "std"], &["mean", "std", "a", "b"]],
        law: "N(mean, std²) conditioned on [a, b] (absolute bounds); Var < std²",
        best_for: "transformers: no outliers beyond [a, b] (bounds absolute: for ±2σ pass a = -2·std, b = 2·std as here; timm's ViT init passes only std = 0.02, so its default ±2 is ±100σ, effectively untruncated)",
        source: "torch.nn.init.trunc_normal_",
        examples: &["trunc_normal:std=0.02,a=-0.04,b=0.04"],
        build: |a| {
            Ok(Init::trunc_normal(
                a.num("mean")?,
                a.num("std")?,
                a.num("a")?,
                a.num("b")?,
            ))
        },
        values: |i| match *i {
            Init::TruncNormal { mean, std, a, b } => Some(vec![
                Value::Num(mean),
                Value::Num(std),
                Value::Num(a),
                Value::Num(b),
            ]),
            _ => None,
        },
        describe: |i| match *i {
            Init::TruncNormal { mean, std, a, b } => (
                format!("N({mean}, {std}²) on [{a}, {b}]"),
                format!("{:.4e} (truncated)", trunc_moments(mean, std, a, b).1),
            ),
            _ => (String::new(), String::new()),
        },
    },
    Scheme {
        name: "xavier_uniform",
        aliases: &[],
        params: &[GAIN],
        positional: &[],
        law: "U(±gain·sqrt(6/(fan_in+fan_out))); Var = 2·gain²/(fan_in+fan_out)",
        best_for: "tanh, sigmoid, linear layers",
        source: "Glorot & Bengio 2010; torch.nn.init.xavier_uniform_",
        examples: &["xavier_uniform"],
        build: |a| Ok(Init::xavier_uniform(a.num("gain")?)),
        values: |i| match *i {
            Init::XavierUniform { gain } => Some(vec![Value::Num(gain)]),
            _ => None,
        },
        describe: |i| match *i {
            Init::XavierUniform { gain } => (
                "U(±gain·sqrt(6/(fan_in+fan_out)))".into(),
                ratio(2.0 * gain * gain, "(fan_in+fan_out)"),
            ),
            _ => (String::new(), String::new()),
        },
    },
    Scheme {
        name: "xavier_normal",
        aliases: &[],
        params: &[GAIN],
        positional: &[],
        law: "N(0, gain²·2/(fan_in+fan_out)), not truncated; Var = 2·gain²/(fan_in+fan_out)",
        best_for: "tanh, sigmoid, linear layers",
        source: "Glorot & Bengio 2010; torch.nn.init.xavier_normal_",
        examples: &["xavier_normal"],
        build: |a| Ok(Init::xavier_normal(a.num("gain")?)),
        values: |i| match *i {
            Init::XavierNormal { gain } => Some(vec![Value::Num(gain)]),
            _ => None,
        },
        describe: |i| match *i {
            Init::XavierNormal { gain } => (
                "N(0, gain²·2/(fan_in+fan_out))".into(),
                ratio(2.0 * gain * gain, "(fan_in+fan_out)"),
            ),
            _ => (String::new(), String::new()),
        },
    },
    Scheme {
        name: "kaiming_uniform",
        aliases: &[],
        params: KAIMING,
        positional: &[],
        law: "U(±gain·sqrt(3/fan)), gain = calculate_gain(nonlinearity, a); Var = gain²/fan",
        best_for: "ReLU / leaky ReLU networks (keeps forward variance)",
        source: "He et al. 2015; torch.nn.init.kaiming_uniform_",
        // PyTorch's default, and the nn.Linear/nn.Conv default (a = √5)
        examples: &["kaiming_uniform", "kaiming_uniform:a=2.23606797749979"],
        build: |a| {
            let (slope, mode, nl) = kaiming_args(a)?;
            Ok(Init::kaiming_uniform(slope, mode, nl))
        },
        values: |i| match i {
            Init::KaimingUniform { .. } => kaiming_values(i),
            _ => None,
        },
        describe: kaiming_describe,
    },
    Scheme {
        name: "kaiming_normal",
        aliases: &[],
        params: KAIMING,
        positional: &[],
        law: "N(0, gain²/fan), gain = calculate_gain(nonlinearity, a), not truncated; Var = gain²/fan",
        best_for: "ReLU / leaky ReLU networks (keeps forward variance)",
        source: "He et al. 2015; torch.nn.init.kaiming_normal_",
        examples: &["kaiming_normal"],
        build: |a| {
            let (slope, mode, nl) = kaiming_args(a)?;
            Ok(Init::kaiming_normal(slope, mode, nl))
        },
        values: |i| match i {
            Init::KaimingNormal { .. } => kaiming_values(i),
            _ => None,
        },
        describe: kaiming_describe,
    },
    Scheme {
        name: "variance_scaling",
        aliases: &[],
        params: VS_PARAMS,
        positional: &[],
        law: "Var = scale/fan from a truncated normal (±2σ, σ corrected), normal or uniform",
        best_for: "custom variance scaling",
        source: "jax.nn.initializers.variance_scaling",
        examples: &[],
        build: |a| {
            Ok(Init::variance_scaling(
                a.num("scale")?,
                a.mode("mode")?,
                a.dist("distribution")?,
            ))
        },
        values: vs_values,
        describe: vs_describe,
    },
    vs_alias(
        "glorot_uniform",
        "variance_scaling(1, fan_avg, uniform): U(±sqrt(6/(fan_in+fan_out))); Var = 2/(fan_in+fan_out)",
        "tanh, sigmoid (Keras' Dense default kernel initializer)",
        "Glorot & Bengio 2010; jax.nn.initializers.glorot_uniform",
        &[],
        |_| Ok(Init::glorot_uniform()),
        |i| fixed(i, Init::glorot_uniform),
    ),
    vs_alias(
        "glorot_normal",
        "variance_scaling(1, fan_avg, truncated_normal); Var = 2/(fan_in+fan_out)",
        "tanh, sigmoid (truncated at ±2σ as JAX/Keras define it; not a framework default: Keras uses glorot_uniform, Flax lecun_normal)",
        "Glorot & Bengio 2010; jax.nn.initializers.glorot_normal",
        &["glorot_normal"],
        |_| Ok(Init::glorot_normal()),
        |i| fixed(i, Init::glorot_normal),
    ),
    vs_alias(
        "he_uniform",
        "variance_scaling(2, fan_in, uniform): U(±sqrt(6/fan_in)); Var = 2/fan_in",
        "ReLU networks (JAX/Keras)",
        "He et al. 2015; jax.nn.initializers.he_uniform",
        &[],
        |_| Ok(Init::he_uniform()),
        |i| fixed(i, Init::he_uniform),
    ),
    vs_alias(
        "he_normal",
        "variance_scaling(2, fan_in, truncated_normal); Var = 2/fan_in",
        "ReLU networks (JAX/Keras)",
        "He et al. 2015; jax.nn.initializers.he_normal",
        &["he_normal"],
        |_| Ok(Init::he_normal()),
        |i| fixed(i, Init::he_normal),
    ),
    vs_alias(
        "lecun_uniform",
        "variance_scaling(1, fan_in, uniform): U(±sqrt(3/fan_in)); Var = 1/fan_in",
        "SELU (self-normalising), linear",
        "LeCun et al. 1998; jax.nn.initializers.lecun_uniform",
        &[],
        |_| Ok(Init::lecun_uniform()),
        |i| fixed(i, Init::lecun_uniform),
    ),
    vs_alias(
        "lecun_normal",
        "variance_scaling(1, fan_in, truncated_normal); Var = 1/fan_in",
        "SELU (self-normalising), linear; Flax's Dense default",
        "Klambauer et al. 2017; jax.nn.initializers.lecun_normal",
        &["lecun_normal"],
        |_| Ok(Init::lecun_normal()),
        |i| fixed(i, Init::lecun_normal),
    ),
    Scheme {
        name: "orthogonal",
        aliases: &[],
        params: &[num(
            "gain",
            1.0,
            Shown::IfNotDefault,
            "multiplies the matrix (dimensionless, any finite value)",
        )],
        positional: &[],
        law: "Haar (semi-)orthogonal matrix × gain; E[W²] = gain²/max(fan_in, fan_out)",
        best_for: "deep linear/tanh nets, RNNs (dynamical isometry)",
        source: "Saxe et al. 2014; torch.nn.init.orthogonal_",
        examples: &["orthogonal"],
        build: |a| Ok(Init::orthogonal(a.num("gain")?)),
        values: |i| match *i {
            Init::Orthogonal { gain } => Some(vec![Value::Num(gain)]),
            _ => None,
        },
        describe: |i| match *i {
            Init::Orthogonal { gain } => (
                "Haar orthogonal (sign-corrected QR of a Gaussian matrix) × gain".into(),
                ratio(gain * gain, "max(fan_in, fan_out)"),
            ),
            _ => (String::new(), String::new()),
        },
    },
    Scheme {
        name: "eye",
        aliases: &[],
        params: &[],
        positional: &[],
        law: "identity matrix (2-D); E[W²] = 1/fan_in (square)",
        best_for: "residual-free identity starts, linear layers",
        source: "torch.nn.init.eye_",
        examples: &["eye"],
        build: |_| Ok(Init::Eye),
        values: |i| fixed(i, || Init::Eye),
        describe: |_| ("identity matrix".into(), "1/fan_in (square)".into()),
    },
    Scheme {
        name: "dirac",
        aliases: &[],
        params: &[Param {
            name: "groups",
            kind: ParamKind::Count,
            default: Some(Value::Count(1)),
            shown: Shown::IfNotDefault,
            doc: "number of groups (a whole number dividing dim 0)",
        }],
        positional: &[],
        law: "Dirac delta kernels (3/4/5-D): a conv that passes its input through",
        best_for: "conv nets that start as identity maps",
        source: "torch.nn.init.dirac_",
        examples: &["dirac"],
        build: |a| Ok(Init::dirac(a.count("groups")?)),
        values: |i| match *i {
            Init::Dirac { groups } => Some(vec![Value::Count(groups)]),
            _ => None,
        },
        describe: |_| {
            (
                "Dirac delta kernels".into(),
                "1/fan_in (square, 1 of fan_in per row)".into(),
            )
        },
    },
    Scheme {
        name: "sparse",
        aliases: &[],
        params: &[
            required("sparsity", "fraction of zeros per column, in [0, 1)"),
            num("std", 0.01, Shown::Always, "std of the non-zero entries (units of the weights)"),
        ],
        positional: &[],
        law: "N(0, std²) with ceil(sparsity·rows) entries of each column zeroed; E[W²] ≈ (1-sparsity)·std²",
        best_for: "very deep / Hessian-free training (Martens 2010)",
        source: "Martens 2010; torch.nn.init.sparse_",
        examples: &["sparse:sparsity=0.9,std=0.01"],
        build: |a| Ok(Init::sparse(a.num("sparsity")?, a.num("std")?)),
        values: |i| match *i {
            Init::Sparse { sparsity, std } => Some(vec![Value::Num(sparsity), Value::Num(std)]),
            _ => None,
        },
        describe: |i| match *i {
            Init::Sparse { sparsity, std } => (
                format!("N(0, {std}²), {sparsity} of each column zeroed"),
                format!("(1-sparsity)·std² = {:.4e}", (1.0 - sparsity) * std * std),
            ),
            _ => (String::new(), String::new()),
        },
    },
];

/// The canonical scheme names [`Init`] parses, in table order (aliases are accepted too but
/// not listed).
pub fn known_names() -> Vec<&'static str> {
    SCHEMES.iter().map(|s| s.name).collect()
}

/// The entry named `name` (canonical or alias; case-insensitive).
fn lookup(name: &str) -> Option<&'static Scheme> {
    let name = name.trim().to_ascii_lowercase();
    SCHEMES
        .iter()
        .find(|s| s.name == name || s.aliases.contains(&name.as_str()))
}

/// The entry of `init` with its parameter values. Schemes without parameters (the JAX
/// aliases of `variance_scaling`, `zeros`, ...) come first: they are exact values, and win
/// over the general entry.
fn entry_of(init: &Init) -> Option<(&'static Scheme, Vec<Value>)> {
    let (fixed, general): (Vec<&Scheme>, Vec<&Scheme>) =
        SCHEMES.iter().partition(|s| s.params.is_empty());
    fixed
        .into_iter()
        .chain(general)
        .find_map(|s| (s.values)(init).map(|v| (s, v)))
}

/// Edit distance with adjacent transpositions (optimal string alignment), for suggestions:
/// `gian` is one edit from `gain`.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    // d[i][j]: distance between a[..i] and b[..j]
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// The candidate closest to `word`, if it is close enough to be a likely typo (at most a
/// third of the word's letters changed).
fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let w = word.trim().to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (edit_distance(&w, c), c))
        .filter(|(d, _)| 3 * d <= w.chars().count().max(3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// The scheme name closest to `name` (canonical names and aliases), for "did you mean".
pub(crate) fn suggest(name: &str) -> Option<&'static str> {
    closest(
        name,
        SCHEMES
            .iter()
            .flat_map(|s| std::iter::once(s.name).chain(s.aliases.iter().copied())),
    )
}

fn unknown_scheme(text: &str, name: &str) -> InitError {
    InitError::UnknownScheme {
        name: text.into(),
        expected: known_names().join(", "),
        suggestion: suggest(name).map(String::from),
    }
}

/// Parses `text` as a value of `kind`: `None` if it is not one.
fn parse_kind(kind: ParamKind, text: &str) -> Option<Value> {
    let t = text.trim();
    match kind {
        ParamKind::Num => t.parse::<f64>().ok().map(Value::Num),
        ParamKind::Count => t
            .parse::<f64>()
            .ok()
            .filter(|x| *x >= 1.0 && x.fract() == 0.0 && *x <= u32::MAX as f64)
            .map(|x| Value::Count(x as usize)),
        ParamKind::Mode => t.parse::<Mode>().ok().map(Value::Mode),
        ParamKind::Nonlinearity => Nonlinearity::from_name(t, Some(0.0))
            .ok()
            .map(Value::Nonlinearity),
        ParamKind::Dist => t.parse::<Dist>().ok().map(Value::Dist),
    }
}

/// The arguments of one init string, as written.
struct Written<'a> {
    scheme: &'static Scheme,
    positional: Vec<&'a str>,
    keyed: Vec<(&'a str, &'a str)>,
}

impl<'a> Written<'a> {
    fn bad(&self, reason: String) -> InitError {
        InitError::BadSpec {
            scheme: self.scheme.name.into(),
            reason,
        }
    }

    /// Splits `rest` (after the `:`) into positional and `key=value` arguments.
    fn split(scheme: &'static Scheme, rest: Option<&'a str>) -> Result<Written<'a>> {
        let mut w = Written {
            scheme,
            positional: vec![],
            keyed: vec![],
        };
        for part in rest.into_iter().flat_map(|r| r.split(',')) {
            let part = part.trim();
            if part.is_empty() {
                return Err(w.bad("empty parameter (stray ',' or ':')".into()));
            }
            match part.split_once('=') {
                Some((k, v)) => w.keyed.push((k.trim(), v.trim())),
                None => {
                    if !w.keyed.is_empty() {
                        return Err(w.bad(format!(
                            "positional value '{part}' after key=value parameters"
                        )));
                    }
                    w.positional.push(part)
                }
            }
        }
        Ok(w)
    }

    /// Checks the argument names and counts against the scheme, then gives every parameter
    /// its value: written (by position or by key, not both) or the default.
    fn bind(&self) -> Result<Args> {
        let s = self.scheme;
        let max = s.max_positional();
        if self.positional.len() > max {
            return Err(self.bad(format!(
                "takes at most {max} positional value(s), got {}",
                self.positional.len()
            )));
        }
        for (i, (k, _)) in self.keyed.iter().enumerate() {
            if self.keyed[..i].iter().any(|(j, _)| j == k) {
                return Err(self.bad(format!("parameter '{k}' is given more than once")));
            }
            if !s.params.iter().any(|p| p.name == *k) {
                let names: Vec<&str> = s.params.iter().map(|p| p.name).collect();
                let hint = closest(k, names.iter().copied())
                    .map(|n| format!("did you mean '{n}'? "))
                    .unwrap_or_default();
                return Err(self.bad(format!(
                    "unknown parameter '{k}'; {hint}expected {}",
                    if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    }
                )));
            }
        }
        let Some(form) = s.positional_form(self.positional.len()) else {
            let forms: Vec<String> = s.positional.iter().map(|f| f.join(",")).collect();
            let text = match forms.split_last() {
                Some((last, rest)) if !rest.is_empty() => {
                    format!("{}; or {last}", rest.join("; "))
                }
                _ => forms.join(""),
            };
            return Err(self.bad(format!("give {text}")));
        };
        let mut values = Vec::with_capacity(s.params.len());
        for p in s.params {
            let by_position = form
                .iter()
                .position(|q| q.name == p.name)
                .and_then(|i| self.positional.get(i).copied());
            let by_key = self.keyed.iter().find(|(k, _)| *k == p.name).map(|kv| kv.1);
            let text = match (by_position, by_key) {
                (Some(pos), Some(v)) => {
                    return Err(self.bad(format!(
                        "{0} is given twice: by position ('{pos}') and as {0}={v}",
                        p.name
                    )))
                }
                (Some(t), None) | (None, Some(t)) => Some(t),
                (None, None) => None,
            };
            let value = match (text, p.default) {
                (Some(t), _) => self.value(p, t)?,
                (None, Some(d)) => d,
                (None, None) => {
                    return Err(self.bad(format!(
                        "needs a value for '{}' ({}), e.g. {}:{}=...",
                        p.name, p.doc, s.name, p.name
                    )))
                }
            };
            values.push((p.name, value));
        }
        Ok(Args {
            scheme: s.name,
            values,
        })
    }

    /// The value of parameter `p` written as `v`.
    fn value(&self, p: &Param, v: &str) -> Result<Value> {
        let key = p.name;
        match p.kind {
            ParamKind::Num | ParamKind::Count => {
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
                if p.kind == ParamKind::Num {
                    return Ok(Value::Num(x));
                }
                if !(x >= 1.0 && x.fract() == 0.0 && x <= u32::MAX as f64) {
                    return Err(self.bad(format!("{key} = {x} must be a positive integer")));
                }
                Ok(Value::Count(x as usize))
            }
            ParamKind::Mode => Ok(Value::Mode(v.parse()?)),
            ParamKind::Nonlinearity => {
                Ok(Value::Nonlinearity(Nonlinearity::from_name(v, Some(0.0))?))
            }
            ParamKind::Dist => Ok(Value::Dist(v.parse()?)),
        }
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
        let scheme = lookup(name).ok_or_else(|| unknown_scheme(s, name))?;
        let args = Written::split(scheme, rest)?.bind()?;
        let init = (scheme.build)(&args)?;
        init.validate()?;
        Ok(init)
    }
}

impl std::fmt::Display for Init {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Some((scheme, values)) = entry_of(self) else {
            // invariant: every Init variant has an entry (tested); never reached
            return write!(f, "{self:?}");
        };
        let shown: Vec<String> = scheme
            .params
            .iter()
            .zip(&values)
            .filter(|(p, v)| p.shown == Shown::Always || p.default != Some(**v))
            .map(|(p, v)| format!("{}={v}", p.name))
            .collect();
        if shown.is_empty() {
            f.write_str(scheme.name)
        } else {
            write!(f, "{}:{}", scheme.name, shown.join(","))
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

impl Init {
    /// The scheme's name as it is parsed (`kaiming_uniform`, `glorot_normal`, ...).
    pub fn name(&self) -> &'static str {
        entry_of(self).map_or("?", |(s, _)| s.name)
    }

    /// The scheme's table entry.
    pub fn scheme(&self) -> Option<&'static Scheme> {
        entry_of(self).map(|(s, _)| s)
    }

    /// Describes the scheme for the methods table; the formula comes from the scheme's fields.
    pub fn describe(&self) -> Description {
        let (distribution, variance, best_for, source) = match entry_of(self) {
            Some((s, _)) => {
                let (d, v) = (s.describe)(self);
                (d, v, s.best_for, s.source)
            }
            None => (String::new(), String::new(), "", ""),
        };
        Description {
            name: self.to_string(),
            distribution,
            variance,
            best_for,
            source,
        }
    }

    /// The schemes of the methods table (each with PyTorch's/JAX's default parameters): the
    /// [`Scheme::examples`] of the table, in table order.
    pub fn catalogue() -> Vec<Init> {
        SCHEMES
            .iter()
            .flat_map(|s| s.examples.iter())
            .filter_map(|t| t.parse().ok())
            .collect()
    }

    /// Splits a comma-separated list of init strings whose parameters also use commas
    /// (`normal:0.02,kaiming_uniform:a=0.1,mode=fan_out,xavier_uniform` is three inits) into
    /// the entries, as slices of `text` (trimmed). An empty entry (`a,,b`, a leading or
    /// trailing comma) comes back as `""`.
    ///
    /// A token starts a new entry when it is `name:...` for a known name, or a bare known
    /// name — unless the previous entry takes it as its next positional value
    /// (`variance_scaling:2,fan_in,uniform` is one init: `uniform` is its distribution);
    /// `key=value` tokens and anything else continue the previous entry (so that a typo is
    /// reported by the parser, in its context). The known names are the scheme table's and
    /// `extra_names` (names the caller parses itself, e.g. a CLI's `pytorch-default`, `lsuv`;
    /// their parameters must be `key=value`); case-insensitive.
    ///
    /// ```
    /// use nninit::Init;
    /// let list = "normal:0.02,kaiming_uniform:a=0.1,mode=fan_out,xavier_uniform";
    /// assert_eq!(
    ///     Init::split_list(list, &[]),
    ///     ["normal:0.02", "kaiming_uniform:a=0.1,mode=fan_out", "xavier_uniform"]
    /// );
    /// assert_eq!(
    ///     Init::split_list("lsuv:tol=0.1,max_iter=5,uniform:-1,1", &["lsuv"]),
    ///     ["lsuv:tol=0.1,max_iter=5", "uniform:-1,1"]
    /// );
    /// ```
    pub fn split_list<'a>(text: &'a str, extra_names: &[&str]) -> Vec<&'a str> {
        let is_name = |t: &str| {
            let t = t.trim().to_ascii_lowercase();
            lookup(&t).is_some() || extra_names.iter().any(|e| e.eq_ignore_ascii_case(&t))
        };
        /// The entry being built: its byte range and what it can still take.
        struct Entry {
            start: usize,
            end: usize,
            scheme: Option<&'static Scheme>,
            positional: usize,
            keyed: bool,
        }
        let mut entries: Vec<Entry> = vec![];
        let mut offset = 0;
        for token in text.split(',') {
            let (start, end) = (offset, offset + token.len());
            offset = end + 1;
            let t = token.trim();
            let continues = match entries.last() {
                None => false,
                Some(_) if t.is_empty() => false,
                Some(e) if e.end == e.start => false, // after an empty entry
                Some(e) => match t.split_once(':') {
                    Some((name, _)) => !is_name(name),
                    None if t.contains('=') => true,
                    None => {
                        let takes = e
                            .scheme
                            .is_some_and(|s| !e.keyed && s.accepts_positional(e.positional, t));
                        takes || !is_name(t)
                    }
                },
            };
            match entries.last_mut() {
                Some(e) if continues => {
                    e.end = end;
                    if t.contains('=') {
                        e.keyed = true;
                    } else {
                        e.positional += 1;
                    }
                }
                _ => {
                    let (name, first) = match t.split_once(':') {
                        Some((n, r)) => (n, Some(r.trim())),
                        None => (t, None),
                    };
                    entries.push(Entry {
                        start,
                        end: if t.is_empty() { start } else { end },
                        // parameters follow a ':' only
                        scheme: first.and_then(|_| lookup(name)),
                        positional: usize::from(
                            first.is_some_and(|r| !r.is_empty() && !r.contains('=')),
                        ),
                        keyed: first.is_some_and(|r| r.contains('=')),
                    });
                }
            }
        }
        entries
            .iter()
            .map(|e| text[e.start..e.end].trim())
            .collect()
    }

    /// Parses a comma-separated list of init strings ([`Init::split_list`], then `FromStr` on
    /// each entry).
    ///
    /// # Errors
    /// [`InitError::EmptyEntry`] for an empty list or entry; the entry's parse error
    /// otherwise.
    ///
    /// ```
    /// use nninit::{Init, Mode, Nonlinearity};
    /// let inits = Init::parse_list("normal:0.02,kaiming_uniform:a=0.1,mode=fan_out,xavier_uniform")?;
    /// assert_eq!(inits, [
    ///     Init::normal(0.0, 0.02),
    ///     Init::kaiming_uniform(0.1, Mode::FanOut, Nonlinearity::LeakyRelu(0.1)),
    ///     Init::xavier_uniform(1.0),
    /// ]);
    /// assert!(Init::parse_list("normal:0.02,,zeros").is_err());
    /// # Ok::<(), nninit::InitError>(())
    /// ```
    pub fn parse_list(text: &str) -> Result<Vec<Init>> {
        Init::split_list(text, &[])
            .into_iter()
            .map(|entry| {
                if entry.is_empty() {
                    Err(InitError::EmptyEntry { list: text.into() })
                } else {
                    entry.parse()
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a panic in a test is a failure
    use super::*;

    #[test]
    fn round_trip_every_catalogue_entry() {
        for init in Init::catalogue() {
            let text = init.to_string();
            let back: Init = text.parse().unwrap_or(Init::Ones);
            assert_eq!(back, init, "{text}");
        }
    }

    /// One value of every `Init` variant. The match is exhaustive: a new variant does not
    /// compile until it is listed here, and then the tests below need its table entry.
    fn one_of_each() -> Vec<Init> {
        let all = vec![
            Init::Constant(0.5),
            Init::Zeros,
            Init::Ones,
            Init::uniform(-1.0, 2.0),
            Init::normal(0.5, 2.0),
            Init::trunc_normal(0.1, 2.0, -1.0, 3.0),
            Init::xavier_uniform(2.0),
            Init::xavier_normal(0.5),
            Init::kaiming_uniform(0.2, Mode::FanOut, Nonlinearity::LeakyRelu(0.0)),
            Init::kaiming_normal(0.0, Mode::FanAvg, Nonlinearity::Tanh),
            Init::variance_scaling(3.0, Mode::FanGeoAvg, Dist::Normal),
            Init::orthogonal(-2.0),
            Init::Eye,
            Init::dirac(3),
            Init::sparse(0.25, 0.5),
        ];
        for init in &all {
            match init {
                Init::Constant(_)
                | Init::Zeros
                | Init::Ones
                | Init::Uniform { .. }
                | Init::Normal { .. }
                | Init::TruncNormal { .. }
                | Init::XavierUniform { .. }
                | Init::XavierNormal { .. }
                | Init::KaimingUniform { .. }
                | Init::KaimingNormal { .. }
                | Init::VarianceScaling { .. }
                | Init::Orthogonal { .. }
                | Init::Eye
                | Init::Dirac { .. }
                | Init::Sparse { .. } => {}
            }
        }
        all
    }

    #[test]
    fn every_variant_has_an_entry_and_round_trips() {
        for init in one_of_each() {
            let text = init.to_string();
            assert!(init.scheme().is_some(), "{init:?} has no table entry");
            assert_eq!(text.parse::<Init>().ok(), Some(init.clone()), "{text}");
            assert!(!init.describe().variance.is_empty(), "{text}");
        }
    }

    /// Every entry: its defaults (a sample value for required parameters) build a value that
    /// prints under the entry's name and parses back; its examples print as written; its
    /// parameters' defaults are of their kind; its positional forms name its parameters.
    #[test]
    fn every_table_entry_round_trips() {
        for s in SCHEMES {
            let args: Vec<String> = s
                .params
                .iter()
                .filter(|p| p.default.is_none())
                .map(|p| format!("{}=0.5", p.name))
                .collect();
            let text = if args.is_empty() {
                s.name.to_string()
            } else {
                format!("{}:{}", s.name, args.join(","))
            };
            let init: Init = text.parse().unwrap();
            // (variance_scaling's defaults are JAX's lecun_normal, which prints as such)
            let alias = init.scheme().is_some_and(|e| e.params.is_empty());
            assert!(init.name() == s.name || alias, "{text}");
            assert_eq!(
                init.to_string().parse::<Init>().ok(),
                Some(init.clone()),
                "{text}"
            );
            for alias in s.aliases {
                let again = text.replacen(s.name, alias, 1);
                assert_eq!(again.parse::<Init>().ok(), Some(init.clone()), "{again}");
            }
            for ex in s.examples {
                assert_eq!(ex.parse::<Init>().unwrap().to_string(), *ex);
            }
            for p in s.params {
                let ok = matches!(
                    (p.kind, p.default),
                    (_, None)
                        | (ParamKind::Num, Some(Value::Num(_)))
                        | (ParamKind::Count, Some(Value::Count(_)))
                        | (ParamKind::Mode, Some(Value::Mode(_)))
                        | (ParamKind::Nonlinearity, Some(Value::Nonlinearity(_)))
                        | (ParamKind::Dist, Some(Value::Dist(_)))
                );
                assert!(ok, "{}: default of {} has another kind", s.name, p.name);
            }
            for form in s.positional {
                for n in *form {
                    assert!(s.params.iter().any(|p| p.name == *n), "{}: {n}", s.name);
                }
            }
        }
        let n: usize = SCHEMES.iter().map(|s| s.examples.len()).sum();
        assert_eq!(Init::catalogue().len(), n);
        let mut names = known_names();
        names.extend(SCHEMES.iter().flat_map(|s| s.aliases.iter().copied()));
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "a name is in the table twice");
    }

    #[test]
    fn kaiming_has_one_slope() {
        let k = Init::KaimingUniform {
            mode: Mode::FanOut,
            nonlinearity: Nonlinearity::LeakyRelu(0.2),
        };
        assert_eq!(k.to_string(), "kaiming_uniform:a=0.2,mode=fan_out");
        assert_eq!(
            "kaiming_uniform:a=0.2,mode=fan_out".parse::<Init>().ok(),
            Some(k)
        );
        // PyTorch's `a` is only the leaky ReLU's slope: ignored for other nonlinearities
        assert_eq!(
            "kaiming_normal:a=0.3,nonlinearity=relu"
                .parse::<Init>()
                .ok(),
            Some(Init::kaiming_normal(0.0, Mode::FanIn, Nonlinearity::Relu))
        );
        assert!("kaiming_normal:a=inf".parse::<Init>().is_err());
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("kaimin_uniform"), Some("kaiming_uniform"));
        assert_eq!(suggest("Xavier_Unifrom"), Some("xavier_uniform"));
        assert_eq!(suggest("zero"), Some("zeros"));
        assert_eq!(suggest("resnet"), None);
        let e = "kaiming_unifrom".parse::<Init>().unwrap_err().to_string();
        assert!(
            e.starts_with("unknown init 'kaiming_unifrom'; did you mean 'kaiming_uniform'? expected one of: zeros,"),
            "{e}"
        );
        let e = "xavier_uniform:gian=1"
            .parse::<Init>()
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("unknown parameter 'gian'; did you mean 'gain'? expected gain"),
            "{e}"
        );
        let e = "sparse".parse::<Init>().unwrap_err().to_string();
        assert!(e.contains("needs a value for 'sparsity'"), "{e}");
        let e = "trunc_normal:0,1,2"
            .parse::<Init>()
            .unwrap_err()
            .to_string();
        assert!(e.ends_with("give std; mean,std; or mean,std,a,b"), "{e}");
        let e = "normal:1,2,3".parse::<Init>().unwrap_err().to_string();
        assert!(
            e.ends_with("takes at most 2 positional value(s), got 3"),
            "{e}"
        );
        let e = "dirac:1.5".parse::<Init>().unwrap_err().to_string();
        assert!(
            e.ends_with("groups = 1.5 must be a positive integer"),
            "{e}"
        );
    }

    #[test]
    fn split_lists() {
        let split = |s| Init::split_list(s, &["pytorch-default", "lsuv"]);
        assert_eq!(
            split("uniform:-0.1,0.1,kaiming_uniform"),
            ["uniform:-0.1,0.1", "kaiming_uniform"]
        );
        assert_eq!(
            split(" normal:0.02 , kaiming_uniform:a=0.1, mode=fan_out ,xavier_uniform "),
            [
                "normal:0.02",
                "kaiming_uniform:a=0.1, mode=fan_out",
                "xavier_uniform"
            ]
        );
        // a bare name that the previous init takes as its next positional value
        assert_eq!(
            split("variance_scaling:2,fan_in,normal,zeros"),
            ["variance_scaling:2,fan_in,normal", "zeros"]
        );
        // ... and one it cannot take
        assert_eq!(split("normal:0.02,uniform"), ["normal:0.02", "uniform"]);
        assert_eq!(
            split("kaiming_uniform:0,fan_out,normal"),
            ["kaiming_uniform:0,fan_out", "normal"]
        );
        assert_eq!(
            split("kaiming_uniform:0,fan_out,relu,eye"),
            ["kaiming_uniform:0,fan_out,relu", "eye"]
        );
        assert_eq!(
            split("trunc_normal:0,1,-2,2,normal"),
            ["trunc_normal:0,1,-2,2", "normal"]
        );
        // extra names; their key=value parameters; case
        assert_eq!(
            split("PyTorch-Default,lsuv:tol=0.1,max_iter=3,Normal:0.5"),
            ["PyTorch-Default", "lsuv:tol=0.1,max_iter=3", "Normal:0.5"]
        );
        // typos stay with their init, so that its parser reports them
        assert_eq!(split("uniform:-1,abc,zeros"), ["uniform:-1,abc", "zeros"]);
        assert_eq!(
            split("normal:0.02,,zeros,"),
            ["normal:0.02", "", "zeros", ""]
        );
        assert_eq!(split(""), [""]);
        let e = Init::parse_list("zeros,").unwrap_err().to_string();
        assert!(e.starts_with("empty entry in init list 'zeros,'"), "{e}");
        assert!(Init::parse_list(" ").is_err());
        assert_eq!(
            Init::parse_list("variance_scaling:2,fan_in,uniform,sparse:0.9,0.01").ok(),
            Some(vec![Init::he_uniform(), Init::sparse(0.9, 0.01)])
        );
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
