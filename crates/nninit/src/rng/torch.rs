//! [`TorchGenerator`]: PyTorch's CPU generator (`at::CPUGeneratorImpl`), bit for bit.
//!
//! An mt19937 engine seeded like `torch.manual_seed`, PyTorch's `random()` / `random64()`,
//! and the cached second Box–Muller sample (`next_double_normal_sample_`) with PyTorch's
//! reset rules. As a [`Stream`] it runs the PyTorch-exact kernels of
//! [`super::torch_kernels`], so `Init::fill` with a `TorchGenerator` seeded with `s` writes
//! the same numbers as the mirrored `torch.nn.init` function after `torch.manual_seed(s)`
//! (float32, CPU, PyTorch 2.15).
//!
//! Source: `ATen/core/MT19937RNGEngine.h`, `ATen/CPUGeneratorImpl.{h,cpp}`,
//! `ATen/core/DistributionsHelper.h`, `torch/random.py` (torch 2.15).

use super::stream::Stream;
use super::torch_kernels::{self, Flavor, TorchBits};
use crate::element::Element;
use crate::sampler::Sampler;
use rand_core::RngCore;

const N: usize = 624;
const M: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER_MASK: u32 = 0x8000_0000;
const LOWER_MASK: u32 = 0x7fff_ffff;

/// PyTorch's CPU random generator: mt19937 plus the cached normal sample, with the kernel
/// [`Flavor`] that decides which of PyTorch's x86 kernel builds its fills reproduce.
///
/// # Seeding
/// [`TorchGenerator::manual_seed`] mirrors `torch.manual_seed(seed)`: the full 64-bit seed is
/// remembered ([`TorchGenerator::initial_seed`]) but **only its low 32 bits seed the engine**
/// (`init_genrand`), so `manual_seed(7)` and `manual_seed(7 + 2³²)` give the same stream.
/// Negative Python seeds map by two's complement (`-1` → `0xffff_ffff_ffff_ffff`); use
/// [`TorchGenerator::manual_seed_i64`] for them. (PyTorch's docstring formula
/// `0xffff_ffff_ffff_ffff + seed` is off by one; the implementation is two's complement.)
///
/// # Bits and draws
/// [`TorchGenerator::random`] is one 32-bit engine output; [`TorchGenerator::random64`] is two,
/// the **first in the high word**. As a [`RngCore`], `next_u32 = random()` and
/// `next_u64 = random64()`, so any code drawing through `RngCore` consumes the stream exactly
/// as PyTorch's `random()`/`random64()` would.
///
/// # As a [`Stream`]
/// Samplers and `randperm` run PyTorch's CPU kernels for f32, f64, bf16 and f16 (`uniform_`,
/// `normal_` including the numel ≥ 16 block path, the ≥ 2.12 `trunc_normal_`,
/// `randperm_cpu`); see [`super::torch_kernels`]. Slices are treated as contiguous tensors.
/// Sequential: [`Stream::select_tensor`] is ignored (PyTorch's values depend on the order of
/// the draws).
///
/// ```
/// use nninit::{Sampler, Stream, TorchGenerator};
/// let mut g = TorchGenerator::manual_seed(0);
/// assert_eq!(g.random(), 0x8c7f_0aac); // first mt19937 output for seed 0
/// // torch.manual_seed(0); torch.rand(1) == 0.4962566
/// let mut x = [0f32; 1];
/// TorchGenerator::manual_seed(0).sample(&Sampler::uniform(0.0, 1.0)?, &mut x);
/// assert_eq!(x[0], 0.4962566);
/// # Ok::<(), nninit::InitError>(())
/// ```
#[derive(Clone)]
pub struct TorchGenerator {
    state: [u32; N],
    /// Index of the next state word; `N` means "twist before the next draw".
    pos: usize,
    seed: u64,
    next_double_normal: Option<f64>,
    next_float_normal: Option<f32>,
    flavor: Flavor,
}

impl std::fmt::Debug for TorchGenerator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TorchGenerator")
            .field("initial_seed", &self.seed)
            .field("pos", &self.pos)
            .field("next_double_normal", &self.next_double_normal)
            .field("flavor", &self.flavor)
            .finish_non_exhaustive()
    }
}

impl Default for TorchGenerator {
    /// A fresh `torch.Generator()`: seed `67280421310721` (`c10::default_rng_seed_val`),
    /// [`Flavor::Avx2`].
    fn default() -> Self {
        TorchGenerator::manual_seed(Self::DEFAULT_SEED)
    }
}

