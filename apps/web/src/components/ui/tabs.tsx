"use client";

import { Tabs as Primitive } from "radix-ui";
import { withClasses } from "./with-classes";

export const Tabs = Primitive.Root;

export const TabsList = withClasses(
  Primitive.List,
  "inline-flex h-10 items-center rounded-md bg-muted p-1 text-muted-foreground",
);

export const TabsTrigger = withClasses(
  Primitive.Trigger,
  "inline-flex items-center justify-center whitespace-nowrap rounded-sm px-3 py-1.5 text-sm font-medium focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring data-[state=active]:bg-background data-[state=active]:text-foreground data-[state=active]:shadow-sm",
);

export const TabsContent = withClasses(Primitive.Content, "mt-3 focus-visible:outline-none");
