"""The built-in demo (what ``make run`` runs): pairs laid out as data sets, every method scored."""

from __future__ import annotations

from mtif.cli.main import main
from mtif.data.pairs import find_samples
from mtif.demo import DEMO_PAIRS, STEERING, run_demo, run_steering
from mtif.methods import available_methods


def test_demo_writes_data_sets_and_scores_every_available_method(tmp_path):
    rows = run_demo(tmp_path)
    for task, (_, _, methods) in DEMO_PAIRS.items():
        found = find_samples(tmp_path / task)
        assert [s.name for s in found.samples] == ["demo"]
        assert (found.samples[0].gt is None) == (task == "ivf")  # no ground truth for infrared
        shown = [r.method for r in rows if r.task == task]
        assert shown == [m for m in methods if m in available_methods()]
        for name in shown:
            assert (tmp_path / task / "fused" / f"{name}.png").is_file()
    focus = {r.method: r.scores for r in rows if r.task == "mff"}
    # A focus-fusion method recovers the all-in-focus truth far better than averaging.
    assert focus["laplacian"]["PSNR_gt"] > focus["mean"]["PSNR_gt"] + 5
    assert list(rows[0].scores)[:6] == ["EN", "SD", "SF", "AG", "VIF", "Qabf"]
    infrared = {r.method for r in rows if r.task == "ivf"}
    assert "laplacian" in infrared and "PSNR_gt" not in rows[-1].scores


def test_demo_command_prints_table(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "PSNR_gt" in out and "laplacian" in out and "mertens" in out
    assert any(line.startswith("ivf") and line.rstrip().endswith("-") for line in out.splitlines())


def test_demo_words_steer_the_infrared_network(tmp_path):
    run_demo(tmp_path)
    rows = {r.words: r for r in run_steering(tmp_path) if r.task == "ivf"}
    warm, texture = (rows[w].value for w in STEERING["ivf"][0])
    # Correlation with the infrared image: "warm targets" must lean on it clearly more.
    assert warm > texture + 0.05
    assert all(r.path.is_file() for r in rows.values())
