//! Counter-based fills at memory speed, identical for any thread count or shard.
//!
//! Every element is a pure function of `(seed, stream, i)` where `i` is the row-major index
//! in the **whole** (unsharded) tensor ([`StreamKey`]; docs/theory.md §8.4). So a tensor can be
//! filled by any number of threads ([`Par`]), and each rank of a distributed job can
//! materialise only its own rows or elements ([`fill_range`],
//! [`Init::fill_range`](crate::Init::fill_range), [`Init::fill_rows`](crate::Init::fill_rows))
//! and get exactly the slice of the whole-tensor fill. [`Philox`] is the same engine as a
//! [`Stream`](crate::Stream).
//!
//! # Transforms (Philox4x32-10 block `w` of element `i`; see [`crate::rng::philox`])
//! | sampler | element type | bits used | value |
//! |---|---|---|---|
//! | uniform | f32, bf16, f16 | `u = (w[i&3] >> 8)·2⁻²⁴` | `T(lo + u·(hi−lo))` in f32 arithmetic; a value that rounds to `T(hi)` becomes `T(lo)`, so all lie in `[T(lo), T(hi))` |
//! | uniform | f64 | `u = ((w[2j] << 32 \| w[2j+1]) >> 11)·2⁻⁵³`, `b = i >> 1`, `j = i & 1` | `lo + u·(hi−lo)`, `hi` becomes `lo` |
//! | normal | f64 | pair `k = (i >> 1) & 1`: `u1 = ((w[2k] >> 8) + 1)·2⁻²⁴ ∈ (0, 1]`, `u2 = (w[2k+1] >> 8)·2⁻²⁴` | Box–Muller (exact method): `ρ = √(−2 ln u1)`, even `i` → `ρ cos 2πu2`, odd → `ρ sin 2πu2`; `mean + std·z`, f64 arithmetic |
//! | normal | f32, bf16, f16 | as f64 | the same Box–Muller in f32 arithmetic (`mean`, `std` rounded to f32; a `std` above `f32::MAX/6` uses the f64 row, rounded to `T`): `ρ·std` with `−2 ln u1` from a 16-entry table and a degree-5 polynomial, `sin`/`cos` from the nearest of 32 tabulated angles and short series in the offset; even `i` → `fma(ρ·std, cos, mean)`, odd → `fma(ρ·std, sin, mean)`; then rounded to `T` |
//! | trunc_normal | f32, bf16, f16 | 24-bit `u` as uniform | inverse CDF (exact distribution): `z = Φ⁻¹(Φ(α) + u·(Φ(β) − Φ(α)))`, `α, β` the standardised bounds; `p` in f32, always at `p ≤ ½` (the window's upper part mirrored, so that `p` keeps its relative precision). `Φ⁻¹` in f32 by a degree-7 polynomial per octave of `p` for `p ≥ 2⁻¹⁷` (no logarithm; relative error ≤ 3e-7), by Wichura's AS241 in f64 on the f32 `p` below that (|z| > 4.33: about one draw in 10⁵ for windows that reach there, e.g. PyTorch's default ±2 at std 0.02), `∓∞` at `p = 0` (a window end whose tail mass underflows). Then `clamp(mean + std·z, a', b')` with `a', b'` the bounds rounded inward to the output type, so every value lies in `[a, b]` (a window holding no value of the type gives the type's value nearest its midpoint; a bound beyond the type's range stays ±∞, so draws beyond that range overflow to ±∞ as for normal). Windows narrow compared with their `p` (`min(pb, ½) > 2048·(pb − pa)`, where f32 would resolve `p` more coarsely than `u`) or with mass `pb − pa < 2⁻¹⁰⁰` (beyond about 11.5σ, where f32 `p` would underflow) use the f64 row |
//! | trunc_normal | f64 | 53-bit `u` as f64 uniform | as above, AS241 in f64 |
//!
//! The elementary functions (`ln`, `sin`/`cos` of a fraction of a turn, `Φ⁻¹`) are this
//! crate's own branch-free polynomials (with small tables in f32), in f64 for f64 output and in f32 for the other
//! types; the f64 ones use no fused multiply-add, the f32 ones use `mul_add` (exactly rounded
//! everywhere: one instruction on FMA hardware, a correctly rounded routine otherwise). No
//! platform `libm` is involved, so the values are the same on every platform and ISA. Accuracy
//! of the f32 functions (checked in unit tests against f64): `−2 ln u1` ≤ 1.5 ulp, `sin`/`cos` ≤
//! 1.2e-7 absolute, `Φ⁻¹` ≤ 3e-7 relative — a few ulp of the f32 result, far below any
//! statistical effect. bf16 and f16 are rounded to nearest even from the f32 value.
//! Box–Muller from 24-bit uniforms bounds `|z| ≤ √(2·24 ln 2) = 5.77`; the tail mass beyond
//! is `8e-9`.
//!
//! # Speed
//! Kernels are batched over 64 Philox blocks and compiled for AVX-512, AVX2 and the baseline,
//! chosen at run time; each is tested to equal the one-element-at-a-time scalar reference
//! bit for bit. Threads use rayon with fixed 64 Ki-element chunks.
//!
//! ```
//! use nninit::{fill, Par, Sampler, StreamKey};
//! let key = StreamKey::new(1234, 7);
//! let s = Sampler::normal(0.0, 0.02)?;
//! let mut whole = vec![0f32; 1000];
//! fill::fill(&s, key, &mut whole, Par::threads(2));
//! // rank 1 of 4 materialises only its quarter
//! let mut part = vec![0f32; 250];
//! fill::fill_range(&s, key, 1000, 250..500, &mut part, Par::Seq)?;
//! assert_eq!(part[..], whole[250..500]);
//! # Ok::<(), nninit::InitError>(())
//! ```

