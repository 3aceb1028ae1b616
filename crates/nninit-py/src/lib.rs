//! `nninit._nninit`: the native half of the Python package `nninit` (python/nninit).
//!
//! Thin on purpose: every function takes a raw buffer from Python (an address from
//! `tensor.data_ptr()`, element counts or strides, a dtype name), never a torch object, so the
//! wheel does not link torch; it checks what it is given and calls the core crate with the GIL
//! released. Errors become `ValueError` (bad values, shapes, buffers) or `TypeError` (a dtype
//! nninit does not fill); nothing panics on user input.
//!
//! - [`philox_fill`]: counter-based values keyed by `(seed, name)` of any sub-block of a global
//!   tensor (a DTensor's local shard), written through output strides, on `threads` threads.
//! - [`philox_fill_range`]: the same for a contiguous range of global row-major indices.
//! - [`torch_sample`], [`torch_fill_init`]: PyTorch's CPU stream (`TorchGenerator`), starting
//!   from a `torch.Generator.get_state()` and returning the state after the draws.
//! - [`recipe_plan`], [`recipe_model_plan`], [`recipe_names`]: the transformer recipes of
//!   `nninit-recipes` (scheme text per tensor, keyed by the tensor's name).
//! - [`render_html`]: the HTML report of a report document (JSON in, HTML out).
//! - [`advise_json`], [`advice_text`]: `nninit probe`'s advice for the records of any model
//!   (`nninit_diag::advice::module::advise_module`), and its text.
#![deny(missing_docs)]

use half::{bf16, f16};
use nninit::fill::{self, Par};
use nninit::{DType, Element, Flavor, Init, InitError, Layout, Resolved, Sampler, Shape, Stream};
use nninit::{StreamKey, TorchGenerator};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use rayon::prelude::*;

