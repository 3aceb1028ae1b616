//! Errors of configs, recipes and plans.

/// Everything that can go wrong reading a config or planning a recipe.
#[derive(Debug, thiserror::Error)]
pub enum RecipeError {
    /// A config.json field is missing or has the wrong type.
    #[error("config.json: field '{field}': {problem}")]
    ConfigField { field: String, problem: String },
    /// The config file could not be read or is not JSON.
    #[error("config.json: {0}")]
    Config(String),
    /// No recipe of that name.
    #[error("unknown recipe '{name}' (known: {known})")]
    UnknownRecipe { name: String, known: String },
    /// A recipe does not apply to this model family or a parameter matched no rule.
    #[error("recipe '{recipe}': {problem}")]
    Plan { recipe: String, problem: String },
    /// A scheme built by a rule is invalid.
    #[error(transparent)]
    Init(#[from] nninit::InitError),
}
