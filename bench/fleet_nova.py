#!/usr/bin/python3
"""OpenStack Nova's scheduler path over a fleet, as a peer for `npm run bench` (fleet rows).

Reads JSON on stdin: {"cases": [{"id", "hosts": [{"name", "pageSizeKiB", "nodes": [{"id",
"socket", "pcpus", "siblings", "memoryMiB", "pages"}], "pfs": [{"name", "node", "vfs"}]}],
"instances": [{"name", "vcpus", "memoryMiB", "vfs": {pf: count}, "hosts": [names] | null,
"antiAffinity": group | null}]}]} and prints {"nova": version, "cases": [{"id", "placed",
"placements": [{"name", "host"}]}]}.

Per instance, in arrival order, as Nova's FilterScheduler does: every host goes through Nova's own
NUMATopologyFilter and PciPassthroughFilter (plus the host list an aggregate / forced host allows,
and ServerGroupAntiAffinityFilter's rule: no two members of a group on one host), the passing host
with the most free RAM wins (RAMWeigher, Nova's default spread), and the claim is Nova's
numa_fit_instance_to_host + numa_usage_from_instance_numa + PciDeviceStats.apply_requests, as the
compute node's resource tracker books it. Flavors: hw:cpu_policy=dedicated,
hw:cpu_thread_policy=isolate, hw:mem_page_size=<page size>, hw:emulator_threads_policy=share
(Nova's default). A PF's VFs are a device pool of their own (product id per PF), whitelisted.
"""
import json
import sys


def main():
    try:
        from nova import objects
        from nova.objects import fields  # noqa: F401
        from nova.virt import hardware
        import nova.conf
        from nova import version as nova_version
        from nova.pci import stats as pci_stats_mod
        from nova.pci import whitelist
        from nova.scheduler.filters import numa_topology_filter, pci_passthrough_filter
    except ImportError as e:
        print(json.dumps({"error": "cannot import nova: %s" % e}))
        return 3
    objects.register_all()
    conf = nova.conf.CONF
    conf([], project="nova", default_config_files=[])
    req = json.load(sys.stdin)
    out = {"nova": nova_version.version_string(), "cases": []}
    ctx = dict(objects=objects, hardware=hardware, pci_stats_mod=pci_stats_mod, whitelist=whitelist,
               numa_filter=numa_topology_filter.NUMATopologyFilter(),
               pci_filter=pci_passthrough_filter.PciPassthroughFilter())
    for case in req["cases"]:
        out["cases"].append(run_case(ctx, case))
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return 0


def page_spec(size_kib):
    return "1GB" if size_kib == 1048576 else "%dKB" % size_kib


def product_id(i):
    return "%04x" % (0x1000 + i)


class HostState(object):
    """The attributes of nova.scheduler.host_manager.HostState the two filters read."""

    def __init__(self, name, topology, pci_stats, free_ram_mb):
        self.host = name
        self.nodename = name
        self.numa_topology = topology
        self.pci_stats = pci_stats
        self.ram_allocation_ratio = 1.0
        self.cpu_allocation_ratio = 1.0
        self.limits = {}
        self.free_ram_mb = free_ram_mb


