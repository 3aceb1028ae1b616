//! The Hugging Face checkpoint layout: which tensor goes in which shard
//! (`model-00001-of-0000N.safetensors`, or `model.safetensors` alone), each shard's
//! safetensors header, and `model.safetensors.index.json`.
//!
//! Mirrors `huggingface_hub.serialization._base`: `split_state_dict_into_shards_factory`
//! (shards filled in state-dict order; a tensor that would tip a shard over the maximum starts
//! the next one; a tensor bigger than the maximum gets a shard of its own) and
//! `parse_size_to_int` (`5GB` = 5·10⁹ bytes; KB, MB, GB, TB decimal).

use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;

/// Parses a shard size as `huggingface_hub`'s `parse_size_to_int` does (`5GB`, `500MB`, `1.5TB`:
/// decimal units KB, MB, GB, TB), plus binary units (KiB, MiB, GiB, TiB) and plain bytes.
///
/// # Errors
/// A size that is not a positive number with one of those units.
pub fn parse_size(s: &str) -> Result<u64> {
    let t = s.trim();
    let units: [(&str, f64); 9] = [
        ("KIB", 1024.0),
        ("MIB", 1024f64 * 1024.0),
        ("GIB", 1024f64 * 1024.0 * 1024.0),
        ("TIB", 1024f64 * 1024.0 * 1024.0 * 1024.0),
        ("KB", 1e3),
        ("MB", 1e6),
        ("GB", 1e9),
        ("TB", 1e12),
        ("B", 1.0),
    ];
    let upper = t.to_ascii_uppercase();
    let (num, mult) = units
        .iter()
        .find_map(|&(u, m)| upper.strip_suffix(u).map(|n| (n.trim().to_string(), m)))
        .unwrap_or((upper.clone(), 1.0));
    let bad = || {
        anyhow::anyhow!(
            "--max-shard-size '{s}': expected a size such as 5GB, 500MB, 2GiB or a number of bytes"
        )
    };
    let v: f64 = num.parse().map_err(|_| bad())?;
    let bytes = v * mult;
    if !(1.0..1.8e19).contains(&bytes) {
        return Err(bad());
    }
    Ok(bytes as u64)
}

/// Splits tensors of `sizes` bytes (state-dict order) into shards of at most `max` bytes, as
/// `split_state_dict_into_shards_factory`: returns each shard's tensor indices.
pub fn split(sizes: &[u64], max: u64) -> Vec<Vec<usize>> {
    let mut shards: Vec<Vec<usize>> = vec![];
    let mut current: Vec<usize> = vec![];
    let mut current_size = 0u64;
    for (i, &size) in sizes.iter().enumerate() {
        if size > max {
            shards.push(vec![i]);
            continue;
        }
        if current_size + size > max && !current.is_empty() {
            shards.push(std::mem::take(&mut current));
            current_size = 0;
        }
        current.push(i);
        current_size += size;
    }
    if !current.is_empty() {
        shards.push(current);
    }
    shards
}

/// The file name of shard `k` (0-based) of `n`: `model.safetensors` when `n == 1`, else
/// `model-0000{k+1}-of-0000{n}.safetensors`.
pub fn shard_file_name(k: usize, n: usize) -> String {
    if n == 1 {
        "model.safetensors".into()
    } else {
        format!("model-{:05}-of-{:05}.safetensors", k + 1, n)
    }
}

/// One tensor of a shard header.
pub struct HeaderTensor<'a> {
    pub name: &'a str,
    pub shape: &'a [usize],
}

