//! `nninit bench`: GB/s of f32 written by the counter-based fills, against memset of the same
//! buffer in the same run (the ceiling), on one thread and on all threads, plus the seconds of
//! an orthogonal init. `--runs` timed rounds after one untimed warm-up round; each round times
//! memset and then every fill, one after the other, so that each fill's ratio to memset is taken
//! against a memset of the same few seconds (this guest's memory bandwidth drifts by ±20% from
//! minute to minute): the table gives each op's median time and the median of its per-round
//! ratios. The buffer is allocated and first-touched outside the timing.

use crate::args::BenchArgs;
use anyhow::{bail, Result};
use nninit::{Init, Layout, Par, Philox, Shape};
use rayon::prelude::*;
use serde::Serialize;
use std::time::Instant;

#[derive(Serialize)]
struct Row {
    name: String,
    threads: usize,
    /// Median seconds of one fill.
    seconds: f64,
    /// Bytes written per second / 1e9.
    gb_per_s: f64,
    /// Median over the rounds of t_memset / t_op (same thread count, same round); 1.0 =
    /// memory speed.
    ratio_vs_memset: f64,
    /// (max − min)/2 of the runs, relative to the median.
    spread: f64,
}

#[derive(Serialize)]
struct BenchReport {
    elements: usize,
    bytes: usize,
    runs: usize,
    kernel: &'static str,
    threads_all: usize,
    rows: Vec<Row>,
    orthogonal: Option<Ortho>,
}

#[derive(Serialize)]
struct Ortho {
    n: usize,
    threads: usize,
    seconds: f64,
}

/// Median and relative half-range of timings.
fn median_spread(t: &[f64]) -> (f64, f64) {
    let mut t = t.to_vec();
    t.sort_by(|a, b| a.total_cmp(b));
    let med = t[t.len() / 2];
    let spread = (t[t.len() - 1] - t[0]) / 2.0 / med;
    (med, spread)
}

/// Median and relative half-range of `runs` timings of `f` (after one warm-up call).
fn time(runs: usize, mut f: impl FnMut()) -> (f64, f64) {
    f();
    let t: Vec<f64> = (0..runs)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .collect();
    median_spread(&t)
}

