//! The page frame: the tenant's brand as CSS custom properties, landmarks, a skip link,
//! the day/night switch (a form that works without JavaScript), and the signed-in menu.

use maud::{DOCTYPE, Markup, PreEscaped, html};
use pitlane_domain::{
    brand::{Color, Palette, ThemePreference},
    money::Money,
    permissions::{Permission, Role},
    text::CurrencyCode,
};
use pitlane_store::entity::tenant;
use poem::Request;

use crate::{
    session::{Auth, CsrfToken},
    tenant::TenantScope,
};

pub const THEME_COOKIE: &str = "pitlane_theme";
pub const CSS: &str = include_str!("../../../assets/app.css");
pub const JS: &str = include_str!("../../../assets/app.js");

/// Everything the frame needs to know about the request.
pub struct PageCtx {
    pub scope: Option<TenantScope>,
    pub auth: Option<Auth>,
    pub csrf: String,
    /// The visitor's own choice, if they made one.
    pub theme_choice: Option<ThemePreference>,
    /// The path as the visitor sees it (with any `/t/{slug}` prefix), for "back" links.
    pub path: String,
    /// Unread notifications of the signed-in member (the bell), when known.
    pub unread: Option<u64>,
}

impl PageCtx {
    pub fn from_request(req: &Request) -> Self {
        let scope = req.extensions().get::<TenantScope>().cloned();
        let base = scope.as_ref().map(|s| s.base.clone()).unwrap_or_default();
        let path = match req.uri().query() {
            Some(q) => format!("{base}{}?{q}", req.uri().path()),
            None => format!("{base}{}", req.uri().path()),
        };
        Self {
            auth: req.extensions().get::<Auth>().cloned(),
            csrf: req
                .extensions()
                .get::<CsrfToken>()
                .map(|t| t.0.clone())
                .unwrap_or_default(),
            theme_choice: req
                .cookie()
                .get(THEME_COOKIE)
                .and_then(|c| ThemePreference::parse(c.value_str()).ok()),
            unread: req
                .extensions()
                .get::<super::bell::UnreadCount>()
                .map(|u| u.0),
            scope,
            path,
        }
    }

    pub fn link(&self, path: &str) -> String {
        match &self.scope {
            Some(scope) => scope.link(path),
            None => path.to_owned(),
        }
    }

    pub fn tenant(&self) -> Option<&tenant::Model> {
        self.scope.as_ref().map(|s| s.tenant.as_ref())
    }

    /// An amount in the workshop's currency, which all its `_minor` amounts are in; none
    /// outside a workshop.
    pub fn money(&self, minor: i64) -> Option<Money> {
        let currency = CurrencyCode::parse(&self.tenant()?.currency).ok()?;
        Some(Money::new(minor, currency))
    }

    /// The visitor's choice wins; otherwise the tenant's default; otherwise the system's.
    pub fn theme(&self) -> ThemePreference {
        self.theme_choice
            .or_else(|| {
                self.tenant()
                    .and_then(|t| ThemePreference::parse(&t.default_theme).ok())
            })
            .unwrap_or_default()
    }
}

fn palette_of(tenant: Option<&tenant::Model>) -> Palette {
    let parse = |raw: Option<&str>, fallback: &str| {
        raw.and_then(|r| Color::parse(r).ok())
            .unwrap_or_else(|| Color::parse(fallback).unwrap_or(pitlane_domain::brand::BLACK))
    };
    Palette::new(
        parse(tenant.map(|t| t.brand_primary.as_str()), "#1f6feb"),
        parse(tenant.map(|t| t.brand_accent.as_str()), "#d9480f"),
    )
}

/// The brand as CSS custom properties: colours are validated hex, so this cannot inject CSS.
pub fn brand_style(palette: &Palette) -> String {
    format!(
        ":root{{--brand:{};--on-brand:{};--brand-accent:{};--on-accent:{};--brand-link-light:{};--brand-link-dark:{}}}",
        palette.primary,
        palette.on_primary,
        palette.accent,
        palette.on_accent,
        palette.link_light,
        palette.link_dark
    )
}

pub fn theme_switch(ctx: &PageCtx) -> Markup {
    let current = ctx.theme_choice.unwrap_or_default();
    html! {
        form method="post" action=(ctx.link("/theme")) {
            input type="hidden" name="csrf" value=(ctx.csrf);
            input type="hidden" name="back" value=(ctx.path);
            fieldset class="theme-switch" {
                legend { "Colour theme" }
                @for (value, label) in [("light", "Day"), ("dark", "Night"), ("system", "Auto")] {
                    button type="submit" name="theme" value=(value)
                        aria-pressed=(if current.as_str() == value { "true" } else { "false" })
                        title=(format!("{label} theme")) { (label) }
                }
            }
        }
    }
}

