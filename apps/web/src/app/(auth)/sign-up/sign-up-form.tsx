"use client";

import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { signIn } from "next-auth/react";
import { useTranslations } from "next-intl";
import { useState } from "react";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader } from "~/components/ui/card";
import { Input } from "~/components/ui/input";
import { Label } from "~/components/ui/label";
import { signInErrorKey } from "~/lib/auth-errors";
import { errorMessage } from "~/lib/errors";
import { useTRPC } from "~/trpc/react";

type FieldErrors = Partial<Record<"name" | "email" | "password" | "confirm", string>>;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function SignUpForm() {
  const t = useTranslations("auth");
  const tc = useTranslations("common");
  const trpc = useTRPC();
  const router = useRouter();
  const register = useMutation(trpc.auth.register.mutationOptions());
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<string | null>(null);
  const [signingIn, setSigningIn] = useState(false);

  function validate(values: Record<"name" | "email" | "password" | "confirm", string>) {
    const errors: FieldErrors = {};
    if (!values.name.trim()) errors.name = t("errors.nameRequired");
    if (!EMAIL.test(values.email.trim())) errors.email = t("errors.invalidEmail");
    if (values.password.length < 8) errors.password = t("errors.passwordTooShort");
    else if (values.password !== values.confirm) errors.confirm = t("errors.passwordsDiffer");
    return errors;
  }

  async function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const values = {
      name: String(form.get("name") ?? ""),
      email: String(form.get("email") ?? ""),
      password: String(form.get("password") ?? ""),
      confirm: String(form.get("confirm") ?? ""),
    };
    const errors = validate(values);
    setFieldErrors(errors);
    setError(null);
    if (Object.keys(errors).length > 0) return;
    try {
      await register.mutateAsync({
        name: values.name.trim(),
        email: values.email.trim(),
        password: values.password,
      });
    } catch (e) {
      const code = (e as { data?: { code?: string } }).data?.code;
      setError(code === "CONFLICT" ? t("errors.emailTaken") : errorMessage(e, tc));
      return;
    }
    setSigningIn(true);
    const result = await signIn("credentials", {
      email: values.email.trim(),
      password: values.password,
      redirect: false,
    }).catch(() => null);
    if (!result || result.error) {
      setSigningIn(false);
      setError(t(`errors.${signInErrorKey(result?.error ?? "NETWORK")}`));
      return;
    }
    router.replace("/dashboard");
    router.refresh();
  }

  const pending = register.isPending || signingIn;
  const field = (name: keyof FieldErrors) => ({
    "aria-invalid": fieldErrors[name] ? true : undefined,
    "aria-describedby": fieldErrors[name] ? `${name}-error` : undefined,
  });
  const fieldError = (name: keyof FieldErrors) =>
    fieldErrors[name] ? (
      <p id={`${name}-error`} className="text-sm text-destructive">
        {fieldErrors[name]}
      </p>
    ) : null;

  return (
    <Card>
      <CardHeader>
        <h1 className="text-xl font-semibold">{t("signUpTitle")}</h1>
        <CardDescription>{t("signUpSubtitle")}</CardDescription>
      </CardHeader>
      <CardContent>
        <form onSubmit={onSubmit} className="grid gap-4" noValidate>
          {error ? <Alert data-testid="auth-error">{error}</Alert> : null}
          <div className="grid gap-2">
            <Label htmlFor="name">{t("name")}</Label>
            <Input id="name" name="name" autoComplete="name" required {...field("name")} />
            {fieldError("name")}
          </div>
          <div className="grid gap-2">
            <Label htmlFor="email">{t("email")}</Label>
            <Input
              id="email"
              name="email"
              type="email"
              autoComplete="email"
              required
              {...field("email")}
            />
            {fieldError("email")}
          </div>
          <div className="grid gap-2">
            <Label htmlFor="password">{t("password")}</Label>
            <Input
              id="password"
              name="password"
              type="password"
              autoComplete="new-password"
              required
              {...field("password")}
            />
            {fieldError("password") ?? (
              <p className="text-xs text-muted-foreground">{t("passwordHint")}</p>
            )}
          </div>
          <div className="grid gap-2">
            <Label htmlFor="confirm">{t("confirmPassword")}</Label>
            <Input
              id="confirm"
              name="confirm"
              type="password"
              autoComplete="new-password"
              required
              {...field("confirm")}
            />
            {fieldError("confirm")}
          </div>
          <Button type="submit" disabled={pending}>
            {pending ? t("signingUp") : t("signUp")}
          </Button>
          <p className="text-center text-sm text-muted-foreground">
            {t("haveAccount")}{" "}
            <Link
              href="/sign-in"
              className="font-medium text-primary underline-offset-4 hover:underline"
            >
              {t("goSignIn")}
            </Link>
          </p>
        </form>
      </CardContent>
    </Card>
  );
}
