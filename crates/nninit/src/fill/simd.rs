//! Batched kernels, compiled once per instruction set and chosen at run time.
//!
//! A tile is `TB` consecutive Philox blocks: the words are generated into structure-of-arrays
//! buffers (so the 10 rounds vectorise across blocks), transformed lane by lane with the
//! scalar reference's own functions ([`super::scalar`]), and interleaved into the output.
//! The same source is compiled under `#[target_feature]` for AVX-512 and AVX2 (x86-64) and
//! for the baseline target (SSE2 on x86-64, NEON on aarch64); since the code has no
//! reassociation and fuses multiply-adds only where the source says `mul_add` (exactly rounded
//! on every target), every version returns the reference's bits (checked by
//! `tests/fill_invariance.rs` on every ISA the machine has). The AVX-512 kernel generates the
//! Philox words and the f32 transforms with explicit AVX-512 code ([`Avx512Words`]); the AVX2
//! kernel has an explicit truncated normal ([`Avx2Words`]); the rest is the portable loop.

use super::math::sincos_turn24_f32;
use super::scalar::{
    box_muller, box_muller_rho_f32, from_f64, trunc, trunc_f32, uniform24, uniform53, unit24,
    unit53, Prep, Trunc32, TWO_M24,
};
use crate::cpu::Isa;
use crate::element::Element;
use crate::rng::philox::{philox4x32_10, StreamKey};

/// Philox blocks per tile.
pub(crate) const TB: usize = 64;

#[inline(always)]
#[allow(clippy::needless_range_loop)] // one index into four lanes reads clearer
fn words(key: &StreamKey, b0: u64, w: &mut [[u32; TB]; 4]) {
    let k = key.key_words();
    let (s0, s1) = (key.stream as u32, (key.stream >> 32) as u32);
    for j in 0..TB {
        let b = b0.wrapping_add(j as u64);
        let o = philox4x32_10([b as u32, (b >> 32) as u32, s0, s1], k);
        w[0][j] = o[0];
        w[1][j] = o[1];
        w[2][j] = o[2];
        w[3][j] = o[3];
    }
}

/// How a kernel generates a tile's Philox words: [`words`] (portable, auto-vectorised) or,
/// in the AVX-512 kernel, explicit AVX-512 code with the same results.
trait Words {
    fn words(key: &StreamKey, b0: u64, w: &mut [[u32; TB]; 4]);

    /// [`trunc_f32`] for one lane of a tile (`u` from each word's top 24 bits); the default is
    /// the scalar code.
    #[inline(always)]
    fn trunc32(w: &[u32; TB], t: &Trunc32, out: &mut [f32; TB]) {
        for (o, &x) in out.iter_mut().zip(w) {
            *o = trunc_f32(unit24(x), t);
        }
    }

    /// [`box_muller_f32`](super::scalar::box_muller_f32) for one lane pair of a tile: `(c, s)`
    /// from words `(w0, w1)`; the default is the scalar code in two passes (radius, then
    /// angle), which LLVM vectorises.
    #[inline(always)]
    fn normal32(
        w0: &[u32; TB],
        w1: &[u32; TB],
        mean: f32,
        std: f32,
        c: &mut [f32; TB],
        s: &mut [f32; TB],
    ) {
        let mut rs = [0f32; TB];
        for (r, &x) in rs.iter_mut().zip(w0) {
            *r = box_muller_rho_f32(x) * std;
        }
        for j in 0..TB {
            let (sn, cs) = sincos_turn24_f32(w1[j] >> 8);
            c[j] = rs[j].mul_add(cs, mean);
            s[j] = rs[j].mul_add(sn, mean);
        }
    }

    /// Copies a finished tile to its place in the output, bypassing the cache where the
    /// kernel can (non-temporal stores); the default is a plain copy.
    #[inline(always)]
    fn store_streaming<T: Element>(src: &[T], dst: &mut [T]) {
        dst.copy_from_slice(src)
    }
}

/// [`words`] as written.
struct Portable;

impl Words for Portable {
    #[inline(always)]
    fn words(key: &StreamKey, b0: u64, w: &mut [[u32; TB]; 4]) {
        words(key, b0, w)
    }
}

