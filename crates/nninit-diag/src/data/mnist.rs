//! MNIST in the IDX format: a strict reader for the standard files (raw or gzip-compressed)
//! and the embedded subset (the first 2,000 images and labels of the MNIST test set).
//!
//! The IDX layout is a big-endian `u32` magic number (`0x00000803` for the `u8` image file,
//! `0x00000801` for the `u8` label file), one big-endian `u32` per dimension, then the data
//! row-major. The reader checks the magic numbers, that the data length equals the product of
//! the header's dimensions exactly (truncated and over-long files are errors), that the image
//! and label counts agree and that every label is a digit 0-9. It never panics on bad input and
//! never allocates more than the file actually contains.
//!
//! The MNIST database is by Y. LeCun, C. Cortes and C. J. C. Burges, licensed CC BY-SA 3.0; see
//! `data/README.md` of this crate for the embedded subset's provenance.

use std::fmt;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use flate2::read::MultiGzDecoder;

use crate::error::{DiagError, Result};

/// Mean pixel value of the MNIST training set on the `[0, 1]` scale (used by
/// [`Normalize::Standard`]).
pub const MNIST_MEAN: f32 = 0.1307;
/// Standard deviation of the MNIST training-set pixels on the `[0, 1]` scale (used by
/// [`Normalize::Standard`]).
pub const MNIST_STD: f32 = 0.3081;

/// Magic number of an IDX file of `u8` with 3 dimensions (images).
const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX file of `u8` with 1 dimension (labels).
const LABELS_MAGIC: u32 = 0x0000_0801;
/// The gzip magic bytes.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Name of the embedded images file (used in error messages and as its pseudo-path).
const EMBEDDED_IMAGES_NAME: &str = "mnist-t10k-first2000-images-idx3-ubyte.gz";
/// Name of the embedded labels file.
const EMBEDDED_LABELS_NAME: &str = "mnist-t10k-first2000-labels-idx1-ubyte.gz";
/// The embedded images: the first 2,000 images of `t10k-images-idx3-ubyte`, gzipped IDX.
static EMBEDDED_IMAGES: &[u8] =
    include_bytes!("../../data/mnist-t10k-first2000-images-idx3-ubyte.gz");
/// The embedded labels: the first 2,000 labels of `t10k-labels-idx1-ubyte`, gzipped IDX.
static EMBEDDED_LABELS: &[u8] =
    include_bytes!("../../data/mnist-t10k-first2000-labels-idx1-ubyte.gz");

/// Which MNIST split to load from a directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Split {
    /// The 60,000-image training set (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`).
    Train,
    /// The 10,000-image test set (`t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`).
    Test,
}

impl Split {
    /// The file-name prefix of this split: `"train"` or `"t10k"`.
    pub fn file_prefix(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Test => "t10k",
        }
    }

    /// The standard (uncompressed) file names of this split: `(images, labels)`, e.g.
    /// `("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")`.
    pub fn file_names(self) -> (String, String) {
        let p = self.file_prefix();
        (
            format!("{p}-images-idx3-ubyte"),
            format!("{p}-labels-idx1-ubyte"),
        )
    }
}

impl fmt::Display for Split {
    /// `train` or `test`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Split::Train => "train",
            Split::Test => "test",
        })
    }
}

impl FromStr for Split {
    type Err = DiagError;

    /// Parses `train` or `test` (also `t10k`), case-insensitively.
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "train" => Ok(Split::Train),
            "test" | "t10k" => Ok(Split::Test),
            _ => Err(DiagError::UnknownName {
                what: "mnist split",
                name: s.trim().to_string(),
                expected: "train, test".to_string(),
            }),
        }
    }
}

/// How the pixel values are scaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Normalize {
    /// `x / 255`, in `[0, 1]` (the state after loading).
    #[default]
    Unit,
    /// `(x / 255 - 0.1307) / 0.3081`: zero mean, unit variance over the training set
    /// (the usual PyTorch `transforms.Normalize((0.1307,), (0.3081,))`).
    Standard,
}

/// An MNIST split (or subset) in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Mnist {
    /// The pixels, `n * rows * cols` values, image after image, each row-major. Scaled as
    /// [`Mnist::normalization`] says (`[0, 1]` after loading).
    pub images: Vec<f32>,
    /// The `n` labels, each a digit 0-9.
    pub labels: Vec<u8>,
    /// Number of images (and labels).
    pub n: usize,
    /// Rows per image (28 for MNIST).
    pub rows: usize,
    /// Columns per image (28 for MNIST).
    pub cols: usize,
    /// The current scaling of [`Mnist::images`]; changed by [`Mnist::normalize`].
    pub normalization: Normalize,
}

