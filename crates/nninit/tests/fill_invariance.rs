//! Counter-based fills: every kernel (each ISA, forced) equals the one-element-at-a-time
//! scalar reference bit for bit; results do not depend on the thread count (1, 2, 7) or on
//! how the tensor is split into shards (random element splits, row ranges), for samplers and
//! for schemes via `Init`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use half::{bf16, f16};
use nninit::fill::{
    self,
    __private::{fill_isa, fill_reference, Isa, CHUNK, TILE_BLOCKS},
};
use nninit::{Element, Init, InitError, Layout, Par, Philox, Sampler, Shape, StreamKey};
use rand::{Rng, SeedableRng};

fn samplers() -> Vec<Sampler> {
    vec![
        Sampler::uniform(-0.5, 2.0).unwrap(),
        Sampler::uniform(1.0, 1.0).unwrap(),
        Sampler::normal(0.1, 0.02).unwrap(),
        Sampler::trunc_normal(0.0, 1.0, -2.0, 2.0).unwrap(),
        // f32 table path, asymmetric (p from 0.00135 to 0.84)
        Sampler::trunc_normal(0.0, 1.0, -3.0, 1.0).unwrap(),
        // f32 path reaching below the table (p from 2.9e-7: a few draws per million use
        // AS241 in f64)
        Sampler::trunc_normal(0.0, 1.0, -5.0, 1.0).unwrap(),
        // about 40% of draws below the table: vectors mixing table and fallback lanes
        Sampler::trunc_normal(0.0, 1.0, -4.5, -4.2).unwrap(),
        // PyTorch's default bounds at std 0.02 (±100σ; Φ(−100) underflows)
        Sampler::trunc_normal(0.0, 0.02, -2.0, 2.0).unwrap(),
        // window entirely in the upper tail (mirrored internally), reaching r > 5 in AS241
        Sampler::trunc_normal(0.0, 1.0, 6.5, 9.0).unwrap(),
        // lower tail, asymmetric
        Sampler::trunc_normal(1.0, 0.5, -3.0, 0.2).unwrap(),
    ]
}

fn keys() -> [StreamKey; 3] {
    [
        StreamKey::new(1234, 7),
        StreamKey::new(u64::MAX, u64::MAX - 3),
        StreamKey::new(0, 1 << 40),
    ]
}

/// Lengths 0..=67 and n−1, n, n+1 around vector widths, tile sizes and the chunk size.
fn lengths() -> Vec<usize> {
    let mut v: Vec<usize> = (0..=67).collect();
    for n in [
        128,
        256,
        TILE_BLOCKS * 2,
        TILE_BLOCKS * 4,
        TILE_BLOCKS * 8,
        CHUNK,
    ] {
        v.extend([n - 1, n, n + 1]);
    }
    v.sort_unstable();
    v.dedup();
    v
}

fn bits<T: Element>(xs: &[T]) -> Vec<u64> {
    xs.iter().map(|x| x.to_f64().to_bits()).collect()
}

