// Loa Xã demo page: two phones, each speaking as a persona to the real bot through the
// demo's JSON API (bot/webdemo/server.py). No libraries, no network beyond this server.
"use strict";

const STAFF_ROLES = ["official", "leader", "hamlet_head", "supervisor", "admin"];
const POLL_WAIT = 20; // seconds the server may hold a chat request open

const demo = { state: null, phones: [], dialogFor: null };
// Written into the page by the server; without it the server refuses every change, so a
// page on another site cannot drive the demo through the user's browser.
const PAGE_TOKEN = document.querySelector('meta[name="loaxa-demo-token"]').content;

// --- small helpers ------------------------------------------------------------------------

async function api(method, path, body) {
  const options = { method, headers: { "X-Loaxa-Demo-Token": PAGE_TOKEN } };
  if (body instanceof FormData) {
    options.body = body;
  } else if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  let data = null;
  try {
    data = await response.json();
  } catch (_) {
    data = null;
  }
  if (!response.ok) {
    const error = new Error((data && data.message) || `Lỗi ${response.status}`);
    error.code = data && data.error;
    throw error;
  }
  return data;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

let toastTimer = null;
function toast(message, isError = false, seconds = 5) {
  const box = document.getElementById("toast");
  box.textContent = message;
  box.classList.toggle("error", isError);
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, seconds * 1000);
}

const ICONS = {
  pin: "M12 2a7 7 0 0 0-7 7c0 5 7 13 7 13s7-8 7-13a7 7 0 0 0-7-7zm0 9.5A2.5 2.5 0 1 1 12 6.5a2.5 2.5 0 0 1 0 5z",
  download: "M11 3h2v10.2l3.6-3.6 1.4 1.4-6 6-6-6 1.4-1.4 3.6 3.6zM5 19h14v2H5z",
};

function icon(name) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
  path.setAttribute("d", ICONS[name]);
  svg.append(path);
  return svg;
}

function clockText(unixSeconds) {
  const date = unixSeconds ? new Date(unixSeconds * 1000) : new Date();
  return date.toLocaleTimeString("vi-VN", { hour: "2-digit", minute: "2-digit" });
}

