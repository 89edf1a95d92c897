"""The benchmark's floor (bench/trivial_graph.py) has the real graph's shape: the same assets, inputs,
bare dependencies and asset checks, so `cold / floor` measures our work, not a smaller graph."""

from __future__ import annotations

import importlib.util

from .conftest import REPO


def _floor():
    spec = importlib.util.spec_from_file_location("trivial_graph", REPO / "bench" / "trivial_graph.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_floor_has_the_graph_s_assets_inputs_dependencies_and_checks():
    from consultantos_assets.defs import build_definitions

    job = build_definitions().resolve_job_def("company_report")
    inputs, deps, checks = {}, {}, {}
    for ad in job.asset_layer.asset_graph.assets_defs:
        if not ad.is_executable:
            continue
        (key,) = ad.keys
        name = key.to_user_string()
        by_input = {n: ad.keys_by_input_name[n].to_user_string() for n in ad.keys_by_input_name}
        nothing = {d.name for d in ad.node_def.input_defs if d.dagster_type.is_nothing}
        inputs[name] = sorted(u for n, u in by_input.items() if n not in nothing)
        deps[name] = sorted(u for n, u in by_input.items() if n in nothing)
        checks[name] = sorted(c.name for c in ad.check_keys)
    floor = _floor()
    assert set(floor.SHAPE) == set(inputs)
    for name, upstream in floor.SHAPE.items():
        only = floor.DEPS_ONLY.get(name, [])
        assert sorted(u for u in upstream if u not in only) == inputs[name], name
        assert sorted(only) == deps[name], name
        assert sorted(floor.CHECKS.get(name, [])) == checks[name], name
