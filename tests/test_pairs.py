"""Pairing input series on disk: layouts, names, extensions, problems reported, real sets."""

from __future__ import annotations

from pathlib import Path

import pytest

from mtif.data import (
    Sample,
    find_samples,
    infer_task,
    load_split,
    make_split,
    natural_key,
    select_samples,
    split_names,
)


def make_tree(root: Path, files: list[str]) -> Path:
    """Create empty files (pairing looks at names only, it never decodes pixels)."""
    for rel in files:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")
    return root


def test_pairs_by_stem_with_mixed_extensions(tmp_path: Path) -> None:
    make_tree(tmp_path, ["A/x.JPG", "B/x.jpg", "A/y.tif", "B/y.png", "A/z.jpeg", "B/z.JPEG"])
    found = find_samples(tmp_path)
    assert found.samples == [
        Sample("x", (tmp_path / "A/x.JPG", tmp_path / "B/x.jpg")),
        Sample("y", (tmp_path / "A/y.tif", tmp_path / "B/y.png")),
        Sample("z", (tmp_path / "A/z.jpeg", tmp_path / "B/z.JPEG")),
    ]
    assert found.unpaired == []
    assert found.folders == ("A", "B")
    assert found.task is None


def test_unpaired_files_are_reported_and_left_out(tmp_path: Path) -> None:
    make_tree(tmp_path, ["A/a.png", "A/b.png", "B/a.png", "B/c.jpg"])
    found = find_samples(tmp_path)
    assert [s.name for s in found.samples] == ["a"]
    assert found.unpaired == ["A/b.png: no matching file in B", "B/c.jpg: no matching file in A"]


def test_series_of_more_inputs_in_letter_order(tmp_path: Path) -> None:
    # E/ is missing, so F/ is not part of the series.
    files = [f"{d}/s1.png" for d in "ABCDF"] + ["A/s2.png", "B/s2.png", "C/s2.png"]
    found = find_samples(make_tree(tmp_path, files))
    assert found.folders == ("A", "B", "C", "D")
    assert found.samples == [Sample("s1", tuple(tmp_path / d / "s1.png" for d in "ABCD"))]
    assert found.unpaired == [f"{d}/s2.png: no matching file in D" for d in "ABC"]


def test_ground_truth_folder(tmp_path: Path) -> None:
    make_tree(tmp_path, ["a/p.png", "b/p.png", "a/q.png", "b/q.png", "Gt/p.png", "Gt/zz.png"])
    found = find_samples(tmp_path)
    assert found.samples == [
        Sample("p", (tmp_path / "a/p.png", tmp_path / "b/p.png"), tmp_path / "Gt/p.png"),
        Sample("q", (tmp_path / "a/q.png", tmp_path / "b/q.png"), None),
    ]
    assert found.unpaired == [
        "q: no ground truth in Gt/; scored without it",
        "Gt/zz.png: no matching inputs",
    ]


@pytest.mark.parametrize(
    ("first", "second", "task"),
    [("UNDER", "OVER", "mef"), ("near", "Far", "mff"), ("IR", "VI", "ivf"), ("ir", "VIS", "ivf")],
)
def test_film_style_folder_names(tmp_path: Path, first: str, second: str, task: str) -> None:
    # Written second-folder first: input order must come from the layout, not the disk.
    make_tree(tmp_path, [f"{second}/k.png", f"{first}/k.png", "GT/k.png"])
    found = find_samples(tmp_path)
    assert found.samples == [
        Sample(
            "k", (tmp_path / first / "k.png", tmp_path / second / "k.png"), tmp_path / "GT/k.png"
        )
    ]
    assert found.task == task
    assert infer_task(tmp_path) == task
    assert infer_task([second, first]) == task


def test_infer_task_without_a_named_layout() -> None:
    assert infer_task(["A", "B", "C"]) is None
    assert infer_task(["text", "lists"]) is None


def test_non_images_and_other_folders_are_ignored(tmp_path: Path) -> None:
    make_tree(
        tmp_path,
        ["A/m.png", "B/m.png", "A/notes.txt", "B/.DS_Store", "B/._m.png", "A/m.json"]
        + ["text/NEAR/m.txt", "triple/A/m.png", "MANIFEST.csv"],
    )
    found = find_samples(tmp_path)
    assert [s.name for s in found.samples] == ["m"]
    assert found.unpaired == []


def test_same_stem_twice_in_one_folder_is_reported(tmp_path: Path) -> None:
    make_tree(tmp_path, ["A/d.jpg", "A/d.png", "B/d.png", "A/e.png", "B/e.png"])
    found = find_samples(tmp_path)
    assert [s.name for s in found.samples] == ["e"]
    assert found.unpaired[0] == "A/d: 2 files share this name (d.jpg, d.png); skipped"
    assert found.unpaired[1] == "B/d.png: no matching file in A"


