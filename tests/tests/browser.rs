//! The portal in real headless Chromium: sign-in, the day/night switch, brand settings, the
//! menu each role sees, and an audit of every page: accessibility in both themes, and at a
//! phone's, a tablet's and a desktop's width no sideways scrolling and no id used twice. A
//! failing journey leaves a screenshot in tests/screenshots/; with PITLANE_SCREENSHOTS=1 the
//! main pages are saved there too.

use anyhow::{Context, ensure};
use fantoccini::{Client, Locator};
use pitlane_testkit::{Browser, TenantFixture, TestApp};

const AUDIT: &str = include_str!("support/a11y-audit.js");
const REFLOW: &str = include_str!("support/reflow-check.js");

/// The widths every page is checked at: a phone, a tablet, a desktop. The accessibility audit
/// runs at the last.
const WIDTHS: [u32; 3] = [390, 768, 1366];
const DESKTOP: u32 = WIDTHS[2];

async fn css_var(client: &Client, name: &str) -> anyhow::Result<String> {
    let script =
        "return getComputedStyle(document.documentElement).getPropertyValue(arguments[0]).trim();";
    let value = client.execute(script, vec![name.into()]).await?;
    Ok(value.as_str().unwrap_or_default().to_owned())
}

async fn theme_attribute(client: &Client) -> anyhow::Result<Option<String>> {
    let value = client
        .execute(
            "return document.documentElement.getAttribute('data-theme');",
            vec![],
        )
        .await?;
    Ok(value.as_str().map(str::to_owned))
}

/// Replaces what a field holds, as a person selecting it and typing would.
async fn fill(client: &Client, id: &str, value: &str) -> anyhow::Result<()> {
    let field = client.wait().for_element(Locator::Id(id)).await?;
    field.clear().await?;
    field.send_keys(value).await?;
    Ok(())
}

async fn value_of(client: &Client, id: &str) -> anyhow::Result<String> {
    Ok(client
        .find(Locator::Id(id))
        .await?
        .prop("value")
        .await?
        .unwrap_or_default())
}

/// Submits the page's form. A page that follows must be waited for by something only it has.
async fn submit(client: &Client) -> anyhow::Result<()> {
    client
        .wait()
        .for_element(Locator::Css("main form button[type=submit]"))
        .await?
        .click()
        .await?;
    Ok(())
}

async fn text_of(client: &Client, css: &str) -> anyhow::Result<String> {
    Ok(client
        .wait()
        .for_element(Locator::Css(css))
        .await?
        .text()
        .await?)
}

async fn choose_theme(client: &Client, theme: &str) -> anyhow::Result<()> {
    let button = format!(".theme-switch button[value={theme}]");
    client
        .wait()
        .for_element(Locator::Css(&button))
        .await?
        .click()
        .await?;
    Ok(())
}

async fn sign_in(
    client: &Client,
    origin: &str,
    tenant: &TenantFixture,
    password: &str,
) -> anyhow::Result<()> {
    client
        .goto(&format!("{origin}/t/{}/signin", tenant.slug))
        .await?;
    fill(client, "f-email", &tenant.owner_email).await?;
    fill(client, "f-password", password).await?;
    submit(client).await
}

/// Signs the owner in and waits for the dashboard, so the next navigation cannot cancel the
/// sign-in before its cookie is set.
async fn sign_in_as_owner(
    client: &Client,
    origin: &str,
    tenant: &TenantFixture,
) -> anyhow::Result<()> {
    sign_in(client, origin, tenant, &tenant.owner_password).await?;
    text_of(client, "#dashboard-live").await?;
    Ok(())
}

async fn sign_in_journey(
    client: Client,
    origin: String,
    alpha: &TenantFixture,
) -> anyhow::Result<()> {
    sign_in(&client, &origin, alpha, "not-the-password").await?;
    let alert = text_of(&client, "[role=alert]").await?;
    ensure!(
        alert.contains("not right"),
        "wrong password explained: {alert}"
    );
    let kept = value_of(&client, "f-email").await?;
    ensure!(
        kept == alpha.owner_email,
        "the e-mail stays filled in, got {kept:?}"
    );
    let invalid = client
        .find(Locator::Id("f-password"))
        .await?
        .attr("aria-invalid")
        .await?;
    ensure!(
        invalid.as_deref() == Some("true"),
        "the password field is marked invalid"
    );

    fill(&client, "f-password", &alpha.owner_password).await?;
    submit(&client).await?;
    // Only the dashboard has the live tiles: wait for them, not for any heading.
    text_of(&client, "#dashboard-live").await?;
    let greeting = text_of(&client, "main h1 + p").await?;
    ensure!(
        greeting.contains("Hello, alpha owner"),
        "the dashboard greets the owner: {greeting}"
    );
    let url = client.current_url().await?;
    ensure!(
        url.path() == "/t/alpha/portal",
        "landed on the portal: {url}"
    );
    let today = text_of(&client, "#today-heading").await?;
    ensure!(today == "Today", "the owner sees today's figures: {today}");
    Ok(())
}

async fn theme_journey(client: Client) -> anyhow::Result<()> {
    // Signed in from the previous journey; the page follows the system (light) at first.
    ensure!(
        theme_attribute(&client).await?.is_none(),
        "no explicit theme before a choice"
    );
    choose_theme(&client, "dark").await?;
    ensure!(
        theme_attribute(&client).await?.as_deref() == Some("dark"),
        "night theme applied at once"
    );
    let background = client
        .execute(
            "return getComputedStyle(document.documentElement).backgroundColor;",
            vec![],
        )
        .await?;
    ensure!(
        background.as_str() == Some("rgb(18, 21, 26)"),
        "the page is dark: {background}"
    );
    let pressed = client
        .find(Locator::Css(".theme-switch button[value=dark]"))
        .await?
        .attr("aria-pressed")
        .await?;
    ensure!(
        pressed.as_deref() == Some("true"),
        "the switch shows the choice"
    );

    client.refresh().await?;
    ensure!(
        theme_attribute(&client).await?.as_deref() == Some("dark"),
        "the choice is remembered after a reload"
    );
    choose_theme(&client, "light").await?;
    client.refresh().await?;
    ensure!(
        theme_attribute(&client).await?.as_deref() == Some("light"),
        "day theme remembered"
    );
    let background = client
        .execute(
            "return getComputedStyle(document.documentElement).backgroundColor;",
            vec![],
        )
        .await?;
    ensure!(
        background.as_str() == Some("rgb(255, 255, 255)"),
        "the page is light: {background}"
    );
    choose_theme(&client, "system").await?;
    client.refresh().await?;
    ensure!(
        theme_attribute(&client).await?.is_none(),
        "back to following the system"
    );
    Ok(())
}

async fn brand_journey(client: Client, origin: String) -> anyhow::Result<()> {
    client
        .goto(&format!("{origin}/t/alpha/portal/settings"))
        .await?;
    let before = css_var(&client, "--brand").await?;
    ensure!(before == "#1f6feb", "default brand colour, got {before:?}");

    // A mistake is explained next to the field, and nothing typed is lost.
    fill(&client, "f-primary_color", "#zz0000").await?;
    fill(&client, "f-name", "Alpha Performance").await?;
    submit(&client).await?;
    let error = text_of(&client, "#f-primary_color-error").await?;
    ensure!(
        error.contains("colour"),
        "the colour error is shown: {error}"
    );
    let summary = text_of(&client, "[role=alert]").await?;
    ensure!(
        summary.contains("Primary colour: must be a colour"),
        "the summary names the field: {summary}"
    );
    ensure!(
        value_of(&client, "f-primary_color").await? == "#zz0000",
        "the typed colour is kept"
    );
    ensure!(
        value_of(&client, "f-name").await? == "Alpha Performance",
        "the typed name is kept"
    );

    fill(&client, "f-primary_color", "#aa0000").await?;
    submit(&client).await?;
    let notice = text_of(&client, "[role=status]").await?;
    ensure!(notice.contains("Saved"), "saved: {notice}");
    let after = css_var(&client, "--brand").await?;
    ensure!(
        after == "#aa0000",
        "the new brand colour is applied: {after:?}"
    );
    let on_brand = css_var(&client, "--on-brand").await?;
    ensure!(
        on_brand == "#ffffff",
        "white text on dark red: {on_brand:?}"
    );
    let header = text_of(&client, ".brand span:last-child").await?;
    ensure!(
        header == "Alpha Performance",
        "the new name is in the header: {header}"
    );

    // The public page of the tenant shows the brand too.
    client.goto(&format!("{origin}/t/alpha/")).await?;
    ensure!(
        css_var(&client, "--brand").await? == "#aa0000",
        "the public page uses the brand"
    );
    Ok(())
}

/// Runs the audit on the page shown, in one theme, collecting what it finds.
async fn audit(
    client: &Client,
    theme: &str,
    label: &str,
    problems: &mut Vec<String>,
) -> anyhow::Result<()> {
    choose_theme(client, theme).await?;
    let found = client.execute(AUDIT, vec![]).await?;
    for problem in found.as_array().into_iter().flatten() {
        problems.push(format!(
            "{label} ({theme}): {}",
            problem.as_str().unwrap_or_default()
        ));
    }
    Ok(())
}

/// Makes the page `width` CSS pixels wide (correcting for any frame the window adds).
async fn set_width(client: &Client, width: u32) -> anyhow::Result<()> {
    let inner = |client: &Client| {
        let client = client.clone();
        async move {
            let value = client.execute("return window.innerWidth;", vec![]).await?;
            anyhow::Ok(i64::try_from(value.as_u64().unwrap_or_default())?)
        }
    };
    client.set_window_size(width, 900).await?;
    let frame = inner(client).await? - i64::from(width);
    if frame != 0 {
        client
            .set_window_size(u32::try_from(i64::from(width) - frame)?, 900)
            .await?;
    }
    let now = inner(client).await?;
    ensure!(
        now == i64::from(width),
        "the page is {now} px wide, not {width}"
    );
    Ok(())
}

/// Checks the page shown at the window's width: no sideways scrolling, no id used twice.
async fn reflow(
    client: &Client,
    label: &str,
    width: u32,
    problems: &mut Vec<String>,
) -> anyhow::Result<()> {
    let found = client.execute(REFLOW, vec![]).await?;
    for problem in found.as_array().into_iter().flatten() {
        problems.push(format!(
            "{label} at {width} px: {}",
            problem.as_str().unwrap_or_default()
        ));
    }
    Ok(())
}

/// [`reflow`] at every width for the page shown, one that cannot be opened again by its
/// address (a form that came back with its errors). Leaves the window at the desktop width.
async fn reflow_here(
    client: &Client,
    label: &str,
    problems: &mut Vec<String>,
) -> anyhow::Result<()> {
    for width in WIDTHS {
        set_width(client, width).await?;
        reflow(client, label, width, problems).await?;
    }
    Ok(())
}

/// Visits every page at each of `widths` (the window resized once per width): none may scroll
/// sideways or use an id twice; at the desktop width each is also audited for accessibility in
/// the day and the night theme. A page is a path in the workshop or a whole address. Leaves
/// the window at the last width.
async fn audit_pages<P: AsRef<str>>(
    client: &Client,
    origin: &str,
    pages: &[P],
    widths: &[u32],
    problems: &mut Vec<String>,
) -> anyhow::Result<()> {
    for &width in widths {
        set_width(client, width).await?;
        for page in pages {
            let page = page.as_ref();
            let (url, label) = match page.strip_prefix(origin) {
                Some(path) => (page.to_owned(), path),
                None => (format!("{origin}/t/alpha{page}"), page),
            };
            client.goto(&url).await?;
            reflow(client, label, width, problems).await?;
            if width == DESKTOP {
                for theme in ["light", "dark"] {
                    audit(client, theme, label, problems).await?;
                }
            }
        }
    }
    Ok(())
}

