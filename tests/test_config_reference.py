"""README's configuration table is generated from the options and must stay in sync with them."""
from __future__ import annotations

from pathlib import Path

from coderportal import config
from coderportal.management.commands.config_reference import README_BLOCK, render
from coderportal.management.commands.serve import Command as ServeCommand
from coderportal.serve import options

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_configuration_table_matches_the_options():
    match = README_BLOCK.search(README.read_text())
    assert match, "README.md lacks the config-reference block"
    in_readme = match.group(0).removeprefix(match.group(1)).removesuffix(match.group(2))
    assert in_readme == render(), "run `python manage.py config_reference --update-readme`"


def test_every_option_appears_in_the_reference():
    table = render()
    for env in [*config.OPTIONS, *(o.env for o in options.SERVE_OPTIONS)]:
        assert f"| `{env}` |" in table


def test_every_flagged_option_is_a_serve_flag_that_sets_its_variable():
    parser = ServeCommand().create_parser("manage.py", "serve")
    flagged = [o for o in config.OPTIONS.values() if o.flag]
    assert flagged
    argv = []
    for i, option in enumerate(flagged):
        argv += [option.flag, f"value-{i}"]
    parsed = vars(parser.parse_args(argv))
    assert options.env_overrides(parsed) == {o.env: f"value-{i}" for i, o in enumerate(flagged)}


def test_http_address_parsing():
    from coderportal.config_types import HOST_PORT

    assert HOST_PORT.parse("127.0.0.1:3000") == ("127.0.0.1", 3000)
    assert HOST_PORT.parse(":8080") == ("0.0.0.0", 8080)
    assert HOST_PORT.parse("[::1]:3000") == ("::1", 3000)
