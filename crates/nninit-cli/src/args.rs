//! Command-line arguments (clap derive). Validation into typed settings happens in `cmd/*`.

use crate::stream::{AnyStream, FlavorArg, RngKind};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// nninit: neural-network weight initialisation and signal-propagation diagnostics.
#[derive(Debug, Parser)]
#[command(name = "nninit", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Initialise an MLP several ways, push real MNIST through it, show per-layer statistics.
    #[command(allow_negative_numbers = true)]
    Probe(ProbeArgs),
    /// Print the methods table (method, variance formula, best for), from the library's definitions.
    Table(TableArgs),
    /// Fill one tensor with a scheme and write it (.npy, .safetensors, or JSON to stdout).
    #[command(allow_negative_numbers = true)]
    Fill(FillArgs),
    /// Gains per activation: PyTorch's calculate_gain beside the numeric (Gaussian-quadrature) ones.
    Gain(GainArgs),
    /// Mean-field theory for one activation: the critical line (edge of chaos) and fixed points.
    #[command(allow_negative_numbers = true)]
    Theory(TheoryArgs),
    /// Measure fill throughput (GB/s of f32) against memset, and orthogonal init time.
    Bench(BenchArgs),
    /// Train the MLP on MNIST once per init (same data order) and compare loss and accuracy.
    #[command(allow_negative_numbers = true)]
    Train(TrainArgs),
    /// LSUV-initialise the MLP on an MNIST batch and save it as PyTorch-named safetensors.
    #[command(allow_negative_numbers = true)]
    Lsuv(LsuvArgs),
    /// Transformer init recipes (gpt2, llama, torchtitan-llama3, olmo-*, megatron, bert, mup...): list them, or show every tensor of a config.json under one.
    Recipe(RecipeArgs),
    /// Write a seed checkpoint for a Hugging Face config.json under a named init recipe:
    /// HF-layout safetensors shards, model.safetensors.index.json and the config, streamed.
    Materialize(MaterializeArgs),
    /// Check a checkpoint's initialisation: per-tensor statistics, and with --recipe the
    /// expected law, a KS statistic and flags (zeroed, wrong std, out of bounds, NaN, ties).
    Audit(AuditArgs),
}

#[derive(Debug, Args, Clone)]
pub struct BenchArgs {
    /// Elements of f32 per fill (default 64 Mi = 256 MiB).
    #[arg(long, default_value_t = 64 << 20)]
    pub size: usize,
    /// Timed runs per case (the median is reported), after one warm-up.
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Side of the square orthogonal init timed (0 skips it).
    #[arg(long, default_value_t = 4096)]
    pub ortho: usize,
    /// Timed runs of the orthogonal init.
    #[arg(long, default_value_t = 3)]
    pub ortho_runs: usize,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// The random stream of probe, fill, train and lsuv.
#[derive(Debug, Args, Clone)]
pub struct StreamArgs {
    /// Seed of the random stream: every init (and `fill`) starts from it. `train` also derives
    /// its data order from it, through its own generator (rand's StdRng seeded with Philox
    /// words of StreamKey::from_name(seed, "data-order")), the same for every init and --rng.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Random stream: torch (PyTorch's CPU generator after torch.manual_seed(seed): the same
    /// numbers as `nn.Sequential(...); model.apply(init)`, bit-exact for f32), std (rand's
    /// StdRng through nninit's reference transforms), or philox (counter-based
    /// Philox4x32-10: the same values for any --threads; each MLP parameter keyed by its name).
    #[arg(long, value_enum, default_value_t = RngKind::Torch)]
    pub rng: RngKind,
    /// PyTorch kernel build to match with --rng torch: avx2 (any x86-64 with AVX2/AVX512;
    /// the default) or default (ATEN_CPU_CAPABILITY=default). Only with --rng torch.
    #[arg(long, value_enum)]
    pub flavor: Option<FlavorArg>,
    /// Threads for --rng philox (0 = all CPUs, the default); the values do not depend on it.
    /// Only with --rng philox (torch and std are sequential streams).
    #[arg(long)]
    pub threads: Option<usize>,
}

/// A finite number: clap's plain f64 parser turns `1e-400` into 0 and `1e400` into inf
/// without a word; this one says so.
pub fn finite_f64(s: &str) -> Result<f64, String> {
    let x: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a number"))?;
    if !x.is_finite() {
        return Err(format!(
            "'{s}' is not finite (f64 holds magnitudes up to 1.8e308)"
        ));
    }
    // a zero that is not written as one underflowed: some digit before the exponent is not 0
    let mantissa = s.trim().split(['e', 'E']).next().unwrap_or("");
    if x == 0.0 && mantissa.chars().any(|c| c.is_ascii_digit() && c != '0') {
        return Err(format!(
            "'{s}' underflows to 0 in f64 (the smallest positive value is about 5e-324)"
        ));
    }
    Ok(x)
}

impl StreamArgs {
    /// A freshly seeded stream (each init and each `fill` starts from one).
    pub fn stream(&self) -> anyhow::Result<AnyStream> {
        AnyStream::new(self.rng, self.flavor, self.seed, self.threads)
    }

