//! The error type of the core crate.

/// Everything the core library can reject. Messages are lowercase, name the bad value and
/// give the valid set or the fix. On error nothing is written and no random draw is made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum InitError {
    /// A fan was needed but the weight has fewer than 2 dimensions.
    #[error("fan_in/fan_out need a weight of at least 2 dims, got shape {shape:?}")]
    RankTooSmall {
        /// The shape given.
        shape: Vec<usize>,
    },
    /// The scheme only works on tensors of specific ranks (eye: 2-D; dirac: 3/4/5-D; ...).
    #[error(
        "{scheme} needs a tensor of rank {expected}, got shape {shape:?}{}",
        rank_hint(scheme, shape)
    )]
    WrongRank {
        /// The scheme's name.
        scheme: &'static str,
        /// The allowed ranks, in words ("2", "3, 4 or 5").
        expected: &'static str,
        /// The shape given.
        shape: Vec<usize>,
    },
    /// The fan used by the scheme is zero, so the variance would be infinite.
    #[error("{which} is 0 for shape {shape:?}: the variance would be infinite")]
    ZeroFan {
        /// "fan_in", "fan_out" or "fan_in + fan_out".
        which: &'static str,
        /// The shape given.
        shape: Vec<usize>,
    },
    /// A standard deviation is negative or not finite.
    #[error("std must be finite and >= 0, got {}", Num(*std))]
    InvalidStd {
        /// The value given.
        std: f64,
    },
    /// A numeric parameter is out of its valid range or not finite.
    #[error("invalid {name} = {}: {expected}", Num(*value))]
    InvalidParam {
        /// The parameter's name.
        name: &'static str,
        /// The value given.
        value: f64,
        /// What would be valid.
        expected: &'static str,
    },
    /// An interval [a, b] with a >= b (or a > b for uniform, which allows a == b as PyTorch does).
    #[error("empty range: {what} needs a < b, got a = {}, b = {}", Num(*a), Num(*b))]
    EmptyRange {
        /// Which scheme or parameter.
        what: &'static str,
        /// Lower end.
        a: f64,
        /// Upper end.
        b: f64,
    },
    /// The sparsity of `sparse` is outside [0, 1).
    #[error("sparsity must be in [0, 1), got {}", Num(*sparsity))]
    InvalidSparsity {
        /// The value given.
        sparsity: f64,
    },
    /// `dirac`: the out-channel dim (dim 0; the last under [`Layout::Jax`](crate::Layout::Jax))
    /// is not divisible by `groups` (or groups is 0).
    #[error(
        "dirac: the out-channel dim ({dim0}; dim 0 in PyTorch's layout, the last in JAX's) must be divisible by groups ({groups}), and groups must be >= 1"
    )]
    BadGroups {
        /// Size of the out-channel dim.
        dim0: usize,
        /// Groups given.
        groups: usize,
    },
    /// The buffer length does not match the shape's number of elements.
    #[error("buffer has {len} elements but shape {shape:?} needs {numel}")]
    LenMismatch {
        /// Buffer length.
        len: usize,
        /// Elements the shape needs.
        numel: usize,
        /// The shape.
        shape: Vec<usize>,
    },
    /// The product of the dimensions overflows `usize`.
    #[error("shape {shape:?} has too many elements (overflows usize)")]
    ShapeOverflow {
        /// The shape given.
        shape: Vec<usize>,
    },
    /// An init string could not be parsed, or names an unknown scheme.
    #[error("unknown init '{name}'; {}expected one of: {expected}", did_you_mean(.suggestion))]
    UnknownScheme {
        /// The name given.
        name: String,
        /// The known names, comma separated.
        expected: String,
        /// The known name closest to the one given, when it looks like a typo.
        suggestion: Option<String>,
    },
    /// A comma-separated init list is empty or has an empty entry (`a,,b`, `a,`).
    #[error("empty entry in init list '{list}'; give a comma-separated list such as kaiming_uniform,normal:0.02")]
    EmptyEntry {
        /// The list given.
        list: String,
    },
    /// An init string names a known scheme but its parameters are malformed.
    #[error("bad parameters for init '{scheme}': {reason}")]
    BadSpec {
        /// The scheme.
        scheme: String,
        /// What is wrong.
        reason: String,
    },
    /// Unknown nonlinearity name.
    #[error("unsupported nonlinearity '{name}'; expected one of: {expected}")]
    UnknownNonlinearity {
        /// The name given.
        name: String,
        /// The known names.
        expected: String,
    },
    /// Unknown mode name.
    #[error(
        "mode '{name}' not supported, please use one of: fan_in, fan_out, fan_avg, fan_geo_avg"
    )]
    UnknownMode {
        /// The name given.
        name: String,
    },
    /// A layer/module specification is invalid (e.g. zero features, groups not dividing channels).
    #[error("{0}")]
    InvalidModule(String),
    /// A shard's range (elements or rows) is not inside the tensor.
    #[error("range {start}..{end} is not inside 0..{numel}")]
    RangeOutOfBounds {
        /// Range start.
        start: usize,
        /// Range end (exclusive).
        end: usize,
        /// The tensor's number of elements (or rows).
        numel: usize,
    },
    /// The scheme cannot be drawn from this kind of stream or in this dtype.
    #[error("{0}")]
    Unsupported(String),
    /// A name (layout, kernel flavour, ...) is not one of the known values.
    #[error("unknown {what} '{value}'; expected one of: {expected}")]
    UnknownValue {
        /// What was named ("layout", "flavor").
        what: &'static str,
        /// The text given.
        value: String,
        /// The known values, comma separated.
        expected: &'static str,
    },
    /// The working memory a fill needs besides the tensor (e.g. orthogonal's QR) could not
    /// be allocated. Checked before anything is drawn: nothing is written, the stream is not
    /// advanced.
    #[error(
        "not enough memory for {what}: it needs {} MiB of working memory besides the tensor \
         (use a smaller shape, or a machine or limit with more memory)",
        .bytes.div_ceil(1 << 20)
    )]
    OutOfMemory {
        /// What needed it (e.g. "orthogonal 12000x12000 (QR in f64)").
        what: String,
        /// Bytes requested.
        bytes: u128,
    },
}

