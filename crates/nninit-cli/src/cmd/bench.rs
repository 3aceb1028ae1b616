//! `nninit bench`: GB/s of f32 written by the counter-based fills, against memset of the same
//! buffer in the same run (the ceiling), on one thread and on all threads, plus the seconds of
//! an orthogonal init. Median of `--runs` timed runs after one untimed warm-up; the buffer is
//! allocated and first-touched outside the timing.

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
    /// t_memset / t_op (same thread count, same run); 1.0 = memory speed.
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

/// Median and relative half-range of `runs` timings of `f` (after one warm-up call).
fn time(runs: usize, mut f: impl FnMut()) -> (f64, f64) {
    f();
    let mut t: Vec<f64> = (0..runs)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(|a, b| a.total_cmp(b));
    let med = t[t.len() / 2];
    let spread = (t[t.len() - 1] - t[0]) / 2.0 / med;
    (med, spread)
}

pub fn run(a: &BenchArgs) -> Result<()> {
    if a.size == 0 || a.runs == 0 || a.ortho_runs == 0 {
        bail!("--size, --runs and --ortho-runs must be >= 1 (--ortho 0 skips the orthogonal case)");
    }
    if a.ortho > 32768 {
        bail!(
            "--ortho {} is too large: at most 32768 (the init needs two copies of n² f32)",
            a.ortho
        );
    }
    let n = a.size;
    let bytes = n * 4;
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
        let (t_mem, sp_mem) = time(a.runs, || {
            if threads == 1 {
                buf_used.fill(0.0);
            } else {
                buf_used.par_chunks_mut(1 << 16).for_each(|c| c.fill(0.0));
            }
            std::hint::black_box(&mut *buf_used);
        });
        rows.push(Row {
            name: "memset".into(),
            threads,
            seconds: t_mem,
            gb_per_s: bytes as f64 / t_mem / 1e9,
            ratio_vs_memset: 1.0,
            spread: sp_mem,
        });
        for (name, init) in &cases {
            let mut err = None;
            let (t, sp) = time(a.runs, || {
                let mut s = Philox::new(0).with_par(par);
                if let Err(e) = init.fill(buf_used, &shape, Layout::Torch, &mut s) {
                    err = Some(e);
                }
                std::hint::black_box(&mut *buf_used);
            });
            if let Some(e) = err {
                return Err(e.into());
            }
            rows.push(Row {
                name: name.to_string(),
                threads,
                seconds: t,
                gb_per_s: (used * 4) as f64 / t / 1e9,
                ratio_vs_memset: t_mem / t,
                spread: sp,
            });
        }
    }
    drop(buf);
    let orthogonal = if a.ortho > 0 {
        let on = a.ortho;
        if on > 32768 {
            bail!("--ortho {on} is too large: at most 32768 (the init needs two copies of n² f32)");
        }
        let shape = Shape::new(&[on, on])?;
        let mut w = vec![0f32; shape.numel()];
        let init = Init::Orthogonal { gain: 1.0 };
        let mut err = None;
        let (t, _) = time(a.ortho_runs, || {
            let mut s = Philox::new(0).with_par(Par::all());
            if let Err(e) = init.fill(&mut w, &shape, Layout::Torch, &mut s) {
                err = Some(e);
            }
        });
        if let Some(e) = err {
            return Err(e.into());
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
            "f32 fills of {} elements ({:.0} MiB), median of {} runs, kernel {}\n",
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
                "orthogonal {}x{} ({} threads): {:.3} s\n",
                o.n, o.n, o.threads, o.seconds
            ))?;
        }
    }
    Ok(())
}
