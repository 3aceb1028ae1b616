//! Counter-based fills at memory speed, identical for any thread count or shard.
//!
//! Every element is a pure function of `(seed, stream, i)` where `i` is the row-major index
//! in the **whole** (unsharded) tensor ([`StreamKey`]; theory.md §8.4). So a tensor can be
//! filled by any number of threads ([`Par`]), and each rank of a distributed job can
//! materialise only its own rows or elements ([`fill_range`], [`Init::fill_range`],
//! [`Init::fill_rows`]) and get exactly the slice of the whole-tensor fill.
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
//! let s = Sampler::Normal { mean: 0.0, std: 0.02 };
//! let mut whole = vec![0f32; 1000];
//! fill::fill(&s, key, &mut whole, Par::threads(2))?;
//! // rank 1 of 4 materialises only its quarter
//! let mut part = vec![0f32; 250];
//! fill::fill_range(&s, key, 1000, 250..500, &mut part, Par::Seq)?;
//! assert_eq!(part[..], whole[250..500]);
//! # Ok::<(), nninit::InitError>(())
//! ```

mod math;
mod parallel;
mod scalar;
pub(crate) mod simd;
pub use simd::clear_upper_state;

use crate::element::{DType, Element};
use crate::error::{InitError, Result};
use crate::rng::philox::{Philox, StreamKey};
use crate::schemes::{Init, Resolved};
use crate::shape::{Layout, Shape};
use scalar::Prep;
use simd::Isa;
use std::num::NonZeroUsize;
use std::ops::Range;

/// How many threads a fill may use. The values written never depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Par {
    /// The calling thread only.
    #[default]
    Seq,
    /// `n` rayon threads (the global pool when `n` equals its size, else a cached pool),
    /// capped at the fill's number of 64 Ki-element chunks and at 8 × the CPUs.
    Rayon(NonZeroUsize),
}

impl Par {
    /// `n` threads; `1` is [`Par::Seq`], `0` means all ([`Par::all`]).
    pub fn threads(n: usize) -> Par {
        match n {
            0 => Par::all(),
            1 => Par::Seq,
            n => NonZeroUsize::new(n).map_or(Par::Seq, Par::Rayon),
        }
    }

    /// As many threads as rayon's global pool has (by default the number of CPUs); one when
    /// that pool cannot start its threads.
    pub fn all() -> Par {
        let n = parallel::global_pool_threads().unwrap_or(1);
        if n <= 1 {
            Par::Seq
        } else {
            NonZeroUsize::new(n).map_or(Par::Seq, Par::Rayon)
        }
    }

    /// The number of threads.
    pub fn thread_count(&self) -> usize {
        match self {
            Par::Seq => 1,
            Par::Rayon(n) => n.get(),
        }
    }
}

/// An element-wise distribution a counter-based fill draws from (what `uniform`, `normal`,
/// `trunc_normal` and every fan-based scheme resolve to). Bounds and std are in the units of
/// the weights.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sampler {
    /// `U[low, high)`; `low == high` fills `low`.
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
    /// `N(mean, std²)`.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation (`>= 0`).
        std: f64,
    },
    /// `N(mean, std²)` conditioned on `[a, b]` (absolute bounds), `std > 0`, `a < b`.
    TruncNormal {
        /// Mean of the parent normal.
        mean: f64,
        /// Std of the parent normal.
        std: f64,
        /// Lower bound.
        a: f64,
        /// Upper bound.
        b: f64,
    },
}

/// `Φ(x) = erfc(−x/√2)/2`, accurate in the lower tail.
fn phi(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

fn finite(name: &'static str, value: f64) -> Result<()> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(InitError::InvalidParam {
            name,
            value,
            expected: "a finite number",
        })
    }
}

impl Sampler {
    /// The sampler of a resolved element-wise scheme; `None` for constant and structured
    /// schemes (orthogonal, eye, dirac, sparse).
    pub fn from_resolved(r: &Resolved) -> Option<Sampler> {
        match *r {
            Resolved::Uniform { low, high } => Some(Sampler::Uniform { low, high }),
            Resolved::Normal { mean, std } => Some(Sampler::Normal { mean, std }),
            Resolved::TruncNormal { mean, std, a, b } => {
                Some(Sampler::TruncNormal { mean, std, a, b })
            }
            _ => None,
        }
    }

