//! Times one Philox fill kernel on one thread (for profiling with `perf`).
//! Run: cargo run --release -p nninit --example fill_kernel -- [uniform|normal|trunc_normal|trunc_normal_002] [MiElements] [reps] [avx512|avx2|baseline|threads=N]
//! (the last: force that kernel on one thread, or the best kernel on N threads; default the best
//! kernel on one thread)
use nninit::fill::__private::{fill_isa, Isa};
use nninit::{fill, Par, Sampler, StreamKey};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let which = args.get(1).map(String::as_str).unwrap_or("uniform");
    let n = args
        .get(2)
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(16)
        << 20;
    let reps = args
        .get(3)
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(10);
    let s = match which {
        "uniform" => Sampler::uniform(-1.0, 1.0)?,
        "normal" => Sampler::normal(0.0, 1.0)?,
        // PyTorch's trunc_normal_(std=0.02) bounds: ±2 absolute = ±100σ
        "trunc_normal_002" => Sampler::trunc_normal(0.0, 0.02, -2.0, 2.0)?,
        _ => Sampler::trunc_normal(0.0, 1.0, -2.0, 2.0)?,
    };
    let isa = match args.get(4).map(String::as_str) {
        Some("avx512") => Some(Isa::Avx512),
        Some("avx2") => Some(Isa::Avx2),
        Some("baseline") => Some(Isa::Baseline),
        _ => None,
    };
    let par = args
        .get(4)
        .and_then(|a| a.strip_prefix("threads="))
        .and_then(|n| n.parse::<usize>().ok())
        .map_or(Par::Seq, Par::threads);
    let run = |key: StreamKey, out: &mut [f32]| match isa {
        Some(isa) => fill_isa(isa, &s, key, 0, out, true),
        None => {
            fill::fill(&s, key, out, par);
            Ok(())
        }
    };
    let mut out = vec![0f32; n];
    run(StreamKey::new(1, 2), &mut out)?;
    let t = Instant::now();
    for r in 0..reps {
        run(StreamKey::new(1, r as u64), &mut out)?;
    }
    let ns = t.elapsed().as_secs_f64() * 1e9 / (reps * n) as f64;
    println!(
        "{which}: {ns:.3} ns/element ({par:?}), checksum {}",
        out[n / 3]
    );
    Ok(())
}
