//! How console pages are rendered: askama templates under `templates/console/`, one per page,
//! extending `layout.html`. Every value is escaped by [`Html`]; no template marks anything built
//! from input or stored data as safe.

use std::fmt;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use verity_domain::User;
use verity_domain::hosted::format_date;
use verity_domain::user::Person;

use super::Staff;

/// The console's HTML escaper, named in `templates/console/askama.toml`: `&`, `<`, `>`, `"` and
/// `'` become `&amp;`, `&lt;`, `&gt;`, `&quot;` and `&#39;`, the entities the console has always
/// written (askama's own escaper writes numeric ones).
#[derive(Clone, Copy, Debug, Default)]
pub struct Html;

impl askama::filters::Escaper for Html {
    fn write_escaped_str<W: fmt::Write>(&self, mut dest: W, text: &str) -> fmt::Result {
        let mut start = 0;
        for (i, byte) in text.bytes().enumerate() {
            let entity = match byte {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                b'\'' => "&#39;",
                _ => continue,
            };
            dest.write_str(&text[start..i])?;
            dest.write_str(entity)?;
            start = i + 1;
        }
        dest.write_str(&text[start..])
    }
}

/// What the layout shows around a page: every page template has it as `page`.
pub(super) struct Frame {
    pub title: String,
    /// The navigation, for a signed-in staff member.
    pub nav: Option<Nav>,
}

pub(super) struct Nav {
    pub name: String,
    pub role: &'static str,
    pub csrf: String,
    pub reads_audit: bool,
    /// Operators manage staff.
    pub manages_staff: bool,
}

impl Frame {
    /// The frame of a page a staff member sees.
    pub fn of(staff: &Staff, title: impl Into<String>) -> Frame {
        Frame {
            title: title.into(),
            nav: Some(Nav {
                name: staff.record.display_name.clone(),
                role: staff.role.as_str(),
                csrf: staff.csrf.clone(),
                reads_audit: staff.role.can_read_audit(),
                manages_staff: staff.role.can_operate(),
            }),
        }
    }

    /// The frame of a page shown before signing in, or when the staff member is unknown.
    pub fn anonymous(title: impl Into<String>) -> Frame {
        Frame {
            title: title.into(),
            nav: None,
        }
    }
}

/// A page with one message in an alert.
#[derive(Template)]
#[template(path = "console/message.html", config = "templates/console/askama.toml")]
struct MessagePage<'a> {
    page: Frame,
    message: &'a str,
}

/// The response of a rendered page.
pub(super) fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, axum::response::Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot render a console page");
            (StatusCode::INTERNAL_SERVER_ERROR, "The page cannot be shown.").into_response()
        }
    }
}

/// A page with one message, titled `title`, for a staff member or for nobody.
pub(super) fn message(status: StatusCode, staff: Option<&Staff>, title: &str, message: &str) -> Response {
    let page = match staff {
        Some(s) => Frame::of(s, title),
        None => Frame::anonymous(title),
    };
    render(status, &MessagePage { page, message })
}

pub(super) fn error_page(status: StatusCode, message: &str) -> Response {
    self::message(status, None, "Something went wrong", message)
}

pub(super) fn forbidden(staff: &Staff, message: &str) -> Response {
    self::message(StatusCode::FORBIDDEN, Some(staff), "Not allowed", message)
}

pub(super) fn unavailable(e: impl fmt::Display) -> Response {
    tracing::error!(error = %e, "console storage error");
    error_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "The console cannot reach its storage; try again.",
    )
}

/// An action whose audit entry cannot be written is not done.
pub(super) fn unrecorded() -> Response {
    error_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "The audit log cannot be written; nothing was done.",
    )
}

pub(super) fn date(ts: i64) -> String {
    format_date(ts)
}

/// A date and time of day, UTC: `2026-11-30 14:05 UTC`.
pub(super) fn date_time(ts: i64) -> String {
    let secs = ts.rem_euclid(86_400);
    format!("{} {:02}:{:02} UTC", format_date(ts), secs / 3600, secs % 3600 / 60)
}

/// A time of day, UTC, with the date when it is not today: `14:05 UTC` or `2026-12-01 14:05 UTC`.
pub(super) fn time_of_day(ts: i64, now: i64) -> String {
    if ts.div_euclid(86_400) == now.div_euclid(86_400) {
        let secs = ts.rem_euclid(86_400);
        format!("{:02}:{:02} UTC", secs / 3600, secs % 3600 / 60)
    } else {
        date_time(ts)
    }
}

/// A duration as people say it: `45 min`, `3 h 05 min`, `2 d 4 h`.
pub(super) fn duration(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..3600 => format!("{} min", s / 60),
        3600..86_400 => format!("{} h {:02} min", s / 3600, s % 3600 / 60),
        _ => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
    }
}

/// A term and its description, in a `<dl>`.
pub(super) type Fact = (&'static str, String);

/// The facts with a value.
pub(super) fn facts(items: Vec<Fact>) -> Vec<Fact> {
    items.into_iter().filter(|(_, v)| !v.is_empty()).collect()
}

/// What the platform told of a user.
pub(super) fn user_facts(user: &User) -> Vec<Fact> {
    let birthday = |b: Option<i64>| b.map(date).unwrap_or_default();
    facts(match &user.person {
        Person::Natural(n) => vec![
            ("Type", "Natural person".into()),
            ("First name", n.first_name.clone()),
            ("Last name", n.last_name.clone()),
            ("Birthday", birthday(n.birthday)),
            (
                "Nationality",
                crate::hosted::countries::label(n.nationality.as_deref().unwrap_or("")),
            ),
            ("Email", n.email.clone()),
            ("KYC level", user.kyc_level.as_str().into()),
        ],
        Person::Legal(l) => vec![
            ("Type", l.legal_person_type.as_str().into()),
            ("Name", l.name.clone()),
            ("Company number", l.company_number.clone().unwrap_or_default()),
            (
                "Legal representative",
                format!(
                    "{} {}",
                    l.legal_representative.first_name, l.legal_representative.last_name
                ),
            ),
            ("Representative's birthday", birthday(l.legal_representative.birthday)),
            ("Email", l.email.clone()),
            ("KYC level", user.kyc_level.as_str().into()),
        ],
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_read_as_people_say_them() {
        let t = 1_796_000_000; // 2026-11-30 00:53:20 UTC
        assert_eq!(super::date_time(t), "2026-11-30 00:53 UTC");
        assert_eq!(super::time_of_day(t, t + 60), "00:53 UTC");
        assert_eq!(super::time_of_day(t, t + 86_400), "2026-11-30 00:53 UTC");
        assert_eq!(super::duration(59 * 60), "59 min");
        assert_eq!(super::duration(3 * 3600 + 5 * 60), "3 h 05 min");
        assert_eq!(super::duration(2 * 86_400 + 4 * 3600), "2 d 4 h");
    }
}
