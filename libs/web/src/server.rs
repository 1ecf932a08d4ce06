//! Start-up, the route tree, and shutdown.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use pitlane_bus::Bus;
use pitlane_store::{Store, StoreError, StoreOptions};
use poem::{
    Endpoint, EndpointExt, IntoEndpoint, IntoResponse, Response, Route, Server, get, handler,
    http::StatusCode,
    listener::{Acceptor, Listener, TcpListener},
    middleware::CookieJarManager,
    post,
    session::{CookieConfig, ServerSession},
    web::{Data, Json, cookie::SameSite},
};

use crate::{
    api,
    config::{Config, LogFormat},
    metrics::Metrics,
    observe::Observe,
    pages::{
        access, account, auth, booking, calendar, campaigns, customer, customers, desk_settings,
        domains, errors::PageErrors, floor, inbox, inventory, invoices, messages, notifications,
        operator, pay, picker, portal, public, purchasing, repair, signup, sso, staff, templates,
        two_factor, workshop, workshop_settings,
    },
    problem,
    session::{BusSessions, Csrf, LoadAuth, SESSION_COOKIE, SESSION_LIFETIME},
    state::AppState,
    tenant::{TenantCache, TenantDispatch},
};

/// Why the server could not start. Each is one readable line; `exit_code` says how to exit.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("configuration: {0}")]
    Config(#[from] crate::config::ConfigError),
    #[error("database: {0}")]
    Database(String),
    /// The database is set up so that the server must not run on it (a role that could read
    /// around row-level security, no schema); the text says how to fix it.
    #[error("{0}")]
    Setup(String),
    #[error("redis: {0}")]
    Redis(String),
    #[error("cannot listen on {addr}: {error}")]
    Listen { addr: String, error: String },
}

impl StartError {
    pub fn exit_code(&self) -> i32 {
        match self {
            StartError::Config(_) | StartError::Setup(_) => 2,
            _ => 1,
        }
    }
}

fn db_error(err: StoreError) -> StartError {
    match err {
        StoreError::UnsafeRole(message) | StoreError::Config(message) => StartError::Setup(message),
        other => StartError::Database(other.to_string()),
    }
}

pub fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn,poem=warn")
    });
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(ansi);
    // A second call (tests start many servers in one process) keeps the first subscriber.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
    };
}

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
    };
    let frontdesk = pitlane_frontdesk::FrontDesk {
        store: store.clone(),
        outbox,
        live: live.clone(),
        signer: identity.signer.clone(),
        calendar_domain: crate::links::deployment_host(&config),
        mail_from: config.notify.mail_from.clone(),
        send_limits: identity.send_limits.clone(),
    };
    let inventory = pitlane_inventory::Inventory {
        store: store.clone(),
        live: live.clone(),
    };
    let workshop = pitlane_workshop::Workshop {
        desk: frontdesk.clone(),
        inventory: inventory.clone(),
        photos: match &config.photo_s3 {
            Some(s3) => Arc::new(
                pitlane_workshop::storage::S3Bucket::new(s3)
                    .map_err(|e| StartError::Setup(format!("photo storage: {e}")))?,
            ),
            None => Arc::new(pitlane_workshop::storage::LocalDisk::new(
                config.photo_dir.clone(),
            )),
        },
    };
    let billing = pitlane_billing::Billing::new(workshop.clone(), config.stripe.clone())
        .map_err(|e| StartError::Setup(format!("Stripe: {e}")))?;
    if let Some(credentials) = demo_created {
        // The demo's front desk and workshop come with it, so a first start has a calendar,
        // repair orders and parts to look at.
        let demo = store
            .tenant_by_slug(pitlane_tenancy::DEMO_SLUG)
            .await
            .map_err(|e| StartError::Database(e.to_string()))?;
        let mut mechanic = None;
        if let Some(demo) = demo {
            let site = crate::links::site_of_tenant(&config, &demo.slug);
            let tenant = pitlane_domain::ids::TenantId(demo.id);
            match pitlane_frontdesk::demo::seed(&frontdesk, tenant, &site).await {
                Ok(login) => {
                    mechanic = Some(login);
                    if let Err(err) = pitlane_workshop::demo::seed(&workshop, tenant).await {
                        tracing::warn!(error = %err, "the demo workshop's floor could not be filled");
                    }
                    if let Err(err) = pitlane_billing::demo::seed(&billing, tenant, &site).await {
                        tracing::warn!(error = %err, "the demo workshop's invoice could not be made");
                    }
                }
                Err(err) => {
                    tracing::warn!(error = %err, "the demo workshop's front desk could not be filled");
                }
            }
        }
        print_demo_credentials(&config, &credentials, mechanic.as_ref());
    }
    Ok(AppState {
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
        tenants: Arc::new(TenantCache::default()),
    })
}

