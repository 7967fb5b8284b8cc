"""House rules from DESIGN.md that CI checks: module size caps."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HARD_CAP = 800  # lines per module (DESIGN.md: aim under 500, never over 800)


def test_modules_stay_under_the_line_cap():
    too_long = []
    for package in ("symtensor", "symtensor_cuda"):
        for path in sorted((ROOT / package).rglob("*")):
            if path.suffix in (".py", ".cu", ".cuh", ".h"):
                n = len(path.read_text().splitlines())
                if n > HARD_CAP:
                    too_long.append(f"{path.relative_to(ROOT)} ({n} lines)")
    assert not too_long, f"modules over {HARD_CAP} lines; split them by family: {too_long}"
