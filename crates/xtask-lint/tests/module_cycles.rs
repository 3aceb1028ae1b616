//! Issue #12: no import cycles between the modules of a crate.
//!
//! Reads every workspace crate under `crates/` (its `src/lib.rs` and `src/main.rs` crate
//! roots) with the dependency-free checker in `xtask-lint` (the model is documented there:
//! modules are files, `#[cfg(test)]` code and comments are left out, edges follow `use` and
//! `crate::` / `super::` / `self::` paths to the module defining the item).
//!
//! * `module_graphs_load` (always runs): every crate's module files are found and the graph is
//!   built; the checker's own unit tests run as `cargo test -p xtask-lint --lib`.
//! * `no_import_cycles`: fails with one readable chain per cycle, each edge with its file:line.
//! * `print_module_graph`: the whole graph for humans:
//!   `cargo test -p xtask-lint --test module_cycles print_module_graph -- --ignored --nocapture`
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure

use std::path::{Path, PathBuf};

use xtask_lint::{analyze, format_cycles, format_graph, tangles, Crate, Graph};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `name = "…"` of the `[package]` table.
fn package_name(manifest: &str) -> Option<String> {
    let mut in_package = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package {
            if let Some(rest) = line.strip_prefix("name") {
                let v = rest
                    .trim_start()
                    .strip_prefix('=')?
                    .trim()
                    .trim_matches('"');
                return Some(v.to_string());
            }
        }
    }
    None
}

/// Every crate root (`lib.rs`, `main.rs`) of every package under `crates/`.
fn workspace_crates() -> Vec<Crate> {
    let root = workspace_root();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join("crates"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("Cargo.toml").is_file())
        .collect();
    dirs.sort();
    let mut out = Vec::new();
    for dir in dirs {
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        let name = package_name(&manifest).unwrap();
        let rel = dir
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let has_lib = dir.join("src/lib.rs").is_file();
        for (root_file, label) in [
            ("lib.rs", name.clone()),
            ("main.rs", format!("{name} (bin)")),
        ] {
            if dir.join("src").join(root_file).is_file() {
                let label = if has_lib { label } else { name.clone() };
                out.push(
                    Crate::from_dir(&label, &dir.join("src"), root_file, &format!("{rel}/src/"))
                        .unwrap(),
                );
            }
        }
    }
    out
}

fn graphs() -> Vec<Graph> {
    workspace_crates()
        .iter()
        .map(|c| analyze(c).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

#[test]
fn module_graphs_load() {
    let graphs = graphs();
    let names: Vec<&str> = graphs.iter().map(|g| g.crate_name.as_str()).collect();
    for expected in [
        "nninit",
        "nninit-diag",
        "nninit-cli",
        "nninit-py",
        "xtask-lint",
    ] {
        assert!(
            names.contains(&expected),
            "crate {expected} not found among {names:?}"
        );
    }
    for g in &graphs {
        // Single-file crates (the lint itself, the one-file PyO3 binding) have no edges to check.
        if !matches!(g.crate_name.as_str(), "xtask-lint" | "nninit-py") {
            assert!(
                g.modules.len() > 3,
                "{}: only {} modules",
                g.crate_name,
                g.modules.len()
            );
            assert!(!g.edges.is_empty(), "{}: no edges at all", g.crate_name);
        }
    }
}

// enforced for every crate (issue #12)
#[test]
fn no_import_cycles() {
    let graphs = graphs();
    let report: String = graphs.iter().map(format_cycles).collect();
    let n: usize = graphs.iter().map(|g| tangles(g).len()).sum();
    assert!(
        report.is_empty(),
        "{n} group(s) of modules import each other in a circle (issue #12); break each \
         cycle below (move the shared item down, or invert the dependency):\n\n{report}"
    );
}

#[test]
#[ignore = "prints the module graph; run with --ignored --nocapture"]
fn print_module_graph() {
    for g in graphs() {
        println!("{}", format_graph(&g));
        let cycles = format_cycles(&g);
        if cycles.is_empty() {
            println!("crate {}: no import cycles\n", g.crate_name);
        } else {
            println!("{cycles}");
        }
    }
}
