import { defineConfig } from "vite";

// Built into the server's dashboard folder; the server serves it at / (no CDN, no network at run time).
export default defineConfig({
  base: "./",
  build: {
    outDir: "../src/Tickrunner.Server/dashboard",
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
  },
  server: {
    proxy: {
      "/api": "http://localhost:8080",
      "/ws": { target: "ws://localhost:8080", ws: true },
    },
  },
});