mod math;
mod parallel;
mod scalar;
mod simd;
mod stream;

pub use crate::cpu::clear_upper_state;
pub use parallel::{pool, Par};
pub use stream::Philox;

use crate::cpu::Isa;
use crate::element::Element;
use crate::error::{InitError, Result};
use crate::rng::philox::StreamKey;
use crate::sampler::Sampler;
use std::ops::Range;

/// Fills a whole tensor: element `i` of `out` gets the value of index `i` under `key`.
/// Infallible: a [`Sampler`] is valid by construction.
pub fn fill<T: Element>(sampler: &Sampler, key: StreamKey, out: &mut [T], par: Par) {
    parallel::fill_sampler(sampler, key, 0, out, par);
}

/// Fills the shard `range` (row-major element indices) of a tensor of `numel` elements:
/// `out[k]` gets the value of index `range.start + k`, bit-identical to the same slice of
/// [`fill`] on the whole tensor, for any `par`.
///
/// # Errors
/// [`InitError::RangeOutOfBounds`] unless `range.start <= range.end <= numel`;
/// [`InitError::LenMismatch`] unless `out.len() == range.len()`. Nothing is written on error.
pub fn fill_range<T: Element>(
    sampler: &Sampler,
    key: StreamKey,
    numel: usize,
    range: Range<usize>,
    out: &mut [T],
    par: Par,
) -> Result<()> {
    check_range(numel, &range, out.len())?;
    parallel::fill_sampler(sampler, key, range.start as u64, out, par);
    Ok(())
}

/// `range.start <= range.end <= numel` and `len == range.len()`.
pub(crate) fn check_range(numel: usize, range: &Range<usize>, len: usize) -> Result<()> {
    if range.start > range.end || range.end > numel {
        return Err(InitError::RangeOutOfBounds {
            start: range.start,
            end: range.end,
            numel,
        });
    }
    if len != range.end - range.start {
        return Err(InitError::LenMismatch {
            len,
            numel: range.end - range.start,
            shape: vec![range.end - range.start],
        });
    }
    Ok(())
}

/// The name of the kernel fills use on this machine: `avx512`, `avx2` or `baseline`.
pub fn kernel_name() -> &'static str {
    Isa::best().name()
}

/// Test hooks: force an instruction set, or run the scalar reference. Not a stable API.
#[doc(hidden)]
pub mod __private {
    use super::*;
    pub use crate::cpu::Isa;
    use scalar::Prep;

    /// Elements `start ..` of `sampler` under `key` with kernel `isa` on one thread;
    /// `streaming`: whole tiles written with non-temporal stores where `isa` has them (the
    /// path large normal fills take).
    ///
    /// # Errors
    /// [`InitError::Unsupported`] if this CPU lacks `isa`.
    pub fn fill_isa<T: Element>(
        isa: Isa,
        sampler: &Sampler,
        key: StreamKey,
        start: u64,
        out: &mut [T],
        streaming: bool,
    ) -> Result<()> {
        if !isa.available() {
            return Err(InitError::Unsupported(format!("{isa:?} is not available")));
        }
        simd::fill(isa, &Prep::new::<T>(sampler), &key, start, out, streaming);
        Ok(())
    }

    /// Elements `start ..` computed one at a time (the scalar reference).
    pub fn fill_reference<T: Element>(
        sampler: &Sampler,
        key: StreamKey,
        start: u64,
        out: &mut [T],
    ) {
        scalar::fill(&Prep::new::<T>(sampler), &key, start, out);
    }

    /// The parallel chunk length (for tests around chunk boundaries).
    pub const CHUNK: usize = super::parallel::CHUNK;
    /// Philox blocks per kernel tile.
    pub const TILE_BLOCKS: usize = super::simd::TB;
}