fn value_err(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

fn dtype_of(name: &str) -> PyResult<DType> {
    name.parse::<DType>().map_err(|_| {
        PyTypeError::new_err(format!(
            "nninit fills float32, float64, bfloat16 and float16 tensors, got dtype {name}"
        ))
    })
}

/// Runs `$f::<T>(args)` for the element type named by `$dt`.
macro_rules! by_dtype {
    ($dt:expr, $f:ident($($arg:expr),*)) => {
        match $dt {
            DType::F32 => $f::<f32>($($arg),*),
            DType::F64 => $f::<f64>($($arg),*),
            DType::BF16 => $f::<bf16>($($arg),*),
            DType::F16 => $f::<f16>($($arg),*),
        }
    };
}

/// An output buffer: the address of element 0 (a plain integer, so closures that hold it can
/// run without the GIL and on other threads).
#[derive(Clone, Copy)]
struct Out {
    addr: usize,
}

impl Out {
    /// Checks that `span` elements of `T` from `addr` are addressable (non-null, aligned).
    fn new<T: Element>(addr: usize, span: usize) -> PyResult<Out> {
        let size = T::DTYPE.size_of();
        if span > 0 && addr == 0 {
            return Err(value_err(
                "the tensor has no memory (data_ptr() is 0: a meta tensor? call to_empty() first)",
            ));
        }
        if !addr.is_multiple_of(size) {
            return Err(value_err(format!(
                "data_ptr() {addr:#x} is not aligned to the {size}-byte {} elements",
                T::DTYPE
            )));
        }
        if span
            .checked_mul(size)
            .is_none_or(|b| b > isize::MAX as usize)
        {
            return Err(value_err(format!("{span} elements do not fit in memory")));
        }
        Ok(Out { addr })
    }

    /// Elements `off .. off + len` as a slice.
    ///
    /// # Safety
    /// The caller owns that memory exclusively for the slice's lifetime (checked by the
    /// Python side: a strided CPU tensor without internal overlap; runs are disjoint).
    unsafe fn slice<'a, T: Element>(self, off: usize, len: usize) -> &'a mut [T] {
        if len == 0 {
            return &mut [];
        }
        // SAFETY: see the function's contract.
        unsafe { std::slice::from_raw_parts_mut((self.addr as *mut T).add(off), len) }
    }
}

fn layout_of(s: &str) -> PyResult<Layout> {
    s.parse::<Layout>().map_err(value_err)
}

fn parse(init: &str) -> PyResult<Init> {
    init.parse::<Init>().map_err(value_err)
}

/// Whether two positions of a block with these strides and sizes share memory. Sorted by
/// stride, a layout is free of overlap when each dim steps over the whole extent of the dims
/// inside it (the dense and gapped layouts); other layouts (interleaved strides, e.g. shape
/// (3, 2) with strides (2, 3)) are decided by listing every offset, up to 2^24 positions, and
/// refused beyond that.
fn overlaps(strides: &[usize], sizes: &[usize]) -> PyResult<bool> {
    let mut by_stride: Vec<(usize, usize)> = strides
        .iter()
        .zip(sizes)
        .filter(|(_, &n)| n > 1)
        .map(|(&s, &n)| (s, n))
        .collect();
    by_stride.sort_unstable();
    if by_stride.first().is_some_and(|&(s, _)| s == 0) {
        return Ok(true); // an expanded dim
    }
    let mut extent = 0usize; // largest offset reachable by the dims so far
    let mut nested = true;
    for &(s, n) in &by_stride {
        if s <= extent {
            nested = false;
            break;
        }
        extent = s
            .checked_mul(n - 1)
            .and_then(|x| x.checked_add(extent))
            .ok_or_else(|| value_err("strides overflow"))?;
    }
    if nested {
        return Ok(false);
    }
    let count: usize = by_stride.iter().map(|&(_, n)| n).product();
    if count > 1 << 24 {
        return Err(value_err(format!(
            "cannot tell whether strides {strides:?} for local shape {sizes:?} overlap in \
             memory (interleaved strides on {count} elements); fill a contiguous tensor and \
             copy it in"
        )));
    }
    let mut offsets = vec![0usize];
    for &(s, n) in &by_stride {
        let mut next = Vec::with_capacity(offsets.len() * n);
        for k in 0..n {
            next.extend(offsets.iter().map(|&o| o + k * s)); // <= the span: no overflow
        }
        offsets = next;
    }
    offsets.sort_unstable();
    Ok(offsets.windows(2).any(|w| w[0] == w[1]))
}

/// Where a local block sits in the global tensor: for each dim the global indices of the
/// local positions (in local order), and the output strides (elements) of the local buffer.
struct Block {
    shape: Shape,
    index: Vec<Vec<usize>>,
    strides: Vec<usize>,
    /// Row-major strides of the global tensor.
    gstrides: Vec<usize>,
    /// Runs of consecutive global indices along the last dim: (local start, global start, len).
    runs: Vec<(usize, usize, usize)>,
    /// Local elements.
    numel: usize,
}

impl Block {
    fn new(
        shape: &[usize],
        index: Option<Vec<Vec<usize>>>,
        strides: Option<Vec<usize>>,
    ) -> PyResult<Block> {
        let shape = Shape::new(shape).map_err(value_err)?;
        let dims = shape.dims();
        let rank = dims.len();
        let index = index.unwrap_or_else(|| dims.iter().map(|&n| (0..n).collect()).collect());
        if index.len() != rank {
            return Err(value_err(format!(
                "index has {} dims but the global shape {shape} has {rank}",
                index.len()
            )));
        }
        for (d, (ix, &n)) in index.iter().zip(dims).enumerate() {
            if let Some(&bad) = ix.iter().find(|&&i| i >= n) {
                return Err(value_err(format!(
                    "index {bad} of dim {d} is outside the global size {n}"
                )));
            }
        }
        let local: Vec<usize> = index.iter().map(Vec::len).collect();
        let numel = local
            .iter()
            .try_fold(1usize, |a, &n| a.checked_mul(n))
            .ok_or_else(|| value_err("the local block has too many elements"))?;
        let strides = strides.unwrap_or_else(|| {
            let mut s = vec![1usize; rank];
            for d in (0..rank.saturating_sub(1)).rev() {
                s[d] = s[d + 1].saturating_mul(local[d + 1]);
            }
            s
        });
        if strides.len() != rank {
            return Err(value_err(format!(
                "{} strides for a block of rank {rank}",
                strides.len()
            )));
        }
        if overlaps(&strides, &local)? {
            return Err(value_err(format!(
                "strides {strides:?} for local shape {local:?} overlap in memory \
                 (an expanded or otherwise self-overlapping tensor cannot be filled)"
            )));
        }
        let mut gstrides = vec![1usize; rank];
        for d in (0..rank.saturating_sub(1)).rev() {
            gstrides[d] = gstrides[d + 1] * dims[d + 1]; // <= numel: no overflow
        }
        let mut runs = vec![];
        match index.last() {
            None => runs.push((0, 0, 1)), // 0-d: one element, global index 0
            Some(last) => {
                let mut k = 0;
                while k < last.len() {
                    let mut len = 1;
                    while k + len < last.len() && last[k + len] == last[k] + len {
                        len += 1;
                    }
                    runs.push((k, last[k], len));
                    k += len;
                }
            }
        }
        Ok(Block {
            shape,
            index,
            strides,
            gstrides,
            runs,
            numel,
        })
    }

    /// The local span in elements (max offset + 1), 0 when empty.
    fn span(&self) -> usize {
        if self.numel == 0 {
            return 0;
        }
        self.index
            .iter()
            .zip(&self.strides)
            .map(|(ix, &s)| (ix.len() - 1) * s)
            .sum::<usize>()
            + 1
    }

    /// Jobs: one per (outer position, run of the last dim).
    fn jobs(&self) -> usize {
        if self.numel == 0 {
            return 0;
        }
        let outer: usize = self.index.iter().rev().skip(1).map(Vec::len).product();
        outer * self.runs.len()
    }

    /// Job `j`: (first global index, first output offset, output stride, len).
    fn job(&self, j: usize) -> (usize, usize, usize, usize) {
        let rank = self.index.len();
        let (mut o, r) = (j / self.runs.len(), j % self.runs.len());
        let (lstart, gstart, len) = self.runs[r];
        let (mut g, mut off) = (gstart, 0usize);
        let inner_stride = self.strides.last().copied().unwrap_or(1);
        off += lstart * inner_stride;
        for d in (0..rank.saturating_sub(1)).rev() {
            let n = self.index[d].len();
            let k = o % n;
            o /= n;
            g += self.index[d][k] * self.gstrides[d];
            off += k * self.strides[d];
        }
        (g, off, inner_stride, len)
    }
}

/// What a Philox fill computes per element.
enum Source<T> {
    /// Counter-based draws of an element-wise scheme.
    Sampler(Sampler),
    /// A constant.
    Constant(T),
    /// A structured scheme (orthogonal, eye, dirac, sparse), materialised whole.
    Whole(Vec<T>),
}

fn philox_block<T: Element>(
    out: usize,
    init: &Init,
    block: &Block,
    layout: Layout,
    key: StreamKey,
    threads: usize,
) -> PyResult<()> {
    let out = Out::new::<T>(out, block.span())?;
    let numel = block.shape.numel();
    if numel == 0 {
        // the checks of a whole-tensor `Init::fill` (parameters, rank rules), then nothing
        return init
            .fill::<T, _>(&mut [], &block.shape, layout, &mut nninit::Philox::new(0))
            .map_err(value_err);
    }
    let par = Par::threads(threads);
    let resolved = init.resolve(&block.shape, layout).map_err(value_err)?;
    let source = match resolved {
        Resolved::Elementwise(s) => {
            // `Init::fill_range`'s own checks for this dtype (uniform bounds finite in f32 for
            // f32/bf16/f16), on an empty range: nothing drawn or written
            init.fill_range::<T>(&mut [], &block.shape, layout, key, 0..0, Par::Seq)
                .map_err(value_err)?;
            Source::Sampler(s)
        }
        Resolved::Constant(v) => Source::Constant(T::from_f64(v)),
        // an empty local shard of a non-empty tensor: checked like every rank, nothing to write
        _ if block.numel == 0 => return Ok(()),
        _ => {
            let mut whole: Vec<T> = Vec::new();
            whole.try_reserve_exact(numel).map_err(|_| {
                value_err(format!("not enough memory to materialise {numel} elements"))
            })?;
            whole.resize(numel, T::ZERO);
            init.fill_range(&mut whole, &block.shape, layout, key, 0..numel, par)
                .map_err(value_err)?;
            Source::Whole(whole)
        }
    };
    let run = |j: usize, tmp: &mut Vec<T>, par: Par| -> Result<(), InitError> {
        let (g, off, stride, len) = block.job(j);
        let write_strided = |vals: &[T]| {
            let base = out.addr as *mut T;
            for (k, v) in vals.iter().enumerate() {
                // SAFETY: offsets of distinct local positions are distinct and inside the
                // buffer (Block::new checked the strides; Python checked the tensor).
                unsafe { base.add(off + k * stride).write(*v) };
            }
        };
        match &source {
            Source::Sampler(s) if stride == 1 => {
                // SAFETY: this run's elements are contiguous and no other job touches them.
                let dst = unsafe { out.slice::<T>(off, len) };
                fill::fill_range(s, key, numel, g..g + len, dst, par)?;
            }
            Source::Sampler(s) => {
                tmp.clear();
                tmp.resize(len, T::ZERO);
                fill::fill_range(s, key, numel, g..g + len, tmp, par)?;
                write_strided(tmp);
            }
            Source::Constant(c) => {
                tmp.clear();
                tmp.resize(len, *c);
                write_strided(tmp);
            }
            Source::Whole(w) => write_strided(&w[g..g + len]),
        }
        Ok(())
    };
    let jobs = block.jobs();
    let n = par.thread_count().min(jobs);
    let pool = if n > 1 && jobs >= 4 * n {
        fill::pool(n)
    } else {
        None
    };
    match pool {
        // many runs (a sharded last dim, a strided local): threads take whole runs
        Some(p) => p.install(|| {
            (0..jobs)
                .into_par_iter()
                .with_min_len((jobs / (8 * n)).max(1))
                .try_for_each_init(Vec::new, |tmp, j| run(j, tmp, Par::Seq))
        }),
        // few long runs: each run fills on all threads
        None => {
            let mut tmp = Vec::new();
            (0..jobs).try_for_each(|j| run(j, &mut tmp, par))
        }
    }
    .map_err(value_err)
}

/// Counter-based (Philox4x32-10) fill of a block of a global tensor.
///
/// Element at global row-major index `i` gets the value that
/// `nninit fill --rng philox --seed SEED --name NAME --init INIT` writes at `i` (key
/// `StreamKey::from_name(seed, name)`), whatever the block, strides or threads.
///
/// - `addr`: address of local element 0 (`tensor.data_ptr()`); `dtype`: `float32`, `float64`,
///   `bfloat16` or `float16`.
/// - `init`: a scheme string (`kaiming_uniform:a=2.23606797749979`, `normal:0.02`, ...);
///   `shape`: the global shape (fans come from it); `layout`: `torch`, `torch_transpose`, `jax`.
/// - `index`: for each dim the global indices of the local positions (None: the whole tensor);
///   `strides`: the local buffer's strides in elements (None: contiguous).
/// - `threads`: 0 for all CPUs; values never depend on it.
#[pyfunction]
#[pyo3(signature = (addr, dtype, init, shape, seed, name, index=None, strides=None, layout="torch", threads=0))]
#[allow(clippy::too_many_arguments)]
fn philox_fill(
    py: Python<'_>,
    addr: usize,
    dtype: &str,
    init: &str,
    shape: Vec<usize>,
    seed: u64,
    name: &str,
    index: Option<Vec<Vec<usize>>>,
    strides: Option<Vec<usize>>,
    layout: &str,
    threads: usize,
) -> PyResult<()> {
    let dt = dtype_of(dtype)?;
    let init = parse(init)?;
    let layout = layout_of(layout)?;
    let key = StreamKey::from_name(seed, name);
    let block = Block::new(&shape, index, strides)?;
    py.detach(|| by_dtype!(dt, philox_block(addr, &init, &block, layout, key, threads)))
}

/// Counter-based fill of the contiguous buffer at `addr` with global row-major indices
/// `start .. start + count` of the tensor of global `shape` (see [`philox_fill`]).
#[pyfunction]
#[pyo3(signature = (addr, dtype, init, shape, seed, name, start, count, layout="torch", threads=0))]
#[allow(clippy::too_many_arguments)]
fn philox_fill_range(
    py: Python<'_>,
    addr: usize,
    dtype: &str,
    init: &str,
    shape: Vec<usize>,
    seed: u64,
    name: &str,
    start: usize,
    count: usize,
    layout: &str,
    threads: usize,
) -> PyResult<()> {
    let dt = dtype_of(dtype)?;
    let init = parse(init)?;
    let layout = layout_of(layout)?;
    let key = StreamKey::from_name(seed, name);
    let global = Shape::new(&shape).map_err(value_err)?;
    let end = start
        .checked_add(count)
        .filter(|&e| e <= global.numel())
        .ok_or_else(|| {
            value_err(format!(
                "range {start}..{start}+{count} is not inside the {} elements of shape {global}",
                global.numel()
            ))
        })?;
    fn go<T: Element>(
        addr: usize,
        init: &Init,
        global: &Shape,
        layout: Layout,
        key: StreamKey,
        range: std::ops::Range<usize>,
        threads: usize,
    ) -> PyResult<()> {
        let out = Out::new::<T>(addr, range.len())?;
        // SAFETY: Python passes a contiguous buffer of `count` elements it owns.
        let dst = unsafe { out.slice::<T>(0, range.len()) };
        init.fill_range(dst, global, layout, key, range, Par::threads(threads))
            .map_err(value_err)
    }
    py.detach(|| {
        by_dtype!(
            dt,
            go(addr, &init, &global, layout, key, start..end, threads)
        )
    })
}

fn flavor_of(s: &str) -> PyResult<Flavor> {
    s.parse::<Flavor>().map_err(value_err)
}

/// The state after the draws, keeping PyTorch's own `(left, next)` words when the engine did
/// not move (a fresh generator is `next = 0`, which `torch_state` cannot know).
fn state_after(before: &[u8], start: &TorchGenerator, end: &TorchGenerator) -> Vec<u8> {
    let (s0, mut s1) = (start.torch_state(), end.torch_state());
    if s0[8..5016] == s1[8..5016] {
        s1[8..24].copy_from_slice(&before[8..24]);
    }
    s1
}

fn torch_sample_as<T: Element>(
    addr: usize,
    numel: usize,
    init: &Init,
    gen: &mut TorchGenerator,
    elementwise: bool,
) -> PyResult<()> {
    let out = Out::new::<T>(addr, numel)?;
    // SAFETY: Python passes a contiguous buffer of `numel` elements it owns.
    let dst = unsafe { out.slice::<T>(0, numel) };
    let shape = Shape::new(&[numel]).map_err(value_err)?;
    if !elementwise {
        return init
            .fill(dst, &shape, Layout::Torch, gen)
            .map_err(value_err);
    }
    // PyTorch's per-element path (non-contiguous tensors): every element a separate draw,
    // which for normal_ is the double Box–Muller with the cached sample.
    match *init {
        Init::Normal { mean, std } => {
            init.validate().map_err(value_err)?;
            let normal = Sampler::normal(mean, std).map_err(value_err)?;
            dst.chunks_mut(1).for_each(|c| gen.sample(&normal, c));
        }
        Init::Uniform { .. } => init
            .fill(dst, &shape, Layout::Torch, gen)
            .map_err(value_err)?,
        _ => return Err(value_err("elementwise=True is for uniform and normal only")),
    }
    Ok(())
}

/// PyTorch's CPU stream: fills the contiguous buffer at `addr` (`numel` elements of `dtype`)
/// as `tensor.uniform_(a, b)` / `tensor.normal_(mean, std)` /
/// `torch.nn.init.trunc_normal_(tensor, mean, std, a, b)` would with the generator whose
/// `get_state()` is `state`, and returns the generator state after the draws.
///
/// - `kind`: `uniform` (params `a, b`), `normal` (`mean, std`), `trunc_normal`
///   (`mean, std, a, b`).
/// - `flavor`: which x86 build of PyTorch to match, `avx2` (every AVX2/AVX512 CPU) or `default`.
/// - `elementwise`: PyTorch's path for non-contiguous tensors (the buffer holds the elements
///   in the tensor's memory order; uniform and normal only).
#[pyfunction]
#[pyo3(signature = (addr, numel, dtype, kind, params, state, flavor="avx2", elementwise=false))]
#[allow(clippy::too_many_arguments)]
fn torch_sample<'py>(
    py: Python<'py>,
    addr: usize,
    numel: usize,
    dtype: &str,
    kind: &str,
    params: Vec<f64>,
    state: &[u8],
    flavor: &str,
    elementwise: bool,
) -> PyResult<Bound<'py, PyBytes>> {
    let dt = dtype_of(dtype)?;
    let init = match (kind, params.as_slice()) {
        ("uniform", &[a, b]) => Init::Uniform { a, b },
        ("normal", &[mean, std]) => Init::Normal { mean, std },
        ("trunc_normal", &[mean, std, a, b]) => Init::TruncNormal { mean, std, a, b },
        _ => {
            return Err(value_err(format!(
                "kind {kind} with {} params; expected uniform (a, b), normal (mean, std) or \
                 trunc_normal (mean, std, a, b)",
                params.len()
            )))
        }
    };
    let start = TorchGenerator::from_torch_state(state, flavor_of(flavor)?).map_err(value_err)?;
    let mut gen = start.clone();
    py.detach(|| {
        by_dtype!(
            dt,
            torch_sample_as(addr, numel, &init, &mut gen, elementwise)
        )
    })?;
    Ok(PyBytes::new(py, &state_after(state, &start, &gen)))
}

