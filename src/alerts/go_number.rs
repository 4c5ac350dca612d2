//! Number literals as Go's `strconv` reads them, for the two Go parsers Prometheus 2.42
//! runs on a rules file: PromQL (`ParseInt(s, 0, 64)`, else `ParseFloat(s, 64)`) and alert
//! templates (`text/template`, which also tries `ParseUint`). A literal either parser
//! cannot read makes Prometheus refuse the file (`up > 1e99999`, `{{ 99999999999999999999 }}`).

/// Go's `strconv.ParseUint(s, 0, 64)` succeeds.
pub(crate) fn parse_uint_ok(s: &str) -> bool {
    parse_uint_base0(s).is_some()
}

/// Go's `strconv.ParseInt(s, 0, 64)` succeeds.
pub(crate) fn parse_int_ok(s: &str) -> bool {
    let (negative, magnitude) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    match parse_uint_base0(magnitude) {
        Some(v) if negative => v <= 1u64 << 63,
        Some(v) => v <= i64::MAX as u64,
        None => false,
    }
}

/// `ParseUint` with base 0: `0x`, `0o`, `0b` prefixes, a leading `0` for octal, and `_`
/// between digits.
fn parse_uint_base0(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.is_empty() {
        return None;
    }
    let (radix, digits) = if b[0] == b'0' && b.len() >= 3 {
        match b[1].to_ascii_lowercase() {
            b'b' => (2, &s[2..]),
            b'o' => (8, &s[2..]),
            b'x' => (16, &s[2..]),
            _ => (8, &s[1..]),
        }
    } else if b[0] == b'0' {
        (8, &s[1..])
    } else {
        (10, s)
    };
    let mut value: u64 = 0;
    let mut underscores = false;
    for c in digits.chars() {
        if c == '_' {
            underscores = true;
            continue;
        }
        let d = c.to_digit(radix)?;
        value = value.checked_mul(radix as u64)?.checked_add(d as u64)?;
    }
    if underscores && !underscores_ok(s) {
        return None;
    }
    Some(value)
}

/// Go's `strconv.ParseFloat(s, 64)` succeeds: well formed and finite (an overflow such as
/// `1e99999` is an error in Go; an underflow gives 0 and is not).
pub(crate) fn parse_float_ok(s: &str) -> bool {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let lower = unsigned.to_ascii_lowercase();
    if matches!(lower.as_str(), "inf" | "infinity" | "nan") {
        return true;
    }
    if unsigned.contains('_') && !underscores_ok(s) {
        return false;
    }
    let plain: String = unsigned.chars().filter(|&c| c != '_').collect();
    if let Some(hex) = plain
        .strip_prefix("0x")
        .or_else(|| plain.strip_prefix("0X"))
    {
        return hex_float_ok(hex);
    }
    let (mantissa, exponent) = match plain.find(['e', 'E']) {
        Some(i) => (&plain[..i], Some(&plain[i + 1..])),
        None => (plain.as_str(), None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return false;
    }
    if let Some(exp) = exponent {
        let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
    }
    plain.parse::<f64>().is_ok_and(f64::is_finite)
}

/// A hexadecimal float after `0x`: mantissa, then a mandatory `p` exponent.
fn hex_float_ok(hex: &str) -> bool {
    let Some((mantissa, exponent)) = hex.split_once(['p', 'P']) else {
        return false;
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() && frac.is_empty()
        || !int
            .bytes()
            .chain(frac.bytes())
            .all(|b| b.is_ascii_hexdigit())
    {
        return false;
    }
    let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let significant = int.trim_start_matches('0');
    if significant.is_empty() {
        return true; // a fraction only: below 1, never overflows upwards
    }
    let magnitude: i64 = digits.parse().unwrap_or(i64::MAX);
    let exp = if exponent.starts_with('-') {
        -magnitude
    } else {
        magnitude
    };
    // The value is below 2^(4 * integer digits + exp); f64 holds up to 2^1024.
    (significant.len() as i64 * 4).saturating_add(exp) <= 1024
}

/// Go's `underscoreOK`: `_` only between digits, or between a base prefix and a digit.
pub(crate) fn underscores_ok(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let b = s.as_bytes();
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if b.len() >= 2 && b[0] == b'0' && matches!(b[1].to_ascii_lowercase(), b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = b[1].eq_ignore_ascii_case(&b'x');
    }
    for &c in &b[i..] {
        if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
    }
    saw != b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_follow_strconv() {
        for good in [
            "0", "7", "017", "0x1F", "0o17", "0b101", "1_000", "0_7", "-5", "+5",
        ] {
            assert!(parse_int_ok(good), "{good}");
        }
        assert!(parse_int_ok("9223372036854775807"));
        assert!(!parse_int_ok("9223372036854775808"));
        assert!(parse_int_ok("-9223372036854775808"));
        assert!(parse_uint_ok("18446744073709551615"));
        assert!(!parse_uint_ok("18446744073709551616"));
        assert!(!parse_uint_ok("+1"));
        for bad in ["", "08", "0x", "1__0", "_1", "1_", "0xg", "1.5"] {
            assert!(!parse_int_ok(bad), "{bad}");
        }
    }

    #[test]
    fn floats_follow_strconv() {
        for good in [
            "1.5", ".5", "5.", "1e3", "1E-3", "1e-99999", "0x1p-2", "0x1.8p1", "Inf", "-nan",
            "1_0.5",
        ] {
            assert!(parse_float_ok(good), "{good}");
        }
        for bad in [
            "1e99999",
            "-1e400",
            "0x1.8",
            ".",
            "1e",
            "e5",
            "1.5.5",
            "0x1p99999",
            "1__0",
        ] {
            assert!(!parse_float_ok(bad), "{bad}");
        }
    }
}