/// The scheme to use instead, when a rank error has an obvious one.
fn rank_hint(scheme: &str, shape: &[usize]) -> &'static str {
    match (scheme, shape.len()) {
        ("eye", 3..=5) => "; for a convolution weight use dirac (the identity of a convolution)",
        ("dirac", 2) => "; for a 2-D weight use eye (the identity matrix)",
        _ => "",
    }
}

/// Reserves `bytes` of memory and frees it at once: a fill's working buffers are checked this
/// way before anything is drawn, so that running out of memory is an
/// [`InitError::OutOfMemory`] instead of an abort inside an allocation that cannot fail
/// gracefully (faer's, `vec!`'s). Address space freed here is what the buffers get back.
pub(crate) fn check_memory(bytes: u128, what: impl FnOnce() -> String) -> Result<()> {
    let fits = usize::try_from(bytes)
        .ok()
        .is_some_and(|b| Vec::<u8>::new().try_reserve_exact(b).is_ok());
    if fits {
        Ok(())
    } else {
        Err(InitError::OutOfMemory {
            what: what(),
            bytes,
        })
    }
}

/// `did you mean 'x'? ` (or nothing), for [`InitError::UnknownScheme`].
fn did_you_mean(suggestion: &Option<String>) -> String {
    suggestion
        .as_ref()
        .map(|s| format!("did you mean '{s}'? "))
        .unwrap_or_default()
}

/// Result alias of the core crate.
pub type Result<T> = std::result::Result<T, InitError>;

/// A number as people write it in a spec or a message: plain decimals for magnitudes in
/// `[1e-4, 1e15)` (and 0), otherwise scientific (`1e300`, `1e-17`, `-2.5e20`) instead of
/// hundreds of digits. Either form is the shortest that parses back to the same f64.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Num(pub f64);

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let a = self.0.abs();
        if a == 0.0 || !a.is_finite() || (1e-4..1e15).contains(&a) {
            write!(f, "{}", self.0)
        } else {
            write!(f, "{:e}", self.0)
        }
    }
}
