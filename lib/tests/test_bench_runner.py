"""The benchmark runner's document: structure, budget failures and the speed probe (no timing)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("bench_runner", ROOT / "benchmarks" / "run.py")
runner = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(runner)


def test_budget_failures_are_collected_from_nested_results():
    result = {"a": {"within_budget": True}, "b": [{"within_budget": False}], "c": {"d": {
        "within_budget": False}}}
    assert runner._budget_failures(result, "x") == ["x.b[0].within_budget", "x.c.d.within_budget"]


def test_speed_probe_is_a_positive_duration():
    probe = runner._speed_probe()
    assert isinstance(probe, float) and 0.0 < probe < 60.0


def test_document_with_a_benchmark(tmp_path, monkeypatch, capsys):
    bench = tmp_path / "bench_tiny.py"
    bench.write_text("def run():\n    return {'x': {'within_budget': False}, 'n': 3}\n")
    monkeypatch.setattr(runner, "HERE", tmp_path)
    out = tmp_path / "doc.json"
    assert runner.main(["--output", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert json.loads(capsys.readouterr().out) == doc
    assert doc["benchmarks"] == {"bench_tiny": {"x": {"within_budget": False}, "n": 3}}
    assert doc["budget_failures"] == ["bench_tiny.x.within_budget"]
    probe = doc["speed_probe_s"]["bench_tiny"]
    assert set(probe) == {"before", "after"} and min(probe.values()) > 0
    assert doc["errors"] == {} and doc["meta"]["cpu_count"] >= 1


def test_a_failing_benchmark_is_an_error(tmp_path, monkeypatch, capsys):
    (tmp_path / "bench_broken.py").write_text("def run():\n    raise ValueError('boom')\n")
    monkeypatch.setattr(runner, "HERE", tmp_path)
    assert runner.main([]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert "ValueError: boom" in doc["errors"]["bench_broken"]
