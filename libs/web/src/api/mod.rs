//! The REST API under `/api/v1`, documented by poem-openapi. Handlers are thin: they turn the
//! request into service input and the service's answer into JSON; errors are problem+json.

mod absences;
mod api_keys;
mod applications;
mod appointments;
mod audit;
mod bays;
mod billing;
mod booking_settings;
mod branches;
mod calendar_feeds;
mod canned_jobs;
mod closures;
mod conversations;
mod customers;
mod declined_services;
mod domains;
mod earnings;
mod feedback;
mod inspection_templates;
mod inspections;
mod invitations;
mod invoices;
mod job_board;
mod jobs;
mod me;
mod mechanics;
mod messages;
mod my_jobs;
mod my_ratings;
mod notifications;
mod parts;
mod permissions;
mod purchase_orders;
mod repair_orders;
mod reports;
mod roadside;
mod roles;
mod services;
pub mod shapes;
mod staff;
mod stock_counts;
mod stock_levels;
mod stock_movements;
mod stock_transfers;
mod suppliers;
mod tax_rates;
mod templates;
mod vehicles;
mod workshop;
mod workshop_settings;

use std::sync::LazyLock;

use poem::Request;
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ExtractParamOptions, OpenApiService, SecurityScheme, Tags,
    auth::{ApiKey, Bearer},
    registry::Registry,
};

use crate::session::Auth;

pub(crate) use inspections::photo_file;
pub(crate) use invoices::pdf_response;
pub(crate) use roadside::json::RoadsideQuote;

#[derive(Tags)]
pub enum ApiTags {
    /// Who is calling, and their notifications.
    Session,
    /// The workshop's own settings and brand.
    Workshop,
    /// The workshop's locations.
    Branches,
    /// Custom host names for the workshop's pages.
    Domains,
    /// E-mail and SMS to customers and staff: delivery state, dead letters, sender settings,
    /// templates, received SMS.
    Messages,
    /// Staff members, their roles and branches, invitations, and the workshop's own roles.
    Staff,
    /// API keys and the audit log.
    Access,
    /// Customers and their vehicles: consent, notes, search, merge, privacy export and erasure.
    Customers,
    /// The service catalogue, bays, mechanics' hours, closures, free slots, appointments and
    /// calendar feeds.
    Scheduling,
    /// Conversations with customers: the inbox, replies, read state and assignment.
    Conversations,
    /// Repair orders: the board, lines and totals, the customer's approval, canned jobs,
    /// declined services and digital inspections.
    RepairOrders,
    /// The mechanics' jobs: assignment, the job board, the time clock and earnings.
    Jobs,
    /// Parts, stock levels and movements, suppliers, purchase orders and stock counts.
    Inventory,
    /// Invoices, payments with receipts, refunds and credit notes; the Stripe connection and
    /// the workshop's plan.
    Invoices,
    /// Reports over any range of days, for a branch or the chain, and the figures behind them.
    Reports,
    /// Roadside help: drivers' requests, dispatch, the mechanics' duty and positions, and each
    /// branch's service area and prices.
    Roadside,
    /// Customers' ratings of the work and the mechanic: the inbox, replies, hiding abusive
    /// text, and a mechanic's own ratings.
    Feedback,
}

/// A signed-in member of the workshop, by the portal's session cookie.
/// Every `/api/v1` operation is scoped to the workshop of the host (or `/t/{slug}` prefix).
#[derive(SecurityScheme)]
#[oai(
    ty = "api_key",
    key_name = "pitlane_session",
    key_in = "cookie",
    checker = "signed_in_member"
)]
pub struct StaffSession(pub Auth);

async fn signed_in_member(req: &Request, _cookie: ApiKey) -> Option<Auth> {
    req.extensions()
        .get::<Auth>()
        .filter(|a| a.actor.api_key.is_none())
        .cloned()
}

/// An API key of the workshop (`Authorization: Bearer pl_…`), made under Settings → API keys.
/// It acts with its own permissions, never more than its creator's role allows.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "pl_{key}", checker = "api_key_holder")]
pub struct WorkshopApiKey(pub Auth);

async fn api_key_holder(req: &Request, _bearer: Bearer) -> Option<Auth> {
    req.extensions()
        .get::<Auth>()
        .filter(|a| a.actor.api_key.is_some())
        .cloned()
}

#[derive(SecurityScheme)]
enum Credentials {
    Session(StaffSession),
    Key(WorkshopApiKey),
}

