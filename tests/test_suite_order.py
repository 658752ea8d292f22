"""The unit stage's schedule: the longest modules go first (tests/conftest.py)."""

from pathlib import Path

from tests.conftest import HEAVY_FIRST, pytest_collection_modifyitems

ROOT = Path(__file__).resolve().parents[1]


def test_the_longest_modules_named_first_exist():
    # A renamed or removed module would silently drop out of the order.
    missing = [path for path in HEAVY_FIRST if not (ROOT / path).is_file()]
    assert not missing, f"HEAVY_FIRST names modules that do not exist: {missing}"
    assert len(set(HEAVY_FIRST)) == len(HEAVY_FIRST)


def test_the_longest_modules_go_first_and_the_rest_keep_their_order():
    class Item:
        def __init__(self, nodeid):
            self.nodeid = nodeid

    ids = ["tests/test_a.py::test_1", f"{HEAVY_FIRST[1]}::test_x", "hlmkit/data.py::hlmkit.data.f",
           f"{HEAVY_FIRST[0]}::test_y", "tests/test_a.py::test_2", f"{HEAVY_FIRST[1]}::test_z"]
    items = [Item(nodeid) for nodeid in ids]
    pytest_collection_modifyitems(None, items)
    assert [item.nodeid for item in items] == [ids[3], ids[1], ids[5], ids[0], ids[2], ids[4]]
