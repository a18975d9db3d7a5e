#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Authentication and the state store: JWT verification and signing, one
# PBKDF2 hash (with its ratio against OpenSSL's PKCS5_PBKDF2_HMAC), store
# jobs and a batched insert. The JWT verification reference line carries a
# ratio against PyJWT (the library Freqtrade's REST API uses)
# verifying the same token with the same checks, when python3-jwt is
# installed; otherwise the reference is reported as missing.

set -euo pipefail

exe="$KANTOR_BUILD_DIR/bench/bench-auth"
[ -x "$exe" ] || { echo "bench-auth is not built in $KANTOR_BUILD_DIR" >&2; exit 1; }
rounds=${KANTOR_BENCH_AUTH_ROUNDS:-200000}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$exe" "$tmp" "$rounds" | tee "$tmp/out.json"

# Debian's python3-jwt lives beside the system interpreter, which another
# python3 earlier in PATH may hide.
py=
for candidate in /usr/bin/python3 python3; do
  if "$candidate" -c 'import jwt' 2>/dev/null; then py=$candidate; break; fi
done
if [ -z "$py" ]; then
  echo '{"bench":"jwt_verify_reference","reference":"pyjwt","error":"python3-jwt is not installed"}'
  exit 0
fi

"$exe" --token > "$tmp/token"
"$py" - "$tmp/token" "$tmp/out.json" "$rounds" <<'PY'
import json, sys, time
import jwt

token, secret = open(sys.argv[1]).read().split("\n")[:2]
ours = next(json.loads(l) for l in open(sys.argv[2]) if '"jwt_verify"' in l)
rounds = max(1, int(sys.argv[3]) // 10)   # PyJWT is slower; keep the run short
opts = {"require": ["exp", "iat", "sub", "jti", "iss"]}
best = float("inf")
for _ in range(3):
    start = time.perf_counter()
    for _ in range(rounds):
        claims = jwt.decode(token, secret, algorithms=["HS256"], issuer="kantor",
                            options=opts)
        if claims.get("typ") != "access":
            raise SystemExit("wrong typ")
    best = min(best, time.perf_counter() - start)
ref = rounds / best
print(json.dumps({"bench": "jwt_verify_reference", "reference": "pyjwt " + jwt.__version__,
                  "rounds": rounds, "ops_per_s": round(ref),
                  "ratio": round(ours["ops_per_s"] / ref, 2)}))
PY
