//! PostgreSQL: a group commit's changesets of the same shape written together, one statement per
//! table for all of them instead of one per changeset.
//!
//! A batch of N session creates is N x (session, event, delivery) inserts; each is a round trip
//! that costs PostgreSQL more CPU than the insert itself. Changesets whose plans run the same
//! statements in the same order (the same *shape*) are run as one: each statement becomes an
//! `INSERT ... SELECT` over `UNNEST` of one array per placeholder, row i from changeset i. The
//! arrays travel as PostgreSQL array literals (`{"a","b",NULL}`), as the pool's driver binds
//! scalars only; the statement's text is the same for any batch size, so it is prepared once.
//!
//! Only inserts whose outcome needs no per-changeset count are run this way (an update guarded
//! by its version must change exactly its own row); any failure (a unique rule broken by one
//! changeset) fails the whole optimistic attempt, and the group commit then writes each
//! changeset in a savepoint of its own, where each gets its own outcome.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use super::WriteTx;
use super::plan::{Plan, Statement, Value};
use crate::StoreResult;

/// Runs `plans` in `tx`, those of one shape together; whether any queued webhook deliveries.
/// An error means the attempt failed as a whole (the caller rolls back and retries singly).
pub(crate) async fn run_grouped(tx: &mut WriteTx, plans: &[&Plan]) -> StoreResult<bool> {
    let mut queued = false;
    for group in shapes(plans) {
        match unnest_all(group[0]) {
            Some(forms) if group.len() > 1 => {
                for (position, sql) in forms.iter().enumerate() {
                    let statements: Vec<&Statement> = group.iter().map(|p| &p.statements[position]).collect();
                    let mut query = sqlx::query(*sql);
                    for column in 0..statements[0].values.len() {
                        query = query.bind(array_literal(statements.iter().map(|s| &s.values[column])));
                    }
                    let changed = query.execute(&mut ***tx).await?.rows_affected();
                    queued |= statements[0].queues_deliveries && changed > 0;
                }
            }
            _ => {
                for plan in group {
                    queued |= plan.run(tx).await?;
                }
            }
        }
    }
    Ok(queued)
}

/// `plans` grouped by shape (the same statements in the same order, with values of the same
/// kinds), groups in order of first appearance, plans in their order within each group.
fn shapes<'a>(plans: &[&'a Plan]) -> Vec<Vec<&'a Plan>> {
    let mut index: HashMap<Vec<(&'static str, Vec<bool>)>, usize> = HashMap::new();
    let mut groups: Vec<Vec<&Plan>> = Vec::new();
    for plan in plans {
        let shape = plan
            .statements
            .iter()
            .map(|s| (s.sql, s.values.iter().map(|v| matches!(v, Value::Int(_))).collect()))
            .collect();
        let at = *index.entry(shape).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[at].push(plan);
    }
    groups
}

/// Every statement of `plan` in its `UNNEST` form, or `None` when one cannot be run that way.
fn unnest_all(plan: &Plan) -> Option<Vec<&'static str>> {
    plan.statements
        .iter()
        .map(|s| {
            if s.versioned {
                None
            } else {
                unnest_cached(s.sql, &s.values)
            }
        })
        .collect()
}

/// [`unnest_form`], kept: statements are `'static` and few, so their forms are too (and the
/// driver's statement cache knows them by their text).
fn unnest_cached(sql: &'static str, values: &[Value]) -> Option<&'static str> {
    type Forms = HashMap<(&'static str, Vec<bool>), Option<&'static str>>;
    static FORMS: OnceLock<Mutex<Forms>> = OnceLock::new();
    let kinds = values.iter().map(|v| matches!(v, Value::Int(_))).collect();
    let mut forms = FORMS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    *forms
        .entry((sql, kinds))
        .or_insert_with(|| unnest_form(sql, values).map(|f| &*Box::leak(f.into_boxed_str())))
}

/// `sql` (an `INSERT ... VALUES (...)` or `INSERT ... SELECT ... FROM ...` with `$1..$n`)
/// reading each `$k` from column k of `UNNEST` over one array per placeholder; `None` for any
/// other statement.
pub(crate) fn unnest_form(sql: &str, values: &[Value]) -> Option<String> {
    // (An upsert's `DO UPDATE` would meet its own rows twice in one statement: an error.)
    if !sql.starts_with("INSERT INTO ") || sql.contains("DO UPDATE") || values.is_empty() {
        return None;
    }
    let arrays: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::Text(_) => format!("${}::text[]", i + 1),
            Value::Int(_) => format!("${}::bigint[]", i + 1),
        })
        .collect();
    let columns: Vec<String> = (1..=values.len()).map(|i| format!("verity_p{i}")).collect();
    let source = format!("UNNEST({}) AS verity_u({})", arrays.join(", "), columns.join(", "));
    let sql = placeholders_to_columns(sql, values.len())?;
    if let Some(at) = sql.find(" VALUES (") {
        let open = at + " VALUES ".len();
        let close = open + closing_paren(&sql[open..])?;
        let tuple = &sql[open + 1..close];
        Some(format!(
            "{} SELECT {tuple} FROM {source}{}",
            &sql[..at],
            &sql[close + 1..]
        ))
    } else {
        let select = sql.find(" SELECT ")?;
        let from = select + sql[select..].find(" FROM ")? + " FROM ".len();
        Some(format!("{}{source}, {}", &sql[..from], &sql[from..]))
    }
}

