//! Streaming checkpoint writer: every tensor is produced in bounded chunks by a [`Source`]
//! (all cores) while a writer thread appends the previous chunk to the shard file, so memory
//! stays at a few chunk buffers whatever the model size. The directory (shards, index,
//! config.json) is written atomically through [`crate::io::write_dir_atomic`].

use super::layout::{self, HeaderTensor};
use anyhow::{anyhow, bail, Context, Result};
use nninit::{Element, Layout, Par, Shape};
use nninit_recipes::TensorPlan;
use std::collections::BTreeMap;
use std::io::Write;
use std::ops::Range;
use std::path::Path;

/// Elements per chunk: 8 Mi (16 MiB of bf16, 32 MiB of f32); at most [`BUFFERS`] chunks
/// exist at once.
pub const CHUNK: usize = 8 << 20;
/// Chunk buffers in flight: one being filled, one queued, one being written.
const BUFFERS: usize = 3;

/// Where the values of the tensors come from.
pub trait Source: Sync {
    /// Writes elements `range` (row-major indices into the whole tensor) of tensor `tensor`
    /// into `out` (`out.len() == range.len()`), in the output type `T`.
    fn fill<T: Element>(&self, tensor: usize, range: Range<usize>, out: &mut [T]) -> Result<()>;
}

/// One tensor to write: its state-dict name and shape (PyTorch's row-major layout).
#[derive(Clone, Debug)]
pub struct Entry {
    pub name: String,
    pub shape: Vec<usize>,
}

impl Entry {
    fn numel(&self) -> usize {
        self.shape.iter().product()
    }
}

/// Philox values keyed by (seed, tensor name): element `i` of a planned tensor is element `i` of
/// `init.fill` on `Philox::new(seed)` after `select_tensor(name)`, i.e. exactly what
/// `nninit fill --rng philox --seed S --name NAME` writes (any thread count, any chunking),
/// with the plan's padding row (HF `padding_idx`) zeroed: [`TensorPlan::fill_philox_range`].
pub struct PhiloxSource<'a> {
    seed: u64,
    plan: &'a [TensorPlan],
}

impl<'a> PhiloxSource<'a> {
    /// The source for `plan` under `seed`.
    ///
    /// # Errors
    /// A shape or scheme the core rejects, or a structured scheme (orthogonal, eye, dirac,
    /// sparse: not element-wise, so not streamed in chunks).
    pub fn new(seed: u64, plan: &'a [TensorPlan]) -> Result<PhiloxSource<'a>> {
        for p in plan {
            let s = Shape::new(&p.shape).with_context(|| format!("tensor {}", p.name))?;
            let resolved = p
                .init
                .resolve(&s, Layout::Torch)
                .with_context(|| format!("tensor {}: init {}", p.name, p.init))?;
            match resolved {
                nninit::Resolved::Elementwise(_) | nninit::Resolved::Constant(_) => {}
                _ => bail!(
                    "tensor {}: init {} is not element-wise (it needs the whole tensor at \
                     once), which materialize does not stream",
                    p.name,
                    p.init
                ),
            }
        }
        Ok(PhiloxSource { seed, plan })
    }
}

impl Source for PhiloxSource<'_> {
    fn fill<T: Element>(&self, tensor: usize, range: Range<usize>, out: &mut [T]) -> Result<()> {
        self.plan[tensor].fill_philox_range(self.seed, range, out, Par::all())?;
        Ok(())
    }
}

/// Values given in full (f32, e.g. `--rng torch`'s exact tensors), rounded to the output
/// type through `half` (round to nearest even).
pub struct ValuesSource {
    pub values: Vec<Vec<f32>>,
}

impl Source for ValuesSource {
    fn fill<T: Element>(&self, tensor: usize, range: Range<usize>, out: &mut [T]) -> Result<()> {
        let v = self
            .values
            .get(tensor)
            .and_then(|v| v.get(range))
            .ok_or_else(|| anyhow!("internal error: value range out of bounds"))?;
        for (o, &x) in out.iter_mut().zip(v) {
            *o = T::from_f32(x);
        }
        Ok(())
    }
}

