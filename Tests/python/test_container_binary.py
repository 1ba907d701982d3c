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


def test_product_modules_import_foundation_essentials_only():
    files = list(product_sources())
    assert len(files) > 50
    offenders = [f"{f.relative_to(ROOT)}:{text[:m.start()].count(chr(10)) + 1}"
                 for f in files for text in [f.read_text()] for m in IMPORT.finditer(text)]
    assert offenders == [], "import FoundationEssentials (docs/DEVELOPING.md) instead: " + ", ".join(offenders)


def test_the_pattern_catches_the_import_forms():
    for line in ["import Foundation", "@preconcurrency import Foundation", "internal import Foundation",
                 "import struct Foundation.Date", "import FoundationInternationalization"]:
        assert IMPORT.search(line), line
    for line in ["import FoundationEssentials", "// import Foundation is not used", "import SparrowModel"]:
        assert not IMPORT.search(line), line


@pytest.mark.skipif(shutil.which("ldd") is None, reason="no ldd")
def test_the_binary_links_no_icu():
    binary = su.sparrow_bin()
    if not os.path.exists(binary):
        pytest.skip(f"{binary} not built")
    libs = subprocess.run(["ldd", binary], capture_output=True, text=True, timeout=30).stdout
    for lib in ["libFoundation.so", "libFoundationInternationalization.so", "lib_FoundationICU.so"]:
        assert lib not in libs, f"{binary} links {lib}:\n{libs}"
