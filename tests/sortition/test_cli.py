"""`python -m sortition select|verify`: round trip, exit codes, located errors."""

from __future__ import annotations

import json
import subprocess
import sys

from sortition.cli import main

FEATURES = "feature,value,min,max\ngender,f,2,3\ngender,m,2,3\nage,young,1,3\nage,old,1,3\n"


def _write(tmp_path, people_rows=None):
    features = tmp_path / "features.csv"
    features.write_text(FEATURES)
    rows = people_rows or [
        f"p{i},{'fm'[i % 2]},{'young' if i % 3 else 'old'},street {i // 2},x" for i in range(12)
    ]
    people = tmp_path / "people.csv"
    people.write_text("pid,gender,age,street,notes\n" + "\n".join(rows) + "\n")
    return features, people


def _args(features, people, report, *extra):
    return [
        "--features",
        str(features),
        "--people",
        str(people),
        "--id-column",
        "pid",
        "--household-columns",
        "street",
        "--report",
        str(report),
        *extra,
    ]


def test_select_then_verify_round_trip(tmp_path, capsys):
    features, people = _write(tmp_path)
    report = tmp_path / "out.json"
    assert (
        main(
            [
                "select",
                *_args(
                    features, people, report, "--size", "4", "--seed", "s1", "--lottery-size", "100"
                ),
            ]
        )
        == 0
    )
    data = json.loads(report.read_text())
    for key in (
        "algorithm",
        "seconds",
        "min_probability",
        "probabilities",
        "pool_sha256",
        "quotas_sha256",
        "lottery",
        "selected",
    ):
        assert key in data
    assert data["lottery"]["m"] == 100 and len(data["selected"]) == 4
    assert main(["verify", *_args(features, people, report, "--seed", "s1")]) == 0
    assert capsys.readouterr().out.split() == data["selected"]
    # Another seed or a changed pool fails verification.
    assert main(["verify", *_args(features, people, report, "--seed", "s2")]) in (0, 3)
    people.write_text(people.read_text().replace("p0,f", "p0,m", 1))
    assert main(["verify", *_args(features, people, report, "--seed", "s1")]) == 3
    assert "pool hash" in capsys.readouterr().err


def test_infeasible_exits_2_with_relaxation(tmp_path):
    features, people = _write(tmp_path)
    features.write_text(FEATURES.replace("gender,f,2,3", "gender,f,4,4"))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sortition",
            "select",
            *_args(features, people, tmp_path / "o.json", "--size", "5"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "minimums for gender add up to 6, 1 more than the panel size 5" in result.stderr
    assert "Smallest change of quotas" in result.stderr


def test_bad_file_names_file_line_and_column(tmp_path, capsys):
    features, people = _write(tmp_path, ["p0,f,young,a,x", "p1,f,middle,b,x"])
    assert main(["select", *_args(features, people, tmp_path / "o.json", "--size", "1")]) == 1
    err = capsys.readouterr().err
    assert f"{people}, line 3, column 3: age 'middle' has no quota" in err
    features.write_text("feature,value,min,max\ngender,f,two,3\n")
    assert main(["select", *_args(features, people, tmp_path / "o.json", "--size", "1")]) == 1
    assert "line 2, column 3: min 'two' is not a whole number" in capsys.readouterr().err


def test_legacy_algorithm(tmp_path):
    features, people = _write(tmp_path)
    report = tmp_path / "out.json"
    assert (
        main(["select", *_args(features, people, report, "--size", "4", "--algorithm", "legacy")])
        == 0
    )
    assert json.loads(report.read_text())["algorithm"] == "legacy"
