"""fluxdesk/core is the pure domain: no Qt, no httpx, no I/O (design.md, "Architecture")."""

import ast
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "fluxdesk" / "core"
FORBIDDEN_MODULES = {"PySide6", "httpx", "sqlite3", "keyring", "PIL", "socket", "asyncio", "subprocess",
                     "shutil", "tempfile", "urllib", "http", "threading", "os", "io", "pathlib"}
FORBIDDEN_CALLS = {"open", "print", "input", "exec", "eval"}


def _core_files() -> list[Path]:
    files = sorted(CORE.glob("*.py"))
    assert files, "no core modules found"
    return files


def test_core_imports_nothing_that_does_io() -> None:
    offenders = []
    for path in _core_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN_MODULES]
    assert offenders == []


def test_core_calls_no_io_builtins() -> None:
    offenders = []
    for path in _core_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN_CALLS:
                offenders.append(f"{path.name}:{node.lineno} {node.func.id}()")
    assert offenders == []


def test_importing_core_loads_no_qt_httpx_or_sqlite() -> None:
    code = ("import sys, fluxdesk.core, pkgutil, importlib\n"
            "for m in pkgutil.iter_modules(fluxdesk.core.__path__):\n"
            "    importlib.import_module('fluxdesk.core.' + m.name)\n"
            "bad = [n for n in ('PySide6', 'httpx', 'sqlite3', 'keyring', 'PIL') if n in sys.modules]\n"
            "print(','.join(bad))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
