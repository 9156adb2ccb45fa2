import { withClasses } from "./with-classes";

/**
 * A plain `<select>` styled like `Input`, for forms read through `FormData`. `min-w-0` keeps a
 * long option from widening its grid cell.
 */
export const NativeSelect = withClasses(
  "select",
  "h-10 w-full min-w-0 rounded-md border border-border bg-background px-3 text-sm",
);
