//! Staff sign-in, console sessions and the audit log entries they write.

use super::*;

impl Services {
    /// Appends an audit entry; the caller decides whether its failure stops the action.
    async fn append_audit(
        &self,
        who: Who<'_>,
        action: &str,
        client: Option<&str>,
        target: Option<&str>,
        detail: serde_json::Value,
    ) -> Result<(), ServiceError> {
        let entry = AuditEntry {
            id: new_id("aud_"),
            at: now(),
            staff_id: who.staff.map(|s| s.id.clone()),
            username: who.username.to_owned(),
            action: action.to_owned(),
            client_id: client.map(str::to_owned),
            target: target.map(str::to_owned),
            detail: detail.to_string(),
            address: who.address.map(str::to_owned),
        };
        self.store.append_audit(&entry).await.map_err(|e| {
            tracing::error!(error = %e, "cannot write the audit log");
            e.into()
        })
    }

    /// Records what a staff member did or saw in the audit log.
    pub async fn audit(
        &self,
        by: &StaffMember,
        action: &str,
        client: Option<&str>,
        target: Option<&str>,
        detail: serde_json::Value,
    ) -> Result<(), ServiceError> {
        let who = Who {
            staff: Some(&by.record),
            username: &by.record.username,
            address: by.address.as_deref(),
        };
        self.append_audit(who, action, client, target, detail).await
    }

    /// Signs a staff member in. The attempt is counted before the password is checked, so
    /// parallel guesses cannot all be checked before the lock; every outcome is audited.
    pub async fn sign_in_staff(
        &self,
        username: &str,
        password: &str,
        code: &str,
        address: Option<&str>,
    ) -> Result<SignIn, ServiceError> {
        let now = now();
        let mut who = Who {
            staff: None,
            username,
            address,
        };
        let Some(staff) = self.store.staff_by_username(username).await? else {
            // Same work as a real check, so timing does not tell which usernames exist.
            static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
            let dummy = DUMMY.get_or_init(|| hash_password("no such staff member").unwrap_or_default());
            let _ = verify_off_runtime(password, dummy).await;
            let detail = serde_json::json!({"reason": "unknown user"});
            let _ = self.append_audit(who, "login_failed", None, None, detail).await;
            return Ok(SignIn::Refused);
        };
        who.staff = Some(&staff);
        let reserved = self
            .store
            .reserve_staff_login(&staff.id, now, MAX_FAILURES, now + LOCK_SECONDS)
            .await?;
        let Some(locked_until) = reserved else {
            let detail = serde_json::json!({"reason": "locked"});
            let _ = self.append_audit(who, "login_refused", None, None, detail).await;
            return Ok(SignIn::Locked);
        };
        let ok = !staff.disabled
            && verify_off_runtime(password, &staff.password_hash).await
            && staff.totp_secret.as_deref().is_none_or(|s| totp::verify(s, code, now));
        if !ok {
            if locked_until > now {
                // This failure is the one that locked the account.
                crate::metrics::LOCKOUTS.add("console");
            }
            let detail = serde_json::json!({"locked": locked_until > now});
            let _ = self.append_audit(who, "login_failed", None, None, detail).await;
            return Ok(if locked_until > now {
                SignIn::Locked
            } else {
                SignIn::Refused
            });
        }
        self.store.staff_login_succeeded(&staff.id).await?;
        let token = random_token();
        let session = StaffSession {
            token_hash: sha256_hex(&token),
            staff_id: staff.id.clone(),
            csrf: random_token(),
            created_at: now,
            last_seen_at: now,
        };
        self.store.insert_staff_session(&session).await?;
        let recorded = self.append_audit(who, "login", None, None, serde_json::json!({})).await;
        Ok(match recorded {
            Ok(()) => SignIn::SignedIn { token },
            Err(_) => SignIn::Unrecorded,
        })
    }

    /// The console session of a cookie's token, while it lasts: sessions of disabled staff,
    /// unknown roles, idle for 30 minutes or older than 12 hours end here. Activity is recorded
    /// at most every 30 seconds.
    pub async fn console_session(
        &self,
        token: &str,
        address: Option<String>,
    ) -> Result<Option<ConsoleSession>, ServiceError> {
        let hash = sha256_hex(token);
        let Some((session, record)) = self.store.staff_session(&hash).await? else {
            return Ok(None);
        };
        let now = now();
        let role = Role::parse(&record.role);
        let Some(role) = role.filter(|_| {
            !record.disabled && now - session.last_seen_at <= IDLE_TIMEOUT && now - session.created_at <= MAX_SESSION
        }) else {
            let _ = self.store.delete_staff_session(&hash).await;
            return Ok(None);
        };
        if now - session.last_seen_at >= 30 {
            let _ = self.store.touch_staff_session(&hash, now).await;
        }
        Ok(Some(ConsoleSession {
            staff: StaffMember { record, role, address },
            csrf: session.csrf,
        }))
    }

    /// Ends the console session of a cookie's token.
    pub async fn end_console_session(&self, token: &str) -> Result<(), ServiceError> {
        Ok(self.store.delete_staff_session(&sha256_hex(token)).await?)
    }

    /// Audit entries, newest first, whose action, username, client or target match `text`.
    pub async fn audit_entries(&self, text: Option<&str>, limit: u32) -> Result<Vec<AuditEntry>, ServiceError> {
        Ok(self.store.audit_entries(text, limit).await?)
    }
}
