//! Issue #17: no abort on low memory, nothing left behind on a signal, no flag silently
//! ignored, errors that name the fix. Each test failed before the fix it names.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure

mod common;

use common::{fails_with, nninit};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A usage error (exit 2) whose message mentions `needle` (clap may put it on a later line).
fn usage_error(args: &[&str], needle: &str) {
    let out = nninit().args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(
        err.starts_with("error:") && err.contains(needle),
        "{args:?}: {err}"
    );
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_nninit")
}

/// Runs `nninit ARGS` under `ulimit -v KIB` (in a bash subshell: the limit applies to that
/// process only), in `dir`; returns (exit code, stdout, stderr). A process killed by a signal
/// (the aborts this guards against: SIGABRT) gives `bash`'s 128 + signal.
fn limited(kib: u64, args: &str, dir: &Path) -> (i32, String, String) {
    let script = format!("ulimit -v {kib}; exec '{}' {args}", bin());
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// One `error:` line naming `needle`, exit 1, no panic or abort.
fn one_line_error(r: &(i32, String, String), needle: &str) {
    let (code, _, err) = r;
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(*code, 1, "exit code {code}, stderr {err}");
    assert_eq!(lines.len(), 1, "stderr should be one line: {err}");
    assert!(
        lines[0].starts_with("error:") && lines[0].contains(needle),
        "{err}"
    );
}

// ------------------------------------------------------------------ 1. out of memory

/// 150 M f32 = 572 MiB fit under the 1 GiB limit once, not twice: the torch stream's
/// `normal_` kept a second full-size buffer (SIGABRT), and `trunc_normal_` up to three. Now
/// they draw in place. `--out -` piped into `head` keeps the test off the disk (a closed
/// pipe ends the JSON quietly, exit 0).
#[test]
fn torch_stream_fills_need_no_second_buffer() {
    let dir = tempfile::tempdir().unwrap();
    for init in [
        "normal:1",
        "trunc_normal:0,1,-2,2",  // normal redraws (window mass > 0.3)
        "trunc_normal:0,1,1,1.5", // uniform proposals (mass 0.09)
    ] {
        let script = format!(
            "set -o pipefail; ulimit -v 1048576; '{}' fill --init {init} --shape 150000000 \
             --out - | head -c 100 > /dev/null",
            bin()
        );
        let out = Command::new("bash")
            .arg("-c")
            .arg(&script)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{init}: {:?} {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// faer's QR panicked (unwrap on its allocation error) when the orthogonal workspace did not
/// fit; now the memory is checked first: one line, exit 1, nothing written.
#[test]
fn orthogonal_out_of_memory_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let r = limited(
        2_000_000,
        "fill --init orthogonal --shape 12000,12000 --out o.npy",
        dir.path(),
    );
    one_line_error(&r, "not enough memory for orthogonal 12000x12000");
    assert!(!dir.path().join("o.npy").exists());
    let r = limited(
        2_000_000,
        "fill --init orthogonal --rng philox --shape 20000,20000 --out o.npy",
        dir.path(),
    );
    one_line_error(&r, "not enough memory");
}

/// `bench --ortho 32768` allocated its 4 GiB matrix with `vec!` (abort).
#[test]
fn bench_ortho_out_of_memory_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let r = limited(
        4_000_000,
        "bench --size 100 --ortho 32768 --runs 1 --ortho-runs 1",
        dir.path(),
    );
    one_line_error(&r, "--ortho 32768");
    assert!(r.2.contains("memory"), "{}", r.2);
}

// ------------------------------------------------------------------ 2. signals

/// Starts a big write, waits for its private temporary directory, checks it is 0700, sends
/// `signal`, and checks the exit code and that nothing is left.
fn interrupted_write_leaves_nothing(signal: &str, code: i32) {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(bin())
        .args([
            "fill",
            "--init",
            "normal:1",
            "--shape",
            "6000,6000",
            "--dtype",
            "f64",
            "--out",
            "big.npy",
        ])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let tmp = loop {
        let found = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .find(|e| e.file_name().to_string_lossy().starts_with(".nninit-"));
        if let Some(e) = found {
            break e.path();
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the write finished before a temporary directory was seen"
        );
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no temporary directory"
        );
        std::thread::sleep(Duration::from_millis(1));
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(m) = std::fs::metadata(&tmp) {
            assert_eq!(m.permissions().mode() & 0o777, 0o700, "{}", tmp.display());
        }
    }
    let kill = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = child.wait().unwrap();
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    if status.code() == Some(0) {
        // lost the race: the write finished before the signal; then the file is whole
        assert_eq!(left, ["big.npy"]);
        eprintln!("warning: the write finished before {signal} arrived");
        return;
    }
    assert_eq!(status.code(), Some(code), "{status:?}");
    assert!(left.is_empty(), "left behind after {signal}: {left:?}");
}

#[test]
fn sigint_during_a_write_leaves_nothing() {
    interrupted_write_leaves_nothing("-INT", 130);
}

#[test]
fn sigterm_during_a_write_leaves_nothing() {
    interrupted_write_leaves_nothing("-TERM", 143);
}

// ------------------------------------------------------------------ 3. FIFO

/// Reading a FIFO waits for a writer forever: refused like the MNIST loader does.
#[test]
fn weights_fifo_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("w.safetensors");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let out = nninit()
        .args(["probe", "--weights", fifo.to_str().unwrap()])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("not a regular file"), "{err}");
}

