//! Newtypes for values that have a grammar. Each validates on construction, so an invalid
//! value cannot exist past decoding ("parse, don't validate").
//!
//! Owns: the grammar of names, quantities, ports, percentages, durations and image references,
//! and the exact error for each. Must not: know where a value came from (the decoder adds spans).

use crate::diag::Code;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Serialize, Serializer};
use std::borrow::Cow;
use std::fmt;

/// Why a value was refused: a code, a message and a fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError {
    /// Diagnostic code.
    pub code: Code,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

impl ValueError {
    pub(crate) fn new(code: Code, message: impl Into<String>, help: impl Into<String>) -> Self {
        Self { code, message: message.into(), help: help.into() }
    }
}

/// A DNS label (RFC 1123), as Kubernetes names namespaces: 1 to 63 lowercase letters, digits
/// and `-`, starting and ending with a letter or digit.
#[must_use]
pub fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A DNS subdomain (RFC 1123), as Kubernetes object names are: DNS labels joined by `.`, at
/// most 253 characters.
#[must_use]
pub fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns_label)
}

macro_rules! string_newtype {
    ($(#[$meta:meta])* $name:ident, $desc:literal, $pattern:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// The value as written.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                let pattern: Option<&str> = $pattern;
                match pattern {
                    Some(p) => json_schema!({"type": "string", "description": $desc, "pattern": p}),
                    None => json_schema!({"type": "string", "description": $desc}),
                }
            }
        }
    };
}

/// Longest service name: the StatefulSet's `controller-revision-hash` label is
/// `<name>-<10-char hash>` (a label value, ≤ 63) and derived objects add suffixes such as
/// `-peers`; 40 leaves room for both.
pub const MAX_SERVICE_NAME: usize = 40;

string_newtype!(
    /// A service (instance) name: a DNS-1035 label of at most [`MAX_SERVICE_NAME`] characters.
    ServiceName,
    "Lowercase letters, digits and '-', starting with a letter, at most 40 characters.",
    Some("^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$")
);

impl ServiceName {
    /// Parses a service name.
    ///
    /// # Errors
    /// When it is not a DNS-1035 label of at most 40 characters.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let help = "use lowercase letters, digits and '-', start with a letter and end with a letter or digit, e.g. `orders-db`";
        if s.len() > MAX_SERVICE_NAME {
            return Err(ValueError::new(
                Code::InvalidName,
                format!("name `{s}` is {} characters, more than {MAX_SERVICE_NAME}", s.len()),
                format!(
                    "shorten it: derived names (`{s}-peers`, pod names, revision-hash labels) must stay within Kubernetes' 63-character limit"
                ),
            ));
        }
        if !is_dns_label(s) || !s.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err(ValueError::new(Code::InvalidName, format!("`{s}` is not a valid service name"), help));
        }
        Ok(Self(s.to_owned()))
    }
}

string_newtype!(
    /// A port name (IANA service name): at most 15 characters, lowercase letters, digits and
    /// '-', at least one letter, no leading, trailing or doubled '-'.
    PortName,
    "IANA service name: at most 15 lowercase letters, digits and '-', with at least one letter.",
    Some("^(?=[-a-z0-9]*[a-z])(?!.*--)[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?$")
);

impl PortName {
    /// Parses a port name.
    ///
    /// # Errors
    /// When Kubernetes would refuse it as a container port name.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let ok = s.len() <= 15 && is_dns_label(s) && s.bytes().any(|b| b.is_ascii_lowercase()) && !s.contains("--");
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(ValueError::new(
                Code::InvalidName,
                format!("`{s}` is not a valid port name"),
                "a port name has at most 15 characters: lowercase letters, digits and single '-', with at least one letter (e.g. `cql`, `http-admin`)",
            ))
        }
    }
}

string_newtype!(
    /// A knob name: an identifier such as `heap` or `maxConnections`.
    KnobName,
    "A camelCase identifier: a lowercase letter, then letters and digits, at most 63 characters.",
    Some("^[a-z][a-zA-Z0-9]{0,62}$")
);

impl KnobName {
    /// Parses a knob name.
    ///
    /// # Errors
    /// When it is not a camelCase identifier.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let ok = s.len() <= 63 && s.starts_with(|c: char| c.is_ascii_lowercase()) && s.bytes().all(|b| b.is_ascii_alphanumeric());
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(ValueError::new(
                Code::InvalidName,
                format!("`{s}` is not a valid knob name"),
                "a knob name is camelCase: a lowercase letter, then letters and digits (e.g. `heap`, `maxConnections`)",
            ))
        }
    }
}

string_newtype!(
    /// An environment variable name (Kubernetes' C identifier rule, relaxed for `.` and `-`).
    EnvName,
    "Letters, digits, '_', '-' and '.', not starting with a digit.",
    Some("^[-._a-zA-Z][-._a-zA-Z0-9]*$")
);

impl EnvName {
    /// Parses an environment variable name.
    ///
    /// # Errors
    /// When Kubernetes would refuse it.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let ok = !s.is_empty()
            && !s.starts_with(|c: char| c.is_ascii_digit())
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(ValueError::new(
                Code::InvalidName,
                format!("`{s}` is not a valid environment variable name"),
                "use letters, digits and '_' (e.g. `MAX_HEAP_SIZE`), not starting with a digit",
            ))
        }
    }
}

