// Staff binding: send a code to the roster phone, then bind this WeChat.
import { RET, apiPost, messageFor, needsSignIn } from "./api.js";
import {
  clearErrors,
  focusFirstError,
  setMessage,
  showFieldError,
  showInvalid,
  whileBusy,
} from "./forms.js";

const form = document.getElementById("bind-form");
const sendButton = document.getElementById("send-code");
const hint = document.getElementById("vercode-hint");
const RESEND_SECONDS = Number(form.dataset.resendSeconds);
const PATIENTS_URL = form.dataset.patientsUrl;
const LABELS = { name: "姓名", phone: "手机号", email: "邮箱", vercode: "验证码" };

let countdownTimer = null;

function startCountdown(seconds) {
  clearInterval(countdownTimer);
  let left = seconds;
  const tick = () => {
    if (left <= 0) {
      clearInterval(countdownTimer);
      sendButton.disabled = false;
      sendButton.textContent = "重新获取";
      return;
    }
    sendButton.disabled = true;
    sendButton.textContent = `${left}秒后重发`;
    left -= 1;
  };
  tick();
  countdownTimer = setInterval(tick, 1000);
}

async function sendCode() {
  clearErrors(form);
  const phone = form.elements.phone.value;
  if (!phone.trim()) {
    showFieldError(form, "phone", "请填写手机号");
    focusFirstError(form);
    return;
  }
  sendButton.disabled = true;
  const body = await apiPost("scrfcode/", { phone });
  if (body.ret === RET.OK) {
    // The reply is the same whether or not the phone is on the roster.
    hint.textContent = "如果该手机号在员工名册中，验证码已发送，5分钟内有效";
    startCountdown(RESEND_SECONDS);
    form.elements.vercode.focus();
    return;
  }
  sendButton.disabled = false;
  const message = messageFor(body);
  if (body.ret === RET.INVALID && showInvalid(form, message, LABELS)) {
    focusFirstError(form);
  } else if (body.ret === RET.RATE_LIMITED) {
    showFieldError(form, "vercode", message);
    const seconds = Number(/(\d+)秒/.exec(message)?.[1]);
    if (seconds > 0 && seconds <= RESEND_SECONDS) startCountdown(seconds);
  } else {
    setMessage(form, message);
  }
}

function checkRequired() {
  const missing = {
    name: "请填写姓名",
    phone: "请填写手机号",
    vercode: "请填写短信验证码",
  };
  let ok = true;
  for (const [field, message] of Object.entries(missing)) {
    if (!form.elements[field].value.trim()) {
      showFieldError(form, field, message);
      ok = false;
    }
  }
  return ok;
}

async function submit(event) {
  event.preventDefault();
  clearErrors(form);
  if (!checkRequired()) {
    focusFirstError(form);
    return;
  }
  const fields = {
    name: form.elements.name.value,
    phone: form.elements.phone.value,
    email: form.elements.email.value,
    vercode: form.elements.vercode.value,
  };
  const body = await whileBusy(form.elements.submit, () => apiPost("staffauth/", fields));
  const message = messageFor(body);
  if (body.ret === RET.OK) {
    location.assign(PATIENTS_URL);
    return;
  }
  if (needsSignIn(body)) {
    setMessage(form, message, "error", { href: location.href, text: "重新打开" });
  } else if (body.ret === RET.ALREADY_BOUND) {
    setMessage(form, message, "ok", { href: PATIENTS_URL, text: "进入我的患者" });
  } else if (body.ret === RET.INVALID) {
    if (!showInvalid(form, message, LABELS)) setMessage(form, message);
  } else if (body.ret === RET.CODE_INVALID) {
    showFieldError(form, "vercode", message);
  } else {
    // ret 1 means the name and phone are not on the roster, or the entry is
    // bound to another WeChat. The server's message says which.
    setMessage(form, message);
  }
  focusFirstError(form);
}

sendButton.addEventListener("click", sendCode);
form.addEventListener("submit", submit);
