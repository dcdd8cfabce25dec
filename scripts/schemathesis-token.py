#!/usr/bin/env python3
"""An administrator's access token for the audience `gatehouse`, made on a running server:

1. `gatehouse user create --email … --password-stdin --verified --role gatehouse:admin`;
2. `gatehouse client create --name … --redirect-uri … --audience gatehouse --json` (confidential,
   authorization_code and refresh_token grants, default audience `gatehouse`);
3. the authorization code flow with PKCE (S256) walked as a browser would: /oauth2/authorize,
   the sign-in page, the consent page (approve), the return page's link to the redirect URI;
4. POST /oauth2/token with HTTP Basic client authentication.

    schemathesis-token.py GATEHOUSE_BINARY DATA_DIR BASE_URL      prints the access token

Every call makes a new user and a new client (`schemathesis-<random hex>`), so a token is not
lost to what the fuzzer did to an earlier identity (sessions ended, address changed, client
deleted): scripts/schemathesis-hooks.py calls `mint` again when a token stops working. The CLI
runs with the caller's environment (the server's DATABASE_URL and GATEHOUSE__ settings).
Standard library only. Cookies are kept by hand: Gatehouse's are `__Host-` cookies marked
Secure, which a standard cookie jar drops over plain http. Redirects are never followed by
themselves, so each Location can be read.
"""

import base64
import hashlib
import html.parser
import json
import re
import secrets
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request


REDIRECT_URI = "http://127.0.0.1:1/cb"


class TokenError(Exception):
    """The token could not be had; the message says at which step."""


def fail(message):
    raise TokenError(message)


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Agent:
    """Just enough of a browser: cookies by name (all go back to the one server), no automatic
    redirects."""

    def __init__(self, base):
        self.base = base
        self.cookies = {}
        self.opener = urllib.request.build_opener(NoRedirects)

    def send(self, method, target, form=None, headers=None):
        url = urllib.parse.urljoin(self.base, target)
        data = None
        headers = dict(headers or {})
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            response = self.opener.open(request, timeout=30)
        except urllib.error.HTTPError as error:  # 3xx (not followed) and 4xx/5xx
            response = error
        body = response.read().decode("utf-8", "replace")
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            gone = re.search(r"max-age=0\b|expires=thu, 01 jan 1970", cookie, re.I)
            if gone or not value:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        return response.status, response.headers, body, url


class Page(html.parser.HTMLParser):
    """The forms of a page (action, hidden fields, visible inputs, buttons) and the
    `data-oauth-return` link."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.forms, self.return_link, self.open = [], None, False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action") or "", "hidden": [], "inputs": [],
                               "buttons": []})
            self.open = True
        elif tag == "input" and self.open:
            kind = (attrs.get("type") or "text").lower()
            name, value = attrs.get("name"), attrs.get("value") or ""
            if kind == "hidden" and name:
                self.forms[-1]["hidden"].append((name, value))
            elif kind == "submit":
                self.forms[-1]["buttons"].append((name, value))
            elif name:
                self.forms[-1]["inputs"].append((name, kind))
        elif tag == "button" and self.open:
            self.forms[-1]["buttons"].append((attrs.get("name"), attrs.get("value") or ""))
        elif tag == "a" and "data-oauth-return" in attrs:
            self.return_link = attrs.get("href")

    def handle_endtag(self, tag):
        if tag == "form":
            self.open = False


def next_form(page, email, password):
    """The form a person would send: consent approved, or the sign-in form filled in."""
    for form in page.forms:
        fields = list(form["hidden"])
        if ("decision", "approve") in form["buttons"]:
            return form["action"], fields + [("decision", "approve")]
        passwords = [name for name, kind in form["inputs"] if kind == "password"]
        logins = [name for name, kind in form["inputs"] if kind in ("email", "text")]
        if passwords and logins:
            return form["action"], fields + [(logins[0], email), (passwords[0], password)]
    return None


def authorization_code(agent, client_id, redirect_uri, email, password):
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    state = secrets.token_urlsafe(16)
    query = urllib.parse.urlencode({
        "response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
        "scope": "openid", "state": state, "nonce": secrets.token_urlsafe(16),
        "code_challenge": challenge.rstrip(b"=").decode(), "code_challenge_method": "S256",
    })
    method, target, form = "GET", f"/oauth2/authorize?{query}", None
    for _ in range(12):
        status, headers, text, url = agent.send(method, target, form)
        method, form = "GET", None
        if status in (301, 302, 303, 307, 308):
            target = urllib.parse.urljoin(url, headers["Location"])
        elif status == 200:
            page = Page(text)
            step = next_form(page, email, password)
            if page.return_link:
                target = urllib.parse.urljoin(url, page.return_link)
            elif step:
                method, target, form = "POST", urllib.parse.urljoin(url, step[0]), step[1]
            else:
                fail(f"nothing to do on {url}: {text[:500]}")
        else:
            fail(f"{status} from {url}: {text[:500]}")
        if target.startswith(redirect_uri):
            answer = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(target).query))
            if answer.get("state") != state or "code" not in answer:
                fail(f"no code for the client: {answer}")
            return answer["code"], verifier
    fail("more than 12 steps without reaching the redirect URI")


def cli(gatehouse, data_dir, args, stdin=""):
    """`gatehouse ARGS… --data-dir DATA_DIR`; its stdout, or TokenError with its stderr."""
    result = subprocess.run([gatehouse, *args, "--data-dir", data_dir], input=stdin,
                            capture_output=True, text=True, timeout=60, check=False)
    if result.returncode != 0:
        fail(f"gatehouse {' '.join(args[:2])} exited {result.returncode}: {result.stderr.strip()}")
    return result.stdout


def mint(gatehouse, data_dir, base):
    """A new administrator, a new client and an access token from the code flow."""
    label = f"schemathesis-{secrets.token_hex(6)}"
    email = f"{label}@example.com"
    password = secrets.token_urlsafe(24)
    cli(gatehouse, data_dir, ["user", "create", "--email", email, "--password-stdin",
                              "--verified", "--role", "gatehouse:admin"], stdin=f"{password}\n")
    client = json.loads(cli(gatehouse, data_dir, [
        "client", "create", "--name", label, "--redirect-uri", REDIRECT_URI,
        "--audience", "gatehouse", "--json"]))
    client_id, client_secret = client["client_id"], client["client_secret"]
    agent = Agent(base)
    code, verifier = authorization_code(agent, client_id, REDIRECT_URI, email, password)
    basic = base64.b64encode(
        f"{urllib.parse.quote(client_id, safe='')}:{urllib.parse.quote(client_secret, safe='')}"
        .encode()).decode()
    status, _, body, _ = agent.send("POST", "/oauth2/token", form={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
    }, headers={"Authorization": f"Basic {basic}"})
    if status != 200:
        fail(f"the token endpoint answered {status}: {body[:500]}")
    token = json.loads(body).get("access_token")
    if not token:
        fail(f"no access_token in the token answer: {body[:500]}")
    return token


def main():
    if len(sys.argv) != 4:
        print("usage: schemathesis-token.py GATEHOUSE_BINARY DATA_DIR BASE_URL", file=sys.stderr)
        sys.exit(2)
    try:
        print(mint(*sys.argv[1:]))
    except TokenError as error:
        print(f"schemathesis-token: {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
