"""The reviewer console end to end in a real headless browser (Debian's chromium and
chromedriver, driven by Selenium) against `icpa serve`'s server in this process: claims go to
review, a reviewer signs in with a bearer token, reads the evidence, approves with a rationale,
and the workflow ends APPROVED with the reviewer in the audit trail; a second reviewer, whose
page was opened before, is told in plain words that it is already decided and sees who decided.

Claims are attacker-controlled: the fraud evidence here carries markup, which must show as text
and never run. Every wait is bounded. With ICPA_CONSOLE_SCREENSHOTS=<dir> the run also saves
console-queue.png and console-claim.png there (the README's pictures: docs/images).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from icpa_local.cloud import LocalCloud
from icpa_local.console import Console
from icpa_local.datadir import DataDir
from icpa_local.functions import load_handler
from icpa_local.reviewapi import ReviewApiServer
from icpa_local.reviewers import ReviewerTokens
from icpa_local.serve import Server, free_port
from icpa_review_callback.adapters.reviews_table import DynamoReviewStore
from icpa_shared.adapters.audit_store import DynamoAuditStore
from icpa_shared.contracts import ReviewStatus

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT_SECONDS = 15.0
REVIEWER, SECOND_REVIEWER = "dana.reyes", "sam.lee"
MARKUP = '<script>window.__xss = 1</script><img src="x" onerror="window.__xss = 2">'
RATIONALE = "Operative report supports the charge; prior authorization is on file."

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
    reason="chromium and chromium-driver are installed by build-support/system-packages.sh",
)


def sample(name: str) -> bytes:
    return resources.files("icpa_local").joinpath(f"samples/{name}").read_bytes()


def a_claim_waiting_for_review(cloud: LocalCloud, name: str) -> tuple[str, str]:
    """Upload a sample and wait until it waits on a reviewer: (execution arn, review id)."""
    arn = cloud.upload(sample(name), name)
    assert cloud.wait(arn, timeout=30) == "WAITING_FOR_REVIEW"
    review_id = cloud.pending_review_for(arn)
    assert review_id is not None
    return arn, review_id


def fraud_with_markup_in_its_evidence() -> Any:
    """The real fraud handler, plus a signal whose evidence quotes hostile claim text."""
    real = load_handler("FraudFunction")

    def fraud(event: dict[str, Any], context: Any) -> Any:
        result: dict[str, Any] = real(event, context)
        signals = [*result.get("signals", []), {"code": "FREE_TEXT_NOTE", "weight": 0.1, "evidence": {"note": MARKUP}}]
        return {**result, "signals": signals}

    return fraud


@dataclass
class RunningConsole:
    server: Server
    tokens: ReviewerTokens
    url: str

    def token(self, reviewer: str) -> str:
        token = self.tokens.token_for(reviewer)
        assert token is not None
        return token


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningConsole]:
    root = tmp_path_factory.mktemp("console-data")
    data_dir = DataDir(root)
    tokens = ReviewerTokens.load_or_create(data_dir.ensure().reviewers, reviewers=("cli", REVIEWER, SECOND_REVIEWER))
    port = free_port()
    server = Server(
        data_dir,
        port=port,
        review_port=port + 1,
        inbox=root / "inbox",
        time_scale=0.001,  # the review deadline (3 days) becomes ~4 minutes: longer than the test
        handler_overrides={"FraudFunction": fraud_with_markup_in_its_evidence()},
        out=io.StringIO(),
    )
    server.start()
    try:
        yield RunningConsole(server, tokens, f"http://127.0.0.1:{port + 1}/console/")
    finally:
        server.stop()


def a_browser(width: int = 1280, height: int = 900) -> WebDriver:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={width},{height}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(WAIT_SECONDS)
    driver.set_script_timeout(WAIT_SECONDS)
    return driver


@pytest.fixture
def browsers() -> Iterator[list[WebDriver]]:
    opened: list[WebDriver] = []
    yield opened
    for driver in opened:
        driver.quit()


def wait_for(driver: WebDriver, css: str) -> WebElement:
    try:
        element: WebElement = WebDriverWait(driver, WAIT_SECONDS).until(
            ec.visibility_of_element_located((By.CSS_SELECTOR, css))
        )
    except TimeoutException as exc:
        raise AssertionError(f"{css!r} did not appear; the page says: {page_text(driver)!r}") from exc
    return element


def wait_for_text(driver: WebDriver, css: str, text: str) -> WebElement:
    try:
        WebDriverWait(driver, WAIT_SECONDS).until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))
    except TimeoutException as exc:
        raise AssertionError(f"{text!r} not in {css!r}; the page says: {page_text(driver)!r}") from exc
    return driver.find_element(By.CSS_SELECTOR, css)


def page_text(driver: WebDriver) -> str:
    return str(driver.find_element(By.TAG_NAME, "body").text)


def sign_in(driver: WebDriver, console: RunningConsole, reviewer: str) -> None:
    driver.get(console.url)
    field = wait_for(driver, "#token")
    field.send_keys(console.token(reviewer), Keys.ENTER)  # the form submits from the keyboard
    wait_for(driver, "#queue")


def screenshot(driver: WebDriver, name: str) -> None:
    target = os.environ.get("ICPA_CONSOLE_SCREENSHOTS")
    for _ in range(2):  # the page reflows at the new size: measure again
        height = int(driver.execute_script("return document.documentElement.scrollHeight"))
        driver.set_window_size(1280, min(max(height + 140, 700), 4000))
    png = driver.get_screenshot_as_png()
    assert png.startswith(b"\x89PNG")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        (Path(target) / name).write_bytes(png)


def test_a_reviewer_approves_in_the_browser_and_a_second_reviewer_sees_it_decided(
    console: RunningConsole, browsers: list[WebDriver]
) -> None:
    cloud = console.server.cloud
    # Given claims waiting for a reviewer, the one this test decides first (oldest first).
    arn, review_id = a_claim_waiting_for_review(cloud, "review-high-amount-surgery.json")
    others = [
        cloud.upload(sample(name), name) for name in ("review-partial-prior-auth.json", "review-charge-outlier.json")
    ]
    assert cloud.wait_settled(others, timeout=30) == []
    claim_id = cloud.result(arn).claim_id
    assert claim_id is not None

    # The reviewer signs in and sees the queue, oldest first, with waiting time and deadline.
    first = a_browser()
    browsers.append(first)
    sign_in(first, console, REVIEWER)
    rows = first.find_elements(By.CSS_SELECTOR, "#queue tbody tr")
    assert rows[0].get_attribute("data-review-id") == review_id
    assert len(rows) == 3
    header = first.find_element(By.CSS_SELECTOR, "#queue thead").text
    assert "Waiting" in header and "Deadline" in header
    assert "(in " in rows[0].text  # the deadline is ahead, and says how far
    screenshot(first, "console-queue.png")

    # A second reviewer opens the same review before anyone has decided it.
    second = a_browser()
    browsers.append(second)
    sign_in(second, console, SECOND_REVIEWER)
    second.get(f"{console.url}#/review/{review_id}")
    wait_for(second, "#decision-form")

    # The first reviewer opens it from the queue with the keyboard and reads the evidence.
    link = first.find_element(By.CSS_SELECTOR, f'#queue tr[data-review-id="{review_id}"] a')
    link.send_keys(Keys.ENTER)
    wait_for_text(first, "h1", f"Claim {claim_id}")
    assert first.switch_to.active_element.tag_name == "h1"  # focus moves to the new view
    signals = wait_for(first, "#fraud-signals").text
    assert "FREE_TEXT_NOTE" in signals
    assert MARKUP in signals  # hostile markup shows as the characters it is...
    assert first.execute_script("return window.__xss === undefined")  # ...and never runs
    assert first.find_elements(By.CSS_SELECTOR, "main script, main img:not(#workflow-graph)") == []
    assert first.find_elements(By.CSS_SELECTOR, "#adjudication-lines tbody tr")
    assert first.find_element(By.CSS_SELECTOR, "#routing-reasons").text.strip()
    assert "review requested" in wait_for(first, "#audit").text
    # The workflow picture, with this claim's path drawn in, loaded as an image.
    picture = wait_for(first, "#workflow-graph")
    assert first.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", picture)
    # The rule is on the page before anything is submitted.
    rule = first.find_element(By.CSS_SELECTOR, "#rationale-rule").text
    assert "5 to 2000 characters" in rule

    # A rationale that is only long enough with its spaces: the API refuses it, in plain words.
    approve = first.find_element(By.CSS_SELECTOR, "#decision-APPROVE")
    approve.send_keys(Keys.SPACE)
    assert approve.is_selected()
    rationale = first.find_element(By.CSS_SELECTOR, "#rationale")
    rationale.send_keys("   ok   ")
    first.find_element(By.CSS_SELECTOR, "#submit-decision").click()
    notice = wait_for_text(first, "#notice", "not accepted").text
    assert "rationale needs 5 to 2000 characters" in notice and "Nothing was applied" in notice
    assert cloud.pending_review_for(arn) == review_id

    # Then a real rationale: accepted, and the page shows who decided.
    rationale.clear()
    rationale.send_keys(RATIONALE)
    first.find_element(By.CSS_SELECTOR, "#submit-decision").click()
    wait_for_text(first, "#notice", "Decision recorded: Approved")
    assert wait_for_text(first, "#decided-by", REVIEWER).text.startswith("Approved by")

    # The workflow ends APPROVED, the reviewer and rationale in the audit trail.
    assert cloud.wait(arn, stop_at_review=False, timeout=30) == "SUCCEEDED"
    assert str(cloud.result(arn).outcome) == "APPROVED"
    events = DynamoAuditStore(cloud.names.audit_table, cloud.client("dynamodb")).events(claim_id)
    decisions = [e for e in events if e.step == "review_decision"]
    assert [(e.reviewer_id, e.decision, e.rationale) for e in decisions] == [(REVIEWER, "APPROVE", RATIONALE)]
    first.refresh()
    timeline = wait_for_text(first, "#audit", "review decision").text
    assert REVIEWER in timeline and RATIONALE in timeline and "checks out" in timeline
    screenshot(first, "console-claim.png")

    # The second reviewer, on the page opened earlier, denies: told it is already decided.
    second.find_element(By.CSS_SELECTOR, "#decision-DENY").send_keys(Keys.SPACE)
    second.find_element(By.CSS_SELECTOR, "#rationale").send_keys("Looks excessive to me.")
    second.find_element(By.CSS_SELECTOR, "#submit-decision").click()
    assert "already been decided" in wait_for_text(second, "#notice", "already").text
    assert wait_for_text(second, "#decided-by", REVIEWER).text.startswith("Approved by")
    # ...and finds it among the decided reviews with who and why; no longer in the queue.
    second.find_element(By.CSS_SELECTOR, "#nav-decided").click()
    decided = wait_for(second, f'#decided tr[data-review-id="{review_id}"]').text
    assert REVIEWER in decided and RATIONALE in decided and "Approved" in decided
    second.find_element(By.CSS_SELECTOR, "#nav-queue").click()
    wait_for(second, "#queue")
    queued = [r.get_attribute("data-review-id") for r in second.find_elements(By.CSS_SELECTOR, "#queue tbody tr")]
    assert review_id not in queued and len(queued) == 2


def test_the_console_never_sees_a_task_token_and_shows_a_bad_token_in_plain_words(
    console: RunningConsole, browsers: list[WebDriver]
) -> None:
    driver = a_browser()
    browsers.append(driver)
    driver.get(console.url)
    wait_for(driver, "#token").send_keys("not-a-token", Keys.ENTER)
    assert "not recognised" in wait_for_text(driver, "#notice", "token").text
    # Every API answer the page can read, for every review there is, carries no task token.
    sign_in(driver, console, REVIEWER)
    table = console.server.cloud.client("dynamodb").scan(TableName=console.server.cloud.names.reviews_table)
    tokens = [item["task_token"]["S"] for item in table["Items"] if "task_token" in item]
    assert tokens, "no live task token to look for"
    answers = driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        const auth = {Authorization: `Bearer ${sessionStorage.getItem("icpa.console.token")}`};
        const get = (path) => fetch(path, {headers: auth}).then((r) => r.text());
        (async () => {
          const texts = [await get("/reviews"), await get("/reviews?status=DECIDED")];
          for (const r of JSON.parse(texts[0]).reviews.concat(JSON.parse(texts[1]).reviews)) {
            texts.push(await get(`/reviews/${r.review_id}`), await get(`/reviews/${r.review_id}/audit`));
          }
          return texts;
        })().then(done, (e) => done(String(e)));
        """
    )
    assert isinstance(answers, list) and len(answers) >= 4
    for text in answers:
        for token in tokens:
            assert token not in text


