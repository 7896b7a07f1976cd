// "My booking": the family's newest order, its status, hospital and date.
import { RET, apiGet, messageFor } from "./api.js";

const details = document.getElementById("order-details");
// The back office's words for the first two statuses mean nothing to a
// family; these say what happens next. Other labels are shown as sent.
const FAMILY_LABELS = {
  1: "已提交，等待客服联系",
  2: "客服已受理，将电话联系您",
};
const message = document.getElementById("order-message");

function show(text, kind) {
  message.textContent = text;
  message.className = `notice notice-${kind}`;
  message.hidden = false;
}

async function load() {
  const body = await apiGet("myorder/");
  document.getElementById("order-loading").hidden = true;
  if (body.ret === RET.OK) {
    const data = { ...body.data };
    data.statusLabel = FAMILY_LABELS[data.status] ?? data.statusLabel;
    for (const cell of details.querySelectorAll("[data-key]")) {
      cell.textContent = data[cell.dataset.key] ?? "";
    }
    details.hidden = false;
    if (new URLSearchParams(location.search).has("submitted")) {
      show("预约已提交，客服会尽快与您联系。", "ok");
    }
  } else if (body.ret === RET.NOT_FOUND) {
    show("您还没有预约。", "info");
  } else {
    show(messageFor(body), "error");
  }
}

load();