/// PyTorch's CPU stream for a scheme string: fills the contiguous buffer at `addr` (row-major
/// `shape`, `dtype`) with `init` drawn as nninit's `Init::fill` with a `TorchGenerator` does
/// (PyTorch's kernels; orthogonal by QR of PyTorch's draws), starting from `state`; returns the
/// state after the draws.
#[pyfunction]
#[pyo3(signature = (addr, dtype, init, shape, state, layout="torch", flavor="avx2"))]
#[allow(clippy::too_many_arguments)]
fn torch_fill_init<'py>(
    py: Python<'py>,
    addr: usize,
    dtype: &str,
    init: &str,
    shape: Vec<usize>,
    state: &[u8],
    layout: &str,
    flavor: &str,
) -> PyResult<Bound<'py, PyBytes>> {
    let dt = dtype_of(dtype)?;
    let init = parse(init)?;
    let layout = layout_of(layout)?;
    let shape = Shape::new(&shape).map_err(value_err)?;
    let start = TorchGenerator::from_torch_state(state, flavor_of(flavor)?).map_err(value_err)?;
    let mut gen = start.clone();
    fn go<T: Element>(
        addr: usize,
        init: &Init,
        shape: &Shape,
        layout: Layout,
        gen: &mut TorchGenerator,
    ) -> PyResult<()> {
        let out = Out::new::<T>(addr, shape.numel())?;
        // SAFETY: Python passes a contiguous buffer of `shape.numel()` elements it owns.
        let dst = unsafe { out.slice::<T>(0, shape.numel()) };
        init.fill(dst, shape, layout, gen).map_err(value_err)
    }
    py.detach(|| by_dtype!(dt, go(addr, &init, &shape, layout, &mut gen)))?;
    Ok(PyBytes::new(py, &state_after(state, &start, &gen)))
}

