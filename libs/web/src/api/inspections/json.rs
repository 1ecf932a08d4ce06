//! Digital inspections: their points with ratings and notes, and the points' photos.

use chrono::{DateTime, Utc};
use pitlane_store::entity::{inspection, inspection_item, inspection_photo};
use pitlane_workshop::{StoredPhoto, inspections::InspectionView};
use poem_openapi::{ApiResponse, Object, ResponseContent, payload::Binary, types::Example};
use uuid::Uuid;

#[derive(Object)]
pub struct InspectionPhoto {
    pub id: Uuid,
    pub content_type: String,
    pub bytes: i64,
    pub created_at: DateTime<Utc>,
}

impl From<&inspection_photo::Model> for InspectionPhoto {
    fn from(p: &inspection_photo::Model) -> Self {
        Self {
            id: p.id,
            content_type: p.content_type.clone(),
            bytes: p.bytes,
            created_at: p.created_at,
        }
    }
}

#[derive(Object)]
pub struct InspectionPoint {
    pub id: Uuid,
    pub position: i32,
    pub section: String,
    pub label: String,
    /// `green`, `yellow`, `red`, or unset until rated.
    #[oai(nullable)]
    pub rating: Option<String>,
    #[oai(nullable)]
    pub note: Option<String>,
    /// The estimate line this finding became.
    #[oai(nullable)]
    pub line_id: Option<Uuid>,
    pub photos: Vec<InspectionPhoto>,
}

impl InspectionPoint {
    /// A point with its photos.
    pub fn new(item: &inspection_item::Model, photos: &[inspection_photo::Model]) -> Self {
        Self {
            id: item.id,
            position: item.position,
            section: item.section.clone(),
            label: item.label.clone(),
            rating: item.rating.clone(),
            note: item.note.clone(),
            line_id: item.line_id,
            photos: photos.iter().map(InspectionPhoto::from).collect(),
        }
    }
}

#[derive(Object)]
pub struct Inspection {
    pub id: Uuid,
    pub repair_order_id: Uuid,
    pub name: String,
    /// `open` or `completed`.
    pub status: String,
    #[oai(nullable)]
    pub inspector: Option<String>,
    pub created_at: DateTime<Utc>,
    #[oai(nullable)]
    pub completed_at: Option<DateTime<Utc>>,
    pub items: Vec<InspectionPoint>,
}

impl From<&InspectionView> for Inspection {
    fn from(v: &InspectionView) -> Self {
        Self {
            id: v.inspection.id,
            repair_order_id: v.inspection.repair_order_id,
            name: v.inspection.name.clone(),
            status: v.inspection.status.clone(),
            inspector: v.inspection.inspector_name.clone(),
            created_at: v.inspection.created_at,
            completed_at: v.inspection.completed_at,
            items: v
                .items
                .iter()
                .map(|(i, p)| InspectionPoint::new(i, p))
                .collect(),
        }
    }
}

#[derive(Object)]
pub struct InspectionSummary {
    pub id: Uuid,
    pub repair_order_id: Uuid,
    pub name: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

impl From<&inspection::Model> for InspectionSummary {
    fn from(i: &inspection::Model) -> Self {
        Self {
            id: i.id,
            repair_order_id: i.repair_order_id,
            name: i.name.clone(),
            status: i.status.clone(),
            created_at: i.created_at,
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct RatingWrite {
    /// `green`, `yellow` or `red`.
    pub rating: String,
    /// Needed for yellow and red: what the customer reads.
    pub note: Option<String>,
}

impl Example for RatingWrite {
    fn example() -> Self {
        Self {
            rating: "yellow".into(),
            note: Some("Pads at 3 mm; replace within 2,000 km".into()),
        }
    }
}

/// A photo in the image type it was stored as (uploads are sniffed to one of these four).
#[derive(ResponseContent)]
pub enum PhotoBytes {
    #[oai(content_type = "image/jpeg")]
    Jpeg(Binary<Vec<u8>>),
    #[oai(content_type = "image/png")]
    Png(Binary<Vec<u8>>),
    #[oai(content_type = "image/webp")]
    Webp(Binary<Vec<u8>>),
    #[oai(content_type = "image/heic")]
    Heic(Binary<Vec<u8>>),
}

#[derive(ApiResponse)]
pub enum PhotoFile {
    /// The photo, as uploaded.
    #[oai(status = 200)]
    Ok(
        PhotoBytes,
        #[oai(header = "x-content-type-options")] String,
        #[oai(header = "content-security-policy")] String,
    ),
}

/// Even a file that slipped past the upload checks can run nothing when opened directly.
pub(crate) const PHOTO_POLICY: &str = "sandbox; default-src 'none'";

impl From<StoredPhoto> for PhotoFile {
    fn from(photo: StoredPhoto) -> Self {
        let bytes = Binary(photo.bytes);
        // Photos are sniffed on upload (`sniff_image`), so a stored one is one of these four.
        let body = match photo.content_type.as_str() {
            "image/png" => PhotoBytes::Png(bytes),
            "image/webp" => PhotoBytes::Webp(bytes),
            "image/heic" => PhotoBytes::Heic(bytes),
            _ => PhotoBytes::Jpeg(bytes),
        };
        PhotoFile::Ok(body, "nosniff".into(), PHOTO_POLICY.into())
    }
}
