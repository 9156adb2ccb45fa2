"use client";

import { Download } from "lucide-react";
import Link from "next/link";
import type * as React from "react";
import { Button, type ButtonProps } from "~/components/ui/button";

type LinkButtonProps = Pick<ButtonProps, "variant" | "size" | "disabled"> & {
  href: string;
  children: React.ReactNode;
};

/** A page of the app, reached through a link that looks like a button. */
export function LinkButton({ href, children, ...buttonProps }: LinkButtonProps) {
  return (
    <Button asChild {...buttonProps}>
      <Link href={href}>{children}</Link>
    </Button>
  );
}

/**
 * A file saved rather than opened: `href` is an authorised file route and `download` keeps the
 * browser from navigating to it.
 */
export function DownloadButton({
  href,
  testId,
  children,
  ...buttonProps
}: Omit<LinkButtonProps, "disabled"> & { testId?: string }) {
  return (
    <Button asChild {...buttonProps}>
      <a href={href} download data-testid={testId}>
        <Download aria-hidden />
        {children}
      </a>
    </Button>
  );
}
