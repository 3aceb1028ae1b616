//! MNIST IDX reader: the embedded subset, the full data set when it is present, and rejection of
//! malformed input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;
use nninit_diag::data::{Mnist, Normalize, Split};

const TEST_COUNTS: [usize; 10] = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];
const TRAIN_COUNTS: [usize; 10] = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];

/// The full MNIST set shared with the project (`../shared/data/mnist` from the repository).
fn shared_mnist() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/mnist");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("skipped: {} not present", dir.display());
        None
    }
}

fn idx(magic: u32, dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut v = magic.to_be_bytes().to_vec();
    for d in dims {
        v.extend_from_slice(&d.to_be_bytes());
    }
    v.extend_from_slice(data);
    v
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// A valid little data set: `n` images of 28x28 and labels `i % 10`.
fn images(n: u32) -> Vec<u8> {
    let px: Vec<u8> = (0..n * 784).map(|i| (i % 256) as u8).collect();
    idx(0x803, &[n, 28, 28], &px)
}

fn labels(n: u32) -> Vec<u8> {
    let l: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
    idx(0x801, &[n], &l)
}

fn err_of(images: &[u8], labels: &[u8]) -> String {
    match Mnist::from_idx_bytes(images, labels, Path::new("built-in-test")) {
        Ok(m) => panic!("expected an error, got {} images", m.n),
        Err(e) => e.to_string(),
    }
}

#[test]
fn embedded_subset_loads() {
    let m = Mnist::embedded().unwrap();
    assert_eq!((m.n, m.rows, m.cols), (2000, 28, 28));
    assert_eq!(m.images.len(), 2000 * 784);
    assert_eq!(m.labels.len(), 2000);
    assert!(m.images.iter().all(|&x| (0.0..=1.0).contains(&x)));
    assert!(m.images.contains(&1.0) && m.images.contains(&0.0));
    let counts = m.label_counts();
    assert_eq!(counts.iter().sum::<usize>(), 2000);
    assert!(counts.iter().all(|&c| c > 150), "{counts:?}");
    assert_eq!(m.normalization, Normalize::Unit);

    let Some(dir) = shared_mnist() else { return };
    let full = Mnist::load_dir(&dir, Split::Test).unwrap();
    let first = full.take(2000);
    assert_eq!(first.label_counts(), counts);
    assert_eq!(first.labels, m.labels);
    assert_eq!(first.images, m.images);
}

#[test]
fn embedded_subset_normalizes() {
    let mut m = Mnist::embedded().unwrap();
    m.normalize(Normalize::Standard);
    assert_eq!(m.normalization, Normalize::Standard);
    let mean = m.images.iter().map(|&x| f64::from(x)).sum::<f64>() / m.images.len() as f64;
    let var = m
        .images
        .iter()
        .map(|&x| (f64::from(x) - mean).powi(2))
        .sum::<f64>()
        / m.images.len() as f64;
    // The constants are the training-set statistics; the test subset is close to them.
    assert!(mean.abs() < 0.05, "mean {mean}");
    assert!((var.sqrt() - 1.0).abs() < 0.05, "std {}", var.sqrt());
    let min = m.images.iter().copied().fold(f32::INFINITY, f32::min);
    assert!((min - (-0.1307 / 0.3081)).abs() < 1e-6);
}

#[test]
fn batches() {
    let m = Mnist::embedded().unwrap();
    let (x, y) = m.batch(1990, 10).unwrap();
    assert_eq!((x.len(), y.len()), (7840, 10));
    assert_eq!(y, &m.labels[1990..]);
    let e = m.batch(1995, 10).unwrap_err().to_string();
    assert!(e.contains("out of range") && e.contains("2000"), "{e}");
    assert!(m.batch(usize::MAX, 2).is_err());
}

#[test]
fn full_data_set_when_present() {
    let Some(dir) = shared_mnist() else { return };
    let test = Mnist::load_dir(&dir, Split::Test).unwrap();
    assert_eq!((test.n, test.rows, test.cols), (10_000, 28, 28));
    assert_eq!(test.images.len(), 10_000 * 784);
    assert_eq!(test.label_counts(), TEST_COUNTS);
    let train = Mnist::load_dir(&dir, Split::Train).unwrap();
    assert_eq!((train.n, train.rows, train.cols), (60_000, 28, 28));
    assert_eq!(train.label_counts(), TRAIN_COUNTS);
    // The normalisation constants are the training set's statistics.
    let mean = train.images.iter().map(|&x| f64::from(x)).sum::<f64>() / train.images.len() as f64;
    assert!((mean - 0.1307).abs() < 1e-4, "mean {mean}");
}

#[test]
fn raw_and_gzip_agree_and_load_dir_finds_both() {
    let (i, l) = (images(5), labels(5));
    let raw = Mnist::from_idx_bytes(&i, &l, Path::new("raw")).unwrap();
    let gz = Mnist::from_idx_bytes(&gzip(&i), &gzip(&l), Path::new("gz")).unwrap();
    let mixed = Mnist::from_idx_bytes(&gzip(&i), &l, Path::new("mixed")).unwrap();
    assert_eq!(raw, gz);
    assert_eq!(raw, mixed);
    assert_eq!(raw.labels, vec![0, 1, 2, 3, 4]);

    let dir = std::env::temp_dir().join(format!("nninit-diag-mnist-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("t10k-images-idx3-ubyte"), &i).unwrap();
    std::fs::write(dir.join("t10k-labels-idx1-ubyte.gz"), gzip(&l)).unwrap();
    let from_dir = Mnist::load_dir(&dir, Split::Test);
    // Train files are absent: the error names what was expected.
    let missing = Mnist::load_dir(&dir, Split::Train).unwrap_err().to_string();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(from_dir.unwrap(), raw);
    assert!(
        missing.contains("train-images-idx3-ubyte") && missing.contains("train-labels-idx1-ubyte"),
        "{missing}"
    );
}

#[test]
fn rejects_truncated_file() {
    let mut i = images(3);
    i.truncate(i.len() - 100);
    let e = err_of(&i, &labels(3));
    assert!(e.contains("truncated"), "{e}");
    assert!(e.contains("header says 3x28x28 = 2352"), "{e}");
    assert!(e.contains("file has 2252"), "{e}");
    // Also inside gzip, and for the label file, and a cut header.
    let e = err_of(&gzip(&i), &labels(3));
    assert!(e.contains("truncated"), "{e}");
    // A gzip file cut in the middle of the deflate stream.
    let g = gzip(&images(3));
    let e = err_of(&g[..g.len() / 2], &labels(3));
    assert!(e.contains("truncated gzip stream"), "{e}");
    let mut l = labels(3);
    l.pop();
    let e = err_of(&images(3), &l);
    assert!(e.contains("truncated") && e.contains("labels"), "{e}");
    let e = err_of(&images(3)[..10], &labels(3));
    assert!(e.contains("truncated") && e.contains("header"), "{e}");
    let e = err_of(&[], &labels(3));
    assert!(e.contains("truncated"), "{e}");
}

#[test]
fn rejects_over_long_file() {
    let mut i = images(3);
    i.extend_from_slice(&[0; 7]);
    let e = err_of(&i, &labels(3));
    assert!(
        e.contains("over-long") && e.contains("7 trailing bytes"),
        "{e}"
    );
    let e = err_of(&gzip(&i), &labels(3));
    assert!(e.contains("over-long"), "{e}");
}

#[test]
fn rejects_wrong_magic() {
    // Files swapped.
    let e = err_of(&labels(3), &images(3));
    assert!(e.contains("bad magic number 0x00000801"), "{e}");
    assert!(e.contains("expected 0x00000803"), "{e}");
    assert!(e.contains("label file"), "{e}");
    // Little-endian header.
    let mut i = images(3);
    i[..4].copy_from_slice(&0x803u32.to_le_bytes());
    let e = err_of(&i, &labels(3));
    assert!(e.contains("bad magic number 0x03080000"), "{e}");
    // Text.
    let e = err_of(b"hello, world, this is not mnist", &labels(3));
    assert!(e.contains("bad magic number"), "{e}");
}

#[test]
fn rejects_count_mismatch() {
    let e = err_of(&images(3), &labels(4));
    assert!(e.contains("count mismatch"), "{e}");
    assert!(e.contains("3 images but 4 labels"), "{e}");
}

#[test]
fn rejects_label_above_nine() {
    let l = idx(0x801, &[3], &[1, 12, 3]);
    let e = err_of(&images(3), &l);
    assert!(e.contains("label 12 at index 1 is out of range"), "{e}");
}

#[test]
fn rejects_garbage_gzip() {
    let mut g = vec![0x1f, 0x8b];
    g.extend((0..200u32).map(|i| (i * 37 % 251) as u8));
    let e = err_of(&g, &labels(3));
    assert!(e.contains("gzip"), "{e}");
    // A valid gzip stream whose tail (CRC) is cut.
    let mut g = gzip(&images(3));
    g.truncate(g.len() - 4);
    let e = err_of(&g, &labels(3));
    assert!(e.contains("gzip") || e.contains("truncated"), "{e}");
    // A flipped byte in the deflate data.
    let mut g = gzip(&images(3));
    let mid = g.len() / 2;
    g[mid] ^= 0x55;
    let e = err_of(&g, &labels(3));
    assert!(
        e.contains("gzip") || e.contains("truncated") || e.contains("over-long"),
        "{e}"
    );
}

#[test]
fn rejects_missing_dir() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("no-such-mnist-dir");
    let e = Mnist::load_dir(&dir, Split::Test).unwrap_err().to_string();
    assert!(e.contains("no-such-mnist-dir"), "{e}");
    assert!(e.contains("not found"), "{e}");
    assert!(
        e.contains("t10k-images-idx3-ubyte") && e.contains("t10k-labels-idx1-ubyte"),
        "{e}"
    );
}
