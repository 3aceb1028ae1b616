//! PyTorch's CPU distribution kernels, bit for bit: `uniform_`, `normal_`, `trunc_normal_`
//! and `randperm`, for f32, f64, bf16 and f16, drawing from PyTorch's CPU generator
//! ([`TorchGenerator`](super::TorchGenerator), which the kernels see through a small
//! crate-private trait: the generator imports its kernels, not the other way round).
//!
//! PyTorch's x86 wheels hold two numerically different builds of these kernels, chosen at run
//! time by CPU capability; [`Flavor`] picks which one to reproduce:
//!
//! | | [`Flavor::Avx2`] (default) | [`Flavor::Default`] |
//! |---|---|---|
//! | PyTorch build | `CPU_CAPABILITY_AVX2` (every x86-64 CPU with AVX2, **and** AVX512 CPUs) | `ATEN_CPU_CAPABILITY=default`, x86 without AVX2 |
//! | `uniform_(a, b)` | `fma(x, b−a, a)` (GCC contracts) | `x·(b−a)`, then `+ a` (two roundings) |
//! | `normal_`, f32/bf16/f16, numel ≥ 16 | Cephes `log256_ps`/`sincos256_ps` with GCC's FMA fusions, ported lane by lane to scalar Rust: **identical on every platform** | libm `logf`/`cosf`/`sinf` through Rust's `f32::ln/cos/sin`: matches PyTorch where Rust's std calls glibc (`*-linux-gnu`); other C libraries may differ in rare last bits |
//! | `normal_`, numel < 16 (double path), `v·std + mean` | fused | not fused |
//!
//! Paths shared by both flavours: the 16-wide f64 block (libm `log`/`cos`/`sin` + `fma`), the
//! small-tensor double Box–Muller (glibc-equivalent `log1p`/`sin`/`cos` through Rust's f64
//! methods, with the generator's cached sample), `randperm`.
//!
//! Slices are contiguous tensors in memory order. Parameters arrive valid: a
//! [`Sampler`] cannot hold invalid ones.
//!
//! The kernels (run by the generator's [`Stream`](super::Stream) methods):
//! - `uniform_(a, b)`: one `random()` per element (f64: one `random64()`), `x·(b−a) + a`
//!   (fused for [`Flavor::Avx2`]) in the opmath type; a value equal to `b` becomes `a`.
//! - `normal_(mean, std)`: numel ≥ 16 in 16-element Box–Muller blocks (the f32 tail
//!   recomputed from 16 fresh uniforms: `n + 16` draws), numel < 16 by the double path with
//!   the generator's cached second sample.
//! - `trunc_normal_` (PyTorch ≥ 2.12): whole-tensor normal redraws while the window holds
//!   more than 30 % of the mass, else uniform proposals with full-size acceptance draws.
//! - `randperm`: Fisher–Yates with `random() % (n − i)`.
//!
//! Source: `ATen/native/cpu/DistributionTemplates.h` (`uniform_kernel`, `NormalFill16`,
//! `normal_fill`, `normal_kernel`), `ATen/native/cpu/avx_mathfun.h`,
//! `ATen/core/{DistributionsHelper,TransformationHelper}.h`, `torch/nn/init.py`
//! (`trunc_normal_`), `aten/src/ATen/native/TensorFactories.cpp` (`randperm_cpu`); torch 2.15.
//! Verified against the golden vectors in `testdata/torch/` (both flavours).

// The Cephes constants below are avx_mathfun.h's literals, copied digit for digit.
#![allow(clippy::excessive_precision, clippy::approx_constant)]

use crate::cpu::clear_upper_state;
use crate::element::{DType, Element};
use crate::error::{InitError, Result};
use crate::sampler::Sampler;
use crate::special::std_normal_cdf;

/// Which of PyTorch's x86 kernel builds a [`TorchGenerator`](super::TorchGenerator)
/// reproduces (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Flavor {
    /// The AVX2 build (also what AVX512 machines run): FMA-contracted transforms and the
    /// Cephes polynomial `log`/`sin`/`cos` in the 16-wide normal block. Portable: the port is
    /// scalar Rust with `f32::mul_add`, so results do not depend on the CPU nninit runs on.
    #[default]
    Avx2,
    /// The DEFAULT (scalar) build: unfused transforms and libm `logf`/`cosf`/`sinf`
    /// (Rust's `f32::ln/cos/sin`; bit-exact with PyTorch on `*-linux-gnu`).
    Default,
}

impl Flavor {
    /// `avx2` or `default`.
    pub fn name(&self) -> &'static str {
        match self {
            Flavor::Avx2 => "avx2",
            Flavor::Default => "default",
        }
    }

    fn fused(self) -> bool {
        matches!(self, Flavor::Avx2)
    }
}

impl std::fmt::Display for Flavor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Flavor {
    type Err = InitError;
    fn from_str(s: &str) -> Result<Flavor> {
        match s.to_ascii_lowercase().as_str() {
            "avx2" | "avx512" => Ok(Flavor::Avx2),
            "default" | "scalar" => Ok(Flavor::Default),
            _ => Err(InitError::UnknownValue {
                what: "kernel flavor",
                value: s.to_string(),
                expected: "avx2, default",
            }),
        }
    }
}

