import { renderApp } from "./app";
import { connect, createStore } from "./state";

const root = document.getElementById("app");
if (root) {
  const store = createStore();
  renderApp(root, store);
  void connect(store);
}
