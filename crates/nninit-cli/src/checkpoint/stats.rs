//! Streaming statistics of one tensor: count, mean, variance (Chan et al.'s pairwise merge of
//! per-block two-pass moments), min, max, zeros and non-finite values, plus the values at a
//! fixed-seed sample of indices (for the KS statistic). Reads in chunks of [`CHUNK_BYTES`];
//! blocks of a chunk run on all cores.

use super::read::{read_bytes, TensorRef};
use anyhow::Result;
use rayon::prelude::*;

/// Bytes read at once.
pub const CHUNK_BYTES: u64 = 32 << 20;
/// Elements per parallel block.
const BLOCK: usize = 1 << 16;
/// The seed of the sample indices (each tensor's indices keyed by its name).
pub const SAMPLE_SEED: u64 = 0x5eed_a0d1;

/// Moments of the finite values, and counts of the others.
#[derive(Clone, Copy, Debug)]
pub struct Moments {
    /// Finite values.
    pub n: u64,
    pub mean: f64,
    /// Sum of squared deviations from the mean.
    pub m2: f64,
    pub min: f64,
    pub max: f64,
    pub zeros: u64,
    /// NaN or ±inf values.
    pub nonfinite: u64,
}

impl Default for Moments {
    fn default() -> Self {
        Moments {
            n: 0,
            mean: 0.0,
            m2: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            zeros: 0,
            nonfinite: 0,
        }
    }
}

impl Moments {
    /// Two passes over `v` (it is in cache): the mean, then the squared deviations.
    pub fn of(v: &[f64]) -> Moments {
        let mut m = Moments::default();
        let mut sum = 0.0;
        for &x in v {
            if x.is_finite() {
                m.n += 1;
                sum += x;
                m.min = m.min.min(x);
                m.max = m.max.max(x);
                m.zeros += u64::from(x == 0.0);
            } else {
                m.nonfinite += 1;
            }
        }
        if m.n == 0 {
            return m;
        }
        m.mean = sum / m.n as f64;
        m.m2 = v
            .iter()
            .filter(|x| x.is_finite())
            .map(|&x| (x - m.mean) * (x - m.mean))
            .sum();
        m
    }

    /// The moments of the union (Chan, Golub and LeVeque's pairwise update).
    pub fn merge(self, o: Moments) -> Moments {
        let n = self.n + o.n;
        let (mean, m2) = if n == 0 {
            (0.0, 0.0)
        } else {
            let d = o.mean - self.mean;
            let (na, nb) = (self.n as f64, o.n as f64);
            (
                self.mean + d * nb / n as f64,
                self.m2 + o.m2 + d * d * na * nb / n as f64,
            )
        };
        Moments {
            n,
            mean,
            m2,
            min: self.min.min(o.min),
            max: self.max.max(o.max),
            zeros: self.zeros + o.zeros,
            nonfinite: self.nonfinite + o.nonfinite,
        }
    }

    /// Population standard deviation (divisor n) of the finite values.
    pub fn std(&self) -> f64 {
        if self.n == 0 {
            f64::NAN
        } else {
            (self.m2 / self.n as f64).sqrt()
        }
    }
}

/// The sorted, distinct sample indices of a tensor of `numel` elements named `name`: all of
/// them when `numel <= max`, else `max` indices drawn uniformly with replacement from the
/// Philox stream `StreamKey::from_name(SAMPLE_SEED, name)` and deduplicated (a uniformly
/// random subset, slightly smaller than `max`).
pub fn sample_indices(name: &str, numel: u64, max: usize) -> Option<Vec<u64>> {
    if numel <= max as u64 {
        return None; // all
    }
    let key = nninit::StreamKey::from_name(SAMPLE_SEED, name);
    let mut idx: Vec<u64> = (0..max as u64)
        .map(|k| {
            let w = key.block(k >> 1);
            let j = ((k & 1) * 2) as usize;
            let r = (u64::from(w[j]) << 32) | u64::from(w[j + 1]);
            // multiply-shift: uniform on [0, numel) up to 2^-64 relative bias
            ((u128::from(r) * u128::from(numel)) >> 64) as u64
        })
        .collect();
    idx.sort_unstable();
    idx.dedup();
    Some(idx)
}

/// A tensor's moments and sampled values.
pub struct Scan {
    pub moments: Moments,
    /// Finite values at the sample indices (all finite values of a small tensor).
    pub sample: Vec<f64>,
}