pub fn run(a: &BenchArgs) -> Result<()> {
    if a.size == 0 || a.runs == 0 || (a.ortho > 0 && a.ortho_runs == 0) {
        bail!("--size, --runs and --ortho-runs must be >= 1 (--ortho 0 skips the orthogonal case)");
    }
    if a.runs > 10_000 || a.ortho_runs > 10_000 {
        bail!("--runs and --ortho-runs must be at most 10000");
    }
    if a.ortho > 32768 {
        bail!(
            "--ortho {} is too large: at most 32768 (the init needs two copies of n² f32)",
            a.ortho
        );
    }
    let n = a.size;
    let all = rayon::current_num_threads();
    let mut buf: Vec<f32> = Vec::new();
    buf.try_reserve_exact(n).map_err(|_| {
        anyhow::anyhow!(
            "--size {n}: not enough memory ({} MiB)",
            (n as u128 * 4) >> 20
        )
    })?;
    buf.resize(n, 0.0);
    // first touch outside timing
    buf.par_chunks_mut(1 << 16).for_each(|c| c.fill(1.0));
    let cols = 1024.min(n);
    let shape = Shape::new(&[n / cols, cols])?;
    let cases: Vec<(&str, Init)> = vec![
        ("uniform", "uniform:-1,1".parse()?),
        ("normal", "normal:0,1".parse()?),
        ("trunc_normal", "trunc_normal:0,1,-2,2".parse()?),
        ("kaiming_uniform", "kaiming_uniform".parse()?),
    ];
    let used = shape.numel();
    let mut rows = vec![];
    let mut thread_counts = vec![1];
    if all > 1 {
        thread_counts.push(all);
    }
    for &threads in &thread_counts {
        let par = Par::threads(threads);
        let buf_used = &mut buf[..used];
        // op 0 is memset, op k ≥ 1 is cases[k − 1]; one call, timed
        let mut run_op = |k: usize| -> Result<f64> {
            let s = Instant::now();
            if k == 0 {
                if threads == 1 {
                    buf_used.fill(0.0);
                } else {
                    buf_used.par_chunks_mut(1 << 16).for_each(|c| c.fill(0.0));
                }
            } else {
                let mut st = Philox::new(0).with_par(par);
                cases[k - 1]
                    .1
                    .fill(buf_used, &shape, Layout::Torch, &mut st)?;
            }
            std::hint::black_box(&mut *buf_used);
            Ok(s.elapsed().as_secs_f64())
        };
        let ops = cases.len() + 1;
        for k in 0..ops {
            run_op(k)?; // warm-up round
        }
        let mut t = vec![vec![0.0; a.runs]; ops];
        for r in 0..a.runs {
            for (k, tk) in t.iter_mut().enumerate() {
                tk[r] = run_op(k)?;
            }
        }
        for (k, tk) in t.iter().enumerate() {
            let (med, spread) = median_spread(tk);
            let ratios: Vec<f64> = t[0].iter().zip(tk).map(|(m, x)| m / x).collect();
            let (ratio, _) = median_spread(&ratios);
            rows.push(Row {
                name: if k == 0 { "memset" } else { cases[k - 1].0 }.to_string(),
                threads,
                seconds: med,
                gb_per_s: (used * 4) as f64 / med / 1e9,
                ratio_vs_memset: ratio,
                spread,
            });
        }
    }
    drop(buf);
    let orthogonal = if a.ortho > 0 {
        let on = a.ortho;
        let shape = Shape::new(&[on, on])?;
        let mut w: Vec<f32> = Vec::new();
        w.try_reserve_exact(shape.numel()).map_err(|_| {
            anyhow::anyhow!(
                "--ortho {on}: not enough memory for the {on}x{on} f32 matrix ({} MiB); use a \
                 smaller --ortho (0 skips it)",
                (shape.numel() as u128 * 4) >> 20
            )
        })?;
        w.resize(shape.numel(), 0.0);
        let init = Init::Orthogonal { gain: 1.0 };
        let mut err = None;
        let (t, _) = time(a.ortho_runs, || {
            let mut s = Philox::new(0).with_par(Par::all());
            if let Err(e) = init.fill(&mut w, &shape, Layout::Torch, &mut s) {
                err = Some(e);
            }
        });
        if let Some(e) = err {
            return Err(anyhow::Error::new(e).context(format!("--ortho {on}")));
        }
        Some(Ortho {
            n: on,
            threads: all,
            seconds: t,
        })
    } else {
        None
    };
    let report = BenchReport {
        elements: used,
        bytes: used * 4,
        runs: a.runs,
        kernel: nninit::fill::kernel_name(),
        threads_all: all,
        rows,
        orthogonal,
    };
    if a.json {
        crate::io::print_stdout(&format!("{}\n", serde_json::to_string_pretty(&report)?))?;
    } else {
        crate::io::print_stdout(&format!(
            "f32 fills of {} elements ({:.0} MiB), {} rounds (median; ratio: median of the rounds' t_memset / t_op), kernel {}\n",
            report.elements,
            report.bytes as f64 / (1 << 20) as f64,
            report.runs,
            report.kernel
        ))?;
        crate::io::print_stdout(&format!(
            "{:<16} {:>7} {:>10} {:>8} {:>10} {:>7}\n",
            "op", "threads", "ms", "GB/s", "vs memset", "spread"
        ))?;
        for r in &report.rows {
            crate::io::print_stdout(&format!(
                "{:<16} {:>7} {:>10.2} {:>8.2} {:>9.0}% {:>6.1}%\n",
                r.name,
                r.threads,
                r.seconds * 1e3,
                r.gb_per_s,
                r.ratio_vs_memset * 100.0,
                r.spread * 100.0
            ))?;
        }
        if let Some(o) = &report.orthogonal {
            crate::io::print_stdout(&format!(
                "orthogonal {}x{} ({} threads): {:.4} s\n",
                o.n, o.n, o.threads, o.seconds
            ))?;
        }
    }
    Ok(())
}
