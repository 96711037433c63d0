"""The official list of administrative units, as a plain facts file, and the check against it.

`geodata/provinces/official_units.csv` holds, per unit: province code and official name,
commune code, official full name and type. It is extracted at dev time from the DATA
of the PyPI package vietnam-provinces 2026.9.0 (GPL-3.0; its code is never imported or
copied): read straight from the wheel, which needs no install (it requires Python 3.12):

    pip download --no-deps --python-version 3.12 --only-binary=:all: -d /tmp/vp vietnam-provinces==2026.9.0
    python -m coordination.areas.official /tmp/vp/vietnam_provinces-2026.9.0-py3-none-any.whl \
        geodata/provinces/official_units.csv

The check reports every difference and fixes none: a person decides which side is right.
"""
import csv
import json
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

COLUMNS = ["ma_tinh", "ten_tinh", "ma_xa", "ten_day_du", "loai"]
DATA_IN_WHEEL = "vietnam_provinces/data/nested-divisions.json"


@dataclass(frozen=True)
class Mismatch:
    ma_tinh: str
    ma_xa: str  # "" for the province itself
    field: str
    ours: str
    official: str

    def __str__(self) -> str:
        return (f"{self.ma_tinh} {self.ma_xa or '--'} {self.field}: "
                f"{self.ours or '(không có)'!r} ≠ danh mục {self.official or '(không có)'!r}")


def facts_from_wheel(wheel: Path) -> list[dict]:
    """One row per unit, in the package's order (province code, then commune code)."""
    with zipfile.ZipFile(wheel) as archive:
        provinces = json.loads(archive.read(DATA_IN_WHEEL))
    return [{"ma_tinh": f"{p['code']:02d}", "ten_tinh": p["name"], "ma_xa": f"{w['code']:05d}",
             "ten_day_du": w["name"], "loai": w["division_type"]}
            for p in provinces for w in p["wards"]]


def read_official(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as rows:
        return list(csv.DictReader(rows))


def short_province_name(official_name: str) -> str:
    # The official list says "Tỉnh Lạng Sơn" / "Thành phố Huế"; upstream says "Lạng Sơn".
    return official_name.removeprefix("Tỉnh ").removeprefix("Thành phố ")


def check_province(ma_tinh: str, ten_tinh: str, units: list[dict], official: list[dict]) -> list[Mismatch]:
    """Differences between one province's units (ma_xa, ten_day_du, loai) and the official list."""
    listed = {row["ma_xa"]: row for row in official if row["ma_tinh"] == ma_tinh}
    found = []
    names = {short_province_name(row["ten_tinh"]) for row in listed.values()}
    if names != {ten_tinh}:
        found.append(Mismatch(ma_tinh, "", "ten_tinh", ten_tinh, ", ".join(sorted(names))))
    ours = {u["ma_xa"]: u for u in units}
    for code in sorted(ours.keys() | listed.keys()):
        unit, row = ours.get(code), listed.get(code)
        if unit is None or row is None:
            found.append(Mismatch(ma_tinh, code, "ma_xa", unit and unit["ten_day_du"] or "",
                                  row and row["ten_day_du"] or ""))
            continue
        if unit["loai"].lower() != row["loai"]:
            found.append(Mismatch(ma_tinh, code, "loai", unit["loai"], row["loai"]))
        if unit["ten_day_du"] != row["ten_day_du"]:
            found.append(Mismatch(ma_tinh, code, "ten_day_du", unit["ten_day_du"], row["ten_day_du"]))
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("python -m coordination.areas.official WHEEL OUT_CSV", file=sys.stderr)
        return 2
    rows = facts_from_wheel(Path(argv[0]))
    out = Path(argv[1])
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as target:
        writer = csv.DictWriter(target, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} đơn vị → {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
