//! The README's examples, run: every shown `nninit` session must print what the README says.
//!
//! Which blocks run (README.md, at the repository root):
//! - a ```` ```text ```` block whose first line starts with `$ ` is a session: each `$ ` line is
//!   a command (run by `bash -c` in a fresh temporary directory shared by the block, with the
//!   `nninit` built for this test first on `PATH`), the lines up to the next `$ ` its expected
//!   output (stdout, then stderr). In the expected text a line `...` stands for any number of
//!   lines and `[..]` for any text within a line (timings); trailing spaces and trailing empty
//!   lines are ignored.
//! - a ```` ```sh ```` block right after a line `<!-- readme-test: run -->` runs each line; each
//!   must exit 0 (its output is not compared).
//! - a line `<!-- readme-test: skip REASON -->` right before a block skips it;
//!   `<!-- readme-test: long REASON -->` runs it only with `README_LONG=1` (blocks that take more
//!   than ~30 s in a debug build, such as trainings).
//!
//! Regenerating: `UPDATE_README=1 cargo test -p nninit-cli --test readme` rewrites the expected
//! output of every session that differs (keeping `...` elisions, anchored at the line after them,
//! and `[..]` lines that still match); add `README_LONG=1` to include the long ones.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure

use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Run,
    Skip,
    Long,
}

/// One README block to check.
#[derive(Debug)]
struct Block {
    /// Line index (0-based) of the first line inside the fence.
    start: usize,
    /// Line index of the closing fence.
    end: usize,
    /// `text` (a session with outputs) or `sh` (commands that must succeed).
    session: bool,
    mode: Mode,
}

fn readme_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md")
}

/// The blocks the harness knows about, in order.
fn blocks(lines: &[&str]) -> Vec<Block> {
    let mut out = vec![];
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i].trim_end();
        if let Some(lang) = l.strip_prefix("```") {
            let lang = lang.trim();
            let marker = if i > 0 { lines[i - 1].trim() } else { "" };
            let end = (i + 1..lines.len())
                .find(|&k| lines[k].trim_end() == "```")
                .unwrap_or(lines.len());
            let mode = if marker.starts_with("<!-- readme-test: skip") {
                Some(Mode::Skip)
            } else if marker.starts_with("<!-- readme-test: long") {
                Some(Mode::Long)
            } else if marker.starts_with("<!-- readme-test: run") {
                Some(Mode::Run)
            } else {
                None
            };
            let session = lang == "text" && lines.get(i + 1).is_some_and(|f| f.starts_with("$ "));
            let sh = lang == "sh" && mode.is_some();
            if session || sh {
                out.push(Block {
                    start: i + 1,
                    end,
                    session,
                    mode: mode.unwrap_or(Mode::Run),
                });
            }
            i = end + 1;
        } else {
            i += 1;
        }
    }
    out
}

