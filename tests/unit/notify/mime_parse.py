#!/usr/bin/env python3
"""Parses an e-mail with Python's email package (an independent MIME implementation) and
prints what a recipient would see as JSON: decoded headers, each leaf part with its type,
charset, file name and decoded payload (base64 again, so any bytes survive JSON), the
From and To mailboxes, and the parser's defects.

usage: mime_parse.py FILE
"""
import base64
import email
import email.policy
import json
import sys


def main():
    with open(sys.argv[1], "rb") as f:
        raw = f.read()
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    headers = [[k, str(v)] for k, v in msg.items()]
    parts = []
    for p in msg.walk():
        if p.is_multipart():
            continue
        payload = p.get_payload(decode=True) or b""
        parts.append({
            "type": p.get_content_type(),
            "charset": p.get_content_charset() or "",
            "filename": p.get_filename() or "",
            "disposition": p.get_content_disposition() or "",
            "cte": str(p.get("Content-Transfer-Encoding", "")),
            "b64": base64.b64encode(payload).decode(),
        })
    addresses = {}
    for name in ("From", "To"):
        h = msg[name]
        if h is not None:
            addresses[name] = [[a.display_name, a.addr_spec] for a in h.addresses]
    defects = [type(d).__name__ for d in msg.defects]
    for p in msg.walk():
        defects += [type(d).__name__ for d in p.defects]
    print(json.dumps({"headers": headers, "addresses": addresses, "parts": parts,
                      "defects": defects,
                      "boundary": msg.get_boundary() or ""}))


main()