/// Which of the two IDX files is being read (for checks and messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Images,
    Labels,
}

impl Kind {
    fn magic(self) -> u32 {
        match self {
            Kind::Images => IMAGES_MAGIC,
            Kind::Labels => LABELS_MAGIC,
        }
    }
    fn ndim(self) -> usize {
        match self {
            Kind::Images => 3,
            Kind::Labels => 1,
        }
    }
    fn describe(self) -> &'static str {
        match self {
            Kind::Images => "idx3 image file",
            Kind::Labels => "idx1 label file",
        }
    }
    fn noun(self) -> &'static str {
        match self {
            Kind::Images => "image",
            Kind::Labels => "label",
        }
    }
    fn data_noun(self) -> &'static str {
        match self {
            Kind::Images => "bytes of pixels",
            Kind::Labels => "bytes of labels",
        }
    }
}

/// A decoded IDX file: its dimensions and its data bytes.
struct Idx {
    dims: Vec<usize>,
    data: Vec<u8>,
}

fn bad(path: &Path, reason: String) -> DiagError {
    DiagError::BadData {
        path: path.to_path_buf(),
        reason,
    }
}

/// Turns a read error into a message: inside a gzip stream it means the stream is cut short
/// or corrupt.
fn read_error(path: &Path, gzipped: bool, e: &io::Error) -> DiagError {
    if gzipped && e.kind() == io::ErrorKind::UnexpectedEof {
        bad(
            path,
            format!("truncated gzip stream ({e}); the file was cut short"),
        )
    } else if gzipped {
        bad(path, format!("not a valid gzip stream ({e})"))
    } else {
        bad(path, format!("read error ({e})"))
    }
}

/// Reads until `buf` is full or the input ends; returns how many bytes were read.
fn read_up_to(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        let Some(rest) = buf.get_mut(filled..) else {
            break;
        };
        match r.read(rest) {
            Ok(0) => break,
            Ok(k) => filled += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Decodes one IDX file (raw, or gzip when it starts with `1f 8b`) and checks it strictly.
fn read_idx(bytes: &[u8], path: &Path, kind: Kind) -> Result<Idx> {
    let gzipped = bytes.starts_with(&GZIP_MAGIC);
    let mut reader: Box<dyn Read + '_> = if gzipped {
        Box::new(MultiGzDecoder::new(bytes))
    } else {
        Box::new(bytes)
    };
    let what = if gzipped { "decompressed file" } else { "file" };
    let header_len = 4 + 4 * kind.ndim();

    // Magic number.
    let mut magic = [0u8; 4];
    let got = read_up_to(&mut reader, &mut magic).map_err(|e| read_error(path, gzipped, &e))?;
    if got < 4 {
        return Err(bad(
            path,
            format!(
                "truncated: {what} has {got} bytes, too short for the {header_len}-byte header of an {}",
                kind.describe()
            ),
        ));
    }
    let magic = u32::from_be_bytes(magic);
    if magic != kind.magic() {
        let other = match kind {
            Kind::Images => Kind::Labels,
            Kind::Labels => Kind::Images,
        };
        let hint = if magic == other.magic() {
            format!("; this looks like an {}", other.describe())
        } else if magic >> 8 != 0x08 {
            "; not an idx file of unsigned bytes".to_string()
        } else {
            String::new()
        };
        return Err(bad(
            path,
            format!(
                "bad magic number 0x{magic:08x}, expected 0x{:08x} for an {}{hint}",
                kind.magic(),
                kind.describe()
            ),
        ));
    }

    // Dimensions.
    let mut dim_bytes = vec![0u8; 4 * kind.ndim()];
    let got = read_up_to(&mut reader, &mut dim_bytes).map_err(|e| read_error(path, gzipped, &e))?;
    if got < dim_bytes.len() {
        return Err(bad(
            path,
            format!(
                "truncated: {what} has {} bytes, too short for the {header_len}-byte header of an {}",
                got + 4,
                kind.describe()
            ),
        ));
    }
    let mut dims = Vec::with_capacity(kind.ndim());
    for chunk in dim_bytes.chunks_exact(4) {
        let mut b = [0u8; 4];
        b.copy_from_slice(chunk);
        dims.push(u32::from_be_bytes(b));
    }
    let dims_text = dims
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("x");
    if kind == Kind::Images && dims.iter().skip(1).any(|&d| d == 0) {
        return Err(bad(
            path,
            format!("header says {dims_text}: images of zero size"),
        ));
    }
    let expected = dims
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(u64::from(d)))
        .and_then(|e| usize::try_from(e).ok())
        .ok_or_else(|| {
            bad(
                path,
                format!("header says {dims_text}: too large for this machine"),
            )
        })?;
    let dims: Vec<usize> = dims
        .iter()
        .filter_map(|&d| usize::try_from(d).ok())
        .collect();

    // Data: exactly `expected` bytes. Never trust the header for allocation.
    let mut data = Vec::with_capacity(expected.min(bytes.len().saturating_mul(8)).min(1 << 26));
    let limit = u64::try_from(expected).unwrap_or(u64::MAX);
    (&mut reader)
        .take(limit)
        .read_to_end(&mut data)
        .map_err(|e| read_error(path, gzipped, &e))?;
    let eq = if dims.len() > 1 {
        format!("{dims_text} = {expected}")
    } else {
        dims_text.clone()
    };
    if data.len() < expected {
        return Err(bad(
            path,
            format!(
                "truncated: header says {eq} {}, file has {}",
                kind.data_noun(),
                data.len()
            ),
        ));
    }
    // Anything after the data is an error; reading on also makes the gzip decoder check the
    // stream's CRC and length trailer.
    let extra =
        io::copy(&mut reader, &mut io::sink()).map_err(|e| read_error(path, gzipped, &e))?;
    if extra > 0 {
        return Err(bad(
            path,
            format!(
                "over-long: header says {eq} {}, file has {} ({extra} trailing bytes)",
                kind.data_noun(),
                u64::try_from(expected)
                    .unwrap_or(u64::MAX)
                    .saturating_add(extra)
            ),
        ));
    }
    Ok(Idx { dims, data })
}