/// Philox4x32-10 on 16 blocks per AVX-512 register: each 32×32→64 multiply is two
/// `vpmuludq` (even and odd lanes) and two blends, the xors one `vpternlogd`. LLVM's
/// vectorisation of [`words`] widens every product to 64-bit lanes and narrows it back,
/// about twice the work. Same words as [`words`] (tested through every kernel against the
/// scalar reference).
#[cfg(target_arch = "x86_64")]
struct Avx512Words;

#[cfg(target_arch = "x86_64")]
impl Words for Avx512Words {
    #[inline(always)]
    fn words(key: &StreamKey, b0: u64, w: &mut [[u32; TB]; 4]) {
        // SAFETY: only the AVX-512 kernel (`span_avx512`, compiled with avx512f and called
        // after a run-time check) instantiates this.
        unsafe { words_avx512(key, b0, w) }
    }

    #[inline(always)]
    fn trunc32(w: &[u32; TB], t: &Trunc32, out: &mut [f32; TB]) {
        // SAFETY: as in `words` (only the AVX-512 kernel instantiates this).
        unsafe { trunc32_avx512(w, t, out) }
    }

    #[inline(always)]
    fn normal32(
        w0: &[u32; TB],
        w1: &[u32; TB],
        mean: f32,
        std: f32,
        c: &mut [f32; TB],
        s: &mut [f32; TB],
    ) {
        // SAFETY: as in `words` (only the AVX-512 kernel instantiates this).
        unsafe { normal32_avx512(w0, w1, mean, std, c, s) }
    }

    /// The 64-byte-aligned interior of `dst` with `vmovntdq` (no read-for-ownership of lines
    /// about to be overwritten), the ragged ends with plain stores. `span_avx512` issues the
    /// `sfence` that orders these stores before it returns.
    #[inline(always)]
    fn store_streaming<T: Element>(src: &[T], dst: &mut [T]) {
        use std::arch::x86_64::{_mm512_loadu_si512, _mm512_stream_si512};
        let size = std::mem::size_of::<T>();
        let n = dst.len().min(src.len());
        let addr = dst.as_ptr() as usize;
        // elements before the first 64-byte boundary (size divides 64 for every Element)
        let head = (((64 - addr % 64) % 64) / size).min(n);
        let per_line = 64 / size;
        let lines = (n - head) / per_line;
        dst[..head].copy_from_slice(&src[..head]);
        for l in 0..lines {
            let k = head + l * per_line;
            // SAFETY: `k + per_line <= n` elements = 64 bytes are in bounds of both slices;
            // `dst[k..]` is 64-byte aligned (by `head`); AVX-512F is available (see above).
            unsafe {
                let v = _mm512_loadu_si512(src[k..k + per_line].as_ptr().cast());
                _mm512_stream_si512(dst[k..k + per_line].as_mut_ptr().cast(), v);
            }
        }
        let tail = head + lines * per_line;
        dst[tail..n].copy_from_slice(&src[tail..n]);
    }
}

