// A virtual host's routes indexed by exact uri, built when a config is accepted. First match wins,
// so a virtual host with many routes that each match one exact path (the shape of a big API
// table) would otherwise cost a scan of every route per request. A route is indexed under its
// uri values when every one of its match entries requires an exact, case-sensitive uri: such a
// route cannot match a request for any other path. findRoute then evaluates, in table order,
// only the routes indexed under the request's path and the routes that may match any path:
// the same decision as scanning them all, without reading :path when nothing is indexed.
import { MatchKind, StringMatcher } from "../lib/match";
import { Route } from "./table";

/** No route indices (never modified). */
export const NO_ROUTES: i32[] = [];

export class UriIndex {
  /** Exact path -> indices of the routes that need it, ascending. */
  private byPath: Map<string, i32[]> = new Map();
  /** Indices of the routes that may match any path, ascending. */
  anyPath: i32[] = [];

  constructor(routes: Route[]) {
    for (let i = 0; i < routes.length; i++) {
      const matches = routes[i].matches;
      let exactOnly = matches.length > 0;
      for (let j = 0; j < matches.length && exactOnly; j++) {
        const uri = matches[j].uri;
        exactOnly = uri !== null && uri.kind == MatchKind.Exact && !uri.ignoreCase;
      }
      if (!exactOnly) {
        this.anyPath.push(i);
        continue;
      }
      for (let j = 0; j < matches.length; j++) {
        const path = (<StringMatcher>matches[j].uri).value;
        if (!this.byPath.has(path)) this.byPath.set(path, []);
        const list = this.byPath.get(path);
        if (list.length == 0 || list[list.length - 1] != i) list.push(i); // two entries, one path
      }
    }
  }

  /** Whether any route is indexed (else every route is in anyPath). */
  get indexed(): bool {
    return this.byPath.size > 0;
  }

  /** Indices of the routes indexed under `path`, ascending (empty when none). */
  routesFor(path: string): i32[] {
    return this.byPath.has(path) ? this.byPath.get(path) : NO_ROUTES;
  }
}
