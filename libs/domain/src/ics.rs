//! iCalendar (RFC 5545) invitations for appointment e-mails, sent as iTIP (RFC 5546)
//! messages so mail clients offer "add to calendar" and later move or remove the same entry.

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IcsMethod {
    Request,
    Cancel,
}

impl IcsMethod {
    fn as_str(self) -> &'static str {
        match self {
            Self::Request => "REQUEST",
            Self::Cancel => "CANCEL",
        }
    }
}

/// One appointment as a calendar event. Calendars match updates and cancellations to the
/// entry they already hold by `uid`, and apply them only when `sequence` has grown, so
/// both must come from the stored appointment rather than be made up per e-mail.
#[derive(Debug, Clone)]
pub struct IcsEvent<'a> {
    pub uid: &'a str,
    pub sequence: u32,
    pub method: IcsMethod,
    pub start: DateTime<Utc>,
    /// After `start`; calendars refuse events that end before they begin.
    pub end: DateTime<Utc>,
    pub stamp: DateTime<Utc>,
    pub summary: &'a str,
    pub description: Option<&'a str>,
    pub location: Option<&'a str>,
    pub organizer_name: &'a str,
    pub organizer_email: &'a str,
    pub attendee_name: Option<&'a str>,
    pub attendee_email: Option<&'a str>,
    pub url: Option<&'a str>,
}

/// The `Content-Type` of the calendar part; clients look for `method` there as well as in
/// the body before they treat the part as an invitation.
pub fn content_type(method: IcsMethod) -> &'static str {
    match method {
        IcsMethod::Request => "text/calendar; charset=utf-8; method=REQUEST",
        IcsMethod::Cancel => "text/calendar; charset=utf-8; method=CANCEL",
    }
}

/// The whole `VCALENDAR` object, CRLF line endings and folding included.
pub fn calendar(event: &IcsEvent) -> String {
    let mut out = String::with_capacity(1024);
    let mut line = |content: &str| push_folded(&mut out, content);

    line("BEGIN:VCALENDAR");
    line("VERSION:2.0");
    line("PRODID:-//Pitlane//Appointments//EN");
    line("CALSCALE:GREGORIAN");
    line(&format!("METHOD:{}", event.method.as_str()));
    line("BEGIN:VEVENT");
    line(&format!("UID:{}", text(event.uid)));
    line(&format!("SEQUENCE:{}", event.sequence));
    line(&format!("DTSTAMP:{}", utc(event.stamp)));
    line(&format!("DTSTART:{}", utc(event.start)));
    line(&format!("DTEND:{}", utc(event.end)));
    line(&format!("SUMMARY:{}", text(event.summary)));
    if let Some(description) = event.description {
        line(&format!("DESCRIPTION:{}", text(description)));
    }
    if let Some(location) = event.location {
        line(&format!("LOCATION:{}", text(location)));
    }
    if let Some(url) = event.url {
        line(&format!("URL:{}", uri(url)));
    }
    line(&format!(
        "ORGANIZER{}:mailto:{}",
        common_name(Some(event.organizer_name)),
        uri(event.organizer_email)
    ));
    if let Some(email) = event.attendee_email {
        line(&format!(
            "ATTENDEE{};ROLE=REQ-PARTICIPANT;RSVP=FALSE:mailto:{}",
            common_name(event.attendee_name),
            uri(email)
        ));
    }
    line(match event.method {
        IcsMethod::Request => "STATUS:CONFIRMED",
        IcsMethod::Cancel => "STATUS:CANCELLED",
    });
    line("END:VEVENT");
    line("END:VCALENDAR");
    out
}

/// One appointment in a subscribed calendar (a feed).
#[derive(Debug, Clone)]
pub struct FeedEntry<'a> {
    pub uid: &'a str,
    /// Grows each time the appointment moves, so calendars replace what they hold.
    pub sequence: u32,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// When the appointment last changed.
    pub modified: DateTime<Utc>,
    pub summary: &'a str,
    pub description: Option<&'a str>,
    pub location: Option<&'a str>,
    pub url: Option<&'a str>,
    /// Asked for online and not confirmed yet.
    pub tentative: bool,
}

/// How often calendars are asked to fetch a feed again (RFC 7986 `REFRESH-INTERVAL`; some
/// calendars keep their own pace whatever it says).
pub const FEED_REFRESH: &str = "PT15M";

