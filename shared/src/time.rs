//! RFC 3339 timestamps, as codex writes `last_refresh`: enough to order two of them and to
//! tell an age, without a calendar crate.

/// Nanoseconds since the Unix epoch of an RFC 3339 timestamp (`2026-11-25T10:00:00.123Z`,
/// `...+01:00`); `None` if it is not one.
pub fn rfc3339_nanos(text: &str) -> Option<i128> {
    let b = text.as_bytes();
    let digits = |from: usize, len: usize| -> Option<i64> {
        let part = text.get(from..from + len)?;
        part.bytes().all(|c| c.is_ascii_digit()).then(|| part.parse().ok())?
    };
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (digits(0, 4)?, digits(5, 2)?, digits(8, 2)?);
    let (hour, minute, second) = (digits(11, 2)?, digits(14, 2)?, digits(17, 2)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &text[19..];
    let mut nanos: i128 = 0;
    if let Some(frac) = rest.strip_prefix('.') {
        let len = frac.bytes().take_while(u8::is_ascii_digit).count();
        if len == 0 {
            return None;
        }
        let kept = &frac[..len.min(9)];
        nanos = i128::from(kept.parse::<u32>().ok()?) * 10i128.pow(9 - kept.len() as u32);
        rest = &frac[len..];
    }
    let offset_secs = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            if rest.len() != 6 || rest.as_bytes()[3] != b':' {
                return None;
            }
            sign * (rest[1..3].parse::<i64>().ok()? * 3600 + rest[4..6].parse::<i64>().ok()? * 60)
        }
    };
    let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
    Some(i128::from(secs) * 1_000_000_000 + nanos)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(rfc3339_nanos("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            rfc3339_nanos("2026-11-25T10:00:00Z"),
            Some(1_795_600_800 * 1_000_000_000)
        );
        assert_eq!(
            rfc3339_nanos("2026-11-25T11:00:00+01:00"),
            rfc3339_nanos("2026-11-25T10:00:00Z")
        );
        assert_eq!(
            rfc3339_nanos("2000-02-29T00:00:00.5Z"),
            Some(951_782_400 * 1_000_000_000 + 500_000_000)
        );
    }

    /// Byte order is not time order once fractions differ in length: the reason this exists.
    #[test]
    fn fractions_order_correctly() {
        let whole = rfc3339_nanos("2026-11-25T10:00:00Z").unwrap();
        let later = rfc3339_nanos("2026-11-25T10:00:00.5Z").unwrap();
        assert!(later > whole);
        assert!(rfc3339_nanos("2026-11-25T10:00:00.123456789123Z").is_some());
    }

    #[test]
    fn refusals() {
        for bad in [
            "",
            "2026-11-25",
            "2026-13-01T00:00:00Z",
            "2026-11-25T10:00:00",
            "2026-11-25T10:00:00.Z",
            "yesterday",
        ] {
            assert_eq!(rfc3339_nanos(bad), None, "{bad}");
        }
    }
}
