//! `nninit fill`: one tensor, filled and written to a file (or JSON on stdout).

use crate::args::FillArgs;
use anyhow::{bail, Context, Result};
use half::{bf16, f16};
use nninit::{DType, Element, Init, Layout, Shape, Stream};
use serde::Serialize;
use std::path::Path;

/// `--out -` JSON document.
#[derive(Serialize)]
#[serde(bound = "")]
struct FillJson<'a, T: Element> {
    init: String,
    shape: &'a [usize],
    dtype: &'a str,
    seed: u64,
    rng: &'a str,
    /// `--name` the tensor was keyed by (absent without it).
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    /// Kernel flavour (torch only): avx2 or default.
    #[serde(skip_serializing_if = "Option::is_none")]
    flavor: Option<&'a str>,
    /// Row-major values, widened to f64 exactly.
    data: Values<'a, T>,
}

/// Serialises as a sequence of the values widened to f64 (without an f64 copy of the tensor).
struct Values<'a, T>(&'a [T]);

impl<T: Element> Serialize for Values<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|x| x.to_f64()))
    }
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

/// The output, checked before anything is drawn.
enum Out<'p> {
    Stdout,
    Npy(&'p Path),
    Safetensors(&'p Path),
}

pub fn run(a: &FillArgs) -> Result<()> {
    let init: Init = a.init.parse().context("--init")?;
    let shape = parse_shape(&a.shape)?;
    let layout: Layout = a.layout.parse().context("--layout")?;
    let dtype: DType = a.dtype.parse().context("--dtype")?;
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
    let mut stream = a.stream.stream()?;
    if shape.numel() == 0 {
        // PyTorch's nn.init functions warn likewise (torch/nn/init.py, _no_grad_* helpers)
        eprintln!(
            "warning: Initializing zero-element tensors is a no-op (--shape {} has no \
             elements; an empty tensor is written)",
            a.shape
        );
    }
    if let Some(name) = &a.name {
        if name.trim().is_empty() {
            bail!("--name is empty; give a parameter name such as 0.weight");
        }
        // Philox keys the tensor by the name (as each MLP parameter); torch/std ignore it
        stream.select_tensor(name);
    }
    match dtype {
        DType::F32 => write::<f32, _>(a, &init, &shape, layout, &mut stream, &out),
        DType::F64 => write::<f64, _>(a, &init, &shape, layout, &mut stream, &out),
        DType::BF16 => write::<bf16, _>(a, &init, &shape, layout, &mut stream, &out),
        DType::F16 => write::<f16, _>(a, &init, &shape, layout, &mut stream, &out),
    }
}

/// Fills the tensor in `T` and writes it. Memory: the tensor only (the file and JSON writers
/// stream from it; on big-endian targets the writers byte-swap a copy); its allocation is
/// checked (an error, not an abort, when memory runs out).
fn write<T: Element + bytemuck::Pod, S: Stream>(
    a: &FillArgs,
    init: &Init,
    shape: &Shape,
    layout: Layout,
    stream: &mut S,
    out: &Out,
) -> Result<()> {
    let dtype = T::DTYPE;
    let v = fill_as::<T, S>(init, shape, layout, stream)?;
    if let Some(bad) = v.iter().map(|x| x.to_f64()).find(|x| !x.is_finite()) {
        let n = v.iter().filter(|x| !x.to_f64().is_finite()).count();
        bail!(
            "--init {init} overflows {dtype}: {n} of {} values are {bad} (the parameters exceed \
             the dtype's range); use smaller parameters or a wider --dtype. Nothing written.",
            v.len()
        );
    }
    let flavor = a.stream.flavor_name();
    let rng = a.stream.rng.name();
    match *out {
        Out::Stdout => crate::io::print_json_line(&FillJson {
            init: init.to_string(),
            shape: shape.dims(),
            dtype: dtype.name(),
            seed: a.stream.seed,
            rng,
            name: a.name.as_deref(),
            flavor,
            data: Values(&v),
        })?,
        Out::Npy(p) => {
            let descr = match dtype {
                DType::F32 => "<f4",
                DType::F64 => "<f8",
                DType::F16 => "<f2",
                DType::BF16 => unreachable_bf16()?,
            };
            crate::io::write_npy(p, descr, shape.dims(), &v)?;
        }
        Out::Safetensors(p) => {
            let st = match dtype {
                DType::F32 => safetensors::Dtype::F32,
                DType::F64 => safetensors::Dtype::F64,
                DType::BF16 => safetensors::Dtype::BF16,
                DType::F16 => safetensors::Dtype::F16,
            };
            let mut meta = std::collections::HashMap::new();
            meta.insert("init".to_string(), init.to_string());
            meta.insert("seed".to_string(), a.stream.seed.to_string());
            meta.insert("rng".to_string(), rng.to_string());
            if let Some(f) = flavor {
                meta.insert("flavor".to_string(), f.to_string());
            }
            if let Some(n) = &a.name {
                meta.insert("name".to_string(), n.clone());
            }
            crate::io::write_safetensors(p, "weight", st, shape.dims(), &v, meta)?;
        }
    }
    if let Out::Npy(p) | Out::Safetensors(p) = *out {
        // one line on success (stdout holds only the JSON with --out -)
        crate::io::print_stdout(&format!(
            "wrote {}: {init}, shape {shape}, {dtype}, seed {}, rng {}{}{}\n",
            p.display(),
            a.stream.seed,
            rng,
            flavor.map(|f| format!(" ({f})")).unwrap_or_default(),
            a.name
                .as_deref()
                .map(|n| format!(", name {n}"))
                .unwrap_or_default(),
        ))?;
    }
    Ok(())
}

fn unreachable_bf16() -> Result<&'static str> {
    bail!("--dtype bf16 has no NumPy .npy dtype; write .safetensors")
}
