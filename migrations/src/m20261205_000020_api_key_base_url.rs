//! One base URL for the API: a request to `/api/v1/...` on the deployment's own host, with no
//! workshop in its host or path, is for the workshop whose API key it carries.
//!
//! `api_keys` is behind the walls, and no workshop is known yet, so the key's workshop is
//! found by the one platform path for it: a security definer that answers only to the hash
//! of the whole secret. Only whoever holds the secret can ask, so it tells nobody anything
//! they did not know; the key itself (revoked, expired, its maker's role) is then checked
//! inside the workshop as for every key.

use sea_orm_migration::prelude::*;

use crate::run_ddl;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The hash is SHA-256 of 256 random bits: unique, and what the lookup is by.
const INDEX: &str = "create unique index api_keys_secret_hash on api_keys (secret_hash);";

const FUNCTION: &str = "
create function pitlane_tenant_for_api_key(p_secret_hash text) returns uuid
    language sql stable security definer set search_path = public, pg_temp
    as $$ select tenant_id from api_keys where secret_hash = p_secret_hash $$;
revoke all on function pitlane_tenant_for_api_key(text) from public;
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_ddl(manager, INDEX, FUNCTION).await
    }
}
