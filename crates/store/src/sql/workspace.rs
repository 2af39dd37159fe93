//! The reviewer's workspace: the queue's one query (filters and search as bound values), claims
//! and assignments, notes, a session's audit entries, and the search index of users.

use verity_domain::search::{SearchQuery, document_number_term, user_terms, user_type};

use super::back_office::audit_from_row;
use super::*;
use crate::{Claim, Note, QueueEntry, QueueFilter};

/// Users a name search may match at most (a common surname must not scan the world).
const NAME_MATCHES: i64 = 2000;

/// A WHERE clause under construction: conditions joined with AND, every value bound.
#[derive(Default)]
struct Clause {
    sql: Vec<String>,
    binds: Vec<Value>,
}

enum Value {
    Text(String),
    Int(i64),
}

impl Clause {
    /// The next placeholder, bound to `value`.
    fn bind(&mut self, value: Value) -> String {
        self.binds.push(value);
        format!("${}", self.binds.len())
    }

    fn text(&mut self, sql: &str, value: &str) {
        let p = self.bind(Value::Text(value.to_owned()));
        self.sql.push(sql.replace('?', &p));
    }

    fn int(&mut self, sql: &str, value: i64) {
        let p = self.bind(Value::Int(value));
        self.sql.push(sql.replace('?', &p));
    }

    fn list(&mut self, values: &[String]) -> String {
        values
            .iter()
            .map(|v| self.bind(Value::Text(v.clone())))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn apply<'q>(
        &'q self,
        mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
        for b in &self.binds {
            q = match b {
                Value::Text(t) => q.bind(t.as_str()),
                Value::Int(i) => q.bind(*i),
            };
        }
        q
    }
}

impl SqlStore {
    /// The condition a search puts on a session: its id, its user's id, its user's terms, or a
    /// document number read in it. One `IN (... UNION ...)` rather than ORs, so each arm uses its
    /// own index on both databases.
    fn search_condition(&self, clause: &mut Clause, query: &SearchQuery) {
        let mut arms = Vec::new();
        let id = clause.bind(Value::Text(query.id.clone()));
        arms.push(format!("SELECT id FROM idv_sessions WHERE id = {id}"));
        arms.push(format!("SELECT id FROM idv_sessions WHERE user_id = {id}"));
        if !query.name_terms.is_empty() {
            let hashed: Vec<String> = query.name_terms.iter().map(|t| self.sealer.fingerprint(t)).collect();
            let n = hashed.len() as i64;
            let list = clause.list(&hashed);
            let count = clause.bind(Value::Int(n));
            let cap = clause.bind(Value::Int(NAME_MATCHES));
            arms.push(format!(
                "SELECT id FROM idv_sessions WHERE user_id IN (SELECT user_id FROM search_terms WHERE term IN ({list}) \
                 GROUP BY user_id HAVING COUNT(*) = {count} LIMIT {cap})"
            ));
        }
        if !query.exact_terms.is_empty() {
            let hashed: Vec<String> = query.exact_terms.iter().map(|t| self.sealer.fingerprint(t)).collect();
            let list = clause.list(&hashed);
            arms.push(format!(
                "SELECT id FROM idv_sessions WHERE user_id IN (SELECT user_id FROM search_terms WHERE term IN ({list}))"
            ));
        }
        if let Some(number) = &query.document_number {
            let value = clause.bind(Value::Text(self.sealer.fingerprint(&document_number_term(number))));
            arms.push(format!(
                "SELECT session_id FROM document_fingerprints WHERE kind = 'document_search' AND value = {value}"
            ));
        }
        clause.sql.push(format!("s.id IN ({})", arms.join(" UNION ")));
    }

    fn queue_clause(&self, filter: &QueueFilter, now: UnixTime) -> Clause {
        let mut c = Clause::default();
        // The claim join's time comes first: $1.
        let _ = c.bind(Value::Int(now));
        if let Some(status) = &filter.status {
            c.text("s.status = ?", status);
        }
        if let Some(client) = &filter.client {
            c.text("s.client_id = ?", client.as_str());
        }
        if let Some(env) = &filter.environment {
            c.text("cl.environment = ?", env);
        }
        if let Some(t) = &filter.user_type {
            c.text("u.user_type = ?", t);
        }
        for code in &filter.codes {
            let literal = code.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            c.text("s.review_codes LIKE ? ESCAPE '\\'", &format!("% {literal} %"));
        }
        if let Some(since) = filter.since {
            c.int("s.updated_at >= ?", since);
        }
        if let Some(before) = filter.before {
            c.int("s.updated_at < ?", before);
        }
        if let Some(staff) = &filter.claimed_by {
            c.text("rc.staff_id = ?", staff);
        }
        if let Some(query) = filter.search.as_ref().filter(|q| !q.is_empty()) {
            self.search_condition(&mut c, query);
        }
        c
    }
}

