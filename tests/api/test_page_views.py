"""The page's views in a real headless Chromium: every filter of the API, the selection in the address,
the downloads of what is shown, the letter's patients, and the compact comparison at 1280 px."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.api.test_browser import WAIT_SECONDS, browser

__all__ = ["browser"]

ATHENS = "study-athens-dara-imid"


def _open(driver: WebDriver, base: str, query: str = "") -> WebDriverWait[WebDriver]:
    """Load the page (with a selection in its address) and wait for its table."""
    wait = WebDriverWait(driver, WAIT_SECONDS)
    driver.get(f"{base}/{'?' + query if query else ''}")
    _wait_shown(driver, wait)
    return wait


def _wait_shown(driver: WebDriver, wait: WebDriverWait[WebDriver]) -> dict[str, list[str]]:
    """Wait until the table on show is the one of the address's selection; that selection, parsed."""

    def settled(d: WebDriver) -> bool:
        return bool(
            d.execute_script(
                "const c = document.getElementById('comparison');"
                "return c.dataset.query !== undefined && !c.hasAttribute('aria-busy')"
                " && c.dataset.query === location.search.slice(1);"
            )
        )

    wait.until(settled)
    return parse_qs(urlsplit(driver.current_url).query)


def _route_table(base: str, query: dict[str, str]) -> dict[str, object]:
    params = dict(query)
    endpoint = params.pop("endpoint", "response")
    route = "response-rate" if endpoint == "response" else endpoint
    response = httpx.get(f"{base}/compare/{route}", params={**params, "format": "json"})
    assert response.status_code == 200, response.text
    table: dict[str, object] = response.json()
    return table


def _shown(driver: WebDriver) -> list[tuple[str, str, str]]:
    """(stratum, cohort id, rate or figure cell) of every row on show, in order."""
    return [
        tuple(row)
        for row in driver.execute_script(
            "const out = []; let stratum = '';"
            "for (const tr of document.querySelectorAll('#comparison table tbody tr')) {"
            "  if (tr.classList.contains('stratum')) { stratum = tr.textContent; continue; }"
            "  if (!tr.dataset.cohort) continue;"
            "  const cell = tr.querySelector('td.rate, td.figure');"
            "  out.push([stratum, tr.dataset.cohort, cell ? cell.textContent : '']); }"
            "return out;"
        )
    ]


def _expected(table: dict[str, object]) -> list[tuple[str, str, str]]:
    rows = table["rows"]
    assert isinstance(rows, list)
    out = []
    for row in rows:
        if "figure_text" in row:
            text = row["figure_text"]
        elif row["rate_pct"] is None or not row["rate_text"]:
            text = ""
        elif row["ci_low_pct"] is not None and row["ci_high_pct"] is not None:
            text = f"{row['rate_text']} ({row['ci_low_pct']:.1f}-{row['ci_high_pct']:.1f})"
        else:
            text = row["rate_text"]
        if row["other_values"]:
            text += f"; also {', '.join(row['other_values'])}"
        out.append((row["stratum"], row["cohort_id"], text))
    return out


def _screenshot(driver: WebDriver, path: Path, element_id: str = "compare-section") -> None:
    """A screenshot of the state, the part of the page it is about in view."""
    driver.execute_script("document.getElementById(arguments[0]).scrollIntoView()", element_id)
    assert driver.save_screenshot(str(path))


def _as_query(parsed: dict[str, list[str]]) -> dict[str, str]:
    return {name: values[-1] for name, values in parsed.items()}


def _select(element_id: str, *values: str) -> Callable[[WebDriver], None]:
    def act(driver: WebDriver) -> None:
        select = Select(driver.find_element(By.ID, element_id))
        for value in values:
            select.select_by_value(value)

    return act


def _type_min_n(value: str) -> Callable[[WebDriver], None]:
    def act(driver: WebDriver) -> None:
        box = driver.find_element(By.ID, "min-n")
        box.clear()
        box.send_keys(value, Keys.TAB)

    return act


