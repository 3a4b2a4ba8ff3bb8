// After `vite build`: writes a Brotli (.br) and a gzip (.gz) copy beside each text asset of the built dashboard, so the
// server sends compressed bytes without compressing on every request. Node's own zlib; best compression, done once.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const root = new URL("../../src/Tickrunner.Server/dashboard/", import.meta.url).pathname;
const compressible = /\.(js|css|html|svg|json|txt|map)$/;

function* files(directory) {
  for (const name of readdirSync(directory)) {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (compressible.test(name)) yield path;
  }
}

let raw = 0, brotli = 0, gzip = 0;
for (const path of files(root)) {
  const bytes = readFileSync(path);
  const br = brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } });
  const gz = gzipSync(bytes, { level: 9 });
  writeFileSync(`${path}.br`, br);
  writeFileSync(`${path}.gz`, gz);
  raw += bytes.length; brotli += br.length; gzip += gz.length;
}
console.log(`compressed dashboard assets: ${(raw / 1024).toFixed(0)} kB → brotli ${(brotli / 1024).toFixed(0)} kB, gzip ${(gzip / 1024).toFixed(0)} kB`);