/// The staff pages the accessibility journey audits.
const PORTAL_PAGES: &[&str] = &[
    "/portal",
    "/portal/settings",
    "/portal/messages",
    "/portal/settings/messages",
    "/portal/settings/templates",
    "/portal/notifications",
    "/portal/staff",
    "/portal/staff/roles",
    "/portal/audit",
    "/portal/settings/api-keys",
    "/portal/calendar/feeds",
    "/portal/settings/security",
    "/portal/settings/domains",
    "/portal/account",
    "/portal/reports",
    "/portal/reports/sales?preset=year",
    "/portal/reports/profit?preset=year",
    "/portal/reports/car-count?preset=month&grain=day",
    "/portal/reports/receivables?preset=year",
    "/portal/reports/sales?preset=custom&from=2026-05-01&to=2026-04-01",
    "/portal/reports/feedback?preset=year",
    "/portal/feedback",
    "/portal/ratings",
    "/",
];

/// Audits every portal page in the day and the night theme, with the default brand and with a
/// brand colour that is hard to read (yellow), which the derived palette must make readable;
/// with the default brand, also at every width.
async fn accessibility_journey(client: Client, origin: String) -> anyhow::Result<()> {
    // The audit must be able to fail: text in the page's own background colour is reported.
    client.goto(&format!("{origin}/t/alpha/portal")).await?;
    let hide = "const p = document.createElement('p'); p.textContent = 'faint'; \
                p.style.color = getComputedStyle(document.documentElement).backgroundColor; \
                document.querySelector('main').append(p);";
    client.execute(hide, vec![]).await?;
    let faint = client.execute(AUDIT, vec![]).await?;
    ensure!(
        faint.to_string().contains("faint"),
        "the audit reports low contrast: {faint}"
    );
    // So must the reflow check: a block wider than a phone, and an id used twice.
    set_width(&client, WIDTHS[0]).await?;
    let widen = "const d = document.createElement('div'); d.id = 'main'; d.style.width = '600px'; d.style.height = '1em'; \
                 document.querySelector('main').append(d);";
    client.execute(widen, vec![]).await?;
    let wide = client.execute(REFLOW, vec![]).await?.to_string();
    ensure!(
        wide.contains("scrolls sideways") && wide.contains("is used 2 times"),
        "the reflow check reports overflow and a repeated id: {wide}"
    );

    let mut problems = Vec::new();
    for brand in ["#1f6feb", "#ffdd00"] {
        client
            .goto(&format!("{origin}/t/alpha/portal/settings"))
            .await?;
        fill(&client, "f-primary_color", brand).await?;
        fill(&client, "f-accent_color", brand).await?;
        submit(&client).await?;
        text_of(&client, "[role=status]").await?;
        let widths: &[u32] = if brand == "#1f6feb" {
            &WIDTHS
        } else {
            &[DESKTOP]
        };
        let before = problems.len();
        audit_pages(&client, &origin, PORTAL_PAGES, widths, &mut problems).await?;
        for theme in ["light", "dark"] {
            // The settings form with its errors showing.
            client
                .goto(&format!("{origin}/t/alpha/portal/settings"))
                .await?;
            fill(&client, "f-name", "").await?;
            submit(&client).await?;
            text_of(&client, "[role=alert]").await?;
            audit(&client, theme, "settings with errors", &mut problems).await?;
        }
        if brand == "#1f6feb" {
            reflow_here(&client, "settings with errors", &mut problems).await?;
        }
        for problem in &mut problems[before..] {
            problem.push_str(&format!(" (brand {brand})"));
        }
    }
    // Signed out: the sign-in page with its error showing.
    client
        .find(Locator::Css("header form button.link-button"))
        .await?
        .click()
        .await?;
    // Wait for the sign-in page, so the next navigation does not cancel the sign-out.
    client.wait().for_element(Locator::Id("f-email")).await?;
    for theme in ["light", "dark"] {
        client.goto(&format!("{origin}/t/alpha/signin")).await?;
        fill(&client, "f-email", "nobody@example.com").await?;
        fill(&client, "f-password", "wrong password").await?;
        submit(&client).await?;
        text_of(&client, "[role=alert]").await?;
        audit(&client, theme, "sign-in with errors", &mut problems).await?;
    }
    reflow_here(&client, "sign-in with errors", &mut problems).await?;
    // The platform's pages after a sign-up with a known address.
    for (path, label) in [
        ("/signup/sent", "sign-up sent"),
        ("/signup/confirm?token=x", "workshop confirmation"),
    ] {
        for theme in ["light", "dark"] {
            client.goto(&format!("{origin}{path}")).await?;
            audit(&client, theme, label, &mut problems).await?;
        }
        reflow_here(&client, label, &mut problems).await?;
    }
    ensure!(
        problems.is_empty(),
        "accessibility problems:\n{}",
        problems.join("\n")
    );
    Ok(())
}

/// An issued invoice of one labour hour at 120, made through the services as the owner.
async fn an_issued_invoice(app: &TestApp, tenant: &TenantFixture) -> anyhow::Result<String> {
    let state = app.state();
    let owner = &tenant.owner;
    let customer = pitlane_frontdesk::customers::create(
        &state.frontdesk,
        owner,
        pitlane_frontdesk::customers::CustomerInput {
            name: "Ria Report".into(),
            email: Some("ria@example.com".into()),
            ..Default::default()
        },
        None,
    )
    .await?;
    let branches = pitlane_tenancy::branches::overview(&state.store, owner, 10).await?;
    let draft = pitlane_billing::invoices::draft(
        &state.billing,
        owner,
        &pitlane_billing::invoices::DraftInput {
            branch_id: branches[0].id,
            customer_id: pitlane_domain::ids::CustomerId(customer.id),
            vehicle_id: None,
            notes: None,
        },
    )
    .await?;
    let id = pitlane_domain::ids::InvoiceId(draft.invoice.id);
    pitlane_billing::invoices::add_line(
        &state.billing,
        owner,
        id,
        &pitlane_billing::invoices::LineInput {
            kind: "labour".into(),
            description: "Diagnosis".into(),
            quantity: "1".into(),
            unit_price: "120".into(),
            tax_rate_id: None,
            taxable: true,
        },
    )
    .await?;
    pitlane_billing::invoices::issue(&state.billing, owner, id, "/t/alpha").await?;
    Ok(draft.invoice.id.to_string())
}

/// The owner opens the dashboard and sees today's sales; an invoice is paid elsewhere (another
/// tab, the card terminal) and the tile changes by itself; they open a report, change its range
/// with a mistake and then properly, and download a table as CSV.
async fn reports_journey(
    client: Client,
    origin: String,
    app: &TestApp,
    tenant: &TenantFixture,
) -> anyhow::Result<()> {
    let invoice = an_issued_invoice(app, tenant).await?;
    client.goto(&format!("{origin}/t/alpha/portal")).await?;
    wait_for_text(&client, "[data-tile=sales] .figure", "120.00").await?;
    wait_for_text(&client, "[data-tile=payments-today]", "None yet").await?;
    // Paid from elsewhere while the dashboard is open.
    pitlane_billing::payments::record_payment(
        &app.state().billing,
        &tenant.owner,
        pitlane_domain::ids::InvoiceId(invoice.parse()?),
        &pitlane_billing::payments::PaymentInput {
            method: "card_terminal".into(),
            amount: "50".into(),
            reference: None,
            received_at: None,
        },
        "/t/alpha",
    )
    .await?;
    wait_for_text(&client, "[data-tile=payments-today]", "Card terminal").await?;
    wait_for_text(&client, "[data-tile=unpaid] .figure", "70.00").await?;

    // The tile's heading leads to the report behind it.
    click(&client, "[data-tile=sales] h3 a").await?;
    wait_for_text(&client, "h1", "Sales summary").await?;
    wait_for_text(&client, "[data-headline=net_sales] .figure", "120.00").await?;
    // A range that ends before it starts is refused, with what was chosen kept.
    client
        .goto(&format!("{origin}/t/alpha/portal/reports/sales"))
        .await?;
    let preset = client.find(Locator::Id("f-preset")).await?;
    preset.select_by_value("custom").await?;
    // Date fields take their value as a date picker sets it.
    client
        .execute(
            "document.getElementById('f-from').value = '2026-05-01'; \
             document.getElementById('f-to').value = '2026-04-01';",
            vec![],
        )
        .await?;
    submit(&client).await?;
    wait_for_text(&client, "#f-to-error", "on or after").await?;
    ensure!(
        value_of(&client, "f-from").await? == "2026-05-01",
        "the range is kept"
    );
    // This year instead.
    let preset = client.find(Locator::Id("f-preset")).await?;
    preset.select_by_value("year").await?;
    submit(&client).await?;
    wait_for_text(&client, "[data-headline=net_sales] .figure", "120.00").await?;
    ensure!(
        client
            .find(Locator::Css("figure.chart svg[role=img] title"))
            .await
            .is_ok(),
        "the report draws its charts"
    );
    // The table's CSV, as the download link fetches it.
    let link = client
        .find(Locator::Css("#h-by_branch ~ p a[download]"))
        .await?
        .attr("href")
        .await?
        .context("a download link")?;
    let csv = client
        .execute(
            "return fetch(arguments[0], {credentials: 'same-origin'}).then(r => r.text())",
            vec![serde_json::json!(link)],
        )
        .await?;
    let csv = csv.as_str().unwrap_or_default();
    ensure!(
        csv.starts_with("Branch,Invoices,"),
        "a CSV of the table: {csv}"
    );
    ensure!(csv.contains(",120.00,"), "with the figures: {csv}");

    // The customer's repair history, from their page, readable in both themes, and as a PDF.
    let view = pitlane_billing::invoices::get(
        &app.state().billing,
        &tenant.owner,
        pitlane_domain::ids::InvoiceId(invoice.parse()?),
    )
    .await?;
    client
        .goto(&format!(
            "{origin}/t/alpha/portal/customers/{}",
            view.invoice.customer_id
        ))
        .await?;
    click(&client, "a[href$='/history']").await?;
    wait_for_text(&client, "h1", "Repair history of Ria Report").await?;
    wait_for_text(&client, "#t-invoices", "120.00").await?;
    let mut problems = Vec::new();
    audit(&client, "light", "the repair history", &mut problems).await?;
    audit(&client, "dark", "the repair history", &mut problems).await?;
    ensure!(problems.is_empty(), "{}", problems.join("\n"));
    // The next journey starts from following the system's theme.
    choose_theme(&client, "system").await?;
    let kind = client
        .execute(
            "return fetch(document.querySelector('a[href$=\"/history/pdf\"]').href, \
             {credentials: 'same-origin'}).then(r => r.headers.get('content-type'))",
            vec![],
        )
        .await?;
    ensure!(
        kind.as_str() == Some("application/pdf"),
        "the history downloads as a PDF: {kind}"
    );
    Ok(())
}

/// An owner edits a message template: a typo'd variable is refused with the text kept, the
/// preview shows the branded e-mail, saving applies it; then a test SMS is sent.
async fn template_journey(client: Client, origin: String) -> anyhow::Result<()> {
    client
        .goto(&format!(
            "{origin}/t/alpha/portal/settings/templates/test_message/email"
        ))
        .await?;
    fill(&client, "f-body", "Dear {{ nmae }}").await?;
    client
        .find(Locator::Css("button[value=save]"))
        .await?
        .click()
        .await?;
    let error = text_of(&client, "#f-body-error").await?;
    ensure!(
        error.contains("nmae"),
        "the error names the variable: {error}"
    );
    ensure!(
        value_of(&client, "f-body").await? == "Dear {{ nmae }}",
        "what was typed is kept"
    );
    fill(&client, "f-body", "Dear customer, sent by {{ sent_by }}.").await?;
    client
        .find(Locator::Css("button[value=preview]"))
        .await?
        .click()
        .await?;
    client
        .wait()
        .for_element(Locator::Css("iframe.mail-preview"))
        .await?;
    client
        .find(Locator::Css("button[value=save]"))
        .await?
        .click()
        .await?;
    let saved = text_of(&client, "[role=status]").await?;
    ensure!(saved.contains("Saved"), "{saved}");

    client
        .goto(&format!("{origin}/t/alpha/portal/settings/messages"))
        .await?;
    fill(&client, "f-sms_to", "+44 7911 123456").await?;
    client
        .find(Locator::Css(
            "form:has(input[name=sms_to]) button[type=submit]",
        ))
        .await?
        .click()
        .await?;
    let queued = text_of(&client, "[role=status]").await?;
    ensure!(queued.contains("Test SMS queued"), "{queued}");
    Ok(())
}

