import type { RenditionResponse } from "@studio/contracts/inference/rendition";
import { HttpError } from "../http/errors";
import { type RenditionMaker, SourceMissingError } from "../renditions/maker";
import type { RouteModule } from "../server";

/**
 * POST /v1/renditions: writes the WebP rendition of an original or a result in DATA_DIR to the
 * named file under DATA_DIR/renditions (temp file + rename) and answers its path and size. The
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
