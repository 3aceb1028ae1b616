//! Reading a checkpoint without loading it: the tensors' headers (one `.safetensors` file, or a
//! directory with `model.safetensors.index.json` or `model.safetensors`), and their data in
//! bounded chunks (`pread`), decoded to f64.

use anyhow::{bail, Context, Result};
use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Largest header accepted (the `safetensors` crate's limit).
const MAX_HEADER: u64 = 100_000_000;

/// Element types audit reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Float {
    BF16,
    F16,
    F32,
    F64,
}

impl Float {
    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            Float::BF16 | Float::F16 => 2,
            Float::F32 => 4,
            Float::F64 => 8,
        }
    }
    /// `bf16`, `f16`, `f32`, `f64`.
    pub fn name(self) -> &'static str {
        match self {
            Float::BF16 => "bf16",
            Float::F16 => "f16",
            Float::F32 => "f32",
            Float::F64 => "f64",
        }
    }
    /// The float type of a safetensors dtype (`None` for the others).
    pub fn of(d: safetensors::Dtype) -> Option<Float> {
        match d {
            safetensors::Dtype::BF16 => Some(Float::BF16),
            safetensors::Dtype::F16 => Some(Float::F16),
            safetensors::Dtype::F32 => Some(Float::F32),
            safetensors::Dtype::F64 => Some(Float::F64),
            _ => None,
        }
    }

    /// Decodes little-endian `bytes` (a whole number of elements) into `out` (cleared first).
    pub fn decode(self, bytes: &[u8], out: &mut Vec<f64>) {
        out.clear();
        match self {
            Float::BF16 => out.extend(
                bytes
                    .chunks_exact(2)
                    .map(|b| half::bf16::from_bits(u16::from_le_bytes([b[0], b[1]])).to_f64()),
            ),
            Float::F16 => out.extend(
                bytes
                    .chunks_exact(2)
                    .map(|b| half::f16::from_bits(u16::from_le_bytes([b[0], b[1]])).to_f64()),
            ),
            Float::F32 => out.extend(
                bytes
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64),
            ),
            Float::F64 => out.extend(
                bytes
                    .chunks_exact(8)
                    .map(|b| f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])),
            ),
        }
    }
}

/// One tensor of a checkpoint: where its bytes are.
#[derive(Clone, Debug)]
pub struct TensorRef {
    pub name: String,
    /// The shard file.
    pub file: PathBuf,
    /// `None` for a non-float dtype (named in `dtype_name`).
    pub dtype: Option<Float>,
    pub dtype_name: String,
    pub shape: Vec<usize>,
    /// Absolute offset of the first byte in `file`.
    pub start: u64,
    pub nbytes: u64,
}

impl TensorRef {
    pub fn numel(&self) -> u64 {
        self.shape.iter().map(|&d| d as u64).product()
    }
}

/// A checkpoint's tensors (in file order, then offset order) and the problems of its index.
pub struct Checkpoint {
    pub tensors: Vec<TensorRef>,
    /// Index inconsistencies (a tensor missing from its file, listed twice, ...).
    pub problems: Vec<String>,
}

/// Opens `path`: a `.safetensors` file, or a directory with `model.safetensors.index.json`
/// (every shard it names) or `model.safetensors`.
///
/// # Errors
/// A path that is none of these; a file that is not a readable safetensors file.
pub fn open(path: &Path) -> Result<Checkpoint> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if meta.is_file() {
        return Ok(Checkpoint {
            tensors: read_file(path)?,
            problems: vec![],
        });
    }
    if !meta.is_dir() {
        bail!("{} is neither a file nor a directory", path.display());
    }
    let index = path.join("model.safetensors.index.json");
    if index.is_file() {
        return open_index(path, &index);
    }
    let single = path.join("model.safetensors");
    if single.is_file() {
        return Ok(Checkpoint {
            tensors: read_file(&single)?,
            problems: vec![],
        });
    }
    bail!(
        "{}: no model.safetensors.index.json or model.safetensors in this directory",
        path.display()
    )
}

