//! Path normalisation, applied before routing: SDKs send `/V2_01/oauth/token`,
//! `/users/{Id}/KYC/documents/` or `/category/`, so literal segments are matched without regard
//! to case and one trailing slash is ignored. Identifiers are never touched: only segments that
//! spell a word of the API's own vocabulary are lower-cased.

use axum::http::{Request, Uri};

/// Every literal path segment the API routes use.
const VOCABULARY: &[&str] = &[
    "v2.01",
    "oauth",
    "token",
    "users",
    "natural",
    "legal",
    "sca",
    "category",
    "enrollment",
    "identity-verifications",
    "checks",
    "responses",
    "kyc",
    "documents",
    "pages",
    "consult",
    "pscs",
    "retry",
    "verified-identity",
    "verified-documents",
    "regulatory",
    "ubodeclarations",
    "ubos",
    "data-formats",
    "validation",
    "hooks",
    "events",
    "sandbox",
    "outcome",
    "expire",
    "downgrade",
];

/// Rewrites the request URI in place; see the module documentation.
pub fn normalize<B>(mut req: Request<B>) -> Request<B> {
    if let Some(path) = normalized_path(req.uri().path()) {
        let mut parts = req.uri().clone().into_parts();
        let pq = match req.uri().query() {
            Some(q) => format!("{path}?{q}"),
            None => path,
        };
        if let Ok(pq) = pq.parse() {
            parts.path_and_query = Some(pq);
            if let Ok(uri) = Uri::from_parts(parts) {
                *req.uri_mut() = uri;
            }
        }
    }
    req
}

/// The normalised path, or `None` when it is already normal.
fn normalized_path(path: &str) -> Option<String> {
    if path == "/" {
        return None;
    }
    let trimmed = if path.len() > 1 {
        path.strip_suffix('/').unwrap_or(path)
    } else {
        path
    };
    let mut out = String::with_capacity(trimmed.len());
    let mut after_responses = false;
    // Repeated slashes collapse (Python builds `/responses//{key}`).
    let segments = trimmed
        .split('/')
        .enumerate()
        .filter(|(i, s)| *i == 0 || !s.is_empty())
        .map(|(_, s)| s);
    for (i, segment) in segments.enumerate() {
        if i > 0 {
            out.push('/');
        }
        // The version segment: `v2.01` in any case, or Java's `V2_01`.
        let lowered = if i == 1 && segment.eq_ignore_ascii_case("v2_01") {
            Some("v2.01")
        } else if after_responses {
            None
        } else {
            VOCABULARY.iter().copied().find(|w| w.eq_ignore_ascii_case(segment))
        };
        // An idempotency key may spell anything: never rewrite it.
        after_responses = segment.eq_ignore_ascii_case("responses");
        out.push_str(lowered.unwrap_or(segment));
    }
    (out != path).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::normalized_path as n;

    #[test]
    fn literal_segments_lose_case_and_trailing_slash() {
        assert_eq!(n("/V2_01/oauth/token").as_deref(), Some("/v2.01/oauth/token"));
        assert_eq!(n("/v2.01/oauth/token/").as_deref(), Some("/v2.01/oauth/token"));
        assert_eq!(
            n("/v2.01/acme/Users/user_m_01ABC/KYC/documents/").as_deref(),
            Some("/v2.01/acme/users/user_m_01ABC/kyc/documents")
        );
        assert_eq!(
            n("/v2.01/acme/sca/users/natural/user_m_01ABC/category/").as_deref(),
            Some("/v2.01/acme/sca/users/natural/user_m_01ABC/category")
        );
    }

    #[test]
    fn identifiers_are_kept() {
        assert_eq!(
            n("/v2.01/acme/identity-verifications/idnver_01JH2ZK1MKAMG5H2Q20M5K6020"),
            None
        );
        assert_eq!(n("/v2.01/acme/responses/Users-Users-Users-1"), None);
        assert_eq!(n("/"), None);
        assert_eq!(
            n("/v2.01/acme/responses//key-0123456789abcdef").as_deref(),
            Some("/v2.01/acme/responses/key-0123456789abcdef")
        );
    }
}
