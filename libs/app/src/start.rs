//! Start-up: the checks that stop a process before it serves anything, migrations, and the
//! application's state built from the configuration.

use std::sync::Arc;

use pitlane_bus::Bus;
use pitlane_store::{Store, StoreOptions};

use crate::{
    config::Config,
    error::{StartError, db_error},
    metrics::Metrics,
    state::AppState,
    tenants::TenantCache,
};

/// Applies migrations: as the owner role (`DATABASE_ADMIN_URL`) on PostgreSQL, which then
/// creates or updates the application role of `DATABASE_URL` and its grants.
pub async fn migrate(config: &Config) -> Result<(), StartError> {
    if let Some(dir) = config.sqlite_dir() {
        std::fs::create_dir_all(&dir)
            .map_err(|e| StartError::Database(format!("cannot create {}: {e}", dir.display())))?;
    }
    let admin_url = config
        .database_admin_url
        .as_deref()
        .unwrap_or(&config.database_url);
    let admin = Store::connect(&StoreOptions {
        url: admin_url.to_owned(),
        max_connections: 1,
    })
    .await
    .map_err(db_error)?;
    // Instances starting at once take turns (the lock is the one connection's).
    admin.lock_migrations().await.map_err(db_error)?;
    admin.migrate().await.map_err(db_error)?;
    if admin.is_postgres() && config.database_admin_url.is_some() {
        admin
            .grant_app_role(&config.database_url, pitlane_store::RoleUse::Web)
            .await
            .map_err(db_error)?;
        if let Some(worker_url) = &config.database_worker_url {
            admin
                .grant_app_role(worker_url, pitlane_store::RoleUse::Worker)
                .await
                .map_err(db_error)?;
        }
    }
    admin.unlock_migrations().await.map_err(db_error)?;
    Ok(())
}