/// [`trunc_f32`] on 16 lanes at a time, step for step the scalar code (same roundings: exact
/// products, fused multiply-adds, min/max with the scalar operand order) with each table
/// lookup one `vpermps` on a register of 16 octave coefficients. Lanes with `p` below the
/// table (rare: |z| > 4.33) are redone with the scalar function. Safety: as [`words_avx512`].
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn trunc32_avx512(w: &[u32; TB], t: &Trunc32, out: &mut [f32; TB]) {
    use super::math::{NDTRI_OCTAVES, NDTRI_TABLE_MIN_P, NDTRI_TABLE_TOP};
    use std::arch::x86_64::*;
    let c: [__m512; 8] = std::array::from_fn(|j| _mm512_loadu_ps(NDTRI_OCTAVES[j].as_ptr()));
    let d = _mm512_set1_ps(t.d);
    let cc = _mm512_set1_ps(t.c);
    let pa = _mm512_set1_ps(t.pa);
    let ub = _mm512_set1_ps(t.ub);
    let one = _mm512_set1_ps(1.0);
    let top = _mm512_set1_ps(NDTRI_TABLE_TOP);
    let half3 = _mm512_set1_ps(1.5);
    let min_p = _mm512_set1_ps(NDTRI_TABLE_MIN_P as f32);
    let mant = _mm512_set1_epi32(0x007F_FFFF);
    let expo = _mm512_set1_epi32(0x3F80_0000);
    let scale = _mm512_set1_ps(1.0 / 16_777_216.0);
    let sstd = _mm512_set1_ps(t.sign * t.std);
    let neg_sstd = _mm512_set1_ps(-(t.sign * t.std));
    let mean = _mm512_set1_ps(t.mean);
    let (a, b) = (_mm512_set1_ps(t.a), _mm512_set1_ps(t.b));
    for j in (0..TB).step_by(16) {
        let wi = _mm512_loadu_si512(w[j..j + 16].as_ptr().cast());
        let u = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_srli_epi32::<8>(wi)), scale);
        let lower = _mm512_cmp_ps_mask::<_CMP_LT_OQ>(_mm512_mul_ps(u, d), cc);
        // p_low = fma(u, d, pa), p_up = fma(1 − u, d, ub): select the operands, one fma
        let p = _mm512_fmadd_ps(
            _mm512_mask_blend_ps(lower, _mm512_sub_ps(one, u), u),
            d,
            _mm512_mask_blend_ps(lower, ub, pa),
        );
        // ndtri_table_f32
        let x = _mm512_sub_ps(_mm512_add_ps(p, p), one);
        let bits = _mm512_castps_si512(_mm512_min_ps(top, p));
        let i = _mm512_srli_epi32::<23>(bits);
        let tt = _mm512_sub_ps(
            _mm512_castsi512_ps(_mm512_ternarylogic_epi32::<0xEA>(bits, mant, expo)),
            half3,
        );
        let mut g = _mm512_permutexvar_ps(i, c[7]);
        for k in (0..7).rev() {
            g = _mm512_fmadd_ps(g, tt, _mm512_permutexvar_ps(i, c[k]));
        }
        let v = _mm512_mul_ps(x, g);
        // z = lower ? v : −v; then clamp(mean + std·(sign·z)) as the scalar code
        // (sign·z)·std with z = ±v is v·(±sign·std) exactly: one fma, the same bits
        let r = _mm512_fmadd_ps(v, _mm512_mask_blend_ps(lower, neg_sstd, sstd), mean);
        let r = _mm512_max_ps(a, r);
        let r = _mm512_min_ps(b, r);
        _mm512_storeu_ps(out[j..j + 16].as_mut_ptr(), r);
        let mut below = _mm512_cmp_ps_mask::<_CMP_LT_OQ>(p, min_p);
        while below != 0 {
            let k = below.trailing_zeros() as usize;
            out[j + k] = trunc_f32(unit24(w[j + k]), t);
            below &= below - 1;
        }
    }
}

