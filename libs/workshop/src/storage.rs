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
