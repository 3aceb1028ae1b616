//! Errors of the diagnostics crate.

use std::path::PathBuf;

/// Everything that can go wrong in `nninit-diag`: bad data files, bad model specs, bad
/// parameters. Messages are lowercase, name the offending value and, where possible, the fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DiagError {
    /// An error from the core initialisation library.
    #[error(transparent)]
    Init(#[from] nninit::InitError),
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// A data file exists but is not what it should be (wrong magic, truncated, sizes disagree).
    #[error("{}: {reason}", path.display())]
    BadData {
        /// The file involved (or a pseudo-path such as `<embedded>`).
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A model or experiment specification is invalid (e.g. empty architecture, depth 0).
    #[error("{0}")]
    InvalidSpec(String),
    /// An unknown name was given (activation, init, optimiser...).
    #[error("unknown {what} '{name}'; expected one of: {expected}")]
    UnknownName {
        /// What kind of name ("activation", ...).
        what: &'static str,
        /// The name given.
        name: String,
        /// The valid names, comma separated.
        expected: String,
    },
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, DiagError>;
