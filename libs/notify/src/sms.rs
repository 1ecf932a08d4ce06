//! SMS through a Twilio-shaped HTTP provider: a form POST of To, From and Body to
//! `{api}/2010-04-01/Accounts/{account}/Messages.json` with basic auth, and status callbacks
//! and inbound messages posted back to us, signed with the account's auth token.
//! Without a provider (the embedded default), each SMS is written to a file instead.

use std::{collections::BTreeMap, path::PathBuf, time::Duration};

use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha1::Sha1;
use subtle::ConstantTimeEq;

use crate::{NotifyConfig, SendError};

/// The deployment's SMS provider account (`SMS_API_URL`, `SMS_ACCOUNT_SID`, `SMS_AUTH_TOKEN`).
#[derive(Clone)]
pub struct SmsProvider {
    pub api_url: String,
    pub account_sid: String,
    pub auth_token: String,
}

impl std::fmt::Debug for SmsProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsProvider")
            .field("api_url", &self.api_url)
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"<secret>")
            .finish()
    }
}

#[derive(Deserialize)]
struct IncomingNumbers {
    #[serde(default)]
    incoming_phone_numbers: Vec<IncomingNumber>,
}

#[derive(Deserialize)]
struct IncomingNumber {
    phone_number: String,
}

/// Whether the deployment's provider account holds `number` (E.164), by the provider's
/// IncomingPhoneNumbers list: the proof that a workshop's sender number is the platform's
/// to send from, not someone else's.
pub async fn account_owns_number(provider: &SmsProvider, number: &str) -> Result<bool, String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .map_err(|e| e.to_string())?;
    let url = format!(
        "{}/2010-04-01/Accounts/{}/IncomingPhoneNumbers.json",
        provider.api_url.trim_end_matches('/'),
        provider.account_sid
    );
    let response = client
        .get(url)
        .basic_auth(&provider.account_sid, Some(&provider.auth_token))
        .query(&[("PhoneNumber", number)])
        .send()
        .await
        .map_err(|e| format!("the SMS provider did not answer: {e}"))?;
    if !response.status().is_success() {
        return Err(format!("the SMS provider answered {}", response.status()));
    }
    let list: IncomingNumbers = response
        .json()
        .await
        .map_err(|e| format!("the SMS provider's answer could not be read: {e}"))?;
    Ok(list
        .incoming_phone_numbers
        .iter()
        .any(|n| n.phone_number == number))
}

pub enum Texter {
    Provider {
        client: reqwest::Client,
        provider: SmsProvider,
        /// Where the provider reports delivery (`{public url}/webhooks/sms/status`).
        status_callback: String,
    },
    Files(PathBuf),
}

/// One SMS to send.
pub struct Sms<'a> {
    /// The outbox message, named in the status callback so its report finds it.
    pub reference: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub body: &'a str,
}

#[derive(Deserialize)]
struct ProviderAnswer {
    sid: Option<String>,
    code: Option<i64>,
    message: Option<String>,
}

/// Provider error codes that no retry will fix (Twilio's numbering).
const PERMANENT_CODES: [i64; 6] = [
    21211, // invalid To number
    21408, // region not enabled
    21610, // the recipient replied STOP
    21612, // To cannot be reached from this From
    21614, // To is not a mobile number
    21660, // From does not belong to the account
];

impl Texter {
    pub fn from_config(config: &NotifyConfig) -> Result<Self, String> {
        match &config.sms_provider {
            Some(provider) => {
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(15))
                    .build()
                    .map_err(|e| format!("SMS client: {e}"))?;
                Ok(Self::Provider {
                    client,
                    provider: provider.clone(),
                    status_callback: format!(
                        "{}/webhooks/sms/status",
                        config.public_url.trim_end_matches('/')
                    ),
                })
            }
            None => Ok(Self::Files(config.sms_dir.clone())),
        }
    }

    /// Hands the SMS to the provider; returns the provider's id for it.
    pub async fn send(&self, sms: &Sms<'_>) -> Result<String, SendError> {
        match self {
            Texter::Provider {
                client,
                provider,
                status_callback,
            } => {
                let url = format!(
                    "{}/2010-04-01/Accounts/{}/Messages.json",
                    provider.api_url.trim_end_matches('/'),
                    provider.account_sid
                );
                let callback = format!("{status_callback}?ref={}", sms.reference);
                let response = client
                    .post(url)
                    .basic_auth(&provider.account_sid, Some(&provider.auth_token))
                    .form(&[
                        ("To", sms.to),
                        ("From", sms.from),
                        ("Body", sms.body),
                        ("StatusCallback", callback.as_str()),
                    ])
                    .send()
                    .await
                    .map_err(|e| SendError::temporary(format!("SMS provider unreachable: {e}")))?;
                let status = response.status();
                let answer: Option<ProviderAnswer> = response.json().await.ok();
                if status.is_success() {
                    return answer.and_then(|a| a.sid).ok_or_else(|| {
                        SendError::temporary("the SMS provider's answer had no message id")
                    });
                }
                let code = answer.as_ref().and_then(|a| a.code);
                let detail = answer
                    .and_then(|a| a.message)
                    .unwrap_or_else(|| status.to_string());
                let message = match code {
                    Some(code) => format!("SMS provider refused ({code}): {detail}"),
                    None => format!("SMS provider refused: {detail}"),
                };
                let permanent = code.is_some_and(|c| PERMANENT_CODES.contains(&c))
                    || (status.is_client_error()
                        && !matches!(status.as_u16(), 401 | 403 | 408 | 429));
                Err(SendError { permanent, message })
            }
            Texter::Files(dir) => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| SendError::temporary(format!("{}: {e}", dir.display())))?;
                let path = dir.join(format!("{}.txt", sms.reference.replace(':', "-")));
                let text = format!("From: {}\nTo: {}\n\n{}\n", sms.from, sms.to, sms.body);
                tokio::fs::write(&path, text)
                    .await
                    .map_err(|e| SendError::temporary(format!("{}: {e}", path.display())))?;
                Ok(format!("file:{}", path.display()))
            }
        }
    }
}

/// The signature a Twilio-shaped provider puts in `X-Twilio-Signature`: HMAC-SHA1 with the
/// auth token over the full URL followed by every form field's name and value, by name.
pub fn request_signature(auth_token: &str, url: &str, form: &BTreeMap<String, String>) -> String {
    let mut signed = url.to_owned();
    for (name, value) in form {
        signed.push_str(name);
        signed.push_str(value);
    }
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()) else {
        unreachable!("HMAC takes keys of any length")
    };
    mac.update(signed.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Whether a webhook request really comes from the provider.
pub fn signature_is_valid(
    auth_token: &str,
    url: &str,
    form: &BTreeMap<String, String>,
    signature: &str,
) -> bool {
    let expected = request_signature(auth_token, url, form);
    expected
        .as_bytes()
        .ct_eq(signature.trim().as_bytes())
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_twilio_documentation_example() {
        // The worked example of Twilio's webhook security guide.
        let form: BTreeMap<String, String> = [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675310"),
            ("Digits", "1234"),
            ("From", "+14158675310"),
            ("To", "+18005551212"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let signature = request_signature("12345", url, &form);
        assert_eq!(signature, "GvWf1cFY/Q7PnoempGyD5oXAezc=");
        assert!(signature_is_valid("12345", url, &form, &signature));
        assert!(!signature_is_valid("12346", url, &form, &signature));
    }
}
