//! `nninit`: probe weight initialisations on real MNIST, fill tensors, print the methods table.

mod args;
mod cmd;
mod io;
mod report;

use clap::Parser;

fn main() {
    let cli = args::Cli::parse();
    if let Err(e) = cmd::run(cli) {
        // One line, no backtrace: the chain of causes joined with ": ".
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