/// The canonical text of a scheme string (it parses back to the same scheme); `ValueError`
/// for an unknown scheme or bad parameters.
#[pyfunction]
fn canonical_init(init: &str) -> PyResult<String> {
    let i = parse(init)?;
    i.validate().map_err(value_err)?;
    Ok(i.to_string())
}

/// Checks `init` for a tensor of global `shape` as a fill would (parameters, rank, fans),
/// without drawing or writing; `ValueError` with the fill's message.
#[pyfunction]
#[pyo3(signature = (init, shape, layout="torch"))]
fn check_init(init: &str, shape: Vec<usize>, layout: &str) -> PyResult<()> {
    let init = parse(init)?;
    let layout = layout_of(layout)?;
    let shape = Shape::new(&shape).map_err(value_err)?;
    if shape.numel() == 0 {
        return init
            .fill::<f32, _>(&mut [], &shape, layout, &mut nninit::Philox::new(0))
            .map_err(value_err);
    }
    // resolving builds the sampler, which checks its parameters
    init.resolve(&shape, layout).map_err(value_err)?;
    Ok(())
}

/// The Philox stream id of a tensor name (`StreamKey::from_name`: 64-bit FNV-1a).
#[pyfunction]
fn stream_id(name: &str) -> u64 {
    StreamKey::from_name(0, name).stream
}

