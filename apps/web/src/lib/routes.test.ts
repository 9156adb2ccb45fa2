import { describe, expect, it } from "vitest";
import { legacyPathForTeam, pathForTeam, routes } from "./routes";

describe("team page paths", () => {
  it("put the team in front of every team page", () => {
    expect(routes.task("team1", "task9")).toBe("/t/team1/tasks/task9");
    expect(routes.taskItem("team1", "task9", "item3")).toBe("/t/team1/tasks/task9/items/item3");
    expect(routes.newTask("team1", { datasetId: "d1" })).toBe("/t/team1/tasks/new?datasetId=d1");
    expect(routes.newTask("team1")).toBe("/t/team1/tasks/new");
    expect(routes.settings()).toBe("/settings");
  });

  it("switching team keeps the page, or its list when the page is one record of the old team", () => {
    expect(pathForTeam("/t/a/tasks", "b")).toBe("/t/b/tasks");
    expect(pathForTeam("/t/a/tasks/new", "b")).toBe("/t/b/tasks/new");
    expect(pathForTeam("/t/a/team", "b")).toBe("/t/b/team");
    expect(pathForTeam("/t/a/tasks/x1/report", "b")).toBe("/t/b/tasks");
    expect(pathForTeam("/t/a/weights/w1", "b")).toBe("/t/b/weights");
    expect(pathForTeam("/t/a/datasets/d1", "b")).toBe("/t/b/datasets");
    expect(pathForTeam("/settings", "b")).toBeNull();
  });

  it("old URLs without a team move into the given team, query included", () => {
    expect(legacyPathForTeam("/tasks/x1", "", "b")).toBe("/t/b/tasks/x1");
    expect(legacyPathForTeam("/tasks/new", "?kind=classification", "b")).toBe(
      "/t/b/tasks/new?kind=classification",
    );
    expect(legacyPathForTeam("/dashboard", "", "b")).toBe("/t/b/dashboard");
    expect(legacyPathForTeam("/settings", "", "b")).toBeNull();
  });
});
