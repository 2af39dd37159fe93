//! The registry adapters against local fakes that speak the registries' real formats: UK Companies
//! House (Public Data API) and France's Recherche d'entreprises.

mod choosing;
mod companies_house;
mod fakes;
mod recherche_entreprises;
