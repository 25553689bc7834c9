"""The README documents every option each command accepts, as ``--help`` lists them."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from medner_cli.cli import cli

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_option_is_in_the_readme(name):
    command = cli.commands[name]
    assert f"medner {name}" in README
    missing = [p.opts for p in command.params if isinstance(p, click.Option)
               and not any(f"{opt} " in README or f"{opt}`" in README for opt in p.opts)]
    assert not missing, f"medner {name}: README does not mention {missing}"
