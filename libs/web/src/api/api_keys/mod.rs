//! `/api-keys`: the workshop's API keys.

pub(crate) mod json;

use pitlane_identity::api_keys;
use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use self::json::{ApiKey, ApiKeyWrite, NewApiKey};
use super::{
    ApiTags, Caller,
    shapes::{Created, Page, PageQuery},
};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct ApiKeysApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Access")]
impl ApiKeysApi {
    /// List API keys
    ///
    /// Needs `api_keys.manage`. Newest first.
    #[oai(path = "/api-keys", method = "get", operation_id = "list_api_keys")]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<ApiKey>>, Problem> {
        let rows = api_keys::list(&state.store, &auth.actor).await?;
        let items = rows.into_iter().map(ApiKey::from).collect();
        let page = PageQuery::new(cursor.0, limit.0);
        Ok(Json(Page::from_ordered(items, &page, |item| item.id)?))
    }

    /// Create an API key
    ///
    /// Needs `api_keys.manage`, from a person's session (keys cannot make keys). The secret
    /// is in the answer only.
    #[oai(path = "/api-keys", method = "post", operation_id = "create_api_key")]
    async fn create(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<ApiKeyWrite>,
    ) -> Result<Created<NewApiKey>, Problem> {
        let created = api_keys::create(&state.store, &auth.actor, body.0.into()).await?;
        Ok(Created::new(created))
    }

    /// Revoke an API key
    ///
    /// Needs `api_keys.manage`. The key stops working at once.
    #[oai(
        path = "/api-keys/:key_id",
        method = "delete",
        operation_id = "revoke_api_key"
    )]
    async fn revoke(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        key_id: Path<Uuid>,
    ) -> Result<Json<ApiKey>, Problem> {
        let key = api_keys::revoke(&state.store, &auth.actor, key_id.0).await?;
        Ok(Json(key.into()))
    }
}
