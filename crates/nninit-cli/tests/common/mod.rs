//! Helpers shared by the CLI test files.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure
#![allow(dead_code)]

use assert_cmd::Command;

pub fn nninit() -> Command {
    Command::cargo_bin("nninit").unwrap()
}

/// Runs with `args`, expects success, and parses stdout as JSON.
pub fn json_of(args: &[&str]) -> serde_json::Value {
    let out = nninit().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Runs with `args`, expects failure with exactly one stderr line starting `error:` that
/// contains `needle`.
pub fn fails_with(args: &[&str], needle: &str) {
    let out = nninit().args(args).output().unwrap();
    assert!(!out.status.success(), "{args:?} should fail");
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        lines.len(),
        1,
        "{args:?}: stderr should be one line, got {err:?}"
    );
    assert!(lines[0].starts_with("error:"), "{args:?}: {err}");
    assert!(
        lines[0].contains(needle),
        "{args:?}: '{needle}' not in {err}"
    );
    assert!(!err.contains("panicked"), "{args:?}: {err}");
}

/// A usage error caught by the argument parser: exit code 2, first line `error: ...`.
pub fn usage_error(args: &[&str], needle: &str) {
    let out = nninit().args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    let first = err.lines().next().unwrap_or("");
    assert!(
        first.starts_with("error:") && first.contains(needle),
        "{args:?}: {err}"
    );
}
