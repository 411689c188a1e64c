// Seed: 003_d11a23a09cad837b.txt (爬虫: fetch in a pool, parse with a regex in the callback)
// Shows: applyAsync() with a callback that parses the page in the main process; the compiled
// pattern travels to the worker and back (a RegExp is a structured-clone value, like Python
// pickling a compiled pattern). get() on each AsyncResult waits for all of them.
// No network here: instead of maoyan.com/board/7 the main process serves a stand-in board page
// on 127.0.0.1 (node:http, any free port), in the same markup the regex expects.
// expect: index: ['"]1['"][\s\S]*title: ['"]霸王别姬['"][\s\S]*index: ['"]3['"]
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type AsyncResult, isMainProcess, Pool } from "../mod.ts";

export async function get_page(url: string, pattern: RegExp): Promise<[RegExp, string]> {
  const response = await (await fetch(url)).text();
  return [pattern, response];
}

function parse_page(info: [RegExp, string]) {
  const [pattern, pageContent] = info;
  for (const item of pageContent.matchAll(pattern)) {
    const dic = {
      index: item[1].trim(),
      title: item[2].trim(),
      actor: item[3].trim(),
      time: item[4].trim(),
    };
    console.log(dic);
  }
}

const BOARD = [
  ["霸王别姬", "张国荣,张丰毅,巩俐", "1993-01-01"],
  ["肖申克的救赎", "蒂姆·罗宾斯,摩根·弗里曼", "1994-09-10"],
  ["罗马假日", "格利高里·派克,奥黛丽·赫本", "1953-08-20"],
].map(([title, star, time], i) =>
  `<dd>
  <i class="board-index board-index-${i + 1}">${i + 1}</i>
  <a href="/films/${i}" title="${title}" class="image-link"></a>
  <div class="movie-item-info">
    <p class="star">
      主演：${star}
    </p>
    <p class="releasetime">上映时间：${time}</p>
  </div>
</dd>`
).join("\n");

if (isMainProcess(import.meta)) {
  const server = createServer((_req, res) => {
    res.setHeader("content-type", "text/html; charset=utf-8");
    res.end(`<html><body><dl class="board-wrapper">\n${BOARD}\n</dl></body></html>`);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // re.compile(regex, re.S): the "s" flag; "g" lets matchAll find every match, like findall
  const pattern1 =
    /<dd>.*?<.*?class="board-index.*?>(\d+)<\/i>.*?title="(.*?)".*?class="movie-item-info".*?<p class="star">(.*?)<\/p>.*?<p class="releasetime">(.*?)<\/p>/gs;

  const urlDic = new Map([[`${base}/board/7`, pattern1]]);

  await using p = new Pool();
  const resL: AsyncResult<[RegExp, string]>[] = [];
  for (const [url, pattern] of urlDic) {
    const res = p.applyAsync(get_page, [url, pattern], { callback: parse_page });
    resL.push(res);
  }

  for (const i of resL) await i.get();
  server.close();
}
