import { defineConfig } from "vitest/config";

// The app loads from Tauri's asset protocol; relative paths keep it working there.
export default defineConfig({
  base: "./",
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: { outDir: "dist", target: "es2022", sourcemap: false },
  test: { environment: "jsdom" },
});
