//! `--report FILE.html` of `probe` and `train`: each report as the document
//! `nninit_diag::html` renders (`nninit_report: 1`, schema there), and the histograms the
//! probe adds for it.

use super::train::TrainReport;
use super::ProbeReport;
use anyhow::{anyhow, Result};
use nninit_diag::hist::{Histogram, LayerHistograms};
use nninit_diag::{DenseNet, Sequential};
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::path::Path;

/// Histograms of every layer output of `model` on `x` (`batch` rows), and of the gradients
/// of the mean cross-entropy against `labels` when `grad`.
pub fn histograms(
    model: &Sequential,
    x: &[f32],
    labels: &[u8],
    batch: usize,
    grad: bool,
) -> Result<Vec<LayerHistograms>> {
    let mut net = DenseNet::<f32>::new(model)?;
    let mut grads: Vec<Option<Histogram>> = vec![None; model.layers.len()];
    if grad {
        net.loss_and_output_grads(x, labels, batch, &mut |i, g| {
            if let Some(slot) = grads.get_mut(i) {
                *slot = Some(Histogram::of(g));
            }
        })?;
    } else {
        net.forward(x, batch)?;
    }
    Ok((0..model.layers.len())
        .map(|i| LayerHistograms {
            hist: Histogram::of(net.output(i)),
            grad_hist: grads[i].take(),
        })
        .collect())
}

/// A serialisable value as a JSON object (empty when it is not one).
fn object<T: Serialize>(v: &T) -> Result<Map<String, Value>> {
    match serde_json::to_value(v)? {
        Value::Object(m) => Ok(m),
        _ => Ok(Map::new()),
    }
}

/// `probe`'s report as a report document: every layer's statistics (named as the document
/// names them: `label` → `name`, `frac_dead_units` → `frac_dead`; other fields kept), the
/// prediction, the backward statistics, histograms and advice.
pub fn probe_document(r: &ProbeReport) -> Result<Value> {
    let mut runs = vec![];
    for init in &r.inits {
        let mut layers = vec![];
        for (i, l) in init.layers.iter().enumerate() {
            let mut m = object(l)?;
            if let Some(v) = m.remove("label") {
                m.insert("name".into(), v);
            }
            if let Some(v) = m.remove("frac_dead_units") {
                m.insert("frac_dead".into(), v);
            }
            // the between-input cosine similarity, where the stats carry it
            if let Some(v) = m.remove("mean_cosine") {
                m.insert("correlation".into(), v);
            }
            if let Some(Some(p)) = init.predicted_std.as_ref().and_then(|p| p.get(i)) {
                m.insert("predicted_std".into(), json!(p));
            }
            if let Some(g) = init.grad.as_ref().and_then(|g| g.layers.get(i)) {
                m.insert("grad_std".into(), json!(g.output_grad_std));
                if let Some(w) = g.weight_std {
                    m.insert("weight_std".into(), json!(w));
                }
                if let (Some(gs), Some(ws)) = (g.weight_grad_std, g.weight_std) {
                    m.insert("weight_grad_std".into(), json!(gs));
                    if ws > 0.0 {
                        m.insert("grad_to_data".into(), json!(gs / ws));
                    }
                }
                if let Some(u) = g.update_to_data {
                    m.insert("update_to_data".into(), json!(u));
                }
            }
            if let Some(h) = init.histograms.as_ref().and_then(|h| h.get(i)) {
                m.insert("hist".into(), serde_json::to_value(&h.hist)?);
                if let Some(g) = &h.grad_hist {
                    m.insert("grad_hist".into(), serde_json::to_value(g)?);
                }
            }
            layers.push(Value::Object(m));
        }
        runs.push(json!({
            "name": init.init,
            "layers": layers,
            "loss": init.grad.as_ref().map(|g| g.loss),
            "advice": serde_json::to_value(&init.advice)?,
        }));
    }
    let mut meta = Map::new();
    meta.insert("data".into(), json!(r.data));
    meta.insert("batch".into(), json!(r.batch));
    meta.insert("seed".into(), json!(r.seed));
    meta.insert("rng".into(), json!(r.rng));
    if let Some(g) = r.inits.iter().find_map(|i| i.grad.as_ref()) {
        meta.insert("lr (update:data)".into(), json!(g.lr));
    }
    Ok(json!({
        "nninit_report": nninit_diag::html::REPORT_VERSION,
        "kind": "probe",
        "title": format!("nninit probe: MLP {} ({})", super::arch_text(&r.arch), r.activation),
        "subtitle": format!("{} images of the {}", r.batch, r.data),
        "meta": meta,
        "runs": runs,
    }))
}

/// `train`'s report as a report document: per init the epochs and the accuracy at init.
pub fn train_document(r: &TrainReport) -> Result<Value> {
    let runs: Vec<Value> = r
        .inits
        .iter()
        .map(|i| {
            json!({
                "name": i.init,
                "initial_test_loss": i.history.initial_test_loss,
                "initial_test_acc": i.history.initial_test_acc,
                "diverged": i.history.diverged,
                "epoch_reached_target": i.epoch_reached_target,
                "epochs": i.history.epochs,
            })
        })
        .collect();
    Ok(json!({
        "nninit_report": nninit_diag::html::REPORT_VERSION,
        "kind": "train",
        "title": format!("nninit train: MLP {} ({})", super::arch_text(&r.arch), r.activation),
        "subtitle": format!("data: {}", r.data),
        "meta": {
            "train images": r.train_images,
            "test images": r.test_images,
            "config": serde_json::to_value(&r.config)?,
            "target accuracy": r.target_acc,
        },
        "runs": runs,
    }))
}

/// Renders `doc` and writes it to `path` atomically.
pub fn write_report(doc: &Value, path: &Path) -> Result<()> {
    let html = nninit_diag::html::render_html(doc).map_err(|e| anyhow!("{e}"))?;
    crate::io::write_atomic(path, html.as_bytes())
}