// ------------------------------------------------------------------ the generator

/// What the kernels need of PyTorch's CPU generator: its 32- and 64-bit draws, its cached
/// normal sample and its kernel flavour. Implemented by
/// [`TorchGenerator`](super::TorchGenerator), which owns the state; the kernels do not know
/// the generator type (imports run generator → kernels).
pub(crate) trait TorchBits {
    /// `random()`: one 32-bit engine output.
    fn random(&mut self) -> u32;
    /// `random64()`: two outputs, the first in the high word.
    fn random64(&mut self) -> u64;
    /// The kernel flavour to reproduce.
    fn flavor(&self) -> Flavor;
    /// Takes (and clears) the cached standard-normal sample.
    fn take_double_normal(&mut self) -> Option<f64>;
    /// Caches a standard-normal sample for the next small-tensor element.
    fn set_double_normal(&mut self, v: f64);
    /// Advances the engine by `k` `random()` outputs without tempering them (the state a
    /// copy would reach by drawing and dropping `k` values).
    fn discard(&mut self, k: u64);
}

/// Draws `sampler` into the contiguous tensor `out` with PyTorch's kernel for it:
/// `tensor.uniform_(low, high)`, `tensor.normal_(mean, std)` or
/// `nn.init.trunc_normal_(tensor, mean, std, a, b)`.
pub(crate) fn sample<T: Element, G: TorchBits + Clone>(
    g: &mut G,
    sampler: &Sampler,
    out: &mut [T],
) {
    match sampler {
        Sampler::Uniform(u) => uniform(g, out, u.low(), u.high()),
        Sampler::Normal(n) => normal(g, out, n.mean(), n.std()),
        Sampler::TruncNormal(t) => trunc_normal(g, out, t.mean(), t.std(), t.a(), t.b()),
    }
}

// ------------------------------------------------------------------ bits -> [0, 1)

/// `uniform_real_distribution<float>(0, 1)`: one `random()`, low 24 bits · 2⁻²⁴.
#[inline]
fn unit_f32<G: TorchBits + ?Sized>(g: &mut G) -> f32 {
    (g.random() & 0x00FF_FFFF) as f32 * (1.0 / 16_777_216.0)
}

/// `uniform_real_distribution<double>(0, 1)`: one `random64()`, low 53 bits · 2⁻⁵³.
#[inline]
fn unit_f64<G: TorchBits + ?Sized>(g: &mut G) -> f64 {
    (g.random64() & ((1u64 << 53) - 1)) as f64 * (1.0 / 9_007_199_254_740_992.0)
}

#[inline]
fn madd_f32(x: f32, r: f32, a: f32, fused: bool) -> f32 {
    if fused {
        x.mul_add(r, a)
    } else {
        x * r + a
    }
}

#[inline]
fn madd_f64(x: f64, r: f64, a: f64, fused: bool) -> f64 {
    if fused {
        x.mul_add(r, a)
    } else {
        x * r + a
    }
}

// ------------------------------------------------------------------ uniform_

/// One element of `tensor.uniform_(low, high)` at a time (see [`uniform`]): the transform's
/// constants, computed once per tensor.
struct UniformKernel<T> {
    low: f64,
    high: f64,
    range: f64,
    low32: f32,
    range32: f32,
    low_t: T,
    high_t: T,
    fused: bool,
}

impl<T: Element> UniformKernel<T> {
    fn new(flavor: Flavor, low: f64, high: f64) -> Self {
        let (low32, high32) = (low as f32, high as f32);
        UniformKernel {
            low,
            high,
            range: high - low,
            low32,
            range32: high32 - low32,
            low_t: T::from_f32(low32),
            high_t: T::from_f32(high32),
            fused: flavor.fused(),
        }
    }

    /// `random()` outputs one draw consumes: 2 for f64 (`random64()`), else 1.
    fn words(&self) -> u64 {
        if T::DTYPE == DType::F64 {
            2
        } else {
            1
        }
    }

    #[inline]
    fn draw<G: TorchBits + ?Sized>(&self, g: &mut G) -> T {
        if T::DTYPE == DType::F64 {
            let y = madd_f64(unit_f64(g), self.range, self.low, self.fused);
            T::from_f64(if y == self.high { self.low } else { y })
        } else {
            let y = T::from_f32(madd_f32(unit_f32(g), self.range32, self.low32, self.fused));
            if y == self.high_t {
                self.low_t
            } else {
                y
            }
        }
    }
}

