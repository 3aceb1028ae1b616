//! The plan: every tensor of a model under a recipe, in state-dict order.

use crate::config::ModelConfig;
use crate::error::RecipeError;
use crate::recipe::Recipe;

/// One tensor to write: its state-dict name, shape and scheme, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct TensorPlan {
    /// State-dict key in the recipe's naming (HF, nanoGPT or torchtitan names).
    pub name: String,
    /// Shape as PyTorch stores it (row-major).
    pub shape: Vec<usize>,
    /// The scheme with every number resolved (e.g. `normal:mean=0,std=0.0028`).
    pub init: nninit::Init,
    /// The rule that chose it, as `nninit recipe show` prints it.
    pub rule: String,
    /// Other names that share this tensor (tied weights): written once, under `name`.
    pub tied: Vec<String>,
}

/// Every tensor of `config`'s model under `recipe`.
///
/// # Errors
/// [`RecipeError::Plan`] when the recipe does not cover the family or a tensor matched no rule.
pub fn plan(_config: &ModelConfig, recipe: &Recipe) -> Result<Vec<TensorPlan>, RecipeError> {
    Err(RecipeError::Plan { recipe: recipe.name.into(), problem: "not implemented yet (skeleton)".into() })
}
