// A small typed Ching client built with openapi-fetch on the types that
// openapi-typescript generates from ../ching.yaml (generated/ching.d.ts).
//
// This file is only type-checked by scripts/spec_check.sh (tsc --noEmit); it is never run.
// It calls the operations with valid bodies and reads typed fields from the responses; every
// operation of the spec, old or new, is also called by generated/calls.ts (generate-calls.mjs).
// The `Expect<Equal<...>>` lines make the check fail if a field's type drifts or
// degrades to `any`/`unknown`, so a broken spec cannot pass by making everything loose.

import createClient from "openapi-fetch";
import type { components, paths } from "./generated/ching.js";

type Schemas = components["schemas"];
export type Customer = Schemas["Customer"];
export type DeletedCustomer = Schemas["DeletedCustomer"];
export type CustomerOrDeleted = Schemas["CustomerOrDeleted"];
export type Product = Schemas["Product"];
export type ErrorEnvelope = Schemas["ErrorEnvelope"];

// Compile-time type assertions.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;
// Same: each type is assignable to the other and neither is `any`. Objects that allow unknown
// fields reach openapi-fetch's results through mapped types, which `Equal` would tell apart.
type IsAny<T> = 0 extends 1 & T ? true : false;
type Same<A, B> = IsAny<A> extends true ? false : [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type RequiredKeys<T> = { [K in keyof T]-?: {} extends Pick<T, K> ? never : K }[keyof T];

// Request bodies: exactly the spec's `required` lists are required; everything else is optional
// (a property with a `default`, like upload_image's content_type, must stay optional).
type _requestBodies = [
  Expect<Equal<RequiredKeys<Schemas["CustomerCreateRequest"]>, "name">>,
  Expect<Equal<RequiredKeys<Schemas["CustomerUpdateRequest"]>, never>>,
  Expect<Equal<RequiredKeys<Schemas["CustomerUpsertRequest"]>, "identifyBy">>,
  Expect<Equal<RequiredKeys<Schemas["ProductCreateRequest"]>, "name">>,
  Expect<Equal<RequiredKeys<Schemas["ProductUpdateRequest"]>, never>>,
  Expect<Equal<RequiredKeys<Schemas["ProductImageUploadRequest"]>, "content">>,
  Expect<Equal<Schemas["CustomerUpsertRequest"]["identifyBy"], "email" | "taxId" | "phone">>,
];

export class ChingError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(envelope: ErrorEnvelope) {
    super(envelope.error.message);
    this.status = envelope.error.status;
    this.code = envelope.error.code;
  }
}

export function makeClient(apiKey: string, baseUrl = "https://api.ching.co.il/ching") {
  return createClient<paths>({
    baseUrl,
    headers: { Authorization: `Bearer ${apiKey}` },
  });
}

export type ChingClient = ReturnType<typeof makeClient>;

function fail(error: ErrorEnvelope | undefined): never {
  if (error) throw new ChingError(error);
  throw new Error("empty response");
}

// ---------------------------------------------------------------- customers

export async function customersCreate(client: ChingClient): Promise<Customer> {
  const { data, error } = await client.POST("/v1/customers", {
    body: {
      name: "Tal Levi",
      email: "tal@example.com",
      phone: "+972501234567",
      locale: "he",
      metadata: { user_id: "42" },
    },
  });
  if (!data) fail(error);
  const id: string = data.data.id;
  const email: string | null = data.data.email;
  type _ = [
    Expect<Equal<typeof data.success, boolean>>,
    Expect<Same<typeof data.data, Customer>>,
    Expect<Equal<typeof data.data.object, "customer">>,
    Expect<Equal<typeof data.data.taxId, string | null>>,
    Expect<Equal<typeof data.data.metadata, { [key: string]: string }>>,
    Expect<Equal<typeof data.data.livemode, boolean>>,
  ];
  void id;
  void email;
  return data.data;
}

export async function customersList(client: ChingClient): Promise<Customer[]> {
  const { data, error } = await client.GET("/v1/customers");
  if (!data) fail(error);
  type _ = Expect<Same<typeof data.data, Customer[]>>;
  const first = data.data[0];
  const firstId: string | undefined = first?.id;
  void firstId;
  return data.data;
}

export async function customersRetrieve(client: ChingClient, id: string): Promise<CustomerOrDeleted> {
  const { data, error } = await client.GET("/v1/customers/{id}", {
    params: { path: { id } },
  });
  if (!data) fail(error);
  type _ = Expect<Same<typeof data.data, CustomerOrDeleted>>;
  const found = data.data;
  // One object for both shapes: `deleted === true` is a tombstone, with only `id` and `object`.
  type _d = Expect<Equal<typeof found.deleted, boolean | undefined>>;
  const id_: string = found.id;
  void id_;
  if (found.deleted !== true) {
    const name: string | undefined = found.name;
    const pm: string | null | undefined = found.default_payment_method;
    void name;
    void pm;
  }
  return found;
}