def _click(element_id: str) -> Callable[[WebDriver], None]:
    def act(driver: WebDriver) -> None:
        driver.find_element(By.ID, element_id).click()

    return act


FILTERS: list[tuple[str, Callable[[WebDriver], None], dict[str, str]]] = [
    ("threshold", _select("threshold", "VGPR"), {"threshold": "VGPR"}),
    ("ci", _select("ci", "wilson"), {"ci": "wilson"}),
    ("by", _select("by", "regimen"), {"by": "regimen"}),
    ("endpoint", _select("endpoint", "pfs"), {"endpoint": "pfs"}),
    ("drug", _select("drug", "lenalidomide"), {"drug": "lenalidomide"}),
    ("drug_class", _select("drug-class", "proteasome inhibitor"), {"drug_class": "proteasome inhibitor"}),
    (
        "refractory",
        _select("refractory", "daratumumab", "pomalidomide"),
        {"refractory": "daratumumab,pomalidomide"},
    ),
    ("design", _select("design", "case series"), {"design": "case series"}),
    ("min_n", _type_min_n("50"), {"min_n": "50"}),
    ("pool", _click("pool"), {"pool": "true"}),
]


@pytest.mark.parametrize(("name", "act", "wanted"), FILTERS, ids=[f[0] for f in FILTERS])
def test_each_filter_changes_the_table_as_the_route_does(
    browser: webdriver.Chrome,
    live_server: str,
    tmp_path: Path,
    name: str,
    act: Callable[[WebDriver], None],
    wanted: dict[str, str],
) -> None:
    wait = _open(browser, live_server)
    default = _as_query(_wait_shown(browser, wait))
    assert _shown(browser) == _expected(_route_table(live_server, default))

    act(browser)
    wait.until(
        lambda d: all(
            _as_query(parse_qs(urlsplit(d.current_url).query)).get(k) == v for k, v in wanted.items()
        )
    )
    chosen = _as_query(_wait_shown(browser, wait))
    assert chosen == {**default, **wanted}
    route = _route_table(live_server, chosen)
    # The filter changes what the route answers, and the page shows what the route answers.
    assert _expected(route) != _expected(_route_table(live_server, default)) or name == "pool"
    assert _shown(browser) == _expected(route)
    if name == "pool":
        pooling = route["pooling"]
        assert isinstance(pooling, list) and pooling
        assert len(browser.find_elements(By.CSS_SELECTOR, "#comparison tfoot tr.pooling")) == len(pooling)
    _screenshot(browser, tmp_path / f"filter-{name}.png")
    assert browser.get_log("browser") == []


def test_filters_are_served_options_and_keyboard_usable(
    browser: webdriver.Chrome, live_server: str, tmp_path: Path
) -> None:
    wait = _open(browser, live_server)
    options = httpx.get(live_server + "/options").json()
    for select_id, name in (("drug", "drug"), ("drug-class", "drug_class"), ("design", "design")):
        shown = [o.get_attribute("value") for o in Select(browser.find_element(By.ID, select_id)).options]
        assert shown == ["", *options[name]]
    refractory = [o.get_attribute("value") for o in Select(browser.find_element(By.ID, "refractory")).options]
    assert refractory == [*options["drug_class"], *options["drug"]]

    # Tab walks through every control of the form, in order, up to Show.
    controls = ["endpoint", "by", "threshold", "ci", "drug", "drug-class", "refractory", "design", "min-n"]
    controls += ["pool", "allow-retrospective", "show"]
    browser.execute_script("document.getElementById('endpoint').focus()")
    reached = []
    for _ in range(len(controls) - 1):
        reached.append(browser.switch_to.active_element.get_attribute("id"))
        browser.switch_to.active_element.send_keys(Keys.TAB)
    reached.append(browser.switch_to.active_element.get_attribute("id"))
    assert reached == controls

    # A select chosen by typing its label, then Show pressed with Enter.
    browser.find_element(By.ID, "ci").send_keys("Wilson")
    assert Select(browser.find_element(By.ID, "ci")).first_selected_option.get_attribute("value") == "wilson"
    browser.find_element(By.ID, "show").send_keys(Keys.ENTER)
    chosen = _as_query(_wait_shown(browser, wait))
    assert chosen["ci"] == "wilson"
    assert _shown(browser) == _expected(_route_table(live_server, chosen))
    _screenshot(browser, tmp_path / "keyboard.png")


