//! Model configurations read from a Hugging Face `config.json` (GPT-2, Llama and BERT families).

use crate::error::RecipeError;

/// The architecture a config describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Gpt2,
    Llama,
    Bert,
}

/// The fields of a `config.json` the recipes and parameter lists use.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelConfig {
    pub family: Family,
    /// The config file's own JSON, kept so `materialize` can write it back unchanged.
    pub raw: serde_json::Value,
}

impl ModelConfig {
    /// Parses a `config.json` text.
    ///
    /// # Errors
    /// [`RecipeError::Config`] for text that is not a JSON object;
    /// [`RecipeError::ConfigField`] naming a missing or wrongly typed field.
    pub fn from_json(_text: &str) -> Result<ModelConfig, RecipeError> {
        Err(RecipeError::Config("not implemented yet (skeleton)".into()))
    }
}
