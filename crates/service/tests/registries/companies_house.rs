//! Companies House: records, unknown companies, authentication, retries and timeouts.

use std::time::{Duration, Instant};

use verity_domain::company::RegistryRecord;
use verity_service::registry::{CompaniesHouse, Registry, RegistryError};

use crate::fakes::{API_KEY, TIMEOUT, companies_house, companies_house_fake, install_crypto};

#[tokio::test]
async fn gb_active_company_with_current_directors_and_individual_owners() {
    let (ch, hits) = companies_house().await;
    let record = ch.lookup("GB", "9446231").await.unwrap().unwrap();
    assert_eq!(
        record,
        RegistryRecord {
            country: "GB".into(),
            number: "09446231".into(),
            name: "NORTHWIND DIGITAL LTD".into(),
            active: true,
            // The resigned director, the secretary and the corporate director are left out.
            officers: vec!["Eleanor Mary HARGREAVES".into()],
            // The ceased PSC and the corporate PSC are left out; without name elements the name
            // is taken as written.
            owners: vec!["Eleanor Mary Hargreaves".into(), "Dr Gareth Rhys Jones".into()],
        }
    );
    assert_eq!(hits.count("/company/09446231"), 1);
    assert_eq!(hits.count("/company/09446231/officers"), 1);
    assert_eq!(hits.count("/company/09446231/persons-with-significant-control"), 1);
}

#[tokio::test]
async fn gb_dissolved_company_without_psc_register() {
    let (ch, _) = companies_house().await;
    let record = ch.lookup("uk", "06817425").await.unwrap().unwrap();
    assert_eq!(record.name, "HARBOUR LANE TRADING LIMITED");
    assert!(!record.active);
    assert_eq!(record.officers, vec!["Thomas MORGAN".to_owned()]);
    assert!(record.owners.is_empty());
}

#[tokio::test]
async fn gb_unknown_company_is_none() {
    let (ch, hits) = companies_house().await;
    assert_eq!(ch.lookup("GB", "01234567").await.unwrap(), None);
    // Not asked for officers of a company that does not exist.
    assert_eq!(hits.count("/company/01234567/officers"), 0);
    // A number our rules do not know is asked as typed...
    assert_eq!(ch.lookup("GB", "xy 123456").await.unwrap(), None);
    assert_eq!(hits.count("/company/XY123456"), 1);
    // ...unless it cannot be a company number at all.
    assert_eq!(ch.lookup("GB", "../1").await.unwrap(), None);
    assert_eq!(ch.lookup("GB", " ").await.unwrap(), None);
    assert_eq!(hits.count("/company"), 0);
}

/// A refused API key (401) is `Unavailable`: the registry could not be asked, which says nothing
/// about the company. It is not retried, and the key is not in the message.
#[tokio::test]
async fn gb_requires_basic_auth_with_the_key() {
    install_crypto();
    let (base, hits) = companies_house_fake().await;
    let wrong = CompaniesHouse::with_base_url(base, "wrong-key-123", TIMEOUT).unwrap();
    let err = wrong.lookup("GB", "09446231").await.unwrap_err();
    assert!(matches!(err, RegistryError::Unavailable(_)), "{err:?}");
    assert!(err.to_string().contains("401"), "{err}");
    assert!(!err.to_string().contains("wrong-key-123"), "{err}");
    assert!(!format!("{wrong:?}").contains("wrong-key-123"));
    assert_eq!(hits.count("/company/09446231"), 1);
}

#[tokio::test]
async fn gb_server_error_is_unavailable_after_one_retry() {
    let (ch, hits) = companies_house().await;
    let started = Instant::now();
    let err = ch.lookup("GB", "50050050").await.unwrap_err();
    assert!(matches!(err, RegistryError::Unavailable(_)), "{err:?}");
    assert!(err.to_string().contains("500"), "{err}");
    assert_eq!(hits.count("/company/50050050"), 2);
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn gb_hanging_registry_is_unavailable_after_the_timeout() {
    let (ch, hits) = companies_house().await;
    let started = Instant::now();
    let err = ch.lookup("GB", "77777777").await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(matches!(err, RegistryError::Unavailable(_)), "{err:?}");
    // Two attempts of 300 ms and the 200 ms pause between them.
    assert!(elapsed >= Duration::from_millis(800), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(2000), "{elapsed:?}");
    assert_eq!(hits.count("/company/77777777"), 2);
}

#[tokio::test]
async fn gb_unreadable_answer_is_bad_response() {
    let (ch, hits) = companies_house().await;
    let err = ch.lookup("GB", "12121212").await.unwrap_err();
    assert!(matches!(err, RegistryError::BadResponse(_)), "{err:?}");
    assert_eq!(hits.count("/company/12121212"), 1);
}

#[tokio::test]
async fn unreachable_registry_is_unavailable() {
    install_crypto();
    // A port that was just free: nothing listens there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let ch = CompaniesHouse::with_base_url(format!("http://{addr}"), API_KEY, TIMEOUT).unwrap();
    let err = ch.lookup("GB", "09446231").await.unwrap_err();
    assert!(matches!(err, RegistryError::Unavailable(_)), "{err:?}");
    assert!(!err.to_string().contains(API_KEY));
}
