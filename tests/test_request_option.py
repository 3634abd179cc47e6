"""`--request ID` means the same on every command that takes it (README "Exit codes").

One wording per condition and one exit code: no such request is 3, a request of
another kind or about another customer is 2, and a request already closed is 4
(refused by a rule: a closed request is not answered twice). The register is
left exactly as it was.
"""

import pytest
from typer.testing import Result

from tests.conftest import Cli
from tests.helpers import add_aino, add_customer, assert_one_line_error, dump

# command -> (arguments after the customer, the kind of request it answers)
COMMANDS: dict[str, tuple[tuple[str, ...], str]] = {
    "erase": (("--yes",), "erasure"),
    "anonymise": (("--yes",), "erasure"),
    "export": (("--format", "json"), "access"),
    "object": (("--purpose", "direct-advertising", "--received", "2026-11-20",
                "--channel", "email"), "objection"),
    "publication-ban": (("--received", "2026-11-20", "--channel", "email"), "publication-ban"),
    "rectify": (("--set", "phone=040 999 8888", "--reason", "number changed"), "rectification"),
    "restrict": (("--reason", "the customer contests the address"), "restriction"),
}  # fmt: skip
# The commands that close the request they answer refuse one that is closed already.
CLOSING = ("erase", "anonymise", "rectify", "restrict")
# The commands that answer one kind of request only.
ONE_KIND = {"erase": "access", "anonymise": "access", "rectify": "access"}


def new_request(cli: Cli, customer: int, kind: str) -> int:
    result = cli.ok("request", "add", str(customer), "--kind", kind, "--channel", "email",
                    user="clerk")  # fmt: skip
    return int(result.stdout.strip())


def run_with_request(cli: Cli, command: str, customer: int, request_id: int) -> Result:
    extra, _ = COMMANDS[command]
    before = dump(cli)
    result = cli.run(command, str(customer), *extra, "--request", str(request_id), user="admin")
    assert dump(cli) == before
    return result


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_request_that_is_not_there_is_not_found(cli: Cli, command: str) -> None:
    aino = add_aino(cli)
    result = run_with_request(cli, command, aino, 99)
    assert_one_line_error(result, 3, "error: request: no request with id 99\n")


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_request_about_another_customer_is_refused(cli: Cli, command: str) -> None:
    aino = add_aino(cli)
    other = add_customer(cli, "--first-name", "Eino", "--last-name", "Leino",
                         "--email", "eino@example.fi", "--source", "web-store")  # fmt: skip
    request_id = new_request(cli, other, COMMANDS[command][1])
    result = run_with_request(cli, command, aino, request_id)
    assert_one_line_error(
        result, 2, f"error: request: {request_id} is about customer {other}, not {aino}\n"
    )


@pytest.mark.parametrize("command", CLOSING)
def test_a_closed_request_is_refused_with_exit_4(cli: Cli, command: str) -> None:
    aino = add_aino(cli)
    request_id = new_request(cli, aino, COMMANDS[command][1])
    cli.ok("request", "close", str(request_id), "--outcome", "refused", "--reason", "not ours",
           user="clerk")  # fmt: skip
    result = run_with_request(cli, command, aino, request_id)
    assert_one_line_error(result, 4, f"error: request: {request_id} is closed (refused)\n")


@pytest.mark.parametrize("command", sorted(ONE_KIND))
def test_a_request_of_another_kind_is_refused(cli: Cli, command: str) -> None:
    aino = add_aino(cli)
    request_id = new_request(cli, aino, ONE_KIND[command])
    result = run_with_request(cli, command, aino, request_id)
    wanted = COMMANDS[command][1]
    assert_one_line_error(
        result, 2, f"error: request: {request_id} is an access request, not an {wanted} request\n"
        if wanted == "erasure" else
        f"error: request: {request_id} is an access request, not a {wanted} request\n",
    )  # fmt: skip
