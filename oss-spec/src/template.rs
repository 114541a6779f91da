//! `${...}` references in `runtime.env` and `runtime.args`: typed substitution, not a template
//! language. A reference names a knob or a fact about the deployment; there are no
//! expressions, conditionals or loops.
//!
//! Owns: the grammar and the closed set of references. Must not: expand them — lowering does,
//! because some facts (the namespace) are known only at compile time.

use crate::values::KnobName;

/// How a quantity knob is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuantityFormat {
    /// Whole mebibytes, rounded down (`1Gi` → `1024`), e.g. for JVM `-Xmx1024M`.
    Mebibytes,
    /// Whole bytes.
    Bytes,
}

/// What a `${...}` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    /// `${knobs.NAME}` or `${knobs.NAME.mebibytes}`.
    Knob(KnobName, Option<QuantityFormat>),
    /// `${service.name}`: the instance name.
    ServiceName,
    /// `${service.host}`: the client Service's DNS name, `<name>.<namespace>.svc`.
    Host,
    /// `${service.peers}`: the headless Service that gives each replica a DNS name.
    PeersService,
    /// `${service.readHost}`: the DNS name of the Service of the replicas (`<name>-read`, with
    /// `function.roles.replica`).
    ReadHost,
    /// `${service.seed}`: the DNS name of replica 0, for seed lists.
    Seed,
    /// `${service.replicas}`: the configured replica count.
    Replicas,
    /// `${service.hosts}`: every replica's DNS name, comma-separated, in ordinal order.
    Hosts,
    /// `${service.domain}`: the peers' DNS domain, `<name>-peers.<namespace>.svc`.
    Domain,
    /// `${pod.index}`: this replica's ordinal (StatefulSet pods only).
    PodIndex,
    /// `${service.replicaNames}`: every replica's pod name, comma-separated.
    ReplicaNames,
    /// `${service.lastIndex}`: the highest ordinal, `replicas - 1` (for `{0...N}` ranges).
    LastIndex,
    /// `${service.memberUrls.PORT}`: `name-0=http://host-0:port,name-1=...`, every replica's
    /// name and peer URL on a named port, comma-separated (etcd's `initial-cluster` form).
    MemberUrls(crate::values::PortName),
    /// `${service.credentials}`: the name of the credentials Secret (the generated
    /// `<name>-credentials`, or the consumer's `access.credentialsSecret`).
    CredentialsSecret,
    /// `${service.uid}`: 22 characters of base64url (a UUID's size) derived from the
    /// instance's namespace and name: the same on every build of one install, different
    /// between installs (Kafka's cluster id).
    Uid,
    /// `${pod.name}`.
    PodName,
    /// `${pod.namespace}`.
    PodNamespace,
    /// `${pod.ip}`.
    PodIp,
    /// `${pod.zone}`: the zone of the node the pod runs on, from the `topology.kubernetes.io/zone`
    /// label Kubernetes copies from the node onto the pod when it is scheduled (1.35 and later:
    /// the PodTopologyLabels admission plugin, on by default); empty on older clusters and on
    /// nodes without the label.
    PodZone,
    /// `${dependencies.NAME.KEY}`: key KEY of the binding Secret of the service that fills
    /// dependency NAME (`runtime.dependencies`), through the variable [`dependency_variable`]
    /// names, from that Secret (Kubernetes expands `$(VAR)`).
    Dependency(String, String),
    /// `${components.NAME.FACT}`: a fact of the service's component NAME (`runtime.components`).
    Component(String, ComponentFact),
}

/// What a `${components.NAME.FACT}` reference names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComponentFact {
    /// `name`: its StatefulSet's name, `<service>-<component>`, also its pods' prefix.
    Name,
    /// `hosts`: every pod's DNS name, comma-separated, in ordinal order.
    Hosts,
    /// `replicas`: its pod count.
    Replicas,
    /// `domain`: its pods' DNS domain, `<service>-<component>.<namespace>.svc`.
    Domain,
}

/// The facts of a component a reference may name.
pub const COMPONENT_FACTS: &[(&str, ComponentFact)] = &[
    ("name", ComponentFact::Name),
    ("hosts", ComponentFact::Hosts),
    ("replicas", ComponentFact::Replicas),
    ("domain", ComponentFact::Domain),
];

/// The variable a dependency reference becomes: `OSS_DEP_<NAME>_<KEY>`, upper-cased, every
/// character that may not be in a variable name (`-`, `.`) as `_`.
#[must_use]
pub fn dependency_variable(name: &str, key: &str) -> String {
    let up = |s: &str| s.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect::<String>();
    format!("OSS_DEP_{}_{}", up(name), up(key))
}

