//! Philox4x32-10: a counter-based generator whose every output is a pure function of
//! `(seed, stream, element index)`, so a fill is identical for any thread count or shard.
//!
//! Salmon, Moraes, Dror & Shaw (2011), *Parallel random numbers: as easy as 1, 2, 3*, SC'11,
//! doi:10.1145/2063384.2063405. The round function and constants follow Random123's
//! `philox.h` (checked against its known-answer vectors in `tests/philox_kat.rs`).
//!
//! # Counter layout (the shard-invariant design)
//! Element `i` of a tensor filled under [`StreamKey`] `{ seed, stream }` comes from the block
//! `w = philox4x32_10(counter = (lo32(b), hi32(b), lo32(stream), hi32(stream)),
//! key = (lo32(seed), hi32(seed)))` with `b = i >> 2`, word `i & 3` (f64 uniforms use two
//! words per element: `b = i >> 1`). The transforms from words to values, and the
//! [`Philox`](crate::Philox) stream that runs them, are in [`crate::fill`]. A tensor of up to
//! `2^64` blocks has a counter to itself per stream.

pub(crate) const M0: u32 = 0xD251_1F53;
pub(crate) const M1: u32 = 0xCD9E_8D57;
pub(crate) const W0: u32 = 0x9E37_79B9;
pub(crate) const W1: u32 = 0xBB67_AE85;

#[inline(always)]
fn mulhilo(a: u32, b: u32) -> (u32, u32) {
    let p = a as u64 * b as u64;
    ((p >> 32) as u32, p as u32)
}

#[inline(always)]
fn round(c: [u32; 4], k: [u32; 2]) -> [u32; 4] {
    let (hi0, lo0) = mulhilo(M0, c[0]);
    let (hi1, lo1) = mulhilo(M1, c[2]);
    [hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0]
}

/// Philox4x32 with `rounds` rounds (Random123 `philox4x32_R`): the key is bumped by the Weyl
/// constants `(0x9E3779B9, 0xBB67AE85)` before every round but the first.
///
/// `rounds = 10` is the standard generator ([`philox4x32_10`]); 7 is provided for the
/// reduced-round known-answer vectors.
#[inline(always)]
pub fn philox4x32(counter: [u32; 4], key: [u32; 2], rounds: usize) -> [u32; 4] {
    let mut c = counter;
    let mut k = key;
    for r in 0..rounds {
        if r > 0 {
            k = [k[0].wrapping_add(W0), k[1].wrapping_add(W1)];
        }
        c = round(c, k);
    }
    c
}

/// Philox4x32-10: the 128-bit counter `counter` encrypted under the 64-bit key `key`.
///
/// ```
/// // Random123 known-answer vector (all-zero counter and key).
/// assert_eq!(
///     nninit::rng::philox::philox4x32_10([0; 4], [0; 2]),
///     [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
/// );
/// ```
#[inline(always)]
pub fn philox4x32_10(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    // Unrolled by hand so that batched callers vectorise well.
    let mut c = round(counter, key);
    let mut k = key;
    for _ in 1..10 {
        k = [k[0].wrapping_add(W0), k[1].wrapping_add(W1)];
        c = round(c, k);
    }
    c
}

/// Which random numbers a tensor gets: the generator `seed` and a per-tensor `stream`.
///
/// Derive `stream` from a stable identifier of the parameter ([`StreamKey::from_name`] hashes
/// its path), not from creation order, so that adding a layer does not change the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct StreamKey {
    /// The generator seed (Philox key words `lo32(seed)`, `hi32(seed)`).
    pub seed: u64,
    /// The tensor's stream id (Philox counter words 2 and 3).
    pub stream: u64,
}

impl StreamKey {
    /// `{ seed, stream }`.
    pub fn new(seed: u64, stream: u64) -> Self {
        StreamKey { seed, stream }
    }

    /// `stream` = 64-bit FNV-1a hash of `name` (e.g. `"encoder.layers.3.attn.q_proj.weight"`):
    /// stable across runs, platforms and versions of this crate.
    ///
    /// ```
    /// let k = nninit::StreamKey::from_name(0, "fc1.weight");
    /// assert_eq!(k, nninit::StreamKey::from_name(0, "fc1.weight"));
    /// assert_ne!(k, nninit::StreamKey::from_name(0, "fc2.weight"));
    /// ```
    pub fn from_name(seed: u64, name: &str) -> Self {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in name.bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        StreamKey { seed, stream: h }
    }

    /// The Philox key words `(lo32(seed), hi32(seed))`.
    #[inline(always)]
    pub fn key_words(&self) -> [u32; 2] {
        [self.seed as u32, (self.seed >> 32) as u32]
    }

    /// The four words of block `block`: `philox4x32_10((lo32(block), hi32(block),
    /// lo32(stream), hi32(stream)), key_words())`.
    #[inline(always)]
    pub fn block(&self, block: u64) -> [u32; 4] {
        philox4x32_10(
            [
                block as u32,
                (block >> 32) as u32,
                self.stream as u32,
                (self.stream >> 32) as u32,
            ],
            self.key_words(),
        )
    }

    /// The 32-bit word of element `i` in the 4-words-per-block layout (`block(i >> 2)[i & 3]`).
    ///
    /// ```
    /// // docs/theory.md §8.4 self-generated vector: seed 1234, stream 7, element 0.
    /// assert_eq!(nninit::StreamKey::new(1234, 7).word(0), 0x56e604f4);
    /// ```
    pub fn word(&self, i: u64) -> u32 {
        self.block(i >> 2)[(i & 3) as usize]
    }
}
