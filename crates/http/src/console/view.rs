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
            ("Nationality", n.nationality.clone().unwrap_or_default()),
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