/// `tensor.uniform_(low, high)`.
///
/// f64: `x = (random64() & (2⁵³−1))·2⁻⁵³`, value `x·(high−low) + low` in f64 (fused for
/// [`Flavor::Avx2`]). f32/bf16/f16: `low`, `high` cast to f32 first, `x` from 24 bits,
/// `x·(high−low) + low` in f32 (fused for Avx2), then cast (round to nearest even). A value
/// equal to `high` (after the cast) is replaced by `low`. Draws: one `random()` per element
/// (f64: one `random64()`).
fn uniform<T: Element, G: TorchBits + ?Sized>(g: &mut G, out: &mut [T], low: f64, high: f64) {
    clear_upper_state();
    let k = UniformKernel::<T>::new(g.flavor(), low, high);
    for v in out.iter_mut() {
        *v = k.draw(g);
    }
}

// ------------------------------------------------------------------ normal_

/// One element of `at::normal_distribution<double>(mean, std)` with the generator's cache:
/// a cached sample is used (and cleared) first; otherwise `u1`, `u2` from two `random64()`,
/// `r = sqrt(−2·log1p(−u2))`, `θ = 2π·u1`, the cache gets `r·sin θ`, the result is
/// `(r·cos θ)·std + mean` (fused for Avx2).
fn normal_double<G: TorchBits + ?Sized>(g: &mut G, mean: f64, std: f64, fused: bool) -> f64 {
    if let Some(v) = g.take_double_normal() {
        return madd_f64(v, std, mean, fused);
    }
    let u1 = unit_f64(g);
    let u2 = unit_f64(g);
    let r = (-2.0 * (-u2).ln_1p()).sqrt();
    let theta = 2.0 * std::f64::consts::PI * u1;
    g.set_double_normal(r * theta.sin());
    madd_f64(r * theta.cos(), std, mean, fused)
}

/// `tensor.normal_(mean, std)` on a contiguous tensor (in place: no buffer besides `out`).
///
/// - numel ≥ 16, f32: all `n` uniforms first (24 bits), a 16-element Box–Muller block at every
///   multiple of 16 that fits, and if `n % 16 != 0` the last 16 elements are **recomputed**
///   from 16 fresh uniforms (the tail's first-pass uniforms are wasted): `n + 16` draws.
///   `mean`, `std` are cast to f32.
/// - numel ≥ 16, f64: the same with 53-bit uniforms and the libm block in f64.
/// - numel ≥ 16, bf16/f16: each block (and the tail) draws 16 fresh f32 uniforms, runs the f32
///   block and rounds; no draws are wasted.
/// - numel < 16: per element the double path with the cache (see [`Flavor`]), cast
///   f64 → f32 (→ bf16/f16).
fn normal<T: Element, G: TorchBits + ?Sized>(g: &mut G, out: &mut [T], mean: f64, std: f64) {
    normal_blocks(g, out.len(), mean, std, |start, vals: &[T]| {
        out[start..start + vals.len()].copy_from_slice(vals)
    });
}

/// [`normal`] of `n` elements, computed block by block: `emit(start, values)` receives the
/// final values of elements `start..start + values.len()`, every element exactly once, in
/// increasing order, with the draws in PyTorch's order. A block's transform reads only its own
/// 16 uniforms, so drawing them just before it (instead of all `n` first) draws the same
/// numbers; the f32/f64 tail's wasted first-pass uniforms are drawn and dropped.
fn normal_blocks<T: Element, G: TorchBits + ?Sized>(
    g: &mut G,
    n: usize,
    mean: f64,
    std: f64,
    mut emit: impl FnMut(usize, &[T]),
) {
    clear_upper_state();
    let flavor = g.flavor();
    if n < 16 {
        for i in 0..n {
            let x = normal_double(g, mean, std, flavor.fused());
            let v = if T::DTYPE == DType::F64 {
                T::from_f64(x)
            } else {
                T::from_f32(x as f32)
            };
            emit(i, &[v]);
        }
        return;
    }
    let (m, s) = (mean as f32, std as f32);
    // 16 fresh uniforms through the dtype's Box–Muller block
    let block = |g: &mut G, vals: &mut [T; 16]| match T::DTYPE {
        DType::F64 => {
            let mut d = [0f64; 16];
            for v in d.iter_mut() {
                *v = unit_f64(g);
            }
            nf16_f64(&mut d, mean, std);
            for (o, x) in vals.iter_mut().zip(d) {
                *o = T::from_f64(x);
            }
        }
        DType::F32 | DType::BF16 | DType::F16 => {
            let mut d = [0f32; 16];
            for v in d.iter_mut() {
                *v = unit_f32(g);
            }
            nf16_f32(flavor, &mut d, m, s);
            for (o, x) in vals.iter_mut().zip(d) {
                *o = T::from_f32(x);
            }
        }
    };
    let full = n - n % 16;
    // with a tail, the last 16 elements are the tail block's
    let keep = if full == n { n } else { n - 16 };
    let mut vals = [T::ZERO; 16];
    for start in (0..full).step_by(16) {
        block(g, &mut vals);
        let end = (start + 16).min(keep);
        if end > start {
            emit(start, &vals[..end - start]);
        }
    }
    if full != n {
        // f32/f64 drew uniforms for the incomplete block in the first pass, then drop them
        match T::DTYPE {
            DType::F64 => (full..n).for_each(|_| {
                let _ = unit_f64(g);
            }),
            DType::F32 => (full..n).for_each(|_| {
                let _ = unit_f32(g);
            }),
            DType::BF16 | DType::F16 => {}
        }
        block(g, &mut vals);
        emit(n - 16, &vals);
    }
}