fn kernels_equal_reference_for<T: Element>() {
    let isas = Isa::all_available();
    eprintln!("ISAs on this machine: {isas:?}");
    for s in samplers() {
        for (k, key) in keys().into_iter().enumerate() {
            for &n in &lengths() {
                // Unaligned starts: every offset within a block, plus a large start. The long
                // lengths (around the chunk size) run for one key and two starts only, to
                // keep the test fast at opt-level 1.
                let starts: &[u64] = if n > 1024 {
                    if k > 0 {
                        continue;
                    }
                    &[0, 3]
                } else {
                    &[0, 1, 2, 3, 5, 1 << 33]
                };
                for &start in starts {
                    let mut want = vec![T::ZERO; n];
                    fill_reference(&s, key, start, &mut want);
                    for &isa in &isas {
                        let mut got = vec![T::ZERO; n];
                        fill_isa(isa, &s, key, start, &mut got, false).unwrap();
                        assert!(
                            bits(&got) == bits(&want),
                            "{isa:?} {s:?} {key:?} n={n} start={start}"
                        );
                        // non-temporal stores, into a slice one element off any alignment
                        let mut buf = vec![T::ZERO; n + 1];
                        fill_isa(isa, &s, key, start, &mut buf[1..], true).unwrap();
                        assert!(
                            bits(&buf[1..]) == bits(&want),
                            "{isa:?} streaming {s:?} {key:?} n={n} start={start}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn kernels_equal_reference_f32() {
    kernels_equal_reference_for::<f32>();
}

#[test]
fn kernels_equal_reference_f64() {
    kernels_equal_reference_for::<f64>();
}

#[test]
fn kernels_equal_reference_half() {
    kernels_equal_reference_for::<bf16>();
    kernels_equal_reference_for::<f16>();
}

#[test]
fn unavailable_isa_is_an_error_not_a_crash() {
    for isa in [Isa::Baseline, Isa::Avx2, Isa::Avx512] {
        let mut v = [0f32; 4];
        let r = fill_isa(isa, &samplers()[0], keys()[0], 0, &mut v, false);
        assert_eq!(r.is_ok(), isa.available());
    }
}

#[test]
fn thread_count_does_not_change_values() {
    let n = CHUNK * 5 + 12345;
    for s in samplers() {
        let key = StreamKey::new(99, 3);
        let mut one = vec![0f32; n];
        fill::fill(&s, key, &mut one, Par::Seq);
        // 100000: capped (at the 6 chunks here), not 10⁵ OS threads
        for t in [2, 7, 100_000] {
            let mut many = vec![0f32; n];
            fill::fill(&s, key, &mut many, Par::threads(t));
            assert!(bits(&one) == bits(&many), "{s:?} threads={t}");
        }
        // and a sharded start with threads
        let mut part = vec![0f32; n - 777];
        fill::fill_range(&s, key, n, 777..n, &mut part, Par::threads(7)).unwrap();
        assert!(bits(&part) == bits(&one[777..]), "{s:?} shard+threads");
    }
}

#[test]
fn random_shard_splits_equal_the_whole() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(4);
    for (case, s) in samplers().into_iter().enumerate() {
        let n = 10_007 + case * 131;
        let key = StreamKey::new(case as u64, 11);
        let mut whole = vec![0f64; n];
        fill::fill(&s, key, &mut whole, Par::Seq);
        for _ in 0..10 {
            let mut cuts: Vec<usize> = (0..rng.random_range(1..9))
                .map(|_| rng.random_range(0..=n))
                .collect();
            cuts.extend([0, n]);
            cuts.sort_unstable();
            for w in cuts.windows(2) {
                let mut part = vec![0f64; w[1] - w[0]];
                fill::fill_range(&s, key, n, w[0]..w[1], &mut part, Par::Seq).unwrap();
                assert!(bits(&part) == bits(&whole[w[0]..w[1]]), "{s:?} {w:?}");
            }
        }
    }
}

fn inits() -> Vec<Init> {
    [
        "uniform:-0.1,0.3",
        "normal:0.02",
        "trunc_normal:0.02",
        "kaiming_uniform",
        "kaiming_normal",
        "xavier_uniform",
        "xavier_normal",
        "lecun_normal",
        "glorot_uniform",
        "he_normal",
        "constant:0.5",
        "orthogonal",
        "sparse:0.3",
        "eye",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect()
}

fn init_shards_for<T: Element>() {
    let shape = Shape::new(&[37, 53]).unwrap();
    let n = shape.numel();
    for (case, init) in inits().into_iter().enumerate() {
        let key = StreamKey::new(case as u64, 5);
        let mut whole = vec![T::ZERO; n];
        let mut stream = Philox::new(key.seed).with_stream(key.stream);
        init.fill(&mut whole, &shape, Layout::Torch, &mut stream)
            .unwrap();
        // 3 row shards (uneven)
        for rows in [0..12, 12..25, 25..37] {
            let mut part = vec![T::ZERO; rows.len() * 53];
            init.fill_rows(
                &mut part,
                &shape,
                Layout::Torch,
                key,
                rows.clone(),
                Par::Seq,
            )
            .unwrap();
            assert!(
                bits(&part) == bits(&whole[rows.start * 53..rows.end * 53]),
                "{init} rows {rows:?}"
            );
        }
        // 97-element chunks, with 7 threads
        for start in (0..n).step_by(97) {
            let end = (start + 97).min(n);
            let mut part = vec![T::ZERO; end - start];
            init.fill_range(
                &mut part,
                &shape,
                Layout::Torch,
                key,
                start..end,
                Par::threads(7),
            )
            .unwrap();
            assert!(bits(&part) == bits(&whole[start..end]), "{init} {start}");
        }
        // thread count of the whole fill
        let mut whole7 = vec![T::ZERO; n];
        let mut stream7 = Philox::new(key.seed)
            .with_stream(key.stream)
            .with_par(Par::threads(7));
        init.fill(&mut whole7, &shape, Layout::Torch, &mut stream7)
            .unwrap();
        assert!(bits(&whole7) == bits(&whole), "{init} threads");
    }
}

#[test]
fn init_shards_equal_the_whole_f32() {
    init_shards_for::<f32>();
}

#[test]
fn init_shards_equal_the_whole_other_dtypes() {
    init_shards_for::<f64>();
    init_shards_for::<bf16>();
}

#[test]
fn each_call_takes_a_fresh_stream() {
    let mut p = Philox::new(1);
    let shape = Shape::new(&[4, 8]).unwrap();
    let init: Init = "normal:1.0".parse().unwrap();
    let (mut a, mut b) = (vec![0f32; 32], vec![0f32; 32]);
    assert_eq!(p.next_stream(), 0);
    init.fill(&mut a, &shape, Layout::Torch, &mut p).unwrap();
    assert_eq!(p.next_stream(), 1);
    init.fill(&mut b, &shape, Layout::Torch, &mut p).unwrap();
    assert_ne!(a, b);
    let mut c = vec![0f32; 32];
    p.set_stream(1);
    init.fill(&mut c, &shape, Layout::Torch, &mut p).unwrap();
    assert_eq!(b, c);
}

#[test]
fn bad_ranges_and_params_write_nothing() {
    let s = samplers()[0];
    let key = keys()[0];
    let mut out = vec![7f32; 10];
    assert!(matches!(
        fill::fill_range(&s, key, 100, 95..105, &mut out, Par::Seq),
        Err(InitError::RangeOutOfBounds { .. })
    ));
    assert!(matches!(
        fill::fill_range(&s, key, 100, 0..11, &mut out, Par::Seq),
        Err(InitError::LenMismatch { .. })
    ));
    // invalid parameters cannot reach a fill: the sampler is not built
    assert!(matches!(
        Sampler::trunc_normal(0.0, 1.0, 1.0, 1.0),
        Err(InitError::EmptyRange { .. })
    ));
    assert!(Sampler::normal(f64::NAN, 1.0).is_err());
    let shape = Shape::new(&[5, 2]).unwrap();
    let init: Init = "kaiming_uniform".parse().unwrap();
    assert!(matches!(
        init.fill_rows(&mut out, &shape, Layout::Torch, key, 4..6, Par::Seq),
        Err(InitError::RangeOutOfBounds { .. })
    ));
    assert!(out.iter().all(|&x| x == 7.0));
}
