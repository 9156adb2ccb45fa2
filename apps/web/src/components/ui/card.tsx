import { withClasses } from "./with-classes";

export const Card = withClasses(
  "section",
  "rounded-lg border border-border bg-card text-card-foreground shadow-sm",
);
export const CardHeader = withClasses("div", "flex flex-col gap-1.5 p-5 pb-3");
export const CardTitle = withClasses("h2", "text-base font-semibold leading-tight");
export const CardDescription = withClasses("p", "text-sm text-muted-foreground");
export const CardContent = withClasses("div", "p-5 pt-0");
