"""The web page in a real headless Chromium: compare, trace a number to its quote, conflicts, SPARQL."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WAIT_SECONDS = 15


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(
            f"the browser test needs the system Chromium and its driver; missing: {', '.join(missing)} "
            "(install with: apt-get install -y chromium chromium-driver)"
        )
    with tempfile.TemporaryDirectory(prefix="mmkb-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for argument in (
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--window-size=1600,1200",
            f"--user-data-dir={profile}",
        ):
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "SEVERE"})
        driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
        try:
            yield driver
        finally:
            driver.quit()


def _rows_by_cohort(driver: WebDriver) -> dict[str, list[str]]:
    rows = driver.find_elements(By.CSS_SELECTOR, "#comparison table tbody tr[data-cohort]")
    return {
        str(row.get_attribute("data-cohort")).rsplit("/", 1)[-1]: [
            cell.text for cell in row.find_elements(By.TAG_NAME, "td")
        ]
        for row in rows
    }


def _row(driver: WebDriver, cohort: str) -> WebElement:
    return driver.find_element(By.CSS_SELECTOR, f"#comparison tr[data-cohort$='/{cohort}']")


def test_page_compares_traces_lists_conflicts_and_runs_sparql(
    browser: webdriver.Chrome, live_server: str, tmp_path: Path
) -> None:
    wait = WebDriverWait(browser, WAIT_SECONDS)
    browser.get(live_server + "/")
    assert browser.title.startswith("mmkb")
    wait.until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "#studies-table tr[data-study='study-sirius']"))
    )

    # The comparison's selects hold the service's option lists, in its order, its first value chosen.
    options = httpx.get(live_server + "/options").json()
    wait.until(lambda d: len(Select(d.find_element(By.ID, "ci")).options) == len(options["ci"]))
    for select_id, name in (("by", "by"), ("threshold", "threshold"), ("ci", "ci")):
        select = Select(browser.find_element(By.ID, select_id))
        shown = [(o.get_attribute("value"), o.text) for o in select.options]
        assert shown == [(c["value"], c["label"]) for c in options[name]]
        assert select.first_selected_option.get_attribute("value") == options[name][0]["value"]
    drug_classes = Select(browser.find_element(By.ID, "drug-class")).options
    assert [o.get_attribute("value") for o in drug_classes] == ["", *options["drug_class"]]

    # The comparison, grouped by regimen.
    Select(browser.find_element(By.ID, "by")).select_by_value("regimen")
    wait.until(ec.element_to_be_clickable((By.ID, "show"))).click()
    wait.until(
        lambda d: d.find_elements(
            By.XPATH, "//*[@id='comparison']//tr[@class='stratum']/th[text()='daratumumab']"
        )
    )
    sirius = _rows_by_cohort(browser)["sirius-dara16"]
    assert "31/106" in sirius
    assert any(cell.startswith("29.2") for cell in sirius)
    forest = browser.find_element(By.ID, "forest")
    assert "by=regimen" in str(forest.get_attribute("src"))
    wait.until(
        lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", forest)
    )

    # Click the SIRIUS rate: the provenance panel shows the quote, the source and its links.
    cell = browser.find_element(
        By.CSS_SELECTOR, "#comparison tr[data-cohort$='/sirius-dara16'] td.rate[data-claim]"
    )
    assert cell.text.startswith("29.2")
    cell.click()
    panel = wait.until(ec.visibility_of_element_located((By.ID, "provenance")))
    wait.until(ec.text_to_be_present_in_element((By.ID, "provenance-source"), "Lonial 2016"))
    assert "ORR 29.2% (31/106; 95% CI 20.8-38.9)" in panel.find_element(By.ID, "provenance-evidence").text
    assert "reported" in panel.find_element(By.ID, "provenance-derivation").text
    links = [a.get_attribute("href") for a in panel.find_elements(By.CSS_SELECTOR, "#provenance-source a")]
    assert "https://doi.org/10.1016/S0140-6736(15)01120-4" in links
    assert "https://pubmed.ncbi.nlm.nih.gov/26778538/" in links
    assert browser.save_screenshot(str(tmp_path / "provenance.png"))
    browser.find_element(By.ID, "provenance-close").click()

    # By refractory status: honest counts. Only candidate counts fit Nooka cohort 1's hedged ~90% of 19,
    # so its rate is the printed figure marked ~, never an exact-looking 90.0; POLLUX prints percentages
    # over a denominator it does not give, so n shows as unknown with its flag; Nooka cohort 3's 4/12 is
    # derived, and its tooltip says how.
    old_table = browser.find_element(By.CSS_SELECTOR, "#comparison table")
    Select(browser.find_element(By.ID, "by")).select_by_value("refractory-status")
    wait.until(ec.element_to_be_clickable((By.ID, "show"))).click()
    wait.until(ec.staleness_of(old_table))
    rows = _rows_by_cohort(browser)
    nooka1 = _row(browser, "nooka-cohort1")
    assert nooka1.find_element(By.CSS_SELECTOR, "td.count").text == "17-18/19"
    rate = nooka1.find_element(By.CSS_SELECTOR, "td.rate")
    assert rate.text.startswith("~90 (")
    assert rate.get_attribute("data-approximate") == "true"
    assert "17, 18 of 19 all fit" in str(rate.get_attribute("title"))
    assert not any("90.0" in cell for cell in rows["nooka-cohort1"])
    for arm in ("pollux-drd", "pollux-rd"):
        count = _row(browser, arm).find_element(By.CSS_SELECTOR, "td.count")
        assert count.get_attribute("data-n-unknown") == "true"
        assert count.text.startswith("?/not reported")
        assert count.find_element(By.CSS_SELECTOR, ".flag").text == "n unknown"
    assert _row(browser, "pollux-drd").find_element(By.CSS_SELECTOR, "td.rate").text == "92.9"
    # The page writes the medians and hazard ratios from their numbers, as the table writers do.
    drd = _row(browser, "pollux-drd")
    assert drd.find_element(By.CSS_SELECTOR, "td.median").text == "NR"
    hazard_ratio = drd.find_element(By.CSS_SELECTOR, "td.hazard-ratio")
    assert hazard_ratio.text == "0.37 (0.27-0.52) vs POLLUX: lenalidomide + dexamethasone arm (Rd)"
    assert "p < 0.001" in str(hazard_ratio.get_attribute("title"))
    assert (
        _row(browser, "pooled-dara16").find_element(By.CSS_SELECTOR, "td.median").text == "4.0 (2.8-5.6) mo"
    )
    assert _row(browser, "sirius-dara16").find_element(By.CSS_SELECTOR, "td.median").text == "not reported"
    nooka3 = _row(browser, "nooka-cohort3")
    assert "4/12" in rows["nooka-cohort3"]
    assert nooka3.find_element(By.CSS_SELECTOR, "td.rate").text.startswith("33.3 (")
    count_title = str(nooka3.find_element(By.CSS_SELECTOR, "td.count").get_attribute("title"))
    assert "4 of 12: the only count that fits" in count_title
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", nooka1)
    assert browser.save_screenshot(str(tmp_path / "comparison.png"))

    # The derived row's provenance says how its count was obtained.
    nooka3.find_element(By.CSS_SELECTOR, "td.rate").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "provenance-row"), "4/12, 33.3%"))
    assert "4 of 12: the only count that fits" in browser.find_element(By.ID, "provenance-row").text
    assert browser.save_screenshot(str(tmp_path / "provenance-derived.png"))
    browser.find_element(By.ID, "provenance-close").click()
    _row(browser, "pollux-drd").find_element(By.CSS_SELECTOR, "td.rate").click()
    unknown_n = "?/not reported (n unknown), 92.9%"
    wait.until(ec.text_to_be_present_in_element((By.ID, "provenance-row"), unknown_n))
    browser.find_element(By.ID, "provenance-close").click()

    # The letter's counted row: its provenance lists the six Table 1 records, three of them counted.
    counted = wait.until(
        ec.element_to_be_clickable(
            (By.CSS_SELECTOR, "#comparison td.rate[data-claim$='/count-athens-all-PR-or-better']")
        )
    )
    counted.click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "provenance-how"), "counted from patient records"))
    inputs = browser.find_elements(By.CSS_SELECTOR, "#provenance-inputs > li.input")
    assert len(inputs) == 6
    assert sum(1 for i in inputs if i.get_attribute("data-counted") == "true") == 3
    assert "Patient 4" in browser.find_element(By.ID, "provenance-inputs").text
    browser.find_element(By.ID, "provenance-close").click()

    # The conflicts list: every finding the service reports.
    expected = len(httpx.get(live_server + "/conflicts").json())
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#conflicts > li[data-conflict]")) == expected)

    # A named question: its text fills the box, Run shows rows and offers the CSV.
    wait.until(lambda d: d.find_element(By.ID, "question").get_attribute("data-loaded") == "true")
    Select(browser.find_element(By.ID, "question")).select_by_value("conflict-findings")
    wait.until(ec.text_to_be_present_in_element_value((By.ID, "sparql-query"), "# title:"))
    browser.find_element(By.ID, "run-sparql").click()
    wait.until(lambda d: int(d.find_element(By.ID, "sparql-results").get_attribute("data-rows") or 0) > 0)
    headers = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#sparql-results thead th")]
    assert headers[:3] == ["conflict", "rule", "message"]
    assert len(browser.find_elements(By.CSS_SELECTOR, "#sparql-results tbody tr")) >= expected
    csv_link = wait.until(ec.visibility_of_element_located((By.ID, "sparql-csv")))
    assert str(csv_link.get_attribute("href")).startswith("blob:")
    csv_text = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then(r => r.text()).then(done, e => done(String(e)));",
        csv_link.get_attribute("href"),
    )
    assert csv_text.splitlines()[0].startswith("conflict,rule,message")
    # The CSV is written from the one answer the page asked for, as the endpoint writes CSV.
    query = browser.find_element(By.ID, "sparql-query").get_attribute("value")
    served = httpx.post(live_server + "/sparql", data={"query": query}, headers={"Accept": "text/csv"})
    assert csv_text == served.text
    asked = browser.execute_script(
        "return performance.getEntriesByType('resource').filter(e => e.name.endsWith('/sparql')).length"
    )
    assert asked == 1

    # No script errors, and a screenshot of the page.
    assert browser.get_log("browser") == []
    browser.execute_script("window.scrollTo(0, 0)")
    screenshot = tmp_path / "page.png"
    assert browser.save_screenshot(str(screenshot))
    assert screenshot.exists() and screenshot.stat().st_size > 0
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_page_compares_any_endpoint(browser: webdriver.Chrome, live_server: str, tmp_path: Path) -> None:
    wait = WebDriverWait(browser, WAIT_SECONDS)
    browser.get(live_server + "/")
    options = httpx.get(live_server + "/options").json()
    wait.until(lambda d: len(Select(d.find_element(By.ID, "endpoint")).options) == len(options["endpoint"]))
    endpoint = Select(browser.find_element(By.ID, "endpoint"))
    assert [(o.get_attribute("value"), o.text) for o in endpoint.options] == [
        (c["value"], c["label"]) for c in options["endpoint"]
    ]
    assert endpoint.first_selected_option.get_attribute("value") == "response"
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#comparison td.rate")))

    # Median PFS: one row per cohort and data cut, the figure with its interval, the cut and follow-up.
    old_table = browser.find_element(By.CSS_SELECTOR, "#comparison table")
    endpoint.select_by_value("pfs")
    assert not browser.find_element(By.ID, "threshold").is_enabled()
    wait.until(ec.element_to_be_clickable((By.ID, "show"))).click()
    wait.until(ec.staleness_of(old_table))
    table = wait.until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "#comparison table[data-endpoint='pfs']"))
    )
    headings = [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    assert headings[2:5] == ["Median (CI)", "Data cut", "Follow-up"]
    pooled = _row(browser, "pooled-dara16")
    assert pooled.find_element(By.CSS_SELECTOR, "td.figure").text == "4.0 (2.8-5.6) mo"
    assert (
        pooled.find_element(By.CSS_SELECTOR, "td.data-cut").text
        == "Pooled analysis: primary report (Blood 2016)"
    )
    drd = browser.find_elements(By.CSS_SELECTOR, "#comparison tr[data-cohort$='/pollux-drd']")
    assert [r.find_element(By.CSS_SELECTOR, "td.figure").text for r in drd] == ["NR", "NR", "44.5 mo"]
    forest = browser.find_element(By.ID, "forest")
    assert "endpoint=pfs" in str(forest.get_attribute("src"))
    wait.until(
        lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", forest)
    )
    assert browser.save_screenshot(str(tmp_path / "endpoint-pfs.png"))

    # The figure traces to its source like a rate does.
    pooled.find_element(By.CSS_SELECTOR, "td.figure").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "provenance-source"), "Usmani 2016"))
    browser.find_element(By.ID, "provenance-close").click()

    # Grade 3-4 adverse events: one row per cohort and event, the event named, counts first.
    old_table = browser.find_element(By.CSS_SELECTOR, "#comparison table")
    Select(browser.find_element(By.ID, "endpoint")).select_by_value("ae-grade3plus")
    wait.until(ec.element_to_be_clickable((By.ID, "show"))).click()
    wait.until(ec.staleness_of(old_table))
    table = wait.until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "#comparison table[data-endpoint='ae-grade3plus']"))
    )
    headings = [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    assert headings[:2] == ["Cohort", "Event"] and "Median PFS" not in headings
    rows = browser.find_elements(By.CSS_SELECTOR, "#comparison tr[data-cohort$='/mmy1001-dpd-all']")
    cells = {tuple(row.find_elements(By.CSS_SELECTOR, "td")[i].text for i in (1, 3, 4)) for row in rows}
    assert ("neutropenia", "80/103", "77.7 (68.4-85.3)") in cells

    # Back to response: the response table as before.
    old_table = browser.find_element(By.CSS_SELECTOR, "#comparison table")
    Select(browser.find_element(By.ID, "endpoint")).select_by_value("response")
    assert browser.find_element(By.ID, "threshold").is_enabled()
    wait.until(ec.element_to_be_clickable((By.ID, "show"))).click()
    wait.until(ec.staleness_of(old_table))
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#comparison td.rate")))
    assert "endpoint=" not in str(browser.find_element(By.ID, "forest").get_attribute("src"))
