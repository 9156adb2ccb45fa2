// What an AWS SDK (or network) failure means for the product, in words an operator can act on.
// The SDK's own error stays in `cause` for the logs.
import { BlobError } from "./errors";

interface SdkLikeError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  errors?: unknown[];
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EHOSTDOWN",
  "ERR_SOCKET_CONNECTION_TIMEOUT",
]);

const TRANSIENT_NAMES = new Set([
  "TimeoutError",
  "RequestTimeout",
  "RequestTimeoutException",
  "AbortError",
  "SlowDown",
  "ServiceUnavailable",
  "InternalError",
  "ThrottlingException",
]);

const REFUSED_NAMES = new Set([
  "NoSuchBucket",
  "AccessDenied",
  "AllAccessDisabled",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "AuthorizationHeaderMalformed",
  "InvalidBucketName",
  "PermanentRedirect",
  "InvalidToken",
  "ExpiredToken",
  "RequestTimeTooSkewed",
]);

function isNetworkFailure(error: SdkLikeError): boolean {
  if (error.code && NETWORK_CODES.has(error.code)) return true;
  // Node reports a failed connection to every address of a host as one AggregateError.
  return (error.errors ?? []).some((e) => isNetworkFailure(e as SdkLikeError));
}

export interface S3Place {
  bucket: string;
  endpoint?: string;
}

export function where(place: S3Place): string {
  return `bucket "${place.bucket}"${place.endpoint ? ` at ${place.endpoint}` : ""}`;
}

/** Translates a failed S3 call about `key` ("" for calls about the bucket). */
export function translateS3Error(error: unknown, place: S3Place, key: string): unknown {
  if (error instanceof BlobError) return error;
  const e = (error ?? {}) as SdkLikeError;
  const name = e.name ?? "";
  const status = e.$metadata?.httpStatusCode;
  const store = `the object store (${where(place)})`;

  if (name === "NoSuchBucket") {
    return new BlobError("misconfigured", `The ${where(place)} does not exist.`, { cause: error });
  }
  if (REFUSED_NAMES.has(name) || status === 401 || status === 403 || status === 301) {
    return new BlobError(
      "misconfigured",
      `${capitalise(store)} refused the request (${describeRefusal(name, status)}); check the S3 settings.`,
      { cause: error },
    );
  }
  if (name === "NoSuchKey" || name === "NotFound" || status === 404) {
    return new BlobError("not_found", `The stored file "${key}" does not exist.`, { cause: error });
  }
  if (name === "InvalidRange" || status === 416) {
    return new BlobError(
      "invalid_range",
      `The byte range asked for lies outside the stored file "${key}".`,
      { cause: error },
    );
  }
  if (name === "EntityTooLarge") {
    return new BlobError("storage_full", `The file is larger than ${store} accepts.`, {
      cause: error,
    });
  }
  if (isNetworkFailure(e) || TRANSIENT_NAMES.has(name) || (status !== undefined && status >= 500)) {
    return new BlobError(
      "unavailable",
      `${capitalise(store)} cannot be reached; try again later.`,
      {
        cause: error,
      },
    );
  }
  return new BlobError("failed", `${capitalise(store)} could not complete the request.`, {
    cause: error,
  });
}

function describeRefusal(name: string, status: number | undefined): string {
  switch (name) {
    case "InvalidAccessKeyId":
    case "SignatureDoesNotMatch":
    case "InvalidToken":
    case "ExpiredToken":
      return "the access key or secret is wrong";
    case "AccessDenied":
    case "AllAccessDisabled":
      return "access denied";
    case "PermanentRedirect":
    case "AuthorizationHeaderMalformed":
      return "the bucket is in another region";
    case "RequestTimeTooSkewed":
      return "this machine's clock is wrong";
    default:
      return status ? `HTTP ${status}` : name || "unknown reason";
  }
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