// ------------------------------------------------------------------ 4. streams, layouts

#[test]
fn philox_f64_uniform_overflow_is_refused() {
    for rng in ["philox", "torch", "std"] {
        fails_with(
            &[
                "fill",
                "--rng",
                rng,
                "--dtype",
                "f64",
                "--init",
                "uniform:-1e308,1e308",
                "--shape",
                "8",
                "--out",
                "-",
            ],
            "b - a",
        );
    }
}

#[test]
fn layout_jax_structured_schemes() {
    // dirac on an HWIO (3, 3, in 2, out 2) kernel: ones at [1, 1, d, d]
    let v = common::json_of(&[
        "fill", "--init", "dirac", "--layout", "jax", "--shape", "3,3,2,2", "--out", "-",
    ]);
    let data: Vec<f64> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    let ones: Vec<usize> = (0..data.len()).filter(|&i| data[i] == 1.0).collect();
    // index of [1, 1, d, d] in (3, 3, 2, 2) row-major: ((1*3 + 1)*2 + d)*2 + d
    assert_eq!(ones, [16, 19]);
    // orthogonal on HWIO (2, 2, 3, 4): the (12, 4) matrix has orthonormal columns
    let v = common::json_of(&[
        "fill",
        "--init",
        "orthogonal",
        "--layout",
        "jax",
        "--rng",
        "philox",
        "--dtype",
        "f64",
        "--shape",
        "2,2,3,4",
        "--out",
        "-",
    ]);
    let w: Vec<f64> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    for a in 0..4 {
        for b in 0..4 {
            let dot: f64 = (0..12).map(|r| w[r * 4 + a] * w[r * 4 + b]).sum();
            let want = if a == b { 1.0 } else { 0.0 };
            assert!((dot - want).abs() < 1e-12, "columns {a}, {b}: {dot}");
        }
    }
    fails_with(
        &[
            "fill",
            "--init",
            "sparse:0.5",
            "--layout",
            "jax",
            "--shape",
            "4,4",
            "--out",
            "-",
        ],
        "--layout torch",
    );
}

#[test]
fn rank_errors_name_the_fix() {
    fails_with(
        &["fill", "--init", "eye", "--shape", "8,8,3,3", "--out", "-"],
        "use dirac",
    );
    fails_with(
        &["fill", "--init", "dirac", "--shape", "8,8", "--out", "-"],
        "use eye",
    );
}

// ------------------------------------------------------------------ 5. flags

