//! CPU features: which instruction set the fill kernels can use, and the AVX upper-state
//! clearing that scalar code needs after foreign AVX code. A leaf module, imported by both
//! the counter-based fills ([`crate::fill`]) and the sequential streams ([`crate::rng`]).

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

    /// `avx512`, `avx2` or `baseline`.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Avx512 => "avx512",
            Isa::Avx2 => "avx2",
            Isa::Baseline => "baseline",
        }
    }
}

/// Clears the upper halves of the vector registers (`vzeroupper`) when the CPU has AVX; a
/// no-op elsewhere.
///
/// Code compiled for the baseline target (SSE) that runs while another library's AVX or
/// AVX-512 code (a BLAS kernel, say) has left the upper halves "dirty" pays a penalty on
/// every SSE instruction and every SSE↔AVX switch (e.g. a call into libm); on some CPUs and
/// hypervisors it made scalar fills 30-500x slower and libm-heavy loops 5x slower. nninit's
/// scalar fill entry points call this first; call it yourself after a foreign AVX kernel
/// whose output your scalar code then processes. A few cycles; no effect on results.
#[inline]
pub fn clear_upper_state() {
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx") {
        // SAFETY: AVX is present (checked above); vzeroupper only zeroes bits 128.. of the
        // vector registers, which no live value of this (non-AVX) caller holds.
        unsafe { std::arch::x86_64::_mm256_zeroupper() }
    }
}
