//! IDV sessions: the object a platform creates for one of its users, its statuses and the one
//! state machine that moves it between them.

use serde::{Deserialize, Serialize};

use crate::user::{LegalPersonType, User, UserCategory, UserStatus};
use crate::validation::FieldErrors;
use crate::{ClientId, SessionId, UnixTime, UserId};

/// Characters escaped in a query component: everything but RFC 3986's unreserved set.
const URL_COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Longest `ReturnUrl` accepted (the object page's limit; see the product decisions).
pub const RETURN_URL_MAX: usize = 500;
pub const TAG_MAX: usize = 255;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SessionStatus {
    Pending,
    Review,
    Validated,
    Refused,
    Expired,
    OutOfDate,
}

impl SessionStatus {
    pub const ALL: [SessionStatus; 6] = [
        Self::Pending,
        Self::Review,
        Self::Validated,
        Self::Refused,
        Self::Expired,
        Self::OutOfDate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Review => "REVIEW",
            Self::Validated => "VALIDATED",
            Self::Refused => "REFUSED",
            Self::Expired => "EXPIRED",
            Self::OutOfDate => "OUT_OF_DATE",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// The only transitions that exist. Everything else is refused, always.
    pub fn can_become(self, next: SessionStatus) -> bool {
        use SessionStatus::*;
        matches!(
            (self, next),
            (Pending, Validated | Refused | Review | Expired) | (Review, Validated | Refused) | (Validated, OutOfDate)
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypedValue {
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(rename = "Value")]
    pub value: Option<String>,
}

/// One automated or manual check of a session, as shown in `Checks[]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub reasons: Vec<TypedValue>,
    pub data: Vec<TypedValue>,
    pub created_at: UnixTime,
    pub updated_at: UnixTime,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdvSession {
    pub id: SessionId,
    pub client_id: ClientId,
    pub user_id: UserId,
    pub tag: Option<String>,
    pub return_url: String,
    /// Secret part of the hosted link. Knowing the session id never gives it away.
    pub hosted_token: String,
    pub status: SessionStatus,
    pub created_at: UnixTime,
    /// `None` until the session first changes after creation.
    pub updated_at: Option<UnixTime>,
    pub checks: Vec<Check>,
    /// When a still-PENDING session becomes EXPIRED.
    pub expires_at: UnixTime,
    /// A sandbox outcome scripted by a `Tag` directive, and when it applies.
    pub scripted: Option<(crate::sandbox::Directive, UnixTime)>,
    /// Which flow the session belongs to: the single-session flow, or the PSC flow's main
    /// session or one PSC's own session.
    pub flow: SessionFlow,
    /// The `SessionLanguage` asked for at creation (its `lng` goes on the hosted link).
    pub language: Option<SessionLanguage>,
    /// Optimistic-concurrency version, checked and bumped by every write.
    pub version: i64,
}

/// Which flow a session belongs to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum SessionFlow {
    /// Today's single session: the user (or the legal representative) proves everything in it.
    #[default]
    Single,
    /// A legal user's main session in the PSC flow: company data and the PSC declaration; each
    /// PSC then proves who they are in a session of their own.
    PscMain,
    /// One PSC's own session (document, selfie, liveness).
    Psc(crate::psc::PscId),
}

impl SessionFlow {
    /// Only a PSC flow's main session declares PSCs.
    pub fn declares_pscs(&self) -> bool {
        matches!(self, SessionFlow::PscMain)
    }

    /// Storage form: the flow's name, and the PSC's id for a PSC session.
    pub fn to_columns(&self) -> (&'static str, Option<&str>) {
        match self {
            SessionFlow::Single => ("SINGLE", None),
            SessionFlow::PscMain => ("PSC_MAIN", None),
            SessionFlow::Psc(id) => ("PSC", Some(id.as_str())),
        }
    }

    pub fn from_columns(flow: &str, psc: Option<String>) -> Option<SessionFlow> {
        match (flow, psc) {
            ("SINGLE", _) => Some(SessionFlow::Single),
            ("PSC_MAIN", _) => Some(SessionFlow::PscMain),
            ("PSC", Some(id)) => Some(SessionFlow::Psc(crate::psc::PscId::from_raw(id))),
            _ => None,
        }
    }

    pub fn psc(&self) -> Option<&crate::psc::PscId> {
        match self {
            SessionFlow::Psc(id) => Some(id),
            _ => None,
        }
    }
}

/// `SessionLanguage` values of Create an IDV Session (September 2026).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionLanguage {
    German,
    English,
    Spanish,
    French,
    Italian,
    Dutch,
    Portuguese,
    SimplifiedChinese,
}

impl SessionLanguage {
    pub const ALL: [SessionLanguage; 8] = [
        Self::German,
        Self::English,
        Self::Spanish,
        Self::French,
        Self::Italian,
        Self::Dutch,
        Self::Portuguese,
        Self::SimplifiedChinese,
    ];

    /// The wire value (`de-DE`, ..., `zh-Hans-CN`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::German => "de-DE",
            Self::English => "en-US",
            Self::Spanish => "es-ES",
            Self::French => "fr-FR",
            Self::Italian => "it-IT",
            Self::Dutch => "nl-NL",
            Self::Portuguese => "pt-PT",
            Self::SimplifiedChinese => "zh-Hans-CN",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == raw)
    }

    /// The hosted pages' language code, as the `lng` parameter carries it.
    pub fn page_language(self) -> &'static str {
        match self {
            Self::German => "de",
            Self::English => "en",
            Self::Spanish => "es",
            Self::French => "fr",
            Self::Italian => "it",
            Self::Dutch => "nl",
            Self::Portuguese => "pt",
            Self::SimplifiedChinese => "zh",
        }
    }
}