impl TorchGenerator {
    /// The seed of a fresh `torch.Generator()` (`c10::default_rng_seed_val`, `0x3d30f19cd101`).
    pub const DEFAULT_SEED: u64 = 67_280_421_310_721;

    /// `torch.manual_seed(seed)`: a generator in the state PyTorch's default CPU generator has
    /// right after it, with the default kernel flavour [`Flavor::Avx2`] (what every x86-64
    /// machine with AVX2 or AVX512 runs). Only the low 32 bits of `seed` seed the engine.
    pub fn manual_seed(seed: u64) -> Self {
        let mut g = TorchGenerator {
            state: [0; N],
            pos: N,
            seed,
            next_double_normal: None,
            next_float_normal: None,
            flavor: Flavor::default(),
        };
        g.set_seed(seed);
        g
    }

    /// `torch.manual_seed(seed)` for a negative (or any signed) Python seed: two's complement,
    /// so `-1` is `0xffff_ffff_ffff_ffff` (and seeds the engine with `0xffff_ffff`).
    pub fn manual_seed_i64(seed: i64) -> Self {
        Self::manual_seed(seed as u64)
    }

    /// The same generator with kernel flavour `flavor` (which x86 build of PyTorch to match).
    pub fn with_flavor(mut self, flavor: Flavor) -> Self {
        self.flavor = flavor;
        self
    }

    /// The kernel flavour the fills use.
    pub fn flavor(&self) -> Flavor {
        self.flavor
    }

    /// Changes the kernel flavour in place (the engine state is unchanged).
    pub fn set_flavor(&mut self, flavor: Flavor) {
        self.flavor = flavor;
    }

    /// Re-seeds in place (`generator.manual_seed(seed)`): resets the engine and **both cached
    /// normal samples**; the flavour is kept.
    pub fn set_seed(&mut self, seed: u64) {
        self.seed = seed;
        self.next_double_normal = None;
        self.next_float_normal = None;
        // invariant: init_genrand with the low 32 bits (MT19937RNGEngine.h:156-165)
        self.state[0] = seed as u32;
        for j in 1..N {
            let prev = self.state[j - 1];
            self.state[j] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(j as u32);
        }
        self.pos = N;
    }

    /// `generator.initial_seed()`: the full 64-bit seed last given.
    pub fn initial_seed(&self) -> u64 {
        self.seed
    }

    fn twist(&mut self) {
        let st = &mut self.state;
        let mix = |u: u32, v: u32| -> u32 {
            let y = (u & UPPER_MASK) | (v & LOWER_MASK);
            (y >> 1) ^ if v & 1 == 1 { MATRIX_A } else { 0 }
        };
        for i in 0..N - M {
            st[i] = st[i + M] ^ mix(st[i], st[i + 1]);
        }
        for i in N - M..N - 1 {
            st[i] = st[i + M - N] ^ mix(st[i], st[i + 1]);
        }
        st[N - 1] = st[M - 1] ^ mix(st[N - 1], st[0]);
        self.pos = 0;
    }

