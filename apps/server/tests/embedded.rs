//! The binary as a new user runs it: no environment, no services. It must create ./data, start
//! on SQLite, print the demo owner's credentials once, serve the portal, and stop cleanly on
//! SIGTERM. Also: bad configuration and an unsafe database role stop it with exit code 2.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

const BINARY: &str = env!("CARGO_BIN_EXE_pitlane-server");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

fn bare_command(dir: &std::path::Path) -> Command {
    let mut command = Command::new(BINARY);
    command
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    command
}

#[tokio::test]
async fn runs_embedded_with_a_demo_tenant_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    // The only variable set is the port, so tests can run side by side; the default is 8080.
    let mut child = bare_command(dir.path())
        .env("PITLANE_ADDR", format!("127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start pitlane-server");
    let (lines_tx, lines) = mpsc::channel::<String>();
    for stream in [
        Box::new(child.stdout.take().expect("stdout")) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().expect("stderr")),
    ] {
        let tx = lines_tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
    }
    let started = Instant::now();
    let mut output = Vec::new();
    let mut password = None;
    while started.elapsed() < Duration::from_secs(60) {
        let Ok(line) = lines.recv_timeout(Duration::from_millis(200)) else {
            continue;
        };
        // The owner's comes first; the demo mechanic's follows.
        if let Some(p) = line.trim().strip_prefix("password: ")
            && password.is_none()
        {
            password = Some(p.to_owned());
        }
        let listening = line.contains("listening");
        output.push(line);
        if listening {
            break;
        }
    }
    let password =
        password.unwrap_or_else(|| panic!("the demo password is printed:\n{}", output.join("\n")));
    assert!(
        output.iter().any(|l| l.contains("owner@demo.pitlane.test"))
            && output.iter().any(|l| l.contains("mo@demo.pitlane.test")),
        "{}",
        output.join("\n")
    );
    assert!(
        dir.path().join("data/pitlane.db").exists(),
        "the SQLite database lives in ./data"
    );

    let origin = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let ready = client
        .get(format!("{origin}/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status(), 200);
    assert_eq!(
        ready.text().await.expect("body"),
        r#"{"database":"ok","redis":"not configured","status":"ok"}"#
    );

    let form = client
        .get(format!("{origin}/t/demo/signin"))
        .send()
        .await
        .expect("sign-in page")
        .text()
        .await
        .expect("html");
    let marker = "name=\"csrf\" value=\"";
    let start = form.find(marker).expect("csrf field") + marker.len();
    let token = &form[start..start + form[start..].find('"').expect("end")];
    let signed_in = client
        .post(format!("{origin}/t/demo/signin"))
        .form(&[
            ("csrf", token),
            ("email", "owner@demo.pitlane.test"),
            ("password", password.as_str()),
        ])
        .send()
        .await
        .expect("sign in");
    assert_eq!(signed_in.status(), 303);
    let portal = client
        .get(format!("{origin}/t/demo/portal"))
        .send()
        .await
        .expect("portal");
    assert_eq!(portal.status(), 200);
    assert!(portal.text().await.expect("html").contains("Demo Motors"));
    // The demo comes with an issued invoice to look at.
    let invoices = client
        .get(format!("{origin}/t/demo/portal/invoices"))
        .send()
        .await
        .expect("invoices");
    assert_eq!(invoices.status(), 200);
    let list = invoices.text().await.expect("html");
    assert!(list.contains("INV-"), "the demo invoice is listed: {list}");

    let terminated = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(terminated.success());
    let status = child.wait().expect("wait");
    assert!(status.success(), "a clean exit on SIGTERM, got {status}");

    // A second start keeps the data and does not print a password again. (Its port is taken,
    // so it stops right after the start-up work, with a message saying so.)
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let again = bare_command(dir.path())
        .env(
            "PITLANE_ADDR",
            taken.local_addr().expect("addr").to_string(),
        )
        .output()
        .expect("run again");
    assert_eq!(again.status.code(), Some(1));
    let text = String::from_utf8_lossy(&again.stdout).to_string()
        + &String::from_utf8_lossy(&again.stderr);
    assert!(
        !text.contains("password:"),
        "the password is shown only once: {text}"
    );
    assert!(text.contains("cannot listen on"), "{text}");
}

#[test]
fn bad_configuration_stops_start_up_with_exit_code_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (var, value, expected) in [
        ("PITLANE_ADDR", "not-an-address", "PITLANE_ADDR"),
        ("DATABASE_URL", "mysql://db/pitlane", "DATABASE_URL"),
        ("PITLANE_LOG_FORMAT", "xml", "PITLANE_LOG_FORMAT"),
    ] {
        let output = bare_command(dir.path())
            .env(var, value)
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(2), "{var}={value}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(stderr.contains(expected), "{stderr}");
    }
    let output = bare_command(dir.path())
        .env("DATABASE_URL", "postgres://app@127.0.0.1/pitlane")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("PITLANE_SECRET_KEY"));
}

#[test]
fn refuses_to_serve_as_a_role_that_bypasses_row_level_security() {
    let dir = tempfile::tempdir().expect("temp dir");
    let superuser = pitlane_testkit::postgres_admin_url();
    let output = bare_command(dir.path())
        .env("DATABASE_URL", &superuser)
        .env("PITLANE_SECRET_KEY", "k".repeat(40))
        .env("PITLANE_ADDR", format!("127.0.0.1:{}", free_port()))
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("superuser") && stderr.contains("pitlane-server migrate"),
        "{stderr}"
    );
}

#[test]
fn prints_the_openapi_document() {
    let output = Command::new(BINARY).arg("openapi").output().expect("run");
    assert!(output.status.success());
    let spec: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(spec["openapi"], "3.0.0");
    assert!(spec["paths"]["/api/v1/branches"].is_object());
}

#[tokio::test]
async fn refuses_to_serve_an_unmigrated_database() {
    use pitlane_store::sea_orm::ConnectionTrait;

    let dir = tempfile::tempdir().expect("temp dir");
    let db = pitlane_testkit::TestDatabase::create().await;
    // The application role owns nothing, so it passes the role check, and finds no schema.
    db.admin()
        .await
        .execute_unprepared(&format!(
            "do $$ begin create role {role} login; exception when duplicate_object then null; end $$",
            role = pitlane_testkit::APP_ROLE
        ))
        .await
        .expect("the application role");
    let mut command = bare_command(dir.path());
    command
        .env("DATABASE_URL", &db.app_url)
        .env("PITLANE_SECRET_KEY", "k".repeat(40))
        .env("PITLANE_ADDR", format!("127.0.0.1:{}", free_port()));
    // A server that started anyway would never exit: that must fail the test, not hang it.
    let mut command = tokio::process::Command::from(command);
    command.kill_on_drop(true);
    let output = tokio::time::timeout(std::time::Duration::from_secs(30), command.output())
        .await
        .expect("the server refuses at once instead of serving")
        .expect("run");
    db.drop().await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("no Pitlane schema") && stderr.contains("pitlane-server migrate"),
        "{stderr}"
    );
}
