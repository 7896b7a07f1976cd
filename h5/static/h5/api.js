// Calls to /api/apoint/ and the messages the pages show for each `ret`.
// The pages never send an openid: the API reads it from the session cookie.

export const RET = Object.freeze({
  OK: 0,
  ALREADY_BOUND: -1,
  CONFLICT: 1,
  INVALID: 2,
  CODE_INVALID: 3,
  RATE_LIMITED: 4,
  FORBIDDEN: 5,
  NOT_FOUND: 6,
});

// Shown when the server gave no usable message, by `ret` (7 and 8 are the
// transport-level additions: a dependency down, an internal error).
const FALLBACK_MESSAGES = {
  [-1]: "你已经认证过",
  1: "操作冲突，请刷新后重试",
  2: "填写的内容有误，请检查后重试",
  3: "验证码错误或已过期，请重新获取",
  4: "操作太频繁，请稍后再试",
  5: "未认证或无权限，请从微信中重新打开此页面",
  6: "要找的内容不存在",
  7: "服务暂时不可用，请稍后再试",
  8: "服务器出错了，请稍后再试",
};
export const NETWORK_MESSAGE = "网络连接失败，请检查网络后重试";
const SESSION_EXPIRED_MESSAGE = "登录已过期，请重新打开此页面";

const API_BASE = document.body.dataset.api || "/api/apoint/";

/** Return whether the call failed for want of a session openid. That is
 * ret 5 on the family and binding pages, which need no staff binding, or
 * ret 2 on `openid` when the server trusts a sent openid and none was sent. */
export function needsSignIn(body) {
  return (
    body?.ret === RET.FORBIDDEN ||
    (body?.ret === RET.INVALID && String(body.msg).startsWith("openid "))
  );
}

/** Return the message to show for a response body. */
export function messageFor(body) {
  if (body?.ret === RET.INVALID && needsSignIn(body)) return SESSION_EXPIRED_MESSAGE;
  if (body && typeof body.msg === "string" && body.msg && body.msg !== "success") {
    return body.msg;
  }
  return FALLBACK_MESSAGES[body?.ret] || "操作失败，请稍后再试";
}

/** Return the API's JSON body; a network failure or a non-JSON reply
 * resolves to {ret: null, msg} so that callers have one shape to read. */
async function call(path, options) {
  let response;
  try {
    response = await fetch(API_BASE + path, { credentials: "same-origin", ...options });
  } catch {
    return { ret: null, msg: NETWORK_MESSAGE };
  }
  try {
    return await response.json();
  } catch {
    return { ret: null, msg: `服务器返回了无法识别的内容（HTTP ${response.status}）` };
  }
}

export function apiGet(path, params = {}) {
  const query = new URLSearchParams(params).toString();
  return call(query ? `${path}?${query}` : path, { method: "GET" });
}

export function apiPost(path, fields) {
  return call(path, { method: "POST", body: new URLSearchParams(fields) });
}

/** Upload one file with XMLHttpRequest, because fetch reports no upload
 * progress. `onProgress` gets a fraction from 0 to 1, and aborting
 * `signal` cancels the upload. Resolves to the upload body:
 * {result: 0, imgurl} or {result: 1, msg}. */
export function apiUpload(file, onProgress, signal) {
  return new Promise((resolve) => {
    const request = new XMLHttpRequest();
    signal?.addEventListener("abort", () => request.abort());
    request.open("POST", API_BASE + "upload/");
    request.responseType = "json";
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    request.addEventListener("load", () => {
      const body = request.response;
      if (body && typeof body.result === "number") resolve(body);
      else resolve({ result: 1, msg: `上传失败（HTTP ${request.status}）` });
    });
    request.addEventListener("error", () => resolve({ result: 1, msg: NETWORK_MESSAGE }));
    request.addEventListener("abort", () => resolve({ result: 1, msg: "上传已取消" }));
    const data = new FormData();
    data.append("file", file);
    request.send(data);
  });
}