/// Reads a file into memory, naming it in the error.
fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| DiagError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Finds `stem`, `stem.gz`, or the `prefix-images.idx3-ubyte` variant (with or without `.gz`)
/// in `dir`.
fn find_file(dir: &Path, stem: &str) -> Option<PathBuf> {
    let dotted = stem.replacen("-idx", ".idx", 1);
    [
        stem.to_string(),
        format!("{stem}.gz"),
        dotted.clone(),
        format!("{dotted}.gz"),
    ]
    .into_iter()
    .map(|name| dir.join(name))
    .find(|p| p.is_file())
}

impl Mnist {
    /// Number of pixels per image, `rows * cols` (784 for MNIST).
    pub fn pixels_per_image(&self) -> usize {
        self.rows.saturating_mul(self.cols)
    }

    /// Number of images, same as [`Mnist::n`].
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Loads a split from a directory holding the standard MNIST files, raw or gzipped:
    /// `train-images-idx3-ubyte[.gz]` and `train-labels-idx1-ubyte[.gz]`, or
    /// `t10k-images-idx3-ubyte[.gz]` and `t10k-labels-idx1-ubyte[.gz]` (the variants
    /// `*-images.idx3-ubyte` with a dot are also accepted). Whether a file is gzipped is
    /// decided by its content, not its name. Pixels are scaled to `[0, 1]`.
    ///
    /// # Errors
    /// [`DiagError::Io`] when the directory or a file is missing or unreadable (the message
    /// names the expected file names), [`DiagError::BadData`] when a file is malformed.
    pub fn load_dir(dir: &Path, split: Split) -> Result<Mnist> {
        let (images_stem, labels_stem) = split.file_names();
        let expected =
            format!("{images_stem}[.gz] and {labels_stem}[.gz] (mnist {split} split, idx format)");
        if !dir.is_dir() {
            let reason = if dir.exists() {
                "not a directory"
            } else {
                "mnist directory not found"
            };
            return Err(DiagError::Io {
                path: dir.to_path_buf(),
                source: io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("{reason}; expected a directory containing {expected}"),
                ),
            });
        }
        let locate = |stem: &str| {
            find_file(dir, stem).ok_or_else(|| DiagError::Io {
                path: dir.to_path_buf(),
                source: io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("no {stem} or {stem}.gz in this directory; expected {expected}"),
                ),
            })
        };
        let images_path = locate(&images_stem)?;
        let labels_path = locate(&labels_stem)?;
        let images = read_file(&images_path)?;
        let labels = read_file(&labels_path)?;
        Self::from_parts(&images, &images_path, &labels, &labels_path)
    }

    /// Builds a data set from the bytes of an IDX image file and an IDX label file, each raw
    /// or gzip-compressed (detected by the gzip magic `1f 8b`). `source` names where the bytes
    /// came from and appears in error messages. Pixels are scaled to `[0, 1]`.
    ///
    /// # Errors
    /// [`DiagError::BadData`] when either file is malformed: wrong magic number, truncated or
    /// over-long data, corrupt gzip, image and label counts that differ, a label above 9.
    pub fn from_idx_bytes(images: &[u8], labels: &[u8], source: &Path) -> Result<Mnist> {
        Self::from_parts(images, source, labels, source)
    }

    /// The embedded subset: the first 2,000 images and labels of the MNIST test set
    /// (`t10k`), shipped inside the crate (about 300 KiB gzipped). Each call decodes it afresh
    /// (a few milliseconds). Pixels are scaled to `[0, 1]`.
    ///
    /// # Errors
    /// Only if the embedded files were corrupted at build time ([`DiagError::BadData`]).
    pub fn embedded() -> Result<Mnist> {
        let dir = Path::new("<embedded>");
        Self::from_parts(
            EMBEDDED_IMAGES,
            &dir.join(EMBEDDED_IMAGES_NAME),
            EMBEDDED_LABELS,
            &dir.join(EMBEDDED_LABELS_NAME),
        )
    }

    /// Decodes and cross-checks an image file and a label file.
    fn from_parts(
        images: &[u8],
        images_path: &Path,
        labels: &[u8],
        labels_path: &Path,
    ) -> Result<Mnist> {
        let img = read_idx(images, images_path, Kind::Images)?;
        let lab = read_idx(labels, labels_path, Kind::Labels)?;
        let (&n, &rows, &cols) = match img.dims.as_slice() {
            [n, r, c] => (n, r, c),
            _ => {
                return Err(bad(
                    images_path,
                    format!("expected 3 dimensions, header has {}", img.dims.len()),
                ))
            }
        };
        let n_labels = lab.data.len();
        if n_labels != n {
            let which = if labels_path == images_path {
                String::new()
            } else {
                format!(" in {}", labels_path.display())
            };
            return Err(bad(
                images_path,
                format!("count mismatch: {n} images but {n_labels} labels{which}"),
            ));
        }
        if let Some((i, &l)) = lab.data.iter().enumerate().find(|(_, &l)| l > 9) {
            return Err(bad(
                labels_path,
                format!(
                    "{} {l} at index {i} is out of range (must be a digit 0-9)",
                    Kind::Labels.noun()
                ),
            ));
        }
        let images = img.data.iter().map(|&b| f32::from(b) / 255.0).collect();
        Ok(Mnist {
            images,
            labels: lab.data,
            n,
            rows,
            cols,
            normalization: Normalize::Unit,
        })
    }

    /// Rescales the pixels to `how`, from whatever scaling they have now (tracked in
    /// [`Mnist::normalization`]); calling it twice with the same target changes nothing.
    /// Going back from [`Normalize::Standard`] to [`Normalize::Unit`] is exact up to `f32`
    /// rounding.
    pub fn normalize(&mut self, how: Normalize) {
        match (self.normalization, how) {
            (Normalize::Unit, Normalize::Standard) => {
                for x in &mut self.images {
                    *x = (*x - MNIST_MEAN) / MNIST_STD;
                }
            }
            (Normalize::Standard, Normalize::Unit) => {
                for x in &mut self.images {
                    *x = *x * MNIST_STD + MNIST_MEAN;
                }
            }
            _ => {}
        }
        self.normalization = how;
    }

    /// Images `start .. start + len` (`len * rows * cols` pixels) and their labels.
    ///
    /// # Errors
    /// [`DiagError::InvalidSpec`] when the range goes past the end of the data set.
    pub fn batch(&self, start: usize, len: usize) -> Result<(&[f32], &[u8])> {
        let out_of_range = || {
            DiagError::InvalidSpec(format!(
                "batch of {len} images at {start} is out of range: the data set has {} images",
                self.n
            ))
        };
        let end = start.checked_add(len).ok_or_else(out_of_range)?;
        if end > self.n {
            return Err(out_of_range());
        }
        let ppi = self.pixels_per_image();
        let (p0, p1) = start
            .checked_mul(ppi)
            .zip(end.checked_mul(ppi))
            .ok_or_else(out_of_range)?;
        let pixels = self.images.get(p0..p1).ok_or_else(out_of_range)?;
        let labels = self.labels.get(start..end).ok_or_else(out_of_range)?;
        Ok((pixels, labels))
    }

    /// The pixels of image `i` (`rows * cols` values), or `None` past the end.
    pub fn image(&self, i: usize) -> Option<&[f32]> {
        let ppi = self.pixels_per_image();
        let start = i.checked_mul(ppi)?;
        self.images.get(start..start.checked_add(ppi)?)
    }

    /// How many images carry each digit 0-9.
    pub fn label_counts(&self) -> [usize; 10] {
        let mut counts = [0usize; 10];
        for &l in &self.labels {
            if let Some(c) = counts.get_mut(usize::from(l)) {
                *c += 1;
            }
        }
        counts
    }

    /// The first `len` images and labels (all of them if `len >= n`), as a new data set.
    pub fn take(&self, len: usize) -> Mnist {
        let n = len.min(self.n);
        let ppi = self.pixels_per_image();
        let pixels = n.saturating_mul(ppi).min(self.images.len());
        Mnist {
            images: self.images.get(..pixels).unwrap_or_default().to_vec(),
            labels: self.labels.get(..n).unwrap_or_default().to_vec(),
            n,
            rows: self.rows,
            cols: self.cols,
            normalization: self.normalization,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn idx(magic: u32, dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut v = magic.to_be_bytes().to_vec();
        for d in dims {
            v.extend_from_slice(&d.to_be_bytes());
        }
        v.extend_from_slice(data);
        v
    }

    fn src() -> &'static Path {
        Path::new("test")
    }

    #[test]
    fn tiny_raw_round_trip() {
        let px: Vec<u8> = (0..12).map(|i| i * 20).collect();
        let images = idx(IMAGES_MAGIC, &[3, 2, 2], &px);
        let labels = idx(LABELS_MAGIC, &[3], &[7, 0, 9]);
        let mut m = Mnist::from_idx_bytes(&images, &labels, src()).unwrap();
        assert_eq!((m.n, m.rows, m.cols), (3, 2, 2));
        assert_eq!(m.labels, vec![7, 0, 9]);
        assert_eq!(m.images[1], 20.0 / 255.0);
        let counts = m.label_counts();
        assert_eq!((counts[7], counts[0], counts[9], counts[1]), (1, 1, 1, 0));
        let (p, l) = m.batch(1, 2).unwrap();
        assert_eq!((p.len(), l), (8, &[0u8, 9][..]));
        assert!(m.batch(2, 2).is_err());
        assert!(m.batch(usize::MAX, 2).is_err());
        assert_eq!(m.batch(3, 0).unwrap().0.len(), 0);
        assert_eq!(m.image(2).map(|i| i.len()), Some(4));
        assert!(m.image(3).is_none());
        m.normalize(Normalize::Standard);
        m.normalize(Normalize::Standard);
        assert!((m.images[0] - (-MNIST_MEAN / MNIST_STD)).abs() < 1e-6);
        m.normalize(Normalize::Unit);
        assert!((m.images[1] - 20.0 / 255.0).abs() < 1e-6);
        assert_eq!(m.take(2).n, 2);
        assert_eq!(m.take(10).n, 3);
    }

    #[test]
    fn header_edge_cases_never_panic() {
        let labels = idx(LABELS_MAGIC, &[1], &[1]);
        for n in 0..20 {
            let images = idx(IMAGES_MAGIC, &[1, 1, 1], &[5]);
            let cut = images.get(..n.min(images.len())).unwrap();
            let r = Mnist::from_idx_bytes(cut, &labels, src());
            assert_eq!(r.is_ok(), n >= images.len(), "prefix {n}");
        }
        let huge = idx(IMAGES_MAGIC, &[u32::MAX, u32::MAX, u32::MAX], &[]);
        let e = Mnist::from_idx_bytes(&huge, &labels, src()).unwrap_err();
        assert!(e.to_string().contains("too large") || e.to_string().contains("truncated"));
        let zero = idx(IMAGES_MAGIC, &[1, 0, 28], &[]);
        let e = Mnist::from_idx_bytes(&zero, &labels, src()).unwrap_err();
        assert!(e.to_string().contains("zero size"), "{e}");
    }

    #[test]
    fn embedded_decodes() {
        let m = Mnist::embedded().unwrap();
        assert_eq!((m.n, m.rows, m.cols), (2000, 28, 28));
        assert_eq!(
            m.label_counts(),
            [175, 234, 219, 207, 217, 179, 178, 205, 192, 194]
        );
        // The first test image is a 7.
        assert_eq!(m.labels.first(), Some(&7));
    }
}
