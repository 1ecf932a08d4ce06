//! Real headless Chromium, driven through ChromeDriver (Debian's `chromium` and
//! `chromium-driver`). Each journey saves a screenshot to `tests/screenshots/` when it fails.

use std::{
    path::PathBuf,
    process::Stdio,
    time::{Duration, Instant},
};

use fantoccini::{Client, ClientBuilder, wd::WebDriverCompatibleCommand};
use hyper_util::client::legacy::connect::HttpConnector;
use tokio::process::{Child, Command};

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

fn find(candidates: &[&str]) -> Option<PathBuf> {
    candidates.iter().map(PathBuf::from).find(|p| p.exists())
}

/// Where screenshots go: `tests/screenshots/` at the top of the workspace.
fn screenshot_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/screenshots")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A Chrome DevTools command sent through ChromeDriver (`goog/cdp/execute`), for what
/// WebDriver cannot do itself: a position for the page's geolocation, permissions.
#[derive(Debug)]
struct DevTools {
    command: &'static str,
    params: serde_json::Value,
}

impl WebDriverCompatibleCommand for DevTools {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _url: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({"cmd": self.command, "params": self.params});
        (http::Method::POST, Some(body.to_string()))
    }
}

/// Lets pages of `origin` read the position, and makes the browser be at `lat`, `lon` (as a
/// phone's GPS would say), for the page shown and those that follow.
pub async fn place(client: &Client, origin: &str, lat: f64, lon: f64) -> anyhow::Result<()> {
    client
        .issue_cmd(DevTools {
            command: "Browser.grantPermissions",
            params: serde_json::json!({"permissions": ["geolocation"], "origin": origin}),
        })
        .await?;
    client
        .issue_cmd(DevTools {
            command: "Emulation.setGeolocationOverride",
            params: serde_json::json!({"latitude": lat, "longitude": lon, "accuracy": 10}),
        })
        .await?;
    Ok(())
}

impl Browser {
    /// Starts ChromeDriver and a headless Chromium. Fails (never skips) when they are missing.
    pub async fn start() -> anyhow::Result<Self> {
        let driver_path = std::env::var("CHROMEDRIVER")
            .map(PathBuf::from)
            .ok()
            .or_else(|| find(&["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]))
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "chromedriver is required for browser tests (apt-get install chromium-driver)"
                )
            })?;
        let chromium = std::env::var("CHROMIUM")
            .map(PathBuf::from)
            .ok()
            .or_else(|| {
                find(&[
                    "/usr/bin/chromium",
                    "/usr/bin/chromium-browser",
                    "/usr/bin/google-chrome",
                ])
            })
            .ok_or_else(|| {
                anyhow::anyhow!("chromium is required for browser tests (apt-get install chromium)")
            })?;
        let port = free_port();
        let driver = Command::new(&driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        let profile = tempfile::tempdir()?;
        let capabilities = serde_json::json!({
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }
        });
        let capabilities = match capabilities {
            serde_json::Value::Object(map) => map,
            _ => unreachable!("built as an object"),
        };
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        let client = loop {
            let mut builder = ClientBuilder::new(HttpConnector::new());
            builder.capabilities(capabilities.clone());
            match builder.connect(&url).await {
                Ok(client) => break client,
                Err(err) if started.elapsed() < Duration::from_secs(20) => {
                    tracing::debug!(error = %err, "waiting for chromedriver");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(err) => anyhow::bail!("could not start Chromium through chromedriver: {err}"),
            }
        };
        Ok(Self {
            client,
            driver,
            _profile: profile,
        })
    }

    /// Runs a journey; when it fails, saves a screenshot named after it and returns the error.
    pub async fn journey<F, Fut>(&self, name: &str, steps: F) -> anyhow::Result<()>
    where
        F: FnOnce(Client) -> Fut,
        Fut: std::future::Future<Output = anyhow::Result<()>>,
    {
        let result = steps(self.client.clone()).await;
        if let Err(err) = &result {
            let dir = screenshot_dir();
            let _ = std::fs::create_dir_all(&dir);
            let path = dir.join(format!("{name}.png"));
            match self.client.screenshot().await {
                Ok(png) => {
                    let _ = std::fs::write(&path, png);
                    eprintln!(
                        "journey {name} failed: {err:#}\nscreenshot: {}",
                        path.display()
                    );
                }
                Err(shot) => eprintln!("journey {name} failed: {err:#} (no screenshot: {shot})"),
            }
        }
        result
    }

    /// Saves a screenshot of the current page when `PITLANE_SCREENSHOTS` is set, for people
    /// reviewing how the pages look.
    pub async fn snapshot(&self, name: &str) -> anyhow::Result<()> {
        if std::env::var_os("PITLANE_SCREENSHOTS").is_none() {
            return Ok(());
        }
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir)?;
        std::fs::write(
            dir.join(format!("{name}.png")),
            self.client.screenshot().await?,
        )?;
        Ok(())
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill().await;
    }
}
