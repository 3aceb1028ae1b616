//! Times the parts of a probe: init, forward pass, statistics.
//! Run: cargo run --release -p nninit-diag --example probe_timing -- [DIR]
use nninit::RngStream;
use nninit_diag::data::{Mnist, Split};
use nninit_diag::{Activation, ModelInit, Sequential};
use rand::SeedableRng;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = match std::env::args().nth(1) {
        Some(d) => Mnist::load_dir(std::path::Path::new(&d), Split::Test)?,
        None => Mnist::embedded()?,
    };
    let n = data.n;
    let (x, _) = data.batch(0, n)?;
    let mut model = Sequential::mlp(&[784, 256, 128, 10], Activation::Relu)?;
    let t = Instant::now();
    model.apply(
        &"kaiming_normal".parse::<ModelInit>()?,
        &mut RngStream(rand::rngs::StdRng::seed_from_u64(0)),
    )?;
    let t_init = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let outs = model.forward_all(x, n)?;
    let t_fwd = t.elapsed().as_secs_f64();
    drop(outs);
    let t = Instant::now();
    let _ = model.forward_stats(x, n)?;
    let t_all = t.elapsed().as_secs_f64();
    println!("n={n} init {t_init:.4}s forward {t_fwd:.4}s forward+stats {t_all:.4}s");
    Ok(())
}
