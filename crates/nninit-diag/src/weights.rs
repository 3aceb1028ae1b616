//! Parameters in and out as safetensors, with PyTorch's `nn.Sequential` state-dict names.
//!
//! A `Sequential` of `Linear(784, 256), ReLU, Linear(256, 10)` is saved as `0.weight`
//! (f32 `[256, 784]`), `0.bias` (`[256]`), `2.weight` (`[10, 256]`), `2.bias` (`[10]`): the
//! index counts every module, activations included, exactly as
//! `nn.Sequential(...).state_dict()` names them, so in Python
//! `model.load_state_dict(safetensors.torch.load_file("model.safetensors"))` works.
//! Loading is strict like `load_state_dict(strict=True)`: every expected name must be there
//! with dtype F32 and the right shape, and no other tensor may be.

use crate::error::{DiagError, Result};
use crate::model::{param_name, Layer, Sequential};
use safetensors::{Dtype, SafeTensors};
use std::collections::HashMap;
use std::path::Path;

/// One parameter's state-dict entry: name and shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamName {
    /// `0.weight`, `0.bias`, `2.weight`, ...
    pub name: String,
    /// `[out, in]` for a weight, `[out]` for a bias.
    pub shape: Vec<usize>,
}

impl Sequential {
    /// The state-dict names and shapes of the parameters, in `model.parameters()` order.
    pub fn param_names(&self) -> Vec<ParamName> {
        let mut v = vec![];
        for (i, l) in self.layers.iter().enumerate() {
            if let Layer::Linear {
                in_features,
                out_features,
                ..
            } = l
            {
                v.push(ParamName {
                    name: param_name(i, "weight"),
                    shape: vec![*out_features, *in_features],
                });
                v.push(ParamName {
                    name: param_name(i, "bias"),
                    shape: vec![*out_features],
                });
            }
        }
        v
    }

