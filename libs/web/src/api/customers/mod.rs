//! `/customers`: contact details and consent, notes, search, merge, privacy export and
//! erasure.

pub(crate) mod json;

use pitlane_frontdesk::{
    customers::{self, CustomerQuery, CustomerSort},
    privacy,
};
use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use self::json::{
    ConsentWrite, Customer, CustomerWrite, ErasureReport, MergeRequest, Note, NoteWrite,
};
use super::{
    ApiTags, Caller,
    shapes::{Created, Page, PageQuery},
};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct CustomersApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Customers")]
impl CustomersApi {
    /// List and search customers
    ///
    /// Needs `customers.read`. `q` finds any fragment of a name, e-mail, phone number, number
    /// plate or VIN (`q=0151 1234`, `q=HH AB`, `q=1HGCM8`). `sort` is `name` (default),
    /// `-name`, `created` or `-created`. Example: `GET /api/v1/customers?q=müller&tag=fleet&limit=20`.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/customers", method = "get", operation_id = "list_customers")]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        /// A fragment of name, e-mail, phone, plate or VIN.
        q: Query<Option<String>>,
        /// Only customers with this tag.
        tag: Query<Option<String>>,
        /// `name`, `-name`, `created`, `-created`.
        sort: Query<Option<String>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<Customer>>, Problem> {
        let page = PageQuery::new(cursor.0, limit.0);
        let found = customers::list(
            &state.frontdesk,
            &auth.actor,
            CustomerQuery {
                q: q.0,
                tag: tag.0,
                sort: CustomerSort::parse(sort.0.as_deref())?,
                cursor: page.cursor,
                limit: page.limit,
            },
        )
        .await?;
        Ok(Json(Page::of(found.items, found.next_cursor)))
    }

    /// Create a customer
    ///
    /// Needs `customers.write`. E-mail is checked; the phone is stored in E.164.
    #[oai(path = "/customers", method = "post", operation_id = "create_customer")]
    async fn create(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<CustomerWrite>,
    ) -> Result<Created<Customer>, Problem> {
        let row = customers::create(&state.frontdesk, &auth.actor, body.0.into(), None).await?;
        Ok(Created::new(row))
    }

    /// Get a customer
    ///
    /// Needs `customers.read`.
    #[oai(
        path = "/customers/:customer_id",
        method = "get",
        operation_id = "get_customer"
    )]
    async fn get(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        customer_id: Path<Uuid>,
    ) -> Result<Json<Customer>, Problem> {
        let row = customers::get(&state.frontdesk, &auth.actor, customer_id.0.into()).await?;
        Ok(Json(row.into()))
    }

    /// Change a customer
    ///
    /// Needs `customers.write`. All contact fields are replaced.
    #[oai(
        path = "/customers/:customer_id",
        method = "put",
        operation_id = "update_customer"
    )]
    async fn update(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        customer_id: Path<Uuid>,
        body: Json<CustomerWrite>,
    ) -> Result<Json<Customer>, Problem> {
        let row = customers::update(
            &state.frontdesk,
            &auth.actor,
            customer_id.0.into(),
            body.0.into(),
        )
        .await?;
        Ok(Json(row.into()))
    }

    /// Erase a customer (right to erasure)
    ///
    /// Needs `customers.write`. Personal data is erased; pending appointments are cancelled and
    /// removed; past visits stay as anonymous records. Audited.
    #[oai(
        path = "/customers/:customer_id",
        method = "delete",
        operation_id = "erase_customer"
    )]
    async fn erase(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        customer_id: Path<Uuid>,
    ) -> Result<Json<ErasureReport>, Problem> {
        let done = privacy::erase(&state.frontdesk, &auth.actor, customer_id.0.into()).await?;
        Ok(Json(done.into()))
    }

    /// Export everything held about a customer
    ///
    /// Needs `customers.write`. One JSON document: details, consent, notes, vehicles with
    /// mileage, appointments with their history, messages. Audited.
    #[oai(
        path = "/customers/:customer_id/export",
        method = "get",
        operation_id = "export_customer"
    )]
    async fn export(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        customer_id: Path<Uuid>,
    ) -> Result<Json<serde_json::Value>, Problem> {
        Ok(Json(
            privacy::export(&state.frontdesk, &auth.actor, customer_id.0.into()).await?,
        ))
    }

    /// Record consent given or withdrawn
    ///
    /// Needs `customers.write`. Each kind keeps when and how it was given; SMS consent also
    /// governs every SMS the workshop sends to the number.
    #[oai(
        path = "/customers/:customer_id/consent",
        method = "put",
        operation_id = "set_customer_consent"
    )]
    async fn consent(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        customer_id: Path<Uuid>,
        body: Json<ConsentWrite>,
    ) -> Result<Json<Customer>, Problem> {
        let row = customers::set_consent(
            &state.frontdesk,
            &auth.actor,
            customer_id.0.into(),
            body.0.into(),
        )
        .await?;
        Ok(Json(row.into()))
    }

    /// Merge a duplicate into this customer
    ///
    /// Needs `customers.write`. The duplicate's vehicles, appointments, notes and conversation
    /// move here; details this customer lacks are taken over. Audited.
    #[oai(
        path = "/customers/:customer_id/merge",
        method = "post",
        operation_id = "merge_customers"
    )]
    async fn merge(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        customer_id: Path<Uuid>,
        body: Json<MergeRequest>,
    ) -> Result<Json<Customer>, Problem> {
        let row = customers::merge(
            &state.frontdesk,
            &auth.actor,
            customer_id.0.into(),
            body.0.duplicate_id.into(),
        )
        .await?;
        Ok(Json(row.into()))
    }

    /// List a customer's notes
    ///
    /// Needs `customers.read`. Newest first (by id).
    #[oai(
        path = "/customers/:customer_id/notes",
        method = "get",
        operation_id = "list_customer_notes"
    )]
    async fn notes(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        customer_id: Path<Uuid>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<Note>>, Problem> {
        let page = PageQuery::new(cursor.0, limit.0);
        let found = customers::notes(
            &state.frontdesk,
            &auth.actor,
            customer_id.0.into(),
            page.cursor_id()?,
            page.limit,
        )
        .await?;
        Ok(Json(Page::of(found.items, found.next)))
    }

    /// Add a note to a customer
    ///
    /// Needs `customers.write`.
    #[oai(
        path = "/customers/:customer_id/notes",
        method = "post",
        operation_id = "add_customer_note"
    )]
    async fn add_note(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        customer_id: Path<Uuid>,
        body: Json<NoteWrite>,
    ) -> Result<Created<Note>, Problem> {
        let note = customers::add_note(
            &state.frontdesk,
            &auth.actor,
            customer_id.0.into(),
            &body.0.body,
        )
        .await?;
        Ok(Created::new(note))
    }
}