def test_natural_order() -> None:
    names = ["img10", "img2", "Img1", "a-3", "a-20"]
    assert sorted(names, key=natural_key) == ["a-3", "a-20", "Img1", "img2", "img10"]


def test_samples_come_in_natural_order(tmp_path: Path) -> None:
    files = [f"{d}/{n}.png" for n in ("f10", "f9", "f1") for d in "AB"]
    assert [s.name for s in find_samples(make_tree(tmp_path, files)).samples] == [
        "f1",
        "f9",
        "f10",
    ]


def test_empty_folder_explains_expected_layout(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"expected sub-folders A/ and B/.*found no sub-folders"):
        find_samples(tmp_path)


def test_folder_with_layout_but_no_images(tmp_path: Path) -> None:
    make_tree(tmp_path, ["A/readme.txt", "B/x.txt"])
    with pytest.raises(ValueError, match="no complete image series"):
        find_samples(tmp_path)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such data folder"):
        find_samples(tmp_path / "nope")


def test_layout_one_level_down_is_suggested(tmp_path: Path) -> None:
    make_tree(tmp_path, ["test/A/a.png", "test/B/a.png", "lists/test.txt"])
    with pytest.raises(ValueError, match=r"found lists/, test/; try .*test$"):
        find_samples(tmp_path)


def test_two_layouts_at_once_are_refused(tmp_path: Path) -> None:
    make_tree(tmp_path, ["A/a.png", "B/a.png", "UNDER/a.png", "OVER/a.png"])
    with pytest.raises(ValueError, match="ambiguous layout"):
        find_samples(tmp_path)


@pytest.mark.parametrize(
    ("folder", "n_pairs", "n_inputs"),
    [
        ("MEFB", 100, 2),
        ("Lytro", 20, 2),
        ("Lytro/triple", 4, 3),
        ("RealMFF_subset/test", 71, 2),
        ("RoadScene", 221, 2),
        ("MSRS_samples", 6, 2),
    ],
)
def test_shared_sets_load(shared_data: Path, folder: str, n_pairs: int, n_inputs: int) -> None:
    root = shared_data / folder
    if not root.is_dir():
        pytest.skip(f"{root} not present")
    found = find_samples(root)
    assert len(found.samples) == n_pairs
    assert found.unpaired == []
    assert {len(s.inputs) for s in found.samples} == {n_inputs}
    assert all(p.is_file() for s in found.samples for p in s.inputs)


def test_select_samples_keeps_the_set_order_and_reports_missing_names(tmp_path: Path) -> None:
    files = [f"{d}/{n}.png" for n in ("s1", "s2", "s10", "s3") for d in "AB"] + ["A/lone.png"]
    found = find_samples(make_tree(tmp_path, files))
    picked = select_samples(found, ["s10", "s1"])
    assert [s.name for s in picked.samples] == ["s1", "s10"]
    assert picked.unpaired == found.unpaired == ["A/lone.png: no matching file in B"]
    assert picked.folders == ("A", "B")
    assert [s.name for s in found.samples] == ["s1", "s2", "s3", "s10"]  # left as it was
    with pytest.raises(ValueError, match=r"2 of the 3 selected samples .*: lone, zz"):
        select_samples(found, ["s2", "zz", "lone"])


def test_make_split_is_reproducible_and_order_free() -> None:
    names = [f"img{i}" for i in range(30)]
    split = make_split(names, 20, seed=5)
    assert len(split["train"]) == 20 and len(split["test"]) == 10
    assert set(split["train"]).isdisjoint(split["test"])
    assert set(split["train"]) | set(split["test"]) == set(names)
    assert split["test"] == sorted(split["test"], key=natural_key)
    assert make_split(names[::-1], 20, seed=5) == split  # the order on disk does not matter
    assert make_split(names, 20, seed=6) != split
    with pytest.raises(ValueError, match="between 0 and 30"):
        make_split(names, 31, seed=5)
    with pytest.raises(ValueError, match="repeated: img3"):
        make_split([*names, "img3"], 5, seed=5)


def test_shipped_roadscene_split() -> None:
    split = load_split("roadscene")
    assert (len(split["train"]), len(split["test"])) == (150, 71)
    assert set(split["train"]).isdisjoint(split["test"])
    assert split_names("roadscene:test") == split["test"]
    for bad in ("roadscene", "roadscene:val"):
        with pytest.raises(ValueError, match="NAME:PART"):
            split_names(bad)
    with pytest.raises(ValueError, match="unknown split 'msrs'; shipped splits: roadscene"):
        split_names("msrs:train")


def test_roadscene_split_is_the_documented_rule(shared_data: Path) -> None:
    root = shared_data / "RoadScene"
    if not root.is_dir():
        pytest.skip(f"{root} not present")
    names = [s.name for s in find_samples(root).samples]
    assert len(names) == 221
    assert load_split("roadscene") == make_split(names, n_train=150, seed=2026)