export async function customersUpdate(client: ChingClient, id: string): Promise<Customer> {
  const { data, error } = await client.POST("/v1/customers/{id}", {
    params: { path: { id } },
    body: { phone: "054-987-6543", email: "" },
  });
  if (!data) fail(error);
  const phone: string | null = data.data.phone;
  void phone;
  return data.data;
}

export async function customersUpsert(client: ChingClient): Promise<string> {
  const { data, error } = await client.POST("/v1/customers/upsert", {
    body: {
      identifyBy: "email",
      email: "tal@example.com",
      name: "Tal Levi",
      metadata: { user_id: "42" },
    },
  });
  if (!data) fail(error);
  type _ = [
    // An open set: "created" | "updated" today, any other string later.
    Expect<Equal<typeof data.action, string>>,
    Expect<Same<typeof data.data, Customer>>,
  ];
  const customerId: string = data.data.id;
  void customerId;
  return data.action;
}

export async function customersDelete(client: ChingClient, id: string): Promise<DeletedCustomer> {
  const { data, error } = await client.DELETE("/v1/customers/{id}", {
    params: { path: { id } },
  });
  if (!data) fail(error);
  type _ = [
    Expect<Same<typeof data.data, DeletedCustomer>>,
    Expect<Equal<typeof data.data.deleted, boolean>>,
  ];
  return data.data;
}

// ----------------------------------------------------------------- products

export async function productsCreate(client: ChingClient): Promise<Product> {
  const { data, error } = await client.POST("/v1/products", {
    body: {
      name: "Pro Plan",
      description: "Full access to every feature, billed monthly.",
      image_url: "https://example.com/pro.png",
      features: [{ title: "Unlimited customers" }, { title: "Priority support", subtitle: "Under 4h response time" }],
      metadata: {},
    },
  });
  if (!data) fail(error);
  type _ = [
    Expect<Same<typeof data.data, Product>>,
    Expect<Equal<typeof data.data.object, "product">>,
    Expect<Equal<typeof data.data.description, string | null>>,
    Expect<Same<typeof data.data.features, { title: string; subtitle: string | null }[]>>,
  ];
  const productId: string = data.data.id;
  const active: boolean = data.data.active;
  void productId;
  void active;
  return data.data;
}

export async function productsList(client: ChingClient): Promise<Product[]> {
  const { data, error } = await client.GET("/v1/products");
  if (!data) fail(error);
  type _ = Expect<Same<typeof data.data, Product[]>>;
  const titles: string[] = data.data.flatMap((p) => p.features.map((f) => f.title));
  void titles;
  return data.data;
}

export async function productsRetrieve(client: ChingClient, id: string): Promise<Product> {
  const { data, error } = await client.GET("/v1/products/{id}", {
    params: { path: { id } },
  });
  if (!data) fail(error);
  const imageUrl: string | null = data.data.image_url;
  void imageUrl;
  return data.data;
}

export async function productsUpdate(client: ChingClient, id: string): Promise<Product> {
  const { data, error } = await client.POST("/v1/products/{id}", {
    params: { path: { id } },
    body: { active: false, description: null, image_url: null, features: null, name: "Pro Plan (legacy)" },
  });
  if (!data) fail(error);
  type _ = Expect<Equal<typeof data.data.active, boolean>>;
  return data.data;
}

export async function productsUploadImage(client: ChingClient): Promise<string> {
  const { data, error } = await client.POST("/v1/products/upload_image", {
    body: {
      content: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
      content_type: "image/png",
      filename: "pro-plan",
    },
  });
  if (!data) fail(error);
  type _ = Expect<Equal<typeof data.data.url, string>>;
  const url: string = data.data.url;

  // content_type and filename are optional: the server defaults content_type to image/png.
  const minimal = await client.POST("/v1/products/upload_image", {
    body: { content: "iVBORw0KGgo=" },
  });
  if (!minimal.data) fail(minimal.error);
  const url2: string = minimal.data.data.url;
  void url2;
  return url;
}

// Error responses are typed too: every documented error is the envelope.
export async function errorShape(client: ChingClient, id: string): Promise<string | undefined> {
  const { error } = await client.GET("/v1/products/{id}", { params: { path: { id } } });
  if (error) {
    type _ = [
      Expect<Same<typeof error, ErrorEnvelope>>,
      Expect<Equal<typeof error.success, boolean>>,
      Expect<Equal<typeof error.error.code, string>>,
    ];
    // Any JSON value: usually an array of segments, sometimes a plain string.
    const path: unknown = error.error.issues?.[0]?.path;
    type _p = Expect<Equal<typeof path, unknown>>;
    void path;
    return error.error.code;
  }
  return undefined;
}
