// From the attributes of a logged stream to its metric ids without building the label set each
// time: the few inputs that vary per stream (peer, principals, cluster and its service metadata, :authority, status,
// flags, gRPC status, mTLS) are read into one reused object and compared, by value, with the
// inputs of the label sets seen recently; only a new combination builds the encoded label set
// (about 1.5 KB of string) and, for a set never seen, defines its four metrics.
import { proxy_define_metric } from "../lib/abi";
import { OUT_U32, utf8 } from "../lib/mem";
import { orUnknown, responseFlags, serviceHost, serviceName } from "./labels";
import { Node } from "./peer";

const COUNTER: u32 = 0;
const HISTOGRAM: u32 = 2;
/** Recent input combinations remembered (a sidecar talks to a handful of peers and statuses). */
const RECENT = 16;

/** The four metric ids of one label set. */
export class Series {
  requests: u32 = 0;
  duration: u32 = 0;
  requestBytes: u32 = 0;
  responseBytes: u32 = 0;
}

/** What varies between the streams one filter logs. */
export class Inputs {
  peer: Node | null = null;
  sourcePrincipal: string = "";
  destinationPrincipal: string = "";
  cluster: string = "";
  /** From the cluster's metadata (filter_metadata.istio.services[0]); "" when it has none. */
  serviceHost: string = "";
  serviceName: string = "";
  authority: string = "";
  code: i64 = 0;
  flags: i64 = 0;
  /** -1 for plain HTTP, else the gRPC status. */
  grpcStatus: i64 = -1;
  mtls: bool = false;

  copyFrom(o: Inputs): void {
    this.peer = o.peer;
    this.sourcePrincipal = o.sourcePrincipal;
    this.destinationPrincipal = o.destinationPrincipal;
    this.cluster = o.cluster;
    this.serviceHost = o.serviceHost;
    this.serviceName = o.serviceName;
    this.authority = o.authority;
    this.code = o.code;
    this.flags = o.flags;
    this.grpcStatus = o.grpcStatus;
    this.mtls = o.mtls;
  }

  equals(o: Inputs): bool {
    return (
      changetype<usize>(this.peer) == changetype<usize>(o.peer) &&
      this.code == o.code &&
      this.flags == o.flags &&
      this.grpcStatus == o.grpcStatus &&
      this.mtls == o.mtls &&
      this.cluster == o.cluster &&
      this.serviceName == o.serviceName &&
      this.serviceHost == o.serviceHost &&
      this.sourcePrincipal == o.sourcePrincipal &&
      this.destinationPrincipal == o.destinationPrincipal &&
      this.authority == o.authority
    );
  }
}

class Recent {
  inputs: Inputs = new Inputs();
  series: Series | null = null;
}

function label(name: string, value: string): string {
  return name + "=.=" + value + ";.;";
}

function define(type: u32, name: string): u32 {
  const bytes = utf8(name);
  if (proxy_define_metric(type, changetype<usize>(bytes), bytes.byteLength, OUT_U32) != 0) abort("proxy_define_metric failed: " + name);
  return load<u32>(OUT_U32);
}

const NO_PEER = new Node();

export class SeriesTable {
  private byKey: Map<string, Series> = new Map();
  private recent: Recent[] = [];
  private next: i32 = 0;

  constructor(private outbound: bool, private local: Node) {
    for (let i = 0; i < RECENT; i++) this.recent.push(new Recent());
  }

  /** The metric ids for a stream with inputs `x`. */
  lookup(x: Inputs): Series {
    for (let i = 0; i < RECENT; i++) {
      const r = unchecked(this.recent[i]);
      if (r.series !== null && r.inputs.equals(x)) return <Series>r.series;
    }
    const key = this.labels(x);
    let s: Series;
    if (this.byKey.has(key)) s = this.byKey.get(key);
    else {
      s = new Series();
      s.requests = define(COUNTER, key + "istio_requests_total");
      s.duration = define(HISTOGRAM, key + "istio_request_duration_milliseconds");
      s.requestBytes = define(HISTOGRAM, key + "istio_request_bytes");
      s.responseBytes = define(HISTOGRAM, key + "istio_response_bytes");
      this.byKey.set(key, s);
    }
    const slot = unchecked(this.recent[this.next]);
    this.next = (this.next + 1) % RECENT;
    slot.inputs.copyFrom(x);
    slot.series = s;
    return s;
  }

  /** The encoded label set, every standard label in Istio's order (control/stats/stat-tags.ts). */
  private labels(x: Inputs): string {
    const peer = x.peer === null ? NO_PEER : <Node>x.peer;
    const source = this.outbound ? this.local : peer;
    const destination = this.outbound ? peer : this.local;
    const fromMetadata = x.serviceName.length > 0;
    const host = fromMetadata ? x.serviceHost : serviceHost(x.cluster, x.authority, source.namespace);
    const grpc = x.grpcStatus >= 0;
    return (
      label("reporter", this.outbound ? "source" : "destination") +
      label("source_workload", orUnknown(source.workload)) +
      label("source_workload_namespace", orUnknown(source.namespace)) +
      label("source_principal", orUnknown(x.sourcePrincipal)) +
      label("source_app", orUnknown(source.app)) +
      label("source_version", orUnknown(source.version)) +
      label("source_cluster", orUnknown(source.cluster)) +
      label("destination_workload", orUnknown(destination.workload)) +
      label("destination_workload_namespace", orUnknown(destination.namespace)) +
      label("destination_principal", orUnknown(x.destinationPrincipal)) +
      label("destination_app", orUnknown(destination.app)) +
      label("destination_version", orUnknown(destination.version)) +
      label("destination_service", orUnknown(host)) +
      label("destination_service_name", orUnknown(fromMetadata ? x.serviceName : serviceName(host, destination.namespace))) +
      label("destination_service_namespace", orUnknown(destination.namespace)) +
      label("destination_cluster", orUnknown(destination.cluster)) +
      label("request_protocol", grpc ? "grpc" : "http") +
      label("response_flags", responseFlags(<u64>x.flags)) +
      // Istio reports the policy where the connection arrives (inbound) only.
      label("connection_security_policy", this.outbound ? "unknown" : x.mtls ? "mutual_tls" : "none") +
      label("response_code", x.code.toString()) +
      label("grpc_response_status", grpc ? x.grpcStatus.toString() : "")
    );
  }
}