/// [`box_muller_f32`](super::scalar::box_muller_f32) on 16 lane pairs at a time, step for
/// step the scalar code (same roundings, same fused multiply-adds) with each table lookup one
/// permute: `vpermps` on the 16-entry `ln` table, `vpermt2ps` on the 32-entry `sin`/`cos`
/// table. The angle's offset is taken from the word's bits in place (`(w & 0x07FF_FF00) − 2²⁶`
/// is 2⁸ times the scalar code's integer, and the constant is `2⁻⁸` times its constant: the
/// same product). Safety: as [`words_avx512`].
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn normal32_avx512(
    w0: &[u32; TB],
    w1: &[u32; TB],
    mean: f32,
    std: f32,
    c: &mut [f32; TB],
    s: &mut [f32; TB],
) {
    use super::math::{LN_TABLE, SINCOS_TABLE, TURN24_F32};
    use std::arch::x86_64::*;
    let invc = _mm512_loadu_ps(LN_TABLE[0].as_ptr());
    let t2 = _mm512_loadu_ps(LN_TABLE[1].as_ptr());
    let sin_lo = _mm512_loadu_ps(SINCOS_TABLE[0][..16].as_ptr());
    let sin_hi = _mm512_loadu_ps(SINCOS_TABLE[0][16..].as_ptr());
    let cos_lo = _mm512_loadu_ps(SINCOS_TABLE[1][..16].as_ptr());
    let cos_hi = _mm512_loadu_ps(SINCOS_TABLE[1][16..].as_ptr());
    let one_i = _mm512_set1_epi32(1);
    let off = _mm512_set1_epi32(0x3F33_0000);
    let c24 = _mm512_set1_epi32(24);
    let expo_mask = _mm512_set1_epi32(0xFF80_0000u32 as i32);
    let (one, m_one, m_two) = (
        _mm512_set1_ps(1.0),
        _mm512_set1_ps(-1.0),
        _mm512_set1_ps(-2.0),
    );
    let (q3, q2, q1) = (
        _mm512_set1_ps(-0.4),
        _mm512_set1_ps(0.5),
        _mm512_set1_ps(-2.0 / 3.0),
    );
    let ln4 = _mm512_set1_ps(1.386_294_4);
    let frac_mask = _mm512_set1_epi32(0x07FF_FF00);
    let half_turn = _mm512_set1_epi32(0x0400_0000);
    let step = _mm512_set1_ps(TURN24_F32 * (1.0 / 256.0));
    let (s5, s3) = (_mm512_set1_ps(1.0 / 120.0), _mm512_set1_ps(-1.0 / 6.0));
    let (c4, c2) = (_mm512_set1_ps(1.0 / 24.0), _mm512_set1_ps(-0.5));
    let (meanv, stdv) = (_mm512_set1_ps(mean), _mm512_set1_ps(std));
    for j in (0..TB).step_by(16) {
        // ρ·std = √(−2 ln u1)·std (neg2_ln_unit24_f32)
        let a = _mm512_loadu_si512(w0[j..j + 16].as_ptr().cast());
        let k = _mm512_add_epi32(_mm512_srli_epi32::<8>(a), one_i);
        let ix = _mm512_castps_si512(_mm512_cvtepi32_ps(k));
        let tmp = _mm512_sub_epi32(ix, off);
        let i = _mm512_srli_epi32::<19>(tmp); // vpermps reads the low 4 bits
        let kk = _mm512_cvtepi32_ps(_mm512_sub_epi32(c24, _mm512_srli_epi32::<23>(tmp)));
        let z = _mm512_castsi512_ps(_mm512_sub_epi32(ix, _mm512_and_si512(tmp, expo_mask)));
        let r = _mm512_fmadd_ps(z, _mm512_permutexvar_ps(i, invc), m_one);
        let q = _mm512_fmadd_ps(_mm512_fmadd_ps(_mm512_fmadd_ps(q3, r, q2), r, q1), r, one);
        let tail = _mm512_fmadd_ps(_mm512_mul_ps(r, r), q, _mm512_mul_ps(m_two, r));
        let y = _mm512_add_ps(_mm512_fmadd_ps(kk, ln4, _mm512_permutexvar_ps(i, t2)), tail);
        let rs = _mm512_mul_ps(_mm512_sqrt_ps(y), stdv);
        // sin/cos of the angle (sincos_turn24_f32)
        let b = _mm512_loadu_si512(w1[j..j + 16].as_ptr().cast());
        let ii = _mm512_srli_epi32::<27>(b);
        let d = _mm512_sub_epi32(_mm512_and_si512(b, frac_mask), half_turn);
        let x = _mm512_mul_ps(_mm512_cvtepi32_ps(d), step);
        let x2 = _mm512_mul_ps(x, x);
        let sx = _mm512_fmadd_ps(_mm512_mul_ps(x, x2), _mm512_fmadd_ps(x2, s5, s3), x);
        let cm1 = _mm512_mul_ps(x2, _mm512_fmadd_ps(x2, c4, c2));
        let sa = _mm512_permutex2var_ps(sin_lo, ii, sin_hi);
        let ca = _mm512_permutex2var_ps(cos_lo, ii, cos_hi);
        let sn = _mm512_fmadd_ps(sa, cm1, _mm512_fmadd_ps(ca, sx, sa));
        let cs = _mm512_fmadd_ps(ca, cm1, _mm512_fnmadd_ps(sa, sx, ca));
        _mm512_storeu_ps(c[j..j + 16].as_mut_ptr(), _mm512_fmadd_ps(rs, cs, meanv));
        _mm512_storeu_ps(s[j..j + 16].as_mut_ptr(), _mm512_fmadd_ps(rs, sn, meanv));
    }
}

