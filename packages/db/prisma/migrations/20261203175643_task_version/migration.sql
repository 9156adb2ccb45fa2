-- AlterTable (a column added in place: the table is not copied)
ALTER TABLE "Task" ADD COLUMN "version" INTEGER NOT NULL DEFAULT 0;

-- Task.version changes with every write to the task or to one of its items, whoever writes
-- (the queue, the API, the worker, a cascade), so a poll can answer "unchanged since version
-- N" from the task row alone (tasks.getIfChanged). SQLite's triggers cannot change NEW, so the
-- task's own trigger writes the row again; the WHEN clause keeps that write from re-firing it.
CREATE TRIGGER "Task_version_on_update" AFTER UPDATE ON "Task"
FOR EACH ROW WHEN NEW."version" = OLD."version"
BEGIN
    UPDATE "Task" SET "version" = OLD."version" + 1 WHERE "id" = NEW."id";
END;

CREATE TRIGGER "TaskItem_version_on_update" AFTER UPDATE ON "TaskItem"
FOR EACH ROW
BEGIN
    UPDATE "Task" SET "version" = "version" + 1 WHERE "id" = NEW."taskId";
END;

CREATE TRIGGER "TaskItem_version_on_delete" AFTER DELETE ON "TaskItem"
FOR EACH ROW
BEGIN
    UPDATE "Task" SET "version" = "version" + 1 WHERE "id" = OLD."taskId";
END;
