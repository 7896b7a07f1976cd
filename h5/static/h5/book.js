// The booking page: province, hospital, date, the patient, photos, submit.
import { RET, apiGet, apiPost, apiUpload, messageFor, needsSignIn } from "./api.js";
import {
  bindCounter,
  clearErrors,
  clearFieldError,
  focusFirstError,
  setMessage,
  showFieldError,
  showInvalid,
  whileBusy,
} from "./forms.js";

const form = document.getElementById("book-form");
const areaSelect = form.elements.area;
const hospitalSelect = form.elements.hospital;
const photoInput = document.getElementById("photo-input");
const photoList = document.getElementById("photo-list");
const photoAdd = document.getElementById("photo-add");
const PHOTO_MAX = Number(form.dataset.photoMax);
const UPLOAD_MAX_BYTES = Number(form.dataset.uploadMaxBytes);
const MY_ORDER_URL = form.dataset.myOrderUrl;

// Field names as the API spells them, and how the page names them.
const LABELS = {
  area: "省份",
  hospital: "医院",
  wantTime: "就诊日期",
  name: "姓名",
  sex: "性别",
  birthday: "出生日期",
  phone: "电话",
  description: "描述",
  photo: "照片",
};

// Each photo: {file, previewUrl, imgurl, state ("uploading", "done" or
// "failed"), progress, error, removed, upload (its AbortController)}.
const photos = [];

function fillSelect(select, rows, nameKey, placeholder) {
  const options = [new Option(placeholder, "")];
  for (const row of rows) options.push(new Option(row[nameKey], String(row.id)));
  select.replaceChildren(...options);
}

async function loadProvinces() {
  const body = await apiGet("province/");
  if (body.ret !== RET.OK) {
    fillSelect(areaSelect, [], "area", "省份加载失败");
    showFieldError(form, "area", `${messageFor(body)}，请刷新页面重试`);
    return;
  }
  fillSelect(areaSelect, body.lister, "area", "请选择省份");
}

async function loadHospitals() {
  const area = areaSelect.value;
  hospitalSelect.disabled = true;
  clearFieldError(form, "hospital");
  if (!area) {
    fillSelect(hospitalSelect, [], "hospits", "请先选择省份");
    return;
  }
  fillSelect(hospitalSelect, [], "hospits", "正在加载医院…");
  const body = await apiGet("hospital/", { area });
  if (area !== areaSelect.value) return; // A newer choice is loading.
  if (body.ret !== RET.OK) {
    fillSelect(hospitalSelect, [], "hospits", "医院加载失败");
    showFieldError(form, "hospital", messageFor(body));
    return;
  }
  if (!body.lister.length) {
    fillSelect(hospitalSelect, [], "hospits", "该省份暂无可预约的医院");
    return;
  }
  fillSelect(hospitalSelect, body.lister, "hospits", "请选择医院");
  hospitalSelect.disabled = false;
}

// ---- photos ----------------------------------------------------------------

function renderPhotos() {
  const items = photos.map((photo, index) => {
    const item = document.createElement("li");
    item.className = `photo photo-${photo.state}`;
    const image = document.createElement("img");
    image.src = photo.previewUrl;
    image.alt = `第${index + 1}张照片预览`;
    const progress = document.createElement("progress");
    progress.max = 1;
    progress.value = photo.progress;
    progress.hidden = photo.state !== "uploading";
    progress.setAttribute("aria-label", `第${index + 1}张照片上传进度`);
    const status = document.createElement("span");
    status.className = "photo-status";
    status.textContent =
      photo.state === "uploading"
        ? `上传中 ${Math.round(photo.progress * 100)}%`
        : photo.state === "failed"
          ? photo.error
          : "已上传";
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "photo-remove";
    remove.textContent = "删除";
    remove.setAttribute("aria-label", `删除第${index + 1}张照片`);
    remove.addEventListener("click", () => removePhoto(photo));
    item.append(image, progress, status, remove);
    return item;
  });
  photoList.replaceChildren(...items);
  const full = photos.length >= PHOTO_MAX;
  photoInput.disabled = full;
  photoAdd.classList.toggle("is-disabled", full);
  photoAdd.textContent = full ? `已达 ${PHOTO_MAX} 张上限` : "添加照片";
}

function removePhoto(photo) {
  const index = photos.indexOf(photo);
  if (index < 0) return;
  photos.splice(index, 1);
  URL.revokeObjectURL(photo.previewUrl);
  photo.removed = true;
  photo.upload.abort();
  renderPhotos();
}

