"""Signing in, and every page behind the login."""

import re

from playwright.sync_api import expect

from dashboard.roles import Role

from .conftest import sign_in_with_form


def test_wrong_password_shows_an_error_and_stays_signed_out(anonymous_page, dashboard):
    page = anonymous_page
    page.goto(f"{dashboard.url}/accounts/login/")
    page.get_by_label("Username").fill("viewer")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_contain_text("correct username and password")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def test_right_password_lands_on_home(anonymous_page, dashboard):
    page = anonymous_page
    sign_in_with_form(page, dashboard, Role.EDITOR)

    expect(page).to_have_url(f"{dashboard.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Overview")
    expect(page.get_by_role("banner")).to_contain_text("editor")
    expect(page.get_by_role("banner")).to_contain_text("Editor")
    # Record counts come from the API: the seeded contacts are there.
    expect(page.locator(".count-card", has_text="Contacts").locator(".count")).to_have_text("120")


LOGIN_REQUIRED = (
    "/",
    "/records/contact/",
    "/records/contact/?cols=first_name&f0=status&o0=%3D&v0=lead",
    "/records/contact/export.csv",
    "/records/deal/filter-row/?i=0&f0=name",
    "/records/contact/00000000-0000-4000-8000-000000000000/",
    "/views/1/",
)


def test_every_page_is_behind_the_login(anonymous_page, dashboard):
    page = anonymous_page
    for path in LOGIN_REQUIRED:
        response = page.goto(f"{dashboard.url}{path}")
        expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
        assert response.ok, path
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        expect(page.get_by_role("navigation", name="Object types and saved views")).to_have_count(0)
        expect(page.locator("#results")).to_have_count(0)


def test_sign_in_returns_to_the_page_asked_for(anonymous_page, dashboard):
    page = anonymous_page
    page.goto(f"{dashboard.url}/records/deal/?sort=-amount")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Username").fill("viewer")
    page.get_by_label("Password").fill(dashboard.password)
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(re.compile(r"/records/deal/\?sort=-amount$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Deals")


def test_sign_out(page, dashboard):
    page.goto(f"{dashboard.url}/")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/accounts/login/$"))
    page.goto(f"{dashboard.url}/records/contact/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))


def test_repeated_wrong_passwords_hold_the_username_back_with_a_sentence_on_the_form(anonymous_page, dashboard):
    page = anonymous_page
    page.goto(f"{dashboard.url}/accounts/login/")
    for attempt in range(1, 6):
        page.get_by_label("Username").fill("editor")
        page.get_by_label("Password").fill(f"guess-{attempt}")
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Too many failed sign-ins for this username from your address. Try again in 1 minute")
    page.get_by_label("Password").fill(dashboard.password)  # the right one: held back all the same
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Too many failed sign-ins")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    # Someone else at the same address signs in.
    page.get_by_label("Username").fill("viewer")
    page.get_by_label("Password").fill(dashboard.password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
