"use client";

import { useRouter } from "next/navigation";
import { signIn } from "next-auth/react";
import { useTranslations } from "next-intl";
import { useState } from "react";
import { formText, SubmitButton } from "~/components/form";
import { Alert } from "~/components/ui/alert";
import { AuthForm, EmailField, PasswordField } from "../auth-form";
import { signInErrorMessage } from "../sign-in-error";

export function SignInForm({
  callbackUrl,
  initialError,
  signedOut,
}: {
  callbackUrl: string;
  initialError: string | null;
  signedOut: boolean;
}) {
  const t = useTranslations("auth");
  const router = useRouter();
  const [error, setError] = useState<string | null>(
    initialError ? signInErrorMessage(t, initialError) : null,
  );
  const [pending, setPending] = useState(false);

  async function onSubmit(form: FormData) {
    setPending(true);
    setError(null);
    try {
      const result = await signIn("credentials", {
        email: formText(form, "email"),
        password: formText(form, "password"),
        redirect: false,
      });
      if (!result || result.error) {
        setError(signInErrorMessage(t, result?.error ?? ""));
        setPending(false);
        return;
      }
      router.replace(callbackUrl);
      router.refresh();
    } catch {
      setError(t("errors.network"));
      setPending(false);
    }
  }

  return (
    <AuthForm page="signIn" error={error} onValues={onSubmit}>
      {signedOut && !error ? <Alert variant="info">{t("signedOut")}</Alert> : null}
      <EmailField />
      <PasswordField id="password" label={t("password")} autoComplete="current-password" />
      <SubmitButton pending={pending} pendingLabel={t("signingIn")}>
        {t("signIn")}
      </SubmitButton>
      <p className="text-sm text-muted-foreground" data-testid="sign-in-help">
        {t("signInHelp")}
      </p>
    </AuthForm>
  );
}
