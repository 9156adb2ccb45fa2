-- AlterTable
ALTER TABLE "DatasetImage" ADD COLUMN     "referenceKind" TEXT,
ADD COLUMN     "referencePath" TEXT;

-- AlterTable
ALTER TABLE "Task" ADD COLUMN     "scores" TEXT;
