//! Decoding a spanned YAML tree into the typed [`Spec`], reporting every error at once.
//!
//! Owns: the closed schema (unknown keys with did-you-mean), types, required fields, defaults,
//! and the path → span index that later stages use to point at what the user wrote. Checks
//! that span several fields live in [`crate::validate`]. Must not: do Kubernetes lowering.

use crate::diag::{Code, Diagnostic, Diagnostics, did_you_mean};
use crate::model::*;
use crate::source::Span;
use crate::values::*;
use crate::yaml::{Node, Value};
use indexmap::IndexMap;
use std::collections::BTreeMap;

/// Where each value of the spec was written, by dotted path (`redundancy.replicas`,
/// `function.endpoints.0.port`). Paths of mappings point at their key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpanIndex(BTreeMap<String, Span>);

impl SpanIndex {
    /// The span of the value at `path`, if the user wrote it.
    #[must_use]
    pub fn get(&self, path: &str) -> Option<Span> {
        self.0.get(path).copied()
    }

    /// The span of `path`, or of its nearest written ancestor.
    #[must_use]
    pub fn nearest(&self, path: &str) -> Option<Span> {
        let mut p = path;
        loop {
            if let Some(s) = self.0.get(p) {
                return Some(*s);
            }
            p = &p[..p.rfind('.')?];
        }
    }

    /// Where to report a finding about `path` that `involved` values also decide: the one of
    /// them the user wrote last (by [`Sources::precedence`]), `path` on a tie, else the nearest
    /// written ancestor of `path`. A consumer's overlay that breaks a base's topology is then
    /// told at its own line.
    #[must_use]
    pub fn decisive(&self, path: &str, involved: &[&str], sources: &crate::Sources) -> Option<Span> {
        let mut best = self.get(path);
        for p in involved {
            if let Some(s) = self.get(p)
                && best.is_none_or(|b| sources.precedence(s.source) > sources.precedence(b.source))
            {
                best = Some(s);
            }
        }
        best.or_else(|| self.nearest(path))
    }

    /// Every recorded path and its span, sorted by path.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Span)> {
        self.0.iter().map(|(k, v)| (k.as_str(), *v))
    }

    pub(crate) fn insert(&mut self, path: String, span: Span) {
        self.0.entry(path).or_insert(span);
    }
}

pub(crate) struct Decoder<'a> {
    pub diags: &'a mut Diagnostics,
    pub spans: &'a mut SpanIndex,
}

fn join(path: &str, key: &str) -> String {
    // Called for every decoded field: one exact allocation, no formatting machinery.
    if path.is_empty() {
        return key.to_owned();
    }
    let mut joined = String::with_capacity(path.len() + 1 + key.len());
    joined.push_str(path);
    joined.push('.');
    joined.push_str(key);
    joined
}

fn describe(path: &str) -> String {
    if path.is_empty() { "the document".to_owned() } else { format!("`{path}`") }
}

/// Reads a mapping's fields one by one; [`Fields::finish`] reports the keys nobody asked for.
pub(crate) struct Fields<'n> {
    entries: &'n [(Node, Node)],
    used: Vec<bool>,
    asked: Vec<&'static str>,
    path: String,
    owner: Span,
}

impl<'n> Fields<'n> {
    /// Marks `key` asked for and, when present, used; returns its entry's index.
    fn find(&mut self, key: &'static str) -> Option<usize> {
        self.asked.push(key);
        let i = self.entries.iter().position(|(k, _)| k.as_str() == Some(key))?;
        self.used[i] = true;
        Some(i)
    }

    fn take(&mut self, key: &'static str) -> Option<&'n Node> {
        self.find(key).map(|i| &self.entries[i].1)
    }

    pub fn opt<'d, T>(
        &mut self,
        d: &mut Decoder<'d>,
        key: &'static str,
        f: impl FnOnce(&mut Decoder<'d>, &Node, &str) -> Option<T>,
    ) -> Option<T> {
        let i = self.find(key)?;
        let entries = self.entries;
        let (k, node) = &entries[i];
        let path = join(&self.path, key);
        // A single value is located at the value (which may come from a `--set` flag); a section
        // at its key.
        let span = if matches!(node.value, Value::Map(_) | Value::Seq(_)) { k.span } else { node.span };
        d.spans.insert(path.clone(), span);
        f(d, node, &path)
    }

    pub fn req<'d, T>(
        &mut self,
        d: &mut Decoder<'d>,
        key: &'static str,
        f: impl FnOnce(&mut Decoder<'d>, &Node, &str) -> Option<T>,
    ) -> Option<T> {
        if self.entries.iter().any(|(k, _)| k.as_str() == Some(key)) {
            return self.opt(d, key, f);
        }
        self.asked.push(key);
        d.diags.push(
            Diagnostic::error(Code::MissingField, format!("missing field `{key}` in {}", describe(&self.path)))
                .at(self.owner)
                .label(format!("`{key}` is required here"))
                .help(match self.path.split('.').next().filter(|s| !s.is_empty()) {
                    Some(section) => format!("add `{key}:` (see docs/spec.md, section `{section}`)"),
                    None => format!("add `{key}:` (see docs/spec.md)"),
                }),
        );
        None
    }

    pub fn finish(self, d: &mut Decoder) {
        for (i, (k, _)) in self.entries.iter().enumerate() {
            if self.used[i] {
                continue;
            }
            let name = match &k.value {
                Value::Str(s) => s.clone(),
                other => format!("{other:?}"),
            };
            let mut diag = Diagnostic::error(Code::UnknownKey, format!("unknown key `{name}` in {}", describe(&self.path))).at(k.span);
            diag = match did_you_mean(&name, self.asked.iter().copied()) {
                Some(s) => diag
                    .label(format!("did you mean `{s}`?"))
                    .help(format!("did you mean `{s}`? Valid keys here: {}", self.asked.join(", "))),
                None => diag.label("not a key of this section").help(format!("valid keys here: {}", self.asked.join(", "))),
            };
            d.diags.push(diag);
        }
    }
}

impl Decoder<'_> {
    pub fn error(&mut self, code: Code, node: &Node, message: String, help: impl Into<String>) {
        self.diags.push(Diagnostic::error(code, message).at(node.span).help(help));
    }

    fn wrong_type(&mut self, node: &Node, path: &str, expected: &str) {
        let help = match (&node.value, expected) {
            (Value::Int(_) | Value::Float(_) | Value::Bool(_), "a string") => "quote the value, e.g. \"4.1\"".to_owned(),
            (Value::Null, _) => format!("write {expected} after the colon, or remove the key"),
            _ => format!("write {expected} here"),
        };
        self.diags.push(
            Diagnostic::error(Code::WrongType, format!("{} must be {expected}, found {}", describe(path), node.value.type_name()))
                .at(node.span)
                .help(help),
        );
    }