string_newtype!(
    /// An absolute, normalised path inside a container.
    AbsPath,
    "An absolute path such as /var/lib/data, without '..' or '//'.",
    Some("^/(?!.*//)(?!.*:)(?!(.*/)?\\.\\.?(/|$))([^/\\u0000-\\u001f\\u007f-\\u009f]+(/[^/\\u0000-\\u001f\\u007f-\\u009f]+)*)?$")
);

impl AbsPath {
    /// Parses a path.
    ///
    /// # Errors
    /// When it is relative, not normalised or contains ':'.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let ok = s.starts_with('/')
            && (s == "/" || !s.ends_with('/'))
            && !s.contains("//")
            && !s.contains(':')
            && s.split('/').all(|seg| seg != ".." && seg != ".")
            && !s.chars().any(char::is_control);
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(ValueError::new(
                Code::InvalidValue,
                format!("`{s}` is not an absolute, normalised path"),
                "write an absolute path without '..', '.', '//', ':' or a trailing '/', e.g. `/var/lib/cassandra`",
            ))
        }
    }
}

string_newtype!(
    /// A container image reference pinned to a tag (not `latest`) or a digest.
    ImageRef,
    "registry/repository:tag or registry/repository@sha256:digest; the tag must not be 'latest'.",
    // with a '/', a first component with a '.' is a registry host (Docker's rule), so without
    // a host the first of several components has none
    // at most 512 characters, as the parser says (the lookahead)
    Some("^(?=.{1,512}$)(([A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+(:[0-9]+)?|[A-Za-z0-9-]+:[0-9]+|localhost)/[a-z0-9]([a-z0-9._-]*[a-z0-9])?(/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*|[a-z0-9]([a-z0-9_-]*[a-z0-9])?(/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)+|[a-z0-9]([a-z0-9._-]*[a-z0-9])?)(:(?!latest(@|$))[A-Za-z0-9_][A-Za-z0-9._-]{0,127}(@sha256:[a-f0-9]{64})?|@sha256:[a-f0-9]{64})$")
);

impl ImageRef {
    /// Parses an image reference.
    ///
    /// # Errors
    /// When it is malformed, has no tag or digest, or uses `latest`.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let bad = |why: &str| {
            ValueError::new(
                Code::InvalidImage,
                format!("image `{s}` {why}"),
                "pin a release, e.g. `docker.io/library/cassandra:5.0.5`, or a digest `...@sha256:<64 hex digits>`",
            )
        };
        if s.len() > 512 {
            return Err(bad("is longer than 512 characters"));
        }
        let (name_tag, digest) = match s.split_once('@') {
            Some((n, d)) => (n, Some(d)),
            None => (s, None),
        };
        if let Some(d) = digest {
            let hex = d.strip_prefix("sha256:").ok_or_else(|| bad("has a digest that is not sha256"))?;
            if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
                return Err(bad("has a malformed sha256 digest"));
            }
        }
        let last_slash = name_tag.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name_tag[last_slash..].rfind(':') {
            Some(i) => (&name_tag[..last_slash + i], Some(&name_tag[last_slash + i + 1..])),
            None => (name_tag, None),
        };
        let mut parts: Vec<&str> = name.split('/').collect();
        if parts.len() > 1 && (parts[0].contains('.') || parts[0].contains(':') || parts[0] == "localhost") {
            let host = parts.remove(0);
            let (h, port) = host.split_once(':').unwrap_or((host, "1"));
            let host_ok = !h.is_empty() && h.split('.').all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
            if !host_ok || port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("has a malformed registry host"));
            }
        }
        let component_ok = |c: &str| {
            !c.is_empty()
                && c.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
                && c.starts_with(|ch: char| ch.is_ascii_alphanumeric())
                && c.ends_with(|ch: char| ch.is_ascii_alphanumeric())
        };
        if parts.is_empty() || !parts.iter().all(|c| component_ok(c)) {
            return Err(bad("has a malformed repository name (lowercase letters, digits, '.', '_', '-')"));
        }
        match (tag, digest) {
            (None, None) => return Err(bad("has no tag; an unpinned image changes under you")),
            (Some("latest"), _) => return Err(bad("uses the `latest` tag; an unpinned image changes under you")),
            (Some(t), _) => {
                let ok = !t.is_empty()
                    && t.len() <= 128
                    && t.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
                    && t.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
                if !ok {
                    return Err(bad("has a malformed tag"));
                }
            }
            (None, Some(_)) => {}
        }
        Ok(Self(s.to_owned()))
    }

    /// The tag, if any (`5.0.5` in `cassandra:5.0.5`).
    #[must_use]
    pub fn tag(&self) -> Option<&str> {
        let name_tag = self.0.split('@').next().unwrap_or(&self.0);
        let last_slash = name_tag.rfind('/').map_or(0, |i| i + 1);
        name_tag[last_slash..].rfind(':').map(|i| &name_tag[last_slash + i + 1..])
    }

    /// Whether the image is pinned by digest.
    #[must_use]
    pub fn has_digest(&self) -> bool {
        self.0.contains('@')
    }
}

