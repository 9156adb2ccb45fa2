"use client";

import Link from "next/link";
import { useTranslations } from "next-intl";
import type * as React from "react";
import { Form, TextField, type TextFieldProps } from "~/components/form";
import { Alert } from "~/components/ui/alert";
import { Card, CardContent, CardDescription, CardHeader } from "~/components/ui/card";

/** What each page links to: the other one, with its prompt and label (keys of `auth`). */
const OTHER_PAGE = {
  signIn: { prompt: "noAccount", href: "/sign-up", label: "goSignUp" },
  signUp: { prompt: "haveAccount", href: "/sign-in", label: "goSignIn" },
} as const;

/**
 * The frame shared by sign-in and sign-up: title, form, and a link to the other page. Browser
 * validation is off (`noValidate`) so every message comes from the app, in the page's language.
 */
export function AuthForm({
  page,
  error,
  onValues,
  children,
}: {
  page: keyof typeof OTHER_PAGE;
  error: string | null;
  onValues: (values: FormData) => void;
  children: React.ReactNode;
}) {
  const t = useTranslations("auth");
  const other = OTHER_PAGE[page];
  return (
    <Card>
      <CardHeader>
        <h1 className="text-xl font-semibold">{t(`${page}Title`)}</h1>
        <CardDescription>{t(`${page}Subtitle`)}</CardDescription>
      </CardHeader>
      <CardContent>
        <Form onValues={onValues} className="grid gap-4" noValidate>
          {error ? <Alert data-testid="auth-error">{error}</Alert> : null}
          {children}
          <p className="text-center text-sm text-muted-foreground">
            {t(other.prompt)}{" "}
            <Link
              href={other.href}
              className="font-medium text-primary underline-offset-4 hover:underline"
            >
              {t(other.label)}
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