/// The whole menu, as an owner sees it.
const FULL_MENU: &[&str] = &[
    "Dashboard",
    "Calendar",
    "Inbox",
    "Customers",
    "Repair orders",
    "Invoices",
    "Feedback",
    "My jobs",
    "Dispatch",
    "Roadside jobs",
    "My ratings",
    "Parts",
    "Reports",
    "Messages",
    "Staff",
    "Settings",
    "Audit log",
    "Account",
];

/// The main menu of a page: each entry's label and address.
fn menu_of(html: &str) -> Vec<(String, String)> {
    let Some(nav) = html
        .split_once("<nav class=\"site-nav\"")
        .and_then(|(_, rest)| rest.split_once("</nav>"))
        .map(|(nav, _)| nav)
    else {
        return Vec::new();
    };
    nav.split("<a ")
        .skip(1)
        .filter_map(|a| {
            let href = a.split_once("href=\"")?.1.split_once('"')?.0;
            let label = a.split_once('>')?.1.split_once("</a>")?.0;
            Some((label.to_owned(), href.to_owned()))
        })
        .collect()
}

/// The menu shows a member exactly what their role may open: as every built-in role, each
/// entry opens and each page of the owner's menu left out answers 403. On a phone the menu is
/// folded behind its button, which opens from the keyboard and fits the screen.
async fn menu_journey(
    client: Client,
    origin: String,
    app: &TestApp,
    alpha: &TenantFixture,
) -> anyhow::Result<()> {
    use pitlane_domain::permissions::Role;
    let owner = app.client();
    owner.sign_in(alpha).await;
    let all = menu_of(&owner.get("/t/alpha/portal").await.text().await?);
    let labels: Vec<&str> = all.iter().map(|(label, _)| label.as_str()).collect();
    ensure!(
        labels == FULL_MENU,
        "the owner sees every entry: {labels:?}"
    );
    let mut mechanic = None;
    for role in [
        Role::Admin,
        Role::Manager,
        Role::ServiceAdvisor,
        Role::Mechanic,
    ] {
        let (email, password) = app.member(alpha, role).await;
        let member = app.client();
        member.sign_in_as(alpha, &email, &password).await;
        let menu = menu_of(&member.get("/t/alpha/portal").await.text().await?);
        ensure!(!menu.is_empty(), "{role:?} has a menu");
        for (label, href) in &all {
            let shown = menu.iter().any(|(l, _)| l == label);
            let status = member.get(href).await.status().as_u16();
            ensure!(
                if shown { status == 200 } else { status == 403 },
                "{role:?}: {label} ({href}) is {} the menu but answers {status}",
                if shown { "in" } else { "not in" }
            );
        }
        if role == Role::Mechanic {
            let names: Vec<&str> = menu.iter().map(|(l, _)| l.as_str()).collect();
            ensure!(
                names
                    == [
                        "Dashboard",
                        "Repair orders",
                        "Invoices",
                        "My jobs",
                        "Roadside jobs",
                        "My ratings",
                        "Parts",
                        "Account"
                    ],
                "a mechanic's menu: {names:?}"
            );
            mechanic = Some((email, password));
        }
    }

    // The mechanic on a phone: the links wait behind the menu button.
    let (email, password) = mechanic.context("a mechanic")?;
    set_width(&client, WIDTHS[0]).await?;
    client.goto(&format!("{origin}/t/alpha/signin")).await?;
    fill(&client, "f-email", &email).await?;
    fill(&client, "f-password", &password).await?;
    submit(&client).await?;
    text_of(&client, "#dashboard-live").await?;
    let link = client
        .find(Locator::Css("nav.site-nav a[href$='/portal/my-jobs']"))
        .await?;
    ensure!(
        !link.is_displayed().await?,
        "the links are folded on a phone"
    );
    let button = client
        .find(Locator::Css("details.site-menu > summary"))
        .await?;
    ensure!(button.is_displayed().await?, "the menu button shows");
    let name = button.text().await?;
    ensure!(
        name.trim().ends_with("Menu"),
        "the button is named: {name:?}"
    );
    // Opened from the keyboard (Enter), as a disclosure does without any script.
    button.send_keys("\u{E007}").await?;
    client
        .wait()
        .for_element(Locator::Css("details.site-menu[open]"))
        .await?;
    ensure!(link.is_displayed().await?, "the menu opens");
    let mut problems = Vec::new();
    reflow(&client, "the open menu", WIDTHS[0], &mut problems).await?;
    audit(&client, "light", "the open menu", &mut problems).await?;
    audit(&client, "dark", "the open menu", &mut problems).await?;
    ensure!(problems.is_empty(), "{}", problems.join("\n"));
    link.click().await?;
    wait_for_text(&client, "main h1", "My jobs").await?;

    // On a desktop the links are a row of their own, no button.
    set_width(&client, DESKTOP).await?;
    ensure!(
        !client
            .find(Locator::Css("details.site-menu > summary"))
            .await?
            .is_displayed()
            .await?,
        "no menu button on a desktop"
    );
    let row = text_of(&client, "nav.site-nav").await?;
    ensure!(
        row.contains("My jobs") && !row.contains("Settings"),
        "the mechanic's links: {row}"
    );
    click(&client, "header form button.link-button").await?;
    client.wait().for_element(Locator::Id("f-email")).await?;
    Ok(())
}

#[tokio::test]
async fn portal_journeys_in_chromium() -> anyhow::Result<()> {
    let app = TestApp::spawn().await;
    let alpha = app.tenant("alpha").await;
    let browser = Browser::start().await.context("start Chromium")?;
    let origin = app.origin.clone();
    let result = async {
        browser
            .client
            .goto(&format!("{origin}/t/alpha/signin"))
            .await?;
        browser.snapshot("sign-in").await?;
        browser
            .journey("sign-in", |c| sign_in_journey(c, origin.clone(), &alpha))
            .await?;
        browser.snapshot("dashboard").await?;
        browser
            .journey("reports", |c| {
                reports_journey(c, origin.clone(), &app, &alpha)
            })
            .await?;
        browser.snapshot("report").await?;
        browser.journey("theme-switch", theme_journey).await?;
        browser
            .journey("brand-settings", |c| brand_journey(c, origin.clone()))
            .await?;
        browser
            .journey("message-templates", |c| template_journey(c, origin.clone()))
            .await?;
        browser.snapshot("message-settings").await?;
        browser.snapshot("public-page").await?;
        // How the settings page looks, with an error, in both themes.
        browser
            .client
            .goto(&format!("{origin}/t/alpha/portal/settings"))
            .await?;
        fill(&browser.client, "f-accent_color", "orange").await?;
        submit(&browser.client).await?;
        text_of(&browser.client, "#f-accent_color-error").await?;
        browser.snapshot("settings-error-day").await?;
        choose_theme(&browser.client, "dark").await?;
        browser.snapshot("settings-error-night").await?;
        browser
            .journey("accessibility", |c| {
                accessibility_journey(c, origin.clone())
            })
            .await?;
        browser
            .journey("menu-by-role", |c| {
                menu_journey(c, origin.clone(), &app, &alpha)
            })
            .await
    }
    .await;
    browser.close().await;
    app.stop().await;
    result
}

/// The link in the newest mail to `to` that contains `marker`.
async fn mailed_link(
    sink: &pitlane_testkit::SmtpSink,
    count: usize,
    to: &str,
    marker: &str,
) -> anyhow::Result<String> {
    let mail = sink
        .wait_for(count, std::time::Duration::from_secs(30))
        .await;
    mail.iter()
        .rev()
        .filter(|m| m.to.iter().any(|t| t == to))
        .find_map(|m| m.link(marker))
        .with_context(|| format!("no mail to {to} with {marker}"))
}

async fn signup_to_team_journey(
    client: Client,
    origin: String,
    sink: &pitlane_testkit::SmtpSink,
) -> anyhow::Result<()> {
    client.goto(&format!("{origin}/")).await?;
    client
        .wait()
        .for_element(Locator::LinkText("Sign up your workshop"))
        .await?
        .click()
        .await?;
    fill(&client, "f-company", "Alpha Autos").await?;
    fill(&client, "f-slug", "admin").await?;
    fill(&client, "f-owner_name", "Ada Alpha").await?;
    fill(&client, "f-email", "ada@alpha-autos.example").await?;
    fill(&client, "f-password", "torque-wrench-42").await?;
    fill(&client, "f-country", "GB").await?;
    fill(&client, "f-currency", "GBP").await?;
    fill(&client, "f-time_zone", "Europe/London").await?;
    submit(&client).await?;
    let alert = text_of(&client, "[role=alert]").await?;
    ensure!(
        alert.contains("reserved"),
        "the reserved address is explained: {alert}"
    );
    ensure!(
        value_of(&client, "f-company").await? == "Alpha Autos",
        "what was typed is kept"
    );
    fill(&client, "f-slug", "alpha").await?;
    fill(&client, "f-password", "torque-wrench-42").await?;
    submit(&client).await?;
    let notice = text_of(&client, "[role=status]").await?;
    ensure!(
        notice.contains("verify"),
        "the sign-in page asks to verify: {notice}"
    );
    let url = client.current_url().await?;
    ensure!(
        url.host_str() == Some("alpha.localhost"),
        "on the workshop's own host: {url}"
    );

    let verify = mailed_link(sink, 1, "ada@alpha-autos.example", "/verify-email?token=").await?;
    client.goto(&verify).await?;
    let heading = text_of(&client, "main h1").await?;
    ensure!(heading.contains("verified"), "verified: {heading}");
    client
        .find(Locator::LinkText("Continue"))
        .await?
        .click()
        .await?;
    fill(&client, "f-email", "ada@alpha-autos.example").await?;
    fill(&client, "f-password", "torque-wrench-42").await?;
    submit(&client).await?;
    text_of(&client, "#dashboard-live").await?;

    // Invite a mechanic from the staff page.
    client
        .find(Locator::Css("nav a[href$='/portal/staff']"))
        .await?
        .click()
        .await?;
    fill(&client, "f-email", "sam@spanner.example").await?;
    fill(&client, "f-name", "Sam Spanner").await?;
    client
        .find(Locator::Css("#f-role option[value=mechanic]"))
        .await?
        .click()
        .await?;
    client
        .find(Locator::Css(
            "form[action$='/portal/staff/invitations'] button[type=submit]",
        ))
        .await?
        .click()
        .await?;
    let notice = text_of(&client, "[role=status]").await?;
    ensure!(notice.contains("on its way"), "invitation sent: {notice}");
    let pending = text_of(&client, "#pending-heading + .table-scroll").await?;
    ensure!(
        pending.contains("sam@spanner.example"),
        "listed as pending: {pending}"
    );

    // Sam accepts (in this browser, which then is Sam's).
    let invite = mailed_link(sink, 2, "sam@spanner.example", "/invitations/accept?token=").await?;
    client.goto(&invite).await?;
    ensure!(
        value_of(&client, "f-name").await? == "Sam Spanner",
        "the name is offered"
    );
    fill(&client, "f-password", "spanner-and-socket").await?;
    submit(&client).await?;
    // Only the dashboard has the live tiles: wait for them, not for any heading.
    text_of(&client, "#dashboard-live").await?;
    let greeting = text_of(&client, "main h1 + p").await?;
    ensure!(
        greeting.contains("Sam Spanner"),
        "Sam is signed in: {greeting}"
    );
    let nav = text_of(&client, "nav.site-nav").await?;
    ensure!(
        !nav.contains("Staff") && !nav.contains("Audit"),
        "a mechanic sees no staff or audit pages: {nav}"
    );
    let url = client.current_url().await?;
    client.goto(url.join("/portal/staff")?.as_str()).await?;
    let heading = text_of(&client, "main h1").await?;
    ensure!(
        heading.contains("Not allowed"),
        "the staff page refuses a mechanic: {heading}"
    );
    Ok(())
}