    /// `avx2`/`default` with `--rng torch`, else `None`: what reports record.
    pub fn flavor_name(&self) -> Option<&'static str> {
        (self.rng == RngKind::Torch).then(|| self.flavor.unwrap_or(FlavorArg::Avx2).name())
    }
}

/// The MLP studied by probe, train and lsuv.
#[derive(Debug, Args, Clone)]
pub struct ModelArgs {
    /// Layer widths, input first: e.g. 784,256,128,10. Not with --depth.
    #[arg(long, default_value = "784,256,128,10", conflicts_with = "depth")]
    pub arch: String,
    /// Number of hidden layers of a deep MLP (784-W-...-W-10, W = --width).
    #[arg(long)]
    pub depth: Option<usize>,
    /// Width of the hidden layers of a deep MLP (default 256; only with --depth).
    #[arg(long, default_value_t = 256, requires = "depth")]
    pub width: usize,
    /// Activation after every hidden Linear: relu, leaky_relu[:slope], tanh, sigmoid, gelu, gelu_tanh, silu, mish, elu[:alpha], selu, softplus, identity.
    #[arg(long, default_value = "relu")]
    pub activation: String,
}

#[derive(Debug, Args, Clone)]
pub struct ProbeArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Comma-separated list of inits (or repeated --init); entries are pytorch-default, lsuv
    /// or an init string (kaiming_uniform, normal:0.02, uniform:-0.1,0.1, xavier_uniform:gain=1.0, ...).
    #[arg(long = "init", value_name = "INIT")]
    pub inits: Vec<String>,
    #[command(flatten)]
    pub stream: StreamArgs,
    /// Number of MNIST test images pushed through the model.
    #[arg(long, default_value_t = 1000)]
    pub batch: usize,
    /// Directory with the standard MNIST files (raw or .gz); default: the embedded 2,000-image subset.
    #[arg(long, value_name = "DIR")]
    pub mnist: Option<PathBuf>,
    /// Normalise inputs with MNIST's mean/std (0.1307, 0.3081) instead of scaling to [0, 1].
    #[arg(long)]
    pub standardize: bool,
    /// Which statistics to print: std, or all (std, mean, dead %, saturated %).
    #[arg(long, default_value = "std", value_parser = ["std", "all"])]
    pub stats: String,
    /// Print JSON (schema in README) instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Write an SVG chart of the std per layer (a line per init, log y-axis).
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    /// Write a self-contained HTML report (charts, histograms, advice, numbers; no network).
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
    /// Add the mean-field predicted std beside each measured one (table, JSON `predicted_std`,
    /// dashed lines in --plot).
    #[arg(long)]
    pub predict: bool,
    /// Also run one backward pass (mean cross-entropy on the batch): gradient std of every
    /// layer output and weight, and the update:data ratio std(lr*dW)/std(W).
    #[arg(long)]
    pub grad: bool,
    /// SGD learning rate of the --grad update:data ratio (only with --grad).
    #[arg(long, default_value_t = 0.01, requires = "grad", value_parser = finite_f64)]
    pub lr: f64,
    /// Write every entry's initial parameters to DIR/<k>.safetensors (k = 0, 1, ... in
    /// --init order; PyTorch names, f32) before probing. For tests.
    #[arg(long, value_name = "DIR", hide = true)]
    pub save_init: Option<PathBuf>,
    /// Also probe the parameters in this safetensors file (PyTorch nn.Sequential names:
    /// 0.weight, 0.bias, 2.weight, ...); without --init only the file is probed.
    #[arg(long, value_name = "FILE")]
    pub weights: Option<PathBuf>,
}

