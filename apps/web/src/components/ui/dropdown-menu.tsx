"use client";

import { DropdownMenu as Primitive } from "radix-ui";
import type * as React from "react";
import { cn } from "~/lib/utils";
import { withClasses } from "./with-classes";

export const DropdownMenu = Primitive.Root;
export const DropdownMenuTrigger = Primitive.Trigger;
export const DropdownMenuRadioGroup = Primitive.RadioGroup;

export function DropdownMenuContent({
  className,
  sideOffset = 6,
  ...props
}: React.ComponentProps<typeof Primitive.Content>) {
  return (
    <Primitive.Portal>
      <Primitive.Content
        sideOffset={sideOffset}
        className={cn(
          "z-50 min-w-[10rem] overflow-hidden rounded-md border border-border bg-popover p-1 text-popover-foreground shadow-md",
          className,
        )}
        {...props}
      />
    </Primitive.Portal>
  );
}

const itemClass =
  "relative flex cursor-default select-none items-center gap-2 rounded-sm px-2 py-1.5 text-sm outline-none focus:bg-muted data-[disabled]:pointer-events-none data-[disabled]:opacity-50";

export const DropdownMenuItem = withClasses(Primitive.Item, itemClass);

export function DropdownMenuRadioItem({
  className,
  children,
  ...props
}: React.ComponentProps<typeof Primitive.RadioItem>) {
  return (
    <Primitive.RadioItem className={cn(itemClass, "pl-7", className)} {...props}>
      <span className="absolute left-2 flex size-3.5 items-center justify-center">
        <Primitive.ItemIndicator>●</Primitive.ItemIndicator>
      </span>
      {children}
    </Primitive.RadioItem>
  );
}

export const DropdownMenuLabel = withClasses(
  Primitive.Label,
  "px-2 py-1.5 text-xs text-muted-foreground",
);

export const DropdownMenuSeparator = withClasses(Primitive.Separator, "-mx-1 my-1 h-px bg-border");
