// Round trip of openapi-fetch on the types openapi-typescript generates from the spec (`src/ching.ts`).
// scripts/interop.py puts this file beside `src/` and `checks.ts`, compiles it with tsc --strict
// and runs it with CHING_BASE_URL and CHING_API_KEY set.

import createClient from "openapi-fetch";
import type { paths } from "./src/ching";
import { PNG_BASE64, env, expect, runChecks } from "./checks";

// The success body, or an Error describing the typed error body.
function ok<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.data === undefined) {
    throw new Error(`HTTP ${result.response.status}: ${JSON.stringify(result.error)}`);
  }
  return result.data;
}

async function main(): Promise<void> {
  const ching = createClient<paths>({
    baseUrl: env("CHING_BASE_URL"),
    headers: { Authorization: `Bearer ${env("CHING_API_KEY")}` },
  });
  const email = `tal-${Date.now().toString(36)}@example.com`;
  let customerId = "";
  let productId = "";

  await runChecks([
    ["customers_create", async () => {
      const result = ok(await ching.POST("/v1/customers", { body: { name: "Tal Levi", email, metadata: { user_id: "42" } } }));
      expect(result.success === true && result.data.id.startsWith("cus_"), JSON.stringify(result));
      expect(result.data.email === email && result.data.metadata["user_id"] === "42", JSON.stringify(result.data));
      customerId = result.data.id;
    }],
    ["customers_list", async () => {
      const ids = ok(await ching.GET("/v1/customers")).data.map((c) => c.id);
      expect(ids.includes(customerId), `${customerId} not in ${ids.join(",")}`);
    }],
    ["customers_retrieve", async () => {
      const found = ok(await ching.GET("/v1/customers/{id}", { params: { path: { id: customerId } } })).data;
      expect(found.deleted !== true, `got a tombstone: ${JSON.stringify(found)}`);
      expect(found.id === customerId && found.name === "Tal Levi", JSON.stringify(found));
    }],
    ["customers_update", async () => {
      const updated = ok(
        await ching.POST("/v1/customers/{id}", { params: { path: { id: customerId } }, body: { phone: "054-987-6543" } }),
      ).data;
      expect(updated.phone === "+972549876543", `phone ${String(updated.phone)}`);
    }],
    ["customers_upsert", async () => {
      const result = ok(await ching.POST("/v1/customers/upsert", { body: { identifyBy: "email", email, name: "Tal" } }));
      // UpsertAction is `"created" | "updated" | string`: compare it as a string.
      expect(result.action === "updated", `action ${JSON.stringify(result.action)}`);
      expect(result.data.id === customerId && result.data.name === "Tal", JSON.stringify(result.data));
    }],
    ["customers_delete", async () => {
      const tombstone = ok(await ching.DELETE("/v1/customers/{id}", { params: { path: { id: customerId } } })).data;
      expect(tombstone.id === customerId && tombstone.deleted === true, JSON.stringify(tombstone));
    }],
    ["retrieve_deleted", async () => {
      const found = ok(await ching.GET("/v1/customers/{id}", { params: { path: { id: customerId } } })).data;
      expect(found.deleted === true && found.id === customerId, `not a tombstone: ${JSON.stringify(found)}`);
    }],
    ["products_create", async () => {
      const body = {
        name: "Pro Plan",
        description: "Full access",
        features: [{ title: "Priority support", subtitle: "Under 4h" }],
      };
      const product = ok(await ching.POST("/v1/products", { body })).data;
      expect(product.id.startsWith("prod_") && product.active === true, JSON.stringify(product));
      const features = product.features.map((f) => `${f.title}/${String(f.subtitle)}`);
      expect(features.join() === "Priority support/Under 4h", features.join());
      productId = product.id;
    }],
    ["products_list", async () => {
      const ids = ok(await ching.GET("/v1/products")).data.map((p) => p.id);
      expect(ids.includes(productId), `${productId} not in ${ids.join(",")}`);
    }],
    ["products_retrieve", async () => {
      const product = ok(await ching.GET("/v1/products/{id}", { params: { path: { id: productId } } })).data;
      expect(product.id === productId && product.name === "Pro Plan", JSON.stringify(product));
    }],
    ["products_update", async () => {
      const product = ok(
        await ching.POST("/v1/products/{id}", {
          params: { path: { id: productId } },
          body: { active: false, description: null },
        }),
      ).data;
      expect(product.active === false && product.description === null, JSON.stringify(product));
    }],
    ["products_upload_image", async () => {
      const image = ok(
        await ching.POST("/v1/products/upload_image", {
          body: { content: PNG_BASE64, content_type: "image/png", filename: "pro-plan" },
        }),
      ).data;
      expect(image.url.startsWith("http") && image.url.endsWith("pro-plan.png"), image.url);
    }],
    ["typed_error", async () => {
      const { data, error, response } = await ching.GET("/v1/customers/{id}", { params: { path: { id: "cus_missing" } } });
      expect(data === undefined && error !== undefined, "no error for a missing customer");
      if (error === undefined) return;
      expect(response.status === 404 && error.success === false, `status ${response.status}`);
      expect(error.error.code === "NOT_FOUND" && error.error.status === 404, JSON.stringify(error));
    }],
  ]);
}

void main();