/// A Kubernetes resource quantity (`500m`, `4Gi`, `1e3`), kept as written and as a number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity {
    /// The value in nano-units (10⁻⁹), rounded up like Kubernetes does. First, so that the
    /// derived order compares values.
    nanos: i128,
    text: String,
}

impl Quantity {
    /// Parses Kubernetes quantity syntax: a signed decimal, then a binary (`Ki`..`Ei`),
    /// decimal (`n u m k M G T P E`) or exponent (`e3`, `E-2`) suffix.
    ///
    /// # Errors
    /// When the syntax is wrong, the value is negative, or it is out of range.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let bad = |why: String| {
            ValueError::new(
                Code::InvalidQuantity,
                why,
                "write a Kubernetes quantity: a number with an optional suffix, e.g. `500m`, `2`, `512Mi`, `4Gi`, `10G`",
            )
        };
        let num_end = s
            .char_indices()
            .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || (i == 0 && (c == '+' || c == '-'))))
            .map_or(s.len(), |(i, _)| i);
        let (num, suffix) = s.split_at(num_end);
        let num = num.strip_prefix('+').unwrap_or(num);
        if num.starts_with('-') {
            return Err(bad(format!("quantity `{s}` is negative")));
        }
        let (int_part, frac_part) = num.split_once('.').unwrap_or((num, ""));
        if (int_part.is_empty() && frac_part.is_empty()) || frac_part.contains('.') || !int_part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(format!("`{s}` is not a valid quantity")));
        }
        // (multiplier numerator as 10^exp10 or 2^exp2)
        let (exp10, exp2): (i32, u32) = match suffix {
            "" => (0, 0),
            "Ki" => (0, 10),
            "Mi" => (0, 20),
            "Gi" => (0, 30),
            "Ti" => (0, 40),
            "Pi" => (0, 50),
            "Ei" => (0, 60),
            "n" => (-9, 0),
            "u" => (-6, 0),
            "m" => (-3, 0),
            "k" => (3, 0),
            "M" => (6, 0),
            "G" => (9, 0),
            "T" => (12, 0),
            "P" => (15, 0),
            "E" => (18, 0),
            other => {
                let exp = other
                    .strip_prefix('e')
                    .or_else(|| other.strip_prefix('E'))
                    .and_then(|e| e.parse::<i32>().ok())
                    .filter(|e| (-18..=18).contains(e));
                match exp {
                    Some(e) if !other[1..].starts_with('+') => (e, 0),
                    _ => return Err(bad(format!("`{other}` is not a quantity suffix in `{s}`"))),
                }
            }
        };
        if int_part.len() + frac_part.len() > 24 {
            return Err(bad(format!("quantity `{s}` has too many digits")));
        }
        let digits: i128 = format!("{int_part}{frac_part}").parse().unwrap_or(0);
        // value = digits * 10^(exp10 - frac_len) * 2^exp2, in nanos: * 10^9
        let scale = exp10 - i32::try_from(frac_part.len()).unwrap_or(0) + 9;
        let too_big = || bad(format!("quantity `{s}` is too large"));
        let mut nanos = digits.checked_mul(1i128 << exp2).ok_or_else(too_big)?;
        if scale >= 0 {
            nanos = nanos.checked_mul(10i128.checked_pow(scale.unsigned_abs()).ok_or_else(too_big)?).ok_or_else(too_big)?;
        } else {
            let div = 10i128.checked_pow(scale.unsigned_abs()).ok_or_else(too_big)?;
            nanos = (nanos + div - 1) / div;
        }
        if nanos > i128::from(i64::MAX) * 1_000_000_000 {
            return Err(too_big());
        }
        Ok(Self { text: s.to_owned(), nanos })
    }

    /// The value in nano-units.
    #[must_use]
    pub fn nanos(&self) -> i128 {
        self.nanos
    }

    /// The value in whole units, rounded up (bytes for memory).
    #[must_use]
    pub fn units_ceil(&self) -> i128 {
        (self.nanos + 999_999_999) / 1_000_000_000
    }

    /// The quantity as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

/// The grammar of Quantity::parse for the JSON Schema (at most 12 digits before and after the
/// point, an exponent within ±18); `{}` is where a lookahead may go.
const QUANTITY_PATTERN: &str =
    "^\\+?{}([0-9]{1,12}(\\.[0-9]{0,12})?|\\.[0-9]{1,12})(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE]-?0*(1[0-8]|[0-9]))?$";

fn quantity_schema(description: &str, positive: bool) -> Schema {
    // a number (its shortest form has up to 17 significant digits, written out in full) between
    // 1e-7 and 1e15 stays within the 24 digits the parser reads
    let number = if positive {
        serde_json::json!({"type": "number", "minimum": 1e-7, "maximum": 1e15})
    } else {
        serde_json::json!({"type": "number", "minimum": 0, "maximum": 1e15, "not": {"exclusiveMinimum": 0, "exclusiveMaximum": 1e-7}})
    };
    json_schema!({
        "description": description,
        "anyOf": [
            {"type": "string", "pattern": QUANTITY_PATTERN.replace("{}", if positive { "(?=[0-9.]*[1-9])" } else { "" })},
            number
        ]
    })
}

impl JsonSchema for Quantity {
    fn schema_name() -> Cow<'static, str> {
        "Quantity".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        quantity_schema("A Kubernetes quantity, e.g. 500m, 2, 512Mi, 4Gi.", false)
    }
}