/// The fixed references (knob references are added per spec).
pub const FIXED: &[(&str, Reference)] = &[
    ("service.name", Reference::ServiceName),
    ("service.host", Reference::Host),
    ("service.readHost", Reference::ReadHost),
    ("service.peers", Reference::PeersService),
    ("service.seed", Reference::Seed),
    ("service.replicas", Reference::Replicas),
    ("service.hosts", Reference::Hosts),
    ("service.domain", Reference::Domain),
    ("pod.index", Reference::PodIndex),
    ("service.replicaNames", Reference::ReplicaNames),
    ("service.lastIndex", Reference::LastIndex),
    ("service.credentials", Reference::CredentialsSecret),
    ("service.uid", Reference::Uid),
    ("pod.name", Reference::PodName),
    ("pod.namespace", Reference::PodNamespace),
    ("pod.ip", Reference::PodIp),
    ("pod.zone", Reference::PodZone),
];

/// A reference in a removal step's command (`runtime.scaling.removeMember`): the replica that
/// leaves, which `ossc diff` fills in for each departing replica.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberReference {
    /// `${member.name}`: its pod name.
    Name,
    /// `${member.index}`: its ordinal.
    Index,
    /// `${member.host}`: its stable DNS name.
    Host,
}

/// The names a removal step may use, and what each means.
pub const MEMBER_REFERENCES: &[(&str, MemberReference)] =
    &[("member.name", MemberReference::Name), ("member.index", MemberReference::Index), ("member.host", MemberReference::Host)];

/// The member reference named `name`, if any (for [`parse_with`] and [`substitute_with`]).
#[must_use]
pub fn member_reference(name: &str) -> Option<MemberReference> {
    MEMBER_REFERENCES.iter().find(|(n, _)| *n == name).map(|(_, r)| *r)
}

/// A piece of a parsed template; `R` is the kind of reference the context allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part<R = Reference> {
    /// Text as is.
    Literal(String),
    /// A reference, with its byte range in the string (for error spans).
    Ref(R, std::ops::Range<usize>),
}

/// A syntax or name error inside a template: where (byte range in the string) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// Byte range in the template string.
    pub range: std::ops::Range<usize>,
    /// The reference text, or the problem.
    pub text: String,
    /// Whether the reference is well-formed but names nothing.
    pub unknown: bool,
}

/// `s` with every reference replaced by `value(reference)`. A string that does not parse is
/// returned as it is (validation has already reported it with its place).
pub fn substitute(s: &str, value: impl FnMut(Reference) -> String) -> String {
    substitute_with(s, resolve, value)
}

/// [`substitute`] for a context whose references `resolve` names (e.g. [`member_reference`]).
pub fn substitute_with<R>(s: &str, resolve: impl Fn(&str) -> Option<R>, mut value: impl FnMut(R) -> String) -> String {
    match parse_with(s, resolve) {
        Ok(parts) => parts
            .into_iter()
            .map(|p| match p {
                Part::Literal(l) => l,
                Part::Ref(r, _) => value(r),
            })
            .collect(),
        Err(_) => s.to_owned(),
    }
}

/// Splits a template into literals and references. `$${` is a literal `${`.
///
/// # Errors
/// Every malformed or unknown reference.
pub fn parse(s: &str) -> Result<Vec<Part>, Vec<TemplateError>> {
    parse_with(s, resolve)
}

/// [`parse`] for a context whose references `resolve` names: the same syntax (`$${` escapes,
/// an unclosed `${` is an error), another set of names.
///
/// # Errors
/// Every malformed reference, and every name `resolve` does not know.
pub fn parse_with<R>(s: &str, resolve: impl Fn(&str) -> Option<R>) -> Result<Vec<Part<R>>, Vec<TemplateError>> {
    let mut parts = Vec::new();
    let mut errors = Vec::new();
    let mut lit = String::new();
    let mut rest = s;
    let mut pos = 0;
    while let Some(i) = rest.find('$') {
        lit.push_str(&rest[..i]);
        let after = &rest[i..];
        if let Some(after_escape) = after.strip_prefix("$${") {
            lit.push_str("${");
            rest = after_escape;
            pos += i + 3;
        } else if let Some(body) = after.strip_prefix("${") {
            let start = pos + i;
            match body.find('}') {
                Some(end) => {
                    let name = &body[..end];
                    let range = start..start + end + 3;
                    match resolve(name) {
                        Some(r) => {
                            if !lit.is_empty() {
                                parts.push(Part::Literal(std::mem::take(&mut lit)));
                            }
                            parts.push(Part::Ref(r, range));
                        }
                        None => errors.push(TemplateError { range, text: name.to_owned(), unknown: true }),
                    }
                    rest = &body[end + 1..];
                    pos = start + end + 3;
                }
                None => {
                    errors.push(TemplateError { range: start..s.len(), text: "`${` without a closing `}`".to_owned(), unknown: false });
                    rest = "";
                }
            }
        } else {
            lit.push('$');
            rest = &after[1..];
            pos += i + 1;
        }
    }
    lit.push_str(rest);
    if !lit.is_empty() {
        parts.push(Part::Literal(lit));
    }
    if errors.is_empty() { Ok(parts) } else { Err(errors) }
}