def test_a_decision_on_a_review_that_timed_out_meanwhile_is_refused_in_plain_words(
    console: RunningConsole, browsers: list[WebDriver]
) -> None:
    cloud = console.server.cloud
    arn, review_id = a_claim_waiting_for_review(cloud, "review-waiting-period.json")
    driver = a_browser()
    browsers.append(driver)
    sign_in(driver, console, REVIEWER)
    driver.get(f"{console.url}#/review/{review_id}")
    wait_for(driver, "#decision-form")
    # While the page is open, the wait times out: the escalation step marks the review TIMED_OUT
    # (done here directly) and the workflow moves on (here: stopped, so nothing waits on it).
    store = DynamoReviewStore(cloud.names.reviews_table, cloud.client("dynamodb"))
    assert store.mark_timed_out(review_id, now=datetime.now(UTC), from_statuses=(ReviewStatus.PENDING,))
    cloud.client("stepfunctions").stop_execution(executionArn=arn, error="ReviewTimedOut")

    driver.find_element(By.CSS_SELECTOR, "#decision-APPROVE").send_keys(Keys.SPACE)
    driver.find_element(By.CSS_SELECTOR, "#rationale").send_keys("Waiting period was met.")
    driver.find_element(By.CSS_SELECTOR, "#submit-decision").click()

    notice = wait_for_text(driver, "#notice", "timed out").text
    assert "went to supervisors" in notice and "not applied" in notice
    try:  # the page shows the review as it now stands
        WebDriverWait(driver, WAIT_SECONDS).until(
            lambda d: d.find_element(By.CSS_SELECTOR, "#review-status").get_attribute("data-status") == "TIMED_OUT"
        )
    except TimeoutException as exc:
        raise AssertionError(f"the review is not shown timed out: {page_text(driver)!r}") from exc
    assert driver.find_elements(By.CSS_SELECTOR, "#decision-form") == []


