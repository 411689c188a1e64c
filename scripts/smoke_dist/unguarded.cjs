// A CommonJS script that forgets the guard: the child, importing it for the target, starts a
// process again and fails at once with the error that names the CommonJS guard (no fork bomb).
const { Process } = require("multiproc");

function hello() {
  console.log("target ran");
}
module.exports = { hello };

const p = new Process({ target: hello, module: __filename });
p.start();
p.join().then(() => console.log(`exitCode=${p.exitCode}`));
