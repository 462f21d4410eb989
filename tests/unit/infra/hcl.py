"""Read the Terraform code under ``infra/`` as plain Python data (python-hcl2).

python-hcl2 keeps the quotes of string literals (``'"PAY_PER_REQUEST"'``) and
wraps expressions as ``"${...}"``; :func:`load_dir` strips literal quotes and
the parser's bookkeeping keys, so tests compare against plain strings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import hcl2

ROOT = Path(__file__).resolve().parents[3]
INFRA = ROOT / "infra"
ENVS = INFRA / "envs"
MODULES = INFRA / "modules"
_BOOKKEEPING = {"__is_block__", "__comments__", "__inline_comments__", "__start_line__",
                "__end_line__"}


def clean(value: Any) -> Any:
    """``value`` without literal quotes and parser bookkeeping keys."""
    if isinstance(value, dict):
        return {clean(key): clean(item) for key, item in value.items() if key not in _BOOKKEEPING}
    if isinstance(value, list):
        return [clean(item) for item in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def load_dir(directory: Path) -> dict[str, list[Any]]:
    """Every top-level block of the ``.tf`` files in ``directory``, by block kind."""
    merged: dict[str, list[Any]] = {}
    for path in sorted(directory.glob("*.tf")):
        with path.open() as file:
            document = clean(hcl2.load(file))
        for kind, entries in document.items():
            merged.setdefault(kind, []).extend(entries)
    return merged


def labelled(directory: Path, kind: str, type_name: str) -> dict[str, dict[str, Any]]:
    """Blocks ``<kind> "<type_name>" "<name>"`` of ``directory`` (resources, data), by name."""
    found: dict[str, dict[str, Any]] = {}
    for entry in load_dir(directory).get(kind, []):
        for name, body in entry.get(type_name, {}).items():
            found[name] = body
    return found


def named(directory: Path, kind: str) -> dict[str, dict[str, Any]]:
    """Blocks ``<kind> "<name>"`` of ``directory`` (variables, outputs, modules), by name."""
    found: dict[str, dict[str, Any]] = {}
    for entry in load_dir(directory).get(kind, []):
        found.update(entry)
    return found


def locals_of(directory: Path) -> dict[str, Any]:
    """The ``locals`` of ``directory``, merged."""
    merged: dict[str, Any] = {}
    for entry in load_dir(directory).get("locals", []):
        merged.update(entry)
    return merged


def generated_inputs(cloud: str) -> dict[str, Any]:
    """The committed ``views.auto.tfvars.json`` of ``infra/envs/<cloud>``."""
    loaded: dict[str, Any] = json.loads((ENVS / cloud / "views.auto.tfvars.json").read_text())
    return loaded


def terraform_dirs() -> list[Path]:
    """Every directory of ``infra/`` holding ``.tf`` files."""
    return sorted({path.parent for path in INFRA.rglob("*.tf") if ".terraform" not in path.parts})
