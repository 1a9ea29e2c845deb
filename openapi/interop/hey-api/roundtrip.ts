// Round trip of the @hey-api/openapi-ts client (fetch) against the local Ching.
// tests/test_interop.py puts this file beside the generated `src/` and `checks.ts`, compiles it
// with tsc --strict and runs it with CHING_BASE_URL and CHING_API_KEY set.

import { client } from "./src/client.gen";
import {
  customersCreate,
  customersDelete,
  customersList,
  customersRetrieve,
  customersUpdate,
  customersUpsert,
  productsCreate,
  productsList,
  productsRetrieve,
  productsUpdate,
  productsUploadImage,
} from "./src/sdk.gen";
import type { Customer } from "./src/types.gen";
import { PNG_BASE64, env, expect, runChecks } from "./checks";

// The success body, or an Error describing the typed error body.
function ok<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.data === undefined) {
    throw new Error(`HTTP ${result.response.status}: ${JSON.stringify(result.error)}`);
  }
  return result.data;
}

async function main(): Promise<void> {
  client.setConfig({ baseUrl: env("CHING_BASE_URL"), auth: () => env("CHING_API_KEY") });
  const email = `tal-${Date.now().toString(36)}@example.com`;
  let customerId = "";
  let productId = "";

  await runChecks([
    ["customers_create", async () => {
      const result = ok(await customersCreate({ body: { name: "Tal Levi", email, metadata: { user_id: "42" } } }));
      expect(result.success === true && result.data.id.startsWith("cus_"), JSON.stringify(result));
      expect(result.data.email === email && result.data.metadata["user_id"] === "42", JSON.stringify(result.data));
      customerId = result.data.id;
    }],
    ["customers_list", async () => {
      const ids = ok(await customersList()).data.map((c: Customer) => c.id);
      expect(ids.includes(customerId), `${customerId} not in ${ids.join(",")}`);
    }],
    ["customers_retrieve", async () => {
      const found = ok(await customersRetrieve({ path: { id: customerId } })).data;
      expect(found.deleted !== true, `got a tombstone: ${JSON.stringify(found)}`);
      expect(found.id === customerId && found.name === "Tal Levi", JSON.stringify(found));
    }],
    ["customers_update", async () => {
      const updated = ok(await customersUpdate({ path: { id: customerId }, body: { phone: "054-987-6543" } })).data;
      expect(updated.phone === "+972549876543", `phone ${String(updated.phone)}`);
    }],
    ["customers_upsert", async () => {
      const result = ok(await customersUpsert({ body: { identifyBy: "email", email, name: "Tal" } }));
      expect(result.action === "updated", `action ${JSON.stringify(result.action)}`);
      expect(result.data.id === customerId && result.data.name === "Tal", JSON.stringify(result.data));
    }],
    ["customers_delete", async () => {
      const tombstone = ok(await customersDelete({ path: { id: customerId } })).data;
      expect(tombstone.id === customerId && tombstone.deleted === true, JSON.stringify(tombstone));
    }],
    ["retrieve_deleted", async () => {
      const found = ok(await customersRetrieve({ path: { id: customerId } })).data;
      expect(found.deleted === true && found.id === customerId, `not a tombstone: ${JSON.stringify(found)}`);
    }],
    ["products_create", async () => {
      const product = ok(
        await productsCreate({
          body: {
            name: "Pro Plan",
            description: "Full access",
            features: [{ title: "Priority support", subtitle: "Under 4h" }],
          },
        }),
      ).data;
      expect(product.id.startsWith("prod_") && product.active === true, JSON.stringify(product));
      const features = product.features.map((f) => `${f.title}/${String(f.subtitle)}`);
      expect(features.join() === "Priority support/Under 4h", features.join());
      productId = product.id;
    }],
    ["products_list", async () => {
      const ids = ok(await productsList()).data.map((p) => p.id);
      expect(ids.includes(productId), `${productId} not in ${ids.join(",")}`);
    }],
    ["products_retrieve", async () => {
      const product = ok(await productsRetrieve({ path: { id: productId } })).data;
      expect(product.id === productId && product.name === "Pro Plan", JSON.stringify(product));
    }],
    ["products_update", async () => {
      const product = ok(
        await productsUpdate({ path: { id: productId }, body: { active: false, description: null } }),
      ).data;
      expect(product.active === false && product.description === null, JSON.stringify(product));
    }],
    ["products_upload_image", async () => {
      const image = ok(
        await productsUploadImage({ body: { content: PNG_BASE64, content_type: "image/png", filename: "pro-plan" } }),
      ).data;
      expect(image.url.startsWith("http") && image.url.endsWith("pro-plan.png"), image.url);
    }],
    ["typed_error", async () => {
      const { data, error, response } = await customersRetrieve({ path: { id: "cus_missing" } });
      expect(data === undefined && error !== undefined, "no error for a missing customer");
      if (error === undefined) return;
      expect(response.status === 404 && error.success === false, `status ${response.status}`);
      expect(error.error.code === "NOT_FOUND" && error.error.status === 404, JSON.stringify(error));
    }],
  ]);
}

void main();