    /// `CPUGeneratorImpl::random()`: one tempered 32-bit mt19937 output.
    #[inline]
    pub fn random(&mut self) -> u32 {
        if self.pos >= N {
            self.twist();
        }
        let mut y = self.state[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// `CPUGeneratorImpl::random64()`: two outputs, the first in the high word.
    #[inline]
    pub fn random64(&mut self) -> u64 {
        let hi = self.random() as u64;
        let lo = self.random() as u64;
        (hi << 32) | lo
    }

    /// The cached standard-normal sample (`next_double_normal_sample_`) that the next
    /// small-tensor `normal_` element will use, if any.
    pub fn next_double_normal_sample(&self) -> Option<f64> {
        self.next_double_normal
    }

    /// The float cache (`next_float_normal_sample_`): kept for state fidelity, never set by
    /// PyTorch's CPU kernels (they all use the double cache).
    pub fn next_float_normal_sample(&self) -> Option<f32> {
        self.next_float_normal
    }

    /// Bytes of `torch.Generator.get_state()` for a CPU generator (`CPUGeneratorImplState`).
    pub const TORCH_STATE_BYTES: usize = 5056;

    /// `generator.set_state(state)`: the generator whose `get_state()` is `state`, with kernel
    /// `flavor`. Layout (x86-64, little-endian, `CPUGeneratorImpl.cpp`): seed u64 @0, `left`
    /// i32 @8, `seeded` i32 @12, `next` u64 @16, 624 words as u64 @24, `normal_y` f64 @5024,
    /// `normal_is_valid` i32 @5040, float sample f32 @5048, its flag u8 @5052.
    ///
    /// # Errors
    /// [`crate::InitError::Unsupported`] for another size, an unseeded engine, or a
    /// `(left, next)` pair PyTorch never produces (`left == 1`, or `left + next == 625`).
    pub fn from_torch_state(state: &[u8], flavor: Flavor) -> crate::Result<Self> {
        let bad =
            |why: &str| crate::InitError::Unsupported(format!("torch generator state: {why}"));
        let rd = |at: usize, n: usize| -> u64 {
            (0..n).fold(0, |v, k| {
                v | u64::from(state.get(at + k).copied().unwrap_or(0)) << (8 * k)
            })
        };
        if state.len() != Self::TORCH_STATE_BYTES {
            return Err(bad(&format!(
                "expected {} bytes, got {}",
                Self::TORCH_STATE_BYTES,
                state.len()
            )));
        }
        let (left, next) = (rd(8, 4) as u32 as usize, rd(16, 8));
        let pos = match left {
            1 => N,
            l if l >= 2 && next <= N as u64 && l + next as usize == N + 1 => next as usize,
            _ => {
                return Err(bad(&format!(
                    "left = {left}, next = {next} is not an mt19937 position"
                )))
            }
        };
        if rd(12, 4) == 0 {
            return Err(bad("the engine is not seeded"));
        }
        let mut g = TorchGenerator {
            state: [0; N],
            pos,
            seed: rd(0, 8),
            flavor,
            next_double_normal: (rd(5040, 4) != 0).then(|| f64::from_bits(rd(5024, 8))),
            next_float_normal: (rd(5052, 1) != 0).then(|| f32::from_bits(rd(5048, 4) as u32)),
        };
        for (j, w) in g.state.iter_mut().enumerate() {
            *w = rd(24 + 8 * j, 8) as u32; // PyTorch's std::copy narrows to the low 32 bits
        }
        Ok(g)
    }

    /// `generator.get_state()` bytes of this generator (the layout of
    /// [`TorchGenerator::from_torch_state`]; unused fields and padding 0). A generator about to
    /// twist is written `left = 1, next = 624` (PyTorch writes `next = 0` right after seeding;
    /// both draw the same).
    pub fn torch_state(&self) -> Vec<u8> {
        let mut s = vec![0u8; Self::TORCH_STATE_BYTES];
        let mut put = |at: usize, b: &[u8]| s[at..at + b.len()].copy_from_slice(b);
        let (left, next) = if self.pos >= N {
            (1u32, N as u64)
        } else {
            ((N - self.pos + 1) as u32, self.pos as u64)
        };
        put(0, &self.seed.to_le_bytes());
        put(8, &left.to_le_bytes());
        put(12, &1u32.to_le_bytes());
        put(16, &next.to_le_bytes());
        for (j, w) in self.state.iter().enumerate() {
            put(24 + 8 * j, &u64::from(*w).to_le_bytes());
        }
        if let Some(y) = self.next_double_normal {
            put(5024, &y.to_le_bytes());
            put(5040, &1u32.to_le_bytes());
        }
        if let Some(f) = self.next_float_normal {
            put(5048, &f.to_le_bytes());
            put(5052, &[1]);
        }
        s
    }
}

impl TorchBits for TorchGenerator {
    fn random(&mut self) -> u32 {
        TorchGenerator::random(self)
    }
    fn random64(&mut self) -> u64 {
        TorchGenerator::random64(self)
    }
    fn flavor(&self) -> Flavor {
        self.flavor
    }
    fn take_double_normal(&mut self) -> Option<f64> {
        self.next_double_normal.take()
    }
    fn set_double_normal(&mut self, v: f64) {
        self.next_double_normal = Some(v);
    }
    fn discard(&mut self, mut k: u64) {
        while k > 0 {
            if self.pos >= N {
                self.twist();
            }
            let step = k.min((N - self.pos) as u64);
            self.pos += step as usize;
            k -= step;
        }
    }
}

impl RngCore for TorchGenerator {
    /// `random()`.
    fn next_u32(&mut self) -> u32 {
        self.random()
    }
    /// `random64()` (first draw in the high word).
    fn next_u64(&mut self) -> u64 {
        self.random64()
    }
    /// Little-endian bytes of successive `random()` outputs (one draw per 4 bytes or part).
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        for chunk in dst.chunks_mut(4) {
            let b = self.random().to_le_bytes();
            chunk.copy_from_slice(&b[..chunk.len()]);
        }
    }
}

impl Stream for TorchGenerator {
    /// `tensor.uniform_(low, high)`, `tensor.normal_(mean, std)` or
    /// `nn.init.trunc_normal_(tensor, mean, std, a, b)` (PyTorch ≥ 2.12); see
    /// [`torch_kernels`].
    fn sample<T: Element>(&mut self, sampler: &Sampler, out: &mut [T]) {
        torch_kernels::sample(self, sampler, out)
    }
    /// `torch.randperm(n)` (`randperm_cpu`). PyTorch's `sparse_` draws its permutations from
    /// the *default* generator even when `generator=` is given; nninit uses the same stream,
    /// which equals PyTorch whenever the default generator is the one seeded (the usual
    /// `torch.manual_seed(s)` case).
    fn randperm(&mut self, n: usize) -> Vec<usize> {
        torch_kernels::randperm(self, n)
    }
    /// `true`: `orthogonal` reproduces PyTorch's QR-based algorithm.
    fn mirrors_torch(&self) -> bool {
        true
    }
    /// Ignored: the generator continues where it is, as PyTorch's does.
    fn select_tensor(&mut self, _name: &str) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed0_first_outputs() {
        let mut g = TorchGenerator::manual_seed(0);
        assert_eq!(
            [g.random(), g.random(), g.random()],
            [0x8c7f_0aac, 0x97c4_aa2f, 0xb716_a675]
        );
    }