async fn customer_magic_link_journey(
    client: Client,
    origin: String,
    sink: &pitlane_testkit::SmtpSink,
) -> anyhow::Result<()> {
    client
        .goto(&format!("{origin}/t/alpha/account/signin"))
        .await?;
    fill(&client, "f-email", "carla@customer.example").await?;
    fill(&client, "f-name", "Carla Customer").await?;
    submit(&client).await?;
    let notice = text_of(&client, "[role=status]").await?;
    ensure!(
        notice.contains("Check your inbox"),
        "the link is on its way: {notice}"
    );
    let link = mailed_link(sink, 3, "carla@customer.example", "/account/magic?token=").await?;
    client.goto(&link).await?;
    let heading = text_of(&client, "main h1").await?;
    ensure!(
        heading.contains("Hello, Carla Customer"),
        "signed in on the branded page: {heading}"
    );
    let brand = text_of(&client, ".brand").await?;
    ensure!(
        brand.contains("Alpha Autos"),
        "the workshop's brand: {brand}"
    );
    // Her menu leads to her own pages; nothing in the header leads into the staff's portal.
    let header = client
        .find(Locator::Css("header.site-header"))
        .await?
        .html(false)
        .await?;
    let menu: Vec<String> = menu_of(&header).into_iter().map(|(l, _)| l).collect();
    ensure!(
        menu == ["Your account", "Messages"] && !header.contains("/portal"),
        "the customer's menu: {menu:?} in {header}"
    );
    // Her pages at every width.
    let mut problems = Vec::new();
    audit_pages(
        &client,
        &origin,
        &["/account", "/account/messages", "/"],
        &WIDTHS,
        &mut problems,
    )
    .await?;
    ensure!(problems.is_empty(), "{}", problems.join("\n"));
    // The link works once.
    client.goto(&link).await?;
    let heading = text_of(&client, "main h1").await?;
    ensure!(heading.contains("already used"), "{heading}");
    Ok(())
}

#[tokio::test]
async fn identity_journeys_in_chromium() -> anyhow::Result<()> {
    let sink = pitlane_testkit::SmtpSink::start().await;
    let app = TestApp::spawn_messaging(&pitlane_testkit::MessagingOptions::to(&sink)).await;
    let workers = app.start_workers("browser").await;
    let browser = Browser::start().await.context("start Chromium")?;
    let origin = app.origin.clone();
    let result = async {
        browser
            .journey("sign-up-to-team", |c| {
                signup_to_team_journey(c, origin.clone(), &sink)
            })
            .await?;
        browser
            .journey("customer-magic-link", |c| {
                customer_magic_link_journey(c, origin.clone(), &sink)
            })
            .await
    }
    .await;
    browser.close().await;
    workers.stop().await;
    app.stop().await;
    result
}

