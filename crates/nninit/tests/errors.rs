//! Every error case: a typed error, nothing written, the stream not advanced.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure

mod common;

use common::stream;
use nninit::{Init, InitError, Layout, Mode, Nonlinearity, RngStream, Shape};
use rand_core::RngCore;

fn expect_err(init: &Init, dims: &[usize], len: usize) -> InitError {
    let shape = Shape::new(dims).unwrap();
    let mut w = vec![7.0f32; len];
    let mut s = stream(1);
    let err = init
        .fill(&mut w, &shape, Layout::Torch, &mut s)
        .unwrap_err();
    assert!(
        w.iter().all(|&x| x == 7.0),
        "{init}: buffer written on error"
    );
    let RngStream(mut rng) = s;
    let RngStream(mut fresh) = stream(1);
    assert_eq!(
        rng.next_u64(),
        fresh.next_u64(),
        "{init}: stream advanced on error"
    );
    err
}

#[test]
fn error_cases() {
    use InitError::*;
    let k = Init::kaiming_uniform_default();
    assert!(matches!(expect_err(&k, &[5], 5), RankTooSmall { .. }));
    assert!(matches!(
        expect_err(&Init::xavier_normal(1.0), &[5], 5),
        RankTooSmall { .. }
    ));
    assert!(matches!(
        expect_err(&Init::normal(0.0, -1.0), &[2, 2], 4),
        InvalidStd { .. }
    ));
    assert!(matches!(
        expect_err(&Init::normal(0.0, f64::NAN), &[2, 2], 4),
        InvalidStd { .. }
    ));
    assert!(matches!(
        expect_err(&Init::normal(0.0, f64::INFINITY), &[2, 2], 4),
        InvalidStd { .. }
    ));
    assert!(matches!(
        expect_err(&Init::uniform(1.0, 0.0), &[2, 2], 4),
        EmptyRange { .. }
    ));
    assert!(matches!(
        expect_err(&Init::trunc_normal(0.0, 1.0, 1.0, 1.0), &[2, 2], 4),
        EmptyRange { .. }
    ));
    assert!(matches!(
        expect_err(&Init::trunc_normal(0.0, 1.0, 3.0, -3.0), &[2, 2], 4),
        EmptyRange { .. }
    ));
    // beyond ~36.4 std the window's mass is below what f64 resolves (2e-292)
    let e = expect_err(&Init::trunc_normal(0.0, 1.0, 40.0, 41.0), &[2, 2], 4).to_string();
    assert!(e.contains("too little probability mass"), "{e}");
    assert!(matches!(
        expect_err(
            &Init::Sparse {
                sparsity: 1.0,
                std: 0.01
            },
            &[4, 4],
            16
        ),
        InvalidSparsity { .. }
    ));
    assert!(matches!(
        expect_err(
            &Init::Sparse {
                sparsity: -0.1,
                std: 0.01
            },
            &[4, 4],
            16
        ),
        InvalidSparsity { .. }
    ));
    assert!(matches!(
        expect_err(&Init::Eye, &[2, 2, 2], 8),
        WrongRank { .. }
    ));
    assert!(matches!(
        expect_err(&Init::Dirac { groups: 1 }, &[2, 2], 4),
        WrongRank { .. }
    ));
    assert!(matches!(
        expect_err(&Init::Dirac { groups: 3 }, &[4, 2, 3], 24),
        BadGroups { .. }
    ));
    assert!(matches!(
        expect_err(&Init::Orthogonal { gain: 1.0 }, &[4], 4),
        WrongRank { .. }
    ));
    assert!(matches!(
        expect_err(
            &Init::Sparse {
                sparsity: 0.5,
                std: 0.1
            },
            &[4, 2, 2],
            16
        ),
        WrongRank { .. }
    ));
    assert!(matches!(expect_err(&k, &[4, 4], 15), LenMismatch { .. }));
    assert!(matches!(
        expect_err(
            &Init::variance_scaling(-1.0, Mode::FanIn, nninit::Dist::Normal),
            &[2, 2],
            4
        ),
        InvalidParam { .. }
    ));
    assert!(matches!(
        expect_err(&Init::xavier_uniform(f64::NAN), &[2, 2], 4),
        InvalidParam { .. }
    ));
}

#[test]
fn zero_fan_on_resolve_and_no_op_on_fill() {
    let shape = Shape::new(&[0, 5]).unwrap();
    let k = Init::kaiming_normal(0.0, Mode::FanOut, Nonlinearity::Relu);
    assert!(matches!(
        k.resolve(&shape, Layout::Torch),
        Err(InitError::ZeroFan { .. })
    ));
    // fill of a zero-element tensor: Ok, no draws (as PyTorch).
    let mut s = stream(3);
    let mut w: Vec<f32> = vec![];
    k.fill(&mut w, &shape, Layout::Torch, &mut s).unwrap();
    let RngStream(mut a) = s;
    let RngStream(mut b) = stream(3);
    assert_eq!(a.next_u64(), b.next_u64());
}

#[test]
fn shape_overflow_and_messages() {
    assert!(matches!(
        Shape::new(&[usize::MAX, 2]),
        Err(InitError::ShapeOverflow { .. })
    ));
    let e = nninit::fan_in_and_fan_out(&[3]).unwrap_err().to_string();
    assert!(e.contains("at least 2 dims") && e.contains("[3]"), "{e}");
    let e = "kaiming_unifrom".parse::<Init>().unwrap_err().to_string();
    assert!(
        e.contains("unknown init 'kaiming_unifrom'") && e.contains("kaiming_uniform"),
        "{e}"
    );
    let e = Init::normal(0.0, -1.0).validate().unwrap_err().to_string();
    assert!(e.contains("-1"), "{e}");
}
