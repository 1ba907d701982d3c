"""The binary stays small: no product module imports Foundation (its FoundationInternationalization
part links ICU's 34 MB of data into `sparrow` and the container image; docs/EDGE.md), and the
built binary links no Foundation/ICU library."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import service_util as su  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
IMPORT = re.compile(r"^\s*(@\w+\s+)*((public|package|internal|fileprivate|private)\s+)?import\s+"
                    r"((class|struct|enum|protocol|func|var|let|typealias)\s+)?"
                    r"(Foundation|FoundationInternationalization|FoundationNetworking|FoundationXML)\b(?!Essentials)", re.M)


def product_sources():
    for module in sorted((ROOT / "Sources").iterdir()):
        if module.is_dir() and not module.name.startswith("C"):  # C* are system-library shims
            yield from sorted(module.rglob("*.swift"))


def guarded_fallback(before: str) -> bool:
    """True for the generated code's `#if canImport(FoundationEssentials) … #else import Foundation`,
    whose Foundation branch is never compiled on Linux."""
    lines = [line.strip() for line in before.splitlines() if line.strip()][-3:]
    return len(lines) == 3 and lines[0] == "#if canImport(FoundationEssentials)" and lines[2] == "#else"


def test_product_modules_import_foundation_essentials_only():
    files = list(product_sources())
    assert len(files) > 50
    offenders = []
    for f in files:
        text = f.read_text()
        for m in IMPORT.finditer(text):
            if not guarded_fallback(text[:m.start()]):
                offenders.append(f"{f.relative_to(ROOT)}:{text[:m.start()].count(chr(10)) + 1}")
    assert offenders == [], "import FoundationEssentials (docs/DEVELOPING.md) instead: " + ", ".join(offenders)


def test_the_pattern_catches_the_import_forms():
    for line in ["import Foundation", "@preconcurrency import Foundation", "internal import Foundation",
                 "import struct Foundation.Date", "import FoundationInternationalization"]:
        assert IMPORT.search(line), line
    for line in ["import FoundationEssentials", "// import Foundation is not used", "import SparrowModel"]:
        assert not IMPORT.search(line), line
    assert guarded_fallback("#if canImport(FoundationEssentials)\nimport FoundationEssentials\n#else\n")
    assert not guarded_fallback("#if os(macOS)\nimport Darwin\n#else\n")


@pytest.mark.skipif(shutil.which("ldd") is None, reason="no ldd")
def test_the_binary_links_no_icu():
    binary = su.sparrow_bin()
    if not os.path.exists(binary):
        pytest.skip(f"{binary} not built")
    libs = subprocess.run(["ldd", binary], capture_output=True, text=True, timeout=30).stdout
    for lib in ["libFoundation.so", "libFoundationInternationalization.so", "lib_FoundationICU.so"]:
        assert lib not in libs, f"{binary} links {lib}:\n{libs}"
