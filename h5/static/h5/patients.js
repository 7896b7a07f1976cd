// "My patients": the salesperson's patients, with a search by name.
import { RET, apiGet, messageFor } from "./api.js";

const form = document.getElementById("search-form");
const list = document.getElementById("patient-list");
const summary = document.getElementById("list-summary");
const message = document.getElementById("list-message");
const nameError = document.getElementById("search-name-error");
const DETAIL_URL = list.dataset.detailUrl; // Ends in "0/", the id's place.

function detailUrl(id) {
  return DETAIL_URL.replace(/0\/$/, `${encodeURIComponent(id)}/`);
}

function row(patient) {
  const item = document.createElement("li");
  const link = document.createElement("a");
  link.className = "patient";
  link.href = detailUrl(patient.id);
  const name = document.createElement("strong");
  name.textContent = `${patient.name}（${patient.sex}）`;
  const status = document.createElement("span");
  status.className = "status";
  status.textContent = patient.statusLabel ?? "";
  const meta = document.createElement("span");
  meta.className = "meta";
  meta.textContent = `${patient.hospital} · 预约 ${patient.wantTime}`;
  link.append(name, status, meta);
  item.append(link);
  return item;
}

async function load(name) {
  summary.textContent = "正在加载…";
  message.hidden = true;
  nameError.hidden = true;
  form.elements.name.removeAttribute("aria-invalid");
  const body = name ? await apiGet("patsearch/", { name }) : await apiGet("mypatien/");
  if (body.ret !== RET.OK) {
    list.replaceChildren();
    summary.textContent = "";
    if (body.ret === RET.INVALID) {
      nameError.textContent = messageFor(body).replace(/^name /, "姓名");
      nameError.hidden = false;
      form.elements.name.setAttribute("aria-invalid", "true");
    } else {
      message.textContent = messageFor(body);
      message.className = "notice notice-error";
      message.hidden = false;
    }
    return;
  }
  list.replaceChildren(...body.lister.map(row));
  if (name) {
    summary.textContent = body.lister.length
      ? `姓名含“${name}”的患者 ${body.lister.length} 位`
      : `没有姓名含“${name}”的患者`;
  } else {
    summary.textContent = body.lister.length
      ? `共 ${body.lister.length} 位患者`
      : "暂时没有分配给您的患者";
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  load(form.elements.name.value.trim());
});
load("");
