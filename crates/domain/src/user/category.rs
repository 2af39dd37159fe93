//! Closed vocabularies of a user: person type, legal person type, category, status and KYC level.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PersonType {
    Natural,
    Legal,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LegalPersonType {
    Business,
    Partnership,
    Organization,
    Soletrader,
}

impl LegalPersonType {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "BUSINESS" => Some(Self::Business),
            "PARTNERSHIP" => Some(Self::Partnership),
            "ORGANIZATION" => Some(Self::Organization),
            "SOLETRADER" => Some(Self::Soletrader),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Business => "BUSINESS",
            Self::Partnership => "PARTNERSHIP",
            Self::Organization => "ORGANIZATION",
            Self::Soletrader => "SOLETRADER",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UserCategory {
    Payer,
    Owner,
    Platform,
}

impl UserCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Payer => "PAYER",
            Self::Owner => "OWNER",
            Self::Platform => "PLATFORM",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UserStatus {
    Active,
    PendingUserAction,
    Closed,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::PendingUserAction => "PENDING_USER_ACTION",
            Self::Closed => "CLOSED",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum KycLevel {
    Light,
    Regular,
}

impl KycLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Light => "LIGHT",
            Self::Regular => "REGULAR",
        }
    }
}