/// A whole subscribed calendar: a plain iCalendar object (no `METHOD`, so it is published,
/// not an invitation), each entry's `DTSTAMP` being when it was last revised, and its times in
/// UTC, which every calendar shows in its reader's own zone with no `VTIMEZONE` to get wrong.
/// An appointment that is cancelled or moved away simply leaves the feed, and calendars drop it.
pub fn feed(name: &str, entries: &[FeedEntry<'_>]) -> String {
    let mut out = String::with_capacity(256 + entries.len() * 400);
    let mut line = |content: &str| push_folded(&mut out, content);
    line("BEGIN:VCALENDAR");
    line("VERSION:2.0");
    line("PRODID:-//Pitlane//Calendar feed//EN");
    line("CALSCALE:GREGORIAN");
    line(&format!("NAME:{}", text(name)));
    line(&format!("X-WR-CALNAME:{}", text(name)));
    line(&format!("REFRESH-INTERVAL;VALUE=DURATION:{FEED_REFRESH}"));
    line(&format!("X-PUBLISHED-TTL:{FEED_REFRESH}"));
    for entry in entries {
        line("BEGIN:VEVENT");
        line(&format!("UID:{}", text(entry.uid)));
        line(&format!("SEQUENCE:{}", entry.sequence));
        line(&format!("DTSTAMP:{}", utc(entry.modified)));
        line(&format!("LAST-MODIFIED:{}", utc(entry.modified)));
        line(&format!("DTSTART:{}", utc(entry.start)));
        line(&format!("DTEND:{}", utc(entry.end)));
        line(&format!("SUMMARY:{}", text(entry.summary)));
        if let Some(description) = entry.description {
            line(&format!("DESCRIPTION:{}", text(description)));
        }
        if let Some(location) = entry.location {
            line(&format!("LOCATION:{}", text(location)));
        }
        if let Some(url) = entry.url {
            line(&format!("URL:{}", uri(url)));
        }
        line(if entry.tentative {
            "STATUS:TENTATIVE"
        } else {
            "STATUS:CONFIRMED"
        });
        line("END:VEVENT");
    }
    line("END:VCALENDAR");
    out
}

/// RFC 5545 limits a physical line to 75 octets; the space that starts a continuation line
/// counts toward them. Splitting only between characters keeps every line valid UTF-8,
/// which strict parsers check before unfolding.
fn push_folded(out: &mut String, content: &str) {
    const LIMIT: usize = 75;
    let mut used = 0;
    for c in content.chars() {
        if used + c.len_utf8() > LIMIT {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += c.len_utf8();
    }
    out.push_str("\r\n");
}

fn utc(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Escapes a TEXT value. Other control characters are not allowed in TEXT at all, and a
/// stray CR would end the line early and let the rest be read as a property of its own.
fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// URIs are not escaped in iCalendar, so all that can be done is keep them on their line.
fn uri(value: &str) -> String {
    value.chars().filter(|c| !c.is_control()).collect()
}

/// A `;CN=` parameter, or nothing when there is no name to show. Parameter values cannot
/// contain `"` even when quoted, and need quotes when they hold a delimiter.
fn common_name(name: Option<&str>) -> String {
    let cleaned: String = name
        .unwrap_or_default()
        .chars()
        .filter(|&c| c != '"')
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() {
        String::new()
    } else if cleaned.contains([':', ';', ',']) {
        format!(";CN=\"{cleaned}\"")
    } else {
        format!(";CN={cleaned}")
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn event() -> IcsEvent<'static> {
        IcsEvent {
            uid: "0190f3a4-6b7c-7d8e-9f00-112233445566@pitlane.example",
            sequence: 0,
            method: IcsMethod::Request,
            start: at(2026, 11, 21, 9, 30),
            end: at(2026, 11, 21, 10, 30),
            stamp: at(2026, 11, 14, 16, 5),
            summary: "MOT test",
            description: None,
            location: None,
            organizer_name: "Kwik Garage",
            organizer_email: "bookings@kwik.example",
            attendee_name: Some("Sam Driver"),
            attendee_email: Some("sam@example.com"),
            url: None,
        }
    }

    fn unfold(ics: &str) -> String {
        ics.replace("\r\n ", "")
    }

    #[test]
    fn a_simple_event_matches_the_golden_output() {
        let ics = calendar(&IcsEvent {
            location: Some("Unit 4, Mill Lane"),
            url: Some("https://kwik.example/b/abc"),
            ..event()
        });
        let expected = [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//Pitlane//Appointments//EN",
            "CALSCALE:GREGORIAN",
            "METHOD:REQUEST",
            "BEGIN:VEVENT",
            "UID:0190f3a4-6b7c-7d8e-9f00-112233445566@pitlane.example",
            "SEQUENCE:0",
            "DTSTAMP:20261114T160500Z",
            "DTSTART:20261121T093000Z",
            "DTEND:20261121T103000Z",
            "SUMMARY:MOT test",
            "LOCATION:Unit 4\\, Mill Lane",
            "URL:https://kwik.example/b/abc",
            "ORGANIZER;CN=Kwik Garage:mailto:bookings@kwik.example",
            // 77 octets, so folded at 75.
            "ATTENDEE;CN=Sam Driver;ROLE=REQ-PARTICIPANT;RSVP=FALSE:mailto:sam@example.c",
            " om",
            "STATUS:CONFIRMED",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
        .join("\r\n");
        assert_eq!(ics, expected);
        assert_eq!(
            content_type(IcsMethod::Request),
            "text/calendar; charset=utf-8; method=REQUEST"
        );
    }

    #[test]
    fn a_feed_holds_every_entry_with_its_revision() {
        let entry = FeedEntry {
            uid: "a@pitlane.example",
            sequence: 2,
            start: at(2026, 11, 21, 9, 30),
            end: at(2026, 11, 21, 10, 30),
            modified: at(2026, 11, 14, 16, 5),
            summary: "MOT test · Sam Driver",
            description: None,
            location: Some("Unit 4, Mill Lane"),
            url: None,
            tentative: false,
        };
        let ics = feed(
            "Pitlane · Bay 1",
            &[
                entry.clone(),
                FeedEntry {
                    uid: "b@pitlane.example",
                    tentative: true,
                    ..entry
                },
            ],
        );
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:"));
        assert!(!ics.contains("METHOD:"));
        assert!(ics.contains("\r\nNAME:Pitlane · Bay 1\r\n"));
        assert!(ics.contains("\r\nREFRESH-INTERVAL;VALUE=DURATION:PT15M\r\n"));
        assert_eq!(ics.matches("BEGIN:VEVENT").count(), 2);
        assert!(ics.contains("\r\nSEQUENCE:2\r\nDTSTAMP:20261114T160500Z\r\n"));
        assert!(ics.contains("\r\nLOCATION:Unit 4\\, Mill Lane\r\n"));
        assert!(ics.contains("\r\nSTATUS:TENTATIVE\r\n"));
        assert!(ics.ends_with("END:VEVENT\r\nEND:VCALENDAR\r\n"));
        assert!(ics.split("\r\n").all(|l| l.len() <= 75));
    }

    #[test]
    fn text_and_names_are_escaped() {
        let ics = calendar(&IcsEvent {
            summary: "Brakes; pads, discs \\ fluid",
            description: Some("Line one\r\nLine two\nLine three\u{7}"),
            organizer_name: "Kwik \"Fit\": Garage",
            attendee_name: Some("Driver, Sam"),
            ..event()
        });
        assert!(ics.contains("\r\nSUMMARY:Brakes\\; pads\\, discs \\\\ fluid\r\n"));
        assert!(ics.contains("\r\nDESCRIPTION:Line one\\nLine two\\nLine three\r\n"));
        assert!(ics.contains("\r\nORGANIZER;CN=\"Kwik Fit: Garage\":mailto:"));
        assert!(ics.contains("\r\nATTENDEE;CN=\"Driver, Sam\";ROLE="));
        assert!(!ics.replace("\r\n", "").contains(['\r', '\n']));
    }

    #[test]
    fn an_attendee_without_a_name_has_no_cn_and_without_an_email_is_left_out() {
        let nameless = calendar(&IcsEvent {
            attendee_name: None,
            ..event()
        });
        assert!(
            nameless.contains(
                "\r\nATTENDEE;ROLE=REQ-PARTICIPANT;RSVP=FALSE:mailto:sam@example.com\r\n"
            )
        );
        let none = calendar(&IcsEvent {
            attendee_email: None,
            ..event()
        });
        assert!(!none.contains("ATTENDEE"));
    }

    #[test]
    fn long_utf8_lines_fold_between_characters() {
        let description =
            "Überprüfung der Bremsanlage — Beläge & Scheiben 🚗🔧, Ölwechsel; ".repeat(6);
        let ics = calendar(&IcsEvent {
            description: Some(&description),
            ..event()
        });
        let body = ics.strip_suffix("\r\n").unwrap();
        for line in body.split("\r\n") {
            assert!(line.len() <= 75, "{} octets: {line}", line.len());
        }
        assert!(body.split("\r\n").any(|l| l.starts_with(' ')));
        assert!(unfold(&ics).contains(&format!("\r\nDESCRIPTION:{}\r\n", text(&description))));
    }

    #[test]
    fn a_character_that_would_straddle_the_limit_moves_to_the_next_line() {
        // 73 octets of prefix leave 2, too few for the 4-octet emoji.
        let summary = format!("{}🚗 done", "a".repeat(73 - "SUMMARY:".len()));
        let ics = calendar(&IcsEvent {
            summary: &summary,
            ..event()
        });
        let expected = format!("\r\nSUMMARY:{}\r\n 🚗 done\r\n", "a".repeat(65));
        assert!(ics.contains(&expected), "{ics}");
    }

    #[test]
    fn a_cancellation_keeps_the_uid() {
        let request = calendar(&event());
        let cancel = calendar(&IcsEvent {
            method: IcsMethod::Cancel,
            sequence: 1,
            ..event()
        });
        assert!(cancel.contains("\r\nMETHOD:CANCEL\r\n"));
        assert!(cancel.contains("\r\nSTATUS:CANCELLED\r\n"));
        assert!(cancel.contains("\r\nSEQUENCE:1\r\n"));
        assert!(!cancel.contains("CONFIRMED"));
        let uid = |ics: &str| {
            ics.split("\r\n")
                .find(|l| l.starts_with("UID:"))
                .map(str::to_owned)
        };
        assert_eq!(uid(&request), uid(&cancel));
        assert_eq!(
            content_type(IcsMethod::Cancel),
            "text/calendar; charset=utf-8; method=CANCEL"
        );
    }
}
