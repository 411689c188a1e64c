// Seed: 003_d11a23a09cad837b.txt (爬取数据的例子: fetch pages in a pool)
// Shows: pool workers do the slow I/O (fetching a page) and return [url, content]; the callback
// in the main process prints each result as it arrives.
// No network here: instead of cnblogs/baidu/sogou/sohu, the main process serves four small pages
// on 127.0.0.1 (node:http, any free port) and the workers fetch() those; `requests.get` becomes
// fetch(), and a status other than 200 returns undefined like the original's implicit None.
// expect: ^(\[\s*['"]http://127\.0\.0\.1:\d+/\w+['"],[\s\S]*?\]\nhttp://127\.0\.0\.1:\d+/\w+ \d+\n){4}$
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { isMainProcess, Pool } from "../mod.ts";

export async function get(url: string): Promise<[string, string] | undefined> {
  const response = await fetch(url);
  if (response.status === 200) {
    return [url, await response.text()];
  }
}

function call_back(args: [string, string] | undefined) {
  console.log(args);
  const [url, content] = args!;
  console.log(url, content.length);
}

if (isMainProcess(import.meta)) {
  // The stand-in web: one tiny page per site.
  const server = createServer((req, res) => {
    res.setHeader("content-type", "text/html; charset=utf-8");
    res.end(`<html><title>${req.url!.slice(1)}</title><body>stand-in page for ${req.url}</body></html>`);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const urlLst = [`${base}/cnblogs`, `${base}/baidu`, `${base}/sogou`, `${base}/sohu`];
  const p = new Pool(5);
  for (const url of urlLst) {
    p.applyAsync(get, [url], { callback: call_back });
  }
  p.close();
  await p.join();
  server.close();
}
