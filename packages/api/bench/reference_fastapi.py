"""The reference service of server-polling.ts (issue 15) as a user of the original Python
systems would write it: FastAPI + uvicorn (one worker), the product's SQLite file in WAL mode,
per request the bearer token's sha256 looked up in ApiToken joined to its user, then one SELECT
of the team's task row, answered as JSON. No membership check, no output validation: that is the
point of comparison. Debian: apt-get install python3-fastapi python3-uvicorn.

    python3 reference_fastapi.py <sqlite file> <port>
"""

import hashlib
import sqlite3
import sys
import time

import uvicorn
from fastapi import FastAPI, Header
from fastapi.responses import JSONResponse

db_file, port = sys.argv[1], int(sys.argv[2])
db = sqlite3.connect(db_file, check_same_thread=False)
db.row_factory = sqlite3.Row
db.execute("PRAGMA journal_mode = WAL")
db.execute("PRAGMA busy_timeout = 5000")

TOKEN_QUERY = """
  SELECT t."id" AS "tokenId", t."revokedAt", t."expiresAt", u."id" AS "userId"
  FROM "ApiToken" t JOIN "User" u ON u."id" = t."userId"
  WHERE t."tokenHash" = ?"""
TASK_QUERY = """
  SELECT "id", "status", "progress", "itemCount", "itemsDone", "itemsFailed", "device",
    "error", "createdAt", "startedAt", "finishedAt"
  FROM "Task" WHERE "id" = ? AND "teamId" = ?"""

app = FastAPI()


@app.get("/task")
async def task(teamId: str, taskId: str, authorization: str = Header(default="")):
    token = authorization[7:] if authorization.startswith("Bearer ") else ""
    row = (
        db.execute(TOKEN_QUERY, (hashlib.sha256(token.encode()).hexdigest(),)).fetchone()
        if token
        else None
    )
    if (
        row is None
        or row["revokedAt"] is not None
        or (row["expiresAt"] is not None and row["expiresAt"] <= time.time() * 1000)
    ):
        return JSONResponse({"detail": "Not authenticated"}, status_code=401)
    found = db.execute(TASK_QUERY, (taskId, teamId)).fetchone()
    if found is None:
        return JSONResponse({"detail": "Not found"}, status_code=404)
    return dict(found)


if __name__ == "__main__":
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        workers=1,
        # What `pip install fastapi uvicorn` runs (the service issue 15 measured): asyncio and h11;
        # uvicorn[standard] would add uvloop and httptools. `--standard` selects those (if installed).
        loop="uvloop" if "--standard" in sys.argv else "asyncio",
        http="httptools" if "--standard" in sys.argv else "h11",
        log_level="warning",
        access_log=False,
    )
