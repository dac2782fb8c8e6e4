// `?watch=1` on a collection: the ConfigStore's event stream (control/store/watch.ts), filtered by
// the request's label and field selectors and shaped as the client asked (the version it named,
// or a Table for `kubectl get -w`), one JSON object per line, as the Kubernetes API streams it.
import type { KindSpec, KubeObject } from "../mesh/kinds/types.ts";
import type { WatchEvent } from "../store/watch.ts";
import { fieldsOf, matches, type Selector } from "./selectors.ts";
import { toTable } from "./table.ts";

export interface WatchShape {
  spec: KindSpec;
  labelSelector: Selector;
  fieldSelector: Selector;
  /** The object in the version the client asked for. */
  inVersion: (obj: KubeObject) => KubeObject;
  table: boolean;
}

export function shapeWatch(events: ReadableStream<Uint8Array>, shape: WatchShape): ReadableStream<Uint8Array> {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let pending = "";
  const emit = (text: string, controller: TransformStreamDefaultController<Uint8Array>) => {
    if (text.trim() === "") return;
    const { type, object, before } = JSON.parse(text) as WatchEvent;
    const out: WatchEvent = { type, object };
    if (type !== "BOOKMARK") {
      const selected = (o: KubeObject) => matches(shape.labelSelector, o.metadata.labels) && matches(shape.fieldSelector, fieldsOf(o));
      const now = selected(object);
      const was = before ? selected(before) : now;
      if (!now && !was) return;
      // An object entering or leaving the selection is, to this watcher, added or deleted.
      if (type === "MODIFIED" && now !== was) out.type = now ? "ADDED" : "DELETED";
      const shaped = shape.inVersion(object);
      out.object = shape.table ? (toTable(shape.spec, [shaped], Number(object.metadata.resourceVersion), new Date()) as unknown as KubeObject) : shaped;
    }
    controller.enqueue(encoder.encode(`${JSON.stringify(out)}\n`));
  };
  return events.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        pending += decoder.decode(chunk, { stream: true });
        const lines = pending.split("\n");
        pending = lines.pop()!;
        for (const line of lines) emit(line, controller);
      },
      flush(controller) {
        emit(pending, controller);
      },
    }),
  );
}