/// `NormalFill16<double>`: `u1 = 1 − d[j]`, `u2 = d[j+8]`, `r = sqrt(−2·log u1)`,
/// `θ = 2π·u2`, `d[j] = fma(r·cos θ, std, mean)`, `d[j+8] = fma(r·sin θ, std, mean)`.
fn nf16_f64(d: &mut [f64], mean: f64, std: f64) {
    for j in 0..8 {
        let u1 = 1.0 - d[j];
        let u2 = d[j + 8];
        let radius = (-2.0 * u1.ln()).sqrt();
        let theta = 2.0 * std::f64::consts::PI * u2;
        d[j] = (radius * theta.cos()).mul_add(std, mean);
        d[j + 8] = (radius * theta.sin()).mul_add(std, mean);
    }
}

fn nf16_f32(flavor: Flavor, d: &mut [f32], mean: f32, std: f32) {
    match flavor {
        Flavor::Avx2 => nf16_f32_avx2(d, mean, std),
        Flavor::Default => nf16_f32_scalar(d, mean, std),
    }
}

/// `NormalFill16<float>` primary template (DEFAULT build): libm `logf`/`cosf`/`sinf`;
/// `θ = 2.0f·π(double)·u2` is evaluated in f64 and rounded to f32.
fn nf16_f32_scalar(d: &mut [f32], mean: f32, std: f32) {
    for j in 0..8 {
        let u1 = 1.0f32 - d[j];
        let u2 = d[j + 8];
        let radius = (-2.0f32 * u1.ln()).sqrt();
        let theta = (2.0 * std::f64::consts::PI * u2 as f64) as f32;
        let (c, s) = (theta.cos(), theta.sin());
        d[j] = (radius * c).mul_add(std, mean);
        d[j + 8] = (radius * s).mul_add(std, mean);
    }
}

/// `NormalFill16<float, true>` (AVX2 specialisation), lane by lane.
fn nf16_f32_avx2(d: &mut [f32], mean: f32, std: f32) {
    let two_pi = (2.0 * std::f64::consts::PI) as f32; // _mm256_set1_ps(2.0f * pi<double>)
    for j in 0..8 {
        let u1 = 1.0f32 - d[j];
        let u2 = d[j + 8];
        let radius = (-2.0f32 * log256_ps(u1)).sqrt();
        let theta = two_pi * u2;
        let (s, c) = sincos256_ps(theta);
        d[j] = (radius * c).mul_add(std, mean);
        d[j + 8] = (radius * s).mul_add(std, mean);
    }
}

// Cephes constants as avx_mathfun.h declares them: double literals stored as float.
const SQRTHF: f32 = 0.707_106_781_186_547_524_f64 as f32;
const LOG_P: [f32; 9] = [
    7.037_683_629_2E-2_f64 as f32,
    -1.151_461_031_0E-1_f64 as f32,
    1.167_699_874_0E-1_f64 as f32,
    -1.242_014_084_6E-1_f64 as f32,
    1.424_932_278_7E-1_f64 as f32,
    -1.666_805_766_5E-1_f64 as f32,
    2.000_071_476_5E-1_f64 as f32,
    -2.499_999_399_3E-1_f64 as f32,
    3.333_333_117_4E-1_f64 as f32,
];
const LOG_Q1: f32 = -2.121_944_40e-4_f64 as f32;
const LOG_Q2: f32 = 0.693_359_375_f64 as f32;
const DP1: f32 = -0.785_156_25_f64 as f32;
const DP2: f32 = -2.418_756_484_985_351_562_5e-4_f64 as f32;
const DP3: f32 = -3.774_894_977_445_941_08e-8_f64 as f32;
const SIN_P: [f32; 3] = [
    -1.951_529_589_1E-4_f64 as f32,
    8.332_160_873_6E-3_f64 as f32,
    -1.666_665_461_1E-1_f64 as f32,
];
const COS_P: [f32; 3] = [
    2.443_315_711_809_948E-5_f64 as f32,
    -1.388_731_625_493_765E-3_f64 as f32,
    4.166_664_568_298_827E-2_f64 as f32,
];
const FOPI: f32 = 1.273_239_544_735_16_f64 as f32;

