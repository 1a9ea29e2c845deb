// Deliberate misuses of the generated Ching types. This file must NOT compile.
//
// scripts/spec_check.sh runs `tsc -p tsconfig.misuse.json` and requires that:
//   * tsc fails;
//   * every line tagged `// MISUSE <name>: <TS code> [message text]` gets exactly one error on
//     that line, with that code and (when given) that text in its message (check-misuse.mjs);
//   * no other line and no other file (config, generated types, client.ts) reports any error.
// So the negative test cannot pass vacuously (bad config, missing module, types degraded to any).
// Each misuse lives in its own function so one error cannot hide another.
// Keep the tag on the line where tsc reports the error.

import createClient from "openapi-fetch";
import type { paths } from "./generated/ching.js";

const client = createClient<paths>({ baseUrl: "https://api.ching.co.il/ching" });

export async function wrongFieldType() {
  await client.POST("/v1/customers", {
    body: {
      name: 42, // MISUSE wrong-field-type: TS2322 Type 'number' is not assignable to type 'string'.
    },
  });
}

export async function missingRequiredField() {
  await client.POST("/v1/customers", {
    body: { email: "tal@example.com" }, // MISUSE missing-required-name: TS2322 Property 'name' is missing
  });
}

export async function upsertIdentifyByOutsideEnum() {
  await client.POST("/v1/customers/upsert", {
    body: {
      identifyBy: "name", // MISUSE identifyBy-outside-enum: TS2322 Type '"name"' is not assignable to type '"email" | "taxId" | "phone"'
      name: "Tal Levi",
    },
  });
}

export async function uploadContentTypeOutsideEnum() {
  await client.POST("/v1/products/upload_image", {
    body: {
      content: "iVBORw0KGgo=",
      content_type: "image/bmp", // MISUSE content_type-outside-enum: TS2820 Type '"image/bmp"' is not assignable
    },
  });
}

export async function readUnknownResponseField() {
  const { data } = await client.POST("/v1/products/upload_image", { body: { content: "iVBORw0KGgo=" } });
  if (data) {
    // The image allows unknown fields, so `id` is `unknown`, never a string by accident.
    const id: string = data.data.id; // MISUSE upload-has-no-id: TS2322 Type 'unknown' is not assignable to type 'string'
    void id;
  }
}

export async function customerEmailMayBeNull() {
  const { data } = await client.POST("/v1/customers/{id}", { params: { path: { id: "cus_1" } }, body: {} });
  if (data) {
    const email: string = data.data.email; // MISUSE email-is-nullable: TS2322 Type 'null' is not assignable to type 'string'
    void email;
  }
}