/// Clicks the submit button of the form whose action ends with `action`, and waits until the
/// page it was on has been replaced, so the next step reads the answer, not the form.
async fn submit_to(client: &Client, action: &str) -> anyhow::Result<()> {
    let css = format!("main form[action$='{action}'] button[type=submit]");
    let before = client.find(Locator::Css("html")).await?;
    client
        .wait()
        .for_element(Locator::Css(&css))
        .await?
        .click()
        .await?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while before.tag_name().await.is_ok() {
        ensure!(
            std::time::Instant::now() < deadline,
            "posting to {action} never left the page"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    Ok(())
}

/// Clicks the element; when the page it was found on is just being replaced (the element went
/// stale), finds it again on the new page.
async fn click(client: &Client, css: &str) -> anyhow::Result<()> {
    let mut tries = 0;
    loop {
        let element = client.wait().for_element(Locator::Css(css)).await?;
        match element.click().await {
            Ok(()) => return Ok(()),
            Err(err)
                if tries < 5
                    && (err.to_string().contains("stale")
                        || err.to_string().contains("does not belong to the document")) =>
            {
                tries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(err) => return Err(err.into()),
        }
    }
}

/// Waits until the element's text contains `needle` (live updates arrive by themselves).
async fn wait_for_text(client: &Client, css: &str, needle: &str) -> anyhow::Result<()> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        if let Ok(el) = client.find(Locator::Css(css)).await
            && el.text().await.unwrap_or_default().contains(needle)
        {
            return Ok(());
        }
        ensure!(
            std::time::Instant::now() < deadline,
            "{needle:?} never appeared in {css}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// The owner sets up the front desk from the settings page: a bay, a service and online
/// booking that confirms at once; mistakes come back with what was typed.
async fn desk_settings_journey(
    client: Client,
    origin: String,
    alpha: &TenantFixture,
) -> anyhow::Result<()> {
    sign_in_as_owner(&client, &origin, alpha).await?;
    client
        .goto(&format!("{origin}/t/alpha/portal/settings/front-desk"))
        .await?;
    fill(&client, "f-bay_name", "Lift 1").await?;
    submit_to(&client, "/front-desk/bays").await?;
    let alert = text_of(&client, "[role=alert]").await?;
    ensure!(
        alert.contains("Kind of bay"),
        "the bay kind is asked for: {alert}"
    );
    ensure!(
        value_of(&client, "f-bay_name").await? == "Lift 1",
        "the name is kept"
    );
    fill(&client, "f-kind", "lift").await?;
    submit_to(&client, "/front-desk/bays").await?;
    text_of(&client, "#bays-heading + .table-scroll tbody tr").await?;

    click(&client, "#services-heading ~ details summary").await?;
    fill(&client, "f-name", "Brake check").await?;
    fill(&client, "f-duration_minutes", "sixty").await?;
    fill(&client, "f-price_from", "89.00").await?;
    fill(&client, "f-bay_kind", "lift").await?;
    submit_to(&client, "/front-desk/services").await?;
    let error = text_of(&client, "#f-duration_minutes-error").await?;
    ensure!(error.contains("minutes"), "{error}");
    ensure!(
        value_of(&client, "f-price_from").await? == "89.00",
        "the price is kept"
    );
    fill(&client, "f-duration_minutes", "60").await?;
    submit_to(&client, "/front-desk/services").await?;
    let services = text_of(&client, "#services-heading + .table-scroll tbody").await?;
    ensure!(services.contains("Brake check"), "{services}");

    click(&client, "input[name=auto_confirm]").await?;
    fill(&client, "f-cutoff_hours", "2").await?;
    submit_to(&client, "/front-desk/booking").await?;
    client
        .wait()
        .for_element(Locator::Css("input[name=auto_confirm]:checked"))
        .await?;
    // Signed out again: the booking is a guest's.
    click(&client, "header form button.link-button").await?;
    client.wait().for_element(Locator::Id("f-email")).await?;
    Ok(())
}

/// The code in the newest booking-code mail to `to` (it leads the subject).
async fn booking_code(
    sink: &pitlane_testkit::SmtpSink,
    count: usize,
    to: &str,
) -> anyhow::Result<String> {
    let mail = sink
        .wait_for(count, std::time::Duration::from_secs(30))
        .await;
    mail.iter()
        .rev()
        .filter(|m| m.to.iter().any(|t| t == to))
        .find_map(|m| {
            let subject = m.header("Subject")?;
            subject
                .contains("booking code")
                .then(|| subject.chars().take(6).collect())
        })
        .with_context(|| format!("no booking code mailed to {to}"))
}

/// A guest books on the branded page (a mistake first), confirms with the mailed code, gets
/// the confirmation with its calendar file, downloads it, and moves the booking by its link.
async fn guest_booking_journey(
    client: Client,
    origin: String,
    sink: &pitlane_testkit::SmtpSink,
) -> anyhow::Result<()> {
    client.goto(&format!("{origin}/t/alpha/")).await?;
    client
        .wait()
        .for_element(Locator::LinkText("Book a visit"))
        .await?
        .click()
        .await?;
    click(&client, "input[name=service_id]").await?;
    click(&client, "main form[method=get] button[type=submit]").await?;
    // The last time offered: far enough ahead to be moved later, whatever the hour now.
    client
        .wait()
        .for_element(Locator::Css("input[name=starts_at]"))
        .await?;
    client
        .find_all(Locator::Css("input[name=starts_at]"))
        .await?
        .last()
        .context("free times")?
        .click()
        .await?;
    fill(&client, "f-make", "Volkswagen").await?;
    fill(&client, "f-model", "Golf").await?;
    fill(&client, "f-plate", "AB12 CDE").await?;
    fill(&client, "f-email", "gina@guest.example").await?;
    click(&client, "main form[method=post] button[type=submit]").await?;
    let alert = text_of(&client, "[role=alert]").await?;
    ensure!(
        alert.contains("Your name"),
        "the missing name is named: {alert}"
    );
    ensure!(
        value_of(&client, "f-plate").await? == "AB12 CDE",
        "the plate is kept"
    );
    ensure!(
        client
            .find(Locator::Css("input[name=starts_at]:checked"))
            .await
            .is_ok(),
        "the chosen time is kept"
    );
    let mut problems = Vec::new();
    reflow_here(&client, "booking with errors", &mut problems).await?;
    fill(&client, "f-name", "Gina Guest").await?;
    click(&client, "main form[method=post] button[type=submit]").await?;
    wait_for_text(&client, "main h1", "Confirm").await?;
    fill(&client, "f-code", "00000x").await?;
    submit(&client).await?;
    let error = text_of(&client, "#f-code-error").await?;
    ensure!(error.contains("tries left"), "{error}");
    let code = booking_code(sink, 1, "gina@guest.example").await?;
    fill(&client, "f-code", &code).await?;
    submit(&client).await?;
    wait_for_text(&client, "[role=status]", "Booked").await?;
    let status = text_of(&client, "[data-status]").await?;
    ensure!(status == "Confirmed", "confirmed at once: {status}");
    reflow_here(&client, "the booking", &mut problems).await?;
    ensure!(problems.is_empty(), "{}", problems.join("\n"));

    // The confirmation carries the calendar file; the page offers the same file.
    let mail = sink.wait_for(2, std::time::Duration::from_secs(30)).await;
    let confirmation = mail
        .iter()
        .find(|m| {
            m.to.iter().any(|t| t == "gina@guest.example") && m.data.contains("text/calendar")
        })
        .context("a confirmation with a calendar file")?;
    ensure!(
        confirmation.data.contains("appointment.ics"),
        "named appointment.ics"
    );
    let ics_link = client
        .find(Locator::Css("a[download]"))
        .await?
        .prop("href")
        .await?
        .context("the calendar link")?;
    let ics = reqwest::get(&ics_link).await?.text().await?;
    ensure!(
        ics.contains("BEGIN:VEVENT") && ics.contains("SEQUENCE:0"),
        "{ics}"
    );

    // Move it to the last time offered.
    let times = client
        .find_all(Locator::Css(
            "form[action$='/book/manage/move'] input[name=starts_at]",
        ))
        .await?;
    times
        .last()
        .context("free times to move to")?
        .click()
        .await?;
    submit_to(&client, "/book/manage/move").await?;
    wait_for_text(&client, "[role=status]", "moved").await?;
    let ics = reqwest::get(&ics_link).await?.text().await?;
    ensure!(
        ics.contains("SEQUENCE:1"),
        "the file follows the move: {ics}"
    );
    Ok(())
}

/// The front desk sees the booking on the calendar, opens it and the customer's card, and
/// every new page passes the accessibility audit in both themes.
async fn front_desk_pages_journey(
    client: Client,
    origin: String,
    alpha: &TenantFixture,
) -> anyhow::Result<()> {
    sign_in_as_owner(&client, &origin, alpha).await?;
    click(&client, "nav a[href$='/portal/calendar']").await?;
    // The booking is within the coming seven days: this week's view or the next shows it.
    let today = chrono::NaiveDate::parse_from_str(&value_of(&client, "f-date").await?, "%Y-%m-%d")?;
    client
        .goto(&format!(
            "{origin}/t/alpha/portal/calendar?date={today}&view=week"
        ))
        .await?;
    if !text_of(&client, "#calendar-board")
        .await?
        .contains("Gina Guest")
    {
        let next = today + chrono::Duration::days(7);
        client
            .goto(&format!(
                "{origin}/t/alpha/portal/calendar?date={next}&view=week"
            ))
            .await?;
    }
    wait_for_text(&client, "#calendar-board", "Gina Guest").await?;
    click(&client, "#calendar-board .appt a").await?;
    wait_for_text(&client, "main h1", "Brake check").await?;
    let appointment_url = client.current_url().await?.to_string();
    let history = text_of(&client, "#history-heading + ol").await?;
    ensure!(
        history.contains("Gina Guest"),
        "moved by the customer: {history}"
    );
    let mut problems = Vec::new();
    for theme in ["light", "dark"] {
        audit(&client, theme, "appointment", &mut problems).await?;
    }
    // Move it by the form: first to a time the branch is closed, then to its opening.
    let start = value_of(&client, "f-starts_at").await?;
    let day = start.split('T').next().context("a date")?.to_owned();
    let set_start = |value: String| {
        let client = client.clone();
        async move {
            client
                .execute(
                    "document.getElementById('f-starts_at').value = arguments[0];",
                    vec![value.into()],
                )
                .await
        }
    };
    set_start(format!("{day}T03:00")).await?;
    submit_to(&client, "/move").await?;
    let error = text_of(&client, "#f-starts_at-error").await?;
    ensure!(!error.is_empty(), "a closed time is refused on the field");
    ensure!(
        value_of(&client, "f-starts_at").await? == format!("{day}T03:00"),
        "the time typed is kept"
    );
    for theme in ["light", "dark"] {
        audit(&client, theme, "appointment with errors", &mut problems).await?;
    }
    reflow_here(&client, "appointment with errors", &mut problems).await?;
    set_start(format!("{day}T08:00")).await?;
    submit_to(&client, "/move").await?;
    wait_for_text(&client, "dl.facts", "08:00").await?;
    // And cancel it with its button.
    click(
        &client,
        "form[action$='/status']:has(input[value=cancelled]) button",
    )
    .await?;
    wait_for_text(&client, "[data-status]", "Cancelled").await?;

    click(&client, "nav a[href$='/portal/customers']").await?;
    fill(&client, "f-q", "AB12").await?;
    submit_to(&client, "/portal/customers").await?;
    wait_for_text(&client, "#results-heading", "matching").await?;
    click(&client, "#results-heading + .table-scroll a").await?;
    wait_for_text(&client, "main h1", "Gina Guest").await?;
    let customer_url = client.current_url().await?.to_string();
    fill(&client, "f-body", "Prefers texts.").await?;
    submit_to(&client, "/notes").await?;
    wait_for_text(&client, "#notes-heading ~ article", "Prefers texts.").await?;
    fill(&client, "f-email", "not an address").await?;
    submit_to(&client, client.current_url().await?.path()).await?;
    let alert = text_of(&client, "[role=alert]").await?;
    ensure!(alert.contains("E-mail"), "{alert}");
    ensure!(
        value_of(&client, "f-email").await? == "not an address",
        "what was typed is kept"
    );
    for theme in ["light", "dark"] {
        audit(&client, theme, "customer with errors", &mut problems).await?;
    }
    reflow_here(&client, "customer with errors", &mut problems).await?;
    audit_pages(
        &client,
        &origin,
        &[
            "/portal/customers",
            "/portal/calendar",
            "/portal/calendar?view=week",
            "/portal/calendar?by=mechanic&view=week",
            "/portal/inbox",
            "/portal/appointments/new",
            "/portal/settings/front-desk",
            "/portal/campaigns",
            "/book",
            appointment_url.as_str(),
            customer_url.as_str(),
        ],
        &WIDTHS,
        &mut problems,
    )
    .await?;
    ensure!(
        problems.is_empty(),
        "accessibility problems:\n{}",
        problems.join("\n")
    );
    Ok(())
}

/// Staff and customer talk: the customer writes on the workshop's site, the staff inbox shows
/// it live, the reply appears live on the customer's page.
async fn conversation_journey(
    client: Client,
    origin: String,
    app: &TestApp,
    sink: &pitlane_testkit::SmtpSink,
) -> anyhow::Result<()> {
    // Gina signs in on the branded page, in a client of her own.
    let gina = app.client();
    let response = gina
        .submit(
            "/t/alpha/account/signin",
            "/t/alpha/account/signin",
            &[("email", "gina@guest.example")],
        )
        .await;
    ensure!(response.status().is_success(), "{}", response.status());
    let count = sink.received().len() + 1;
    let link = mailed_link(sink, count, "gina@guest.example", "/account/magic?token=").await?;
    let path = pitlane_testkit::tenant_path(&link);
    let signed_in = gina.get(&path).await;
    ensure!(
        signed_in.status().is_redirection(),
        "{}",
        signed_in.status()
    );
    let response = gina
        .submit(
            "/t/alpha/account/messages",
            "/t/alpha/account/messages",
            &[("body", "Is my car ready?")],
        )
        .await;
    ensure!(response.status().is_redirection(), "{}", response.status());

    // The owner (signed in in the browser) opens the conversation from the inbox.
    client
        .goto(&format!("{origin}/t/alpha/portal/inbox"))
        .await?;
    let inbox = text_of(&client, "#inbox-list").await?;
    ensure!(
        inbox.contains("Gina Guest") && inbox.contains("1 new"),
        "{inbox}"
    );
    click(&client, "#inbox-list a").await?;
    wait_for_text(&client, "#thread", "Is my car ready?").await?;
    // Gina writes again while the page is open: it appears without a reload.
    gina.submit(
        "/t/alpha/account/messages",
        "/t/alpha/account/messages",
        &[("body", "I can come at four.")],
    )
    .await;
    wait_for_text(&client, "#thread", "I can come at four.").await?;
    // Assigned to the owner from the staff list.
    click(&client, "#f-to option:nth-child(2)").await?;
    submit_to(&client, "/assign").await?;
    client
        .wait()
        .for_element(Locator::Css("#f-to option:nth-child(2)[selected]"))
        .await?;
    fill(&client, "f-body", "Yes, it is ready from 16:00.").await?;
    submit_to(&client, "/reply").await?;
    wait_for_text(&client, "#thread", "ready from 16:00").await?;
    // The chat fits a phone.
    let mut problems = Vec::new();
    reflow_here(&client, "conversation", &mut problems).await?;
    ensure!(problems.is_empty(), "{}", problems.join("\n"));
    let page = gina.get("/t/alpha/account/messages").await.text().await?;
    ensure!(page.contains("ready from 16:00"), "Gina sees the reply");
    // She hears of it by e-mail too.
    let mail = sink
        .wait_for(count + 1, std::time::Duration::from_secs(30))
        .await;
    ensure!(
        mail.iter()
            .any(|m| m.to.iter().any(|t| t == "gina@guest.example")
                && m.data.contains("ready from 16:00")),
        "the reply is e-mailed"
    );
    Ok(())
}

async fn snapshot_pages(
    browser: &Browser,
    origin: &str,
    pages: &[(&str, &str)],
) -> anyhow::Result<()> {
    for (name, path) in pages {
        browser
            .client
            .goto(&format!("{origin}/t/alpha{path}"))
            .await?;
        browser.snapshot(name).await?;
    }
    Ok(())
}

#[tokio::test]
async fn front_desk_journeys_in_chromium() -> anyhow::Result<()> {
    let sink = pitlane_testkit::SmtpSink::start().await;
    let app = TestApp::spawn_messaging(&pitlane_testkit::MessagingOptions::to(&sink)).await;
    let workers = app.start_workers("desk").await;
    let alpha = app.tenant("alpha").await;
    app.member(&alpha, pitlane_domain::permissions::Role::Mechanic)
        .await;
    let browser = Browser::start().await.context("start Chromium")?;
    let origin = app.origin.clone();
    let result = async {
        browser
            .journey("desk-settings", |c| {
                desk_settings_journey(c, origin.clone(), &alpha)
            })
            .await?;
        browser
            .journey("guest-booking", |c| {
                guest_booking_journey(c, origin.clone(), &sink)
            })
            .await?;
        browser
            .journey("front-desk-pages", |c| {
                front_desk_pages_journey(c, origin.clone(), &alpha)
            })
            .await?;
        browser
            .journey("conversation", |c| {
                conversation_journey(c, origin.clone(), &app, &sink)
            })
            .await?;
        // How the front desk looks, for reviewers (PITLANE_SCREENSHOTS=1).
        snapshot_pages(
            &browser,
            &origin,
            &[
                ("desk-calendar-week", "/portal/calendar?view=week"),
                ("desk-customers", "/portal/customers"),
                ("desk-inbox", "/portal/inbox"),
                ("desk-settings", "/portal/settings/front-desk"),
                ("desk-booking-page", "/book"),
            ],
        )
        .await
    }
    .await;
    browser.close().await;
    workers.stop().await;
    app.stop().await;
    result
}

/// The customer's link in the latest estimate message of the tenant.
async fn repair_link(app: &TestApp, tenant: &TenantFixture) -> anyhow::Result<String> {
    use pitlane_store::{
        TenantCtx,
        entity::outbox,
        sea_orm::{ColumnTrait, QueryFilter, QueryOrder},
    };
    let tx = app.state().store.tx(&TenantCtx::new(tenant.id)).await?;
    let rows = tx
        .all(
            tx.select::<outbox::Entity>()
                .filter(outbox::Column::Kind.eq("estimate_ready"))
                .order_by_desc(outbox::Column::Id),
        )
        .await?;
    tx.commit().await?;
    let text = rows
        .first()
        .context("an estimate message")?
        .data
        .to_string();
    let start = text.find("/repair?token=").context("a repair link")?;
    let token: String = text[start + "/repair?token=".len()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
        .collect();
    Ok(format!("/t/{}/repair?token={token}", tenant.slug))
}

/// The whole visit, as people do it: the appointment becomes a repair order, the inspection
/// finds two problems (with a photo), the customer approves one on a phone-sized page, a
/// mechanic takes the job from the board and clocks it, the part leaves stock, and the
/// customer's page follows each step by itself.
async fn repair_order_journey(
    client: Client,
    origin: String,
    app: &TestApp,
    alpha: &TenantFixture,
) -> anyhow::Result<()> {
    use reqwest::Method;
    use serde_json::json;
    let api = app.client();
    api.sign_in(alpha).await;
    let base = "/t/alpha/api/v1";
    let ok = |(status, json): (reqwest::StatusCode, serde_json::Value)| -> anyhow::Result<serde_json::Value> {
        ensure!(status.is_success(), "{status} {json}");
        Ok(json)
    };
    let branch = ok(api
        .call(Method::GET, &format!("{base}/branches"), None)
        .await)?["items"][0]["id"]
        .clone();
    ok(api
        .call(
            Method::PUT,
            &format!(
                "{base}/branches/{}/workshop-rates",
                branch.as_str().unwrap_or_default()
            ),
            Some(json!({"labour_rate": "90.00", "labour_cost": "30.00", "tax_percent": "20"})),
        )
        .await)?;
    ok(api
        .call(
            Method::POST,
            &format!("{base}/bays"),
            Some(json!({"branch_id": branch, "name": "Lift 1", "kind": "lift"})),
        )
        .await)?;
    let service = ok(api
        .call(
            Method::POST,
            &format!("{base}/services"),
            Some(json!({"name": "Brake check", "duration_minutes": 60, "bay_kind": "lift"})),
        )
        .await)?;
    let customer = ok(api
        .call(
            Method::POST,
            &format!("{base}/customers"),
            Some(json!({"name": "Dana Driver", "email": "dana@driver.example"})),
        )
        .await)?;
    let vehicle = ok(api.call(Method::POST, &format!("{base}/vehicles"),
        Some(json!({"customer_id": customer["id"], "plate": "DD 42", "make": "Skoda", "model": "Octavia", "mileage": 60000}))).await)?;
    let (mechanic_email, mechanic_password) = app
        .member(alpha, pitlane_domain::permissions::Role::Mechanic)
        .await;
    let slots = ok(api
        .call(
            Method::GET,
            &format!(
                "{base}/services/{}/free-slots?days=7",
                service["id"].as_str().unwrap_or_default()
            ),
            None,
        )
        .await)?;
    let appointment = ok(api.call(Method::POST, &format!("{base}/appointments"),
        Some(json!({"branch_id": branch, "service_id": service["id"], "customer_id": customer["id"],
                    "vehicle_id": vehicle["id"], "starts_at": slots["items"][0]["starts_at"]}))).await)?;
    let part = ok(api
        .call(
            Method::POST,
            &format!("{base}/parts"),
            Some(json!({"sku": "BP-9", "name": "Front brake pads", "cost": "40.00"})),
        )
        .await)?;
    ok(api.call(Method::POST, &format!("{base}/stock-movements"),
        Some(json!({"part_id": part["id"], "branch_id": branch, "kind": "receive", "quantity": "2"}))).await)?;
    let mechanics = ok(api
        .call(Method::GET, &format!("{base}/mechanics"), None)
        .await)?;
    let mechanic_id = mechanics["items"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    ok(api
        .call(
            Method::PUT,
            &format!("{base}/mechanics/{mechanic_id}"),
            Some(json!({"skills": ["brakes"]})),
        )
        .await)?;

    // The owner opens the repair order from the appointment.
    sign_in_as_owner(&client, &origin, alpha).await?;
    client
        .goto(&format!(
            "{origin}/t/alpha/portal/appointments/{}",
            appointment["id"].as_str().unwrap_or_default()
        ))
        .await?;
    fill(&client, "f-mileage_in", "60120").await?;
    submit_to(&client, "/portal/repair-orders").await?;
    wait_for_text(&client, "main h1", "RO-1001").await?;
    let order_url = client.current_url().await?.to_string();
    // A mistake keeps what was typed.
    client
        .find(Locator::Css("#f-kind option[value=labour]"))
        .await?
        .click()
        .await?;
    fill(&client, "f-description", "Replace front brake pads").await?;
    fill(&client, "f-quantity", "-1").await?;
    fill(&client, "f-skill", "brakes").await?;
    submit_to(&client, "/lines").await?;
    let error = text_of(&client, "#f-quantity-error").await?;
    ensure!(error.contains("more than zero"), "{error}");
    ensure!(
        value_of(&client, "f-description").await? == "Replace front brake pads",
        "kept"
    );
    fill(&client, "f-quantity", "1.2").await?;
    submit_to(&client, "/lines").await?;
    wait_for_text(
        &client,
        "#lines-heading + .table-scroll",
        "Replace front brake pads",
    )
    .await?;
    client
        .find(Locator::Css("#f-kind option[value=part]"))
        .await?
        .click()
        .await?;
    client
        .find(Locator::Css(&format!(
            "#f-part_id option[value='{}']",
            part["id"].as_str().unwrap_or_default()
        )))
        .await?
        .click()
        .await?;
    submit_to(&client, "/lines").await?;
    wait_for_text(
        &client,
        "#lines-heading + .table-scroll",
        "Front brake pads (BP-9)",
    )
    .await?;
    let mut problems = Vec::new();
    for theme in ["light", "dark"] {
        audit(&client, theme, "repair order", &mut problems).await?;
    }

    // The inspection finds two problems, one with a photo.
    submit_to(&client, "/inspections").await?;
    wait_for_text(&client, "main h1", "Multi-point inspection").await?;
    let inspection_url = client.current_url().await?.to_string();
    let photo = std::env::temp_dir().join(format!("pitlane-photo-{}.jpg", std::process::id()));
    std::fs::write(&photo, pitlane_testkit::TINY_JPEG)?;
    let first_point = client
        .find(Locator::Css("main section.card"))
        .await?
        .attr("id")
        .await?
        .context("point id")?;
    for (i, (rating, note)) in [
        ("red", "Pads worn to 2 mm"),
        ("yellow", "Discs lipped, replace at next service"),
    ]
    .iter()
    .enumerate()
    {
        let point = client.find_all(Locator::Css("main section.card")).await?[i]
            .attr("id")
            .await?
            .context("id")?;
        client
            .find(Locator::Css(&format!("#{point} input[value={rating}]")))
            .await?
            .click()
            .await?;
        client
            .find(Locator::Css(&format!("#{point} textarea")))
            .await?
            .send_keys(note)
            .await?;
        client
            .find(Locator::Css(&format!(
                "#{point} form:not([enctype]) button"
            )))
            .await?
            .click()
            .await?;
        client
            .wait()
            .for_element(Locator::Css(&format!("#{point}[data-rating={rating}]")))
            .await?;
    }
    client
        .find(Locator::Css(&format!("#{first_point} input[type=file]")))
        .await?
        .send_keys(&photo.display().to_string())
        .await?;
    client
        .find(Locator::Css(&format!(
            "#{first_point} form[enctype] button"
        )))
        .await?
        .click()
        .await?;
    client
        .wait()
        .for_element(Locator::Css(&format!("#{first_point} img")))
        .await?;
    for theme in ["light", "dark"] {
        audit(&client, theme, "inspection", &mut problems).await?;
    }
    submit_to(&client, "/recommend").await?;
    wait_for_text(
        &client,
        "#lines-heading + .table-scroll",
        "Pads worn to 2 mm",
    )
    .await?;
    ensure!(
        client.current_url().await?.to_string() == order_url,
        "back on the order"
    );
    submit_to(&client, "/send").await?;
    wait_for_text(&client, "[data-status]", "Sent for approval").await?;

    // The customer opens the estimate on a phone, in a tab of their own.
    let staff_tab = client.window().await?;
    let link = repair_link(app, alpha).await?;
    let customer_tab = client.new_window(true).await?;
    client.switch_to_window(customer_tab.handle.clone()).await?;
    client.set_window_size(390, 844).await?;
    client.goto(&format!("{origin}{link}")).await?;
    wait_for_text(&client, "#answer-heading", "Your estimate").await?;
    let report = text_of(&client, "ul.findings").await?;
    ensure!(
        report.contains("Pads worn to 2 mm") && report.contains("Discs lipped"),
        "{report}"
    );
    client
        .wait()
        .for_element(Locator::Css("ul.findings img"))
        .await?;
    for theme in ["light", "dark"] {
        audit(&client, theme, "customer's repair page", &mut problems).await?;
    }
    // Approve the work and the red finding, decline the yellow one.
    let fieldsets = client.find_all(Locator::Css("fieldset.answer")).await?;
    for fieldset in fieldsets {
        let legend = fieldset.find(Locator::Css("legend")).await?.text().await?;
        let choice = if legend.contains("Discs lipped") {
            "declined"
        } else {
            "approved"
        };
        fieldset
            .find(Locator::Css(&format!("input[value={choice}]")))
            .await?
            .click()
            .await?;
    }
    submit_to(&client, "/repair/answer").await?;
    wait_for_text(&client, "[role=status]", "your answer is with the workshop").await?;
    wait_for_text(&client, "#status-heading", "Approved").await?;

    // A mechanic takes the job from the board and works it (through the portal's forms).
    let mechanic = app.client();
    mechanic
        .sign_in_as(alpha, &mechanic_email, &mechanic_password)
        .await;
    let board = mechanic
        .get("/t/alpha/portal/job-board")
        .await
        .text()
        .await?;
    ensure!(board.contains("No open jobs"), "not on the board yet");
    client.switch_to_window(staff_tab.clone()).await?;
    client.goto(&order_url).await?;
    client
        .find(Locator::Css("form[action$='/board'] button"))
        .await?
        .click()
        .await?;
    wait_for_text(&client, "#jobs-heading + .job-card", "on the job board").await?;
    // The click's page may still be on its way: ask the board until the job is there.
    let mut board = String::new();
    for _ in 0..100 {
        board = mechanic
            .get("/t/alpha/portal/job-board")
            .await
            .text()
            .await?;
        if board.contains("Replace front brake pads") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    ensure!(board.contains("Replace front brake pads"), "{board}");
    let job_id = board
        .split("class=\"job-card\" id=\"job-")
        .nth(1)
        .context("a job card")?
        .split('"')
        .next()
        .context("id")?
        .to_owned();
    let response = mechanic
        .submit(
            "/t/alpha/portal/job-board",
            &format!("/t/alpha/portal/job-board/{job_id}/apply"),
            &[("note", "on it")],
        )
        .await;
    ensure!(response.status().is_redirection(), "{}", response.status());
    client.goto(&order_url).await?;
    click(&client, "form[action*='/accept'] button").await?;
    wait_for_text(&client, "#jobs-heading + .job-card", "Mechanic").await?;

    // The customer's page follows the work without a reload.
    client.switch_to_window(customer_tab.handle.clone()).await?;
    let clock = |action: &'static str| {
        let mechanic = mechanic.clone();
        let job_id = job_id.clone();
        async move {
            mechanic
                .submit(
                    "/t/alpha/portal/my-jobs",
                    &format!("/t/alpha/portal/my-jobs/{job_id}/clock"),
                    &[("action", action)],
                )
                .await
                .status()
        }
    };
    ensure!(clock("start").await.is_redirection(), "clock started");
    wait_for_text(&client, "#status-heading", "In progress").await?;
    ensure!(clock("finish").await.is_redirection(), "clock finished");
    wait_for_text(&client, "#repair-live", "Replace front brake pads finished").await?;
    client.switch_to_window(staff_tab.clone()).await?;
    client.goto(&order_url).await?;
    click(
        &client,
        "form[action$='/status']:has(input[value=quality_check]) button",
    )
    .await?;
    wait_for_text(&client, "[data-status]", "Quality check").await?;
    click(
        &client,
        "form[action$='/status']:has(input[value=ready_for_pickup]) button",
    )
    .await?;
    wait_for_text(&client, "[data-status]", "Ready for pickup").await?;
    client.switch_to_window(customer_tab.handle.clone()).await?;
    wait_for_text(&client, "#status-heading", "Ready for pickup").await?;
    wait_for_text(&client, "#repair-live", "Your vehicle is ready to collect.").await?;
    reflow_here(&client, "customer's repair page", &mut problems).await?;

    // The part left stock for this order.
    client.switch_to_window(staff_tab).await?;
    client.set_window_size(1280, 900).await?;
    let part_url = format!(
        "{origin}/t/alpha/portal/inventory/parts/{}",
        part["id"].as_str().unwrap_or_default()
    );
    client.goto(&part_url).await?;
    wait_for_text(&client, "#ledger-heading + .table-scroll", "consume").await?;
    let stock = text_of(&client, "#stock-heading + .table-scroll").await?;
    ensure!(stock.contains('1'), "one pad set left: {stock}");
    audit_pages(
        &client,
        &origin,
        &[
            "/portal/repair-orders",
            "/portal/inventory",
            "/portal/job-board",
            "/portal/my-jobs",
            "/portal/earnings",
            "/portal/settings/workshop",
            "/portal",
            order_url.as_str(),
            inspection_url.as_str(),
            part_url.as_str(),
        ],
        &WIDTHS,
        &mut problems,
    )
    .await?;
    ensure!(
        problems.is_empty(),
        "accessibility problems:\n{}",
        problems.join("\n")
    );
    let _ = std::fs::remove_file(photo);
    Ok(())
}

/// The parts room by its pages: a part added (a bad cost kept and refused first), a supplier,
/// a purchase order drafted, ordered and received, and a stock count with its variance.
async fn parts_room_journey(client: Client, origin: String) -> anyhow::Result<()> {
    // Still signed in as the owner from the repair-order journey.
    client
        .goto(&format!("{origin}/t/alpha/portal/inventory"))
        .await?;
    fill(&client, "f-sku", "oil-5w30").await?;
    fill(&client, "f-name", "Engine oil 5W-30").await?;
    fill(&client, "f-cost", "seven").await?;
    submit_to(&client, "/portal/inventory/parts").await?;
    let error = text_of(&client, "#f-cost-error").await?;
    ensure!(error.contains("amount"), "{error}");
    ensure!(
        value_of(&client, "f-name").await? == "Engine oil 5W-30",
        "kept"
    );
    fill(&client, "f-cost", "7.20").await?;
    submit_to(&client, "/portal/inventory/parts").await?;
    wait_for_text(&client, "main h1", "OIL-5W30").await?;
    let part_url = client.current_url().await?.to_string();
    let part_id = part_url.rsplit('/').next().context("part id")?.to_owned();

    client
        .goto(&format!(
            "{origin}/t/alpha/portal/inventory/purchase-orders"
        ))
        .await?;
    fill(&client, "f-name", "Oil Direct").await?;
    submit_to(&client, "/portal/inventory/suppliers").await?;
    client.wait().for_element(Locator::Css("#new-po")).await?;
    client
        .find(Locator::Css(&format!("#part-0 option[value='{part_id}']")))
        .await?
        .click()
        .await?;
    fill(&client, "qty-0", "20").await?;
    submit_to(&client, "/portal/inventory/purchase-orders").await?;
    wait_for_text(&client, "main h1", "PO-1001").await?;
    let order_url = client.current_url().await?.to_string();
    let mut problems = Vec::new();
    for theme in ["light", "dark"] {
        audit(&client, theme, "purchase order", &mut problems).await?;
    }
    submit_to(&client, "/order").await?;
    wait_for_text(&client, "[data-status]", "Ordered").await?;
    let field = client.find(Locator::Css("input[name^=q_]")).await?;
    field.send_keys("20").await?;
    submit_to(&client, "/deliveries").await?;
    wait_for_text(&client, "[data-status]", "Received").await?;

    client
        .goto(&format!("{origin}/t/alpha/portal/inventory/counts"))
        .await?;
    submit_to(&client, "/portal/inventory/counts").await?;
    wait_for_text(&client, "main h1", "Stock count").await?;
    let count_url = client.current_url().await?.to_string();
    let counted = client
        .find(Locator::Id(&format!("counted-{part_id}")))
        .await?;
    counted.clear().await?;
    counted.send_keys("18").await?;
    submit_to(&client, "/counted").await?;
    wait_for_text(&client, "main table", "-2").await?;
    for theme in ["light", "dark"] {
        audit(&client, theme, "stock count", &mut problems).await?;
    }
    submit_to(&client, "/complete").await?;
    wait_for_text(&client, "#count-status", "completed").await?;
    client.goto(&part_url).await?;
    let stock = text_of(&client, "#stock-heading + .table-scroll").await?;
    ensure!(stock.contains("18"), "{stock}");
    let ledger = text_of(&client, "#ledger-heading + .table-scroll").await?;
    ensure!(
        ledger.contains("stock count") && ledger.contains("receive"),
        "{ledger}"
    );
    audit_pages(
        &client,
        &origin,
        &[
            "/portal/inventory/purchase-orders",
            "/portal/inventory/counts",
            order_url.as_str(),
            count_url.as_str(),
            part_url.as_str(),
        ],
        &WIDTHS,
        &mut problems,
    )
    .await?;
    ensure!(
        problems.is_empty(),
        "accessibility problems:\n{}",
        problems.join("\n")
    );
    Ok(())
}

#[tokio::test]
async fn repair_order_journey_in_chromium() -> anyhow::Result<()> {
    let app = TestApp::spawn().await;
    let alpha = app.tenant("alpha").await;
    let browser = Browser::start().await.context("start Chromium")?;
    let origin = app.origin.clone();
    let result = async {
        browser
            .journey("repair-order", |c| {
                repair_order_journey(c, origin.clone(), &app, &alpha)
            })
            .await?;
        browser
            .journey("parts-room", |c| parts_room_journey(c, origin.clone()))
            .await?;
        snapshot_pages(
            &browser,
            &origin,
            &[
                ("workshop-board", "/portal/repair-orders"),
                ("workshop-parts", "/portal/inventory"),
                ("workshop-settings", "/portal/settings/workshop"),
            ],
        )
        .await
    }
    .await;
    browser.close().await;
    app.stop().await;
    result
}

/// The customer opens the invoice from their e-mail, pays by card on Stripe's page (the fake),
/// comes back to "payment received, confirming…", and sees it paid once the webhook lands;
/// the owner sees it paid in the portal.
/// On an invoice's page: pays by card on (fake) Stripe's page, then waits for the workshop's
/// page to show it paid by itself (live, or by reloading while it waits); whether it did.
async fn pay_by_card(client: &Client) -> anyhow::Result<bool> {
    client
        .wait()
        .for_element(Locator::Css("[data-pay]"))
        .await?
        .click()
        .await?;
    // Stripe's page.
    client
        .wait()
        .for_element(Locator::Id("pay"))
        .await?
        .click()
        .await?;
    // Stripe's page sends the customer back once it has told the workshop.
    for _ in 0..150 {
        let text = client.source().await?;
        if text.contains("Invoice INV-") && text.contains("Paid. Thank you!") {
            return Ok(true);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Ok(false)
}

async fn card_payment_journey(
    client: Client,
    origin: String,
    app: &TestApp,
    alpha: &TenantFixture,
    stripe: &pitlane_testkit::FakeStripe,
) -> anyhow::Result<()> {
    use reqwest::Method;
    use serde_json::json;
    let api = app.client();
    api.sign_in(alpha).await;
    let base = "/t/alpha/api/v1";
    let ok = |(status, json): (reqwest::StatusCode, serde_json::Value)| -> anyhow::Result<serde_json::Value> {
        ensure!(status.is_success(), "{status} {json}");
        Ok(json)
    };
    let branch = ok(api
        .call(Method::GET, &format!("{base}/branches"), None)
        .await)?["items"][0]["id"]
        .clone();
    let customer = ok(api
        .call(
            Method::POST,
            &format!("{base}/customers"),
            Some(json!({"name": "Dana Driver", "email": "dana@driver.example"})),
        )
        .await)?;
    let onboarding = ok(api
        .call(
            Method::POST,
            &format!("{base}/billing/stripe-onboarding"),
            Some(json!({})),
        )
        .await)?;
    let account = onboarding["url"]
        .as_str()
        .and_then(|u| u.rsplit('/').next())
        .unwrap_or_default()
        .to_owned();
    stripe.enable_account(&account);
    sign_in_as_owner(&client, &origin, alpha).await?;
    // The owner comes back from Stripe's onboarding: the settings page asks Stripe.
    client
        .goto(&format!("{origin}/t/alpha/portal/settings/payments/return"))
        .await?;
    let status = client
        .wait()
        .for_element(Locator::Css("[data-connect-status]"))
        .await?
        .attr("data-connect-status")
        .await?;
    ensure!(status.as_deref() == Some("active"), "connected: {status:?}");
    let draft = ok(api
        .call(
            Method::POST,
            &format!("{base}/invoices"),
            Some(json!({"branch_id": branch, "customer_id": customer["id"]})),
        )
        .await)?;
    let id = draft["id"].as_str().unwrap_or_default().to_owned();
    ok(api
        .call(
            Method::POST,
            &format!("{base}/invoices/{id}/lines"),
            Some(json!({"kind": "labour", "description": "Brake service", "unit_price": "120.00"})),
        )
        .await)?;
    ok(api
        .call(
            Method::POST,
            &format!("{base}/invoices/{id}/issue"),
            Some(json!({})),
        )
        .await)?;
    let link = pitlane_billing::invoices::customer_link(
        &app.state().billing,
        &format!("{origin}/t/alpha"),
        id.parse()?,
    );
    client.goto(&link).await?;
    ensure!(
        pay_by_card(&client).await?,
        "the page shows the invoice paid by itself"
    );
    // The owner sees it paid; the invoice's pages, with a payment to refund, at every width.
    let mut problems = Vec::new();
    audit_pages(
        &client,
        &origin,
        &[
            format!("/portal/invoices/{id}"),
            "/portal/invoices".to_owned(),
            "/portal/settings/payments".to_owned(),
            link.clone(),
        ],
        &WIDTHS,
        &mut problems,
    )
    .await?;
    ensure!(
        problems.is_empty(),
        "accessibility and layout problems:\n{}",
        problems.join("\n")
    );
    Ok(())
}

#[tokio::test]
async fn card_payment_journey_in_chromium() -> anyhow::Result<()> {
    let stripe = pitlane_testkit::FakeStripe::start().await;
    let db = pitlane_testkit::TestDatabase::create().await;
    let mut vars = pitlane_testkit::test_vars(&db);
    vars.extend(stripe.vars());
    let app = TestApp::spawn_with(
        pitlane_testkit::Backend::Postgres(db),
        pitlane_testkit::config_from(&vars),
    )
    .await;
    stripe.deliver_to(&app.origin);
    let alpha = app.tenant("alpha").await;
    let browser = Browser::start().await.context("start Chromium")?;
    let origin = app.origin.clone();
    let result = async {
        browser
            .journey("card-payment", |c| {
                card_payment_journey(c, origin.clone(), &app, &alpha, &stripe)
            })
            .await?;
        snapshot_pages(
            &browser,
            &origin,
            &[
                ("invoices", "/portal/invoices"),
                ("payment-settings", "/portal/settings/payments"),
            ],
        )
        .await
    }
    .await;
    browser.close().await;
    app.stop().await;
    result
}

/// Where the roadside journey's branch is: central Amsterdam.
const ROADSIDE_BASE: (f64, f64) = (52.370_216, 4.895_168);

/// A point `north` metres north of the roadside branch.
fn north(metres: f64) -> (f64, f64) {
    (ROADSIDE_BASE.0 + metres / 111_195.0, ROADSIDE_BASE.1)
}

/// The accessibility audit (both themes) and the reflow check (every width) of the page shown.
async fn audit_here(
    client: &Client,
    label: &str,
    problems: &mut Vec<String>,
) -> anyhow::Result<()> {
    reflow_here(client, label, problems).await?;
    for theme in ["light", "dark"] {
        audit(client, theme, label, problems).await?;
    }
    Ok(())
}

/// Two phones: a driver asks for help with their browser's position and the code mailed to
/// them; a mechanic on duty (their phone sharing its position) takes it and drives out; the
/// driver's page shows the mechanic coming, closer each time, without a reload; the mechanic
/// arrives and fixes the car, and the driver's page says so; the driver pays by card and
/// rates the help, and the mechanic sees the rating. Every page is audited.
async fn roadside_journey(
    driver: Client,
    mechanic: Client,
    origin: String,
    app: &TestApp,
    alpha: &TenantFixture,
    stripe: &pitlane_testkit::FakeStripe,
) -> anyhow::Result<()> {
    use pitlane_domain::permissions::Role;
    use pitlane_roadside::{dispatch, settings, tracking};
    let rs = &app.state().roadside;
    // The workshop takes cards: its Stripe account is connected.
    let billing = &app.state().billing;
    let onboarding = pitlane_billing::connect::onboarding_link(
        billing,
        &alpha.owner,
        &format!("{origin}/t/alpha"),
    )
    .await?;
    stripe.enable_account(onboarding.rsplit('/').next().unwrap_or_default());
    pitlane_billing::connect::refresh_status(billing, &alpha.owner).await?;
    let branch = pitlane_tenancy::branches::overview(&app.state().store, &alpha.owner, 1)
        .await?
        .remove(0)
        .id;
    let mut drives_out = settings::RoadsideSettings::defaults(branch);
    let (lat, lon) = pitlane_domain::roadside::GeoPoint::new(ROADSIDE_BASE.0, ROADSIDE_BASE.1)
        .map_err(anyhow::Error::msg)?
        .to_micro();
    drives_out.enabled = true;
    drives_out.lat_micro = Some(lat);
    drives_out.lon_micro = Some(lon);
    drives_out.call_out_minor = 4_900;
    drives_out.per_km_minor = 150;
    drives_out.included_km = 5;
    settings::update(rs, &alpha.owner, drives_out).await?;
    let (email, password) = app.member(alpha, Role::Mechanic).await;
    let member = pitlane_identity::members::list(&app.state().store, &alpha.owner)
        .await?
        .into_iter()
        .find(|m| m.email == email)
        .context("the mechanic")?;
    dispatch::set_takes_roadside(rs, &alpha.owner, member.membership_id, true).await?;
    let mut problems = Vec::new();

    // The mechanic's phone, 6 km north, goes on duty: it starts sharing its position.
    let start = north(6_000.0);
    pitlane_testkit::place(&mechanic, &origin, start.0, start.1).await?;
    mechanic.goto(&format!("{origin}/t/alpha/signin")).await?;
    fill(&mechanic, "f-email", &email).await?;
    fill(&mechanic, "f-password", &password).await?;
    submit(&mechanic).await?;
    text_of(&mechanic, "#dashboard-live").await?;
    mechanic
        .goto(&format!("{origin}/t/alpha/portal/roadside/duty"))
        .await?;
    submit_to(&mechanic, "/portal/roadside/duty").await?;
    wait_for_text(&mechanic, "#duty-heading", "You are on duty").await?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while tracking::latest(rs, alpha.id.0, &[member.membership_id])
        .await
        .pop()
        .flatten()
        .is_none()
    {
        ensure!(
            std::time::Instant::now() < deadline,
            "the phone never shared its position"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    audit_here(&mechanic, "roadside jobs (on duty)", &mut problems).await?;

    // The driver, 1 km north of the branch, asks with their browser's position.
    let stuck = north(1_000.0);
    pitlane_testkit::place(&driver, &origin, stuck.0, stuck.1).await?;
    driver.goto(&format!("{origin}/t/alpha/roadside")).await?;
    audit_here(&driver, "the roadside request form", &mut problems).await?;
    click(&driver, "button[data-locate]").await?;
    wait_for_text(&driver, "[data-locate-status]", "Found you").await?;
    wait_for_text(&driver, "#roadside-quote", "inside our area").await?;
    let filled = value_of(&driver, "f-latitude").await?;
    ensure!(
        filled.starts_with("52.379"),
        "the position is filled in: {filled:?}"
    );
    click(&driver, "input[name=trouble][value=will_not_start]").await?;
    // A photo of the car goes with the request, chosen on the form.
    let photo = std::env::temp_dir().join(format!("pitlane-ask-{}.jpg", std::process::id()));
    std::fs::write(&photo, pitlane_testkit::TINY_JPEG)?;
    driver
        .find(Locator::Id("f-photos"))
        .await?
        .send_keys(&photo.display().to_string())
        .await?;
    fill(&driver, "f-plate", "JS 42").await?;
    fill(&driver, "f-name", "Jo Stuck").await?;
    fill(&driver, "f-email", "jo@example.com").await?;
    click(&driver, "input[name=code_by][value=email]").await?;
    click(
        &driver,
        "form[data-roadside-ask] > div > button.button:not(.secondary)",
    )
    .await?;
    wait_for_text(&driver, "main h1", "One more step").await?;
    audit_here(&driver, "the roadside code page", &mut problems).await?;
    let code = {
        let tx = app
            .state()
            .store
            .tx(&pitlane_store::TenantCtx::new(alpha.id))
            .await?;
        use pitlane_store::sea_orm::{ColumnTrait, QueryFilter};
        let row = tx
            .first(
                tx.select::<pitlane_store::entity::outbox::Entity>()
                    .filter(pitlane_store::entity::outbox::Column::Kind.eq("roadside_code")),
            )
            .await?
            .context("a code")?;
        tx.commit().await?;
        row.data["vars"]["code"]
            .as_str()
            .context("the code")?
            .to_owned()
    };
    fill(&driver, "f-code", &code).await?;
    submit(&driver).await?;
    wait_for_text(&driver, "[data-status]", "Waiting for a mechanic").await?;
    let track = driver.current_url().await?;
    driver.execute("window.__stayed = true;", vec![]).await?;

    // The mechanic sees it offered and takes it, then sets off.
    mechanic
        .goto(&format!("{origin}/t/alpha/portal/roadside/duty"))
        .await?;
    wait_for_text(&mechanic, "#roadside-offers", "Will not start").await?;
    click(&mechanic, "#roadside-offers form[action$='/accept'] button").await?;
    wait_for_text(&mechanic, "main h1", "Roadside RS-").await?;
    mechanic
        .wait()
        .at_most(std::time::Duration::from_secs(10))
        .for_element(Locator::Css("#roadside-chat img.chat-photo"))
        .await
        .context("the photo sent with the request is in the chat")?;
    audit_here(&mechanic, "a roadside request (mechanic)", &mut problems).await?;
    wait_for_text(&driver, "[data-status]", "Mechanic assigned").await?;
    click(&mechanic, "button[name=status][value=en_route]").await?;
    wait_for_text(&driver, "[data-status]", "On the way").await?;
    audit_here(
        &driver,
        "the driver's page, mechanic on the way",
        &mut problems,
    )
    .await?;

    // The mechanic drives south; the driver's plan follows without a reload.
    let mut captions = Vec::new();
    for metres in [4_000.0, 2_500.0] {
        let here = north(metres);
        pitlane_testkit::place(&mechanic, &origin, here.0, here.1).await?;
        let distance = pitlane_web_distance(metres - 1_000.0);
        wait_for_text(&driver, "[data-plan-caption]", &distance).await?;
        captions.push(text_of(&driver, "[data-plan-caption]").await?);
    }
    ensure!(
        captions.iter().all(|c| c.contains("north of you")),
        "the mechanic is north of the driver: {captions:?}"
    );
    let stayed = driver
        .execute("return window.__stayed === true;", vec![])
        .await?;
    ensure!(stayed == true, "the driver's page was not reloaded");

    // They talk inside the request: each sees the other's message without reloading, and
    // the driver sees theirs read once the mechanic's page has shown it.
    fill(
        &mechanic,
        "f-body",
        "Five minutes away, look for a white van",
    )
    .await?;
    click(&mechanic, "#chat form button").await?;
    wait_for_text(&driver, "#roadside-chat", "look for a white van").await?;
    let stayed = driver
        .execute("return window.__stayed === true;", vec![])
        .await?;
    ensure!(stayed == true, "the message came without a reload");
    audit_here(&driver, "the driver's page with the chat", &mut problems).await?;
    fill(&driver, "f-body", "Thanks, I am by the red hatchback").await?;
    click(&driver, "#chat form button").await?;
    wait_for_text(&mechanic, "#roadside-chat", "by the red hatchback").await?;
    wait_for_text(&driver, "#roadside-chat", "Read").await?;
    audit_here(
        &mechanic,
        "the mechanic's page with the chat",
        &mut problems,
    )
    .await?;

    // There, working, fixed: the driver's page follows each step.
    let there = north(1_010.0);
    pitlane_testkit::place(&mechanic, &origin, there.0, there.1).await?;
    click(&mechanic, "button[name=status][value=on_site]").await?;
    wait_for_text(&driver, "[data-status]", "Arrived").await?;
    click(&mechanic, "button[name=status][value=working]").await?;
    wait_for_text(&driver, "[data-status]", "Working on the car").await?;
    // The mechanic notes the work; the driver sees it as it is added.
    mechanic
        .find(Locator::Css("#f-kind option[value=labour_flat]"))
        .await?
        .click()
        .await?;
    fill(
        &mechanic,
        "f-description",
        "Battery terminal cleaned and tightened",
    )
    .await?;
    fill(&mechanic, "f-quantity", "0.3").await?;
    fill(&mechanic, "f-unit_price", "25.00").await?;
    click(&mechanic, "form[action$='/work'] button").await?;
    wait_for_text(&driver, "#roadside-live", "Battery terminal cleaned").await?;
    audit_here(
        &mechanic,
        "a roadside request with work (mechanic)",
        &mut problems,
    )
    .await?;
    fill(&mechanic, "f-note", "Loose battery terminal tightened").await?;
    click(&mechanic, "button[name=status][value=done]").await?;
    wait_for_text(&driver, "[data-status]", "Fixed on the spot").await?;
    // The bill appears on the driver's page, and they pay it by card on the phone.
    wait_for_text(&driver, "#roadside-bill", "Your bill").await?;
    audit_here(&driver, "the driver's page, done", &mut problems).await?;
    click(&driver, "#roadside-bill a.button").await?;
    ensure!(
        pay_by_card(&driver).await?,
        "the driver paid the roadside bill by card"
    );

    // Back on their page, the driver rates the help and the mechanic, once.
    driver.goto(track.as_str()).await?;
    wait_for_text(&driver, "#roadside-bill", "Paid").await?;
    click(&driver, "#roadside-bill a[href*='/feedback?token=']").await?;
    wait_for_text(&driver, "main h1", "How did we do?").await?;
    audit_here(&driver, "the rating page", &mut problems).await?;
    // Sent without stars, the form comes back with its message and the words kept.
    fill(
        &driver,
        "f-comment",
        "Quick, kind, and he explained the fault",
    )
    .await?;
    click(&driver, "main form button[type=submit]").await?;
    wait_for_text(&driver, ".notice.error", "choose one to five stars").await?;
    ensure!(
        value_of(&driver, "f-comment").await? == "Quick, kind, and he explained the fault",
        "the comment was kept"
    );
    audit_here(&driver, "the rating page with errors", &mut problems).await?;
    click(&driver, "input[name=job][value='5']").await?;
    click(&driver, "input[name=mechanic][value='5']").await?;
    click(&driver, "main form button[type=submit]").await?;
    wait_for_text(&driver, "main h1", "Thank you for your rating").await?;
    audit_here(&driver, "the rating page, rated", &mut problems).await?;

    // The mechanic sees it among their own ratings.
    mechanic
        .goto(&format!("{origin}/t/alpha/portal/ratings"))
        .await?;
    wait_for_text(&mechanic, "main", "Quick, kind, and he explained the fault").await?;
    wait_for_text(&mechanic, "[data-average]", "5.00 of 5 stars").await?;
    audit_here(&mechanic, "the mechanic's ratings", &mut problems).await?;

    // The owner reads it in the feedback inbox and replies; a reply without words comes back.
    sign_in_as_owner(&driver, &origin, alpha).await?;
    driver
        .goto(&format!("{origin}/t/alpha/portal/feedback"))
        .await?;
    wait_for_text(&driver, "main", "Quick, kind, and he explained the fault").await?;
    audit_here(&driver, "the feedback inbox", &mut problems).await?;
    click(&driver, "article.feedback h2 a").await?;
    wait_for_text(&driver, "main h1", "Rating from").await?;
    audit_here(&driver, "a rating (staff)", &mut problems).await?;
    click(&driver, "form[action$='/reply'] button").await?;
    wait_for_text(&driver, ".notice.error", "write a message first").await?;
    audit_here(&driver, "a rating with errors (staff)", &mut problems).await?;
    fill(&driver, "f-body", "Thank you, Jo: glad we could help.").await?;
    click(&driver, "form[action$='/reply'] button").await?;
    wait_for_text(
        &driver,
        "article.feedback",
        "Thank you, Jo: glad we could help.",
    )
    .await?;
    ensure!(problems.is_empty(), "{}", problems.join("\n"));
    Ok(())
}

/// How the plan's caption writes a distance (`pitlane_web`'s `map::distance_text`).
fn pitlane_web_distance(m: f64) -> String {
    if m < 1000.0 {
        format!("{:.0} m", (m / 10.0).round() * 10.0)
    } else {
        format!("{:.1} km", m / 1000.0)
    }
}

#[tokio::test]
async fn roadside_journey_in_chromium() -> anyhow::Result<()> {
    let stripe = pitlane_testkit::FakeStripe::start().await;
    let db = pitlane_testkit::TestDatabase::create().await;
    let mut vars = pitlane_testkit::test_vars(&db);
    vars.extend(stripe.vars());
    let app = TestApp::spawn_with(
        pitlane_testkit::Backend::Postgres(db),
        pitlane_testkit::config_from(&vars),
    )
    .await;
    stripe.deliver_to(&app.origin);
    let alpha = app.tenant("alpha").await;
    let driver = Browser::start().await.context("start Chromium")?;
    let mechanic = Browser::start().await.context("start a second Chromium")?;
    let origin = app.origin.clone();
    let result = driver
        .journey("roadside", |c| {
            roadside_journey(
                c,
                mechanic.client.clone(),
                origin.clone(),
                &app,
                &alpha,
                &stripe,
            )
        })
        .await;
    driver.close().await;
    mechanic.close().await;
    app.stop().await;
    result
}