#[test]
fn flags_that_would_be_ignored_are_refused() {
    fails_with(
        &[
            "fill",
            "--init",
            "normal",
            "--shape",
            "4",
            "--threads",
            "2",
            "--out",
            "-",
        ],
        "--threads 2 applies only to --rng philox",
    );
    fails_with(
        &["probe", "--rng", "std", "--threads", "2"],
        "only to --rng philox",
    );
    fails_with(
        &[
            "train",
            "--optim",
            "adam",
            "--momentum",
            "0.5",
            "--epochs",
            "1",
        ],
        "--momentum 0.5 applies only to --optim sgd",
    );
    usage_error(&["probe", "--lr", "0.1"], "--grad");
    usage_error(&["probe", "--width", "64"], "--depth");
    usage_error(&["probe", "--arch", "784,10", "--depth", "3"], "--depth");
    usage_error(&["theory", "--sigma-b", "0.1"], "--sigma-w");
    usage_error(&["train", "--lr", "1e-400"], "underflows to 0");
    usage_error(&["train", "--lr", "1e400"], "not finite");
}

#[test]
fn messages_say_what_they_mean() {
    let out = nninit()
        .args([
            "fill", "--init", "normal", "--shape", "4", "--layout", "foo", "--out", "-",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown layout 'foo'") && !err.contains("bad parameters"),
        "{err}"
    );
    let help = nninit().args(["probe", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(!help.contains("';'"), "{help}");
    assert!(help.contains("Comma-separated list of inits"), "{help}");
    fails_with(
        &[
            "probe",
            "--init",
            "kaiming_uniform,normal:0.02,kaiming_uniform",
        ],
        "'kaiming_uniform' twice",
    );
    fails_with(
        &["probe", "--init", "normal:0.02,normal:std=0.02"],
        "are the same init",
    );
}

#[test]
fn fill_reports_success_and_warns_on_empty_tensors() {
    let dir = tempfile::tempdir().unwrap();
    let out = nninit()
        .current_dir(dir.path())
        .args([
            "fill",
            "--init",
            "kaiming_uniform",
            "--shape",
            "4,3",
            "--out",
            "w.npy",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "wrote w.npy: kaiming_uniform, shape (4, 3), f32, seed 0, rng torch (avx2)\n"
    );
    let out = nninit()
        .args(["fill", "--init", "normal", "--shape", "0,5", "--out", "-"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("Initializing zero-element tensors is a no-op"));
}

#[test]
fn one_epoch_is_singular() {
    let out = nninit()
        .args([
            "train", "--arch", "784,8,10", "--init", "zeros", "--epochs", "1", "--batch", "400",
        ])
        .output()
        .unwrap();
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(s.contains(", 1 epoch, ") && !s.contains("1 epochs"), "{s}");
}

#[test]
fn empty_mnist_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let img = [0u8, 0, 8, 3, 0, 0, 0, 0, 0, 0, 0, 28, 0, 0, 0, 28];
    let lab = [0u8, 0, 8, 1, 0, 0, 0, 0];
    for split in ["t10k", "train"] {
        std::fs::write(dir.path().join(format!("{split}-images-idx3-ubyte")), img).unwrap();
        std::fs::write(dir.path().join(format!("{split}-labels-idx1-ubyte")), lab).unwrap();
    }
    let d = dir.path().to_str().unwrap();
    fails_with(&["probe", "--mnist", d], "has no images");
    fails_with(
        &["lsuv", "--mnist", d, "--out", "x.safetensors"],
        "has no images",
    );
    fails_with(&["train", "--mnist", d], "has no images");
}

#[test]
fn weights_errors_name_the_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("small.safetensors");
    let s = small.to_str().unwrap();
    nninit()
        .args(["lsuv", "--arch", "784,32,10", "--out", s])
        .assert()
        .success();
    for args in [
        vec!["probe", "--arch", "784,64,10", "--weights", s],
        vec![
            "train",
            "--arch",
            "784,64,10",
            "--weights",
            s,
            "--epochs",
            "1",
        ],
    ] {
        let cmd = args[0];
        let out = nninit().args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(
            err.contains(&format!(
                "error: --weights {s}: tensor '0.weight' has shape [32, 784]"
            )),
            "{cmd}: {err}"
        );
        assert_eq!(err.matches("small.safetensors").count(), 1, "{cmd}: {err}");
    }
}
