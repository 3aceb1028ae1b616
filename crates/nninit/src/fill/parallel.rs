//! Threads: the output is cut into fixed chunks of [`CHUNK`] elements, chunk `c` covering
//! elements `start + c·CHUNK ..`; since every value is a pure function of its index, the
//! result does not depend on which thread runs which chunk, or on the thread count.

use super::scalar::Prep;
use super::simd;
use crate::cpu::Isa;
use crate::element::Element;
use crate::rng::philox::StreamKey;
use crate::sampler::Sampler;
use rayon::prelude::*;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, OnceLock};

/// How many threads a fill may use. The values written never depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Par {
    /// The calling thread only.
    #[default]
    Seq,
    /// `n` rayon threads (the global pool when `n` equals its size, else a cached pool),
    /// capped at the fill's number of 64 Ki-element chunks and at 8 × the CPUs.
    Rayon(NonZeroUsize),
}

impl Par {
    /// `n` threads; `1` is [`Par::Seq`], `0` means all ([`Par::all`]).
    pub fn threads(n: usize) -> Par {
        match n {
            0 => Par::all(),
            1 => Par::Seq,
            n => NonZeroUsize::new(n).map_or(Par::Seq, Par::Rayon),
        }
    }

    /// As many threads as rayon's global pool has (by default the number of CPUs); one when
    /// that pool cannot start its threads.
    pub fn all() -> Par {
        let n = global_pool_threads().unwrap_or(1);
        if n <= 1 {
            Par::Seq
        } else {
            NonZeroUsize::new(n).map_or(Par::Seq, Par::Rayon)
        }
    }

    /// The number of threads.
    pub fn thread_count(&self) -> usize {
        match self {
            Par::Seq => 1,
            Par::Rayon(n) => n.get(),
        }
    }
}

/// The engine: elements `start ..` of `sampler` under `key` into `out`, with the best kernel
/// on `par` threads.
pub(crate) fn fill_sampler<T: Element>(
    sampler: &Sampler,
    key: StreamKey,
    start: u64,
    out: &mut [T],
    par: Par,
) {
    fill(Isa::best(), &Prep::new::<T>(sampler), &key, start, out, par);
}

/// Elements per parallel chunk (256 KiB of f32): large enough to amortise scheduling, small
/// enough to balance 2–64 threads on tensors of a few MiB.
pub(crate) const CHUNK: usize = 1 << 16;

/// Normal fills of at least this many bytes are written with non-temporal stores where the
/// kernel has them: they do not fit in the caches, so caching them only costs the read of
/// every line before it is overwritten. Measured (BENCHMARKS.md, 64 Mi f32 on this project's
/// 2-core AVX-512 machine): normal 10-15% faster; uniform, whose output rate is higher,
/// 5-25% *slower* (the non-temporal store rate of one core is the limit there), trunc_normal
/// unchanged — so only normal streams.
pub(crate) const STREAMING_MIN_BYTES: usize = 32 << 20;

/// Fills `out` = elements `start ..` with `isa`, on `par` threads.
pub(crate) fn fill<T: Element>(
    isa: Isa,
    prep: &Prep,
    key: &StreamKey,
    start: u64,
    out: &mut [T],
    par: Par,
) {
    let streaming = prep.streams() && std::mem::size_of_val(out) >= STREAMING_MIN_BYTES;
    // More threads than chunks, or far more than CPUs, cannot help (and a pool of 10⁵
    // threads takes minutes to build): cap both ways. The values do not depend on it.
    let threads = par.thread_count().min(out.len().div_ceil(CHUNK));
    let threads = if threads > 1 {
        threads.min(8 * cpus())
    } else {
        threads
    };
    if threads <= 1 || out.len() <= CHUNK {
        simd::fill(isa, prep, key, start, out, streaming);
        return;
    }
    let mut job = || {
        out.par_chunks_mut(CHUNK).enumerate().for_each(|(c, ch)| {
            simd::fill(isa, prep, key, start + (c * CHUNK) as u64, ch, streaming);
        })
    };
    if global_pool_threads() == Some(threads) {
        job();
    } else if let Some(pool) = pool(threads) {
        pool.install(job);
    } else {
        // No pool could be built (thread creation failed): same values, one thread.
        simd::fill(isa, prep, key, start, out, streaming);
    }
}

/// `available_parallelism()`, asked once: on Linux it reads the cgroup files each call
/// (tens of microseconds), which made a fill of many short rows (a DTensor shard's runs)
/// several times slower than its draws.
fn cpus() -> usize {
    static CPUS: OnceLock<usize> = OnceLock::new();
    *CPUS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The size of rayon's global pool, initialising it here, fallibly, if nobody has: rayon's
/// implicit initialisation panics when it cannot start its threads (e.g. under a tight
/// `ulimit -v`), while fills can always fall back to one thread with the same values. `None`
/// when the pool cannot be started.
pub(crate) fn global_pool_threads() -> Option<usize> {
    static GLOBAL: OnceLock<Option<usize>> = OnceLock::new();
    *GLOBAL.get_or_init(|| match rayon::ThreadPoolBuilder::new().build_global() {
        Ok(()) => Some(rayon::current_num_threads()),
        // "already initialised" carries no source; a failure to start threads carries the
        // io::Error
        Err(e) if std::error::Error::source(&e).is_none() => Some(rayon::current_num_threads()),
        Err(_) => None,
    })
}

/// Rayon pools by thread count.
type Pools = Mutex<Vec<(usize, Arc<rayon::ThreadPool>)>>;

/// The rayon pool of `n` threads that fills on `Par::threads(n)` run in, built on first use and
/// kept for the process (so repeated fills do not start threads). `None` when the threads
/// cannot be started (e.g. under a tight `ulimit`): run on the calling thread instead, with
/// the same values. For callers that split their own work the way fills do (the Python
/// bindings' sharded fills).
pub fn pool(n: usize) -> Option<Arc<rayon::ThreadPool>> {
    static POOLS: OnceLock<Pools> = OnceLock::new();
    let pools = POOLS.get_or_init(|| Mutex::new(Vec::new()));
    let mut g = pools.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, p)) = g.iter().find(|(k, _)| *k == n) {
        return Some(p.clone());
    }
    let p = Arc::new(
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .ok()?,
    );
    g.push((n, p.clone()));
    Some(p)
}
