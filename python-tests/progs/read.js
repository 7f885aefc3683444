// SPDX-License-Identifier: Apache-2.0
// A job for python-tests/test_view.py: node stats (statx, a raw system call libuv makes
// itself) and reads each path, one line each: "PATH size=N data=HEX" or "PATH ERR CODE".
const fs = require("fs");
for (const p of process.argv.slice(2)) {
  try {
    const size = fs.statSync(p).size;
    const data = fs.readFileSync(p);
    console.log(`${p} size=${size} data=${data.toString("hex")}`);
  } catch (e) {
    console.log(`${p} ERR ${e.code || e.message}`);
  }
}
