"""The desk in a real browser (Playwright driving Debian's Chromium), as an editor meets it.

Usage: desk.py BASE_URL ADMIN_TOKEN AXE_JS SCREENSHOT_DIR CHROMIUM

Walks the seed article's bombing claim from submission to "disputed", provokes a conflict from
two pages, searches with and without accents, pastes the article and accepts two candidates,
checks escaping, the CSP and CSRF, keyboard reach, both languages, a viewer's limits, and runs
axe-core (WCAG 2.1 A and AA) in every page. Any failed check exits non-zero.
"""

import json
import pathlib
import re
import sys
import urllib.request

from playwright.sync_api import expect, sync_playwright

BASE, ADMIN, AXE_JS, SHOTS, CHROMIUM = sys.argv[1:6]
SHOTS = pathlib.Path(SHOTS)
AXE = pathlib.Path(AXE_JS).read_text()
ARTICLE = (pathlib.Path(__file__).resolve().parents[2] / "tests/fixtures/article-fr-venezuela.txt").read_text()

BOMBING = ("Les États-Unis se préparaient à bombarder des installations militaires au Venezuela "
           "à tout moment")
CLOSE_TO_TRUMP = "Sources proches de l'administration Trump"

checked_pages = []


def api(method, path, token, body=None):
    request = urllib.request.Request(
        BASE + path, method=method, data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read() or b"null")


def token(role):
    return api("POST", "/v1/tokens", ADMIN, {"name": f"desk {role}", "role": role})["secret"]


def audit(page, name):
    """Screenshot, axe-core's WCAG 2.1 A/AA rules (no violation allowed), every control reached
    by the keyboard."""
    page.screenshot(path=str(SHOTS / f"{len(checked_pages) + 1:02d}-{name}.png"), full_page=True)
    page.evaluate(AXE)  # evaluated by the driver, not a <script>: the page's CSP stays untouched
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})")
    violations = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]
    assert not violations, f"axe on {name} ({page.url}):\n" + "\n".join(violations)
    keyboard_reaches_everything(page, name)
    checked_pages.append(name)


def keyboard_reaches_everything(page, name):
    """Tabbing from the top visits every link, button and field of the page."""
    wanted = page.evaluate("""() => {
        const all = [...document.querySelectorAll('a[href], button, summary, input:not([type=hidden]), select, textarea')];
        return all.filter(e => e.checkVisibility() || e.classList.contains('skip')).length }""")
    page.evaluate("() => { window.__seen = new Set(); document.addEventListener('focusin', e => window.__seen.add(e.target)); }")
    page.locator("body").focus()
    for _ in range(wanted + 5):
        page.keyboard.press("Tab")
    seen = page.evaluate("() => window.__seen.size")
    assert seen >= wanted, f"{name}: Tab reached {seen} of {wanted} controls"


def sign_in(page, secret):
    page.goto(BASE + "/")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=%2F$"))
    page.get_by_label(re.compile("API token|Jeton")).fill(secret)
    page.get_by_role("button", name=re.compile("Sign in|Se connecter")).click()
    expect(page).to_have_url(BASE + "/")


def add_attribution(page, speaker, kind, stance, relays="", relay_kind="news_outlet"):
    page.fill("#speaker", speaker)
    page.select_option("#speaker_kind", kind)
    page.select_option("#stance", stance)
    page.fill("#relays", relays)
    page.select_option("#relay_kind", relay_kind)
    page.get_by_role("button", name="Add the statement").click()
    expect(page.locator("#attributions-h")).to_be_visible()


