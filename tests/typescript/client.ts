// A small typed client for the Pitlane API, as an integrator would write it: the types come
// from the live OpenAPI document (`npx openapi-typescript {origin}/api/openapi.json -o
// schema.d.ts`), so a field the API renames or drops fails to compile here. The tests
// generate `schema.d.ts` from the running server and type-check this file with `tsc --strict`.

import type { components, paths } from "./schema";

type JsonType = "application/json; charset=utf-8";
type Method = "get" | "post" | "put" | "patch" | "delete";

/** The JSON an operation answers with `status`. */
type Answer<O, S extends number> = O extends {
  responses: { [K in S]: { content: { [J in JsonType]: infer T } } };
}
  ? T
  : never;
/** The JSON body an operation takes. */
type Body<O> = O extends { requestBody?: { content: { [J in JsonType]: infer T } } } ? T : never;
type Op<P extends keyof paths, M extends Method> = paths[P] extends { [K in M]: infer O } ? O : never;

export type Problem = components["schemas"]["ProblemDocument"];

/** An answer that is not the one hoped for: the problem document, and the limits' state. */
export class PitlaneError extends Error {
  constructor(
    readonly problem: Problem,
    readonly retryAfterSeconds: number | null,
  ) {
    super(`${problem.status} ${problem.title}`);
  }
}

/** One workshop's API, at the deployment's base URL: the key names the workshop. */
export class Pitlane {
  constructor(
    private readonly origin: string,
    private readonly key: string,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.origin}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${this.key}`,
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) {
      const retry = response.headers.get("Retry-After");
      throw new PitlaneError((await response.json()) as Problem, retry === null ? null : Number(retry));
    }
    return (await response.json()) as T;
  }

  me(): Promise<Answer<Op<"/api/v1/me", "get">, 200>> {
    return this.call("GET", "/api/v1/me");
  }

  branches(cursor?: string): Promise<Answer<Op<"/api/v1/branches", "get">, 200>> {
    return this.call("GET", `/api/v1/branches${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ""}`);
  }

  createCustomer(
    customer: Body<Op<"/api/v1/customers", "post">>,
  ): Promise<Answer<Op<"/api/v1/customers", "post">, 201>> {
    return this.call("POST", "/api/v1/customers", customer);
  }

  invoices(): Promise<Answer<Op<"/api/v1/invoices", "get">, 200>> {
    return this.call("GET", "/api/v1/invoices");
  }

  calendarFeeds(): Promise<Answer<Op<"/api/v1/calendar-feeds", "get">, 200>> {
    return this.call("GET", "/api/v1/calendar-feeds");
  }
}

/** What an integration does with the answers: every field used here is checked by tsc. */
export async function summary(api: Pitlane): Promise<string[]> {
  const me = await api.me();
  const lines: string[] = [`workshop ${me.tenant_id}, acting as ${me.name} (${me.permissions.join(", ")})`];
  let cursor: string | undefined;
  do {
    const page = await api.branches(cursor);
    for (const branch of page.items) {
      lines.push(`${branch.name}: ${branch.time_zone}`);
    }
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  const customer = await api.createCustomer({ name: "Sam Driver", email: "sam@example.com" });
  lines.push(`customer ${customer.id}: ${customer.name}`);
  for (const invoice of (await api.invoices()).items) {
    const owed: number = invoice.balance_due_minor;
    lines.push(`${invoice.number ?? "draft"} ${invoice.status}: ${owed} ${invoice.currency}`);
  }
  for (const feed of (await api.calendarFeeds()).items) {
    lines.push(`${feed.name}: ${feed.kind}${feed.revoked_at ? " (revoked)" : ""}`);
  }
  return lines;
}
