//! Reading requests the way Mangopay's SDKs send them, and writing JSON and list responses.
//!
//! The SDKs disagree on value types (Python sends `1` for `true` and numbers as strings, Java adds
//! `"CreationDate": 0`, Ruby sends `{}` bodies on GETs), so request bodies are read leniently into
//! typed values here, collecting one clear message per field that cannot be understood.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value};
use verity_domain::FieldErrors;
use verity_store::{PageRequest, SortDirection};

use crate::error::ApiError;

/// Largest JSON body the API accepts.
pub const JSON_BODY_LIMIT: usize = 1024 * 1024;

/// Answers `response` to a request refused before its handler read the body (a bad token, a
/// rate limit, an `Idempotency-Key` in use), reading the body first, up to [`JSON_BODY_LIMIT`]:
/// with its body unread the connection is closed, and a client that sent its body after its
/// headers (urllib3 does) and its next request on the same connection sees "connection closed
/// without response".
pub async fn refuse_unread(req: Request, response: Response) -> Response {
    let _ = axum::body::to_bytes(req.into_body(), JSON_BODY_LIMIT).await;
    response
}

/// A request body as a JSON object. An empty body reads as `{}` (SDKs send none on some POSTs),
/// except on a `PUT`: an update without a body is refused with a `param_error`, as Mangopay does.
pub struct JsonBody(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let put = req.method() == Method::PUT;
        let bytes = axum::body::to_bytes(req.into_body(), JSON_BODY_LIMIT)
            .await
            .map_err(|_| ApiError::PayloadTooLarge(JSON_BODY_LIMIT))?;
        if put && is_blank(&bytes) {
            return Err(ApiError::param("Body", "The request body is required."));
        }
        parse_object(&bytes).map(JsonBody)
    }
}

fn is_blank(bytes: &[u8]) -> bool {
    bytes.iter().all(u8::is_ascii_whitespace)
}

pub fn parse_object(bytes: &Bytes) -> Result<Map<String, Value>, ApiError> {
    if is_blank(bytes) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::param("Body", "The request body must be a JSON object.")),
        Err(e) => Err(ApiError::param(
            "Body",
            format!("The request body is not valid JSON: {e}."),
        )),
    }
}

/// Typed, lenient access to the fields of a JSON object, collecting errors as it goes.
pub struct Fields<'a> {
    map: &'a Map<String, Value>,
    prefix: String,
    pub errors: FieldErrors,
}

impl<'a> Fields<'a> {
    pub fn new(map: &'a Map<String, Value>) -> Self {
        Fields {
            map,
            prefix: String::new(),
            errors: FieldErrors::new(),
        }
    }

    fn name(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.prefix)
        }
    }

    fn invalid(&mut self, key: &str, value: &Value) {
        let name = self.name(key);
        self.errors
            .add(name.clone(), format!("The value {value} is not valid for {name}."));
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The raw JSON of a field, for shapes read by hand.
    pub fn raw(&self, key: &str) -> Option<&'a Value> {
        self.get(key)
    }

    /// A string; numbers and booleans are taken as their text.
    pub fn string(&mut self, key: &str) -> Option<String> {
        match self.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            other => {
                self.invalid(key, other);
                None
            }
        }
    }

    /// An integer; integral floats and numeric strings are accepted.
    pub fn int(&mut self, key: &str) -> Option<i64> {
        let value = self.get(key)?;
        let parsed = match value {
            Value::Number(n) => n.as_i64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            }),
            Value::String(s) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        if parsed.is_none() {
            self.invalid(key, value);
        }
        parsed
    }

    /// A boolean; `1`/`0` and `"true"`/`"false"` are accepted (Python sends integers).
    pub fn boolean(&mut self, key: &str) -> Option<bool> {
        let value = self.get(key)?;
        let parsed = match value {
            Value::Bool(b) => Some(*b),
            Value::Number(n) => match n.as_i64() {
                Some(1) => Some(true),
                Some(0) => Some(false),
                _ => None,
            },
            Value::String(s) => match s.to_ascii_lowercase().as_str() {
                "true" | "1" => Some(true),
                "false" | "0" => Some(false),
                _ => None,
            },
            _ => None,
        };
        if parsed.is_none() {
            self.invalid(key, value);
        }
        parsed
    }

    /// One of a fixed set of upper-case values.
    pub fn one_of<T>(&mut self, key: &str, parse: impl Fn(&str) -> Option<T>) -> Option<T> {
        let raw = self.string(key)?;
        let parsed = parse(&raw);
        if parsed.is_none() {
            let name = self.name(key);
            self.errors
                .add(name.clone(), format!("The value {raw} is not valid for {name}."));
        }
        parsed
    }

    /// A nested object, read with its own field names prefixed (`Address.City`).
    pub fn object<T>(&mut self, key: &str, read: impl FnOnce(&mut Fields<'a>) -> T) -> Option<T> {
        match self.get(key)? {
            Value::Object(map) => {
                let mut nested = Fields {
                    map,
                    prefix: self.name(key),
                    errors: FieldErrors::new(),
                };
                let out = read(&mut nested);
                self.errors.merge(nested.errors);
                Some(out)
            }
            other => {
                self.invalid(key, other);
                None
            }
        }
    }
}

/// A JSON response with Mangopay's content type.
pub fn json_response(status: StatusCode, body: &impl Serialize) -> Response {
    match serde_json::to_string(body) {
        Ok(text) => {
            let mut r = (status, text).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            );
            r
        }
        Err(e) => ApiError::internal(e).into_response(),
    }
}

/// Pagination and sorting parameters of a list request.
#[derive(Clone, Debug)]
pub struct ListQuery {
    pub page: PageRequest,
    /// `Sort` as sent, echoed in `Link` URLs.
    pub sort: Option<String>,
}

