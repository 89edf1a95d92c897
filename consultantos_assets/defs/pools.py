"""Concurrency pools: one per external service, so runs share each service's rate limit.

A pool is an op property with no post-definition setter in Dagster 1.13, so each asset decorator
names its pool from this table (the one place to change them). Limits: `concurrency: pools:
default_limit` in dagster.yaml for any pool without its own limit, and POOL_LIMITS applied to the
instance by `make pools` (`dagster instance concurrency set <pool> <limit>`), which `make ui` runs.

search  Tavily web research (company_research)
trends  Google Trends via pytrends (market_trends); Google throttles hard, so one at a time
sec     SEC EDGAR company facts and submissions (financials; prices are fetched in the financials step).
        company_profile, one directory lookup per run and every run's first step, is in no pool: in
        the sec pool it would keep every other run in the queue until the first one's lookup ended.
        SEC allows 10 requests/s per client: edgartools throttles each process to
        EDGAR_RATE_LIMIT_PER_SEC (default 9); `make ui` sets 2 so the at most 4 concurrent runs stay
        under 10/s together, and the sec pool admits one financials step at a time.
prices  Yahoo Finance (reserved: prices are fetched inside the financials step today)
model   the analyst (LLM calls when a model analyst is configured): frameworks and synthesis
"""

from __future__ import annotations

POOLS: dict[str, str] = {
    "company_research": "search",
    "market_trends": "trends",
    "financials": "sec",
    "porter_five_forces": "model",
    "swot": "model",
    "pestel": "model",
    "blue_ocean": "model",
    "synthesis": "model",
}
# model: 4 so one run's four framework steps run side by side; a second run's model steps queue behind them
POOL_LIMITS: dict[str, int] = {"search": 2, "trends": 1, "prices": 2, "sec": 1, "model": 4}
