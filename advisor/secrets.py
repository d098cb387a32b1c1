"""Passwords never reach the output: DSNs are masked, and a malformed one is described, never echoed.

libpq's own message on a malformed connection string quotes the string (`missing "=" after
"postgresql//user:pw@h/db"`), so a DSN is checked here before it goes anywhere near libpq.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

# user:password@ with or without a scheme in front (postgresql//u:pw@h and u:pw@h are typos users make); the
# password runs to the last `@` of the authority, for one written with an `@` unencoded (`p@ss`), which libpq
# and the drivers split at the first: what follows it then turns up as a host name in their messages
_URI_PASSWORD = re.compile(
    r"(?P<head>(?:[a-z][a-z0-9+.-]*:/*|^|(?<=[\s\"'(<=/]))[^:/@\s\"'<>]*:)(?P<pw>[^\s/\"'<>]*?)"
    r"(?=@[^@\s/\"'<>]*(?:$|[/\s?\"'<>]))",
    re.IGNORECASE,
)
# a URI's password written with an unencoded `/` (`postgresql://app:Xk9/pw@db/prod`, which libpq reads as the host
# `app` and the rest as a path, quoting them in its errors): after the scheme, everything to the token's last `@`
_URI_USERINFO = re.compile(
    r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s\"'<>]*:)(?P<pw>[^\s\"'<>]*)(?=@[^@\s\"'<>]*(?:$|[\s\"'<>]))", re.IGNORECASE
)
# settings that hold a secret, in key=value strings and URI queries: libpq's password, sslpassword,
# oauth_client_secret, scram_client_key and scram_server_key; a MongoDB URI's tlsCertificateKeyFilePassword and
# authMechanismProperties (AWS_SESSION_TOKEN:...); any other key named for a password, a secret or a token
_SECRET_KEY = r"\w*(?:password|passwd|pwd|secret|token)\w*|scram_\w*key|authmechanismproperties"
_KV_PASSWORD = re.compile(rf"(?P<head>\b(?:{_SECRET_KEY})\s*=\s*)(?P<pw>'(?:[^'\\]|\\.)*'|[^\s&]+)", re.IGNORECASE)
_URI_QUERY_PASSWORD = re.compile(rf"(?P<head>[?&](?:{_SECRET_KEY})=)(?P<pw>[^&\s]+)", re.IGNORECASE)
_known: set[str] = set()

# the keywords libpq takes in a key=value connection string (PostgreSQL 18)
_KEYWORDS = frozenset(
    {
        "host",
        "hostaddr",
        "port",
        "dbname",
        "user",
        "password",
        "passfile",
        "require_auth",
        "channel_binding",
        "connect_timeout",
        "client_encoding",
        "options",
        "application_name",
        "fallback_application_name",
        "keepalives",
        "keepalives_idle",
        "keepalives_interval",
        "keepalives_count",
        "tcp_user_timeout",
        "replication",
        "gssencmode",
        "sslmode",
        "requiressl",
        "sslnegotiation",
        "sslcompression",
        "sslcert",
        "sslkey",
        "sslkeylogfile",
        "sslpassword",
        "sslcertmode",
        "sslrootcert",
        "sslcrl",
        "sslcrldir",
        "sslsni",
        "requirepeer",
        "ssl_min_protocol_version",
        "ssl_max_protocol_version",
        "krbsrvname",
        "gsslib",
        "gssdelegation",
        "service",
        "target_session_attrs",
        "load_balance_hosts",
        "min_protocol_version",
        "max_protocol_version",
        "scram_client_key",
        "scram_server_key",
        "oauth_issuer",
        "oauth_client_id",
        "oauth_client_secret",
        "oauth_scope",
    }
)
_URI = "postgresql://user:password@host:port/dbname"


def remember(dsn: str) -> None:
    """Note the passwords of `dsn` so that mask() hides them wherever they turn up later."""
    for pattern in (_URI_USERINFO, _URI_PASSWORD, _KV_PASSWORD, _URI_QUERY_PASSWORD):
        for m in pattern.finditer(dsn):
            pw = m.group("pw").strip("'")
            if pw:  # and each piece between `@`s and `/`s: a driver that splits there quotes the rest as a host
                _known.update({pw, unquote(pw), *re.split("[@/]", pw), *re.split("[@/]", unquote(pw))})


def mask(text: str) -> str:
    """Text with every password of a DSN (and every password seen in one) replaced by ***."""
    text = _URI_USERINFO.sub(lambda m: m.group("head") + ("***" if m.group("pw") else ""), text)
    text = _URI_PASSWORD.sub(lambda m: m.group("head") + ("***" if m.group("pw") else ""), text)
    text = _KV_PASSWORD.sub(lambda m: m.group("head") + "***", text)
    text = _URI_QUERY_PASSWORD.sub(lambda m: m.group("head") + "***", text)
    for secret in sorted(_known, key=len, reverse=True):
        if len(secret) >= 3:
            text = text.replace(secret, "***")
    return text


def _safe_name(word: str) -> str:
    return word if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_+.-]{0,30}", word) else "?"


def _words(dsn: str) -> list[str] | None:
    """The key=value words of a connection string (quotes kept together), or None when a quote is open."""
    words, current, quoted, i = [], "", False, 0
    while i < len(dsn):
        ch = dsn[i]
        if ch == "\\" and i + 1 < len(dsn):
            current += dsn[i : i + 2]
            i += 2
            continue
        if ch == "'":
            quoted = not quoted
        if ch.isspace() and not quoted:
            if current:
                words.append(current)
            current = ""
        else:
            current += ch
        i += 1
    if quoted:
        return None
    return [*words, current] if current else words


def malformed(dsn: str) -> str | None:
    """What is wrong with a connection string (never quoting it), or None when it looks well-formed."""
    text = dsn.strip()
    if not text:
        return "the DSN is empty"
    scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", text)
    if scheme and scheme.group(1).lower() in ("postgres", "postgresql"):
        if not text[scheme.end() :].startswith("//"):
            return f"it starts with '{scheme.group(1)}:' but not '{scheme.group(1)}://' (expected {_URI})"
        return None
    if re.match(r"postgres(ql)?/", text, re.IGNORECASE):
        return f"the ':' after the scheme is missing (expected {_URI})"
    if scheme and text[scheme.end() :].startswith("//"):
        return f"unknown scheme '{_safe_name(scheme.group(1))}://' (expected {_URI})"
    if "=" not in text:
        return f"it is neither a URI ({_URI}) nor key=value pairs (host=... dbname=... user=...)"
    words = _words(re.sub(r"\s*=\s*", "=", text))  # libpq allows spaces around '='
    if words is None:
        return "a quote in the key=value pairs is never closed"
    for n, word in enumerate(words, 1):
        if "=" not in word:
            return f"word {n} of the key=value pairs has no '=' (write key=value, quote values with spaces)"
        key = word.split("=", 1)[0].strip().lower()
        if key not in _KEYWORDS:
            hint = " (the keyword is 'password')" if key in ("passwd", "pwd", "pw", "pass") else ""
            return f"unknown keyword '{_safe_name(key)}'{hint}"
    return None


# what PostgreSQL says about a statement that names something it cannot find or make: the quoted parts are
# the statement's own names (checked), so the message tells nothing the repository did not write
_SAFE_SHAPES = frozenset(
    {
        'relation "…" does not exist',
        'relation "…" already exists',
        'column "…" does not exist',
        'column "…" of relation "…" does not exist',
        'column "…" of relation "…" already exists',
        'type "…" does not exist',
        'type "…" already exists',
        'schema "…" does not exist',
        'schema "…" already exists',
        'index "…" does not exist',
        'constraint "…" of relation "…" does not exist',
        'extension "…" is not available',
        'syntax error at or near "…"',
        "syntax error at end of input",
    }
)
_QUOTED = re.compile(r'"((?:[^"]|"")*)"')


def server_message(exc: Exception, statement: str, private: bool) -> str:
    """The first line of what PostgreSQL said about one of the repository's statements, passwords masked.
    On a server that is not advisor's own (`--dsn`), only a message of a known shape whose quoted names the
    statement itself writes; any other is the kind of error alone: the message could carry what the statement
    read from the server (a cast error quoting a catalog's settings, an exception a function raises)."""
    diag = getattr(exc, "diag", None)
    primary = (getattr(diag, "message_primary", None) or str(exc)).strip()
    first = primary.splitlines()[0] if primary else type(exc).__name__
    if private:
        return mask(first)
    said = statement.lower()
    names = [m.group(1) for m in _QUOTED.finditer(first)]
    if _QUOTED.sub('"…"', first) in _SAFE_SHAPES and all(n.lower() in said for n in names):
        return mask(first)
    # the class psycopg gives the SQLSTATE, not the code: a function may raise a code of its own choosing
    return (
        f"{type(exc).__name__} (the server's text is not shown on a server that is not advisor's own: it could "
        "quote the server's data; run without --dsn to read it)"
    )
