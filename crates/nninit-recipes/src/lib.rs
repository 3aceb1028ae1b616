//! Transformer initialisation recipes as data, and the per-tensor plan a recipe gives for a
//! model configuration.
//!
//! Data flows one way: [`config`] (a Hugging Face `config.json` -> [`ModelConfig`]) ->
//! [`model`] (every parameter's name, shape, layer and ties, in a code base's naming) ->
//! [`recipe`] (named recipes: ordered rules of name pattern, condition and law, each citing
//! its source; expressions in [`expr`]) -> [`plan`] (every tensor with its resolved
//! [`nninit::Init`], and its counter-based fill keyed by `(seed, name)`) -> [`torch_mode`]
//! (nanoGPT's exact PyTorch tensors on the torch stream); [`infer`] guesses a config from a
//! module's parameter names and shapes.
//!
//! ```
//! use nninit_recipes::{plan, ModelConfig, Recipe};
//! let config = ModelConfig::from_json(include_str!("../../../testdata/configs/tinyllama-1.1b.json"))?;
//! let p = plan(&config, Recipe::by_name("torchtitan-llama3")?)?;
//! assert_eq!(p.len(), 1 + 22 * 9 + 2);
//! let wo = p.iter().find(|t| t.name == "layers.3.attention.wo.weight").unwrap();
//! assert_eq!(wo.init, nninit::Init::trunc_normal(0.0, 0.02 / 8f64.sqrt(), -2.0, 2.0));
//! # Ok::<(), nninit_recipes::RecipeError>(())
//! ```

pub mod config;
pub mod error;
pub mod expr;
pub mod infer;
pub mod model;
pub mod plan;
pub mod recipe;
pub mod torch_mode;

pub use config::{Family, ModelConfig};
pub use error::RecipeError;
pub use infer::infer_config;
pub use model::{parameters, Naming, Param};
pub use plan::{plan, plan_params, TensorPlan};
pub use recipe::{Recipe, RECIPES};
pub use torch_mode::{nanogpt_torch_each, nanogpt_torch_tensors};
