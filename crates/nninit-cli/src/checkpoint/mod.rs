//! Checkpoints on disk in the Hugging Face layout: [`layout`] (shards, headers, index),
//! [`write`] (streamed, atomic writing), [`read`] (headers and bounded chunked reads),
//! [`stats`] (streaming per-tensor statistics and a fixed-seed sample), [`law`] (a recipe's
//! expected law: CDF, moments, KS statistic). Imports run one way: `write` → `layout`,
//! `stats` → `read`, and `law` uses only the core.

pub mod audit;
pub mod law;
pub mod layout;
pub mod read;
pub mod stats;
pub mod write;
