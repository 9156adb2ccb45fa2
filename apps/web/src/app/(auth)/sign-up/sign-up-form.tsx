"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { signIn } from "next-auth/react";
import { useTranslations } from "next-intl";
import { useState } from "react";
import { formText, SubmitButton, TextField } from "~/components/form";
import { useErrorMessage } from "~/lib/errors";
import { useTRPC } from "~/trpc/react";
import { AuthForm, EmailField, PasswordField } from "../auth-form";
import { signInErrorMessage } from "../sign-in-error";

type FieldErrors = Partial<Record<"name" | "email" | "password" | "confirm", string>>;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function SignUpForm() {
  const t = useTranslations("auth");
  const errorMessage = useErrorMessage();
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

  async function onSubmit(form: FormData) {
    const values = {
      name: formText(form, "name"),
      email: formText(form, "email"),
      password: formText(form, "password"),
      confirm: formText(form, "confirm"),
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
      setError(errorMessage(e));
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
      // Registration answers alike for an email that already has an account (which it leaves
      // unchanged), so a refused password here most likely means exactly that.
      const error = result?.error ?? "NETWORK";
      setError(
        error === "CredentialsSignin"
          ? t("errors.registeredSignInFailed")
          : signInErrorMessage(t, error),
      );
      return;
    }
    router.replace("/dashboard");
    router.refresh();
  }

  const pending = register.isPending || signingIn;

  return (
    <AuthForm page="signUp" error={error} onValues={onSubmit}>
      <TextField
        id="name"
        name="name"
        label={t("name")}
        autoComplete="name"
        required
        error={fieldErrors.name}
      />
      <EmailField error={fieldErrors.email} />
      <PasswordField
        id="password"
        label={t("password")}
        autoComplete="new-password"
        error={fieldErrors.password}
        hint={t("passwordHint")}
      />
      <PasswordField
        id="confirm"
        label={t("confirmPassword")}
        autoComplete="new-password"
        error={fieldErrors.confirm}
      />
      <SubmitButton pending={pending} pendingLabel={t("signingUp")}>
        {t("signUp")}
      </SubmitButton>
    </AuthForm>
  );
}