/// The fill kernel this CPU runs: `avx512`, `avx2` or `baseline`.
#[pyfunction]
fn kernel_name() -> &'static str {
    fill::kernel_name()
}

/// The names of nninit's transformer recipes (`nninit recipe list`).
#[pyfunction]
fn recipe_names() -> Vec<&'static str> {
    nninit_recipes::RECIPES.iter().map(|r| r.name).collect()
}

/// The config a recipe plans with: `config_json` (a config.json text) if given, else one
/// inferred from `names_shapes` (`nninit_recipes::infer_config`), with `params` set; also
/// returns the config's JSON text.
fn recipe_config(
    recipe: &nninit_recipes::Recipe,
    config_json: Option<&str>,
    params: &std::collections::BTreeMap<String, f64>,
    names_shapes: &[(String, Vec<usize>)],
) -> PyResult<(nninit_recipes::ModelConfig, String)> {
    let raw = match config_json {
        Some(text) => serde_json::from_str::<serde_json::Value>(text)
            .map_err(|e| value_err(format!("config: not valid JSON: {e}")))?,
        None => nninit_recipes::infer_config(recipe.naming, names_shapes).map_err(value_err)?,
    };
    let text = raw.to_string();
    let mut config = nninit_recipes::ModelConfig::from_value(raw).map_err(value_err)?;
    for (k, v) in params {
        config = config.with_param(k, *v);
    }
    Ok((config, text))
}

