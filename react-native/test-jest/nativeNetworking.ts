/**
 * The native half of React Native's networking, as its XMLHttpRequest sees it (the
 * `Networking` native module and the `didReceiveNetwork*` device events), carried out with
 * node's http client against a real server: everything above it — RN's XMLHttpRequest, its
 * fetch (whatwg-fetch), its EventTarget — is React Native's own code.
 */
import * as http from "node:http";

type Emit = (event: string, args: unknown[]) => void;

export interface Query {
  method: string;
  url: string;
  data?: { string?: string };
  headers?: Record<string, string>;
  responseType: "text" | "base64" | "blob";
  timeout?: number;
}

/** Installs the fake native module's behaviour on React Native's Networking module. */
export function serveNetworking(networking: { sendRequest: jest.Mock; abortRequest: jest.Mock }, emit: Emit): void {
  let nextId = 1;
  const live = new Map<number, http.ClientRequest>();
  networking.sendRequest.mockImplementation((query: Query, callback: (id: number) => void) => {
    const id = nextId++;
    callback(id);
    const req = http.request(query.url, { method: query.method, headers: query.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        live.delete(id);
        const body = Buffer.concat(chunks);
        emit("didReceiveNetworkResponse", [id, res.statusCode, res.headers, query.url]);
        const data = query.responseType === "base64" ? body.toString("base64")
          : query.responseType === "blob" ? { blobId: `blob-${id}`, offset: 0, size: body.length, type: "text/plain" }
          : body.toString("utf8");
        emit("didReceiveNetworkData", [id, data]);
        emit("didCompleteNetworkResponse", [id, "", false]);
      });
    });
    req.on("error", (e) => {
      if (!live.has(id)) return;
      live.delete(id);
      emit("didCompleteNetworkResponse", [id, e.message, false]);
    });
    live.set(id, req);
    req.end(query.data?.string);
  });
  networking.abortRequest.mockImplementation((id: number) => {
    const req = live.get(id);
    live.delete(id);
    req?.destroy();
  });
}
