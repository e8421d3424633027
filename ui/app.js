// nfvhost dashboard: draws /api/view and follows /api/events. Plain JS, no build step, no CDN.
"use strict";

const params = new URLSearchParams(window.location.search);
const token = params.get("token");
const withToken = (path) =>
  token ? `${path}${path.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}` : path;
let previewing = false;

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    if (k === "class") e.className = v;
    else if (k === "style") e.setAttribute("style", v);
    else e.setAttribute(k, String(v));
  }
  for (const c of children.flat()) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

// One colour per VNF, so a VM's vCPUs, emulator threads and VFs match at a glance. Hues step by
// the golden angle in table order, so neighbours (edge-1, edge-2) never look alike.
const colours = new Map();
function assignColours(view) {
  colours.clear();
  view.vnfs.forEach((v, i) => colours.set(v.name, `hsl(${Math.round((i * 137.508 + 280) % 360)} 70% 62%)`));
}
function vnfColour(name) {
  return colours.get(name) || "hsl(0 0% 70%)";
}

function gib(kib) {
  return `${(kib / 1048576).toFixed(1)} GiB`;
}

function pageSize(kib) {
  return kib >= 1048576 ? `${kib / 1048576}G` : `${kib / 1024}M`;
}

function drawLegend(view) {
  const legend = document.getElementById("legend");
  legend.replaceChildren(
    el("span", {}, el("i", { class: "role-housekeeping" }), "housekeeping (host)"),
    el("span", {}, el("i", { class: "role-isolated-free" }), "isolated, free"),
    el("span", {}, el("i", { class: "role-offline" }), "offline"),
    ...view.vnfs
      .filter((v) => v.node !== null)
      .map((v) =>
        el(
          "span",
          {},
          el("i", { style: `background:${vnfColour(v.name)}` }),
          `${v.name}: vCPU (solid) / emulator (striped)`,
        ),
      ),
  );
}

function drawCpu(t) {
  const style = t.vnf ? `background-color:${vnfColour(t.vnf)}` : undefined;
  const title =
    t.role === "vcpu"
      ? `CPU ${t.cpu}: vCPU ${t.vcpu} of ${t.vnf}`
      : t.role === "emulator"
        ? `CPU ${t.cpu}: emulator threads of ${t.vnf}`
        : `CPU ${t.cpu}: ${t.label}`;
  return el(
    "div",
    {
      class: `cpu role-${t.role}`,
      style,
      title,
      "data-cpu": t.cpu,
      "data-role": t.role,
      "data-vnf": t.vnf,
      "data-vcpu": t.vcpu,
    },
    el("b", {}, t.cpu),
    t.label,
  );
}

function drawNode(node) {
  const pools = node.hugepages.map((p) => {
    const pct = p.total ? Math.round((100 * p.used) / p.total) : 0;
    return el(
      "div",
      { "data-pool": `${node.id}:${p.sizeKiB}` },
      `${pageSize(p.sizeKiB)} pages: ${p.used}/${p.total} used, ${p.free} free `,
      el("span", { class: "bar" }, el("span", { style: `width:${pct}%` })),
      p.planned !== undefined ? ` · plan needs ${p.planned}` : "",
    );
  });
  const nics = node.nics.map((n) =>
    el(
      "div",
      { "data-nic": n.name || n.pci },
      el("b", {}, n.name || "(no netdev)"),
      ` ${n.pci} ${n.driver || ""}${n.mtu ? ` mtu ${n.mtu}` : ""}${n.totalVfs !== null ? ` · VFs ${n.vfs.length}/${n.totalVfs}` : ""} `,
      ...n.vfs.map((vf) =>
        el(
          "span",
          {
            class: vf.heldBy ? "vf held" : "vf",
            style: vf.heldBy ? `background:${vnfColour(vf.heldBy)}` : undefined,
            title: `VF${vf.index} ${vf.pci} ${vf.name || ""} ${vf.driver || ""}`,
            "data-vf": vf.pci,
            "data-held-by": vf.heldBy || "",
          },
          `VF${vf.index}${vf.heldBy ? ` → ${vf.heldBy}` : ""}`,
        ),
      ),
    ),
  );
  return el(
    "div",
    { class: "node", "data-node": node.id },
    el("h4", {}, `NUMA node ${node.id} · CPUs ${node.cpus} · ${gib(node.memoryKiB)}`),
    el(
      "div",
      { class: "cores" },
      ...node.cores.map((c) =>
        el("div", { class: "core", title: `core ${c.core}` }, ...c.threads.map(drawCpu)),
      ),
    ),
    el("div", { class: "pools" }, ...pools),
    el("div", { class: "nics" }, ...nics),
  );
}

