//! Choosing a registry: the first that covers the country answers.

use std::sync::Arc;

use async_trait::async_trait;
use verity_domain::company::RegistryRecord;
use verity_service::registry::{Registries, Registry, RegistryError, RegistryLookup};

use crate::fakes::{companies_house, recherche_entreprises};

/// A registry that covers one country and knows every company there by the same name.
struct Stub(&'static str, &'static str);

#[async_trait]
impl Registry for Stub {
    fn name(&self) -> &'static str {
        self.0
    }

    fn covers(&self, country: &str) -> bool {
        country.eq_ignore_ascii_case(self.1)
    }

    async fn lookup(&self, country: &str, number: &str) -> Result<Option<RegistryRecord>, RegistryError> {
        Ok(Some(RegistryRecord {
            country: country.to_uppercase(),
            number: number.to_owned(),
            name: self.0.to_owned(),
            active: true,
            officers: vec![],
            owners: vec![],
        }))
    }
}

#[tokio::test]
async fn registries_pick_the_first_that_covers_the_country() {
    let (ch, _) = companies_house().await;
    let (fr, _) = recherche_entreprises().await;
    let registries = Registries::new(vec![
        Arc::new(ch),
        Arc::new(fr),
        Arc::new(Stub("fallback-fr", "FR")),
        Arc::new(Stub("kbo", "BE")),
    ]);

    assert_eq!(registries.find("GB").unwrap().name(), "companies-house");
    assert_eq!(registries.find("uk").unwrap().name(), "companies-house");
    assert_eq!(registries.find("fr").unwrap().name(), "recherche-entreprises");
    assert_eq!(registries.find("BE").unwrap().name(), "kbo");
    assert!(registries.find("DE").is_none());
    assert!(registries.covers("be") && !registries.covers("DE"));

    let RegistryLookup { registry, result } = registries.lookup("FR", "552100554").await.unwrap();
    assert_eq!(registry, "recherche-entreprises");
    assert_eq!(result.unwrap().unwrap().name, "ATELIERS DU RHONE");

    let RegistryLookup { registry, result } = registries.lookup("GB", "09446231").await.unwrap();
    assert_eq!(registry, "companies-house");
    assert_eq!(result.unwrap().unwrap().name, "NORTHWIND DIGITAL LTD");

    let be = registries.lookup("BE", "0403170701").await.unwrap();
    assert_eq!(be.registry, "kbo");
    assert_eq!(be.result.unwrap().unwrap().number, "0403170701");

    assert!(registries.lookup("DE", "HRB 12345").await.is_none());
    assert!(Registries::default().lookup("FR", "552100554").await.is_none());
}