/// The schema of a quantity that must be more than zero (capacity, a writable path's size); the
/// value is a [`Quantity`].
#[derive(Debug, Clone, Copy)]
pub struct PositiveQuantity;

impl JsonSchema for PositiveQuantity {
    fn schema_name() -> Cow<'static, str> {
        "PositiveQuantity".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        quantity_schema("A Kubernetes quantity more than zero, e.g. 500m, 2, 512Mi, 4Gi.", true)
    }
}

/// A percentage with at most four decimals (`99.9`, `99.95`), kept exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Percent {
    /// The fraction in millionths: 99.9% is 999 000.
    millionths: u32,
}

impl Percent {
    /// Parses the decimal text of a percentage (as written, or the shortest form of a float).
    ///
    /// # Errors
    /// When it is not a decimal in `0..=100` with at most four decimals.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let bad = |why: String| {
            ValueError::new(Code::OutOfRange, why, "write a percentage from 0 to 100 with at most four decimals, e.g. `99.9`")
        };
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        if int.is_empty() || int.len() > 3 || !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(format!("`{s}` is not a percentage")));
        }
        let frac = frac.trim_end_matches('0');
        if frac.len() > 4 {
            return Err(bad(format!("`{s}` has more than four decimals")));
        }
        let int: u32 = int.parse().unwrap_or(u32::MAX);
        let frac_val: u32 = format!("{frac:0<4}").parse().unwrap_or(0);
        let millionths = int.saturating_mul(10_000).saturating_add(frac_val);
        if millionths > 1_000_000 {
            return Err(bad(format!("{s}% is more than 100%")));
        }
        Ok(Self { millionths })
    }

    /// The fraction in millionths (99.9% → 999 000).
    #[must_use]
    pub fn millionths(self) -> u32 {
        self.millionths
    }

    /// The fraction as an exact decimal string (99.9% → `0.999`).
    #[must_use]
    pub fn fraction_str(self) -> String {
        decimal_millionths(self.millionths)
    }

    /// The complement as an exact decimal string (99.9% → `0.001`).
    #[must_use]
    pub fn complement_str(self) -> String {
        decimal_millionths(1_000_000 - self.millionths)
    }
}

/// Renders `m / 1 000 000` as the shortest exact decimal.
fn decimal_millionths(m: u32) -> String {
    let int = m / 1_000_000;
    let frac = m % 1_000_000;
    if frac == 0 {
        return int.to_string();
    }
    let digits = format!("{frac:06}");
    format!("{int}.{}", digits.trim_end_matches('0'))
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let int = self.millionths / 10_000;
        let frac = self.millionths % 10_000;
        if frac == 0 {
            write!(f, "{int}")
        } else {
            let digits = format!("{frac:04}");
            write!(f, "{int}.{}", digits.trim_end_matches('0'))
        }
    }
}

impl Serialize for Percent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        exact_number(&self.to_string(), s)
    }
}

/// A decimal's exact text serialised as a number (no binary float noise in the text).
fn exact_number<S: Serializer>(text: &str, s: S) -> Result<S::Ok, S::Error> {
    let n: serde_json::Number = text.parse().map_err(serde::ser::Error::custom)?;
    n.serialize(s)
}

impl JsonSchema for Percent {
    fn schema_name() -> Cow<'static, str> {
        "Percent".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "number", "minimum": 0, "maximum": 100, "description": "A percentage, e.g. 99.9 (at most four decimals)."})
    }
}

/// A signed decimal number with at most nine digits after the point (`0.9`, `-1.5`, `2`), kept
/// exactly in billionths: no binary float reaches the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Decimal {
    /// The value in billionths: 0.9 is 900 000 000.
    billionths: i64,
}

impl Decimal {
    /// Digits allowed after the point.
    pub const MAX_SCALE: usize = 9;

    /// Parses the decimal text of a number (as written, or the shortest form of a float).
    ///
    /// # Errors
    /// When it is not a plain decimal (`-0.25`, `3`, `1.5`), has more than nine digits after
    /// the point, or is beyond ±9 000 000 000.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let bad = |why: String| {
            ValueError::new(
                Code::InvalidValue,
                why,
                "write a decimal number such as `0.9`, `-1.5` or `2`, with at most nine digits after the point",
            )
        };
        let (neg, body) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty() || !digits(int) || !digits(frac) || (body.contains('.') && frac.is_empty()) {
            return Err(bad(format!("`{s}` is not a decimal number")));
        }
        let frac = frac.trim_end_matches('0');
        if frac.len() > Self::MAX_SCALE {
            return Err(bad(format!("`{s}` has more than nine digits after the point")));
        }
        let int = int.trim_start_matches('0');
        let whole: i64 = if int.is_empty() { 0 } else { int.parse().unwrap_or(i64::MAX) };
        let part: i64 = format!("{frac:0<9}").parse().unwrap_or(0);
        let limit = 9_000_000_000;
        if whole > limit || (whole == limit && part > 0) {
            return Err(ValueError::new(
                Code::OutOfRange,
                format!("`{s}` is beyond ±9000000000"),
                "write a decimal from -9000000000 to 9000000000",
            ));
        }
        let magnitude = whole * 1_000_000_000 + part;
        Ok(Self { billionths: if neg { -magnitude } else { magnitude } })
    }

    /// The value in billionths (0.9 → 900 000 000), for comparisons.
    #[must_use]
    pub fn billionths(self) -> i64 {
        self.billionths
    }
}