/// One planned tensor as Python sees it: (name, shape, scheme text, padding row, tied names,
/// rule).
type PlanRow = (
    String,
    Vec<usize>,
    String,
    Option<usize>,
    Vec<String>,
    String,
);

fn rows(plan: Vec<nninit_recipes::TensorPlan>) -> Vec<PlanRow> {
    plan.into_iter()
        .map(|t| {
            (
                t.name,
                t.shape,
                t.init.to_string(),
                t.padding_row,
                t.tied,
                t.rule,
            )
        })
        .collect()
}

/// Plans a module's parameters under recipe `recipe`: `tensors` is `[(fqn, shape,
/// padding_idx)]` from `named_parameters()` (padding from the owning `nn.Embedding`);
/// `config_json` a config.json text or None (inferred from the names and shapes). Returns
/// `(rows, config_json)` with a row per tensor (see `PlanRow`). `ValueError` for an unknown
/// recipe, a bad config, a parameter no rule matches.
#[pyfunction]
#[pyo3(signature = (recipe, tensors, config_json=None, params=None))]
fn recipe_plan(
    recipe: &str,
    tensors: Vec<(String, Vec<usize>, Option<usize>)>,
    config_json: Option<&str>,
    params: Option<std::collections::BTreeMap<String, f64>>,
) -> PyResult<(Vec<PlanRow>, String)> {
    let recipe = nninit_recipes::Recipe::by_name(recipe).map_err(value_err)?;
    let names_shapes: Vec<(String, Vec<usize>)> = tensors
        .iter()
        .map(|(n, s, _)| (n.clone(), s.clone()))
        .collect();
    let (config, text) = recipe_config(
        recipe,
        config_json,
        &params.unwrap_or_default(),
        &names_shapes,
    )?;
    let params = tensors
        .into_iter()
        .map(|(name, shape, padding_idx)| nninit_recipes::Param {
            name,
            shape,
            layer: None,
            tied: vec![],
            padding_idx,
        })
        .collect();
    let plan = nninit_recipes::plan_params(&config, recipe, params).map_err(value_err)?;
    Ok((rows(plan), text))
}

