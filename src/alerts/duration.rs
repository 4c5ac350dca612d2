//! Prometheus durations (`5m`, `1h30m`), read as Prometheus 2.42 reads them. Below both the
//! rules-file reader (a group's `interval`) and the checks (`for`, `keep_firing_for`,
//! PromQL ranges), so neither reaches into the other for it.

/// A Prometheus duration (`5m`, `1h30m`, `90s`, `0`) as Prometheus 2.42 reads one
/// (`model.ParseDuration` of prometheus/common 0.39): units y w d h m s ms, each at most once,
/// largest first, and at most 2^63-1 nanoseconds in all (about 292 years; `1000y` and
/// `99999999999d` are refused).
pub(crate) fn parse_duration(text: &str) -> Option<std::time::Duration> {
    const UNITS: [(&str, u64); 7] = [
        ("y", 365 * 86_400_000),
        ("w", 7 * 86_400_000),
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ];
    if text == "0" {
        return Some(std::time::Duration::ZERO);
    }
    if text.is_empty() {
        return None;
    }
    let mut rest = text;
    let mut next_unit = 0;
    let mut nanos: u128 = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        // Digits beyond u128 are out of range anyway.
        let number: u128 = rest[..digits].parse().unwrap_or(u128::MAX / 2);
        rest = &rest[digits..];
        // "ms" must win over "m" followed by "s".
        let (index, (unit, factor)) = UNITS
            .iter()
            .enumerate()
            .skip(next_unit)
            .filter(|(_, (u, _))| rest.starts_with(u))
            .max_by_key(|(_, (u, _))| u.len())?;
        rest = &rest[unit.len()..];
        nanos = nanos.saturating_add(number.saturating_mul(u128::from(*factor) * 1_000_000));
        next_unit = index + 1;
    }
    if nanos > i64::MAX as u128 {
        return None;
    }
    Some(std::time::Duration::from_nanos(nanos as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn durations_follow_prometheus() {
        assert_eq!(parse_duration("5m"), Some(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(
            parse_duration("1m500ms"),
            Some(Duration::from_millis(60_500))
        );
        assert_eq!(parse_duration("0"), Some(Duration::ZERO));
        assert_eq!(
            parse_duration("292y"),
            Some(Duration::from_secs(292 * 365 * 86_400))
        );
        for bad in [
            "",
            "5",
            "5 minutes",
            "m",
            "5m1h",
            "1.5h",
            "-5m",
            "5mm",
            "1000y",
            "293y",
            "99999999999d",
            "106751d23h47m16s855ms",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }
}
