//! One self-contained HTML report (no network: inline CSS, JavaScript and SVG; the data
//! embedded as JSON) for a report document, the one renderer behind `nninit probe --report`,
//! `nninit train --report` and the Python package's `ProbeReport.html` and `Watch.html`.
//!
//! [`render_html`] checks the document's shape, escapes it for a `<script>` element and puts it
//! into the template (`html/report.html`, `html/report.js`); the script draws the charts in
//! the browser: per-layer std (with the mean-field prediction, dashed), signal vs bias
//! spread, correlation between inputs, saturation and dead units, gradient std and
//! update:data; makemore-style activation and gradient histograms; advice; training curves;
//! statistics over training steps; the numbers as tables. Any field may be missing: a chart
//! whose data is absent is left out.
//!
//! # The report document (`nninit_report: 1`)
//!
//! ```jsonc
//! {
//!   "nninit_report": 1,
//!   "kind": "probe",                 // probe | train | watch (informative)
//!   "title": "...", "subtitle": "...",
//!   "meta": {"seed": 0, "...": "..."},   // shown as a key/value table
//!   "runs": [{                      // one per init (or per watched model)
//!     "name": "kaiming_normal",
//!     "layers": [{                  // module outputs in forward order
//!       "name": "0", "kind": "Linear", "block": false,
//!       "std": 0.4, "mean": 0.0, "signal": 0.4, "bias_spread": 0.01, "correlation": 0.1,
//!       "frac_zero": 0.0, "frac_dead": 0.0, "frac_saturated": null, "predicted_std": 0.41,
//!       "grad_std": 1e-4, "grad_mean": 0.0, "weight_std": 0.05, "grad_to_data": 0.1,
//!       "update_to_data": 1e-3,
//!       "hist": {"lo": -2.0, "hi": 2.0, "counts": [0, 3, ...]},   // equal bins over [lo, hi]
//!       "grad_hist": {"lo": ..., "hi": ..., "counts": [...]}
//!     }],
//!     "params": [{"name": "0.weight", "shape": [256, 784], "weight_std": 0.05,
//!                 "weight_grad_std": 0.002, "grad_to_data": 0.04, "update_to_data": 4e-4}],
//!     "loss": 2.30,
//!     "advice": [{"symptom": "vanishing", "from_layer": "...", "to_layer": "...",   // advice::Advice
//!                 "steps": 4, "factor_per_layer": 0.7, "factor_total": 0.24, "basis": "measured",
//!                 "cause": "...", "fix": {"init": "...", "gain": 1.4, "rationale": "...",
//!                 "std_factor": 1.0, "grad_factor": 1.0, "cosine": 0.5}, "remedy": null}],
//!     "initial_test_loss": 2.3, "initial_test_acc": 0.1,          // train
//!     "epochs": [{"epoch": 1, "train_loss": 0.5, "test_loss": 0.4, "test_acc": 0.9}],
//!     "steps": [{"step": 100, "loss": 3.1, "layers": [...], "params": [...]}]   // watch
//!   }]
//! }
//! ```
//!
//! Numbers may be `null` (not measured, or not finite).

use crate::error::{DiagError, Result};
use serde_json::Value;

const TEMPLATE: &str = include_str!("html/report.html");
const SCRIPT: &str = include_str!("html/report.js");

