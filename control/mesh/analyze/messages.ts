// Istio's analysis messages (pkg/config/analysis/msg/messages.yaml): code, level and template,
// one builder per message as in Istio's generated messages.gen.go. IST0113 was retired from
// Istio in 2024; its last template is kept here.
import { quote, type Finding, type Level, type Subject } from "./finding.ts";

function make(code: string, level: Level, subject: Subject, message: string, field?: string): Finding {
  return { code, level, ...subject, message, ...(field !== undefined ? { field } : {}) };
}

/** IST0101 `Referenced %s not found: %q` */
export function referencedResourceNotFound(s: Subject, reftype: string, refval: string, field?: string): Finding {
  return make("IST0101", "Error", s, `Referenced ${reftype} not found: ${quote(refval)}`, field);
}

/** IST0102 */
export function namespaceNotInjected(s: Subject, namespace: string, field?: string): Finding {
  return make(
    "IST0102",
    "Info",
    s,
    `The namespace is not enabled for Istio injection. Run 'kubectl label namespace ${namespace} istio-injection=enabled' to enable it, or 'kubectl label namespace ${namespace} istio-injection=disabled' to explicitly mark it as not needing injection.`,
    field,
  );
}

/** IST0109 */
export function conflictingMeshGatewayVirtualServiceHosts(s: Subject, virtualServices: string, host: string, field?: string): Finding {
  return make(
    "IST0109",
    "Error",
    s,
    `The VirtualServices ${virtualServices} associated with mesh gateway define the same host ${host} which can lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource.`,
    field,
  );
}

/** IST0112; `ports` prints as Go's `%v` of `[]int`. */
export function virtualServiceDestinationPortSelectorRequired(s: Subject, destHost: string, ports: number[], field?: string): Finding {
  return make(
    "IST0112",
    "Error",
    s,
    `This VirtualService routes to a service ${quote(destHost)} that exposes multiple ports [${ports.join(" ")}]. Specifying a port in the destination is required to disambiguate.`,
    field,
  );
}

/** IST0113 (retired upstream). */
export function mtlsPolicyConflict(s: Subject, host: string, destinationRule: string, drUsesMtls: boolean, policy: string, policyMode: string, field?: string): Finding {
  return make(
    "IST0113",
    "Error",
    s,
    `A DestinationRule and Policy are in conflict with regards to mTLS for host ${host}. The DestinationRule ${quote(destinationRule)} specifies that mTLS must be ${drUsesMtls} but the Policy object ${quote(policy)} specifies ${policyMode}.`,
    field,
  );
}

/** IST0127 */
export function noMatchingWorkloadsFound(s: Subject, labels: string, field?: string): Finding {
  return make("IST0127", "Warning", s, `No matching workloads for this resource with the following labels: ${labels}`, field);
}

/** IST0130 */
export function virtualServiceUnreachableRule(s: Subject, ruleno: string, reason: string, field?: string): Finding {
  return make("IST0130", "Warning", s, `VirtualService rule ${ruleno} not used (${reason}).`, field);
}

/** IST0131 */
export function virtualServiceIneffectiveMatch(s: Subject, ruleno: string, matchno: string, dupno: string, field?: string): Finding {
  return make("IST0131", "Info", s, `VirtualService rule ${ruleno} match ${matchno} is not used (duplicate/overlapping match in rule ${dupno}).`, field);
}

/** IST0162 */
export function gatewayPortNotDefinedOnService(s: Subject, port: number, selector: string, field?: string): Finding {
  return make(
    "IST0162",
    "Warning",
    s,
    `The gateway is listening on a target port (port ${port}) that is not defined in the Service associated with its workload instances (Pod selector ${selector}). If you need to access the gateway port through the gateway Service, it will not be available.`,
    field,
  );
}

/** IST0173 */
export function destinationRuleSubsetNotSelectPods(s: Subject, subset: string, field?: string): Finding {
  return make("IST0173", "Error", s, `The Subset ${subset} defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).`, field);
}

/** IST0174 */
export function unknownDestinationRuleHost(s: Subject, host: string, field?: string): Finding {
  return make("IST0174", "Warning", s, `The host ${host} defined in the DestinationRule does not match any services in the mesh.`, field);
}