/// `log256_ps` (avx_mathfun.h, Cephes `logf`) for one lane, with the FMA contractions GCC
/// makes under `-mfma -ffp-contract=fast` (ATen `normal_fill_16_AVX2`, aten/src/ATen/native/cpu/DistributionTemplates.h). NaN (all bits set) for `x <= 0`.
pub(crate) fn log256_ps(x: f32) -> f32 {
    let invalid = x <= 0.0;
    let min_norm = f32::from_bits(0x0080_0000);
    let x = if x > min_norm { x } else { min_norm }; // _mm256_max_ps(x, min_norm_pos)
    let mut e = (((x.to_bits() >> 23) as i32) - 0x7f) as f32 + 1.0;
    let mut x = f32::from_bits((x.to_bits() & 0x807f_ffff) | 0.5f32.to_bits());
    let mask = x < SQRTHF;
    let tmp = if mask { x } else { 0.0 };
    x -= 1.0;
    e -= if mask { 1.0 } else { 0.0 };
    x += tmp;
    let z = x * x;
    let mut y = LOG_P[0].mul_add(x, LOG_P[1]);
    for &p in &LOG_P[2..] {
        y = y.mul_add(x, p);
    }
    y *= x;
    y = y.mul_add(z, e * LOG_Q1);
    y = (-z).mul_add(0.5, y);
    x += y;
    x = e.mul_add(LOG_Q2, x);
    if invalid {
        f32::from_bits(0xffff_ffff)
    } else {
        x
    }
}

/// `sincos256_ps` (avx_mathfun.h, Cephes `sinf`/`cosf`) for one lane, GCC-fused; returns
/// `(sin, cos)`.
pub(crate) fn sincos256_ps(x: f32) -> (f32, f32) {
    let mut sign_sin = x.to_bits() & 0x8000_0000;
    let mut x = f32::from_bits(x.to_bits() & 0x7fff_ffff);
    // _mm256_cvttps_epi32: truncation (inputs here are in [0, 2π])
    let j = (x * FOPI) as i32;
    let j = (j.wrapping_add(1)) & !1;
    let y = j as f32;
    sign_sin ^= ((j & 4) as u32) << 29;
    let poly_mask = (j & 2) == 0;
    x = y.mul_add(DP1, x);
    x = y.mul_add(DP2, x);
    x = y.mul_add(DP3, x);
    let sign_cos = ((!(j.wrapping_sub(2)) & 4) as u32) << 29;
    let z = x * x;
    let mut yc = COS_P[0].mul_add(z, COS_P[1]);
    yc = yc.mul_add(z, COS_P[2]);
    yc *= z;
    yc = yc.mul_add(z, -(z * 0.5));
    yc += 1.0;
    let mut ys = SIN_P[0].mul_add(z, SIN_P[1]);
    ys = ys.mul_add(z, SIN_P[2]);
    ys *= z;
    ys = ys.mul_add(x, x);
    let (ysin1, ysin2) = if poly_mask { (0.0, ys) } else { (yc, 0.0) };
    let s = ysin1 + ysin2;
    let c = (yc - ysin1) + (ys - ysin2);
    (
        f32::from_bits(s.to_bits() ^ sign_sin),
        f32::from_bits(c.to_bits() ^ sign_cos),
    )
}

// ------------------------------------------------------------------ trunc_normal_

/// Rounds an opmath result to the element type and back (f32 ops are exact in f64 followed
/// by one rounding to f32; bf16/f16 ops are f32 ops rounded to the element type).
#[inline]
fn round_t<T: Element>(x: f64) -> f64 {
    match T::DTYPE {
        DType::F64 => x,
        DType::F32 => x as f32 as f64,
        DType::BF16 | DType::F16 => T::from_f32(x as f32).to_f64(),
    }
}

/// A Python float scalar as PyTorch's binary ops see it: cast to the opmath type.
#[inline]
fn opmath_scalar<T: Element>(x: f64) -> f64 {
    if T::DTYPE == DType::F64 {
        x
    } else {
        x as f32 as f64
    }
}

