//! Company registries read over their public APIs for KYB: UK Companies House (Public Data API)
//! and France's Recherche d'entreprises. Each adapter turns the registry's answer into a
//! [`RegistryRecord`]; [`Registries`] picks the adapter that covers a company's country.
//!
//! Every request has a timeout (5 s unless configured); a registry that cannot be reached, times
//! out, answers 5xx or 429 is [`RegistryError::Unavailable`] and is retried once after 200 ms. An
//! answer that cannot be read is [`RegistryError::BadResponse`]. API keys never appear in errors
//! or logs.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::StatusCode;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;
use verity_domain::company::{RegistryRecord, normalise_company_number};

/// UK Companies House Public Data API.
pub const COMPANIES_HOUSE_URL: &str = "https://api.company-information.service.gov.uk";
/// France's API Recherche d'entreprises (annuaire-entreprises.data.gouv.fr).
pub const RECHERCHE_ENTREPRISES_URL: &str = "https://recherche-entreprises.api.gouv.fr";
/// Time a registry has to answer one request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Pause before the single retry of a request that found the registry unavailable.
const RETRY_DELAY: Duration = Duration::from_millis(200);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// The registry could not be asked: unreachable, too slow, overloaded (5xx, 429) or refusing
    /// our credentials (401, 403). Worth asking again later; says nothing about the company.
    #[error("company registry unavailable: {0}")]
    Unavailable(String),
    /// The registry answered something that cannot be read as its documented format.
    #[error("unexpected answer from the company registry: {0}")]
    BadResponse(String),
}

#[async_trait]
pub trait Registry: Send + Sync {
    /// Name for evidence, e.g. "companies-house".
    fn name(&self) -> &'static str;
    /// Whether this registry covers companies registered in `country` (ISO alpha-2).
    fn covers(&self, country: &str) -> bool;
    /// Ok(None) = the registry answered that no such company exists.
    async fn lookup(&self, country: &str, number: &str) -> Result<Option<RegistryRecord>, RegistryError>;
}

/// ISO code, upper case, with the EU's UK read as GB.
fn country_code(country: &str) -> String {
    let code = country.trim().to_ascii_uppercase();
    if code == "UK" { "GB".to_owned() } else { code }
}

fn build_client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    // With `rustls-no-provider`, the process installs the rustls crypto provider at start-up
    // (see the `verity` binary); building a client before that panics.
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::limited(3))
        .user_agent(concat!("Verity-KYB/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// `base` followed by the path `segments` (each percent-encoded) and the `query`.
fn endpoint(registry: &str, base: &str, segments: &[&str], query: &[(&str, &str)]) -> Result<Url, Failure> {
    let mut url =
        Url::parse(base).map_err(|e| Failure::Permanent(format!("{registry}: invalid base URL \"{base}\": {e}")))?;
    url.path_segments_mut()
        .map_err(|()| Failure::Permanent(format!("{registry}: invalid base URL \"{base}\"")))?
        .pop_if_empty()
        .extend(segments);
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query);
    }
    Ok(url)
}

/// Why one request failed.
enum Failure {
    /// Unreachable, timed out, 5xx or 429: retried once.
    Transient(String),
    /// Unavailable but pointless to retry at once (credentials refused, bad configuration).
    Permanent(String),
    /// The answer cannot be read.
    Bad(String),
}

impl From<Failure> for RegistryError {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Transient(m) | Failure::Permanent(m) => RegistryError::Unavailable(m),
            Failure::Bad(m) => RegistryError::BadResponse(m),
        }
    }
}

/// The error and its causes on one line (reqwest's own message hides the cause).
fn describe(e: &reqwest::Error) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

fn transport_failure(registry: &str, e: &reqwest::Error) -> Failure {
    if e.is_timeout() {
        Failure::Transient(format!("{registry} did not answer in time"))
    } else if e.is_builder() {
        Failure::Permanent(format!("{registry}: cannot build the request: {}", describe(e)))
    } else {
        Failure::Transient(format!("{registry} could not be reached: {}", describe(e)))
    }
}

