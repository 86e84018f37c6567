"""Copy the front-end libraries from node_modules/ into static/vendor/ (the build step).

Run by `npm run vendor` and by `make run`/`make test` after `npm ci`. Standard library
only, so it runs before steerco is installed. The copies are committed: the wheel ships
them and people who `pip install steerco` need no Node.js.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENDOR = HERE.parent / "static" / "vendor"

#: node_modules path → file name under static/vendor/ (what the templates load).
FILES: dict[str, str] = {
    "htmx.org/dist/htmx.min.js": "htmx.min.js",
    "echarts/dist/echarts.min.js": "echarts.min.js",
    "cytoscape/dist/cytoscape.min.js": "cytoscape.min.js",
    "dagre/dist/dagre.min.js": "dagre.min.js",
    "cytoscape-dagre/cytoscape-dagre.js": "cytoscape-dagre.js",
    # The API docs at /docs (served from here, so they work without internet).
    "swagger-ui-dist/swagger-ui-bundle.js": "swagger-ui-bundle.js",
    "swagger-ui-dist/swagger-ui.css": "swagger-ui.css",
    "swagger-ui-dist/favicon-32x32.png": "swagger-favicon-32x32.png",
}
LICENSES: dict[str, str] = {
    "htmx.org": "LICENSE", "echarts": "LICENSE", "cytoscape": "LICENSE",
    "dagre": "LICENSE", "cytoscape-dagre": "LICENSE", "swagger-ui-dist": "LICENSE",
}


def missing(vendor: Path = VENDOR) -> list[str]:
    """Vendor files the templates need that are not there."""
    return [name for name in FILES.values() if not (vendor / name).is_file()]


def copy(node_modules: Path, vendor: Path = VENDOR) -> list[Path]:
    """Copy every needed dist file (and its licence) from `node_modules` into `vendor`."""
    vendor.mkdir(parents=True, exist_ok=True)
    out = []
    for src, name in FILES.items():
        path = node_modules / src
        if not path.is_file():
            raise SystemExit(f"{path} is missing: run `npm ci` first")
        shutil.copyfile(path, vendor / name)
        out.append(vendor / name)
    for package, lic in LICENSES.items():
        path = node_modules / package / lic
        if path.is_file():
            shutil.copyfile(path, vendor / f"{package}.LICENSE.txt")
    return out


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path.cwd()
    for p in copy(root / "node_modules"):
        print(f"vendor: {p.name} ({p.stat().st_size // 1024} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
