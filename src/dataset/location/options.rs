//! How a dataset URL becomes a store: which URLs name object storage, the store options
//! (the environment's `AWS_*`, `GOOGLE_*` and `AZURE_*` under the config's
//! `[dataset.storage]`), the early credential check, and errors that say what to set,
//! never quoting a secret.

use std::collections::BTreeMap;

use crate::error::{Error, Result};

/// The environment variables an object store's builder reads, by scheme prefix.
const ENV_PREFIXES: [&str; 3] = ["AWS_", "GOOGLE_", "AZURE_"];

/// The options of a store: the environment's, then `storage` over them (keys in lower case,
/// as the builders read them).
pub(super) fn store_options(storage: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut options: BTreeMap<String, String> = std::env::vars()
        .filter(|(k, _)| ENV_PREFIXES.iter().any(|p| k.starts_with(p)))
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .collect();
    options.extend(
        storage
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone())),
    );
    allow_plain_http(&mut options);
    options
}

/// `spec` as an object-store URL, when it is one (a Windows drive letter is a path).
pub(super) fn remote_url(spec: &str) -> Option<url::Url> {
    let (scheme, _) = spec.split_once("://")?;
    if !matches!(
        scheme,
        "s3" | "s3a" | "gs" | "az" | "adl" | "azure" | "abfs" | "abfss" | "memory" | "file"
    ) {
        return None;
    }
    url::Url::parse(spec).ok()
}

/// An endpoint the user set to `http://` (a local S3 server such as MinIO or moto) is
/// meant: object_store refuses plain HTTP unless told.
fn allow_plain_http(options: &mut BTreeMap<String, String>) {
    let plain = ["aws_endpoint_url", "aws_endpoint", "endpoint"]
        .iter()
        .filter_map(|k| options.get(*k))
        .any(|v| v.starts_with("http://"));
    if plain && !options.contains_key("aws_allow_http") && !options.contains_key("allow_http") {
        options.insert("aws_allow_http".into(), "true".into());
    }
}

/// Refuse early, naming what to set, when an S3 dataset has no credentials at all: the
/// store would otherwise wait on an instance-metadata service that is not there.
pub(super) fn check_credentials(
    spec: &str,
    scheme: &str,
    o: &BTreeMap<String, String>,
) -> Result<()> {
    let any = |keys: &[&str]| {
        keys.iter()
            .any(|k| o.get(*k).is_some_and(|v| !v.is_empty()))
    };
    let ok = match scheme {
        "s3" | "s3a" => any(&[
            "aws_access_key_id",
            "access_key_id",
            "aws_skip_signature",
            "aws_web_identity_token_file",
            "aws_container_credentials_relative_uri",
            "aws_container_credentials_full_uri",
            "aws_metadata_endpoint",
        ]),
        _ => true,
    };
    if ok {
        return Ok(());
    }
    Err(Error::Dataset {
        path: spec.into(),
        message: "no credentials for S3: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY \
                  (and AWS_REGION, and AWS_ENDPOINT_URL for a non-AWS server), or the same keys \
                  in [dataset.storage]"
            .into(),
    })
}

/// An object-store failure as ticketlake's, saying what to check. The store's message
/// never carries the secret.
pub(super) fn storage_error(shown: &str, action: &str, e: object_store::Error) -> Error {
    let hint = match &e {
        object_store::Error::PermissionDenied { .. }
        | object_store::Error::Unauthenticated { .. } => {
            "; check the credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, \
             GOOGLE_APPLICATION_CREDENTIALS, AZURE_STORAGE_ACCOUNT_NAME and its key)"
        }
        _ => "; check the URL, the endpoint (AWS_ENDPOINT_URL) and the network",
    };
    Error::Dataset {
        path: shown.into(),
        message: format!("{action}: {}{hint}", crate::error::quote(&e.to_string())),
    }
}

/// `spec` as it may be shown: a URL without its query (an Azure SAS token) or password.
pub fn redacted(spec: &str) -> String {
    match remote_url(spec) {
        Some(mut u) if u.query().is_some() || u.password().is_some() => {
            u.set_query(None);
            let _ = u.set_password(None);
            u.to_string()
        }
        _ => spec.to_string(),
    }
}

/// Whether `spec` names object storage rather than a local path.
pub fn is_remote(spec: &str) -> bool {
    remote_url(spec).is_some()
}