    pub fn fields<'n>(&mut self, node: &'n Node, path: &str, owner: Span) -> Option<Fields<'n>> {
        match &node.value {
            Value::Map(entries) => {
                Some(Fields { entries, used: vec![false; entries.len()], asked: Vec::new(), path: path.to_owned(), owner })
            }
            _ => {
                self.wrong_type(node, path, "a mapping");
                None
            }
        }
    }

    pub fn string(&mut self, node: &Node, path: &str) -> Option<String> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            _ => {
                self.wrong_type(node, path, "a string");
                None
            }
        }
    }

    /// A string with something besides white space in it (a reason, a file name); `message`
    /// and `help` say what an empty one should have been.
    pub fn non_blank(&mut self, node: &Node, path: &str, message: &str, help: &str) -> Option<String> {
        let s = self.string(node, path)?;
        if s.trim().is_empty() {
            self.error(Code::InvalidValue, node, message.to_owned(), help);
            return None;
        }
        Some(s)
    }

    /// A string that is an absolute URL path; `what` names it in the message ("HTTP path"),
    /// `example` shows one in the help.
    pub fn url_path(&mut self, node: &Node, path: &str, what: &str, example: &str) -> Option<String> {
        let s = self.string(node, path)?;
        if !s.starts_with('/') {
            self.error(
                Code::InvalidValue,
                node,
                format!("{what} `{s}` does not start with '/'"),
                format!("write an absolute URL path, e.g. `{example}`"),
            );
            return None;
        }
        Some(s)
    }

    pub fn boolean(&mut self, node: &Node, path: &str) -> Option<bool> {
        match &node.value {
            Value::Bool(b) => Some(*b),
            _ => {
                self.wrong_type(node, path, "`true` or `false`");
                None
            }
        }
    }

    pub fn int<T: TryFrom<i128> + Copy + std::fmt::Display>(&mut self, node: &Node, path: &str, min: T, max: T) -> Option<T>
    where
        i128: From<T>,
    {
        let Value::Int(i) = node.value else {
            self.wrong_type(node, path, "a whole number");
            return None;
        };
        if i < i128::from(min) || i > i128::from(max) {
            self.error(
                Code::OutOfRange,
                node,
                format!("{} is {i}, outside {min}..={max}", describe(path)),
                format!("use a value from {min} to {max}"),
            );
            return None;
        }
        T::try_from(i).ok()
    }

    /// A string-like scalar with a grammar; numbers are accepted where the grammar allows them.
    pub fn parsed<T>(&mut self, node: &Node, path: &str, numbers_ok: bool, parse: impl FnOnce(&str) -> Result<T, ValueError>) -> Option<T> {
        let text = match &node.value {
            Value::Str(s) => s.clone(),
            Value::Int(i) if numbers_ok => i.to_string(),
            Value::Float(f) if numbers_ok => f.to_string(),
            _ => {
                self.wrong_type(node, path, "a string");
                return None;
            }
        };
        match parse(&text) {
            Ok(v) => Some(v),
            Err(e) => {
                self.diags.push(Diagnostic::error(e.code, e.message).at(node.span).label(format!("in {}", describe(path))).help(e.help));
                None
            }
        }
    }

    pub fn choice<T: Copy>(&mut self, node: &Node, path: &str, choices: &[(&'static str, T)]) -> Option<T> {
        let Value::Str(s) = &node.value else {
            let names: Vec<_> = choices.iter().map(|(n, _)| format!("`{n}`")).collect();
            self.wrong_type(node, path, &format!("one of {}", names.join(", ")));
            return None;
        };
        if let Some((_, v)) = choices.iter().find(|(n, _)| n == s) {
            return Some(*v);
        }
        let names: Vec<_> = choices.iter().map(|(n, _)| format!("`{n}`")).collect();
        let help = match did_you_mean(s, choices.iter().map(|(n, _)| *n)) {
            Some(m) => format!("did you mean `{m}`? Choices: {}", names.join(", ")),
            None => format!("use one of {}", names.join(", ")),
        };
        self.error(Code::UnknownVariant, node, format!("`{s}` is not a valid value for {}", describe(path)), help);
        None
    }

    pub fn list<T>(&mut self, node: &Node, path: &str, mut item: impl FnMut(&mut Self, &Node, &str) -> Option<T>) -> Option<Vec<T>> {
        let Value::Seq(items) = &node.value else {
            self.wrong_type(node, path, "a list");
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, n) in items.iter().enumerate() {
            let p = join(path, &i.to_string());
            self.spans.insert(p.clone(), n.span);
            match item(self, n, &p) {
                Some(v) => out.push(v),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// Any YAML value as JSON (patches carry Kubernetes fragments ossc does not type).
    pub fn json(&mut self, node: &Node, path: &str) -> Option<serde_json::Value> {
        use serde_json::Value as J;
        Some(match &node.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => match i64::try_from(*i) {
                Ok(v) => J::from(v),
                Err(_) => {
                    self.error(
                        Code::OutOfRange,
                        node,
                        format!("{i} in {} is too large", describe(path)),
                        "use a number that fits in 64 bits",
                    );
                    return None;
                }
            },
            Value::Float(f) => serde_json::Number::from_f64(*f).map(J::Number).unwrap_or(J::Null),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    out.push(self.json(item, &join(path, &i.to_string()))?);
                }
                J::Array(out)
            }
            Value::Map(entries) => {
                let mut out = serde_json::Map::new();
                for (k, v) in entries {
                    let Some(key) = k.as_str() else {
                        self.wrong_type(k, path, "a string key");
                        return None;
                    };
                    out.insert(key.to_owned(), self.json(v, &join(path, key))?);
                }
                J::Object(out)
            }
        })
    }

    pub fn strings(&mut self, node: &Node, path: &str) -> Option<Vec<String>> {
        self.list(node, path, |d, n, p| d.string(n, p))
    }

    /// `items` (the list decoded at `node`), refused when it is empty; `help` says what to list.
    pub fn non_empty<T>(&mut self, node: &Node, path: &str, items: Vec<T>, help: &str) -> Option<Vec<T>> {
        if items.is_empty() {
            self.error(Code::InvalidValue, node, format!("`{path}` is empty"), help);
            return None;
        }
        Some(items)
    }

    /// A mapping with user-chosen keys (knobs, env, settings), in written order.
    pub fn map<K: std::hash::Hash + Eq, V>(
        &mut self,
        node: &Node,
        path: &str,
        key: impl Fn(&str) -> Result<K, ValueError>,
        mut value: impl FnMut(&mut Self, &K, &Node, &str) -> Option<V>,
    ) -> Option<IndexMap<K, V>> {
        let Value::Map(entries) = &node.value else {
            self.wrong_type(node, path, "a mapping");
            return None;
        };
        let mut out = IndexMap::with_capacity(entries.len());
        let mut ok = true;
        for (k, v) in entries {
            let Some(name) = self.parsed(k, path, false, &key) else {
                ok = false;
                continue;
            };
            let p = join(path, k.as_str().unwrap_or_default());
            // As in `opt`: a single value is located at the value (an overlay or a `--set` may
            // have replaced it), a section at its key.
            self.spans.insert(p.clone(), if matches!(v.value, Value::Map(_) | Value::Seq(_)) { k.span } else { v.span });
            match value(self, &name, v, &p) {
                Some(val) => {
                    out.insert(name, val);
                }
                None => ok = false,
            }
        }
        ok.then_some(out)
    }
}

/// Decodes a whole document. `None` when any error was reported.
pub(crate) fn decode_spec(d: &mut Decoder, root: &Node) -> Option<Spec> {
    if root.value == Value::Null {
        let start = Node::new(Value::Null, Span { start: 0, len: 0, ..root.span });
        d.error(
            Code::EmptyDocument,
            &start,
            "the document is empty".to_owned(),
            "start with `apiVersion: openservice.dev/v1alpha1` and `kind: Service`; see specs/ for examples",
        );
        return None;
    }
    let mut f = d.fields(root, "", root.span)?;
    let api = f.req(d, "apiVersion", |d, n, p| {
        let s = d.string(n, p)?;
        if s != API_VERSION {
            d.error(
                Code::WrongDocument,
                n,
                format!("unsupported apiVersion `{s}`"),
                format!("this version of ossc reads `apiVersion: {API_VERSION}`"),
            );
            return None;
        }
        Some(s)
    });
    let kind = f.req(d, "kind", |d, n, p| {
        let s = d.string(n, p)?;
        if s != KIND {
            d.error(Code::WrongDocument, n, format!("unsupported kind `{s}`"), format!("an Open Service Spec has `kind: {KIND}`"));
            return None;
        }
        Some(s)
    });
    let metadata = f.req(d, "metadata", decode_metadata);
    let function = f.req(d, "function", decode_function);
    let runtime = f.req(d, "runtime", decode_runtime);
    let knobs = f.opt(d, "knobs", |d, n, p| d.map(n, p, KnobName::parse, |d, _, n, p| decode_knob(d, n, p))).unwrap_or_default();
    let settings_node = f.take("settings");
    let capacity = f.opt(d, "capacity", decode_capacity);
    let redundancy = f.opt(d, "redundancy", decode_redundancy);
    let scaling = f.opt(d, "scaling", decode_scaling);
    let access = f.opt(d, "access", decode_access);
    let slo = f.opt(d, "slo", decode_slo);
    let lifecycle = f.opt(d, "lifecycle", decode_lifecycle);
    let credentials = f.opt(d, "credentials", |d, n, p| d.map(n, p, EnvName::parse, |d, _, n, p| decode_credential_key(d, n, p)));
    let patches = f.opt(d, "patches", |d, n, p| d.list(n, p, decode_patch));
    let backup = f.opt(d, "backup", decode_backup);
    let clusters = f.opt(d, "clusters", |d, n, p| {
        d.list(n, p, |d, n, p| {
            let mut f = d.fields(n, p, n.span)?;
            let name = f.req(d, "name", |d, n, p| d.parsed(n, p, false, |s| ServiceName::parse(s).map(|n| n.to_string())));
            let role = f.req(d, "role", |d, n, p| d.choice(n, p, &[("active", ClusterRole::Active), ("standby", ClusterRole::Standby)]));
            let seed = f.opt(d, "seedAddress", Decoder::string);
            let cidr = f.opt(d, "podCidr", |d, n, p| d.parsed(n, p, false, cidr));
            f.finish(d);
            Some(ClusterSpec { name: name?, role: role?, seed_address: seed, pod_cidr: cidr })
        })
    });
    let settings_span = f.entries.iter().find(|(k, _)| k.as_str() == Some("settings")).map(|(k, _)| k.span);
    f.finish(d);
    // Settings are typed by the knobs, so they are decoded after them.
    let settings = match settings_node {
        Some(n) => {
            if let Some(s) = settings_span {
                d.spans.insert("settings".to_owned(), s);
            }
            d.map(n, "settings", KnobName::parse, |d, name, n, p| decode_setting(d, &knobs, name, n, p))
        }
        None => Some(IndexMap::new()),
    };
    // Cross-field checks run only on a fully decoded spec: a defaulted stand-in for a field that
    // failed would produce follow-on errors about values the user never wrote.
    if d.diags.has_errors() {
        return None;
    }
    let runtime = runtime?;
    let capacity = capacity.unwrap_or_default();
    let mut knobs = knobs;
    let settings = settings?;
    resolve_shares(d, &mut knobs, &settings, &capacity);
    if d.diags.has_errors() {
        return None;
    }
    let mut redundancy = redundancy.unwrap_or_default();
    // Any replica of a stateless service serves any request: nothing needs a majority, so the
    // default quorum is one (a drain may take all but one replica; the autoscaler guards load).
    if runtime.state == crate::model::State::Stateless && d.spans.get("redundancy.quorum").is_none() {
        redundancy.quorum = crate::model::Quorum::One;
    }
    Some(Spec {
        api_version: api?,
        kind: kind?,
        extends: None,
        metadata: metadata?,
        function: function?,
        runtime,
        knobs,
        settings,
        capacity,
        redundancy,
        scaling: scaling.unwrap_or_default(),
        access: access.unwrap_or_default(),
        slo: slo.unwrap_or_default(),
        lifecycle: lifecycle.unwrap_or_default(),
        credentials: credentials.unwrap_or_default(),
        patches: patches.unwrap_or_default(),
        clusters: clusters.unwrap_or_default(),
        backup,
    })
}

/// The consumer's `backup`: schedule, retention, store and restore.
fn decode_backup(d: &mut Decoder, n: &Node, p: &str) -> Option<Backup> {
    let mut f = d.fields(n, p, owner(d, p, n))?;
    let schedule = f.opt(d, "schedule", |d, n, p| Some(d.parsed(n, p, false, cron_schedule)));
    let keep = f.opt(d, "keep", |d, n, p| d.int(n, p, 1u32, 1000));
    let scratch = f.opt(d, "scratch", |d, n, p| Some(positive_quantity(d, n, p)));
    let store = f.req(d, "store", |d, n, p| {
        let mut f = d.fields(n, p, owner(d, p, n))?;
        let service = f.req(d, "service", |d, n, p| d.parsed(n, p, false, namespace_name));
        let namespace = f.opt(d, "namespace", |d, n, p| Some(d.parsed(n, p, false, namespace_name)));
        let bucket = f.req(d, "bucket", |d, n, p| d.parsed(n, p, false, bucket_name));
        f.finish(d);
        Some(BackupStore { service: service?, namespace: given(namespace)?, bucket: bucket? })
    });
    let restore = f.opt(d, "restore", |d, n, p| {
        let mut f = d.fields(n, p, owner(d, p, n))?;
        let instance = f.opt(d, "instance", |d, n, p| Some(d.parsed(n, p, false, namespace_name)));
        let namespace = f.opt(d, "namespace", |d, n, p| Some(d.parsed(n, p, false, namespace_name)));
        let backup = f.opt(d, "backup", |d, n, p| d.parsed(n, p, false, backup_stamp));
        let time = f.opt(d, "time", |d, n, p| Some(d.parsed(n, p, false, restore_time)));
        f.finish(d);
        Some(Restore {
            instance: given(instance)?,
            namespace: given(namespace)?,
            backup: backup.unwrap_or_else(|| "latest".to_owned()),
            time: given(time)?,
        })
    });
    f.finish(d);
    Some(Backup { schedule: given(schedule)?, keep: keep.unwrap_or(7), scratch: given(scratch)?, store: store?, restore })
}

/// An optional field decoded with `Some(d.parsed(..))`: `Some(None)` when absent, `None` when
/// it was written and refused.
fn given<T>(v: Option<Option<T>>) -> Option<Option<T>> {
    match v {
        None => Some(None),
        Some(None) => None,
        Some(Some(v)) => Some(Some(v)),
    }
}

/// A CronJob schedule as Kubernetes reads it: five fields (minute, hour, day of month, month,
/// day of week) of `*`, numbers, ranges, lists and steps, or a `@daily`-style macro.
fn cron_schedule(s: &str) -> Result<String, ValueError> {
    const MACROS: [&str; 7] = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];
    const FIELDS: [(&str, u32, u32); 5] =
        [("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 6)];
    const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
    let bad = |why: String| {
        ValueError::new(
            Code::InvalidValue,
            format!("`{s}` is not a schedule: {why}"),
            "write five fields, minute hour day-of-month month day-of-week, in UTC (e.g. `17 3 * * *`: every day at 03:17), or `@daily`",
        )
    };
    if MACROS.contains(&s) {
        return Ok(s.to_owned());
    }
    let fields: Vec<&str> = s.split_whitespace().collect();
    if fields.len() != 5 {
        let seconds = if fields.len() == 6 { " (a CronJob has no seconds field: drop the first)" } else { "" };
        return Err(bad(format!("it has {} fields, not 5{seconds}", fields.len())));
    }
    for (field, (what, lo, hi)) in fields.iter().zip(FIELDS) {
        let names: &[&str] = match what {
            "month" => &MONTHS,
            "day of week" => &DAYS,
            _ => &[],
        };
        let value = |v: &str| -> Option<u32> {
            let base = u32::from(what == "month");
            v.parse::<u32>()
                .ok()
                .or_else(|| names.iter().position(|n| n.eq_ignore_ascii_case(v)).and_then(|i| u32::try_from(i).ok()).map(|i| i + base))
        };
        for item in field.split(',') {
            let (range, step) = item.split_once('/').map_or((item, None), |(r, st)| (r, Some(st)));
            if step.is_some_and(|st| st.parse::<u32>().map_or(true, |v| v == 0)) {
                return Err(bad(format!("the {what} field's step `{item}` is not a whole number from 1 to 4294967295")));
            }
            if range == "*" || (range == "?" && matches!(what, "day of month" | "day of week")) {
                continue;
            }
            let (a, b) = range.split_once('-').map_or((range, range), |(a, b)| (a, b));
            match (value(a), value(b)) {
                (Some(a), Some(b)) if lo <= a && a <= b && b <= hi => {}
                (Some(a), Some(b)) if lo <= b && a <= hi && a > b => {
                    return Err(bad(format!("the {what} range `{range}` runs backwards")));
                }
                _ => return Err(bad(format!("the {what} field `{field}` is not within {lo}-{hi}"))),
            }
        }
    }
    Ok(fields.join(" "))
}

/// An S3 bucket's name: 3 to 63 lowercase letters, digits, '.' and '-', starting and ending
/// with a letter or digit, not shaped like an IP address.
fn bucket_name(s: &str) -> Result<String, ValueError> {
    let ok_chars = s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-');
    let ends = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let ip = s.split('.').count() == 4 && s.split('.').all(|p| p.parse::<u8>().is_ok());
    if (3..=63).contains(&s.len()) && ok_chars && ends(s.chars().next()) && ends(s.chars().last()) && !ip && !s.contains("..") {
        Ok(s.to_owned())
    } else if ip || s.contains("..") {
        Err(ValueError::new(
            Code::InvalidName,
            format!("`{s}` is not a bucket name: S3 refuses one shaped like an IP address or with two periods in a row"),
            "name the bucket with letters, e.g. `backups`",
        ))
    } else {
        Err(ValueError::new(
            Code::InvalidName,
            format!("`{s}` is not a bucket name"),
            "a bucket's name is 3 to 63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit (e.g. `backups`)",
        ))
    }
}

/// Which backup a restore reads: `latest` or the time stamp a backup was stored under.
fn backup_stamp(s: &str) -> Result<String, ValueError> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    if s == "latest" || (b.len() == 16 && digits(0..8) && b[8] == b'T' && digits(9..15) && b[15] == b'Z') {
        Ok(s.to_owned())
    } else {
        Err(ValueError::new(
            Code::InvalidValue,
            format!("`{s}` names no backup"),
            "write `latest`, or a backup's time stamp as the store lists it (`aws s3 ls s3://BUCKET/NAMESPACE/INSTANCE/`), e.g. `20261204T031700Z`",
        ))
    }
}

/// A moment to restore to: an RFC 3339 time in UTC to the second, `2026-12-04T03:17:00Z`.
fn restore_time(s: &str) -> Result<String, ValueError> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| {
        b.get(r).filter(|d| d.iter().all(u8::is_ascii_digit)).map(|d| d.iter().fold(0u32, |n, c| n * 10 + u32::from(c - b'0')))
    };
    let separators =
        b.len() == 20 && [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':'), (19, b'Z')].iter().all(|&(i, c)| b[i] == c);
    let fields = (num(0..4), num(5..7), num(8..10), num(11..13), num(14..16), num(17..19));
    match (separators, fields) {
        (true, (Some(_), Some(1..=12), Some(1..=31), Some(0..=23), Some(0..=59), Some(0..=59))) => Ok(s.to_owned()),
        _ => Err(ValueError::new(
            Code::InvalidValue,
            format!("`{s}` is not a moment in UTC"),
            "write the time in UTC to the second as RFC 3339 has it, e.g. `2026-12-04T03:17:00Z` (`date -u +%Y-%m-%dT%H:%M:%SZ` prints now)",
        )),
    }
}