/// The full plan of a config (`nninit recipe show`): every tensor of the model the config
/// describes, in the recipe's naming, tied weights once. Rows as `recipe_plan`.
#[pyfunction]
#[pyo3(signature = (recipe, config_json, params=None))]
fn recipe_model_plan(
    recipe: &str,
    config_json: &str,
    params: Option<std::collections::BTreeMap<String, f64>>,
) -> PyResult<Vec<PlanRow>> {
    let recipe = nninit_recipes::Recipe::by_name(recipe).map_err(value_err)?;
    let (config, _) = recipe_config(recipe, Some(config_json), &params.unwrap_or_default(), &[])?;
    Ok(rows(
        nninit_recipes::plan(&config, recipe).map_err(value_err)?,
    ))
}

/// The self-contained HTML page of a report document given as JSON text
/// (`nninit_diag::html::render_html`, the renderer of the CLI's `--report`); `ValueError`
/// for text that is not JSON or a document of the wrong shape.
#[pyfunction]
fn render_html(py: Python<'_>, report_json: &str) -> PyResult<String> {
    py.detach(|| nninit_diag::html::render_html_str(report_json))
        .map_err(value_err)
}

/// The advice for one probed init of any model (`nninit_diag::advice::module::advise_module`; the
/// rules of `nninit probe`): a `ModuleRun` as JSON text in (the probe's `layers`, optionally
/// `input`), the list of `Advice` as JSON text out. `ValueError` for text of the wrong shape.
#[pyfunction]
fn advise_json(py: Python<'_>, run_json: &str) -> PyResult<String> {
    py.detach(|| {
        let run: nninit_diag::advice::module::ModuleRun =
            serde_json::from_str(run_json).map_err(|e| format!("advice: {e}"))?;
        let advice = nninit_diag::advice::module::advise_module(&run).map_err(|e| e.to_string())?;
        serde_json::to_string(&advice).map_err(|e| e.to_string())
    })
    .map_err(value_err)
}

