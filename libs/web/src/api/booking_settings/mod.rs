//! `/booking-settings`: how the workshop takes online bookings.

pub(crate) mod json;

use pitlane_frontdesk::booking;
use poem::web::Data;
use poem_openapi::{OpenApi, payload::Json};

use self::json::BookingSettingsBody;
use super::{ApiTags, Caller};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct BookingSettingsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Scheduling")]
impl BookingSettingsApi {
    /// Get the online booking settings
    ///
    /// Needs `tenant.read`.
    #[oai(
        path = "/booking-settings",
        method = "get",
        operation_id = "get_booking_settings"
    )]
    async fn get(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
    ) -> Result<Json<BookingSettingsBody>, Problem> {
        let s = booking::settings_for(&state.frontdesk, &auth.actor).await?;
        Ok(Json(s.into()))
    }

    /// Change the online booking settings
    ///
    /// Needs `settings.manage`. Audited.
    #[oai(
        path = "/booking-settings",
        method = "put",
        operation_id = "update_booking_settings"
    )]
    async fn update(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<BookingSettingsBody>,
    ) -> Result<Json<BookingSettingsBody>, Problem> {
        let s = booking::update_settings(&state.frontdesk, &auth.actor, body.0.into()).await?;
        Ok(Json(s.into()))
    }
}
