"""The portfolio schedule: refresh a named portfolio (or every company), one run per company, only
what is due.

CONSULTANTOS_PORTFOLIO names the portfolio: `all` (every company partition) or a name whose file is
<name>.txt in the portfolios folder of the `inputs` resource (<storage root>/portfolios/ locally,
gs://<bucket>/<prefix>/portfolios/ in production): tickers, one per line or comma separated, '#' comments. On each
tick (CONSULTANTOS_PORTFOLIO_CRON) every company gets at most one run: the whole graph when it has no
report yet, else only its sources that are missing or older than their freshness window at the
scheduled time; fresh companies and companies with a run already queued or running are skipped.
Analysis and the report follow through automation when the refreshed data versions change.
"""

from __future__ import annotations

import dagster as dg

from ..settings import AutomationSettings
from .automation import refresh_plan, run_request_for
from .inputs import InputsResource
from .jobs import company_report_job
from .partitions import add_companies, valid_companies
from .resources import SourcesResource
from .sensors import fresh_serve, read_tickers, shown, validate_tickers


def portfolio_tickers(context: dg.ScheduleEvaluationContext, sources: SourcesResource,
                      name: str, inputs: InputsResource) -> tuple[list[str], list[str]]:
    """(tickers to refresh, problems). New valid companies in a named portfolio become partitions."""
    existing, invalid = valid_companies(context.instance)
    existing = sorted(existing)
    skipped = [f"partition {shown(k)} skipped: {why}" for k, why in sorted(invalid.items())]
    if name == "all":
        return existing, skipped
    text = inputs.read_portfolio(name)
    if text is None:
        return [], [f"portfolio {name!r} not found: create {inputs.portfolio_location(name)} with one ticker "
                    "per line, or set CONSULTANTOS_PORTFOLIO=all"]
    raw = read_tickers(text, ".txt")
    known = set(existing)
    unknown_raw = [r for r in raw if r.strip().upper() not in known]
    problems: list[str] = []
    added: list[str] = []
    if unknown_raw:
        v = validate_tickers(unknown_raw, fresh_serve(sources))
        problems = [f"{r}: {why}" for r, why in v.rejected.items()]
        added = [t for t in v.accepted if t not in known]
        if added:
            add_companies(context.instance, added)
            context.log.info("portfolio %s: added companies %s", name, ", ".join(added))
    wanted = {r.strip().upper() for r in raw} & (known | set(added))
    return sorted(wanted), problems


def build_portfolio_schedule(settings: AutomationSettings) -> dg.ScheduleDefinition:
    @dg.schedule(
        name="portfolio_refresh",
        cron_schedule=settings.portfolio_cron,
        execution_timezone=settings.portfolio_timezone,
        job=company_report_job,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"Refresh portfolio '{settings.portfolio}' ({settings.portfolio_cron} "
        f"{settings.portfolio_timezone}): one run per company, only sources past their window.",
    )
    def portfolio_refresh(context: dg.ScheduleEvaluationContext, sources: SourcesResource,
                          inputs: InputsResource):
        return evaluate_portfolio(context, sources, settings, inputs)

    return portfolio_refresh


def evaluate_portfolio(context: dg.ScheduleEvaluationContext, sources: SourcesResource,
                       settings: AutomationSettings, inputs: InputsResource):
    """One tick of the portfolio schedule, over the portfolio files of `inputs`."""
    name = settings.portfolio
    tickers, problems = portfolio_tickers(context, sources, name, inputs)
    for p in problems:
        context.log.warning("portfolio %s: %s", shown(name), p)
    when = context.scheduled_execution_time
    stamp = when.strftime("%Y%m%dT%H%M") if when else "manual"
    requests: list[dg.RunRequest] = []
    skipped: list[str] = []
    for t in tickers:
        plan, why = refresh_plan(context.instance, t, settings.windows, when)
        if plan is None:
            skipped.append(f"{t} ({why})")
            continue
        context.log.info("portfolio %s: %s: %s", name, t, why)
        requests.append(run_request_for(t, plan, f"portfolio:{name}:{t}:{stamp}",
                                        {"consultantos/trigger": "portfolio-schedule",
                                         "consultantos/portfolio": name}))
    if requests:
        return requests
    if not tickers:
        return dg.SkipReason("; ".join(problems) or f"portfolio {name!r} has no companies yet")
    return dg.SkipReason(f"nothing stale in portfolio {name!r}: " + "; ".join(skipped + problems))
