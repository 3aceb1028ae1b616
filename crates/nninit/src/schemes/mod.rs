//! Initialisation schemes: [`Init`] names a scheme with its parameters; [`Init::resolve`]
//! computes fans, gain, std and bounds for a shape without drawing; [`Init::fill`] draws.
//!
//! Data flows one way: spec ([`Init`]) → parameters ([`Resolved`]) → fill (a
//! [`Stream`](crate::Stream)).
//!
//! Every scheme has one entry in the scheme table ([`SCHEMES`]: name, aliases, parameters
//! with defaults, builder, description): parsing, printing, [`known_names`], the methods table
//! ([`Init::describe`], [`Init::catalogue`]), list splitting ([`Init::parse_list`]) and the
//! "did you mean" suggestions all read it.
//!
//! Module map (imports run one way): `table` (text forms) → `init` ([`Init`]: validate,
//! resolve, fill) → `draw` → `orthogonal`, `structured` → `resolved` ([`Resolved`]);
//! `shard` ([`Init::fill_range`], [`Init::fill_rows`]) → `init` and [`crate::fill`];
//! `variance_scaling` ([`Dist`], the JAX engine) is used by `init` and `table`.
//!
//! # Edge cases (one table; the tests use it too)
//!
//! | case | behaviour | PyTorch |
//! |---|---|---|
//! | zero-element tensor (a 0 in the shape) | `fill` is a no-op and draws nothing | same (kaiming warns; xavier with both fans 0 raises) |
//! | `resolve` with a zero fan | [`InitError::ZeroFan`] | n/a |
//! | fewer than 2 dims where a fan is needed | [`InitError::RankTooSmall`] | `ValueError` |
//! | `eye` not 2-D, `dirac` not 3/4/5-D, `orthogonal`/`sparse` rank | [`InitError::WrongRank`] (checked before the no-op rule) | `ValueError` |
//! | `std < 0` or non-finite | [`InitError::InvalidStd`] | `RuntimeError` for `std < 0` |
//! | `uniform` with `a > b` | [`InitError::EmptyRange`]; `a == b` fills `a` (draws still made) | same |
//! | `uniform` whose `a`, `b` or `b − a` overflow f32, for f32/bf16/f16 tensors | [`InitError::InvalidParam`] (f64 tensors are fine) | `RuntimeError` ("to - from to exceed the limit") |
//! | `trunc_normal` with `a >= b` or `std == 0` | [`InitError::EmptyRange`] / [`InitError::InvalidParam`] | loops or NaN |
//! | `trunc_normal` window with no f64 probability mass (e.g. `[50, 60]` at std 1) | [`InitError::Unsupported`] | loops forever |
//! | `sparse` with sparsity outside `[0, 1)` | [`InitError::InvalidSparsity`] | no check |
//! | buffer length != numel | [`InitError::LenMismatch`] | n/a |
//!
//! On any error nothing is written and the stream is not advanced.
//!
//! [`InitError::ZeroFan`]: crate::InitError::ZeroFan
//! [`InitError::RankTooSmall`]: crate::InitError::RankTooSmall
//! [`InitError::WrongRank`]: crate::InitError::WrongRank
//! [`InitError::InvalidStd`]: crate::InitError::InvalidStd
//! [`InitError::EmptyRange`]: crate::InitError::EmptyRange
//! [`InitError::InvalidParam`]: crate::InitError::InvalidParam
//! [`InitError::Unsupported`]: crate::InitError::Unsupported
//! [`InitError::InvalidSparsity`]: crate::InitError::InvalidSparsity
//! [`InitError::LenMismatch`]: crate::InitError::LenMismatch

mod draw;
mod init;
mod orthogonal;
mod resolved;
mod shard;
mod structured;
mod table;
mod variance_scaling;

pub use init::Init;
pub use resolved::Resolved;
pub use table::{known_names, Description, Param, ParamKind, Scheme, Shown, Value, SCHEMES};
pub use variance_scaling::Dist;
