//! Plain-text cells and tables: the leaf every report module renders with.

/// Renders rows under a header, columns padded; the first column left-aligned, others right.
pub fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    render_with(header, rows, false)
}

/// Like [`render`]; with `left_last` the last column (free text) is left-aligned too.
pub fn render_with(header: &[&str], rows: &[Vec<String>], left_last: bool) -> String {
    let ncol = header.len();
    let mut w: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate().take(ncol) {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            let pad = w[i].saturating_sub(c.chars().count());
            if i == 0 || (i + 1 == cells.len() && left_last) {
                if i > 0 {
                    s.push_str("  ");
                }
                s.push_str(c);
                if i + 1 < cells.len() {
                    s.push_str(&" ".repeat(pad));
                }
            } else {
                s.push_str("  ");
                s.push_str(&" ".repeat(pad));
                s.push_str(c);
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let sep: String = w
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            if i == 0 {
                "-".repeat(n)
            } else {
                format!("  {}", "-".repeat(n))
            }
        })
        .collect();
    let mut out = line(header.to_vec()) + &sep + "\n";
    for r in rows {
        out.push_str(&line(r.iter().map(|s| s.as_str()).collect()));
    }
    out
}

/// Formats a statistic compactly: 4 significant digits, scientific when tiny or huge.
pub fn num(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else if !x.is_finite() {
        format!("{x}")
    } else if x.abs() >= 1e-3 && x.abs() < 1e4 {
        format!("{:.4}", x)
    } else {
        format!("{x:.2e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_aligns_columns() {
        let t = render(&["a", "bb"], &[vec!["xyz".into(), "1".into()]]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "a    bb");
        assert_eq!(lines[1], "---  --");
        assert_eq!(lines[2], "xyz   1");
    }

    #[test]
    fn numbers() {
        assert_eq!(num(0.0), "0");
        assert_eq!(num(0.03608), "0.0361");
        assert_eq!(num(1.5e-7), "1.50e-7");
    }
}