/// `torch.nn.init.trunc_normal_(t, mean, std, a, b)`, PyTorch ≥ 2.12 (PR #174997).
///
/// `p = Φ((b−mean)/std) − Φ((a−mean)/std)` in f64.
/// - `p > 0.3`: `normal_(mean, std)` on the whole tensor; while any element is outside
///   `[T(a), T(b)]`, draw a **full-size** `normal_` and take its values for those elements.
/// - otherwise: `uniform_(a, b)` proposals accepted when `log(u) ≤ −((x−mean)/std)²/2 −
///   log_peak` (`u` from a full-size `uniform_()`, `log_peak` at the window point nearest the
///   mean); each round redraws full-size proposals and full-size `u` for the pending
///   elements. The log-density is computed with the element type's arithmetic, as PyTorch's
///   tensor ops do; `log(u)` is the correctly rounded log (PyTorch's vectorised `log_` agrees
///   except within an ulp of a tie).
///
/// The number of draws depends on the data (as in PyTorch). Memory: none besides `out` (PyTorch
/// allocates full-size redraw, proposal and acceptance tensors): redraws are streamed block by
/// block, and in the uniform branch the pending elements are marked NaN in `out` (a proposal in
/// `[a, b]` never is) while a copy of the generator, run ahead by the proposals' draws, yields
/// each round's acceptance draws beside its proposals.
fn trunc_normal<T: Element, G: TorchBits + Clone>(
    g: &mut G,
    out: &mut [T],
    mean: f64,
    std: f64,
    a: f64,
    b: f64,
) {
    clear_upper_state();
    let n = out.len();
    if n == 0 {
        return;
    }
    let p = std_normal_cdf((b - mean) / std) - std_normal_cdf((a - mean) / std);
    if p > 0.3 {
        let (lo, hi) = (round_t::<T>(a), round_t::<T>(b));
        let outside = |v: &T| {
            let x = v.to_f64();
            x < lo || x > hi
        };
        normal(g, out, mean, std);
        while out.iter().any(outside) {
            // a full-size normal_ whose values replace the elements still outside
            normal_blocks(g, n, mean, std, |start, vals: &[T]| {
                for (o, r) in out[start..start + vals.len()].iter_mut().zip(vals) {
                    if outside(o) {
                        *o = *r;
                    }
                }
            });
        }
        return;
    }
    let mode = a.max(mean.min(b));
    let zp = (mode - mean) / std;
    let log_peak = -0.5 * (zp * zp);
    let (m_s, s_s, lp_s) = (
        opmath_scalar::<T>(mean),
        opmath_scalar::<T>(std),
        opmath_scalar::<T>(log_peak),
    );
    let half = opmath_scalar::<T>(-0.5);
    let log_density = |c: T| -> f64 {
        let t = round_t::<T>(c.to_f64() - m_s);
        let t = round_t::<T>(t / s_s);
        let t = round_t::<T>(t * t);
        let t = round_t::<T>(t * half);
        round_t::<T>(t - lp_s)
    };
    let log_t = |u: T| round_t::<T>(u.to_f64().ln());
    let proposal = UniformKernel::<T>::new(g.flavor(), a, b);
    let unit = UniformKernel::<T>::new(g.flavor(), 0.0, 1.0);
    let pending = T::from_f64(f64::NAN);
    let is_pending = |v: &T| v.to_f64().is_nan();
    uniform(g, out, a, b);
    for o in out.iter_mut() {
        if log_t(unit.draw(g)) > log_density(*o) {
            *o = pending;
        }
    }
    while out.iter().any(is_pending) {
        // PyTorch draws n proposals, then n acceptance uniforms: `ahead` starts where the
        // acceptance draws do
        let mut ahead = g.clone();
        ahead.discard(n as u64 * proposal.words());
        for o in out.iter_mut() {
            let c = proposal.draw(g);
            let u = unit.draw(&mut ahead);
            if is_pending(o) {
                *o = if log_t(u) > log_density(c) {
                    pending
                } else {
                    c
                };
            }
        }
        *g = ahead;
    }
}

// ------------------------------------------------------------------ randperm

