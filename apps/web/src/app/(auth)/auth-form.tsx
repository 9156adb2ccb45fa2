"use client";

import Link from "next/link";
import { useTranslations } from "next-intl";
import type * as React from "react";
import { Form, TextField, type TextFieldProps } from "~/components/form";
import { Alert } from "~/components/ui/alert";
import { Card, CardContent, CardDescription, CardHeader } from "~/components/ui/card";

/**
 * The frame shared by sign-in and sign-up: title, form, and a link to the other page. Browser
 * validation is off (`noValidate`) so every message comes from the app, in the page's language.
 */
export function AuthForm({
  title,
  subtitle,
  error,
  onValues,
  switchPrompt,
  switchHref,
  switchLabel,
  children,
}: {
  title: React.ReactNode;
  subtitle: React.ReactNode;
  error: string | null;
  onValues: (values: FormData) => void;
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
        <Form onValues={onValues} className="grid gap-4" noValidate>
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
        </Form>
      </CardContent>
    </Card>
  );
}

export function EmailField({ error }: { error?: string }) {
  const t = useTranslations("auth");
  return (
    <TextField
      id="email"
      name="email"
      label={t("email")}
      type="email"
      autoComplete="email"
      required
      error={error}
    />
  );
}

/** A required password input whose `id` is also its form name. */
export function PasswordField({
  id,
  ...props
}: Pick<TextFieldProps, "id" | "label" | "error" | "hint"> & {
  autoComplete: "current-password" | "new-password";
}) {
  return <TextField id={id} name={id} type="password" required {...props} />;
}
