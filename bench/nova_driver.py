#!/usr/bin/python3
"""OpenStack Nova's NUMA fitting as a peer planner for `npm run bench`.

Reads JSON on stdin: {"cases": [{"id", "pageSizeKiB", "nodes": [{"id", "socket", "pcpus",
"siblings", "memoryMiB", "pages"}], "pfs": [{"name", "node", "vfs"}], "instances": [{"name",
"vcpus", "memoryMiB", "vfs": {pf: count}}]}]} and prints {"nova": version, "cases": [{"id",
"placed", "attempted", "perPlacementMs": [...]}]}.

Each instance is a flavor with hw:cpu_policy=dedicated, hw:cpu_thread_policy=<the VNF's thread
policy: isolate, prefer or require; nfvhost's share has no pinned Nova equivalent and maps to
prefer>, hw:mem_page_size=<host page size>, hw:emulator_threads_policy=<the case's "emulator":
share (Nova's default) or isolate (one extra pinned core per instance)>; Nova's own
numa_get_constraints() turns it into an InstanceNUMATopology, numa_fit_instance_to_host() places
it, numa_usage_from_instance_numa() books it on the host, instance after instance, as the
scheduler's NUMATopologyFilter and the compute node's resource tracker do. SR-IOV: Nova's PCI
"legacy"/"required" NUMA affinity means a VF-using instance must sit on its PF's cell; the driver
offers such an instance only the cells of its PFs and counts VFs per PF itself (Nova's
PciDeviceStats needs a database-backed device inventory).
"""
import json
import sys
import time


def main():
    try:
        from nova import objects
        from nova.objects import fields  # noqa: F401  (registers field types)
        from nova.virt import hardware
        import nova.conf  # noqa: F401  (registers the options numa_fit_instance_to_host reads)
        from nova import version as nova_version
    except ImportError as e:  # the bench reports this as "unavailable"
        print(json.dumps({"error": "cannot import nova: %s" % e}))
        return 3
    objects.register_all()
    req = json.load(sys.stdin)
    out = {"nova": nova_version.version_string(), "cases": []}
    for case in req["cases"]:
        out["cases"].append(run_case(objects, hardware, case))
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return 0


def page_spec(size_kib):
    return "1GB" if size_kib == 1048576 else "%dKB" % size_kib


def host_topology(objects, case):
    cells = []
    for n in case["nodes"]:
        cells.append(objects.NUMACell(
            id=n["id"],
            # cpuset == pcpuset is how the libvirt driver reports a host configured with
            # vcpu_pin_set; with cpu_dedicated_set instead, Nova refuses the isolate policy on SMT
            # hosts outright (bug #1889633), which would make the comparison empty.
            cpuset=set(n["pcpus"]),
            pcpuset=set(n["pcpus"]),
            memory=n["memoryMiB"],
            cpu_usage=0,
            memory_usage=0,
            pinned_cpus=set(),
            siblings=[set(s) for s in n["siblings"]],
            mempages=[
                objects.NUMAPagesTopology(size_kb=4, total=0, used=0, reserved=0),
                objects.NUMAPagesTopology(
                    size_kb=case["pageSizeKiB"], total=n["pages"], used=0, reserved=0),
            ],
            socket=n["socket"],
        ))
    return objects.NUMATopology(cells=cells)


def run_case(objects, hardware, case):
    host = host_topology(objects, case)
    vfs_left = {p["name"]: p["vfs"] for p in case["pfs"]}
    pf_node = {p["name"]: p["node"] for p in case["pfs"]}
    image = objects.ImageMeta.from_dict({"properties": {}})
    placed = []
    times = []
    errors = []
    for inst in case["instances"]:
        t0 = time.perf_counter()
        flavor = objects.Flavor(
            name=inst["name"], vcpus=inst["vcpus"], memory_mb=inst["memoryMiB"],
            root_gb=0, ephemeral_gb=0, swap=0, extra_specs={
                "hw:cpu_policy": "dedicated",
                "hw:cpu_thread_policy": {"share": "prefer"}.get(
                    inst.get("threadPolicy", "isolate"), inst.get("threadPolicy", "isolate")),
                "hw:mem_page_size": page_spec(case["pageSizeKiB"]),
                "hw:emulator_threads_policy": case.get("emulator", "isolate"),
            })
        wanted = inst.get("vfs", {})
        fitted = None
        if all(vfs_left.get(pf, 0) >= n for pf, n in wanted.items()):
            local = {pf_node[pf] for pf in wanted if pf_node.get(pf, -1) >= 0}
            # The VNF's own node pin (node:) limits the cells as its PFs do.
            allowed = set(inst.get("nodes", [c.id for c in host.cells]))
            cells = [c for c in host.cells if (not local or c.id in local) and c.id in allowed]
            if len(local) <= 1 and cells:
                try:
                    constraint = hardware.numa_get_constraints(flavor, image)
                    fitted = hardware.numa_fit_instance_to_host(
                        objects.NUMATopology(cells=cells), constraint)
                except Exception as e:  # Nova's refusal is a "not placed", with its reason kept
                    errors.append("%s: %s: %s" % (inst["name"], type(e).__name__, e))
        if fitted is not None:
            try:
                host = hardware.numa_usage_from_instance_numa(host, fitted)
            except Exception as e:  # Nova refusing to book its own fit: not placed, reason kept
                errors.append("%s: %s: %s" % (inst["name"], type(e).__name__, e))
                fitted = None
        if fitted is not None:
            for pf, n in wanted.items():
                vfs_left[pf] -= n
            placed.append({"name": inst["name"], "node": fitted.cells[0].id,
                           "pins": sorted(fitted.cells[0].cpu_pinning.values()),
                           "emulator": sorted(fitted.cells[0].cpuset_reserved or [])})
        times.append((time.perf_counter() - t0) * 1000.0)
    return {"id": case["id"], "placed": len(placed), "attempted": len(case["instances"]),
            "perPlacementMs": times, "placements": placed, "errors": errors}


if __name__ == "__main__":
    sys.exit(main())
