import type { ImageCheckResponse } from "@studio/contracts/inference/image-check";
import type { ImageChecker } from "../images/checker";
import type { RouteModule } from "../server";

/**
 * POST /v1/images/check: the full decode of an upload the web app has staged in the blob store
 * (incoming/), one at a time, before the web app keeps it; answers the format, size, channels
 * and bit depth it records. The object stays where it is, the caller's to move or remove.
 */
export function imageCheckRoutes(deps: { checker: ImageChecker }): RouteModule {
  return (app) => {
    app.post(
      "/v1/images/check",
      async (request): Promise<ImageCheckResponse> => deps.checker.check(request.body),
    );
  };
}