def main():
    editor, viewer = token("editor"), token("viewer")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        context = browser.new_context(locale="en-GB")
        page = context.new_page()
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

        # Signed out: the sign-in page; a wrong token is refused and says so.
        page.goto(BASE + "/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
        audit(page, "sign-in")
        page.fill("#token", "not-a-token-at-all-0000000000000000")
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("#sign-in-error")).to_contain_text("not valid")
        audit(page, "sign-in-refused")
        # Keyboard only: type the token, Enter.
        page.locator("#token").focus()
        page.keyboard.type(editor)
        page.keyboard.press("Enter")
        expect(page).to_have_url(BASE + "/")
        cookie = next(c for c in context.cookies() if c["name"] == "claimdesk_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict", cookie

        # Security headers: a CSP without inline scripts on every page.
        response = page.goto(BASE + "/")
        csp = response.headers["content-security-policy"]
        assert "unsafe-inline" not in csp and "default-src 'none'" in csp and "script-src" not in csp, csp
        audit(page, "claims-empty")

        # Submit the seed article's bombing claim.
        page.get_by_role("link", name="Submit a claim").click()
        audit(page, "new-claim")
        page.fill("#text", BOMBING)
        page.fill("#language", "fr")
        page.fill("#claimant", CLOSE_TO_TRUMP)
        page.select_option("#claimant_kind", "anonymous")
        page.fill("#tags", "venezuela, usa")
        page.get_by_role("button", name="Check and submit").click()
        expect(page).to_have_url(re.compile(r"/claims/[0-9a-f-]{36}$"))
        claim_url = page.url
        expect(page.locator("#claim-text")).to_have_text(BOMBING)

        # Its three attributions: two papers relaying anonymous sources, the President's denial.
        add_attribution(page, CLOSE_TO_TRUMP, "anonymous", "asserts", "Miami Herald")
        add_attribution(page, CLOSE_TO_TRUMP, "anonymous", "asserts", "The Wall Street Journal")
        add_attribution(page, "Donald Trump", "person", "denies")
        chains = page.locator("ol.chains > li")
        expect(chains).to_have_count(3)
        expect(chains.nth(0)).to_contain_text("Miami Herald")
        expect(chains.nth(2)).to_contain_text("Donald Trump")
        expect(chains.nth(2).locator(".stance")).to_have_text("denies")
        # Edit the denial: its quote, from the form folded under it.
        chains.nth(2).get_by_text("Edit statement 3").click()
        page.fill("#e2-quote", "« Ce n'est pas vrai »")
        chains.nth(2).get_by_role("button", name="Save the statement").click()
        expect(page.locator("ol.chains > li").nth(2)).to_contain_text("« Ce n'est pas vrai »")
        expect(page.locator("ol.chains > li").nth(2).locator(".stance")).to_have_text("denies")
        expect(page.locator("ol.timeline")).to_contain_text("Statement edited")
        expect(page.locator("#sourcing-level")).to_contain_text("contested")
        expect(page.locator("#sourcing-level")).to_contain_text("anonymous sources only")
        audit(page, "claim-contested")

        # "confirmed" is refused with core's reason; nothing changes.
        page.select_option("#new-status", "in_review")
        page.get_by_role("button", name="Set the status").click()
        expect(page.locator("#claim-status")).to_contain_text("in review")
        page.select_option("#new-status", "confirmed")
        page.fill("#status-note", "Two papers say so")
        page.get_by_role("button", name="Set the status").click()
        expect(page.locator("#status-error")).to_contain_text("at least 3 independent supporting sources")
        expect(page.locator("#claim-status")).to_contain_text("in review")
        expect(page.locator("#status-note")).to_have_value("Two papers say so")
        audit(page, "status-refused")
        page.select_option("#new-status", "disputed")
        page.fill("#status-note", "Anonymous sources only, denied by the President")
        page.get_by_role("button", name="Set the status").click()
        expect(page.locator("#claim-status")).to_contain_text("disputed")
        expect(page.locator("ol.timeline")).to_contain_text("Anonymous sources only, denied by the President")

        # A conflict from two pages: B's typed note survives, and B sees what A changed.
        other = context.new_page()
        other.goto(claim_url)
        page.goto(claim_url)
        add_attribution(page, "Dmitri Peskov", "person", "context", "TASS", "news_agency")
        other.select_option("#new-status", "unverifiable")
        other.fill("#status-note", "Typed on the second page")
        other.get_by_role("button", name="Set the status").click()
        expect(other.locator("#conflict")).to_contain_text("Someone else changed this claim")
        expect(other.locator("#conflict")).to_contain_text("Statement added")
        expect(other.locator("#conflict")).to_contain_text("Dmitri Peskov")
        expect(other.locator("#status-note")).to_have_value("Typed on the second page")
        expect(other.locator("#new-status")).to_have_value("unverifiable")
        audit(other, "conflict")
        other.get_by_role("button", name="Set the status").click()
        expect(other.locator("#claim-status")).to_contain_text("unverifiable")
        other.close()

        # Search, with and without accents.
        for words in ["États-Unis bombarder", "etats-unis BOMBARDER", "installations militaires"]:
            page.goto(BASE + "/")
            page.fill("#q", words)
            page.get_by_role("button", name="Apply").click()
            expect(page.locator("ol.claims > li")).to_have_count(1)
            expect(page.locator("ol.claims")).to_contain_text("bombarder")
        audit(page, "search")
        page.select_option("#level", "contested")
        page.get_by_role("button", name="Apply").click()
        expect(page.locator("ol.claims > li")).to_have_count(1)
        page.select_option("#level", "confirmed")
        page.get_by_role("button", name="Apply").click()
        expect(page.locator("ol.claims > li")).to_have_count(0)

        # Paste the seed article; accept two candidates in one click.
        page.get_by_role("link", name="Paste an article").click()
        audit(page, "extract")
        page.fill("#article", ARTICLE)
        page.select_option("#article-language", "fr")
        page.fill("#published", "2025-10-26")
        page.get_by_role("button", name="Find the claims").click()
        candidates = page.locator("ol.candidates > li")
        assert candidates.count() >= 3, candidates.count()
        expect(page.locator(".article mark").first).to_be_visible()
        audit(page, "extract-candidates")
        texts = [candidates.nth(i).locator("label").inner_text() for i in (0, 1)]
        page.check("#pick-0")
        page.check("#pick-1")
        page.get_by_role("button", name="Accept the ticked claims").click()
        expect(page.get_by_role("status")).to_contain_text("2 claims accepted")
        accepted = page.locator("ul.accepted > li")
        expect(accepted).to_have_count(2)
        audit(page, "extract-accepted")
        accepted.first.locator("a").click()
        expect(page.locator("ol.chains > li").first).to_be_visible()
        assert texts[0].split("] ", 1)[1] in page.locator("#claim-text").inner_text()

        # Lists read newest first, or oldest first when asked.
        page.goto(BASE + "/")
        expect(page.locator("ol.claims > li").first).not_to_contain_text("bombarder")
        page.select_option("#order", "oldest_first")
        page.get_by_role("button", name="Apply").click()
        expect(page.locator("ol.claims > li").first).to_contain_text("bombarder")
        expect(page.locator("p.count")).to_have_text("Oldest first.")

        # Submitting a claim the desk holds shows it first.
        page.goto(BASE + "/claims/new")
        page.fill("#text", "Les États-Unis se préparaient à bombarder des installations militaires vénézuéliennes")
        page.fill("#language", "fr")
        page.get_by_role("button", name="Check and submit").click()
        expect(page.locator("#suggest-h")).to_be_visible()
        expect(page.locator("section.similar")).to_contain_text("bombarder")
        audit(page, "new-claim-similar")

        # Stored text is shown as text, never run.
        page.goto(BASE + "/claims/new")
        page.fill("#text", "<script>alert(1)</script>")
        page.fill("#language", "en")
        page.get_by_role("button", name="Check and submit").click()
        if page.locator("#suggest-h").count():
            page.get_by_role("button", name="Submit anyway").click()
        expect(page.locator("#claim-text")).to_have_text("<script>alert(1)</script>")
        assert page.locator("main script").count() == 0
        page.goto(BASE + "/")
        expect(page.locator("ol.claims")).to_contain_text("<script>alert(1)</script>")
        assert not dialogs, dialogs

        # A form post without the CSRF token is refused and changes nothing.
        page.goto(claim_url)
        version = page.locator("input[name=version]").first.get_attribute("value")
        refused = page.request.post(claim_url + "/status", form={"version": version, "status": "in_review"},
                                    max_redirects=0)
        assert refused.status == 403, refused.status
        forged = page.request.post(claim_url + "/status", max_redirects=0, form={
            "version": version, "status": "in_review", "csrf": "0" * 32})
        assert forged.status == 403, forged.status
        page.goto(claim_url)
        expect(page.locator("#claim-status")).to_contain_text("unverifiable")
        assert page.locator("input[name=version]").first.get_attribute("value") == version

        # Sources: search and a source's page.
        page.get_by_role("link", name="Sources", exact=True).click()
        page.fill("#source-q", "wall street")
        page.get_by_role("button", name="Apply").click()
        expect(page.locator("ul.sources > li")).to_have_count(1)
        audit(page, "sources")
        page.goto(BASE + "/sources")
        page.fill("#source-q", "proches trump")
        page.get_by_role("button", name="Apply").click()
        page.locator("ul.sources a").first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text(CLOSE_TO_TRUMP)
        expect(page.locator("#made-h + ol.claims")).to_contain_text("bombarder")
        expect(page.locator("#said-h + ol.claims > li")).to_have_count(2)
        audit(page, "source")

        # A speaker's page lists the statements it made.
        page.goto(claim_url)
        page.locator("ol.chains > li").nth(2).get_by_role("link", name="Donald Trump").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Donald Trump")
        expect(page.locator("#said-h + ol.claims > li")).to_have_count(1)
        expect(page.locator("#said-h + ol.claims")).to_contain_text("denies")
        expect(page.locator("#said-h + ol.claims")).to_contain_text("bombarder")

        # A page that does not exist.
        response = page.goto(BASE + "/claims/00000000-0000-7000-8000-000000000000")
        assert response.status == 404, response.status
        audit(page, "not-found")

        # Sign out: the session ends.
        page.get_by_role("button", name="Sign out").click()
        expect(page).to_have_url(re.compile("/sign-in"))
        page.goto(claim_url)
        expect(page).to_have_url(re.compile(r"/sign-in\?next="))

        # In French by the browser's language; a viewer reads but is offered no edit, and core
        # refuses one anyway.
        french = browser.new_context(locale="fr-FR")
        page = french.new_page()
        page.goto(BASE + "/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")
        sign_in(page, viewer)
        expect(page.get_by_role("heading", level=1)).to_have_text("Affirmations")
        page.goto(claim_url)
        expect(page.locator("#sourcing-level")).to_contain_text("contestée")
        expect(page.locator("#sourcing-level")).to_contain_text("sources anonymes uniquement")
        assert page.locator("#new-status").count() == 0 and page.locator("#speaker").count() == 0
        audit(page, "claim-fr-viewer")
        csrf = page.locator("input[name=csrf]").first.get_attribute("value")
        denied = page.request.post(claim_url + "/status", max_redirects=0, form={
            "csrf": csrf, "version": "1", "status": "false", "note": "viewer"})
        assert denied.status == 403, denied.status
        page.get_by_role("link", name="English").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Claim")
        french.close()
        browser.close()
    print(f"desk: every check passed; axe clean and every control reached by Tab on {len(checked_pages)} pages: {', '.join(checked_pages)}")


if __name__ == "__main__":
    main()
