// Patient detail: the order, its photos, remarks and history, and the memo
// form that records the salesperson's follow-up.
import { RET, apiGet, apiPost, messageFor } from "./api.js";
import {
  bindCounter,
  clearErrors,
  focusFirstError,
  setMessage,
  showFieldError,
  showInvalid,
  whileBusy,
} from "./forms.js";

const section = document.getElementById("patient");
const details = document.getElementById("patient-body");
const form = document.getElementById("memo-form");
const viewer = document.getElementById("viewer");
const viewerImage = document.getElementById("viewer-image");
const ORDER_ID = section.dataset.orderId;
const LABELS = { types: "跟进状态", describe: "备注", nextcalldate: "下次回访日期" };

let lastFocus = null;

function openViewer(url, alt) {
  lastFocus = document.activeElement;
  viewerImage.src = url;
  viewerImage.alt = alt;
  viewer.hidden = false;
  document.body.classList.add("viewer-open");
  document.getElementById("viewer-close").focus();
}

function closeViewer() {
  viewer.hidden = true;
  document.body.classList.remove("viewer-open");
  viewerImage.removeAttribute("src");
  lastFocus?.focus();
}

function timelineItem(time, title, text) {
  const item = document.createElement("li");
  const head = document.createElement("p");
  head.className = "meta";
  head.textContent = `${time} · ${title}`;
  item.append(head);
  if (text) {
    const paragraph = document.createElement("p");
    paragraph.className = "text";
    paragraph.textContent = text;
    item.append(paragraph);
  }
  return item;
}

function emptyItem(text) {
  const item = document.createElement("li");
  item.className = "hint";
  item.textContent = text;
  return item;
}

function render(data) {
  for (const cell of details.querySelectorAll("[data-key]")) {
    const value = data[cell.dataset.key];
    cell.textContent = value === null || value === undefined || value === "" ? "—" : value;
    if (cell.hasAttribute("data-tel")) cell.href = `tel:${data.phone}`;
  }
  const photos = data.photo.map((url, index) => {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "photo-open";
    button.setAttribute("aria-label", `查看第${index + 1}张照片大图`);
    const image = document.createElement("img");
    image.src = url;
    image.alt = `第${index + 1}张照片`;
    image.loading = "lazy";
    image.decoding = "async";
    button.append(image);
    button.addEventListener("click", () => openViewer(url, image.alt));
    item.append(button);
    return item;
  });
  document
    .getElementById("photo-list")
    .replaceChildren(...(photos.length ? photos : [emptyItem("没有照片")]));
  const remarks = data.customer.map((remark) =>
    timelineItem(remark.time, remark.name || "客服", remark.remark),
  );
  document
    .getElementById("remark-list")
    .replaceChildren(...(remarks.length ? remarks : [emptyItem("暂无备注")]));
  // Newest first: the salesperson reads the latest step before older ones.
  const history = [...(data.history || [])].reverse().map((event) => {
    const author = event.name ? `${event.name}：` : "";
    return timelineItem(event.time, `${author}${event.label}`, event.remark);
  });
  document
    .getElementById("history-list")
    .replaceChildren(...(history.length ? history : [emptyItem("暂无记录")]));
}

async function load() {
  const reply = await apiGet("patientsdetail/", { id: ORDER_ID });
  document.getElementById("patient-loading").hidden = true;
  const message = document.getElementById("patient-message");
  if (reply.ret !== RET.OK) {
    message.textContent = messageFor(reply);
    message.hidden = false;
    details.hidden = true;
    form.hidden = true;
    return false;
  }
  message.hidden = true;
  render(reply.data);
  details.hidden = false;
  form.hidden = false;
  return true;
}

async function submit(event) {
  event.preventDefault();
  clearErrors(form);
  if (!form.elements.types.value) {
    showFieldError(form, "types", "请选择跟进状态");
    focusFirstError(form);
    return;
  }
  const fields = {
    id: ORDER_ID,
    types: form.elements.types.value,
    describe: form.elements.describe.value,
    nextcalldate: form.elements.nextcalldate.value,
  };
  const reply = await whileBusy(form.elements.submit, () => apiPost("thememo/", fields));
  const message = messageFor(reply);
  if (reply.ret === RET.OK) {
    form.reset();
    form.elements.describe.dispatchEvent(new Event("input"));
    await load();
    setMessage(form, "跟进记录已保存", "ok");
    return;
  }
  if (reply.ret === RET.INVALID) {
    // Transition rules ("状态不能从…") name no field but concern the status.
    if (!showInvalid(form, message, LABELS)) showFieldError(form, "types", message);
  } else {
    setMessage(form, message);
  }
  focusFirstError(form);
}

document.getElementById("viewer-close").addEventListener("click", closeViewer);
viewer.addEventListener("click", (event) => {
  if (event.target === viewer || event.target === viewerImage) closeViewer();
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !viewer.hidden) closeViewer();
});
bindCounter(form.elements.describe, document.getElementById("describe-count"));
form.addEventListener("submit", submit);
load();
