//! The Recherche d'entreprises fake: a full-text search that answers one result per page.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use verity_service::registry::RechercheEntreprises;

use super::{Hits, TIMEOUT, install_crypto, json, serve};

const FR_FOUND: &str = r#"{
  "results": [
    {
      "siren": "552100554",
      "nom_complet": "ATELIERS DU RHONE (ADR)",
      "nom_raison_sociale": "ATELIERS DU RHONE",
      "sigle": "ADR",
      "nombre_etablissements": 3,
      "nombre_etablissements_ouverts": 2,
      "siege": {
        "activite_principale": "25.62B",
        "adresse": "14 QUAI PERRACHE 69002 LYON",
        "code_postal": "69002",
        "commune": "69382",
        "date_creation": "1955-01-01",
        "est_siege": true,
        "etat_administratif": "A",
        "libelle_commune": "LYON",
        "siret": "55210055400013"
      },
      "activite_principale": "25.62B",
      "categorie_entreprise": "PME",
      "date_creation": "1955-01-01",
      "date_fermeture": null,
      "date_mise_a_jour": "2025-03-14T09:12:44",
      "dirigeants": [
        {
          "nom": "MARCHAND (MARCHAND)",
          "prenoms": "CLAIRE SOPHIE",
          "annee_de_naissance": "1972",
          "date_de_naissance": "1972-09",
          "qualite": "Président de SAS",
          "nationalite": "Française",
          "type_dirigeant": "personne physique"
        },
        {
          "nom": "LEFEBVRE",
          "prenoms": "ANTOINE",
          "annee_de_naissance": "1980",
          "date_de_naissance": "1980-03",
          "qualite": "Directeur Général",
          "nationalite": "Française",
          "type_dirigeant": "personne physique"
        },
        {
          "siren": "775726417",
          "denomination": "CABINET AUDIT RHONE ALPES",
          "qualite": "Commissaire aux comptes titulaire",
          "type_dirigeant": "personne morale"
        }
      ],
      "etat_administratif": "A",
      "nature_juridique": "5710",
      "section_activite_principale": "C",
      "tranche_effectif_salarie": "12",
      "statut_diffusion": "O",
      "matching_etablissements": [],
      "finances": {"2023": {"ca": 4200000, "resultat_net": 180000}},
      "complements": {"est_entrepreneur_individuel": false, "est_ess": false}
    }
  ],
  "total_results": 1,
  "page": 1,
  "per_page": 1,
  "total_pages": 1
}"#;

const FR_CEASED: &str = r#"{
  "results": [
    {
      "siren": "443061841",
      "nom_complet": "MARTIN ELECTRICITE",
      "nom_raison_sociale": null,
      "siege": {"adresse": "3 RUE DES LILAS 33000 BORDEAUX", "etat_administratif": "F", "siret": "44306184100047"},
      "date_fermeture": "2018-12-31",
      "dirigeants": [],
      "etat_administratif": "C",
      "nature_juridique": "1000",
      "matching_etablissements": []
    }
  ],
  "total_results": 1,
  "page": 1,
  "per_page": 1,
  "total_pages": 1
}"#;

/// A full-text match on something else than the SIREN.
const FR_NAMESAKE: &str = r#"{
  "results": [{"siren": "732829320", "nom_complet": "SOCIETE 111111111", "nom_raison_sociale": "SOCIETE 111111111", "etat_administratif": "A", "dirigeants": []}],
  "total_results": 1, "page": 1, "per_page": 1, "total_pages": 1
}"#;

const FR_EMPTY: &str = r#"{"results":[],"total_results":0,"page":1,"per_page":1,"total_pages":0}"#;

async fn fr_handler(State(hits): State<Hits>, Query(query): Query<HashMap<String, String>>) -> Response {
    let q = query.get("q").cloned().unwrap_or_default();
    hits.hit(&q);
    if query.get("page").map(String::as_str) != Some("1") || query.get("per_page").map(String::as_str) != Some("1") {
        return json(StatusCode::BAD_REQUEST, r#"{"erreur":"page and per_page expected"}"#);
    }
    match q.as_str() {
        "552100554" => json(StatusCode::OK, FR_FOUND),
        "443061841" => json(StatusCode::OK, FR_CEASED),
        "111111111" => json(StatusCode::OK, FR_NAMESAKE),
        "429429429" => json(
            StatusCode::TOO_MANY_REQUESTS,
            r#"{"erreur":"Vous avez effectué trop de requêtes"}"#,
        ),
        "123123123" => json(StatusCode::OK, r#"{"results": [{"nom_complet": 12}]}"#),
        _ => json(StatusCode::OK, FR_EMPTY),
    }
}

pub(crate) async fn recherche_entreprises() -> (RechercheEntreprises, Hits) {
    install_crypto();
    let hits = Hits::default();
    let router = Router::new().route("/search", get(fr_handler)).with_state(hits.clone());
    let base = serve(router).await;
    (RechercheEntreprises::with_base_url(base, TIMEOUT).unwrap(), hits)
}
