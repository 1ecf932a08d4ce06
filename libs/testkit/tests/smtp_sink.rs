//! The SMTP sink speaks SMTP well enough for a real client (lettre) to deliver to it,
//! and refuses on request so retry logic can be tested against it.

use std::time::Duration;

use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor, message::MultiPart};
use pitlane_testkit::SmtpSink;

fn mailer(sink: &SmtpSink) -> AsyncSmtpTransport<Tokio1Executor> {
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(sink.port())
        .timeout(Some(Duration::from_secs(5)))
        .build()
}

fn message(subject: &str) -> Message {
    Message::builder()
        .from(
            "Demo Motors <bookings@demo.example>"
                .parse()
                .expect("a mailbox"),
        )
        .reply_to("desk@demo.example".parse().expect("a mailbox"))
        .to("Ann Driver <ann@example.com>".parse().expect("a mailbox"))
        .subject(subject)
        .multipart(MultiPart::alternative_plain_html(
            "Your car is ready.\n.\nA line with a lone dot stays.".to_owned(),
            "<p>Your car is <b>ready</b>.</p>".to_owned(),
        ))
        .expect("a message")
}

#[tokio::test]
async fn a_real_client_delivers_and_the_sink_keeps_the_message() {
    let sink = SmtpSink::start().await;
    mailer(&sink)
        .send(message("Ready for pickup"))
        .await
        .expect("delivered");
    let received = sink.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(received.len(), 1);
    let mail = &received[0];
    assert_eq!(mail.from, "bookings@demo.example");
    assert_eq!(mail.to, ["ann@example.com"]);
    assert_eq!(mail.header("Subject").as_deref(), Some("Ready for pickup"));
    assert_eq!(
        mail.header("Reply-To").as_deref(),
        Some("desk@demo.example")
    );
    assert!(
        mail.header("Content-Type")
            .is_some_and(|c| c.starts_with("multipart/alternative"))
    );
    assert!(
        mail.data.contains("\r\n.\r\nA line with a lone dot stays."),
        "dot-stuffing undone"
    );
    assert!(mail.data.contains("text/html"));
}

#[tokio::test]
async fn refusals_are_temporary_failures_and_then_it_accepts_again() {
    let sink = SmtpSink::start().await;
    sink.refuse_next(2);
    let mailer = mailer(&sink);
    for _ in 0..2 {
        let refused = mailer.send(message("Try")).await.expect_err("refused");
        assert!(
            refused.is_transient(),
            "451 is a temporary failure: {refused}"
        );
    }
    mailer.send(message("Third time")).await.expect("accepted");
    let received = sink.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].header("Subject").as_deref(), Some("Third time"));
}