impl IdvSession {
    /// The link given to the end user: the public base, the unguessable token, and the platform's
    /// `ReturnUrl` percent-encoded as `redirectURL`, as in Mangopay's links.
    pub fn hosted_url(&self, public_base: &str) -> String {
        let encoded = percent_encoding::utf8_percent_encode(&self.return_url, URL_COMPONENT);
        let lng = self
            .language
            .map(|l| format!("&lng={}", l.page_language()))
            .unwrap_or_default();
        format!(
            "{}/verify/{}?redirectURL={}{lng}",
            public_base.trim_end_matches('/'),
            self.hosted_token,
            encoded
        )
    }
}

/// A validated create request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSession {
    pub return_url: String,
    pub tag: Option<String>,
    pub language: Option<SessionLanguage>,
}

impl NewSession {
    /// Validates `ReturnUrl` (required, absolute http(s), at most 500 characters, echoed back
    /// exactly as sent) and `Tag` (at most 255 characters).
    pub fn parse(
        return_url: Option<String>,
        tag: Option<String>,
        language: Option<String>,
    ) -> Result<NewSession, FieldErrors> {
        let mut errors = FieldErrors::new();
        match &return_url {
            None => errors.required("ReturnUrl"),
            Some(u) if u.trim().is_empty() => errors.required("ReturnUrl"),
            Some(u) if u.chars().count() > RETURN_URL_MAX => errors.max_len("ReturnUrl", RETURN_URL_MAX),
            Some(u) if !is_absolute_http_url(u) => errors.add(
                "ReturnUrl",
                "The ReturnUrl field must be an absolute http or https URL.",
            ),
            Some(_) => {}
        }
        if tag.as_ref().is_some_and(|t| t.chars().count() > TAG_MAX) {
            errors.max_len("Tag", TAG_MAX);
        }
        let language = match language.as_deref() {
            None => None,
            Some(raw) => {
                let parsed = SessionLanguage::parse(raw);
                if parsed.is_none() {
                    errors.add(
                        "SessionLanguage",
                        "The SessionLanguage field must be one of de-DE, en-US, es-ES, fr-FR, it-IT, nl-NL, pt-PT, zh-Hans-CN.",
                    );
                }
                parsed
            }
        };
        errors.into_result()?;
        Ok(NewSession {
            return_url: return_url.unwrap_or_default(),
            tag,
            language,
        })
    }
}

