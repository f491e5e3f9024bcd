#!/usr/bin/env python3
"""Checks that `./dev` installs everything the build and the tests use.

A fresh Debian 12 machine has only its image's packages plus what `./dev` installs; anything else that
happens to be on this machine (installed by hand, or by an earlier project) would let the build or the
tests pass here and fail there. So every

- pkg-config module the build probes, and every module those `Requires` (also privately), recursively,
- program the build runs (compilers, pkg-config) and the tests and the `axvs` binary run
  (`Command::new("...")` in the sources),
- GStreamer element the tests' pipelines name,
- Python module the tests' Python snippets import,

must come from a Debian package that apt installs for `./dev`'s list on a clean machine (Depends and
PreDepends, without Recommends, as `./dev` installs), or from an Essential package, or, for the few things
the machine image provides itself (the Rust toolchain, CPython), be named as such. Anything else is reported with the
module or program, the package it came from, and what to add to `./dev`.

Usage (`./dev` calls it with its own lists):
    check_deps.py --apt PKG... --pkg-config MOD... --pip MOD... --image-tool PROG... --build-tool PROG...
                  --sources DIR...
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

COMMAND_RE = re.compile(r'Command::new\("([^"]+)"\)')
# `import a, b as c` and `from a import b`, as written in the Python snippets inside Rust string literals
# (lines may start a string, follow a `\n` escape, or follow a `;`).
IMPORT_RE = re.compile(
    r'(?:^|\\n|"|;)\s*(?:import\s+([A-Za-z_][\w.]*(?:\s+as\s+\w+)?(?:\s*,\s*[A-Za-z_][\w.]*(?:\s+as\s+\w+)?)*)'
    r"|from\s+([A-Za-z_][\w.]*)\s+import\b)"
)
# A GStreamer pipeline in a string literal: `element ... ! element ...` (a `!` between spaces: not `!=`).
PIPELINE_RE = re.compile(r'"([a-z][a-z0-9]*(?:\s[^"!]*)?(?:\s+!\s+[^"!]+)+)"')
ELEMENT_NAME_RE = re.compile(r"^[a-z][a-z0-9]*$")


class Problems(list):
    """Every problem found, so that one run names all of them."""

    add = list.append


def run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=False)


_FILE_OWNERS: dict[str, str] = {}


def file_owners() -> dict[str, str]:
    """Every file dpkg installed, to its package: what `dpkg -S` reads, read once (each `dpkg -S` call reads
    all of dpkg's file lists anew: 0.1 s a call, 6 s of this check)."""
    if not _FILE_OWNERS:
        for listing in Path("/var/lib/dpkg/info").glob("*.list"):
            package = listing.stem.split(":")[0]
            for line in listing.read_text(errors="replace").splitlines():
                _FILE_OWNERS.setdefault(line, package)
    return _FILE_OWNERS


def owner(path: str) -> str | None:
    """The Debian package that installed `path` (also tried without symlinks and /usr merge), or None."""
    candidates = [path, os.path.realpath(path)]
    for p in list(candidates):
        if p.startswith("/usr/"):
            candidates.append(p[len("/usr") :])
        else:
            candidates.append("/usr" + p)
    owners = file_owners()
    return next((owners[p] for p in candidates if p in owners), None)


def depends_closure(packages: list[str], problems: Problems, name: str = "closure") -> set[str]:
    """What apt installs for `packages` on a machine that has none of them (`./dev`'s own install, without
    Recommends, alternatives resolved as apt resolves them), plus the Essential packages every Debian
    system has. `name` names its cache in target/."""
    # One look-up for them all (each apt-cache call reads the package lists anew: half a second), and one a
    # package only to name the unknown ones.
    known_all = run(["apt-cache", "show", *packages]).returncode == 0
    unknown = [] if known_all else [p for p in packages if run(["apt-cache", "show", p]).returncode != 0]
    if unknown:
        problems.add(
            f"apt knows no package {', '.join(unknown)} (listed in ./dev): a typo, or apt's lists are "
            "missing (run `apt-get update`)"
        )
    known = [p for p in packages if p not in unknown]
    closure = set()
    # apt's answer depends only on the packages asked for and apt's package lists and settings: kept in
    # target/ under their description, it is asked again only when one of them changed (most of the
    # check's 10 s).
    cache = Path(f"target/check-deps-{name}.json")
    key = closure_key(known)
    try:
        cached = json.loads(cache.read_text())
    except (OSError, ValueError):
        cached = {}
    if known and cached.get("key") == key:
        closure.update(cached["closure"])
    elif known:
        out = run(
            [
                "apt-get",
                "install",
                "--simulate",
                "--no-install-recommends",
                "-o",
                "Dir::State::status=/dev/null",
                *known,
            ]
        )
        if out.returncode != 0:
            problems.add(f"apt cannot install ./dev's packages on a clean machine: {out.stdout[-500:]}{out.stderr}")
        for line in out.stdout.splitlines():
            if line.startswith("Inst "):
                closure.add(line.split()[1].split(":")[0])
        if out.returncode == 0:
            try:
                cache.write_text(json.dumps({"key": key, "closure": sorted(closure)}))
            except OSError:
                pass
    essential = run(["dpkg-query", "-W", "-f", "${Package} ${Essential}\n"]).stdout
    closure.update(line.split()[0] for line in essential.splitlines() if line.endswith(" yes"))
    return closure


def closure_key(packages: list[str]) -> list[str]:
    """The packages, and the name, size and time of every file apt's answer for them reads (its package
    lists, its sources and settings)."""
    files = [f for root in ("/var/lib/apt/lists", "/etc/apt") for f in sorted(Path(root).rglob("*")) if f.is_file()]
    stamps = []
    for f in files:
        try:
            st = f.stat()
        except OSError:
            continue
        stamps.append(f"{f} {st.st_size} {st.st_mtime_ns}")
    return sorted(packages) + stamps


def pkg_config_requires(module: str) -> list[str]:
    names = []
    for flag in ("--print-requires", "--print-requires-private"):
        out = run(["pkg-config", flag, module])
        for line in out.stdout.splitlines():
            name = line.split()[0] if line.split() else ""
            if name:
                names.append(name)
    return names


def check_pkg_config(roots: list[str], allowed: set[str], problems: Problems, listed: str = "APT_PACKAGES") -> int:
    """Walks the modules from `roots` through their Requires; returns how many were checked. `listed` names
    the list in ./dev whose packages `allowed` comes from."""
    if shutil.which("pkg-config") is None:
        problems.add(f"pkg-config is not installed: add `pkg-config` to {listed} in ./dev")
        return 0
    seen: dict[str, str | None] = {}
    queue = [(m, None) for m in roots]
    while queue:
        module, parent = queue.pop(0)
        if module in seen:
            continue
        seen[module] = parent
        via = f" (required by {parent})" if parent else ""
        if run(["pkg-config", "--exists", module]).returncode != 0:
            problems.add(
                f"pkg-config module {module}{via} is not installed: add the Debian package that provides "
                f"{module}.pc to {listed} in ./dev"
            )
            continue
        pcdir = run(["pkg-config", "--variable=pcfiledir", module]).stdout.strip()
        pc = os.path.join(pcdir, module + ".pc")
        check_owner(f"pkg-config module {module}{via}", pc, allowed, problems, listed)
        queue.extend((r, module) for r in pkg_config_requires(module))
    return len(seen)


def source_files(dirs: list[str]) -> list[Path]:
    """The Rust and Python sources under `dirs` (the tests' Python snippets live in both)."""
    files = []
    for d in dirs:
        for pattern in ("*.rs", "*.py"):
            for path in Path(d).rglob(pattern):
                if "target" not in path.parts and "__pycache__" not in path.parts:
                    files.append(path)
    return sorted(files)


def local_modules(files: list[Path]) -> set[str]:
    """Python modules the sources are themselves: each file's name, and each package's folder."""
    return {p.stem for p in files if p.suffix == ".py"} | {p.parent.name for p in files if p.name == "__init__.py"}


def where(found: dict[str, list[str]], name: str) -> str:
    places = found[name]
    more = f" and {len(places) - 1} more" if len(places) > 1 else ""
    return f"{places[0]}{more}"


def scan(files: list[Path]) -> tuple[dict[str, list[str]], dict[str, list[str]], dict[str, list[str]]]:
    """Programs, Python modules and GStreamer elements named in `files`, each with where it is named."""
    programs: dict[str, list[str]] = {}
    modules: dict[str, list[str]] = {}
    elements: dict[str, list[str]] = {}
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            place = f"{path}:{number}"
            for program in COMMAND_RE.findall(line):
                programs.setdefault(program, []).append(place)
            for imported, from_module in IMPORT_RE.findall(line):
                names = [from_module] if from_module else [n.split()[0] for n in imported.split(",")]
                for name in names:
                    modules.setdefault(name.split(".")[0], []).append(place)
            for pipeline in PIPELINE_RE.findall(line):
                for part in pipeline.split("!"):
                    words = part.strip().split()
                    # Skip caps (`video/x-raw,...`) and properties; keep plain element names.
                    # `nosuch...` names are the tests' deliberately missing elements.
                    if words and ELEMENT_NAME_RE.match(words[0]) and not words[0].startswith("nosuch"):
                        elements.setdefault(words[0], []).append(place)
    return programs, modules, elements


def check_owner(named: str, path: str, allowed: set[str], problems: Problems, listed: str = "APT_PACKAGES") -> None:
    """`path` (what `named` is) must belong to an allowed Debian package (from ./dev's list `listed`)."""
    package = owner(path)
    if package is None:
        problems.add(f"{named} is {path}, from no Debian package (installed by hand?)")
    elif package not in allowed:
        problems.add(
            f"{named} is {path}, from Debian package {package}, which ./dev neither lists nor pulls in: "
            f"add `{package}` to {listed} in ./dev"
        )


def check_programs(
    programs: dict[str, list[str]],
    allowed: set[str],
    image_tools: set[str],
    problems: Problems,
    listed: str = "APT_PACKAGES",
) -> None:
    for program in sorted(programs):
        path = shutil.which(program)
        named = f"program {program} (run at {where(programs, program)})"
        if path is None:
            problems.add(f"{named} is not installed: add the Debian package that provides it to {listed} in ./dev")
            continue
        if program not in image_tools:
            check_owner(named, path, allowed, problems, listed)


def check_elements(elements: dict[str, list[str]], allowed: set[str], problems: Problems) -> None:
    if not elements:
        return
    if shutil.which("gst-inspect-1.0") is None:
        problems.add("gst-inspect-1.0 is not installed: add `gstreamer1.0-tools` to APT_PACKAGES in ./dev")
        return
    for element in sorted(elements):
        named = f"GStreamer element {element} (used at {where(elements, element)})"
        out = run(["gst-inspect-1.0", element])
        match = re.search(r"^\s*Filename\s+(\S+)", out.stdout, re.MULTILINE)
        if out.returncode != 0 or match is None:
            problems.add(f"{named} is not installed: add the GStreamer plugin package that has it to ./dev")
            continue
        # "(null)": built into GStreamer's core library (a bin, a pipeline), which OpenCV links.
        if match.group(1) != "(null)":
            check_owner(named, match.group(1), allowed, problems)


# Imports each module named in argv in one interpreter and prints those that failed, one per line after a
# marker (a module may print on import).
IMPORT_EACH = """
import importlib, sys
for module in sys.argv[1:]:
    try:
        importlib.import_module(module)
    except Exception:
        print("check_deps: failed:", module)
"""


def failed_imports(python: str, modules: list[str]) -> set[str]:
    """The modules of `modules` that do not import in `python`: all in one interpreter (each in its own took
    seconds), or one at a time if that interpreter died."""
    if not modules:
        return set()
    together = run([python, "-c", IMPORT_EACH, *modules])
    if together.returncode == 0:
        return {line.split()[-1] for line in together.stdout.splitlines() if line.startswith("check_deps: failed: ")}
    return {m for m in modules if run([python, "-c", f"import {m}"]).returncode != 0}


def check_python(modules: dict[str, list[str]], pip: set[str], python: str, original: tuple[set[str], str],
                 problems: Problems) -> None:
    stdlib = set(sys.stdlib_module_names)
    original_modules, original_python = original
    mine = sorted(m for m in modules if m not in stdlib and m not in original_modules and m in pip)
    theirs = sorted(m for m in modules if m not in stdlib and m in original_modules)
    failed = failed_imports(python, mine) | failed_imports(original_python, theirs)
    for module in sorted(modules):
        if module in stdlib:
            continue
        named = f"Python module {module} (imported at {where(modules, module)})"
        if module in original_modules:
            if module in failed:
                problems.add(f"{named} does not import in the original's Python ({original_python}): run `./dev test`")
        elif module not in pip:
            problems.add(f"{named} is not in PIP_MODULES in ./dev: add it there")
        elif module in failed:
            problems.add(f"{named} does not import in the tests' Python ({python}): run `./dev test`")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apt", nargs="*", default=[], help="the Debian packages ./dev installs")
    parser.add_argument("--pkg-config", nargs="*", default=[], help="the pkg-config modules the build probes")
    parser.add_argument("--pip", nargs="*", default=[], help="the Python modules ./dev installs")
    parser.add_argument("--python", default="python3", help="the Python the tests run")
    parser.add_argument("--original-modules", nargs="*", default=[], help="the modules of the original's environment")
    parser.add_argument("--original-python", default="python3", help="the Python of the original's environment")
    parser.add_argument("--image-tool", nargs="*", default=[], help="programs the machine image provides")
    parser.add_argument("--build-tool", nargs="*", default=[], help="programs the build runs (cc, c++, ...)")
    parser.add_argument("--sources", nargs="*", default=[], help="folders whose Rust sources are scanned")
    parser.add_argument("--demo-apt", nargs="*", default=[], help="the Debian packages `./dev demo` installs")
    parser.add_argument("--demo-pkg-config", nargs="*", default=[], help="the pkg-config modules axvs' build probes")
    parser.add_argument("--demo-build-tool", nargs="*", default=[], help="programs axvs' build runs")
    args = parser.parse_args()

    problems = Problems()
    allowed = depends_closure(args.apt, problems)
    modules = check_pkg_config(args.pkg_config, allowed, problems)
    # `./dev demo` installs less: what the `axvs` binary builds against must come from that alone.
    if args.demo_apt:
        demo = depends_closure(args.demo_apt, problems, "demo-closure")
        check_pkg_config(args.demo_pkg_config, demo, problems, "DEMO_PACKAGES")
        check_programs({tool: ["axvs' build"] for tool in args.demo_build_tool}, demo, set(), problems, "DEMO_PACKAGES")
    files = source_files(args.sources)
    programs, imports, elements = scan(files)
    for module in local_modules(files):
        imports.pop(module, None)
    for tool in args.build_tool:
        programs.setdefault(tool, []).insert(0, "the build")
    check_programs(programs, allowed, set(args.image_tool), problems)
    check_elements(elements, allowed, problems)
    if shutil.which(args.python) is None and not os.access(args.python, os.X_OK):
        problems.add(f"the tests' Python {args.python} is missing: run `./dev test`, which makes it")
    else:
        check_python(imports, set(args.pip), args.python, (set(args.original_modules), args.original_python), problems)

    if problems:
        print(f"dev: {len(problems)} dependencies ./dev does not install:", file=sys.stderr)
        for line in problems:
            print(f"  - {line}", file=sys.stderr)
        return 1
    print(
        f"dev: dependencies ok: {modules} pkg-config modules, {len(programs)} programs, {len(elements)} GStreamer "
        f"elements, {len(imports)} Python modules, all from ./dev's {len(args.apt)} packages "
        f"({len(allowed)} with their Depends and the Essential ones) or the image",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
