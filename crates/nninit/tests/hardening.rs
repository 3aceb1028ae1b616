//! Issue #17, core: streams that agree on their contracts, layouts honoured by structured
//! schemes, errors that name the fix.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure

mod common;

use half::{bf16, f16};
use nninit::{Element, Init, InitError, Layout, Philox, Shape, TorchGenerator};

fn fill<T: Element>(init: &Init, dims: &[usize], layout: Layout) -> Result<Vec<T>, InitError> {
    let shape = Shape::new(dims)?;
    let mut w = vec![T::ZERO; shape.numel()];
    init.fill(&mut w, &shape, layout, &mut Philox::new(3))?;
    Ok(w)
}

/// `b − a` overflowing f64 gave a constant tensor on Philox (torch and std gave inf/NaN, which
/// only the CLI caught): now every stream refuses it, as PyTorch's `uniform_` does.
#[test]
fn f64_uniform_overflow_is_refused_on_every_stream() {
    let init = Init::uniform(-1e308, 1e308);
    let shape = Shape::new(&[8]).unwrap();
    let mut w = vec![0f64; 8];
    let e = init.fill(&mut w, &shape, Layout::Torch, &mut Philox::new(0));
    assert!(
        matches!(e, Err(InitError::InvalidParam { name: "b - a", .. })),
        "{e:?}"
    );
    assert!(init
        .fill(
            &mut w,
            &shape,
            Layout::Torch,
            &mut TorchGenerator::manual_seed(0)
        )
        .is_err());
    assert!(init
        .fill(&mut w, &shape, Layout::Torch, &mut common::stream(0))
        .is_err());
    assert!(w.iter().all(|&x| x == 0.0));
    // a wide range that does not overflow still works
    assert!(Init::uniform(-1e307, 1e307)
        .fill(&mut w, &shape, Layout::Torch, &mut Philox::new(0))
        .is_ok());
}

/// bf16/f16 trunc_normal on the std stream rounded values near a bound outward (±0.3 →
/// ±0.30078 in bf16); now every value lies in [a, b], as on Philox.
#[test]
fn std_stream_low_precision_trunc_normal_stays_inside() {
    fn check<T: Element>() {
        let shape = Shape::new(&[100_000]).unwrap();
        for (a, b) in [(-0.3, 0.3), (0.1, 0.7), (-2.0, 2.0)] {
            let init = Init::trunc_normal(0.0, 1.0, a, b);
            for (name, w) in [
                ("std", {
                    let mut w = vec![T::ZERO; shape.numel()];
                    init.fill(&mut w, &shape, Layout::Torch, &mut common::stream(5))
                        .unwrap();
                    w
                }),
                ("philox", {
                    let mut w = vec![T::ZERO; shape.numel()];
                    init.fill(&mut w, &shape, Layout::Torch, &mut Philox::new(5))
                        .unwrap();
                    w
                }),
            ] {
                let out = w.iter().filter(|x| !(a..=b).contains(&x.to_f64())).count();
                assert_eq!(
                    out,
                    0,
                    "{name} {:?} [{a}, {b}]: {out} values outside",
                    T::DTYPE
                );
            }
        }
    }
    check::<bf16>();
    check::<f16>();
    check::<f32>();
}

#[test]
fn jax_layout_dirac_is_the_hwio_identity() {
    // (kh 3, kw 3, in 2, out 4), groups 2: out g*2 + d takes in d
    let w = fill::<f32>(&Init::dirac(2), &[3, 3, 2, 4], Layout::Jax).unwrap();
    let at = |h: usize, k: usize, i: usize, o: usize| ((h * 3 + k) * 2 + i) * 4 + o;
    let ones: Vec<usize> = (0..w.len()).filter(|&j| w[j] == 1.0).collect();
    let mut want = vec![
        at(1, 1, 0, 0),
        at(1, 1, 1, 1),
        at(1, 1, 0, 2),
        at(1, 1, 1, 3),
    ];
    want.sort();
    assert_eq!(ones, want);
    // torch layout unchanged: (out 4, in 2, 3, 3)
    let t = fill::<f32>(&Init::dirac(2), &[4, 2, 3, 3], Layout::Torch).unwrap();
    let at_t = |o: usize, i: usize| (o * 2 + i) * 9 + 4;
    let ones: Vec<usize> = (0..t.len()).filter(|&j| t[j] == 1.0).collect();
    assert_eq!(ones, [at_t(0, 0), at_t(1, 1), at_t(2, 0), at_t(3, 1)]);
    // groups must divide the out dim, which is the last one under jax
    assert!(matches!(
        fill::<f32>(&Init::dirac(3), &[3, 3, 2, 4], Layout::Jax),
        Err(InitError::BadGroups { dim0: 4, groups: 3 })
    ));
}

#[test]
fn jax_layout_orthogonal_flattens_like_jax() {
    // (3, 3, 4, 8) HWIO: JAX's orthogonal makes the (36, 8) matrix's columns orthonormal
    let w = fill::<f64>(&Init::orthogonal(1.0), &[3, 3, 4, 8], Layout::Jax).unwrap();
    for a in 0..8 {
        for b in 0..8 {
            let dot: f64 = (0..36).map(|r| w[r * 8 + a] * w[r * 8 + b]).sum();
            assert!((dot - if a == b { 1.0 } else { 0.0 }).abs() < 1e-12);
        }
    }
    // 2-D (in, out): the same matrix as the torch layout gives
    let j = fill::<f64>(&Init::orthogonal(1.0), &[6, 4], Layout::Jax).unwrap();
    let t = fill::<f64>(&Init::orthogonal(1.0), &[6, 4], Layout::Torch).unwrap();
    assert_eq!(j, t);
    assert!(fill::<f32>(&Init::sparse(0.5, 0.01), &[4, 4], Layout::Jax).is_err());
}

#[test]
fn rank_errors_point_to_the_right_scheme() {
    let e = fill::<f32>(&Init::Eye, &[8, 8, 3, 3], Layout::Torch).unwrap_err();
    assert!(e.to_string().contains("use dirac"), "{e}");
    let e = fill::<f32>(&Init::Eye, &[8, 8, 3], Layout::Torch).unwrap_err();
    assert!(e.to_string().contains("use dirac"), "{e}");
    let e = fill::<f32>(&Init::dirac(1), &[8, 8], Layout::Torch).unwrap_err();
    assert!(e.to_string().contains("use eye"), "{e}");
    let e = "foo".parse::<Layout>().unwrap_err();
    assert_eq!(
        e.to_string(),
        "unknown layout 'foo'; expected one of: torch, torch_transpose, jax"
    );
}
