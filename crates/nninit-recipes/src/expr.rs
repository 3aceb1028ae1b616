//! Arithmetic expressions over named values: the std, bounds and conditions of recipe rules
//! (`initializer_range/sqrt(2*n_layer)`, `-3*std`, `layer < 2`).
//!
//! Grammar (usual precedence, left associative): comparisons `< <= > >= == !=` (1 for true,
//! 0 for false) over `+ -` over `* /` over unary `-` over `^` (right associative) over atoms:
//! numbers (`0.02`, `1e-3`), names (`[A-Za-z_][A-Za-z0-9_]*`), `( ... )` and the functions
//! `sqrt(x)`, `min(x, y)`, `max(x, y)`. Evaluated in f64.

/// A value lookup for names in an expression.
pub trait Vars {
    /// The value of `name`, or `None` when it is unknown here.
    fn get(&self, name: &str) -> Option<f64>;
}

impl<F: Fn(&str) -> Option<f64>> Vars for F {
    fn get(&self, name: &str) -> Option<f64> {
        self(name)
    }
}

/// Evaluates `text` with `vars`.
///
/// # Errors
/// A message naming the problem: a syntax error with its position, an unknown name, or a
/// result that is not finite.
pub fn eval(text: &str, vars: &dyn Vars) -> Result<f64, String> {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
        vars,
    };
    let v = p.comparison()?;
    p.ws();
    if p.i != p.s.len() {
        return Err(format!(
            "unexpected '{}' at position {} in '{text}'",
            p.s[p.i] as char, p.i
        ));
    }
    if !v.is_finite() {
        return Err(format!("'{text}' evaluates to {v}"));
    }
    Ok(v)
}

