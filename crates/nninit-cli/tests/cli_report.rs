//! `probe --report` and `train --report`: one self-contained HTML file with the report
//! document embedded; checked in headless Chromium when it is installed (no console message,
//! the script ran to its end).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure

mod common;

use common::{fails_with, nninit};
use std::path::Path;

/// The report document embedded in a page.
fn embedded(html: &str) -> serde_json::Value {
    let open = "<script type=\"application/json\" id=\"nninit-data\">";
    let a = html.find(open).expect("data element") + open.len();
    let b = a + html[a..].find("</script>").expect("end of data");
    serde_json::from_str(&html[a..b]).expect("embedded JSON parses")
}

fn chromium() -> Option<String> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|n| {
            std::process::Command::new("which")
                .arg(n)
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .map(String::from)
}

/// Loads `page` in headless Chromium (when installed): no console line, `data-rendered`.
fn check_in_browser(page: &Path) {
    let Some(bin) = chromium() else {
        eprintln!("skipping the browser check: headless Chromium not installed (Debian: apt-get install chromium)");
        return;
    };
    let out = std::process::Command::new(bin)
        .args([
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=10000",
            "--dump-dom",
        ])
        .arg(format!("file://{}", page.canonicalize().unwrap().display()))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let console: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
        .collect();
    assert!(console.is_empty(), "console messages: {console:#?}");
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains("data-rendered=\"1\""),
        "the report's script did not finish"
    );
}

#[test]
fn probe_report_has_layers_histograms_gradients_and_advice() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("probe.html");
    let out = nninit()
        .args([
            "probe",
            "--batch",
            "200",
            "--grad",
            "--predict",
            "--init",
            "kaiming_normal,normal:0.02",
            "--report",
        ])
        .arg(&page)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("report written to"));
    let html = std::fs::read_to_string(&page).unwrap();
    let doc = embedded(&html);
    assert_eq!(doc["nninit_report"], 1);
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1]["name"], "normal:std=0.02");
    let l0 = &runs[0]["layers"][0];
    assert_eq!(l0["name"], "Linear 1");
    assert!(l0["std"].as_f64().unwrap() > 0.0 && l0["predicted_std"].as_f64().is_some());
    // histograms of 200 images x 256 units, and of the gradients
    let counts: u64 = l0["hist"]["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .sum();
    assert_eq!(counts, 200 * 256);
    assert!(l0["grad_hist"]["counts"].is_array() && l0["update_to_data"].as_f64().is_some());
    assert!(
        !runs[1]["advice"].as_array().unwrap().is_empty(),
        "normal:0.02 is flagged"
    );
    check_in_browser(&page);
}

#[test]
fn train_report_has_the_curves() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("train.html");
    let out = nninit()
        .args([
            "train",
            "--arch",
            "784,32,10",
            "--epochs",
            "2",
            "--init",
            "kaiming_uniform,zeros",
            "--report",
        ])
        .arg(&page)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = embedded(&std::fs::read_to_string(&page).unwrap());
    assert_eq!(doc["kind"], "train");
    let r0 = &doc["runs"][0];
    assert_eq!(r0["epochs"].as_array().unwrap().len(), 2);
    assert!(r0["initial_test_acc"].as_f64().is_some());
    check_in_browser(&page);
}

#[test]
fn report_path_is_checked_before_the_run() {
    fails_with(
        &["probe", "--report", "x.svg"],
        "--report x.svg must end in .html",
    );
    fails_with(
        &["train", "--report", "no/such/dir/r.html"],
        "directory no/such/dir does not exist",
    );
}
