"""The rule-based analyst's name and thresholds: where a figure starts to count as high, thin, slow or
recent, and how much of a framework may rest on priors (pure constants)."""

NAME = "rule-based v2"
# equity / assets at which a bank's capital reads as a cushion (large US banks hold roughly 7-10%)
BANK_EQUITY_CUSHION = 0.08
# net debt / EBITDA above which leverage reads as high, and below which as modest
NET_DEBT_HIGH, NET_DEBT_MODEST = 3.0, 1.5
# operating income / interest below which interest is a burden
COVERAGE_THIN = 4.0
# a gap to a peer median that counts (margins, growth), and the wider gap a prior needs (priors are rough)
PEER_GAP, PRIOR_GAP = 0.02, 0.05
PRIOR_SHARE = 0.2  # at most this share of a framework's points may rest on priors alone
DRAWDOWN_RECENT_DAYS = 365
ATTENTION_MIN = 0.05  # search-interest momentum a recommendation needs
SLOW_GROWTH = 0.04  # compound revenue growth below this reads as slow whatever the sector