def test_the_address_holds_the_selection(browser: webdriver.Chrome, live_server: str, tmp_path: Path) -> None:
    selection = {
        "by": "regimen",
        "threshold": "MR",
        "ci": "jeffreys",
        "drug_class": "immunomodulatory drug",
        "refractory": "daratumumab",
        "min_n": "2",
    }
    wait = _open(browser, live_server, urlencode(selection))
    # The form is filled from the address, and the table is the route's for it.
    assert Select(browser.find_element(By.ID, "by")).first_selected_option.get_attribute("value") == "regimen"
    assert (
        Select(browser.find_element(By.ID, "threshold")).first_selected_option.get_attribute("value") == "MR"
    )
    assert (
        Select(browser.find_element(By.ID, "ci")).first_selected_option.get_attribute("value") == "jeffreys"
    )
    drug_class = Select(browser.find_element(By.ID, "drug-class")).first_selected_option
    assert drug_class.get_attribute("value") == "immunomodulatory drug"
    chosen = [
        o.get_attribute("value")
        for o in Select(browser.find_element(By.ID, "refractory")).all_selected_options
    ]
    assert chosen == ["daratumumab"]
    assert browser.find_element(By.ID, "min-n").get_attribute("value") == "2"
    shown = _shown(browser)
    assert shown and shown == _expected(_route_table(live_server, selection))
    _screenshot(browser, tmp_path / "from-address.png")

    # A change rewrites the address in place (no new history entry); reloading it shows the same table.
    length = browser.execute_script("return history.length")
    Select(browser.find_element(By.ID, "ci")).select_by_value("wilson")
    wait.until(lambda d: "ci=wilson" in d.current_url)
    _wait_shown(browser, wait)
    assert browser.execute_script("return history.length") == length
    table = browser.find_element(By.CSS_SELECTOR, "#comparison table").get_attribute("outerHTML")
    address = browser.current_url
    browser.refresh()
    _wait_shown(browser, wait)
    assert browser.current_url == address
    assert browser.find_element(By.CSS_SELECTOR, "#comparison table").get_attribute("outerHTML") == table

    # A value the service does not offer is not sent: the default stays, and the page says so.
    _open(browser, live_server, "threshold=XR")
    assert (
        Select(browser.find_element(By.ID, "threshold")).first_selected_option.get_attribute("value") == "PR"
    )
    note = browser.find_element(By.ID, "selection-note")
    assert note.is_displayed() and "XR" in note.text


def test_downloads_are_what_is_shown(browser: webdriver.Chrome, live_server: str, tmp_path: Path) -> None:
    selection = {"endpoint": "pfs", "by": "regimen", "drug": "daratumumab"}
    wait = _open(browser, live_server, urlencode(selection))
    chosen = _as_query(_wait_shown(browser, wait))
    wait.until(ec.visibility_of_element_located((By.ID, "downloads")))
    table_query = {k: v for k, v in chosen.items() if k != "endpoint"}
    media = {"csv": "text/csv", "md": "text/markdown", "latex": "application/x-latex"}
    for fmt, media_type in media.items():
        href = str(browser.find_element(By.ID, f"download-{fmt}").get_attribute("href"))
        parts = urlsplit(href)
        assert parts.path == "/compare/pfs"
        assert _as_query(parse_qs(parts.query)) == {**table_query, "format": fmt}
        response = httpx.get(href)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(media_type)
        assert (
            response.text
            == httpx.get(f"{live_server}/compare/pfs", params={**table_query, "format": fmt}).text
        )
    paths = httpx.get(live_server + "/openapi.json").json()["paths"]
    plots = {"svg": "image/svg+xml", "png": "image/png", "pdf": "application/pdf"}
    for fmt, media_type in plots.items():
        anchor = browser.find_element(By.ID, f"download-{fmt}")
        offered = fmt == "svg" or f"/plots/forest.{fmt}" in paths
        assert anchor.is_displayed() == offered
        if not offered:
            continue
        parts = urlsplit(str(anchor.get_attribute("href")))
        assert parts.path == f"/plots/forest.{fmt}"
        assert _as_query(parse_qs(parts.query)) == chosen
        response = httpx.get(str(anchor.get_attribute("href")))
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(media_type)
    hint = browser.find_element(By.ID, "compare-hint").text
    assert "clinical order, never by effect size" in hint  # the page says how rows are ordered
    whole = {"tables": "application/zip", "fhir": "application/fhir+json"}
    for fmt, media_type in whole.items():
        anchor = browser.find_element(By.ID, f"download-{fmt}")
        assert urlsplit(str(anchor.get_attribute("href"))).query == f"format={fmt}"
        response = httpx.get(str(anchor.get_attribute("href")))
        assert response.status_code == 200
        assert response.headers["content-type"] == media_type
    _screenshot(browser, tmp_path / "downloads.png", "compare-hint")


