"""Sensors: portfolio requests dropped into a folder, and new SEC filings per company.

portfolio_requests
    Watches the requests folder of the `inputs` resource: <storage root>/requests/ in the local profile,
    gs://<bucket>/<prefix>/requests/ in production. A user drops a text or CSV file of tickers there. Each file is
    read once: tickers are validated (format, then a source must know the company), new companies
    become partitions, and each accepted company gets one run (run key = file id + ticker) for what
    it is missing or what is stale. On the next tick the file moves to requests/done/ (every ticker
    accepted) or requests/failed/ (anything rejected, or nothing usable) beside a `<file>.reason.txt`.
    The cursor holds the ids (name, size, version = mtime or object generation, content hash) of files
    read but not yet moved, so a restart with the cursor reprocesses nothing; a duplicate file only
    requests what is still due. In a bucket a move is a copy then a delete: a tick that stops between
    them leaves the file in both places with its id still in the cursor, and the next tick finishes
    that move instead of making a second copy (GCSInputsResource.move_request).

company_partition_guard
    The UI's "Add partition" accepts any text. This sensor removes `companies` partition keys that
    are not valid upper-case tickers (their runs fail before anything is written) and logs why, so
    automation, schedules and sensors never keep requesting runs for them.

new_filings
    For every company, the latest 10-K/10-Q/8-K accession from the company directory (SEC EDGAR
    live, else the snapshot's submissions). The cursor is JSON {ticker: accession}. When the
    accession changes, financials and company_research are refreshed for that company; analysis and
    the report follow through automation when their data versions change.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import PurePosixPath

import dagster as dg

from ..models import InvalidTicker, normalize_ticker
from ..settings import AutomationSettings
from ..sources import collect
from ..sources.base import SourceError
from .automation import (
    FULL_GRAPH,
    company_run_in_progress,
    latest_materialization_ts,
    refresh_plan,
    run_request_for,
)
from .inputs import InputsResource, RequestFile
from .jobs import company_report_job
from .partitions import companies, valid_companies
from .resources import SourcesResource


def running_sensor(name: str, interval: int, description: str, job: dg.JobDefinition | None = None):
    """`dg.sensor` as every sensor here is declared: on from the start, ticking every `interval` seconds,
    requesting runs of `job` when given."""
    return dg.sensor(name=name, job=job, minimum_interval_seconds=interval,
                     default_status=dg.DefaultSensorStatus.RUNNING, description=description)

WATCHED_FORMS = ("10-K", "10-Q", "8-K")
REQUEST_SUFFIXES = {".txt", ".csv", ".tsv", ".lst", ""}
MAX_REQUEST_BYTES = 256 * 1024
SETTLE_SECONDS = 1.0          # a file modified more recently may still be being written
HEADER_WORDS = {"ticker", "tickers", "symbol", "symbols"}


# --------------------------------------------------------------------------------- validation
@dataclass
class Validation:
    accepted: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)


def read_tickers(text: str, suffix: str) -> list[str]:
    """Raw ticker strings from a text list (whitespace/comma/semicolon separated, '#' comments) or a
    CSV/TSV (the ticker/symbol column when there is a header, else the first column)."""
    if suffix in {".csv", ".tsv"}:
        rows = [r for r in csv.reader(io.StringIO(text), delimiter="\t" if suffix == ".tsv" else ",")
                if r and any(c.strip() for c in r) and not r[0].lstrip().startswith("#")]
        if not rows:
            return []
        header = [c.strip().lower() for c in rows[0]]
        col = next((i for i, h in enumerate(header) if h in HEADER_WORDS), None)
        body = rows[1:] if col is not None else rows
        col = col or 0
        return [r[col].strip() for r in body if len(r) > col and r[col].strip()]
    out: list[str] = []
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        out.extend(tok for tok in line.replace(",", " ").replace(";", " ").split() if tok)
    if out and out[0].lower() in HEADER_WORDS:
        out = out[1:]
    return out


def shown(raw: str, limit: int = 40) -> str:
    """A rejected entry as it may be written to a log or reason file: ASCII-escaped (no terminal
    escapes, control or direction characters reach a reader) and cut short."""
    text = ascii(raw[:limit])[1:-1]
    return text + ("..." if len(raw) > limit else "")


def validate_tickers(raw: list[str], serve) -> Validation:
    """Format first (normalize_ticker), then the company directory must know the company.

    Rejected entries are keyed by their escaped, shortened form (see `shown`)."""
    v = Validation()
    for item in raw:
        try:
            t = normalize_ticker(item)
        except InvalidTicker as exc:
            v.rejected[shown(item)] = str(exc)
            continue
        if t in v.accepted or t in v.rejected:
            continue
        try:
            collect.profile(serve, t)
        except (SourceError, ValueError) as exc:
            v.rejected[t] = str(exc)
            continue
        v.accepted.append(t)
    return v


def fresh_serve(sources: SourcesResource):
    """Providers built for this tick, so files changed in the snapshot since the last tick are seen."""
    return collect.settings_serve(sources.settings())


# --------------------------------------------------------------------------------- requests folder
def file_id(f: RequestFile, data: bytes) -> str:
    h = hashlib.sha256()
    h.update(f"{f.name}\0{f.size}\0{f.version}\0".encode())
    h.update(data)
    return h.hexdigest()[:16]


def _suffix(name: str) -> str:
    return PurePosixPath(name).suffix.lower()


def _candidates(inputs: InputsResource, now: float) -> list[RequestFile]:
    """Request files that look like ticker lists and have not been modified for SETTLE_SECONDS."""
    out = [f for f in inputs.list_requests()
           if not f.name.startswith(".") and not f.name.endswith((".tmp", ".part", ".reason.txt"))
           and _suffix(f.name) in REQUEST_SUFFIXES and now - f.mtime >= SETTLE_SECONDS]
    return sorted(out, key=lambda f: (f.mtime, f.name))


def _reason_text(name: str, v: Validation, actions: dict[str, str], when: str) -> str:
    lines = [f"request file: {shown(name, 80)}", f"read at: {when}", ""]
    if not v.accepted and not v.rejected:
        lines.append("no tickers found: write one ticker per line (or comma separated), e.g. AAPL")
    for t in v.accepted:
        lines.append(f"{t}: accepted; {actions.get(t, 'queued')}")
    for raw, why in v.rejected.items():
        lines.append(f"{raw}: rejected; {why}")
    return "\n".join(lines) + "\n"


def build_requests_sensor(settings: AutomationSettings) -> dg.SensorDefinition:
    @running_sensor(
        "portfolio_requests", settings.requests_interval, job=company_report_job,
        description="Tickers dropped as a file into the requests folder (<storage root>/requests/, or "
        "gs://<bucket>/<prefix>/requests/ in production): validated, added as companies, built or "
        "refreshed; the file then moves to done/ or failed/ with a reason.",
    )
    def portfolio_requests(context: dg.SensorEvaluationContext, sources: SourcesResource,
                           inputs: InputsResource):
        return evaluate_requests(context, sources, settings, inputs)

    return portfolio_requests


def evaluate_requests(context: dg.SensorEvaluationContext, sources: SourcesResource,
                      settings: AutomationSettings, inputs: InputsResource):
    """One tick over the requests folder of `inputs`."""
    state = json.loads(context.cursor) if context.cursor else {}
    handled: dict[str, dict] = state.get("handled", {})
    now = time.time()
    files = _candidates(inputs, now)
    contents: dict[RequestFile, tuple[str, bytes]] = {}
    for p in files:
        try:
            data = inputs.read_request(p, MAX_REQUEST_BYTES + 1)
        except OSError as exc:
            context.log.warning("could not read %s: %s", shown(p.name, 80), exc)
            continue
        contents[p] = (file_id(p, data), data)

    # phase 1: files read on an earlier tick (their runs are committed): move them out
    present = {fid for fid, _ in contents.values()}
    moved: set[RequestFile] = set()
    for p, (fid, _) in contents.items():
        if fid in handled:
            target = inputs.move_request(p, handled[fid]["dest"], handled[fid]["reason"], fid)
            moved.add(p)
            context.log.info("request file %s moved to %s", shown(p.name, 80), target)
            del handled[fid]
    for fid in [f for f in handled if f not in present]:   # vanished meanwhile: forget
        del handled[fid]

    # phase 2: new files: validate, add partitions, request runs; move on the next tick
    run_requests: list[dg.RunRequest] = []
    requested_now: dict[str, str] = {}
    new_partitions: list[str] = []
    existing = set(context.instance.get_dynamic_partitions(companies.name))
    serve = None
    when = datetime.now(UTC).isoformat(timespec="seconds")
    summary: list[str] = []
    for p, (fid, data) in contents.items():
        if fid in handled or p in moved:
            continue
        if len(data) > MAX_REQUEST_BYTES:
            handled[fid] = {"dest": "failed", "reason": f"request file: {shown(p.name, 80)}\nrejected: larger "
                            f"than {MAX_REQUEST_BYTES // 1024} KiB; a request file is a list of tickers\n"}
            summary.append(f"{shown(p.name, 80)}: rejected, larger than {MAX_REQUEST_BYTES // 1024} KiB")
            context.log.warning("request file %s rejected: larger than %d KiB", shown(p.name, 80),
                                MAX_REQUEST_BYTES // 1024)
            continue
        text = data.decode("utf-8", errors="replace")
        serve = serve or fresh_serve(sources)
        v = validate_tickers(read_tickers(text, _suffix(p.name)), serve)
        actions: dict[str, str] = {}
        for t in v.accepted:
            if t in requested_now:
                actions[t] = f"nothing requested (already requested from {requested_now[t]} on this tick)"
                continue
            if t not in existing and t not in new_partitions:
                new_partitions.append(t)
            plan, why = (FULL_GRAPH, "new company: the whole graph") if t not in existing else \
                refresh_plan(context.instance, t, settings.windows)
            if plan is None:
                actions[t] = f"nothing requested ({why})"
                continue
            run_key = f"request:{fid}:{t}"
            run_requests.append(run_request_for(t, plan, run_key, {
                "consultantos/trigger": "request-file", "consultantos/request-file": p.name[:60]}))
            requested_now[t] = p.name
            actions[t] = f"run requested ({why}; run key {run_key})"
        dest = "done" if v.accepted and not v.rejected else "failed"
        handled[fid] = {"dest": dest, "reason": _reason_text(p.name, v, actions, when)}
        context.log.info("request file %s: accepted %s, rejected %s", shown(p.name, 80), v.accepted or "none",
                         list(v.rejected) or "none")
        for raw, why in v.rejected.items():
            context.log.warning("request file %s: %s rejected: %s", shown(p.name, 80), raw, why)
        summary.append(f"{shown(p.name, 80)}: accepted {', '.join(v.accepted) or 'none'}; rejected "
                       f"{', '.join(v.rejected) or 'none'} (moves to requests/{dest}/ with a reason file)")

    cursor = json.dumps({"handled": handled}, sort_keys=True)
    if not run_requests and not new_partitions:
        said = [f"moved {len(moved)} handled file(s)"] if moved else []
        said += summary or ([] if moved else ["no new request files"])
        return dg.SensorResult(skip_reason=dg.SkipReason("; ".join(said)), cursor=cursor)
    return dg.SensorResult(
        run_requests=run_requests,
        dynamic_partitions_requests=[companies.build_add_request(new_partitions)] if new_partitions else [],
        cursor=cursor,
    )


# --------------------------------------------------------------------------------- new filings
def latest_filing(serve, ticker: str):
    """The newest 10-K/10-Q/8-K for a company (None when it has no submissions data)."""
    prof = collect.profile(serve, ticker)
    filings = serve("directory", lambda d: d.filings(prof, limit=10, forms=WATCHED_FORMS)).value
    return max(filings, key=lambda f: (f.filing_date, f.accession), default=None)


def build_filings_sensor(settings: AutomationSettings) -> dg.SensorDefinition:
    @running_sensor(
        "new_filings", settings.filings_interval, job=company_report_job,
        description="Refreshes a company's financials and research when a new 10-K, 10-Q or 8-K appears "
        "in SEC EDGAR (live) or the snapshot (offline).",
    )
    def new_filings(context: dg.SensorEvaluationContext, sources: SourcesResource):
        return evaluate_filings(context, sources)

    return new_filings


def evaluate_filings(context: dg.SensorEvaluationContext, sources: SourcesResource):
    cursor: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    tickers = sorted(valid_companies(context.instance)[0])
    if not tickers:
        return dg.SensorResult(skip_reason=dg.SkipReason("no companies yet"), cursor=json.dumps(cursor))
    serve = fresh_serve(sources)
    requests: list[dg.RunRequest] = []
    for t in tickers:
        try:
            filing = latest_filing(serve, t)
        except SourceError as exc:
            context.log.warning("%s: filings not checked: %s", t, exc)
            continue
        if filing is None:
            continue
        previous = cursor.get(t)
        if previous == filing.accession:
            continue
        if previous is None and not _filed_after_financials(context.instance, t, filing.filing_date):
            cursor[t] = filing.accession        # first look: remember, nothing new since financials
            continue
        if company_run_in_progress(context.instance, t):
            context.log.info("%s: new %s %s; a run is in progress, checking again next tick",
                             t, filing.form, filing.accession)
            continue
        cursor[t] = filing.accession
        context.log.info("%s: new %s %s filed %s; refreshing financials and research", t, filing.form,
                         filing.accession, filing.filing_date)
        requests.append(dg.RunRequest(
            run_key=f"filing:{t}:{filing.accession}", partition_key=t,
            asset_selection=[dg.AssetKey("financials"), dg.AssetKey("company_research")],
            asset_check_keys=[dg.AssetCheckKey(dg.AssetKey("financials"), "fiscal_periods_sane")],
            tags={"consultantos/trigger": "new-filing", "consultantos/accession": filing.accession,
                  "consultantos/form": filing.form}))
    cursor = {t: a for t, a in cursor.items() if t in set(tickers)}
    if not requests:
        return dg.SensorResult(skip_reason=dg.SkipReason("no new filings"), cursor=json.dumps(cursor, sort_keys=True))
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(cursor, sort_keys=True))


def _filed_after_financials(instance: dg.DagsterInstance, ticker: str, filed: date) -> bool:
    """On first sight of a company: is its newest filing later than its stored financials?"""
    ts = latest_materialization_ts(instance, "financials", ticker)
    if ts is None:
        return False            # never built: automation and the requests sensor build it
    return filed > datetime.fromtimestamp(ts, UTC).date()


# --------------------------------------------------------------------------------- partition guard
def build_partition_guard_sensor(settings: AutomationSettings) -> dg.SensorDefinition:
    @running_sensor(
        "company_partition_guard", settings.requests_interval,
        description="Removes `companies` partitions whose key is not a valid upper-case ticker (the UI's "
        "Add partition accepts any text); their runs fail before writing anything, and this stops "
        "automation and schedules from requesting more.",
    )
    def company_partition_guard(context: dg.SensorEvaluationContext):
        return evaluate_partition_guard(context)

    return company_partition_guard


def evaluate_partition_guard(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    _, bad = valid_companies(context.instance)
    if not bad:
        return dg.SensorResult(skip_reason=dg.SkipReason("every company partition is a valid ticker"))
    for key, why in bad.items():
        context.log.warning("removing company partition %s: %s", shown(key), why)
    return dg.SensorResult(
        dynamic_partitions_requests=[companies.build_delete_request(sorted(bad))],
        skip_reason=dg.SkipReason("removed invalid company partition(s): " + "; ".join(
            f"{shown(k)} ({why})" for k, why in sorted(bad.items()))),
    )
