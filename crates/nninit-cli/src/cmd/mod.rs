//! Subcommands: each turns its arguments into library calls and a report.

pub mod audit;
pub mod bench;
pub mod fill;
pub mod gain;
pub mod lsuv;
pub mod materialize;
pub mod probe;
pub mod recipe;
pub mod table;
pub mod theory;
pub mod train;

use crate::args::{Cli, Command, ProbeArgs};
use clap::Parser;

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
        Some(Command::Recipe(a)) => recipe::run(&a),
        Some(Command::Materialize(a)) => materialize::run(&a),
        Some(Command::Audit(a)) => audit::run(&a),
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
