// PLACEHOLDER: being written (Istio security.istio.io schemas).
import { z } from "zod";
import { customResource } from "./meta.ts";
const open = customResource(z.record(z.string(), z.unknown()));
export const peerAuthenticationSchema = open;
export const authorizationPolicySchema = open;
export const requestAuthenticationSchema = open;
