import { appInfo } from "./api/commands";
import { createStore, renderApp } from "./app";

const root = document.getElementById("app");
if (root) {
  const store = createStore();
  renderApp(root, store);
  appInfo()
    .then((info) => store.set({ version: info.version }))
    .catch(() => store.set({ version: null }));
}
