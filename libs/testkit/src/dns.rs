//! A DNS server on 127.0.0.1 (UDP) that answers TXT questions from a table the test fills:
//! the real resolver in the server asks it exactly as it would ask a public name server.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use hickory_proto::{
    op::{Message, OpCode, ResponseCode},
    rr::{RData, Record, RecordType, rdata::TXT},
};
use tokio::net::UdpSocket;

type Records = Arc<Mutex<HashMap<String, Vec<String>>>>;

pub struct FakeDns {
    addr: SocketAddr,
    records: Records,
    task: tokio::task::JoinHandle<()>,
}

fn key(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

fn answer(query: &Message, records: &Records) -> Option<Vec<u8>> {
    let mut response = Message::response(query.metadata.id, OpCode::Query);
    response.metadata.authoritative = true;
    response.metadata.recursion_desired = query.metadata.recursion_desired;
    response.metadata.recursion_available = true;
    response.queries = query.queries.clone();
    let table = records.lock().ok()?;
    let mut known = false;
    for question in &query.queries {
        let name = question.name().clone();
        if let Some(values) = table.get(&key(&name.to_ascii())) {
            known = true;
            if question.query_type() == RecordType::TXT {
                for value in values {
                    response.add_answer(Record::from_rdata(
                        name.clone(),
                        60,
                        RData::TXT(TXT::new(vec![value.clone()])),
                    ));
                }
            }
        }
    }
    if !known {
        response.metadata.response_code = ResponseCode::NXDomain;
    }
    response.to_vec().ok()
}

impl FakeDns {
    pub async fn start() -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0")
            .await
            .expect("bind the fake DNS server");
        let addr = socket.local_addr().expect("address");
        let records: Records = Arc::default();
        let table = records.clone();
        let task = tokio::spawn(async move {
            let mut buffer = vec![0u8; 4096];
            loop {
                let Ok((len, from)) = socket.recv_from(&mut buffer).await else {
                    return;
                };
                let Ok(query) = Message::from_vec(&buffer[..len]) else {
                    continue;
                };
                if let Some(bytes) = answer(&query, &table) {
                    let _ = socket.send_to(&bytes, from).await;
                }
            }
        });
        Self {
            addr,
            records,
            task,
        }
    }

    /// Publishes TXT `values` at `name` (replacing what was there).
    pub fn set_txt(&self, name: &str, values: &[&str]) {
        self.records
            .lock()
            .expect("records")
            .insert(key(name), values.iter().map(|v| (*v).to_owned()).collect());
    }

    /// Withdraws every record at `name`.
    pub fn remove(&self, name: &str) {
        self.records.lock().expect("records").remove(&key(name));
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server's variable that points the app's resolver here.
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        vec![("PITLANE_DNS_SERVER", self.addr.to_string())]
    }
}

impl Drop for FakeDns {
    fn drop(&mut self) {
        self.task.abort();
    }
}
