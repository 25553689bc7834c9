"""docs/cli.md is the full option reference: it must be exactly what ``--help`` prints, as
sqlite-utils checks its docs. After changing an option, regenerate it with
``python tests/test_docs.py``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from medner_cli.cli import cli

ROOT = Path(__file__).parent.parent
CLI_MD = ROOT / "docs" / "cli.md"
INTRO = """# Command reference

Every command and option, exactly as `medner COMMAND --help` prints it (a test checks that
this page and `--help` agree). The README shows the common uses; exit statuses are the same
for every command: 0 done, 1 some documents or files could not be used (each named on stderr),
2 usage error, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM).
"""


def help_text(args: list[str]) -> str:
    result = CliRunner().invoke(cli, [*args, "--help"], prog_name="medner", terminal_width=100)
    assert result.exit_code == 0, result.output
    return result.output.rstrip() + "\n"


def reference() -> str:
    parts = [INTRO, "## medner\n\n```\n" + help_text([]) + "```\n"]
    for name in sorted(cli.commands):
        parts.append(f"## medner {name}\n\n```\n" + help_text([name]) + "```\n")
    return "\n".join(parts)


def test_cli_reference_matches_help():
    assert CLI_MD.read_text(encoding="utf-8") == reference(), (
        "docs/cli.md is out of date: run python tests/test_docs.py")


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_readme_shows_every_command(name):
    assert f"medner {name}" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_links_resolve():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for target in re.findall(r"\]\(((?:docs|models|tests|sample_notes)/[^)#]+)", readme):
        assert (ROOT / target).exists(), target


if __name__ == "__main__":
    CLI_MD.write_text(reference(), encoding="utf-8")
    print(f"wrote {CLI_MD}")
