//! Sign-up with an address that already has a login (issue 17, point 4): the workshop is made
//! at once, whatever password was typed, but waits for its owner (`awaiting_owner`) and
//! serves nothing until the address's owner confirms it from the e-mail sent to them
//! (`auth_links.workshop_id` names the workshop the confirmation is for; not `tenant_id`,
//! since the table is the platform's, not a workshop's). A typed password
//! therefore changes nothing anyone can see: sign-up is no password oracle, not even through
//! whether the chosen address became a workshop.

use sea_orm_migration::prelude::*;

use crate::{run_ddl, run_each};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &str = "
alter table tenants add column awaiting_owner boolean not null default false;
";

const AUTH_LINKS_POSTGRES: &str = "
alter table auth_links add column workshop_id uuid null references tenants (id);
alter table auth_links drop constraint auth_links_purpose_check;
alter table auth_links add constraint auth_links_purpose_check
    check (purpose in ('verify_email', 'reset_password', 'magic_link', 'confirm_workshop'));
";

/// SQLite cannot change a CHECK: the table is built again.
const AUTH_LINKS_SQLITE: &str = "
create table auth_links_new (
    id blob primary key,
    user_id blob null references users (id),
    email text null,
    name text null,
    workshop_id blob null references tenants (id),
    purpose text not null
        check (purpose in ('verify_email', 'reset_password', 'magic_link', 'confirm_workshop')),
    expires_at text not null,
    used_at text null,
    created_at text not null,
    check (user_id is not null or email is not null)
);
insert into auth_links_new (id, user_id, email, name, purpose, expires_at, used_at, created_at)
    select id, user_id, email, name, purpose, expires_at, used_at, created_at from auth_links;
drop table auth_links;
alter table auth_links_new rename to auth_links;
create index auth_links_user on auth_links (user_id, purpose);
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run_ddl(manager, TABLES, "").await?;
        run_each(manager, AUTH_LINKS_POSTGRES, AUTH_LINKS_SQLITE).await
    }
}
