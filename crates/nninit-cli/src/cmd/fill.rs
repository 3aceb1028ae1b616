//! `nninit fill`: one tensor, filled and written to a file (or JSON on stdout).

use crate::args::FillArgs;
use crate::io::{npy_header, write_atomic_via};
use anyhow::{bail, Context, Result};
use half::{bf16, f16};
use nninit::{DType, Element, Init, Layout, Shape, Stream};
use serde::Serialize;
use std::io::Write;
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

/// Raw little-endian bytes of the values.
trait LeBytes: Element {
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
    let mut stream =
        super::AnyStream::new(&a.rng, a.flavor.as_deref(), a.seed)?.with_threads(a.threads);
    match dtype {
        DType::F32 => write::<f32, _>(a, &init, &shape, layout, &mut stream, &out),
        DType::F64 => write::<f64, _>(a, &init, &shape, layout, &mut stream, &out),
        DType::BF16 => write::<bf16, _>(a, &init, &shape, layout, &mut stream, &out),
        DType::F16 => write::<f16, _>(a, &init, &shape, layout, &mut stream, &out),
    }
}

/// Fills the tensor in `T` and writes it. Memory: the tensor, plus for `.safetensors` one byte
/// copy of it (the crate's writer takes bytes); both allocations are checked (an error, not an
/// abort, when memory runs out). `.npy` and JSON stream from the tensor.
fn write<T: LeBytes, S: Stream>(
    a: &FillArgs,
    init: &Init,
    shape: &Shape,
    layout: Layout,
    stream: &mut S,
    out: &Out,
) -> Result<()> {
    let dtype = T::DTYPE;
    // the .npy writer's buffer, before the tensor: if memory is that short, this checked
    // allocation fails (an error) rather than an unchecked one after the fill (an abort)
    const IO_CHUNK: usize = 1 << 16;
    let mut io_buf: Vec<u8> = Vec::new();
    io_buf
        .try_reserve_exact(IO_CHUNK * dtype.size_of())
        .map_err(|_| anyhow::anyhow!("not enough memory for the output buffer"))?;
    let v = fill_as::<T, S>(init, shape, layout, stream)?;
    if let Some(bad) = v.iter().map(|x| x.to_f64()).find(|x| !x.is_finite()) {
        let n = v.iter().filter(|x| !x.to_f64().is_finite()).count();
        bail!(
            "--init {init} overflows {dtype}: {n} of {} values are {bad} (the parameters exceed \
             the dtype's range); use smaller parameters or a wider --dtype. Nothing written.",
            v.len()
        );
    }
    let flavor = (a.rng == "torch").then_some(a.flavor.as_deref().unwrap_or("avx2"));
    match *out {
        Out::Stdout => {
            let doc = FillJson {
                init: init.to_string(),
                shape: shape.dims(),
                dtype: dtype.name(),
                seed: a.seed,
                rng: &a.rng,
                flavor,
                data: Values(&v),
            };
            let mut w = std::io::BufWriter::new(std::io::stdout().lock());
            let r = serde_json::to_writer(&mut w, &doc)
                .map_err(std::io::Error::from)
                .and_then(|()| w.write_all(b"\n"))
                .and_then(|()| w.flush());
            match r {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
                Err(e) => return Err(e).context("cannot write to stdout"),
            }
        }
        Out::Npy(p) => {
            let descr = match dtype {
                DType::F32 => "<f4",
                DType::F64 => "<f8",
                DType::F16 => "<f2",
                DType::BF16 => unreachable_bf16()?,
            };
            write_atomic_via(p, |tmp| {
                let mut f = std::fs::File::create(tmp)?;
                f.write_all(&npy_header(descr, shape.dims()))?;
                for chunk in v.chunks(IO_CHUNK) {
                    io_buf.clear();
                    for x in chunk {
                        x.le(&mut io_buf);
                    }
                    f.write_all(&io_buf)?;
                }
                f.sync_all()?;
                Ok(())
            })?;
        }
        Out::Safetensors(p) => {
            let st = match dtype {
                DType::F32 => safetensors::Dtype::F32,
                DType::F64 => safetensors::Dtype::F64,
                DType::BF16 => safetensors::Dtype::BF16,
                DType::F16 => safetensors::Dtype::F16,
            };
            let n = v.len() * dtype.size_of();
            let mut bytes: Vec<u8> = Vec::new();
            bytes.try_reserve_exact(n).map_err(|_| {
                anyhow::anyhow!(
                    "--shape {shape}: not enough memory for the .safetensors bytes ({} MiB)",
                    n >> 20
                )
            })?;
            for x in &v {
                x.le(&mut bytes);
            }
            drop(v);
            let view = safetensors::tensor::TensorView::new(st, shape.dims().to_vec(), &bytes)
                .map_err(|e| anyhow::anyhow!("safetensors: {e}"))?;
            let mut meta = std::collections::HashMap::new();
            meta.insert("init".to_string(), init.to_string());
            meta.insert("seed".to_string(), a.seed.to_string());
            meta.insert("rng".to_string(), a.rng.clone());
            if let Some(f) = flavor {
                meta.insert("flavor".to_string(), f.to_string());
            }
            write_atomic_via(p, |tmp| {
                // the crate writes through its own 0600 temporary file (inside our private
                // directory): give the result the permissions an ordinary new file gets here
                // (umask), as the .npy path does
                let perms = std::fs::File::create(tmp)?.metadata()?.permissions();
                // streams the data from `bytes` (no second copy)
                safetensors::tensor::serialize_to_file([("weight", view)], Some(meta), tmp)
                    .map_err(|e| anyhow::anyhow!("safetensors: {e}"))?;
                std::fs::set_permissions(tmp, perms)?;
                // sorted header keys: the same fill gives the same bytes on every run
                canonical_header_in_place(tmp)
            })?;
        }
    }
    Ok(())
}

/// Sorts the keys of the safetensors header of the file at `path` in place (same length; see
/// [`nninit_diag::weights::canonical_safetensors`]) and syncs the file.
fn canonical_header_in_place(path: &Path) -> Result<()> {
    use std::io::{Read, Seek};
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)?;
    let mut len = [0u8; 8];
    f.read_exact(&mut len)?;
    let n = usize::try_from(u64::from_le_bytes(len)).context("safetensors header length")?;
    let mut head = len.to_vec();
    head.resize(8 + n, 0);
    f.read_exact(&mut head[8..])?;
    let sorted = nninit_diag::weights::canonical_safetensors(head);
    f.seek(std::io::SeekFrom::Start(0))?;
    f.write_all(&sorted)?;
    f.sync_all()?;
    Ok(())
}

fn unreachable_bf16() -> Result<&'static str> {
    bail!("--dtype bf16 has no NumPy .npy dtype; write .safetensors")
}