#[derive(Debug, Args, Clone)]
pub struct TrainArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Inits to compare (list or repeated): pytorch-default, lsuv[:tol=..,max_iter=..] or an
    /// init string. Default: pytorch-default, kaiming_uniform, xavier_uniform, normal:0.01, zeros.
    #[arg(long = "init", value_name = "INIT")]
    pub inits: Vec<String>,
    #[command(flatten)]
    pub stream: StreamArgs,
    /// Directory with the standard MNIST files: train on the 60,000 training images, test on
    /// the 10,000 test images. Default: the embedded subset, first 1,600 to train, last 400 to test.
    #[arg(long, value_name = "DIR")]
    pub mnist: Option<PathBuf>,
    /// Normalise inputs with MNIST's mean/std (0.1307, 0.3081) instead of scaling to [0, 1].
    #[arg(long)]
    pub standardize: bool,
    /// Passes over the training set.
    #[arg(long, default_value_t = 5)]
    pub epochs: usize,
    /// Optimiser (PyTorch's update rules).
    #[arg(long, default_value = "sgd", value_parser = ["sgd", "adam"])]
    pub optim: String,
    /// Learning rate (default 0.01 for sgd, 0.001 for adam).
    #[arg(long, value_parser = finite_f64)]
    pub lr: Option<f64>,
    /// SGD momentum (default 0.9; only with --optim sgd: Adam has --beta1 built in).
    #[arg(long, value_parser = finite_f64)]
    pub momentum: Option<f64>,
    /// Images per step.
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// Test accuracy (fraction, 0..1) whose first epoch is reported per init.
    #[arg(long, default_value_t = 0.9, value_parser = finite_f64)]
    pub target_acc: f64,
    /// Write an SVG of the loss and accuracy curves.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    /// Write a self-contained HTML report of the training curves (no network).
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
    /// Print JSON (schema in README) instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Write every entry's initial parameters to DIR/<k>.safetensors (k = 0, 1, ... in
    /// --init order; PyTorch names, f32) before training. For tests.
    #[arg(long, value_name = "DIR", hide = true)]
    pub save_init: Option<PathBuf>,
    /// Also train from the parameters in this safetensors file; without --init only the file.
    #[arg(long, value_name = "FILE")]
    pub weights: Option<PathBuf>,
}

#[derive(Debug, Args, Clone)]
pub struct LsuvArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub stream: StreamArgs,
    /// Directory with the standard MNIST files (uses the training set); default: the embedded subset.
    #[arg(long, value_name = "DIR")]
    pub mnist: Option<PathBuf>,
    /// Normalise inputs with MNIST's mean/std (0.1307, 0.3081) instead of scaling to [0, 1].
    #[arg(long)]
    pub standardize: bool,
    /// Images in the LSUV batch (the first images of the training data).
    #[arg(long, default_value_t = 500)]
    pub batch: usize,
    /// Tolerance on |std - 1| of every Linear output.
    #[arg(long, default_value_t = 0.1, value_parser = finite_f64)]
    pub tol: f64,
    /// Maximum rescalings per layer.
    #[arg(long, default_value_t = 10)]
    pub max_iter: usize,
    /// Output file (.safetensors, PyTorch nn.Sequential names, f32).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Print the per-layer report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args, Clone)]
pub struct GainArgs {
    /// Only these activations (comma separated, e.g. tanh,leaky_relu:0.2); default: all.
    #[arg(long)]
    pub activation: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args, Clone)]
pub struct TheoryArgs {
    /// The activation (relu, tanh, gelu, leaky_relu:0.2, ...).
    #[arg(long, default_value = "tanh")]
    pub activation: String,
    /// Bias variances sigma_b^2 of the critical-line table (comma separated); default
    /// 0,1e-4,1e-3,0.01,0.02,0.05,0.1,0.2,0.3,0.5,1,2.
    #[arg(long, value_name = "LIST", allow_hyphen_values = true)]
    pub sigma_b2: Option<String>,
    /// Also iterate the variance map for this weight gain sigma_w (std(W) = sigma_w/sqrt(fan_in)).
    #[arg(long, allow_hyphen_values = true, value_parser = finite_f64)]
    pub sigma_w: Option<f64>,
    /// Bias std sigma_b for --sigma-w (default 0; only with --sigma-w).
    #[arg(long, default_value_t = 0.0, requires = "sigma_w", allow_hyphen_values = true, value_parser = finite_f64)]
    pub sigma_b: f64,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args, Clone)]