/// The advice of one init as `nninit probe` prints it (`nninit_diag::advice::text`), from
/// the JSON list [`advise_json`] returns. `ValueError` for text of the wrong shape.
#[pyfunction]
fn advice_text(name: &str, advice_json: &str) -> PyResult<String> {
    let advice: Vec<nninit_diag::advice::Advice> =
        serde_json::from_str(advice_json).map_err(|e| value_err(format!("advice: {e}")))?;
    Ok(nninit_diag::advice::text(name, &advice))
}

/// The native module of the `nninit` Python package.
#[pymodule]
fn _nninit(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(philox_fill, m)?)?;
    m.add_function(wrap_pyfunction!(philox_fill_range, m)?)?;
    m.add_function(wrap_pyfunction!(torch_sample, m)?)?;
    m.add_function(wrap_pyfunction!(torch_fill_init, m)?)?;
    m.add_function(wrap_pyfunction!(canonical_init, m)?)?;
    m.add_function(wrap_pyfunction!(check_init, m)?)?;
    m.add_function(wrap_pyfunction!(stream_id, m)?)?;
    m.add_function(wrap_pyfunction!(kernel_name, m)?)?;
    m.add_function(wrap_pyfunction!(recipe_names, m)?)?;
    m.add_function(wrap_pyfunction!(recipe_plan, m)?)?;
    m.add_function(wrap_pyfunction!(recipe_model_plan, m)?)?;
    m.add_function(wrap_pyfunction!(render_html, m)?)?;
    m.add_function(wrap_pyfunction!(advise_json, m)?)?;
    m.add_function(wrap_pyfunction!(advice_text, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("TORCH_STATE_BYTES", TorchGenerator::TORCH_STATE_BYTES)?;
    Ok(())
}
