// Form helpers: errors tied to their input, counters, the form message.

/** Show `message` under the input named `field`; the input's
 * aria-describedby already lists the error element's id. */
export function showFieldError(form, field, message) {
  const error = form.querySelector(`#${CSS.escape(field)}-error`);
  if (!error) return false;
  error.textContent = message;
  error.hidden = false;
  const control = form.querySelector(`#${CSS.escape(field)}`);
  if (control) control.setAttribute("aria-invalid", "true");
  for (const input of form.querySelectorAll(`[name="${CSS.escape(field)}"]`)) {
    input.setAttribute("aria-invalid", "true");
  }
  return true;
}

export function clearFieldError(form, field) {
  const error = form.querySelector(`#${CSS.escape(field)}-error`);
  if (error) {
    error.hidden = true;
    error.textContent = "";
  }
  for (const control of form.querySelectorAll(
    `#${CSS.escape(field)}, [name="${CSS.escape(field)}"]`,
  )) {
    control.removeAttribute("aria-invalid");
  }
}

export function clearErrors(form) {
  for (const error of form.querySelectorAll(".error")) {
    error.hidden = true;
    error.textContent = "";
  }
  for (const control of form.querySelectorAll("[aria-invalid]")) {
    control.removeAttribute("aria-invalid");
  }
  setMessage(form, "");
}

/** Show `text` in the form's message line, styled by `kind` ("error" or
 * "ok"). A `link` ({href, text}) is appended after the text. */
export function setMessage(form, text, kind = "error", link = null) {
  const box = form.querySelector("#form-message");
  box.replaceChildren();
  box.hidden = !text;
  if (!text) return;
  box.className = `notice notice-${kind}`;
  box.append(text);
  if (link) {
    const anchor = document.createElement("a");
    anchor.href = link.href;
    anchor.textContent = link.text;
    box.append(" ", anchor);
  }
}

/** Tie a ret 2 message ("<field> <rule>") to its input. Returns whether a
 * field of this form was named. */
export function showInvalid(form, message, labels) {
  const [field, ...rest] = message.split(" ");
  if (!rest.length || !(field in labels)) return false;
  const rule = rest.join(" ");
  return showFieldError(form, field, `${labels[field]}${rule}`);
}

export function focusFirstError(form) {
  const error = form.querySelector(".error:not([hidden])");
  if (!error) return;
  const field = error.id.replace(/-error$/, "");
  const control =
    form.querySelector(`#${CSS.escape(field)}:is(input, select, textarea)`) ||
    form.querySelector(`[name="${CSS.escape(field)}"]`);
  (control || error).focus?.();
}

/** Keep `<textarea>`'s "n/max" counter up to date. */
export function bindCounter(textarea, counter) {
  const update = () => {
    counter.textContent = `${textarea.value.length}/${textarea.maxLength}`;
  };
  textarea.addEventListener("input", update);
  update();
}

/** Disable `button` while `task` runs, so a double tap sends once. */
export async function whileBusy(button, task) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    return await task();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}
