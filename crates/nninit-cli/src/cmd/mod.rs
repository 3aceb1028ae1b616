//! Subcommands: each turns its arguments into library calls and a report.

pub mod bench;
pub mod fill;
pub mod gain;
pub mod lsuv;
pub mod probe;
pub mod table;
pub mod theory;
pub mod train;

use crate::args::{Cli, Command, ProbeArgs};
use anyhow::{bail, Context};
use clap::Parser;
use nninit::{Element, Flavor, RngStream, Sampler, Stream, TorchGenerator};
use rand::SeedableRng;

/// The random stream chosen by `--rng` (and `--flavor`).
#[allow(clippy::large_enum_variant)] // one per command, never moved in a loop
pub enum AnyStream {
    /// `--rng torch`: PyTorch's CPU generator, `torch.manual_seed(seed)`.
    Torch(TorchGenerator),
    /// `--rng std`: rand's StdRng through nninit's reference transforms.
    Std(RngStream<rand::rngs::StdRng>),
    /// `--rng philox`: counter-based Philox4x32-10 (values independent of the thread count).
    Philox(nninit::Philox),
}

impl AnyStream {
    /// Parses `--rng` / `--flavor` (default avx2; only meaningful, and only accepted, with
    /// `--rng torch`) and seeds the stream.
    pub fn new(rng: &str, flavor: Option<&str>, seed: u64) -> anyhow::Result<AnyStream> {
        if let (Some(f), false) = (flavor, rng == "torch") {
            bail!("--flavor {f} applies only to --rng torch (PyTorch's kernel builds), not --rng {rng}");
        }
        let flavor: Flavor = flavor.unwrap_or("avx2").parse().context("--flavor")?;
        Ok(match rng {
            "torch" => AnyStream::Torch(TorchGenerator::manual_seed(seed).with_flavor(flavor)),
            "std" => AnyStream::Std(RngStream(rand::rngs::StdRng::seed_from_u64(seed))),
            "philox" => AnyStream::Philox(nninit::Philox::new(seed)),
            other => bail!("unknown --rng '{other}'; expected one of: torch, std, philox"),
        })
    }

    /// Sets the thread count of a Philox stream (0 = all CPUs); other streams are sequential.
    pub fn with_threads(self, threads: usize) -> AnyStream {
        match self {
            AnyStream::Philox(p) => AnyStream::Philox(p.with_par(nninit::Par::threads(threads))),
            other => other,
        }
    }

    /// `torch (avx2)`, `torch (default)` or `std`, for reports.
    pub fn label(&self) -> String {
        match self {
            AnyStream::Torch(g) => format!("torch ({})", g.flavor()),
            AnyStream::Std(_) => "std".into(),
            AnyStream::Philox(_) => "philox".into(),
        }
    }
}

impl Stream for AnyStream {
    fn sample<T: Element>(&mut self, sampler: &Sampler, out: &mut [T]) {
        match self {
            AnyStream::Torch(g) => g.sample(sampler, out),
            AnyStream::Std(g) => g.sample(sampler, out),
            AnyStream::Philox(g) => g.sample(sampler, out),
        }
    }
    fn randperm(&mut self, n: usize) -> Vec<usize> {
        match self {
            AnyStream::Torch(g) => g.randperm(n),
            AnyStream::Std(g) => g.randperm(n),
            AnyStream::Philox(g) => g.randperm(n),
        }
    }
    fn mirrors_torch(&self) -> bool {
        match self {
            AnyStream::Torch(g) => g.mirrors_torch(),
            AnyStream::Std(g) => g.mirrors_torch(),
            AnyStream::Philox(g) => g.mirrors_torch(),
        }
    }
    fn select_tensor(&mut self, name: &str) {
        match self {
            AnyStream::Torch(g) => g.select_tensor(name),
            AnyStream::Std(g) => g.select_tensor(name),
            AnyStream::Philox(g) => g.select_tensor(name),
        }
    }
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Some(Command::Probe(a)) => probe::run(&a),
        Some(Command::Table(a)) => table::run(&a),
        Some(Command::Fill(a)) => fill::run(&a),
        Some(Command::Gain(a)) => gain::run(&a),
        Some(Command::Theory(a)) => theory::run(&a),
        Some(Command::Bench(a)) => bench::run(&a),
        Some(Command::Train(a)) => train::run(&a),
        Some(Command::Lsuv(a)) => lsuv::run(&a),
        // `nninit` alone runs the main job with its defaults.
        None => {
            let a = ProbeWrapper::parse_from(["nninit-probe"]).args;
            probe::run(&a)
        }
    }
}

#[derive(Parser)]
struct ProbeWrapper {
    #[command(flatten)]
    args: ProbeArgs,
}
