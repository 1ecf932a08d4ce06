//! Every API answer a test sees is checked against the live OpenAPI document: its status
//! must be documented for the operation, and its body must match that status's schema. A
//! drift between the document and the answers fails the test that saw it.

use std::{
    collections::HashMap,
    sync::{LazyLock, Mutex},
};

use serde_json::{Map, Value};

/// The document, with OpenAPI 3.0's `nullable` spelled the JSON Schema way.
static DOCUMENT: LazyLock<Value> = LazyLock::new(|| {
    let mut spec: Value =
        serde_json::from_str(&pitlane_web::api::document()).expect("the OpenAPI document is JSON");
    nullable_as_json_schema(&mut spec);
    spec
});

static VALIDATORS: LazyLock<Mutex<HashMap<String, std::sync::Arc<jsonschema::Validator>>>> =
    LazyLock::new(Mutex::default);

/// `{"type": "string", "nullable": true}` → `{"type": ["string", "null"]}`; a nullable
/// reference or composition → `{"anyOf": [it, {"type": "null"}]}`.
fn nullable_as_json_schema(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for child in map.values_mut() {
                nullable_as_json_schema(child);
            }
            if map.remove("nullable") == Some(Value::Bool(true)) {
                match map.get("type").cloned() {
                    Some(Value::String(t)) => {
                        map.insert("type".into(), Value::Array(vec![t.into(), "null".into()]));
                        if let Some(Value::Array(options)) = map.get_mut("enum") {
                            options.push(Value::Null);
                        }
                    }
                    _ => {
                        let inner = Value::Object(std::mem::take(map));
                        let mut null = Map::new();
                        null.insert("type".into(), "null".into());
                        map.insert(
                            "anyOf".into(),
                            Value::Array(vec![inner, Value::Object(null)]),
                        );
                    }
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(nullable_as_json_schema),
        _ => {}
    }
}

/// The documented path template an API path falls under (`/t/alpha/api/v1/customers/ab12`
/// → `/api/v1/customers/{id}`), preferring literal segments over parameters.
fn template_of(path: &str) -> Option<String> {
    let path = path.split('?').next().unwrap_or(path);
    let api = &path[path.find("/api/v1")?..];
    let segments: Vec<&str> = api.trim_end_matches('/').split('/').collect();
    DOCUMENT["paths"]
        .as_object()?
        .keys()
        .filter_map(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                return None;
            }
            let mut literal = 0;
            for (part, segment) in parts.iter().zip(&segments) {
                if part.starts_with('{') {
                    continue;
                }
                if part != segment {
                    return None;
                }
                literal += 1;
            }
            Some((literal, template.clone()))
        })
        .max()
        .map(|(_, template)| template)
}

/// An API answer, read and checked against the document by [`checked`].
#[derive(Debug)]
pub struct Answer {
    pub status: reqwest::StatusCode,
    pub headers: reqwest::header::HeaderMap,
    /// The JSON body, or (when the body is not JSON) its text as a JSON string.
    pub body: Value,
    /// The body as it came, for answers that are not text (a photo, a PDF).
    pub bytes: Vec<u8>,
}

/// Reads an answer to `method path` (the path as requested, `/t/alpha/api/v1/…`; an
/// absolute URL has its origin dropped) and checks it with [`check_response`]. Every test
/// that calls the API, through [`crate::Client::call`] or a request of its own, reads the
/// answer here.
pub async fn checked(method: &str, path: &str, response: reqwest::Response) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("body").to_vec();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    check_response(method, without_origin(path), status.as_u16(), &body);
    Answer {
        status,
        headers,
        body,
        bytes,
    }
}

/// `http://alpha.localhost:8080/api/v1/me?x=1` → `/api/v1/me?x=1`; a path stays as it is.
fn without_origin(path: &str) -> &str {
    match path.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |slash| &rest[slash..]),
        None => path,
    }
}

/// Panics unless `status` is documented for the operation and `body` matches its schema.
/// Paths outside `/api/v1` are not the API's and pass.
pub fn check_response(method: &str, path: &str, status: u16, body: &Value) {
    if !path.contains("/api/v1") {
        return;
    }
    let Some(template) = template_of(path) else {
        panic!("{method} {path}: answered {status}, but the OpenAPI document has no such path");
    };
    let method = method.to_ascii_lowercase();
    let operation = &DOCUMENT["paths"][&template][&method];
    assert!(
        operation.is_object(),
        "{method} {template}: answered {status}, but the document has no such operation"
    );
    let status_key = status.to_string();
    let responses = &operation["responses"];
    let documented = if responses[&status_key].is_object() {
        status_key
    } else if responses["default"].is_object() {
        "default".to_owned()
    } else {
        panic!(
            "{} {template}: answered {status}, which the document does not list (it lists {:?}); body: {body}",
            method.to_uppercase(),
            responses.as_object().map(|r| r.keys().collect::<Vec<_>>())
        );
    };
    let Some(content) = responses[&documented]["content"].as_object() else {
        return;
    };
    // Bodies that are not JSON (a PDF, a photo) come here as a JSON string of their text.
    let Some((media, _)) = content.iter().find(|(media, _)| media.contains("json")) else {
        return;
    };
    if body.is_string() && !matches!(content[media]["schema"]["type"].as_str(), Some("string")) {
        return;
    }
    let key = format!("{} {template} {documented} {media}", method.to_uppercase());
    let validator = {
        let mut cache = VALIDATORS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        cache
            .entry(key.clone())
            .or_insert_with(|| {
                // The schema, with the document's components beside it so its references
                // (`#/components/schemas/…`) resolve.
                let mut root = content[media]["schema"].clone();
                if let Value::Object(map) = &mut root {
                    map.insert("components".into(), DOCUMENT["components"].clone());
                }
                std::sync::Arc::new(
                    jsonschema::options()
                        .with_draft(jsonschema::Draft::Draft202012)
                        .build(&root)
                        .unwrap_or_else(|e| panic!("schema of {key}: {e}")),
                )
            })
            .clone()
    };
    let problems: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("at {}: {e}", e.instance_path()))
        .collect();
    assert!(
        problems.is_empty(),
        "{} {template} answered {status} with a body its OpenAPI schema does not allow:\n  {}\nbody: {body}",
        method.to_uppercase(),
        problems.join("\n  ")
    );
}