/// `torch.randperm(n)` (`randperm_cpu`): for `n < 2³²/20`, start from `0..n` and for
/// `i in 0..n−1` swap `r[i]` with `r[i + random() % (n−i)]` (`n − 1` draws); for larger `n`,
/// PyTorch's inside-out Fisher–Yates with `random64() % (i+1)` (from the source; not
/// verified against torch).
pub(crate) fn randperm<G: TorchBits + ?Sized>(g: &mut G, n: usize) -> Vec<usize> {
    let mut r: Vec<usize> = (0..n).collect();
    if (n as u64) < u64::from(u32::MAX) / 20 {
        for i in 0..n.saturating_sub(1) {
            let z = (u64::from(g.random()) % (n - i) as u64) as usize;
            r.swap(i, i + z);
        }
    } else {
        for i in 0..n {
            let z = (g.random64() % (i as u64 + 1)) as usize;
            r[i] = r[z];
            r[z] = i;
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    // The kernels as they were before they drew in place (full-size buffers, as PyTorch),
    // kept to check that the in-place ones draw the same numbers and leave the generator
    // in the same state.
    fn ref_uniform<T: Element, G: TorchBits + ?Sized>(
        g: &mut G,
        out: &mut [T],
        low: f64,
        high: f64,
    ) {
        clear_upper_state();
        let fused = g.flavor().fused();
        if T::DTYPE == DType::F64 {
            let r = high - low;
            for v in out.iter_mut() {
                let y = madd_f64(unit_f64(g), r, low, fused);
                *v = T::from_f64(if y == high { low } else { y });
            }
            return;
        }
        let (fr, to) = (low as f32, high as f32);
        let r = to - fr;
        let (fr_t, to_t) = (T::from_f32(fr), T::from_f32(to));
        for v in out.iter_mut() {
            let y = T::from_f32(madd_f32(unit_f32(g), r, fr, fused));
            *v = if y == to_t { fr_t } else { y };
        }
    }

    fn ref_normal<T: Element, G: TorchBits + ?Sized>(
        g: &mut G,
        out: &mut [T],
        mean: f64,
        std: f64,
    ) {
        clear_upper_state();
        let n = out.len();
        let flavor = g.flavor();
        if n < 16 {
            for v in out.iter_mut() {
                let x = normal_double(g, mean, std, flavor.fused());
                *v = if T::DTYPE == DType::F64 {
                    T::from_f64(x)
                } else {
                    T::from_f32(x as f32)
                };
            }
            return;
        }
        match T::DTYPE {
            DType::F64 => {
                let mut data: Vec<f64> = (0..n).map(|_| unit_f64(g)).collect();
                let mut i = 0;
                while i + 16 <= n {
                    nf16_f64(&mut data[i..i + 16], mean, std);
                    i += 16;
                }
                if !n.is_multiple_of(16) {
                    let tail = &mut data[n - 16..];
                    for v in tail.iter_mut() {
                        *v = unit_f64(g);
                    }
                    nf16_f64(tail, mean, std);
                }
                for (o, x) in out.iter_mut().zip(data) {
                    *o = T::from_f64(x);
                }
            }
            DType::F32 => {
                let (m, s) = (mean as f32, std as f32);
                let mut data: Vec<f32> = (0..n).map(|_| unit_f32(g)).collect();
                let mut i = 0;
                while i + 16 <= n {
                    nf16_f32(flavor, &mut data[i..i + 16], m, s);
                    i += 16;
                }
                if !n.is_multiple_of(16) {
                    let tail = &mut data[n - 16..];
                    for v in tail.iter_mut() {
                        *v = unit_f32(g);
                    }
                    nf16_f32(flavor, tail, m, s);
                }
                for (o, x) in out.iter_mut().zip(data) {
                    *o = T::from_f32(x);
                }
            }
            DType::BF16 | DType::F16 => {
                let (m, s) = (mean as f32, std as f32);
                let mut block = [0f32; 16];
                let mut fill_block = |g: &mut G, dst: &mut [T]| {
                    for v in block.iter_mut() {
                        *v = unit_f32(g);
                    }
                    nf16_f32(flavor, &mut block, m, s);
                    for (o, x) in dst.iter_mut().zip(block.iter()) {
                        *o = T::from_f32(*x);
                    }
                };
                let mut i = 0;
                while i + 16 <= n {
                    fill_block(g, &mut out[i..i + 16]);
                    i += 16;
                }
                if !n.is_multiple_of(16) {
                    fill_block(g, &mut out[n - 16..]);
                }
            }
        }
    }

    fn ref_trunc_normal<T: Element, G: TorchBits + ?Sized>(
        g: &mut G,
        out: &mut [T],
        mean: f64,
        std: f64,
        a: f64,
        b: f64,
    ) {
        clear_upper_state();
        let n = out.len();
        if n == 0 {
            return;
        }
        let p = std_normal_cdf((b - mean) / std) - std_normal_cdf((a - mean) / std);
        if p > 0.3 {
            let (lo, hi) = (round_t::<T>(a), round_t::<T>(b));
            let outside = |v: &T| {
                let x = v.to_f64();
                x < lo || x > hi
            };
            ref_normal(g, out, mean, std);
            let mut redraw = vec![T::ZERO; n];
            while out.iter().any(outside) {
                ref_normal(g, &mut redraw, mean, std);
                for (o, r) in out.iter_mut().zip(redraw.iter()) {
                    if outside(o) {
                        *o = *r;
                    }
                }
            }
            return;
        }
        let mode = a.max(mean.min(b));
        let zp = (mode - mean) / std;
        let log_peak = -0.5 * (zp * zp);
        let (m_s, s_s, lp_s) = (
            opmath_scalar::<T>(mean),
            opmath_scalar::<T>(std),
            opmath_scalar::<T>(log_peak),
        );
        let half = opmath_scalar::<T>(-0.5);
        let log_density = |c: T| -> f64 {
            let t = round_t::<T>(c.to_f64() - m_s);
            let t = round_t::<T>(t / s_s);
            let t = round_t::<T>(t * t);
            let t = round_t::<T>(t * half);
            round_t::<T>(t - lp_s)
        };
        let log_t = |u: T| round_t::<T>(u.to_f64().ln());
        ref_uniform(g, out, a, b);
        let mut accept_buf = vec![T::ZERO; n];
        ref_uniform(g, &mut accept_buf, 0.0, 1.0);
        let mut pending: Vec<bool> = out
            .iter()
            .zip(accept_buf.iter())
            .map(|(&c, &u)| log_t(u) > log_density(c))
            .collect();
        let mut cand = vec![T::ZERO; n];
        while pending.iter().any(|&p| p) {
            ref_uniform(g, &mut cand, a, b);
            ref_uniform(g, &mut accept_buf, 0.0, 1.0);
            for i in 0..n {
                if pending[i] {
                    out[i] = cand[i];
                    pending[i] = log_t(accept_buf[i]) > log_density(cand[i]);
                }
            }
        }
    }

    fn same_bits<T: Element>(a: &[T], b: &[T]) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| x.to_f64().to_bits() == y.to_f64().to_bits())
    }

    fn check_in_place<T: Element>() {
        use crate::rng::TorchGenerator;
        let windows = [
            (0.0, 1.0, -2.0, 2.0),
            (0.0, 1.0, -0.3, 0.3),
            (0.0, 1.0, 1.0, 1.5),
            (0.5, 2.0, -7.0, -4.0),
        ];
        for n in [1, 5, 15, 16, 17, 31, 48, 100, 1037] {
            for flavor in [Flavor::Avx2, Flavor::Default] {
                let fresh = || TorchGenerator::manual_seed(n as u64 + 7).with_flavor(flavor);
                let (mut g, mut h) = (fresh(), fresh());
                let (mut a, mut b) = (vec![T::ZERO; n], vec![T::ZERO; n]);
                normal(&mut g, &mut a, 0.5, 2.0);
                ref_normal(&mut h, &mut b, 0.5, 2.0);
                assert!(same_bits(&a, &b), "normal n={n} {:?}", T::DTYPE);
                assert_eq!(g.random(), h.random());
                for &(m, s, lo, hi) in &windows {
                    let (mut g, mut h) = (fresh(), fresh());
                    trunc_normal(&mut g, &mut a, m, s, lo, hi);
                    ref_trunc_normal(&mut h, &mut b, m, s, lo, hi);
                    assert!(
                        same_bits(&a, &b),
                        "trunc_normal{:?} n={n} {:?}",
                        (m, s, lo, hi),
                        T::DTYPE
                    );
                    assert_eq!(g.random(), h.random(), "generator state after trunc_normal");
                    assert_eq!(g.next_double_normal_sample(), h.next_double_normal_sample());
                }
            }
        }
    }

    #[test]
    fn in_place_kernels_draw_what_the_buffered_ones_did() {
        check_in_place::<f32>();
        check_in_place::<f64>();
        check_in_place::<half::bf16>();
        check_in_place::<half::f16>();
    }

    #[test]
    fn discard_skips_outputs() {
        use crate::rng::TorchGenerator;
        for k in [0u64, 1, 623, 624, 625, 5000] {
            let (mut a, mut b) = (
                TorchGenerator::manual_seed(3),
                TorchGenerator::manual_seed(3),
            );
            a.random();
            b.random();
            for _ in 0..k {
                a.random();
            }
            TorchBits::discard(&mut b, k);
            assert_eq!(a.random(), b.random(), "k = {k}");
        }
    }

    #[test]
    fn cephes_close_to_libm() {
        for k in 1..=1000 {
            let u = k as f32 / 1000.0;
            assert!((log256_ps(u) - u.ln()).abs() < 1e-6, "log {u}");
            let t = u * 6.2831855;
            let (s, c) = sincos256_ps(t);
            assert!(
                (s - t.sin()).abs() < 1e-6 && (c - t.cos()).abs() < 1e-6,
                "sincos {t}"
            );
        }
        assert!(log256_ps(0.0).is_nan());
    }

    #[test]
    fn flavor_text_round_trips() {
        for f in [Flavor::Avx2, Flavor::Default] {
            assert_eq!(f.name().parse::<Flavor>().ok(), Some(f));
        }
        assert!("neon".parse::<Flavor>().is_err());
    }

    /// Counts engine outputs (`random64` is two), with the flavour and cache of a generator.
    #[derive(Default)]
    struct Counter {
        draws: usize,
        cache: Option<f64>,
    }

    impl TorchBits for Counter {
        fn random(&mut self) -> u32 {
            self.draws += 1;
            (self.draws as u32).wrapping_mul(0x9E37_79B9)
        }
        fn random64(&mut self) -> u64 {
            let hi = self.random() as u64;
            (hi << 32) | self.random() as u64
        }
        fn flavor(&self) -> Flavor {
            Flavor::Avx2
        }
        fn take_double_normal(&mut self) -> Option<f64> {
            self.cache.take()
        }
        fn set_double_normal(&mut self, v: f64) {
            self.cache = Some(v);
        }
        fn discard(&mut self, k: u64) {
            self.draws += k as usize;
        }
    }

    #[test]
    fn draw_counts() {
        // f32 normal_ with n % 16 != 0 draws n + 16; bf16 draws 16·ceil(n/16); n < 16 draws
        // 4 per pair (2 random64 per Box–Muller pair).
        let count = |f: &dyn Fn(&mut Counter)| {
            let mut g = Counter::default();
            f(&mut g);
            g.draws
        };
        assert_eq!(count(&|g| normal(g, &mut [0f32; 37], 0.0, 1.0)), 37 + 16);
        assert_eq!(count(&|g| normal(g, &mut [0f32; 32], 0.0, 1.0)), 32);
        assert_eq!(
            count(&|g| normal(g, &mut [half::bf16::ZERO; 37], 0.0, 1.0)),
            48
        );
        assert_eq!(count(&|g| normal(g, &mut [0f32; 3], 0.0, 1.0)), 8);
        assert_eq!(
            count(&|g| normal(g, &mut [0f64; 17], 0.0, 1.0)),
            2 * (17 + 16)
        );
        assert_eq!(count(&|g| uniform(g, &mut [0f64; 5], 0.0, 1.0)), 10);
        assert_eq!(count(&|g| drop(randperm(g, 6))), 5);
    }
}