/// The names an expression uses (for checks and documentation), without evaluating it.
///
/// # Errors
/// A syntax error.
pub fn names(text: &str) -> Result<Vec<String>, String> {
    let seen = std::cell::RefCell::new(Vec::<String>::new());
    let record = |n: &str| {
        let mut s = seen.borrow_mut();
        if !s.iter().any(|x| x == n) {
            s.push(n.to_string());
        }
        Some(1.0)
    };
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
        vars: &record,
    };
    p.comparison()?;
    p.ws();
    if p.i != p.s.len() {
        return Err(format!(
            "unexpected '{}' at position {} in '{text}'",
            p.s[p.i] as char, p.i
        ));
    }
    Ok(seen.into_inner())
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    vars: &'a dyn Vars,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, tok: &str) -> bool {
        self.ws();
        if self.s[self.i..].starts_with(tok.as_bytes()) {
            self.i += tok.len();
            true
        } else {
            false
        }
    }

    fn err<T>(&self, what: &str) -> Result<T, String> {
        Err(format!(
            "{what} at position {} in '{}'",
            self.i,
            String::from_utf8_lossy(self.s)
        ))
    }

    fn comparison(&mut self) -> Result<f64, String> {
        let a = self.sum()?;
        for (op, f) in [
            ("<=", (|a, b| a <= b) as fn(f64, f64) -> bool),
            (">=", |a, b| a >= b),
            ("==", |a, b| a == b),
            ("!=", |a, b| a != b),
            ("<", |a, b| a < b),
            (">", |a, b| a > b),
        ] {
            if self.eat(op) {
                let b = self.sum()?;
                return Ok(if f(a, b) { 1.0 } else { 0.0 });
            }
        }
        Ok(a)
    }

    fn sum(&mut self) -> Result<f64, String> {
        let mut v = self.product()?;
        loop {
            match self.peek() {
                Some(b'+') => {
                    self.i += 1;
                    v += self.product()?;
                }
                Some(b'-') => {
                    self.i += 1;
                    v -= self.product()?;
                }
                _ => return Ok(v),
            }
        }
    }

    fn product(&mut self) -> Result<f64, String> {
        let mut v = self.unary()?;
        loop {
            match self.peek() {
                Some(b'*') => {
                    self.i += 1;
                    v *= self.unary()?;
                }
                Some(b'/') => {
                    self.i += 1;
                    v /= self.unary()?;
                }
                _ => return Ok(v),
            }
        }
    }

    fn unary(&mut self) -> Result<f64, String> {
        if self.peek() == Some(b'-') {
            self.i += 1;
            return Ok(-self.unary()?);
        }
        self.power()
    }

    fn power(&mut self) -> Result<f64, String> {
        let base = self.atom()?;
        if self.peek() == Some(b'^') {
            self.i += 1;
            let e = self.unary()?;
            return Ok(base.powf(e));
        }
        Ok(base)
    }

    fn atom(&mut self) -> Result<f64, String> {
        match self.peek() {
            Some(b'(') => {
                self.i += 1;
                let v = self.comparison()?;
                if !self.eat(")") {
                    return self.err("expected ')'");
                }
                Ok(v)
            }
            Some(c) if c.is_ascii_digit() || c == b'.' => self.number(),
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => {
                let start = self.i;
                while self.i < self.s.len()
                    && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_')
                {
                    self.i += 1;
                }
                let name = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
                if self.peek() == Some(b'(') {
                    self.i += 1;
                    let mut args = vec![self.comparison()?];
                    while self.eat(",") {
                        args.push(self.comparison()?);
                    }
                    if !self.eat(")") {
                        return self.err("expected ')'");
                    }
                    return match (name.as_str(), args.as_slice()) {
                        ("sqrt", [x]) => Ok(x.sqrt()),
                        ("min", [x, y]) => Ok(x.min(*y)),
                        ("max", [x, y]) => Ok(x.max(*y)),
                        _ => self.err(&format!(
                            "unknown function {name} with {} argument(s) (known: sqrt(x), min(x, y), max(x, y))",
                            args.len()
                        )),
                    };
                }
                match self.vars.get(&name) {
                    Some(v) => Ok(v),
                    None => Err(format!("unknown name '{name}'")),
                }
            }
            Some(c) => self.err(&format!("unexpected '{}'", c as char)),
            None => self.err("unexpected end"),
        }
    }

    fn number(&mut self) -> Result<f64, String> {
        let start = self.i;
        while self.i < self.s.len() && (self.s[self.i].is_ascii_digit() || self.s[self.i] == b'.') {
            self.i += 1;
        }
        if self.i < self.s.len() && (self.s[self.i] == b'e' || self.s[self.i] == b'E') {
            self.i += 1;
            if self.i < self.s.len() && (self.s[self.i] == b'-' || self.s[self.i] == b'+') {
                self.i += 1;
            }
            while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
                self.i += 1;
            }
        }
        let text = String::from_utf8_lossy(&self.s[start..self.i]);
        text.parse::<f64>()
            .or_else(|_| self.err(&format!("bad number '{text}'")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(name: &str) -> Option<f64> {
        match name {
            "n_layer" => Some(12.0),
            "layer" => Some(3.0),
            _ => None,
        }
    }

    #[test]
    fn arithmetic_precedence_and_functions() {
        assert_eq!(eval("0.02/sqrt(2*n_layer)", &vars), Ok(0.02 / 24f64.sqrt()));
        assert_eq!(eval("1 + 2 * 3", &vars), Ok(7.0));
        assert_eq!(eval("-2^2", &vars), Ok(-4.0));
        assert_eq!(eval("4096^-0.5", &vars), Ok(1.0 / 64.0));
        assert_eq!(eval("layer < 2", &vars), Ok(0.0));
        assert_eq!(eval("layer >= 3", &vars), Ok(1.0));
        assert_eq!(eval("max(1e-3, 2)", &vars), Ok(2.0));
    }

    #[test]
    fn errors_name_the_problem() {
        assert!(eval("d_model", &vars)
            .unwrap_err()
            .contains("unknown name 'd_model'"));
        assert!(eval("1 +", &vars).is_err());
        assert!(eval("(1", &vars).unwrap_err().contains("expected ')'"));
        assert!(eval("1/0", &vars).unwrap_err().contains("inf"));
        assert_eq!(names("a/sqrt(2*b) + a").unwrap(), vec!["a", "b"]);
    }
}
