//! Data sets for the diagnostics: an MNIST reader for the standard IDX files (raw or gzipped)
//! and an embedded 2,000-image subset of the MNIST test set.

pub mod mnist;

pub use mnist::{Mnist, Normalize, Split, MNIST_MEAN, MNIST_STD};