/// Sends one request: the body of a 2xx answer, `None` for 404.
async fn send_once(registry: &str, request: reqwest::RequestBuilder) -> Result<Option<Vec<u8>>, Failure> {
    let response = request.send().await.map_err(|e| transport_failure(registry, &e))?;
    let status = response.status();
    if status == StatusCode::NOT_FOUND {
        return Ok(None);
    }
    if status.is_success() {
        let body = response.bytes().await.map_err(|e| transport_failure(registry, &e))?;
        return Ok(Some(body.to_vec()));
    }
    let message = format!("{registry} answered HTTP {}", status.as_u16());
    Err(if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        Failure::Transient(message)
    } else if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        Failure::Permanent(format!("{message}: the API key was refused"))
    } else {
        Failure::Bad(message)
    })
}

/// Sends the request `make` builds, once more after [`RETRY_DELAY`] if the registry was
/// unavailable.
async fn fetch(
    registry: &'static str,
    make: impl Fn() -> reqwest::RequestBuilder,
) -> Result<Option<Vec<u8>>, RegistryError> {
    match send_once(registry, make()).await {
        Err(Failure::Transient(message)) => {
            tracing::info!(registry, error = %message, "company registry unavailable, retrying once");
            tokio::time::sleep(RETRY_DELAY).await;
            send_once(registry, make()).await.map_err(RegistryError::from)
        }
        other => other.map_err(RegistryError::from),
    }
}

fn parse<T: DeserializeOwned>(registry: &str, what: &str, body: &[u8]) -> Result<T, RegistryError> {
    serde_json::from_slice(body).map_err(|e| RegistryError::BadResponse(format!("{registry} {what}: {e}")))
}

/// Words joined by single spaces, empty parts left out.
fn join_name<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    parts
        .into_iter()
        .flat_map(str::split_whitespace)
        .collect::<Vec<_>>()
        .join(" ")
}

// ---------------------------------------------------------------------------------------------
// United Kingdom: Companies House Public Data API.

/// UK Companies House (GB). Authenticates with HTTP Basic, the API key as user name and an empty
/// password. Officers are the current (not resigned) directors and nominee directors who are
/// people; owners are the current individual persons with significant control.
pub struct CompaniesHouse {
    base_url: String,
    api_key: String,
    client: reqwest::Client,
}

impl fmt::Debug for CompaniesHouse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompaniesHouse")
            .field("base_url", &self.base_url)
            .field("api_key", &"<redacted>")
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct ChProfile {
    company_name: String,
    #[serde(default)]
    company_number: Option<String>,
    #[serde(default)]
    company_status: Option<String>,
}

#[derive(Deserialize)]
struct ChList<T> {
    #[serde(default = "Vec::new")]
    items: Vec<T>,
}

#[derive(Deserialize)]
struct ChOfficer {
    name: String,
    officer_role: String,
    #[serde(default)]
    resigned_on: Option<String>,
}

#[derive(Deserialize)]
struct ChPsc {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    name_elements: Option<ChNameElements>,
    kind: String,
    #[serde(default)]
    ceased_on: Option<String>,
    #[serde(default)]
    ceased: Option<bool>,
}

#[derive(Deserialize)]
struct ChNameElements {
    #[serde(default)]
    forename: Option<String>,
    #[serde(default)]
    middle_name: Option<String>,
    #[serde(default)]
    surname: Option<String>,
}

/// Companies House statuses of a company that exists and trades: `active`, and `open` /
/// `registered` used for overseas companies and entities. Dissolved, liquidation,
/// administration, receivership, voluntary-arrangement, insolvency-proceedings and the closed
/// statuses are not active.
fn ch_active(status: Option<&str>) -> bool {
    matches!(status, Some("active" | "open" | "registered"))
}

