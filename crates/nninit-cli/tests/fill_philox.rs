//! `nninit fill --rng philox` and its bad-input handling; `nninit bench --json` schema.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{json_of, nninit};

fn json_fill(threads: &str) -> serde_json::Value {
    json_of(&[
        "fill",
        "--init",
        "kaiming_uniform",
        "--shape",
        "64,32",
        "--seed",
        "5",
        "--rng",
        "philox",
        "--threads",
        threads,
        "--out",
        "-",
    ])
}

#[test]
fn philox_fill_is_the_same_for_any_thread_count() {
    let a = json_fill("1");
    let b = json_fill("3");
    assert_eq!(a["data"], b["data"]);
    assert_eq!(a["rng"], "philox");
    let data = a["data"].as_array().unwrap();
    assert_eq!(data.len(), 64 * 32);
    let bound = (6.0f64 / 32.0).sqrt();
    assert!(data.iter().all(|x| x.as_f64().unwrap().abs() <= bound));
}

fn assert_one_line_error(args: &[&str]) -> String {
    let out = nninit().args(args).output().unwrap();
    assert!(!out.status.success(), "{args:?} should fail");
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.starts_with("error: "), "{err}");
    err
}

#[test]
fn bad_input_gives_one_line_and_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("w.npy");
    let out_s = out.to_str().unwrap();
    let base = ["fill", "--rng", "philox", "--out", out_s];
    let e =
        assert_one_line_error(&[&base[..], &["--init", "normal:0.02", "--shape", "3,-1"]].concat());
    assert!(e.contains("-1"), "{e}");
    let e = assert_one_line_error(&[&base[..], &["--init", "nosuch", "--shape", "3,4"]].concat());
    assert!(e.contains("unknown init"), "{e}");
    assert!(!out.exists());
    // unwritable output: a directory that does not exist
    let bad = dir.path().join("missing/w.npy");
    assert_one_line_error(&[
        "fill",
        "--rng",
        "philox",
        "--init",
        "normal:0.02",
        "--shape",
        "3,4",
        "--out",
        bad.to_str().unwrap(),
    ]);
    assert!(!bad.exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(leftovers.is_empty(), "partial files left: {leftovers:?}");
}

#[test]
fn zero_dim_shape_writes_an_empty_tensor() {
    let out = nninit()
        .args([
            "fill",
            "--init",
            "normal:0.02",
            "--shape",
            "0",
            "--rng",
            "philox",
            "--out",
            "-",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["shape"], serde_json::json!([0]));
    assert_eq!(v["data"], serde_json::json!([]));
}

#[test]
fn bench_json_has_its_keys() {
    let v = json_of(&[
        "bench",
        "--json",
        "--size",
        "65536",
        "--runs",
        "1",
        "--ortho",
        "64",
        "--ortho-runs",
        "1",
    ]);
    for k in [
        "elements",
        "bytes",
        "runs",
        "kernel",
        "threads_all",
        "rows",
        "orthogonal",
    ] {
        assert!(v.get(k).is_some(), "missing {k}");
    }
    let names: Vec<&str> = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    for n in [
        "memset",
        "uniform",
        "normal",
        "trunc_normal",
        "kaiming_uniform",
    ] {
        assert!(names.contains(&n), "missing row {n}");
    }
    for r in v["rows"].as_array().unwrap() {
        assert!(r["gb_per_s"].as_f64().unwrap() > 0.0);
        let ratio = r["ratio_vs_memset"].as_f64().unwrap();
        assert!(ratio.is_finite() && ratio > 0.0, "{r}");
        if r["name"] == "memset" {
            // the median of its rounds' t_memset / t_memset
            assert_eq!(ratio, 1.0);
        }
    }
}

#[test]
fn safetensors_output_is_byte_reproducible() {
    // The header's metadata map must come out in the same order every run.
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<Vec<u8>> = (0..4)
        .map(|i| {
            let p = dir.path().join(format!("w{i}.safetensors"));
            nninit()
                .args([
                    "fill",
                    "--init",
                    "xavier_uniform",
                    "--shape",
                    "8,4",
                    "--rng",
                ])
                .args(["philox", "--seed", "3", "--out"])
                .arg(&p)
                .assert()
                .success();
            std::fs::read(&p).unwrap()
        })
        .collect();
    assert!(files.windows(2).all(|w| w[0] == w[1]));
    let n = u64::from_le_bytes(files[0][..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&files[0][8..8 + n]).unwrap();
    assert!(
        header.contains(r#""__metadata__":{"init":"xavier_uniform"#),
        "{header}"
    );
}

/// Running out of memory is an error with a message, not an abort, and leaves no file. (The
/// .safetensors writer no longer makes a byte copy of the tensor, so the tensor itself is made
/// too large for the limit.)
#[test]
#[cfg(target_os = "linux")]
fn out_of_memory_is_an_error_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("big.safetensors");
    let bin = assert_cmd::cargo::cargo_bin("nninit");
    // 4·10⁸ f32 = 1.6 GB for the tensor under a 1.3 GB address-space limit
    let o = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v 1300000 && exec '{}' fill --init zeros --shape 40000,10000 --out '{}'",
            bin.display(),
            out.display()
        ))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("not enough memory"), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// `--out` through a symbolic link replaces the file it points to and keeps the link.
#[test]
#[cfg(unix)]
fn out_through_a_symlink_keeps_the_link() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.npy");
    let link = dir.path().join("link.npy");
    std::fs::write(&real, b"old").unwrap();
    std::os::unix::fs::symlink("real.npy", &link).unwrap();
    nninit()
        .args(["fill", "--init", "ones", "--shape", "3", "--out"])
        .arg(&link)
        .assert()
        .success();
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let bytes = std::fs::read(&real).unwrap();
    assert_eq!(&bytes[..6], b"\x93NUMPY");
    assert_eq!(bytes.len(), 128 + 12);
}

/// A symbolic-link loop is an error (not replaced by a file); a read-only target is refused;
/// an existing target keeps its permissions; nothing is left in the directory either way.
#[test]
#[cfg(unix)]
fn targets_links_and_permissions_are_respected() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.npy"), dir.path().join("b.npy"));
    std::os::unix::fs::symlink("b.npy", &a).unwrap();
    std::os::unix::fs::symlink("a.npy", &b).unwrap();
    let fill = |out: &std::path::Path| {
        nninit()
            .args(["fill", "--init", "ones", "--shape", "2", "--out"])
            .arg(out)
            .output()
            .unwrap()
    };
    let o = fill(&a);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("too many levels of symbolic links"));
    assert!(std::fs::symlink_metadata(&a)
        .unwrap()
        .file_type()
        .is_symlink());

    let ro = dir.path().join("ro.npy");
    std::fs::write(&ro, b"keep").unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o444)).unwrap();
    let o = fill(&ro);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("read-only"));
    assert_eq!(std::fs::read(&ro).unwrap(), b"keep");

    let m = dir.path().join("m.npy");
    std::fs::write(&m, b"old").unwrap();
    std::fs::set_permissions(&m, std::fs::Permissions::from_mode(0o640)).unwrap();
    assert!(fill(&m).status.success());
    let meta = std::fs::metadata(&m).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o640);
    assert_eq!(meta.len(), 128 + 8);

    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["a.npy", "b.npy", "m.npy", "ro.npy"]);
}