    /// Checks the parameters: finite; `low <= high`; `std >= 0` (`> 0` for trunc_normal);
    /// `a < b` with probability mass in f64.
    ///
    /// # Errors
    /// [`InitError::InvalidParam`], [`InitError::InvalidStd`], [`InitError::EmptyRange`].
    pub fn check(&self) -> Result<()> {
        match *self {
            Sampler::Uniform { low, high } => {
                finite("low", low)?;
                finite("high", high)?;
                if low > high {
                    return Err(InitError::EmptyRange {
                        what: "uniform",
                        a: low,
                        b: high,
                    });
                }
            }
            Sampler::Normal { mean, std } => {
                finite("mean", mean)?;
                if !(std.is_finite() && std >= 0.0) {
                    return Err(InitError::InvalidStd { std });
                }
            }
            Sampler::TruncNormal { mean, std, a, b } => {
                finite("mean", mean)?;
                finite("a", a)?;
                finite("b", b)?;
                if !(std.is_finite() && std > 0.0) {
                    return Err(InitError::InvalidParam {
                        name: "std",
                        value: std,
                        expected: "finite and > 0 for trunc_normal",
                    });
                }
                if a >= b {
                    return Err(InitError::EmptyRange {
                        what: "trunc_normal",
                        a,
                        b,
                    });
                }
                if let Prep::Trunc { dp, .. } = self.prepare::<f64>() {
                    #[allow(clippy::neg_cmp_op_on_partial_ord)] // NaN must fail too
                    if !(dp >= crate::rng::transform::MIN_WINDOW_MASS) {
                        return Err(crate::rng::transform::massless_window(mean, std, a, b));
                    }
                }
            }
        }
        Ok(())
    }

    /// Per-call constants for element type `T` (after [`Sampler::check`]).
    fn prepare<T: Element>(&self) -> Prep {
        let wide = T::DTYPE == DType::F64;
        match *self {
            Sampler::Uniform { low, high } => {
                if wide {
                    Prep::U53 {
                        lo: low,
                        r: high - low,
                        hi: high,
                    }
                } else {
                    let (lo, hi) = (low as f32, high as f32);
                    Prep::U24 {
                        lo,
                        r: hi - lo,
                        hi_t: T::from_f32(hi).to_f64() as f32,
                    }
                }
            }
            Sampler::Normal { mean, std } => {
                // The f32 kernel forms ρ·std (ρ ≤ 5.77) in f32 before the cos/sin factor: for
                // std beyond f32::MAX/6 that product could overflow where the value itself
                // does not, so such (absurd) stds take the f64 arithmetic, rounded to T.
                if wide || !((std as f32) * 6.0).is_finite() {
                    Prep::Normal { mean, std }
                } else {
                    Prep::Normal32 {
                        mean: mean as f32,
                        std: std as f32,
                    }
                }
            }
            Sampler::TruncNormal { mean, std, a, b } => {
                let (za, zb) = ((a - mean) / std, (b - mean) / std);
                // Mirror a window centred above the mean into the lower half, where Φ is
                // accurate: z = −Φ⁻¹(p) with p on [Φ(−zb), Φ(−za)].
                let (lo, hi, sign) = if za + zb > 0.0 {
                    (-zb, -za, -1.0)
                } else {
                    (za, zb, 1.0)
                };
                let pa = phi(lo);
                let dp = phi(hi) - pa;
                // Clamp bounds: [a, b] rounded inward to values of T, so that no value, after
                // its rounding to T, leaves the window (a window holding no value of T gets
                // T's value nearest its midpoint).
                let (ta, tb) = (inward::<T>(a, true), inward::<T>(b, false));
                let (ta, tb) = if ta <= tb {
                    (ta, tb)
                } else {
                    let m = T::from_f64(0.5 * a + 0.5 * b).to_f64();
                    (m, m)
                };
                let (a32, b32) = (ta as f32, tb as f32);
                // f32 keeps `p` to 2⁻²⁴ relative: enough while the window is not narrow
                // compared with the largest `p` drawn (else the f32 grid of `p` would be
                // coarser than the 24-bit grid of `u`) and its mass stays in f32's normal range
                // (every `p = pa + u·dp` with `u ≥ 2⁻²⁴` above 2⁻¹²⁶: windows beyond about
                // 11.5σ would underflow). Other windows use f64.
                let p_max = (pa + dp).min(0.5);
                if !wide && a32 < b32 && p_max <= 2048.0 * dp && dp >= TRUNC32_MIN_MASS {
                    return Prep::Trunc32 {
                        t: scalar::Trunc32 {
                            mean: mean as f32,
                            std: std as f32,
                            a: a32,
                            b: b32,
                            pa: pa as f32,
                            d: dp as f32,
                            c: (0.5 - pa) as f32,
                            ub: (1.0 - (pa + dp)) as f32,
                            sign: sign as f32,
                        },
                    };
                }
                Prep::Trunc {
                    mean,
                    std,
                    a: ta,
                    b: tb,
                    pa,
                    dp,
                    sign,
                    wide,
                }
            }
        }
    }
}

