//! Turns a message kind, its variables and the tenant's branding into what is sent:
//! a subject and plain-text body, plus an HTML part in the tenant's colours for e-mail.

use std::collections::BTreeMap;

use pitlane_domain::messages::{Channel, MessageKind, Template, TemplateError};

/// What the sender needs to know about the tenant a message is from.
#[derive(Debug, Clone)]
pub struct TenantSender {
    pub name: String,
    /// The name shown as the sender; the workshop's name when unset.
    pub sender_name: Option<String>,
    pub reply_to: Option<String>,
    /// The number customers call: the first branch's that has one.
    pub phone: Option<String>,
    pub primary_color: String,
    /// The tenant's own SMS sending number, when it has one.
    pub sms_sender: Option<String>,
}

impl TenantSender {
    pub fn display_name(&self) -> &str {
        self.sender_name.as_deref().unwrap_or(&self.name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composed {
    pub subject: Option<String>,
    pub text: String,
    pub html: Option<String>,
}

/// A tenant's own template for a kind and channel, overriding the built-in one.
pub type CustomTemplate<'a> = (Option<&'a str>, &'a str);

pub fn compose(
    kind: MessageKind,
    channel: Channel,
    sender: &TenantSender,
    vars: &BTreeMap<String, String>,
    custom: Option<CustomTemplate<'_>>,
) -> Result<Composed, TemplateError> {
    let default = crate::defaults::template(kind, channel);
    let mut all = vars.clone();
    all.insert("workshop_name".into(), sender.name.clone());
    all.insert(
        "workshop_phone".into(),
        sender.phone.clone().unwrap_or_default(),
    );
    // A security message's link is Pitlane's, kept out of the editable text.
    let security_link = kind
        .carries_security_link()
        .then(|| all.remove("link"))
        .flatten();
    let parsed = |(subject, body): CustomTemplate<'_>| -> Result<_, TemplateError> {
        let subject = subject.map(|s| Template::parse(s, kind)).transpose()?;
        Ok((subject, Template::parse(body, kind)?))
    };
    let (subject, body) = match custom.map(parsed) {
        Some(Ok(template)) => template,
        // A workshop's template that no longer parses (one written when a security link was
        // still a variable, or with a link wrapped in another address before that was
        // refused) gives way to the built-in one rather than stop the message.
        Some(Err(err)) => {
            tracing::warn!(kind = kind.as_str(), error = %err, "custom template refused; using the built-in one");
            parsed(default)?
        }
        None => parsed(default)?,
    };
    // A variable with nothing in it (no phone, say) must not leave an empty line behind.
    let mut text = body.render(&all).trim_end().to_owned();
    if let Some(link) = &security_link {
        let gap = if channel == Channel::Sms { " " } else { "\n\n" };
        text = format!("{text}{gap}{link}");
    }
    let subject = subject.map(|s| s.render(&all).replace(['\r', '\n'], " "));
    let html = match channel {
        Channel::Email => Some(email_html(
            sender,
            subject.as_deref().unwrap_or(""),
            &text,
            security_link.as_deref(),
            all.get("unsubscribe_link"),
        )),
        Channel::Sms => None,
    };
    Ok(Composed {
        subject,
        text,
        html,
    })
}

fn is_link(paragraph: &str) -> bool {
    let p = paragraph.trim();
    (p.starts_with("https://") || p.starts_with("http://")) && !p.contains(char::is_whitespace)
}

/// The HTML part: inline styles only, since mail clients drop style sheets.
/// With a `security_link`, only that link becomes a button: the workshop's text around it is
/// shown as text, so no address of a template's can pose as the real one.
///
/// Written out rather than with the pages' template engine, so the shared workers do not link
/// the web stack; every value goes through `text` or `attr` (html-escape) on its way in.
fn email_html(
    sender: &TenantSender,
    subject: &str,
    body_text: &str,
    security_link: Option<&str>,
    unsubscribe: Option<&String>,
) -> String {
    let color = pitlane_domain::brand::Color::parse(&sender.primary_color)
        .map(|c| c.to_string())
        .unwrap_or_else(|_| "#1f6feb".into());
    let button = format!(
        "display:inline-block;padding:10px 18px;border-radius:6px;background:{color};color:#ffffff;text-decoration:none;font-weight:600"
    );
    let mut paragraphs = String::new();
    for paragraph in body_text.split("\n\n") {
        let link = paragraph.trim();
        if security_link.is_some_and(|l| link == l)
            || (security_link.is_none() && is_link(paragraph))
        {
            paragraphs.push_str(&format!(
                "<p><a href=\"{}\" style=\"{}\">Open</a></p><p style=\"font-size:13px;color:#57606a;word-break:break-all\">{}</p>",
                attr(link),
                attr(&button),
                text(link),
            ));
        } else {
            // Single line breaks stay inside a paragraph.
            let lines: Vec<_> = paragraph.lines().map(text).collect();
            paragraphs.push_str(&format!("<p>{}</p>", lines.join("<br>")));
        }
    }
    let mut footer = text(&sender.name);
    if let Some(phone) = &sender.phone {
        footer.push_str(&format!(" · {}", text(phone)));
    }
    if let Some(link) = unsubscribe {
        footer.push_str(&format!(
            "<br><a href=\"{}\" style=\"color:#57606a\">Unsubscribe</a>",
            attr(link)
        ));
    }
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title></head>\
         <body style=\"margin:0;padding:0;background:#f4f5f7;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;color:#1b1f24\">\
         <table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\"><tr><td align=\"center\" style=\"padding:24px 12px\">\
         <table role=\"presentation\" width=\"100%\" style=\"max-width:600px;background:#ffffff;border-radius:8px\" cellpadding=\"0\" cellspacing=\"0\">\
         <tr><td style=\"padding:18px 24px;border-bottom:4px solid {color};font-size:20px;font-weight:700\">{name}</td></tr>\
         <tr><td style=\"padding:24px;font-size:16px;line-height:1.5\">{paragraphs}</td></tr>\
         <tr><td style=\"padding:14px 24px;font-size:12px;color:#57606a;border-top:1px solid #e5e7eb\">{footer}</td></tr>\
         </table></td></tr></table></body></html>",
        title = text(subject),
        color = attr(&color),
        name = text(&sender.name),
    )
}

/// A value as element text.
fn text(value: &str) -> String {
    html_escape::encode_text(value).into_owned()
}

/// A value inside a double-quoted attribute.
fn attr(value: &str) -> String {
    html_escape::encode_double_quoted_attribute(value).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sender() -> TenantSender {
        TenantSender {
            name: "Bolt & Nut <Garage>".into(),
            sender_name: None,
            reply_to: None,
            phone: Some("+44 20 7946 0000".into()),
            primary_color: "#0a7d2c".into(),
            sms_sender: None,
        }
    }

    #[test]
    fn email_has_text_and_branded_escaped_html() {
        let kind = MessageKind::PasswordReset;
        let mut vars = kind.sample();
        vars.insert("name".into(), "<script>x</script>".into());
        vars.insert("link".into(), "https://example.test/link".into());
        let out = compose(kind, Channel::Email, &sender(), &vars, None).unwrap();
        assert_eq!(out.subject.as_deref(), Some("Reset your password"));
        assert!(out.text.contains("Hello <script>x</script>,"));
        let html = out.html.unwrap();
        assert!(html.contains("&lt;script&gt;"), "variables are escaped");
        assert!(html.contains("Bolt &amp; Nut &lt;Garage&gt;"));
        assert!(html.contains("#0a7d2c"), "in the tenant's colour");
        assert!(html.contains(r#"href="https://example.test/link""#));
    }

    #[test]
    fn a_template_cannot_move_or_wrap_a_security_link() {
        let kind = MessageKind::PasswordReset;
        let wrapped = "Reset here: https://evil.example/?u={{ link }}";
        assert!(
            Template::parse(wrapped, kind).is_err(),
            "the token link is no variable"
        );
        let mut vars = kind.sample();
        vars.insert("link".into(), "https://alpha.example/reset?token=t".into());
        let phishing = "Hello {{ name }}, reset it at\n\nhttps://evil.example/reset";
        let out = compose(
            kind,
            Channel::Email,
            &sender(),
            &vars,
            Some((Some("Reset"), phishing)),
        )
        .unwrap();
        assert!(
            out.text
                .ends_with("\n\nhttps://alpha.example/reset?token=t")
        );
        let html = out.html.unwrap();
        assert!(html.contains(r#"href="https://alpha.example/reset?token=t""#));
        assert!(
            !html.contains(r#"href="https://evil.example"#),
            "the template's own address is no button"
        );
        // A template saved while the link was a variable gives way to the built-in one.
        let old = compose(
            kind,
            Channel::Sms,
            &sender(),
            &vars,
            Some((None, "Reset: {{ link }}")),
        )
        .unwrap();
        assert!(old.text.ends_with(" https://alpha.example/reset?token=t"));
    }

    #[test]
    fn custom_templates_replace_the_defaults() {
        let kind = MessageKind::TestMessage;
        let out = compose(
            kind,
            Channel::Sms,
            &sender(),
            &kind.sample(),
            Some((None, "Hi from {{ workshop_name }}")),
        )
        .unwrap();
        assert_eq!(out.text, "Hi from Bolt & Nut <Garage>");
        assert_eq!(out.html, None);
    }
}
