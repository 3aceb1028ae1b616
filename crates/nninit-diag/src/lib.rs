//! # nninit-diag
//!
//! Signal-propagation diagnostics for [`nninit`]: an MLP (`Sequential` of Linear layers and
//! activations), MNIST data (IDX reader and an embedded 2,000-image subset), per-layer
//! activation statistics, and the theory that predicts them.
#![deny(missing_docs)]

pub mod activation;
pub mod data;
pub mod error;

pub use activation::Activation;
pub use error::{DiagError, Result};
pub mod advice;
pub mod backprop;
pub mod lsuv;
pub mod model;
pub mod stats;
pub mod theory;
pub mod train;
pub mod weights;

pub use backprop::DenseNet;
pub use model::{Layer, ModelInit, Sequential};
pub use stats::LayerStats;
pub use train::{GradStats, Optimizer, TrainConfig, TrainHistory};