/// The bytes a safetensors file starts with for `tensors` (stored in this order, contiguous,
/// all of `dtype`) and the string metadata `meta`: the 8-byte little-endian header length, then
/// the JSON header (keys sorted) padded with spaces to a multiple of 8 bytes, as the
/// `safetensors` crate pads. Checked by parsing it back with the crate's own `Metadata`
/// (contiguous offsets, sizes matching shapes).
///
/// # Errors
/// A size that overflows, or a header the crate rejects.
pub fn header_bytes(
    tensors: &[HeaderTensor<'_>],
    dtype: safetensors::Dtype,
    meta: &BTreeMap<String, String>,
) -> Result<Vec<u8>> {
    let elem = (dtype.bitsize() / 8) as u64;
    let mut map = serde_json::Map::new();
    map.insert("__metadata__".into(), serde_json::to_value(meta)?);
    let mut offset = 0u64;
    for t in tensors {
        let numel = t
            .shape
            .iter()
            .try_fold(1u64, |a, &d| a.checked_mul(d as u64))
            .context("tensor size overflows")?;
        let end = numel
            .checked_mul(elem)
            .and_then(|b| b.checked_add(offset))
            .context("tensor size overflows")?;
        map.insert(
            t.name.to_string(),
            serde_json::json!({ "dtype": dtype, "shape": t.shape, "data_offsets": [offset, end] }),
        );
        offset = end;
    }
    let mut json = serde_json::to_vec(&serde_json::Value::Object(map))?;
    json.resize(json.len().next_multiple_of(8), b' ');
    let parsed: safetensors::tensor::Metadata = serde_json::from_slice(&json)
        .map_err(|e| anyhow::anyhow!("internal error: invalid safetensors header: {e}"))?;
    if parsed.data_len() as u64 != offset {
        bail!("internal error: safetensors header covers the wrong number of bytes");
    }
    let mut out = (json.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(&json);
    Ok(out)
}

/// `model.safetensors.index.json`: `{"metadata": {"total_size": N}, "weight_map": {name:
/// file}}` (keys sorted), `total_size` the bytes of tensor data over all shards, as
/// `transformers`' `save_pretrained` writes it.
pub fn index_json(total_size: u64, weight_map: &BTreeMap<String, String>) -> Result<String> {
    let doc = serde_json::json!({
        "metadata": { "total_size": total_size },
        "weight_map": weight_map,
    });
    let mut s = serde_json::to_string_pretty(&doc)?;
    s.push('\n');
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_like_huggingface_hub() {
        assert_eq!(parse_size("5GB").unwrap(), 5_000_000_000);
        assert_eq!(parse_size("500MB").unwrap(), 500_000_000);
        assert_eq!(parse_size(" 1.5kb ").unwrap(), 1500);
        assert_eq!(parse_size("2GiB").unwrap(), 2 << 30);
        assert_eq!(parse_size("4096").unwrap(), 4096);
        for bad in ["", "GB", "-1GB", "0", "5XB", "nanGB"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn split_follows_huggingface_hub() {
        // huggingface_hub's docstring example: [6, 6, 2, 6, 2, 2] at 10 -> [6], [6+2], [6+2+2]
        assert_eq!(
            split(&[6, 6, 2, 6, 2, 2], 10),
            vec![vec![0], vec![1, 2], vec![3, 4, 5]]
        );
        // its test: layer_3 (30) is over the maximum (10) and gets its own shard at once
        assert_eq!(
            split(&[6, 10, 30, 2, 2], 10),
            vec![vec![0], vec![2], vec![1], vec![3, 4]]
        );
        assert_eq!(split(&[1, 2, 3], 100), vec![vec![0, 1, 2]]);
    }

    #[test]
    fn header_parses_with_the_safetensors_crate() {
        let meta = BTreeMap::from([("format".to_string(), "pt".to_string())]);
        let t = [
            HeaderTensor {
                name: "b",
                shape: &[3, 2],
            },
            HeaderTensor {
                name: "a",
                shape: &[5],
            },
        ];
        let h = header_bytes(&t, safetensors::Dtype::BF16, &meta).unwrap();
        let n = u64::from_le_bytes(h[..8].try_into().unwrap()) as usize;
        assert_eq!(n + 8, h.len());
        assert_eq!(n % 8, 0);
        let mut file = h.clone();
        file.extend(std::iter::repeat_n(0u8, 22));
        let st = safetensors::SafeTensors::deserialize(&file).unwrap();
        assert_eq!(st.tensor("b").unwrap().shape(), &[3, 2]);
        assert_eq!(st.tensor("a").unwrap().data().len(), 10);
        assert_eq!(shard_file_name(0, 1), "model.safetensors");
        assert_eq!(shard_file_name(1, 3), "model-00002-of-00003.safetensors");
    }
}