function sizeText(bytes) {
  if (!bytes && bytes !== 0) return "";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function personaLabel(p) {
  const where = p.hamlet ? ` · ${p.hamlet}` : "";
  const fresh = p.registered ? "" : " (chưa đăng ký)";
  return `${p.name} — ${p.role_label}${where}${fresh}`;
}

function safeUrl(url) {
  return /^https?:\/\//i.test(url || "") ? url : null;
}

// --- text with Telegram entities ----------------------------------------------------------
// Offsets are in UTF-16 code units, which is what JavaScript strings index by.

const STYLE_TAGS = {
  bold: "b", italic: "i", underline: "u", strikethrough: "s", code: "code", pre: "pre",
  spoiler: "span", blockquote: "span",
};

function renderText(text, entities) {
  const fragment = document.createDocumentFragment();
  if (!text) return fragment;
  const list = (entities || []).filter((e) => e.length > 0);
  const cuts = new Set([0, text.length]);
  for (const e of list) {
    cuts.add(e.offset);
    cuts.add(Math.min(text.length, e.offset + e.length));
  }
  const points = [...cuts].sort((a, b) => a - b);
  for (let i = 0; i < points.length - 1; i++) {
    const start = points[i];
    const end = points[i + 1];
    let node = document.createTextNode(text.slice(start, end));
    for (const e of list) {
      if (e.offset > start || e.offset + e.length < end) continue;
      if (e.type === "text_link" || e.type === "url") {
        const href = safeUrl(e.type === "url" ? text.slice(e.offset, e.offset + e.length) : e.url);
        if (href) node = el("a", { href, target: "_blank", rel: "noopener" }, node);
      } else if (STYLE_TAGS[e.type]) {
        node = el(STYLE_TAGS[e.type], {}, node);
      }
    }
    fragment.append(node);
  }
  return fragment;
}

// --- one phone ----------------------------------------------------------------------------

class Phone {
  constructor(slot, personaId) {
    this.slot = slot;
    this.personaId = personaId;
    this.version = "";
    this.count = 0;
    this.commands = [];
    this.controller = null;
    this.generation = 0;
    const node = document.getElementById("phone-template").content.firstElementChild.cloneNode(true);
    node.dataset.slot = String(slot);
    this.node = node;
    this.select = node.querySelector(".persona-select");
    this.messages = node.querySelector(".messages");
    this.menu = node.querySelector(".command-menu");
    this.form = node.querySelector(".composer");
    this.input = node.querySelector(".text");
    this.photoInput = node.querySelector(".photo-input");
    this.badge = node.querySelector(".persona-badge");
    node.querySelector(".clock").textContent = clockText();
    this.wire();
    document.getElementById("stage").append(node);
    this.fillSelect();
    this.setPersona(personaId);
  }

  get persona() {
    return demo.state.personas.find((p) => p.id === this.personaId);
  }

  wire() {
    this.select.addEventListener("change", () => this.setPersona(this.select.value));
    this.node.querySelector(".add-persona").addEventListener("click", () => openDialog(this));
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.sendText(this.input.value);
    });
    this.node.querySelector(".attach").addEventListener("click", () => this.photoInput.click());
    this.photoInput.addEventListener("change", () => this.sendPhoto());
    this.node.querySelector(".send-location").addEventListener("click", () => this.sendLocation());
    this.node.querySelector(".menu-button").addEventListener("click", () => this.toggleMenu());
  }

  fillSelect() {
    const onOa = (p) => p.channel === "zalo_oa";
    const groups = [
      ["Người dân mới", (p) => p.role === "resident" && !p.registered && !onOa(p)],
      ["Cán bộ, lãnh đạo, trưởng xóm", (p) => STAFF_ROLES.includes(p.role)],
      ["Người dân đã đăng ký", (p) => p.role === "resident" && p.registered && !onOa(p)],
    ];
    const follower = demo.state.personas.find(onOa);
    if (follower) groups.push([follower.group, onOa]);  // the OA's followers: a Zalo phone
    this.select.replaceChildren();
    for (const [title, test] of groups) {
      const members = demo.state.personas.filter(test);
      if (!members.length) continue;
      const group = el("optgroup", { label: title });
      for (const p of members) group.append(el("option", { value: p.id, text: personaLabel(p) }));
      this.select.append(group);
    }
    if (this.personaId) this.select.value = this.personaId;
  }

  setPersona(personaId) {
    this.personaId = personaId;
    this.select.value = personaId;
    this.node.dataset.persona = personaId;
    const p = this.persona;
    this.badge.textContent = p ? `${p.name} · ${p.role_label}` : "";
    this.node.dataset.channel = p ? p.channel : "";
    this.version = "";
    this.count = -1;
    this.messages.replaceChildren();
    this.menu.hidden = true;
    if (this.controller) this.controller.abort();
    this.generation += 1;
    this.poll(this.generation);
  }

  async poll(generation) {
    while (generation === this.generation) {
      this.controller = new AbortController();
      const wait = this.version ? POLL_WAIT : 0;
      const url = `/api/personas/${this.personaId}/chat?since=${this.version}&wait=${wait}`;
      try {
        const response = await fetch(url, { signal: this.controller.signal });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const data = await response.json();
        if (generation !== this.generation) return;
        this.commands = data.commands || [];
        if (data.persona) this.updatePersona(data.persona);
        if (data.version !== this.version) {
          this.version = data.version;
          this.render(data.messages);
        }
      } catch (error) {
        if (error.name === "AbortError" || generation !== this.generation) return;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  // What the person did in the chat may change who they are (signed up in a hamlet, deleted
  // their data): every phone's picker says so at once.
  updatePersona(fresh) {
    const known = this.persona;
    if (!known || (known.registered === fresh.registered && known.hamlet === fresh.hamlet)) return;
    Object.assign(known, fresh);
    for (const phone of demo.phones) phone.fillSelect();
  }

  // Ask again right away (after an action), instead of waiting for the long poll.
  refresh() {
    if (this.controller) this.controller.abort();
    this.generation += 1;
    this.poll(this.generation);
  }

  render(messages) {
    const box = this.messages;
    const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 120;
    const grew = messages.length !== this.count;
    box.replaceChildren();
    if (!messages.length) {
      const p = this.persona;
      let hint = "Chưa có tin nhắn. Bấm Menu để xem các lệnh.";
      if (p && !p.registered) hint = "Chưa có tin nhắn. Gõ /start (hoặc bấm Menu) để bắt đầu nói chuyện với bot.";
      else if (p && ["official", "leader"].includes(p.role)) hint = "Chưa có tin nhắn. Gõ /hopthu để mở hộp thư phản ánh, hoặc bấm Menu. Tin báo phản ánh mới sẽ hiện ở đây.";
      box.append(el("div", { class: "empty", text: hint }));
    }
    for (const m of messages) box.append(this.renderMessage(m));
    if (grew && (nearBottom || this.count <= 0 || messages.length > this.count)) {
      box.scrollTop = box.scrollHeight;
      for (const img of box.querySelectorAll("img")) {
        img.addEventListener("load", () => { box.scrollTop = box.scrollHeight; }, { once: true });
      }
    }
    this.count = messages.length;
  }

  renderMessage(m) {
    if (m.from === "press") {
      return el("div", { class: "press", text: `Đã bấm: ${m.text}` });
    }
    const mine = m.from === "me";
    const wrap = el("div", { class: `msg ${mine ? "me" : "bot"}` });
    if (m.message_id) wrap.dataset.messageId = String(m.message_id);
    const hasMedia = Boolean(m.photo || m.location);
    const bubble = el("div", { class: `bubble${hasMedia ? " media" : ""}` });
    if (m.photo) {
      const img = el("img", {
        class: "photo", src: m.photo.url, alt: "Ảnh", loading: "lazy",
        onclick: () => window.open(m.photo.url, "_blank", "noopener"),
      });
      bubble.append(img);
    }
    if (m.location) {
      bubble.append(el("div", { class: "location", title: "Vị trí" }, icon("pin")));
      const lat = Number(m.location.latitude).toFixed(5);
      const lon = Number(m.location.longitude).toFixed(5);
      bubble.append(el("div", { class: "location-text", text: `Vị trí: ${lat}, ${lon}` }));
    }
    if (m.document) {
      bubble.append(el("a", { class: "document", href: m.document.url, download: m.document.name },
        el("span", { class: "icon" }, icon("download")),
        el("span", {},
          el("div", { class: "name", text: m.document.name }),
          el("div", { class: "size", text: sizeText(m.document.size) }))));
    }
    if (m.text) {
      const holder = hasMedia ? el("div", { class: "caption" }) : bubble;
      holder.append(renderText(m.text, m.entities));
      if (holder !== bubble) bubble.append(holder);
    }
    bubble.append(el("span", { class: "time", text: clockText(m.date) }));
    wrap.append(bubble);
    if (m.buttons && m.buttons.length) wrap.append(this.renderKeyboard(m));
    return wrap;
  }

  renderKeyboard(m) {
    const keyboard = el("div", { class: "keyboard" });
    for (const row of m.buttons) {
      const line = el("div", { class: "row" });
      for (const b of row) {
        if (b.data) {
          line.append(el("button", {
            type: "button", class: "kb", text: b.text,
            onclick: (event) => this.press(m.message_id, b.data, keyboard, event.currentTarget),
          }));
        } else if (safeUrl(b.url)) {
          line.append(el("a", { href: b.url, target: "_blank", rel: "noopener", text: `${b.text} ↗` }));
        } else {
          line.append(el("button", { type: "button", disabled: true, text: b.text }));
        }
      }
      keyboard.append(line);
    }
    return keyboard;
  }

  async act(work) {
    this.form.classList.add("busy");
    try {
      await work();
    } catch (error) {
      toast(error.message, true);
    } finally {
      this.form.classList.remove("busy");
      this.refresh();
    }
  }

  sendText(text) {
    text = text.trim();
    if (!text) return;
    this.input.value = "";
    this.menu.hidden = true;
    return this.act(() => api("POST", `/api/personas/${this.personaId}/text`, { text }));
  }

  press(messageId, data, keyboard, button) {
    for (const b of keyboard.querySelectorAll("button")) b.disabled = true;
    button.classList.add("pressed");
    return this.act(() => api("POST", `/api/personas/${this.personaId}/press`,
      { message_id: messageId, data }));
  }

  sendPhoto() {
    const file = this.photoInput.files[0];
    this.photoInput.value = "";
    if (!file) return;
    const form = new FormData();
    form.append("photo", file, file.name || "photo.jpg");
    const caption = this.input.value.trim();
    if (caption) form.append("caption", caption);
    this.input.value = "";
    return this.act(() => api("POST", `/api/personas/${this.personaId}/photo`, form));
  }

  sendLocation() {
    const { latitude, longitude } = demo.state.location;
    return this.act(() => api("POST", `/api/personas/${this.personaId}/location`,
      { latitude, longitude }));
  }

  toggleMenu() {
    if (!this.menu.hidden) {
      this.menu.hidden = true;
      return;
    }
    this.menu.replaceChildren();
    if (!this.commands.length) {
      this.menu.append(el("button", { type: "button", disabled: true, text: "Chưa có lệnh nào." }));
    }
    for (const c of this.commands) {
      this.menu.append(el("button", {
        type: "button", onclick: () => this.sendText(`/${c.command}`),
      }, el("span", { class: "cmd", text: `/${c.command}` }), el("span", { class: "desc", text: c.description })));
    }
    this.menu.hidden = false;
  }
}

// --- adding a persona ---------------------------------------------------------------------

function openDialog(phone) {
  demo.dialogFor = phone;
  const dialog = document.getElementById("persona-dialog");
  const form = document.getElementById("persona-form");
  form.reset();
  form.querySelector(".error").hidden = true;
  dialog.showModal();
  form.elements.name.focus();
}

function setUpDialog() {
  const dialog = document.getElementById("persona-dialog");
  const form = document.getElementById("persona-form");
  const roles = form.elements.role;
  for (const r of demo.state.roles) roles.append(el("option", { value: r.id, text: r.label }));
  const hamlets = form.elements.hamlet;
  hamlets.append(el("option", { value: "", text: "— chưa chọn —" }));
  for (const h of demo.state.hamlets) hamlets.append(el("option", { value: h, text: h }));
  form.addEventListener("submit", async (event) => {
    if (event.submitter && event.submitter.value === "cancel") return;
    event.preventDefault();
    const body = {
      name: form.elements.name.value,
      role: roles.value,
      hamlet: hamlets.value || null,
    };
    try {
      const persona = await api("POST", "/api/personas", body);
      demo.state.personas.push(persona);
      for (const phone of demo.phones) phone.fillSelect();
      dialog.close();
      if (demo.dialogFor) demo.dialogFor.setPersona(persona.id);
    } catch (error) {
      const box = form.querySelector(".error");
      box.textContent = error.message;
      box.hidden = false;
    }
  });
}

// --- scheduled jobs -----------------------------------------------------------------------

function setUpJobs() {
  const jobs = demo.state.jobs || [];
  const holder = document.getElementById("jobs-buttons");
  document.getElementById("jobs").hidden = jobs.length === 0;
  for (const job of jobs) {
    const button = el("button", { type: "button", title: job.hint || job.label, text: job.label });
    button.dataset.job = job.id;
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        const result = await api("POST", `/api/jobs/${job.id}`);
        toast(result.message, false, 8);
      } catch (error) {
        toast(error.message, true);
      } finally {
        button.disabled = false;
        for (const phone of demo.phones) phone.refresh();
      }
    });
    holder.append(button);
  }
}

// --- start --------------------------------------------------------------------------------

async function main() {
  demo.state = await api("GET", "/api/state");
  document.getElementById("commune").textContent = demo.state.commune;
  const people = demo.state.personas;
  const newcomer =
    people.find((p) => p.role === "resident" && !p.registered && p.channel !== "zalo_oa") ||
    people[0];
  const follower = people.find((p) => p.channel === "zalo_oa");
  const official = people.find((p) => p.role === "official") || people[1] || people[0];
  setUpDialog();
  setUpJobs();
  demo.phones = [new Phone(0, newcomer.id), new Phone(1, official.id)];
  if (follower) demo.phones.push(new Phone(2, follower.id));  // a Zalo OA follower's phone
  document.body.dataset.ready = "true";
}

main().catch((error) => toast(`Không tải được bản chạy thử: ${error.message}`, true, 60));
