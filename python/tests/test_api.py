import math
import os
from pathlib import Path

import pandas
import pytest

import rewardbits
from rewardbits import RewardBitsError


def test_estimate_returns_a_typed_result():
    r = rewardbits.estimate("group", vocab=1024, group=8, prompts=10**5, seed=3, progress=False)
    assert r.channel == "group"
    assert r.ci[0] <= r.estimate <= r.ci[1]
    assert r.level == 0.95
    assert r.exact is not None and r.z is not None
    # z is what the engine computed from its own numbers.
    assert math.isclose(r.z, (r.estimate - r.exact) / r.stderr, rel_tol=1e-9)
    assert abs(r.z) < 5
    assert r.params["vocab"] == 1024 and r.params["group"] == 8 and r.params["prompts"] == 10**5
    assert r.samples == 10**5 and r.rollouts == 8 * 10**5
    assert isinstance(r.warnings, list)
    assert "bounds" in r.json


def test_options_map_to_the_command_line():
    words = rewardbits.option_words({"vocab": 1024, "target_halfwidth": 1e-5, "histogram": True,
                                     "quiet": False, "seed": None, "group": [1, 2, 4], "prompts": 1e6})
    assert words == ["--vocab", "1024", "--target-halfwidth", "1e-05", "--histogram", "--group", "1,2,4",
                     "--prompts", "1000000"]


def test_target_halfwidth_and_seed_reach_the_engine():
    r = rewardbits.estimate("single", vocab=64, rollouts=10**7, target_halfwidth=5e-3, seed=11, progress=False)
    assert r.halfwidth <= 5e-3
    assert r.seed == 11
    assert r.params["target_halfwidth"] == 5e-3
    again = rewardbits.estimate("single", vocab=64, rollouts=10**7, target_halfwidth=5e-3, seed=11, progress=False)
    assert again.estimate == r.estimate


def test_exact():
    assert math.isclose(rewardbits.exact("single", vocab=2), 1.0)
    assert math.isclose(rewardbits.exact("group", vocab=1024, group=1), rewardbits.exact("single", vocab=1024))


def test_errors_carry_the_command_line_and_exit_code():
    with pytest.raises(RewardBitsError) as caught:
        rewardbits.estimate("group", vocab=1, group=4, prompts=100, progress=False)
    assert str(caught.value).startswith("rewardbits: error:")
    assert "--vocab" in str(caught.value)
    assert caught.value.exit_code == 64
    with pytest.raises(RewardBitsError) as unknown:
        rewardbits.estimate("grop", vocab=4)
    assert "unknown channel" in str(unknown.value)


def test_sweep_is_a_dataframe_with_a_column_per_parameter():
    df = rewardbits.sweep("group", vocab=1024, group=[1, 2, 4], prompts=10**5, progress=False)
    assert isinstance(df, pandas.DataFrame)
    assert list(df["group"]) == [1, 2, 4]
    for column in ("estimate", "ci_low", "ci_high", "exact", "z", "vocab", "prompts", "prior", "warnings"):
        assert column in df.columns, column
    assert (df["ci_low"] <= df["estimate"]).all() and (df["estimate"] <= df["ci_high"]).all()
    assert df["estimate"].dtype == float and df["vocab"].dtype.kind == "i"
    assert (df["estimate"].diff().dropna() > 0).all()
    with pytest.raises(RewardBitsError):
        rewardbits.sweep("group", vocab=[2, 4], group=[1, 2], prompts=100)


def test_shards_merge_to_one_process(tmp_path):
    options = dict(vocab=4096, rollouts=2 * 10**5, prior="zipf:1.1", block_size=10000, seed=5)
    parts = []
    for i in range(3):
        path = tmp_path / f"part-{i}.rwb"
        summary = rewardbits.shard("single", i, 3, path, **options)
        assert summary["shard"] == f"{i}/3"
        parts.append(path)
    assert rewardbits.missing_shards(parts[:2]) == ["2/3"]
    assert rewardbits.missing_shards(parts) == []
    merged = rewardbits.merge(parts[::-1])
    one = rewardbits.estimate("single", progress=False, **options)
    assert merged.estimate == one.estimate and merged.ci == one.ci
    assert merged.params["merged_parts"] == 3


def test_progress_follows_the_json_stream(monkeypatch):
    bars = []

    class Recorder:
        def __init__(self, total, **_):
            self.total, self.n, self.postfix = total, 0, ""
            bars.append(self)

        def update(self, k):
            self.n += k

        def set_postfix_str(self, text, refresh=True):
            self.postfix = text

        def close(self):
            pass

    monkeypatch.setattr("rewardbits._run._progress_bar", lambda enabled: Recorder)
    r = rewardbits.estimate("group", vocab=1024, group=32, prompts=3 * 10**6, block_size=2**15)
    assert bars, "no progress object was read"
    assert bars[-1].total == 3 * 10**6 and bars[-1].n == r.samples
    assert bars[-1].postfix.startswith("CI +-")


def test_missing_binary_says_how_to_build(monkeypatch, tmp_path):
    monkeypatch.delenv("REWARDBITS_BIN", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(RewardBitsError) as caught:
        rewardbits.find_binary()
    assert "swift build -c release" in str(caught.value)
    with pytest.raises(RewardBitsError):
        rewardbits.find_binary(str(tmp_path / "nothing"))


def test_binary_found_above_the_current_folder(monkeypatch, tmp_path):
    built = Path(os.environ["REWARDBITS_BIN"])
    monkeypatch.delenv("REWARDBITS_BIN", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.chdir(built.parents[2] / "python")
    assert rewardbits.find_binary() == str(built.parents[2] / ".build" / "release" / "rewardbits")


def test_errorbar_plot():
    from rewardbits import plot

    df = rewardbits.sweep("group", vocab=1024, group=[1, 4, 16, 64], prompts=10**4, progress=False)
    ax = plot.errorbar(df, x="group", z_panel=True)
    assert ax.get_xscale() == "log"
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == ["estimate (95% CI)", "exact"]
    assert len(ax.figure.axes) == 2
