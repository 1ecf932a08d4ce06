//! How the workshop prices and pays: markup or price matrix, shop supplies, negative stock,
//! the pay period, and each branch's labour rate, labour cost and tax.

use pitlane_domain::quantity::format_percent;
use pitlane_inventory::parts::MatrixTier as PriceTier;
use pitlane_store::entity::branch;
use pitlane_workshop::settings::{self, BranchRatesInput, SettingsInput};
use poem_openapi::{Object, types::Example};
use uuid::Uuid;

#[derive(Object)]
pub struct MatrixTier {
    /// The tier covers parts costing up to this (minor units); unset for the last tier.
    #[oai(nullable)]
    pub up_to_minor: Option<i64>,
    pub markup: String,
}

impl From<PriceTier> for MatrixTier {
    fn from(t: PriceTier) -> Self {
        Self {
            up_to_minor: t.up_to_minor,
            markup: format_percent(t.markup_bp),
        }
    }
}

// A branch's rates; also the answer of `PUT /branches/{branch_id}/workshop-rates`.
#[derive(Object)]
pub struct BranchRates {
    /// The branch.
    pub id: Uuid,
    pub name: String,
    pub labour_rate_minor: i64,
    /// Only for callers with `settings.manage` or `reports.view`.
    #[oai(nullable)]
    pub labour_cost_minor: Option<i64>,
    pub tax: String,
}

impl BranchRates {
    /// The branch's rates; its labour cost only when the reader may see it.
    pub fn new(b: branch::Model, sees_cost: bool) -> Self {
        Self {
            id: b.id,
            name: b.name,
            labour_rate_minor: b.labour_rate_minor,
            labour_cost_minor: sees_cost.then_some(b.labour_cost_minor),
            tax: format_percent(b.tax_rate_bp),
        }
    }
}

#[derive(Object)]
pub struct WorkshopSettings {
    pub currency: String,
    /// Over cost, for parts without a price of their own (when there is no matrix).
    pub parts_markup: String,
    pub price_matrix: Vec<MatrixTier>,
    /// A share of labour; `0%` turns shop supplies off.
    pub shop_supplies: String,
    /// 0: no cap.
    pub shop_supplies_cap_minor: i64,
    pub allow_negative_stock: bool,
    /// `weekly`, `fortnightly` or `monthly`.
    pub pay_period: String,
    pub branches: Vec<BranchRates>,
}

impl WorkshopSettings {
    /// The settings; the branches' labour cost only when the reader may see it.
    pub fn new(s: settings::WorkshopSettings, sees_cost: bool) -> Self {
        Self {
            currency: s.currency,
            parts_markup: format_percent(s.parts_markup_bp),
            price_matrix: s.price_matrix.into_iter().map(MatrixTier::from).collect(),
            shop_supplies: format_percent(s.shop_supplies_bp),
            shop_supplies_cap_minor: s.shop_supplies_cap_minor,
            allow_negative_stock: s.allow_negative_stock,
            pay_period: s.pay_period,
            branches: s
                .branches
                .into_iter()
                .map(|b| BranchRates::new(b, sees_cost))
                .collect(),
        }
    }
}

#[derive(Object)]
pub struct MatrixTierWrite {
    /// As typed (`10.00`); empty for the last tier.
    pub up_to: Option<String>,
    /// Percent (`80`).
    pub markup_percent: String,
}

#[derive(Object)]
#[oai(example)]
pub struct WorkshopSettingsWrite {
    pub parts_markup_percent: String,
    /// Ascending by cost; the last tier has no `up_to`. Empty: the flat markup.
    pub price_matrix: Option<Vec<MatrixTierWrite>>,
    pub shop_supplies_percent: String,
    pub shop_supplies_cap: Option<String>,
    pub allow_negative_stock: bool,
    pub pay_period: String,
}

impl Example for WorkshopSettingsWrite {
    fn example() -> Self {
        Self {
            parts_markup_percent: "40".into(),
            price_matrix: Some(vec![
                MatrixTierWrite {
                    up_to: Some("10.00".into()),
                    markup_percent: "100".into(),
                },
                MatrixTierWrite {
                    up_to: None,
                    markup_percent: "35".into(),
                },
            ]),
            shop_supplies_percent: "5".into(),
            shop_supplies_cap: Some("25.00".into()),
            allow_negative_stock: false,
            pay_period: "weekly".into(),
        }
    }
}

impl From<WorkshopSettingsWrite> for SettingsInput {
    fn from(w: WorkshopSettingsWrite) -> Self {
        SettingsInput {
            parts_markup_percent: w.parts_markup_percent,
            price_matrix: w
                .price_matrix
                .unwrap_or_default()
                .into_iter()
                .map(|t| (t.up_to, t.markup_percent))
                .collect(),
            shop_supplies_percent: w.shop_supplies_percent,
            shop_supplies_cap: w.shop_supplies_cap,
            allow_negative_stock: w.allow_negative_stock,
            pay_period: w.pay_period,
        }
    }
}

// The request of `PUT /branches/{branch_id}/workshop-rates`.
#[derive(Object)]
#[oai(example)]
pub struct BranchRatesWrite {
    /// Per hour, as typed (`120.00`).
    pub labour_rate: String,
    /// What an hour costs the branch, for gross profit.
    pub labour_cost: String,
    pub tax_percent: String,
}

impl Example for BranchRatesWrite {
    fn example() -> Self {
        Self {
            labour_rate: "120.00".into(),
            labour_cost: "45.00".into(),
            tax_percent: "20".into(),
        }
    }
}

impl From<BranchRatesWrite> for BranchRatesInput {
    fn from(w: BranchRatesWrite) -> Self {
        BranchRatesInput {
            labour_rate: w.labour_rate,
            labour_cost: w.labour_cost,
            tax_percent: w.tax_percent,
        }
    }
}
