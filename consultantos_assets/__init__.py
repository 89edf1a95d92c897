"""ConsultantOS: company research to a consulting-grade PDF, as Dagster assets."""

__version__ = "0.1.0"
