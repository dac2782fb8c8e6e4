// Bookinfo stand-ins: small TypeScript services with the HTTP APIs and behaviour of Istio's
// Bookinfo sample (productpage in Python, details in Ruby, reviews in Java, ratings in Node), on
// port 9080 in their pods and on a free 127.0.0.1 port here. What matters for the mesh is kept:
// the same paths and bodies, productpage's sessions (POST /login, GET /logout) sending `end-user`,
// propagated tracing headers, reviews v1 (no stars) / v2 (black) / v3 (red) calling ratings, and
// the originals' client timeouts (productpage → reviews 3 s, tried twice; reviews → ratings 10 s
// for v2, 2.5 s for v3), which make the fault-injection steps of the walkthrough behave as in Istio.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { callService, forwardHeaders, type Outbound, readBody, sendJson, sendText } from "./http.ts";

export type BookinfoService = "productpage" | "details" | "reviews" | "ratings";

export interface BookinfoAppOptions {
  service: BookinfoService;
  /** `v1`, `v2`, `v3` (reviews' star colour depends on it). */
  version: string;
  /** The pod's name (reviews reports it as `podname`, shown as "Reviews served by"). */
  podName: string;
  /** The sidecar's outbound listener (every call to another service goes there). */
  outbound: Outbound;
  host?: string;
  port?: number;
  /** Services' names as the originals read them from the environment (default: Bookinfo's). */
  services?: { details?: string; reviews?: string; ratings?: string };
}

export interface RunningApp {
  service: BookinfoService;
  address: string;
  port: number;
  close(): Promise<void>;
}

const PRODUCT = {
  id: 0,
  title: "The Comedy of Errors",
  descriptionHtml:
    '<a href="https://en.wikipedia.org/wiki/The_Comedy_of_Errors">Wikipedia Summary</a>: The Comedy of Errors is one of <b>William Shakespeare\'s</b> early plays. It is his shortest and one of his most farcical comedies, with a major part of the humour coming from slapstick and mistaken identity, in addition to puns and word play.',
};

const REVIEWS = [
  { reviewer: "Reviewer1", text: "An extremely entertaining play by Shakespeare. The slapstick humour is refreshing!" },
  { reviewer: "Reviewer2", text: "Absolutely fun and entertaining. The play lacks thematic depth when compared to other plays by Shakespeare." },
];

const SERVICE_PORT = 9080;

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

export async function startBookinfoApp(opts: BookinfoAppOptions): Promise<RunningApp> {
  const handler = handlerFor(opts);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    Promise.resolve(handler(req, res, url)).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: String(err instanceof Error ? err.message : err) });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 60_000;
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return { service: opts.service, address: `${host}:${port}`, port, close: () => closeServer(server) };
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function handlerFor(opts: BookinfoAppOptions): Handler {
  switch (opts.service) {
    case "details":
      return details;
    case "ratings":
      return ratings();
    case "reviews":
      return reviews(opts);
    case "productpage":
      return productpage(opts);
  }
}

// ---------------------------------------------------------------------------------------- details

const details: Handler = (req, res, url) => {
  if (url.pathname === "/health") return sendJson(res, 200, { status: "Details is healthy" });
  const m = /^\/details\/([^/]*)$/.exec(url.pathname);
  if (!m || req.method !== "GET") return sendJson(res, 404, { error: "Not Found" });
  if (!/^\d+$/.test(m[1])) return sendJson(res, 400, { error: "please provide numeric product id" });
  sendJson(res, 200, {
    id: Number(m[1]),
    author: "William Shakespeare",
    year: 1595,
    type: "paperback",
    pages: 200,
    publisher: "PublisherA",
    language: "English",
    "ISBN-10": "1234567890",
    "ISBN-13": "123-1234567890",
  });
};

// ---------------------------------------------------------------------------------------- ratings