fn resolve(name: &str) -> Option<Reference> {
    if let Some(port) = name.strip_prefix("service.memberUrls.") {
        return crate::values::PortName::parse(port).ok().map(Reference::MemberUrls);
    }
    if let Some(rest) = name.strip_prefix("dependencies.") {
        // NAME is a DNS label (no dots); KEY a Secret key as binding keys are written
        let (dep, key) = rest.split_once('.')?;
        let key_ok = !key.is_empty() && key.len() <= 253 && key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        return (crate::values::is_dns_label(dep) && key_ok).then(|| Reference::Dependency(dep.to_owned(), key.to_owned()));
    }
    if let Some(rest) = name.strip_prefix("components.") {
        let (component, fact) = rest.split_once('.')?;
        let fact = COMPONENT_FACTS.iter().find(|(n, _)| *n == fact)?.1;
        return crate::values::is_dns_label(component).then(|| Reference::Component(component.to_owned(), fact));
    }
    if let Some(knob) = name.strip_prefix("knobs.") {
        let (knob, format) = match knob.split_once('.') {
            Some((k, "mebibytes")) => (k, Some(QuantityFormat::Mebibytes)),
            Some((k, "bytes")) => (k, Some(QuantityFormat::Bytes)),
            Some(_) => return None,
            None => (knob, None),
        };
        return KnobName::parse(knob).ok().map(|k| Reference::Knob(k, format));
    }
    FIXED.iter().find(|(n, _)| *n == name).map(|(_, r)| r.clone())
}

/// References to the pod and what they become: the downward-API variable ossc adds (so
/// Kubernetes expands `$(VAR)` in env, command and args) and the field it comes from.
pub const POD_FIELDS: &[(Reference, &str, &str)] = &[
    (Reference::PodName, "OSS_POD_NAME", "metadata.name"),
    (Reference::PodNamespace, "OSS_POD_NAMESPACE", "metadata.namespace"),
    (Reference::PodIp, "OSS_POD_IP", "status.podIP"),
    (Reference::PodIndex, "OSS_POD_INDEX", "metadata.labels['apps.kubernetes.io/pod-index']"),
    (Reference::PodZone, "OSS_POD_ZONE", "metadata.labels['topology.kubernetes.io/zone']"),
];

/// The variable a pod reference becomes (empty for other references).
#[must_use]
pub fn pod_variable(r: &Reference) -> &'static str {
    POD_FIELDS.iter().find(|(p, _, _)| p == r).map_or("", |(_, v, _)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_references_use_the_same_syntax() {
        let parts = parse_with("a ${member.name} $${member.name} ${member.index}", member_reference).unwrap();
        assert_eq!(parts[1], Part::Ref(MemberReference::Name, 2..16));
        assert_eq!(parts[2], Part::Literal(" ${member.name} ".into()));
        let errors = parse_with("${pod.name} ${member.name", member_reference).unwrap_err();
        assert_eq!((errors[0].unknown, errors[0].text.as_str(), errors[1].unknown), (true, "pod.name", false));
        assert_eq!(substitute_with("x-${member.index}", member_reference, |_| "4".into()), "x-4");
    }

    #[test]
    fn substitute_replaces_references_and_keeps_the_rest() {
        let name = |r: Reference| if r == Reference::ServiceName { "db".to_owned() } else { format!("{r:?}") };
        assert_eq!(substitute("host-${service.name}:${pod.index}", name), "host-db:PodIndex");
        assert_eq!(substitute("cost $${x} and ${service.name}", name), "cost ${x} and db");
        assert_eq!(substitute("${nope} ${service.name}", name), "${nope} ${service.name}", "unparsable text stays as written");
    }

    #[test]
    fn splits_literals_and_references() {
        let parts = parse("-Xmx${knobs.heap.mebibytes}M on ${pod.ip}, $${not} $5").unwrap();
        assert_eq!(parts.len(), 5);
        assert_eq!(parts[0], Part::Literal("-Xmx".into()));
        assert!(
            matches!(&parts[1], Part::Ref(Reference::Knob(k, Some(QuantityFormat::Mebibytes)), r) if k.as_str() == "heap" && *r == (4..27))
        );
        assert_eq!(parts[4], Part::Literal(", ${not} $5".into()));
    }

    #[test]
    fn reports_every_bad_reference() {
        let errs = parse("${pod.nmae} ${knobs.heap.kb} ${unclosed").unwrap_err();
        assert_eq!(errs.len(), 3);
        assert_eq!(errs[0].range, 0..11);
        assert!(errs[0].unknown && errs[1].unknown && !errs[2].unknown);
    }
}