def test_patient_table_shows_lost_cells_and_traces_each_value(
    browser: webdriver.Chrome, live_server: str, tmp_path: Path
) -> None:
    wait = _open(browser, live_server)
    table = wait.until(
        ec.presence_of_element_located((By.CSS_SELECTOR, f"#patients table.patients[data-study='{ATHENS}']"))
    )
    records = httpx.get(live_server + "/patients", params={"study": ATHENS}).json()["patients"]
    heads = [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th[data-patient]")]
    assert heads == [p["label"] for p in records] and len(heads) == 6

    def row(key: str) -> list[str]:
        return [td.text for td in table.find_elements(By.CSS_SELECTOR, f"tr[data-attribute='{key}'] td")]

    # Every attribute of every patient is a row, each cell a claim; none is blank.
    keys = {c["id"].removeprefix(p["id"] + "-") for p in records for c in p["claims"]}
    assert {
        tr.get_attribute("data-attribute") for tr in table.find_elements(By.CSS_SELECTOR, "tbody tr")
    } == keys
    cells = table.find_elements(By.CSS_SELECTOR, "tbody td")
    assert len(cells) == 6 * len(keys) and all(td.text.strip() for td in cells)
    assert row("age") == ["58 years", "79 years", "51 years", "60 years", "58 years", "66 years"]
    assert row("dara-imid-response") == ["PD", "MR", "MR", "VGPR", "PR", "VGPR"]
    added = row("imid-added")
    assert [("pomalidomide" in a, "lenalidomide" in a) for a in added] == [
        (True, False),
        (True, False),
        (True, False),
        (False, True),
        (False, True),
        (True, False),
    ]
    assert row("carfilzomib-refractory") == ["not reported"] * 6
    # A cell the extraction lost says so, and is marked.
    lost = table.find_element(
        By.CSS_SELECTOR, "tr[data-attribute='dara-imid-pfs'] td[data-claim='athens-p4-dara-imid-pfs']"
    )
    assert lost.text == "lost in extraction" and lost.get_attribute("data-lost") == "true"
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", table)
    assert browser.save_screenshot(str(tmp_path / "patients.png"))

    # A click opens its provenance: the letter's Table 1 cell.
    lost.click()
    panel = wait.until(ec.visibility_of_element_located((By.ID, "provenance")))
    wait.until(lambda d: panel.get_attribute("data-claim") == "athens-p4-dara-imid-pfs")
    wait.until(ec.text_to_be_present_in_element((By.ID, "provenance-evidence"), "Patient 4"))
    evidence = browser.find_element(By.ID, "provenance-evidence").text
    assert "Table 1" in evidence and "Dara + IMiD PFS, mo" in evidence
    wait.until(ec.text_to_be_present_in_element((By.ID, "provenance-source"), "Athens letter"))
    assert browser.save_screenshot(str(tmp_path / "patients-provenance.png"))
    browser.find_element(By.ID, "provenance-close").click()

    # By keyboard: Enter on a focused value opens its provenance too.
    age = table.find_element(By.CSS_SELECTOR, "td[data-claim='athens-p2-age']")
    browser.execute_script("arguments[0].focus()", age)
    age.send_keys(Keys.ENTER)
    wait.until(lambda d: d.find_element(By.ID, "provenance").get_attribute("data-claim") == "athens-p2-age")
    wait.until(ec.text_to_be_present_in_element((By.ID, "provenance-evidence"), "Age, y"))
    assert browser.get_log("browser") == []


def test_compact_comparison_fits_1280_px(browser: webdriver.Chrome, live_server: str, tmp_path: Path) -> None:
    browser.set_window_size(1280, 900)
    try:
        wait = _open(browser, live_server)
        chosen = _as_query(_wait_shown(browser, wait))
        route = _route_table(live_server, chosen)
        rows = route["rows"]
        assert isinstance(rows, list)
        # Each stratum names each of its studies once, as a group row above the study's cohorts.
        groups = browser.execute_script(
            "const out = []; let stratum = '', study = '';"
            "for (const tr of document.querySelectorAll('#comparison table tbody tr')) {"
            "  if (tr.classList.contains('stratum')) stratum = tr.textContent;"
            "  else if (tr.classList.contains('study')) study = tr.querySelector('th').title;"
            "  else out.push([stratum, study, tr.dataset.cohort]); }"
            "return out;"
        )
        assert sorted(map(tuple, groups)) == sorted((r["stratum"], r["study"], r["cohort_id"]) for r in rows)
        study_rows = browser.execute_script(
            "return [...document.querySelectorAll('#comparison tbody')].map(b =>"
            " [...b.querySelectorAll('tr.study th')].map(th => th.title));"
        )
        assert all(len(titles) == len(set(titles)) for titles in study_rows)
        headings = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#comparison thead th")]
        assert "Study" not in headings and "Design" not in headings
        # Cohorts read short under their study; the full label on hover.
        drd = browser.find_element(By.CSS_SELECTOR, "#comparison tr[data-cohort$='/pollux-drd'] td.cohort")
        assert drd.text == "daratumumab + lenalidomide + dexamethasone arm (D-Rd)"
        assert drd.get_attribute("title") == "POLLUX: daratumumab + lenalidomide + dexamethasone arm (D-Rd)"
        # Numbers right-aligned.
        for selector in ("td.count", "td.rate", "td.median", "td.hazard-ratio"):
            cell = browser.find_element(By.CSS_SELECTOR, f"#comparison {selector}")
            assert cell.value_of_css_property("text-align") == "right"
        # No horizontal scrolling: neither the page nor the table's box.
        widths = browser.execute_script(
            "const c = document.getElementById('comparison');"
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth,"
            " c.scrollWidth, c.clientWidth];"
        )
        assert widths[0] <= widths[1] and widths[2] <= widths[3], widths
        browser.execute_script("document.getElementById('comparison').scrollIntoView()")
        assert browser.save_screenshot(str(tmp_path / "compact-1280.png"))
        # The forest plot as the page shows it: no label cut, its smallest text at least 10 px on screen.
        forest = browser.find_element(By.ID, "forest")
        wait.until(
            lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", forest)
        )
        svg = httpx.get(str(forest.get_attribute("src"))).text
        assert "…" not in svg
        sizes = [float(s) for s in re.findall(r'font-size="([0-9.]+)"', svg)] + [12.0]
        shown, drawn = browser.execute_script(
            "const f = arguments[0]; return [f.clientWidth, f.naturalWidth];", forest
        )
        assert min(sizes) * shown / drawn >= 10, (min(sizes), shown, drawn)
        browser.execute_script("arguments[0].scrollIntoView()", forest)
        assert browser.save_screenshot(str(tmp_path / "forest-1280.png"))
    finally:
        browser.set_window_size(1600, 1200)