/// "SURNAME, Given Names" as "Given Names SURNAME" (the registry's capitals are kept).
fn ch_officer_name(name: &str) -> String {
    match name.split_once(',') {
        Some((surname, given)) => join_name([given, surname]),
        None => join_name([name]),
    }
}

fn ch_psc_name(psc: &ChPsc) -> Option<String> {
    let from_elements = psc.name_elements.as_ref().map(|n| {
        join_name(
            [&n.forename, &n.middle_name, &n.surname]
                .into_iter()
                .filter_map(|p| p.as_deref()),
        )
    });
    from_elements
        .filter(|n| !n.is_empty())
        .or_else(|| psc.name.as_deref().map(|n| join_name([n])))
        .filter(|n| !n.is_empty())
}

impl CompaniesHouse {
    /// The live API with the default timeout.
    pub fn new(api_key: impl Into<String>) -> Result<Self, reqwest::Error> {
        Self::with_base_url(COMPANIES_HOUSE_URL, api_key, DEFAULT_TIMEOUT)
    }

    /// Another address (a proxy, a test double) and timeout per request.
    pub fn with_base_url(
        base_url: impl Into<String>,
        api_key: impl Into<String>,
        timeout: Duration,
    ) -> Result<Self, reqwest::Error> {
        Ok(CompaniesHouse {
            base_url: base_url.into(),
            api_key: api_key.into(),
            client: build_client(timeout)?,
        })
    }

    async fn get(&self, segments: &[&str], query: &[(&str, &str)]) -> Result<Option<Vec<u8>>, RegistryError> {
        let url = endpoint(self.name(), &self.base_url, segments, query)?;
        fetch(self.name(), || {
            self.client
                .get(url.clone())
                .basic_auth(&self.api_key, None::<&str>)
                .header(reqwest::header::ACCEPT, "application/json")
        })
        .await
    }
}

#[async_trait]
impl Registry for CompaniesHouse {
    fn name(&self) -> &'static str {
        "companies-house"
    }

    fn covers(&self, country: &str) -> bool {
        country_code(country) == "GB"
    }

    async fn lookup(&self, _country: &str, number: &str) -> Result<Option<RegistryRecord>, RegistryError> {
        let number = match normalise_company_number("GB", number) {
            Ok(number) => number,
            // Unknown to our rules (a new prefix?): asked as typed if it could be a number at all.
            Err(_) => {
                let compact: String = number.split_whitespace().collect::<String>().to_ascii_uppercase();
                if compact.is_empty() || !compact.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Ok(None);
                }
                compact
            }
        };
        let Some(body) = self.get(&["company", &number], &[]).await? else {
            return Ok(None);
        };
        let profile: ChProfile = parse(self.name(), "company profile", &body)?;

        let page = [("items_per_page", "100")];
        let officers_path = ["company", &number, "officers"];
        let pscs_path = ["company", &number, "persons-with-significant-control"];
        let (officers, pscs) = tokio::join!(self.get(&officers_path, &page), self.get(&pscs_path, &page));
        // A company without officers or PSCs on record answers 404 for the list.
        let officers: ChList<ChOfficer> = match officers? {
            Some(body) => parse(self.name(), "officer list", &body)?,
            None => ChList { items: Vec::new() },
        };
        let pscs: ChList<ChPsc> = match pscs? {
            Some(body) => parse(self.name(), "PSC list", &body)?,
            None => ChList { items: Vec::new() },
        };

        let officers = officers
            .items
            .iter()
            .filter(|o| o.resigned_on.is_none() && matches!(o.officer_role.as_str(), "director" | "nominee-director"))
            .map(|o| ch_officer_name(&o.name))
            .filter(|n| !n.is_empty())
            .collect();
        let owners = pscs
            .items
            .iter()
            .filter(|p| {
                p.kind == "individual-person-with-significant-control"
                    && p.ceased_on.is_none()
                    && p.ceased != Some(true)
            })
            .filter_map(ch_psc_name)
            .collect();
        let number = profile
            .company_number
            .as_deref()
            .and_then(|n| normalise_company_number("GB", n).ok())
            .unwrap_or(number);
        Ok(Some(RegistryRecord {
            country: "GB".to_owned(),
            number,
            name: profile.company_name.trim().to_owned(),
            active: ch_active(profile.company_status.as_deref()),
            officers,
            owners,
        }))
    }
}

