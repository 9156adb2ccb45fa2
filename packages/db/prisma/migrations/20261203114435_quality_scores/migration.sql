-- AlterTable
ALTER TABLE "DatasetImage" ADD COLUMN "referenceKind" TEXT;
ALTER TABLE "DatasetImage" ADD COLUMN "referencePath" TEXT;

-- AlterTable
ALTER TABLE "Task" ADD COLUMN "scores" TEXT;
