"""schemathesis hooks for scripts/schemathesis (loaded through SCHEMATHESIS_HOOKS).

Authentication: every request carries `Authorization: Bearer <token>` of an administrator. The
first token is the one scripts/schemathesis made before the run (SCHEMATHESIS_GATEHOUSE_TOKEN).
The fuzzer may end that administrator's sessions (which ends the tokens issued from them),
change its address or delete its client; a 401 then makes schemathesis ask this provider for a
new token and replay the request, and the provider mints a fresh administrator and client with
scripts/schemathesis-token.py (`gatehouse user create`, `gatehouse client create`, the
authorization code flow). A 401 that survives a fresh token counts as the operation's answer.
"""

import importlib.util
import os
import uuid

import schemathesis

_here = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "schemathesis_token", os.path.join(_here, "schemathesis-token.py"))
token_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(token_module)


@schemathesis.auth(refresh_interval=300, retry_on=[401])
class GatehouseAdministrator:
    """An administrator's access token (10 minutes), replaced only once it was refused."""

    token = None

    def get(self, case, context):
        cls = GatehouseAdministrator
        if cls.token is None:
            cls.token = os.environ["SCHEMATHESIS_GATEHOUSE_TOKEN"]
            return cls.token
        # Asked again: the cache expired, or a request was refused (401). Cases generated ahead
        # of time may still carry an older token; only a refusal of the current one needs a new.
        sent = (case.headers or {}).get("Authorization")
        if sent != f"Bearer {cls.token}":
            return cls.token
        cls.token = token_module.mint(
            os.environ["SCHEMATHESIS_GATEHOUSE_BIN"],
            os.environ["SCHEMATHESIS_GATEHOUSE_DATA_DIR"],
            os.environ["SCHEMATHESIS_GATEHOUSE_URL"],
        )
        with open(os.environ["SCHEMATHESIS_GATEHOUSE_MINT_LOG"], "a", encoding="utf-8") as log:
            log.write(f"{case.method} {case.path}\n")
        return cls.token

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


def _valid_key(value):
    """The server's rule for an `Idempotency-Key`: 1 to 255 visible ASCII characters."""
    return isinstance(value, str) and 1 <= len(value) <= 255 and all(
        "!" <= character <= "~" for character in value)


@schemathesis.hook
def before_call(context, case, kwargs):
    """A valid `Idempotency-Key` is made unique (the generated text, cut to 200 characters, and a
    random suffix). Generated keys repeat (the coverage phase sends the same simplest key with
    every body), and a key sent again with another body is refused (422) before the create runs,
    while one sent again with the same body replays the first answer, whose resource a later step
    may have deleted (schemathesis would take that for a created resource gone missing). Invalid
    keys are sent as generated, to be refused."""
    if not case.headers:
        return
    for name in list(case.headers):
        if name.lower() == "idempotency-key" and _valid_key(case.headers[name]):
            case.headers[name] = f"{case.headers[name][:200]}-{uuid.uuid4().hex}"
