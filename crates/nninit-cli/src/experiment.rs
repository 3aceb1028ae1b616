//! What probe and train share: the `--init` entries, the MLP they describe, the one code
//! path that builds a model's initial parameters ([`initial_model`]), and the MNIST data.

use crate::args::{ModelArgs, StreamArgs};
use anyhow::{bail, Context, Result};
use nninit_diag::data::{Mnist, Normalize, Split};
use nninit_diag::train::split_train_test;
use nninit_diag::{Activation, ModelInit, Sequential};
use std::path::{Path, PathBuf};

/// Names `--init` accepts besides the library's schemes (parsed by `ModelInit`).
const EXTRA_INIT_NAMES: [&str; 5] = [
    "pytorch-default",
    "torch-default",
    "pytorch_default",
    "default",
    "lsuv",
];

/// Splits an init list on commas, keeping commas that belong to an init's own parameters
/// (`uniform:-0.1,0.1,kaiming_uniform` is two inits): the library's splitter, which knows
/// every scheme's parameters, plus this CLI's own names.
pub fn split_init_list(list: &str) -> Vec<String> {
    nninit::Init::split_list(list, &EXTRA_INIT_NAMES)
        .into_iter()
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

impl ModelArgs {
    /// The layer widths (`--depth`/`--width`, else `--arch`; the input must be MNIST's 784)
    /// and the activation.
    pub fn resolve(&self) -> Result<(Vec<usize>, Activation)> {
        let widths = match self.depth {
            Some(d) => Sequential::deep_widths(784, self.width, d, 10)?,
            None => parse_arch(&self.arch)?,
        };
        if widths[0] != 784 {
            bail!(
                "invalid --arch: the first width must be 784 (MNIST images are 28x28), got {}",
                widths[0]
            );
        }
        Ok((widths, self.activation.parse()?))
    }
}

/// Parses `--arch 784,256,128,10`.
pub fn parse_arch(s: &str) -> Result<Vec<usize>> {
    let mut v = vec![];
    for part in s.split(',') {
        let p = part.trim();
        match p.parse::<usize>() {
            Ok(n) if n > 0 => v.push(n),
            _ => bail!("invalid --arch '{s}': '{p}' is not a positive integer"),
        }
    }
    if v.len() < 2 {
        bail!("invalid --arch '{s}': give at least input and output widths, e.g. 784,256,10");
    }
    Ok(v)
}

pub fn load_data(mnist: Option<&std::path::Path>, standardize: bool) -> Result<(Mnist, String)> {
    let (mut data, source) = match mnist {
        Some(dir) => (
            Mnist::load_dir(dir, Split::Test)?,
            format!("MNIST test set from {}", dir.display()),
        ),
        None => (
            Mnist::embedded()?,
            "embedded MNIST subset (first 2,000 test images)".to_string(),
        ),
    };
    non_empty(&data, &source)?;
    if standardize {
        data.normalize(Normalize::Standard);
    }
    Ok((data, source))
}

/// Refuses a data set without images (IDX files whose header says 0), before any `--batch`
/// check would suggest a batch of 0.
pub fn non_empty(data: &Mnist, source: &str) -> Result<()> {
    if data.n == 0 {
        bail!(
            "the {source} has no images (its IDX files hold 0); give --mnist a directory with \
             the standard MNIST files"
        );
    }
    Ok(())
}

/// Images of the embedded subset used for training (the rest, 400, are the test set).
pub const EMBEDDED_TRAIN: usize = 1600;

/// Images of the training data LSUV scales on (fewer if the training set is smaller).
pub const LSUV_BATCH: usize = 500;

/// Where a model's starting parameters come from.
#[derive(Debug, Clone)]
pub enum Entry {
    /// An init scheme (`pytorch-default`, `lsuv`, `kaiming_uniform`, ...).
    Init(ModelInit),
    /// A safetensors file with PyTorch `nn.Sequential` names.
    File(PathBuf),
}

impl Entry {
    /// `kaiming_uniform`, or `file:model.safetensors`.
    pub fn label(&self) -> String {
        match self {
            Entry::Init(i) => i.label(),
            Entry::File(p) => format!(
                "file:{}",
                p.file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_else(|| p.display().to_string())
            ),
        }
    }
}

/// The entries to compare: the `--init` lists (or `defaults` when none is given and there is
/// no `--weights`), then the `--weights` file.
pub fn entries(inits: &[String], weights: Option<&Path>, defaults: &[&str]) -> Result<Vec<Entry>> {
    for s in inits {
        let t = s.trim();
        if t.is_empty() || t.starts_with(',') || t.ends_with(',') || t.contains(",,") {
            bail!("empty entry in --init '{s}'; give a comma-separated list such as kaiming_uniform,normal:0.02");
        }
    }
    let texts: Vec<String> = if inits.is_empty() {
        if weights.is_some() {
            vec![]
        } else {
            defaults.iter().map(|s| s.to_string()).collect()
        }
    } else {
        inits.iter().flat_map(|s| split_init_list(s)).collect()
    };
    let mut out = vec![];
    for s in &texts {
        out.push(Entry::Init(
            s.parse::<ModelInit>()
                .with_context(|| format!("--init '{s}'"))?,
        ));
    }
    if let Some(w) = weights {
        out.push(Entry::File(w.to_path_buf()));
    }
    // the same init twice would give the same column twice (same seed, same weights)
    for i in 0..out.len() {
        if let Some(j) = (0..i).find(|&j| out[j].label() == out[i].label()) {
            let text = |k: usize| texts.get(k).cloned().unwrap_or_else(|| out[k].label());
            let same = if text(i) == text(j) {
                String::new()
            } else {
                format!(" ('{}' and '{}' are the same init)", text(j), text(i))
            };
            bail!(
                "--init lists '{}' twice{same}; every entry starts from the same --seed, so a \
                 repeat gives the same weights again: list each init once",
                out[i].label()
            );
        }
    }
    if out.is_empty() {
        bail!("--init is empty; give e.g. --init kaiming_uniform,normal:0.02");
    }
    Ok(out)
}

/// A model of these widths with its parameters from `entry`: the init drawn from `stream`
/// (freshly seeded by the caller; LSUV scaled on `x`, `batch` images), or the file loaded.
pub fn build_model<S: nninit::Stream>(
    entry: &Entry,
    widths: &[usize],
    act: Activation,
    stream: &mut S,
    x: &[f32],
    batch: usize,
) -> Result<Sequential> {
    let mut model = Sequential::mlp(widths, act)?;
    match entry {
        Entry::Init(init) => {
            model.apply_with_data(init, stream, x, batch)?;
        }
        Entry::File(p) => model.load_safetensors_file(p).map_err(weights_error)?,
    }
    Ok(model)
}

/// A `--weights` file's error as one clause: `--weights FILE: what is wrong` (the loader's
/// own message starts with the file name; this puts the flag before it, once).
fn weights_error(e: nninit_diag::DiagError) -> anyhow::Error {
    use nninit_diag::DiagError;
    match e {
        DiagError::Io { path, source } => {
            anyhow::anyhow!("--weights {}: {source}", path.display())
        }
        DiagError::BadData { path, reason } => {
            anyhow::anyhow!("--weights {}: {reason}", path.display())
        }
        other => anyhow::Error::new(other).context("--weights"),
    }
}

/// The one code path of probe and train from an entry to the model they start from: a fresh
/// stream from `--seed`/`--rng`/`--flavor`/`--threads` (every init starts from the seed), each
/// parameter drawn under its PyTorch state-dict name ([`build_model`]).
pub fn initial_model(
    entry: &Entry,
    widths: &[usize],
    act: Activation,
    stream: &StreamArgs,
    x: &[f32],
    batch: usize,
) -> Result<Sequential> {
    build_model(entry, widths, act, &mut stream.stream()?, x, batch)
}

/// Checks the hidden `--save-init DIR`: an existing directory.
pub fn check_save_init(dir: Option<&Path>) -> Result<()> {
    if let Some(d) = dir {
        if !d.is_dir() {
            bail!("--save-init {}: not a directory", d.display());
        }
    }
    Ok(())
}

/// Writes entry `k`'s initial parameters to `DIR/<k>.safetensors` (hidden `--save-init`).
pub fn save_init(dir: Option<&Path>, k: usize, model: &Sequential) -> Result<()> {
    if let Some(d) = dir {
        crate::io::write_atomic(
            &d.join(format!("{k}.safetensors")),
            &model.to_safetensors()?,
        )?;
    }
    Ok(())
}

/// Training and test sets: with `--mnist DIR` the standard 60,000 / 10,000 split, else the
/// embedded subset's first 1,600 / last 400 images. Returns them and a description.
pub fn load_train_test(mnist: Option<&Path>, standardize: bool) -> Result<(Mnist, Mnist, String)> {
    let (mut tr, mut te, source) = match mnist {
        Some(dir) => (
            Mnist::load_dir(dir, Split::Train)?,
            Mnist::load_dir(dir, Split::Test)?,
            format!("MNIST from {} (train 60,000 / test 10,000)", dir.display()),
        ),
        None => {
            let all = Mnist::embedded()?;
            let (tr, te) = split_train_test(&all, EMBEDDED_TRAIN)?;
            let src = format!(
                "embedded MNIST subset (first {} of the 2,000 images to train, last {} to test)",
                tr.n, te.n
            );
            (tr, te, src)
        }
    };
    if let Some(dir) = mnist {
        non_empty(&tr, &format!("MNIST training set in {}", dir.display()))?;
        non_empty(&te, &format!("MNIST test set in {}", dir.display()))?;
    }
    if standardize {
        tr.normalize(Normalize::Standard);
        te.normalize(Normalize::Standard);
    }
    Ok((tr, te, source))
}