/// Connects everything and makes the demo tenant if asked; what `serve` and tests share.
pub async fn prepare(config: Config) -> Result<AppState, StartError> {
    if config.is_embedded() || config.database_admin_url.is_some() {
        migrate(&config).await?;
    }
    let store = Store::connect(&StoreOptions {
        url: config.database_url.clone(),
        max_connections: config.database_pool_size,
    })
    .await
    .map_err(db_error)?;
    store.check_role_is_safe().await.map_err(db_error)?;
    store.check_schema().await.map_err(db_error)?;

    let bus = match &config.redis_url {
        Some(url) => Bus::redis(url, &config.redis_prefix)
            .await
            .map_err(|e| StartError::Redis(e.to_string()))?,
        None => Bus::in_process(),
    };

    let demo_created = if config.demo {
        match pitlane_tenancy::ensure_demo_tenant(&store).await {
            Ok(created) => created,
            Err(err) => {
                return Err(StartError::Database(format!(
                    "creating the demo tenant: {err}"
                )));
            }
        }
    } else {
        None
    };

    let dns: Arc<dyn pitlane_tenancy::dns::TxtResolver> = match config.dns_server {
        Some(server) => Arc::new(
            pitlane_tenancy::dns::DnsResolver::at(server)
                .map_err(|e| StartError::Setup(format!("PITLANE_DNS_SERVER: {e}")))?,
        ),
        None => match pitlane_tenancy::dns::DnsResolver::system() {
            Ok(resolver) => Arc::new(resolver),
            Err(err) => {
                tracing::warn!(error = %err, "no system DNS configuration: custom domains cannot be checked (set PITLANE_DNS_SERVER)");
                Arc::new(pitlane_tenancy::dns::NoDns)
            }
        },
    };
    let live = pitlane_notify::Live::new(bus.clone());
    // Embedded: one process, so it runs the workers itself, on the in-process queue. On
    // PostgreSQL they connect as the workers' role, which alone may claim messages.
    let workers = if bus.is_redis() {
        None
    } else {
        let worker_store = match (&config.database_worker_url, store.is_postgres()) {
            (Some(url), true) => Store::connect(&StoreOptions {
                url: url.clone(),
                max_connections: 4,
            })
            .await
            .map_err(db_error)?,
            _ => store.clone(),
        };
        Some(
            pitlane_notify::Workers::new(
                worker_store,
                bus.clone(),
                live.clone(),
                config.notify.clone(),
                "embedded".into(),
            )
            .map_err(|e| StartError::Setup(format!("mail: {e}")))?,
        )
    };

    let outbox = pitlane_notify::Outbox::new(&config.notify);
    let identity = pitlane_identity::Identity {
        store: store.clone(),
        outbox,
        throttle: pitlane_identity::throttle::Throttle::new(
            bus.kv.clone(),
            pitlane_identity::throttle::Limits {
                window: config.signin_lockout,
                lockout: config.signin_lockout,
                ..pitlane_identity::throttle::Limits::default()
            },
        ),
        signer: pitlane_identity::links::LinkSigner::new(config.keyring()),
        kv: bus.kv.clone(),
        send_limits: pitlane_notify::abuse::SendLimits::new(bus.kv.clone()),
        key_use: pitlane_identity::key_use::KeyUse::new(store.clone()),
    };
    let photos: Arc<dyn pitlane_workshop::storage::PhotoStorage> = match &config.photo_s3 {
        Some(s3) => Arc::new(
            pitlane_workshop::storage::S3Bucket::new(s3)
                .map_err(|e| StartError::Setup(format!("photo storage: {e}")))?,
        ),
        None => Arc::new(pitlane_workshop::storage::LocalDisk::new(
            config.photo_dir.clone(),
        )),
    };
    let frontdesk = pitlane_frontdesk::FrontDesk {
        store: store.clone(),
        outbox,
        live: live.clone(),
        signer: identity.signer.clone(),
        calendar_domain: crate::links::deployment_host(&config),
        mail_from: config.notify.mail_from.clone(),
        send_limits: identity.send_limits.clone(),
        // The owners of the copies of a customer's details keep them up to date.
        customer_hooks: std::sync::Arc::new([
            std::sync::Arc::new(pitlane_workshop::customer_copies::OrdersFollowTheirCustomer)
                as std::sync::Arc<dyn pitlane_frontdesk::hooks::CustomerHook>,
            std::sync::Arc::new(pitlane_billing::customer_copies::InvoicesForgetErasedCustomers),
            std::sync::Arc::new(pitlane_roadside::customers::RequestsFollowTheirCustomer {
                store: store.clone(),
                live: live.clone(),
                bus: bus.clone(),
                photos: photos.clone(),
            }),
        ]),
    };
    let inventory = pitlane_inventory::Inventory {
        store: store.clone(),
        live: live.clone(),
    };
    let workshop = pitlane_workshop::Workshop {
        desk: frontdesk.clone(),
        inventory: inventory.clone(),
        photos,
    };
    let billing = pitlane_billing::Billing::new(workshop.clone(), config.stripe.clone())
        .map_err(|e| StartError::Setup(format!("Stripe: {e}")))?;
    let roadside = pitlane_roadside::Roadside::new(billing.clone(), bus.clone());
    let demo_history = match demo_created {
        Some(credentials) => crate::demo::fill(
            &config,
            &store,
            &frontdesk,
            &workshop,
            &roadside,
            &credentials,
        )
        .await?
        .map_or_else(crate::demo::DemoHistory::none, |tenant| {
            crate::demo::DemoHistory::make(billing.clone(), tenant)
        }),
        // A start stopped while it made the history makes it on the next (a workshop with
        // its history already is left alone).
        None if config.demo => match store.tenant_by_slug(pitlane_tenancy::DEMO_SLUG).await {
            Ok(Some(demo)) => crate::demo::DemoHistory::make(
                billing.clone(),
                pitlane_domain::ids::TenantId(demo.id),
            ),
            _ => crate::demo::DemoHistory::none(),
        },
        None => crate::demo::DemoHistory::none(),
    };
    let tenants = Arc::new(TenantCache::default());
    tenants.follow(&store, &bus);
    Ok(AppState {
        reports: pitlane_reports::Reports::new(billing.clone()),
        roadside,
        billing,
        outbox,
        identity,
        frontdesk,
        workshop,
        inventory,
        workers,
        live,
        store,
        bus,
        config: Arc::new(config),
        metrics: Arc::new(Metrics::default()),
        queue_figures: Arc::default(),
        dns,
        tenants,
        demo_history,
    })
}