/// See [`Avx512Words`]. Safety: the CPU must have AVX-512F and the caller must be compiled
/// with it (so the intrinsics inline).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn words_avx512(key: &StreamKey, b0: u64, w: &mut [[u32; TB]; 4]) {
    use crate::rng::philox::{M0, M1, W0, W1};
    use std::arch::x86_64::*;
    const ODD: __mmask16 = 0xAAAA;
    #[inline(always)]
    unsafe fn mulhilo(m: __m512i, a: __m512i) -> (__m512i, __m512i) {
        let pe = _mm512_mul_epu32(a, m); // lanes 2i: a[2i]·M as 64 bits
        let po = _mm512_mul_epu32(_mm512_shuffle_epi32(a, _MM_PERM_DDBB), m); // a[2i+1]·M
        let hi = _mm512_mask_blend_epi32(ODD, _mm512_shuffle_epi32(pe, _MM_PERM_DDBB), po);
        let lo = _mm512_mask_blend_epi32(ODD, pe, _mm512_shuffle_epi32(po, _MM_PERM_CCAA));
        (hi, lo)
    }
    let k = key.key_words();
    let (s0, s1) = (key.stream as u32, (key.stream >> 32) as u32);
    let m0 = _mm512_set1_epi32(M0 as i32);
    let m1 = _mm512_set1_epi32(M1 as i32);
    let lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    // The TB / 16 register sets go through the rounds together: one set's round is a chain
    // of dependent multiplies and shuffles, so interleaving sets hides the latency.
    const SETS: usize = TB / 16;
    let zero = _mm512_setzero_si512();
    let mut c = [[zero; 4]; SETS];
    for (h, ch) in c.iter_mut().enumerate() {
        let base = b0.wrapping_add(16 * h as u64);
        let lo = _mm512_set1_epi32(base as u32 as i32);
        let hi = _mm512_set1_epi32((base >> 32) as u32 as i32);
        let c0 = _mm512_add_epi32(lo, lane);
        // carry into the high word where the low word wrapped
        let carry = _mm512_cmplt_epu32_mask(c0, lo);
        *ch = [
            c0,
            _mm512_mask_add_epi32(hi, carry, hi, _mm512_set1_epi32(1)),
            _mm512_set1_epi32(s0 as i32),
            _mm512_set1_epi32(s1 as i32),
        ];
    }
    let (mut k0, mut k1) = (k[0], k[1]);
    for r in 0..10 {
        if r > 0 {
            k0 = k0.wrapping_add(W0);
            k1 = k1.wrapping_add(W1);
        }
        let (kv0, kv1) = (_mm512_set1_epi32(k0 as i32), _mm512_set1_epi32(k1 as i32));
        for ch in c.iter_mut() {
            let (hi0, lo0) = mulhilo(m0, ch[0]);
            let (hi1, lo1) = mulhilo(m1, ch[2]);
            // [hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0]; 0x96 = three-way xor
            *ch = [
                _mm512_ternarylogic_epi32(hi1, ch[1], kv0, 0x96),
                lo1,
                _mm512_ternarylogic_epi32(hi0, ch[3], kv1, 0x96),
                lo0,
            ];
        }
    }
    for (h, ch) in c.iter().enumerate() {
        let j = 16 * h;
        for (l, v) in ch.iter().enumerate() {
            _mm512_storeu_si512(w[l][j..j + 16].as_mut_ptr().cast(), *v);
        }
    }
}

/// The AVX2 + FMA kernel: the f32 truncated normal on 8 lanes ([`trunc32_avx2`]), 2.8x the
/// auto-vectorised scalar code on an AVX2-only AMD EPYC (BENCHMARKS.md). The Philox words and
/// the other transforms stay portable: explicit AVX2 versions of them (as [`words_avx512`])
/// measured no faster there; LLVM's vectorisation of [`words`] already keeps the units busy.
#[cfg(target_arch = "x86_64")]
struct Avx2Words;

