//! Recherche d'entreprises: records by SIREN or SIRET, namesakes, rate limits, bad formats.

use verity_domain::company::RegistryRecord;
use verity_service::registry::{Registry, RegistryError};

use crate::fakes::recherche_entreprises;

#[tokio::test]
async fn fr_company_with_dirigeants() {
    let (fr, hits) = recherche_entreprises().await;
    let record = fr.lookup("FR", "552 100 554").await.unwrap().unwrap();
    assert_eq!(
        record,
        RegistryRecord {
            country: "FR".into(),
            number: "552100554".into(),
            name: "ATELIERS DU RHONE".into(),
            active: true,
            // The auditor (a personne morale) is left out; "MARCHAND (MARCHAND)" repeats the name.
            officers: vec!["CLAIRE SOPHIE MARCHAND".into(), "ANTOINE LEFEBVRE".into()],
            owners: vec![],
        }
    );
    // A SIRET looks its SIREN up.
    let by_siret = fr.lookup("FR", "552 100 554 00013").await.unwrap().unwrap();
    assert_eq!(by_siret, record);
    assert_eq!(hits.count("552100554"), 2);
}

#[tokio::test]
async fn fr_ceased_sole_trader() {
    let (fr, _) = recherche_entreprises().await;
    let record = fr.lookup("FR", "443061841").await.unwrap().unwrap();
    assert_eq!(record.name, "MARTIN ELECTRICITE");
    assert!(!record.active);
    assert!(record.officers.is_empty() && record.owners.is_empty());
}

#[tokio::test]
async fn fr_unknown_siren_or_namesake_is_none() {
    let (fr, hits) = recherche_entreprises().await;
    assert_eq!(fr.lookup("FR", "732829320").await.unwrap(), None);
    assert_eq!(fr.lookup("FR", "111111111").await.unwrap(), None);
    // Not a SIREN at all: not searched, a text search would only find namesakes.
    assert_eq!(fr.lookup("FR", "ACME").await.unwrap(), None);
    assert_eq!(hits.count("ACME"), 0);
}

#[tokio::test]
async fn fr_rate_limited_is_unavailable_after_one_retry() {
    let (fr, hits) = recherche_entreprises().await;
    let err = fr.lookup("FR", "429429429").await.unwrap_err();
    assert!(matches!(err, RegistryError::Unavailable(_)), "{err:?}");
    assert!(err.to_string().contains("429"), "{err}");
    assert_eq!(hits.count("429429429"), 2);
}

#[tokio::test]
async fn fr_unexpected_format_is_bad_response() {
    let (fr, _) = recherche_entreprises().await;
    let err = fr.lookup("FR", "123123123").await.unwrap_err();
    assert!(matches!(err, RegistryError::BadResponse(_)), "{err:?}");
}
