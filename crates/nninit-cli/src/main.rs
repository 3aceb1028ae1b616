//! `nninit`: probe weight initialisations on real MNIST, fill tensors, print the methods table.

mod args;
mod checkpoint;
mod cmd;
mod experiment;
mod io;
mod report;
mod stream;

use clap::Parser;

fn main() {
    // before anything is written: a signal removes the temporary files and exits 130/143
    if let Err(e) = io::install_signal_cleanup() {
        eprintln!("warning: {e:#}; an interrupted write may leave a .nninit-* directory");
    }
    let cli = args::Cli::parse();
    if let Err(e) = cmd::run(cli) {
        // One line, no backtrace: the chain of causes joined with ": ", skipping a cause
        // whose text the line already holds.
        let mut line = e.to_string();
        for cause in e.chain().skip(1) {
            let c = cause.to_string();
            if !line.contains(&c) {
                line.push_str(": ");
                line.push_str(&c);
            }
        }
        eprintln!("error: {}", line.replace('\n', " "));
        std::process::exit(1);
    }
}