fn decode_credential_key(d: &mut Decoder, n: &Node, p: &str) -> Option<CredentialKey> {
    let mut f = d.fields(n, p, n.span)?;
    let random = f.opt(d, "random", |d, n, p| d.int(n, p, 16u16, 256));
    let value = f.opt(d, "value", Decoder::string);
    let given = f.entries.iter().any(|(k, _)| k.as_str() == Some("random") || k.as_str() == Some("value"));
    f.finish(d);
    match (random, value) {
        (Some(random), None) => Some(CredentialKey::Random { random }),
        (None, Some(value)) => Some(CredentialKey::Value { value }),
        (Some(_), Some(_)) => {
            d.error(Code::Inconsistent, n, "a credentials key is `random` or `value`, not both".to_owned(), "keep one of the two");
            None
        }
        (None, None) => {
            if !given {
                d.error(
                    Code::MissingField,
                    n,
                    "a credentials key needs `random: N` (generated in the cluster) or `value: TEXT`".to_owned(),
                    "write e.g. `password: {random: 32}` or `username: {value: admin}`",
                );
            }
            None
        }
    }
}

/// A parser for a lowercase word of at most 63 characters: a letter, then letters, digits and
/// `extra` (a binding's type, a URI scheme).
fn lower_word(what: &'static str, extra: &'static [u8]) -> impl Fn(&str) -> Result<String, ValueError> {
    move |s: &str| {
        let ok = s.len() <= 63
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || extra.contains(&b));
        if ok {
            Ok(s.to_owned())
        } else {
            Err(ValueError::new(
                Code::InvalidName,
                format!("`{s}` is not a valid {what}"),
                format!(
                    "a {what} is a lowercase letter, then at most 62 lowercase letters, digits and `{}`",
                    String::from_utf8_lossy(extra)
                ),
            ))
        }
    }
}

/// The parser of a URI scheme (`function.binding.scheme`, `runtime.tls.scheme`).
fn uri_scheme(s: &str) -> Result<String, ValueError> {
    lower_word("URI scheme", b"+.-")(s)
}

fn decode_binding(d: &mut Decoder, n: &Node, p: &str) -> Option<Binding> {
    let mut f = d.fields(n, p, owner(d, p, n))?;
    let kind = f.req(d, "type", |d, n, p| d.parsed(n, p, false, lower_word("binding type", b"-")));
    let endpoint = f.opt(d, "endpoint", |d, n, p| d.parsed(n, p, false, PortName::parse));
    let scheme = f.opt(d, "scheme", |d, n, p| d.parsed(n, p, false, uri_scheme));
    let path = f.opt(d, "path", |d, n, p| d.url_path(n, p, "a URI path", "/postgres"));
    let username = f.opt(d, "username", |d, n, p| d.parsed(n, p, false, EnvName::parse));
    let password = f.opt(d, "password", |d, n, p| d.parsed(n, p, false, EnvName::parse));
    let uri_credentials = f.opt(d, "uriCredentials", Decoder::boolean);
    let keys = f.opt(d, "keys", |d, n, p| d.map(n, p, EnvName::parse, |d, _, n, p| d.string(n, p)));
    let first_command = f.opt(d, "try", Decoder::string);
    f.finish(d);
    Some(Binding {
        kind: kind?,
        endpoint,
        scheme,
        path,
        username,
        password,
        uri_credentials: uri_credentials.unwrap_or(true),
        keys: keys.unwrap_or_default(),
        first_command,
    })
}

fn owner(d: &Decoder, path: &str, node: &Node) -> Span {
    d.spans.get(path).unwrap_or(node.span)
}

fn decode_metadata(d: &mut Decoder, n: &Node, p: &str) -> Option<Metadata> {
    let mut f = d.fields(n, p, owner(d, p, n))?;
    let name = f.req(d, "name", |d, n, p| d.parsed(n, p, false, ServiceName::parse));
    let title = f.opt(d, "title", Decoder::string);
    let version = f.req(d, "version", |d, n, p| {
        let v = d.string(n, p)?;
        let ok = !v.is_empty()
            && v.len() <= 63
            && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
            && v.starts_with(|c: char| c.is_ascii_alphanumeric());
        if !ok {
            d.error(
                Code::InvalidValue,
                n,
                format!("version `{v}` cannot be a label value"),
                "use letters, digits, '.', '_' and '-' (at most 63), e.g. \"5.0.5\"",
            );
            return None;
        }
        Some(v)
    });
    let description = f.opt(d, "description", Decoder::string);
    let annotations = f.opt(d, "annotations", |d, n, p| d.map(n, p, |k| Ok(k.to_owned()), |d, _, n, p| d.string(n, p)));
    f.finish(d);
    Some(Metadata { name: name?, title, version: version?, description, annotations: annotations.unwrap_or_default() })
}

fn decode_function(d: &mut Decoder, n: &Node, p: &str) -> Option<Function> {
    let mut f = d.fields(n, p, owner(d, p, n))?;
    let category = f.req(d, "category", |d, n, p| d.choice(n, p, Category::ALL));
    let stands_in_for = f.opt(d, "standsInFor", Decoder::strings);
    let endpoints = f.opt(d, "endpoints", |d, n, p| d.list(n, p, decode_port));
    let peer_ports = f.opt(d, "peerPorts", |d, n, p| d.list(n, p, decode_port));
    let high_availability = f.opt(d, "highAvailability", Decoder::string);
    let security = f.opt(d, "security", Decoder::string);
    let binding = f.opt(d, "binding", decode_binding);
    let replica_addresses = f.opt(d, "replicaAddresses", Decoder::boolean);
    let roles = f.opt(d, "roles", |d, n, p| {
        let mut f = d.fields(n, p, owner(d, p, n))?;
        let label = f.req(d, "label", |d, n, p| d.parsed(n, p, false, role_label));
        let primary = f.req(d, "primary", |d, n, p| d.parsed(n, p, false, label_value));
        let replica = f.opt(d, "replica", |d, n, p| d.parsed(n, p, false, label_value));
        f.finish(d);
        Some(Roles { label: label?, primary: primary?, replica })
    });
    f.finish(d);
    Some(Function {
        roles,
        replica_addresses: replica_addresses.unwrap_or(false),
        category: category?,
        stands_in_for: stands_in_for.unwrap_or_default(),
        endpoints: endpoints.unwrap_or_default(),
        peer_ports: peer_ports.unwrap_or_default(),
        high_availability,
        security,
        binding,
    })
}

fn decode_port(d: &mut Decoder, n: &Node, p: &str) -> Option<PortSpec> {
    let mut f = d.fields(n, p, n.span)?;
    let name = f.req(d, "name", |d, n, p| d.parsed(n, p, false, PortName::parse));
    let port = f.req(d, "port", |d, n, p| d.int(n, p, 1u16, 65535));
    let protocol = f.opt(d, "protocol", |d, n, p| d.choice(n, p, Protocol::ALL));
    let app_protocol = f.opt(d, "appProtocol", |d, n, p| d.choice(n, p, AppProtocol::ALL));
    let description = f.opt(d, "description", Decoder::string);
    f.finish(d);
    Some(PortSpec { name: name?, port: port?, protocol: protocol.unwrap_or_default(), app_protocol, description })
}