function ratings(): Handler {
  const stored = new Map<number, Record<string, number>>();
  return async (req, res, url) => {
    if (url.pathname === "/health") return sendJson(res, 200, { status: "Ratings is healthy" });
    const m = /^\/ratings\/([^/]*)$/.exec(url.pathname);
    if (!m) return sendJson(res, 404, { error: "Not Found" });
    if (!/^\d+$/.test(m[1])) return sendJson(res, 400, { error: "please provide numeric product ID" });
    const id = Number(m[1]);
    if (req.method === "POST") {
      let body: unknown;
      try {
        body = JSON.parse(await readBody(req));
      } catch {
        return sendJson(res, 400, { error: "please provide valid ratings JSON" });
      }
      if (typeof body !== "object" || body === null || !Object.values(body).every((v) => Number.isInteger(v) && v >= 1 && v <= 5))
        return sendJson(res, 400, { error: "please provide valid ratings JSON" });
      stored.set(id, body as Record<string, number>);
      return sendJson(res, 200, { id, ratings: body });
    }
    if (req.method !== "GET") return sendJson(res, 405, { error: "Method Not Allowed" });
    sendJson(res, 200, { id, ratings: stored.get(id) ?? { Reviewer1: 5, Reviewer2: 4 } });
  };
}

// ---------------------------------------------------------------------------------------- reviews

function reviews(opts: BookinfoAppOptions): Handler {
  const ratingsEnabled = opts.version !== "v1";
  const color = opts.version === "v3" ? "red" : "black";
  // The Java original: 10 s for black stars, 2.5 s for red.
  const ratingsTimeoutMs = color === "black" ? 10_000 : 2_500;
  const ratingsHost = `${opts.services?.ratings ?? "ratings"}:${SERVICE_PORT}`;
  return async (req, res, url) => {
    if (url.pathname === "/health") return sendJson(res, 200, { status: "Reviews is healthy" });
    const m = /^\/reviews\/([^/]*)$/.exec(url.pathname);
    if (!m || req.method !== "GET") return sendJson(res, 404, { error: "Not Found" });
    const productId = m[1];
    let stars: Record<string, number> | undefined;
    if (ratingsEnabled) {
      try {
        const r = await callService(opts.outbound, ratingsHost, `/ratings/${productId}`, forwardHeaders(req.headers), ratingsTimeoutMs);
        if (r.status === 200) stars = (JSON.parse(r.body) as { ratings?: Record<string, number> }).ratings ?? {};
      } catch {
        stars = undefined;
      }
    }
    sendJson(res, 200, {
      id: productId,
      podname: opts.podName,
      clustername: "null",
      reviews: REVIEWS.map((r) => {
        if (!ratingsEnabled) return r;
        const n = stars?.[r.reviewer];
        return { ...r, rating: stars === undefined || n === undefined ? { error: "Ratings service is currently unavailable" } : { stars: n, color } };
      }),
    });
  };
}

// ------------------------------------------------------------------------------------ productpage

