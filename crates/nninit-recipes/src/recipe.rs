//! Named recipes: each an ordered list of rules (parameter-name pattern, condition, scheme).

use crate::error::RecipeError;

/// One named recipe (e.g. `gpt2`, `torchtitan-llama3`).
#[derive(Debug)]
pub struct Recipe {
    pub name: &'static str,
    /// What it mirrors: repository, file and line.
    pub source: &'static str,
}

/// Every recipe, in `nninit recipe list` order.
pub static RECIPES: &[Recipe] = &[];

impl Recipe {
    /// The recipe called `name`.
    ///
    /// # Errors
    /// [`RecipeError::UnknownRecipe`] listing the known names.
    pub fn by_name(name: &str) -> Result<&'static Recipe, RecipeError> {
        RECIPES.iter().find(|r| r.name == name).ok_or_else(|| RecipeError::UnknownRecipe {
            name: name.into(),
            known: RECIPES.iter().map(|r| r.name).collect::<Vec<_>>().join(", "),
        })
    }
}
