"""Stores each asset value (a pydantic model) as JSON under the storage root, written atomically."""

from __future__ import annotations

import importlib
import json
import logging
from abc import abstractmethod
from pathlib import Path

import dagster as dg
from pydantic import BaseModel

from ..atomic import atomic_write_text
from ..value_files import value_path

_ALLOWED_PREFIX = "consultantos_assets.models"


def envelope_text(obj: BaseModel) -> str:
    """The stored form of a value, in every profile: {"type": <model class>, "value": <model as JSON>}."""
    cls = type(obj)
    envelope = {
        "type": f"{cls.__module__}.{cls.__qualname__}",
        "value": obj.model_dump(mode="json", by_alias=True),
    }
    return json.dumps(envelope, indent=1, ensure_ascii=False)


def model_from_envelope(text: str, where: str) -> BaseModel:
    """The value of a stored envelope; only classes from consultantos_assets.models are instantiated."""
    envelope = json.loads(text)
    module, _, name = envelope["type"].rpartition(".")
    if not module.startswith(_ALLOWED_PREFIX):
        raise ValueError(f"refusing to load type {envelope['type']!r} from {where}")
    cls = getattr(importlib.import_module(module), name)
    return cls.model_validate(envelope["value"])


def load_value(base_dir: str | Path, asset: str, partition: str) -> BaseModel:
    path = value_path(base_dir, asset, partition)
    if not path.exists():
        raise FileNotFoundError(f"no stored value for {asset} [{partition}] at {path}")
    return model_from_envelope(path.read_text(encoding="utf-8"), str(path))


class JsonEnvelopeIOManager(dg.ConfigurableIOManager):
    """Asset values as JSON envelopes, one object per asset and company, in every profile. The storage
    interface each profile implements: where an object lives (`location`), how its text is written and read
    (`write_text`, `read_text`) and how the catalog links to it (`stored_at`): files here
    (ModelJsonIOManager), objects in a bucket in production (GCSModelJsonIOManager)."""

    @abstractmethod
    def location(self, asset: str, partition: str | None) -> str: ...

    @abstractmethod
    def write_text(self, location: str, text: str) -> None: ...

    @abstractmethod
    def read_text(self, location: str) -> str:
        """The stored text; FileNotFoundError when nothing is stored there."""

    @abstractmethod
    def stored_at(self, location: str) -> dg.MetadataValue: ...

    def _where(self, context: dg.OutputContext | dg.InputContext) -> str:
        partition = context.asset_partition_key if context.has_asset_partitions else None
        return self.location("/".join(context.asset_key.path), partition)

    def handle_output(self, context: dg.OutputContext, obj: BaseModel) -> None:
        if not isinstance(obj, BaseModel):
            raise TypeError(f"{context.asset_key.to_user_string()} returned {type(obj).__name__}, not a model")
        location = self._where(context)
        self.write_text(location, envelope_text(obj))
        context.add_output_metadata({"stored_at": self.stored_at(location)})

    def load_input(self, context: dg.InputContext) -> BaseModel:
        location = self._where(context)
        return model_from_envelope(self.read_text(location), location)

    def stored_value(self, asset_key: dg.AssetKey, partition: str) -> BaseModel | None:
        """The value last stored for this asset and company, or None when nothing (usable) is stored (a
        source asset keeps it in use when a live refresh fails)."""
        try:
            location = self.location("/".join(asset_key.path), partition)
            return model_from_envelope(self.read_text(location), location)
        except FileNotFoundError:
            return None
        except ValueError as exc:  # not a ticker, unreadable, or of an older shape: as good as nothing stored
            logging.getLogger(__name__).warning("stored %s [%s] is unusable: %s", asset_key.to_user_string(),
                                                partition, exc)
            return None


class ModelJsonIOManager(JsonEnvelopeIOManager):
    """One JSON file per asset and company under `base_dir`, written atomically: readable, diffable, and
    shared by the CLI and the UI."""

    base_dir: str

    def location(self, asset: str, partition: str | None) -> str:
        return str(value_path(self.base_dir, asset, partition or "__all__"))

    def write_text(self, location: str, text: str) -> None:
        atomic_write_text(Path(location), text)

    def read_text(self, location: str) -> str:
        path = Path(location)
        if not path.exists():
            raise FileNotFoundError(f"no stored value at {path}")
        return path.read_text(encoding="utf-8")

    def stored_at(self, location: str) -> dg.MetadataValue:
        return dg.MetadataValue.path(location)
