use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use pitlane_store::entity::branch;
use pitlane_tenancy::branches::{self, BranchInput};
use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
    types::Example,
};
use uuid::Uuid;

use super::{ApiTags, Caller, page_limit};
use crate::{problem::Problem, state::AppState};

/// A location of the workshop.
#[derive(Object)]
pub struct Branch {
    pub id: Uuid,
    pub name: String,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub city: Option<String>,
    pub postal_code: Option<String>,
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2, e.g. `DE`.
    pub country: Option<String>,
    pub phone: Option<String>,
    /// IANA time zone; business hours and reminders use it.
    pub time_zone: String,
    /// Opening intervals per day (`mon`…`sun`) in local time, e.g. `{"mon": [["08:00", "17:00"]]}`.
    pub business_hours: BTreeMap<String, Vec<Vec<String>>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new or changed branch.
#[derive(Object)]
#[oai(example)]
pub struct BranchWrite {
    pub name: String,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub city: Option<String>,
    pub postal_code: Option<String>,
    pub region: Option<String>,
    pub country: Option<String>,
    pub phone: Option<String>,
    pub time_zone: String,
    /// Omit to keep the current hours (Monday–Friday 08:00–17:00 for a new branch).
    pub business_hours: Option<BTreeMap<String, Vec<Vec<String>>>>,
}

impl Example for BranchWrite {
    fn example() -> Self {
        Self {
            name: "Harbour Road".into(),
            address_line1: Some("12 Harbour Road".into()),
            address_line2: None,
            city: Some("Hamburg".into()),
            postal_code: Some("20457".into()),
            region: None,
            country: Some("DE".into()),
            phone: Some("+49 40 1234567".into()),
            time_zone: "Europe/Berlin".into(),
            business_hours: Some(BTreeMap::from([(
                "mon".to_owned(),
                vec![vec!["08:00".to_owned(), "17:00".to_owned()]],
            )])),
        }
    }
}

/// One page of branches.
#[derive(Object)]
pub struct BranchPage {
    pub items: Vec<Branch>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<Uuid>,
}

#[derive(ApiResponse)]
pub enum Created {
    /// The branch was created.
    #[oai(status = 201)]
    Created(Json<Branch>),
}

fn to_api(b: branch::Model) -> Branch {
    let hours = branches::hours_of(&b)
        .0
        .into_iter()
        .map(|(day, spans)| (day, spans.into_iter().map(|[a, z]| vec![a, z]).collect()))
        .collect();
    Branch {
        id: b.id,
        name: b.name,
        address_line1: b.address_line1,
        address_line2: b.address_line2,
        city: b.city,
        postal_code: b.postal_code,
        region: b.region,
        country: b.country,
        phone: b.phone,
        time_zone: b.time_zone,
        business_hours: hours,
        created_at: b.created_at,
        updated_at: b.updated_at,
    }
}

fn to_input(w: BranchWrite) -> Result<BranchInput, pitlane_domain::ServiceError> {
    let business_hours = match w.business_hours {
        None => None,
        Some(days) => {
            let mut parsed = BTreeMap::new();
            for (day, spans) in days {
                let mut intervals = Vec::new();
                for span in spans {
                    let [open, close]: [String; 2] = span.try_into().map_err(|_| {
                        pitlane_domain::FieldErrors::single(
                            "business_hours",
                            format!("{day}: each interval is [opening, closing]"),
                        )
                    })?;
                    intervals.push([open, close]);
                }
                parsed.insert(day, intervals);
            }
            Some(parsed)
        }
    };
    Ok(BranchInput {
        name: w.name,
        address_line1: w.address_line1,
        address_line2: w.address_line2,
        city: w.city,
        postal_code: w.postal_code,
        region: w.region,
        country: w.country,
        phone: w.phone,
        time_zone: w.time_zone,
        business_hours,
    })
}

pub struct BranchesApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Branches")]
impl BranchesApi {
    /// List branches
    ///
    /// Needs `tenant.read`. In creation order.
    #[oai(path = "/branches", method = "get", operation_id = "list_branches")]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<Uuid>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<BranchPage>, Problem> {
        let page = branches::list(&state.store, &auth.actor, cursor.0, page_limit(limit.0)).await?;
        Ok(Json(BranchPage {
            items: page.items.into_iter().map(to_api).collect(),
            next_cursor: page.next,
        }))
    }

    /// Create a branch
    ///
    /// Needs `settings.manage`.
    #[oai(path = "/branches", method = "post", operation_id = "create_branch")]
    async fn create(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &poem::Request,
        body: Json<BranchWrite>,
    ) -> Result<Created, Problem> {
        let input = to_input(body.0)?;
        pitlane_billing::subscriptions::allow_one_more(
            &state.billing,
            &auth.actor,
            pitlane_billing::subscriptions::Limit::Branches,
            &super::site(&state, req)?,
        )
        .await?;
        let created = branches::create(&state.store, &auth.actor, input).await?;
        Ok(Created::Created(Json(to_api(created))))
    }

    /// Get a branch
    ///
    /// Needs `tenant.read`.
    #[oai(
        path = "/branches/:branch_id",
        method = "get",
        operation_id = "get_branch"
    )]
    async fn get(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        branch_id: Path<Uuid>,
    ) -> Result<Json<Branch>, Problem> {
        Ok(Json(to_api(
            branches::get(&state.store, &auth.actor, branch_id.0).await?,
        )))
    }

    /// Change a branch
    ///
    /// Needs `settings.manage`. All fields are replaced (business hours only when sent).
    #[oai(
        path = "/branches/:branch_id",
        method = "put",
        operation_id = "update_branch"
    )]
    async fn update(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        branch_id: Path<Uuid>,
        body: Json<BranchWrite>,
    ) -> Result<Json<Branch>, Problem> {
        let updated =
            branches::update(&state.store, &auth.actor, branch_id.0, to_input(body.0)?).await?;
        Ok(Json(to_api(updated)))
    }
}
