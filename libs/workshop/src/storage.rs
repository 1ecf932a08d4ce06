//! Where inspection photos are kept. Embedded: a folder on the local disk. The SaaS shape
//! keeps them in S3-compatible object storage so every server instance sees the same files.
//! Keys are made by the application (`tenant/inspection item/photo id`), never from a name
//! the browser sent.

use std::path::PathBuf;

use async_trait::async_trait;

/// A photo as stored: its bytes and the type read from them at upload.
#[derive(Debug, Clone)]
pub struct StoredPhoto {
    pub bytes: Vec<u8>,
    pub content_type: String,
}

#[async_trait]
pub trait PhotoStorage: Send + Sync {
    async fn put(&self, key: &str, photo: StoredPhoto) -> Result<(), String>;
    /// `None` when there is nothing under the key.
    async fn get(&self, key: &str) -> Result<Option<StoredPhoto>, String>;
    async fn delete(&self, key: &str) -> Result<(), String>;
}

/// Photos in a folder: `<root>/<key>` with the type in a `.type` file beside it.
pub struct LocalDisk {
    root: PathBuf,
}

impl LocalDisk {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn path(&self, key: &str) -> Result<PathBuf, String> {
        // Keys are ours, but a key must never climb out of the folder whatever happens.
        if key
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '/')
        {
            return Err(format!("unsafe storage key {key:?}"));
        }
        Ok(self.root.join(key))
    }
}

#[async_trait]
impl PhotoStorage for LocalDisk {
    async fn put(&self, key: &str, photo: StoredPhoto) -> Result<(), String> {
        let path = self.path(key)?;
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|e| format!("creating {}: {e}", dir.display()))?;
        }
        tokio::fs::write(&path, &photo.bytes)
            .await
            .map_err(|e| format!("writing {}: {e}", path.display()))?;
        tokio::fs::write(path.with_extension("type"), photo.content_type.as_bytes())
            .await
            .map_err(|e| format!("writing {}: {e}", path.display()))
    }

    async fn get(&self, key: &str) -> Result<Option<StoredPhoto>, String> {
        let path = self.path(key)?;
        let bytes = match tokio::fs::read(&path).await {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("reading {}: {e}", path.display())),
        };
        let content_type = tokio::fs::read_to_string(path.with_extension("type"))
            .await
            .unwrap_or_else(|_| "application/octet-stream".into());
        Ok(Some(StoredPhoto {
            bytes,
            content_type,
        }))
    }

    async fn delete(&self, key: &str) -> Result<(), String> {
        let path = self.path(key)?;
        for file in [path.clone(), path.with_extension("type")] {
            match tokio::fs::remove_file(&file).await {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(format!("removing {}: {e}", file.display())),
            }
        }
        Ok(())
    }
}

/// Where an S3-compatible object store is, and the key to it.
#[derive(Clone)]
pub struct S3Settings {
    /// `https://s3.eu-central-1.amazonaws.com`, or a MinIO / R2 / Ceph address.
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret stays out of logs.
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

/// Photos in an S3-compatible bucket (path-style addressing, which every compatible store
/// accepts). Requests are signed (SigV4) by `rusty-s3` and sent with the HTTP client; each
/// signature is good for a minute.
pub struct S3Bucket {
    bucket: rusty_s3::Bucket,
    credentials: rusty_s3::Credentials,
    http: reqwest::Client,
}

const SIGNED_FOR: std::time::Duration = std::time::Duration::from_secs(60);

impl S3Bucket {
    pub fn new(settings: &S3Settings) -> Result<Self, String> {
        let endpoint = settings
            .endpoint
            .parse()
            .map_err(|e| format!("the S3 endpoint {:?}: {e}", settings.endpoint))?;
        let bucket = rusty_s3::Bucket::new(
            endpoint,
            rusty_s3::UrlStyle::Path,
            settings.bucket.clone(),
            settings.region.clone(),
        )
        .map_err(|e| format!("the S3 bucket: {e}"))?;
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            bucket,
            credentials: rusty_s3::Credentials::new(
                settings.access_key.clone(),
                settings.secret_key.clone(),
            ),
            http,
        })
    }
}

fn failed(what: &str, err: impl std::fmt::Display) -> String {
    format!("S3 {what}: {err}")
}

#[async_trait]
impl PhotoStorage for S3Bucket {
    async fn put(&self, key: &str, photo: StoredPhoto) -> Result<(), String> {
        use rusty_s3::S3Action;
        let url = self
            .bucket
            .put_object(Some(&self.credentials), key)
            .sign(SIGNED_FOR);
        let response = self
            .http
            .put(url)
            .header("content-type", photo.content_type)
            .body(photo.bytes)
            .send()
            .await
            .map_err(|e| failed("put", e))?;
        if !response.status().is_success() {
            return Err(failed("put", response.status()));
        }
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<StoredPhoto>, String> {
        use rusty_s3::S3Action;
        let url = self
            .bucket
            .get_object(Some(&self.credentials), key)
            .sign(SIGNED_FOR);
        let response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| failed("get", e))?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !response.status().is_success() {
            return Err(failed("get", response.status()));
        }
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/octet-stream")
            .to_owned();
        let bytes = response.bytes().await.map_err(|e| failed("get", e))?;
        Ok(Some(StoredPhoto {
            bytes: bytes.to_vec(),
            content_type,
        }))
    }

    async fn delete(&self, key: &str) -> Result<(), String> {
        use rusty_s3::S3Action;
        let url = self
            .bucket
            .delete_object(Some(&self.credentials), key)
            .sign(SIGNED_FOR);
        let response = self
            .http
            .delete(url)
            .send()
            .await
            .map_err(|e| failed("delete", e))?;
        if !response.status().is_success() && response.status() != reqwest::StatusCode::NOT_FOUND {
            return Err(failed("delete", response.status()));
        }
        Ok(())
    }
}