// ---------------------------------------------------------------------------------------------
// France: API Recherche d'entreprises.

/// France's public company search (FR), no key needed. Looks the SIREN up (the first nine digits
/// of a SIRET); officers are the dirigeants who are people. The API publishes no beneficial
/// owners, so `owners` is always empty.
#[derive(Debug)]
pub struct RechercheEntreprises {
    base_url: String,
    client: reqwest::Client,
}

#[derive(Deserialize)]
struct FrSearch {
    results: Vec<FrUnit>,
}

#[derive(Deserialize)]
struct FrUnit {
    siren: String,
    #[serde(default)]
    nom_complet: Option<String>,
    #[serde(default)]
    nom_raison_sociale: Option<String>,
    #[serde(default)]
    etat_administratif: Option<String>,
    #[serde(default)]
    dirigeants: Vec<FrDirigeant>,
}

#[derive(Deserialize)]
struct FrDirigeant {
    #[serde(default)]
    nom: Option<String>,
    #[serde(default)]
    prenoms: Option<String>,
    #[serde(default)]
    type_dirigeant: Option<String>,
}

/// "Prenoms Nom"; a birth name repeated in brackets ("DUPONT (DUPONT)") is dropped, a different
/// one is kept.
fn fr_person_name(d: &FrDirigeant) -> Option<String> {
    let nom = d.nom.as_deref().unwrap_or("").trim();
    let nom = match nom.strip_suffix(')').and_then(|n| n.split_once('(')) {
        Some((main, other)) if main.trim().eq_ignore_ascii_case(other.trim()) => main.trim(),
        _ => nom,
    };
    let name = join_name([d.prenoms.as_deref().unwrap_or(""), nom]);
    (!nom.is_empty()).then_some(name)
}

impl RechercheEntreprises {
    /// The live API with the default timeout.
    pub fn new() -> Result<Self, reqwest::Error> {
        Self::with_base_url(RECHERCHE_ENTREPRISES_URL, DEFAULT_TIMEOUT)
    }

    /// Another address (a proxy, a test double) and timeout per request.
    pub fn with_base_url(base_url: impl Into<String>, timeout: Duration) -> Result<Self, reqwest::Error> {
        Ok(RechercheEntreprises {
            base_url: base_url.into(),
            client: build_client(timeout)?,
        })
    }
}

#[async_trait]
impl Registry for RechercheEntreprises {
    fn name(&self) -> &'static str {
        "recherche-entreprises"
    }

    fn covers(&self, country: &str) -> bool {
        country_code(country) == "FR"
    }

    async fn lookup(&self, _country: &str, number: &str) -> Result<Option<RegistryRecord>, RegistryError> {
        let number = normalise_company_number("FR", number).unwrap_or_else(|_| number.trim().to_uppercase());
        let siren: String = number.chars().take(9).collect();
        if siren.len() != 9 || !siren.bytes().all(|b| b.is_ascii_digit()) {
            // Not a SIREN, so no unit can have it; a text search would only find namesakes.
            return Ok(None);
        }
        let query = [("q", siren.as_str()), ("page", "1"), ("per_page", "1")];
        let url = endpoint(self.name(), &self.base_url, &["search"], &query)?;
        let Some(body) = fetch(self.name(), || {
            self.client
                .get(url.clone())
                .header(reqwest::header::ACCEPT, "application/json")
        })
        .await?
        else {
            return Ok(None);
        };
        let search: FrSearch = parse(self.name(), "search results", &body)?;
        let Some(unit) = search.results.into_iter().find(|u| u.siren == siren) else {
            return Ok(None);
        };
        let name = [&unit.nom_raison_sociale, &unit.nom_complet]
            .into_iter()
            .filter_map(|n| n.as_deref().map(str::trim))
            .find(|n| !n.is_empty())
            .ok_or_else(|| RegistryError::BadResponse(format!("{}: unit {siren} has no name", self.name())))?
            .to_owned();
        let officers = unit
            .dirigeants
            .iter()
            .filter(|d| d.type_dirigeant.as_deref() == Some("personne physique"))
            .filter_map(fr_person_name)
            .collect();
        Ok(Some(RegistryRecord {
            country: "FR".to_owned(),
            number: siren,
            name,
            active: unit.etat_administratif.as_deref() == Some("A"),
            officers,
            owners: Vec::new(),
        }))
    }
}

