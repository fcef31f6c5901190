#!/usr/bin/env python3
"""Revokes COUNT documents of a tenant through the public API (PUT .../documents/{id}/revocation),
THREADS at a time over keep-alive connections: a long revocation list for the benchmark (issue 23).
A bounded loop: exactly COUNT requests, ids doc-0 .. doc-(COUNT-1) with PREFIX.

  revoke-many.py BASE_URL TENANT TOKEN COUNT [THREADS] [PREFIX]
TLS is trusted through $CURL_CA_BUNDLE (the dev node's certificate), as curl does."""
import http.client
import os
import ssl
import sys
import threading
import time
import urllib.parse

base, tenant, token, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
threads = int(sys.argv[5]) if len(sys.argv) > 5 else 8
prefix = sys.argv[6] if len(sys.argv) > 6 else "revoked-"
url = urllib.parse.urlsplit(base)
context = ssl.create_default_context(cafile=os.environ.get("CURL_CA_BUNDLE")) if url.scheme == "https" else None
lock = threading.Lock()
next_index = [0]
failures = []


def connect():
    if context is not None:
        return http.client.HTTPSConnection(url.hostname, url.port, context=context, timeout=30)
    return http.client.HTTPConnection(url.hostname, url.port, timeout=30)


def work():
    conn = connect()
    while True:
        with lock:
            i = next_index[0]
            if i >= count or failures:
                break
            next_index[0] += 1
        path = f"/v1/tenants/{tenant}/documents/{prefix}{i}/revocation"
        for attempt in range(3):
            try:
                conn.request("PUT", path, body="{}", headers={"Authorization": "Bearer " + token,
                                                              "Content-Type": "application/json"})
                r = conn.getresponse()
                r.read()
                if r.status != 200:
                    with lock:
                        failures.append(f"{path}: {r.status}")
                break
            except (http.client.HTTPException, OSError):
                conn.close()
                conn = connect()
        else:
            with lock:
                failures.append(f"{path}: no answer")
    conn.close()


began = time.time()
workers = [threading.Thread(target=work) for _ in range(threads)]
for w in workers:
    w.start()
for w in workers:
    w.join()
elapsed = time.time() - began
if failures:
    print(f"revoke-many: {len(failures)} failed, first {failures[0]}", file=sys.stderr)
    sys.exit(1)
print(f"revoke-many: {count} documents of {tenant} revoked in {elapsed:.1f} s ({count / elapsed:.0f}/s)")