const QUEUE_FROM: &str = "idv_sessions s JOIN clients cl ON cl.id = s.client_id JOIN users u ON u.id = s.user_id \
     LEFT JOIN review_claims rc ON rc.session_id = s.id AND rc.expires_at > $1 \
     LEFT JOIN staff st ON st.id = rc.staff_id";

fn claim_from_row(r: &AnyRow) -> StoreResult<Option<Claim>> {
    let staff: Option<String> = r.try_get("claim_staff")?;
    Ok(match staff {
        Some(staff_id) => Some(Claim {
            staff_id,
            display_name: r.try_get::<Option<String>, _>("claim_name")?.unwrap_or_default(),
            until: r.try_get("claim_until")?,
            assigned_by: r.try_get("claim_assigned_by")?,
        }),
        None => None,
    })
}

#[async_trait]
impl WorkspaceStore for SqlStore {
    async fn queue(
        &self,
        filter: &QueueFilter,
        now: UnixTime,
        offset: u64,
        limit: u32,
    ) -> StoreResult<(Vec<QueueEntry>, u64)> {
        let clause = self.queue_clause(filter, now);
        let where_sql = if clause.sql.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", clause.sql.join(" AND "))
        };
        let n = clause.binds.len();
        // Every session has its client and its user: the count needs the joins only when a
        // filter reads them (without them it counts index entries, not joined rows).
        let joined = clause
            .sql
            .iter()
            .any(|c| c.starts_with("cl.") || c.starts_with("u.") || c.starts_with("rc."));
        let count_from = if joined { QUEUE_FROM } else { "idv_sessions s" };
        let count_sql = format!("SELECT COUNT(*) AS n FROM {count_from}{where_sql}");
        let list_sql = format!(
            "SELECT s.*, cl.environment AS environment, u.user_type AS user_type, u.id AS u_id, u.data AS u_data, u.version AS u_version, rc.staff_id AS claim_staff, \
             st.display_name AS claim_name, rc.expires_at AS claim_until, rc.assigned_by AS claim_assigned_by \
             FROM {QUEUE_FROM}{where_sql} ORDER BY s.updated_at, s.id LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        // Not prepared for reuse: PostgreSQL then plans each search with its values (a generic
        // plan of this query, shaped by the filters, costs hundreds of milliseconds).
        let total: i64 = clause
            .apply(sqlx::query(sqlx::AssertSqlSafe(count_sql)).persistent(false))
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        let rows = clause
            .apply(sqlx::query(sqlx::AssertSqlSafe(list_sql)).persistent(false))
            .bind(i64::from(limit))
            .bind(offset as i64)
            .fetch_all(&self.pool)
            .await?;
        let entries = rows
            .iter()
            .map(|r| {
                Ok(QueueEntry {
                    session: session_from_row(&self.sealer, r)?,
                    user: user_from_columns(&self.sealer, r, "u_id", "u_data", "u_version")?,
                    environment: r.try_get("environment")?,
                    user_type: r.try_get::<Option<String>, _>("user_type")?.unwrap_or_default(),
                    claim: claim_from_row(r)?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((entries, total as u64))
    }

    async fn claim_of(&self, session: &SessionId, now: UnixTime) -> StoreResult<Option<Claim>> {
        let row = sqlx::query(
            "SELECT rc.staff_id AS claim_staff, st.display_name AS claim_name, rc.expires_at AS claim_until, \
             rc.assigned_by AS claim_assigned_by FROM review_claims rc LEFT JOIN staff st ON st.id = rc.staff_id \
             WHERE rc.session_id = $1 AND rc.expires_at > $2",
        )
        .bind(session.as_str())
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(r) => claim_from_row(&r),
            None => Ok(None),
        }
    }

    async fn assign_review(
        &self,
        session: &SessionId,
        staff_id: &str,
        assigned_by: &str,
        now: UnixTime,
        until: UnixTime,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO review_claims (session_id, staff_id, claimed_at, expires_at, assigned_by) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (session_id) DO UPDATE SET staff_id = excluded.staff_id, claimed_at = excluded.claimed_at, \
             expires_at = excluded.expires_at, assigned_by = excluded.assigned_by",
        )
        .bind(session.as_str())
        .bind(staff_id)
        .bind(now)
        .bind(until)
        .bind(assigned_by)
        .execute(&mut **tx)
        .await?;
        tx.commit().await
    }

    async fn release_review(&self, session: &SessionId, staff_id: &str) -> StoreResult<()> {
        self.write_one(
            "DELETE FROM review_claims WHERE session_id = $1 AND staff_id = $2",
            &[plan::Value::from(session.as_str()), plan::Value::from(staff_id)],
        )
        .await
    }

    async fn next_in_queue(
        &self,
        staff_id: &str,
        now: UnixTime,
        except: Option<&SessionId>,
    ) -> StoreResult<Option<(ClientId, SessionId)>> {
        // One's own claims first (assigned work), then the oldest unclaimed session.
        let row = sqlx::query(
            "SELECT s.client_id, s.id FROM idv_sessions s \
             LEFT JOIN review_claims rc ON rc.session_id = s.id AND rc.expires_at > $2 \
             WHERE s.status = 'REVIEW' AND s.id <> $3 AND (rc.staff_id IS NULL OR rc.staff_id = $1) \
             ORDER BY CASE WHEN rc.staff_id = $1 THEN 0 ELSE 1 END, s.updated_at, s.id LIMIT 1",
        )
        .bind(staff_id)
        .bind(now)
        .bind(except.map_or("", |s| s.as_str()))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok((
                ClientId::from_raw(r.try_get::<String, _>("client_id")?),
                SessionId::from_raw(r.try_get::<String, _>("id")?),
            ))
        })
        .transpose()
    }