/// What to write besides the tensors.
pub struct Extras<'a> {
    /// `config.json`, written unchanged.
    pub config_json: &'a str,
    /// String metadata of every shard header (`format: pt` is added).
    pub meta: BTreeMap<String, String>,
    /// Maximum shard size in bytes.
    pub max_shard_size: u64,
    /// Elements per chunk ([`CHUNK`]; smaller in tests).
    pub chunk: usize,
}

/// The safetensors dtype of `T`.
fn st_dtype<T: Element>() -> safetensors::Dtype {
    match T::DTYPE {
        nninit::DType::F32 => safetensors::Dtype::F32,
        nninit::DType::F64 => safetensors::Dtype::F64,
        nninit::DType::BF16 => safetensors::Dtype::BF16,
        nninit::DType::F16 => safetensors::Dtype::F16,
    }
}

/// Writes the checkpoint directory `out`: the shards (HF layout), `model.safetensors.index.json`
/// and `config.json`, atomically (nothing at `out` unless everything succeeded). Returns the
/// number of bytes of tensor data.
///
/// # Errors
/// `out` exists and is not an empty directory; a write fails; `source` fails.
pub fn write_checkpoint<T: Element + bytemuck::Pod, S: Source>(
    out: &Path,
    entries: &[Entry],
    source: &S,
    extras: &Extras<'_>,
    bar: &indicatif::ProgressBar,
) -> Result<u64> {
    let elem = std::mem::size_of::<T>() as u64;
    let mut seen = std::collections::HashSet::new();
    for e in entries {
        if !seen.insert(e.name.as_str()) {
            bail!("internal error: tensor {} planned twice", e.name);
        }
    }
    let sizes: Vec<u64> = entries.iter().map(|e| e.numel() as u64 * elem).collect();
    let total: u64 = sizes.iter().sum();
    let shards = layout::split(&sizes, extras.max_shard_size);
    let mut meta = extras.meta.clone();
    meta.insert("format".into(), "pt".into());
    let mut weight_map = BTreeMap::new();
    let mut headers = Vec::with_capacity(shards.len());
    for (k, shard) in shards.iter().enumerate() {
        let file = layout::shard_file_name(k, shards.len());
        let ts: Vec<HeaderTensor<'_>> = shard
            .iter()
            .map(|&i| HeaderTensor {
                name: &entries[i].name,
                shape: &entries[i].shape,
            })
            .collect();
        headers.push(layout::header_bytes(&ts, st_dtype::<T>(), &meta)?);
        for &i in shard {
            weight_map.insert(entries[i].name.clone(), file.clone());
        }
    }
    let index = layout::index_json(total, &weight_map)?;
    bar.set_length(total);
    crate::io::write_dir_atomic(out, |dir| {
        std::fs::write(dir.join("config.json"), extras.config_json)
            .context("cannot write config.json")?;
        for (k, shard) in shards.iter().enumerate() {
            let file = dir.join(layout::shard_file_name(k, shards.len()));
            let items: Vec<(usize, usize)> =
                shard.iter().map(|&i| (i, entries[i].numel())).collect();
            write_shard::<T, S>(&file, &headers[k], &items, source, extras.chunk, bar)
                .with_context(|| {
                    format!("cannot write {}", layout::shard_file_name(k, shards.len()))
                })?;
        }
        let mut f = std::fs::File::create(dir.join("model.safetensors.index.json"))?;
        f.write_all(index.as_bytes())?;
        f.sync_all()?;
        Ok(())
    })?;
    Ok(total)
}

