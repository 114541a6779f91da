//! Arithmetic on quantities for derived totals (quotas): nano-units in, canonical text out.

/// Formats a count of nano-units as a Kubernetes quantity: whole units when exact, else
/// milli-units (rounded up).
#[must_use]
pub fn format_decimal(nanos: i128) -> String {
    if nanos % 1_000_000_000 == 0 {
        return (nanos / 1_000_000_000).to_string();
    }
    format!("{}m", (nanos + 999_999) / 1_000_000)
}

/// Formats a count of nano-bytes as a binary quantity (`Gi`, `Mi`, `Ki`) when exact, else bytes.
#[must_use]
pub fn format_bytes(nanos: i128) -> String {
    let bytes = (nanos + 999_999_999) / 1_000_000_000;
    for (suffix, unit) in [("Ti", 1i128 << 40), ("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)] {
        if bytes % unit == 0 && bytes >= unit {
            return format!("{}{suffix}", bytes / unit);
        }
    }
    bytes.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms() {
        assert_eq!(format_decimal(6_000_000_000), "6");
        assert_eq!(format_decimal(6_500_000_000), "6500m");
        assert_eq!(format_bytes(12 * (1 << 30) * 1_000_000_000), "12Gi");
        assert_eq!(format_bytes(1536 * (1 << 20) * 1_000_000_000), "1536Mi");
        assert_eq!(format_bytes(1000 * 1_000_000_000), "1000");
    }
}