    /// The safetensors encoding of the parameters (f32, little-endian), with metadata
    /// `format = pt` and `modules` = the PyTorch module list (e.g. `Linear(784, 256), ReLU,
    /// Linear(256, 10)`).
    ///
    /// # Errors
    /// [`DiagError::InvalidSpec`] if the encoder fails (it does not for a valid model).
    pub fn to_safetensors(&self) -> Result<Vec<u8>> {
        let mut tensors: Vec<(String, safetensors::tensor::TensorView<'_>)> = vec![];
        let mut bytes: Vec<(String, Vec<usize>, Vec<u8>)> = vec![];
        let mut modules = vec![];
        for (i, l) in self.layers.iter().enumerate() {
            match l {
                Layer::Linear {
                    in_features,
                    out_features,
                    weight,
                    bias,
                } => {
                    modules.push(format!("Linear({in_features}, {out_features})"));
                    bytes.push((
                        param_name(i, "weight"),
                        vec![*out_features, *in_features],
                        weight.iter().flat_map(|v| v.to_le_bytes()).collect(),
                    ));
                    bytes.push((
                        param_name(i, "bias"),
                        vec![*out_features],
                        bias.iter().flat_map(|v| v.to_le_bytes()).collect(),
                    ));
                }
                Layer::Act(_) => modules.push(l.kind()),
            }
        }
        let encode_err =
            |e: safetensors::SafeTensorError| DiagError::InvalidSpec(format!("safetensors: {e}"));
        for (name, shape, data) in &bytes {
            tensors.push((
                name.clone(),
                safetensors::tensor::TensorView::new(Dtype::F32, shape.clone(), data)
                    .map_err(encode_err)?,
            ));
        }
        let meta = HashMap::from([
            ("format".to_string(), "pt".to_string()),
            ("modules".to_string(), modules.join(", ")),
        ]);
        Ok(canonical_safetensors(
            safetensors::serialize(tensors, Some(meta)).map_err(encode_err)?,
        ))
    }

    /// Loads parameters from safetensors bytes (strict: see the module docs). `path` only
    /// names the source in errors. Nothing is changed unless every tensor checks out.
    ///
    /// # Errors
    /// [`DiagError::BadData`] for an unreadable file, a missing or unexpected tensor, a dtype
    /// other than F32 or a wrong shape; the message names the tensor and what was expected.
    pub fn load_safetensors(&mut self, bytes: &[u8], path: &Path) -> Result<()> {
        let bad = |reason: String| DiagError::BadData {
            path: path.to_path_buf(),
            reason,
        };
        let st = SafeTensors::deserialize(bytes)
            .map_err(|e| bad(format!("not a readable safetensors file: {e}")))?;
        let expected = self.param_names();
        let expected_list = expected
            .iter()
            .map(|p| format!("{} {:?}", p.name, p.shape))
            .collect::<Vec<_>>()
            .join(", ");
        let mut names = st.names();
        names.sort();
        if let Some(extra) = names
            .iter()
            .find(|n| !expected.iter().any(|p| p.name == **n))
        {
            return Err(bad(format!(
                "unexpected tensor '{extra}'; this model ({}) has: {expected_list}",
                self.describe()
            )));
        }
        let mut values: Vec<Vec<f32>> = Vec::with_capacity(expected.len());
        for p in &expected {
            let t = st.tensor(&p.name).map_err(|_| {
                bad(format!(
                    "missing tensor '{}' (f32 {:?}); this model ({}) has: {expected_list}; the file has: {}",
                    p.name,
                    p.shape,
                    self.describe(),
                    names.join(", ")
                ))
            })?;
            if t.dtype() != Dtype::F32 {
                return Err(bad(format!(
                    "tensor '{}' has dtype {:?}; expected F32 (save with .float())",
                    p.name,
                    t.dtype()
                )));
            }
            if t.shape() != p.shape.as_slice() {
                return Err(bad(format!(
                    "tensor '{}' has shape {:?}; this model ({}) needs {:?}",
                    p.name,
                    t.shape(),
                    self.describe(),
                    p.shape
                )));
            }
            let v: Vec<f32> = t
                .data()
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            let bad_values = v.iter().filter(|x| !x.is_finite()).count();
            if bad_values > 0 {
                return Err(bad(format!(
                    "tensor '{}' has {bad_values} non-finite values (NaN or inf); weights to \
                     start from must be finite",
                    p.name
                )));
            }
            values.push(v);
        }
        let mut it = values.into_iter();
        for l in &mut self.layers {
            if let Layer::Linear { weight, bias, .. } = l {
                if let (Some(w), Some(b)) = (it.next(), it.next()) {
                    *weight = w;
                    *bias = b;
                }
            }
        }
        Ok(())
    }

    /// Reads a safetensors file with [`Sequential::load_safetensors`].
    ///
    /// # Errors
    /// [`DiagError::Io`] when the file cannot be read or is not a regular file (a FIFO, a
    /// device or a directory is refused before it is opened: reading a FIFO would wait for a
    /// writer forever, as the MNIST loader also avoids); as [`Sequential::load_safetensors`].
    pub fn load_safetensors_file(&mut self, path: &Path) -> Result<()> {
        let io_err = |source| DiagError::Io {
            path: path.to_path_buf(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(io_err)?;
        if !meta.is_file() {
            return Err(io_err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not a regular file (a directory, FIFO or device); give a .safetensors file",
            )));
        }
        let bytes = std::fs::read(path).map_err(io_err)?;
        self.load_safetensors(&bytes, path)
    }

    /// `Linear(784, 256), ReLU, Linear(256, 10)`.
    fn describe(&self) -> String {
        self.layers
            .iter()
            .map(|l| match l {
                Layer::Linear {
                    in_features,
                    out_features,
                    ..
                } => format!("Linear({in_features}, {out_features})"),
                Layer::Act(_) => l.kind(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Rewrites a serialized safetensors file so that its JSON header has its keys in sorted order
/// (the `safetensors` crate writes `__metadata__` from a `HashMap`, whose order changes from
/// run to run): the same tensors and metadata then give the same bytes. The header keeps its
/// length (padded with spaces, as the format allows), so the data offsets do not move. Bytes
/// that do not parse as a safetensors header are returned unchanged.
pub fn canonical_safetensors(mut bytes: Vec<u8>) -> Vec<u8> {
    let Some(len) = bytes
        .get(..8)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map(u64::from_le_bytes)
        .and_then(|n| usize::try_from(n).ok())
    else {
        return bytes;
    };
    let Some(header) = bytes.get(8..8usize.saturating_add(len)) else {
        return bytes;
    };
    // serde_json's map is a BTreeMap (no `preserve_order`): serialising sorts the keys
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(header) else {
        return bytes;
    };
    let Ok(mut sorted) = serde_json::to_vec(&value) else {
        return bytes;
    };
    if sorted.len() > len {
        return bytes;
    }
    sorted.resize(len, b' ');
    bytes[8..8 + len].copy_from_slice(&sorted);
    bytes
}