def test_the_console_files_are_sent_with_a_policy_that_forbids_inline_and_foreign_scripts(
    console: RunningConsole,
) -> None:
    import urllib.request

    with urllib.request.urlopen(console.url, timeout=WAIT_SECONDS) as response:  # loopback
        policy = response.headers["Content-Security-Policy"]
        page = response.read().decode()
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "connect-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert '<script type="module" src="console.js">' in page
    with urllib.request.urlopen(console.url + "config.json", timeout=WAIT_SECONDS) as response:
        config = json.loads(response.read())
    assert config == {"apiBase": "", "auth": {"mode": "token"}, "graphPath": "/_icpa/reviews/{review_id}/graph.svg"}


# --- Cognito's hosted UI, as the console uses it: authorization code flow with PKCE ------------


@dataclass
class FakeHostedUi:
    """/oauth2/authorize and /oauth2/token as Cognito answers them, checking PKCE: the token
    endpoint issues `id_token` only for the verifier whose S256 challenge came with the code."""

    client_id: str
    id_token: str
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeHostedUi:
        ui = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return None

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                assert url.path == "/oauth2/authorize", url.path
                assert query["response_type"] == "code" and query["client_id"] == ui.client_id
                assert query["code_challenge_method"] == "S256" and "openid" in query["scope"].split()
                code = f"code-{len(ui.codes)}"
                ui.codes[code] = query
                back = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"
                self.send_response(302)
                self.send_header("Location", back)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self) -> None:
                form = {
                    k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()
                }
                ui.token_requests.append(form)
                issued = ui.codes.pop(form.get("code", ""), None)
                digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
                challenge = base64.urlsafe_b64encode(digest).decode().rstrip("=")
                ok = (
                    issued is not None
                    and form.get("grant_type") == "authorization_code"
                    and form.get("client_id") == ui.client_id
                    and form.get("redirect_uri") == issued["redirect_uri"]
                    and challenge == issued["code_challenge"]
                )
                body = json.dumps(
                    {"id_token": ui.id_token, "access_token": "unused", "token_type": "Bearer", "expires_in": 3600}
                    if ok
                    else {"error": "invalid_grant"}
                ).encode()
                self.send_response(200 if ok else 400)
                self.send_header("Content-Type", "application/json")
                self.send_header("Access-Control-Allow-Origin", self.headers.get("Origin") or "*")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def test_with_cognito_the_console_signs_in_through_the_hosted_ui_with_pkce(
    console: RunningConsole, browsers: list[WebDriver]
) -> None:
    ui = FakeHostedUi(client_id="console-client", id_token=console.token(REVIEWER)).start()
    port = free_port()
    page = f"http://127.0.0.1:{port}/console/"
    config = {
        "apiBase": "",
        "auth": {"mode": "cognito", "domain": ui.url, "clientId": ui.client_id, "redirectUri": page},
    }
    api = ReviewApiServer(
        console.server.cloud.invoke_review_api, console.tokens.reviewer_for, port=port, console=Console(config)
    ).start()
    try:
        driver = a_browser()
        browsers.append(driver)
        driver.get(page)
        wait_for(driver, "#cognito-sign-in").send_keys(Keys.ENTER)
        wait_for(driver, "#queue, #queue-empty")  # signed in: the API took the hosted UI's ID token
        assert "code=" not in driver.current_url  # the code leaves the address bar at once
        assert len(ui.token_requests) == 1 and ui.codes == {}
        assert driver.execute_script("return sessionStorage.getItem('icpa.console.token')") == console.token(REVIEWER)

        # A code that comes back without the sign-in this tab started is not traded for a token.
        driver.execute_script("sessionStorage.clear()")
        driver.get(f"{page}?code=stolen&state=forged")
        assert "could not be completed" in wait_for_text(driver, "#notice", "sign-in").text
        assert len(ui.token_requests) == 1
        wait_for(driver, "#cognito-sign-in")
    finally:
        api.stop()
        ui.stop()