/// `sql` with each `$k` (outside quoted literals) replaced by `verity_u.verity_pk`; `None` when
/// a placeholder is out of `1..=count`.
fn placeholders_to_columns(sql: &str, count: usize) -> Option<String> {
    let mut out = String::with_capacity(sql.len() + 16 * count);
    let mut chars = sql.char_indices().peekable();
    let mut quoted = false;
    while let Some((i, c)) = chars.next() {
        if c == '\'' {
            quoted = !quoted;
        }
        if c != '$' || quoted {
            out.push(c);
            continue;
        }
        let digits: String = sql[i + 1..].chars().take_while(char::is_ascii_digit).collect();
        let k: usize = digits.parse().ok()?;
        if k == 0 || k > count {
            return None;
        }
        for _ in 0..digits.len() {
            chars.next();
        }
        out.push_str(&format!("verity_u.verity_p{k}"));
    }
    Some(out)
}

/// The byte offset of the parenthesis closing the one `s` starts with.
fn closing_paren(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quoted = false;
    for (i, c) in s.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// One column's values as a PostgreSQL array literal: text elements double-quoted with `"` and
/// `\` escaped, NULL bare.
pub(crate) fn array_literal<'v>(values: impl Iterator<Item = &'v Value>) -> String {
    let mut out = String::from("{");
    for (i, v) in values.enumerate() {
        if i > 0 {
            out.push(',');
        }
        match v {
            Value::Text(Some(t)) => {
                out.push('"');
                for c in t.chars() {
                    if c == '"' || c == '\\' {
                        out.push('\\');
                    }
                    out.push(c);
                }
                out.push('"');
            }
            Value::Int(Some(n)) => out.push_str(&n.to_string()),
            Value::Text(None) | Value::Int(None) => out.push_str("NULL"),
        }
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Conflict, StoreError};

    /// A transaction on the test PostgreSQL (`VERITY_TEST_DATABASE_URL`, `none` skips) holding
    /// temporary tables `t` and `outbox`.
    async fn postgres_tx() -> Option<WriteTx> {
        let url = match std::env::var("VERITY_TEST_DATABASE_URL") {
            Ok(v) if v == "none" => return None,
            Ok(v) => v,
            Err(_) => "postgres://postgres@127.0.0.1:5432/postgres".into(),
        };
        sqlx::any::install_default_drivers();
        let pool = sqlx::any::AnyPoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await
            .unwrap();
        let mut tx = WriteTx {
            tx: pool.begin().await.unwrap(),
            _slot: None,
        };
        sqlx::raw_sql(
            "CREATE TEMP TABLE t (id TEXT PRIMARY KEY, a TEXT, n BIGINT, version BIGINT) ON COMMIT DROP; \
             CREATE TEMP TABLE outbox (id TEXT, t_id TEXT) ON COMMIT DROP",
        )
        .execute(&mut **tx)
        .await
        .unwrap();
        Some(tx)
    }

    fn create(id: &str, a: Option<&str>, n: Option<i64>) -> Plan {
        let mut plan = Plan::default();
        plan.add(
            "INSERT INTO t (id, a, n, version) VALUES ($1, $2, $3, 0)",
            vec![id.into(), a.into(), n.into()],
        )
        .on_unique = Some(Conflict::IdempotencyKey);
        plan.add_delivery(
            "INSERT INTO outbox (id, t_id) SELECT $1 || '-' || id, id FROM t WHERE id = $1 AND a IS NOT NULL",
            vec![id.into()],
        );
        plan
    }

    #[tokio::test]
    async fn changesets_of_one_shape_are_written_together_exactly_as_given() {
        let Some(mut tx) = postgres_tx().await else { return };
        let odd = [
            "plain",
            "",
            "NULL",
            "say \"hi\"",
            "back\\slash",
            "{a,b}",
            "comma, space",
            "été ✓",
        ];
        let mut plans: Vec<Plan> = odd
            .iter()
            .enumerate()
            .map(|(i, a)| create(&format!("id{i}"), Some(a), Some(i as i64 - 3)))
            .collect();
        plans.push(create("nulls", None, None));
        // Another shape in the same batch, run on its own.
        let mut other = Plan::default();
        other.add("INSERT INTO t (id, version) VALUES ($1, 1)", vec!["other".into()]);
        plans.insert(2, other);
        let refs: Vec<&Plan> = plans.iter().collect();
        assert!(run_grouped(&mut tx, &refs).await.unwrap(), "deliveries were queued");
        let rows = sqlx::query("SELECT id, a, n, version FROM t ORDER BY id")
            .fetch_all(&mut **tx)
            .await
            .unwrap();
        use sqlx::Row;
        let got: Vec<(String, Option<String>, Option<i64>, i64)> = rows
            .iter()
            .map(|r| (r.get("id"), r.get("a"), r.get("n"), r.get("version")))
            .collect();
        let mut want: Vec<(String, Option<String>, Option<i64>, i64)> = odd
            .iter()
            .enumerate()
            .map(|(i, a)| (format!("id{i}"), Some(a.to_string()), Some(i as i64 - 3), 0))
            .collect();
        want.push(("nulls".into(), None, None, 0));
        want.push(("other".into(), None, None, 1));
        want.sort();
        assert_eq!(got, want);
        let outbox: i64 = sqlx::query("SELECT COUNT(*) AS n FROM outbox")
            .fetch_one(&mut **tx)
            .await
            .unwrap()
            .get("n");
        assert_eq!(outbox, odd.len() as i64, "one delivery per row with a value");
    }

    #[tokio::test]
    async fn one_broken_rule_fails_the_grouped_attempt() {
        let Some(mut tx) = postgres_tx().await else { return };
        let plans = [create("a", Some("x"), None), create("a", Some("y"), None)];
        let refs: Vec<&Plan> = plans.iter().collect();
        let err = run_grouped(&mut tx, &refs).await.unwrap_err();
        assert!(matches!(err, StoreError::Database(_)), "{err:?}");
    }

    #[test]
    fn an_insert_of_values_reads_each_placeholder_from_its_array() {
        let sql = unnest_form(
            "INSERT INTO t (id, n, version) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING",
            &["a".into(), 1i64.into()],
        );
        assert_eq!(
            sql.as_deref(),
            Some(
                "INSERT INTO t (id, n, version) SELECT verity_u.verity_p1, verity_u.verity_p2, 0 \
                 FROM UNNEST($1::text[], $2::bigint[]) AS verity_u(verity_p1, verity_p2) ON CONFLICT DO NOTHING"
            )
        );
    }

    #[test]
    fn an_insert_from_a_select_joins_the_arrays() {
        let sql = unnest_form(
            "INSERT INTO d (id, hook) SELECT $1, id FROM hooks WHERE client_id = $2 AND kind = 'A$1' AND n = $10",
            &(1..=10).map(|i| Value::from(i as i64)).collect::<Vec<_>>(),
        )
        .unwrap();
        assert!(sql.starts_with("INSERT INTO d (id, hook) SELECT verity_u.verity_p1, id FROM UNNEST($1::bigint[]"));
        assert!(sql.ends_with(
            ") AS verity_u(verity_p1, verity_p2, verity_p3, verity_p4, verity_p5, verity_p6, verity_p7, verity_p8, verity_p9, verity_p10), \
             hooks WHERE client_id = verity_u.verity_p2 AND kind = 'A$1' AND n = verity_u.verity_p10"
        ));
    }

    #[test]
    fn updates_and_stray_placeholders_are_not_rewritten() {
        assert_eq!(unnest_form("UPDATE t SET a = $1", &["x".into()]), None);
        assert_eq!(unnest_form("INSERT INTO t (a) VALUES ($2)", &["x".into()]), None);
    }

    #[test]
    fn array_literals_escape_quotes_and_keep_nulls() {
        let values = [
            Value::from("plain"),
            Value::from("say \"hi\" \\ {x,y}"),
            Value::Text(None),
        ];
        assert_eq!(array_literal(values.iter()), r#"{"plain","say \"hi\" \\ {x,y}",NULL}"#);
        assert_eq!(
            array_literal([Value::from(-3i64), Value::Int(None)].iter()),
            "{-3,NULL}"
        );
    }
}
