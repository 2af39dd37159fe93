//! Readiness: whether this process can serve, for a load balancer or an orchestrator's probe.
//! Each dependency is asked once, with a time limit, so that a hung database makes the probe
//! fail rather than hang.

use std::time::Duration;

use crate::Services;

/// How long each dependency has to answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// The id the blob store is asked for: no blob has it, so a reachable store answers "none".
const PROBE_BLOB: &str = "readiness_probe";

/// One dependency's state: `Ok`, or why not, in words safe to show to anyone.
pub type Check = (&'static str, Result<(), String>);

/// The checks of a readiness probe: the database (reached), the schema (migrated to this
/// binary's version) and the blob store (reached).
pub struct Readiness {
    pub checks: Vec<Check>,
}

impl Readiness {
    pub fn ready(&self) -> bool {
        self.checks.iter().all(|(_, r)| r.is_ok())
    }
}

impl Services {
    pub async fn readiness(&self) -> Readiness {
        let mut checks = Vec::with_capacity(3);
        match tokio::time::timeout(PROBE_TIMEOUT, self.store.schema_versions()).await {
            Ok(Ok((applied, known))) => {
                checks.push(("database", Ok(())));
                checks.push((
                    "schema",
                    if applied == known {
                        Ok(())
                    } else {
                        Err(format!(
                            "at version {applied}, this binary needs {known}: run verity migrate"
                        ))
                    },
                ));
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "readiness: the database cannot be reached");
                checks.push(("database", Err("unreachable".into())));
                checks.push(("schema", Err("unknown".into())));
            }
            Err(_) => {
                tracing::warn!("readiness: the database did not answer in time");
                checks.push(("database", Err("no answer in time".into())));
                checks.push(("schema", Err("unknown".into())));
            }
        }
        let blobs = match self.files() {
            Err(_) => Err("not configured".to_owned()),
            Ok(files) => match tokio::time::timeout(PROBE_TIMEOUT, files.blobs.get(PROBE_BLOB)).await {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "readiness: the blob store cannot be reached");
                    Err("unreachable".to_owned())
                }
                Err(_) => Err("no answer in time".to_owned()),
            },
        };
        checks.push(("blobs", blobs));
        Readiness { checks }
    }
}