#[cfg(target_arch = "x86_64")]
impl Words for Avx2Words {
    #[inline(always)]
    fn words(key: &StreamKey, b0: u64, w: &mut [[u32; TB]; 4]) {
        words(key, b0, w)
    }

    #[inline(always)]
    fn trunc32(w: &[u32; TB], t: &Trunc32, out: &mut [f32; TB]) {
        // SAFETY: only the AVX2 kernel (`span_avx2`, compiled with avx2 and fma and called
        // after a run-time check) instantiates this.
        unsafe { trunc32_avx2(w, t, out) }
    }
}

/// `table[i & 15]` per lane: two 8-entry `vpermps` (they read the low 3 bits) and a blend on
/// bit 3. Safety: AVX2.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn lookup16_avx2(
    lo: std::arch::x86_64::__m256,
    hi: std::arch::x86_64::__m256,
    i: std::arch::x86_64::__m256i,
) -> std::arch::x86_64::__m256 {
    use std::arch::x86_64::*;
    let bit3 = _mm256_castsi256_ps(_mm256_slli_epi32::<28>(i));
    _mm256_blendv_ps(
        _mm256_permutevar8x32_ps(lo, i),
        _mm256_permutevar8x32_ps(hi, i),
        bit3,
    )
}

/// [`trunc_f32`] on 8 lanes at a time: [`trunc32_avx512`]'s steps with AVX2 lookups and
/// blends. Safety: the CPU must have AVX2 and FMA and the caller must be compiled with them.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn trunc32_avx2(w: &[u32; TB], t: &Trunc32, out: &mut [f32; TB]) {
    use super::math::{NDTRI_OCTAVES, NDTRI_TABLE_MIN_P, NDTRI_TABLE_TOP};
    use std::arch::x86_64::*;
    let c: [[__m256; 2]; 8] = std::array::from_fn(|j| {
        [
            _mm256_loadu_ps(NDTRI_OCTAVES[j][..8].as_ptr()),
            _mm256_loadu_ps(NDTRI_OCTAVES[j][8..].as_ptr()),
        ]
    });
    let d = _mm256_set1_ps(t.d);
    let cc = _mm256_set1_ps(t.c);
    let pa = _mm256_set1_ps(t.pa);
    let ub = _mm256_set1_ps(t.ub);
    let one = _mm256_set1_ps(1.0);
    let top = _mm256_set1_ps(NDTRI_TABLE_TOP);
    let half3 = _mm256_set1_ps(1.5);
    let min_p = _mm256_set1_ps(NDTRI_TABLE_MIN_P as f32);
    let mant = _mm256_set1_epi32(0x007F_FFFF);
    let expo = _mm256_set1_epi32(0x3F80_0000);
    let scale = _mm256_set1_ps(1.0 / 16_777_216.0);
    let sstd = _mm256_set1_ps(t.sign * t.std);
    let neg_sstd = _mm256_set1_ps(-(t.sign * t.std));
    let mean = _mm256_set1_ps(t.mean);
    let (a, b) = (_mm256_set1_ps(t.a), _mm256_set1_ps(t.b));
    for j in (0..TB).step_by(8) {
        let wi = _mm256_loadu_si256(w[j..j + 8].as_ptr().cast());
        let u = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32::<8>(wi)), scale);
        let lower = _mm256_cmp_ps::<_CMP_LT_OQ>(_mm256_mul_ps(u, d), cc);
        let p = _mm256_fmadd_ps(
            _mm256_blendv_ps(_mm256_sub_ps(one, u), u, lower),
            d,
            _mm256_blendv_ps(ub, pa, lower),
        );
        let x = _mm256_sub_ps(_mm256_add_ps(p, p), one);
        let bits = _mm256_castps_si256(_mm256_min_ps(top, p));
        let i = _mm256_srli_epi32::<23>(bits);
        let tt = _mm256_sub_ps(
            _mm256_castsi256_ps(_mm256_or_si256(_mm256_and_si256(bits, mant), expo)),
            half3,
        );
        let mut g = lookup16_avx2(c[7][0], c[7][1], i);
        for k in (0..7).rev() {
            g = _mm256_fmadd_ps(g, tt, lookup16_avx2(c[k][0], c[k][1], i));
        }
        let v = _mm256_mul_ps(x, g);
        let r = _mm256_fmadd_ps(v, _mm256_blendv_ps(neg_sstd, sstd, lower), mean);
        let r = _mm256_max_ps(a, r);
        let r = _mm256_min_ps(b, r);
        _mm256_storeu_ps(out[j..j + 8].as_mut_ptr(), r);
        let mut below = _mm256_movemask_ps(_mm256_cmp_ps::<_CMP_LT_OQ>(p, min_p)) as u32;
        while below != 0 {
            let k = below.trailing_zeros() as usize;
            out[j + k] = trunc_f32(unit24(w[j + k]), t);
            below &= below - 1;
        }
    }
}

