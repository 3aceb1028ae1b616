//! Batched kernels, compiled once per instruction set and chosen at run time.
//!
//! A tile is `TB` consecutive Philox blocks: the words are generated into structure-of-arrays
//! buffers (so the 10 rounds vectorise across blocks), transformed lane by lane with the
//! scalar reference's own functions ([`super::scalar`]), and interleaved into the output.
//! The same source is compiled under `#[target_feature]` for AVX-512 and AVX2 (x86-64) and
//! for the baseline target (SSE2 on x86-64, NEON on aarch64); since the code has no fused
//! multiply-adds and no reassociation, every version returns the reference's bits (checked
//! by `tests/fill_invariance.rs` on every ISA the machine has).

use super::scalar::{box_muller, from_f64, trunc, uniform24, uniform53, unit53, Prep, TWO_M24};
use crate::element::Element;
use crate::rng::philox::{philox4x32_10, StreamKey};

/// Philox blocks per tile.
pub(crate) const TB: usize = 32;

/// An instruction set a kernel can be compiled for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Isa {
    /// The compilation target's baseline (SSE2 on x86-64, NEON on aarch64).
    Baseline,
    /// x86-64 AVX2 + FMA.
    Avx2,
    /// x86-64 AVX-512 (F, DQ, VL, BW).
    Avx512,
}

impl Isa {
    /// Whether this machine can run the kernel.
    pub fn available(self) -> bool {
        match self {
            Isa::Baseline => true,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => {
                is_x86_feature_detected!("avx512f")
                    && is_x86_feature_detected!("avx512dq")
                    && is_x86_feature_detected!("avx512vl")
                    && is_x86_feature_detected!("avx512bw")
                    && Isa::Avx2.available()
            }
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// The fastest available.
    pub fn best() -> Isa {
        if Isa::Avx512.available() {
            Isa::Avx512
        } else if Isa::Avx2.available() {
            Isa::Avx2
        } else {
            Isa::Baseline
        }
    }

    /// Every kernel this machine can run.
    pub fn all_available() -> Vec<Isa> {
        [Isa::Baseline, Isa::Avx2, Isa::Avx512]
            .into_iter()
            .filter(|i| i.available())
            .collect()
    }
}

/// Clears the upper halves of the vector registers (`vzeroupper`) when the CPU has AVX.
///
/// Code compiled for the baseline target (SSE) that runs while another library's AVX or
/// AVX-512 code (a BLAS kernel, say) has left the upper halves "dirty" pays a penalty on
/// every SSE instruction; on some CPUs and hypervisors it made scalar fills 30-500x slower.
/// The scalar entry points call this first. A few cycles; no effect on results.
#[inline]
pub fn clear_upper_state() {
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx") {
        // SAFETY: AVX is present (checked above); vzeroupper only zeroes bits 128.. of the
        // vector registers, which no live value of this (non-AVX) caller holds.
        unsafe { std::arch::x86_64::_mm256_zeroupper() }
    }
}

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
fn tile<T: Element>(prep: &Prep, key: &StreamKey, b0: u64, out: &mut [T]) {
    let mut w = [[0u32; TB]; 4];
    words(key, b0, &mut w);
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
fn span<T: Element>(prep: &Prep, key: &StreamKey, start: u64, out: &mut [T]) {
    let e = prep.per_block() as u64;
    let tile_len = TB * e as usize;
    let mut scratch = [T::ZERO; TB * 4];
    let mut i = start;
    let mut done = 0usize;
    let n = out.len();
    while done < n {
        let (b, off) = (i / e, (i % e) as usize);
        let rem = n - done;
        if off == 0 && rem >= tile_len {
            tile(prep, key, b, &mut out[done..done + tile_len]);
            done += tile_len;
            i += tile_len as u64;
        } else {
            tile(prep, key, b, &mut scratch[..tile_len]);
            let m = (tile_len - off).min(rem);
            out[done..done + m].copy_from_slice(&scratch[off..off + m]);
            done += m;
            i += m as u64;
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx512bw,avx2,fma,bmi2")]
fn span_avx512<T: Element>(prep: &Prep, key: &StreamKey, start: u64, out: &mut [T]) {
    span(prep, key, start, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,bmi2")]
fn span_avx2<T: Element>(prep: &Prep, key: &StreamKey, start: u64, out: &mut [T]) {
    span(prep, key, start, out)
}

fn span_baseline<T: Element>(prep: &Prep, key: &StreamKey, start: u64, out: &mut [T]) {
    span(prep, key, start, out)
}

/// Runs the kernel for `isa`; an ISA this machine lacks falls back to the baseline.
pub(crate) fn fill<T: Element>(isa: Isa, prep: &Prep, key: &StreamKey, start: u64, out: &mut [T]) {
    match isa {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 if Isa::Avx512.available() => {
            // SAFETY: the CPU supports every feature the function enables (checked above).
            unsafe { span_avx512(prep, key, start, out) }
        }
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 if Isa::Avx2.available() => {
            // SAFETY: as above.
            unsafe { span_avx2(prep, key, start, out) }
        }
        _ => span_baseline(prep, key, start, out),
    }
}