/// Runs `cmd` with bash in `dir`; returns (success, stdout followed by stderr).
fn run(cmd: &str, dir: &Path) -> (bool, String) {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_nninit"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(cmd)
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let mut text = String::from_utf8_lossy(&out.stdout).to_string();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

fn trimmed(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text.lines().map(|l| l.trim_end().to_string()).collect();
    while v.last().is_some_and(|l| l.is_empty()) {
        v.pop();
    }
    v
}

/// Whether `line` matches the expected `pat`, where `[..]` matches any text.
fn line_matches(pat: &str, line: &str) -> bool {
    let parts: Vec<&str> = pat.split("[..]").collect();
    if parts.len() == 1 {
        return pat == line;
    }
    let mut rest = line;
    for (k, p) in parts.iter().enumerate() {
        if k == 0 {
            match rest.strip_prefix(p) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if k == parts.len() - 1 {
            return rest.ends_with(p);
        } else {
            match rest.find(p) {
                Some(at) => rest = &rest[at + p.len()..],
                None => return false,
            }
        }
    }
    true
}

/// Whether `actual` matches `expected`, where a line `...` matches any number of lines.
fn matches(expected: &[String], actual: &[String]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((e, rest)) if e == "..." => (0..=actual.len()).any(|k| matches(rest, &actual[k..])),
        Some((e, rest)) => actual
            .split_first()
            .is_some_and(|(a, arest)| line_matches(e, a) && matches(rest, arest)),
    }
}

/// The new expected text for a command whose output no longer matches: the actual output,
/// with a `...` elision kept where its next expected line (the anchor) is found again, and
/// `[..]` lines kept where they still match the line at the same place.
fn regenerate(expected: &[String], actual: &[String]) -> Vec<String> {
    if let Some(dots) = expected.iter().position(|l| l == "...") {
        let head = &expected[..dots];
        let anchor = expected.get(dots + 1);
        if anchor.is_none() {
            // a trailing `...`: the head, then the rest elided
            let mut out: Vec<String> = actual[..head.len().min(actual.len())].to_vec();
            out.push("...".into());
            return out;
        }
        let at = anchor.and_then(|a| actual.iter().position(|l| line_matches(a, l)));
        if let Some(at) = at {
            let keep = head.len().min(at);
            let mut out: Vec<String> = actual[..keep].to_vec();
            out.push("...".into());
            out.extend(regenerate(&expected[dots + 1..], &actual[at..]));
            return out;
        }
    }
    actual
        .iter()
        .enumerate()
        .map(|(k, a)| match expected.get(k) {
            Some(e) if e.contains("[..]") && line_matches(e, a) => e.clone(),
            _ => a.clone(),
        })
        .collect()
}

#[test]
fn readme_examples_print_what_the_readme_shows() {
    let update = std::env::var_os("UPDATE_README").is_some();
    let long = std::env::var_os("README_LONG").is_some();
    let path = readme_path();
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let blocks = blocks(&lines);
    assert!(
        blocks.iter().filter(|b| b.session).count() >= 5,
        "the README's sessions were not found"
    );
    let mut failures = vec![];
    // (start, end) line ranges to replace, with their new lines
    let mut edits: Vec<(usize, usize, Vec<String>)> = vec![];
    for b in &blocks {
        if b.mode == Mode::Skip || (b.mode == Mode::Long && !long) {
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        // the README's commands run from the repository root: its files (testdata/...) are
        // reachable from the scratch directory the same way
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        #[cfg(unix)]
        std::os::unix::fs::symlink(root.join("testdata"), dir.path().join("testdata")).unwrap();
        let body = &lines[b.start..b.end];
        if !b.session {
            for cmd in body.iter().filter(|l| !l.trim().is_empty()) {
                let (ok, out) = run(cmd, dir.path());
                if !ok {
                    failures.push(format!("README line {}: `{cmd}` failed:\n{out}", b.start));
                }
            }
            continue;
        }
        // split into (command, expected lines)
        let mut cmds: Vec<(String, Vec<String>)> = vec![];
        for l in body {
            if let Some(c) = l.strip_prefix("$ ") {
                cmds.push((c.to_string(), vec![]));
            } else if let Some(last) = cmds.last_mut() {
                last.1.push(l.trim_end().to_string());
            }
        }
        let mut new_body = vec![];
        let mut changed = false;
        for (cmd, expected) in &cmds {
            let mut expected = expected.clone();
            while expected.last().is_some_and(|l| l.is_empty()) {
                expected.pop();
            }
            let (_, out) = run(cmd, dir.path());
            let actual = trimmed(&out);
            new_body.push(format!("$ {cmd}"));
            if matches(&expected, &actual) {
                new_body.extend(expected);
            } else {
                changed = true;
                failures.push(format!(
                    "README line {}: `{cmd}` printed\n{}\n--- but the README shows\n{}",
                    b.start,
                    actual.join("\n"),
                    expected.join("\n")
                ));
                new_body.extend(regenerate(&expected, &actual));
            }
        }
        if changed {
            edits.push((b.start, b.end, new_body));
        }
    }
    if update && !edits.is_empty() {
        let mut out: Vec<String> = vec![];
        let mut i = 0;
        for (start, end, new) in &edits {
            out.extend(lines[i..*start].iter().map(|l| l.to_string()));
            out.extend(new.iter().cloned());
            i = *end;
        }
        out.extend(lines[i..].iter().map(|l| l.to_string()));
        std::fs::write(&path, out.join("\n") + "\n").unwrap();
        eprintln!("rewrote {} README block(s)", edits.len());
        return;
    }
    assert!(
        failures.is_empty(),
        "{} README example(s) differ:\n\n{}\n\nregenerate with: UPDATE_README=1 cargo test -p \
         nninit-cli --test readme (README_LONG=1 to include the long ones)",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn harness_matching_rules() {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert!(line_matches("took [..] s", "took 0.25 s"));
    assert!(!line_matches("took [..] s", "took 0.25 ms!"));
    assert!(matches(&s(&["a", "...", "z"]), &s(&["a", "b", "c", "z"])));
    assert!(matches(&s(&["a", "...", "z"]), &s(&["a", "z"])));
    assert!(!matches(&s(&["a", "...", "z"]), &s(&["a", "b"])));
    assert!(!matches(&s(&["a"]), &s(&["a", "b"])));
    assert_eq!(
        regenerate(
            &s(&["h", "...", "anchor", "1"]),
            &s(&["h", "x", "y", "anchor", "2"])
        ),
        s(&["h", "...", "anchor", "2"])
    );
    let lines = [
        "```text",
        "$ nninit gain",
        "x",
        "```",
        "<!-- readme-test: skip why -->",
        "```text",
        "$ nninit a",
        "```",
    ];
    let b = blocks(&lines);
    assert_eq!(b.len(), 2);
    assert_eq!((b[0].start, b[0].end, b[0].mode), (1, 3, Mode::Run));
    assert_eq!(b[1].mode, Mode::Skip);
}