interface ReviewsBody {
  podname?: string;
  clustername?: string;
  reviews?: { reviewer: string; text: string; rating?: { stars?: number; color?: string; error?: string } }[];
  error?: string;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The session cookie: Flask's is signed; this stand-in's is plain base64url JSON. */
function sessionUser(req: IncomingMessage): string | undefined {
  const cookie = req.headers.cookie ?? "";
  const m = /(?:^|;\s*)session=([^;]*)/.exec(cookie);
  if (!m) return undefined;
  try {
    const s = JSON.parse(Buffer.from(m[1], "base64url").toString("utf8")) as { user?: unknown };
    return typeof s.user === "string" && s.user !== "" ? s.user : undefined;
  } catch {
    return undefined;
  }
}

function sessionCookie(user: string | undefined): string {
  if (user === undefined) return "session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Path=/";
  return `session=${Buffer.from(JSON.stringify({ user })).toString("base64url")}; HttpOnly; Path=/`;
}

function productpage(opts: BookinfoAppOptions): Handler {
  const detailsHost = `${opts.services?.details ?? "details"}:${SERVICE_PORT}`;
  const reviewsHost = `${opts.services?.reviews ?? "reviews"}:${SERVICE_PORT}`;
  const ratingsHost = `${opts.services?.ratings ?? "ratings"}:${SERVICE_PORT}`;

  /** getForwardHeaders(): the propagated headers plus end-user from the session. */
  const outHeaders = (req: IncomingMessage) => {
    const h = forwardHeaders(req.headers);
    const user = sessionUser(req);
    if (user !== undefined) h["end-user"] = user;
    return h;
  };

  /** GET with the original's 3 s timeout, `tries` times; on failure the original's apology. */
  const fetchJson = async <T>(host: string, path: string, headers: Record<string, string>, what: string, tries = 1): Promise<[number, T | { error: string }]> => {
    let status = 500;
    for (let attempt = 0; attempt < tries; attempt++) {
      try {
        const r = await callService(opts.outbound, host, path, headers, 3000);
        if (r.status === 200) return [200, JSON.parse(r.body) as T];
        status = r.status || 500;
      } catch {
        status = 500;
      }
    }
    return [status, { error: `Sorry, product ${what} are currently unavailable for this book.` }];
  };
  const getDetails = (id: number, headers: Record<string, string>) => fetchJson<Record<string, unknown>>(detailsHost, `/details/${id}`, headers, "details");
  // The original tries reviews twice ("bug introduced explicitly for illustration in fault injection task").
  const getReviews = (id: number, headers: Record<string, string>) => fetchJson<ReviewsBody>(reviewsHost, `/reviews/${id}`, headers, "reviews", 2);
  const getRatings = (id: number, headers: Record<string, string>) => fetchJson<unknown>(ratingsHost, `/ratings/${id}`, headers, "ratings");

  return async (req, res, url) => {
    const path = url.pathname;
    if (path === "/health") return sendText(res, 200, "text/plain", "Product page is healthy");
    if (path === "/" || path === "/index.html") return sendText(res, 200, "text/html; charset=utf-8", indexHtml());
    if (path === "/login" && req.method === "POST") {
      const form = new URLSearchParams(await readBody(req));
      const user = form.get("username") ?? "";
      res.writeHead(302, { location: req.headers.referer ?? "/productpage", "set-cookie": sessionCookie(user || undefined), "content-length": 0 });
      return void res.end();
    }
    if (path === "/logout" && req.method === "GET") {
      res.writeHead(302, { location: req.headers.referer ?? "/productpage", "set-cookie": sessionCookie(undefined), "content-length": 0 });
      return void res.end();
    }
    if (path.startsWith("/static/")) return sendText(res, 200, path.endsWith(".css") ? "text/css" : "text/plain", "/* bookinfo stand-in */\n");
    if (path === "/api/v1/products") return sendJson(res, 200, [PRODUCT]);
    const api = /^\/api\/v1\/products\/(\d+)(?:\/(reviews|ratings))?$/.exec(path);
    if (api) {
      const id = Number(api[1]);
      const headers = outHeaders(req);
      if (!api[2]) return sendJson(res, 200, { ...PRODUCT, id });
      const [status, body] = api[2] === "reviews" ? await getReviews(id, headers) : await getRatings(id, headers);
      return sendJson(res, status, body);
    }
    if (path === "/productpage") {
      const headers = outHeaders(req);
      const [[detailsStatus, detailsBody], [reviewsStatus, reviewsBody]] = await Promise.all([getDetails(PRODUCT.id, headers), getReviews(PRODUCT.id, headers)]);
      const html = productHtml(sessionUser(req), detailsStatus, detailsBody, reviewsStatus, reviewsBody);
      return sendText(res, 200, "text/html; charset=utf-8", html);
    }
    sendText(res, 404, "text/html", "<h1>Not Found</h1>");
  };
}

function indexHtml(): string {
  return `<!DOCTYPE html>
<html><head><title>Simple Bookstore App</title></head>
<body>
<h3>Hello! This is a simple bookstore application consisting of three services as shown below</h3>
<p>Click on one of the links below to auto generate a request to the backend as a real user or a tester</p>
<p><a href="/productpage?u=normal">Normal user</a></p>
<p><a href="/productpage?u=test">Test user</a></p>
</body></html>
`;
}

function stars(rating: { stars?: number; color?: string; error?: string }): string {
  if (rating.stars !== undefined) {
    const full = '<span class="glyphicon glyphicon-star"></span>\n'.repeat(Math.max(0, Math.min(5, rating.stars)));
    const empty = '<span class="glyphicon glyphicon-star-empty"></span>\n'.repeat(Math.max(0, 5 - rating.stars));
    return `<font color="${escapeHtml(rating.color ?? "black")}">\n${full}${empty}</font>\n`;
  }
  if (rating.error) return `<p><i>${escapeHtml(rating.error)}</i></p>\n`;
  return "";
}

function productHtml(user: string | undefined, detailsStatus: number, details: Record<string, unknown>, reviewsStatus: number, reviews: ReviewsBody): string {
  const login = user
    ? `<p><button type="button" id="logout-btn" onclick="location.href='logout'">Sign out</button></p>\n<p class="navbar-text navbar-right"><span class="sr-only">User Name: </span>${escapeHtml(user)}</p>`
    : `<form method="post" action="login" name="login_form"><input type="text" name="username" placeholder="User Name"><input type="password" name="passwd" placeholder="Password"><button type="submit">Sign in</button></form>`;
  const detailsHtml =
    detailsStatus === 200
      ? `<h4 class="text-center text-primary">Book Details</h4>
<dl>
<dt>Type:</dt>${escapeHtml(String(details.type))}
<dt>Pages:</dt>${escapeHtml(String(details.pages))}
<dt>Publisher:</dt>${escapeHtml(String(details.publisher))}
<dt>Language:</dt>${escapeHtml(String(details.language))}
<dt>ISBN-10:</dt>${escapeHtml(String(details["ISBN-10"]))}
<dt>ISBN-13:</dt>${escapeHtml(String(details["ISBN-13"]))}
</dl>`
      : `<h4 class="text-center text-primary">Error fetching product details!</h4>\n<p>${escapeHtml(String(details.error ?? ""))}</p>`;
  const reviewsHtml =
    reviewsStatus === 200
      ? `<h4 class="text-center text-primary">Book Reviews</h4>
${(reviews.reviews ?? [])
  .map((r) => `<blockquote>\n<p>${escapeHtml(r.text)}</p>\n<small>${escapeHtml(r.reviewer)}</small>\n${r.rating ? stars(r.rating) : ""}</blockquote>`)
  .join("\n")}
<dl>
<dt>Reviews served by:</dt>
<u>${escapeHtml(reviews.podname ?? "")}</u>
</dl>`
      : `<h4 class="text-center text-primary">Error fetching product reviews!</h4>\n<p>${escapeHtml(reviews.error ?? "")}</p>`;
  return `<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>Simple Bookstore App</title><link rel="stylesheet" href="static/bootstrap/css/bootstrap.min.css"></head>
<body>
<nav class="navbar navbar-inverse navbar-static-top"><div class="container"><a class="navbar-brand" href="#">BookInfo Sample</a>
${login}
</div></nav>
<div class="container-fluid">
<div class="row"><div class="col-md-12">
<h3 class="text-center text-primary">${escapeHtml(PRODUCT.title)}</h3>
<p>Summary: ${PRODUCT.descriptionHtml}</p>
</div></div>
<div class="row">
<div class="col-md-6">
${detailsHtml}
</div>
<div class="col-md-6">
${reviewsHtml}
</div>
</div>
</div>
</body>
</html>
`;
}
