//! The page kit: the frame every page is drawn in, form pieces, error pages, and the one
//! pipeline a page request goes through (sign-in extractors, the form token checked in
//! middleware, failures rendered by the error middleware, the one way a form is handled).

pub mod assets;
pub mod bell;
pub mod chart;
pub mod chat;
pub mod csrf;
pub mod errors;
pub mod forms;
pub mod layout;
pub mod map;
pub mod pipeline;
pub mod stars;
pub mod theme;

pub use errors::PageErrors;
pub use forms::{Pairs, Returned};
pub use layout::{PageCtx, page, table_region};
pub use pipeline::{Customer, PageError, PageResult, Staff, submit};
