//! Where a dataset lives: a local directory, or a prefix in an object store (`s3://`,
//! `gs://`, `az://`/`abfss://`, and `memory://` for tests). Every reader and writer of the
//! dataset goes through this one interface, so local and remote datasets take the same
//! code path above it. Underneath, a local dataset keeps what only a local disk gives:
//! files written in place and synced, and memory-mapped reads (a projection reads only its
//! columns' pages).
//!
//! Commits need no lock server: data files get names no other writer uses, and a manifest
//! is created only if absent (a conditional put: S3 `If-None-Match: *`, a GCS generation
//! match, Azure `If-None-Match`; locally a hard link, which fails when the name exists).
//! Credentials come from the environment or `[dataset.storage]` and are never shown.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use object_store::path::Path as ObjPath;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutPayload};
use polars::io::mmap::MmapBytesReader;

use crate::error::{Error, Result};

/// A dataset's place.
#[derive(Clone)]
pub struct Location {
    /// As the user gave it (no credentials are ever part of it).
    shown: String,
    kind: Kind,
}

#[derive(Clone)]
enum Kind {
    Local(PathBuf),
    Remote(Remote),
}

#[derive(Clone)]
struct Remote {
    store: Arc<dyn ObjectStore>,
    /// The dataset's prefix inside the store.
    prefix: ObjPath,
    /// `scheme://bucket/` of the store, as DataFusion's registry knows it.
    base: url::Url,
}

/// One object of a listing: its name inside the listed folder and when it was written.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The file name.
    pub name: String,
    /// Last modified, microseconds since the epoch.
    pub modified_us: i64,
    /// Bytes.
    pub size: u64,
}

impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

/// The environment variables an object store's builder reads, by scheme prefix.
const ENV_PREFIXES: [&str; 3] = ["AWS_", "GOOGLE_", "AZURE_"];

impl Location {
    /// A local directory.
    pub fn local(path: impl Into<PathBuf>) -> Location {
        let path = path.into();
        Location {
            shown: path.display().to_string(),
            kind: Kind::Local(path),
        }
    }

    /// `spec` as a URL of an object store (`s3://bucket/prefix`, `gs://…`, `az://…`,
    /// `abfss://…`, `memory:///…`), else a local path. `storage` is the config's
    /// `[dataset.storage]`, over the environment's `AWS_*`, `GOOGLE_*` and `AZURE_*`.
    pub fn parse(spec: &str, storage: &BTreeMap<String, String>) -> Result<Location> {
        let Some(url) = remote_url(spec) else {
            return Ok(Location::local(spec));
        };
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
        let shown = redacted(spec);
        check_credentials(&shown, url.scheme(), &options)?;
        let (store, prefix) = object_store::parse_url_opts(&url, options)
            .map_err(|e| storage_error(&shown, "opening", e))?;
        Location::with_store(&shown, Arc::from(store), prefix, &url)
    }

    /// A dataset at `prefix` of an existing `store` (tests race writers on one in-memory
    /// store this way).
    pub fn with_store(
        shown: &str,
        store: Arc<dyn ObjectStore>,
        prefix: ObjPath,
        url: &url::Url,
    ) -> Result<Location> {
        let base = url::Url::parse(&format!(
            "{}://{}/",
            url.scheme(),
            url.host_str().unwrap_or("")
        ))
        .map_err(|e| Error::Usage(format!("dataset {shown}: {e}")))?;
        Ok(Location {
            shown: shown.to_string(),
            kind: Kind::Remote(Remote {
                store,
                prefix,
                base,
            }),
        })
    }

    /// The directory of a local dataset; `None` for object storage.
    pub fn local_dir(&self) -> Option<&Path> {
        match &self.kind {
            Kind::Local(p) => Some(p),
            Kind::Remote(_) => None,
        }
    }

    /// The dataset as a path for messages (the URL of a remote one).
    pub fn shown_path(&self) -> PathBuf {
        PathBuf::from(&self.shown)
    }

    /// `rel` (a `/`-separated path inside the dataset) for messages.
    pub fn shown_file(&self, rel: &str) -> PathBuf {
        match &self.kind {
            Kind::Local(p) => p.join(rel),
            Kind::Remote(_) => PathBuf::from(format!("{}/{rel}", self.shown.trim_end_matches('/'))),
        }
    }

