// Round trip of the openapi-generator `typescript-fetch` client against the local Ching.
// tests/test_interop.py puts this file beside the generated `src/` and `checks.ts`, compiles it
// with tsc --strict and runs it with CHING_BASE_URL and CHING_API_KEY set.

import {
  Configuration,
  CustomersApi,
  ErrorEnvelopeFromJSON,
  ProductsApi,
  ResponseError,
  type Customer,
} from "./src";
import { PNG_BASE64, env, expect, runChecks } from "./checks";

async function main(): Promise<void> {
  const config = new Configuration({ basePath: env("CHING_BASE_URL"), accessToken: env("CHING_API_KEY") });
  const customers = new CustomersApi(config);
  const products = new ProductsApi(config);
  const email = `tal-${Date.now().toString(36)}@example.com`;
  let customerId = "";
  let productId = "";

  await runChecks([
    ["customers_create", async () => {
      const result = await customers.customersCreate({
        customerCreateRequest: { name: "Tal Levi", email, metadata: { user_id: "42" } },
      });
      expect(result.success === true, `success is ${String(result.success)}`);
      expect(result.data.id.startsWith("cus_"), `id ${result.data.id}`);
      expect(result.data.email === email && result.data.metadata["user_id"] === "42", JSON.stringify(result.data));
      customerId = result.data.id;
    }],
    ["customers_list", async () => {
      const ids = (await customers.customersList()).data.map((c: Customer) => c.id);
      expect(ids.includes(customerId), `${customerId} not in ${ids.join(",")}`);
    }],
    ["customers_retrieve", async () => {
      const found = (await customers.customersRetrieve({ id: customerId })).data;
      expect(found.deleted !== true, `got a tombstone: ${JSON.stringify(found)}`);
      expect(found.id === customerId && found.name === "Tal Levi", JSON.stringify(found));
    }],
    ["customers_update", async () => {
      const updated = (await customers.customersUpdate({ id: customerId, customerUpdateRequest: { phone: "054-987-6543" } }))
        .data;
      expect(updated.phone === "+972549876543", `phone ${String(updated.phone)}`);
    }],
    ["customers_upsert", async () => {
      const result = await customers.customersUpsert({
        customerUpsertRequest: { identifyBy: "email", email, name: "Tal" },
      });
      expect(String(result.action) === "updated", `action ${JSON.stringify(result.action)}`);
      expect(result.data.id === customerId && result.data.name === "Tal", JSON.stringify(result.data));
    }],
    ["customers_delete", async () => {
      const tombstone = (await customers.customersDelete({ id: customerId })).data;
      expect(tombstone.id === customerId && tombstone.deleted === true, JSON.stringify(tombstone));
    }],
    ["retrieve_deleted", async () => {
      const found = (await customers.customersRetrieve({ id: customerId })).data;
      expect(found.deleted === true && found.id === customerId, `not a tombstone: ${JSON.stringify(found)}`);
    }],
    ["products_create", async () => {
      const product = (
        await products.productsCreate({
          productCreateRequest: {
            name: "Pro Plan",
            description: "Full access",
            features: [{ title: "Priority support", subtitle: "Under 4h" }],
          },
        })
      ).data;
      expect(product.id.startsWith("prod_") && product.active === true, JSON.stringify(product));
      const features = product.features.map((f) => `${f.title}/${String(f.subtitle)}`);
      expect(features.join() === "Priority support/Under 4h", features.join());
      productId = product.id;
    }],
    ["products_list", async () => {
      const ids = (await products.productsList()).data.map((p) => p.id);
      expect(ids.includes(productId), `${productId} not in ${ids.join(",")}`);
    }],
    ["products_retrieve", async () => {
      const product = (await products.productsRetrieve({ id: productId })).data;
      expect(product.id === productId && product.name === "Pro Plan", JSON.stringify(product));
    }],
    ["products_update", async () => {
      const product = (
        await products.productsUpdate({ id: productId, productUpdateRequest: { active: false, description: null } })
      ).data;
      expect(product.active === false && product.description === null, JSON.stringify(product));
    }],
    ["products_upload_image", async () => {
      const image = await products.productsUploadImage({
        productImageUploadRequest: { content: PNG_BASE64, contentType: "image/png", filename: "pro-plan" },
      });
      expect(image.data.url.startsWith("http") && image.data.url.endsWith("pro-plan.png"), image.data.url);
    }],
    ["typed_error", async () => {
      try {
        await customers.customersRetrieve({ id: "cus_missing" });
      } catch (error) {
        expect(error instanceof ResponseError, `not a ResponseError: ${String(error)}`);
        const response = (error as ResponseError).response;
        const envelope = ErrorEnvelopeFromJSON(await response.json());
        expect(response.status === 404 && envelope.success === false, `status ${response.status}`);
        expect(envelope.error.code === "NOT_FOUND" && envelope.error.status === 404, JSON.stringify(envelope));
        return;
      }
      throw new Error("no error for a missing customer");
    }],
  ]);
}

void main();
