//! `nninit fill`: one tensor, filled and written to a file (or JSON on stdout).

use crate::args::FillArgs;
use crate::io::{npy_bytes, write_atomic};
use anyhow::{bail, Context, Result};
use half::{bf16, f16};
use nninit::{DType, Element, Init, Layout, Shape, Stream};
use serde::Serialize;
use std::path::Path;

/// `--out -` JSON document.
#[derive(Serialize)]
struct FillJson<'a> {
    init: String,
    shape: &'a [usize],
    dtype: &'a str,
    seed: u64,
    rng: &'a str,
    /// Kernel flavour (torch only): avx2 or default.
    #[serde(skip_serializing_if = "Option::is_none")]
    flavor: Option<&'a str>,
    /// Row-major values, widened to f64 exactly.
    data: Vec<f64>,
}

/// Parses `--shape 64,32`: non-negative integers. A 0 dimension is allowed, as in PyTorch:
/// the tensor has no elements and an empty tensor is written.
pub fn parse_shape(s: &str) -> Result<Shape> {
    let mut dims = vec![];
    for part in s.split(',') {
        let p = part.trim();
        match p.parse::<usize>() {
            Ok(n) => dims.push(n),
            Err(_) => bail!("invalid --shape '{s}': '{p}' is not a non-negative integer"),
        }
    }
    Ok(Shape::new(&dims)?)
}

fn fill_as<T: Element, S: Stream>(
    init: &Init,
    shape: &Shape,
    layout: Layout,
    stream: &mut S,
) -> Result<Vec<T>> {
    let n = shape.numel();
    let mut v: Vec<T> = Vec::new();
    v.try_reserve_exact(n).map_err(|_| {
        anyhow::anyhow!(
            "--shape {shape}: not enough memory for {n} elements ({} MiB)",
            (n as u128 * T::DTYPE.size_of() as u128) >> 20
        )
    })?;
    v.resize(n, T::ZERO);
    init.fill(&mut v, shape, layout, stream)?;
    Ok(v)
}

/// Raw little-endian bytes of the values.
trait LeBytes {
    fn le(&self, out: &mut Vec<u8>);
}
impl LeBytes for f32 {
    fn le(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes())
    }
}
impl LeBytes for f64 {
    fn le(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes())
    }
}
impl LeBytes for bf16 {
    fn le(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes())
    }
}
impl LeBytes for f16 {
    fn le(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes())
    }
}

/// A filled tensor of some dtype.
pub struct Filled {
    pub bytes: Vec<u8>,
    pub values: Vec<f64>,
}

fn pack<T: Element + LeBytes>(v: Vec<T>) -> Filled {
    let mut bytes = Vec::with_capacity(v.len() * T::DTYPE.size_of());
    for x in &v {
        x.le(&mut bytes);
    }
    Filled {
        values: v.iter().map(|x| x.to_f64()).collect(),
        bytes,
    }
}

/// Fills `shape` with `init` in `dtype` from `stream`.
pub fn fill_dtype<S: Stream>(
    init: &Init,
    shape: &Shape,
    layout: Layout,
    dtype: DType,
    stream: &mut S,
) -> Result<Filled> {
    Ok(match dtype {
        DType::F32 => pack(fill_as::<f32, S>(init, shape, layout, stream)?),
        DType::F64 => pack(fill_as::<f64, S>(init, shape, layout, stream)?),
        DType::BF16 => pack(fill_as::<bf16, S>(init, shape, layout, stream)?),
        DType::F16 => pack(fill_as::<f16, S>(init, shape, layout, stream)?),
    })
}

pub fn run(a: &FillArgs) -> Result<()> {
    let init: Init = a.init.parse().context("--init")?;
    let shape = parse_shape(&a.shape)?;
    let layout: Layout = a.layout.parse().context("--layout")?;
    let dtype: DType = a.dtype.parse().context("--dtype")?;
    // Check the output kind before drawing anything.
    enum Out<'p> {
        Stdout,
        Npy(&'p Path),
        Safetensors(&'p Path),
    }
    let out = if a.out == "-" {
        Out::Stdout
    } else {
        let p = Path::new(&a.out);
        match p.extension().and_then(|e| e.to_str()) {
            Some("npy") => {
                if dtype == DType::BF16 {
                    bail!("--dtype bf16 has no NumPy .npy dtype; write .safetensors or use --dtype f32");
                }
                Out::Npy(p)
            }
            Some("safetensors") => Out::Safetensors(p),
            _ => bail!(
                "--out '{}' must end in .npy or .safetensors (or be - for JSON on stdout)",
                a.out
            ),
        }
    };
    let mut stream =
        super::AnyStream::new(&a.rng, a.flavor.as_deref(), a.seed)?.with_threads(a.threads);
    let filled = fill_dtype(&init, &shape, layout, dtype, &mut stream)?;
    if let Some(bad) = filled.values.iter().find(|v| !v.is_finite()) {
        let n = filled.values.iter().filter(|v| !v.is_finite()).count();
        bail!(
            "--init {init} overflows {dtype}: {n} of {} values are {bad} (the parameters exceed \
             the dtype's range); use smaller parameters or a wider --dtype. Nothing written.",
            filled.values.len()
        );
    }
    match out {
        Out::Stdout => {
            let doc = FillJson {
                init: init.to_string(),
                shape: shape.dims(),
                dtype: dtype.name(),
                seed: a.seed,
                rng: &a.rng,
                flavor: (a.rng == "torch").then_some(a.flavor.as_deref().unwrap_or("avx2")),
                data: filled.values,
            };
            crate::io::print_stdout(&format!("{}\n", serde_json::to_string(&doc)?))?;
        }
        Out::Npy(p) => {
            let descr = match dtype {
                DType::F32 => "<f4",
                DType::F64 => "<f8",
                DType::F16 => "<f2",
                DType::BF16 => unreachable_bf16()?,
            };
            write_atomic(p, &npy_bytes(descr, shape.dims(), &filled.bytes))?;
        }
        Out::Safetensors(p) => {
            let st = match dtype {
                DType::F32 => safetensors::Dtype::F32,
                DType::F64 => safetensors::Dtype::F64,
                DType::BF16 => safetensors::Dtype::BF16,
                DType::F16 => safetensors::Dtype::F16,
            };
            let view =
                safetensors::tensor::TensorView::new(st, shape.dims().to_vec(), &filled.bytes)
                    .map_err(|e| anyhow::anyhow!("safetensors: {e}"))?;
            let mut meta = std::collections::HashMap::new();
            meta.insert("init".to_string(), init.to_string());
            meta.insert("seed".to_string(), a.seed.to_string());
            meta.insert("rng".to_string(), a.rng.clone());
            if a.rng == "torch" {
                meta.insert(
                    "flavor".to_string(),
                    a.flavor.as_deref().unwrap_or("avx2").to_string(),
                );
            }
            let bytes = safetensors::tensor::serialize([("weight", view)], Some(meta))
                .map_err(|e| anyhow::anyhow!("safetensors: {e}"))?;
            // sorted header keys: the same fill gives the same bytes on every run
            write_atomic(p, &nninit_diag::weights::canonical_safetensors(bytes))?;
        }
    }
    Ok(())
}

fn unreachable_bf16() -> Result<&'static str> {
    bail!("--dtype bf16 has no NumPy .npy dtype; write .safetensors")
}
