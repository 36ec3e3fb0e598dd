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

mod local;
mod options;

use options::{check_credentials, remote_url, storage_error};
pub use options::{is_remote, redacted};

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
        let options = options::store_options(storage);
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
            .fold(r.prefix.clone(), |p, part| p.join(part))
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
            Kind::Local(p) => local::read_if_exists(&p.join(rel)),
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
        self.put_typed(rel, bytes, None)
    }

    /// [`Location::put`], with the `Content-Type` an object store serves it with (a report
    /// page opened from a bucket's web endpoint renders as HTML).
    pub fn put_typed(&self, rel: &str, bytes: Vec<u8>, content_type: Option<&str>) -> Result<()> {
        match &self.kind {
            Kind::Local(p) => local::put(&p.join(rel), &bytes),
            Kind::Remote(r) => {
                let at = Location::object(r, rel);
                let mut opts = object_store::PutOptions::default();
                if let Some(t) = content_type {
                    opts.attributes
                        .insert(object_store::Attribute::ContentType, t.to_string().into());
                }
                block_on(async move { r.store.put_opts(&at, PutPayload::from(bytes), opts).await })
                    .map(|_| ())
                    .map_err(|e| storage_error(&self.shown, "writing", e))
            }
        }
    }

    /// Create `rel` only if it does not exist: `Ok(false)` when another writer created it
    /// first. The commit point of a version.
    pub fn create(&self, rel: &str, bytes: Vec<u8>) -> Result<bool> {
        match &self.kind {
            Kind::Local(p) => local::create_new(&p.join(rel), &bytes),
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
            Kind::Local(p) => local::list(&p.join(dir)),
            Kind::Remote(r) => {
                let listed = self.listing(r, Location::object(r, dir))?;
                Ok(listed
                    .objects
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
            Kind::Local(p) => Ok(local::folders(p)),
            Kind::Remote(r) => {
                let listed = self.listing(r, r.prefix.clone())?;
                Ok(listed
                    .common_prefixes
                    .iter()
                    .filter_map(|p| p.filename().map(String::from))
                    .collect())
            }
        }
    }

    /// One level of the store under `at`: its objects and its folders.
    fn listing(&self, r: &Remote, at: ObjPath) -> Result<object_store::ListResult> {
        block_on(async move { r.store.list_with_delimiter(Some(&at)).await })
            .map_err(|e| storage_error(&self.shown, "listing", e))
    }

    /// Delete `rel` (nothing when it is already gone).
    pub fn delete(&self, rel: &str) -> Result<()> {
        match &self.kind {
            Kind::Local(p) => local::remove_if_exists(&p.join(rel)),
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