fn decode_runtime(d: &mut Decoder, n: &Node, p: &str) -> Option<Runtime> {
    let mut f = d.fields(n, p, owner(d, p, n))?;
    let image = f.req(d, "image", |d, n, p| d.parsed(n, p, false, ImageRef::parse));
    let state = f.req(d, "state", |d, n, p| d.choice(n, p, &[("stateful", State::Stateful), ("stateless", State::Stateless)]));
    let data_path = f.opt(d, "dataPath", |d, n, p| d.parsed(n, p, false, AbsPath::parse));
    let user = f.req(d, "user", |d, n, p| {
        if n.value == Value::Int(0) {
            d.error(
                Code::OutOfRange,
                n,
                "`runtime.user` is 0 (root)".to_owned(),
                "run as the image's non-root user id (e.g. 999); Pod Security \"restricted\" refuses root",
            );
            return None;
        }
        d.int(n, p, 1u32, 2_147_483_647)
    });
    let group = f.opt(d, "group", |d, n, p| d.int(n, p, 1u32, 2_147_483_647));
    let command = f.opt(d, "command", Decoder::strings);
    let args = f.opt(d, "args", Decoder::strings);
    let env = f.opt(d, "env", |d, n, p| d.map(n, p, EnvName::parse, |d, _, n, p| decode_env_value(d, n, p)));
    let health = f.req(d, "health", decode_health);
    let writable = f.opt(d, "writable", |d, n, p| d.list(n, p, decode_writable));
    let stop = f.opt(d, "stop", decode_stop);
    let start_order =
        f.opt(d, "startOrder", |d, n, p| d.choice(n, p, &[("ordered", StartOrder::Ordered), ("parallel", StartOrder::Parallel)]));
    let scaling = f.opt(d, "scaling", decode_runtime_scaling);
    let metrics = f.opt(d, "metrics", decode_metrics);
    let replicas = f.opt(d, "replicas", |d, n, p| {
        let mut f = d.fields(n, p, owner(d, p, n))?;
        let min = f.opt(d, "min", |d, n, p| d.int(n, p, 1u32, 1000));
        let max = f.opt(d, "max", |d, n, p| d.int(n, p, 1u32, 1000));
        let odd = f.opt(d, "odd", Decoder::boolean);
        let reason = f.req(d, "reason", Decoder::string);
        f.finish(d);
        Some(ReplicaRule { min: min.unwrap_or(1), max: max.unwrap_or(1000), odd: odd.unwrap_or(false), reason: reason? })
    });
    let multi_cluster = f.opt(d, "multiCluster", |d, n, p| {
        let mut f = d.fields(n, p, owner(d, p, n))?;
        let aa = f.opt(d, "activeActive", |d, n, p| {
            let mut f = d.fields(n, p, owner(d, p, n))?;
            let description = f.req(d, "description", Decoder::string);
            let settings = f.opt(d, "settings", |d, n, p| d.map(n, p, KnobName::parse, |d, _, n, p| d.string(n, p)));
            let env = f.opt(d, "env", |d, n, p| d.map(n, p, EnvName::parse, |d, _, n, p| d.string(n, p)));
            f.finish(d);
            Some(ClusterMode { description: description?, settings: settings.unwrap_or_default(), env: env.unwrap_or_default() })
        });
        f.finish(d);
        Some(MultiCluster { active_active: aa })
    });
    let secret_mounts = f.opt(d, "secretMounts", |d, n, p| {
        d.list(n, p, |d, n, p| {
            let mut f = d.fields(n, p, n.span)?;
            let secret = f.req(d, "secret", Decoder::string);
            let path = f.req(d, "path", |d, n, p| d.parsed(n, p, false, AbsPath::parse));
            let private = f.opt(d, "private", Decoder::boolean);
            let items = f.opt(d, "items", |d, n, p| {
                d.list(n, p, |d, n, p| {
                    let mut f = d.fields(n, p, n.span)?;
                    let key = f.req(d, "key", Decoder::string);
                    let path = f.req(d, "path", |d, n, p| item_path(d, n, p, "keyfile"));
                    f.finish(d);
                    Some(SecretItem { key: key?, path: path? })
                })
            });
            f.finish(d);
            Some(SecretMount { secret: secret?, path: path?, private: private.unwrap_or(false), items: items.unwrap_or_default() })
        })
    });
    let files = f.opt(d, "files", |d, n, p| d.list(n, p, decode_file));
    let volumes = f.opt(d, "volumes", |d, n, p| {
        d.list(n, p, |d, n, p| {
            let mut f = d.fields(n, p, n.span)?;
            let name = f.req(d, "name", |d, n, p| volume_name(d, n, p));
            let path = f.req(d, "path", |d, n, p| d.parsed(n, p, false, AbsPath::parse));
            let description = f.opt(d, "description", Decoder::string);
            f.finish(d);
            Some(ExtraVolume { name: name?, path: path?, description })
        })
    });
    let bootstrap = f.opt(d, "bootstrap", |d, n, p| d.list(n, p, decode_bootstrap_step));
    let sidecars = f.opt(d, "sidecars", |d, n, p| d.list(n, p, decode_sidecar));
    let components = f.opt(d, "components", |d, n, p| d.list(n, p, decode_component));
    let dependencies = f.opt(d, "dependencies", |d, n, p| {
        d.list(n, p, |d, n, p| {
            let mut f = d.fields(n, p, n.span)?;
            let name = f.req(d, "name", |d, n, p| label_name(d, n, p, 40, ("dependency", "zookeeper")));
            let description = f.opt(d, "description", Decoder::string);
            let ports = f.req(d, "ports", |d, n, p| {
                let ports = d.list(n, p, |d, n, p| d.int(n, p, 1u16, 65535))?;
                d.non_empty(n, p, ports, "list the ports of its pods the software connects to, e.g. `[2181]`")
            });
            f.finish(d);
            Some(Dependency { name: name?, description, ports: ports? })
        })
    });
    let backup = f.opt(d, "backup", decode_runtime_backup);
    let kubernetes_api = f.opt(d, "kubernetesApi", |d, n, p| {
        let mut f = d.fields(n, p, owner(d, p, n))?;
        let reason = f.req(d, "reason", |d, n, p| {
            d.non_blank(n, p, "the reason is empty", "say what the software does with the API, e.g. `Patroni keeps its leader lock in ConfigMaps`")
        });
        let rules = f.req(d, "rules", |d, n, p| {
            let rules = d.list(n, p, |d, n, p| {
                let mut f = d.fields(n, p, n.span)?;
                let resources = f.req(d, "resources", |d, n, p| {
                    let items = d.list(n, p, |d, n, p| {
                        if n.value == Value::Str("secrets".to_owned()) {
                            d.error(
                                Code::UnknownVariant,
                                n,
                                "the software may not use Secrets through the API".to_owned(),
                                "give it the keys it needs as files (`runtime.secretMounts`) or as environment (`secretKeyRef`), and leave `secrets` out",
                            );
                            return None;
                        }
                        d.choice(n, p, ApiResource::ALL)
                    })?;
                    d.non_empty(n, p, items, "list the kinds of object, e.g. `[configmaps]`")
                });
                let verbs = f.req(d, "verbs", |d, n, p| {
                    let items = d.list(n, p, |d, n, p| d.choice(n, p, ApiVerb::ALL))?;
                    d.non_empty(n, p, items, "list what it may do with them, e.g. `[get, list, watch]`")
                });
                f.finish(d);
                Some(ApiRule { resources: resources?, verbs: verbs? })
            })?;
            d.non_empty(n, p, rules, "give at least one rule, e.g. `- {resources: [configmaps], verbs: [get, list, watch]}`")
        });
        f.finish(d);
        Some(KubernetesApi { reason: reason?, rules: rules? })
    });
    let tls = f.opt(d, "tls", |d, n, p| {
        let mut f = d.fields(n, p, owner(d, p, n))?;
        let path = f.req(d, "path", |d, n, p| d.parsed(n, p, false, AbsPath::parse));
        let private = f.opt(d, "private", Decoder::boolean);
        let items = f.opt(d, "items", |d, n, p| {
            d.list(n, p, |d, n, p| {
                let mut f = d.fields(n, p, n.span)?;
                let key = f.req(d, "key", |d, n, p| d.choice(n, p, TlsKey::ALL));
                let path = f.req(d, "path", |d, n, p| item_path(d, n, p, "public.crt"));
                f.finish(d);
                Some(TlsItem { key: key?, path: path? })
            })
        });
        let https = f.opt(d, "https", |d, n, p| d.list(n, p, |d, n, p| d.parsed(n, p, false, PortName::parse)));
        let env = f.opt(d, "env", |d, n, p| d.map(n, p, EnvName::parse, |d, _, n, p| d.string(n, p)));
        let scheme = f.opt(d, "scheme", |d, n, p| d.parsed(n, p, false, uri_scheme));
        let files = f.opt(d, "files", |d, n, p| d.list(n, p, decode_file));
        let binding = f.opt(d, "binding", |d, n, p| d.map(n, p, EnvName::parse, |d, _, n, p| d.string(n, p)));
        let first_command = f.opt(d, "try", Decoder::string);
        let stop_to_switch = f.opt(d, "stopToSwitch", |d, n, p| {
            d.non_blank(
                n,
                p,
                "the reason is empty",
                "say why a rolling update cannot switch TLS, e.g. `members with and without TLS cannot talk`",
            )
        });
        f.finish(d);
        Some(RuntimeTls {
            path: path?,
            private: private.unwrap_or(false),
            items: items.unwrap_or_default(),
            https: https.unwrap_or_default(),
            env: env.unwrap_or_default(),
            scheme,
            files: files.unwrap_or_default(),
            binding: binding.unwrap_or_default(),
            first_command,
            stop_to_switch,
        })
    });
    f.finish(d);
    let user = user?;
    Some(Runtime {
        image: image?,
        state: state?,
        data_path,
        user,
        group: group.unwrap_or(user),
        command: command.unwrap_or_default(),
        args: args.unwrap_or_default(),
        env: env.unwrap_or_default(),
        health: health?,
        writable: writable.unwrap_or_default(),
        stop: stop.unwrap_or_default(),
        start_order: start_order.unwrap_or_default(),
        scaling: scaling.unwrap_or_default(),
        metrics,
        replicas,
        secret_mounts: secret_mounts.unwrap_or_default(),
        multi_cluster,
        files: files.unwrap_or_default(),
        volumes: volumes.unwrap_or_default(),
        bootstrap: bootstrap.unwrap_or_default(),
        sidecars: sidecars.unwrap_or_default(),
        components: components.unwrap_or_default(),
        kubernetes_api,
        tls,
        dependencies: dependencies.unwrap_or_default(),
        backup,
    })
}

/// The packager's `runtime.backup`.
fn decode_runtime_backup(d: &mut Decoder, n: &Node, p: &str) -> Option<RuntimeBackup> {
    let mut f = d.fields(n, p, owner(d, p, n))?;
    let description = f.req(d, "description", |d, n, p| {
        d.non_blank(n, p, "the description is empty", "say what a backup holds, e.g. `a logical dump of every database (pg_dump)`")
    });
    let command = |what: &'static str| {
        move |d: &mut Decoder, n: &Node, p: &str| {
            let args = d.strings(n, p)?;
            d.non_empty(n, p, args, what)
        }
    };
    let run =
        f.req(d, "run", command("give the command that writes the backup's files into $OSS_BACKUP_DIR, e.g. `[/bin/sh, -c, \"...\"]`"));
    let restore = f.opt(
        d,
        "restore",
        command("give the command that reads the files in $OSS_BACKUP_DIR back into the service, e.g. `[/bin/sh, -c, \"...\"]`"),
    );
    let seed = f.opt(
        d,
        "seed",
        command("give the command that writes the files in $OSS_BACKUP_DIR into the data directory, e.g. `[/bin/sh, -c, \"...\"]`"),
    );
    let archive = f.opt(d, "archive", |d, n, p| {
        let mut f = d.fields(n, p, owner(d, p, n))?;
        let description = f.req(d, "description", |d, n, p| {
            d.non_blank(
                n,
                p,
                "the description is empty",
                "say what the archive holds, e.g. `the write-ahead log, every segment as it fills`",
            )
        });
        let files = f.opt(d, "files", |d, n, p| d.list(n, p, decode_file));
        f.finish(d);
        Some(BackupArchive { description: description?, files: files.unwrap_or_default() })
    });
    let (pod, timeout) = decode_pod_fields(
        d,
        &mut f,
        (n, p),
        ("another image runs as that image's user", "add `user:` with the numeric non-root user of that image"),
    );
    f.finish(d);
    Some(RuntimeBackup {
        description: description?,
        pod,
        run: run?,
        restore,
        seed,
        timeout: timeout.unwrap_or_else(defaults::backup_timeout),
        archive,
    })
}

/// A file name under a mount (`secretMounts[].items[].path`, `runtime.tls.items[].path`):
/// relative, without `..` or empty parts; `example` is the help's.
fn item_path(d: &mut Decoder, n: &Node, p: &str, example: &str) -> Option<String> {
    let s = d.string(n, p)?;
    if s.is_empty() || s.starts_with('/') || s.split('/').any(|part| part == ".." || part.is_empty()) {
        d.error(
            Code::InvalidValue,
            n,
            format!("`{s}` is not a file name under the mount"),
            format!("give a relative name without `..` or empty parts, e.g. `{example}`"),
        );
        return None;
    }
    Some(s)
}

/// One of `runtime.files` (or `runtime.tls.files`): a path and its text.
fn decode_file(d: &mut Decoder, n: &Node, p: &str) -> Option<ConfigFile> {
    let mut f = d.fields(n, p, n.span)?;
    let path = f.req(d, "path", |d, n, p| d.parsed(n, p, false, AbsPath::parse));
    let content = f.req(d, "content", Decoder::string);
    f.finish(d);
    Some(ConfigFile { path: path?, content: content? })
}

/// A name that is a DNS label of at most `max` characters starting with a letter; `what` names
/// the thing, with an example of a good name.
fn label_name(d: &mut Decoder, n: &Node, p: &str, max: usize, (what, example): (&str, &str)) -> Option<String> {
    let s = d.string(n, p)?;
    if s.len() > max || !crate::values::is_dns_label(&s) || !s.starts_with(|c: char| c.is_ascii_lowercase()) {
        d.error(
            Code::InvalidName,
            n,
            format!("`{s}` is not a valid {what} name"),
            format!("use at most {max} lowercase letters, digits and '-', starting with a letter and ending with a letter or digit, e.g. `{example}`"),
        );
        return None;
    }
    Some(s)
}

/// The name of one of `runtime.volumes` (also a key of `capacity.volumes`): at most 20
/// lowercase letters and '-', none of the bundle's own volume names.
fn volume_name(d: &mut Decoder, n: &Node, p: &str) -> Option<String> {
    let s = d.string(n, p)?;
    let shaped = s.len() <= 20
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.ends_with(|c: char| c.is_ascii_lowercase())
        && s.chars().all(|c| c.is_ascii_lowercase() || c == '-');
    if !shaped {
        d.error(
            Code::InvalidName,
            n,
            format!("`{s}` is not a valid volume name"),
            "use at most 20 lowercase letters and '-', starting and ending with a letter (no digits: the bundle's own volumes are numbered), e.g. `wal`",
        );
        return None;
    }
    if ["data", "files", "exporter-tmp"].contains(&s.as_str()) {
        d.error(
            Code::InvalidName,
            n,
            format!("`{s}` is the name of a volume the bundle makes itself"),
            "choose another name, e.g. `wal` or `binlog`",
        );
        return None;
    }
    Some(s)
}

/// The process a sidecar or a component runs: its `image` (the service's when absent),
/// `command`, `args` and `env`, decoded alike for both.
struct Process {
    image: Option<ImageRef>,
    command: Vec<String>,
    args: Vec<String>,
    env: IndexMap<EnvName, EnvValue>,
}

fn decode_process(d: &mut Decoder, f: &mut Fields) -> Process {
    let image = f.opt(d, "image", |d, n, p| d.parsed(n, p, false, ImageRef::parse));
    let command = f.opt(d, "command", Decoder::strings);
    let args = f.opt(d, "args", Decoder::strings);
    let env = f.opt(d, "env", |d, n, p| d.map(n, p, EnvName::parse, |d, _, n, p| decode_env_value(d, n, p)));
    Process { image, command: command.unwrap_or_default(), args: args.unwrap_or_default(), env: env.unwrap_or_default() }
}

