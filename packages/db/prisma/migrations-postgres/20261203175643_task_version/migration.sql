-- AlterTable
ALTER TABLE "Task" ADD COLUMN     "version" INTEGER NOT NULL DEFAULT 0;

-- Task.version changes with every write to the task or to one of its items, whoever writes
-- (the queue, the API, the worker, a cascade), so a poll can answer "unchanged since version
-- N" from the task row alone (tasks.getIfChanged).
-- The function bodies spell their statement separators as \073 (octal): Prisma's PostgreSQL
-- adapter runs a migration by splitting its text at every separator, even inside quotes.
CREATE FUNCTION "task_version_on_update"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
    IF NEW."version" = OLD."version" THEN
        NEW."version" := OLD."version" + 1\073
    END IF\073
    RETURN NEW\073
END';

CREATE TRIGGER "Task_version_on_update" BEFORE UPDATE ON "Task"
FOR EACH ROW EXECUTE FUNCTION "task_version_on_update"();

-- Once per statement, not per item: cancelling a task of 10,000 items writes its row once.
CREATE FUNCTION "task_item_version_on_change"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
    UPDATE "Task" SET "version" = "version" + 1
    WHERE "id" IN (SELECT DISTINCT "taskId" FROM changed_items)\073
    RETURN NULL\073
END';

CREATE TRIGGER "TaskItem_version_on_update" AFTER UPDATE ON "TaskItem"
REFERENCING NEW TABLE AS changed_items
FOR EACH STATEMENT EXECUTE FUNCTION "task_item_version_on_change"();

CREATE TRIGGER "TaskItem_version_on_delete" AFTER DELETE ON "TaskItem"
REFERENCING OLD TABLE AS changed_items
FOR EACH STATEMENT EXECUTE FUNCTION "task_item_version_on_change"();
