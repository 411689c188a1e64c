// multiproc/redis from the packed package: the subpath resolves, ioredis (an optional peer
// dependency, installed beside it here) loads, and connect() to a port where nothing listens fails
// with the clear error. No server needed.
import { connect, readAuthkey } from "multiproc/redis";
import { createServer } from "node:net";

const port = await new Promise((resolve) => {
  const s = createServer();
  s.listen(0, "127.0.0.1", () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
let outcome;
try {
  await connect(`redis://127.0.0.1:${port}`, { authkey: "0123456789abcdef" });
  outcome = "connected";
} catch (e) {
  outcome = /^Cannot connect to Redis at 127\.0\.0\.1:\d+: .*Is redis-server running there/.test(e.message)
    ? "refused"
    : e.message;
}
console.log(`redis=${outcome} readAuthkey=${typeof readAuthkey}`);