/// The notifications link with its unread count; app.js keeps the count live.
fn bell(ctx: &PageCtx) -> Markup {
    let unread = ctx.unread.unwrap_or(0);
    let label = match unread {
        0 => "Notifications".to_owned(),
        1 => "Notifications, 1 unread".to_owned(),
        n => format!("Notifications, {n} unread"),
    };
    html! {
        a class="bell" href=(ctx.link("/portal/notifications")) aria-label=(label) data-live="notifications" data-bell {
            span aria-hidden="true" { "\u{1F514}" }
            span class="bell-count" data-unread=(unread) hidden[unread == 0] aria-hidden="true" { (unread) }
        }
    }
}

/// One entry of the signed-in menu: `key` is what a page passes to [`page`] as its `nav`.
pub struct NavItem {
    pub key: &'static str,
    pub label: &'static str,
    pub path: &'static str,
    /// The permissions the page's services `require` to draw it: the entry is shown exactly
    /// when the member has all of them, so the menu never offers a page that answers 403.
    pub needs: &'static [Permission],
}

/// The signed-in menu, in order. Each `needs` is what the page behind it asks of
/// `Actor::require` (the services named), not a rule of its own; the browser tests open every
/// entry as every built-in role to hold the two together.
pub const NAV: &[NavItem] = &[
    // reports::dashboard::glance
    NavItem {
        key: "dashboard",
        label: "Dashboard",
        path: "/portal",
        needs: &[Permission::TenantRead],
    },
    // branches::overview, appointments::calendar and ::waiting
    NavItem {
        key: "calendar",
        label: "Calendar",
        path: "/portal/calendar",
        needs: &[Permission::TenantRead, Permission::CustomersRead],
    },
    // conversations::inbox and ::assignable
    NavItem {
        key: "inbox",
        label: "Inbox",
        path: "/portal/inbox",
        needs: &[Permission::CustomersRead],
    },
    // customers::list
    NavItem {
        key: "customers",
        label: "Customers",
        path: "/portal/customers",
        needs: &[Permission::CustomersRead],
    },
    // orders::board
    NavItem {
        key: "workshop",
        label: "Repair orders",
        path: "/portal/repair-orders",
        needs: &[Permission::RepairOrdersRead],
    },
    // invoices::list
    NavItem {
        key: "invoices",
        label: "Invoices",
        path: "/portal/invoices",
        needs: &[Permission::RepairOrdersRead],
    },
    // feedback::inbox
    NavItem {
        key: "feedback",
        label: "Feedback",
        path: "/portal/feedback",
        needs: &[Permission::FeedbackRead],
    },
    // jobs::my_jobs
    NavItem {
        key: "my-jobs",
        label: "My jobs",
        path: "/portal/my-jobs",
        needs: &[Permission::JobsWork],
    },
    // roadside::dispatch::board
    NavItem {
        key: "dispatch",
        label: "Dispatch",
        path: "/portal/roadside",
        needs: &[Permission::RoadsideDispatch],
    },
    // roadside::dispatch::duty and ::offers
    NavItem {
        key: "roadside-duty",
        label: "Roadside jobs",
        path: "/portal/roadside/duty",
        needs: &[Permission::JobsWork],
    },
    // feedback::mine
    NavItem {
        key: "ratings",
        label: "My ratings",
        path: "/portal/ratings",
        needs: &[Permission::JobsWork],
    },
    // parts::list
    NavItem {
        key: "inventory",
        label: "Parts",
        path: "/portal/inventory",
        needs: &[Permission::InventoryRead],
    },
    // reports::run
    NavItem {
        key: "reports",
        label: "Reports",
        path: "/portal/reports",
        needs: &[Permission::ReportsView, Permission::TenantRead],
    },
    // notify::list_messages
    NavItem {
        key: "messages",
        label: "Messages",
        path: "/portal/messages",
        needs: &[Permission::SettingsManage],
    },
    // members::list, invitations::pending, roles::list, branches::overview
    NavItem {
        key: "staff",
        label: "Staff",
        path: "/portal/staff",
        needs: &[Permission::StaffManage, Permission::TenantRead],
    },
    // brand::editable_brand
    NavItem {
        key: "settings",
        label: "Settings",
        path: "/portal/settings",
        needs: &[Permission::SettingsManage],
    },
    // audit::list
    NavItem {
        key: "audit",
        label: "Audit log",
        path: "/portal/audit",
        needs: &[Permission::AuditView],
    },
    // the member's own account: anyone signed in
    NavItem {
        key: "account",
        label: "Account",
        path: "/portal/account",
        needs: &[],
    },
];

