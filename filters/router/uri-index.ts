// A virtual host's routes indexed by exact uri, built when a config is accepted. First match wins,
// so a virtual host with many routes that each match one exact path (the shape of a big API
// table) would otherwise cost a scan of every route per request. A route is indexed under its
// uri values when every one of its match entries requires an exact, case-sensitive uri: such a
// route cannot match a request for any other path. findRoute then evaluates, in table order,
// only the routes indexed under the request's path and the routes that may match any path:
// the same decision as scanning them all.
import { MatchKind, StringMatcher } from "../lib/match";
import { StringTable } from "../lib/string-table";
import { Route } from "./table";

/** No route indices (never modified). */
const NO_ROUTES: i32[] = [];

/** Whether `route` can only match requests for the exact paths of its match entries. */
function exactPathsOnly(route: Route): bool {
  const matches = route.matches;
  if (matches.length == 0) return false;
  for (let j = 0; j < matches.length; j++) {
    const uri = matches[j].uri;
    if (uri === null || uri.kind != MatchKind.Exact || uri.ignoreCase) return false;
  }
  return true;
}

export class UriIndex {
  /** Exact path -> indices of the routes that need it, ascending. */
  private byPath: StringTable<i32[]> = new StringTable();
  /** Indices of the routes that may match any path, ascending. */
  anyPath: i32[] = [];

  /** The index of `routes`, or null when no route is indexable (then every route is a candidate
   * and the config keeps no index objects for the GC to mark). */
  static build(routes: Route[]): UriIndex | null {
    let any = false;
    for (let i = 0; i < routes.length && !any; i++) any = exactPathsOnly(routes[i]);
    return any ? new UriIndex(routes) : null;
  }

  private constructor(routes: Route[]) {
    for (let i = 0; i < routes.length; i++) {
      const route = routes[i];
      if (!exactPathsOnly(route)) {
        this.anyPath.push(i);
        continue;
      }
      for (let j = 0; j < route.matches.length; j++) {
        const path = (<StringMatcher>route.matches[j].uri).value;
        const list = this.byPath.getOrInsert(path, []);
        if (list.length == 0 || list[list.length - 1] != i) list.push(i); // two entries, one path
      }
    }
  }

  /** Indices of the routes indexed under `path`, ascending (empty when none). */
  routesFor(path: string): i32[] {
    const list = this.byPath.find(path);
    return list === null ? NO_ROUTES : list;
  }
}
