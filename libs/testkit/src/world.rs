//! Making the world a test needs, through the same services users go through.

use pitlane_domain::{
    Actor,
    ids::{MembershipId, TenantId, UserId},
    permissions::Role,
};
use pitlane_store::{
    TenantCtx,
    entity::membership,
    sea_orm::{ColumnTrait, QueryFilter},
};
use pitlane_tenancy::{
    NewTenant,
    branches::{self, BranchInput},
    create_tenant, domains,
};

use crate::TestApp;

pub struct TenantFixture {
    pub id: TenantId,
    pub slug: String,
    pub name: String,
    pub owner_email: String,
    pub owner_password: String,
    pub owner: Actor,
}

impl TestApp {
    /// A tenant with one branch and an owner who can sign in.
    pub async fn tenant(&self, slug: &str) -> TenantFixture {
        let store = &self.state().store;
        let name = format!("{} Motors", slug.to_uppercase());
        let owner_email = format!("owner@{slug}.example.com");
        let owner_password = format!("{slug}-password-123");
        let tenant = create_tenant(
            store,
            NewTenant {
                slug: slug.into(),
                name: name.clone(),
                branch: BranchInput {
                    name: format!("{name} Central"),
                    city: Some(format!("{slug}ville")),
                    time_zone: "Europe/Berlin".into(),
                    ..BranchInput::default()
                },
                owner_email: owner_email.clone(),
                owner_name: format!("{slug} owner"),
                owner_password: owner_password.clone(),
            },
        )
        .await
        .unwrap_or_else(|e| panic!("create tenant {slug}: {e}"));
        let id = TenantId(tenant.id);
        let tx = store.tx(&TenantCtx::new(id)).await.expect("tx");
        let member = tx
            .first(
                tx.select::<membership::Entity>()
                    .filter(membership::Column::Role.eq("owner")),
            )
            .await
            .expect("owner membership")
            .expect("owner exists");
        tx.commit().await.expect("commit");
        TenantFixture {
            id,
            slug: slug.into(),
            name,
            owner_email,
            owner_password,
            owner: Actor {
                user_id: UserId(member.user_id),
                membership_id: MembershipId(member.id),
                tenant_id: id,
                role: Role::Owner,
            },
        }
    }

    /// A tenant holding one of every kind of tenant-scoped resource the API serves, so the
    /// isolation suite has something of this tenant's to reach for at every endpoint.
    /// New resources add a line here; the suite itself needs no change.
    pub async fn populated_tenant(&self, slug: &str) -> TenantFixture {
        let fixture = self.tenant(slug).await;
        let store = &self.state().store;
        branches::create(
            store,
            &fixture.owner,
            BranchInput {
                name: format!("{slug} Harbour"),
                city: Some(format!("{slug} harbour city")),
                time_zone: "America/New_York".into(),
                ..BranchInput::default()
            },
        )
        .await
        .expect("second branch");
        domains::add(
            store,
            &fixture.owner,
            &format!("service.{slug}-garage.example"),
            Some(crate::BASE_DOMAIN),
        )
        .await
        .expect("custom domain");
        let message = pitlane_notify::service::send_test_email(
            store,
            &self.state().outbox,
            &fixture.owner,
            "Fixture Owner",
            &format!("desk@{slug}-garage.example"),
        )
        .await
        .expect("a message");
        // Where the server runs its own workers, let them finish, so the world holds still.
        if self.state().workers.is_some() {
            for _ in 0..200 {
                let message = pitlane_notify::service::get_message(store, &fixture.owner, message)
                    .await
                    .expect("the message");
                if matches!(message.status.as_str(), "sent" | "dead") {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
        fixture
    }
}

impl TestApp {
    /// Adds a staff member with this role to a tenant; returns their e-mail and password.
    pub async fn member(&self, tenant: &TenantFixture, role: Role) -> (String, String) {
        let email = format!("{}@{}.example.com", role.key(), tenant.slug);
        let password = format!("{}-password-123", role.key());
        let tx = self
            .state()
            .store
            .tx(&TenantCtx::new(tenant.id))
            .await
            .expect("tx");
        pitlane_identity::add_member(
            &tx,
            pitlane_identity::NewMember {
                email: pitlane_domain::text::Email::parse(&email).expect("email"),
                name: pitlane_domain::text::DisplayName::parse(role.label(), 120).expect("name"),
                password: pitlane_domain::text::NewPassword::parse(&password).expect("password"),
                role,
            },
        )
        .await
        .expect("add member");
        tx.commit().await.expect("commit");
        (email, password)
    }
}
