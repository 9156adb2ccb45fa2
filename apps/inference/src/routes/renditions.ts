import type { RenditionResponse } from "@studio/contracts/inference/rendition";
import { HttpError } from "../http/errors";
import { type RenditionMaker, SourceMissingError } from "../renditions/maker";
import type { RouteModule } from "../server";

/**
 * POST /v1/renditions: stores the rendition (WebP for screens, JPEG for print) of an original
 * (uploads/) or a result (results/) in the blob store under the named renditions/ key and
 * answers its key and size. The
 * web app keeps the cache bookkeeping (names, ETags, who may see it); pixels stay here.
 */
export function renditionRoutes(deps: { maker: RenditionMaker }): RouteModule {
  return (app) => {
    app.post("/v1/renditions", async (request): Promise<RenditionResponse> => {
      try {
        return await deps.maker.make(request.body);
      } catch (error) {
        if (error instanceof SourceMissingError) {
          throw new HttpError(404, "not_found", "the image file is missing");
        }
        throw error;
      }
    });
  };
}
