-- AlterTable
ALTER TABLE "Weight" ADD COLUMN     "int8" TEXT;