fn open_index(dir: &Path, index: &Path) -> Result<Checkpoint> {
    let text = std::fs::read_to_string(index)
        .with_context(|| format!("cannot read {}", index.display()))?;
    let doc: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{}: not JSON", index.display()))?;
    let map = doc
        .get("weight_map")
        .and_then(|m| m.as_object())
        .with_context(|| format!("{}: no \"weight_map\" object", index.display()))?;
    let mut wanted: BTreeMap<String, String> = BTreeMap::new();
    for (name, file) in map {
        let f = file
            .as_str()
            .with_context(|| format!("{}: weight_map[{name}] is not a string", index.display()))?;
        if f.contains('/') || f.contains('\\') || f == ".." {
            bail!(
                "{}: weight_map[{name}] = {f} is not a file name in the directory",
                index.display()
            );
        }
        wanted.insert(name.clone(), f.to_string());
    }
    let files: BTreeSet<&String> = wanted.values().collect();
    let mut tensors = vec![];
    let mut problems = vec![];
    let mut found: BTreeMap<String, String> = BTreeMap::new();
    for f in files {
        for t in read_file(&dir.join(f))? {
            if let Some(prev) = found.insert(t.name.clone(), f.clone()) {
                problems.push(format!("{} is in both {prev} and {f}", t.name));
                continue;
            }
            match wanted.get(&t.name) {
                Some(w) if w == f => {}
                Some(w) => problems.push(format!("{} is in {f}, the index says {w}", t.name)),
                None => problems.push(format!("{} is in {f} but not in the index", t.name)),
            }
            tensors.push(t);
        }
    }
    for (name, f) in &wanted {
        if !found.contains_key(name) {
            problems.push(format!(
                "{name}: the index says {f}, which does not hold it"
            ));
        }
    }
    let data: u64 = tensors.iter().map(|t| t.nbytes).sum();
    if let Some(total) = doc.pointer("/metadata/total_size").and_then(|v| v.as_u64()) {
        if total != data {
            problems.push(format!(
                "index metadata.total_size is {total}, the tensors hold {data} bytes"
            ));
        }
    }
    Ok(Checkpoint { tensors, problems })
}

/// The tensors of one safetensors file, in offset order (header read with `pread`, parsed and
/// validated by the `safetensors` crate's `Metadata`: contiguous offsets, sizes that match
/// the shapes, and the file's length).
pub fn read_file(path: &Path) -> Result<Vec<TensorRef>> {
    let what = || format!("{}: not a valid safetensors file", path.display());
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if !meta.is_file() {
        bail!("{} is not a regular file", path.display());
    }
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut len = [0u8; 8];
    file.read_exact_at(&mut len, 0).with_context(what)?;
    let n = u64::from_le_bytes(len);
    if n > MAX_HEADER || 8 + n > meta.len() {
        bail!("{}: header length {n} does not fit the file", what());
    }
    let mut head = vec![0u8; n as usize];
    file.read_exact_at(&mut head, 8).with_context(what)?;
    let md: safetensors::tensor::Metadata = serde_json::from_slice(&head).with_context(what)?;
    if 8 + n + md.data_len() as u64 != meta.len() {
        bail!(
            "{}: the header describes {} bytes of data, the file holds {}",
            what(),
            md.data_len(),
            meta.len() - 8 - n
        );
    }
    let infos = md.tensors();
    let mut out: Vec<TensorRef> = md
        .offset_keys()
        .into_iter()
        .filter_map(|name| {
            let info = infos.get(&name)?;
            Some(TensorRef {
                file: path.to_path_buf(),
                dtype: Float::of(info.dtype),
                dtype_name: format!("{:?}", info.dtype),
                shape: info.shape.clone(),
                start: 8 + n + info.data_offsets.0 as u64,
                nbytes: (info.data_offsets.1 - info.data_offsets.0) as u64,
                name,
            })
        })
        .collect();
    out.sort_by_key(|t| t.start);
    Ok(out)
}

/// Reads the bytes `range` (relative to the tensor's start) of tensor `t` into `buf`.
pub fn read_bytes(
    file: &std::fs::File,
    t: &TensorRef,
    range: std::ops::Range<u64>,
    buf: &mut Vec<u8>,
) -> Result<()> {
    buf.resize((range.end - range.start) as usize, 0);
    file.read_exact_at(buf, t.start + range.start)
        .with_context(|| format!("cannot read {} from {}", t.name, t.file.display()))
}