function drawVerify(verify) {
  if (!verify) return "—";
  return el(
    "details",
    {},
    el(
      "summary",
      { class: verify.ok ? "state-running" : "drift" },
      `${verify.ok ? "✓ holds" : "✗ drift"} · ${verify.at}`,
    ),
    ...verify.evidence.map((line) => el("div", { class: "evidence" }, line)),
  );
}

function drawVnfs(view) {
  const body = document.querySelector("#vnfs tbody");
  body.replaceChildren(
    ...view.vnfs.map((v) =>
      el(
        "tr",
        { "data-vnf-row": v.name, "data-state": v.state },
        el("td", {}, el("b", { style: v.node !== null ? `color:${vnfColour(v.name)}` : undefined }, v.name)),
        el("td", {}, v.kind || "(not in topology)"),
        el("td", { class: `state-${v.state.replace(/\s+/g, "-")}` }, v.state),
        el("td", {}, v.node === null ? "" : v.node),
        el("td", {}, v.vcpuPins),
        el("td", {}, v.emulator),
        el("td", {}, v.memoryMiB === null ? "" : `${v.memoryMiB} MiB in ${pageSize(v.pageSizeKiB)} pages`),
        el("td", {}, ...v.interfaces.map((i) => el("div", {}, `${i.guest} ${i.type} ${i.mac} ${i.source}`))),
        el("td", { "data-verify": v.verify ? (v.verify.ok ? "ok" : "drift") : "none" }, drawVerify(v.verify)),
      ),
    ),
  );
}

function draw(view) {
  assignColours(view);
  document.getElementById("host-title").textContent =
    `${view.hostname || "host"} · ${view.cpuModel || ""} · ${view.root}${view.topologyFile ? ` · ${view.topologyFile}` : ""}`;
  document.getElementById("summary").textContent = view.kernelArgs
    ? `kernel arguments: ${view.kernelArgs}${view.pendingReboot ? " (reboot pending)" : ""}`
    : "no topology loaded: host as it is";
  drawLegend(view);
  document
    .getElementById("host")
    .replaceChildren(
      ...view.sockets.map((s) =>
        el(
          "section",
          { class: "socket", "data-socket": s.id },
          el("h3", {}, `Socket ${s.id}`),
          el("div", { class: "nodes" }, ...s.nodes.map(drawNode)),
        ),
      ),
    );
  drawVnfs(view);
  document.getElementById("changes").replaceChildren(...view.changes.map((c) => el("li", {}, c)));
  document.getElementById("changes-section").hidden = view.changes.length === 0;
  const probs = document.getElementById("problems");
  probs.replaceChildren(
    ...view.problems.map((p) =>
      el(
        "li",
        {},
        p.message,
        ...p.details.map((d) => el("div", { class: "muted" }, `short: ${d}`)),
        ...p.fixes.map((f) => el("div", { class: "muted" }, `fix: ${f}`)),
      ),
    ),
  );
  document.getElementById("problems-section").hidden = view.problems.length === 0;
}

async function load() {
  const res = await fetch(withToken("api/view"));
  if (!res.ok) throw new Error(`api/view: ${res.status}`);
  draw(await res.json());
}

function follow() {
  const live = document.getElementById("live");
  const es = new EventSource(withToken("api/events"));
  es.addEventListener("view", (e) => {
    live.textContent = JSON.parse(e.data).root === "/" ? "● live" : "● snapshot (static)";
    if (!previewing) draw(JSON.parse(e.data));
  });
  es.onerror = () => {
    live.textContent = "○ reconnecting";
  };
}

document.getElementById("preview-btn").addEventListener("click", async () => {
  const msg = document.getElementById("preview-msg");
  const res = await fetch(withToken("api/preview"), {
    method: "POST",
    // Not text/plain: the server takes only types a cross-site page cannot send without asking.
    headers: { "content-type": "application/yaml" },
    body: document.getElementById("preview-text").value,
  });
  const body = await res.json();
  if (!res.ok) {
    msg.textContent = body.error;
    return;
  }
  previewing = true;
  msg.textContent = body.problems.length
    ? "does not fit (see below)"
    : "preview: nothing was changed on the host";
  draw(body);
});
document.getElementById("preview-reset").addEventListener("click", async () => {
  previewing = false;
  document.getElementById("preview-msg").textContent = "";
  await load();
});

load().catch((e) => {
  document.getElementById("summary").textContent = String(e);
});
follow();
