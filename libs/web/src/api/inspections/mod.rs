//! `/inspections`: recent inspections, rating points, the points' photos, completing an
//! inspection and turning its findings into estimate lines (starting one is under
//! `/repair-orders`).

pub(crate) mod json;

use pitlane_workshop::{StoredPhoto, inspections};
use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::{Binary, Json},
};
use uuid::Uuid;

use self::json::{
    Inspection, InspectionPhoto, InspectionPoint, InspectionSummary, PHOTO_POLICY, PhotoFile,
    RatingWrite,
};
use super::{
    ApiTags, Caller,
    repair_orders::{json::RepairOrder, show_profit},
    shapes::{Created, NoContent, Page, PageQuery},
};
use crate::problem::Problem;
use pitlane_app::state::AppState;

/// A photo for a page (the customer's report), with the same protective headers.
pub(crate) fn photo_file(photo: StoredPhoto) -> poem::Response {
    poem::Response::builder()
        .content_type(photo.content_type)
        .header("x-content-type-options", "nosniff")
        .header("content-security-policy", PHOTO_POLICY)
        .header("cache-control", "private, max-age=3600")
        .body(photo.bytes)
}

pub struct InspectionsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::RepairOrders")]
impl InspectionsApi {
    /// Recent inspections
    ///
    /// Needs `repair_orders.read`. Newest first (by id).
    #[oai(
        path = "/inspections",
        method = "get",
        operation_id = "list_inspections"
    )]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<InspectionSummary>>, Problem> {
        let page = PageQuery::new(cursor.0, limit.0);
        let found =
            inspections::recent(&state.workshop, &auth.actor, page.cursor_id()?, page.limit)
                .await?;
        let items: Vec<InspectionSummary> =
            found.items.iter().map(InspectionSummary::from).collect();
        Ok(Json(Page::of(items, found.next)))
    }

    /// An inspection with its points and photos
    ///
    /// Needs `repair_orders.read`.
    #[oai(
        path = "/inspections/:inspection_id",
        method = "get",
        operation_id = "get_inspection"
    )]
    async fn get(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        inspection_id: Path<Uuid>,
    ) -> Result<Json<Inspection>, Problem> {
        let v = inspections::get(&state.workshop, &auth.actor, inspection_id.0).await?;
        Ok(Json((&v).into()))
    }

    /// An inspection's points
    ///
    /// Needs `repair_orders.read`. By position on the inspection.
    #[oai(
        path = "/inspections/:inspection_id/items",
        method = "get",
        operation_id = "list_inspection_items"
    )]
    async fn points(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        inspection_id: Path<Uuid>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<InspectionPoint>>, Problem> {
        let v = inspections::get(&state.workshop, &auth.actor, inspection_id.0).await?;
        let items = v
            .items
            .iter()
            .map(|(i, p)| InspectionPoint::new(i, p))
            .collect();
        let page = PageQuery::new(cursor.0, limit.0);
        Ok(Json(Page::from_ordered(items, &page, |p| p.id)?))
    }

    /// Rate a point
    ///
    /// Needs `jobs.work` or `repair_orders.write`.
    #[oai(
        path = "/inspections/:inspection_id/items/:item_id",
        method = "put",
        operation_id = "rate_inspection_item"
    )]
    async fn rate(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        inspection_id: Path<Uuid>,
        item_id: Path<Uuid>,
        body: Json<RatingWrite>,
    ) -> Result<Json<InspectionPoint>, Problem> {
        let item = inspections::rate(
            &state.workshop,
            &auth.actor,
            inspection_id.0,
            item_id.0,
            &body.0.rating,
            body.0.note.as_deref(),
        )
        .await?;
        Ok(Json(InspectionPoint::new(&item, &[])))
    }

    /// A point's photos
    ///
    /// Needs `repair_orders.read`. In the order they were added.
    #[oai(
        path = "/inspections/:inspection_id/items/:item_id/photos",
        method = "get",
        operation_id = "list_inspection_photos"
    )]
    async fn photos(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        inspection_id: Path<Uuid>,
        item_id: Path<Uuid>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<InspectionPhoto>>, Problem> {
        let v = inspections::get(&state.workshop, &auth.actor, inspection_id.0).await?;
        let (_, photos) = v
            .items
            .iter()
            .find(|(i, _)| i.id == item_id.0)
            .ok_or(pitlane_domain::ServiceError::NotFound)?;
        let items = photos.iter().map(InspectionPhoto::from).collect();
        let page = PageQuery::new(cursor.0, limit.0);
        Ok(Json(Page::from_ordered(items, &page, |p| p.id)?))
    }

    /// Add a photo to a point
    ///
    /// Needs `jobs.work` or `repair_orders.write`. The body is the image itself (JPEG, PNG,
    /// WebP or HEIC, at most 10 MB); its type is read from its bytes, and a file that also
    /// carries a web page or script is refused.
    #[oai(
        path = "/inspections/:inspection_id/items/:item_id/photos",
        method = "post",
        operation_id = "add_inspection_photo"
    )]
    async fn add_photo(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        inspection_id: Path<Uuid>,
        item_id: Path<Uuid>,
        body: Binary<Vec<u8>>,
    ) -> Result<Created<InspectionPhoto>, Problem> {
        let row = inspections::add_photo(
            &state.workshop,
            &auth.actor,
            inspection_id.0,
            item_id.0,
            body.0,
        )
        .await?;
        Ok(Created::new(&row))
    }

    /// A photo
    ///
    /// Needs `repair_orders.read`.
    #[oai(
        path = "/inspections/:inspection_id/items/:item_id/photos/:photo_id",
        method = "get",
        operation_id = "get_inspection_photo"
    )]
    async fn photo(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        inspection_id: Path<Uuid>,
        item_id: Path<Uuid>,
        photo_id: Path<Uuid>,
    ) -> Result<PhotoFile, Problem> {
        let photo = inspections::photo(
            &state.workshop,
            &auth.actor,
            inspection_id.0,
            item_id.0,
            photo_id.0,
        )
        .await?;
        Ok(photo.into())
    }

    /// Remove a photo
    ///
    /// Needs `jobs.work` or `repair_orders.write`, while the inspection is open.
    #[oai(
        path = "/inspections/:inspection_id/items/:item_id/photos/:photo_id",
        method = "delete",
        operation_id = "remove_inspection_photo"
    )]
    async fn remove_photo(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        inspection_id: Path<Uuid>,
        item_id: Path<Uuid>,
        photo_id: Path<Uuid>,
    ) -> Result<NoContent, Problem> {
        inspections::remove_photo(
            &state.workshop,
            &auth.actor,
            inspection_id.0,
            item_id.0,
            photo_id.0,
        )
        .await?;
        Ok(NoContent::Done)
    }

    /// Complete an inspection
    ///
    /// Needs `jobs.work` or `repair_orders.write`. Every point must be rated.
    #[oai(
        path = "/inspections/:inspection_id/complete",
        method = "post",
        operation_id = "complete_inspection"
    )]
    async fn complete(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        inspection_id: Path<Uuid>,
    ) -> Result<Json<Inspection>, Problem> {
        let v = inspections::complete(&state.workshop, &auth.actor, inspection_id.0).await?;
        Ok(Json((&v).into()))
    }

    /// Turn findings into estimate lines
    ///
    /// Needs `repair_orders.write`; the order must be an estimate. Each yellow or red point
    /// not yet on the estimate becomes a recommended line (an hour of labour to price).
    #[oai(
        path = "/inspections/:inspection_id/recommendations",
        method = "post",
        operation_id = "recommend_inspection_findings"
    )]
    async fn recommend(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        inspection_id: Path<Uuid>,
    ) -> Result<Json<RepairOrder>, Problem> {
        let view = inspections::recommend(&state.workshop, &auth.actor, inspection_id.0).await?;
        Ok(Json(RepairOrder::new(&view, show_profit(&auth))))
    }
}