    async fn insert_note(&self, note: &Note) -> StoreResult<()> {
        let body = self.sealer.seal_text(&note.body, &format!("note:{}", note.id));
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO session_notes (id, session_id, client_id, staff_id, username, body, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&note.id)
        .bind(note.session_id.as_str())
        .bind(note.client_id.as_str())
        .bind(&note.staff_id)
        .bind(&note.username)
        .bind(body)
        .bind(note.at)
        .execute(&mut **tx)
        .await?;
        tx.commit().await
    }

    async fn notes(&self, session: &SessionId) -> StoreResult<Vec<Note>> {
        let rows = sqlx::query("SELECT * FROM session_notes WHERE session_id = $1 ORDER BY at, id")
            .bind(session.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("id")?;
                let body = self
                    .sealer
                    .open_text(&r.try_get::<String, _>("body")?, &format!("note:{id}"))
                    .map_err(|e| corrupt("session note", e))?;
                Ok(Note {
                    session_id: SessionId::from_raw(r.try_get::<String, _>("session_id")?),
                    client_id: ClientId::from_raw(r.try_get::<String, _>("client_id")?),
                    staff_id: r.try_get("staff_id")?,
                    username: r.try_get("username")?,
                    body,
                    at: r.try_get("at")?,
                    id,
                })
            })
            .collect()
    }

    async fn audit_of(&self, target: &str, limit: u32) -> StoreResult<Vec<AuditEntry>> {
        let rows = sqlx::query("SELECT * FROM audit_log WHERE target = $1 ORDER BY at, id LIMIT $2")
            .bind(target)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(audit_from_row).collect()
    }

    async fn review_backlog(&self) -> StoreResult<(u64, Option<UnixTime>)> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, MIN(COALESCE(updated_at, created_at)) AS oldest FROM idv_sessions WHERE status = 'REVIEW'",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get::<i64, _>("n")? as u64, row.try_get("oldest")?))
    }

    async fn index_pending_users(&self, limit: u32) -> StoreResult<u64> {
        let rows = sqlx::query("SELECT id, data, version FROM users WHERE search_version < 1 LIMIT $1")
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        let users = rows
            .iter()
            .map(|r| user_from_row(&self.sealer, r))
            .collect::<StoreResult<Vec<_>>>()?;
        let mut plan = Plan::default();
        for user in &users {
            plan_user_index(&self.sealer, &mut plan, user);
        }
        let mut tx = self.begin_write().await?;
        plan.run(&mut tx).await?;
        tx.commit().await?;
        Ok(users.len() as u64)
    }
}

/// A user's search terms (as keyed hashes) and type, replacing earlier ones.
pub(super) fn plan_user_index(sealer: &Sealer, plan: &mut Plan, user: &User) {
    plan.add(
        "DELETE FROM search_terms WHERE user_id = $1",
        vec![user.id.as_str().into()],
    );
    for term in user_terms(user) {
        plan.add(
            "INSERT INTO search_terms (term, user_id, client_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            vec![
                sealer.fingerprint(&term).into(),
                user.id.as_str().into(),
                user.client_id.as_str().into(),
            ],
        );
    }
    plan.add(
        "UPDATE users SET user_type = $1, search_version = 1 WHERE id = $2",
        vec![user_type(user).into(), user.id.as_str().into()],
    );
}
