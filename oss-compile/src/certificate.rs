//! The service's certificate as a cert-manager `Certificate` (`cert-manager.io/v1`), when the
//! consumer names an issuer (`access.tls.issuer`): cert-manager then makes the Secret
//! `<name>-tls` the replicas mount, and renews it, in place of the generator's own CA.
//!
//! Owns the typed object and what it asks for. Only the fields ossc sets; field names follow
//! the CRD schema exactly (checked by the API-server tier against cert-manager's own CRD, and
//! by the node tier against a running cert-manager).

use crate::context::Context;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The CRD group version.
pub const API_VERSION: &str = "cert-manager.io/v1";

/// How long a certificate is valid: cert-manager's own default (90 days).
pub const DURATION: &str = "2160h";

/// When cert-manager renews it: 30 days before it ends (a month to notice a failing issuer).
pub const RENEW_BEFORE: &str = "720h";

/// A cert-manager Certificate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Certificate {
    /// `cert-manager.io/v1`.
    pub api_version: String,
    /// `Certificate`.
    pub kind: String,
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: CertificateSpec,
}

/// What the certificate is, who signs it, where it goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateSpec {
    /// The Secret cert-manager writes (`ca.crt`, `tls.crt`, `tls.key`).
    pub secret_name: String,
    /// Labels the Secret gets.
    pub secret_template: SecretTemplate,
    /// The issuer.
    pub issuer_ref: IssuerRef,
    /// DNS subject alternative names.
    pub dns_names: Vec<String>,
    /// IP subject alternative names.
    pub ip_addresses: Vec<String>,
    /// Validity.
    pub duration: String,
    /// How long before the end cert-manager renews it.
    pub renew_before: String,
    /// The key.
    pub private_key: PrivateKey,
    /// Key usages.
    pub usages: Vec<String>,
}

/// Metadata cert-manager copies onto the Secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecretTemplate {
    /// Labels.
    pub labels: BTreeMap<String, String>,
}

/// The issuer of the certificate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssuerRef {
    /// `cert-manager.io`.
    pub group: String,
    /// `Issuer` or `ClusterIssuer`.
    pub kind: String,
    /// The issuer's name.
    pub name: String,
}

/// The certificate's private key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateKey {
    /// `ECDSA`.
    pub algorithm: String,
    /// `PKCS8`: what Kafka's PEM key store reads (and every other software).
    pub encoding: String,
    /// `Always`: a new key at every renewal.
    pub rotation_policy: String,
    /// 256 (P-256).
    pub size: u32,
}

/// The Certificate for the service, when TLS is on and the consumer named an issuer: the same
/// names, key type and uses as the certificate the generator makes otherwise.
#[must_use]
pub fn certificate(cx: &Context) -> Option<Certificate> {
    let issuer = cx.tls_issuer()?;
    let names = cx.tls_names();
    let (dns, ips): (Vec<&String>, Vec<&String>) = names.iter().partition(|n| n.starts_with("DNS:"));
    let strip = |v: Vec<&String>| v.iter().filter_map(|n| n.split_once(':').map(|(_, n)| n.to_owned())).collect();
    let secret = cx.tls_secret();
    Some(Certificate {
        api_version: API_VERSION.to_owned(),
        kind: "Certificate".to_owned(),
        metadata: crate::lower::meta(cx, &secret, "tls"),
        spec: CertificateSpec {
            secret_name: secret,
            secret_template: SecretTemplate { labels: cx.labels("tls") },
            issuer_ref: IssuerRef { group: "cert-manager.io".to_owned(), kind: issuer.kind.name().to_owned(), name: issuer.name.clone() },
            dns_names: strip(dns),
            ip_addresses: strip(ips),
            duration: DURATION.to_owned(),
            renew_before: RENEW_BEFORE.to_owned(),
            private_key: PrivateKey {
                algorithm: "ECDSA".to_owned(),
                encoding: "PKCS8".to_owned(),
                rotation_policy: "Always".to_owned(),
                size: 256,
            },
            usages: ["digital signature", "server auth", "client auth"].map(str::to_owned).to_vec(),
        },
    })
}
