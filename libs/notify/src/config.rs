//! Deployment settings of the notification platform, from the environment.

use std::{path::PathBuf, time::Duration};

#[derive(Debug, Clone)]
pub struct NotifyConfig {
    /// `SMTP_URL`: `smtp://user:pass@host:587?tls=required` (STARTTLS), `smtps://…:465` (TLS),
    /// or plain `smtp://host:25` on a trusted network. Unset: mail is written to `mail_dir`.
    pub smtp_url: Option<String>,
    /// `PITLANE_MAIL_DIR`: where mail goes when no SMTP server is configured.
    pub mail_dir: PathBuf,
    /// `PITLANE_MAIL_FROM`: the deployment's sending address; tenants set the name and reply-to.
    pub mail_from: String,
    /// `PITLANE_SEND_ATTEMPTS`: tries before a message is dead-lettered.
    pub max_attempts: u32,
    /// `PITLANE_RETRY_BASE_MS`: the first retry waits about this long, doubling after.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// `PITLANE_WORKER_LEASE_SECS`: a worker silent this long on a message has crashed; another
    /// worker takes the message over.
    pub lease: Duration,
    /// A message queued this long without being taken lost its queue entry; it is queued again.
    pub queued_lease: Duration,
    /// `PITLANE_WORKER_CONCURRENCY`: messages one worker sends at once.
    pub concurrency: usize,
    /// `PITLANE_TENANT_BULK_PER_MINUTE`: the pace of one tenant's bulk (marketing) messages.
    pub bulk_per_minute: u32,
    /// At most this many messages of one tenant are moved to the queue per relay round.
    pub per_tenant_batch: u32,
    /// The relay stops filling the queue when this many messages are queued or being sent.
    pub max_in_flight: u32,
    pub relay_interval: Duration,
    /// The SMS provider (`SMS_API_URL`, `SMS_ACCOUNT_SID`, `SMS_AUTH_TOKEN`); without one, SMS
    /// are written to `sms_dir` (`PITLANE_SMS_DIR`).
    pub sms_provider: Option<crate::sms::SmsProvider>,
    pub sms_dir: PathBuf,
    /// `SMS_FROM`: the deployment's sending number, for tenants without their own.
    pub sms_from: Option<String>,
    /// The address providers call back (status reports, inbound SMS).
    pub public_url: String,
    /// `PITLANE_OUTBOX_RETENTION_DAYS`: sent messages are kept this long, then deleted.
    pub retention: Duration,
    /// `PITLANE_FAULT=abort-after-send`: crash right after recording a delivery and before
    /// acknowledging it. Only for the crash tests; never set it in production.
    pub abort_after_send: bool,
    /// `PITLANE_FAULT=abort-in-relay`: crash after committing a batch as queued and before
    /// adding it to the queue. Only for the crash tests; never set it in production.
    pub abort_in_relay: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("{var}: {problem}")]
pub struct NotifyConfigError {
    pub var: &'static str,
    pub problem: String,
}