fn print_demo_credentials(
    config: &Config,
    credentials: &pitlane_tenancy::DemoCredentials,
    mechanic: Option<&(String, String)>,
) {
    let origin = config.public_url.as_str().trim_end_matches('/');
    println!();
    println!("  Demo workshop created. Sign in at {origin}/t/demo/signin");
    println!("    e-mail:   {}", credentials.email);
    println!("    password: {}", credentials.password);
    if let Some((email, password)) = mechanic {
        println!("  A mechanic, for \"My jobs\" and the job board:");
        println!("    e-mail:   {email}");
        println!("    password: {password}");
    }
    println!("  The password is shown only this once.");
    println!();
}

#[handler]
fn healthz() -> &'static str {
    "ok"
}

#[handler]
async fn readyz(state: Data<&AppState>) -> Response {
    let check = Duration::from_secs(2);
    let database = matches!(
        tokio::time::timeout(check, state.store.ping()).await,
        Ok(Ok(()))
    );
    let redis = if state.bus.is_redis() {
        Some(matches!(
            tokio::time::timeout(check, state.bus.ping()).await,
            Ok(Ok(()))
        ))
    } else {
        None
    };
    let ready = database && redis.unwrap_or(true);
    let word = |ok: bool| if ok { "ok" } else { "unavailable" };
    let body = serde_json::json!({
        "status": word(ready),
        "database": word(database),
        "redis": redis.map(word).unwrap_or("not configured"),
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

/// The outbox's figures for `/metrics`, read at most every 15 seconds however often the
/// scraper (or someone else) asks.
#[derive(Default)]
pub struct QueueFigures {
    cached: tokio::sync::Mutex<Option<(Instant, String)>>,
}

const QUEUE_FIGURES_TTL: Duration = Duration::from_secs(15);

impl QueueFigures {
    async fn render(&self, store: &pitlane_store::Store) -> String {
        let mut cached = self.cached.lock().await;
        if let Some((at, text)) = cached.as_ref()
            && at.elapsed() < QUEUE_FIGURES_TTL
        {
            return text.clone();
        }
        let text = match store.outbox_stats().await {
            Ok(stats) => {
                let rows: Vec<_> = crate::pages::operator::summarize(&stats)
                    .into_values()
                    .collect();
                crate::metrics::queue_metrics(&rows)
            }
            Err(err) => {
                tracing::warn!(error = %err, "outbox figures for /metrics");
                String::new()
            }
        };
        *cached = Some((Instant::now(), text.clone()));
        text
    }
}

async fn metrics_body(state: &AppState) -> Response {
    let mut body = state.metrics.render();
    // The OpenMetrics end marker must stay last.
    if let Some(stripped) = body.strip_suffix("# EOF\n") {
        body.truncate(stripped.len());
    }
    body.push_str(&state.queue_figures.render(&state.store).await);
    if let Some(workers) = &state.workers {
        body.push_str(&crate::metrics::worker_metrics(&workers.stats()));
    }
    body.push_str("# EOF\n");
    Response::builder()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body)
}

/// `/metrics` on the platform's host: only with `PITLANE_METRICS_TOKEN` as a bearer token
/// (not served at all without one). Workshops' hosts never serve it.
#[handler]
async fn metrics(req: &poem::Request, state: Data<&AppState>) -> Response {
    let Some(expected) = &state.config.metrics_token else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let given = req
        .headers()
        .get(poem::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !bool::from(subtle::ConstantTimeEq::ct_eq(
        given.as_bytes(),
        expected.as_bytes(),
    )) {
        return Response::builder()
            .status(StatusCode::UNAUTHORIZED)
            .header("WWW-Authenticate", "Bearer")
            .finish();
    }
    metrics_body(&state).await
}

/// `/metrics` on `PITLANE_METRICS_ADDR`, the scraper's own address.
#[handler]
async fn metrics_on_own_address(state: Data<&AppState>) -> Response {
    metrics_body(&state).await
}

/// The whole route tree.
pub fn routes(state: AppState) -> impl Endpoint<Output = Response> {
    let config = state.config.clone();
    let api_service = api::service();
    let spec = api_service.spec_endpoint();
    let docs = api_service.swagger_ui();

    let csrf = Csrf::new(&config.keyring(), config.is_https());
    let cookie = CookieConfig::default()
        .name(SESSION_COOKIE)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(config.is_https())
        .max_age(SESSION_LIFETIME);

    let pages = Route::new()
        .at("/", get(public::tenant_home))
        .at("/signin", get(auth::sign_in_form).post(auth::sign_in))
        .at("/signout", post(auth::sign_out))
        .at("/signin/oauth/:provider", get(sso::start))
        .at("/signin/handoff", get(sso::handoff))
        .at(
            "/signin/two-factor",
            get(two_factor::code_form).post(two_factor::check_code),
        )
        .at(
            "/portal/account/two-factor",
            get(two_factor::setup_form).post(two_factor::enable),
        )
        .at(
            "/portal/account/two-factor/disable",
            post(two_factor::disable),
        )
        .at(
            "/portal/settings/security",
            get(two_factor::security).post(two_factor::save_security),
        )
        .at(
            "/portal/settings/domains",
            get(domains::list).post(domains::add),
        )
        .at("/portal/settings/domains/:id/verify", post(domains::verify))
        .at("/portal/settings/domains/:id/remove", post(domains::remove))
        .at(
            "/forgot-password",
            get(account::forgot_form).post(account::forgot),
        )
        .at(
            "/reset-password",
            get(account::reset_form).post(account::reset),
        )
        .at("/verify-email", get(account::verify_email))
        .at(
            "/invitations/accept",
            get(account::accept_form).post(account::accept),
        )
        .at("/portal/account", get(access::account))
        .at(
            "/portal/account/verify-email",
            post(access::resend_verification),
        )
        .at(
            "/portal/account/sign-out-everywhere",
            post(access::sign_out_everywhere),
        )
        .at("/portal/staff", get(staff::list))
        .at("/portal/staff/invitations", post(staff::invite))
        .at("/apply", get(staff::apply_form).post(staff::apply))
        .at("/account", get(customer::home))
        .at(
            "/account/signin",
            get(customer::link_form).post(customer::send_link),
        )
        .at("/account/magic", get(customer::magic))
        .at("/book", get(booking::start_form).post(booking::submit))
        .at("/book/code", get(booking::code_form).post(booking::confirm))
        .at("/book/manage", get(booking::manage))
        .at("/book/manage/move", post(booking::move_booking))
        .at("/book/manage/cancel", post(booking::cancel_booking))
        .at("/book/manage/check-in", post(booking::check_in))
        .at("/book/manage/calendar.ics", get(booking::calendar_file))
        .at("/repair", get(repair::show_order))
        .at("/repair/answer", post(repair::answer_estimate))
        .at("/repair/follow", post(repair::follow))
        .at("/repair/events", get(repair::order_events))
        .at("/invoice", get(pay::show))
        .at("/invoice/pay", post(pay::pay))
        .at("/invoice/paid", get(pay::paid))
        .at("/invoice/pdf", get(pay::pdf))
        .at("/invoice/events", get(pay::invoice_events))
        .at("/repair/photos/:id", get(repair::order_photo))
        .at("/account/password", post(customer::save_password))
        .at("/portal/staff/applications", get(staff::applications))
        .at(
            "/portal/staff/applications/:id/approve",
            post(staff::approve),
        )
        .at("/portal/staff/applications/:id/reject", post(staff::reject))
        .at("/portal/staff/invitations/:id/revoke", post(staff::revoke))
        .at(
            "/portal/staff/roles",
            get(staff::roles_list).post(staff::create_role),
        )
        .at(
            "/portal/staff/roles/:id",
            get(staff::role_detail).post(staff::save_role),
        )
        .at("/portal/staff/roles/:id/delete", post(staff::delete_role))
        .at(
            "/portal/staff/:id",
            get(staff::member_detail).post(staff::save_member),
        )
        .at("/portal/staff/:id/status", post(staff::member_status))
        .at(
            "/portal/settings/api-keys",
            get(access::keys_list).post(access::create_key),
        )
        .at(
            "/portal/settings/api-keys/:id/revoke",
            post(access::revoke_key),
        )
        .at("/portal/audit", get(access::audit_log))
        .at(
            "/portal/repair-orders",
            get(workshop::board).post(workshop::open_order),
        )
        .at("/portal/repair-orders/:id", get(workshop::show_order))
        .at(
            "/portal/repair-orders/:id/status",
            post(workshop::change_status),
        )
        .at("/portal/repair-orders/:id/lines", post(workshop::add_line))
        .at(
            "/portal/repair-orders/:id/follow",
            post(workshop::follow_updates),
        )
        .at(
            "/portal/repair-orders/:id/lines/:line/remove",
            post(workshop::remove_line),
        )
        .at(
            "/portal/repair-orders/:id/canned-jobs",
            post(workshop::add_canned),
        )
        .at(
            "/portal/repair-orders/:id/send",
            post(workshop::send_estimate),
        )
        .at(
            "/portal/repair-orders/:id/answer",
            post(workshop::record_answer),
        )
        .at(
            "/portal/repair-orders/:id/jobs/:job/assign",
            post(workshop::assign_job),
        )
        .at(
            "/portal/repair-orders/:id/jobs/:job/board",
            post(workshop::board_job),
        )
        .at(
            "/portal/repair-orders/:id/jobs/:job/applications/:application/accept",
            post(workshop::accept_application),
        )
        .at(
            "/portal/repair-orders/:id/inspections",
            post(workshop::start_inspection),
        )
        .at("/portal/inspections/:id", get(workshop::inspection))
        .at(
            "/portal/inspections/:id/items/:item",
            post(workshop::rate_point),
        )
        .at(
            "/portal/inspections/:id/items/:item/photos",
            post(workshop::upload_photo),
        )
        .at(
            "/portal/inspections/:id/complete",
            post(workshop::complete_inspection),
        )
        .at(
            "/portal/inspections/:id/recommend",
            post(workshop::recommend),
        )
        .at("/portal/my-jobs", get(floor::my_jobs))
        .at("/portal/my-jobs/:id/clock", post(floor::clock))
        .at("/portal/job-board", get(floor::job_board))
        .at("/portal/job-board/:id/apply", post(floor::apply))
        .at("/portal/earnings", get(floor::earnings_page))
        .at("/portal/invoices", get(invoices::list))
        .at("/portal/invoices/:id", get(invoices::show))
        .at("/portal/invoices/:id/pdf", get(invoices::pdf))
        .at("/portal/invoices/:id/lines", post(invoices::add_line))
        .at(
            "/portal/invoices/:id/lines/:line/remove",
            post(invoices::remove_line),
        )
        .at("/portal/invoices/:id/issue", post(invoices::issue))
        .at("/portal/invoices/:id/void", post(invoices::void))
        .at(
            "/portal/invoices/:id/payments",
            post(invoices::record_payment),
        )
        .at(
            "/portal/invoices/:id/payments/:payment",
            get(invoices::receipt),
        )
        .at(
            "/portal/invoices/:id/payments/:payment/refund",
            post(invoices::refund),
        )
        .at("/portal/invoices/:id/credit-notes", post(invoices::credit))
        .at(
            "/portal/repair-orders/:id/invoice",
            post(invoices::from_order),
        )
        .at("/portal/settings/payments", get(invoices::payment_settings))
        .at(
            "/portal/settings/payments/invoices",
            post(invoices::save_invoice_settings),
        )
        .at(
            "/portal/settings/payments/tax-rates",
            post(invoices::add_tax_rate),
        )
        .at(
            "/portal/settings/payments/connect",
            post(invoices::connect_stripe),
        )
        .at(
            "/portal/settings/payments/return",
            get(invoices::stripe_return),
        )
        .at(
            "/portal/settings/payments/refresh",
            get(invoices::stripe_refresh),
        )
        .at(
            "/portal/settings/plan",
            get(invoices::payment_settings).post(invoices::choose_plan),
        )
        .at("/portal/settings/plan/portal", post(invoices::plan_portal))
        .at(
            "/portal/settings/workshop",
            get(workshop_settings::show).post(workshop_settings::save),
        )
        .at(
            "/portal/settings/workshop/branches/:id",
            post(workshop_settings::save_rates),
        )
        .at(
            "/portal/settings/workshop/canned-jobs",
            post(workshop_settings::add_canned),
        )
        .at(
            "/portal/settings/workshop/checklists",
            post(workshop_settings::add_checklist),
        )
        .at("/portal/inventory", get(inventory::catalogue))
        .at(
            "/portal/inventory/purchase-orders",
            get(purchasing::orders).post(purchasing::create_order),
        )
        .at(
            "/portal/inventory/purchase-orders/:id",
            get(purchasing::order_page),
        )
        .at(
            "/portal/inventory/purchase-orders/:id/order",
            post(purchasing::mark_ordered),
        )
        .at(
            "/portal/inventory/purchase-orders/:id/cancel",
            post(purchasing::cancel_order),
        )
        .at(
            "/portal/inventory/purchase-orders/:id/deliveries",
            post(purchasing::receive),
        )
        .at(
            "/portal/inventory/suppliers",
            post(purchasing::create_supplier),
        )
        .at(
            "/portal/inventory/counts",
            get(purchasing::counts_list).post(purchasing::start_count),
        )
        .at("/portal/inventory/counts/:id", get(purchasing::count_page))
        .at(
            "/portal/inventory/counts/:id/counted",
            post(purchasing::save_counted),
        )
        .at(
            "/portal/inventory/counts/:id/complete",
            post(purchasing::complete_count),
        )
        .at("/portal/inventory/parts", post(inventory::create_part))
        .at(
            "/portal/inventory/parts/:id",
            get(inventory::part_page).post(inventory::update_part),
        )
        .at(
            "/portal/inventory/parts/:id/movements",
            post(inventory::record_movement),
        )
        .at(
            "/portal/inventory/parts/:id/transfers",
            post(inventory::transfer_stock),
        )
        .at(
            "/portal/inventory/parts/:id/reorder",
            post(inventory::set_reorder_point),
        )
        .at(
            "/portal/customers",
            get(customers::list).post(customers::create),
        )
        .at(
            "/portal/customers/:id",
            get(customers::show).post(customers::update),
        )
        .at(
            "/portal/customers/:id/consent",
            post(customers::save_consent),
        )
        .at("/portal/customers/:id/notes", post(customers::add_note))
        .at(
            "/portal/customers/:id/conversation",
            post(customers::open_conversation),
        )
        .at(
            "/portal/customers/:id/vehicles",
            post(customers::add_vehicle),
        )
        .at("/portal/customers/:id/merge", post(customers::merge))
        .at("/portal/customers/:id/erase", post(customers::erase))
        .at("/portal/customers/:id/export", get(customers::export))
        .at("/portal/customers/:id/data", get(customers::data_page))
        .at(
            "/portal/vehicles/:id",
            get(customers::show_vehicle).post(customers::update_vehicle),
        )
        .at(
            "/portal/vehicles/:id/mileage",
            post(customers::record_mileage),
        )
        .at("/portal/calendar", get(calendar::calendar))
        .at(
            "/portal/campaigns",
            get(campaigns::campaign_form).post(campaigns::submit),
        )
        .at(
            "/unsubscribe",
            get(campaigns::unsubscribe_form).post(campaigns::unsubscribe),
        )
        .at("/portal/inbox", get(inbox::list))
        .at("/portal/inbox/:id", get(inbox::show))
        .at("/portal/inbox/:id/reply", post(inbox::reply))
        .at("/portal/inbox/:id/assign", post(inbox::assign))
        .at(
            "/account/messages",
            get(inbox::customer_messages).post(inbox::customer_write),
        )
        .at("/portal/appointments", post(calendar::create))
        .at("/portal/appointments/new", get(calendar::new_form))
        .at("/portal/appointments/:id", get(calendar::appointment))
        .at(
            "/portal/appointments/:id/move",
            post(calendar::move_appointment),
        )
        .at(
            "/portal/appointments/:id/status",
            post(calendar::change_status),
        )
        .at("/portal/settings/front-desk", get(desk_settings::show))
        .at(
            "/portal/settings/front-desk/services",
            post(desk_settings::add_service),
        )
        .at(
            "/portal/settings/front-desk/services/:id",
            get(desk_settings::show_service).post(desk_settings::update_service),
        )
        .at(
            "/portal/settings/front-desk/bays",
            post(desk_settings::add_bay),
        )
        .at(
            "/portal/settings/front-desk/closures",
            post(desk_settings::add_closure),
        )
        .at(
            "/portal/settings/front-desk/closures/:id/delete",
            post(desk_settings::remove_closure),
        )
        .at(
            "/portal/settings/front-desk/booking",
            post(desk_settings::save_booking),
        )
        .at("/theme", post(public::set_theme))
        .at("/portal", get(portal::dashboard))
        .at(
            "/portal/settings",
            get(portal::settings).post(portal::save_settings),
        )
        .at("/portal/messages", get(messages::list))
        .at("/portal/messages/:id/retry", post(messages::retry))
        .at(
            "/portal/settings/messages",
            get(messages::settings).post(messages::save_sender),
        )
        .at("/portal/settings/messages/test", post(messages::send_test))
        .at("/portal/settings/templates", get(templates::list))
        .at(
            "/portal/settings/templates/:kind/:channel",
            get(templates::edit).post(templates::save),
        )
        .at(
            "/portal/settings/templates/:kind/:channel/reset",
            post(templates::reset),
        )
        .at("/portal/notifications", get(notifications::list))
        .at(
            "/portal/notifications/read-all",
            post(notifications::read_all),
        )
        .at("/portal/notifications/:id/read", post(notifications::read))
        .with(notifications::LoadUnread)
        .with(PageErrors);
    let tenant_app = Route::new()
        .nest_no_strip(
            "/api/v1",
            api_service
                .into_endpoint()
                .catch_all_error(|err| async move { problem::from_poem_error(err) })
                .with(crate::idempotency::Idempotency),
        )
        .at("/events", get(crate::events::events))
        .nest("/", pages)
        .with(LoadAuth)
        .with(csrf.clone())
        .with(ServerSession::new(
            cookie,
            BusSessions::new(state.bus.kv.clone()),
        ));

    let platform_app = Route::new()
        .at("/", get(public::platform_home))
        .at("/go", get(public::go))
        .at("/signup", get(signup::signup_form).post(signup::signup))
        .at("/signup/sent", get(signup::sent))
        .at("/signin", get(picker::sign_in_form).post(picker::sign_in))
        .at("/operator/queues", get(operator::queues_page))
        .at("/operator/api/queues", get(operator::queues_json))
        .at("/operator/tenants", get(operator::tenants_page))
        .at("/operator/api/tenants", get(operator::tenants_json))
        .at("/operator/tenants/:id", get(operator::tenant_page))
        .at(
            "/operator/tenants/:id/status",
            post(operator::tenant_status),
        )
        .at("/theme", post(public::set_theme))
        .at("/metrics", get(metrics))
        .with(PageErrors)
        .with(csrf)
        .with(CookieJarManager::new());

    let platform_hosts = config
        .public_url
        .host_str()
        .map(|h| vec![h.to_ascii_lowercase()])
        .unwrap_or_default();
    let dispatch = TenantDispatch {
        tenant_app,
        platform_app,
        store: state.store.clone(),
        cache: state.tenants.clone(),
        base_domain: config.base_domain.clone(),
        platform_hosts,
        plans_enforced: state.billing.gateway.is_some(),
    };

    Route::new()
        .at("/healthz", get(healthz))
        .at("/readyz", get(readyz))
        .at("/static/app.css", get(public::stylesheet))
        .at("/static/app.js", get(public::script))
        .at(
            "/oauth/callback",
            get(sso::callback).with(CookieJarManager::new()),
        )
        .at("/webhooks/sms/inbound", post(crate::webhooks::inbound_sms))
        .at("/webhooks/stripe", post(crate::webhooks::stripe))
        .at("/webhooks/sms/status", post(crate::webhooks::sms_status))
        .at("/api/openapi.json", spec)
        .nest("/api/docs", docs)
        .nest(
            "/",
            dispatch.with(crate::input_guard::RefuseControlCharacters),
        )
        .data(state.clone())
        .with(crate::client_ip::ResolveClientIp {
            trusted: Arc::new(config.trusted_proxies.clone()),
        })
        .with(Observe {
            metrics: state.metrics.clone(),
        })
}

/// A server running in this process (tests and `serve` both use it).
pub struct RunningServer {
    pub addr: std::net::SocketAddr,
    /// Where `/metrics` is served on its own (`PITLANE_METRICS_ADDR`), once bound.
    pub metrics_addr: Option<std::net::SocketAddr>,
    metrics_task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    pub state: AppState,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    workers: Option<pitlane_notify::WorkersHandle>,
    sweeps: tokio::task::JoinHandle<()>,
}

impl RunningServer {
    /// Stops accepting, lets requests in flight finish (up to 10 s), and waits.
    pub async fn stop(mut self) {
        self.sweeps.abort();
        if let Some(task) = self.metrics_task.take() {
            task.abort();
        }
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
        if let Some(workers) = self.workers.take() {
            workers.stop().await;
        }
    }

    pub async fn wait(self) -> std::io::Result<()> {
        self.task
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }
}

/// Prepares and starts listening; returns once the port is bound.
pub async fn start(mut config: Config) -> Result<RunningServer, StartError> {
    let addr = config.addr;
    let acceptor = TcpListener::bind(addr.to_string())
        .into_acceptor()
        .await
        .map_err(|e| StartError::Listen {
            addr: addr.to_string(),
            error: e.to_string(),
        })?;
    let bound = acceptor
        .local_addr()
        .into_iter()
        .find_map(|a| a.as_socket_addr().copied())
        .unwrap_or(addr);
    // Listening on any free port (`:0`, as tests do) with the public URL left to its default:
    // links name the port actually bound.
    if config.public_url.port() == Some(0) {
        let _ = config.public_url.set_port(Some(bound.port()));
        config.notify.public_url = config.public_url.as_str().trim_end_matches('/').to_owned();
    }
    let state = prepare(config).await?;
    let (metrics_addr, metrics_task) = match state.config.metrics_addr {
        None => (None, None),
        Some(at) => {
            let acceptor = TcpListener::bind(at.to_string())
                .into_acceptor()
                .await
                .map_err(|e| StartError::Listen {
                    addr: at.to_string(),
                    error: e.to_string(),
                })?;
            let bound_metrics = acceptor
                .local_addr()
                .into_iter()
                .find_map(|a| a.as_socket_addr().copied());
            let app = Route::new()
                .at("/metrics", get(metrics_on_own_address))
                .data(state.clone());
            let task = tokio::spawn(Server::new_with_acceptor(acceptor).run(app));
            (bound_metrics, Some(task))
        }
    };
    let app = routes(state.clone());
    let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        Server::new_with_acceptor(acceptor)
            .run_with_graceful_shutdown(
                app,
                async move {
                    let _ = shutdown_rx.await;
                },
                Some(Duration::from_secs(10)),
            )
            .await
    });
    let workers = state.workers.as_ref().map(pitlane_notify::Workers::start);
    let sweeps = crate::sweeps::spawn(state.clone());
    Ok(RunningServer {
        addr: bound,
        metrics_addr,
        metrics_task,
        state,
        shutdown: Some(shutdown_tx),
        task,
        workers,
        sweeps,
    })
}

/// `pitlane-server serve`: runs until SIGTERM or Ctrl-C, then drains.
pub async fn serve(config: Config) -> Result<(), StartError> {
    let started = Instant::now();
    let public_url = config.public_url.clone();
    let server = start(config).await?;
    tracing::info!(
        addr = %server.addr,
        startup_ms = started.elapsed().as_millis() as u64,
        "listening; open {public_url}"
    );
    let addr = server.addr;
    let shutdown_signal = shutdown_signal();
    tokio::pin!(shutdown_signal);
    let mut server = server;
    tokio::select! {
        () = &mut shutdown_signal => {
            tracing::info!("shutting down: finishing requests in flight");
            server.sweeps.abort();
            server.shutdown.take().map(|tx| tx.send(()));
            let _ = (&mut server.task).await;
            if let Some(workers) = server.workers.take() {
                workers.stop().await;
            }
        }
        result = &mut server.task => {
            if let Ok(Err(err)) = result {
                return Err(StartError::Listen { addr: addr.to_string(), error: err.to_string() });
            }
        }
    }
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGTERM (how orchestrators stop a process) or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
