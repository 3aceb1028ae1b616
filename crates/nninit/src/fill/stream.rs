//! [`Philox`]: the counter-based fill engine as a [`Stream`].

use super::parallel::{fill_sampler, Par};
use crate::element::Element;
use crate::rng::philox::StreamKey;
use crate::rng::stream::Stream;
use crate::sampler::Sampler;

/// A counter-based [`Stream`]: Philox4x32-10 with the index-addressed transforms of
/// [`crate::fill`], so every value depends only on `(seed, stream, element index)`.
///
/// Each call to a [`Stream`] method (one per tensor for `uniform`, `normal`, `trunc_normal`
/// and the fan-based schemes; `orthogonal` makes one call, `sparse` one plus one per column)
/// uses the stream id [`Philox::next_stream`] and then advances it by one, so by default a
/// tensor's stream id is its position in the order of the fills. Two ways to key it instead:
/// - by name: [`Stream::select_tensor`]`(name)` positions the stream id at
///   [`StreamKey::from_name`]`(seed, name)`, so a tensor's values no longer depend on which
///   tensors were filled before it (adding a layer changes nothing else);
/// - by number: [`Philox::set_stream`] / [`Philox::with_stream`].
///
/// Either way `Init::fill(.., &mut Philox::new(seed).with_stream(s))` equals
/// `Init::fill_range(.., StreamKey::new(seed, s), range, ..)` on every `range`.
///
/// The output does not depend on [`Par`]: any thread count gives bit-identical values.
///
/// ```
/// use nninit::{Init, Layout, Par, Philox, Shape, Stream, StreamKey};
/// let shape = Shape::new(&[64, 32])?;
/// let mut a = vec![0f32; shape.numel()];
/// let mut b = vec![0f32; shape.numel()];
/// let init: Init = "kaiming_uniform".parse()?;
/// init.fill(&mut a, &shape, Layout::Torch, &mut Philox::new(7))?;
/// init.fill(&mut b, &shape, Layout::Torch, &mut Philox::new(7).with_par(Par::threads(3)))?;
/// assert_eq!(a, b);
/// // keyed by name: the same values whatever was drawn before
/// let mut p = Philox::new(7);
/// init.fill(&mut a, &shape, Layout::Torch, &mut p)?; // some other tensor first
/// p.select_tensor("fc1.weight");
/// init.fill(&mut a, &shape, Layout::Torch, &mut p)?;
/// let key = StreamKey::from_name(7, "fc1.weight");
/// init.fill_range(&mut b, &shape, Layout::Torch, key, 0..shape.numel(), Par::Seq)?;
/// assert_eq!(a, b);
/// # Ok::<(), nninit::InitError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Philox {
    seed: u64,
    next: u64,
    par: Par,
}

impl Philox {
    /// A stream with `seed`, positioned at stream id 0, sequential ([`Par::Seq`]).
    pub fn new(seed: u64) -> Self {
        Philox {
            seed,
            next: 0,
            par: Par::Seq,
        }
    }

    /// Sets the parallelism used by fills (does not change any value).
    pub fn with_par(mut self, par: Par) -> Self {
        self.par = par;
        self
    }

    /// Positions the stream id used by the next call.
    pub fn with_stream(mut self, stream: u64) -> Self {
        self.next = stream;
        self
    }

    /// Positions the stream id used by the next call.
    pub fn set_stream(&mut self, stream: u64) {
        self.next = stream;
    }

    /// The stream id the next call will use.
    pub fn next_stream(&self) -> u64 {
        self.next
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The parallelism of fills.
    pub fn par(&self) -> Par {
        self.par
    }

    /// The key of the next call, advancing the stream id.
    fn take(&mut self) -> StreamKey {
        let k = StreamKey::new(self.seed, self.next);
        self.next = self.next.wrapping_add(1);
        k
    }
}

impl Stream for Philox {
    /// The counter-based fill of [`crate::fill`] under the next stream id.
    fn sample<T: Element>(&mut self, sampler: &Sampler, out: &mut [T]) {
        let key = self.take();
        fill_sampler(sampler, key, 0, out, self.par);
    }
    /// Fisher–Yates with one 64-bit word per step (`block(t >> 1)`, words `2j, 2j+1` for
    /// `j = t & 1`), `z = word % (n − t)` (bias below `n · 2⁻⁶⁴`).
    fn randperm(&mut self, n: usize) -> Vec<usize> {
        let key = self.take();
        let mut r: Vec<usize> = (0..n).collect();
        for t in 0..n.saturating_sub(1) {
            let w = key.block((t >> 1) as u64);
            let j = (t & 1) * 2;
            let v = ((w[j] as u64) << 32) | w[j + 1] as u64;
            let z = (v % (n - t) as u64) as usize;
            r.swap(t, t + z);
        }
        r
    }
    fn mirrors_torch(&self) -> bool {
        false
    }
    /// Positions the stream id at [`StreamKey::from_name`]`(seed, name)`.
    fn select_tensor(&mut self, name: &str) {
        self.next = StreamKey::from_name(self.seed, name).stream;
    }
}