pub struct TableArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args, Clone)]
pub struct FillArgs {
    /// The scheme: kaiming_uniform, normal:0.02, trunc_normal:0.02, orthogonal, ...
    #[arg(long)]
    pub init: String,
    /// Shape, comma separated, PyTorch layout (out, in, k...): e.g. 256,784.
    #[arg(long, allow_hyphen_values = true)]
    pub shape: String,
    /// Weight layout: torch (out, in, k...), torch_transpose (in, out, k...), jax (k..., in,
    /// out). Decides the fans, and the structure of orthogonal and dirac.
    #[arg(long, default_value = "torch")]
    pub layout: String,
    #[command(flatten)]
    pub stream: StreamArgs,
    /// Key the tensor by this parameter name, as probe/train/lsuv key each MLP parameter
    /// (PyTorch state-dict names: 0.weight, 0.bias, 2.weight, ...): with --rng philox the
    /// values equal that parameter's in a Philox-initialised model with the same init;
    /// torch and std (sequential streams) ignore it. Without it philox uses stream id 0.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Element type: f32, f64, bf16, f16.
    #[arg(long, default_value = "f32")]
    pub dtype: String,
    /// Output: FILE.npy, FILE.safetensors, or - for JSON on stdout.
    #[arg(long)]
    pub out: String,
}

#[derive(Debug, Args, Clone)]
pub struct MaterializeArgs {
    /// The model's Hugging Face config.json (GPT-2, Llama or BERT family).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// The init recipe: gpt2, nanogpt, llama, torchtitan-llama3, olmo-mitchell,
    /// olmo-full-megatron, olmo-core-llama, megatron, bert, mup.
    #[arg(long)]
    pub recipe: String,
    /// Seed: with --rng philox every tensor is keyed by (seed, its state-dict name).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output directory (created; an existing one must be empty).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Element type written.
    #[arg(long, default_value = "f32", value_parser = ["bf16", "f16", "f32"])]
    pub dtype: String,
    /// Largest shard (5GB = 5e9 bytes, as huggingface_hub; KB/MB/GB/TB, KiB..TiB, or bytes).
    #[arg(long, default_value = "5GB")]
    pub max_shard_size: String,
    /// Random stream: philox (each tensor keyed by its name; all cores) or torch (the exact
    /// tensors of PyTorch's generator; --recipe nanogpt only).
    #[arg(long, value_enum, default_value_t = RngKind::Philox)]
    pub rng: RngKind,
}

#[derive(Debug, Args, Clone)]
pub struct AuditArgs {
    /// A .safetensors file, or a directory with model.safetensors.index.json or
    /// model.safetensors.
    #[arg(value_name = "CHECKPOINT")]
    pub checkpoint: PathBuf,
    /// The recipe the checkpoint should follow (needs --config).
    #[arg(long, requires = "config")]
    pub recipe: Option<String>,
    /// The model's config.json (with --recipe).
    #[arg(long, value_name = "FILE", requires = "recipe")]
    pub config: Option<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[cfg(test)]
mod tests {
    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}

#[derive(Debug, Args, Clone)]
pub struct RecipeArgs {
    #[command(subcommand)]
    pub command: RecipeCommand,
}

#[derive(Debug, Subcommand, Clone)]
pub enum RecipeCommand {
    /// List the recipes with the source each mirrors.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Every tensor of a model (from a Hugging Face config.json) under a recipe: name, shape,
    /// law, std, variance and the rule that chose it.
    Show(RecipeShowArgs),
}

#[derive(Debug, Args, Clone)]
pub struct RecipeShowArgs {
    /// Recipe name (see `nninit recipe list`).
    pub name: String,
    /// The model's config.json (GPT-2, Llama or BERT family).
    #[arg(long)]
    pub config: PathBuf,
    /// A recipe parameter, NAME=VALUE (e.g. base_width=256 for mup); repeatable.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Also print each recipe rule (pattern, law, source).
    #[arg(long)]
    pub rules: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}