/// Scans tensor `t` (a float dtype) of `file`: moments of every element and the values at
/// [`sample_indices`]`(t.name, numel, sample_max)`. Memory: one chunk of bytes, its decoded
/// blocks, and the sample.
pub fn scan(file: &std::fs::File, t: &TensorRef, sample_max: usize) -> Result<Scan> {
    let Some(dtype) = t.dtype else {
        anyhow::bail!("{}: dtype {} is not a float type", t.name, t.dtype_name);
    };
    let esize = dtype.size() as u64;
    let numel = t.numel();
    let idx = sample_indices(&t.name, numel, sample_max);
    let chunk_elems = (CHUNK_BYTES / esize).max(1);
    let mut buf = Vec::new();
    let mut total = Moments::default();
    let mut sample = Vec::with_capacity(idx.as_ref().map_or(numel as usize, |v| v.len()));
    let mut e0 = 0u64;
    while e0 < numel {
        let e1 = (e0 + chunk_elems).min(numel);
        read_bytes(file, t, e0 * esize..e1 * esize, &mut buf)?;
        let parts: Vec<(Moments, Vec<f64>)> = buf
            .par_chunks(BLOCK * esize as usize)
            .enumerate()
            .map_init(Vec::new, |vals, (b, bytes)| {
                dtype.decode(bytes, vals);
                let start = e0 + (b * BLOCK) as u64;
                let end = start + vals.len() as u64;
                let picked: Vec<f64> = match &idx {
                    None => vals.iter().copied().filter(|x| x.is_finite()).collect(),
                    Some(ix) => {
                        let lo = ix.partition_point(|&i| i < start);
                        let hi = ix.partition_point(|&i| i < end);
                        ix[lo..hi]
                            .iter()
                            .map(|&i| vals[(i - start) as usize])
                            .filter(|x| x.is_finite())
                            .collect()
                    }
                };
                (Moments::of(vals), picked)
            })
            .collect();
        for (m, s) in parts {
            total = total.merge(m);
            sample.extend(s);
        }
        e0 = e1;
    }
    Ok(Scan {
        moments: total,
        sample,
    })
}

/// Compares tensors `a` and `b` element by element (values, so different dtypes compare by
/// value): the number of elements that differ (NaN equals NaN here), or `None` when the shapes
/// differ.
pub fn count_differences(
    fa: &std::fs::File,
    a: &TensorRef,
    fb: &std::fs::File,
    b: &TensorRef,
) -> Result<Option<u64>> {
    let (Some(da), Some(db)) = (a.dtype, b.dtype) else {
        return Ok(None);
    };
    if a.shape != b.shape {
        return Ok(None);
    }
    let numel = a.numel();
    let step = (CHUNK_BYTES / 8).max(1);
    let (mut ba, mut bb, mut va, mut vb) = (vec![], vec![], vec![], vec![]);
    let mut diff = 0u64;
    let mut e0 = 0u64;
    while e0 < numel {
        let e1 = (e0 + step).min(numel);
        read_bytes(fa, a, e0 * da.size() as u64..e1 * da.size() as u64, &mut ba)?;
        read_bytes(fb, b, e0 * db.size() as u64..e1 * db.size() as u64, &mut bb)?;
        da.decode(&ba, &mut va);
        db.decode(&bb, &mut vb);
        diff += va
            .iter()
            .zip(&vb)
            .filter(|(x, y)| x != y && !(x.is_nan() && y.is_nan()))
            .count() as u64;
        e0 = e1;
    }
    Ok(Some(diff))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_moments_equal_one_pass() {
        let v: Vec<f64> = (0..1000)
            .map(|i| 1.0 + ((i * 7919) % 1000) as f64 * 1e-3)
            .collect();
        let whole = Moments::of(&v);
        let parts = v
            .chunks(97)
            .map(Moments::of)
            .fold(Moments::default(), Moments::merge);
        assert_eq!(whole.n, parts.n);
        assert!((whole.mean - parts.mean).abs() < 1e-14);
        assert!((whole.std() - parts.std()).abs() < 1e-14);
        assert_eq!((whole.min, whole.max), (parts.min, parts.max));
        let with_nan = Moments::of(&[1.0, f64::NAN, f64::INFINITY, 0.0]);
        assert_eq!((with_nan.n, with_nan.nonfinite, with_nan.zeros), (2, 2, 1));
    }

    #[test]
    fn sample_indices_are_sorted_distinct_and_in_range() {
        assert!(sample_indices("w", 100, 100).is_none());
        let ix = sample_indices("w", 1_000_000, 100_000).unwrap();
        assert!(ix.windows(2).all(|w| w[0] < w[1]));
        assert!(*ix.last().unwrap() < 1_000_000);
        // with replacement then dedup: about 100000·(1 − 0.05) distinct
        assert!(ix.len() > 94_000 && ix.len() < 96_000, "{}", ix.len());
        assert_ne!(ix, sample_indices("v", 1_000_000, 100_000).unwrap());
    }
}