fn decode_component(d: &mut Decoder, n: &Node, p: &str) -> Option<Component> {
    let mut f = d.fields(n, p, owner(d, p, n))?;
    let name = f.req(d, "name", |d, n, p| label_name(d, n, p, 20, ("component", "controller")));
    let description = f.opt(d, "description", Decoder::string);
    let replicas = f.req(d, "replicas", |d, n, p| d.int(n, p, 1u32, 9));
    let Process { image, command, args, env } = decode_process(d, &mut f);
    let ports = f.opt(d, "ports", |d, n, p| d.list(n, p, decode_port));
    let health = f.req(d, "health", decode_health);
    let writable = f.opt(d, "writable", |d, n, p| d.list(n, p, decode_writable));
    let data_path = f.opt(d, "dataPath", |d, n, p| d.parsed(n, p, false, AbsPath::parse));
    let storage = f.opt(d, "storage", |d, n, p| d.parsed(n, p, true, Quantity::parse));
    let cpu = f.req(d, "cpu", |d, n, p| d.parsed(n, p, true, Quantity::parse));
    let memory = f.req(d, "memory", |d, n, p| d.parsed(n, p, true, Quantity::parse));
    let start_order =
        f.opt(d, "startOrder", |d, n, p| d.choice(n, p, &[("ordered", StartOrder::Ordered), ("parallel", StartOrder::Parallel)]));
    f.finish(d);
    Some(Component {
        name: name?,
        description,
        replicas: replicas?,
        image,
        command,
        args,
        env,
        ports: ports.unwrap_or_default(),
        health: health?,
        writable: writable.unwrap_or_default(),
        data_path,
        storage,
        cpu: cpu?,
        memory: memory?,
        start_order: start_order.unwrap_or_default(),
    })
}

fn decode_sidecar(d: &mut Decoder, n: &Node, p: &str) -> Option<Sidecar> {
    let mut f = d.fields(n, p, owner(d, p, n))?;
    let name = f.req(d, "name", |d, n, p| label_name(d, n, p, 63, ("sidecar", "sentinel")));
    let description = f.opt(d, "description", Decoder::string);
    let Process { image, command, args, env } = decode_process(d, &mut f);
    let ports = f.opt(d, "ports", |d, n, p| d.list(n, p, |d, n, p| d.parsed(n, p, false, PortName::parse)));
    let health = f.req(d, "health", |d, n, p| {
        let mut f = d.fields(n, p, owner(d, p, n))?;
        let ready = f.opt(d, "ready", decode_check);
        let live = f.req(d, "live", decode_check);
        let startup = f.opt(d, "startupTimeout", |d, n, p| d.parsed(n, p, false, Duration::parse));
        f.finish(d);
        Some(SidecarHealth { ready, live: live?, startup_timeout: startup.unwrap_or(Duration::from_secs(300)) })
    });
    let writable = f.opt(d, "writable", |d, n, p| d.list(n, p, decode_writable));
    let cpu = f.opt(d, "cpu", |d, n, p| d.parsed(n, p, true, Quantity::parse));
    let memory = f.opt(d, "memory", |d, n, p| d.parsed(n, p, true, Quantity::parse));
    let tls = f.opt(d, "tls", decode_container_tls);
    f.finish(d);
    let q = |s| Quantity::parse(s).ok();
    Some(Sidecar {
        name: name?,
        description,
        image,
        command,
        args,
        env,
        ports: ports.unwrap_or_default(),
        health: health?,
        writable: writable.unwrap_or_default(),
        cpu: cpu.or_else(|| q("100m"))?,
        memory: memory.or_else(|| q("128Mi"))?,
        tls,
    })
}

/// A sidecar's or the exporter's `tls`: its environment when TLS is on.
fn decode_container_tls(d: &mut Decoder, n: &Node, p: &str) -> Option<ContainerTls> {
    let mut f = d.fields(n, p, owner(d, p, n))?;
    let env = f.opt(d, "env", |d, n, p| d.map(n, p, EnvName::parse, |d, _, n, p| d.string(n, p)));
    f.finish(d);
    Some(ContainerTls { env: env.unwrap_or_default() })
}

/// The fields of a one-off pod, a bootstrap step's or the backup procedure's (`OneOffPod`:
/// `env`, `image` with its `user` and `group`, required with `image`: `why_user` is that
/// finding's reason and help; `cpu` and `memory` with the model's defaults), and its `timeout`
/// (the caller's default: a step's and a backup's differ).
fn decode_pod_fields(d: &mut Decoder, f: &mut Fields, (n, p): (&Node, &str), why_user: (&str, &str)) -> (OneOffPod, Option<Duration>) {
    let env = f.opt(d, "env", |d, n, p| d.map(n, p, EnvName::parse, |d, _, n, p| decode_env_value(d, n, p)));
    let image = f.opt(d, "image", |d, n, p| d.parsed(n, p, false, ImageRef::parse));
    let user = f.opt(d, "user", |d, n, p| d.int(n, p, 1u32, 2_147_483_647));
    let group = f.opt(d, "group", |d, n, p| d.int(n, p, 1u32, 2_147_483_647));
    if image.is_some() && user.is_none() {
        d.diags.push(
            Diagnostic::error(Code::MissingField, format!("missing field `user` in `{p}`: {}", why_user.0))
                .at(owner(d, p, n))
                .help(why_user.1),
        );
    }
    let timeout = f.opt(d, "timeout", |d, n, p| d.parsed(n, p, false, Duration::parse));
    let cpu = f.opt(d, "cpu", |d, n, p| d.parsed(n, p, true, Quantity::parse));
    let memory = f.opt(d, "memory", |d, n, p| d.parsed(n, p, true, Quantity::parse));
    let pod = OneOffPod {
        env: env.unwrap_or_default(),
        image,
        user,
        group,
        cpu: cpu.unwrap_or_else(defaults::exporter_cpu),
        memory: memory.unwrap_or_else(defaults::bootstrap_memory),
    };
    (pod, timeout)
}

fn decode_bootstrap_step(d: &mut Decoder, n: &Node, p: &str) -> Option<BootstrapStep> {
    let mut f = d.fields(n, p, owner(d, p, n))?;
    let name = f.req(d, "name", |d, n, p| label_name(d, n, p, 30, ("bootstrap step", "superuser")));
    let description = f.opt(d, "description", Decoder::string);
    let run = f.req(d, "run", |d, n, p| {
        let args = d.strings(n, p)?;
        d.non_empty(n, p, args, "give the command and its arguments, e.g. `[/bin/sh, -c, \"...\"]`")
    });
    let (pod, timeout) = decode_pod_fields(
        d,
        &mut f,
        (n, p),
        (
            "a step with its own image runs as that image's user",
            "add `user:` with the numeric non-root user of the step's image (e.g. `user: 100` for curlimages/curl)",
        ),
    );
    f.finish(d);
    Some(BootstrapStep { name: name?, description, pod, run: run?, timeout: timeout.unwrap_or_else(defaults::bootstrap_timeout) })
}

fn decode_runtime_scaling(d: &mut Decoder, n: &Node, p: &str) -> Option<RuntimeScaling> {
    let mut f = d.fields(n, p, owner(d, p, n))?;
    let automatic = f.opt(d, "automatic", Decoder::boolean);
    let change =
        |d: &mut Decoder, n: &Node, p: &str| d.choice(n, p, &[("automatic", MemberChange::Automatic), ("manual", MemberChange::Manual)]);
    let scale_down = f.opt(d, "scaleDown", change);
    let scale_up = f.opt(d, "scaleUp", change);
    let reason = f.opt(d, "reason", Decoder::string);
    let remove_member = f.opt(d, "removeMember", |d, n, p| d.list(n, p, decode_removal_step));
    f.finish(d);
    let s = RuntimeScaling {
        automatic: automatic.unwrap_or(true),
        scale_down: scale_down.unwrap_or_default(),
        scale_up: scale_up.unwrap_or_default(),
        reason,
        remove_member: remove_member.unwrap_or_default(),
    };
    if s.scale_up == MemberChange::Manual && s.automatic {
        let at = n.get("scaleUp").unwrap_or(n);
        d.error(
            Code::InvalidValue,
            at,
            "`runtime.scaling.scaleUp: manual` with automatic scaling: an autoscaler would add replicas without the step".to_owned(),
            "add `automatic: false` to `runtime.scaling` (consumers are then refused `scaling.autoscale`), or remove `scaleUp: manual`",
        );
        return None;
    }
    if (!s.automatic || s.scale_down == MemberChange::Manual || s.scale_up == MemberChange::Manual) && s.reason.is_none() {
        d.diags.push(
            Diagnostic::error(Code::MissingField, "missing field `reason` in `runtime.scaling`: say why scaling is limited")
                .at(owner(d, p, n))
                .help("add `reason:`, e.g. \"a node must be decommissioned before it is removed\"; consumers see it when autoscaling is refused"),
        );
        return None;
    }
    Some(s)
}

fn decode_removal_step(d: &mut Decoder, n: &Node, p: &str) -> Option<RemovalStep> {
    let mut f = d.fields(n, p, owner(d, p, n))?;
    let run_in = f.opt(d, "in", |d, n, p| d.choice(n, p, &[("departing", RemovalPod::Departing), ("first", RemovalPod::First)]));
    let exec = f.req(d, "exec", |d, n, p| {
        let args = d.strings(n, p)?;
        let args = d.non_empty(n, p, args, "give the command and its arguments, e.g. `[nodetool, decommission]`")?;
        let mut ok = true;
        for (i, a) in args.iter().enumerate() {
            let at = d.spans.get(&format!("{p}.{i}")).unwrap_or(n.span);
            ok &= member_references_known(d, a, at);
        }
        ok.then_some(args)
    });
    let note = f.opt(d, "note", |d, n, p| d.string(n, p).filter(|s| member_references_known(d, s, n.span)));
    f.finish(d);
    Some(RemovalStep { run_in: run_in.unwrap_or_default(), exec: exec?, note })
}

/// Whether `text` of a removal step uses only the member references (`template::parse_with`,
/// the same syntax as everywhere); reports each other one at `at`.
fn member_references_known(d: &mut Decoder, text: &str, at: Span) -> bool {
    let Err(errors) = crate::template::parse_with(text, crate::template::member_reference) else { return true };
    let known: Vec<String> = crate::template::MEMBER_REFERENCES.iter().map(|(r, _)| format!("`${{{r}}}`")).collect();
    for e in errors {
        let message = if e.unknown { format!("`${{{}}}` is not known in a removal step", e.text) } else { e.text };
        d.diags.push(
            Diagnostic::error(Code::UnknownReference, message)
                .at(at)
                .help(format!("a removal step may use {}; write `$${{` for a literal `${{`", known.join(", "))),
        );
    }
    false
}

fn decode_metrics(d: &mut Decoder, n: &Node, p: &str) -> Option<Metrics> {
    let mut f = d.fields(n, p, owner(d, p, n))?;
    let port = f.req(d, "port", |d, n, p| d.int(n, p, 1u16, 65535));
    let path = f.opt(d, "path", |d, n, p| d.url_path(n, p, "metrics path", "/metrics"));
    let exporter = f.opt(d, "exporter", |d, n, p| {
        let mut f = d.fields(n, p, owner(d, p, n))?;
        let image = f.req(d, "image", |d, n, p| d.parsed(n, p, false, ImageRef::parse));
        let command = f.opt(d, "command", Decoder::strings);
        let args = f.opt(d, "args", Decoder::strings);
        let env = f.opt(d, "env", |d, n, p| d.map(n, p, EnvName::parse, |d, _, n, p| decode_env_value(d, n, p)));
        let cpu = f.opt(d, "cpu", |d, n, p| d.parsed(n, p, true, Quantity::parse));
        let memory = f.opt(d, "memory", |d, n, p| d.parsed(n, p, true, Quantity::parse));
        let tls = f.opt(d, "tls", decode_container_tls);
        f.finish(d);
        let q = |s| Quantity::parse(s).ok();
        Some(Exporter {
            image: image?,
            command: command.unwrap_or_default(),
            args: args.unwrap_or_default(),
            env: env.unwrap_or_default(),
            cpu: cpu.or_else(|| q("100m"))?,
            memory: memory.or_else(|| q("128Mi"))?,
            tls,
        })
    });
    let sli = f.opt(d, "sli", |d, n, p| {
        let mut f = d.fields(n, p, owner(d, p, n))?;
        let errors = f.req(d, "errors", Decoder::string);
        let total = f.req(d, "total", Decoder::string);
        f.finish(d);
        Some(Sli { errors: errors?, total: total? })
    });
    let alerts = f.opt(d, "alerts", |d, n, p| d.list(n, p, decode_metric_alert));
    f.finish(d);
    Some(Metrics { port: port?, path: path.unwrap_or_else(|| "/metrics".to_owned()), exporter, sli, alerts: alerts.unwrap_or_default() })
}

fn decode_metric_alert(d: &mut Decoder, n: &Node, p: &str) -> Option<MetricAlert> {
    let mut f = d.fields(n, p, owner(d, p, n))?;
    let name = f.req(d, "name", |d, n, p| d.parsed(n, p, false, alert_name));
    let expr = f.req(d, "expr", |d, n, p| {
        d.non_blank(
            n,
            p,
            "the alert's `expr` is empty",
            "write the PromQL that returns a series while the condition holds, e.g. `pg_up{${selector}} == 0`",
        )
    });
    let for_ = f.opt(d, "for", |d, n, p| d.parsed(n, p, false, Duration::parse));
    let severity = f.opt(d, "severity", |d, n, p| d.choice(n, p, &[("warning", AlertSeverity::Warning), ("page", AlertSeverity::Page)]));
    let summary = f.req(d, "summary", |d, n, p| d.non_blank(n, p, "the alert's `summary` is empty", "say in one line what is wrong"));
    let description = f.opt(d, "description", Decoder::string);
    let when = f.opt(d, "when", |d, n, p| d.choice(n, p, &[("backup", AlertWhen::Backup)]));
    f.finish(d);
    Some(MetricAlert {
        name: name?,
        expr: expr?,
        for_: for_.unwrap_or_else(defaults::alert_for),
        severity: severity.unwrap_or_default(),
        summary: summary?,
        description,
        when,
    })
}