impl NotifyConfig {
    pub fn from_lookup(
        var: impl Fn(&str) -> Option<String>,
        default_domain: &str,
        public_url: &str,
        data_dir: Option<PathBuf>,
    ) -> Result<Self, NotifyConfigError> {
        let number = |name: &'static str, default: u64, range: std::ops::RangeInclusive<u64>| {
            match var(name) {
                None => Ok(default),
                Some(raw) => {
                    raw.parse::<u64>()
                        .ok()
                        .filter(|n| range.contains(n))
                        .ok_or(NotifyConfigError {
                            var: name,
                            problem: format!(
                                "must be a whole number from {} to {}",
                                range.start(),
                                range.end()
                            ),
                        })
                }
            }
        };
        let smtp_url = var("SMTP_URL");
        if let Some(url) = &smtp_url
            && let Err(err) = crate::Mailer::check_url(url)
        {
            return Err(NotifyConfigError {
                var: "SMTP_URL",
                problem: err,
            });
        }
        // `localhost` alone is no mail domain; its subdomains are (RFC 6761).
        let domain = if default_domain.contains('.') {
            default_domain.to_owned()
        } else {
            format!("mail.{default_domain}")
        };
        let mail_from = var("PITLANE_MAIL_FROM").unwrap_or_else(|| format!("no-reply@{domain}"));
        if pitlane_domain::text::Email::parse(&mail_from).is_err() {
            return Err(NotifyConfigError {
                var: "PITLANE_MAIL_FROM",
                problem: format!("{mail_from:?} is not an e-mail address"),
            });
        }
        let data_dir = data_dir.unwrap_or_else(|| PathBuf::from("data"));
        let mail_dir = var("PITLANE_MAIL_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| data_dir.join("mail"));
        let sms_dir = var("PITLANE_SMS_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| data_dir.join("sms"));
        let sms_provider = match (
            var("SMS_API_URL"),
            var("SMS_ACCOUNT_SID"),
            var("SMS_AUTH_TOKEN"),
        ) {
            (None, None, None) => None,
            (Some(api_url), Some(account_sid), Some(auth_token)) => {
                if !(api_url.starts_with("https://") || api_url.starts_with("http://")) {
                    return Err(NotifyConfigError {
                        var: "SMS_API_URL",
                        problem: "must be an http(s) URL such as https://api.twilio.com".into(),
                    });
                }
                Some(crate::sms::SmsProvider {
                    api_url,
                    account_sid,
                    auth_token,
                })
            }
            (api, sid, _) => {
                let var = if api.is_none() {
                    "SMS_API_URL"
                } else if sid.is_none() {
                    "SMS_ACCOUNT_SID"
                } else {
                    "SMS_AUTH_TOKEN"
                };
                return Err(NotifyConfigError {
                    var,
                    problem: "SMS_API_URL, SMS_ACCOUNT_SID and SMS_AUTH_TOKEN go together".into(),
                });
            }
        };
        let sms_from = match var("SMS_FROM") {
            None => None,
            Some(raw) => Some(
                pitlane_domain::phone::PhoneE164::parse(&raw, None)
                    .map_err(|e| NotifyConfigError {
                        var: "SMS_FROM",
                        problem: e.to_string(),
                    })?
                    .into_inner(),
            ),
        };
        let (abort_after_send, abort_in_relay) = match var("PITLANE_FAULT").as_deref() {
            None => (false, false),
            Some("abort-after-send") => (true, false),
            Some("abort-in-relay") => (false, true),
            Some(other) => {
                return Err(NotifyConfigError {
                    var: "PITLANE_FAULT",
                    problem: format!(
                        "{other:?} is not a known fault (abort-after-send, abort-in-relay)"
                    ),
                });
            }
        };
        let lease = Duration::from_secs(number("PITLANE_WORKER_LEASE_SECS", 120, 1..=86_400)?);
        Ok(Self {
            smtp_url,
            mail_dir,
            mail_from,
            max_attempts: number("PITLANE_SEND_ATTEMPTS", 6, 1..=50)? as u32,
            retry_base: Duration::from_millis(number(
                "PITLANE_RETRY_BASE_MS",
                30_000,
                1..=3_600_000,
            )?),
            retry_max: Duration::from_secs(6 * 3600),
            lease,
            queued_lease: lease.max(Duration::from_secs(300)).min(lease * 5),
            concurrency: number("PITLANE_WORKER_CONCURRENCY", 32, 1..=1024)? as usize,
            bulk_per_minute: number("PITLANE_TENANT_BULK_PER_MINUTE", 600, 1..=600_000)? as u32,
            per_tenant_batch: 50,
            max_in_flight: 5_000,
            relay_interval: Duration::from_millis(200),
            abort_after_send,
            abort_in_relay,
            sms_provider,
            sms_dir,
            sms_from,
            public_url: public_url.trim_end_matches('/').to_owned(),
            retention: Duration::from_secs(
                number("PITLANE_OUTBOX_RETENTION_DAYS", 30, 1..=3650)? * 86_400,
            ),
        })
    }

    /// The gap between two bulk messages of one tenant.
    pub fn bulk_interval(&self) -> Duration {
        Duration::from_secs(60) / self.bulk_per_minute.max(1)
    }
}
