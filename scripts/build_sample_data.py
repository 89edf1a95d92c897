"""Build the bundled, facts-only snapshot ``consultantos_assets/sample_data/`` from ../shared/data.

    python scripts/build_sample_data.py [--source ../shared/data] [--extra DIR ...]
                                        [--out consultantos_assets/sample_data]

``--extra DIR`` adds further raw payloads laid out like the source (``sec_edgar/companyfacts/``,
``sec_edgar/submissions/``, ``prices_daily/``) with a ``SOURCES.md`` that names every one of its files
and where it came from; they are trimmed exactly like the source's, and that ``SOURCES.md`` becomes
the sample's ``PROVENANCE.md``. A file name found in two inputs is refused.

The output has the layout of any snapshot directory (see DESIGN.md) and is deterministic: JSON
with sorted keys and compact separators, CSV with fixed float formatting and ``\\n`` line ends,
so re-running the script over the same source produces byte-identical files. Prose (business
summaries, XBRL concept descriptions, company descriptions) is never copied.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from consultantos_assets.sources.sec_facts import DEI_CONCEPTS, US_GAAP_CONCEPTS  # noqa: E402

FACT_FORMS = frozenset({"10-K", "10-K/A", "10-Q", "10-Q/A"})
FILING_FORMS = frozenset({"10-K", "10-K/A", "10-Q", "8-K", "DEF 14A", "S-1", "20-F", "6-K"})
FILING_COLUMNS = ("accessionNumber", "filingDate", "reportDate", "form", "primaryDocument", "items",
                  "primaryDocDescription")
MAX_FILINGS = 250
PROFILE_KEYS = ("cik", "entityType", "sic", "sicDescription", "name", "tickers", "exchanges",
                "fiscalYearEnd", "stateOfIncorporation", "formerNames")
COMPANY_COLUMNS = ("ticker", "cik", "name", "sector", "industry", "sic", "sic_description", "headquarters",
                   "state_of_incorporation", "fiscal_year_end", "exchange", "employees", "website",
                   "founded", "keywords")
TRENDS_SUBDIR = "google_trends/weekly_worldwide_2020-08_2025-07"
# Trends keywords that name a company by a brand or product rather than its listed name.
KEYWORD_ALIASES = {"google": ("GOOGL", "GOOG"), "aws": ("AMZN",), "iphone": ("AAPL",)}
# Yahoo exchange codes -> the exchange names SEC uses
YAHOO_EXCHANGES = {"NMS": "Nasdaq", "NGM": "Nasdaq", "NCM": "Nasdaq", "NYQ": "NYSE", "ASE": "NYSE American",
                   "BTS": "CBOE"}
SIZE_LIMIT = 10 * 1024 * 1024
GENERATED = ("sec_edgar", "prices_daily", "google_trends", "company_metadata")
EXTRA_PARTS = ("sec_edgar/companyfacts", "sec_edgar/submissions", "prices_daily")
PROVENANCE = "PROVENANCE.md"


# --- inputs ----------------------------------------------------------------------------------


def check_extra(extra: Path) -> None:
    """An extra input folder has a SOURCES.md naming every file of the parts the build reads from it."""
    if not extra.is_dir():
        raise SystemExit(f"--extra {extra} is not a folder")
    sources = extra / "SOURCES.md"
    if not sources.is_file():
        raise SystemExit(f"--extra {extra} has no SOURCES.md recording where its files came from")
    text = sources.read_text(encoding="utf-8")
    files = [p for part in EXTRA_PARTS if (extra / part).is_dir() for p in sorted((extra / part).iterdir())]
    if not files:
        raise SystemExit(f"--extra {extra} holds none of {', '.join(EXTRA_PARTS)}")
    unnamed = [p.relative_to(extra).as_posix() for p in files if p.name not in text]
    if unnamed:
        raise SystemExit(f"--extra {extra}: SOURCES.md does not name {', '.join(unnamed)}")


def inputs(folders: Iterable[Path], part: str, pattern: str) -> list[Path]:
    """The files matching ``pattern`` in ``part`` of every input folder, by name; a name in two is refused."""
    found: dict[str, tuple[Path, Path]] = {}
    for folder in folders:
        for path in sorted((folder / part).glob(pattern)):
            if path.name in found:
                raise SystemExit(f"{part}/{path.name} is in both {found[path.name][0]} and {folder}: keep one")
            found[path.name] = (folder, path)
    return [found[name][1] for name in sorted(found)]


# --- writing ---------------------------------------------------------------------------------


def write_json(path: Path, payload: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    path.write_text(text + "\n", encoding="utf-8")


def write_csv(path: Path, header: Iterable[str], rows: Iterable[Iterable[Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(header))
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


# --- SEC -------------------------------------------------------------------------------------


def trim_companyfacts(payload: dict) -> dict:
    """Only the concepts the extraction reads, only 10-K/10-Q facts, without descriptions."""
    wanted = {"dei": set(DEI_CONCEPTS), "us-gaap": set(US_GAAP_CONCEPTS)}
    facts: dict[str, dict] = {}
    for taxonomy, concepts in sorted(payload.get("facts", {}).items()):
        for concept, body in sorted(concepts.items()):
            if concept not in wanted.get(taxonomy, ()):
                continue
            units = {}
            for unit, rows in sorted(body.get("units", {}).items()):
                kept = [dict(r) for r in rows if r.get("form") in FACT_FORMS]
                if kept:
                    units[unit] = kept
            if units:
                facts.setdefault(taxonomy, {})[concept] = {"label": body.get("label"), "units": units}
    return {"cik": payload.get("cik"), "entityName": payload.get("entityName"), "facts": facts}


def trim_submissions(payload: dict) -> dict:
    """Profile facts and the recent filings of the forms the research step uses."""
    out: dict[str, Any] = {k: payload.get(k) for k in PROFILE_KEYS}
    business = (payload.get("addresses") or {}).get("business") or {}
    out["addresses"] = {"business": {"city": business.get("city"),
                                     "stateOrCountry": business.get("stateOrCountry")}}
    recent = (payload.get("filings") or {}).get("recent") or {}
    forms = recent.get("form") or []
    rows = [i for i, form in enumerate(forms) if form in FILING_FORMS][:MAX_FILINGS]
    columns = {c: [(recent.get(c) or [None] * len(forms))[i] for i in rows] for c in FILING_COLUMNS}
    out["filings"] = {"recent": columns, "files": []}
    return out


def build_sec(folders: list[Path], out: Path, sp500_ciks: set[int]) -> list[tuple[str, Path, str]]:
    """Trim every companyfacts and S&P 500 submissions payload; (kind, input path, entity name) each."""
    written = []
    for path in inputs(folders, "sec_edgar/companyfacts", "CIK*.json"):
        payload = json.loads(path.read_text(encoding="utf-8"))
        write_json(out / "sec_edgar" / "companyfacts" / path.name, trim_companyfacts(payload))
        written.append(("companyfacts", path, str(payload.get("entityName"))))
    for path in inputs(folders, "sec_edgar/submissions", "CIK*.json"):
        match = re.fullmatch(r"CIK(\d{10})\.json", path.name)
        if not match or int(match.group(1)) not in sp500_ciks:
            continue  # older-filings pages and entities outside the S&P 500
        payload = json.loads(path.read_text(encoding="utf-8"))
        write_json(out / "sec_edgar" / "submissions" / path.name, trim_submissions(payload))
        written.append(("submissions", path, str(payload.get("name"))))
    return written


def sec_ticker_map(source: Path) -> list[tuple[str, int, str]]:
    raw = json.loads((source / "sec_edgar" / "reference" / "company_tickers.json").read_text("utf-8"))
    rows = {(r["ticker"].upper(), int(r["cik_str"]), r["title"]) for r in raw.values()}
    return sorted(rows)


# --- prices and trends ------------------------------------------------------------------------


def build_prices(folders: list[Path], out: Path) -> list[Path]:
    done = []
    for path in inputs(folders, "prices_daily", "*.csv"):
        with path.open(newline="", encoding="utf-8") as handle:
            rows = [
                (r["Date"][:10], *(f"{float(r[c]):.4f}" for c in ("Open", "High", "Low", "Close")),
                 str(int(float(r["Volume"]))))
                for r in csv.DictReader(handle)
            ]
        write_csv(out / "prices_daily" / path.name, ("Date", "Open", "High", "Low", "Close", "Volume"), rows)
        done.append(path)
    return done


def build_trends(source: Path, out: Path) -> dict[str, str]:
    """Copy the weekly CSVs unchanged; return file stem -> keyword (the CSV header's column)."""
    keywords = {}
    target = out / "google_trends"
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted((source / TRENDS_SUBDIR).glob("*.csv")):
        shutil.copyfile(path, target / path.name)
        header = path.read_text(encoding="utf-8").splitlines()[0].split(",", 1)
        keywords[path.stem] = header[1].strip() if len(header) > 1 else path.stem
    return keywords


# --- company metadata -------------------------------------------------------------------------


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _keyword_rank(keyword: str, ticker: str, brand: str) -> tuple[int, str]:
    lower = keyword.lower()
    if keyword.upper() == ticker:
        return 0, ""
    if _norm(keyword) == _norm(brand):
        return 1, ""
    if lower.endswith("stock price"):
        return 3, lower
    if lower.endswith("earnings report"):
        return 4, lower
    return 2, lower


def company_keywords(ticker: str, security: str, trend_keywords: Iterable[str]) -> list[str]:
    """Trends keywords about this company: its ticker, names starting with its brand, aliases."""
    brand = security.split()[0] if security.split() else security
    found = []
    for keyword in trend_keywords:
        first = keyword.split()[0] if keyword.split() else keyword
        if (keyword.upper() == ticker or _norm(first) == _norm(brand)
                or ticker in KEYWORD_ALIASES.get(_norm(first), ())):
            found.append(keyword)
    return sorted(set(found), key=lambda k: _keyword_rank(k, ticker, brand))


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _sec_profiles(source: Path, extras: list[Path]) -> dict[int, dict[str, Any]]:
    """CIK -> SEC profile facts: submissions payloads first, then the reference sample."""
    profiles: dict[int, dict[str, Any]] = {}
    parquet = source / "sec_edgar" / "reference" / "companies_sample.parquet"
    if parquet.is_file():
        import pandas as pd

        for r in pd.read_parquet(parquet).to_dict("records"):
            sic = r.get("sic")
            profiles[int(r["cik"])] = {
                "sic": int(sic) if sic == sic and sic is not None else None,
                "sic_description": r.get("sic_description") or None,
                "state_of_incorporation": r.get("state_of_incorporation") or None,
                "fiscal_year_end": r.get("fiscal_year_end") or None,
                "exchange": (list(r["exchanges"])[0] if r.get("exchanges") is not None
                             and len(r["exchanges"]) else None),
            }
    for path in inputs([source, *extras], "sec_edgar/submissions", "CIK??????????.json"):
        d = json.loads(path.read_text(encoding="utf-8"))
        profiles[int(d["cik"])] = {
            "sic": int(d["sic"]) if d.get("sic") else None,
            "sic_description": d.get("sicDescription") or None,
            "state_of_incorporation": d.get("stateOfIncorporation") or None,
            "fiscal_year_end": d.get("fiscalYearEnd") or None,
            "exchange": (d.get("exchanges") or [None])[0],
        }
    return profiles


def build_companies(source: Path, extras: list[Path], out: Path, trend_keywords: Iterable[str],
                    tickers: list[tuple[str, int, str]]) -> int:
    meta = source / "company_metadata"
    sec_cik = {t: cik for t, cik, _ in tickers}
    yahoo = {r["ticker"].upper(): r for r in _read_csv(meta / "yahoo_company_info_54.csv")}
    profiles = _sec_profiles(source, extras)
    keywords = sorted(trend_keywords)
    rows = []
    for r in _read_csv(meta / "sp500_constituents.csv"):
        ticker = r["Symbol"].strip().upper().replace(".", "-")  # SEC and Yahoo write BRK-B
        cik = sec_cik.get(ticker) or (int(r["CIK"]) if r.get("CIK", "").strip().isdigit() else None)
        sec = profiles.get(cik or -1, {})
        y = yahoo.get(ticker, {})
        employees = y.get("employees", "").strip()
        rows.append((
            ticker, cik, r["Security"].strip(), r["GICS Sector"].strip(), r["GICS Sub-Industry"].strip(),
            sec.get("sic"), sec.get("sic_description"), r["Headquarters Location"].strip(),
            sec.get("state_of_incorporation"), sec.get("fiscal_year_end"),
            sec.get("exchange") or YAHOO_EXCHANGES.get(y.get("exchange", ""), y.get("exchange") or None),
            str(int(float(employees))) if employees else None, y.get("website") or None,
            r.get("Founded", "").strip() or None,
            ";".join(company_keywords(ticker, r["Security"], keywords)),
        ))
    rows.sort(key=lambda row: row[0])
    write_csv(out / "company_metadata" / "companies.csv", COMPANY_COLUMNS, rows)
    return len(rows)


# --- main ------------------------------------------------------------------------------------

README = """# Bundled sample snapshot (facts only)

Built by `python scripts/build_sample_data.py --source ../shared/data{extra_arg} --out consultantos_assets/sample_data`
from the public payloads described in `../shared/data/SOURCES.md`{extra_doc}. Do not edit by hand: re-run the
script (the output is deterministic). No prose (business summaries, descriptions) is copied.

| path | what | from |
|---|---|---|
| `sec_edgar/companyfacts/CIK##########.json` | SEC XBRL company facts for {facts}, trimmed to the concepts the financials extraction reads (income statement, balance sheet, cash flow and capital concepts with their fallbacks, bank figures, the per-share and share-count concepts and SEC split-ratio facts that splits are inferred from, plus dei shares outstanding and public float) and to 10-K, 10-K/A, 10-Q, 10-Q/A facts; SEC's JSON structure, concept descriptions dropped | `data.sec.gov/api/xbrl/companyfacts` payloads recorded by dgunning/edgartools (public domain SEC data){facts_extra} |
| `sec_edgar/submissions/CIK##########.json` | SEC submissions for {subs}: profile facts (cik, entityType, sic, sicDescription, name, tickers, exchanges, fiscalYearEnd, stateOfIncorporation, business city/state, formerNames) and up to {max_filings} recent 10-K, 10-K/A, 10-Q, 8-K, DEF 14A, S-1, 20-F, 6-K filings (accessionNumber, filingDate, reportDate, form, primaryDocument, items, primaryDocDescription); `files` emptied | `data.sec.gov/submissions` payloads recorded by dgunning/edgartools{subs_extra} |
| `prices_daily/<TICKER>.csv` | daily split/dividend-adjusted OHLCV, 4 decimals, for {prices} | Yahoo Finance via yfinance, from Krzysztof-Smykla/Stock-Price-Dashboard (no licence: sample/test use only){prices_extra} |
| `google_trends/<name>.csv` | weekly worldwide Google Trends interest 2020-08..2025-07, copied unchanged ({n_trends} files) | pytrends output from YishayPo/needleInHaystack (no licence: sample/test use only) |
| `company_metadata/companies.csv` | {n_companies} S&P 500 members: GICS sector/industry, headquarters, founded (datasets/s-and-p-500-companies, ODC-PDDL); CIK from SEC's ticker map; SIC, state of incorporation, fiscal year end, exchange from SEC submissions / SEC reference sample; employees, website (and exchange when SEC has none) from Yahoo company info; keywords = Trends files about the company | see left |
| `company_metadata/tickers.csv` | every ticker in SEC's `company_tickers.json` map (as of 2024-05) with CIK and SEC name | `www.sec.gov/files/company_tickers.json` recorded by dgunning/edgartools |
"""


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _from_extra(names: list[str]) -> str:
    return f"; for {', '.join(names)}: the payloads described in `{PROVENANCE}`" if names else ""


def build(source: Path, out: Path, extras: Iterable[Path] = ()) -> int:
    if not (source / "sec_edgar").is_dir():
        raise SystemExit(f"{source} is not the shared data folder (no sec_edgar/ inside)")
    extras = list(extras)
    for extra in extras:
        check_extra(extra)
    for part, pattern in (("sec_edgar/companyfacts", "CIK*.json"), ("sec_edgar/submissions", "CIK*.json"),
                          ("prices_daily", "*.csv")):
        inputs([source, *extras], part, pattern)  # refuse a clash before anything is removed
    for part in GENERATED:  # leave anything else in the folder (e.g. documents/) alone
        if (out / part).is_dir():
            shutil.rmtree(out / part)
    out.mkdir(parents=True, exist_ok=True)
    tickers = sec_ticker_map(source)
    sp500 = _read_csv(source / "company_metadata" / "sp500_constituents.csv")
    sec_cik = {t: cik for t, cik, _ in tickers}
    sp500_ciks = {sec_cik.get(r["Symbol"].upper().replace(".", "-")) or int(r["CIK"]) for r in sp500}
    sec_written = build_sec([source, *extras], out, sp500_ciks)
    prices = build_prices([source, *extras], out)
    trend_keywords = build_trends(source, out)
    n_companies = build_companies(source, extras, out, trend_keywords.values(), tickers)
    write_csv(out / "company_metadata" / "tickers.csv", ("ticker", "cik", "name"), tickers)

    def names(kind: str, extra_only: bool = False) -> list[str]:
        return [name for k, path, name in sec_written
                if k == kind and (not extra_only or not path.is_relative_to(source))]

    extra_prices = [p.stem for p in prices if not p.is_relative_to(source)]
    provenance = out / PROVENANCE
    if extras:
        provenance.write_text("\n".join(e.joinpath("SOURCES.md").read_text(encoding="utf-8").rstrip("\n") + "\n"
                                        for e in extras), encoding="utf-8")
    elif provenance.is_file():
        provenance.unlink()
    (out / "README.md").write_text(README.format(
        facts=", ".join(names("companyfacts")), subs=", ".join(names("submissions")), max_filings=MAX_FILINGS,
        prices=", ".join(p.stem for p in prices), n_trends=len(trend_keywords), n_companies=n_companies,
        extra_arg=" --extra <the folder PROVENANCE.md describes>" * len(extras),
        extra_doc=f" and, for the companies it names, in [`{PROVENANCE}`]({PROVENANCE})" if extras else "",
        facts_extra=_from_extra(names("companyfacts", True)), subs_extra=_from_extra(names("submissions", True)),
        prices_extra=_from_extra(extra_prices)), encoding="utf-8")
    size = folder_size(out)
    print(f"sample written to {out}")
    for kind, path, name in sec_written:
        print(f"  {kind} {path.name} ({name}) from {path.parents[2]}")
    print(f"  prices: {len(prices)} tickers; trends: {len(trend_keywords)} files; "
          f"companies: {n_companies}; tickers: {len(tickers)}")
    print(f"  total size: {size:,} bytes ({size / 1024 / 1024:.2f} MB)")
    if size > SIZE_LIMIT:
        raise SystemExit(f"sample is {size:,} bytes, over the 10 MB limit")
    return size


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--extra", type=Path, action="append", default=[], metavar="DIR",
                        help="a further folder of raw payloads laid out like --source, with a SOURCES.md "
                             "naming each file (repeatable)")
    parser.add_argument("--out", type=Path, default=REPO / "consultantos_assets" / "sample_data")
    args = parser.parse_args(argv)
    build(args.source.resolve(), args.out.resolve(), [e.resolve() for e in args.extra])


if __name__ == "__main__":
    main()
