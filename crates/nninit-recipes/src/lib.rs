//! Transformer initialisation recipes as data, and the per-tensor plan a recipe gives for a
//! model configuration.
//!
//! Data flows one way: [`config`] (a Hugging Face `config.json` -> [`ModelConfig`]) ->
//! [`recipe`] (named recipes: ordered rules of name pattern, condition and scheme) ->
//! [`plan`] (every tensor of the model with its shape and resolved [`nninit::Init`]).
//!
//! SKELETON (issue #14): the types below are the interface the CLI's `recipe`, `materialize`
//! and `audit` commands and the Python package build on; the bodies are filled in on the
//! `recipes` branch.

pub mod config;
pub mod error;
pub mod plan;
pub mod recipe;

pub use config::ModelConfig;
pub use error::RecipeError;
pub use plan::{plan, TensorPlan};
pub use recipe::Recipe;
