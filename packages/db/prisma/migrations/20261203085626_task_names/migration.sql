-- AlterTable
ALTER TABLE "Task" ADD COLUMN "name" TEXT NOT NULL DEFAULT '';

-- Names the tasks created before names existed as new ones are named (in English, as the API
-- names a task when no language is given): "<kind> · <first image> (+N more)".
UPDATE "Task" SET "name" = substr(
  CASE "taskKind"
    WHEN 'segmentation' THEN 'Segmentation'
    WHEN 'super_resolution' THEN 'Super-resolution'
    WHEN 'classification' THEN 'Classification'
    ELSE "taskKind"
  END
  || COALESCE(' · ' || (
    SELECT m."originalName" FROM "TaskItem" i JOIN "Image" m ON m."id" = i."imageId"
    WHERE i."taskId" = "Task"."id" ORDER BY i."position" LIMIT 1
  ), '')
  || CASE WHEN "itemCount" > 1 THEN ' (+' || ("itemCount" - 1) || ' more)' ELSE '' END,
  1, 120)
WHERE "name" = '';
