//! The portal in real headless Chromium: sign-in, the day/night switch and brand settings.
//! A failing journey leaves a screenshot in tests/screenshots/.

use anyhow::{Context, ensure};
use fantoccini::{Client, Locator};
use pitlane_testkit::{Browser, TenantFixture, TestApp};

async fn css_var(client: &Client, name: &str) -> anyhow::Result<String> {
    let value = client
        .execute(
            "return getComputedStyle(document.documentElement).getPropertyValue(arguments[0]).trim();",
            vec![name.into()],
        )
        .await?;
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

async fn sign_in(
    client: &Client,
    origin: &str,
    tenant: &TenantFixture,
    password: &str,
) -> anyhow::Result<()> {
    client
        .goto(&format!("{origin}/t/{}/signin", tenant.slug))
        .await?;
    client
        .find(Locator::Id("f-email"))
        .await?
        .send_keys(&tenant.owner_email)
        .await?;
    client
        .find(Locator::Id("f-password"))
        .await?
        .send_keys(password)
        .await?;
    client
        .find(Locator::Css("main form button[type=submit]"))
        .await?
        .click()
        .await?;
    Ok(())
}

async fn sign_in_journey(
    client: Client,
    origin: String,
    alpha: &TenantFixture,
) -> anyhow::Result<()> {
    sign_in(&client, &origin, alpha, "not-the-password").await?;
    let alert = client
        .wait()
        .for_element(Locator::Css("[role=alert]"))
        .await?
        .text()
        .await?;
    ensure!(
        alert.contains("not right"),
        "wrong password explained: {alert}"
    );
    let kept = client
        .find(Locator::Id("f-email"))
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
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

    client
        .find(Locator::Id("f-password"))
        .await?
        .send_keys(&alpha.owner_password)
        .await?;
    client
        .find(Locator::Css("main form button[type=submit]"))
        .await?
        .click()
        .await?;
    let heading = client
        .wait()
        .for_element(Locator::Css("main h1"))
        .await?
        .text()
        .await?;
    ensure!(
        heading.contains("Hello"),
        "the dashboard greets the owner: {heading}"
    );
    let url = client.current_url().await?;
    ensure!(
        url.path() == "/t/alpha/portal",
        "landed on the portal: {url}"
    );
    let branches = client
        .find(Locator::Css("#branches-heading + table tbody"))
        .await?
        .text()
        .await?;
    ensure!(
        branches.contains("ALPHA Motors Central"),
        "the branch is listed: {branches}"
    );
    Ok(())
}

async fn theme_journey(client: Client) -> anyhow::Result<()> {
    // Signed in from the previous journey; the dashboard follows the system (light) at first.
    ensure!(
        theme_attribute(&client).await?.is_none(),
        "no explicit theme before a choice"
    );
    client
        .find(Locator::Css(".theme-switch button[value=dark]"))
        .await?
        .click()
        .await?;
    ensure!(
        theme_attribute(&client).await?.as_deref() == Some("dark"),
        "night theme applied at once"
    );
    let background = client
        .execute("return getComputedStyle(document.body).backgroundColor || getComputedStyle(document.documentElement).backgroundColor;", vec![])
        .await?;
    let html_background = client
        .execute(
            "return getComputedStyle(document.documentElement).backgroundColor;",
            vec![],
        )
        .await?;
    ensure!(
        html_background.as_str() == Some("rgb(18, 21, 26)"),
        "the page is dark: html {html_background}, body {background}"
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

    client
        .find(Locator::Css(".theme-switch button[value=light]"))
        .await?
        .click()
        .await?;
    client.refresh().await?;
    ensure!(
        theme_attribute(&client).await?.as_deref() == Some("light"),
        "day theme remembered"
    );
    client
        .find(Locator::Css(".theme-switch button[value=system]"))
        .await?
        .click()
        .await?;
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
    let primary = client.find(Locator::Id("f-primary_color")).await?;
    primary.clear().await?;
    primary.send_keys("#zz0000").await?;
    let name = client.find(Locator::Id("f-name")).await?;
    name.clear().await?;
    name.send_keys("Alpha Performance").await?;
    client
        .find(Locator::Css("main form button[type=submit]"))
        .await?
        .click()
        .await?;
    let error = client
        .wait()
        .for_element(Locator::Id("f-primary_color-error"))
        .await?
        .text()
        .await?;
    ensure!(
        error.contains("colour"),
        "the colour error is shown: {error}"
    );
    let kept = client
        .find(Locator::Id("f-primary_color"))
        .await?
        .prop("value")
        .await?;
    ensure!(
        kept.as_deref() == Some("#zz0000"),
        "the typed colour is kept: {kept:?}"
    );
    let kept_name = client
        .find(Locator::Id("f-name"))
        .await?
        .prop("value")
        .await?;
    ensure!(
        kept_name.as_deref() == Some("Alpha Performance"),
        "the typed name is kept: {kept_name:?}"
    );

    let primary = client.find(Locator::Id("f-primary_color")).await?;
    primary.clear().await?;
    primary.send_keys("#aa0000").await?;
    client
        .find(Locator::Css("main form button[type=submit]"))
        .await?
        .click()
        .await?;
    let notice = client
        .wait()
        .for_element(Locator::Css("[role=status]"))
        .await?
        .text()
        .await?;
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
    let header = client
        .find(Locator::Css(".brand span:last-child"))
        .await?
        .text()
        .await?;
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

const AUDIT: &str = include_str!("support/a11y-audit.js");

/// Audits every portal page in the day and the night theme, with the default brand and with a
/// brand colour that is hard to read (yellow), which the derived palette must make readable.
async fn accessibility_journey(client: Client, origin: String) -> anyhow::Result<()> {
    // The audit must be able to fail: a faint line of text is reported.
    client.goto(&format!("{origin}/t/alpha/portal")).await?;
    client
        .execute("const p = document.createElement('p'); p.style.color = getComputedStyle(document.documentElement).backgroundColor; p.textContent = 'faint'; document.querySelector('main').append(p);", vec![])
        .await?;
    let faint = client.execute(AUDIT, vec![]).await?;
    ensure!(
        faint.to_string().contains("faint"),
        "the audit reports low contrast: {faint}"
    );

    let mut problems = Vec::new();
    for brand in ["#1f6feb", "#ffdd00"] {
        client
            .goto(&format!("{origin}/t/alpha/portal/settings"))
            .await?;
        let primary = client.find(Locator::Id("f-primary_color")).await?;
        primary.clear().await?;
        primary.send_keys(brand).await?;
        let accent = client.find(Locator::Id("f-accent_color")).await?;
        accent.clear().await?;
        accent.send_keys(brand).await?;
        client
            .find(Locator::Css("main form button[type=submit]"))
            .await?
            .click()
            .await?;
        client
            .wait()
            .for_element(Locator::Css("[role=status]"))
            .await?;
        for theme in ["light", "dark"] {
            for page in [
                "/portal",
                "/portal/settings",
                "/portal/settings?error",
                "/",
                "/signin",
            ] {
                if page == "/portal/settings?error" {
                    // The settings form with errors showing.
                    client
                        .goto(&format!("{origin}/t/alpha/portal/settings"))
                        .await?;
                    client.find(Locator::Id("f-name")).await?.clear().await?;
                    client
                        .find(Locator::Css("main form button[type=submit]"))
                        .await?
                        .click()
                        .await?;
                    client
                        .wait()
                        .for_element(Locator::Css("[role=alert]"))
                        .await?;
                } else {
                    client.goto(&format!("{origin}/t/alpha{page}")).await?;
                }
                client
                    .find(Locator::Css(&format!(
                        ".theme-switch button[value={theme}]"
                    )))
                    .await?
                    .click()
                    .await?;
                let found = client.execute(AUDIT, vec![]).await?;
                for problem in found.as_array().into_iter().flatten() {
                    problems.push(format!(
                        "{page} ({theme}, brand {brand}): {}",
                        problem.as_str().unwrap_or_default()
                    ));
                }
            }
        }
    }
    ensure!(
        problems.is_empty(),
        "accessibility problems:\n{}",
        problems.join("\n")
    );
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
        browser.journey("theme-switch", theme_journey).await?;
        browser
            .journey("brand-settings", |c| brand_journey(c, origin.clone()))
            .await?;
        browser.snapshot("public-page").await?;
        // How the settings page looks, with an error, in both themes.
        browser
            .client
            .goto(&format!("{origin}/t/alpha/portal/settings"))
            .await?;
        let accent = browser.client.find(Locator::Id("f-accent_color")).await?;
        accent.clear().await?;
        accent.send_keys("orange").await?;
        browser
            .client
            .find(Locator::Css("main form button[type=submit]"))
            .await?
            .click()
            .await?;
        browser.snapshot("settings-error-day").await?;
        browser
            .client
            .find(Locator::Css(".theme-switch button[value=dark]"))
            .await?
            .click()
            .await?;
        browser.snapshot("settings-error-night").await?;
        browser
            .journey("accessibility", |c| {
                accessibility_journey(c, origin.clone())
            })
            .await
    }
    .await;
    browser.close().await;
    app.stop().await;
    result
}