/// The report document version this renderer reads.
pub const REPORT_VERSION: u64 = 1;

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// JSON text safe inside `<script type="application/json">`: every `<` written as `\u003c`
/// (so no `</script>` or `<!--` can end or change the element), and U+2028/U+2029 escaped.
/// `JSON.parse` reads it back unchanged.
pub fn json_for_script(doc: &Value) -> Result<String> {
    let text = serde_json::to_string(doc)
        .map_err(|e| DiagError::InvalidSpec(format!("report document: {e}")))?;
    Ok(text
        .replace('<', "\\u003c")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029"))
}

/// Checks the document's shape: an object with `nninit_report: 1` and a `runs` array of
/// objects, each with a string `name` (and `layers`, `epochs`, `steps` arrays when present).
///
/// # Errors
/// [`DiagError::InvalidSpec`] naming the field and what it should be.
pub fn check_document(doc: &Value) -> Result<()> {
    let bad = |m: String| Err(DiagError::InvalidSpec(format!("report document: {m}")));
    let Some(obj) = doc.as_object() else {
        return bad("expected a JSON object".into());
    };
    match obj.get("nninit_report").and_then(Value::as_u64) {
        Some(REPORT_VERSION) => {}
        other => {
            return bad(format!(
                "\"nninit_report\" must be {REPORT_VERSION} (this renderer's version), got {}",
                other.map_or("nothing".to_string(), |v| v.to_string())
            ))
        }
    }
    let Some(runs) = obj.get("runs").and_then(Value::as_array) else {
        return bad("\"runs\" must be an array (one entry per init)".into());
    };
    for (i, r) in runs.iter().enumerate() {
        let Some(r) = r.as_object() else {
            return bad(format!("runs[{i}] must be an object"));
        };
        if !r.get("name").is_some_and(Value::is_string) {
            return bad(format!("runs[{i}].name must be a string"));
        }
        for key in ["layers", "epochs", "steps", "advice", "params"] {
            if let Some(v) = r.get(key) {
                if !v.is_array() {
                    return bad(format!("runs[{i}].{key} must be an array"));
                }
            }
        }
    }
    Ok(())
}

/// The HTML page of a report document (see the module docs): one string, no external
/// resources.
///
/// # Errors
/// [`DiagError::InvalidSpec`] when the document has the wrong shape ([`check_document`]).
///
/// # Example
/// ```
/// let doc = serde_json::json!({"nninit_report": 1, "title": "t", "runs": [
///     {"name": "kaiming_normal", "layers": [{"name": "0", "kind": "Linear", "std": 0.5}]}]});
/// let html = nninit_diag::html::render_html(&doc).unwrap();
/// assert!(html.starts_with("<!DOCTYPE html>") && html.contains("kaiming_normal"));
/// ```
pub fn render_html(doc: &Value) -> Result<String> {
    check_document(doc)?;
    let title = doc
        .get("title")
        .and_then(Value::as_str)
        .unwrap_or("nninit report");
    let data = json_for_script(doc)?;
    // one pass over the template, so nothing inserted is scanned for markers again
    let mut out = String::with_capacity(TEMPLATE.len() + SCRIPT.len() + data.len());
    let mut rest = TEMPLATE;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        match &after[..end] {
            "TITLE" => out.push_str(&escape_html(title)),
            "DATA" => out.push_str(&data),
            "SCRIPT" => out.push_str(SCRIPT),
            other => {
                out.push_str("{{");
                out.push_str(other);
                out.push_str("}}");
            }
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// [`render_html`] of a JSON text (what the Python package passes).
///
/// # Errors
/// [`DiagError::InvalidSpec`] for text that is not JSON, or a document of the wrong shape.
pub fn render_html_str(json: &str) -> Result<String> {
    let doc: Value = serde_json::from_str(json)
        .map_err(|e| DiagError::InvalidSpec(format!("report document is not JSON: {e}")))?;
    render_html(&doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn embedded(html: &str) -> Value {
        let open = "<script type=\"application/json\" id=\"nninit-data\">";
        let a = html.find(open).expect("data element") + open.len();
        let b = a + html[a..].find("</script>").expect("end of data");
        serde_json::from_str(&html[a..b]).expect("embedded JSON parses")
    }

    #[test]
    fn data_round_trips_and_cannot_break_out_of_the_script_element() {
        let doc = json!({"nninit_report": 1, "title": "<b>x</b> & y", "runs": [
            {"name": "</script><script>alert(1)</script>{{SCRIPT}}", "layers": [
                {"name": "a\u{2028}b<!--", "kind": "Linear", "std": 0.5, "hist": {"lo": -1.0, "hi": 1.0, "counts": [1, 2]}}]}]});
        let html = render_html(&doc).unwrap();
        assert_eq!(embedded(&html), doc);
        // the only "</script>" are the template's own two
        assert_eq!(html.matches("</script>").count(), 2);
        assert!(html.contains("<title>&lt;b&gt;x&lt;/b&gt; &amp; y</title>"));
        // the marker inside the data was not expanded
        assert_eq!(html.matches("nninit HTML report: renders").count(), 1);
        assert!(!html.contains("{{DATA}}") && !html.contains("{{TITLE}}"));
    }

    #[test]
    fn wrong_documents_are_errors_naming_the_field() {
        let err = |v: Value| render_html(&v).unwrap_err().to_string();
        assert!(err(json!([1])).contains("JSON object"));
        assert!(err(json!({"runs": []})).contains("\"nninit_report\" must be 1"));
        assert!(err(json!({"nninit_report": 2, "runs": []})).contains("got 2"));
        assert!(err(json!({"nninit_report": 1})).contains("\"runs\" must be an array"));
        assert!(err(json!({"nninit_report": 1, "runs": [{"layers": []}]})).contains("runs[0].name"));
        assert!(
            err(json!({"nninit_report": 1, "runs": [{"name": "a", "layers": 3}]}))
                .contains("runs[0].layers must be an array")
        );
        assert!(render_html_str("{")
            .unwrap_err()
            .to_string()
            .contains("not JSON"));
    }

    #[test]
    fn page_is_self_contained() {
        let html = render_html(&json!({"nninit_report": 1, "runs": []})).unwrap();
        for needle in ["http://", "https://", "<link", "src="] {
            // the SVG namespace URI is an identifier, not a fetch
            let hits = html.matches(needle).count()
                - if needle == "http://" {
                    html.matches("http://www.w3.org/2000/svg").count()
                } else {
                    0
                };
            assert_eq!(hits, 0, "external reference {needle:?} in the report");
        }
        assert!(html.contains("<title>nninit report</title>"));
    }
}