fn is_absolute_http_url(raw: &str) -> bool {
    match url::Url::parse(raw) {
        Ok(u) => matches!(u.scheme(), "http" | "https") && u.host().is_some() && !raw.contains(char::is_whitespace),
        Err(_) => false,
    }
}

/// Why a user cannot get a session, each with its Mangopay error body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionRefusal {
    /// 400 "UserId is not valid".
    UserNotValid,
    /// 400 "only available for users categorised as Owner".
    NotOwner,
    /// 400 "The LegalUserType PARTNERSHIP is not currently supported...".
    UnsupportedLegalType(LegalPersonType),
}

/// Whether `user` may be given a hosted session.
pub fn check_user_eligible(user: &User) -> Result<(), SessionRefusal> {
    if user.status == UserStatus::Closed {
        return Err(SessionRefusal::UserNotValid);
    }
    if user.category != UserCategory::Owner {
        return Err(SessionRefusal::NotOwner);
    }
    if let Some(t @ LegalPersonType::Partnership) = user.legal_person_type() {
        return Err(SessionRefusal::UnsupportedLegalType(t));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_documented_transitions_exist() {
        use SessionStatus::*;
        let allowed = [
            (Pending, Validated),
            (Pending, Refused),
            (Pending, Review),
            (Pending, Expired),
            (Review, Validated),
            (Review, Refused),
            (Validated, OutOfDate),
        ];
        for from in SessionStatus::ALL {
            for to in SessionStatus::ALL {
                assert_eq!(from.can_become(to), allowed.contains(&(from, to)), "{from:?} -> {to:?}");
            }
        }
    }

    #[test]
    fn return_url_rules() {
        assert!(NewSession::parse(Some("https://example.com".into()), None, None).is_ok());
        assert!(NewSession::parse(None, None, None).unwrap_err().contains("ReturnUrl"));
        assert!(NewSession::parse(Some("example.com".into()), None, None).is_err());
        assert!(NewSession::parse(Some("ftp://example.com".into()), None, None).is_err());
        let long = format!("https://example.com/{}", "a".repeat(481));
        assert_eq!(long.len(), 501);
        assert!(NewSession::parse(Some(long[..500].to_owned()), None, None).is_ok());
        assert!(NewSession::parse(Some(long), None, None).is_err());
        assert!(
            NewSession::parse(Some("https://e.com".into()), Some("t".repeat(256)), None)
                .unwrap_err()
                .contains("Tag")
        );
    }

    #[test]
    fn session_language_is_checked_and_goes_on_the_link() {
        let ok = NewSession::parse(Some("https://e.com".into()), None, Some("zh-Hans-CN".into())).unwrap();
        assert_eq!(ok.language, Some(SessionLanguage::SimplifiedChinese));
        let bad = NewSession::parse(Some("https://e.com".into()), None, Some("zh".into())).unwrap_err();
        assert!(bad.contains("SessionLanguage"));
    }

    #[test]
    fn hosted_url_encodes_the_return_url() {
        let s = IdvSession {
            id: SessionId::from_raw("idnver_X"),
            client_id: ClientId::from_raw("c"),
            user_id: UserId::from_raw("u"),
            tag: None,
            return_url: "https://example.com/a?b=c".into(),
            hosted_token: "tok".into(),
            status: SessionStatus::Pending,
            created_at: 0,
            updated_at: None,
            checks: vec![],
            expires_at: 0,
            scripted: None,
            flow: SessionFlow::Single,
            language: None,
            version: 0,
        };
        assert_eq!(
            s.hosted_url("http://127.0.0.1:8080/"),
            "http://127.0.0.1:8080/verify/tok?redirectURL=https%3A%2F%2Fexample.com%2Fa%3Fb%3Dc"
        );
    }
}