impl fmt::Display for Decimal {
    /// The shortest exact form with at least one digit after the point (`2.0`, `0.9`): the
    /// software that takes a decimal may parse `2` as an integer (TOML, typed configs).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.billionths < 0 { "-" } else { "" };
        let m = self.billionths.unsigned_abs();
        let digits = format!("{:09}", m % 1_000_000_000);
        let frac = digits.trim_end_matches('0');
        write!(f, "{sign}{}.{}", m / 1_000_000_000, if frac.is_empty() { "0" } else { frac })
    }
}

impl Serialize for Decimal {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        exact_number(&self.to_string(), s)
    }
}

impl JsonSchema for Decimal {
    fn schema_name() -> Cow<'static, str> {
        "Decimal".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "number",
            "minimum": -9_000_000_000_i64,
            "maximum": 9_000_000_000_i64,
            "description": "A decimal number with at most nine digits after the point, e.g. 0.9."
        })
    }
}

/// A duration such as `30s`, `5m`, `1h30m` or `250ms`, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration {
    millis: u64,
}

impl Duration {
    /// Parses `<number><unit>` groups, units `d`, `h`, `m`, `s`, `ms`, each at most once and in
    /// that order (Prometheus's duration grammar). The first number may be long (at most 365
    /// days, 999 hours, 99999 minutes, 9999999 seconds or 999999999 milliseconds); the later
    /// ones are below their carry (23 hours, 59 minutes, 59 seconds, 999 milliseconds). So every
    /// duration is under 366 days, prints back in the same grammar, and the JSON Schema states
    /// the grammar exactly (DURATION_PATTERN).
    ///
    /// # Errors
    /// When the syntax is wrong, a unit repeats or comes out of order, or a number is too large.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let bad = |why: &str| {
            ValueError::new(
                Code::InvalidDuration,
                format!("`{s}` is not a duration{why}"),
                "write numbers with the units d, h, m, s, ms, each at most once and in that order, e.g. `30s`, `90m`, `1h30m`, `250ms`",
            )
        };
        // (unit, milliseconds, the first number's most digits and value, a later number's)
        const UNITS: [(&str, u64, usize, u64, usize, u64); 5] = [
            ("d", 86_400_000, 3, 365, 0, 0),
            ("h", 3_600_000, 3, 999, 2, 23),
            ("m", 60_000, 5, 99_999, 2, 59),
            ("s", 1000, 7, 9_999_999, 2, 59),
            ("ms", 1, 9, 999_999_999, 3, 999),
        ];
        if s.is_empty() {
            return Err(bad(""));
        }
        let mut total: u64 = 0;
        let mut next = 0;
        let mut rest = s;
        while !rest.is_empty() {
            let n_end = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(|| bad(": a number without a unit"))?;
            let digits = &rest[..n_end];
            rest = &rest[n_end..];
            let unit = if rest.starts_with("ms") { "ms" } else { rest.get(..1).unwrap_or_default() };
            let Some(rank) = UNITS.iter().position(|u| u.0 == unit) else {
                return Err(bad(""));
            };
            if digits.is_empty() {
                return Err(bad(""));
            }
            if rank < next {
                return Err(bad(": each unit at most once, in the order d, h, m, s, ms"));
            }
            let (_, millis, first_digits, first_most, later_digits, later_most) = UNITS[rank];
            let (most_digits, most) = if next == 0 { (first_digits, first_most) } else { (later_digits, later_most) };
            let n: u64 = digits.parse().map_err(|_| bad(""))?;
            if digits.len() > most_digits || n > most {
                return Err(bad(&format!(": at most {most} `{unit}` {}", if next == 0 { "first" } else { "after a larger unit" })));
            }
            total += n * millis;
            next = rank + 1;
            rest = &rest[unit.len()..];
        }
        Ok(Self { millis: total })
    }

    /// A duration of whole seconds.
    #[must_use]
    pub const fn from_secs(secs: u64) -> Self {
        Self { millis: secs * 1000 }
    }

    /// Milliseconds.
    #[must_use]
    pub fn millis(self) -> u64 {
        self.millis
    }

    /// Whole seconds, rounded up.
    #[must_use]
    pub fn secs_ceil(self) -> u64 {
        self.millis.div_ceil(1000)
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.millis == 0 {
            return f.write_str("0s");
        }
        let mut rest = self.millis;
        for (unit, name) in [(86_400_000, "d"), (3_600_000, "h"), (60_000, "m"), (1000, "s"), (1, "ms")] {
            if rest >= unit {
                write!(f, "{}{name}", rest / unit)?;
                rest %= unit;
            }
        }
        Ok(())
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The grammar of Duration::parse, for the JSON Schema.
const DURATION_PATTERN: &str = "^(?:(?:36[0-5]|3[0-5][0-9]|[0-2]?[0-9]{1,2})d(?:(?:[01]?[0-9]|2[0-3])h)?(?:[0-5]?[0-9]m)?(?:[0-5]?[0-9]s)?(?:[0-9]{1,3}ms)?|[0-9]{1,3}h(?:[0-5]?[0-9]m)?(?:[0-5]?[0-9]s)?(?:[0-9]{1,3}ms)?|[0-9]{1,5}m(?:[0-5]?[0-9]s)?(?:[0-9]{1,3}ms)?|[0-9]{1,7}s(?:[0-9]{1,3}ms)?|[0-9]{1,9}ms)$";

impl JsonSchema for Duration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string", "pattern": DURATION_PATTERN, "description": "A duration: numbers with the units d, h, m, s, ms, each at most once and in that order, the first at most 365d, 999h, 99999m, 9999999s or 999999999ms and the later ones below their carry (23h, 59m, 59s, 999ms), e.g. 30s, 90m, 1h30m."})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_exact() {
        let d = |s: &str| Decimal::parse(s).map(|d| (d.billionths(), d.to_string()));
        assert_eq!(d("0.9"), Ok((900_000_000, "0.9".to_owned())));
        assert_eq!(d("2"), Ok((2_000_000_000, "2.0".to_owned())));
        assert_eq!(d("-1.50"), Ok((-1_500_000_000, "-1.5".to_owned())));
        assert_eq!(d("+007.000000001"), Ok((7_000_000_001, "7.000000001".to_owned())));
        assert_eq!(d("-0"), Ok((0, "0.0".to_owned())));
        assert_eq!(d("9000000000"), Ok((9_000_000_000_000_000_000, "9000000000.0".to_owned())));
        assert_eq!(d("-9000000000"), Ok((-9_000_000_000_000_000_000, "-9000000000.0".to_owned())));
        // the shortest form of a float, as the YAML reader hands it over
        assert_eq!(d(&0.1_f64.to_string()), Ok((100_000_000, "0.1".to_owned())));
        for bad in ["", ".5", "5.", "1e3", "0x10", "1.2.3", "- 1", "--1", "1.0000000001", "9000000000.1", "99999999999999999999999", "NaN"]
        {
            let e = Decimal::parse(bad).expect_err(bad);
            assert!(!e.help.is_empty(), "{bad}");
        }
        assert!(Decimal::parse("-0.5").unwrap() < Decimal::parse("0.25").unwrap());
    }

    #[test]
    fn shares_of_the_capacity() {
        let q = |s: &str| Quantity::parse(s).unwrap();
        let half = Share::parse("50% of capacity.memory").unwrap();
        assert_eq!((half.permille, &half.of), (500, &ShareOf::Capacity(CapacityField::Memory)));
        assert_eq!(half.to_string(), "50% of capacity.memory");
        assert_eq!(half.of_value(&q("4Gi")).as_str(), "2Gi");
        // rounded down to whole MiB, or millicores
        assert_eq!(Share::parse("33.3% of capacity.memory").unwrap().of_value(&q("1Gi")).as_str(), "340Mi");
        assert_eq!(Share::parse("12.5% of capacity.cpu").unwrap().of_value(&q("1500m")).as_str(), "187m");
        assert_eq!(Share::parse("100% of capacity.storage").unwrap().of_value(&q("10G")).as_str(), "9536Mi");
        // the capacity a value needs, rounded up: its share is at least the value
        assert_eq!(half.capacity_for(&q("3Gi")).as_str(), "6Gi");
        let third = Share::parse("33.3% of capacity.memory").unwrap();
        let need = third.capacity_for(&q("1Gi"));
        assert!(third.of_value(&need).nanos() >= q("1Gi").nanos() && third.of_value(&q("3Gi")).nanos() < q("1Gi").nanos(), "{need}");
        // a share of another knob: MiB when that knob is an amount of memory, else thousandths
        let quarter = Share::parse("25% of knobs.heap").unwrap();
        assert_eq!((quarter.to_string(), quarter.of.setting()), ("25% of knobs.heap".to_owned(), "settings.heap".to_owned()));
        assert_eq!(quarter.of_value(&q("3000Mi")).as_str(), "750Mi");
        assert_eq!(quarter.of_value(&q("1001Mi")).as_str(), "250Mi");
        assert_eq!(quarter.of_value(&q("3")).as_str(), "750m");
        assert_eq!(quarter.capacity_for(&q("250Mi")).as_str(), "1000Mi");
        for bad in [
            "50% of knobs.Heap",
            "50% of knobs.",
            "50% of knobs",
            "50% of settings.heap",
            "50 of capacity.memory",
            "0% of capacity.memory",
            "101% of capacity.memory",
            "50% of capacity.disk",
            "5.55% of capacity.cpu",
            "-5% of capacity.cpu",
            "% of capacity.cpu",
        ] {
            assert!(Share::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn service_names() {
        assert!(ServiceName::parse("cassandra").is_ok());
        assert!(ServiceName::parse("orders-db2").is_ok());
        for bad in ["", "Cassandra", "2db", "db-", "a_b", &"a".repeat(41)] {
            assert_eq!(ServiceName::parse(bad).unwrap_err().code, Code::InvalidName, "{bad}");
        }
    }

    #[test]
    fn port_names() {
        assert!(PortName::parse("cql").is_ok());
        assert!(PortName::parse("http-admin").is_ok());
        for bad in ["", "1234", "a--b", "-a", "abcdefghijklmnop", "CQL"] {
            assert!(PortName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn quantities() {
        let q = |s: &str| Quantity::parse(s).map(|q| q.nanos());
        assert_eq!(q("1"), Ok(1_000_000_000));
        assert_eq!(q("500m"), Ok(500_000_000));
        assert_eq!(q("1Ki"), Ok(1024 * 1_000_000_000));
        assert_eq!(q("1.5Gi"), Ok(1_610_612_736 * 1_000_000_000));
        assert_eq!(q("1e3"), Ok(1_000 * 1_000_000_000));
        assert_eq!(q("1E-3"), Ok(1_000_000));
        assert_eq!(q(".5"), Ok(500_000_000));
        for bad in ["", "-1", "1Gb", "1.2.3", "Gi", "1 Gi", "99999999999Ei", "1e+3"] {
            assert_eq!(Quantity::parse(bad).unwrap_err().code, Code::InvalidQuantity, "{bad}");
        }
        assert!(Quantity::parse("512Mi").unwrap() < Quantity::parse("1Gi").unwrap());
    }

    #[test]
    fn percents_are_exact() {
        let p = Percent::parse("99.9").unwrap();
        assert_eq!(p.millionths(), 999_000);
        assert_eq!(p.complement_str(), "0.001");
        assert_eq!(p.fraction_str(), "0.999");
        assert_eq!(p.to_string(), "99.9");
        assert_eq!(Percent::parse("99.99").unwrap().complement_str(), "0.0001");
        assert_eq!(Percent::parse("100").unwrap().complement_str(), "0");
        assert!(Percent::parse("100.1").is_err());
        assert!(Percent::parse("99.99999").is_err());
        assert!(Percent::parse("-1").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(Duration::parse("1h30m").unwrap().millis(), 5_400_000);
        assert_eq!(Duration::parse("250ms").unwrap().to_string(), "250ms");
        assert_eq!(Duration::parse("90s").unwrap().to_string(), "1m30s");
        for bad in ["", "5", "s", "1x", "-1s", "1.5s"] {
            assert!(Duration::parse(bad).is_err(), "{bad}");
        }
        // Prometheus's grammar: each unit once, d h m s ms in order, bounded digits
        for ok in ["365d23h59m59s999ms", "1d", "024h", "1440m", "86400s", "100000ms", "0s", "1m30s500ms", "90m", "36h"] {
            assert!(Duration::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["30s1m", "1m1m", "1ms1s", "366d", "1000h", "1h60m", "1d24h", "100000m", "1s1000ms", "1h1d", "10000000s"] {
            let e = Duration::parse(bad).expect_err(bad);
            assert!(e.help.contains("in that order"), "{bad}");
        }
        // every duration prints back in the grammar it was read in
        for text in ["365d23h59m59s999ms", "999h", "99999m", "9999999s", "999999999ms", "36h", "90s"] {
            let d = Duration::parse(text).unwrap();
            assert_eq!(Duration::parse(&d.to_string()), Ok(d), "{text} printed as {d}");
        }
    }

    #[test]
    fn images_must_be_pinned() {
        for ok in [
            "docker.io/library/cassandra:5.0.5",
            "cassandra:5.0.5",
            "localhost:5000/a/b:v1",
            "quay.io/x/y@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert!(ImageRef::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["cassandra", "cassandra:latest", "Cassandra:1", "a:b:c", "x@sha1:00", "reg.io:/a:1", ""] {
            assert_eq!(ImageRef::parse(bad).unwrap_err().code, Code::InvalidImage, "{bad}");
        }
        assert_eq!(ImageRef::parse("localhost:5000/a:v1").unwrap().tag(), Some("v1"));
    }

    #[test]
    fn paths() {
        assert!(AbsPath::parse("/var/lib/cassandra").is_ok());
        for bad in ["var", "/a/../b", "/a/", "//a", "/a:b"] {
            assert!(AbsPath::parse(bad).is_err(), "{bad}");
        }
    }
}

/// One of a replica's capacities (`capacity.cpu`, `.memory`, `.storage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapacityField {
    /// `capacity.cpu`.
    Cpu,
    /// `capacity.memory`.
    Memory,
    /// `capacity.storage`.
    Storage,
}

impl CapacityField {
    /// The field's name under `capacity`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            CapacityField::Cpu => "cpu",
            CapacityField::Memory => "memory",
            CapacityField::Storage => "storage",
        }
    }
}

/// What a share is a share of: one of the replica's capacities, or another quantity knob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShareOf {
    /// `capacity.cpu`, `.memory`, `.storage`.
    Capacity(CapacityField),
    /// Another quantity knob of the service, `knobs.heap`.
    Knob(KnobName),
}

impl ShareOf {
    /// The path as a share names it: `capacity.memory`, `knobs.heap`.
    #[must_use]
    pub fn path(&self) -> String {
        match self {
            ShareOf::Capacity(f) => format!("capacity.{}", f.name()),
            ShareOf::Knob(k) => format!("knobs.{k}"),
        }
    }

    /// The path a consumer sets to change it: `capacity.memory`, `settings.heap`.
    #[must_use]
    pub fn setting(&self) -> String {
        match self {
            ShareOf::Capacity(f) => format!("capacity.{}", f.name()),
            ShareOf::Knob(k) => format!("settings.{k}"),
        }
    }
}

/// A share of one of a replica's capacities, `50% of capacity.memory`, or of another quantity
/// knob, `25% of knobs.heap`: a quantity knob's derived default or its bound (`atMost`), so that
/// a knob follows the capacity it lives in and the knobs it is part of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Share {
    /// Tenths of a percent: `12.5%` is 125; 1 to 1000.
    pub permille: u32,
    /// What it is a share of.
    pub of: ShareOf,
}

/// One MiB, in nano-units.
const MIB_NANOS: i128 = (1 << 20) * 1_000_000_000;

impl Share {
    /// Parses `P% of capacity.FIELD` or `P% of knobs.NAME`, `P` from 0.1 to 100 with at most
    /// one decimal.
    ///
    /// # Errors
    /// When the text is not of that form.
    pub fn parse(s: &str) -> Result<Self, ValueError> {
        let bad = || {
            ValueError::new(
                Code::InvalidValue,
                format!("`{s}` is not a share of a capacity or a knob"),
                "write `P% of capacity.memory` (or `.cpu`, `.storage`) or `P% of knobs.NAME`, P from 0.1 to 100, e.g. `50% of capacity.memory`",
            )
        };
        let (pct, what) = s.split_once("% of ").ok_or_else(bad)?;
        let of = match what.split_once('.') {
            Some(("capacity", "cpu")) => ShareOf::Capacity(CapacityField::Cpu),
            Some(("capacity", "memory")) => ShareOf::Capacity(CapacityField::Memory),
            Some(("capacity", "storage")) => ShareOf::Capacity(CapacityField::Storage),
            Some(("knobs", name)) => ShareOf::Knob(KnobName::parse(name).map_err(|_| bad())?),
            _ => return Err(bad()),
        };
        let (int, frac) = pct.split_once('.').unwrap_or((pct, "0"));
        let digits_ok = |t: &str, max: usize| !t.is_empty() && t.len() <= max && t.bytes().all(|b| b.is_ascii_digit());
        if !digits_ok(int, 3) || !digits_ok(frac, 1) {
            return Err(bad());
        }
        let permille = int.parse::<u32>().map_err(|_| bad())? * 10 + frac.parse::<u32>().map_err(|_| bad())?;
        if !(1..=1000).contains(&permille) {
            return Err(bad());
        }
        Ok(Self { permille, of })
    }

    /// The unit a share is rounded to, in nano-units, and its suffix: millicores for cpu, MiB for
    /// memory and storage; a knob's share is in MiB when `reference` is at least 1Mi (an amount
    /// of memory), else in thousandths.
    fn unit(&self, reference: &Quantity) -> (i128, &'static str) {
        match self.of {
            ShareOf::Capacity(CapacityField::Cpu) => (1_000_000, "m"),
            ShareOf::Capacity(_) => (MIB_NANOS, "Mi"),
            ShareOf::Knob(_) if reference.nanos() >= MIB_NANOS => (MIB_NANOS, "Mi"),
            ShareOf::Knob(_) => (1_000_000, "m"),
        }
    }

    /// The share of `base` (the value of the capacity or knob it names), rounded down to whole
    /// MiB or thousandths (see [`Share::unit`]).
    #[must_use]
    pub fn of_value(&self, base: &Quantity) -> Quantity {
        let (unit, suffix) = self.unit(base);
        let n = base.nanos() * i128::from(self.permille) / 1000 / unit;
        Self::quantity(n, suffix).unwrap_or_else(|| base.clone())
    }

    /// The smallest base whose share is at least `want` (rounded up), e.g. to say how much
    /// memory a heap needs.
    #[must_use]
    pub fn capacity_for(&self, want: &Quantity) -> Quantity {
        let (unit, suffix) = self.unit(want);
        let ceil = |a: i128, b: i128| (a + b - 1) / b;
        let n = ceil(ceil(want.nanos() * 1000, i128::from(self.permille)), unit);
        Self::quantity(n, suffix).unwrap_or_else(|| want.clone())
    }

    /// `n` units written in the largest unit that keeps it whole (`2048Mi` as `2Gi`, `2000m` as `2`).
    fn quantity(n: i128, suffix: &str) -> Option<Quantity> {
        let text = match suffix {
            "Mi" if n != 0 && n % 1024 == 0 => format!("{}Gi", n / 1024),
            "m" if n != 0 && n % 1000 == 0 => format!("{}", n / 1000),
            _ => format!("{n}{suffix}"),
        };
        Quantity::parse(&text).ok()
    }
}

impl fmt::Display for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (int, frac) = (self.permille / 10, self.permille % 10);
        if frac == 0 {
            write!(f, "{int}%")?
        } else {
            write!(f, "{int}.{frac}%")?
        }
        write!(f, " of {}", self.of.path())
    }
}

impl Serialize for Share {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl JsonSchema for Share {
    fn schema_name() -> Cow<'static, str> {
        "Share".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": r"^(100|[1-9]?[0-9])(\.[0-9])?% of (capacity\.(cpu|memory|storage)|knobs\.[a-z][a-zA-Z0-9]{0,62})$",
            "description": "A share of a replica's capacity or of another quantity knob, e.g. `50% of capacity.memory`, `25% of knobs.heap`."
        })
    }
}