/// Interleaves four lanes of f64 values into elements `4j + l`.
#[inline(always)]
fn store4<T: Element>(v: &[[f64; TB]; 4], out: &mut [T]) {
    let out = &mut out[..TB * 4];
    for j in 0..TB {
        out[4 * j] = from_f64(v[0][j]);
        out[4 * j + 1] = from_f64(v[1][j]);
        out[4 * j + 2] = from_f64(v[2][j]);
        out[4 * j + 3] = from_f64(v[3][j]);
    }
}

/// Interleaves four lanes of f32 values into elements `4j + l`.
#[inline(always)]
fn store4_f32<T: Element>(v: &[[f32; TB]; 4], out: &mut [T]) {
    let out = &mut out[..TB * 4];
    for j in 0..TB {
        out[4 * j] = T::from_f32(v[0][j]);
        out[4 * j + 1] = T::from_f32(v[1][j]);
        out[4 * j + 2] = T::from_f32(v[2][j]);
        out[4 * j + 3] = T::from_f32(v[3][j]);
    }
}

/// Interleaves two lanes of f64 values into elements `2j + l`.
#[inline(always)]
fn store2<T: Element>(v: &[[f64; TB]; 2], out: &mut [T]) {
    let out = &mut out[..TB * 2];
    for j in 0..TB {
        out[2 * j] = from_f64(v[0][j]);
        out[2 * j + 1] = from_f64(v[1][j]);
    }
}

/// One tile: blocks `b0 .. b0 + TB` into `out[.. TB · per_block]`.
#[inline(always)]
fn tile<T: Element, W: Words>(prep: &Prep, key: &StreamKey, b0: u64, out: &mut [T]) {
    let mut w = [[0u32; TB]; 4];
    W::words(key, b0, &mut w);
    match *prep {
        Prep::U24 { lo, r, hi_t } => {
            let out = &mut out[..TB * 4];
            for j in 0..TB {
                out[4 * j] = uniform24(w[0][j], lo, r, hi_t);
                out[4 * j + 1] = uniform24(w[1][j], lo, r, hi_t);
                out[4 * j + 2] = uniform24(w[2][j], lo, r, hi_t);
                out[4 * j + 3] = uniform24(w[3][j], lo, r, hi_t);
            }
        }
        Prep::U53 { lo, r, hi } => {
            let mut v = [[0f64; TB]; 2];
            for p in 0..2 {
                for j in 0..TB {
                    v[p][j] = uniform53(w[2 * p][j], w[2 * p + 1][j], lo, r, hi);
                }
            }
            store2(&v, out);
        }
        Prep::Normal { mean, std } => {
            let mut v = [[0f64; TB]; 4];
            for p in 0..2 {
                for j in 0..TB {
                    let (c, s) = box_muller(w[2 * p][j], w[2 * p + 1][j]);
                    v[2 * p][j] = mean + std * c;
                    v[2 * p + 1][j] = mean + std * s;
                }
            }
            store4(&v, out);
        }
        Prep::Normal32 { mean, std } => {
            let mut v = [[0f32; TB]; 4];
            let (v01, v23) = v.split_at_mut(2);
            for (p, vp) in [v01, v23].into_iter().enumerate() {
                let (c, s) = vp.split_at_mut(1);
                W::normal32(&w[2 * p], &w[2 * p + 1], mean, std, &mut c[0], &mut s[0]);
            }
            store4_f32(&v, out);
        }
        Prep::Trunc32 { t } => {
            let mut v = [[0f32; TB]; 4];
            for l in 0..4 {
                W::trunc32(&w[l], &t, &mut v[l]);
            }
            store4_f32(&v, out);
        }
        Prep::Trunc {
            mean,
            std,
            a,
            b,
            pa,
            dp,
            sign,
            wide,
        } => {
            if wide {
                let mut v = [[0f64; TB]; 2];
                for p in 0..2 {
                    for j in 0..TB {
                        let u = unit53(w[2 * p][j], w[2 * p + 1][j]);
                        v[p][j] = trunc(u, mean, std, a, b, pa, dp, sign);
                    }
                }
                store2(&v, out);
            } else {
                let mut v = [[0f64; TB]; 4];
                for l in 0..4 {
                    for j in 0..TB {
                        let u = (w[l][j] >> 8) as f64 * TWO_M24;
                        v[l][j] = trunc(u, mean, std, a, b, pa, dp, sign);
                    }
                }
                store4(&v, out);
            }
        }
    }
}

