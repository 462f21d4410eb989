"""The built distribution and fresh virtual environments that install it, once per run.

Building and installing are slow, so the wheel is built once per session and
each install flavour gets one virtual environment (pip's cache keeps the
downloads). Installed commands run from a temporary directory with no
PYTHONPATH, so they import the installed package, never this checkout.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from groundwork.net import free_port, stop_process, wait_ready

ROOT = Path(__file__).resolve().parents[2]
TOOLS = Path(sys.executable).parent
"""Where the dev extra's tools (build, twine, check-wheel-contents, hadolint) are installed."""
DOCKERFILE = ROOT / "Dockerfile"


def serving_extras() -> str:
    """The extras the Dockerfile installs (its ``SERVING_EXTRAS`` argument)."""
    match = re.search(r"^ARG SERVING_EXTRAS=(\S+)$", DOCKERFILE.read_text(), re.MULTILINE)
    assert match, "the Dockerfile declares ARG SERVING_EXTRAS=..."
    return match.group(1)


def isolated_environment(**extra: str) -> dict[str, str]:
    """This process's environment without anything pointing at the checkout or its settings."""
    dropped = ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
    environment = {name: value for name, value in os.environ.items()
                   if name not in dropped and not name.startswith("GROUNDWORK_")}
    return {**environment, **extra}


def run(command: Sequence[str | Path], *, cwd: Path, timeout: float = 300,
        check: bool = True, **environment: str) -> subprocess.CompletedProcess[str]:
    """Run ``command`` isolated from the checkout; fail with its output when ``check`` fails."""
    result = subprocess.run([str(part) for part in command], cwd=cwd, capture_output=True,
                            text=True, timeout=timeout, env=isolated_environment(**environment))
    if check and result.returncode != 0:
        pytest.fail(f"{' '.join(map(str, command))} exited {result.returncode}\n"
                    f"{result.stdout}\n{result.stderr}")
    return result


@dataclass(frozen=True, slots=True)
class Distribution:
    """The built source distribution and wheel."""

    sdist: Path
    wheel: Path


@dataclass(frozen=True, slots=True)
class Environment:
    """A fresh virtual environment with the wheel installed, and a directory to run in."""

    root: Path
    workdir: Path

    def command(self, name: str) -> Path:
        """An executable installed in the environment."""
        return self.root / "bin" / name

    def python(self, code: str, *arguments: str, check: bool = True,
               **environment: str) -> subprocess.CompletedProcess[str]:
        """Run ``code`` with the environment's interpreter."""
        return run([self.command("python"), "-c", code, *arguments], cwd=self.workdir,
                   check=check, **environment)

    def missing(self, *modules: str) -> list[str]:
        """Which of ``modules`` cannot be imported in the environment."""
        probe = ("import importlib.util, sys\n"
                 "print(' '.join(m for m in sys.argv[1:] if importlib.util.find_spec(m) is None))")
        return self.python(probe, *modules).stdout.split()

    @contextmanager
    def serving(self, state_dir: Path) -> Iterator[str]:
        """``groundwork serve`` from the environment over ``state_dir``; yield its URL."""
        port = free_port()
        process = subprocess.Popen(
            [str(self.command("groundwork")), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=self.workdir, env=isolated_environment(GROUNDWORK_STATE_DIR=str(state_dir)))
        url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(f"{url}/readyz", process, timeout=60)
            yield url
        finally:
            stop_process(process, timeout=15)


@pytest.fixture(scope="session")
def distribution(tmp_path_factory: pytest.TempPathFactory) -> Distribution:
    """``python -m build``: the sdist, then the wheel built from it."""
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--outdir", out, ROOT], cwd=out)
    (sdist,) = out.glob("groundwork-*.tar.gz")
    (wheel,) = out.glob("groundwork-*.whl")
    return Distribution(sdist, wheel)


def install(tmp_path_factory: pytest.TempPathFactory, name: str,
            requirements: Sequence[str]) -> Environment:
    """A new virtual environment named ``name`` with ``requirements`` installed by pip."""
    root = tmp_path_factory.mktemp(f"venv-{name}")
    workdir = tmp_path_factory.mktemp(f"cwd-{name}")
    run([sys.executable, "-m", "venv", root], cwd=workdir)
    run([root / "bin" / "python", "-m", "pip", "install", "--quiet",
         "--disable-pip-version-check", *requirements], cwd=workdir, timeout=600)
    return Environment(root, workdir)


@pytest.fixture(scope="session")
def app_environment(tmp_path_factory: pytest.TempPathFactory,
                    distribution: Distribution) -> Environment:
    """The wheel with its ``langchain`` extra beside ``openai-agents`` (top-level ``agents``)."""
    return install(tmp_path_factory, "app", [f"{distribution.wheel}[langchain]", "openai-agents"])


@pytest.fixture(scope="session")
def image_environment(tmp_path_factory: pytest.TempPathFactory,
                      distribution: Distribution) -> Environment:
    """The wheel with the Dockerfile's serving extras, installed as the image installs it."""
    return install(tmp_path_factory, "image", [f"{distribution.wheel}[{serving_extras()}]"])