/// A signed-in customer's menu: their own pages on the workshop's site.
pub const CUSTOMER_NAV: &[NavItem] = &[
    NavItem {
        key: "my-account",
        label: "Your account",
        path: "/account",
        needs: &[],
    },
    NavItem {
        key: "my-messages",
        label: "Messages",
        path: "/account/messages",
        needs: &[],
    },
];

/// A table (or anything as wide) in a box that scrolls sideways on its own, so the page never
/// does (WCAG 1.4.10). It is a labelled region that takes focus, so keyboard users can scroll it
/// too. Every table of the pages is drawn in one.
pub fn table_region(label: &str, table: Markup) -> Markup {
    html! {
        div class="table-scroll" role="region" aria-label=(label) tabindex="0" { (table) }
    }
}

/// A whole page in the frame. `nav` is the active navigation entry, if any.
pub fn page(ctx: &PageCtx, title: &str, nav: Option<&str>, content: Markup) -> Markup {
    let tenant = ctx.tenant();
    let site_name = tenant.map_or("Pitlane", |t| t.name.as_str());
    let palette = palette_of(tenant);
    let theme = ctx.theme();
    // The menu shows exactly the pages the member may open (see `NAV`); the pages check again.
    let staff = ctx
        .auth
        .as_ref()
        .filter(|auth| !auth.actor.role.is(Role::Customer));
    let links: Vec<(&str, &str, String)> = match &ctx.auth {
        // Until they set up two-factor sign-in, only that page is open to them.
        Some(auth) if auth.must_enroll_two_factor => Vec::new(),
        Some(auth) => {
            let menu = if staff.is_some() { NAV } else { CUSTOMER_NAV };
            menu.iter()
                .filter(|item| item.needs.iter().all(|p| auth.actor.can(*p)))
                .map(|item| (item.key, item.label, ctx.link(item.path)))
                .collect()
        }
        None => Vec::new(),
    };
    html! {
        (DOCTYPE)
        html lang="en" data-theme=[match theme { ThemePreference::System => None, other => Some(other.as_str()) }] {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                title { (title) " · " (site_name) }
                link rel="stylesheet" href=(super::assets::path(super::assets::Named::AppCss));
                style { (PreEscaped(brand_style(&palette))) }
                script src=(super::assets::path(super::assets::Named::AppJs)) defer {}
            }
            body data-events=[ctx.auth.as_ref().map(|_| ctx.link("/events"))] {
                a class="skip-link" href="#main" { "Skip to content" }
                header class="site-header" {
                    a class="brand" href=(ctx.link(if staff.is_some() { "/portal" } else { "/" })) {
                        @if let Some(logo) = tenant.and_then(|t| t.brand_logo_url.as_deref()) {
                            img src=(logo) alt="";
                        } @else {
                            span class="brand-mark" aria-hidden="true" { (site_name.chars().next().unwrap_or('P')) }
                        }
                        span { (site_name) }
                    }
                    @if !links.is_empty() {
                        // Folded behind its button on narrow screens, laid out as a row on wide
                        // ones (app.css); a disclosure, so it opens without JavaScript.
                        details class="site-menu" {
                            summary { span class="menu-icon" aria-hidden="true" { "\u{2630}" } "Menu" }
                            nav class="site-nav" aria-label="Main" {
                                @for (key, label, href) in &links {
                                    a href=(href) aria-current=[(nav == Some(*key)).then_some("page")] { (label) }
                                }
                            }
                        }
                    }
                    div class="header-tools" {
                        (theme_switch(ctx))
                        @if let Some(auth) = &ctx.auth {
                            // The bell leads to the staff's notifications.
                            @if staff.is_some() && !auth.must_enroll_two_factor { (bell(ctx)) }
                            span class="muted signed-in-as" { (auth.name) }
                            form method="post" action=(ctx.link("/signout")) {
                                input type="hidden" name="csrf" value=(ctx.csrf);
                                button class="link-button" type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                main id="main" tabindex="-1" { (content) }
                footer class="site-footer" {
                    @if let Some(t) = tenant { (t.name) " · " }
                    "Powered by Pitlane"
                }
            }
        }
    }
}
