//! Platforms (tenants) that use Verity.

use crate::{ClientId, UnixTime};

/// Whether a client gets sandbox controls (scripted outcomes) or only the real pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Sandbox,
    Production,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Sandbox => "sandbox",
            Environment::Production => "production",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "sandbox" => Some(Environment::Sandbox),
            "production" => Some(Environment::Production),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    pub id: ClientId,
    pub name: String,
    pub environment: Environment,
    /// Hosted IDV must be activated per platform, as at Mangopay; creating a session otherwise
    /// answers the "feature not activated" 403.
    pub idv_enabled: bool,
    /// Verity extension: send unclear natural-user cases to manual review (production clients
    /// without an automatic face match); off by default, as at Mangopay.
    pub natural_review: bool,
    pub created_at: UnixTime,
    pub branding: Branding,
}

/// Languages of the hosted pages, in the order the language switcher shows them.
pub const PAGE_LANGUAGES: [&str; 11] = ["en", "fr", "de", "es", "it", "nl", "pt", "pl", "ro", "lt", "zh"];

/// Whether the hosted pages speak a language (an ISO 639-1 code).
pub fn page_language_supported(code: &str) -> bool {
    PAGE_LANGUAGES.contains(&code)
}

/// How a client's hosted pages look (a Verity extension).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Branding {
    /// Name shown to end users; the client's name when unset.
    pub display_name: Option<String>,
    /// Logo as a `data:image/png;base64,...` or `data:image/svg+xml;base64,...` URI.
    pub logo: Option<String>,
    /// Primary colour, `#rrggbb`.
    pub primary_color: Option<String>,
    /// Language of the pages when the browser asks for none Verity has.
    pub default_language: Option<String>,
    /// Origins allowed to embed the hosted pages in a frame (CSP `frame-ancestors`).
    pub frame_ancestors: Vec<String>,
}