def build_host(ctx, h, pf_index):
    objects = ctx["objects"]
    cells = []
    for n in h["nodes"]:
        cells.append(objects.NUMACell(
            id=n["id"], cpuset=set(n["pcpus"]), pcpuset=set(n["pcpus"]), memory=n["memoryMiB"],
            cpu_usage=0, memory_usage=0, pinned_cpus=set(), siblings=[set(s) for s in n["siblings"]],
            mempages=[
                objects.NUMAPagesTopology(size_kb=4, total=0, used=0, reserved=0),
                objects.NUMAPagesTopology(size_kb=h["pageSizeKiB"], total=n["pages"], used=0, reserved=0),
            ],
            socket=n["socket"]))
    topology = objects.NUMATopology(cells=cells)
    specs = [json.dumps({"vendor_id": "8086", "product_id": product_id(pf_index[p["name"]])}) for p in h["pfs"]]
    stats = ctx["pci_stats_mod"].PciDeviceStats(topology, dev_filter=ctx["whitelist"].Whitelist(specs))
    for p in h["pfs"]:
        for i in range(p["vfs"]):
            stats.add_device(objects.PciDevice(
                compute_node_id=1, address="0000:%02x:%02x.%d" % (pf_index[p["name"]] % 256, 16 + i // 8, i % 8),
                vendor_id="8086", product_id=product_id(pf_index[p["name"]]), dev_type="type-VF",
                status="available", numa_node=p["node"], parent_addr="0000:%02x:00.0" % (pf_index[p["name"]] % 256),
                request_id=None, extra_info={}, dev_id="pci_%s_%d" % (p["name"], i), label="label_8086_x",
                instance_uuid=None))
    free = sum(n["pages"] * h["pageSizeKiB"] // 1024 for n in h["nodes"])
    return HostState(h["name"], topology, stats, free)


def run_case(ctx, case):
    objects = ctx["objects"]
    hardware = ctx["hardware"]
    pf_index = {}
    for h in case["hosts"]:
        for p in h["pfs"]:
            pf_index.setdefault(p["name"], len(pf_index))
    hosts = [build_host(ctx, h, pf_index) for h in case["hosts"]]
    page = {h["name"]: h["pageSizeKiB"] for h in case["hosts"]}
    image = objects.ImageMeta.from_dict({"properties": {}})
    group_hosts = {}
    placements = []
    errors = []
    for inst in case["instances"]:
        best = None
        for hs in hosts:
            if inst.get("hosts") is not None and hs.host not in inst["hosts"]:
                continue
            g = inst.get("antiAffinity")
            if g is not None and hs.host in group_hosts.get(g, set()):
                continue
            flavor = objects.Flavor(
                name=inst["name"], vcpus=inst["vcpus"], memory_mb=inst["memoryMiB"], root_gb=0,
                ephemeral_gb=0, swap=0, extra_specs={
                    "hw:cpu_policy": "dedicated", "hw:cpu_thread_policy": "isolate",
                    "hw:mem_page_size": page_spec(page[hs.host])})
            requests = [objects.InstancePCIRequest(
                count=n, spec=[{"vendor_id": "8086", "product_id": product_id(pf_index[pf])}],
                request_id=None, alias_name="vf-%s" % pf)
                for pf, n in sorted(inst.get("vfs", {}).items()) if pf in pf_index]
            if len(requests) < len(inst.get("vfs", {})):
                continue
            try:
                numa = hardware.numa_get_constraints(flavor, image)
            except Exception as e:
                errors.append("%s: %s" % (inst["name"], e))
                break
            spec = objects.RequestSpec(
                flavor=flavor, image=image, numa_topology=numa,
                pci_requests=objects.InstancePCIRequests(requests=requests),
                instance_uuid="00000000-0000-0000-0000-%012d" % len(placements))
            try:
                ok = ctx["numa_filter"].host_passes(hs, spec) and ctx["pci_filter"].host_passes(hs, spec)
            except Exception as e:
                errors.append("%s on %s: %s: %s" % (inst["name"], hs.host, type(e).__name__, e))
                ok = False
            if ok and (best is None or hs.free_ram_mb > best[0].free_ram_mb):
                best = (hs, numa, requests, flavor)
        if best is None:
            continue
        hs, numa, requests, flavor = best
        fitted = hardware.numa_fit_instance_to_host(
            hs.numa_topology, numa, pci_requests=requests or None, pci_stats=hs.pci_stats)
        if fitted is None:
            continue
        if requests:
            hs.pci_stats.apply_requests(requests, fitted.cells)
        hs.numa_topology = hardware.numa_usage_from_instance_numa(hs.numa_topology, fitted)
        hs.free_ram_mb -= inst["memoryMiB"]
        if inst.get("antiAffinity") is not None:
            group_hosts.setdefault(inst["antiAffinity"], set()).add(hs.host)
        placements.append({"name": inst["name"], "host": hs.host})
    return {"id": case["id"], "placed": len(placements), "placements": placements, "errors": errors[:5]}


if __name__ == "__main__":
    sys.exit(main())
