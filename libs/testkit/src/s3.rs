//! A fake S3-compatible object store on 127.0.0.1: path-style `PUT`, `GET` and `DELETE` of
//! objects with presigned (SigV4 query) URLs, as the photo storage sends them. It refuses a
//! request without a signature or for another access key, and keeps objects in memory.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
};

use poem::{
    Body, EndpointExt, IntoResponse, Request, Response, Route, Server, handler,
    http::{Method, StatusCode},
    listener::{Acceptor, Listener, TcpListener},
    web::Data,
};

pub const S3_BUCKET: &str = "pitlane-photos";
pub const S3_ACCESS_KEY: &str = "FAKEACCESSKEY";
pub const S3_SECRET_KEY: &str = "fake-secret-key";

type Objects = Arc<Mutex<BTreeMap<String, (Vec<u8>, String)>>>;

#[derive(Clone)]
pub struct FakeS3 {
    port: u16,
    objects: Objects,
}

fn signed_by_us(req: &Request) -> bool {
    let query = req.uri().query().unwrap_or_default();
    query.contains("X-Amz-Signature=")
        && query.contains(&format!("X-Amz-Credential={S3_ACCESS_KEY}%2F"))
}

#[handler]
async fn object(req: &Request, body: Body, objects: Data<&Objects>) -> Response {
    if !signed_by_us(req) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let Some(key) = req.uri().path().strip_prefix(&format!("/{S3_BUCKET}/")) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let key = key.to_owned();
    let mut store = objects
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    match *req.method() {
        Method::PUT => {
            let content_type = req
                .content_type()
                .unwrap_or("application/octet-stream")
                .to_owned();
            drop(store);
            let bytes = body.into_vec().await.unwrap_or_default();
            objects
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(key, (bytes, content_type));
            StatusCode::OK.into_response()
        }
        Method::GET => match store.get(&key) {
            Some((bytes, content_type)) => Response::builder()
                .content_type(content_type.clone())
                .body(bytes.clone()),
            None => StatusCode::NOT_FOUND.into_response(),
        },
        Method::DELETE => {
            store.remove(&key);
            StatusCode::NO_CONTENT.into_response()
        }
        _ => StatusCode::METHOD_NOT_ALLOWED.into_response(),
    }
}

impl FakeS3 {
    pub async fn start() -> Self {
        let objects: Objects = Arc::default();
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .expect("bind the fake S3");
        let port = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().map(|s| s.port()))
            .expect("port");
        let app = Route::new().at("/*path", object).data(objects.clone());
        tokio::spawn(Server::new_with_acceptor(acceptor).run(app));
        Self { port, objects }
    }

    /// The app's `PITLANE_S3_*` variables for this store.
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "PITLANE_S3_ENDPOINT",
                format!("http://127.0.0.1:{}", self.port),
            ),
            ("PITLANE_S3_BUCKET", S3_BUCKET.to_owned()),
            ("PITLANE_S3_REGION", "eu-central-1".to_owned()),
            ("PITLANE_S3_ACCESS_KEY", S3_ACCESS_KEY.to_owned()),
            ("PITLANE_S3_SECRET_KEY", S3_SECRET_KEY.to_owned()),
        ]
    }

    /// The keys of the objects kept, in order.
    pub fn keys(&self) -> Vec<String> {
        self.objects
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .keys()
            .cloned()
            .collect()
    }
}
