"""The house's layout rules (../shared/DESIGN.md, docs/architecture.md), checked on every import, including
those inside functions:

1. no circle between rooms;
2. no service imports `workflows/` or a sibling service (they talk over gRPC or Temporal, by name);
3. the kit imports no service, and nothing above it (contracts, workflows, cli, ...);
4. `contracts/` is pure: pydantic models and names, importing only itself and the standard library;
5. `lifecycle/`, the claim's rules beside contracts, is pure: it imports only itself and contracts;
6. every `domain/` package is pure: no gRPC, SQL, HTTP or Temporal client imports, and of the project only
   contracts, the lifecycle, the kit's errors, validation and grants (names and signing), and its own
   service's domain (so no service reaches into another's domain: the claim's rules live in the lifecycle);
7. `workflows/` imports contracts, the lifecycle and the kit only (no service, not even its domain);
8. no room holds more than a quarter of the project's own Python lines (tests and generated code aside), no
   file of the project's own code is over 400 lines, and no function over complexity 15 as radon counts it
   (`and`/`or` included; in tests, an assert is a check, not a branch).

    python tools/check_imports.py [ROOT]     exit 1 and one line per breach when a rule is broken
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

PROJECT = ("contracts", "lifecycle", "services", "workflows", "cli", "bench", "clients", "devtools", "tests", "tools")
SKIP = ("protos/gen", ".venv", "var")
IMPURE = (
    "grpc",
    "sqlalchemy",
    "sqlmodel",
    "alembic",
    "asyncpg",
    "aiosqlite",
    "httpx",
    "aiohttp",
    "aiosmtplib",
    "aiosmtpd",
    "temporalio",
    "opentelemetry",
    "prometheus_client",
    "google.protobuf",
    "aftercare",
)
DOMAIN_MAY_USE = ("contracts", "lifecycle", "services.kit.errors", "services.kit.validation", "services.kit.grants")
SIZED_ROOMS_LIMIT = 0.25
FILE_LINES_LIMIT = 400
COMPLEXITY_LIMIT = 15


def room(module: str) -> str:
    """The room a module lives in: `services.<name>` for each service and the kit, else its top package."""
    parts = module.split(".")
    if parts[0] == "services" and len(parts) > 1:
        return f"services.{parts[1]}"
    return parts[0]


def modules(root: Path) -> Iterator[tuple[str, Path]]:
    for top in PROJECT:
        for path in sorted((root / top).rglob("*.py")) if (root / top).is_dir() else []:
            rel = path.relative_to(root).as_posix()
            if not rel.startswith(SKIP):
                yield rel.removesuffix(".py").removesuffix("/__init__").replace("/", "."), path


def imports(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            # `from services import registry` imports the module services.registry
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def under(module: str, *prefixes: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _service_arrow(module: str, target: str, here: str, there: str) -> str:
    service = here.startswith("services.") and here not in ("services.kit", "services.registry")
    sibling = there.startswith("services.") and there not in (here, "services.kit")
    return (
        "a service imports no workflows and no sibling service" if service and (there == "workflows" or sibling) else ""
    )


def _kit_arrow(module: str, target: str, here: str, there: str) -> str:
    return "the kit imports no service, nothing above it" if here == "services.kit" and there not in ("", here) else ""


def _contracts_arrow(module: str, target: str, here: str, there: str) -> str:
    pure = there in ("", "contracts") and not under(target, *IMPURE)
    return "" if here != "contracts" or pure else "contracts are pure: names and pydantic models"


def _domain_arrow(module: str, target: str, here: str, there: str) -> str:
    if ".domain" not in module:
        return ""
    allowed = not under(target, *IMPURE) and (not there or under(target, *DOMAIN_MAY_USE, f"{here}.domain"))
    return "" if allowed else "a domain package is pure"


def _lifecycle_arrow(module: str, target: str, here: str, there: str) -> str:
    pure = there in ("", "contracts", "lifecycle") and not under(target, *IMPURE)
    return "" if here != "lifecycle" or pure else "the lifecycle is pure: it imports only contracts"


def _workflows_arrow(module: str, target: str, here: str, there: str) -> str:
    if here != "workflows" or there in ("", "workflows", "contracts", "lifecycle", "services.kit"):
        return ""
    return "workflows import contracts, the lifecycle and the kit only"


RULES = (_service_arrow, _kit_arrow, _contracts_arrow, _lifecycle_arrow, _domain_arrow, _workflows_arrow)


def breaches(root: Path) -> list[str]:
    """Every import that breaks a layout rule, and every circle between rooms."""
    own = dict(modules(root))
    found: list[str] = []
    arrows: dict[str, set[str]] = defaultdict(set)
    for module, path in own.items():
        here = room(module)
        for target in sorted(set(imports(path))):
            project = under(target, *PROJECT)
            if project and target not in own and target.rsplit(".", 1)[0] in own:
                continue  # a name imported from a module (`from services.kit import errors` also yields this)
            there = room(target) if project else ""
            if there and there != here:
                arrows[here].add(there)
            for rule in RULES:
                if why := rule(module, target, here, there):
                    found.append(f"{path.relative_to(root)}: imports {target} ({why})")
    return found + [f"circle between rooms: {' -> '.join(c)}" for c in circles(arrows)]


def circles(arrows: dict[str, set[str]]) -> list[list[str]]:
    """One path for each circle found by a depth-first walk of the room graph."""
    seen: set[str] = set()
    found: list[list[str]] = []

    def walk(node: str, path: list[str]) -> None:
        for nxt in sorted(arrows.get(node, ())):
            if nxt in path:
                found.append([*path[path.index(nxt) :], nxt])
            elif nxt not in seen:
                seen.add(nxt)
                walk(nxt, [*path, nxt])

    for start in sorted(arrows):
        if start not in seen:
            seen.add(start)
            walk(start, [start])
    return found


def room_lines(root: Path) -> dict[str, int]:
    """Non-blank Python lines per room (tests and tools aside)."""
    lines: dict[str, int] = defaultdict(int)
    for module, path in modules(root):
        if room(module) not in ("tests", "tools"):
            lines[room(module)] += sum(1 for line in path.read_text().splitlines() if line.strip())
    return dict(lines)


def oversized(root: Path) -> list[str]:
    lines = room_lines(root)
    total = sum(lines.values())
    return [
        f"room {name} holds {count / total:.0%} of the project's Python lines (at most {SIZED_ROOMS_LIMIT:.0%})"
        for name, count in sorted(lines.items())
        if count > SIZED_ROOMS_LIMIT * total
    ]


def long_files(root: Path) -> list[str]:
    """Every file of the project's own code over FILE_LINES_LIMIT lines."""
    found = []
    for _, path in modules(root):
        count = len(path.read_text().splitlines())
        if count > FILE_LINES_LIMIT:
            found.append(f"{path.relative_to(root)} has {count} lines (at most {FILE_LINES_LIMIT})")
    return found


def complex_functions(root: Path) -> list[str]:
    """Every function over COMPLEXITY_LIMIT, as radon counts it (tests' asserts aside)."""
    from radon.complexity import cc_visit
    from radon.visitors import Function

    found = []
    for module, path in modules(root):
        for block in cc_visit(path.read_text(), no_assert=room(module) == "tests"):
            if isinstance(block, Function) and block.complexity > COMPLEXITY_LIMIT:
                name = f"{block.classname}.{block.name}" if block.classname else block.name
                found.append(
                    f"{path.relative_to(root)}:{block.lineno} {name} has complexity {block.complexity}"
                    f" (at most {COMPLEXITY_LIMIT})"
                )
    return found


def main() -> int:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent
    problems = breaches(root) + oversized(root) + long_files(root) + complex_functions(root)
    for problem in problems:
        print(problem)
    if not problems:
        lines = room_lines(root)
        biggest = max(lines, key=lambda name: lines[name])
        share = lines[biggest] / sum(lines.values())
        print(f"layout rules hold: {len(dict(modules(root)))} modules; the largest room, {biggest}, has {share:.0%}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
