//! Training: a seeded loop ([`train`]) of SGD/Adam steps (PyTorch's update rules,
//! [`Optimizer`]) on the mean cross-entropy, every step run by [`DenseNet`], with per-epoch
//! test metrics.
//!
//! Everything runs on the CPU, in f32. The loss is PyTorch's `nn.CrossEntropyLoss()` with its
//! default `reduction='mean'` over each batch.

use crate::data::Mnist;
use crate::dense::DenseNet;
use crate::error::{DiagError, Result};
use crate::model::Sequential;
use crate::optim::Optimizer;
use rand::seq::SliceRandom;
use serde::Serialize;
use std::time::Instant;

/// Settings of a training run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainConfig {
    /// Passes over the training set.
    pub epochs: usize,
    /// Examples per step (the last step of an epoch may be smaller, like PyTorch's
    /// `DataLoader(drop_last=False)`).
    pub batch: usize,
    /// The optimiser.
    pub optimizer: Optimizer,
}

/// One epoch's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EpochStats {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Mean training loss over the epoch's steps (each step's batch-mean cross-entropy,
    /// weighted by batch size), measured during the epoch as the weights change.
    pub train_loss: f64,
    /// Mean cross-entropy on the test set after the epoch.
    pub test_loss: f64,
    /// Fraction of the test set classified correctly after the epoch (0..1).
    pub test_acc: f64,
    /// Wall-clock seconds of the epoch's training steps (evaluation excluded).
    pub train_seconds: f64,
}

/// The whole run of one model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainHistory {
    /// Test loss before training.
    pub initial_test_loss: f64,
    /// Test accuracy before training (≈ 0.1 by chance).
    pub initial_test_acc: f64,
    /// One entry per completed epoch.
    pub epochs: Vec<EpochStats>,
    /// The training loss became NaN or infinite; training of this model stopped there.
    pub diverged: bool,
}

/// Progress of [`train`], reported after every step.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Steps done so far in this run.
    pub step: usize,
    /// Steps of the whole run (`epochs · ⌈n_train / batch⌉`).
    pub total_steps: usize,
    /// Current epoch (1-based).
    pub epoch: usize,
}

/// Steps in one epoch: `⌈n / batch⌉`.
pub fn steps_per_epoch(n: usize, batch: usize) -> usize {
    if batch == 0 {
        0
    } else {
        n.div_ceil(batch)
    }
}

/// Trains `model` in place on `train_set` (f32, mean cross-entropy) and evaluates it on
/// `test_set` after every epoch; `progress` is called after every step.
///
/// The data order comes from `order` alone (not from the stream that drew the weights):
/// every epoch shuffles the training images with a permutation drawn from it, so every model
/// trained with equally seeded `order` generators sees the same data order. The CLI derives
/// it from `--seed` through its own stream (`StdRng` seeded with Philox words of
/// `StreamKey::from_name(seed, "data-order")`), separate from the weights' stream.
///
/// # Errors
/// [`DiagError::InvalidSpec`] for `epochs == 0`, `batch == 0`, empty data, a bad optimiser,
/// or data whose image size is not the model's input width.
pub fn train(
    model: &mut Sequential,
    train_set: &Mnist,
    test_set: &Mnist,
    cfg: &TrainConfig,
    order: &mut dyn rand::RngCore,
    progress: &mut dyn FnMut(Progress),
) -> Result<TrainHistory> {
    if cfg.epochs == 0 || cfg.batch == 0 {
        return Err(DiagError::InvalidSpec(format!(
            "epochs and batch must be >= 1, got epochs {}, batch {}",
            cfg.epochs, cfg.batch
        )));
    }
    if train_set.n == 0 || test_set.n == 0 {
        return Err(DiagError::InvalidSpec(
            "training and test sets must not be empty".into(),
        ));
    }
    if train_set.pixels_per_image() != model.in_features() {
        return Err(DiagError::InvalidSpec(format!(
            "images have {} pixels but the model takes {} inputs",
            train_set.pixels_per_image(),
            model.in_features()
        )));
    }
    cfg.optimizer.validate()?;
    let mut net = DenseNet::<f32>::for_optimizer(model, &cfg.optimizer)?;
    let (initial_test_loss, initial_test_acc) = net.evaluate(test_set, 1000)?;
    let mut perm: Vec<usize> = (0..train_set.n).collect();
    let ppi = train_set.pixels_per_image();
    let spe = steps_per_epoch(train_set.n, cfg.batch);
    let total_steps = spe * cfg.epochs;
    let mut step = 0;
    let mut epochs = vec![];
    let mut diverged = false;
    let mut xb: Vec<f32> = Vec::with_capacity(cfg.batch * ppi);
    let mut yb: Vec<u8> = Vec::with_capacity(cfg.batch);
    'epochs: for epoch in 1..=cfg.epochs {
        perm.shuffle(order);
        let start = Instant::now();
        let mut loss_sum = 0.0f64;
        for idx in perm.chunks(cfg.batch) {
            xb.clear();
            yb.clear();
            for &i in idx {
                let img = train_set.image(i).ok_or_else(|| {
                    DiagError::InvalidSpec(format!("image {i} is missing from the training set"))
                })?;
                xb.extend_from_slice(img);
                yb.push(train_set.labels.get(i).copied().unwrap_or(0));
            }
            let l = net.loss_and_grads(&xb, &yb, idx.len())?;
            if !l.is_finite() {
                diverged = true;
                break 'epochs;
            }
            loss_sum += l * idx.len() as f64;
            net.update(&cfg.optimizer);
            step += 1;
            progress(Progress {
                step,
                total_steps,
                epoch,
            });
        }
        let train_seconds = start.elapsed().as_secs_f64();
        let (test_loss, test_acc) = net.evaluate(test_set, 1000)?;
        epochs.push(EpochStats {
            epoch,
            train_loss: loss_sum / train_set.n as f64,
            test_loss,
            test_acc,
            train_seconds,
        });
    }
    net.write_to(model)?;
    Ok(TrainHistory {
        initial_test_loss,
        initial_test_acc,
        epochs,
        diverged,
    })
}

/// Splits `data` into its first `n_train` images (training set) and the rest (test set).
///
/// # Errors
/// [`DiagError::InvalidSpec`] unless `0 < n_train < data.n`.
pub fn split_train_test(data: &Mnist, n_train: usize) -> Result<(Mnist, Mnist)> {
    if n_train == 0 || n_train >= data.n {
        return Err(DiagError::InvalidSpec(format!(
            "cannot split {} images into {n_train} for training and the rest for testing",
            data.n
        )));
    }
    let ppi = data.pixels_per_image();
    let cut = n_train * ppi;
    let part = |images: &[f32], labels: &[u8]| Mnist {
        images: images.to_vec(),
        labels: labels.to_vec(),
        n: labels.len(),
        rows: data.rows,
        cols: data.cols,
        normalization: data.normalization,
    };
    let (ia, ib) = data.images.split_at(cut.min(data.images.len()));
    let (la, lb) = data.labels.split_at(n_train.min(data.labels.len()));
    Ok((part(ia, la), part(ib, lb)))
}
