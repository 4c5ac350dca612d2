//! Promtool's expanding notation (`1x10`, `0+600x20`, `_x3`, `stale`), read back into one
//! value per step so that the page can draw a scenario's input series as its table gave them.
//!
//! Only for drawing: the verdicts come from promtool itself. A token this reader does not
//! know makes the whole series undrawable (`None`) rather than drawn wrong.

/// The values of one series, one per step; `None` for a missing or stale sample.
pub(crate) fn expand(values: &str) -> Option<Vec<Option<f64>>> {
    let mut out = Vec::new();
    for token in values.split_whitespace() {
        if token == "_" || token == "stale" {
            out.push(None);
            continue;
        }
        if let Some(times) = token.strip_prefix("_x") {
            let n: usize = times.parse().ok()?;
            out.extend(std::iter::repeat_n(None, n));
            continue;
        }
        match token.split_once('x') {
            // `a+bxn` and `a-bxn`: n+1 values from a, stepping by b; `axn`: a, n+1 times.
            Some((start_step, times)) => {
                let n: usize = times.parse().ok()?;
                let (start, step) = split_start_step(start_step)?;
                out.extend((0..=n).map(|i| Some(start + step * i as f64)));
            }
            None => out.push(Some(number(token)?)),
        }
    }
    Some(out)
}

/// `a+b`, `a-b` or `a` (a may carry its own sign, or an exponent like `1e-3`).
fn split_start_step(text: &str) -> Option<(f64, f64)> {
    let bytes = text.as_bytes();
    for i in (1..bytes.len()).rev() {
        let c = bytes[i];
        if (c == b'+' || c == b'-') && !matches!(bytes[i - 1], b'e' | b'E') {
            let start = number(&text[..i])?;
            let step = number(&text[i + 1..])?;
            return Some((start, if c == b'-' { -step } else { step }));
        }
    }
    Some((number(text)?, 0.0))
}

fn number(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notation_expands_like_promtool() {
        assert_eq!(
            expand("1x3"),
            Some(vec![Some(1.0), Some(1.0), Some(1.0), Some(1.0)])
        );
        assert_eq!(
            expand("0+600x2 _x2 stale 5"),
            Some(vec![
                Some(0.0),
                Some(600.0),
                Some(1200.0),
                None,
                None,
                None,
                Some(5.0)
            ])
        );
        assert_eq!(
            expand("10-2x2"),
            Some(vec![Some(10.0), Some(8.0), Some(6.0)])
        );
        assert_eq!(expand("-1+1x1"), Some(vec![Some(-1.0), Some(0.0)]));
        assert_eq!(expand("1e3"), Some(vec![Some(1000.0)]));
        assert_eq!(expand("1x"), None);
        assert_eq!(expand("abc"), None);
    }
}