    #[test]
    fn standard_mt19937_5489() {
        // The 10000th output of std::mt19937 default-seeded (5489) is 4123659995 (C++ standard).
        let mut g = TorchGenerator::manual_seed(5489);
        let mut last = 0;
        for _ in 0..10_000 {
            last = g.random();
        }
        assert_eq!(last, 4_123_659_995);
    }

    #[test]
    fn only_low_32_bits_matter_and_negative_seeds() {
        let mut a = TorchGenerator::manual_seed(7);
        let mut b = TorchGenerator::manual_seed(7 + (1u64 << 32));
        assert_eq!(b.initial_seed(), 0x1_0000_0007);
        for _ in 0..1000 {
            assert_eq!(a.random(), b.random());
        }
        let n = TorchGenerator::manual_seed_i64(-1);
        assert_eq!(n.initial_seed(), u64::MAX);
        let mut n = n;
        let mut m = TorchGenerator::manual_seed(0xffff_ffff);
        assert_eq!(n.random64(), m.random64());
    }

    #[test]
    fn random64_high_word_first() {
        let mut a = TorchGenerator::manual_seed(3);
        let mut b = TorchGenerator::manual_seed(3);
        let hi = b.random() as u64;
        let lo = b.random() as u64;
        assert_eq!(a.random64(), (hi << 32) | lo);
        assert_eq!(a.next_u64(), b.next_u64());
        let mut bytes = [0u8; 6];
        a.fill_bytes(&mut bytes);
        let w0 = b.random().to_le_bytes();
        let w1 = b.random().to_le_bytes();
        assert_eq!(&bytes[..4], &w0);
        assert_eq!(&bytes[4..], &w1[..2]);
        assert_eq!(a.random(), b.random());
    }

    #[test]
    fn torch_state_round_trip() {
        let mut g = TorchGenerator::manual_seed(5);
        let mut x = [0f64; 1];
        for _ in 0..700 {
            g.random();
        }
        g.sample(&Sampler::standard_normal(), &mut x); // sets the double cache
        let bytes = g.torch_state();
        assert_eq!(bytes.len(), TorchGenerator::TORCH_STATE_BYTES);
        let mut h = TorchGenerator::from_torch_state(&bytes, Flavor::Avx2).unwrap();
        assert_eq!(h.torch_state(), bytes);
        assert_eq!(h.next_double_normal_sample(), g.next_double_normal_sample());
        for _ in 0..1000 {
            assert_eq!(h.random(), g.random());
        }
        let fresh = TorchGenerator::manual_seed(9).torch_state();
        let mut f = TorchGenerator::from_torch_state(&fresh, Flavor::Avx2).unwrap();
        assert_eq!(f.random(), TorchGenerator::manual_seed(9).random());
        assert!(TorchGenerator::from_torch_state(&fresh[1..], Flavor::Avx2).is_err());
        let mut odd = fresh.clone();
        odd[8] = 5; // left = 5 with next = 624
        assert!(TorchGenerator::from_torch_state(&odd, Flavor::Avx2).is_err());
    }

    #[test]
    fn reseed_clears_cache() {
        let mut g = TorchGenerator::manual_seed(0);
        let mut x = [0f64; 1];
        g.sample(&Sampler::standard_normal(), &mut x);
        assert!(g.next_double_normal_sample().is_some());
        g.set_seed(0);
        assert!(g.next_double_normal_sample().is_none());
        assert_eq!(TorchGenerator::default().initial_seed(), 67_280_421_310_721);
    }
}