async function uploadPhoto(photo) {
  const onProgress = (fraction) => {
    photo.progress = fraction;
    if (!photo.removed) renderPhotos();
  };
  const body = await apiUpload(photo.file, onProgress, photo.upload.signal);
  if (photo.removed) return;
  if (body.result === 0) {
    photo.state = "done";
    photo.imgurl = body.imgurl;
  } else {
    photo.state = "failed";
    photo.error = body.msg || "上传失败";
  }
  renderPhotos();
}

function addPhotos(files) {
  clearFieldError(form, "photo");
  const room = PHOTO_MAX - photos.length;
  const chosen = Array.from(files);
  if (chosen.length > room) {
    showFieldError(form, "photo", `最多上传 ${PHOTO_MAX} 张，已忽略多选的 ${chosen.length - room} 张`);
  }
  for (const file of chosen.slice(0, Math.max(room, 0))) {
    const photo = {
      file,
      previewUrl: URL.createObjectURL(file),
      imgurl: "",
      state: "uploading",
      progress: 0,
      error: "",
      removed: false,
      upload: new AbortController(),
    };
    photos.push(photo);
    if (file.size > UPLOAD_MAX_BYTES) {
      photo.state = "failed";
      photo.error = "图片太大，请换一张";
    } else {
      uploadPhoto(photo);
    }
  }
  renderPhotos();
}

// ---- submit ----------------------------------------------------------------

function checkRequired() {
  const missing = {
    area: "请选择省份",
    hospital: "请选择医院",
    wantTime: "请选择就诊日期",
    name: "请填写患者姓名",
    sex: "请选择性别",
    birthday: "请选择出生日期",
    phone: "请填写联系电话",
  };
  let ok = true;
  for (const [field, message] of Object.entries(missing)) {
    const value = form.elements[field].value;
    // Without a province the hospital list is empty, and its hint says so.
    if (field === "hospital" && !areaSelect.value) continue;
    if (!value || !value.trim()) {
      showFieldError(form, field, message);
      ok = false;
    }
  }
  if (photos.some((photo) => photo.state === "uploading")) {
    showFieldError(form, "photo", "照片还在上传，请稍候");
    ok = false;
  } else if (photos.some((photo) => photo.state === "failed")) {
    showFieldError(form, "photo", "有照片上传失败，请删除后重新添加");
    ok = false;
  }
  return ok;
}

function showResult(body) {
  const message = messageFor(body);
  if (needsSignIn(body)) {
    setMessage(form, message, "error", { href: location.href, text: "重新打开" });
  } else if (body.ret === RET.CONFLICT) {
    setMessage(form, message, "error", { href: MY_ORDER_URL, text: "查看我的预约" });
  } else if (body.ret === RET.INVALID) {
    if (!showInvalid(form, message, LABELS)) setMessage(form, message);
  } else if (body.ret === RET.NOT_FOUND) {
    const field = message.startsWith("省份") ? "area" : "hospital";
    showFieldError(form, field, `${message}，请重新选择`);
  } else {
    // ret 4 (too many requests) and transport failures: the server's words.
    setMessage(form, message);
  }
  focusFirstError(form);
}

async function submit(event) {
  event.preventDefault();
  clearErrors(form);
  if (!checkRequired()) {
    focusFirstError(form);
    return;
  }
  const fields = {
    area: areaSelect.value,
    hospital: hospitalSelect.value,
    wantTime: form.elements.wantTime.value,
    name: form.elements.name.value,
    sex: form.elements.sex.value,
    birthday: form.elements.birthday.value,
    phone: form.elements.phone.value,
    description: form.elements.description.value,
    photo: JSON.stringify(photos.map((photo) => photo.imgurl)),
  };
  const body = await whileBusy(form.elements.submit, () => apiPost("ordersubmit/", fields));
  if (body.ret === RET.OK) {
    location.assign(`${MY_ORDER_URL}?submitted=1`);
    return;
  }
  showResult(body);
}

areaSelect.addEventListener("change", loadHospitals);
photoInput.addEventListener("change", () => {
  addPhotos(photoInput.files);
  photoInput.value = ""; // Choosing the same file again fires change again.
});
bindCounter(form.elements.description, document.getElementById("description-count"));
form.addEventListener("submit", submit);
renderPhotos();
loadProvinces();