    fn object(r: &Remote, rel: &str) -> ObjPath {
        rel.split('/')
            .filter(|p| !p.is_empty())
            .fold(r.prefix.clone(), |p, part| p.clone().join(part))
    }

    /// A reader of the file `rel` for polars: the mapped file when local, its bytes fetched
    /// whole when remote (dataset files are one key range each, so bounded).
    pub fn reader(&self, rel: &str) -> Result<Box<dyn MmapBytesReader>> {
        match &self.kind {
            Kind::Local(p) => {
                let path = p.join(rel);
                let f = std::fs::File::open(&path).map_err(Error::io("opening", &path))?;
                Ok(Box::new(f))
            }
            Kind::Remote(_) => {
                let bytes = self.get(rel)?.ok_or_else(|| Error::Dataset {
                    path: self.shown_file(rel),
                    message: "a file the manifest lists is missing from the object store; \
                              restore it, or vacuum only with a longer --older-than"
                        .into(),
                })?;
                Ok(Box::new(std::io::Cursor::new(bytes)))
            }
        }
    }

    /// The bytes of `rel`, or `None` when there is no such file.
    pub fn get(&self, rel: &str) -> Result<Option<Bytes>> {
        match &self.kind {
            Kind::Local(p) => {
                let path = p.join(rel);
                match std::fs::read(&path) {
                    Ok(b) => Ok(Some(Bytes::from(b))),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(Error::io("reading", path)(e)),
                }
            }
            Kind::Remote(r) => {
                let at = Location::object(r, rel);
                let got = block_on(async move {
                    match r.store.get(&at).await {
                        Ok(g) => g.bytes().await.map(Some),
                        Err(object_store::Error::NotFound { .. }) => Ok(None),
                        Err(e) => Err(e),
                    }
                });
                got.map_err(|e| storage_error(&self.shown, "reading", e))
            }
        }
    }

    /// Write `rel` (a name no other writer uses): synced in place when local.
    pub fn put(&self, rel: &str, bytes: Vec<u8>) -> Result<()> {
        match &self.kind {
            Kind::Local(p) => {
                let path = p.join(rel);
                write_synced(&path, &bytes)?;
                sync_parent(&path)
            }
            Kind::Remote(r) => {
                let at = Location::object(r, rel);
                block_on(async move { r.store.put(&at, PutPayload::from(bytes)).await })
                    .map(|_| ())
                    .map_err(|e| storage_error(&self.shown, "writing", e))
            }
        }
    }

    /// Create `rel` only if it does not exist: `Ok(false)` when another writer created it
    /// first. The commit point of a version.
    pub fn create(&self, rel: &str, bytes: Vec<u8>) -> Result<bool> {
        match &self.kind {
            Kind::Local(p) => {
                let path = p.join(rel);
                let name = path.file_name().map(|n| n.to_string_lossy().to_string());
                let tmp = path.with_file_name(format!(".tmp-{}", name.unwrap_or_default()));
                write_synced(&tmp, &bytes)?;
                crate::dataset::store::fault_point("after-manifest-tmp");
                let linked = std::fs::hard_link(&tmp, &path);
                let _ = std::fs::remove_file(&tmp);
                match linked {
                    Ok(()) => sync_parent(&path).map(|_| true),
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
                    Err(e) => Err(Error::io("publishing", &path)(e)),
                }
            }
            Kind::Remote(r) => {
                let at = Location::object(r, rel);
                let put = block_on(async move {
                    r.store
                        .put_opts(&at, PutPayload::from(bytes), PutMode::Create.into())
                        .await
                });
                match put {
                    Ok(_) => Ok(true),
                    Err(object_store::Error::AlreadyExists { .. }) => Ok(false),
                    Err(e) => Err(storage_error(&self.shown, "committing", e)),
                }
            }
        }
    }

    /// The files directly in folder `dir` of the dataset (none when it does not exist).
    pub fn list(&self, dir: &str) -> Result<Vec<Entry>> {
        match &self.kind {
            Kind::Local(p) => list_local(&p.join(dir)),
            Kind::Remote(r) => {
                let at = Location::object(r, dir);
                let metas: Vec<object_store::ObjectMeta> = block_on(async move {
                    r.store
                        .list_with_delimiter(Some(&at))
                        .await
                        .map(|l| l.objects)
                })
                .map_err(|e| storage_error(&self.shown, "listing", e))?;
                Ok(metas
                    .into_iter()
                    .filter_map(|m| {
                        Some(Entry {
                            name: m.location.filename()?.to_string(),
                            modified_us: m.last_modified.timestamp_micros(),
                            size: m.size,
                        })
                    })
                    .collect())
            }
        }
    }

