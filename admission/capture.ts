// The traffic-capture rules the init container loads with `iptables-restore --noflush`: Istio's
// REDIRECT mode (its istio-iptables chains and order), for IPv4 TCP. The proxy's own traffic
// (UID/GID 1337) is excluded; inbound goes to 15006, outbound to 15001. Honoured annotations:
// traffic.sidecar.istio.io/{include,exclude}InboundPorts, excludeOutboundPorts,
// {include,exclude}OutboundIPRanges.
import { INBOUND_CAPTURE_PORT, OUTBOUND_CAPTURE_PORT, APP_HEALTH_PORT, PROXY_READY_PORT, PROXY_STATS_PORT, PROXY_UID } from "./ports.ts";

const PREFIX = "traffic.sidecar.istio.io/";
export const CAPTURE_ANNOTATIONS = {
  includeInboundPorts: `${PREFIX}includeInboundPorts`,
  excludeInboundPorts: `${PREFIX}excludeInboundPorts`,
  excludeOutboundPorts: `${PREFIX}excludeOutboundPorts`,
  includeOutboundIPRanges: `${PREFIX}includeOutboundIPRanges`,
  excludeOutboundIPRanges: `${PREFIX}excludeOutboundIPRanges`,
} as const;

/** The proxy's own listeners are reached directly, never through the inbound capture. */
const PROXY_INBOUND_PORTS = [PROXY_STATS_PORT, PROXY_READY_PORT, APP_HEALTH_PORT];

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/;

export type CaptureRules = { rules: string; warnings: string[] } | { problem: string };

function list(value: string | undefined): string[] {
  return (value ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
}

/** "*" or a list of ports; undefined when a value is not a port. */
function ports(value: string | undefined, allowStar: boolean): number[] | "*" | undefined {
  const items = list(value);
  if (allowStar && items.length === 1 && items[0] === "*") return "*";
  const numbers = items.map((s) => (/^\d{1,5}$/.test(s) ? Number(s) : NaN));
  return numbers.every((n) => n >= 1 && n <= 65535) ? numbers : undefined;
}

/** "*" or IPv4 CIDRs (a bare address is a /32); IPv6 entries are reported and skipped. */
function ranges(value: string | undefined, allowStar: boolean, warnings: string[], key: string): string[] | "*" | undefined {
  const items = list(value);
  if (allowStar && items.length === 1 && items[0] === "*") return "*";
  const out: string[] = [];
  for (const item of items) {
    if (item.includes(":")) {
      warnings.push(`${key}: IPv6 range ${item} ignored (the capture rules are IPv4 only)`);
      continue;
    }
    const m = IPV4_CIDR.exec(item);
    if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5] ?? 32) > 32) return undefined;
    out.push(m[5] === undefined ? `${item}/32` : item);
  }
  return out;
}

export function captureRules(annotations: Record<string, string>): CaptureRules {
  const a = CAPTURE_ANNOTATIONS;
  const warnings: string[] = [];
  const includeIn = ports(annotations[a.includeInboundPorts] ?? "*", true);
  const excludeIn = ports(annotations[a.excludeInboundPorts], false);
  const excludeOutPorts = ports(annotations[a.excludeOutboundPorts], false);
  const includeOut = ranges(annotations[a.includeOutboundIPRanges] ?? "*", true, warnings, a.includeOutboundIPRanges);
  const excludeOut = ranges(annotations[a.excludeOutboundIPRanges], false, warnings, a.excludeOutboundIPRanges);
  const bad = (
    [
      [a.includeInboundPorts, includeIn],
      [a.excludeInboundPorts, excludeIn],
      [a.excludeOutboundPorts, excludeOutPorts],
      [a.includeOutboundIPRanges, includeOut],
      [a.excludeOutboundIPRanges, excludeOut],
    ] as const
  ).find(([, parsed]) => parsed === undefined);
  if (bad) return { problem: `annotation ${bad[0]}: "${annotations[bad[0]]}" is not a valid list` };

  const uid = PROXY_UID;
  const lines = [
    "*nat",
    ":ISTIO_INBOUND - [0:0]",
    ":ISTIO_IN_REDIRECT - [0:0]",
    ":ISTIO_OUTPUT - [0:0]",
    ":ISTIO_REDIRECT - [0:0]",
    `-A ISTIO_IN_REDIRECT -p tcp -j REDIRECT --to-ports ${INBOUND_CAPTURE_PORT}`,
    `-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports ${OUTBOUND_CAPTURE_PORT}`,
    "-A PREROUTING -p tcp -j ISTIO_INBOUND",
  ];
  if (includeIn === "*") {
    for (const port of [...PROXY_INBOUND_PORTS, ...(excludeIn as number[])]) lines.push(`-A ISTIO_INBOUND -p tcp --dport ${port} -j RETURN`);
    lines.push("-A ISTIO_INBOUND -p tcp -j ISTIO_IN_REDIRECT");
  } else {
    for (const port of includeIn!) lines.push(`-A ISTIO_INBOUND -p tcp --dport ${port} -j ISTIO_IN_REDIRECT`);
  }
  lines.push(
    "-A OUTPUT -p tcp -j ISTIO_OUTPUT",
    // Envoy's inbound connections to the app come from 127.0.0.6 and must not loop back into it.
    "-A ISTIO_OUTPUT -o lo -s 127.0.0.6/32 -j RETURN",
    // The proxy calling its own pod's IP through lo is inbound traffic (app-to-self via the service).
    `-A ISTIO_OUTPUT -o lo ! -d 127.0.0.1/32 -m owner --uid-owner ${uid} -j ISTIO_IN_REDIRECT`,
    `-A ISTIO_OUTPUT -o lo -m owner ! --uid-owner ${uid} -j RETURN`,
    `-A ISTIO_OUTPUT -m owner --uid-owner ${uid} -j RETURN`,
    `-A ISTIO_OUTPUT -o lo ! -d 127.0.0.1/32 -m owner --gid-owner ${uid} -j ISTIO_IN_REDIRECT`,
    `-A ISTIO_OUTPUT -o lo -m owner ! --gid-owner ${uid} -j RETURN`,
    `-A ISTIO_OUTPUT -m owner --gid-owner ${uid} -j RETURN`,
    "-A ISTIO_OUTPUT -d 127.0.0.1/32 -j RETURN",
  );
  for (const port of excludeOutPorts!) lines.push(`-A ISTIO_OUTPUT -p tcp --dport ${port} -j RETURN`);
  for (const cidr of excludeOut as string[]) lines.push(`-A ISTIO_OUTPUT -d ${cidr} -j RETURN`);
  if (includeOut === "*") lines.push("-A ISTIO_OUTPUT -j ISTIO_REDIRECT");
  else for (const cidr of includeOut!) lines.push(`-A ISTIO_OUTPUT -d ${cidr} -j ISTIO_REDIRECT`);
  lines.push("COMMIT");
  return { rules: lines.join("\n") + "\n", warnings };
}
