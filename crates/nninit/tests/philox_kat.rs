//! Philox4x32 known-answer vectors (Random123 `kat_vectors`, docs/theory.md §8.1) and the
//! self-generated shard-invariant design vectors of docs/theory.md §8.4.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use nninit::fill::{self, __private::TILE_BLOCKS};
use nninit::rng::philox::{philox4x32, philox4x32_10};
use nninit::{Par, Sampler, StreamKey};

const PI_CTR: [u32; 4] = [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344];
const PI_KEY: [u32; 2] = [0xa4093822, 0x299f31d0];

#[test]
fn random123_philox4x32_10() {
    assert_eq!(
        philox4x32_10([0; 4], [0; 2]),
        [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
    );
    assert_eq!(
        philox4x32_10([u32::MAX; 4], [u32::MAX; 2]),
        [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]
    );
    assert_eq!(
        philox4x32_10(PI_CTR, PI_KEY),
        [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]
    );
    // the generic-rounds form agrees
    assert_eq!(
        philox4x32(PI_CTR, PI_KEY, 10),
        philox4x32_10(PI_CTR, PI_KEY)
    );
}

#[test]
fn random123_philox4x32_7() {
    assert_eq!(
        philox4x32([0; 4], [0; 2], 7),
        [0x5f6fb709, 0x0d893f64, 0x4f121f81, 0x4f730a48]
    );
    assert_eq!(
        philox4x32([u32::MAX; 4], [u32::MAX; 2], 7),
        [0x5207ddc2, 0x45165e59, 0x4d8ee751, 0x8c52f662]
    );
    assert_eq!(
        philox4x32(PI_CTR, PI_KEY, 7),
        [0x4dfccaba, 0x190a87f0, 0xc47362ba, 0xb6b5242a]
    );
}

const KEY: StreamKey = StreamKey {
    seed: 1234,
    stream: 7,
};

#[test]
fn design_words_seed_1234_stream_7() {
    let want = [
        0x56e604f4u32,
        0x2107acfd,
        0xe9ac28d3,
        0x1debf147,
        0x324cbeba,
        0xacba3cf8,
        0xd4e428b4,
        0x11a504c1,
    ];
    for (i, w) in want.iter().enumerate() {
        assert_eq!(KEY.word(i as u64), *w, "element {i}");
    }
}

#[test]
#[allow(clippy::excessive_precision)] // values as Python printed them
fn design_uniforms_seed_1234_stream_7() {
    let want = [
        0.3394472599029541f32,
        0.12902331352233887,
        0.912783145904541,
        0.11688143014907837,
        0.19648349285125732,
        0.6747167110443115,
        0.831606388092041,
        0.0689241886138916,
    ];
    let mut got = [0f32; 8];
    fill::fill(
        &Sampler::uniform(0.0, 1.0).unwrap(),
        KEY,
        &mut got,
        Par::Seq,
    );
    assert_eq!(got, want);
    // Also when the 8 elements sit at the end of a longer fill (the batched kernel path).
    let n = TILE_BLOCKS * 4 * 3;
    let mut long = vec![0f32; n];
    fill::fill(
        &Sampler::uniform(0.0, 1.0).unwrap(),
        KEY,
        &mut long,
        Par::Seq,
    );
    assert_eq!(long[..8], want);
}

#[test]
fn design_box_muller_seed_1234_stream_7() {
    // docs/theory.md §8.4 prints 12 significant digits of the f64 Box–Muller values.
    let want = [
        1.012834927018f64,
        1.065381828404,
        0.31709754294,
        0.286291647125,
        -0.821850681006,
        -1.605899923878,
        0.551220794836,
        0.254848140411,
    ];
    let mut got = [0f64; 8];
    fill::fill(&Sampler::normal(0.0, 1.0).unwrap(), KEY, &mut got, Par::Seq);
    for (g, w) in got.iter().zip(want) {
        // half a unit of the 12th printed digit
        assert!((g - w).abs() <= 5e-12 * w.abs().max(0.1), "{g} vs {w}");
    }
    // f32 output: the same Box–Muller in f32 arithmetic (`fill::math`'s f32 functions), so
    // close to the f64 value, not equal: ln ≤ 2 ulp (ρ relative error ≤ ~2 ulp after the
    // square root), sin/cos ≤ 1.5e-7 absolute, two more roundings: |Δz| ≤ ρ·1.5e-7 + 4 ulp·|z|,
    // ρ ≤ 5.8 for 24-bit u1. A different pairing or word order would be O(1) off.
    let mut got32 = [0f32; 8];
    fill::fill(
        &Sampler::normal(0.0, 1.0).unwrap(),
        KEY,
        &mut got32,
        Par::Seq,
    );
    for (g32, g64) in got32.iter().zip(got) {
        let tol = 5.8 * 1.5e-7 + 4.0 * f64::from(f32::EPSILON) * g64.abs();
        assert!((f64::from(*g32) - g64).abs() <= tol, "{g32} vs {g64}");
    }
}
