-- AlterTable
ALTER TABLE "Team" ADD COLUMN     "resultNamePattern" TEXT;