/// Whoever calls: a member by session or an API key. Both schemes are declared on every
/// operation; the permission check is the same for both.
pub struct Caller(pub Auth);

impl<'a> ApiExtractor<'a> for Caller {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        Credentials::register(registry);
    }

    fn security_schemes() -> Vec<&'static str> {
        Credentials::security_schemes()
    }

    async fn from_request(
        req: &'a Request,
        body: &mut poem::RequestBody,
        param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        Ok(Caller(
            match Credentials::from_request(req, body, param_opts).await? {
                Credentials::Session(StaffSession(auth))
                | Credentials::Key(WorkshopApiKey(auth)) => auth,
            },
        ))
    }
}

// poem-openapi composes at most 16 APIs in one tuple, so they are grouped.

/// The workshop, its people, customers and the front desk.
type DeskApis = (
    (
        me::MeApi,
        workshop::WorkshopApi,
        branches::BranchesApi,
        domains::DomainsApi,
        messages::MessagesApi,
        templates::TemplatesApi,
        notifications::NotificationsApi,
        staff::StaffApi,
        invitations::InvitationsApi,
        applications::ApplicationsApi,
        permissions::PermissionsApi,
        roles::RolesApi,
        api_keys::ApiKeysApi,
        audit::AuditApi,
        customers::CustomersApi,
        vehicles::VehiclesApi,
    ),
    (
        services::ServicesApi,
        bays::BaysApi,
        mechanics::MechanicsApi,
        absences::AbsencesApi,
        closures::ClosuresApi,
        appointments::AppointmentsApi,
        calendar_feeds::CalendarFeedsApi,
        booking_settings::BookingSettingsApi,
        conversations::ConversationsApi,
        feedback::FeedbackApi,
        my_ratings::MyRatingsApi,
    ),
);

/// The floor: repair orders, jobs, parts and money.
type FloorApis = (
    (
        repair_orders::RepairOrdersApi,
        canned_jobs::CannedJobsApi,
        declined_services::DeclinedServicesApi,
        inspection_templates::InspectionTemplatesApi,
        inspections::InspectionsApi,
        workshop_settings::WorkshopSettingsApi,
        branches::workshop_rates::BranchWorkshopRatesApi,
        jobs::JobsApi,
        job_board::JobBoardApi,
        my_jobs::MyJobsApi,
        earnings::EarningsApi,
        mechanics::pay::MechanicPayApi,
    ),
    (
        parts::PartsApi,
        stock_levels::StockLevelsApi,
        stock_movements::StockMovementsApi,
        stock_transfers::StockTransfersApi,
        suppliers::SuppliersApi,
        purchase_orders::PurchaseOrdersApi,
        stock_counts::StockCountsApi,
        invoices::InvoicesApi,
        tax_rates::TaxRatesApi,
        billing::BillingApi,
        reports::ReportsApi,
    ),
);

/// Roadside help.
type RoadsideApis = (
    roadside::RoadsideApi,
    branches::roadside_settings::BranchRoadsideSettingsApi,
    mechanics::roadside::MechanicRoadsideApi,
);

pub type Apis = (DeskApis, FloorApis, RoadsideApis);