/// Writes one shard: `header`, then each `(tensor, numel)` of `items` in order, filled chunk
/// by chunk on the calling thread (and rayon's) while a second thread writes.
fn write_shard<T: Element + bytemuck::Pod, S: Source>(
    path: &Path,
    header: &[u8],
    items: &[(usize, usize)],
    source: &S,
    chunk: usize,
    bar: &indicatif::ProgressBar,
) -> Result<()> {
    let cap = items
        .iter()
        .map(|&(_, n)| n)
        .max()
        .unwrap_or(0)
        .clamp(1, chunk.max(1));
    let file = std::fs::File::create(path)?;
    std::thread::scope(|scope| -> Result<()> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<(Vec<T>, usize)>(1);
        let (back_tx, back_rx) = std::sync::mpsc::channel::<Vec<T>>();
        let wbar = bar.clone();
        let writer = scope.spawn(move || -> std::io::Result<()> {
            let mut f = file;
            f.write_all(header)?;
            for (buf, n) in rx {
                f.write_all(&crate::io::le_bytes(&buf[..n]))?;
                wbar.inc((n * std::mem::size_of::<T>()) as u64);
                // the filler may have finished: a closed return channel is fine
                let _ = back_tx.send(buf);
            }
            f.sync_all()
        });
        let mut made = 0usize;
        let mut filled: Result<()> = Ok(());
        'tensors: for &(t, numel) in items {
            let mut start = 0;
            while start < numel {
                let end = (start + cap).min(numel);
                let mut buf = match back_rx.try_recv() {
                    Ok(b) => b,
                    Err(_) if made < BUFFERS => {
                        made += 1;
                        vec![T::ZERO; cap]
                    }
                    Err(_) => match back_rx.recv() {
                        Ok(b) => b,
                        Err(_) => break 'tensors, // the writer stopped: its error is below
                    },
                };
                if let Err(e) = source.fill(t, start..end, &mut buf[..end - start]) {
                    filled = Err(e);
                    break 'tensors;
                }
                if tx.send((buf, end - start)).is_err() {
                    break 'tensors;
                }
                start = end;
            }
        }
        drop(tx);
        let written = writer
            .join()
            .map_err(|_| anyhow!("internal error: the writer thread panicked"))?;
        filled?;
        written?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(spec: &[(&str, &[usize])]) -> Vec<Entry> {
        spec.iter()
            .map(|(n, s)| Entry {
                name: n.to_string(),
                shape: s.to_vec(),
            })
            .collect()
    }

    #[test]
    fn a_failing_source_leaves_nothing() {
        struct Failing;
        impl Source for Failing {
            fn fill<T: Element>(&self, t: usize, _: Range<usize>, _: &mut [T]) -> Result<()> {
                if t == 1 {
                    bail!("boom")
                }
                Ok(())
            }
        }
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("ckpt");
        let e = entries(&[("a", &[4, 4]), ("b", &[8])]);
        let extras = Extras {
            config_json: "{}",
            meta: BTreeMap::new(),
            max_shard_size: 1 << 30,
            chunk: CHUNK,
        };
        let bar = indicatif::ProgressBar::hidden();
        let err = write_checkpoint::<f32, _>(&out, &e, &Failing, &extras, &bar).unwrap_err();
        assert!(format!("{err:#}").contains("boom"));
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    }

    #[test]
    fn chunking_does_not_change_values() {
        // 2.5 chunks of 1000 elements: the seams must not show
        let plan = [crate::cmd::materialize::tests::tp(
            "w",
            &[2500],
            "normal:0.02",
            &[],
        )];
        let (init, shape) = (&plan[0].init, plan[0].shape.as_slice());
        let src = PhiloxSource::new(3, &plan).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("c");
        let extras = Extras {
            config_json: "{}",
            meta: BTreeMap::new(),
            max_shard_size: 1 << 30,
            chunk: 1000,
        };
        let bar = indicatif::ProgressBar::hidden();
        write_checkpoint::<half::bf16, _>(&out, &entries(&[("w", shape)]), &src, &extras, &bar)
            .unwrap();
        let bytes = std::fs::read(out.join("model.safetensors")).unwrap();
        let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        let mut whole = vec![half::bf16::ZERO; 2500];
        let mut s = nninit::Philox::new(3);
        nninit::Stream::select_tensor(&mut s, "w");
        init.fill(
            &mut whole,
            &Shape::new(shape).unwrap(),
            Layout::Torch,
            &mut s,
        )
        .unwrap();
        assert!(st.tensor("w").unwrap().data() == &crate::io::le_bytes(&whole)[..]);
    }

    #[test]
    fn values_are_rounded_through_half() {
        let src = ValuesSource {
            values: vec![vec![1.0, 0.1, -3.3]],
        };
        let mut out = [half::bf16::ZERO; 2];
        src.fill(0, 1..3, &mut out).unwrap();
        assert_eq!(out, [half::bf16::from_f32(0.1), half::bf16::from_f32(-3.3)]);
    }
}
