"""Every CSV the tool writes loads into typed columns with pandas.read_csv, and every JSON
carries the tool's version."""
import io
import json
import os
import subprocess

import pandas
import pytest

SPECS = {
    "single": ["--vocab", "4096", "--rollouts", "1e5", "--prior", "zipf:1.1"],
    "group": ["--vocab", "1024", "--group", "8", "--prompts", "1e4"],
    "token": ["--length", "64", "--episodes", "1e4", "--noise", "0.1"],
    "sft": ["--vocab", "64", "--positives", "1e4"],
    "gradient": ["--vocab", "16", "--group", "4", "--advantage", "rloo", "--prompts", "2000"],
    "learner": ["--vocab", "64", "--group", "4", "--steps", "4", "--learner", "thompson", "--runs", "2000"],
}


def rewardbits(*arguments: str) -> str:
    return subprocess.run([os.environ["REWARDBITS_BIN"], *arguments], check=True, capture_output=True,
                          text=True).stdout


def assert_typed(df: pandas.DataFrame, integers=("samples", "rollouts", "seed")) -> None:
    """No column holds numbers as text, and counts are integers."""
    for column in df.columns:
        if df[column].dtype == object:
            as_numbers = pandas.to_numeric(df[column].dropna(), errors="coerce")
            assert as_numbers.isna().all(), f"column {column} holds numbers as text: {list(df[column][:3])}"
    for column in integers:
        if column in df:
            assert df[column].dtype.kind in "iu", f"{column} is {df[column].dtype}"
    for column in ("estimate", "ci_low", "ci_high"):
        if column in df:
            assert df[column].dtype.kind == "f", f"{column} is {df[column].dtype}"


@pytest.mark.parametrize("channel", sorted(SPECS))
def test_estimate_csv_has_a_column_per_parameter(channel):
    df = pandas.read_csv(io.StringIO(rewardbits("estimate", channel, *SPECS[channel], "--csv", "--quiet")))
    assert len(df) == 1
    assert_typed(df)
    assert "params" not in df.columns
    assert df["version"][0] == json.loads(rewardbits("estimate", channel, *SPECS[channel], "--json",
                                                     "--quiet"))["version"]["tool"]
    for name in SPECS[channel][0::2]:
        column = name[2:].replace("-", "_")
        assert column in df.columns, column


def test_group_reports_bits_per_rollout():
    data = json.loads(rewardbits("estimate", "group", *SPECS["group"], "--json", "--quiet"))
    assert data["bits_per_rollout"]["estimate"] == pytest.approx(data["estimate"] / 8, rel=1e-12)
    assert data["bits_per_rollout"]["exact"] == pytest.approx(data["exact"] / 8, rel=1e-12)
    assert data["throughput"]["unit"] == "rollouts"
    token = pandas.read_csv(io.StringIO(rewardbits("estimate", "token", *SPECS["token"], "--csv", "--quiet")))
    assert token["throughput_unit"][0] == "token rewards"


def test_sweep_exact_merge_and_histogram_csv(tmp_path):
    sweep = pandas.read_csv(io.StringIO(rewardbits("sweep", "group", "--vocab", "1024", "--group", "1,4,16",
                                                   "--prompts", "1e4", "--csv", "--quiet")))
    assert list(sweep["group"]) == [1, 4, 16]
    assert_typed(sweep, integers=("group", "vocab", "prompts", "samples", "seed"))
    assert "bound_log2_K_plus_1" in sweep and "bound_estimate_mean_log2_M_plus_1" in sweep
    scaled = pandas.read_csv(io.StringIO(rewardbits("sweep", "single", "--vocab", "64", "--rollouts", "1e4,1e5",
                                                    "--csv", "--quiet")))
    assert list(scaled["rollouts"]) == [10000, 100000]
    exact = pandas.read_csv(io.StringIO(rewardbits("exact", "group", "--vocab", "1024", "--group", "8", "--csv")))
    assert_typed(exact, integers=("vocab", "group"))
    assert json.loads(rewardbits("exact", "group", "--vocab", "1024", "--group", "8", "--json"))["version"]["stream_format"] >= 1
    histogram = pandas.read_csv(io.StringIO(rewardbits("estimate", "token", "--length", "64", "--reward", "sum",
                                                       "--episodes", "1e4", "--histogram", "--csv", "--quiet")))
    assert_typed(histogram, integers=())
    parts = []
    for i in range(2):
        path = str(tmp_path / f"p{i}.rwb")
        rewardbits("estimate", "group", *SPECS["group"], "--block-size", "1000", "--shard", f"{i}/2", "--partial", path)
        parts.append(path)
    merged = pandas.read_csv(io.StringIO(rewardbits("merge", "--csv", *parts)))
    assert_typed(merged)
    assert merged["merged_parts"][0] == 2


def test_reproduce_csvs_name_their_x(tmp_path):
    subprocess.run([os.environ["REWARDBITS_BIN"], "reproduce", "--quick", "--out", str(tmp_path)], check=True,
                   capture_output=True)
    expected = {"fig5_single_vs_V": "vocab", "fig6_group_vs_K": "group", "fig7_token_vs_T": "length"}
    files = sorted(tmp_path.glob("*.csv"))
    assert len(files) >= 10
    for path in files:
        df = pandas.read_csv(path)
        assert_typed(df, integers=("samples", "rollouts", "seed"))
        assert df.columns[2] != "x", path.name
        if path.stem in expected:
            assert df.columns[2] == expected[path.stem]
            assert df[expected[path.stem]].dtype.kind == "i"


def test_seeds_beyond_2_53_are_strings_in_json():
    big = json.loads(rewardbits("estimate", "single", "--vocab", "64", "--rollouts", "1e4", "--seed",
                                "18446744073709551615", "--json", "--quiet"))
    assert big["seed"] == "18446744073709551615"
    small = json.loads(rewardbits("estimate", "single", "--vocab", "64", "--rollouts", "1e4", "--seed", "7",
                                  "--json", "--quiet"))
    assert small["seed"] == 7
