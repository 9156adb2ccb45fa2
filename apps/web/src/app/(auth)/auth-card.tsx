import Link from "next/link";
import type * as React from "react";
import { Alert } from "~/components/ui/alert";
import { Card, CardContent, CardDescription, CardHeader } from "~/components/ui/card";

/**
 * The frame shared by sign-in and sign-up: title, form, and a link to the other page. Browser
 * validation is off (`noValidate`) so every message comes from the app, in the page's language.
 */
export function AuthCard({
  title,
  subtitle,
  error,
  onSubmit,
  switchPrompt,
  switchHref,
  switchLabel,
  children,
}: {
  title: React.ReactNode;
  subtitle: React.ReactNode;
  error: string | null;
  onSubmit: (event: React.FormEvent<HTMLFormElement>) => void;
  switchPrompt: React.ReactNode;
  switchHref: string;
  switchLabel: React.ReactNode;
  children: React.ReactNode;
}) {
  return (
    <Card>
      <CardHeader>
        <h1 className="text-xl font-semibold">{title}</h1>
        <CardDescription>{subtitle}</CardDescription>
      </CardHeader>
      <CardContent>
        <form onSubmit={onSubmit} className="grid gap-4" noValidate>
          {error ? <Alert data-testid="auth-error">{error}</Alert> : null}
          {children}
          <p className="text-center text-sm text-muted-foreground">
            {switchPrompt}{" "}
            <Link
              href={switchHref}
              className="font-medium text-primary underline-offset-4 hover:underline"
            >
              {switchLabel}
            </Link>
          </p>
        </form>
      </CardContent>
    </Card>
  );
}
