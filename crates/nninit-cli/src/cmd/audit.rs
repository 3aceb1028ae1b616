//! `nninit audit`: statistics of a checkpoint's tensors and, against a recipe, the checks of
//! [`crate::checkpoint::audit`]. Exits with an error when anything is flagged.

use crate::args::AuditArgs;
use crate::checkpoint::{audit, read};
use anyhow::{bail, Result};

pub fn run(a: &AuditArgs) -> Result<()> {
    let ckpt = read::open(&a.checkpoint)?;
    let plan = match (&a.recipe, &a.config) {
        (Some(r), Some(c)) => Some((r.as_str(), super::materialize::load_plan(c, r)?.2)),
        _ => None,
    };
    let report = audit::audit(
        &ckpt,
        &a.checkpoint.display().to_string(),
        plan.as_ref().map(|(r, p)| (*r, p.as_slice())),
    )?;
    if a.json {
        crate::io::print_json_line(&report)?;
    } else {
        crate::io::print_stdout(&crate::report::audit::audit_text(&report))?;
    }
    if report.flagged > 0 {
        bail!(
            "audit flagged {} problem(s) in {} (listed above)",
            report.flagged,
            a.checkpoint.display()
        );
    }
    Ok(())
}
