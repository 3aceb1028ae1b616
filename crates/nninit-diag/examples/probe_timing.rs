//! Times the parts of a probe for each of the six default inits: init (construction +
//! model.apply), forward pass, statistics; with PyTorch's generator and with rand's StdRng.
//! Run: cargo run --release -p nninit-diag --example probe_timing -- [MNIST_DIR]
use nninit::{RngStream, Stream, TorchGenerator};
use nninit_diag::data::{Mnist, Split};
use nninit_diag::{Activation, DenseNet, ModelInit, Sequential};
use rand::SeedableRng;
use std::time::Instant;

fn run<S: Stream>(
    name: &str,
    x: &[f32],
    n: usize,
    mut make: impl FnMut() -> S,
) -> Result<(), Box<dyn std::error::Error>> {
    for init in [
        "pytorch-default",
        "xavier_uniform",
        "kaiming_uniform",
        "kaiming_normal",
        "normal:0.02",
        "zeros",
    ] {
        let mut model = Sequential::mlp(&[784, 256, 128, 10], Activation::Relu)?;
        let t = Instant::now();
        model.apply(&init.parse::<ModelInit>()?, &mut make())?;
        let t_init = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let _ = DenseNet::<f32>::new(&model)?.forward(x, n)?;
        let t_fwd = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let _ = model.forward_stats(x, n)?;
        let t_all = t.elapsed().as_secs_f64();
        println!(
            "{name:5} {init:16} init {t_init:.4}s forward {t_fwd:.4}s forward+stats {t_all:.4}s"
        );
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = match std::env::args().nth(1) {
        Some(d) => Mnist::load_dir(std::path::Path::new(&d), Split::Test)?,
        None => Mnist::embedded()?,
    };
    let n = data.n;
    let (x, _) = data.batch(0, n)?;
    run("torch", x, n, || TorchGenerator::manual_seed(0))?;
    run("torch", x, n, || TorchGenerator::manual_seed(0))?;
    run("std", x, n, || {
        RngStream(rand::rngs::StdRng::seed_from_u64(0))
    })?;
    Ok(())
}
