//! Random streams: where the numbers of a fill come from.
//!
//! A *generator* yields bits ([`rand_core::RngCore`]); a [`Stream`] turns them into draws from
//! a [`Sampler`](crate::Sampler) (uniform, normal, truncated normal) and permutations, so a
//! scheme ([`crate::Init`]) is a value and the stream is an argument, as in `rand`.
//!
//! Streams in this crate:
//! - [`RngStream`]: wraps any `rand_core::RngCore` (e.g. `rand::rngs::StdRng`) with the
//!   reference transforms of [`transform`]. Deterministic for a deterministic generator;
//!   the transforms themselves are portable (no platform math beyond correctly rounded
//!   `sqrt`, and `ln`/`sin`/`cos` from Rust's std).
//! - [`TorchGenerator`]: PyTorch's CPU generator (mt19937, `manual_seed`, cached normal) with
//!   PyTorch's exact kernels ([`torch_kernels`]): after `TorchGenerator::manual_seed(s)` the
//!   fills equal PyTorch's after `torch.manual_seed(s)`, bit for bit (f32; see [`Flavor`]).
//! - [`Philox`](crate::Philox) (in [`crate::fill`]): counter-based Philox4x32-10 ([`philox`]);
//!   every value depends only on `(seed, stream, element index)`, so fills are identical for
//!   any thread count and any shard.
//!
//! Module map (imports run one way): [`stream`] (the contract, [`RngStream`]) →
//! [`transform`]; [`torch`] (the generator) → [`torch_kernels`]; [`philox`] (the raw
//! function and [`StreamKey`](philox::StreamKey)) imports nothing.

pub mod philox;
pub mod stream;
pub mod torch;
pub mod torch_kernels;
pub mod transform;

pub use rand_core::RngCore;
pub use stream::{RngStream, Stream};
pub use torch::TorchGenerator;
pub use torch_kernels::Flavor;
