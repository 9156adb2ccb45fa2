-- CreateTable
CREATE TABLE "InferenceNode" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "url" TEXT NOT NULL,
    "hostname" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "device" TEXT NOT NULL DEFAULT 'cpu',
    "providers" TEXT NOT NULL DEFAULT '[]',
    "capacity" INTEGER NOT NULL DEFAULT 1,
    "load" INTEGER NOT NULL DEFAULT 0,
    "weights" TEXT NOT NULL DEFAULT '[]',
    "version" TEXT NOT NULL DEFAULT '',
    "heartbeatMs" INTEGER NOT NULL DEFAULT 2000,
    "startedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "heartbeatAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "stoppedAt" DATETIME
);

-- CreateIndex
CREATE INDEX "InferenceNode_heartbeatAt_idx" ON "InferenceNode"("heartbeatAt");
