//! # nninit-diag
//!
//! Signal-propagation diagnostics for [`nninit`]: an MLP (`Sequential` of Linear layers and
//! activations), MNIST data (IDX reader and an embedded 2,000-image subset), per-layer
//! activation and gradient statistics, training, LSUV, and the theory that predicts them.
//!
//! Modules, each importing only those listed before it (and never one that imports it):
//!
//! | module | concept |
//! |---|---|
//! | [`error`] | [`DiagError`] |
//! | [`float`] | [`float::Float`]: `f32`/`f64` behind one trait |
//! | [`hist`] | [`hist::Histogram`]: fixed-bin histograms of outputs and gradients |
//! | [`html`] | the self-contained HTML report of a report document |
//! | [`data`] | MNIST: IDX reader, embedded subset |
//! | [`activation`] | [`Activation`]: each nonlinearity and its derivative, defined once |
//! | [`linalg`] | matrix products (faer), population std, checked allocation |
//! | [`loss`] | mean cross-entropy and its gradient |
//! | [`optim`] | [`Optimizer`]: SGD (momentum), Adam, PyTorch's update rules |
//! | [`init`] | [`ModelInit`]: the `--init` spec, LSUV's parameters, the one parameter fill |
//! | [`model`] | [`Sequential`], [`Layer`]: the description and its initialisation |
//! | [`dense`] | [`DenseNet`]: the one executor (forward, backward, updates) |
//! | [`stats`] | [`LayerStats`], [`GradStats`]: what `probe` measures |
//! | [`weights`] | safetensors in and out, PyTorch state-dict names |
//! | [`lsuv`] | LSUV on a data batch |
//! | [`train`] | the training loop |
//! | [`theory`] | Gaussian expectations, gains, mean-field prediction |
//! | [`advice`] | symptom → suggested init |
#![deny(missing_docs)]

pub mod error;
pub mod float;
pub mod hist;
pub mod html;

pub mod data;

pub mod activation;
pub mod linalg;
pub mod loss;
pub mod optim;

pub mod init;
pub mod model;

pub mod dense;

pub mod stats;
pub mod weights;

pub mod lsuv;
pub mod train;

pub mod advice;
pub mod theory;

pub use activation::Activation;
pub use dense::DenseNet;
pub use error::{DiagError, Result};
pub use init::ModelInit;
pub use model::{Layer, Sequential};
pub use optim::Optimizer;
pub use stats::{GradStats, LayerStats};
pub use train::{TrainConfig, TrainHistory};
