-- AlterTable
ALTER TABLE "Team" ADD COLUMN "resultsKeepGps" BOOLEAN NOT NULL DEFAULT false;