/// The value of `T` nearest `x` on the side `up` (at or above `x` if `up`, else at or below),
/// as f64 (exact: every `T` value is an f64). A bound beyond `T`'s finite range stays
/// infinite: draws beyond that range then overflow to ±∞, as they do for `normal` (clamping
/// them to `T::MAX` would silently pile them up there).
fn inward<T: Element>(x: f64, up: bool) -> f64 {
    let t = T::from_f64(x).to_f64();
    if t.is_infinite() {
        return t;
    }
    if (up && t >= x) || (!up && t <= x) {
        return t;
    }
    // one step of T from `t` towards `x`; sign-magnitude bits for the 16-bit types
    let step16 = |bits: u16| -> u16 {
        if bits & 0x7FFF == 0 {
            if up {
                1
            } else {
                0x8001
            }
        } else if up != (bits & 0x8000 != 0) {
            bits + 1
        } else {
            bits - 1
        }
    };
    match T::DTYPE {
        DType::F64 => {
            if up {
                t.next_up()
            } else {
                t.next_down()
            }
        }
        DType::F32 => f64::from(if up {
            (t as f32).next_up()
        } else {
            (t as f32).next_down()
        }),
        DType::BF16 => half::bf16::from_bits(step16(half::bf16::from_f64(t).to_bits())).to_f64(),
        DType::F16 => half::f16::from_bits(step16(half::f16::from_f64(t).to_bits())).to_f64(),
    }
}

/// Smallest window mass `Φ(β) − Φ(α)` drawn in f32 (`2⁻¹⁰⁰`; see `Sampler::prepare`).
const TRUNC32_MIN_MASS: f64 = 7.888_609_052_210_118e-31;

/// Fills a whole tensor: element `i` of `out` gets the value of index `i` under `key`.
///
/// # Errors
/// Those of [`Sampler::check`]; nothing is written on error.
pub fn fill<T: Element>(sampler: &Sampler, key: StreamKey, out: &mut [T], par: Par) -> Result<()> {
    let n = out.len();
    fill_range(sampler, key, n, 0..n, out, par)
}

/// Fills the shard `range` (row-major element indices) of a tensor of `numel` elements:
/// `out[k]` gets the value of index `range.start + k`, bit-identical to the same slice of
/// [`fill`] on the whole tensor, for any `par`.
///
/// # Errors
/// [`InitError::RangeOutOfBounds`] unless `range.start <= range.end <= numel`;
/// [`InitError::LenMismatch`] unless `out.len() == range.len()`; those of
/// [`Sampler::check`]. Nothing is written on error.
pub fn fill_range<T: Element>(
    sampler: &Sampler,
    key: StreamKey,
    numel: usize,
    range: Range<usize>,
    out: &mut [T],
    par: Par,
) -> Result<()> {
    check_range(numel, &range, out.len())?;
    sampler.check()?;
    fill_prevalidated(sampler, key, range.start as u64, out, par);
    Ok(())
}

fn check_range(numel: usize, range: &Range<usize>, len: usize) -> Result<()> {
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

/// Fills elements `start ..` with the best kernel (parameters already checked).
pub(crate) fn fill_prevalidated<T: Element>(
    sampler: &Sampler,
    key: StreamKey,
    start: u64,
    out: &mut [T],
    par: Par,
) {
    let prep = sampler.prepare::<T>();
    parallel::fill(Isa::best(), &prep, &key, start, out, par);
}

/// The name of the kernel fills use on this machine: `avx512`, `avx2` or `baseline`.
pub fn kernel_name() -> &'static str {
    match Isa::best() {
        Isa::Avx512 => "avx512",
        Isa::Avx2 => "avx2",
        Isa::Baseline => "baseline",
    }
}