    /// The dataset's top-level folders (the tables and the manifest folder).
    pub fn folders(&self) -> Result<Vec<String>> {
        match &self.kind {
            Kind::Local(p) => {
                let Ok(entries) = std::fs::read_dir(p) else {
                    return Ok(Vec::new());
                };
                Ok(entries
                    .filter_map(|e| e.ok())
                    .filter(|e| e.path().is_dir())
                    .map(|e| e.file_name().to_string_lossy().to_string())
                    .collect())
            }
            Kind::Remote(r) => {
                let at = r.prefix.clone();
                let listed = block_on(async move {
                    r.store
                        .list_with_delimiter(Some(&at))
                        .await
                        .map(|l| l.common_prefixes)
                })
                .map_err(|e| storage_error(&self.shown, "listing", e))?;
                Ok(listed
                    .iter()
                    .filter_map(|p| p.filename().map(String::from))
                    .collect())
            }
        }
    }

    /// Delete `rel` (nothing when it is already gone).
    pub fn delete(&self, rel: &str) -> Result<()> {
        match &self.kind {
            Kind::Local(p) => {
                let path = p.join(rel);
                match std::fs::remove_file(&path) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        Err(Error::io("removing", path)(e))
                    }
                    _ => Ok(()),
                }
            }
            Kind::Remote(r) => {
                let at = Location::object(r, rel);
                match block_on(async move { r.store.delete(&at).await }) {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                    Err(e) => Err(storage_error(&self.shown, "deleting", e)),
                }
            }
        }
    }

    /// The URL DataFusion reads `rel` at; with [`Location::register`] done on its context.
    pub fn table_url(&self, rel: &str) -> Result<String> {
        match &self.kind {
            Kind::Local(p) => {
                let abs = std::fs::canonicalize(p).map_err(Error::io("opening dataset", p))?;
                Ok(abs.join(rel).to_string_lossy().to_string())
            }
            Kind::Remote(r) => Ok(format!("{}{}", r.base, Location::object(r, rel))),
        }
    }

    /// Make the store readable by a DataFusion runtime (nothing to do for a local one).
    pub fn register(&self, runtime: &datafusion::execution::runtime_env::RuntimeEnv) {
        if let Kind::Remote(r) = &self.kind {
            runtime.register_object_store(&r.base, r.store.clone());
        }
    }
}

/// `spec` as an object-store URL, when it is one (a Windows drive letter is a path).
fn remote_url(spec: &str) -> Option<url::Url> {
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
fn check_credentials(spec: &str, scheme: &str, o: &BTreeMap<String, String>) -> Result<()> {
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
fn storage_error(shown: &str, action: &str, e: object_store::Error) -> Error {
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

fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(Error::io("creating", dir))?;
    }
    let mut f = std::fs::File::create(path).map_err(Error::io("creating", path))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(Error::io("writing", path))
}

/// Sync the directory holding `path`, so its new name survives a crash.
fn sync_parent(path: &Path) -> Result<()> {
    let Some(dir) = path.parent() else {
        return Ok(());
    };
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(Error::io("syncing directory", dir))
}

fn list_local(dir: &Path) -> Result<Vec<Entry>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for e in entries.filter_map(|e| e.ok()) {
        let meta = e.metadata().map_err(Error::io("listing", e.path()))?;
        if !meta.is_file() {
            continue;
        }
        let modified_us = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_micros() as i64);
        out.push(Entry {
            name: e.file_name().to_string_lossy().to_string(),
            modified_us,
            size: meta.len(),
        });
    }
    Ok(out)
}

/// Run `f` to completion from synchronous code, also when called from inside an async
/// context (the query session's runtime): then on a thread of its own, since a runtime
/// cannot be entered twice on one thread.
pub fn block_on<F>(f: F) -> F::Output
where
    F: std::future::Future + Send,
    F::Output: Send,
{
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    let rt = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("ticketlake-store")
            .enable_all()
            .build()
            .expect("the object-store runtime starts")
    });
    if tokio::runtime::Handle::try_current().is_ok() {
        std::thread::scope(|s| {
            s.spawn(|| rt.block_on(f))
                .join()
                .expect("an object-store call panicked")
        })
    } else {
        rt.block_on(f)
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