pub fn service() -> OpenApiService<Apis, ()> {
    let desk: DeskApis = (
        (
            me::MeApi,
            workshop::WorkshopApi,
            branches::BranchesApi,
            domains::DomainsApi,
            messages::MessagesApi,
            templates::TemplatesApi,
            notifications::NotificationsApi,
            staff::StaffApi,
            invitations::InvitationsApi,
            applications::ApplicationsApi,
            permissions::PermissionsApi,
            roles::RolesApi,
            api_keys::ApiKeysApi,
            audit::AuditApi,
            customers::CustomersApi,
            vehicles::VehiclesApi,
        ),
        (
            services::ServicesApi,
            bays::BaysApi,
            mechanics::MechanicsApi,
            absences::AbsencesApi,
            closures::ClosuresApi,
            appointments::AppointmentsApi,
            calendar_feeds::CalendarFeedsApi,
            booking_settings::BookingSettingsApi,
            conversations::ConversationsApi,
            feedback::FeedbackApi,
            my_ratings::MyRatingsApi,
        ),
    );
    let floor: FloorApis = (
        (
            repair_orders::RepairOrdersApi,
            canned_jobs::CannedJobsApi,
            declined_services::DeclinedServicesApi,
            inspection_templates::InspectionTemplatesApi,
            inspections::InspectionsApi,
            workshop_settings::WorkshopSettingsApi,
            branches::workshop_rates::BranchWorkshopRatesApi,
            jobs::JobsApi,
            job_board::JobBoardApi,
            my_jobs::MyJobsApi,
            earnings::EarningsApi,
            mechanics::pay::MechanicPayApi,
        ),
        (
            parts::PartsApi,
            stock_levels::StockLevelsApi,
            stock_movements::StockMovementsApi,
            stock_transfers::StockTransfersApi,
            suppliers::SuppliersApi,
            purchase_orders::PurchaseOrdersApi,
            stock_counts::StockCountsApi,
            invoices::InvoicesApi,
            tax_rates::TaxRatesApi,
            billing::BillingApi,
            reports::ReportsApi,
        ),
    );
    let roadside: RoadsideApis = (
        roadside::RoadsideApi,
        branches::roadside_settings::BranchRoadsideSettingsApi,
        mechanics::roadside::MechanicRoadsideApi,
    );
    OpenApiService::new(
        (desk, floor, roadside),
        "Pitlane API",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "The Pitlane workshop API. Every operation acts within one workshop (tenant): the one whose \
         API key the request sends (`Authorization: Bearer pl_…`) at the deployment's own address, \
         or the one named by the host name (`{slug}.{base domain}` or a custom domain) or a \
         `/t/{slug}` path prefix. Requests with an API key are limited per key and per workshop \
         each minute; every answer to one says where it stands in the IETF `RateLimit-Policy` and \
         `RateLimit` headers, and a request over a limit is answered 429 with `Retry-After`. \
         Errors are RFC 9457 problem documents (`application/problem+json`). Lists are paged with \
         `cursor` and `limit`; pass the `next_cursor` of one page as the `cursor` of the next. \
         Any POST may carry an `Idempotency-Key` header (1 to 255 characters, unique per request \
         of yours): sent again with the same key and body within 24 hours, it answers with the \
         first answer (header `Idempotent-Replayed: true`) instead of acting twice; with another \
         body, 422; while the first is still running, 409. Use it for payments, refunds, credit \
         notes, invoices and messages.",
    )
}

/// The API's OpenAPI document: poem-openapi's, and what its derives cannot say: the
/// `Idempotency-Key` header every POST honours (see `crate::idempotency`).
pub fn document() -> String {
    with_idempotency_key(service().spec())
}

/// The OpenAPI document and the interactive documentation over it, as the server serves
/// them: built once, on the first request for either. The document is about a megabyte and
/// building it takes tens of milliseconds, which a start-up and an idle process need not pay.
static SERVED: LazyLock<(String, String)> = LazyLock::new(|| {
    let service = service();
    let raw = service.spec();
    let document = with_idempotency_key(raw.clone());
    let docs = service.swagger_ui_html().replace(&raw, &document);
    (document, docs)
});

/// `/api/openapi.json`.
pub fn served_document() -> &'static str {
    &SERVED.0
}

/// `/api/docs`.
pub fn served_docs() -> &'static str {
    &SERVED.1
}

fn with_idempotency_key(raw: String) -> String {
    let Ok(mut spec) = serde_json::from_str::<serde_json::Value>(&raw) else {
        return raw;
    };
    let idempotency_key = serde_json::json!({
        "name": "Idempotency-Key",
        "in": "header",
        "required": false,
        "description": "Unique per request of yours (1 to 255 characters). Sent again with the same key and body within 24 hours, the first answer comes back (with `Idempotent-Replayed: true`) instead of acting twice; with another body, 422; while the first is still running, 409.",
        "schema": { "type": "string", "minLength": 1, "maxLength": 255 }
    });
    if let Some(paths) = spec["paths"].as_object_mut() {
        for operations in paths.values_mut() {
            if let Some(post) = operations.get_mut("post").and_then(|p| p.as_object_mut()) {
                let parameters = post
                    .entry("parameters")
                    .or_insert_with(|| serde_json::Value::Array(Vec::new()));
                if let Some(list) = parameters.as_array_mut() {
                    list.push(idempotency_key.clone());
                }
            }
        }
    }
    serde_json::to_string_pretty(&spec).unwrap_or(raw)
}

/// The workshop's public site (`https://{slug}.{base}` or its path form), for links in messages.
pub fn site(
    state: &pitlane_app::state::AppState,
    req: &Request,
) -> Result<String, crate::problem::Problem> {
    let scope = req
        .extensions()
        .get::<crate::tenant::TenantScope>()
        .ok_or(pitlane_domain::ServiceError::NotFound)?;
    Ok(crate::links::site_of(&state.config, scope))
}