/// Elements `start .. start + out.len()`: whole tiles straight into `out`, a partial tile at
/// an unaligned start or a short end through a scratch tile.
#[inline(always)]
fn span<T: Element, W: Words>(
    prep: &Prep,
    key: &StreamKey,
    start: u64,
    out: &mut [T],
    streaming: bool,
) {
    let e = prep.per_block() as u64;
    let tile_len = TB * e as usize;
    let mut scratch = [T::ZERO; TB * 4];
    let mut i = start;
    let mut done = 0usize;
    let n = out.len();
    while done < n {
        let (b, off) = (i / e, (i % e) as usize);
        let rem = n - done;
        if off == 0 && rem >= tile_len && streaming {
            tile::<T, W>(prep, key, b, &mut scratch[..tile_len]);
            W::store_streaming(&scratch[..tile_len], &mut out[done..done + tile_len]);
            done += tile_len;
            i += tile_len as u64;
        } else if off == 0 && rem >= tile_len {
            tile::<T, W>(prep, key, b, &mut out[done..done + tile_len]);
            done += tile_len;
            i += tile_len as u64;
        } else {
            tile::<T, W>(prep, key, b, &mut scratch[..tile_len]);
            let m = (tile_len - off).min(rem);
            out[done..done + m].copy_from_slice(&scratch[off..off + m]);
            done += m;
            i += m as u64;
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx512bw,avx2,fma,bmi2")]
fn span_avx512<T: Element>(
    prep: &Prep,
    key: &StreamKey,
    start: u64,
    out: &mut [T],
    streaming: bool,
) {
    span::<T, Avx512Words>(prep, key, start, out, streaming);
    if streaming {
        // SAFETY: SSE is part of x86-64; orders the non-temporal stores before any later
        // store (e.g. rayon's completion flag), so other threads see the data.
        std::arch::x86_64::_mm_sfence()
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,bmi2")]
fn span_avx2<T: Element>(prep: &Prep, key: &StreamKey, start: u64, out: &mut [T], streaming: bool) {
    // this kernel has no non-temporal stores: `streaming` changes nothing
    span::<T, Avx2Words>(prep, key, start, out, streaming)
}

fn span_baseline<T: Element>(prep: &Prep, key: &StreamKey, start: u64, out: &mut [T]) {
    span::<T, Portable>(prep, key, start, out, false)
}

/// Runs the kernel for `isa`; an ISA this machine lacks falls back to the baseline.
/// `streaming`: write whole tiles with non-temporal stores where the kernel has them (for
/// outputs much larger than the caches); the values are the same either way.
pub(crate) fn fill<T: Element>(
    isa: Isa,
    prep: &Prep,
    key: &StreamKey,
    start: u64,
    out: &mut [T],
    streaming: bool,
) {
    match isa {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 if Isa::Avx512.available() => {
            // SAFETY: the CPU supports every feature the function enables (checked above).
            unsafe { span_avx512(prep, key, start, out, streaming) }
        }
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 if Isa::Avx2.available() => {
            // SAFETY: as above.
            unsafe { span_avx2(prep, key, start, out, streaming) }
        }
        _ => span_baseline(prep, key, start, out),
    }
}
