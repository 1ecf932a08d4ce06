//! `/me`: who is calling.

pub(crate) mod json;

use poem_openapi::{OpenApi, payload::Json};

use self::json::Me;
use super::{ApiTags, Caller};
use crate::problem::Problem;

pub struct MeApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Session")]
impl MeApi {
    /// Who am I
    ///
    /// Any signed-in member or API key. The caller, their role, branches and what they may do.
    #[oai(path = "/me", method = "get", operation_id = "get_me")]
    async fn me(&self, Caller(auth): Caller) -> Result<Json<Me>, Problem> {
        Ok(Json(auth.into()))
    }
}