impl Init {
    /// Fills the shard `range` (row-major element indices into the whole tensor of `shape`)
    /// with this scheme under `key`, bit-identical to the same slice of
    /// `self.fill(whole, shape, layout, &mut Philox::new(key.seed).with_stream(key.stream))`.
    ///
    /// Element-wise schemes (uniform, normal, trunc_normal, constant and every fan-based
    /// scheme: xavier, kaiming, variance_scaling, lecun/glorot/he) compute only the shard.
    /// Structured schemes (orthogonal, sparse, eye, dirac) are not element-wise: this
    /// materialises the whole tensor (memory `numel` elements, time of a whole fill
    /// including orthogonal's factorisation) and copies the shard out; every rank gets the same
    /// consistent slices.
    ///
    /// # Errors
    /// [`InitError::RangeOutOfBounds`], [`InitError::LenMismatch`] (out vs range), and
    /// everything [`Init::fill`] returns. Nothing is written on error.
    ///
    /// ```
    /// use nninit::{Init, Layout, Par, Philox, Shape, StreamKey};
    /// let shape = Shape::new(&[8, 16])?;
    /// let init: Init = "xavier_normal".parse()?;
    /// let mut whole = vec![0f32; 128];
    /// init.fill(&mut whole, &shape, Layout::Torch, &mut Philox::new(3).with_stream(9))?;
    /// let mut shard = vec![0f32; 40];
    /// init.fill_range(&mut shard, &shape, Layout::Torch, StreamKey::new(3, 9), 50..90, Par::Seq)?;
    /// assert_eq!(shard[..], whole[50..90]);
    /// # Ok::<(), nninit::InitError>(())
    /// ```
    pub fn fill_range<T: Element>(
        &self,
        out: &mut [T],
        shape: &Shape,
        layout: Layout,
        key: StreamKey,
        range: Range<usize>,
        par: Par,
    ) -> Result<()> {
        check_range(shape.numel(), &range, out.len())?;
        if shape.numel() == 0 {
            // Rank rules and parameter checks as `fill` (which is a no-op here).
            return self.fill(out, shape, layout, &mut Philox::new(key.seed));
        }
        let resolved = self.resolve(shape, layout)?;
        match (Sampler::from_resolved(&resolved), resolved) {
            (Some(s), _) => {
                s.check()?;
                fill_prevalidated(&s, key, range.start as u64, out, par);
            }
            (None, Resolved::Constant(v)) => out.fill(T::from_f64(v)),
            (None, _) => {
                let mut whole = vec![T::ZERO; shape.numel()];
                let mut stream = Philox::new(key.seed).with_stream(key.stream).with_par(par);
                self.fill(&mut whole, shape, layout, &mut stream)?;
                out.copy_from_slice(&whole[range]);
            }
        }
        Ok(())
    }

    /// Fills rows `rows` (along dim 0) of the tensor of `shape`: [`Init::fill_range`] on
    /// elements `rows.start·row_len .. rows.end·row_len`, `row_len = numel / shape[0]`
    /// (e.g. a tensor-parallel rank's slice of a column-parallel `Linear` weight `[out, in]`).
    ///
    /// # Errors
    /// [`InitError::WrongRank`] for a 0-d shape; [`InitError::RangeOutOfBounds`] unless
    /// `rows.start <= rows.end <= shape[0]`; and those of [`Init::fill_range`].
    pub fn fill_rows<T: Element>(
        &self,
        out: &mut [T],
        shape: &Shape,
        layout: Layout,
        key: StreamKey,
        rows: Range<usize>,
        par: Par,
    ) -> Result<()> {
        let Some(&dim0) = shape.dims().first() else {
            return Err(InitError::WrongRank {
                scheme: "fill_rows",
                expected: "1 or more",
                shape: vec![],
            });
        };
        if rows.start > rows.end || rows.end > dim0 {
            return Err(InitError::RangeOutOfBounds {
                start: rows.start,
                end: rows.end,
                numel: dim0,
            });
        }
        let row_len = shape.numel().checked_div(dim0).unwrap_or(0);
        let range = rows.start * row_len..rows.end * row_len; // <= numel: no overflow
        self.fill_range(out, shape, layout, key, range, par)
    }
}

/// Test hooks: force an instruction set, or run the scalar reference. Not a stable API.
#[doc(hidden)]
pub mod __private {
    pub use super::simd::Isa;
    use super::*;

    /// Elements `start ..` of `sampler` under `key` with kernel `isa` on one thread;
    /// `streaming`: whole tiles written with non-temporal stores where `isa` has them (the
    /// path large normal fills take).
    ///
    /// # Errors
    /// Sampler errors; [`InitError::Unsupported`] if this CPU lacks `isa`.
    pub fn fill_isa<T: Element>(
        isa: Isa,
        sampler: &Sampler,
        key: StreamKey,
        start: u64,
        out: &mut [T],
        streaming: bool,
    ) -> Result<()> {
        sampler.check()?;
        if !isa.available() {
            return Err(InitError::Unsupported(format!("{isa:?} is not available")));
        }
        simd::fill(isa, &sampler.prepare::<T>(), &key, start, out, streaming);
        Ok(())
    }

    /// Elements `start ..` computed one at a time (the scalar reference).
    ///
    /// # Errors
    /// Sampler errors.
    pub fn fill_reference<T: Element>(
        sampler: &Sampler,
        key: StreamKey,
        start: u64,
        out: &mut [T],
    ) -> Result<()> {
        sampler.check()?;
        scalar::fill(&sampler.prepare::<T>(), &key, start, out);
        Ok(())
    }

    /// The parallel chunk length (for tests around chunk boundaries).
    pub const CHUNK: usize = super::parallel::CHUNK;
    /// Philox blocks per kernel tile.
    pub const TILE_BLOCKS: usize = super::simd::TB;
}
