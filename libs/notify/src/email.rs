//! E-mail out: an SMTP server through lettre (STARTTLS, TLS, or plain on a trusted network),
//! or `.eml` files in a folder when no server is configured (the embedded default).

use std::time::Duration;

use lettre::{
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{
        Attachment as MailAttachment, Mailbox, MultiPart, SinglePart,
        header::{ContentType, HeaderName, HeaderValue},
    },
    transport::smtp::PoolConfig,
};

use crate::{Attachment, Composed, NotifyConfig, TenantSender};

#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>),
}

/// Why a send failed. A permanent failure (the server refused the address, say) is not retried.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    pub permanent: bool,
    pub message: String,
}

impl SendError {
    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            permanent: true,
            message: message.into(),
        }
    }

    pub fn temporary(message: impl Into<String>) -> Self {
        Self {
            permanent: false,
            message: message.into(),
        }
    }
}

impl Mailer {
    pub fn check_url(url: &str) -> Result<(), String> {
        AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map(|_| ())
            .map_err(|e| format!("not a usable SMTP URL ({e}); e.g. smtp://user:pass@host:587?tls=required or smtps://user:pass@host:465"))
    }

    pub fn from_config(config: &NotifyConfig) -> Result<Self, String> {
        match &config.smtp_url {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| e.to_string())?
                    .timeout(Some(Duration::from_secs(20)))
                    .pool_config(PoolConfig::new().max_size(config.concurrency.max(1) as u32))
                    .build();
                Ok(Mailer::Smtp(transport))
            }
            None => {
                std::fs::create_dir_all(&config.mail_dir)
                    .map_err(|e| format!("cannot create {}: {e}", config.mail_dir.display()))?;
                Ok(Mailer::Files(AsyncFileTransport::new(&config.mail_dir)))
            }
        }
    }

    /// Sends one message; returns the server's reply (or the file name) for the delivery record.
    pub async fn send(&self, message: Message) -> Result<String, SendError> {
        match self {
            Mailer::Smtp(smtp) => match smtp.send(message).await {
                Ok(response) => Ok(format!(
                    "{} {}",
                    response.code(),
                    response.message().collect::<Vec<_>>().join(" ")
                )),
                Err(err) => Err(SendError {
                    permanent: err.is_permanent(),
                    message: describe_smtp_error(&err),
                }),
            },
            Mailer::Files(files) => files.send(message).await.map_err(|e| SendError {
                permanent: false,
                message: e.to_string(),
            }),
        }
    }
}

fn describe_smtp_error(err: &lettre::transport::smtp::Error) -> String {
    use std::error::Error;
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

/// Everything an e-mail needs besides its composed content.
pub struct Envelope<'a> {
    pub message_id: String,
    pub from_address: &'a str,
    pub sender: &'a TenantSender,
    pub to: &'a str,
    pub to_name: Option<&'a str>,
    pub unsubscribe: Option<&'a str>,
    pub attachments: &'a [Attachment],
}

/// Builds the MIME message: text and HTML alternatives, then any attachments.
pub fn build(envelope: &Envelope<'_>, content: &Composed) -> Result<Message, SendError> {
    let from_address = envelope
        .from_address
        .parse()
        .map_err(|e| SendError::permanent(format!("sender address: {e}")))?;
    let from = Mailbox::new(
        Some(envelope.sender.display_name().to_owned()),
        from_address,
    );
    let to_address = envelope
        .to
        .parse()
        .map_err(|e| SendError::permanent(format!("recipient address {:?}: {e}", envelope.to)))?;
    let to = Mailbox::new(envelope.to_name.map(str::to_owned), to_address);
    let mut builder = Message::builder()
        .message_id(Some(envelope.message_id.clone()))
        .from(from)
        .to(to)
        .subject(content.subject.clone().unwrap_or_default());
    if let Some(reply_to) = &envelope.sender.reply_to
        && let Ok(address) = reply_to.parse()
    {
        builder = builder.reply_to(Mailbox::new(None, address));
    }
    if let Some(link) = envelope.unsubscribe {
        builder = builder
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{link}>"),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_owned(),
            ));
    }
    let alternative = match &content.html {
        Some(html) => MultiPart::alternative_plain_html(content.text.clone(), html.clone()),
        None => MultiPart::alternative().singlepart(SinglePart::plain(content.text.clone())),
    };
    let body = if envelope.attachments.is_empty() {
        alternative
    } else {
        let mut mixed = MultiPart::mixed().multipart(alternative);
        for file in envelope.attachments {
            let content_type = ContentType::parse(&file.content_type)
                .or_else(|_| ContentType::parse("application/octet-stream"))
                .map_err(|e| SendError::permanent(format!("attachment type: {e}")))?;
            mixed = mixed.singlepart(
                MailAttachment::new(file.filename.clone()).body(file.content.clone(), content_type),
            );
        }
        mixed
    };
    builder
        .multipart(body)
        .map_err(|e| SendError::permanent(format!("building the message: {e}")))
}
