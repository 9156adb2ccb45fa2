import { expect, it } from "vitest";
import { defaultTaskName, TASK_NAME_MAX, taskNameSchema } from "./task-names";

it("shortens a long image name so the kind and the count stay, within the limit", () => {
  const name = defaultTaskName("segmentation", `${"长".repeat(50)}${"a".repeat(200)}.png`, 12);
  expect(name.length).toBe(TASK_NAME_MAX);
  expect(name).toMatch(/^Segmentation · 长+a+… \(\+11 more\)$/);
  expect(taskNameSchema.parse(name)).toBe(name);
  // Astral characters (two UTF-16 units) are never cut in half.
  const emoji = defaultTaskName("classification", "😀".repeat(100), 1, "zh-CN");
  expect(emoji.length).toBeLessThanOrEqual(TASK_NAME_MAX);
  expect(emoji).toMatch(/^图像分类 · (😀)+…$/u);
  expect(defaultTaskName("super_resolution", null, 0)).toBe("Super-resolution");
});
