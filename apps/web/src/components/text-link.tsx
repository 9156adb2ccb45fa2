import Link from "next/link";
import { withClasses } from "~/components/ui/with-classes";

/** A page of the app, linked from running text: the one look of a plain link. */
export const TextLink = withClasses(Link, "text-primary hover:underline");

/** The name of a thing in a list or table, linking to that thing's page. */
export const NameLink = withClasses(Link, "font-medium text-primary hover:underline");
