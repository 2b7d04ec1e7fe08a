#!/usr/bin/env bash
# Sets up Directus 11.3.5 (the newest release that runs on Node.js 20) as the
# side-by-side peer of `npm run bench:peer`, the same as ../shared/peer/directus-setup.sh:
# installed into $DIR (default /tmp/directus-peer, never into this repository;
# `npm install` needs network access to the npm registry the first time), a fresh
# `directus_peer` database on the PostgreSQL server, a `contacts` collection of N rows
# (`First{i} Last{i} user{i}@example.com +3120{1000000+i}`), a static admin token
# `peer-static-admin-token`, started on 127.0.0.1:$PORT with its PID in $DIR/server.pid.
# Env: PGHOST (127.0.0.1), PGPORT (5432), N (10000), DIR, PORT (8055).
set -euo pipefail
PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} N=${N:-10000} PORT=${PORT:-8055}
dir=${DIR:-/tmp/directus-peer}
url=http://127.0.0.1:$PORT
mkdir -p "$dir" && cd "$dir"
[ -f package.json ] || npm init -y >/dev/null
[ -d node_modules/directus ] || npm install --no-audit --no-fund directus@11.3.5 >install.log 2>&1
if [ -f server.pid ] && kill -0 "$(cat server.pid)" 2>/dev/null; then kill "$(cat server.pid)"; sleep 2; fi
psql -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -qc "drop database if exists directus_peer with (force)" -c "create database directus_peer" >/dev/null
cat > .env <<ENV
HOST=127.0.0.1
PORT=$PORT
PUBLIC_URL=$url
KEY=peer-key-0000
SECRET=peer-secret-0000
DB_CLIENT=pg
DB_HOST=$PGHOST
DB_PORT=$PGPORT
DB_DATABASE=directus_peer
DB_USER=postgres
DB_PASSWORD=
ADMIN_EMAIL=admin@example.com
ADMIN_PASSWORD=Peer-Admin-Pass-1
TELEMETRY=false
RATE_LIMITER_ENABLED=false
RATE_LIMITER_GLOBAL_ENABLED=false
CACHE_ENABLED=false
LOG_LEVEL=warn
WEBSOCKETS_ENABLED=false
ENV
npx directus bootstrap >bootstrap.log 2>&1
nohup node node_modules/directus/cli.js start >server.log 2>&1 &
echo $! > server.pid
for i in $(seq 60); do curl -sf "$url/server/ping" >/dev/null && break; sleep 1; done
tok=$(curl -s -X POST "$url/auth/login" -H 'content-type: application/json' -d '{"email":"admin@example.com","password":"Peer-Admin-Pass-1"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).data.access_token')
me=$(curl -s "$url/users/me" -H "authorization: Bearer $tok" | node -pe 'JSON.parse(require("fs").readFileSync(0)).data.id')
curl -s -X PATCH "$url/users/$me" -H "authorization: Bearer $tok" -H 'content-type: application/json' -d '{"token":"peer-static-admin-token"}' >/dev/null
curl -s -X POST "$url/collections" -H "authorization: Bearer $tok" -H 'content-type: application/json' -d '{"collection":"contacts","schema":{},"fields":[{"field":"id","type":"integer","schema":{"is_primary_key":true,"has_auto_increment":true}},{"field":"first_name","type":"string"},{"field":"last_name","type":"string"},{"field":"email","type":"string"},{"field":"phone","type":"string"}]}' >/dev/null
node -e '
const [N, url] = [+process.argv[1], process.argv[2]]; (async () => {
  for (let b = 0; b < N; b += 500) {
    const rows = []; for (let i = b; i < Math.min(N, b + 500); i++) rows.push({ first_name: "First" + i, last_name: "Last" + i, email: "user" + i + "@example.com", phone: "+3120" + String(1000000 + i) });
    const r = await fetch(url + "/items/contacts", { method: "POST", headers: { authorization: "Bearer peer-static-admin-token", "content-type": "application/json" }, body: JSON.stringify(rows) });
    if (!r.ok) throw new Error("seed " + r.status + " " + await r.text());
  } })().catch((e) => { console.error(e); process.exit(1); });' "$N" "$url"
echo "directus pid $(cat server.pid) token peer-static-admin-token rows $N url $url"
