//! What the identity services share: the store, the outbox for their e-mails, the sign-in
//! throttle and the link signer.

use std::collections::BTreeMap;

use pitlane_domain::{ServiceError, messages::MessageKind, text::Email};
use pitlane_notify::{Outbox, OutgoingMessage, Recipient};
use pitlane_store::{Store, TenantTx};

use crate::{links::LinkSigner, throttle::Throttle};

#[derive(Clone)]
pub struct Identity {
    pub store: Store,
    pub outbox: Outbox,
    pub throttle: Throttle,
    pub signer: LinkSigner,
    /// Short-lived sign-in state (provider round trips, hand-offs): Redis or memory.
    pub kv: std::sync::Arc<dyn pitlane_bus::KeyValue>,
    /// Limits on messages anyone may cause without signing in (links, resets).
    pub send_limits: pitlane_notify::abuse::SendLimits,
    /// When API keys were last used, written in the background.
    pub key_use: crate::key_use::KeyUse,
}

impl Identity {
    /// Queues one of the identity e-mails in the caller's transaction.
    pub async fn mail(
        &self,
        tx: &TenantTx,
        kind: MessageKind,
        to: &str,
        name: &str,
        vars: &[(&str, String)],
        idempotency_key: String,
    ) -> Result<(), ServiceError> {
        let address = Email::parse(to)
            .map_err(|_| ServiceError::internal(format!("stored address {to} is not valid")))?;
        let mut values: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        values
            .entry("name".into())
            .or_insert_with(|| name.to_owned());
        self.outbox
            .enqueue(
                tx,
                OutgoingMessage {
                    kind,
                    to: Recipient::Email {
                        address,
                        name: Some(name.to_owned()),
                    },
                    vars: values,
                    attachments: Vec::new(),
                    send_at: None,
                    idempotency_key,
                },
            )
            .await?;
        Ok(())
    }
}
