// The dashboard's only way to the data: the public API, with the token as a Bearer header.
// The token lives in sessionStorage (gone with the tab) and never in a URL.

const TOKEN_KEY = "edge-mesh.token";

export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** An error answer, with the Kubernetes Status message when the server sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

async function errorOf(res: Response): Promise<ApiError> {
  let reason = res.statusText || `HTTP ${res.status}`;
  let message = `${res.status} ${reason}`;
  try {
    const body = await res.json();
    if (body && typeof body.message === "string") {
      reason = body.reason ?? reason;
      message = body.message;
    }
  } catch {
    /* not JSON */
  }
  return new ApiError(res.status, reason, message);
}

export interface Api {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body: unknown): Promise<T>;
  /** A conditional GET: `null` when the server answered 304 (unchanged). */
  poll<T>(path: string, etag: string | undefined): Promise<{ etag?: string; body: T } | null>;
}

/** `onUnauthorized` runs when the server refuses the token (401): the session is over. */
export function apiClient(token: string, onUnauthorized: () => void): Api {
  const headers = (extra: Record<string, string> = {}) => ({ authorization: `Bearer ${token}`, accept: "application/json", ...extra });
  async function send(path: string, init: RequestInit): Promise<Response> {
    const res = await fetch(path, { ...init, cache: "no-store", credentials: "omit" });
    if (res.status === 401) {
      onUnauthorized();
      throw await errorOf(res);
    }
    return res;
  }
  return {
    async get<T>(path: string) {
      const res = await send(path, { headers: headers() });
      if (!res.ok) throw await errorOf(res);
      return (await res.json()) as T;
    },
    async post<T>(path: string, body: unknown) {
      const res = await send(path, { method: "POST", headers: headers({ "content-type": "application/json" }), body: JSON.stringify(body) });
      if (!res.ok) throw await errorOf(res);
      return (await res.json()) as T;
    },
    async poll<T>(path: string, etag: string | undefined) {
      const res = await send(path, { headers: headers(etag ? { "if-none-match": etag } : {}) });
      if (res.status === 304) return null;
      if (!res.ok) throw await errorOf(res);
      return { etag: res.headers.get("etag") ?? undefined, body: (await res.json()) as T };
    },
  };
}

/** Checks a token before keeping it: true when the server accepts it for reads. */
export async function checkToken(token: string): Promise<{ ok: true } | { ok: false; message: string }> {
  try {
    const res = await fetch("/mesh/v1/revisions?limit=1", { headers: { authorization: `Bearer ${token}`, accept: "application/json" }, cache: "no-store", credentials: "omit" });
    if (res.ok) return { ok: true };
    if (res.status === 401) return { ok: false, message: "The control plane did not accept this token." };
    return { ok: false, message: (await errorOf(res)).message };
  } catch (e) {
    return { ok: false, message: `The control plane could not be reached: ${e instanceof Error ? e.message : String(e)}` };
  }
}
