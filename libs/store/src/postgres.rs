//! PostgreSQL-only setup: the application role and the start-up safety check.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use crate::StoreError;

/// Splits the user and password out of a `postgres://user:pass@host/db` URL.
fn role_of(app_url: &str) -> Result<(String, Option<String>), StoreError> {
    let url = url::Url::parse(app_url)
        .map_err(|e| StoreError::Config(format!("DATABASE_URL is not a valid URL: {e}")))?;
    let user = url.username().to_owned();
    let valid = !user.is_empty()
        && user.len() <= 63
        && user.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && user
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        return Err(StoreError::Config(
            "DATABASE_URL must name the application role as a lowercase user, e.g. postgres://pitlane_app:secret@db/pitlane".into(),
        ));
    }
    let password = url.password().map(|p| {
        url::form_urlencoded::parse(format!("p={p}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    });
    Ok((user, password))
}

/// What a role connects for: the web server, or the shared workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleUse {
    Web,
    Worker,
}

/// The functions only the workers call: they claim, lease, finish (which makes dead
/// letters), requeue and purge any tenant's messages. The web role cannot execute them, so a
/// flaw in a page can never drain or kill another workshop's mail.
const WORKER_FUNCTIONS: &str = "'pitlane_outbox_claim', 'pitlane_outbox_release', 'pitlane_outbox_take', \
    'pitlane_outbox_finish', 'pitlane_outbox_finish_many', 'pitlane_outbox_requeue_stale', 'pitlane_outbox_purge', \
    'pitlane_outbox_relays', 'pitlane_outbox_requeue_relayed_by'";

pub(crate) async fn grant_app_role(
    db: &DatabaseConnection,
    app_url: &str,
    role_use: RoleUse,
) -> Result<(), StoreError> {
    let (role, password) = role_of(app_url)?;
    let current: String = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "select current_user::text as me",
        ))
        .await?
        .ok_or(StoreError::NotFound)?
        .try_get("", "me")?;
    if current == role {
        return Err(StoreError::Config(format!(
            "DATABASE_URL and DATABASE_ADMIN_URL both connect as {role:?}; the server needs its own unprivileged role (e.g. pitlane_app)"
        )));
    }
    // Several test databases may be migrated at once: creating the role can race, which is fine.
    let create = format!(
        "do $$ begin
             if not exists (select from pg_roles where rolname = '{role}') then
                 create role \"{role}\" login nosuperuser nobypassrls nocreatedb nocreaterole noinherit;
             end if;
         exception when duplicate_object or unique_violation then null;
         end $$;"
    );
    db.execute_unprepared(&create).await?;
    if let Some(password) = password {
        let password = password.replace('\'', "''");
        db.execute_unprepared(&format!("alter role \"{role}\" password '{password}'"))
            .await?;
    }
    db.execute_unprepared(&format!(
        "grant usage on schema public to \"{role}\";
         grant select, insert, update, delete on all tables in schema public to \"{role}\";
         grant usage, select on all sequences in schema public to \"{role}\";
         revoke all on seaql_migrations from \"{role}\";
         grant execute on all functions in schema public to \"{role}\";
         revoke update, delete, truncate on audit_log from \"{role}\";"
    ))
    .await?;
    if role_use == RoleUse::Web {
        db.execute_unprepared(&format!(
            "do $$ declare f record; begin
                 for f in select p.oid::regprocedure as signature from pg_proc p
                          join pg_namespace n on n.oid = p.pronamespace
                          where n.nspname = 'public' and p.proname in ({WORKER_FUNCTIONS})
                 loop
                     execute format('revoke execute on function %s from %I', f.signature, '{role}');
                 end loop;
             end $$;"
        ))
        .await?;
    }
    Ok(())
}

pub(crate) async fn check_role_is_safe(db: &DatabaseConnection) -> Result<(), StoreError> {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "select current_user::text as role, r.rolsuper as superuser, r.rolbypassrls as bypass,
                    (select count(*) from pg_tables t
                      where t.schemaname = 'public' and t.tableowner = current_user) as owned
               from pg_roles r where r.rolname = current_user",
        ))
        .await?
        .ok_or(StoreError::NotFound)?;
    let role: String = row.try_get("", "role")?;
    let superuser: bool = row.try_get("", "superuser")?;
    let bypass: bool = row.try_get("", "bypass")?;
    let owned: i64 = row.try_get("", "owned")?;
    let why = if superuser {
        "is a superuser"
    } else if bypass {
        "has BYPASSRLS"
    } else if owned > 0 {
        "owns tables"
    } else {
        return Ok(());
    };
    Err(StoreError::UnsafeRole(format!(
        "refusing to serve: DATABASE_URL connects as role {role:?}, which {why} and could read around row-level security. \
         Run `pitlane-server migrate` with DATABASE_ADMIN_URL set to the owner role and DATABASE_URL set to an \
         unprivileged application role (e.g. postgres://pitlane_app@host/db); migrate creates that role and its grants."
    )))
}