/// An alert's name: PascalCase, as Prometheus's conventions and ossc's own alerts.
fn alert_name(s: &str) -> Result<String, ValueError> {
    let mut chars = s.chars();
    if chars.next().is_some_and(|c| c.is_ascii_uppercase()) && chars.all(|c| c.is_ascii_alphanumeric()) && s.len() <= 63 {
        Ok(s.to_owned())
    } else {
        Err(ValueError::new(
            Code::InvalidName,
            format!("`{s}` is not an alert name"),
            "name an alert in PascalCase: a capital letter, then letters and digits, at most 63 (e.g. `WalArchiveFailing`)",
        ))
    }
}

fn decode_env_value(d: &mut Decoder, n: &Node, p: &str) -> Option<EnvValue> {
    match &n.value {
        Value::Str(s) => Some(EnvValue::Value(s.clone())),
        Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
            d.wrong_type(n, p, "a string");
            None
        }
        Value::Map(_) => {
            let mut f = d.fields(n, p, n.span)?;
            let r = f.req(d, "secretKeyRef", |d, n, p| {
                let mut f = d.fields(n, p, n.span)?;
                let name = f.req(d, "name", Decoder::string);
                let key = f.req(d, "key", Decoder::string);
                f.finish(d);
                Some(SecretKeyRef { name: name?, key: key? })
            });
            f.finish(d);
            Some(EnvValue::Secret { secret_key_ref: r? })
        }
        _ => {
            d.wrong_type(n, p, "a string or `{secretKeyRef: {name, key}}`");
            None
        }
    }
}

fn decode_health(d: &mut Decoder, n: &Node, p: &str) -> Option<Health> {
    let mut f = d.fields(n, p, owner(d, p, n))?;
    let ready = f.req(d, "ready", decode_check);
    let live = f.req(d, "live", decode_check);
    let started = f.opt(d, "started", decode_check);
    let startup = f.opt(d, "startupTimeout", |d, n, p| d.parsed(n, p, false, Duration::parse));
    f.finish(d);
    Some(Health { ready: ready?, live: live?, started, startup_timeout: startup.unwrap_or(Duration::from_secs(300)) })
}

fn decode_check(d: &mut Decoder, n: &Node, p: &str) -> Option<Check> {
    let own = owner(d, p, n);
    let mut f = d.fields(n, p, own)?;
    let exec = f.opt(d, "exec", |d, n, p| {
        let v = d.strings(n, p)?;
        if v.is_empty() {
            d.error(
                Code::InvalidValue,
                n,
                format!("{} is an empty command", describe(p)),
                "give the command and its arguments, e.g. [\"pg_isready\"]",
            );
            return None;
        }
        Some(v)
    });
    let tcp = f.opt(d, "tcp", |d, n, p| d.parsed(n, p, false, PortName::parse));
    let http = f.opt(d, "http", |d, n, p| {
        let mut f = d.fields(n, p, n.span)?;
        let port = f.req(d, "port", |d, n, p| d.parsed(n, p, false, PortName::parse));
        let path = f.req(d, "path", |d, n, p| d.url_path(n, p, "HTTP path", "/healthz"));
        f.finish(d);
        Some(HttpCheck { port: port?, path: path? })
    });
    let period = f.opt(d, "period", |d, n, p| d.parsed(n, p, false, Duration::parse));
    let timeout = f.opt(d, "timeout", |d, n, p| d.parsed(n, p, false, Duration::parse));
    let failures = f.opt(d, "failures", |d, n, p| d.int(n, p, 1u32, 100));
    f.finish(d);
    let handlers = usize::from(exec.is_some()) + usize::from(tcp.is_some()) + usize::from(http.is_some());
    if handlers != 1 {
        d.diags.push(
            Diagnostic::error(
                Code::Inconsistent,
                format!("{} must have exactly one of `exec`, `tcp`, `http`, it has {handlers}", describe(p)),
            )
            .at(own)
            .help("keep one way of checking: a command (`exec`), a port (`tcp`), or a URL (`http`)"),
        );
        return None;
    }
    Some(Check {
        exec,
        tcp,
        http,
        period: period.unwrap_or(Duration::from_secs(10)),
        timeout: timeout.unwrap_or(Duration::from_secs(5)),
        failures: failures.unwrap_or(3),
    })
}

fn decode_writable(d: &mut Decoder, n: &Node, p: &str) -> Option<Writable> {
    if let Value::Str(_) = n.value {
        let path = d.parsed(n, p, false, AbsPath::parse)?;
        return Some(Writable { path, from_image: false, memory: false, size: None });
    }
    let mut f = d.fields(n, p, n.span)?;
    let path = f.req(d, "path", |d, n, p| d.parsed(n, p, false, AbsPath::parse));
    let from_image = f.opt(d, "fromImage", Decoder::boolean);
    let memory = f.opt(d, "memory", Decoder::boolean);
    let size = f.opt(d, "size", positive_quantity);
    f.finish(d);
    Some(Writable { path: path?, from_image: from_image.unwrap_or(false), memory: memory.unwrap_or(false), size })
}

fn decode_stop(d: &mut Decoder, n: &Node, p: &str) -> Option<Stop> {
    let mut f = d.fields(n, p, owner(d, p, n))?;
    let grace = f.opt(d, "gracePeriod", |d, n, p| d.parsed(n, p, false, Duration::parse));
    let drain = f.opt(d, "drain", Decoder::strings);
    f.finish(d);
    Some(Stop { grace_period: grace.unwrap_or(Duration::from_secs(30)), drain: drain.unwrap_or_default() })
}

fn decode_knob(d: &mut Decoder, n: &Node, p: &str) -> Option<Knob> {
    let own = owner(d, p, n);
    let mut f = d.fields(n, p, own)?;
    let kind = f.req(d, "type", |d, n, p| d.choice(n, p, KnobType::ALL));
    let values = f.opt(d, "values", Decoder::strings).unwrap_or_default();
    let description = f.req(d, "description", Decoder::string);
    let Some(kind) = kind else {
        // Without a type the values cannot be read; mark them used and stop.
        let _ = (f.take("default"), f.take("min"), f.take("max"), f.take("atMost"));
        f.finish(d);
        return None;
    };
    // a quantity's default may be a share of the capacity, worked out once the capacity is known
    let mut default_share = None;
    let default = f.req(d, "default", |d, n, p| match (&n.value, kind) {
        (Value::Str(s), KnobType::Quantity) if s.contains("% of ") => {
            default_share = Some(d.parsed(n, p, false, Share::parse)?);
            Quantity::parse("0").ok().map(KnobValue::Quantity)
        }
        _ => knob_value(d, kind, &values, n, p),
    });
    let min = f.opt(d, "min", |d, n, p| bound(d, kind, n, p));
    let max = f.opt(d, "max", |d, n, p| bound(d, kind, n, p));
    let at_most = f.opt(d, "atMost", |d, n, p| {
        if kind != KnobType::Quantity {
            d.error(
                Code::InvalidKnob,
                n,
                format!("{} is set, but only a quantity knob can be a share of the capacity", describe(p)),
                "remove `atMost`, or bound the knob with `min`/`max`",
            );
            return None;
        }
        d.parsed(n, p, false, Share::parse)
    });
    f.finish(d);
    if kind == KnobType::Enum && values.is_empty() {
        d.diags.push(
            Diagnostic::error(Code::InvalidKnob, format!("enum knob {} has no `values`", describe(p)))
                .at(own)
                .help("list the choices: `values: [a, b]`"),
        );
        return None;
    }
    let knob = Knob { kind, default: default?, default_share, min, max, at_most, values, description: description? };
    if knob.default_share.is_none()
        && let Some(span) = d.spans.get(&format!("{p}.default"))
        && let Some(msg) = out_of_bounds(&knob, &knob.default)
    {
        d.diags.push(
            Diagnostic::error(Code::InvalidKnob, format!("default of {} {msg}", describe(p)))
                .at(span)
                .help("make the default lie within `min` and `max`"),
        );
        return None;
    }
    Some(knob)
}

fn bound(d: &mut Decoder, kind: KnobType, n: &Node, p: &str) -> Option<KnobValue> {
    match kind {
        KnobType::Int | KnobType::Quantity | KnobType::Duration | KnobType::Decimal => knob_value(d, kind, &[], n, p),
        _ => {
            d.error(
                Code::InvalidKnob,
                n,
                format!("{} is set, but a {kind:?} knob has no bounds", describe(p)).to_lowercase(),
                "remove `min`/`max`; only int, quantity, duration and decimal knobs are bounded",
            );
            None
        }
    }
}

fn knob_value(d: &mut Decoder, kind: KnobType, values: &[String], n: &Node, p: &str) -> Option<KnobValue> {
    match kind {
        KnobType::Int => d.int(n, p, i64::MIN, i64::MAX).map(KnobValue::Int),
        KnobType::Bool => d.boolean(n, p).map(KnobValue::Bool),
        KnobType::Quantity => d.parsed(n, p, true, Quantity::parse).map(KnobValue::Quantity),
        KnobType::Duration => d.parsed(n, p, false, Duration::parse).map(KnobValue::Duration),
        KnobType::Decimal => match n.value {
            Value::Int(_) | Value::Float(_) | Value::Str(_) => d.parsed(n, p, true, Decimal::parse).map(KnobValue::Decimal),
            _ => {
                d.wrong_type(n, p, "a decimal number");
                None
            }
        },
        KnobType::String => d.string(n, p).map(KnobValue::String),
        KnobType::Enum => {
            let s = d.string(n, p)?;
            if values.contains(&s) {
                return Some(KnobValue::String(s));
            }
            let help = match did_you_mean(&s, values.iter().map(String::as_str)) {
                Some(m) => format!("did you mean `{m}`? Choices: {}", values.join(", ")),
                None => format!("use one of: {}", values.join(", ")),
            };
            d.error(Code::InvalidKnob, n, format!("`{s}` is not one of the choices of {}", describe(p)), help);
            None
        }
    }
}

/// Why a value is outside a knob's bounds, or `None`.
pub(crate) fn out_of_bounds(knob: &Knob, v: &KnobValue) -> Option<String> {
    let key = |v: &KnobValue| match v {
        KnobValue::Int(i) => Some(i128::from(*i)),
        KnobValue::Quantity(q) => Some(q.nanos()),
        KnobValue::Duration(d) => Some(i128::from(d.millis())),
        KnobValue::Decimal(d) => Some(i128::from(d.billionths())),
        _ => None,
    };
    let x = key(v)?;
    if let Some(min) = &knob.min
        && key(min).is_some_and(|m| x < m)
    {
        return Some(format!("is {}, below the minimum {}", v.render(), min.render()));
    }
    if let Some(max) = &knob.max
        && key(max).is_some_and(|m| x > m)
    {
        return Some(format!("is {}, above the maximum {}", v.render(), max.render()));
    }
    None
}

fn decode_setting(d: &mut Decoder, knobs: &IndexMap<KnobName, Knob>, name: &KnobName, n: &Node, p: &str) -> Option<KnobValue> {
    let Some(knob) = knobs.get(name) else {
        let span = d.spans.get(p).unwrap_or(n.span);
        let help = match did_you_mean(name.as_str(), knobs.keys().map(KnobName::as_str)) {
            Some(m) => format!("did you mean `{m}`?"),
            None if knobs.is_empty() => "this service has no knobs".to_owned(),
            None => format!("knobs of this service: {}", knobs.keys().map(KnobName::as_str).collect::<Vec<_>>().join(", ")),
        };
        d.diags.push(Diagnostic::error(Code::InvalidKnob, format!("`{name}` is not a knob of this service")).at(span).help(help));
        return None;
    };
    let v = knob_value(d, knob.kind, &knob.values, n, p)?;
    if let Some(msg) = out_of_bounds(knob, &v) {
        d.error(Code::OutOfRange, n, format!("{} {msg}", describe(p)), format!("choose a value within the bounds of knob `{name}`"));
        return None;
    }
    Some(v)
}