// ---------------------------------------------------------------------------------------------
// Choosing a registry.

/// The outcome of [`Registries::lookup`]: which registry answered, and what.
#[derive(Debug)]
pub struct RegistryLookup {
    /// [`Registry::name`] of the registry asked, for evidence.
    pub registry: &'static str,
    pub result: Result<Option<RegistryRecord>, RegistryError>,
}

/// The configured registries, in order of preference: a country is looked up in the first that
/// covers it.
#[derive(Clone, Default)]
pub struct Registries(Vec<Arc<dyn Registry>>);

impl fmt::Debug for Registries {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.iter().map(|r| r.name())).finish()
    }
}

impl Registries {
    pub fn new(registries: Vec<Arc<dyn Registry>>) -> Self {
        Registries(registries)
    }

    /// The first registry that covers `country`.
    pub fn find(&self, country: &str) -> Option<Arc<dyn Registry>> {
        self.0.iter().find(|r| r.covers(country)).cloned()
    }

    pub fn covers(&self, country: &str) -> bool {
        self.0.iter().any(|r| r.covers(country))
    }

    /// Looks the company up in the first registry that covers `country`; `None` if none does.
    pub async fn lookup(&self, country: &str, number: &str) -> Option<RegistryLookup> {
        let registry = self.find(country)?;
        let result = registry.lookup(country, number).await;
        Some(RegistryLookup {
            registry: registry.name(),
            result,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn officer_names() {
        assert_eq!(ch_officer_name("SMITH, John Albert"), "John Albert SMITH");
        assert_eq!(ch_officer_name("  DE LA RUE,  Anne-Marie "), "Anne-Marie DE LA RUE");
        assert_eq!(ch_officer_name("ACME NOMINEES LIMITED"), "ACME NOMINEES LIMITED");
    }

    #[test]
    fn french_names() {
        let d = |nom: &str, prenoms: Option<&str>| FrDirigeant {
            nom: Some(nom.into()),
            prenoms: prenoms.map(Into::into),
            type_dirigeant: Some("personne physique".into()),
        };
        assert_eq!(
            fr_person_name(&d("DORNIER (DORNIER)", Some("CHRISTINE"))).unwrap(),
            "CHRISTINE DORNIER"
        );
        assert_eq!(
            fr_person_name(&d("MICHALSKI (HOFFMANN)", Some("VERA MARIA"))).unwrap(),
            "VERA MARIA MICHALSKI (HOFFMANN)"
        );
        assert_eq!(fr_person_name(&d("DUPONT", None)).unwrap(), "DUPONT");
        assert_eq!(fr_person_name(&d(" ", Some("JEAN"))), None);
    }

    #[test]
    fn endpoints_encode_segments() {
        let url = endpoint("x", "http://h:1/api/", &["company", "A/B C"], &[("q", "1 2")])
            .ok()
            .unwrap();
        assert_eq!(url.as_str(), "http://h:1/api/company/A%2FB%20C?q=1+2");
        assert!(endpoint("x", "not a url", &["a"], &[]).is_err());
    }

    #[test]
    fn countries() {
        assert_eq!(country_code(" uk "), "GB");
        assert_eq!(country_code("fr"), "FR");
    }
}