pub const PER_PAGE_DEFAULT: u32 = 10;
pub const PER_PAGE_MAX: u32 = 100;

impl ListQuery {
    /// Reads `page`, `per_page` and `Sort` (only `CreationDate` can be sorted on). Unknown
    /// parameters are ignored, as SDKs add their own (`user_id`, `ScaContext`).
    pub fn parse(query: Option<&str>) -> Result<ListQuery, ApiError> {
        Self::parse_sorted_by(query, "CreationDate")
    }

    /// As [`ListQuery::parse`], for a list sorted by `field`.
    pub fn parse_sorted_by(query: Option<&str>, field: &str) -> Result<ListQuery, ApiError> {
        let mut errors = FieldErrors::new();
        let mut page = 1;
        let mut per_page = PER_PAGE_DEFAULT;
        let mut direction = SortDirection::Asc;
        let mut sort = None;
        for (k, v) in url_pairs(query.unwrap_or("")) {
            match k.to_ascii_lowercase().as_str() {
                "page" => match v.parse::<u32>() {
                    Ok(p) if p >= 1 => page = p,
                    _ => errors.add(
                        "page",
                        "The page parameter must be an integer greater than or equal to 1.",
                    ),
                },
                "per_page" => match v.parse::<u32>() {
                    Ok(p) if (1..=PER_PAGE_MAX).contains(&p) => per_page = p,
                    _ => errors.add(
                        "per_page",
                        format!("The per_page parameter must be an integer between 1 and {PER_PAGE_MAX}."),
                    ),
                },
                "sort" => {
                    let (name, dir) = v.split_once(':').unwrap_or((v.as_str(), "ASC"));
                    let dir = match dir.to_ascii_uppercase().as_str() {
                        "ASC" => Some(SortDirection::Asc),
                        "DESC" => Some(SortDirection::Desc),
                        _ => None,
                    };
                    match (name.eq_ignore_ascii_case(field), dir) {
                        (true, Some(d)) => {
                            direction = d;
                            sort = Some(v.clone());
                        }
                        _ => errors.add("Sort", format!("Sort must be {field}:ASC or {field}:DESC.")),
                    }
                }
                _ => {}
            }
        }
        errors.into_result()?;
        Ok(ListQuery {
            page: PageRequest {
                page,
                per_page,
                direction,
            },
            sort,
        })
    }

    /// `X-Number-Of-Pages`, `X-Number-Of-Items` and `Link`, for list responses only (Java and PHP
    /// fill a pagination object from them and would fail on other responses).
    pub fn headers(&self, total_items: u64, base_url: &str) -> HeaderMap {
        let per_page = u64::from(self.page.per_page);
        let pages = total_items.div_ceil(per_page);
        let mut h = HeaderMap::new();
        h.insert("x-number-of-pages", HeaderValue::from(pages));
        h.insert("x-number-of-items", HeaderValue::from(total_items));
        let sort = self
            .sort
            .as_ref()
            .map(|s| format!("&Sort={}", encode(s)))
            .unwrap_or_default();
        let link = |page: u64, rel: &str| format!("<{base_url}?page={page}&per_page={per_page}{sort}>; rel=\"{rel}\"");
        let current = u64::from(self.page.page);
        let last = pages.max(1);
        let mut links = vec![link(1, "first")];
        if current > 1 {
            links.push(link((current - 1).min(last), "prev"));
        }
        if current < pages {
            links.push(link(current + 1, "next"));
        }
        links.push(link(last, "last"));
        if let Ok(v) = HeaderValue::from_str(&links.join(", ")) {
            h.insert(header::LINK, v);
        }
        h
    }
}

fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Decodes `a=b&c=d` (percent and `+` decoding), keeping repeated keys.
pub fn url_pairs(query: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_values() {
        let map: Map<String, Value> = serde_json::from_str(
            r#"{"a": 1, "b": "0", "c": true, "n": "42", "f": 188352000.0, "s": 3, "bad": "x", "o": {"City": 5}}"#,
        )
        .unwrap();
        let mut f = Fields::new(&map);
        assert_eq!(f.boolean("a"), Some(true));
        assert_eq!(f.boolean("b"), Some(false));
        assert_eq!(f.boolean("c"), Some(true));
        assert_eq!(f.int("n"), Some(42));
        assert_eq!(f.int("f"), Some(188_352_000));
        assert_eq!(f.string("s").as_deref(), Some("3"));
        assert_eq!(f.string("missing"), None);
        assert!(f.errors.is_empty());
        assert_eq!(f.int("bad"), None);
        assert_eq!(f.object("o", |o| o.string("City")), Some(Some("5".into())));
        assert!(f.errors.contains("bad"));
    }

    #[test]
    fn list_query_limits() {
        let q = ListQuery::parse(Some("page=2&per_page=5&Sort=CreationDate:DESC&user_id=x")).unwrap();
        assert_eq!(
            (q.page.page, q.page.per_page, q.page.direction),
            (2, 5, SortDirection::Desc)
        );
        assert!(ListQuery::parse(Some("per_page=101")).is_err());
        assert!(ListQuery::parse(Some("page=0")).is_err());
        assert!(ListQuery::parse(Some("Sort=Name:ASC")).is_err());
        let h = q.headers(11, "http://x/v2.01/c/users");
        assert_eq!(h["x-number-of-pages"], "3");
        assert_eq!(h["x-number-of-items"], "11");
        let link = h["link"].to_str().unwrap();
        assert!(
            link.contains("page=1&per_page=5&Sort=CreationDate%3ADESC>; rel=\"prev\""),
            "{link}"
        );
        assert!(
            link.contains("page=3&per_page=5&Sort=CreationDate%3ADESC>; rel=\"last\""),
            "{link}"
        );
    }
}