/// Checks what each share names, then works out each default written as a share: first those
/// of the capacity, then those of another knob (whose value is then known). A derived default
/// outside the knob's `min`/`max` is refused, when the consumer has not set the knob, at the
/// capacity or knob setting that made it so.
fn resolve_shares(d: &mut Decoder, knobs: &mut IndexMap<KnobName, Knob>, settings: &IndexMap<KnobName, KnobValue>, capacity: &Capacity) {
    check_share_targets(d, knobs);
    if d.diags.has_errors() {
        return;
    }
    for knob_shares in [false, true] {
        let names: Vec<KnobName> = knobs.keys().cloned().collect();
        for name in names {
            let Some(share) = knobs[&name].default_share.clone() else { continue };
            if matches!(share.of, ShareOf::Knob(_)) != knob_shares {
                continue;
            }
            let Some(base) = capacity.share_base(&share.of, |k| settings.get(k).or_else(|| knobs.get(k).map(|o| &o.default))).cloned()
            else {
                continue;
            };
            let knob = &mut knobs[&name];
            knob.default = KnobValue::Quantity(share.of_value(&base));
            if settings.contains_key(&name) {
                continue;
            }
            let Some(msg) = out_of_bounds(knob, &knob.default) else { continue };
            let field = share.of.setting();
            let (need, help) = match (&knob.min, &knob.default) {
                (Some(KnobValue::Quantity(min)), KnobValue::Quantity(v)) if v < min => {
                    let need = share.capacity_for(min);
                    (Some(need.clone()), format!("raise `{field}` to at least {need}, or set `settings.{name}` within the knob's bounds"))
                }
                _ => (None, format!("lower `{field}`, or set `settings.{name}` within the knob's bounds")),
            };
            let span = d.spans.nearest(&field).or_else(|| d.spans.get(&format!("knobs.{name}.default")));
            d.diags.push(
                Diagnostic::error(Code::OutOfRange, format!("the default of knob `{name}`, {share}, {msg}"))
                    .at_opt(span)
                    .help(help)
                    .fix(need.map(|n| vec![format!("{field}={n}")]).unwrap_or_default()),
            );
        }
    }
}

/// A share of another knob (`25% of knobs.heap`) names an existing quantity knob other than
/// its own; a default may not be a share of a knob whose default is a share of a knob (no
/// chains: each derived default is one step from what the consumer sets).
fn check_share_targets(d: &mut Decoder, knobs: &IndexMap<KnobName, Knob>) {
    for (name, knob) in knobs {
        for (field, share) in [("default", &knob.default_share), ("atMost", &knob.at_most)] {
            let Some(Share { of: ShareOf::Knob(other), .. }) = share else { continue };
            let span = d.spans.get(&format!("knobs.{name}.{field}"));
            let (code, msg, help) = match knobs.get(other) {
                None => (
                    Code::UnknownReference,
                    format!("`knobs.{name}.{field}` is a share of knob `{other}`, which this service does not declare"),
                    match did_you_mean(other.as_str(), knobs.keys().map(KnobName::as_str)) {
                        Some(m) => format!("did you mean `knobs.{m}`?"),
                        None => "name a quantity knob of this service, or a capacity (`capacity.memory`)".to_owned(),
                    },
                ),
                Some(_) if other == name => (
                    Code::InvalidKnob,
                    format!("`knobs.{name}.{field}` is a share of the knob itself"),
                    "name another quantity knob, or a capacity (`capacity.memory`)".to_owned(),
                ),
                Some(o) if o.kind != KnobType::Quantity => (
                    Code::InvalidKnob,
                    format!("`knobs.{name}.{field}` is a share of knob `{other}`, which is a {} knob", o.kind.name()),
                    "name a quantity knob, or a capacity (`capacity.memory`)".to_owned(),
                ),
                Some(Knob { default_share: Some(Share { of: ShareOf::Knob(next), .. }), .. }) if field == "default" => (
                    Code::InvalidKnob,
                    format!("the default of knob `{name}` is a share of knob `{other}`, whose default is a share of knob `{next}`"),
                    format!("write it as a share of `knobs.{next}` or of a capacity: a default is one step from what the consumer sets"),
                ),
                Some(_) => continue,
            };
            d.diags.push(Diagnostic::error(code, msg).at_opt(span).help(help));
        }
    }
}

/// A quantity that must be more than zero (an amount of cpu, memory or disk).
fn positive_quantity(d: &mut Decoder, n: &Node, p: &str) -> Option<Quantity> {
    let q = d.parsed(n, p, true, Quantity::parse)?;
    if q.nanos() == 0 {
        d.error(Code::OutOfRange, n, format!("{} is zero", describe(p)), "give a positive amount");
        return None;
    }
    Some(q)
}

fn decode_capacity(d: &mut Decoder, n: &Node, p: &str) -> Option<Capacity> {
    let mut f = d.fields(n, p, owner(d, p, n))?;
    let quantity = positive_quantity;
    let def = Capacity::default();
    let cpu = f.opt(d, "cpu", quantity);
    let memory = f.opt(d, "memory", quantity);
    let storage = f.opt(d, "storage", quantity);
    let storage_class = f.opt(d, "storageClass", Decoder::string);
    let quota = f.opt(d, "quota", Decoder::boolean);
    let volumes = f.opt(d, "volumes", |d, n, p| {
        d.map(
            n,
            p,
            |s| Ok::<_, ValueError>(s.to_owned()),
            |d, _, n, p| {
                let mut f = d.fields(n, p, n.span)?;
                let size = f.req(d, "size", positive_quantity);
                let storage_class = f.opt(d, "storageClass", Decoder::string);
                f.finish(d);
                Some(VolumeCapacity { size: size?, storage_class })
            },
        )
    });
    f.finish(d);
    Some(Capacity {
        cpu: cpu.unwrap_or(def.cpu),
        memory: memory.unwrap_or(def.memory),
        storage: storage.unwrap_or(def.storage),
        storage_class,
        quota: quota.unwrap_or(false),
        volumes: volumes.unwrap_or_default(),
    })
}

fn decode_redundancy(d: &mut Decoder, n: &Node, p: &str) -> Option<Redundancy> {
    let mut f = d.fields(n, p, owner(d, p, n))?;
    let replicas = f.opt(d, "replicas", |d, n, p| d.int(n, p, 1u32, 1000));
    let quorum = f.opt(d, "quorum", |d, n, p| match n.value {
        Value::Int(_) => d.int(n, p, 1u32, 1000).map(Quorum::Count),
        _ => d.choice(n, p, &[("majority", Quorum::Majority), ("all", Quorum::All), ("one", Quorum::One)]),
    });
    let spread = f.opt(d, "spread", |d, n, p| d.choice(n, p, &[("none", Spread::None), ("host", Spread::Host), ("zone", Spread::Zone)]));
    f.finish(d);
    let def = Redundancy::default();
    Some(Redundancy {
        replicas: replicas.unwrap_or(def.replicas),
        quorum: quorum.unwrap_or(def.quorum),
        spread: spread.unwrap_or(def.spread),
    })
}

fn decode_scaling(d: &mut Decoder, n: &Node, p: &str) -> Option<Scaling> {
    let mut f = d.fields(n, p, owner(d, p, n))?;
    let autoscale = f.opt(d, "autoscale", |d, n, p| {
        let own = owner(d, p, n);
        let mut f = d.fields(n, p, own)?;
        let min = f.req(d, "min", |d, n, p| d.int(n, p, 1u32, 1000));
        let max = f.req(d, "max", |d, n, p| d.int(n, p, 1u32, 1000));
        let cpu = f.opt(d, "cpuUtilization", |d, n, p| d.int(n, p, 1u32, 100));
        let mem = f.opt(d, "memoryUtilization", |d, n, p| d.int(n, p, 1u32, 100));
        f.finish(d);
        Some(Autoscale { min: min?, max: max?, cpu_utilization: cpu, memory_utilization: mem })
    });
    f.finish(d);
    Some(Scaling { autoscale })
}

fn decode_access(d: &mut Decoder, n: &Node, p: &str) -> Option<Access> {
    let mut f = d.fields(n, p, owner(d, p, n))?;
    let clients = f.opt(d, "clients", |d, n, p| {
        d.list(n, p, |d, n, p| {
            let mut f = d.fields(n, p, n.span)?;
            let namespace = f.opt(d, "namespace", |d, n, p| d.parsed(n, p, false, namespace_name));
            let labels = f.opt(d, "podLabels", |d, n, p| d.map(n, p, |k| Ok::<_, ValueError>(k.to_owned()), |d, _, n, p| d.string(n, p)));
            f.finish(d);
            Some(Client { namespace, pod_labels: labels.map(|m| m.into_iter().collect()).unwrap_or_default() })
        })
    });
    let operators = f.opt(d, "operators", Decoder::strings);
    let monitoring = f.opt(d, "monitoringNamespace", |d, n, p| d.parsed(n, p, false, namespace_name));
    let credentials_secret = f.opt(d, "credentialsSecret", |d, n, p| d.parsed(n, p, false, secret_name));
    let egress = f.opt(d, "egress", |d, n, p| {
        d.list(n, p, |d, n, p| {
            let own = n.span;
            let mut f = d.fields(n, p, own)?;
            // Some(None): written, but not valid (reported there; no second finding below)
            let service = f.opt(d, "service", |d, n, p| Some(d.parsed(n, p, false, namespace_name)));
            let namespace = f.opt(d, "namespace", |d, n, p| Some(d.parsed(n, p, false, namespace_name)));
            let cidr = f.opt(d, "cidr", |d, n, p| Some(d.parsed(n, p, false, cidr)));
            let ports = f.req(d, "ports", |d, n, p| {
                let ports = d.list(n, p, |d, n, p| d.int(n, p, 1u16, 65535))?;
                d.non_empty(n, p, ports, "list the ports the service connects to there, e.g. `[443]`")
            });
            f.finish(d);
            if service.is_some() == cidr.is_some() || (namespace.is_some() && cidr.is_some()) {
                d.diags.push(
                    Diagnostic::error(Code::Inconsistent, format!("`{p}` must name exactly one of `service` (with its `namespace`) and `cidr`"))
                        .at(own)
                        .help("one destination per entry: another service's pods (`service: zookeeper`), or an address range (`cidr: 203.0.113.0/24`)"),
                );
                return None;
            }
            if [&service, &namespace, &cidr].iter().any(|v| matches!(v, Some(None))) {
                return None;
            }
            Some(Egress { instance: InstanceRef { service: service.flatten(), namespace: namespace.flatten() }, cidr: cidr.flatten(), ports: ports? })
        })
    });
    let expose = f.opt(d, "expose", |d, n, p| {
        let mut f = d.fields(n, p, owner(d, p, n))?;
        let kind =
            f.opt(d, "type", |d, n, p| d.choice(n, p, &[("LoadBalancer", ExposeType::LoadBalancer), ("NodePort", ExposeType::NodePort)]));
        let endpoints = f.opt(d, "endpoints", |d, n, p| d.list(n, p, |d, n, p| d.parsed(n, p, false, PortName::parse)));
        let source_ranges = f.req(d, "sourceRanges", |d, n, p| {
            let ranges = d.list(n, p, |d, n, p| d.parsed(n, p, false, cidr))?;
            d.non_empty(n, p, ranges, "list the address ranges that may connect, e.g. `[203.0.113.0/24]`; `[0.0.0.0/0]` for everyone")
        });
        f.finish(d);
        Some(Expose { kind: kind.unwrap_or_default(), endpoints: endpoints.unwrap_or_default(), source_ranges: source_ranges? })
    });
    let tls = f.opt(d, "tls", |d, n, p| {
        let mut f = d.fields(n, p, owner(d, p, n))?;
        let enabled = f.opt(d, "enabled", Decoder::boolean);
        let issuer = f.opt(d, "issuer", |d, n, p| {
            let mut f = d.fields(n, p, owner(d, p, n))?;
            let name = f.req(d, "name", |d, n, p| d.parsed(n, p, false, issuer_name));
            let kind =
                f.opt(d, "kind", |d, n, p| d.choice(n, p, &[("Issuer", IssuerKind::Issuer), ("ClusterIssuer", IssuerKind::ClusterIssuer)]));
            f.finish(d);
            Some(TlsIssuer { name: name?, kind: kind.unwrap_or_default() })
        });
        f.finish(d);
        Some(AccessTls { enabled: enabled.unwrap_or(false), issuer })
    });
    let route = f.opt(d, "route", |d, n, p| {
        let mut f = d.fields(n, p, owner(d, p, n))?;
        let gateway = f.req(d, "gateway", |d, n, p| {
            let mut f = d.fields(n, p, owner(d, p, n))?;
            let name = f.req(d, "name", |d, n, p| d.parsed(n, p, false, secret_name));
            let namespace = f.req(d, "namespace", |d, n, p| d.parsed(n, p, false, namespace_name));
            let section = f.opt(d, "sectionName", |d, n, p| d.parsed(n, p, false, secret_name));
            f.finish(d);
            Some(GatewayRef { name: name?, namespace: namespace?, section_name: section })
        });
        let endpoint = f.opt(d, "endpoint", |d, n, p| d.parsed(n, p, false, PortName::parse));
        let hostnames = f.opt(d, "hostnames", |d, n, p| d.list(n, p, |d, n, p| d.parsed(n, p, false, route_hostname)));
        let path = f.opt(d, "pathPrefix", |d, n, p| {
            let path = d.url_path(n, p, "path prefix", "/api")?;
            if path.len() > 1024 {
                d.error(
                    Code::OutOfRange,
                    n,
                    "the path prefix is longer than 1024 characters".to_owned(),
                    "a Gateway takes path prefixes of at most 1024 characters".to_owned(),
                );
                return None;
            }
            Some(path)
        });
        let proxy = f.opt(d, "proxyNamespace", |d, n, p| d.parsed(n, p, false, namespace_name));
        f.finish(d);
        Some(Route {
            gateway: gateway?,
            endpoint,
            hostnames: hostnames.unwrap_or_default(),
            path_prefix: path.unwrap_or_else(|| "/".to_owned()),
            proxy_namespace: proxy,
        })
    });
    let dependencies = f.opt(d, "dependencies", |d, n, p| {
        d.map(
            n,
            p,
            |k| Ok::<_, ValueError>(k.to_owned()),
            |d, _, n, p| {
                let mut f = d.fields(n, p, owner(d, p, n))?;
                let service = f.opt(d, "service", |d, n, p| Some(d.parsed(n, p, false, namespace_name)));
                let namespace = f.opt(d, "namespace", |d, n, p| Some(d.parsed(n, p, false, namespace_name)));
                f.finish(d);
                if [&service, &namespace].iter().any(|v| matches!(v, Some(None))) {
                    return None;
                }
                Some(DependencyChoice { instance: InstanceRef { service: service.flatten(), namespace: namespace.flatten() } })
            },
        )
    });
    f.finish(d);
    Some(Access {
        clients: clients.unwrap_or_default(),
        operators: operators.unwrap_or_default(),
        monitoring_namespace: monitoring.unwrap_or_else(|| "monitoring".to_owned()),
        credentials_secret,
        egress: egress.unwrap_or_default(),
        expose,
        tls: tls.unwrap_or_default(),
        route,
        dependencies: dependencies.unwrap_or_default(),
    })
}

