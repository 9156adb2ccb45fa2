-- CreateTable
CREATE TABLE "InferenceNode" (
    "id" TEXT NOT NULL,
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
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "heartbeatAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "stoppedAt" TIMESTAMP(3),

    CONSTRAINT "InferenceNode_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "InferenceNode_heartbeatAt_idx" ON "InferenceNode"("heartbeatAt");