/// A host name a Gateway API route answers for: a DNS subdomain in lowercase, or one with a
/// leading `*.` label (a wildcard), as the HTTPRoute CRD's own pattern says.
fn route_hostname(s: &str) -> Result<String, ValueError> {
    let name = s.strip_prefix("*.").unwrap_or(s);
    let label = |l: &str| {
        !l.is_empty()
            && l.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if s.len() <= 253 && name.split('.').all(label) {
        Ok(s.to_owned())
    } else {
        Err(ValueError::new(
            Code::InvalidValue,
            format!("`{s}` is not a host name a route can answer for"),
            "write a DNS name in lowercase (`shop.example.com`) or a wildcard (`*.example.com`)",
        ))
    }
}

/// A label key the software sets on its pods: a Kubernetes label name (an optional DNS
/// subdomain prefix and `/`, then at most 63 characters), not one of ossc's own.
fn role_label(s: &str) -> Result<String, ValueError> {
    let (prefix, name) = s.rsplit_once('/').map_or((None, s), |(p, n)| (Some(p), n));
    let prefix_ok = prefix.is_none_or(crate::values::is_dns_subdomain);
    if !prefix_ok || label_value(name).is_err() || name.is_empty() {
        return Err(ValueError::new(
            Code::InvalidName,
            format!("`{s}` is not a label name"),
            "use at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit, with an optional DNS prefix and '/', e.g. `role`",
        ));
    }
    if prefix == Some("app.kubernetes.io") {
        return Err(ValueError::new(
            Code::InvalidName,
            format!("`{s}` is one of ossc's own labels"),
            "name the label the software sets, e.g. `role`",
        ));
    }
    Ok(s.to_owned())
}

/// A label value: at most 63 letters, digits, '-', '_' and '.', starting and ending with a
/// letter or digit.
fn label_value(s: &str) -> Result<String, ValueError> {
    let b = s.as_bytes();
    let ok = !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'));
    if ok {
        Ok(s.to_owned())
    } else {
        Err(ValueError::new(
            Code::InvalidValue,
            format!("`{s}` is not a label value"),
            "use at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit, e.g. `primary`",
        ))
    }
}

/// An address range in canonical CIDR form (no bits set after the prefix), as Kubernetes wants
/// it in a NetworkPolicy's `ipBlock` and a Service's `loadBalancerSourceRanges`.
fn cidr(s: &str) -> Result<String, ValueError> {
    let bad = |help: String| ValueError::new(Code::InvalidValue, format!("`{s}` is not an address range in CIDR form"), help);
    let Some((addr, len)) = s.split_once('/') else {
        return Err(bad(format!("write the address and the prefix length, e.g. `{s}/32` for one address")));
    };
    let addr: std::net::IpAddr =
        addr.parse().map_err(|_| bad("write an IPv4 or IPv6 address before the `/`, e.g. `203.0.113.0/24`".to_owned()))?;
    let bits = if addr.is_ipv4() { 32 } else { 128 };
    let len: u32 = len.parse().ok().filter(|l| *l <= bits).ok_or_else(|| bad(format!("the prefix length is 0 to {bits}")))?;
    let canonical = match addr {
        std::net::IpAddr::V4(a) => {
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            std::net::IpAddr::V4(std::net::Ipv4Addr::from(u32::from(a) & mask))
        }
        std::net::IpAddr::V6(a) => {
            let mask = if len == 0 { 0 } else { u128::MAX << (128 - len) };
            std::net::IpAddr::V6(std::net::Ipv6Addr::from(u128::from(a) & mask))
        }
    };
    if canonical != addr {
        return Err(bad(format!("the address has bits set after the prefix: write `{canonical}/{len}`")));
    }
    Ok(s.to_owned())
}

/// A namespace's name: a DNS label (RFC 1123: lowercase letters, digits and '-', starting and
/// ending with a letter or digit, at most 63).
fn namespace_name(s: &str) -> Result<String, ValueError> {
    if crate::values::is_dns_label(s) {
        return Ok(s.to_owned());
    }
    let fixed: String = s.to_ascii_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    let fixed = fixed.trim_matches('-');
    let example =
        if fixed.is_empty() { "team-apps".to_owned() } else { fixed.chars().take(63).collect::<String>().trim_end_matches('-').to_owned() };
    Err(ValueError::new(
        Code::InvalidName,
        format!("`{s}` is not a valid namespace name"),
        format!(
            "a namespace name is a DNS label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit (e.g. `{example}`)"
        ),
    ))
}

/// A cert-manager issuer's name: a DNS subdomain, as every object's name.
fn issuer_name(s: &str) -> Result<String, ValueError> {
    if crate::values::is_dns_subdomain(s) {
        Ok(s.to_owned())
    } else {
        Err(ValueError::new(
            Code::InvalidName,
            format!("`{s}` is not a valid issuer name"),
            "an issuer's name is lowercase letters, digits, '-' and '.', starting and ending with a letter or digit (e.g. `team-ca`): `kubectl get issuers,clusterissuers -A` lists them",
        ))
    }
}

/// A Secret's name: a DNS subdomain (lowercase labels joined by `.`, at most 253).
fn secret_name(s: &str) -> Result<String, ValueError> {
    if crate::values::is_dns_subdomain(s) {
        Ok(s.to_owned())
    } else {
        Err(ValueError::new(
            Code::InvalidName,
            format!("`{s}` is not a valid Secret name"),
            "a Secret name is lowercase letters, digits, '-' and '.', starting and ending with a letter or digit (e.g. `team-db-credentials`)",
        ))
    }
}

fn decode_slo(d: &mut Decoder, n: &Node, p: &str) -> Option<Slo> {
    let mut f = d.fields(n, p, owner(d, p, n))?;
    let availability = f.opt(d, "availability", |d, n, p| d.parsed(n, p, true, Percent::parse));
    let latency = f.opt(d, "latency", |d, n, p| {
        let mut f = d.fields(n, p, n.span)?;
        let p99 = f.req(d, "p99", |d, n, p| d.parsed(n, p, false, Duration::parse));
        f.finish(d);
        Some(Latency { p99: p99? })
    });
    f.finish(d);
    Some(Slo { availability, latency })
}

fn decode_patch(d: &mut Decoder, n: &Node, p: &str) -> Option<Patch> {
    let mut f = d.fields(n, p, n.span)?;
    let target = f.req(d, "target", |d, n, p| {
        let mut f = d.fields(n, p, n.span)?;
        let kind = f.req(d, "kind", Decoder::string);
        let name = f.opt(d, "name", Decoder::string);
        f.finish(d);
        Some(PatchTarget { kind: kind?, name })
    });
    let kind = f.opt(d, "type", |d, n, p| d.choice(n, p, &[("strategic", PatchType::Strategic), ("json", PatchType::Json)]));
    let patch = f.req(d, "patch", |d, n, p| d.json(n, p));
    f.finish(d);
    let kind = kind.unwrap_or_default();
    let patch = patch?;
    let shape_ok = match kind {
        PatchType::Strategic => patch.is_object(),
        PatchType::Json => patch.is_array(),
    };
    if !shape_ok {
        let want = if kind == PatchType::Json { "a list of operations ({op, path, value})" } else { "a mapping (a partial object)" };
        d.error(Code::WrongType, n, format!("`{p}.patch` must be {want}"), "see docs/patches.md for both forms");
        return None;
    }
    Some(Patch { target: target?, kind, patch })
}

fn decode_lifecycle(d: &mut Decoder, n: &Node, p: &str) -> Option<Lifecycle> {
    let mut f = d.fields(n, p, owner(d, p, n))?;
    let state = f.opt(d, "state", |d, n, p| d.choice(n, p, &[("running", RunState::Running), ("stopped", RunState::Stopped)]));
    let generation = f.opt(d, "restartGeneration", |d, n, p| d.int(n, p, 0u64, u64::from(u32::MAX)));
    let upgrade = f.opt(d, "upgrade", |d, n, p| {
        let mut f = d.fields(n, p, n.span)?;
        let strategy = f.opt(d, "strategy", |d, n, p| {
            d.choice(
                n,
                p,
                &[("rolling", UpgradeStrategy::Rolling), ("canary", UpgradeStrategy::Canary), ("onDelete", UpgradeStrategy::OnDelete)],
            )
        });
        let canary = f.opt(d, "canary", |d, n, p| d.int(n, p, 0u32, 1000));
        f.finish(d);
        Some(Upgrade { strategy: strategy.unwrap_or_default(), canary: canary.unwrap_or(0) })
    });
    f.finish(d);
    Some(Lifecycle { state: state.unwrap_or_default(), restart_generation: generation.unwrap_or(0), upgrade: upgrade.unwrap_or_default() })
}

#[cfg(test)]
mod tests {
    use super::{backup_stamp, bucket_name, cron_schedule};

    #[test]
    fn schedules_kubernetes_takes_are_taken_and_others_refused_with_the_field() {
        for ok in ["17 3 * * *", "*/15 * * * *", "0 0 1 jan mon", "0-30/10 1,13 ? * ?", "5/10 * * * 0", "@daily", "0  2 * * *"] {
            assert!(cron_schedule(ok).is_ok(), "{ok}");
        }
        assert_eq!(cron_schedule("0  2 * * *").unwrap(), "0 2 * * *");
        for (bad, why) in [
            ("0 30 2 * * *", "6 fields, not 5 (a CronJob has no seconds field"),
            ("60 * * * *", "minute field `60` is not within 0-59"),
            ("* 24 * * *", "hour field"),
            ("* * 0 * *", "day of month field"),
            ("* * * 13 *", "month field"),
            ("* * * * 7", "day of week field"),
            ("30-10 * * * *", "minute range `30-10` runs backwards"),
            ("*/0 * * * *", "is not a whole number from 1 to 4294967295"),
            ("@reboot", "1 fields"),
        ] {
            let e = cron_schedule(bad).unwrap_err();
            assert!(e.message.contains(why), "{bad}: {}", e.message);
        }
    }

    #[test]
    fn bucket_names_follow_s3s_rules() {
        for ok in ["backups", "db-backups.eu", "a1b"] {
            assert!(bucket_name(ok).is_ok(), "{ok}");
        }
        for bad in ["ab", "DB_Backups", "-backups", "backups-", "a..b", "10.0.0.1", &"b".repeat(64)] {
            assert!(bucket_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_restore_names_latest_or_a_stamp() {
        assert!(backup_stamp("latest").is_ok());
        assert!(backup_stamp("20261204T031700Z").is_ok());
        for bad in ["2026-12-04", "20261204T0317Z", "20261204t031700z", "Latest", "20261204T031700ZZ"] {
            assert!(backup_stamp(bad).is_err(), "{bad}");
        }
    }
}
